package emulator

import "strings"

// unifiedPresenceJSON is UnifiedPresence (rc-api.md §4.6). The visibility
// fields are shown for the caller's own extension only.
type unifiedPresenceJSON struct {
	Status    string                `json:"status"`
	Glip      *unifiedGlipJSON      `json:"glip,omitempty"`
	Telephony *unifiedTelephonyJSON `json:"telephony,omitempty"`
	Meeting   *unifiedMeetingJSON   `json:"meeting,omitempty"`
}

type unifiedGlipJSON struct {
	Status       string `json:"status"`
	Visibility   string `json:"visibility,omitempty"`
	Availability string `json:"availability"`
}

type unifiedTelephonyJSON struct {
	Status       string `json:"status"`
	Visibility   string `json:"visibility,omitempty"`
	Availability string `json:"availability,omitempty"`
}

type unifiedMeetingJSON struct {
	Status string `json:"status"`
}

// Unified presence values that differ from the legacy presence API.
const (
	unifiedDND           = "DND"
	unifiedVisible       = "Visible"
	unifiedInvisible     = "Invisible"
	unifiedNoQueueCalls  = "DoNotAcceptQueueCalls"
	unifiedGlipOnline    = "Online"
	unifiedInMeeting     = "InMeeting"
	unifiedNoMeeting     = "NoMeeting"
	unifiedGlipAvailable = "Available"
)

// unifiedStatus derives the overall status: DND, then Offline, then Busy
// (set busy or on a call), else Available.
func unifiedStatus(p *Presence) string {
	switch {
	case p.DoNotDisturb():
		return unifiedDND
	case p.UserStatus == StatusOffline:
		return StatusOffline
	case p.UserStatus == StatusBusy, p.TelephonyStatus() != TelNoCall:
		return StatusBusy
	}
	return StatusAvailable
}

// unifiedPresence renders ext's unified presence as the caller sees it.
func (c *restCall) unifiedPresence(ext *Extension) unifiedPresenceJSON {
	p := &ext.Presence
	if !ext.HasPresence() || (!c.mayActFor(ext) && !p.AllowSeeMyPresence) {
		return unifiedPresenceJSON{Status: StatusOffline}
	}
	out := unifiedPresenceJSON{
		Status:    unifiedStatus(p),
		Glip:      &unifiedGlipJSON{Status: unifiedGlipOnline, Availability: unifiedGlipAvailable},
		Telephony: &unifiedTelephonyJSON{Status: p.TelephonyStatus(), Availability: unifiedAvailability(ext)},
		Meeting:   &unifiedMeetingJSON{Status: unifiedNoMeeting},
	}
	if p.UserStatus == StatusOffline {
		out.Glip.Status = StatusOffline
	}
	if p.GlipDND {
		out.Glip.Availability = unifiedDND
	}
	if p.MeetingStatus == MeetingConnected {
		out.Meeting.Status = unifiedInMeeting
	}
	if ext == c.caller {
		out.Glip.Visibility = visibility(p.UserStatus != StatusOffline)
		out.Telephony.Visibility = visibility(p.AllowSeeMyPresence)
	}
	return out
}

func visibility(visible bool) string {
	if visible {
		return unifiedVisible
	}
	return unifiedInvisible
}

// telephonyAvailability maps dndStatus to unified presence's names; the
// read-only Unknown has none.
func telephonyAvailability(dnd string) string {
	switch dnd {
	case DNDTakeAll, DNDDepartmentOnly:
		return DNDTakeAll
	case DNDNoCalls:
		return DNDNoCalls
	case DNDNoDepartment:
		return unifiedNoQueueCalls
	}
	return ""
}

// readUnifiedPresence serves GET .../extension/{extensionId}/unified-presence;
// several comma-separated ids give the 207 JSON array the SPEC declares.
func readUnifiedPresence(c *restCall) (reply, *apiError) {
	ids := strings.Split(c.r.PathValue("extensionId"), ",")
	if len(ids) == 1 {
		ext, err := c.extension(ids[0])
		if err != nil {
			return reply{}, err
		}
		return okJSON(c.unifiedPresence(ext))
	}
	if len(ids) > maxBatchIDs {
		return reply{}, errBatchLimit()
	}
	return batchJSON(c.batch(ids, "/unified-presence", func(ext *Extension) any { return c.unifiedPresence(ext) }))
}

// unifiedUpdate is UpdateUnifiedPresence.
type unifiedUpdate struct {
	Glip *struct {
		Visibility   *string `json:"visibility"`
		Availability *string `json:"availability"`
	} `json:"glip"`
	Telephony *struct {
		Availability *string `json:"availability"`
	} `json:"telephony"`
}

// updateUnifiedPresence serves PATCH .../extension/{extensionId}/unified-presence
// for the caller's own extension, mapped onto the legacy presence fields.
func updateUnifiedPresence(c *restCall) (reply, *apiError) {
	ext, err := c.pathExtension()
	if err != nil {
		return reply{}, err
	}
	if ext != c.caller {
		return reply{}, errOtherExtension()
	}
	var req unifiedUpdate
	if err := c.decode(&req, false); err != nil {
		return reply{}, err
	}
	var u PresenceUpdate
	if g := req.Glip; g != nil {
		if v := g.Visibility; v != nil {
			switch *v {
			case unifiedInvisible:
				u.UserStatus = ptr(StatusOffline)
			case unifiedVisible:
				if ext.Presence.UserStatus == StatusOffline {
					u.UserStatus = ptr(StatusAvailable)
				}
			default:
				return reply{}, errInvalidValue("glip.visibility", *v)
			}
		}
		if v := g.Availability; v != nil {
			if !oneOf(*v, unifiedGlipAvailable, unifiedDND) {
				return reply{}, errInvalidValue("glip.availability", *v)
			}
			u.GlipDND = ptr(*v == unifiedDND)
		}
	}
	if t := req.Telephony; t != nil && t.Availability != nil {
		tu, ok := unifiedTelephonyChange(ext, *t.Availability)
		if !ok {
			return reply{}, errInvalidValue("telephony.availability", *t.Availability)
		}
		u.DNDStatus, u.DNDStatusPersonal, u.AcceptCallQueueCalls = tu.DNDStatus, tu.DNDStatusPersonal, tu.AcceptCallQueueCalls
	}
	if err := c.applyPresence(ext, u); err != nil {
		if err.Extra["parameterName"] == "dndStatus" {
			err = errInvalidValue("telephony.availability", *req.Telephony.Availability)
		}
		return reply{}, err
	}
	return okJSON(c.unifiedPresence(ext))
}
