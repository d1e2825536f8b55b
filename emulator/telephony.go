package emulator

import (
	"slices"
	"strconv"
	"strings"
	"time"
)

// Telephony sessions (rc-api.md §6): every call is a session with parties,
// one per endpoint: the outside caller, the call queue it waits in, each
// user whose phone rings or talks, a voicemail box, a number outside the
// account. A user's party and the leg presence shows for it are one thing
// seen twice: the leg's telephonySessionId and partyId name the party, and
// the Tx keeps the two in step (a leg's status change is the party's).

// Party status codes (SPEC CallStatusInfo.code).
const (
	PartySetup        = "Setup"
	PartyProceeding   = "Proceeding"
	PartyAnswered     = "Answered"
	PartyHold         = "Hold"
	PartyParked       = "Parked"
	PartyVoiceMail    = "VoiceMail"
	PartyDisconnected = "Disconnected"
	PartyGone         = "Gone"
)

// Party status reasons the emulator gives (SPEC CallStatusInfo.reason).
const (
	ReasonBlindTransfer  = "BlindTransfer"
	ReasonPickup         = "Pickup"
	ReasonAgentAnswered  = "AgentAnswered"
	ReasonNoAnswer       = "NoAnswer"
	ReasonRejected       = "Rejected"
	ReasonCancelled      = "Cancelled"
	ReasonCallRedirected = "CallRedirected"
	ReasonVoicemail      = "Voicemail"
	ReasonCallPark       = "CallPark"
)

// serverID is the TAM node named in telephony session events.
const serverID = "10.13.22.81.TAM"

// partyEnd is one side of a party as its from or to shows it (PartyInfo).
type partyEnd struct {
	PhoneNumber string
	Name        string
	ExtensionID string
	DeviceID    string
}

// callParty is one party of a telephony session. Guarded by Platform.mu.
type callParty struct {
	ID        string
	sess      *callSession
	Ext       *Extension // the owner; nil for a party outside the account
	Direction string     // Inbound or Outbound
	From, To  partyEnd
	Status    string
	Reason    string
	Missed    bool
	QueueCall bool   // a user's party of a call that came through a queue
	Queue     *Queue // that queue (uiCallInfo)
	// ParkID and ParkData say where a Parked party is (park.id and
	// status.parkData); spot is the park slot it holds.
	ParkID, ParkData string
	spot             string
	parkedAt         time.Time
	leg              *Leg // the owner's presence leg, for a user's party
	added            bool
	sent             partyView // what the last event said
	sentAny          bool
}

// live reports whether the party is still in the call.
func (pt *callParty) live() bool {
	return pt.Status != PartyDisconnected && pt.Status != PartyGone
}

// ringing reports whether the party is an unanswered inbound party.
func (pt *callParty) ringing() bool {
	return pt.Status == PartySetup || pt.Status == PartyProceeding
}

// callSession is a telephony session. Guarded by Platform.mu.
type callSession struct {
	ID       string // telephonySessionId, "s-" and 32 hex digits
	LegacyID string // sessionId (the legacy id presence also shows)
	Origin   string
	Created  time.Time
	seq      int64
	nparty   int
	Parties  []*callParty // in the order they joined
	// Caller is the outside party of a call from outside the account.
	Caller *callParty
	// Queue and QueueParty are set while the call is (or was) in a call
	// queue; WaitStart is when it entered the queue.
	Queue      *Queue
	QueueParty *callParty
	WaitStart  time.Time
	// heldIn is the queue whose held list has the session.
	heldIn *Queue
	ended  bool
	// call is the simulation's call, when the simulation drives this one.
	call *phoneCall
}

// live returns the parties still in the call.
func (s *callSession) live() []*callParty {
	var out []*callParty
	for _, pt := range s.Parties {
		if pt.live() {
			out = append(out, pt)
		}
	}
	return out
}

// party finds a party by id.
func (s *callSession) party(id string) *callParty {
	for _, pt := range s.Parties {
		if pt.ID == id {
			return pt
		}
	}
	return nil
}

// waiting reports whether the call waits in a queue: its queue party is
// live (no agent has answered yet; one may be ringing).
func (s *callSession) waiting() bool {
	return s.QueueParty != nil && s.QueueParty.live()
}

// remote is whom a new party of the session talks to: the outside caller,
// or for a call between users the user other than pt.
func (s *callSession) remote(not *callParty) partyEnd {
	if s.Caller != nil {
		return partyEnd{PhoneNumber: s.Caller.From.PhoneNumber, Name: s.Caller.From.Name}
	}
	for _, pt := range s.Parties {
		if pt != not && pt.Ext != nil && pt.Ext.Type == TypeUser && pt.live() {
			return partyEnd{PhoneNumber: pt.Ext.Number, Name: pt.Ext.Name, ExtensionID: pt.Ext.IDString()}
		}
	}
	if not != nil {
		if not.Direction == "Inbound" {
			return not.From
		}
		return not.To
	}
	return partyEnd{}
}

// userParties returns the live parties of users (those with a leg).
func (s *callSession) userParties() []*callParty {
	var out []*callParty
	for _, pt := range s.Parties {
		if pt.live() && pt.leg != nil {
			out = append(out, pt)
		}
	}
	return out
}

// switchboard is the platform's telephony: the live sessions, the park
// slots, the queues' daily counts, call-control faults, and the driver
// (the simulation) that plays the people and callers. Guarded by
// Platform.mu.
type switchboard struct {
	p        *Platform
	sessions map[string]*callSession
	parked   map[string]*callParty // park slot -> the parked party
	days     map[*Queue]*queueDay
	// held lists, per queue, the sessions that entered it and may still
	// wait there (pruned by holding).
	held   map[*Queue][]*callSession
	faults []CallControlFault
	driver callDriver
	// spare is a Tx's party log, kept for the next Tx: a busy floor
	// commits thousands of Txs a second.
	spare []partyEvent
}

func newSwitchboard(p *Platform) *switchboard {
	return &switchboard{
		p:        p,
		sessions: map[string]*callSession{},
		parked:   map[string]*callParty{},
		days:     map[*Queue]*queueDay{},
		held:     map[*Queue][]*callSession{},
	}
}

// holding is how many callers wait in q now (their queue party is live,
// an agent may be ringing), pruning held of those that left.
func (t *switchboard) holding(q *Queue) int {
	list := t.held[q]
	n := 0
	for _, s := range list {
		if s.waiting() && s.Queue == q {
			list[n] = s
			n++
		} else if s.heldIn == q {
			s.heldIn = nil
		}
	}
	clear(list[n:])
	t.held[q] = list[:n]
	return n
}

// queueFull reports whether q holds as many callers as it may: a new
// caller gets its maxCallersAction (voicemail) instead.
func (t *switchboard) queueFull(q *Queue) bool {
	return t.holding(q) >= t.p.cfg.queueMaxCallers()
}

// callDriver is told of every call-control action a client takes, inside
// the Tx that made it, so that the simulated people and callers carry on
// from the new state (a transfer target decides whether to answer, a
// caller put on hold still hangs up in the end). Called under Platform.mu.
type callDriver interface {
	controlled(tx *Tx, ev controlEvent)
}

// controlKind is what a client did to a call.
type controlKind uint8

const (
	ctlAnswered controlKind = iota
	ctlHeld
	ctlUnheld
	ctlTransferred // to a user, a queue, voicemail or an outside number (Target says which)
	ctlParked
	ctlPickedUp
	ctlIgnored
	ctlDropped
	ctlAdopt // a call the control API made, for the simulation to drive
)

// controlEvent describes one client action on a session.
type controlEvent struct {
	kind  controlKind
	sess  *callSession
	party *callParty // the party acted on
	// next is the party the call moved to (a ringing target, a picker,
	// a voicemail box, an outside number); nil when it moved nowhere.
	next *callParty
	// queue is set when the call went (back) into a queue.
	queue *Queue
}

// newSession registers a session with fresh ids (under mu).
func (t *switchboard) newSession(at time.Time) *callSession {
	return t.sessionWithID("s-"+t.p.newHex(32), at)
}

// sessionWithID registers a session under a given id.
func (t *switchboard) sessionWithID(id string, at time.Time) *callSession {
	s := &callSession{
		ID:       id,
		LegacyID: strconv.FormatInt(t.p.rng.Int64N(9e10)+1e10, 10),
		Origin:   "Call",
		Created:  at,
	}
	t.sessions[id] = s
	return s
}

// session returns the session tsid names, registering it if it is new or
// already over (a leg may name one the Tx has not seen).
func (t *switchboard) session(tsid string, at time.Time) *callSession {
	if tsid == "" {
		return t.newSession(at)
	}
	if s, ok := t.sessions[tsid]; ok && !s.ended {
		return s
	}
	return t.sessionWithID(tsid, at)
}

// newParty makes a party of s with the next party id; it joins the
// session when added (addParty or a leg's AddLeg).
func (s *callSession) newParty(direction string) *callParty {
	s.nparty++
	return &callParty{
		ID:        "p-" + strings.TrimPrefix(s.ID, "s-") + "-" + strconv.Itoa(s.nparty),
		sess:      s,
		Direction: direction,
		Status:    PartySetup,
	}
}

// lookup finds a live session.
func (t *switchboard) lookup(id string) (*callSession, bool) {
	s, ok := t.sessions[id]
	if !ok || s.ended {
		return nil, false
	}
	return s, true
}

// ordered returns the live sessions, oldest first.
func (t *switchboard) ordered() []*callSession {
	out := make([]*callSession, 0, len(t.sessions))
	for _, s := range t.sessions {
		if !s.ended {
			out = append(out, s)
		}
	}
	slices.SortFunc(out, func(a, b *callSession) int {
		if c := a.Created.Compare(b.Created); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return out
}

// --- Tx side: every change to a party goes through these -------------------

// partyEvent is a party's state at one moment of a Tx, to be sent as a
// telephony session event when the Tx commits.
type partyEvent struct {
	party *callParty
	view  partyView
	at    time.Time
}

// Now is the time of the Tx: the simulation's clock for its own changes,
// the platform clock otherwise.
func (tx *Tx) Now() time.Time {
	if !tx.now.IsZero() {
		return tx.now
	}
	return tx.p.now()
}

// logParty records the party's current state for the events of the Tx.
func (tx *Tx) logParty(pt *callParty) {
	if !pt.added {
		return
	}
	if tx.parties == nil {
		tx.parties, tx.p.tel.spare = tx.p.tel.spare[:0], nil
	}
	tx.parties = append(tx.parties, partyEvent{party: pt, view: pt.view(), at: tx.Now()})
}

// addParty makes pt a member of its session in its current status.
func (tx *Tx) addParty(pt *callParty) {
	if pt.added {
		return
	}
	pt.added = true
	pt.sess.Parties = append(pt.sess.Parties, pt)
	tx.logParty(pt)
}

// setParty moves a party to a status (with a reason) and logs it. A
// party that left the call never comes back.
func (tx *Tx) setParty(pt *callParty, status, reason string) {
	if !pt.live() {
		return
	}
	pt.Status, pt.Reason = status, reason
	if status != PartyParked {
		tx.p.tel.unpark(pt)
	}
	tx.logParty(pt)
}

// endParty takes a party out of the call: a user's leg ends (presence
// reports it NoCall/final) and the party is Disconnected with reason.
func (tx *Tx) endParty(pt *callParty, reason string) {
	if !pt.live() {
		return
	}
	pt.Reason = reason
	if pt.leg != nil && slices.Contains(pt.Ext.Presence.Legs, pt.leg) {
		tx.EndLeg(pt.Ext, pt.leg) // legEnded sets Disconnected
		return
	}
	tx.setParty(pt, PartyDisconnected, reason)
}

// partyStatusOf is the party status a leg's telephony status stands for.
func partyStatusOf(legStatus string) string {
	switch legStatus {
	case TelConnected:
		return PartyAnswered
	case TelOnHold:
		return PartyHold
	case TelParked:
		return PartyParked
	}
	return PartyProceeding
}

// legAdded is AddLeg's side of the party: the leg's party (made with the
// leg by NewLeg) joins the session as the extension's, in Setup and then
// in the leg's status.
func (tx *Tx) legAdded(ext *Extension, l *Leg) {
	pt := l.party
	if pt == nil {
		s := tx.p.tel.session(l.TelephonySessionID, tx.Now())
		pt = s.newParty(l.Direction)
		l.party, l.PartyID, l.TelephonySessionID = pt, pt.ID, s.ID
	}
	pt.Ext, pt.leg = ext, l
	pt.QueueCall, pt.Queue = l.QueueCall, l.Queue
	if pt.From == (partyEnd{}) && pt.To == (partyEnd{}) {
		me := ext.IDString()
		if l.Direction == "Outbound" {
			pt.From = partyEnd{PhoneNumber: l.From, Name: l.FromName, ExtensionID: me}
			pt.To = partyEnd{PhoneNumber: l.To, Name: l.ToName}
		} else {
			pt.From = partyEnd{PhoneNumber: l.From, Name: l.FromName}
			pt.To = partyEnd{PhoneNumber: l.To, Name: l.ToName, ExtensionID: me}
		}
	}
	pt.Status = PartySetup
	tx.addParty(pt)
	tx.setParty(pt, partyStatusOf(l.Status), "")
}

// legStatusSet is SetLegStatus's side of the party.
func (tx *Tx) legStatusSet(l *Leg) {
	if pt := l.party; pt != nil && pt.added {
		tx.setParty(pt, partyStatusOf(l.Status), "")
	}
}

// legEnded is EndLeg's side: the party is Disconnected with the reason
// it was given (endParty), unless it already left or went to voicemail.
func (tx *Tx) legEnded(l *Leg) {
	pt := l.party
	if pt == nil || !pt.added || pt.Status == PartyVoiceMail {
		return
	}
	tx.setParty(pt, PartyDisconnected, pt.Reason)
}

// commitTelephony sends the Tx's telephony session events, each with its
// session's next sequence, and retires sessions nobody is left in.
func (t *switchboard) commit(tx *Tx, stamp time.Time) {
	var touched []*callSession
	for _, ev := range tx.parties {
		pt := ev.party
		if pt.sentAny && pt.sent == ev.view {
			continue
		}
		pt.sent, pt.sentAny = ev.view, true
		s := pt.sess
		s.seq++
		t.p.hub.sessionEvent(s, pt.Ext, ev.view, s.seq, ev.at, stamp)
		if !slices.Contains(touched, s) {
			touched = append(touched, s)
		}
	}
	for _, s := range touched {
		if !s.ended && !slices.ContainsFunc(s.Parties, (*callParty).live) {
			s.ended = true
			delete(t.sessions, s.ID)
			s.call = nil
		}
	}
	if tx.parties != nil {
		clear(tx.parties)
		t.spare, tx.parties = tx.parties[:0], nil
	}
}

// --- Building blocks the call control and the simulation share ------------

// offerFromOutside starts a call from an outside number: a session whose
// first party is the caller's (Outbound from their number to toNumber).
func (t *switchboard) offerFromOutside(tx *Tx, number, name, toNumber, toName string, toExt *Extension) *callSession {
	s := t.newSession(tx.Now())
	c := s.newParty("Outbound")
	c.From = partyEnd{PhoneNumber: number, Name: name}
	c.To = partyEnd{PhoneNumber: toNumber, Name: toName}
	if toExt != nil {
		c.To.ExtensionID = toExt.IDString()
	}
	s.Caller = c
	tx.addParty(c)
	return s
}

// enterQueue puts the call in queue q: a party on the queue's extension
// in Setup, then Proceeding while the caller hears the queue's music; the
// caller's party is Answered (the queue took the call).
func (t *switchboard) enterQueue(tx *Tx, s *callSession, q *Queue) *callParty {
	if s.waiting() {
		t.leaveQueue(tx, s, ReasonCallRedirected)
	}
	qp := s.newParty("Inbound")
	qp.Ext = q.Ext
	qp.From = s.remote(nil)
	qp.To = partyEnd{PhoneNumber: t.p.dir.MainNumber, Name: q.Ext.Name, ExtensionID: q.Ext.IDString()}
	s.Queue, s.QueueParty, s.WaitStart = q, qp, tx.Now()
	if s.heldIn != q {
		t.holding(q) // keeps the list to the callers waiting
		s.heldIn = q
		t.held[q] = append(t.held[q], s)
	}
	tx.addParty(qp)
	tx.setParty(qp, PartyProceeding, "")
	if s.Caller != nil && s.Caller.live() && s.Caller.Status != PartyAnswered {
		s.Caller.To = partyEnd{PhoneNumber: t.p.dir.MainNumber, Name: q.Ext.Name, ExtensionID: q.Ext.IDString()}
		tx.setParty(s.Caller, PartyAnswered, "")
	}
	return qp
}

// leaveQueue ends the queue's party: AgentAnswered counts as answered
// today; a caller who hung up (or was hung up on) before any agent
// answered counts as abandoned; a redirect out of the queue as neither.
func (t *switchboard) leaveQueue(tx *Tx, s *callSession, reason string) {
	qp := s.QueueParty
	if qp == nil || !qp.live() {
		return
	}
	day := t.day(s.Queue, tx.Now())
	switch reason {
	case ReasonAgentAnswered:
		day.answered++
	case ReasonCallRedirected:
	default:
		day.abandoned++
		qp.Missed = true
	}
	tx.setParty(qp, PartyDisconnected, reason)
}

// ringSpec says how a user's party of a call rings.
type ringSpec struct {
	from             partyEnd
	toNumber, toName string
	queue            *Queue // a queue call: the leg shows the queue
}

// ringUser rings ext's phones for session s: an Inbound party with a
// ringing leg. The leg is returned for the caller to keep track of.
func (t *switchboard) ringUser(tx *Tx, s *callSession, ext *Extension, rs ringSpec) *callParty {
	l := t.p.NewLeg(s.ID, "Inbound")
	l.Start = tx.Now()
	l.From, l.FromName = rs.from.PhoneNumber, rs.from.Name
	l.To, l.ToName = rs.toNumber, rs.toName
	if l.To == "" {
		l.To, l.ToName = ext.Phone, ext.Name
	}
	l.Status = TelRinging
	if rs.queue != nil {
		l.QueueCall, l.Queue = true, rs.queue
	}
	pt := l.party
	pt.From = rs.from
	pt.To = partyEnd{PhoneNumber: l.To, Name: ext.Name, ExtensionID: ext.IDString()}
	tx.AddLeg(ext, l)
	return pt
}

// takesCalls is RingCentral's rule for a call to a user: full DND or an
// invisible (Offline) user sends it straight to voicemail.
func takesCalls(ext *Extension) bool {
	pr := &ext.Presence
	return ext.Type == TypeUser && !pr.DoNotDisturb() && pr.UserStatus != StatusOffline
}

// toVoicemail sends the call to ext's voicemail: a party on ext in
// VoiceMail while the caller leaves a message. Without a driver to end the
// message, it ends at once.
func (t *switchboard) toVoicemail(tx *Tx, s *callSession, ext *Extension) *callParty {
	vp := s.newParty("Inbound")
	vp.Ext = ext
	vp.From = s.remote(nil)
	vp.To = partyEnd{PhoneNumber: ext.Phone, Name: ext.Name, ExtensionID: ext.IDString()}
	tx.addParty(vp)
	tx.setParty(vp, PartyVoiceMail, ReasonVoicemail)
	if s.Caller != nil && s.Caller.live() && s.Caller.Status != PartyAnswered {
		tx.setParty(s.Caller, PartyAnswered, "")
	}
	return vp
}

// outside connects the call to a number outside the account: an Inbound
// party with no extension, ringing (Proceeding).
func (t *switchboard) outside(tx *Tx, s *callSession, from partyEnd, number, name string) *callParty {
	op := s.newParty("Inbound")
	op.From = from
	op.To = partyEnd{PhoneNumber: number, Name: name}
	tx.addParty(op)
	tx.setParty(op, PartyProceeding, "")
	return op
}

// hangUp ends every party still in the call; reason goes to by (the party
// that hung up), the others leave without one.
func (t *switchboard) hangUp(tx *Tx, s *callSession, by *callParty, reason string) {
	if s.waiting() {
		t.leaveQueue(tx, s, ReasonCancelled)
	}
	if by != nil {
		tx.endParty(by, reason)
	}
	for _, pt := range s.Parties {
		if pt.live() && pt != s.Caller {
			tx.endParty(pt, "")
		}
	}
	if s.Caller != nil {
		tx.endParty(s.Caller, "")
	}
}
