package emulator

import (
	"testing"
	"time"
)

// simT0 is the virtual clock's origin in simulation tests.
var simT0 = time.Date(2025, 3, 4, 9, 0, 0, 0, time.UTC)

// floor is a call centre driven by a virtual clock, for tests.
type floor struct {
	t   testing.TB
	p   *Platform
	cc  *callCentre
	now time.Time
}

// newFloor builds an account and its call centre. The clock starts at
// simT0 and the first step has not run yet.
func newFloor(t testing.TB, cfg Config) *floor {
	t.Helper()
	if cfg.Users == 0 {
		cfg.Users = 40
	}
	if cfg.Queues == 0 {
		cfg.Queues = 3
	}
	if cfg.Seed == 0 {
		cfg.Seed = 11
	}
	if cfg.CallsPerMinute == 0 {
		cfg.CallsPerMinute = 30
	}
	f := &floor{t: t, now: simT0}
	cfg.Now = func() time.Time { return f.now } // the platform runs on the virtual clock too
	cfg = cfg.withDefaults()
	var fb faultBox
	f.p = newPlatform(cfg, &fb)
	f.p.base = "http://127.0.0.1:1"
	f.cc = newCallCentre(f.p)
	return f
}

// newQuietFloor is a floor with no random traffic, no warm-up, and calls
// that are always answered after 3 s and last exactly a minute, so each
// test sets up only what it checks. It is started at simT0.
func newQuietFloor(t testing.TB) *floor {
	f := newFloor(t, Config{})
	m := &f.cc.model
	m.inboundPerSec, m.outboundPerSec, m.internalPerSec, m.statusPerSec = 0, 0, 0, 0
	m.warmShare = 0
	m.answerQueue, m.answerFree, m.answerBusy, m.answerMainLine, m.answerOutbound = 1, 1, 1, 1, 1
	m.answerDelay = span{3 * time.Second, 3 * time.Second}
	m.talk = logNormal{median: time.Minute, min: time.Minute, max: time.Minute}
	m.shortShare, m.holdChance, m.transferChance, m.mainLineTransfer, m.parkChance = 0, 0, 0, 0, 0
	m.queueRetry = span{5 * time.Second, 5 * time.Second}
	m.queuePatience = span{90 * time.Second, 90 * time.Second}
	f.step(0)
	return f
}

// step advances the virtual clock by d and runs what is due.
func (f *floor) step(d time.Duration) {
	f.now = f.now.Add(d)
	f.cc.step(f.now)
}

// run advances the clock second by second for d.
func (f *floor) run(d time.Duration) {
	for end := f.now.Add(d); f.now.Before(end); {
		f.step(time.Second)
	}
}

// queueCall offers a call from an outside caller to queue q now.
func (f *floor) queueCall(q *Queue) *phoneCall {
	c := &phoneCall{kind: queueCall, party: caller{number: "+14155550142", name: "Globex Corp"}, line: f.line(q)}
	f.cc.inject(f.now, c)
	f.step(0)
	return c
}

// directCall has an outside caller dial ext's number now.
func (f *floor) directCall(ext *Extension) *phoneCall {
	c := &phoneCall{kind: directCall, party: caller{number: "+12125550177", name: "Zoë Müller"}, who: f.cc.people[ext]}
	f.cc.inject(f.now, c)
	f.step(0)
	return c
}

func (f *floor) line(q *Queue) *queueLine {
	for _, l := range f.cc.lines {
		if l.q == q {
			return l
		}
	}
	f.t.Fatalf("no line for queue %s", q.Ext.Name)
	return nil
}

// set applies a presence change as a client's PUT would.
func (f *floor) set(ext *Extension, u PresenceUpdate) {
	f.t.Helper()
	f.p.Mutate(func(tx *Tx) {
		if err := tx.ApplyPresence(ext, u); err != nil {
			f.t.Fatalf("presence change for %s: %v", ext.Name, err)
		}
	})
}

// atDesk makes ext Available, taking all calls, and available in all their queues.
func (f *floor) atDesk(ext *Extension) {
	u := dndChange(ext, false) // dndStatus, or the CHS fields on a CHS account
	u.UserStatus, u.Message = ptr(StatusAvailable), ptr("")
	f.set(ext, u)
	f.p.Mutate(func(tx *Tx) {
		for _, q := range ext.Queues {
			tx.SetQueueAccept(q, ext, true)
		}
	})
}

func (f *floor) everyoneAtDesk() {
	for _, u := range f.cc.users {
		f.atDesk(u.ext)
	}
}

// act runs one of the call centre's own moves now, in its own Tx.
func (f *floor) act(move func()) {
	f.p.Mutate(func(tx *Tx) {
		f.cc.tx, f.cc.clock = tx, f.now.UnixNano()
		tx.now = f.now
		move()
		f.cc.tx = nil
	})
}

// onlyMembers leaves exactly the given members available in q (all at
// their desks); every other member turns q off.
func (f *floor) onlyMembers(q *Queue, members ...*Extension) {
	f.p.Mutate(func(tx *Tx) {
		for _, m := range q.Members {
			tx.SetQueueAccept(q, m, false)
		}
	})
	for _, m := range members {
		f.atDesk(m)
	}
}

// setIdleSince says when ext's last call ended, for longest-idle routing.
func (f *floor) setIdleSince(ext *Extension, t time.Time) {
	f.p.mu.Lock()
	defer f.p.mu.Unlock()
	who := f.cc.people[ext]
	who.idleSince = t.UnixNano()
	f.cc.reindex(who)
}

// legs returns a copy of ext's active calls.
func (f *floor) legs(ext *Extension) []Leg {
	f.p.mu.Lock()
	defer f.p.mu.Unlock()
	out := make([]Leg, len(ext.Presence.Legs))
	for i, l := range ext.Presence.Legs {
		out[i] = *l
	}
	return out
}

func (f *floor) stats() SimStats {
	f.p.mu.Lock()
	defer f.p.mu.Unlock()
	return f.p.stats.Sim
}

// membersOf returns the first n members of q the simulation plays: the
// receptionist and the agents belong to whoever signs in as them, and the
// simulation never answers their phones.
func (f *floor) membersOf(q *Queue, n int) []*Extension {
	f.t.Helper()
	var out []*Extension
	for _, m := range q.Members {
		if !f.cc.people[m].credentialed {
			out = append(out, m)
		}
	}
	if len(out) < n {
		f.t.Fatalf("queue %s has %d simulated members, need %d", q.Ext.Name, len(out), n)
	}
	return out[:n]
}

// ringingOn reports who among exts has a ringing queue call.
func (f *floor) ringingOn(exts ...*Extension) []*Extension {
	var out []*Extension
	for _, e := range exts {
		for _, l := range f.legs(e) {
			if l.Status == TelRinging {
				out = append(out, e)
				break
			}
		}
	}
	return out
}
