package emulator

import (
	"sync"
	"time"
)

// minTick is the shortest wait between two steps: events due closer
// together are run in one step, which keeps wake-ups bounded at high
// rates while each event still carries its own time.
const minTick = 5 * time.Millisecond

// simulation drives the call centre from the real clock. All behaviour is
// in callCentre; this only decides when to call step.
type simulation struct {
	cc  *callCentre // nil when CallsPerMinute is 0: no traffic at all
	now func() time.Time

	mu      sync.Mutex
	running bool
	stopped bool
	wake    chan struct{}
	quit    chan struct{}
	done    chan struct{}
}

func newSimulation(e *Emulator) *simulation {
	s := &simulation{
		now:  e.p.now,
		wake: make(chan struct{}, 1),
		quit: make(chan struct{}),
		done: make(chan struct{}),
	}
	if e.p.cfg.CallsPerMinute > 0 {
		s.cc = newCallCentre(e.p)
		s.cc.poke = s.poke
	}
	return s
}

// start begins the traffic; it does nothing when there is none to make,
// after stop, or when already started.
func (s *simulation) start() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cc == nil || s.running || s.stopped {
		return
	}
	s.running = true
	go s.run()
}

// stop ends the goroutine and waits for it. Idempotent.
func (s *simulation) stop() {
	s.mu.Lock()
	if s.stopped {
		s.mu.Unlock()
		return
	}
	s.stopped = true
	running := s.running
	close(s.quit)
	s.mu.Unlock()
	if running {
		<-s.done
	}
}

// pause freezes the call centre: nothing changes until resume.
func (s *simulation) pause() {
	if s.cc != nil {
		s.cc.pause(s.now())
		s.poke()
	}
}

// resume continues from where pause left off.
func (s *simulation) resume() {
	if s.cc != nil {
		s.cc.resume(s.now())
		s.poke()
	}
}

// poke wakes the driver to recompute its timer.
func (s *simulation) poke() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

func (s *simulation) run() {
	defer close(s.done)
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		s.cc.step(s.now())
		wait := time.Hour // paused: only a poke or stop wakes the driver
		if next, ok := s.cc.nextDue(); ok {
			wait = max(minTick, next.Sub(s.now()))
		}
		timer.Reset(wait)
		select {
		case <-s.quit:
			return
		case <-s.wake:
		case <-timer.C:
		}
	}
}
