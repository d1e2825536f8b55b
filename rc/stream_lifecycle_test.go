package rc

import (
	"context"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rchud/rchud/emulator"
)

// exited reports whether the connection's reader and writer have ended.
func (c *wsConn) exited() bool {
	select {
	case <-c.readerDone:
	default:
		return !c.started
	}
	select {
	case <-c.writerDone:
		return true
	default:
		return false
	}
}

// streamGoroutines returns the stacks of goroutines running a Stream's or
// a connection's code (the run loop, readers, writers, deletes).
func streamGoroutines() []string {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			buf = buf[:n]
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	var out []string
	for _, g := range strings.Split(string(buf), "\n\n") {
		if strings.Contains(g, "rchud/rc.(*Stream)") || strings.Contains(g, "rchud/rc.(*wsConn)") {
			out = append(out, g)
		}
	}
	return out
}

// closedAndJoined fails unless the stream's run loop has ended, which it
// does only after joining its connections' goroutines and its deletes.
func closedAndJoined(t testing.TB, s *Stream) {
	t.Helper()
	select {
	case <-s.done:
	default:
		t.Fatalf("Close returned while the stream was still running")
	}
	noStreamGoroutines(t)
}

// noStreamGoroutines fails unless every stream goroutine is gone. Close
// has joined them; the deadline only lets the runtime finish their exit.
func noStreamGoroutines(t testing.TB) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		left := streamGoroutines()
		if len(left) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d stream goroutines outlived Close:\n%s", len(left), strings.Join(left, "\n\n"))
		}
		runtime.Gosched()
		time.Sleep(time.Millisecond)
	}
}

// joinedBeforeDial records, at each connection attempt, whether the
// previous connection's reader and writer had ended.
func joinedBeforeDial(t *testing.T) (dials func() (all, early int)) {
	var mu sync.Mutex
	var n, bad int
	testHookDialing = func(last *wsConn) {
		mu.Lock()
		defer mu.Unlock()
		n++
		if last != nil && !last.exited() {
			bad++
		}
	}
	t.Cleanup(func() { testHookDialing = nil }) // runs after the stream's Close
	return func() (int, int) {
		mu.Lock()
		defer mu.Unlock()
		return n, bad
	}
}

func TestStreamJoinsItsGoroutinesAcrossReconnectsAndClose(t *testing.T) {
	dials := joinedBeforeDial(t)
	// A reader slow to end: a dial that does not wait for it is seen.
	testHookReaderEnds = func() { time.Sleep(30 * time.Millisecond) }
	t.Cleanup(func() { testHookReaderEnds = nil })
	e := startEmulator(t, emulator.Config{RateLimitsOff: true})
	c := clientFor(e, -1, Options{})
	s := c.Stream([]string{accountFilter}, fastStream)
	p := probe(t, s)
	p.next(5*time.Second, "live", isLive)
	for i := 0; i < 3; i++ { // recovered sessions
		e.DropConnections()
		p.next(5*time.Second, "lost", isRecovering)
		p.next(5*time.Second, "live again", isLive)
	}
	// A failed recovery: a fresh subscription, and a delete of the old one.
	e.SetFaults(emulator.Faults{RecoveryFail: true})
	e.DropConnections()
	p.next(5*time.Second, "a resync", func(ev StreamEvent) bool { return ev.Resync != nil })
	closeStream(t, s) // and no stream goroutine is left
	if n, bad := dials(); n < 5 || bad != 0 {
		t.Fatalf("%d of %d dials started before the previous connection's reader and writer had ended", bad, n)
	}
}

func TestCloseAbandonsDeletesWhenItsContextEnds(t *testing.T) {
	e := startEmulator(t, emulator.Config{RateLimitsOff: true})
	c := clientFor(e, -1, Options{})
	opts := fastStream
	opts.ConnectTimeout = time.Minute // only Close's ctx may end the deletes
	s := c.Stream([]string{accountFilter}, opts)
	p := probe(t, s)
	p.next(5*time.Second, "live", isLive)
	// A failed recovery starts a delete of the lost subscription, which
	// meets a 429 with a minute's penalty: it waits, in flight, for budget.
	e.SetFaults(emulator.Faults{RecoveryFail: true, Rules: []emulator.FaultRule{
		{Method: "DELETE", PathPrefix: "/restapi/v1.0/subscription/", Status: 429, RetryAfter: 60, Count: 1}}})
	e.DropConnections()
	p.next(5*time.Second, "live on a new subscription", isLive)
	waitUntil(t, func() bool { return e.Stats().Throttled[emulator.Medium] == 1 })
	if len(streamGoroutines()) == 0 {
		t.Fatalf("the stream has no goroutines to join")
	}

	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	closed := make(chan struct{})
	go func() {
		s.Close(ctx)
		close(closed)
	}()
	select {
	case <-closed:
	case <-time.After(10 * time.Second):
		t.Fatalf("Close did not return after its context ended (the deletes wait a minute for budget)")
	}
	closedAndJoined(t, s)
	if ctx.Err() == nil {
		t.Fatalf("Close returned before its context ended, yet the deletes could not have been sent")
	}
}

func TestCloseDuringConnectReturnsPromptly(t *testing.T) {
	e := startEmulator(t, emulator.Config{RateLimitsOff: true})
	e.SetFaults(emulator.Faults{HalfOpen: true}) // no ConnectionDetails ever comes
	c := clientFor(e, -1, Options{})
	opts := fastStream
	opts.ConnectTimeout = time.Minute
	dialled := make(chan struct{})
	var once sync.Once
	testHookDialing = func(*wsConn) { once.Do(func() { close(dialled) }) }
	t.Cleanup(func() { testHookDialing = nil })
	s := c.Stream([]string{accountFilter}, opts)
	<-dialled
	waitUntil(t, func() bool { // the run loop waits in first()
		for _, g := range streamGoroutines() {
			if strings.Contains(g, "rchud/rc.(*wsConn).first") {
				return true
			}
		}
		return false
	})
	closed := make(chan struct{})
	go func() {
		s.Close(context.Background())
		close(closed)
	}()
	select {
	case <-closed:
	case <-time.After(5 * time.Second):
		t.Fatalf("Close waited for a ConnectionDetails that never comes")
	}
	closedAndJoined(t, s)
}
