package emulator

import (
	"slices"
	"testing"
	"time"
)

// serverConn is the gateway's only live connection.
func (fx *wsFixture) serverConn(t testing.TB) *wsConn {
	t.Helper()
	conns := fx.e.gw.snapshot()
	if len(conns) != 1 {
		t.Fatalf("want one server connection, have %d", len(conns))
	}
	return conns[0]
}

func TestDropIntervalClosesConnectionsAbruptly(t *testing.T) {
	t.Parallel() // waits on real timers
	fx := newWSFixture(t, Config{})
	c, _, last := fx.subscribedClient(t)
	// Turned on while the connection is up: faultsChanged re-arms its timer.
	fx.e.SetFaults(Faults{DropInterval: 300 * time.Millisecond, DropJitter: 100 * time.Millisecond})
	assertAbrupt(t, c)
	fx.waitDetached(t)
	if s := fx.gatewayStats(); s.Drops != 1 {
		t.Errorf("drops = %d, want 1", s.Drops)
	}
	// Every connection is dropped, again and again; recovery heals each time.
	missed := fx.changes(t, 1)
	r, _ := fx.recover(t, last.Header.WSC.Token, recoverySuccessful, "")
	expectNotifications(t, r, missed, last.seq()+1)
	assertAbrupt(t, r)
	waitFor(t, frameWait, "the second drop to be counted", func() bool { return fx.gatewayStats().Drops == 2 })
}

func TestHalfOpenSendsNothingUntilHealed(t *testing.T) {
	fx := newWSFixture(t, Config{})
	c, _, last := fx.subscribedClient(t)
	fx.e.SetFaults(Faults{HalfOpen: true})
	held := fx.changes(t, 3)
	sc := fx.serverConn(t)
	ignored := func() int {
		sc.mu.Lock()
		defer sc.mu.Unlock()
		return sc.ignored
	}
	c.sendRaw(t, `[{"type":"Heartbeat","messageId":"into-the-void"}]`)
	waitFor(t, frameWait, "the reader to ignore the heartbeat", func() bool { return ignored() == 1 })
	// Nothing crosses a half-open link (a bounded look for absence).
	select {
	case f := <-c.frames:
		t.Fatalf("a frame got through a half-open link: %s", f.Raw)
	case <-time.After(200 * time.Millisecond):
	}
	select {
	case <-c.done:
		t.Fatalf("half-open must keep the TCP connection open: %v", c.err)
	default:
	}

	// The path is back: like TCP, the link delivers what it held, in
	// order, then live frames follow. The heartbeat's echo is gone.
	fx.e.SetFaults(Faults{})
	live := fx.changes(t, 1)
	expectNotifications(t, c, append(held, live...), last.seq()+1)

	// The ring kept them too: recovery from the last frame before the
	// outage replays them.
	c.drop()
	fx.waitDetached(t)
	r, _ := fx.recover(t, last.Header.WSC.Token, recoverySuccessful, "")
	expectNotifications(t, r, append(held, live...), last.seq()+1)
}

func TestReorderDeliversEveryFrameOutOfOrder(t *testing.T) {
	fx := newWSFixture(t, Config{})
	c, _, last := fx.subscribedClient(t)
	fx.e.SetFaults(Faults{ReorderRate: 1, ReorderMaxDelay: 200 * time.Millisecond})
	const n = 20
	fx.changes(t, n)
	var seqs []uint64
	for range n {
		seqs = append(seqs, c.expect(t, typeNotification).seq())
	}
	if slices.IsSorted(seqs) {
		t.Errorf("20 frames each delayed at random arrived in order: %v", seqs)
	}
	slices.Sort(seqs)
	for i, s := range seqs {
		if s != last.seq()+uint64(i)+1 {
			t.Fatalf("every frame must arrive exactly once: %v", seqs)
		}
	}
	fx.e.SetFaults(Faults{})
	c.heartbeat(t, "nothing-more")
}

func TestDuplicateSendsFramesTwice(t *testing.T) {
	fx := newWSFixture(t, Config{})
	c, _, _ := fx.subscribedClient(t)
	fx.e.SetFaults(Faults{DuplicateRate: 1})
	fx.changes(t, 3)
	for range 3 {
		a, b := c.expect(t, typeNotification), c.expect(t, typeNotification)
		if a.Raw != b.Raw {
			t.Fatalf("a duplicate must be the same frame, same wsc sequence:\n%s\n%s", a.Raw, b.Raw)
		}
	}
	c.heartbeat(t, "no-third-copy")
}

func TestRecoveryFailFault(t *testing.T) {
	fx := newWSFixture(t, Config{})
	subID, last := fx.disconnected(t)
	fx.e.SetFaults(Faults{RecoveryFail: true})
	r, _ := fx.recover(t, last.Header.WSC.Token, recoveryFailed, codeSessionNotFound)
	if fx.subscriptionLives(subID) {
		t.Errorf("a failed recovery discards the old subscription")
	}
	r.subscribe(t, "~")
}

func TestLatencyKeepsOrder(t *testing.T) {
	fx := newWSFixture(t, Config{Faults: Faults{Latency: 50 * time.Millisecond}})
	c, _, last := fx.subscribedClient(t)
	expectNotifications(t, c, fx.changes(t, 5), last.seq()+1)
}

func TestAClientTooFarBehindIsDroppedAndRecovers(t *testing.T) {
	fx := newWSFixture(t, Config{})
	fx.e.gw.maxQueue.Store(20)
	c, cd := fx.connect(t, "")
	c.subscribe(t, "~")
	// Latency holds the frames in the queue, like a client that stopped reading.
	fx.e.SetFaults(Faults{Latency: time.Minute})
	sent := fx.changes(t, 25)
	assertAbrupt(t, c)
	fx.waitDetached(t)
	if s := fx.gatewayStats(); s.Drops != 1 {
		t.Errorf("drops = %d, want 1", s.Drops)
	}
	fx.e.SetFaults(Faults{})
	fx.e.gw.maxQueue.Store(10000)
	r, _ := fx.recover(t, cd.Header.WSC.Token, recoverySuccessful, "")
	expectNotifications(t, r, sent, cd.seq()+1)
}
