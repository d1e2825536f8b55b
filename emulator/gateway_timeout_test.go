package emulator

import (
	"fmt"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// every runs fn every d until the test's stop channel closes.
func every(t testing.TB, d time.Duration, fn func()) (stop func()) {
	t.Helper()
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		tick := time.NewTicker(d)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
				fn()
			}
		}
	}()
	var stopped bool
	stop = func() {
		if !stopped {
			stopped = true
			close(done)
			<-finished
		}
	}
	t.Cleanup(stop)
	return stop
}

func TestIdleTimeoutIgnoresPingFrames(t *testing.T) {
	t.Parallel() // waits on real timers
	// Pings both ways: the server's are answered by the client's pongs.
	fx := newWSFixture(t, Config{IdleTimeout: time.Second, PingInterval: 100 * time.Millisecond})
	c, cd := fx.connect(t, "")
	if cd.bodyMap(t)["idleTimeout"] != float64(1) {
		t.Fatalf("idleTimeout: %s", cd.Body)
	}
	// RFC 6455 pings are answered but are not activity (rc-api.md §2.8).
	every(t, 100*time.Millisecond, func() {
		_ = c.conn.WriteControl(websocket.PingMessage, []byte("x"), time.Now().Add(time.Second))
	})
	f := c.expect(t, typeError)
	if f.errorCode(t) != codeIdleTimeout || f.bodyMap(t)["message"] != msgIdleTimeout {
		t.Fatalf("idle timeout: %s", f.Raw)
	}
	if code := c.closeCode(t); code != 1000 {
		t.Errorf("close code %d after WSG-902", code)
	}
	if c.pongs.Load() == 0 || c.pings.Load() == 0 {
		t.Errorf("pings must flow both ways: %d pongs, %d pings", c.pongs.Load(), c.pings.Load())
	}
	waitFor(t, frameWait, "the idle timeout to be counted", func() bool { return fx.gatewayStats().IdleTimeouts == 1 })
}

func TestHeartbeatsKeepAnIdleConnectionAlive(t *testing.T) {
	t.Parallel() // waits on real timers
	fx := newWSFixture(t, Config{IdleTimeout: time.Second})
	c, _ := fx.connect(t, "")
	n := 0
	stop := every(t, 150*time.Millisecond, func() {
		n++
		_ = c.conn.WriteMessage(websocket.TextMessage, []byte(fmt.Sprintf(`[{"type":"Heartbeat","messageId":"hb%d"}]`, n)))
	})
	// Ten echoes span 1.5 idle timeouts; an Error frame would fail expect.
	for range 10 {
		c.expect(t, typeHeartbeat)
	}
	stop()
	for {
		f := c.next(t)
		if f.Header.Type == typeHeartbeat {
			continue // echoes still in flight
		}
		if f.Header.Type != typeError || f.errorCode(t) != codeIdleTimeout {
			t.Fatalf("after the heartbeats stop: %s", f.Raw)
		}
		break
	}
}

func TestAbsoluteTimeoutEndsTheSession(t *testing.T) {
	t.Parallel() // waits on real timers
	fx := newWSFixture(t, Config{AbsoluteTimeout: time.Second})
	c, cd := fx.connect(t, "")
	subID := c.subscribe(t, "~")
	f := c.expect(t, typeError)
	if f.errorCode(t) != codeAbsoluteTimeout || f.bodyMap(t)["message"] != msgAbsoluteTimeout {
		t.Fatalf("absolute timeout: %s", f.Raw)
	}
	if code := c.closeCode(t); code != 1000 {
		t.Errorf("close code %d after WSG-903", code)
	}
	if fx.subscriptionLives(subID) {
		t.Errorf("the ended session's subscription must leave the hub")
	}
	fx.recover(t, cd.Header.WSC.Token, recoveryFailed, codeSessionNotFound)
	if s := fx.gatewayStats(); s.AbsoluteTimeouts != 1 {
		t.Errorf("stats: %+v", s)
	}
}

func TestUnansweredPingsCloseTheConnection(t *testing.T) {
	t.Parallel() // waits on real timers
	fx := newWSFixture(t, Config{PingInterval: 50 * time.Millisecond})
	fx.e.gw.pongWaitNs.Store(int64(300 * time.Millisecond))
	alive, _ := fx.connect(t, "")
	dead, _ := fx.connect(t, "")
	dead.mute.Store(true)
	assertAbrupt(t, dead)
	if dead.pings.Load() == 0 {
		t.Fatalf("the server sent no pings")
	}
	// The answering client outlives several pong waits.
	waitFor(t, frameWait, "twenty pings", func() bool { return alive.pings.Load() >= 20 })
	alive.heartbeat(t, "alive")
}

// TestPromptPongsAreNeverTooEarly answers pings one at a time, each alone in
// its pong wait (as RingCentral's 30 s pings with a 10 s wait are): a pong
// that arrives before the server noted its ping must still count.
func TestPromptPongsAreNeverTooEarly(t *testing.T) {
	t.Parallel() // waits on real timers
	fx := newWSFixture(t, Config{PingInterval: 40 * time.Millisecond})
	fx.e.gw.pongWaitNs.Store(int64(25 * time.Millisecond))
	c, _ := fx.connect(t, "")
	waitFor(t, 10*time.Second, "a hundred pings", func() bool { return c.pings.Load() >= 100 })
	select {
	case <-c.done:
		t.Fatalf("a prompt pong was taken for none: %v", c.err)
	default:
	}
}
