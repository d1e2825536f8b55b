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
	callWaiting callState = iota // on hold in a queue: no phone rings, nothing in presence
	callRinging
	callTalking
	callOnHold
	callParked
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

// phoneCall is one call the simulation drives. Changed only inside the
// call centre's own Tx, with both its lock and Platform.mu held.
type phoneCall struct {
	kind  callKind
	state callState
	gen   uint32
	party caller // the outside caller, or whom an outbound call dials
	tsid  string // the telephony session, shared by all legs of the call
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
}

// fromOutside reports whether an outside caller rang in (queue, direct or
// main line), as opposed to a user dialling.
func (c *phoneCall) fromOutside() bool { return c.kind <= mainLineCall }

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

// offer brings a call from outside into the account.
func (cc *callCentre) offer(c *phoneCall) {
	st := &cc.p.stats.Sim
	st.CallsOffered++
	if c.kind != queueCall {
		cc.ringUser(c, c.who)
		return
	}
	st.QueueCalls++
	cc.after(cc.model.queuePatience.draw(cc.rng), event{kind: evAbandon, c: c})
	cc.route(c, false)
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

// newLeg makes the user's side of c, ringing, starting now.
func (cc *callCentre) newLeg(c *phoneCall, direction string) *Leg {
	l := cc.p.NewLeg(c.tsid, direction)
	c.tsid = l.TelephonySessionID
	l.Start = cc.nowTime()
	l.Status = TelRinging
	return l
}

// addLeg puts l on who's phone and keeps the routing index current.
func (cc *callCentre) addLeg(c *phoneCall, who *person, l *Leg) {
	cc.tx.AddLeg(who.ext, l)
	cc.calls[l] = c
	cc.reindex(who)
}

// dropLeg ends l on who's phone (NoCall/final) and lets who's held call
// come back if this was the one they were talking on.
func (cc *callCentre) dropLeg(who *person, l *Leg) {
	if who == nil || l == nil {
		return
	}
	delete(cc.calls, l)
	if slices.Contains(who.ext.Presence.Legs, l) {
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
	l := cc.newLeg(c, "Inbound")
	l.From, l.FromName = c.party.number, c.party.name
	l.To, l.ToName = cc.dir.MainNumber, c.line.q.Ext.Name
	l.QueueCall, l.Queue = true, c.line.q
	c.who, c.leg, c.state = who, l, callRinging
	cc.addLeg(c, who, l)
	cc.p.stats.Sim.AgentRings++
	cc.ring(c, cc.model.answerQueue, cc.model.queueRing)
}

// ring has the phone picked up after a few seconds with the given chance,
// or ring out after ringOut.
func (cc *callCentre) ring(c *phoneCall, chance float64, ringOut time.Duration) {
	if cc.rng.Float64() < chance {
		cc.schedule(c, cc.model.answerDelay.draw(cc.rng), evAnswer)
	} else {
		cc.schedule(c, ringOut, evNoAnswer)
	}
}

// takesDirectCalls is RingCentral's rule for a call to a user: full DND or
// an invisible (Offline) user sends it straight to voicemail, and so does a
// phone that already has maxLegs calls.
func (cc *callCentre) takesDirectCalls(who *person) bool {
	pr := &who.ext.Presence
	return !who.removed && !pr.DoNotDisturb() && pr.UserStatus != StatusOffline && len(pr.Legs) < cc.model.maxLegs
}

// ringUser rings a direct, main-line or transferred call on who's phone,
// even if who is on another call (call waiting).
func (cc *callCentre) ringUser(c *phoneCall, who *person) {
	if !cc.takesDirectCalls(who) {
		cc.p.stats.Sim.Voicemails++
		cc.finish(c)
		return
	}
	busy := len(who.ext.Presence.Legs) > 0
	l := cc.newLeg(c, "Inbound")
	l.From, l.FromName = c.party.number, c.party.name
	l.To, l.ToName = who.ext.Phone, who.ext.Name
	if c.kind == mainLineCall && c.transfers == 0 {
		l.To, l.ToName = cc.dir.MainNumber, cc.dir.Company
	}
	c.who, c.leg, c.state = who, l, callRinging
	cc.addLeg(c, who, l)
	chance := cc.model.answerFree
	switch {
	case busy && !cc.canHoldOthers(who):
		chance = 0
	case busy:
		chance = cc.model.answerBusy
	case c.kind == mainLineCall && c.transfers == 0:
		chance = cc.model.answerMainLine
	}
	cc.ring(c, chance, cc.model.directRing)
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
	cc.dial(c, who.ext.Phone, c.party.number, c.party.name)
	cc.p.stats.Sim.OutboundCalls++
	cc.ring(c, cc.model.answerOutbound, cc.model.outboundRing.draw(cc.rng))
}

// dial puts c's caller side on c.who's phone: Outbound, ringing while the
// far end is alerted (RingCentral reports Ringing for outbound calls too).
func (cc *callCentre) dial(c *phoneCall, from, to, toName string) *Leg {
	l := cc.newLeg(c, "Outbound")
	l.From, l.FromName, l.To, l.ToName = from, c.who.ext.Name, to, toName
	c.leg, c.state = l, callRinging
	cc.addLeg(c, c.who, l)
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
	l := cc.dial(c, who.ext.Number, peer.ext.Number, peer.ext.Name)
	cc.p.stats.Sim.InternalCalls++
	if !cc.takesDirectCalls(peer) {
		// The caller hears the colleague's voicemail greeting and leaves a message.
		c.voicemail = true
		cc.p.stats.Sim.Voicemails++
		cc.schedule(c, 3*time.Second, evAnswer)
		return
	}
	busy := len(peer.ext.Presence.Legs) > 0
	pl := cc.newLeg(c, "Inbound")
	pl.From, pl.FromName, pl.To, pl.ToName = l.From, l.FromName, l.To, l.ToName
	c.peer, c.peerLeg = peer, pl
	cc.addLeg(c, peer, pl)
	chance := cc.model.answerFree
	if busy {
		chance = 0 // colleagues do not break off a call for an internal one
	}
	cc.ring(c, chance, cc.model.directRing)
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
// them; a client (call control) may have ended or moved one. If not, the
// simulation lets go of the call.
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

// answer connects a ringing call.
func (cc *callCentre) answer(c *phoneCall) {
	answerer := c.who
	if c.peer != nil {
		answerer = c.peer
	}
	cc.holdOthers(answerer, c)
	cc.setStatus(c.who, c.leg, TelConnected)
	if c.peer != nil {
		cc.setStatus(c.peer, c.peerLeg, TelConnected)
	}
	c.state = callTalking
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
	if !c.answered && c.fromOutside() {
		cc.p.stats.Sim.CallsAnswered++
	}
	c.answered = true
	cc.planTalk(c)
}

// planTalk decides what the connected call does next (hold, transfer,
// park, or hang up) and when, out of its remaining talk time.
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
		c.lastParked = true
		c.state = callParked
		cc.p.stats.Sim.CallsParked++
		cc.setStatus(c.who, c.leg, TelParked)
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
		o.suspended = true
		o.gen++ // its own next step waits until it is taken off hold
	}
}

// resumeSuspended takes the oldest call who put on hold for call waiting
// back off hold once who is not talking on another one.
func (cc *callCentre) resumeSuspended(who *person) {
	if cc.talkingOn(who) != nil {
		return
	}
	for _, l := range who.ext.Presence.Legs {
		o := cc.calls[l]
		if o == nil || !o.suspended || o.who != who {
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
	cc.dropLeg(from, old)
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
	if picker != c.who {
		old, from := c.leg, c.who
		l := cc.newLeg(c, "Inbound")
		l.From, l.FromName, l.To, l.ToName = old.From, old.FromName, old.To, old.ToName
		l.Status = TelConnected
		c.who, c.leg = picker, l
		cc.dropLeg(from, old)
		cc.addLeg(c, picker, l)
		c.talkLeft += cc.model.shortTalk.draw(cc.rng)
	} else {
		cc.setStatus(c.who, c.leg, TelConnected)
	}
	c.state = callTalking
	cc.planTalk(c)
}

// noAnswer handles a phone that rang out: a queue call goes to the next
// eligible agent (or back to waiting), other calls go to voicemail.
func (cc *callCentre) noAnswer(c *phoneCall) {
	who, l := c.who, c.leg
	if c.kind == queueCall && c.transfers == 0 {
		c.who, c.leg = nil, nil
		cc.dropLeg(who, l)
		c.missed = who
		if c.gaveUp {
			cc.abandoned(c)
			return
		}
		cc.route(c, true)
		return
	}
	if c.kind != outboundCall {
		cc.p.stats.Sim.Voicemails++
	}
	cc.finish(c)
}

// abandon is a queue caller running out of patience: waiting, they hang
// up; while a phone rings for them, they hang up if it rings out.
func (cc *callCentre) abandon(c *phoneCall) {
	switch c.state {
	case callWaiting:
		cc.abandoned(c)
	case callRinging:
		if c.kind == queueCall && c.transfers == 0 {
			c.gaveUp = true
		}
	}
}

func (cc *callCentre) abandoned(c *phoneCall) {
	cc.p.stats.Sim.CallsAbandoned++
	cc.finish(c)
}

// finish ends every leg of c that is still up.
func (cc *callCentre) finish(c *phoneCall) {
	c.state = callEnded
	c.gen++
	who, l, peer, pl := c.who, c.leg, c.peer, c.peerLeg
	c.leg, c.peerLeg = nil, nil
	cc.dropLeg(who, l)
	cc.dropLeg(peer, pl)
}
