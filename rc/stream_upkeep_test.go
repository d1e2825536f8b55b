package rc

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/rchud/rchud/emulator"
)

// upkeepStream checks the subscription every 50 ms.
var upkeepStream = func() StreamOptions {
	o := fastStream
	o.VerifyEvery = 50 * time.Millisecond
	return o
}()

func isLost(ev StreamEvent) bool   { return ev.Lost != nil }
func isResync(ev StreamEvent) bool { return ev.Resync != nil }

// subscriptionPOSTs counts subscription creations over the socket.
func subscriptionPOSTs(e *emulator.Emulator) int {
	n := 0
	for _, r := range e.Requests() {
		if r.Via == "ws" && r.Method == "POST" && r.Path == "/restapi/v1.0/subscription" {
			n++
		}
	}
	return n
}

// purgeAll deletes every subscription on the server, telling no one.
func purgeAll(t *testing.T, e *emulator.Emulator) {
	t.Helper()
	for _, sub := range e.Subscriptions() {
		if err := e.PurgeSubscription(sub.ID); err != nil {
			t.Fatal(err)
		}
	}
}

// TestStreamNoticesALostSubscription (issue 10, item 1): the server drops
// the subscription while the socket stays up. The stream says so at once
// (Lost), makes a new one, asks for a resync, and notifications flow again.
func TestStreamNoticesALostSubscription(t *testing.T) {
	e := startEmulator(t, emulator.Config{RateLimitsOff: true})
	s := clientFor(e, -1, Options{}).Stream([]string{accountFilter}, upkeepStream)
	t.Cleanup(func() { closeStream(t, s) })
	p := probe(t, s)
	p.next(5*time.Second, "live", isLive)
	purgeAll(t, e)
	lostAt := time.Now()
	p.next(2*time.Second, "the loss reported", isLost)
	t.Logf("loss reported %v after the purge", time.Since(lostAt).Round(time.Millisecond))
	p.next(2*time.Second, "a resync after the new subscription", isResync)
	if n := len(e.Subscriptions()); n != 1 {
		t.Fatalf("%d subscriptions after the re-creation, want 1", n)
	}
	id, ids := someUser(e, 0)
	setMessage(t, e, id, "after the loss")
	p.next(5*time.Second, "a notification on the new subscription", withMessage(ids, "after the loss"))
}

// TestStreamHoldsBackASubscriptionLostTooOften: however often it is lost,
// the subscription is re-created at most RecreateLimit times a window, and
// the link says why and when it will be.
func TestStreamHoldsBackASubscriptionLostTooOften(t *testing.T) {
	e := startEmulator(t, emulator.Config{RateLimitsOff: true})
	opts := upkeepStream
	opts.RecreateLimit, opts.RecreateWindow = 2, time.Minute
	s := clientFor(e, -1, Options{}).Stream([]string{accountFilter}, opts)
	t.Cleanup(func() { closeStream(t, s) })
	p := probe(t, s)
	p.next(5*time.Second, "live", isLive)
	first := time.Now()
	for i := 0; i < 2; i++ {
		purgeAll(t, e)
		p.next(2*time.Second, "the loss reported", isLost)
		p.next(2*time.Second, "a resync after the new subscription", isResync)
	}
	posts := subscriptionPOSTs(e)
	purgeAll(t, e)
	p.next(2*time.Second, "the loss reported", isLost)
	ev := p.next(2*time.Second, "the link saying the re-creation is held back", func(ev StreamEvent) bool {
		return ev.Link != nil && ev.Link.State == LinkRecovering
	})
	if ev.Link.Err == nil || !strings.Contains(ev.Link.Err.Error(), "keeps disappearing") {
		t.Fatalf("the link must say why: %v", ev.Link.Err)
	}
	if d := ev.Link.Retry.Sub(first); d < 59*time.Second || d > 61*time.Second+5*time.Second {
		t.Fatalf("the next re-creation must be a minute after the first, got %v after", d)
	}
	p.never(300*time.Millisecond, "a re-creation beyond the limit", isResync)
	if n := subscriptionPOSTs(e); n != posts {
		t.Fatalf("%d subscription POSTs beyond the limit", n-posts)
	}
}

// TestStreamGivesUpWithoutTheWebSocketPermission (issue 10, item 3): an
// app without the WebSocket permission is told so once, and the stream
// stops asking.
func TestStreamGivesUpWithoutTheWebSocketPermission(t *testing.T) {
	var perms emulator.Permissions
	if err := perms.DenyScope(emulator.ScopeWebSocketSubscriptions); err != nil {
		t.Fatal(err)
	}
	e := startEmulator(t, emulator.Config{RateLimitsOff: true, Permissions: perms})
	s := clientFor(e, -1, Options{}).Stream([]string{accountFilter}, fastStream)
	t.Cleanup(func() { closeStream(t, s) })
	p := probe(t, s)
	ev := p.next(5*time.Second, "the stream giving up", func(ev StreamEvent) bool {
		return ev.Link != nil && ev.Link.State == LinkFailed
	})
	if !errors.Is(ev.Link.Err, ErrPermission) || !strings.Contains(ev.Link.Err.Error(), "WebSocket") {
		t.Fatalf("the link must name the permission: %v", ev.Link.Err)
	}
	wstokens := e.Stats().WSTokens + countPath(e, "/restapi/oauth/wstoken")
	p.never(500*time.Millisecond, "another attempt", func(ev StreamEvent) bool { return ev.Link != nil })
	if n := e.Stats().WSTokens + countPath(e, "/restapi/oauth/wstoken"); n != wstokens {
		t.Fatalf("the stream kept asking for WebSocket tokens")
	}
}

// TestStreamGivesUpWhenSubscribingIsRefused: the permission taken away
// while live; the lost subscription's re-creation meets SUB-528.
func TestStreamGivesUpWhenSubscribingIsRefused(t *testing.T) {
	e := startEmulator(t, emulator.Config{RateLimitsOff: true})
	s := clientFor(e, -1, Options{}).Stream([]string{accountFilter}, upkeepStream)
	t.Cleanup(func() { closeStream(t, s) })
	p := probe(t, s)
	p.next(5*time.Second, "live", isLive)
	var perms emulator.Permissions
	if err := perms.DenyScope(emulator.ScopeWebSocketSubscriptions); err != nil {
		t.Fatal(err)
	}
	if err := e.SetPermissions(perms); err != nil {
		t.Fatal(err)
	}
	purgeAll(t, e)
	ev := p.next(5*time.Second, "the stream giving up", func(ev StreamEvent) bool {
		return ev.Link != nil && ev.Link.State == LinkFailed
	})
	if !errors.Is(ev.Link.Err, ErrPermission) || !strings.Contains(ev.Link.Err.Error(), "SUB-528") {
		t.Fatalf("the link must say SUB-528: %v", ev.Link.Err)
	}
	posts := subscriptionPOSTs(e)
	p.never(500*time.Millisecond, "another attempt", func(ev StreamEvent) bool { return ev.Link != nil })
	if subscriptionPOSTs(e) != posts {
		t.Fatalf("the stream kept subscribing")
	}
}

func countPath(e *emulator.Emulator, path string) int {
	n := 0
	for _, r := range e.Requests() {
		if r.Path == path {
			n++
		}
	}
	return n
}

// TestStreamReconnectsWhenItSaysItWill (issue 10, item 6): every link
// event while the gateway refuses says when the next attempt is, and the
// attempt comes then, not before.
func TestStreamReconnectsWhenItSaysItWill(t *testing.T) {
	e := startEmulator(t, emulator.Config{RateLimitsOff: true, Faults: emulator.Faults{RefuseUpgrades: true}})
	opts := fastStream
	opts.BackoffBase, opts.BackoffMax = 20*time.Millisecond, 400*time.Millisecond
	s := clientFor(e, -1, Options{}).Stream([]string{accountFilter}, opts)
	t.Cleanup(func() { closeStream(t, s) })
	p := probe(t, s)
	var retries []time.Time
	for len(retries) < 8 {
		ev := p.next(5*time.Second, "a failed attempt", func(ev StreamEvent) bool { return ev.Link != nil && ev.Link.Err != nil })
		if ev.Link.Retry.IsZero() {
			t.Fatalf("a failed attempt must say when the next is: %+v", ev.Link)
		}
		retries = append(retries, ev.Link.Retry)
	}
	var upgrades []time.Time
	for _, r := range e.Requests() {
		if r.Via == "ws-upgrade" {
			upgrades = append(upgrades, r.Time)
		}
	}
	// Attempt i+1 is the upgrade after the i-th promise.
	for i, at := range retries[:len(retries)-1] {
		if i+1 >= len(upgrades) {
			break
		}
		if upgrades[i+1].Before(at.Add(-5 * time.Millisecond)) {
			t.Fatalf("attempt %d came %v before it was due", i+2, at.Sub(upgrades[i+1]))
		}
		if upgrades[i+1].After(at.Add(time.Second)) {
			t.Fatalf("attempt %d came %v after it was due", i+2, upgrades[i+1].Sub(at))
		}
	}
}

// TestReconnectDelaysSpreadOutAndGrowTowardAMinute (issue 10, item 6): a
// fleet reconnecting after a gateway outage must not come back in waves:
// each delay is drawn from the whole of [0, cap] (full jitter), and the
// cap grows toward a minute while the gateway stays down.
func TestReconnectDelaysSpreadOutAndGrowTowardAMinute(t *testing.T) {
	var o StreamOptions
	o.defaults()
	s := &Stream{opts: o}
	var longest time.Duration
	for attempt := 0; attempt < 10; attempt++ {
		capAt := min(2*time.Second<<attempt, time.Minute)
		shortest := time.Hour
		for i := 0; i < 1000; i++ {
			d := s.backoff(attempt)
			shortest, longest = min(shortest, d), max(longest, d)
		}
		if shortest > capAt/10 {
			t.Fatalf("attempt %d: no delay below %v of a %v cap: the jitter is not full", attempt+1, shortest, capAt)
		}
	}
	if longest < 50*time.Second || longest > time.Minute {
		t.Fatalf("the longest delay is %v: the cap must grow to a minute", longest)
	}
}

// TestStreamCheckDoesNotWaitForBudget: with the Light budget spent, the
// subscription's check is put off rather than waited for: waiting would
// stall the heartbeats and the link would die.
func TestStreamCheckDoesNotWaitForBudget(t *testing.T) {
	limits := emulator.DefaultRateLimits()
	limits[emulator.Light] = emulator.RateLimit{Limit: 4, Window: time.Minute, Penalty: time.Minute}
	e := startEmulator(t, emulator.Config{RateLimits: limits})
	c := clientFor(e, -1, Options{})
	if _, err := c.GetExtension(t.Context(), "~"); err != nil { // learns the Light budget
		t.Fatal(err)
	}
	s := c.Stream([]string{accountFilter}, upkeepStream)
	t.Cleanup(func() { closeStream(t, s) })
	p := probe(t, s)
	p.next(5*time.Second, "live", isLive)
	p.never(1500*time.Millisecond, "the link lost while the budget is spent", func(ev StreamEvent) bool {
		if ev.Link != nil && ev.Link.State != LinkLive {
			t.Logf("link %v: %v", ev.Link.State, ev.Link.Err)
			return true
		}
		return false
	})
	checks := 0
	for _, r := range e.Requests() {
		if r.Via == "ws" && r.Method == "GET" {
			checks++
		}
	}
	t.Logf("%d checks sent", checks)
	id, ids := someUser(e, 0)
	setMessage(t, e, id, "still live")
	p.next(time.Second, "a notification on the link", withMessage(ids, "still live"))
	if th := e.Stats().Throttled[emulator.Light]; th != 0 {
		t.Fatalf("%d checks throttled", th)
	}
}
