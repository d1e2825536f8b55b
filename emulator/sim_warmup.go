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
	dir := "Inbound"
	if c.kind == outboundCall {
		dir = "Outbound"
	}
	l := cc.newLeg(c, dir)
	l.Start = time.Unix(0, cc.now()-int64(elapsed)).UTC()
	switch c.kind {
	case queueCall:
		l.From, l.FromName = c.party.number, c.party.name
		l.To, l.ToName = cc.dir.MainNumber, c.line.q.Ext.Name
		l.QueueCall, l.Queue = true, c.line.q
	case directCall:
		l.From, l.FromName = c.party.number, c.party.name
		l.To, l.ToName = who.ext.Phone, who.ext.Name
	case outboundCall:
		l.From, l.FromName = who.ext.Phone, who.ext.Name
		l.To, l.ToName = c.party.number, c.party.name
	}
	// Calls already up at start are not counted as offered or answered.
	c.leg, c.answered = l, true
	switch {
	case stage < 0.08:
		c.state = callRinging
		cc.addLeg(c, who, l)
		chance, ring := m.answerFree, m.directRing
		switch c.kind {
		case queueCall:
			chance, ring = m.answerQueue, m.queueRing
			cc.after(m.queuePatience.draw(cc.rng), event{kind: evAbandon, c: c})
		case outboundCall:
			chance = m.answerOutbound
		}
		cc.ring(c, chance, max(time.Second, ring-elapsed))
	case stage < 0.9:
		c.state, l.Status = callTalking, TelConnected
		cc.addLeg(c, who, l)
		c.talkLeft = talk - elapsed
		cc.planTalk(c)
	case stage < 0.98 || c.kind == outboundCall:
		c.state, l.Status = callOnHold, TelOnHold
		c.holds, c.talkLeft = 1, talk-elapsed
		cc.addLeg(c, who, l)
		cc.schedule(c, span{5 * time.Second, 40 * time.Second}.draw(cc.rng), evHoldEnd)
	default:
		c.state, l.Status, c.lastParked = callParked, TelParked, true
		c.talkLeft = talk - elapsed
		cc.addLeg(c, who, l)
		cc.schedule(c, span{5 * time.Second, 60 * time.Second}.draw(cc.rng), evParkEnd)
	}
}
