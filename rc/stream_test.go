package rc

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/rchud/rchud/emulator"
)

// streamProbe reads a Stream's events in the background for a test.
type streamProbe struct {
	t      *testing.T
	events chan StreamEvent
}

func probe(t *testing.T, s *Stream) *streamProbe {
	p := &streamProbe{t: t, events: make(chan StreamEvent, 10000)}
	go func() {
		for ev := range s.Events() {
			p.events <- ev
		}
		close(p.events)
	}()
	return p
}

// next waits for the first event matching ok, failing after d.
func (p *streamProbe) next(d time.Duration, what string, ok func(StreamEvent) bool) StreamEvent {
	p.t.Helper()
	timer := time.NewTimer(d)
	defer timer.Stop()
	for {
		select {
		case ev, open := <-p.events:
			if !open {
				p.t.Fatalf("stream closed while waiting for %s", what)
			}
			if ok(ev) {
				return ev
			}
		case <-timer.C:
			p.t.Fatalf("timed out after %v waiting for %s", d, what)
		}
	}
}

// never fails if an event matching bad arrives within d.
func (p *streamProbe) never(d time.Duration, what string, bad func(StreamEvent) bool) {
	p.t.Helper()
	timer := time.NewTimer(d)
	defer timer.Stop()
	for {
		select {
		case ev, open := <-p.events:
			if !open {
				p.t.Fatalf("stream closed while watching for %s", what)
			}
			if bad(ev) {
				p.t.Fatalf("%s: %+v", what, ev)
			}
		case <-timer.C:
			return
		}
	}
}

// drain returns the events already queued.
func (p *streamProbe) drain() []StreamEvent {
	var out []StreamEvent
	for {
		select {
		case ev := <-p.events:
			out = append(out, ev)
		default:
			return out
		}
	}
}

func isLive(ev StreamEvent) bool { return ev.Link != nil && ev.Link.State == LinkLive }

func isRecovering(ev StreamEvent) bool { return ev.Link != nil && ev.Link.State == LinkRecovering }

// presenceOf returns a notification's presence if it is about ext.
func presenceOf(ev StreamEvent, ext string) (Presence, bool) {
	if ev.Notification == nil || ev.Notification.Kind() != KindPresence {
		return Presence{}, false
	}
	p, err := ev.Notification.Presence()
	return p, err == nil && string(p.Who()) == ext
}

func withMessage(ext, msg string) func(StreamEvent) bool {
	return func(ev StreamEvent) bool {
		p, ok := presenceOf(ev, ext)
		return ok && p.Message != nil && *p.Message == msg
	}
}

// fastStream are options that make failures show within a test's time.
var fastStream = StreamOptions{
	HeartbeatAfter: 400 * time.Millisecond,
	DeadAfter:      400 * time.Millisecond,
	ConnectTimeout: 3 * time.Second,
	BackoffBase:    100 * time.Millisecond,
	BackoffMax:     300 * time.Millisecond,
	GapTimeout:     300 * time.Millisecond,
}

const accountFilter = "/restapi/v1.0/account/~/presence?detailedTelephonyState=true"

func someUser(e *emulator.Emulator, skip int) (id int64, ids string) {
	for _, x := range e.Truth().Extensions {
		if x.Type == "User" && x.ID != e.Credentials().Receptionist.ExtensionID {
			if skip == 0 {
				fmt.Sscan(x.ID, &id)
				return id, x.ID
			}
			skip--
		}
	}
	panic("no user")
}

func setMessage(t *testing.T, e *emulator.Emulator, id int64, msg string) {
	t.Helper()
	if err := e.SetPresence(id, emulator.PresenceUpdate{Message: &msg}); err != nil {
		t.Fatal(err)
	}
}

// closeStream closes s and checks that none of its goroutines is left.
func closeStream(t *testing.T, s *Stream) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	s.Close(ctx)
	closedAndJoined(t, s)
}

// liveAccountStream opens the receptionist's stream on the account
// presence filter, closed when the test ends, and waits until it is live.
func liveAccountStream(t *testing.T, e *emulator.Emulator) (*Stream, *streamProbe) {
	t.Helper()
	s := clientFor(e, -1, Options{}).Stream([]string{accountFilter}, fastStream)
	t.Cleanup(func() { closeStream(t, s) })
	p := probe(t, s)
	p.next(5*time.Second, "live", isLive)
	return s, p
}

func TestStreamDeliversNotifications(t *testing.T) {
	e := startEmulator(t, emulator.Config{RateLimitsOff: true})
	_, p := liveAccountStream(t, e)
	id, ids := someUser(e, 0)
	setMessage(t, e, id, "hello")
	ev := p.next(5*time.Second, "the notification", withMessage(ids, "hello"))
	if ev.Notification.SubscriptionID == "" || ev.Notification.Timestamp.IsZero() {
		t.Fatalf("envelope incomplete: %+v", ev.Notification)
	}
	pr, _ := ev.Notification.Presence()
	if pr.Sequence == nil || pr.TotalActiveCalls == nil {
		t.Fatalf("detailed body without sequence or totalActiveCalls: %+v", pr)
	}
	if got := e.Stats().Gateway.Recovered; got != 0 {
		t.Fatalf("no recovery expected, got %d", got)
	}
}

func TestStreamDropsDuplicates(t *testing.T) {
	e := startEmulator(t, emulator.Config{RateLimitsOff: true})
	e.SetFaults(emulator.Faults{DuplicateRate: 1})
	_, p := liveAccountStream(t, e)
	id, ids := someUser(e, 1)
	for i := 0; i < 5; i++ {
		setMessage(t, e, id, fmt.Sprint("m", i))
	}
	p.next(5*time.Second, "the last change", withMessage(ids, "m4"))
	setMessage(t, e, id, "end")
	p.next(5*time.Second, "a marker", withMessage(ids, "end"))
	// Every notification of the five changes arrived twice; each was
	// delivered once: the marker came after, so any duplicate would be queued.
	for _, ev := range p.drain() {
		if pr, ok := presenceOf(ev, ids); ok && pr.Message != nil {
			t.Fatalf("a duplicate got through: %s", *pr.Message)
		}
	}
}

func TestStreamRecoversWithoutResync(t *testing.T) {
	// Hold the connect path right after the reader starts: replayed frames
	// right behind ConnectionDetails must still reach the subscription.
	testHookReaderStarted = func() { time.Sleep(50 * time.Millisecond) }
	t.Cleanup(func() { testHookReaderStarted = nil }) // after the stream has closed
	e := startEmulator(t, emulator.Config{RateLimitsOff: true})
	_, p := liveAccountStream(t, e)
	id, ids := someUser(e, 2)
	setMessage(t, e, id, "before")
	p.next(5*time.Second, "before", withMessage(ids, "before"))

	// Changes while the socket is down land in the session's replay buffer
	// and arrive right behind ConnectionDetails: none may be lost.
	e.DropConnections()
	for i := 0; i < 20; i++ {
		setMessage(t, e, id, fmt.Sprint("while away ", i))
	}
	for i := 0; i < 20; i++ {
		p.next(5*time.Second, "replayed change "+fmt.Sprint(i), withMessage(ids, fmt.Sprint("while away ", i)))
	}
	for _, ev := range p.drain() {
		if ev.Resync != nil {
			t.Fatalf("a successful recovery must not ask for a resync: %s", ev.Resync.Why)
		}
	}
	if e.Stats().Gateway.Recovered < 1 {
		t.Fatalf("the gateway saw no recovery: %+v", e.Stats().Gateway)
	}
}

func TestStreamResyncsWhenRecoveryFails(t *testing.T) {
	e := startEmulator(t, emulator.Config{RateLimitsOff: true})
	s, p := liveAccountStream(t, e)
	e.SetFaults(emulator.Faults{RecoveryFail: true})
	e.DropConnections()
	ev := p.next(5*time.Second, "a resync", func(ev StreamEvent) bool { return ev.Resync != nil })
	t.Logf("resync: %s", ev.Resync.Why)
	p.next(5*time.Second, "live again", isLive)
	id, ids := someUser(e, 3)
	setMessage(t, e, id, "after")
	p.next(5*time.Second, "a change on the new subscription", withMessage(ids, "after"))
	// The lost session's subscription is deleted, not left to pile up.
	ctx := context.Background()
	deadline := time.Now().Add(5 * time.Second)
	for {
		subs, err := s.c.ListSubscriptions(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(subs) == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d subscriptions left after a failed recovery, want 1", len(subs))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestStreamDetectsHalfOpenAndReplayOverflow(t *testing.T) {
	e := startEmulator(t, emulator.Config{RateLimitsOff: true, RecoveryBufferSize: 5})
	_, p := liveAccountStream(t, e)
	id, ids := someUser(e, 4)
	e.SetFaults(emulator.Faults{HalfOpen: true})
	for i := 0; i < 8; i++ {
		setMessage(t, e, id, fmt.Sprint("lost ", i))
	}
	// Silence: heartbeats go unanswered, the link is declared dead.
	p.next(3*time.Second, "the dead link", isRecovering)
	e.SetFaults(emulator.Faults{})
	// Recovery replays only the last 5 of 8: the hole means a resync.
	p.next(5*time.Second, "a resync for the lost notifications", func(ev StreamEvent) bool { return ev.Resync != nil })
	setMessage(t, e, id, "fresh")
	p.next(5*time.Second, "live traffic after the resync", withMessage(ids, "fresh"))
}

func TestStreamKeepsAnIdleSessionAlive(t *testing.T) {
	// The wire gives the idle timeout in whole seconds, so 1 s is the
	// shortest; half an idle timeout more shows keep-alives repeat.
	idle, watch := time.Second, 1500*time.Millisecond
	if *soak > 0 {
		idle, watch = 1500*time.Millisecond, max(5*time.Second, *soak)
	}
	e := startEmulator(t, emulator.Config{RateLimitsOff: true, IdleTimeout: idle})
	c := clientFor(e, -1, Options{})
	opts := fastStream
	opts.HeartbeatAfter = 10 * time.Second // only the idle keep-alive may save it
	opts.DeadAfter = 10 * time.Second
	s := c.Stream([]string{accountFilter}, opts)
	defer closeStream(t, s)
	p := probe(t, s)
	p.next(5*time.Second, "live", isLive)
	p.never(watch, "an idle session was closed", isRecovering)
	if n := e.Stats().Gateway.IdleTimeouts; n != 0 {
		t.Fatalf("%d idle timeouts", n)
	}
}

func TestStreamReconnectsAfterAbsoluteTimeout(t *testing.T) {
	e := startEmulator(t, emulator.Config{RateLimitsOff: true, AbsoluteTimeout: 300 * time.Millisecond})
	_, p := liveAccountStream(t, e)
	ev := p.next(5*time.Second, "the absolute timeout", isRecovering)
	t.Logf("lost: %v", ev.Link.Err)
	p.next(5*time.Second, "a resync (WSG-903 ends the session)", func(ev StreamEvent) bool { return ev.Resync != nil })
	p.next(5*time.Second, "live again", isLive)
}

func TestStreamFilterChangeAndCloseDeletesSubscription(t *testing.T) {
	e := startEmulator(t, emulator.Config{RateLimitsOff: true})
	c := clientFor(e, 0, Options{})
	me := e.Credentials().Agents[0].ExtensionID
	s := c.Stream([]string{"/restapi/v1.0/account/~/extension/~/presence?detailedTelephonyState=true"}, fastStream)
	p := probe(t, s)
	p.next(5*time.Second, "live", isLive)
	id, ids := someUser(e, 5)
	if ids == me {
		id, ids = someUser(e, 6)
	}
	ctx := context.Background()
	if err := s.SetFilters(ctx, []string{"/restapi/v1.0/account/~/extension/" + ids + "/presence?detailedTelephonyState=true"}); err != nil {
		t.Fatalf("set filters: %v", err)
	}
	setMessage(t, e, id, "watched")
	p.next(5*time.Second, "a change under the new filter", withMessage(ids, "watched"))
	closeStream(t, s)
	subs, err := c.ListSubscriptions(ctx)
	if err != nil || len(subs) != 0 {
		t.Fatalf("Close must delete the subscription: %d left (%v)", len(subs), err)
	}
}

func TestStreamReusesItsWebSocketTokenAndFallsBack(t *testing.T) {
	e := startEmulator(t, emulator.Config{RateLimitsOff: true, WSTokenTTL: time.Minute})
	s, p := liveAccountStream(t, e)
	for i := 0; i < 3; i++ {
		e.DropConnections()
		p.next(5*time.Second, "lost", isRecovering)
		p.next(5*time.Second, "live again", isLive)
	}
	if n := e.Stats().WSTokens; n != 1 {
		t.Fatalf("three reconnects within the token's life spent %d WebSocket tokens, want 1", n)
	}
	// A token the server no longer accepts: the client falls back to a fresh one.
	s.c.tokMu.Lock()
	s.c.ws.token = "revoked-or-unknown"
	s.c.tokMu.Unlock()
	e.DropConnections()
	p.next(5*time.Second, "lost", isRecovering)
	p.next(5*time.Second, "live with a fresh token", isLive)
	if n := e.Stats().WSTokens; n != 2 {
		t.Fatalf("after a refused token %d tokens were issued, want 2", n)
	}
}

func TestStreamPingsKeepAQuietLinkAlive(t *testing.T) {
	// The server pings often and nothing else happens: pings keep the
	// heartbeat clock quiet, so they must keep the read deadline off too.
	ping, heartbeat, dead := 50*time.Millisecond, 250*time.Millisecond, 125*time.Millisecond
	if *soak > 0 {
		ping, heartbeat, dead = 200*time.Millisecond, time.Second, 500*time.Millisecond
	}
	e := startEmulator(t, emulator.Config{RateLimitsOff: true, PingInterval: ping, IdleTimeout: time.Hour})
	c := clientFor(e, -1, Options{})
	opts := fastStream
	opts.HeartbeatAfter, opts.DeadAfter = heartbeat, dead
	s := c.Stream([]string{accountFilter}, opts)
	defer closeStream(t, s)
	p := probe(t, s)
	p.next(5*time.Second, "live", isLive)
	// Two read windows (four under -soak) of nothing but pings: without
	// them pushing the read deadline, the first window ends the link.
	windows := 2
	if *soak > 0 {
		windows = 4
	}
	p.never(time.Duration(windows)*(heartbeat+dead+min(time.Second, dead)), "a quiet, pinged link was declared dead", isRecovering)
}
