package emulator

import (
	"math/rand/v2"
	"reflect"
	"runtime"
	"testing"
	"time"
)

// busyFloor runs a default call centre for d of virtual time, second by second.
func busyFloor(t testing.TB, seed int64, d time.Duration) *floor {
	f := newFloor(t, Config{Users: 60, Queues: 3, Seed: seed, CallsPerMinute: 40})
	f.step(0)
	f.run(d)
	return f
}

func TestSameSeedAndStepsGiveTheSameTruth(t *testing.T) {
	a := busyFloor(t, 5, 20*time.Minute)
	b := busyFloor(t, 5, 20*time.Minute)
	if a.stats().CallsOffered < 100 || a.stats().StatusChanges == 0 {
		t.Fatalf("too little traffic to compare: %+v", a.stats())
	}
	if !reflect.DeepEqual(a.p.Truth(), b.p.Truth()) {
		t.Fatalf("two runs with one seed and one sequence of steps differ")
	}
	if a.stats() != b.stats() {
		t.Fatalf("stats differ: %+v vs %+v", a.stats(), b.stats())
	}
	// Another seed, even on the same directory, gives other traffic.
	c := newFloor(t, Config{Users: 60, Queues: 3, Seed: 5, CallsPerMinute: 40})
	c.cc.rng = rand.New(rand.NewPCG(6, 0xca11ce47e))
	c.step(0)
	c.run(20 * time.Minute)
	if reflect.DeepEqual(a.p.Truth(), c.p.Truth()) {
		t.Fatalf("a different simulation seed gave the same truth")
	}
	d := busyFloor(t, 6, 20*time.Minute)
	if reflect.DeepEqual(a.p.Truth(), d.p.Truth()) {
		t.Fatalf("a different seed gave the same truth")
	}
}

func TestPauseStopsAllChangesAndResumeContinues(t *testing.T) {
	ref := busyFloor(t, 8, time.Minute)
	f := busyFloor(t, 8, time.Minute)

	f.cc.pause(f.now)
	frozen := f.p.Truth()
	stats := f.stats()
	f.run(10 * time.Minute)
	if !reflect.DeepEqual(frozen, f.p.Truth()) || f.stats() != stats {
		t.Fatalf("the floor changed while paused")
	}
	f.cc.pause(f.now) // idempotent
	f.cc.resume(f.now)
	f.cc.resume(f.now) // idempotent

	// After the pause the floor does exactly what it would have done
	// without it, ten minutes later.
	ref.run(5 * time.Minute)
	f.run(5 * time.Minute)
	if ref.stats() != f.stats() {
		t.Fatalf("after resume: stats %+v, without a pause %+v", f.stats(), ref.stats())
	}
	rt, ft := ref.p.Truth(), f.p.Truth()
	for i := range rt.Extensions {
		r, g := rt.Extensions[i], ft.Extensions[i]
		if r.Sequence != g.Sequence || len(r.Presence.ActiveCalls) != len(g.Presence.ActiveCalls) {
			t.Fatalf("%s: sequence %d, %d calls; without a pause %d, %d", g.Name, g.Sequence, len(g.Presence.ActiveCalls), r.Sequence, len(r.Presence.ActiveCalls))
		}
		for j := range r.Presence.ActiveCalls {
			rc, gc := r.Presence.ActiveCalls[j], g.Presence.ActiveCalls[j]
			if rc.ID != gc.ID || rc.TelephonyStatus != gc.TelephonyStatus {
				t.Fatalf("%s's call %d differs from the run without a pause", g.Name, j)
			}
		}
	}
}

func TestSimulationNeverChangesCredentialedUsers(t *testing.T) {
	f := newFloor(t, Config{Users: 30, Queues: 3, Agents: 3, CallsPerMinute: 30})
	f.cc.model.statusPerSec = 0.5 // a status change every other second
	type state struct {
		user, dnd, msg, meeting string
		queues                  []bool
	}
	of := func(e *Extension) state {
		f.p.mu.Lock()
		defer f.p.mu.Unlock()
		s := state{user: e.Presence.UserStatus, dnd: e.Presence.DNDStatus, msg: e.Presence.Message, meeting: e.Presence.MeetingStatus}
		for _, q := range e.Queues {
			s.queues = append(s.queues, q.AcceptCurrent[e.ID])
		}
		return s
	}
	credentialed := append([]*Extension{f.p.dir.Receptionist}, f.p.dir.Agents...)
	want := map[*Extension]state{}
	for _, e := range credentialed {
		want[e] = of(e)
	}
	f.step(0)
	rang := 0
	for range 2 * 3600 {
		f.step(time.Second)
		for _, e := range credentialed {
			if got := of(e); !reflect.DeepEqual(got, want[e]) {
				t.Fatalf("the simulation changed %s's status: %+v -> %+v", e.Name, want[e], got)
			}
			for _, l := range f.legs(e) {
				if l.Direction == "Outbound" {
					t.Fatalf("the simulation had %s dial out", e.Name)
				}
				rang++
			}
		}
	}
	if f.stats().StatusChanges < 100 {
		t.Fatalf("only %d status changes: the test proves nothing", f.stats().StatusChanges)
	}
	if rang == 0 {
		t.Fatalf("calls should still reach the receptionist and agents")
	}
}

func TestNoTrafficAtZeroCallsPerMinute(t *testing.T) {
	e := startEmu(t, Config{CallsPerMinute: 0})
	before := e.Truth()
	if e.sim.cc != nil || e.sim.running {
		t.Fatalf("with CallsPerMinute 0 there must be no call centre and no goroutine")
	}
	e.Pause()
	e.Resume()
	if !reflect.DeepEqual(before, e.Truth()) || e.Stats().PresenceChanges != 0 || e.Stats().Sim != (SimStats{}) {
		t.Fatalf("something changed with CallsPerMinute 0")
	}
	if m := defaultModel(0); m.inboundPerSec != 0 || m.outboundPerSec != 0 || m.internalPerSec != 0 || m.statusPerSec != 0 {
		t.Fatalf("the model at 0 calls per minute has traffic: %+v", m)
	}
}

func TestDriverMakesTrafficAndStopLeavesNoGoroutine(t *testing.T) {
	cfg := Config{Users: 40, Queues: 3, Seed: 4, CallsPerMinute: 6000}.withDefaults()
	var fb faultBox
	baseline := runtime.NumGoroutine()
	for _, pauseFirst := range []bool{false, true} {
		e := &Emulator{cfg: cfg, p: newPlatform(cfg, &fb)}
		s := newSimulation(e)
		s.start()
		s.start() // idempotent
		waitFor(t, 5*time.Second, "simulated calls", func() bool {
			e.p.mu.Lock()
			defer e.p.mu.Unlock()
			return e.p.stats.Sim.CallsOffered > 0
		})
		if pauseFirst {
			s.pause()
			e.p.mu.Lock()
			paused := s.cc.paused
			e.p.mu.Unlock()
			if !paused {
				t.Fatalf("pause did not reach the call centre")
			}
			n := s.cc.stepsTaken()
			s.resume()
			waitFor(t, 5*time.Second, "traffic after resume", func() bool { return s.cc.stepsTaken() > n })
			s.pause()
		}
		s.stop()
		s.stop() // idempotent
		s.resume()
		s.start() // no restart after stop
		waitFor(t, 5*time.Second, "the simulation goroutine to end", func() bool {
			return runtime.NumGoroutine() <= baseline
		})
	}
}
