package emulator

import "time"

// warmUp puts a share of the users on calls that started in the recent
// past, so the screen is alive from the first second: most connected, some
// ringing, a few on hold or parked. Queue calls only go to members the
// routing rules allow. Runs once, inside begin's Tx.
func (cc *callCentre) warmUp() {
	m := &cc.model
	for _, who := range cc.users {
		if cc.rng.Float64() >= m.warmShare {
			continue
		}
		pr := &who.ext.Presence
		c := &phoneCall{who: who}
		var line *queueLine
		for _, s := range who.seats {
			if s.pos >= 0 {
				line = s.line
				break
			}
		}
		switch x := cc.rng.Float64(); {
		case line != nil && x < 0.6:
			c.kind, c.line = queueCall, line
		case !pr.DoNotDisturb() && pr.UserStatus != StatusOffline && x < 0.8:
			c.kind = directCall
		case pr.UserStatus != StatusOffline && !who.credentialed:
			c.kind = outboundCall
		default:
			continue
		}
		cc.warmCall(c)
	}
}

// warmCall starts c on c.who at a random point of its life.
func (cc *callCentre) warmCall(c *phoneCall) {
	m := &cc.model
	who := c.who
	talk := m.talk.draw(cc.rng)
	if c.kind == outboundCall {
		c.party = newCallee(cc.rng)
		talk = m.outboundTalk.draw(cc.rng)
	} else {
		c.party = newCaller(cc.rng)
	}
	elapsed := time.Duration(float64(talk) * (0.1 + 0.8*cc.rng.Float64()))
	stage := cc.rng.Float64()
	if stage < 0.08 {
		elapsed = span{0, 8 * time.Second}.draw(cc.rng)
	}
	start := time.Unix(0, cc.now()-int64(elapsed)).UTC()
	t, d := cc.p.tel, cc.dir
	var l *Leg
	switch c.kind {
	case queueCall:
		q := c.line.q
		cc.bind(c, t.offerFromOutside(cc.tx, c.party.number, c.party.name, d.MainNumber, q.Ext.Name, q.Ext))
		if stage < 0.08 {
			t.enterQueue(cc.tx, c.sess, q)
			c.sess.WaitStart = start
		} else {
			c.sess.Queue = q // answered before the start: no longer waiting
			cc.tx.setParty(c.sess.Caller, PartyAnswered, "")
		}
		l = t.ringUser(cc.tx, c.sess, who.ext, ringSpec{from: c.callerEnd(), toNumber: d.MainNumber, toName: q.Ext.Name, queue: q}).leg
	case directCall:
		cc.bind(c, t.offerFromOutside(cc.tx, c.party.number, c.party.name, who.ext.Phone, who.ext.Name, who.ext))
		l = t.ringUser(cc.tx, c.sess, who.ext, ringSpec{from: c.callerEnd()}).leg
		if stage >= 0.08 {
			cc.tx.setParty(c.sess.Caller, PartyAnswered, "")
		}
	case outboundCall:
		l = cc.dial(c, who.ext.Phone, c.party.number, c.party.name, nil)
		far := t.outside(cc.tx, c.sess, partyEnd{PhoneNumber: who.ext.Phone, Name: who.ext.Name}, c.party.number, c.party.name)
		if stage >= 0.08 {
			cc.tx.setParty(far, PartyAnswered, "")
		}
	}
	c.sess.Created = start
	l.Start = start
	// Calls already up at start are not counted as offered or answered.
	c.leg, c.answered, c.state = l, true, callRinging
	cc.track(c, who, l)
	if stage >= 0.08 && c.kind != outboundCall {
		l.party.To.DeviceID = cc.p.DeskPhone(who.ext).ID
	}
	switch {
	case stage < 0.08:
		chance, ring := m.answerFree, m.directRing
		switch c.kind {
		case queueCall:
			chance, ring = m.answerQueue, m.queueRing
			cc.after(m.queuePatience.draw(cc.rng), event{kind: evAbandon, c: c})
		case outboundCall:
			chance = m.answerOutbound
		}
		cc.ring(c, who, chance, max(time.Second, ring-elapsed))
	case stage < 0.9:
		c.state = callTalking
		cc.setStatus(who, l, TelConnected)
		c.talkLeft = talk - elapsed
		cc.planTalk(c)
	case stage < 0.98 || c.kind == outboundCall:
		c.state = callOnHold
		cc.setStatus(who, l, TelOnHold)
		c.holds, c.talkLeft = 1, talk-elapsed
		if c.attendedBy() {
			// On hold by a signed-in person: their client takes it off.
			c.next = stepHangUp
			cc.schedule(c, m.holdPatience.draw(cc.rng), evTalk)
		} else {
			cc.schedule(c, span{5 * time.Second, 40 * time.Second}.draw(cc.rng), evHoldEnd)
		}
	default:
		c.lastParked = true
		c.talkLeft = talk - elapsed
		if t.parkAt(cc.tx, l.party, nil, "") != nil {
			c.state = callTalking
			cc.setStatus(who, l, TelConnected)
			cc.planTalk(c)
			return
		}
		c.state = callParked
		cc.schedule(c, span{5 * time.Second, 60 * time.Second}.draw(cc.rng), evParkEnd)
	}
}
