package state

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rchud/rchud/emulator"
	"github.com/rchud/rchud/rc"
)

func startEmu(t testing.TB, cfg emulator.Config) *emulator.Emulator {
	t.Helper()
	if cfg.Users == 0 {
		cfg.Users = 60
	}
	if cfg.Queues == 0 {
		cfg.Queues = 4
	}
	if cfg.Seed == 0 {
		cfg.Seed = 21
	}
	e, err := emulator.Start(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	return e
}

// testStream makes link failures show within a test's time.
var testStream = rc.StreamOptions{
	HeartbeatAfter: time.Second,
	DeadAfter:      time.Second,
	ConnectTimeout: 5 * time.Second,
	BackoffBase:    200 * time.Millisecond,
	BackoffMax:     800 * time.Millisecond,
	GapTimeout:     2500 * time.Millisecond,
}

type running struct {
	m    *Mirror
	s    *Sync
	c    *rc.Client
	stop func()
	done <-chan error // Run's result
}

// syncConfig tunes startSyncWith.
type syncConfig struct {
	agent  int // -1: the receptionist
	within time.Duration
	logger *slog.Logger
	stream rc.StreamOptions
	// realStream uses the client's own defaults instead of testStream.
	realStream bool
	client     rc.Options
	// setup runs before the sync starts (hooks).
	setup func(*Sync, *Mirror)
	// sync tunes the sync (its Stream is set from stream).
	sync SyncOptions
	// noWait returns at once instead of waiting for the first full load.
	noWait bool
}

// startSync signs in as the receptionist (agent < 0) or an agent and waits
// for the first full load.
func startSync(t testing.TB, e *emulator.Emulator, agent int) *running {
	t.Helper()
	return startSyncWith(t, e, syncConfig{agent: agent})
}

func startSyncWithin(t testing.TB, e *emulator.Emulator, agent int, within time.Duration) *running {
	t.Helper()
	return startSyncWith(t, e, syncConfig{agent: agent, within: within})
}

func startSyncWith(t testing.TB, e *emulator.Emulator, sc syncConfig) *running {
	t.Helper()
	if sc.within == 0 {
		sc.within = 60 * time.Second
	}
	if sc.logger == nil {
		sc.logger = slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelInfo}))
	}
	if sc.stream == (rc.StreamOptions{}) && !sc.realStream {
		sc.stream = testStream
	}
	if sc.client.RetryBase == 0 {
		sc.client.RetryBase = 50 * time.Millisecond
	}
	sc.client.Logger = sc.logger.With("component", "rc")
	cr := e.Credentials()
	jwt := cr.UserJWT
	if sc.agent >= 0 {
		jwt = cr.Agents[sc.agent].JWT
	}
	c := rc.New(rc.Config{ServerURL: cr.ServerURL, ClientID: cr.ClientID, ClientSecret: cr.ClientSecret, JWT: jwt}, sc.client)
	m := NewMirror(nil)
	so := sc.sync
	so.Stream, so.FetchEvery, so.Logger = sc.stream, 100*time.Millisecond, sc.logger.With("component", "sync")
	s := NewSync(c, m, so)
	if sc.setup != nil {
		sc.setup(s, m)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	r := &running{m: m, s: s, c: c}
	var once bool
	r.stop = func() {
		if once {
			return
		}
		once = true
		cancel()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Errorf("sync did not stop")
		}
	}
	t.Cleanup(r.stop)
	r.done = done
	if sc.noWait {
		return r
	}
	select {
	case <-s.Ready():
	case err := <-done:
		t.Fatalf("sync ended before loading: %v", err)
	case <-time.After(sc.within):
		t.Fatalf("sync did not load within %v", sc.within)
	}
	return r
}

// diffTruth lists where the mirror differs from the emulator's ground
// truth: every presence field, every active call, and (followed) queues.
func diffTruth(m *Mirror, truth emulator.Truth, queues bool) []string {
	var out []string
	for _, x := range truth.Extensions {
		e, ok := m.Get(ID(x.ID))
		if !ok {
			out = append(out, x.ID+": missing")
			continue
		}
		if x.Type != "User" {
			continue
		}
		p := x.Presence
		want := map[string]string{
			"presenceStatus":  p.PresenceStatus,
			"userStatus":      p.UserStatus,
			"dndStatus":       p.DNDStatus,
			"telephonyStatus": p.TelephonyStatus,
			"message":         sanitized(p.Message),
		}
		got := map[string]string{
			"presenceStatus":  e.PresenceStatus,
			"userStatus":      e.UserStatus,
			"dndStatus":       string(e.RawDND),
			"telephonyStatus": e.TelephonyStatus,
			"message":         e.Message,
		}
		if truth.CHS {
			want["dndStatusPersonal"], got["dndStatusPersonal"] = p.DNDStatusPersonal, string(e.DNDPersonal)
			want["acceptCallQueueCalls"] = fmt.Sprint(p.AcceptCallQueue != nil && *p.AcceptCallQueue)
			got["acceptCallQueueCalls"] = fmt.Sprint(e.CHS && !e.QueueOff)
		}
		for k, w := range want {
			if got[k] != w {
				out = append(out, fmt.Sprintf("%s %s: %s=%q, truth %q", x.ExtensionNumber, x.Name, k, got[k], w))
			}
		}
		var wantCalls, gotCalls []string
		for _, c := range p.ActiveCalls {
			wantCalls = append(wantCalls, c.ID+"/"+c.TelephonyStatus)
		}
		for _, c := range e.Calls {
			gotCalls = append(gotCalls, c.ID+"/"+c.Status())
		}
		slices.Sort(wantCalls)
		slices.Sort(gotCalls)
		if !slices.Equal(wantCalls, gotCalls) {
			out = append(out, fmt.Sprintf("%s %s: calls %v, truth %v", x.ExtensionNumber, x.Name, gotCalls, wantCalls))
		}
	}
	if queues {
		for _, q := range truth.Queues {
			mq, ok := m.Queue(ID(q.ID))
			if !ok {
				out = append(out, "queue "+q.Name+": missing")
				continue
			}
			for id, accept := range q.Members {
				if got, ok := mq.Accept[ID(id)]; !ok || got != accept {
					out = append(out, fmt.Sprintf("queue %s member %s: accept=%v(%v), truth %v", q.Name, id, got, ok, accept))
				}
			}
		}
	}
	return out
}

// converge waits until the mirror equals the truth, with the traffic paused.
func converge(t *testing.T, e *emulator.Emulator, m *Mirror, queues bool, within time.Duration) {
	t.Helper()
	var diffs []string
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		if diffs = diffTruth(m, e.Truth(), queues); len(diffs) == 0 {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("mirror differs from the truth in %d places after %v, e.g.:\n%s", len(diffs), within,
		strings.Join(diffs[:min(len(diffs), 10)], "\n"))
}

// testWriter sends log lines to the test's log.
type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

func waitUntil(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", d, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func userIDs(e *emulator.Emulator) []int64 {
	var out []int64
	skip := map[string]bool{e.Credentials().Receptionist.ExtensionID: true}
	for _, a := range e.Credentials().Agents {
		skip[a.ExtensionID] = true
	}
	for _, x := range e.Truth().Extensions {
		if x.Type == "User" && !skip[x.ID] {
			id, _ := strconv.ParseInt(x.ID, 10, 64)
			out = append(out, id)
		}
	}
	return out
}

func TestSyncAccountModeBootstrapsAThousandExtensions(t *testing.T) {
	t.Parallel()
	e := startEmu(t, emulator.Config{Users: 1000, Queues: 6, RateLimitsOff: true})
	r := startSync(t, e, -1)
	if diffs := diffTruth(r.m, e.Truth(), true); len(diffs) > 0 {
		t.Fatalf("after the first load the mirror differs in %d places: %v", len(diffs), diffs[:min(5, len(diffs))])
	}
	if n := r.m.Len(); n != 1000+6+4 {
		t.Fatalf("%d extensions in the mirror", n)
	}
	var pages int
	for _, req := range e.Requests() {
		if strings.HasSuffix(req.Path, "/extension") && req.Method == "GET" {
			pages++
		}
	}
	if pages != 2 {
		t.Fatalf("the directory took %d pages, want 2 of 1000", pages)
	}
	// A change arrives through the account filter.
	id := userIDs(e)[3]
	msg := "Back at 4"
	if err := e.SetPresence(id, emulator.PresenceUpdate{Message: &msg}); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, 5*time.Second, "the change", func() bool {
		en, _ := r.m.Get(ID(strconv.FormatInt(id, 10)))
		return en.Message == msg
	})
	if h := r.m.Health(); h.Conn != ConnLive || !h.Loaded {
		t.Fatalf("health %+v", h)
	}
}

func TestSyncAgentModeUsesPerExtensionFiltersAndBatches(t *testing.T) {
	t.Parallel()
	e := startEmu(t, emulator.Config{Users: 100, Queues: 4})
	r := startSync(t, e, 0)
	if diffs := diffTruth(r.m, e.Truth(), false); len(diffs) > 0 {
		t.Fatalf("agent mirror differs: %v", diffs[:min(5, len(diffs))])
	}
	batches := 0
	for _, req := range e.Requests() {
		if strings.Contains(req.Path, ",") && strings.HasSuffix(req.Path, "/presence") {
			batches++
		}
		if strings.HasSuffix(req.Path, "/account/~/presence") {
			t.Fatalf("an agent must not ask for company presence")
		}
	}
	if batches != 4 { // 100 users, 30 a call
		t.Fatalf("%d batch presence calls, want 4", batches)
	}
	if e.Stats().Throttled[emulator.Light] != 0 {
		t.Fatalf("batch GETs tripped the Light limit")
	}
	id := userIDs(e)[7]
	st := "Busy"
	if err := e.SetPresence(id, emulator.PresenceUpdate{UserStatus: &st}); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, 5*time.Second, "the change through a per-extension filter", func() bool {
		en, _ := r.m.Get(ID(strconv.FormatInt(id, 10)))
		return en.UserStatus == "Busy"
	})
	// My queues, with a locked one.
	me, admin := r.m.Me()
	if admin || me != ID(e.Credentials().Agents[0].ExtensionID) {
		t.Fatalf("me=%s admin=%v", me, admin)
	}
	locked := false
	for _, q := range r.m.Queues() {
		if slices.Contains(q.Members, me) && !q.EditableMemberStatus {
			locked = true
		}
	}
	if !locked {
		t.Fatalf("the agent's locked queue is not known as locked")
	}
}

func TestSyncConvergesUnderReorderDuplicatesAndPartialBodies(t *testing.T) {
	t.Parallel()
	e := startEmu(t, emulator.Config{Users: 80, CallsPerMinute: 1200, RateLimitsOff: true})
	e.SetFaults(emulator.Faults{ReorderRate: 0.1, ReorderMaxDelay: 400 * time.Millisecond, DuplicateRate: 0.05, PartialBodies: true})
	r := startSync(t, e, -1)
	before := e.Stats().Notifications
	waitUntil(t, 30*time.Second, "traffic", func() bool { return e.Stats().Notifications-before > 150 })
	e.Pause()
	converge(t, e, r.m, true, 10*time.Second)
}

func TestSyncRecoveryWithAndWithoutResync(t *testing.T) {
	t.Parallel()
	e := startEmu(t, emulator.Config{Users: 50, CallsPerMinute: 300, RateLimitsOff: true})
	r := startSync(t, e, -1)
	resyncs := r.s.Resyncs()
	recovered := e.Stats().Gateway.Recovered
	e.DropConnections()
	waitUntil(t, 10*time.Second, "a recovery", func() bool { return e.Stats().Gateway.Recovered > recovered })
	waitUntil(t, 5*time.Second, "live", func() bool { return r.m.Health().Conn == ConnLive })
	if r.s.Resyncs() != resyncs {
		t.Fatalf("a successful recovery must not resync")
	}
	e.SetFaults(emulator.Faults{RecoveryFail: true})
	e.DropConnections()
	waitUntil(t, 10*time.Second, "a resync after a failed recovery", func() bool { return r.s.Resyncs() > resyncs })
	e.SetFaults(emulator.Faults{})
	e.Pause()
	converge(t, e, r.m, true, 15*time.Second)
	waitUntil(t, 10*time.Second, "live after the resync", func() bool { return r.m.Health().Conn == ConnLive })
}

func TestSyncWritesAreConfirmedOrRolledBack(t *testing.T) {
	t.Parallel()
	e := startEmu(t, emulator.Config{Users: 40, RateLimitsOff: true})
	r := startSync(t, e, 0)
	wr, err := r.s.Writer(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	w := wr.Me()
	me, _ := r.m.Me()
	statusT := Target{Kind: WriteStatus, Ext: me}
	if err := w.SetStatus(StatusDND); err != nil {
		t.Fatal(err)
	}
	if wr, ok := r.m.Write(statusT); !ok || wr.Status != StatusDND || !wr.Pending() {
		t.Fatalf("the change must show pending at once: %+v", r.m.Writes())
	}
	waitUntil(t, 5*time.Second, "DND confirmed", func() bool {
		en, _ := r.m.Get(me)
		_, pending := r.m.Write(statusT)
		return en.DNDStatus == DoNotDisturb && !pending
	})
	if err := w.SetMessage(strings.Repeat("x", 76)); err == nil {
		t.Fatalf("a 76-character message must be refused before sending")
	}
	// Back to Available leaves DND with the dndStatus from before it.
	if err := w.SetStatus(StatusAvailable); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, 5*time.Second, "Available confirmed", func() bool {
		en, _ := r.m.Get(me)
		return en.Availability == Available && en.DNDStatus == "TakeAllCalls" && len(r.m.Writes()) == 0
	})
	// A queue the admin locked: the toggle fails and rolls back.
	var locked Queue
	for _, q := range r.m.Queues() {
		if slices.Contains(q.Members, me) && !q.EditableMemberStatus {
			locked = q
		}
	}
	was := locked.Accept[me]
	if err := w.SetMyQueue(locked.ID, !was); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, 5*time.Second, "the rollback", func() bool {
		wr, ok := r.m.Write(Target{Kind: WriteMyQueue, Ext: me, Queue: locked.ID})
		return ok && wr.Failed && strings.Contains(wr.Err, "403")
	})
	if q, _ := r.m.Queue(locked.ID); q.Accept[me] != was {
		t.Fatalf("a refused toggle changed the mirror")
	}
}

func TestSyncLastChoiceWins(t *testing.T) {
	t.Parallel()
	e := startEmu(t, emulator.Config{Users: 40, RateLimitsOff: true})
	r := startSync(t, e, 0)
	wr, _ := r.s.Writer(context.Background())
	w := wr.Me()
	me, _ := r.m.Me()
	choices := []Status{StatusBusy, StatusDND, StatusAvailable, StatusInvisible, StatusDND, StatusBusy,
		StatusAvailable, StatusDND, StatusInvisible, StatusBusy}
	for _, c := range choices {
		if err := w.SetStatus(c); err != nil {
			t.Fatal(err)
		}
	}
	waitUntil(t, 10*time.Second, "the last choice confirmed", func() bool {
		en, _ := r.m.Get(me)
		return len(r.m.Writes()) == 0 && en.UserStatus == "Busy" && en.DNDStatus != "DoNotAcceptAnyCalls"
	})
	for _, x := range e.Truth().Extensions {
		if ID(x.ID) == me && (x.Presence.UserStatus != "Busy" || x.Presence.DNDStatus == "DoNotAcceptAnyCalls") {
			t.Fatalf("the server holds %s/%s, not the last choice", x.Presence.UserStatus, x.Presence.DNDStatus)
		}
	}
	if n := e.Stats().Requests[emulator.Medium]; n > 6 {
		t.Fatalf("%d Medium requests for 10 quick choices: coalescing does not work", n)
	}
}

// TestSyncChurn drops the WebSocket every second or so under steady
// traffic (every few seconds for as long as -soak says), then pauses the
// traffic: the mirror must equal the truth
// for every extension.
func TestSyncChurn(t *testing.T) {
	t.Parallel()
	d, every := soakLen(4*time.Second), 3*time.Second
	if *soakFor == 0 {
		every = 800 * time.Millisecond
	}
	// Every reconnect spends a wstoken from the Auth group (5/min by
	// default), which would cap the churn at 5 reconnects a minute; raise
	// it so the socket really is reset every few seconds.
	limits := emulator.DefaultRateLimits()
	limits[emulator.Auth] = emulator.RateLimit{Limit: 100, Window: time.Minute, Penalty: time.Minute}
	e := startEmu(t, emulator.Config{Users: 150, Queues: 6, CallsPerMinute: 600, RateLimits: limits,
		Faults: emulator.Faults{DropInterval: every, DropJitter: every / 3}})
	r := startSync(t, e, -1)
	startStats := e.Stats()
	churn := time.NewTimer(d)
	<-churn.C // the churn runs while we wait
	e.SetFaults(emulator.Faults{})
	e.Pause()
	converge(t, e, r.m, true, 20*time.Second)
	st := e.Stats()
	t.Logf("churn: %d notifications, %d drops, %d recovered, %d failed recoveries, %d resyncs, %d 429s",
		st.Notifications-startStats.Notifications, st.Gateway.Drops-startStats.Gateway.Drops,
		st.Gateway.Recovered-startStats.Gateway.Recovered, st.Gateway.RecoveryFailed-startStats.Gateway.RecoveryFailed,
		r.s.Resyncs(), st.Throttled[emulator.Auth]+st.Throttled[emulator.Heavy]+st.Throttled[emulator.Light]+st.Throttled[emulator.Medium])
	if st.Gateway.Drops-startStats.Gateway.Drops < int(d/(every*4/3)) {
		t.Fatalf("only %d drops: the churn did not happen", st.Gateway.Drops-startStats.Gateway.Drops)
	}
}

// TestSyncCHSAccount: on an account with the new communication handling
// service DND is dndStatusPersonal and queue availability
// acceptCallQueueCalls, two separate switches; the mirror reads both and
// the writer sets each with its own field (a dndStatus would be refused).
func TestSyncCHSAccount(t *testing.T) {
	t.Parallel()
	e := startEmu(t, emulator.Config{Users: 40, CHS: true, RateLimitsOff: true})
	r := startSync(t, e, 0)
	converge(t, e, r.m, false, 10*time.Second)
	wr, err := r.s.Writer(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	w := wr.Me()
	me, _ := r.m.Me()
	if en, _ := r.m.Get(me); !en.CHS {
		t.Fatalf("the agent's presence carries the CHS fields; the mirror must see them: %+v", en)
	}
	if err := w.SetStatus(StatusDND); err != nil {
		t.Fatal(err)
	}
	if err := w.SetAcceptQueueCalls(false); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, 5*time.Second, "personal DND and queue calls off confirmed", func() bool {
		en, _ := r.m.Get(me)
		return en.DNDPersonal == DoNotDisturb && en.QueueOff && en.Availability == DND && len(r.m.Writes()) == 0
	})
	// Leaving DND keeps queue calls off: the switches are independent.
	if err := w.SetStatus(StatusAvailable); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, 5*time.Second, "Available confirmed", func() bool {
		en, _ := r.m.Get(me)
		return en.Availability == Available && en.DNDPersonal == TakeAllCalls && en.QueueOff &&
			en.DNDStatus == NoQueueCalls && !en.AcceptsQueueCalls() && len(r.m.Writes()) == 0
	})
	for _, req := range e.Requests() {
		if req.Method == "PUT" && req.Status >= 400 {
			t.Fatalf("a write was refused on a CHS account: %+v", req)
		}
	}
	converge(t, e, r.m, false, 10*time.Second)
}

// TestSyncAFailingChangeSaysRetryingThenFailsFast: a user's change that
// meets a 5xx shows "retrying" at the first failure and gives up after a
// couple of tries, not six.
func TestSyncAFailingChangeSaysRetryingThenFailsFast(t *testing.T) {
	t.Parallel()
	e := startEmu(t, emulator.Config{Users: 40, RateLimitsOff: true})
	r := startSync(t, e, 0)
	wr, err := r.s.Writer(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	me, _ := r.m.Me()
	target := Target{Kind: WriteStatus, Ext: me}
	puts := func() int {
		n := 0
		for _, q := range e.Requests() {
			if q.Method == "PUT" && strings.HasSuffix(q.Path, "/presence") {
				n++
			}
		}
		return n
	}
	before := puts()
	e.SetFaults(emulator.Faults{REST5xxRate: 1})
	if err := wr.Me().SetStatus(StatusBusy); err != nil {
		t.Fatal(err)
	}
	sawRetrying := false
	waitUntil(t, 10*time.Second, "the change failed", func() bool {
		w, ok := r.m.Write(target)
		if ok && w.Retrying != "" && !w.Failed {
			sawRetrying = true
		}
		return ok && w.Failed
	})
	e.SetFaults(emulator.Faults{})
	if !sawRetrying {
		t.Errorf("the change never said it was being retried")
	}
	if n := puts() - before; n != 1+userRetries {
		t.Errorf("%d PUTs for one change; want %d", n, 1+userRetries)
	}
}
