package emulator

import (
	"slices"
	"time"
)

// callKind is where a call comes from; the first three are from outside
// callers (fromOutside relies on the order).
type callKind uint8

const (
	queueCall    callKind = iota // an outside caller through a call queue
	directCall                   // an outside caller dialling a user's number
	mainLineCall                 // an outside caller on the main number, ringing the receptionist
	outboundCall                 // a user calling an outside number
	internalCall                 // a user calling a colleague
)

type callState uint8

const (
	callWaiting   callState = iota // on hold in a queue: no phone rings, nothing in presence
	callRinging                    // a phone rings for it
	callTalking                    // connected
	callOnHold                     // connected, on hold
	callParked                     // in a park orbit
	callVoicemail                  // the caller is leaving a message
	callEnded
)

// talkStep is what a connected call does when its current talk segment ends.
type talkStep uint8

const (
	stepHangUp talkStep = iota
	stepHold
	stepTransfer
	stepPark
)

// phoneCall is one call the simulation drives: its telephony session and
// the decisions of the simulated people and callers in it. Guarded by
// Platform.mu.
type phoneCall struct {
	kind  callKind
	state callState
	gen   uint32
	party caller // the outside caller, or whom an outbound call dials
	tsid  string // the telephony session, shared by all legs of the call
	sess  *callSession
	line  *queueLine

	who *person // the user on the call: the agent, the callee, or who dialled out
	leg *Leg
	// peer is the colleague an internal call rings (who dialled).
	peer    *person
	peerLeg *Leg

	answered   bool
	voicemail  bool          // an internal call that reached the colleague's voicemail
	missed     *person       // the agent who last let this queue call ring out
	talkLeft   time.Duration // talk time still to come after the current segment
	segEnd     int64         // when the current talk segment ends
	next       talkStep
	holds      int
	transfers  int
	suspended  bool // held while its user talks on another call (call waiting)
	gaveUp     bool // the queue caller ran out of patience while a phone rang: they hang up if it rings out
	lastParked bool // parked since the last transfer: a holder parks a call at most once
	// attended: a client has acted on this call, or a signed-in person
	// has it. The simulation then plays only the far end (the caller hangs
	// up in the end) and never acts for the user.
	attended bool
}

// fromOutside reports whether an outside caller rang in (queue, direct or
// main line), as opposed to a user dialling.
func (c *phoneCall) fromOutside() bool { return c.kind <= mainLineCall }

// callerEnd is the outside caller as a party end.
func (c *phoneCall) callerEnd() partyEnd {
	return partyEnd{PhoneNumber: c.party.number, Name: c.party.name}
}

// newInboundCall draws the next call from outside: mostly to a queue, some
// to the main number, the rest to a user's direct number.
func (cc *callCentre) newInboundCall() *phoneCall {
	c := &phoneCall{party: newCaller(cc.rng)}
	m := &cc.model
	switch x := cc.rng.Float64(); {
	case x < m.queueShare && len(cc.lines) > 0:
		c.kind = queueCall
		c.line = cc.lines[cc.rng.IntN(len(cc.lines))]
	case x < m.queueShare+m.mainLineShare:
		c.kind = mainLineCall
		c.who = cc.people[cc.dir.Receptionist]
	default:
		c.kind = directCall
		c.who = cc.users[cc.rng.IntN(len(cc.users))]
	}
	return c
}

// offer brings a call from outside into the account: a telephony session
// with the caller's party, in a queue or ringing a user.
func (cc *callCentre) offer(c *phoneCall) {
	st := &cc.p.stats.Sim
	st.CallsOffered++
	t, d := cc.p.tel, cc.dir
	switch c.kind {
	case queueCall:
		q := c.line.q
		cc.bind(c, t.offerFromOutside(cc.tx, c.party.number, c.party.name, d.MainNumber, q.Ext.Name, q.Ext))
		if t.queueFull(q) {
			// maxCallersAction: the queue's voicemail takes the call.
			st.QueueFull++
			st.Voicemails++
			t.toVoicemail(cc.tx, c.sess, q.Ext)
			cc.leaveMessage(c)
			return
		}
		t.enterQueue(cc.tx, c.sess, q)
	case mainLineCall:
		cc.bind(c, t.offerFromOutside(cc.tx, c.party.number, c.party.name, d.MainNumber, d.Company, nil))
	default:
		cc.bind(c, t.offerFromOutside(cc.tx, c.party.number, c.party.name, c.who.ext.Phone, c.who.ext.Name, c.who.ext))
	}
	if c.kind != queueCall {
		cc.ringUser(c, c.who)
		return
	}
	st.QueueCalls++
	cc.after(cc.model.queuePatience.draw(cc.rng), event{kind: evAbandon, c: c})
	cc.route(c, false)
}

// bind makes c the simulation's call of session s.
func (cc *callCentre) bind(c *phoneCall, s *callSession) {
	c.sess, c.tsid = s, s.ID
	s.call = c
}

// route offers a queue call to the longest-idle eligible member; with none,
// or with callers already waiting ahead of it, the caller waits.
func (cc *callCentre) route(c *phoneCall, atFront bool) {
	if !atFront && c.line.firstWaiting() != nil {
		cc.enqueue(c)
		return
	}
	if who := cc.pick(c.line, c.missed); who != nil {
		cc.ringAgent(c, who)
		return
	}
	cc.enqueue(c)
}

// track files l as a leg of c on who's phone and keeps the routing index
// current.
func (cc *callCentre) track(c *phoneCall, who *person, l *Leg) {
	cc.calls[l] = c
	cc.reindex(who)
}

// dropLeg ends l on who's phone (NoCall/final; the party Disconnected with
// reason) and lets who's held call come back if this was the one they were
// talking on.
func (cc *callCentre) dropLeg(who *person, l *Leg, reason string) {
	if who == nil || l == nil {
		return
	}
	delete(cc.calls, l)
	if l.party != nil {
		cc.tx.endParty(l.party, reason)
	} else if slices.Contains(who.ext.Presence.Legs, l) {
		cc.tx.EndLeg(who.ext, l)
	}
	cc.reindex(who)
	cc.resumeSuspended(who)
}

func (cc *callCentre) setStatus(who *person, l *Leg, status string) {
	cc.tx.SetLegStatus(who.ext, l, status)
}

// ringAgent rings a queue call on an agent's phone.
func (cc *callCentre) ringAgent(c *phoneCall, who *person) {
	pt := cc.p.tel.ringUser(cc.tx, c.sess, who.ext, ringSpec{
		from: c.callerEnd(), toNumber: cc.dir.MainNumber, toName: c.line.q.Ext.Name, queue: c.line.q,
	})
	c.who, c.leg, c.state = who, pt.leg, callRinging
	cc.track(c, who, pt.leg)
	cc.p.stats.Sim.AgentRings++
	cc.ring(c, who, cc.model.answerQueue, cc.model.queueRing)
}

// ring has who pick the phone up after a few seconds with the given chance
// or, for a transferred call, now and then decline it; otherwise it rings
// out after ringOut. Nobody answers for a signed-in person: their calls
// ring until their client acts or the call rings out.
func (cc *callCentre) ring(c *phoneCall, who *person, chance float64, ringOut time.Duration) {
	m := &cc.model
	if who != nil && who.credentialed {
		chance = 0
	}
	switch {
	case cc.rng.Float64() < chance:
		cc.schedule(c, m.answerDelay.draw(cc.rng), evAnswer)
	case c.transfers > 0 && who != nil && !who.credentialed && cc.rng.Float64() < m.declineShare:
		cc.schedule(c, m.declineDelay.draw(cc.rng), evDecline)
	default:
		cc.schedule(c, ringOut, evNoAnswer)
	}
}

// takesDirectCalls is RingCentral's rule for a call to a user (full DND or
// invisible sends it to voicemail), plus the phone's line limit.
func (cc *callCentre) takesDirectCalls(who *person) bool {
	return !who.removed && takesCalls(who.ext) && len(who.ext.Presence.Legs) < cc.model.maxLegs
}

// ringUser rings a direct, main-line or transferred call on who's phone,
// even if who is on another call (call waiting).
func (cc *callCentre) ringUser(c *phoneCall, who *person) {
	if !cc.takesDirectCalls(who) {
		cc.p.stats.Sim.Voicemails++
		cc.voicemail(c, who)
		return
	}
	busy := len(who.ext.Presence.Legs) > 0
	rs := ringSpec{from: c.callerEnd()}
	if c.kind == mainLineCall && c.transfers == 0 {
		rs.toNumber, rs.toName = cc.dir.MainNumber, cc.dir.Company
	}
	pt := cc.p.tel.ringUser(cc.tx, c.sess, who.ext, rs)
	if s := c.sess; s.Caller != nil && s.Caller.Status == PartySetup {
		cc.tx.setParty(s.Caller, PartyProceeding, "")
	}
	c.who, c.leg, c.state = who, pt.leg, callRinging
	cc.track(c, who, pt.leg)
	chance := cc.model.answerFree
	switch {
	case busy && !cc.canHoldOthers(who):
		chance = 0
	case busy:
		chance = cc.model.answerBusy
	case c.kind == mainLineCall && c.transfers == 0:
		chance = cc.model.answerMainLine
	}
	cc.ring(c, who, chance, cc.model.directRing)
}

// voicemail sends an outside caller to who's voicemail: they leave a
// message, then hang up.
func (cc *callCentre) voicemail(c *phoneCall, who *person) {
	c.who, c.leg = nil, nil
	cc.p.tel.toVoicemail(cc.tx, c.sess, who.ext)
	cc.leaveMessage(c)
}

// leaveMessage has the caller talk to a voicemail box for a while.
func (cc *callCentre) leaveMessage(c *phoneCall) {
	c.state, c.next = callVoicemail, stepHangUp
	cc.schedule(c, cc.model.voicemailLength.draw(cc.rng), evTalk)
}

// canHoldOthers reports whether every other call on who's phone is one
// who can put on hold to answer a new one.
func (cc *callCentre) canHoldOthers(who *person) bool {
	for _, l := range who.ext.Presence.Legs {
		o := cc.calls[l]
		if o == nil || o.who != who || (o.state != callTalking && o.state != callOnHold && o.state != callRinging) {
			return false
		}
	}
	return true
}

// callOut has a free user dial an outside number.
func (cc *callCentre) callOut() {
	who := cc.freeCaller()
	if who == nil {
		return
	}
	c := &phoneCall{kind: outboundCall, party: newCallee(cc.rng), who: who}
	cc.dial(c, who.ext.Phone, c.party.number, c.party.name, nil)
	cc.p.tel.outside(cc.tx, c.sess, partyEnd{PhoneNumber: who.ext.Phone, Name: who.ext.Name}, c.party.number, c.party.name)
	cc.p.stats.Sim.OutboundCalls++
	cc.ring(c, nil, cc.model.answerOutbound, cc.model.outboundRing.draw(cc.rng))
}

// dial puts c's caller side on c.who's phone: Outbound, ringing while the
// far end is alerted (RingCentral reports Ringing for outbound calls too),
// placed from their desk phone. It starts c's telephony session.
func (cc *callCentre) dial(c *phoneCall, from, to, toName string, toExt *Extension) *Leg {
	l := cc.p.NewLeg("", "Outbound")
	l.Start = cc.nowTime()
	l.Status = TelRinging
	l.From, l.FromName, l.To, l.ToName = from, c.who.ext.Name, to, toName
	pt := l.party
	pt.From = partyEnd{PhoneNumber: from, Name: c.who.ext.Name, ExtensionID: c.who.ext.IDString(), DeviceID: cc.p.DeskPhone(c.who.ext).ID}
	pt.To = partyEnd{PhoneNumber: to, Name: toName}
	if toExt != nil {
		pt.To.ExtensionID = toExt.IDString()
	}
	cc.bind(c, pt.sess)
	c.leg, c.state = l, callRinging
	cc.tx.AddLeg(c.who.ext, l)
	cc.track(c, c.who, l)
	return l
}

// callColleague has a free user call another user: two legs in one
// telephony session, Outbound on the caller and Inbound on the callee.
func (cc *callCentre) callColleague() {
	who := cc.freeCaller()
	if who == nil || len(cc.users) < 2 {
		return
	}
	peer := cc.users[cc.rng.IntN(len(cc.users))]
	if peer == who {
		return
	}
	c := &phoneCall{kind: internalCall, who: who}
	cc.dial(c, who.ext.Number, peer.ext.Number, peer.ext.Name, peer.ext)
	cc.p.stats.Sim.InternalCalls++
	if !cc.takesDirectCalls(peer) {
		// The caller hears the colleague's voicemail greeting and leaves a message.
		c.voicemail = true
		cc.p.stats.Sim.Voicemails++
		cc.p.tel.toVoicemail(cc.tx, c.sess, peer.ext)
		cc.schedule(c, 3*time.Second, evAnswer)
		return
	}
	busy := len(peer.ext.Presence.Legs) > 0
	pt := cc.p.tel.ringUser(cc.tx, c.sess, peer.ext, ringSpec{
		from:     partyEnd{PhoneNumber: who.ext.Number, Name: who.ext.Name, ExtensionID: who.ext.IDString(), DeviceID: cc.p.DeskPhone(who.ext).ID},
		toNumber: peer.ext.Number, toName: peer.ext.Name,
	})
	c.peer, c.peerLeg = peer, pt.leg
	cc.track(c, peer, pt.leg)
	chance := cc.model.answerFree
	if busy {
		chance = 0 // colleagues do not break off a call for an internal one
	}
	cc.ring(c, peer, chance, cc.model.directRing)
}

// freeCaller picks someone at their desk and off the phone to make a
// call, or nobody after a few tries (never a scan of everyone). People
// someone is signed in as never start a call on their own.
func (cc *callCentre) freeCaller() *person {
	for range 4 {
		who := cc.users[cc.rng.IntN(len(cc.users))]
		pr := &who.ext.Presence
		if !who.credentialed && len(pr.Legs) == 0 && pr.UserStatus != StatusOffline && pr.MeetingStatus != MeetingConnected {
			return who
		}
	}
	return nil
}

// stillUp reports whether c's legs are still where the simulation put
// them; the control API may have ended one. If not, the simulation lets
// go of the call.
func (cc *callCentre) stillUp(c *phoneCall) bool {
	if c.state == callEnded {
		return false
	}
	up := func(who *person, l *Leg) bool {
		return who == nil || l == nil || slices.Contains(who.ext.Presence.Legs, l)
	}
	if up(c.who, c.leg) && up(c.peer, c.peerLeg) {
		return true
	}
	cc.finish(c)
	return false
}

// attendedBy reports whether the simulation must leave c's user alone: a
// client took the call over, or it is with a signed-in person.
func (c *phoneCall) attendedBy() bool {
	return c.attended || c.who != nil && c.who.credentialed && c.kind != outboundCall && c.kind != internalCall ||
		c.peer != nil && c.peer.credentialed
}

// answer connects a ringing call.
func (cc *callCentre) answer(c *phoneCall) {
	answerer, leg := c.who, c.leg
	if c.peer != nil {
		answerer, leg = c.peer, c.peerLeg
	}
	cc.holdOthers(answerer, c)
	if c.kind != outboundCall && !c.voicemail {
		leg.party.To.DeviceID = cc.p.DeskPhone(answerer.ext).ID
	}
	cc.setStatus(c.who, c.leg, TelConnected)
	if c.peer != nil {
		cc.setStatus(c.peer, c.peerLeg, TelConnected)
	}
	if !c.voicemail {
		cc.p.tel.connected(cc.tx, leg.party)
	}
	c.state = callTalking
	cc.drawTalk(c)
	if !c.answered && c.fromOutside() {
		cc.p.stats.Sim.CallsAnswered++
	}
	c.answered = true
	cc.planTalk(c)
}

// drawTalk draws how long the call will talk in all.
func (cc *callCentre) drawTalk(c *phoneCall) {
	m := &cc.model
	switch c.kind {
	case outboundCall:
		c.talkLeft = m.outboundTalk.draw(cc.rng)
	case internalCall:
		c.talkLeft = m.internalTalk.draw(cc.rng)
		if c.voicemail {
			c.talkLeft = span{10 * time.Second, 40 * time.Second}.draw(cc.rng)
		}
	case mainLineCall:
		c.talkLeft = m.mainLineTalk.draw(cc.rng)
		if c.transfers > 0 {
			c.talkLeft = m.talk.draw(cc.rng)
		}
	default:
		c.talkLeft = m.talk.draw(cc.rng)
		if cc.rng.Float64() < m.shortShare {
			c.talkLeft = m.shortTalk.draw(cc.rng)
		}
	}
}

// planTalk decides what the connected call does next (hold, transfer,
// park, or hang up) and when, out of its remaining talk time. A call the
// simulation does not act on for its user only ends, when the caller hangs
// up.
func (cc *callCentre) planTalk(c *phoneCall) {
	m := &cc.model
	fromOutside := c.fromOutside()
	hold := m.holdChance
	if c.holds > 0 {
		hold /= 2
	}
	transfer := 0.0
	if fromOutside && c.transfers < 2 {
		transfer = m.transferChance
		if c.kind == mainLineCall && c.transfers == 0 {
			transfer = m.mainLineTransfer
		}
	}
	park := 0.0
	if fromOutside && !c.lastParked {
		park = m.parkChance
	}
	if c.kind == internalCall {
		hold = 0
	}
	if c.attendedBy() {
		hold, transfer, park = 0, 0, 0
	}
	c.next = stepHangUp
	switch x := cc.rng.Float64(); {
	case x < transfer:
		c.next = stepTransfer
	case x < transfer+hold:
		c.next = stepHold
	case x < transfer+hold+park:
		c.next = stepPark
	}
	seg := c.talkLeft
	if c.next != stepHangUp {
		if c.next == stepTransfer && c.kind == mainLineCall && c.transfers == 0 {
			seg = c.talkLeft // the receptionist transfers once they know whom the caller wants
		} else {
			seg = time.Duration(float64(c.talkLeft) * (0.2 + 0.6*cc.rng.Float64()))
		}
	}
	c.talkLeft -= seg
	c.segEnd = cc.now() + int64(seg)
	cc.schedule(c, seg, evTalk)
}

// talkStep runs the step planTalk chose.
func (cc *callCentre) talkStep(c *phoneCall) {
	m := &cc.model
	switch c.next {
	case stepHangUp:
		cc.finish(c)
	case stepHold:
		c.holds++
		c.state = callOnHold
		cc.setStatus(c.who, c.leg, TelOnHold)
		cc.schedule(c, m.holdTime.draw(cc.rng), evHoldEnd)
	case stepPark:
		if cc.p.tel.parkAt(cc.tx, c.leg.party, nil, "") != nil {
			cc.planTalk(c) // every orbit is taken: keep talking
			return
		}
		c.lastParked = true
		c.state = callParked
		cc.p.stats.Sim.CallsParked++
		cc.schedule(c, m.parkTime.draw(cc.rng), evParkEnd)
	case stepTransfer:
		cc.transfer(c)
	}
}

// holdEnd takes the caller off hold, unless the user is talking on another
// call, in which case the call waits for that one to end.
func (cc *callCentre) holdEnd(c *phoneCall) {
	if cc.talkingOn(c.who) != nil {
		c.suspended = true
		c.gen++
		return
	}
	c.state = callTalking
	cc.setStatus(c.who, c.leg, TelConnected)
	cc.planTalk(c)
}

// talkingOn returns the call who is talking on, if any.
func (cc *callCentre) talkingOn(who *person) *phoneCall {
	for _, l := range who.ext.Presence.Legs {
		if l.Status == TelConnected {
			if o := cc.calls[l]; o != nil {
				return o
			}
		}
	}
	return nil
}

// holdOthers puts who's other calls on hold as who answers c (call waiting).
func (cc *callCentre) holdOthers(who *person, c *phoneCall) {
	for _, l := range who.ext.Presence.Legs {
		o := cc.calls[l]
		if o == nil || o == c || o.who != who || o.suspended {
			continue
		}
		switch o.state {
		case callTalking:
			o.talkLeft += time.Duration(max(0, o.segEnd-cc.now()))
			o.state = callOnHold
			cc.setStatus(who, o.leg, TelOnHold)
		case callOnHold:
		default:
			continue
		}
		if o.attended {
			// A client's call: it stays held for the client to take back,
			// and its caller hangs up if left there too long.
			o.next = stepHangUp
			cc.schedule(o, cc.model.holdPatience.draw(cc.rng), evTalk)
			continue
		}
		o.suspended = true
		o.gen++ // its own next step waits until it is taken off hold
	}
}

// resumeSuspended takes the oldest call who put on hold for call waiting
// back off hold once who is not talking on another one. A signed-in
// person's held calls wait for their client.
func (cc *callCentre) resumeSuspended(who *person) {
	if who.credentialed || cc.talkingOn(who) != nil {
		return
	}
	for _, l := range who.ext.Presence.Legs {
		o := cc.calls[l]
		if o == nil || !o.suspended || o.who != who || o.attended {
			continue
		}
		o.suspended = false
		o.state = callTalking
		cc.setStatus(who, o.leg, TelConnected)
		cc.planTalk(o)
		return
	}
}

// transfer blind-transfers the caller: the user's leg ends and the call
// rings on another user's phone with the same caller.
func (cc *callCentre) transfer(c *phoneCall) {
	from := c.who
	var to *person
	for range 4 {
		if u := cc.users[cc.rng.IntN(len(cc.users))]; u != from {
			to = u
			break
		}
	}
	if to == nil {
		cc.finish(c)
		return
	}
	cc.p.stats.Sim.CallsTransferred++
	c.transfers++
	c.lastParked = false
	old := c.leg
	c.who, c.leg = nil, nil
	cc.dropLeg(from, old, ReasonBlindTransfer)
	cc.ringUser(c, to)
}

// parkEnd has someone pick the parked call up, or the caller hang up.
func (cc *callCentre) parkEnd(c *phoneCall) {
	if cc.rng.Float64() >= cc.model.parkPickup {
		cc.finish(c)
		return
	}
	picker := c.who
	for range 6 {
		u := cc.users[cc.rng.IntN(len(cc.users))]
		pr := &u.ext.Presence
		if u != c.who && !u.credentialed && len(pr.Legs) == 0 && pr.UserStatus != StatusOffline && !pr.DoNotDisturb() {
			picker = u
			break
		}
	}
	switch {
	case picker != c.who:
		old, from := c.leg, c.who
		remote := c.sess.remote(old.party)
		c.who, c.leg = nil, nil
		cc.dropLeg(from, old, ReasonPickup)
		np := cc.p.tel.connectUser(cc.tx, c.sess, cc.p.DeskPhone(picker.ext), remote)
		c.who, c.leg = picker, np.leg
		cc.track(c, picker, np.leg)
		c.talkLeft += cc.model.shortTalk.draw(cc.rng)
	case picker.credentialed:
		cc.finish(c) // nobody else picked it up, and nobody unparks for a signed-in person
		return
	default:
		cc.setStatus(c.who, c.leg, TelConnected)
	}
	c.state = callTalking
	cc.planTalk(c)
}

// noAnswer handles a phone that rang out (or declined, with reason
// Rejected): a call still in a queue goes to the next eligible agent (or
// back to waiting), other calls go to voicemail.
func (cc *callCentre) noAnswer(c *phoneCall, reason string) {
	who, l := c.who, c.leg
	if c.sess.waiting() {
		c.who, c.leg = nil, nil
		if l != nil && l.party != nil {
			l.party.Missed = true
		}
		cc.dropLeg(who, l, reason)
		c.missed = who
		if c.gaveUp {
			cc.abandoned(c)
			return
		}
		cc.route(c, true)
		return
	}
	switch {
	case c.kind == outboundCall:
		cc.finish(c)
	case c.kind == internalCall:
		cc.p.stats.Sim.Voicemails++
		cc.dropLeg(c.peer, c.peerLeg, reason)
		c.peer, c.peerLeg = nil, nil
		cc.finish(c)
	default:
		cc.p.stats.Sim.Voicemails++
		if l != nil && l.party != nil {
			l.party.Missed = true
		}
		cc.dropLeg(who, l, reason)
		cc.voicemail(c, who)
	}
}

// abandon is a queue caller running out of patience: waiting, they hang
// up; while a phone rings for them, they hang up if it rings out.
func (cc *callCentre) abandon(c *phoneCall) {
	switch c.state {
	case callWaiting:
		cc.abandoned(c)
	case callRinging:
		if c.sess != nil && c.sess.waiting() {
			c.gaveUp = true
		}
	}
}

func (cc *callCentre) abandoned(c *phoneCall) {
	cc.p.stats.Sim.CallsAbandoned++
	cc.finish(c)
}

// finish ends every leg of c that is still up, and the call.
func (cc *callCentre) finish(c *phoneCall) {
	c.state = callEnded
	c.gen++
	who, l, peer, pl := c.who, c.leg, c.peer, c.peerLeg
	c.leg, c.peerLeg = nil, nil
	cc.dropLeg(who, l, "")
	cc.dropLeg(peer, pl, "")
	if c.sess != nil {
		cc.p.tel.hangUp(cc.tx, c.sess, nil, "")
	}
}
