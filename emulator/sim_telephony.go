package emulator

import "time"

// The call centre as the switchboard's driver: when a client acts on a
// call (answers, holds, transfers, parks, picks up, ignores, hangs up),
// the simulated people and callers carry on from the new state. The call
// centre then plays only the far ends for that call's user: a caller put
// on hold hangs up if left there long, a caller talking to a client hangs
// up when their talk is over, a colleague a call is transferred to
// answers, declines or lets it ring to voicemail.

// controlled is callDriver: under Platform.mu, inside the client's Tx.
func (cc *callCentre) controlled(tx *Tx, ev controlEvent) {
	prev := cc.tx
	cc.tx = tx
	cc.clock = max(cc.clock, cc.wall())
	defer func() {
		cc.tx = prev
		if cc.poke != nil {
			cc.poke()
		}
	}()
	c := ev.sess.call
	if c == nil || c.state == callEnded {
		// A call the control API made, or one nobody drove: take it on
		// as it stands now.
		cc.adopt(ev.sess)
		return
	}
	m := &cc.model
	switch ev.kind {
	case ctlAnswered:
		c.attended, c.suspended, c.state = true, false, callTalking
		if !c.answered && c.fromOutside() {
			cc.p.stats.Sim.CallsAnswered++
		}
		c.answered = true
		cc.drawTalk(c)
		cc.planTalk(c)
	case ctlHeld:
		if c.state == callTalking {
			c.talkLeft += time.Duration(max(0, c.segEnd-cc.now()))
		}
		c.attended, c.suspended, c.state = true, false, callOnHold
		c.next = stepHangUp
		cc.schedule(c, m.holdPatience.draw(cc.rng), evTalk)
	case ctlUnheld:
		c.attended, c.suspended, c.state = true, false, callTalking
		if c.talkLeft <= 0 {
			c.talkLeft = m.shortTalk.draw(cc.rng)
		}
		cc.planTalk(c)
	case ctlTransferred:
		cc.transferred(c, ev)
	case ctlParked:
		if !c.fromOutside() || ev.party.leg != c.leg {
			// A colleague parked on a call between colleagues: the one
			// left waiting hangs up after a while unless it is picked up.
			c.attended, c.next = true, stepHangUp
			cc.schedule(c, m.parkTime.draw(cc.rng), evTalk)
			return
		}
		c.attended, c.lastParked, c.state = true, true, callParked
		cc.p.stats.Sim.CallsParked++
		cc.schedule(c, m.parkTime.draw(cc.rng), evParkEnd)
	case ctlPickedUp:
		cc.untrack(c, ev.party)
		who := cc.people[ev.next.Ext]
		cc.setSide(c, ev.party, who, ev.next.leg)
		cc.track(c, who, ev.next.leg)
		c.attended, c.suspended, c.state = true, false, callTalking
		c.talkLeft += m.shortTalk.draw(cc.rng)
		cc.planTalk(c)
	case ctlIgnored:
		cc.untrack(c, ev.party)
		cc.setSide(c, ev.party, nil, nil)
		c.missed = cc.people[ev.party.Ext]
		if !c.fromOutside() || c.line == nil {
			return // a call between colleagues a client put in a queue: theirs to route
		}
		if c.gaveUp {
			cc.abandoned(c)
			return
		}
		cc.route(c, true)
	case ctlDropped:
		for _, pt := range ev.sess.Parties {
			cc.untrack(c, pt)
		}
		c.state = callEnded
		c.gen++
	}
}

// transferred carries on a call a client transferred or forwarded: the
// target rings (and the simulated colleague answers, declines, or lets it
// go to voicemail), the call waits in a queue, a caller leaves a message,
// or an outside number talks.
func (cc *callCentre) transferred(c *phoneCall, ev controlEvent) {
	m := &cc.model
	cc.p.stats.Sim.CallsTransferred++
	c.transfers++
	c.lastParked, c.attended, c.suspended = false, false, false
	c.gen++
	cc.untrack(c, ev.party)
	if !c.fromOutside() {
		// A call between colleagues: whoever is left hangs up after a while.
		cc.setSide(c, ev.party, nil, nil)
		c.attended, c.next = true, stepHangUp
		cc.schedule(c, m.shortTalk.draw(cc.rng), evTalk)
		return
	}
	c.who, c.leg = nil, nil
	next := ev.next
	switch {
	case ev.queue != nil:
		c.kind, c.line, c.missed, c.gaveUp = queueCall, cc.lineOf(ev.queue), nil, false
		cc.after(m.queuePatience.draw(cc.rng), event{kind: evAbandon, c: c})
		cc.route(c, false)
	case next != nil && next.leg != nil:
		who := cc.people[next.Ext]
		busy := len(who.ext.Presence.Legs) > 1
		c.who, c.leg, c.state = who, next.leg, callRinging
		cc.track(c, who, next.leg)
		chance := m.answerFree
		switch {
		case busy && !cc.canHoldOthers(who):
			chance = 0
		case busy:
			chance = m.answerBusy
		}
		cc.ring(c, who, chance, m.directRing)
	case next != nil && next.Status == PartyVoiceMail:
		cc.p.stats.Sim.Voicemails++
		cc.leaveMessage(c)
	case next != nil:
		// An outside number picks up and talks to the caller.
		cc.tx.setParty(next, PartyAnswered, "")
		c.state, c.attended, c.next = callTalking, true, stepHangUp
		cc.schedule(c, m.talk.draw(cc.rng), evTalk)
	default:
		cc.finish(c)
	}
}

// setSide puts who (on leg l) where pt was in c: the callee of a call
// between colleagues, or the user of any other call.
func (cc *callCentre) setSide(c *phoneCall, pt *callParty, who *person, l *Leg) {
	if pt.leg != nil && pt.leg == c.peerLeg {
		c.peer, c.peerLeg = who, l
		return
	}
	c.who, c.leg = who, l
}

// untrack forgets pt's leg as one of c's, and lets its owner's held call
// come back if the simulation plays them.
func (cc *callCentre) untrack(c *phoneCall, pt *callParty) {
	if pt == nil || pt.leg == nil || cc.calls[pt.leg] != c {
		return
	}
	delete(cc.calls, pt.leg)
	if who := cc.people[pt.Ext]; who != nil {
		cc.reindex(who)
		cc.resumeSuspended(who)
	}
}

// lineOf is q's routing line.
func (cc *callCentre) lineOf(q *Queue) *queueLine {
	for _, l := range cc.lines {
		if l.q == q {
			return l
		}
	}
	return nil
}

// adopt takes on a call from outside the simulation did not make (the
// control API's): a caller waiting in a queue waits, abandons, or is
// offered to agents; a ringing user answers or not; a caller talking,
// held or parked hangs up in the end (or is picked up from park).
func (cc *callCentre) adopt(s *callSession) {
	if s.Caller == nil || !s.Caller.live() {
		return // only calls from outside callers have someone to play
	}
	m := &cc.model
	c := &phoneCall{kind: directCall, party: caller{number: s.Caller.From.PhoneNumber, name: s.Caller.From.Name}}
	if s.Caller.To.PhoneNumber == cc.dir.MainNumber && s.Queue == nil {
		c.kind = mainLineCall
	}
	var up *callParty
	if ups := s.userParties(); len(ups) > 0 {
		up = ups[0]
	}
	switch {
	case s.waiting():
		c.kind, c.line = queueCall, cc.lineOf(s.Queue)
		cc.bind(c, s)
		cc.after(m.queuePatience.draw(cc.rng), event{kind: evAbandon, c: c})
		if up != nil && up.ringing() {
			who := cc.people[up.Ext]
			c.who, c.leg, c.state = who, up.leg, callRinging
			cc.track(c, who, up.leg)
			cc.ring(c, who, m.answerQueue, m.queueRing)
			return
		}
		cc.route(c, false)
	case up != nil:
		cc.bind(c, s)
		who := cc.people[up.Ext]
		c.who, c.leg = who, up.leg
		cc.track(c, who, up.leg)
		switch up.Status {
		case PartySetup, PartyProceeding:
			c.state = callRinging
			chance := m.answerFree
			if c.kind == mainLineCall {
				chance = m.answerMainLine
			}
			cc.ring(c, who, chance, m.directRing)
		case PartyAnswered:
			c.state, c.answered, c.attended = callTalking, true, true
			cc.drawTalk(c)
			cc.planTalk(c)
		case PartyHold:
			c.state, c.answered, c.attended = callOnHold, true, true
			cc.drawTalk(c)
			c.next = stepHangUp
			cc.schedule(c, m.holdPatience.draw(cc.rng), evTalk)
		case PartyParked:
			c.state, c.answered, c.lastParked, c.attended = callParked, true, true, true
			cc.drawTalk(c)
			cc.schedule(c, m.parkTime.draw(cc.rng), evParkEnd)
		}
	}
}
