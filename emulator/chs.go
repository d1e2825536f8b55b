package emulator

// Accounts with the "new communication handling service" (CHS; rc-api.md
// §3.2, §4.3, §4.4, Config.CHS). The SPEC says of dndStatus "Not applicable
// for User extensions if the new communication handling service is
// activated on account", and gives User extensions dndStatusPersonal
// (TakeAllCalls | DoNotAcceptAnyCalls | Unknown, the "DND" state) and
// acceptCallQueueCalls (the "Agent" state, default false) instead.
//
// The emulator's reading, stated once here:
//   - GET presence, account presence, batch presence and every presence
//     event carry dndStatusPersonal and acceptCallQueueCalls for User
//     extensions and leave dndStatus out (it does not apply).
//   - A PUT that sets dndStatus on a User extension is refused with 400
//     CMN-101 naming dndStatus, so a client that does not know about CHS
//     learns at once that its change did nothing, rather than waiting for
//     a notification that never comes.
//   - dndStatusPersonal takes TakeAllCalls or DoNotAcceptAnyCalls (Unknown
//     is read-only, like dndStatus Unknown); acceptCallQueueCalls any bool.
//   - A User takes queue calls only with acceptCallQueueCalls true and not
//     dndStatusPersonal DoNotAcceptAnyCalls (call-queue presence
//     acceptQueueCalls and the simulation's routing follow this); full DND
//     sends direct calls to voicemail and makes presenceStatus Busy.
//   - Accounts without CHS check dndStatusPersonal's value and otherwise
//     ignore both fields, as before.

// validateCHS checks the CHS fields of a presence change of ext.
func validateCHS(ext *Extension, u PresenceUpdate) *apiError {
	if v := u.DNDStatusPersonal; v != nil && !oneOf(*v, DNDTakeAll, DNDNoCalls) {
		return errInvalidValue("dndStatusPersonal", *v)
	}
	if ext.Presence.CHS && u.DNDStatus != nil {
		return errInvalidValue("dndStatus", *u.DNDStatus)
	}
	return nil
}

// useCHS turns every User extension over to CHS presence, keeping what
// each person's dndStatus meant: full DND stays full DND, and "no queue
// calls" becomes the agent state off.
func (d *Directory) useCHS() {
	for _, e := range d.Extensions {
		if e.Type == TypeUser {
			chsPresence(&e.Presence, len(e.Queues) > 0)
		}
	}
}

// chsPresence converts p to CHS presence; queue members take queue calls
// unless their dndStatus said otherwise.
func chsPresence(p *Presence, member bool) {
	p.CHS = true
	p.DNDPersonal = DNDTakeAll
	if p.DNDStatus == DNDNoCalls {
		p.DNDPersonal = DNDNoCalls
	}
	p.AcceptCQ = member && p.DNDStatus != DNDNoDepartment
	p.DNDStatus = ""
}

// takesAllCalls is the everyday state: no DND, and taking queue calls
// where the extension is a member of a queue.
func takesAllCalls(ext *Extension) bool {
	p := &ext.Presence
	if p.CHS {
		return p.DNDPersonal == DNDTakeAll && (p.AcceptCQ || len(ext.Queues) == 0)
	}
	return p.DNDStatus == DNDTakeAll
}

// refusesQueueCalls reports the "no queue calls, direct calls welcome"
// state: dndStatus DoNotAcceptDepartmentCalls, or the CHS agent state off.
func refusesQueueCalls(ext *Extension) bool {
	p := &ext.Presence
	if p.CHS {
		return p.DNDPersonal != DNDNoCalls && !p.AcceptCQ
	}
	return p.DNDStatus == DNDNoDepartment
}

// dndChange turns full DND on or off in the fields ext's account uses.
// Off means taking every call again, queue calls included.
func dndChange(ext *Extension, on bool) PresenceUpdate {
	if ext.Presence.CHS {
		if on {
			return PresenceUpdate{DNDStatusPersonal: ptr(DNDNoCalls)}
		}
		return PresenceUpdate{DNDStatusPersonal: ptr(DNDTakeAll), AcceptCallQueueCalls: ptr(len(ext.Queues) > 0)}
	}
	if on {
		return PresenceUpdate{DNDStatus: ptr(DNDNoCalls)}
	}
	return PresenceUpdate{DNDStatus: ptr(DNDTakeAll)}
}

// queueCallsChange stops (false) or resumes (true) queue calls while
// direct calls keep coming.
func queueCallsChange(ext *Extension, on bool) PresenceUpdate {
	if ext.Presence.CHS {
		return PresenceUpdate{AcceptCallQueueCalls: ptr(on)}
	}
	if on {
		return PresenceUpdate{DNDStatus: ptr(DNDTakeAll)}
	}
	return PresenceUpdate{DNDStatus: ptr(DNDNoDepartment)}
}

// unifiedAvailability is unified presence's telephony.availability of ext.
func unifiedAvailability(ext *Extension) string {
	p := &ext.Presence
	if !p.CHS {
		return telephonyAvailability(p.DNDStatus)
	}
	switch {
	case p.DNDPersonal == DNDNoCalls:
		return DNDNoCalls
	case !p.AcceptCQ && len(ext.Queues) > 0:
		return unifiedNoQueueCalls
	case p.DNDPersonal == DNDTakeAll:
		return DNDTakeAll
	}
	return ""
}

// unifiedTelephonyChange maps a unified presence telephony.availability
// onto ext's presence fields; ok is false for an unknown value.
func unifiedTelephonyChange(ext *Extension, availability string) (PresenceUpdate, bool) {
	switch availability {
	case DNDTakeAll:
		return dndChange(ext, false), true
	case DNDNoCalls:
		return dndChange(ext, true), true
	case unifiedNoQueueCalls:
		if ext.Presence.CHS {
			return PresenceUpdate{DNDStatusPersonal: ptr(DNDTakeAll), AcceptCallQueueCalls: ptr(false)}, true
		}
		return PresenceUpdate{DNDStatus: ptr(DNDNoDepartment)}, true
	}
	return PresenceUpdate{}, false
}
