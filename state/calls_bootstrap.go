package state

import (
	"slices"
	"time"

	"github.com/rchud/rchud/rc"
)

// Starting mid-day: the call log's active calls say who waits in a queue
// since when and what is parked where; presence and reads of the sessions
// say what the call log cannot (whether a user's phone rings, talks or
// holds).
// Bootstrap replaces the picture of live calls with the call log's active
// calls, read at at (when the request was sent): sessions it does not list
// have ended, unless an event has touched them since. It keeps the counts
// (a waiting call that ended unseen makes them lower bounds). The call log
// says who waits in a queue since when and what is parked where, but not
// whether a user's phone rings, talks or holds: need lists the sessions to
// read (rc.Client.TelephonySession) and hand to AddSession, after
// SettleFromPresence has settled what presence can (Need lists what is
// left). Until then those parties show as connected, with Known false.
func (c *Calls) Bootstrap(records []rc.CallLogRecord, at time.Time) (need []string) {
	listed := map[string]bool{}
	c.BootstrapPage(records, at, listed)
	return c.FinishBootstrap(at, listed)
}

// BootstrapPage takes one page of the list of calls in progress read at
// at, noting the sessions it lists in listed: a long list goes page by
// page, so its records need not all be held at once. FinishBootstrap ends
// it.
func (c *Calls) BootstrapPage(records []rc.CallLogRecord, at time.Time, listed map[string]bool) {
	c.observe(at)
	c.prune(at)
	for i := range records {
		r := &records[i]
		if r.TelephonySessionID == "" || r.Result != "" && r.Result != rc.ResultInProgress {
			continue // cannot be placed, or over (the call log keeps ended calls a while)
		}
		if c.bootstrapRecord(r, at) {
			listed[r.TelephonySessionID] = true
		}
	}
	c.version++
}

// FinishBootstrap ends a list of the calls in progress read at at, whose
// pages listed the sessions in listed: the others have ended, unless an
// event has touched them since. It returns the sessions to read (Need).
func (c *Calls) FinishBootstrap(at time.Time, listed map[string]bool) (need []string) {
	for id, s := range c.sessions {
		if listed[id] {
			continue
		}
		if slices.ContainsFunc(s.parties, func(p *callParty) bool { return p.touched > stampOf(at) }) {
			continue // news newer than the list
		}
		for _, p := range slices.Clone(s.parties) {
			c.drop(p, at)
		}
		c.forget(s, at)
	}
	c.listed = true
	c.version++
	return c.Need()
}

// Need lists the sessions with a user's party whose state is a guess (from
// the call log, or from before a gap), to read and hand to AddSession.
// Presence settles many of them for free (SettleFromPresence).
func (c *Calls) Need() []string {
	var need []string
	for id, s := range c.sessions {
		if slices.ContainsFunc(s.parties, func(p *callParty) bool {
			return p.live() && !p.is(pfKnown) && p.ext != "" && !c.isQueue(p.ext)
		}) {
			need = append(need, id)
		}
	}
	slices.Sort(need)
	return need
}

// SettleFromPresence settles the guessed state of ext's parties from its
// detailed presence's activeCalls (telephonySessionId, partyId and
// telephonyStatus per call), which the mirror reads anyway: a party whose
// state came from an event or a read session is left alone (presence and
// session events are separate streams). True when it changed something.
func (c *Calls) SettleFromPresence(ext ID, calls []rc.ActiveCall, at time.Time) bool {
	changed := false
	for i := range calls {
		ac := &calls[i]
		s := c.sessions[ac.TelephonySessionID]
		if s == nil || ac.PartyID == "" {
			continue
		}
		p := s.party(ac.PartyID)
		if p == nil || p.is(pfKnown) || !p.live() || p.ext != ext {
			continue
		}
		var code word
		switch ac.TelephonyStatus {
		case "Ringing":
			code = wProceeding
		case "CallConnected":
			code = wAnswered
		case "OnHold":
			code = wHold
		case "ParkedCall":
			code = wParked
		default:
			continue // NoCall: its end comes as an event, or with the next bootstrap
		}
		since := p.since.time()
		if since.IsZero() {
			since = at
		}
		if ac.Direction == "Outbound" {
			p.set(pfInbound, false)
		}
		if ac.QueueCall {
			p.set(pfQueueCall, true)
			if qn := ac.QueueName(); qn != "" && p.queue() == "" {
				p.queueName = c.queueNameOf(c.keepQueueName("", qn))
			}
		}
		p.set(pfKnown, true)
		c.setCode(p, code, wNone, since)
		p.rebase()
		c.index(p)
		changed = true
	}
	if changed {
		c.version++
	}
	return changed
}

// bootstrapRecord takes one record's live legs; false when none is live.
func (c *Calls) bootstrapRecord(r *rc.CallLogRecord, at time.Time) bool {
	legs := r.Legs
	if len(legs) == 0 && r.PartyID != "" {
		// Simple view: the record is its party's only leg.
		legs = []rc.CallLogLeg{{
			TelephonySessionID: r.TelephonySessionID, PartyID: r.PartyID, StartTime: r.StartTime,
			Direction: r.Direction, Action: r.Action, Result: r.Result, From: r.From, To: r.To, Extension: r.Extension,
		}}
	}
	var take []*rc.CallLogLeg
	e, _ := c.endedOf(r.TelephonySessionID)
	viaQueue := c.isQueue(ID(r.To.ExtensionID))
	for i := range legs {
		l := &legs[i]
		if l.PartyID == "" || l.Result != "" && l.Result != rc.ResultInProgress {
			continue
		}
		if c.isQueue(legOwner(l)) {
			viaQueue = true
		}
		if !c.follows(legOwner(l)) {
			continue // no event will say when it ends
		}
		if _, gone := e.last(r.TelephonySessionID, l.PartyID); gone {
			continue // we saw it leave; the call log lags
		}
		take = append(take, l)
	}
	if len(take) == 0 {
		return false
	}
	c.deleteEnded(r.TelephonySessionID)
	s := c.session(r.TelephonySessionID)
	if !r.StartTime.IsZero() {
		s.start, s.serverStart = stampOf(r.StartTime.Time), true
	}
	inRecord := map[string]bool{}
	for _, l := range take {
		inRecord[l.PartyID] = true
		p := s.party(l.PartyID)
		if p != nil && p.is(pfKnown) {
			if c.isQueue(p.ext) && !l.StartTime.IsZero() {
				p.joined = stampOf(l.StartTime.Time) // the server's word on when they entered
			}
			continue // an event said more than the call log can
		}
		if p == nil {
			p = s.newParty(l.PartyID)
		}
		c.fromLeg(p, l, r, viaQueue, at)
		p.rebase()
		c.index(p)
	}
	if c.accountWide && len(r.Legs) > 0 {
		// The company's record lists every party still in the call.
		for _, p := range slices.Clone(s.parties) {
			if !inRecord[p.partyID()] && p.touched <= stampOf(at) {
				c.drop(p, at)
			}
		}
	}
	return true
}

func legOwner(l *rc.CallLogLeg) ID {
	if l.Extension != nil {
		return ID(l.Extension.ID)
	}
	return ""
}

// fromLeg sets p from a call log leg: a queue's party waits, a park leg
// is parked, anyone else is taken to be connected until told.
func (c *Calls) fromLeg(p *callParty, l *rc.CallLogLeg, r *rc.CallLogRecord, viaQueue bool, at time.Time) {
	start := l.StartTime.Time
	if start.IsZero() {
		start = r.StartTime.Time
	}
	if start.IsZero() {
		start = at
	}
	p.ext = c.keepID(p.s, p.ext, legOwner(l))
	p.set(pfInbound, l.Direction != "Outbound")
	p.from = p.s.end(p.from, l.From.Name, l.From.PhoneNumber, l.From.ExtensionNumber)
	p.to = p.s.end(p.to, l.To.Name, l.To.PhoneNumber, l.To.ExtensionNumber)
	p.touched = stampOf(at)
	code := wAnswered
	p.set(pfKnown, false)
	switch {
	case c.isQueue(p.ext):
		code = wProceeding
		p.set(pfKnown, true)
	case l.LegType == "CallPark" || l.LegType == "ParkLocation" || l.Action == "Call Park" || l.Action == "Park Location":
		code = wParked
		p.set(pfKnown, true)
		if l.To.ExtensionID != "" {
			p.setPark(string(l.To.ExtensionID), "")
		} else {
			p.setPark("", l.To.PhoneNumber)
		}
		p.to = callEnd{}
	}
	if p.ext != "" && !c.isQueue(p.ext) && viaQueue {
		p.set(pfQueueCall, true)
		if q := ID(r.To.ExtensionID); c.isQueue(q) {
			p.queueName = c.queueNameOf(c.queues[q])
		}
	}
	if p.code != code {
		p.code, p.since = code, stampOf(start)
	}
	if p.joined == 0 || stampOf(start) < p.joined {
		p.joined = stampOf(start)
	}
}

// AddSession takes a session read at at (GET .../telephony/sessions/{id},
// which lists the parties still in the call), as Bootstrap asked. Parties
// an event has touched since at keep what the event said.
func (c *Calls) AddSession(rs rc.TelephonySession, at time.Time) {
	if rs.ID == "" {
		return
	}
	c.observe(at)
	e, _ := c.endedOf(rs.ID)
	s := c.sessions[rs.ID]
	if s == nil {
		live := slices.ContainsFunc(rs.Parties, func(p rc.CallParty) bool {
			_, gone := e.last(rs.ID, p.ID)
			return p.ID != "" && p.Live() && !gone && c.follows(ID(p.Extension()))
		})
		if !live {
			return
		}
		s = c.session(rs.ID)
	}
	if !rs.CreationTime.IsZero() {
		s.start, s.serverStart = stampOf(rs.CreationTime.Time), true
	}
	listed := map[string]bool{}
	for i := range rs.Parties {
		rp := &rs.Parties[i]
		if rp.ID == "" || !c.follows(ID(rp.Extension())) {
			continue // no event will say when it ends
		}
		listed[rp.ID] = true
		p := s.party(rp.ID)
		if p != nil && p.touched > stampOf(at) {
			continue
		}
		if p == nil {
			if _, gone := e.last(rs.ID, rp.ID); gone {
				continue
			}
			p = s.newParty(rp.ID)
		}
		c.fromParty(p, rp)
		if rp.QueueCall {
			p.set(pfQueueCall, true)
		}
		since := at
		switch {
		case !p.is(pfKnown) && p.since != 0:
			since = p.since.time() // the call log's start of its leg
		case p.code == wNone && c.isQueue(p.ext) && s.start != 0:
			since = s.start.time() // it has waited at least since the call began
		}
		p.set(pfKnown, true)
		p.touched = stampOf(at)
		c.setCode(p, c.wordOf(rp.Status.Code), c.wordOf(rp.Status.Reason), since)
		p.rebase()
		c.index(p)
	}
	for _, p := range slices.Clone(s.parties) {
		if !listed[p.partyID()] && p.live() && p.touched <= stampOf(at) {
			c.drop(p, at)
		}
	}
	if !s.anyLive() {
		c.forget(s, at)
	}
	c.version++
}
