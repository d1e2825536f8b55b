package emulator

import (
	"net/http"
	"strings"
)

// The party state machine of Call Control (rc-api.md §6.2): each operation
// checks the party's status (409 otherwise), changes the telephony (legs
// and parties, in one Tx), and tells the driver so the simulated people
// and callers carry on from there. The REST handlers and the control API
// both call these.

// errConflict is 409 for a party in the wrong state. RingCentral's code for
// it is not documented (rc-api.md §8.14); the logical name follows the
// style of InvalidMultipartRequest.
func errConflict(message string) *apiError {
	return &apiError{Status: http.StatusConflict, Code: "InvalidPartyState", Message: message,
		Extra: map[string]string{"parameterName": "partyId"}}
}

func errWrongState(pt *callParty, action string) *apiError {
	return errConflict("Cannot " + action + " a party in status [" + pt.Status + "]")
}

// notify tells the driver; false when nobody drives the call.
func (t *switchboard) notify(tx *Tx, ev controlEvent) bool {
	if t.driver == nil {
		return false
	}
	t.driver.controlled(tx, ev)
	return ev.sess.call != nil
}

// controllable reports whether pt is a user's party with a phone leg: only
// those can be answered, held, transferred or parked.
func controllable(pt *callParty) bool {
	return pt.leg != nil && pt.Ext != nil && pt.Ext.Type == TypeUser
}

// holdOthers puts ext's other connected calls on hold, as a phone does
// when it answers or resumes another one.
func (t *switchboard) holdOthers(tx *Tx, ext *Extension, except *callParty) {
	for _, l := range append([]*Leg(nil), ext.Presence.Legs...) {
		if l.Status != TelConnected || l.party == nil || l.party == except {
			continue
		}
		tx.SetLegStatus(ext, l, TelOnHold)
		t.notify(tx, controlEvent{kind: ctlHeld, sess: l.party.sess, party: l.party})
	}
}

// connected brings the rest of the call up once pt answers: the queue hands
// the call over (AgentAnswered), the caller and a colleague who dialled
// are connected.
func (t *switchboard) connected(tx *Tx, pt *callParty) {
	s := pt.sess
	if s.waiting() {
		t.leaveQueue(tx, s, ReasonAgentAnswered)
	}
	for _, o := range s.Parties {
		if o == pt || !o.live() || !o.ringing() {
			continue
		}
		switch {
		case o.leg != nil && o.Direction == "Outbound":
			tx.SetLegStatus(o.Ext, o.leg, TelConnected)
		case o.leg == nil && o.Ext == nil:
			tx.setParty(o, PartyAnswered, "")
		}
	}
}

// answer connects a ringing party on one of its owner's devices.
func (t *switchboard) answer(tx *Tx, pt *callParty, dev Device) *apiError {
	if !controllable(pt) || pt.Direction != "Inbound" || !pt.ringing() {
		return errWrongState(pt, "answer")
	}
	t.holdOthers(tx, pt.Ext, pt)
	pt.To.DeviceID = dev.ID
	tx.SetLegStatus(pt.Ext, pt.leg, TelConnected)
	t.connected(tx, pt)
	t.notify(tx, controlEvent{kind: ctlAnswered, sess: pt.sess, party: pt})
	return nil
}

// hold puts an answered party on hold.
func (t *switchboard) hold(tx *Tx, pt *callParty) *apiError {
	if !controllable(pt) || pt.Status != PartyAnswered {
		return errWrongState(pt, "hold")
	}
	tx.SetLegStatus(pt.Ext, pt.leg, TelOnHold)
	t.notify(tx, controlEvent{kind: ctlHeld, sess: pt.sess, party: pt})
	return nil
}

// unhold takes a party off hold (holding the owner's other connected call).
func (t *switchboard) unhold(tx *Tx, pt *callParty) *apiError {
	if !controllable(pt) || pt.Status != PartyHold {
		return errWrongState(pt, "unhold")
	}
	t.holdOthers(tx, pt.Ext, pt)
	tx.SetLegStatus(pt.Ext, pt.leg, TelConnected)
	t.notify(tx, controlEvent{kind: ctlUnheld, sess: pt.sess, party: pt})
	return nil
}

// targetKind is where a transfer or forward sends the call.
type targetKind uint8

const (
	toUser targetKind = iota
	toQueue
	toPark
	toVoicemail
	toOutside
)

// transferTarget is a resolved TransferTarget or ForwardTarget.
type transferTarget struct {
	kind   targetKind
	ext    *Extension // the user, queue, park location or mailbox
	orbit  string     // toPark without ext: a universal orbit *8xx
	number string     // toOutside
}

// transfer blind-transfers an answered or held party: it leaves the call
// (Disconnected, BlindTransfer) and the call goes to the target, with the
// same caller, in the same session. A transfer to a park orbit parks the
// party instead.
func (t *switchboard) transfer(tx *Tx, pt *callParty, tg transferTarget) *apiError {
	if !controllable(pt) || pt.Status != PartyAnswered && pt.Status != PartyHold {
		return errWrongState(pt, "transfer")
	}
	if tg.kind == toPark {
		return t.park(tx, pt, tg)
	}
	t.move(tx, pt, tg)
	return nil
}

// forward sends a ringing inbound party's call elsewhere before anyone
// answers it (out of the queue, if it was a queue call).
func (t *switchboard) forward(tx *Tx, pt *callParty, tg transferTarget) *apiError {
	if !controllable(pt) || pt.Direction != "Inbound" || !pt.ringing() {
		return errWrongState(pt, "forward")
	}
	if pt.sess.waiting() && tg.kind != toQueue {
		t.leaveQueue(tx, pt.sess, ReasonCallRedirected)
	}
	t.move(tx, pt, tg)
	return nil
}

// move ends pt (BlindTransfer) and sends its call to tg.
func (t *switchboard) move(tx *Tx, pt *callParty, tg transferTarget) {
	s := pt.sess
	from := s.remote(pt)
	tx.endParty(pt, ReasonBlindTransfer)
	ev := controlEvent{kind: ctlTransferred, sess: s, party: pt}
	switch tg.kind {
	case toUser:
		if takesCalls(tg.ext) {
			ev.next = t.ringUser(tx, s, tg.ext, ringSpec{from: from})
		} else {
			ev.next = t.toVoicemail(tx, s, tg.ext)
		}
	case toQueue:
		if t.queueFull(tg.ext.Queue) { // maxCallersAction: its voicemail
			ev.next = t.toVoicemail(tx, s, tg.ext)
			break
		}
		t.enterQueue(tx, s, tg.ext.Queue)
		ev.queue = tg.ext.Queue
	case toVoicemail:
		ev.next = t.toVoicemail(tx, s, tg.ext)
	case toOutside:
		ev.next = t.outside(tx, s, from, tg.number, "")
	}
	if t.notify(tx, ev) {
		return
	}
	// Nobody plays the far ends: a voicemail greeting ends the call, an
	// outside number answers at once.
	switch {
	case ev.next != nil && ev.next.Status == PartyVoiceMail:
		t.hangUp(tx, s, nil, "")
	case tg.kind == toOutside:
		tx.setParty(ev.next, PartyAnswered, "")
	}
}

// park parks an answered or held inbound party (RingCentral lets users
// park only their own incoming calls): in the first free universal orbit
// (*801-*899), the orbit given, or a Park Location.
func (t *switchboard) park(tx *Tx, pt *callParty, tg transferTarget) *apiError {
	if !controllable(pt) || pt.Status != PartyAnswered && pt.Status != PartyHold {
		return errWrongState(pt, "park")
	}
	if pt.Direction != "Inbound" {
		return errConflict("Only incoming calls can be parked")
	}
	if ae := t.parkAt(tx, pt, tg.ext, tg.orbit); ae != nil {
		return ae
	}
	t.notify(tx, controlEvent{kind: ctlParked, sess: pt.sess, party: pt})
	return nil
}

// pickup takes a parked call to dev: the parked party leaves (Disconnected,
// Pickup) and a new party of dev's owner joins, Answered on dev.
func (t *switchboard) pickup(tx *Tx, pt *callParty, dev Device) (*callParty, *apiError) {
	if pt.Status != PartyParked {
		return nil, errWrongState(pt, "pick up")
	}
	s := pt.sess
	from := s.remote(pt)
	tx.endParty(pt, ReasonPickup)
	np := t.connectUser(tx, s, dev, from)
	t.notify(tx, controlEvent{kind: ctlPickedUp, sess: s, party: pt, next: np})
	return np, nil
}

// connectUser adds an answered party of dev's owner to s, talking to from.
func (t *switchboard) connectUser(tx *Tx, s *callSession, dev Device, from partyEnd) *callParty {
	who := dev.Ext
	t.holdOthers(tx, who, nil)
	l := t.p.NewLeg(s.ID, "Inbound")
	l.Start = tx.Now()
	l.From, l.FromName, l.To, l.ToName = from.PhoneNumber, from.Name, who.Phone, who.Name
	l.Status = TelConnected
	np := l.party
	np.From = from
	np.To = partyEnd{PhoneNumber: who.Phone, Name: who.Name, ExtensionID: who.IDString(), DeviceID: dev.ID}
	tx.AddLeg(who, l)
	return np
}

// ignore stops a queue call ringing an agent: the agent's party leaves and
// the call stays in the queue for the next agent.
func (t *switchboard) ignore(tx *Tx, pt *callParty) *apiError {
	if !controllable(pt) || !pt.ringing() || !pt.sess.waiting() {
		return errWrongState(pt, "ignore")
	}
	pt.Missed = true
	tx.endParty(pt, ReasonRejected)
	t.notify(tx, controlEvent{kind: ctlIgnored, sess: pt.sess, party: pt, queue: pt.sess.Queue})
	return nil
}

// drop ends the whole call for everyone in it; by is the party that hung
// up, nil when the session was dropped.
func (t *switchboard) drop(tx *Tx, s *callSession, by *callParty) {
	t.hangUp(tx, s, by, "")
	t.notify(tx, controlEvent{kind: ctlDropped, sess: s, party: by})
}

// resolveTarget reads a transfer or forward target from the directory.
// what is the body field it came from, for the 400 naming it.
func (p *Platform) resolveTarget(what, value string, from *Extension) (transferTarget, *apiError) {
	bad := func() (transferTarget, *apiError) { return transferTarget{}, errInvalidValue(what, value) }
	byID := func(v string) *Extension {
		e, ok := p.lookupExtension(v, nil)
		if !ok || v == "~" {
			return nil
		}
		return e
	}
	var ext *Extension
	switch what {
	case "extensionNumber":
		ext = p.dir.ByNumber[value]
	case "extensionId":
		ext = byID(value)
	case "voicemail":
		ext = byID(value)
		if ext == nil || ext.Type != TypeUser {
			return bad()
		}
		return transferTarget{kind: toVoicemail, ext: ext}, nil
	case "parkOrbit":
		if validOrbit(value) {
			return transferTarget{kind: toPark, orbit: value}, nil
		}
		ext = byID(value)
		if ext == nil || ext.Type != TypeParkLocation {
			return bad()
		}
		return transferTarget{kind: toPark, ext: ext}, nil
	case "phoneNumber":
		// "+1<main>*104" still reaches extension 104 (rc-api.md §6.2).
		if main, ext, ok := strings.Cut(value, "*"); ok {
			if main != p.dir.MainNumber {
				return bad()
			}
			return p.resolveTarget("extensionNumber", ext, from)
		}
		if value == p.dir.MainNumber {
			ext = p.dir.Receptionist
			break
		}
		for _, e := range p.dir.Extensions {
			if e.Type == TypeUser && e.Phone == value {
				ext = e
			}
		}
		if ext == nil {
			if !looksLikePhoneNumber(value) {
				return bad()
			}
			return transferTarget{kind: toOutside, number: value}, nil
		}
	}
	if ext == nil || ext == from {
		return bad()
	}
	switch ext.Type {
	case TypeUser:
		return transferTarget{kind: toUser, ext: ext}, nil
	case TypeDepartment:
		return transferTarget{kind: toQueue, ext: ext}, nil
	case TypeParkLocation:
		return transferTarget{kind: toPark, ext: ext}, nil
	}
	return bad()
}

// looksLikePhoneNumber accepts E.164: a plus and 7 to 15 digits.
func looksLikePhoneNumber(s string) bool {
	if len(s) < 8 || len(s) > 16 || s[0] != '+' {
		return false
	}
	for _, c := range s[1:] {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}
