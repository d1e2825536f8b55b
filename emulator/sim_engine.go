package emulator

import (
	"math/rand/v2"
	"time"
)

// evKind is what a scheduled event does.
type evKind uint8

const (
	evArrival    evKind = iota // the next call from outside
	evOffer                    // a prepared call from outside arrives (tests)
	evOutbound                 // the next user calling out
	evInternal                 // the next user calling a colleague
	evStatus                   // the next person changing their status
	evEpisodeEnd               // someone comes back from lunch, a meeting, DND...
	evAnswer                   // the ringing phone is picked up
	evNoAnswer                 // the ringing phone rang out
	evTalk                     // the connected call's next step (call.next)
	evHoldEnd                  // the caller comes off hold
	evParkEnd                  // a parked call is picked up or the caller hangs up
	evQueueRetry               // a queue offers its waiting callers again
	evAbandon                  // a queue caller runs out of patience
	evDecline                  // the ringing colleague declines the call
)

// event is one scheduled thing. Events of a call carry the call's gen at
// scheduling time; a call bumps gen when it changes course, which voids
// whatever it had scheduled.
type event struct {
	at   int64 // wall clock, Unix nanoseconds
	seq  uint64
	kind evKind
	gen  uint32
	c    *phoneCall
	who  *person
	line *queueLine
}

// eventQueue is a min-heap by time, then by scheduling order, so that equal
// times run in a deterministic order. It holds values: no allocation per event.
type eventQueue []event

func (h eventQueue) less(i, j int) bool {
	if h[i].at != h[j].at {
		return h[i].at < h[j].at
	}
	return h[i].seq < h[j].seq
}

func (h *eventQueue) push(e event) {
	*h = append(*h, e)
	q := *h
	for i := len(q) - 1; i > 0; {
		parent := (i - 1) / 2
		if !q.less(i, parent) {
			break
		}
		q[i], q[parent] = q[parent], q[i]
		i = parent
	}
}

func (h *eventQueue) pop() event {
	q := *h
	top := q[0]
	last := len(q) - 1
	q[0] = q[last]
	q[last] = event{}
	q = q[:last]
	for i := 0; ; {
		l, r, m := 2*i+1, 2*i+2, i
		if l < len(q) && q.less(l, m) {
			m = l
		}
		if r < len(q) && q.less(r, m) {
			m = r
		}
		if m == i {
			break
		}
		q[i], q[m] = q[m], q[i]
		i = m
	}
	*h = q
	return top
}

// callCentre is the simulated call centre: a deterministic engine driven by
// step. Everything in it is guarded by Platform.mu, as the platform's own
// state is: the commit hook updates the routing index for client writes,
// and call control tells the call centre what a client did to a call, both
// inside the client's Tx.
type callCentre struct {
	p     *Platform
	dir   *Directory
	model callModel
	rng   *rand.Rand

	events   eventQueue
	seq      uint64
	started  bool
	paused   bool
	pausedAt int64
	handled  int64 // events run, for the benchmark

	people map[*Extension]*person
	users  []*person
	lines  []*queueLine
	calls  map[*Leg]*phoneCall
	clock  int64 // the time of the event being run (or the last one)
	// wall is the simulation's clock for a client's action: the platform
	// clock, or a test's virtual one.
	wall func() int64
	// poke wakes the driver after a client's action scheduled something.
	poke func()

	// The event being run and its Tx, so that Mutate gets a bound method
	// rather than a fresh closure per event.
	cur   event
	tx    *Tx
	runFn func(tx *Tx)
}

// newCallCentre builds the engine for p's account. Nothing happens until
// the first step.
func newCallCentre(p *Platform) *callCentre {
	cc := &callCentre{
		p:      p,
		dir:    p.dir,
		model:  defaultModel(p.cfg.CallsPerMinute),
		rng:    rand.New(rand.NewPCG(uint64(p.cfg.Seed), 0xca11ce47e)),
		people: map[*Extension]*person{},
		calls:  map[*Leg]*phoneCall{},
	}
	cc.wall = func() int64 { return p.now().UnixNano() }
	cc.runFn = cc.runCurrent
	// The directory can change under a running emulator (control API).
	p.mu.Lock()
	defer p.mu.Unlock()
	p.onDirectory = cc.directoryChanged
	credentialed := map[*Extension]bool{p.dir.Receptionist: true}
	for _, a := range p.dir.Agents {
		credentialed[a] = true
	}
	for _, e := range p.dir.Extensions {
		if e.Type != TypeUser {
			continue
		}
		who := &person{ext: e, rank: len(cc.users), credentialed: credentialed[e]}
		cc.people[e] = who
		cc.users = append(cc.users, who)
	}
	for _, q := range p.dir.Queues {
		line := &queueLine{q: q}
		cc.lines = append(cc.lines, line)
		for _, m := range q.Members {
			if who := cc.people[m]; who != nil {
				who.seats = append(who.seats, &seat{who: who, line: line, pos: -1})
			}
		}
	}
	cc.model.fitTo(len(cc.users))
	return cc
}

// step runs every event due by now, each in its own Tx, so client requests
// interleave between them. The first step starts the call centre: the
// routing index, the warm-up and the streams.
func (cc *callCentre) step(now time.Time) {
	p := cc.p
	t := now.UnixNano()
	p.mu.Lock()
	if !cc.paused && !cc.started {
		cc.started = true
		cc.begin(t)
	}
	p.mu.Unlock()
	for {
		p.mu.Lock()
		if cc.paused || len(cc.events) == 0 || cc.events[0].at > t {
			p.mu.Unlock()
			return
		}
		ev := cc.events.pop()
		if ev.c != nil && ev.kind != evAbandon && ev.gen != ev.c.gen || ev.kind == evEpisodeEnd && ev.gen != ev.who.episodeGen {
			p.mu.Unlock()
			continue // the call (or the person) has moved on since
		}
		cc.cur = ev
		cc.handled++
		p.mutateLocked(cc.runFn)
		p.mu.Unlock()
	}
}

// nextDue is when the next event is due; false when paused or when
// nothing is scheduled.
func (cc *callCentre) nextDue() (time.Time, bool) {
	cc.p.mu.Lock()
	defer cc.p.mu.Unlock()
	if cc.paused || len(cc.events) == 0 {
		return time.Time{}, false
	}
	return time.Unix(0, cc.events[0].at), true
}

// stepsTaken is how many events the call centre has run.
func (cc *callCentre) stepsTaken() int64 {
	cc.p.mu.Lock()
	defer cc.p.mu.Unlock()
	return cc.handled
}

// inject books a prepared call from outside to arrive at at (tests).
func (cc *callCentre) inject(at time.Time, c *phoneCall) {
	cc.p.mu.Lock()
	defer cc.p.mu.Unlock()
	cc.seq++
	cc.events.push(event{at: at.UnixNano(), seq: cc.seq, kind: evOffer, c: c, gen: c.gen})
}

// pause stops the event clock: due events wait.
func (cc *callCentre) pause(now time.Time) {
	cc.p.mu.Lock()
	defer cc.p.mu.Unlock()
	if cc.paused {
		return
	}
	cc.paused = true
	cc.pausedAt = now.UnixNano()
}

// resume restarts the event clock where it stopped: every scheduled event
// moves later by the length of the pause.
func (cc *callCentre) resume(now time.Time) {
	cc.p.mu.Lock()
	defer cc.p.mu.Unlock()
	if !cc.paused {
		return
	}
	cc.paused = false
	shift := max(0, now.UnixNano()-cc.pausedAt)
	for i := range cc.events {
		cc.events[i].at += shift // a uniform shift keeps the heap order
	}
}

func (cc *callCentre) runCurrent(tx *Tx) {
	cc.tx = tx
	cc.clock = cc.cur.at
	tx.now = cc.nowTime()
	cc.handle(&cc.cur)
	cc.tx = nil
	cc.cur = event{}
}

// now is the time of the event being run.
func (cc *callCentre) now() int64 { return cc.clock }

func (cc *callCentre) nowTime() time.Time { return time.Unix(0, cc.clock).UTC() }

// after schedules an event d after the current one.
func (cc *callCentre) after(d time.Duration, ev event) {
	ev.at = cc.clock + int64(d)
	cc.seq++
	ev.seq = cc.seq
	if ev.c != nil {
		ev.gen = ev.c.gen
	}
	cc.events.push(ev)
}

// schedule moves call c on: it voids what c had scheduled and books kind
// after d.
func (cc *callCentre) schedule(c *phoneCall, d time.Duration, kind evKind) {
	c.gen++
	cc.after(d, event{kind: kind, c: c})
}

// begin builds the routing index, warms the floor up and starts the
// streams. Under Platform.mu.
func (cc *callCentre) begin(t int64) {
	cc.clock = t
	cc.p.mutateLocked(func(tx *Tx) {
		cc.tx = tx
		tx.now = cc.nowTime()
		for _, who := range cc.users {
			who.idleSince = t - cc.rng.Int64N(int64(cc.model.initialIdleSpread)+1)
			who.onCall = len(who.ext.Presence.Legs) > 0
			cc.reindex(who)
		}
		if cc.model.warmShare > 0 {
			cc.warmUp()
		}
		cc.p.onTouch = cc.touched
		cc.p.tel.driver = cc
		cc.tx = nil
	})
	m := &cc.model
	for _, s := range []struct {
		kind   evKind
		perSec float64
	}{{evArrival, m.inboundPerSec}, {evOutbound, m.outboundPerSec}, {evInternal, m.internalPerSec}, {evStatus, m.statusPerSec}} {
		if s.perSec > 0 {
			cc.after(expWait(cc.rng, s.perSec), event{kind: s.kind})
		}
	}
}

// handle runs one event inside its Tx.
func (cc *callCentre) handle(ev *event) {
	m := &cc.model
	switch ev.kind {
	case evArrival:
		cc.offer(cc.newInboundCall())
		cc.after(expWait(cc.rng, m.inboundPerSec), event{kind: evArrival})
	case evOffer:
		cc.offer(ev.c)
	case evOutbound:
		cc.callOut()
		cc.after(expWait(cc.rng, m.outboundPerSec), event{kind: evOutbound})
	case evInternal:
		cc.callColleague()
		cc.after(expWait(cc.rng, m.internalPerSec), event{kind: evInternal})
	case evStatus:
		cc.changeSomeonesStatus()
		cc.after(expWait(cc.rng, m.statusPerSec), event{kind: evStatus})
	case evEpisodeEnd:
		if !ev.who.removed {
			cc.endEpisode(ev.who)
		}
	case evQueueRetry:
		cc.retryQueue(ev.line)
	case evAbandon:
		cc.abandon(ev.c)
	default:
		if !cc.stillUp(ev.c) {
			return
		}
		switch ev.kind {
		case evAnswer:
			cc.answer(ev.c)
		case evNoAnswer:
			cc.noAnswer(ev.c, ReasonNoAnswer)
		case evDecline:
			cc.noAnswer(ev.c, ReasonRejected)
		case evTalk:
			cc.talkStep(ev.c)
		case evHoldEnd:
			cc.holdEnd(ev.c)
		case evParkEnd:
			cc.parkEnd(ev.c)
		}
	}
}
