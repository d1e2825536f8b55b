package state

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/rchud/rchud/emulator"
	"github.com/rchud/rchud/rc"
)

// upkeepStream checks the subscription every 100 ms.
var upkeepStream = func() rc.StreamOptions {
	o := testStream
	o.VerifyEvery = 100 * time.Millisecond
	return o
}()

func staleRows(m *Mirror) int {
	n := 0
	for _, r := range m.All() {
		if r.Stale {
			n++
		}
	}
	return n
}

func purgeSubscriptions(t *testing.T, e *emulator.Emulator) {
	t.Helper()
	for _, sub := range e.Subscriptions() {
		if err := e.PurgeSubscription(sub.ID); err != nil {
			t.Fatal(err)
		}
	}
}

// TestSyncMarksRowsStaleWhenTheSubscriptionIsLost (issue 10, item 1): the
// server drops the subscription and the socket stays up. The rows turn
// stale as soon as the loss is seen (not when the socket happens to drop),
// a new subscription is made, and the mirror converges again, changes made
// meanwhile included.
func TestSyncMarksRowsStaleWhenTheSubscriptionIsLost(t *testing.T) {
	t.Parallel()
	e := startEmu(t, emulator.Config{Users: 40, CallsPerMinute: 0})
	r := startSyncWith(t, e, syncConfig{agent: -1, stream: upkeepStream})
	waitUntil(t, 5*time.Second, "live", func() bool { return r.m.Health().Conn == ConnLive })
	converge(t, e, r.m, true, 5*time.Second)
	purgeSubscriptions(t, e)
	purged := time.Now()
	users := userIDs(e)
	msg := "while the subscription was gone"
	if err := e.SetPresence(users[0], emulator.PresenceUpdate{Message: &msg}); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, 2*time.Second, "rows stale after the loss", func() bool { return staleRows(r.m) > 0 })
	t.Logf("rows stale %v after the subscription was purged", time.Since(purged).Round(time.Millisecond))
	converge(t, e, r.m, true, 10*time.Second)
	waitUntil(t, 5*time.Second, "fresh and live again", func() bool {
		return staleRows(r.m) == 0 && r.m.Health().Conn == ConnLive
	})
	msg = "after the new subscription"
	if err := e.SetPresence(users[1], emulator.PresenceUpdate{Message: &msg}); err != nil {
		t.Fatal(err)
	}
	converge(t, e, r.m, true, 5*time.Second)
	if n := len(e.Subscriptions()); n != 1 {
		t.Fatalf("%d subscriptions on the server, want 1", n)
	}
}

// companyPresenceRequests counts GETs of company presence.
func companyPresenceRequests(e *emulator.Emulator) int {
	n := 0
	for _, r := range e.Requests() {
		if r.Method == "GET" && strings.HasSuffix(r.Path, "/account/~/presence") {
			n++
		}
	}
	return n
}

// presenceReads counts the reads of people's presence: company presence
// and presence by extension (one or a batch).
func presenceReads(e *emulator.Emulator) int {
	n := 0
	for _, r := range e.Requests() {
		if r.Method == "GET" && strings.HasSuffix(r.Path, "/presence") && !strings.Contains(r.Path, "/call-queues/") {
			n++
		}
	}
	return n
}

// TestSyncFallsBackToPresencePerExtension (issue 10, item 3): an admin
// whose role lacks ReadPresenceStatus cannot read company presence (403
// CMN-408). The sync does not retry it: it loads presence per extension,
// as an agent does, subscribes the same way, and is complete and live.
func TestSyncFallsBackToPresencePerExtension(t *testing.T) {
	t.Parallel()
	var perms emulator.Permissions
	if err := perms.ChangeUser("101:ReadPresenceStatus", false); err != nil {
		t.Fatal(err)
	}
	e := startEmu(t, emulator.Config{Users: 40, CallsPerMinute: 0, Permissions: perms})
	r := startSyncWith(t, e, syncConfig{agent: -1, within: 15 * time.Second})
	converge(t, e, r.m, true, 5*time.Second)
	if n := companyPresenceRequests(e); n != 1 {
		t.Fatalf("company presence asked %d times; once is enough to learn it is refused", n)
	}
	waitUntil(t, 5*time.Second, "live with every filter granted", func() bool {
		h := r.m.Health()
		return h.Conn == ConnLive && len(h.Disabled) == 0
	})
	if err := r.s.Err(); err != nil || r.m.Health().Problem != "" {
		t.Fatalf("a fallback is not a problem: %v %q", err, r.m.Health().Problem)
	}
	msg := "seen per extension"
	if err := e.SetPresence(userIDs(e)[3], emulator.PresenceUpdate{Message: &msg}); err != nil {
		t.Fatal(err)
	}
	converge(t, e, r.m, true, 5*time.Second)
}

// TestSyncStopsRetryingWhatCannotSucceed (issue 10, item 3): an app
// without the ReadPresence scope cannot read presence at all. The sync asks
// once, says which permission is missing and what to do (Err, the
// header's Problem), and stops asking.
func TestSyncStopsRetryingWhatCannotSucceed(t *testing.T) {
	t.Parallel()
	var perms emulator.Permissions
	for _, s := range []string{"ReadPresence", "EditPresence"} {
		if err := perms.DenyScope(s); err != nil {
			t.Fatal(err)
		}
	}
	e := startEmu(t, emulator.Config{Users: 30, CallsPerMinute: 0, Permissions: perms})
	r := startSyncWith(t, e, syncConfig{agent: -1, noWait: true, sync: SyncOptions{LiveWait: 200 * time.Millisecond}})
	select { // given up: not a load error Err reports on the way there
	case <-r.s.Failed():
	case <-time.After(5 * time.Second):
		t.Fatalf("the sync did not give up: %v", r.s.Err())
	}
	err := r.s.Err()
	if !errors.Is(err, rc.ErrPermission) || !strings.Contains(err.Error(), "ReadPresence") {
		t.Fatalf("Err must name the missing permission: %v", err)
	}
	if p := r.m.Health().Problem; !strings.Contains(p, "ReadPresence") || !strings.Contains(p, "developer console") {
		t.Fatalf("the header's problem must say what to do: %q", p)
	}
	// The refused subscription may say so before the load has asked. The
	// load asks for the rows on screen first (a batch), then for the
	// company's: whichever it asks, it asks once.
	waitUntil(t, 5*time.Second, "presence asked", func() bool { return presenceReads(e) > 0 })
	asked := presenceReads(e)
	time.Sleep(2500 * time.Millisecond) // the old loop retried after 2 s
	if n := presenceReads(e); n != asked || n != 1 {
		t.Fatalf("presence asked %d times, then %d more: a missing permission is not retried", asked, n-asked)
	}
}

// TestSyncWithoutTheWebSocketPermission (issue 10, item 3): the app may
// not subscribe. Presence loads over REST, but nothing keeps it current:
// every row is stale, the link is offline saying why, and the stream
// stops asking.
func TestSyncWithoutTheWebSocketPermission(t *testing.T) {
	t.Parallel()
	var perms emulator.Permissions
	if err := perms.DenyScope(emulator.ScopeWebSocketSubscriptions); err != nil {
		t.Fatal(err)
	}
	e := startEmu(t, emulator.Config{Users: 30, CallsPerMinute: 0, Permissions: perms})
	r := startSyncWith(t, e, syncConfig{agent: -1, within: 10 * time.Second})
	waitUntil(t, 5*time.Second, "every row stale", func() bool {
		return staleRows(r.m) == len(r.m.All()) && len(r.m.All()) > 0
	})
	h := r.m.Health()
	if h.Conn != ConnOffline || !strings.Contains(h.Err, "WebSocket") || !strings.Contains(h.Problem, "WebSocket") {
		t.Fatalf("the header must say the link is off for a permission: %+v", h)
	}
	if err := r.s.Err(); !errors.Is(err, rc.ErrPermission) {
		t.Fatalf("Err: %v", err)
	}
}

// TestSyncOneShotOpensNoWebSocket (issue 10, item 2): a one-shot load is
// REST only: no WebSocket token, no upgrade, no subscription.
func TestSyncOneShotOpensNoWebSocket(t *testing.T) {
	t.Parallel()
	e := startEmu(t, emulator.Config{Users: 30, CallsPerMinute: 0})
	r := startSyncWith(t, e, syncConfig{agent: -1, sync: SyncOptions{NoStream: true}})
	if d := diffTruth(r.m, e.Truth(), true); len(d) > 0 {
		t.Fatalf("the one-shot load differs from the truth: %v", d[:min(len(d), 5)])
	}
	for _, q := range e.Requests() {
		if q.Path == "/restapi/oauth/wstoken" || q.Via != "http" {
			t.Fatalf("a one-shot load sent %s %s (%s)", q.Method, q.Path, q.Via)
		}
	}
	if len(e.Subscriptions()) != 0 || staleRows(r.m) != 0 {
		t.Fatalf("subscriptions %d, stale rows %d", len(e.Subscriptions()), staleRows(r.m))
	}
}

// TestSyncSaysWhenItWillReconnect (issue 10, item 6): while the gateway
// refuses, the health says when the next attempt is.
func TestSyncSaysWhenItWillReconnect(t *testing.T) {
	t.Parallel()
	e := startEmu(t, emulator.Config{Users: 20, CallsPerMinute: 0})
	r := startSync(t, e, -1)
	e.SetFaults(emulator.Faults{RefuseUpgrades: true})
	e.DropConnections()
	waitUntil(t, 5*time.Second, "a retry time", func() bool {
		h := r.m.Health()
		return h.Conn == ConnRecovering && !h.Retry.IsZero()
	})
	e.SetFaults(emulator.Faults{})
	waitUntil(t, 10*time.Second, "live again", func() bool {
		h := r.m.Health()
		return h.Conn == ConnLive && h.Retry.IsZero()
	})
}

// TestSyncDeletesItsSubscriptionWithTheMediumBudgetSpent (issue 10, item
// 2): the user's changes spent the Medium budget, and the subscription's
// DELETE on the way out still goes at once: everything else leaves it a
// slot.
func TestSyncDeletesItsSubscriptionWithTheMediumBudgetSpent(t *testing.T) {
	t.Parallel()
	limits := emulator.DefaultRateLimits()
	limits[emulator.Medium] = emulator.RateLimit{Limit: 8, Window: time.Minute, Penalty: time.Minute}
	e := startEmu(t, emulator.Config{Users: 20, CallsPerMinute: 0, RateLimits: limits})
	r := startSync(t, e, 0)
	waitUntil(t, 5*time.Second, "live", func() bool { return r.m.Health().Conn == ConnLive })
	me, _ := r.m.Me()
	// Spend what the user's requests may of the Medium budget.
	for i := 0; ; i++ {
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		msg := fmt.Sprint("spend ", i)
		_, err := r.c.PutPresence(ctx, rc.ID(me), rc.PresenceUpdate{Message: &msg})
		cancel()
		if err != nil {
			break
		}
	}
	start := time.Now()
	r.stop()
	deleted := false
	for _, q := range e.Requests() {
		deleted = deleted || q.Method == "DELETE" && strings.HasPrefix(q.Path, "/restapi/v1.0/subscription/") && q.Status == 204
	}
	// (Revoking the session would remove the subscription too: the DELETE
	// itself must have gone.)
	if n := len(e.Subscriptions()); n != 0 || !deleted {
		t.Fatalf("%d subscription(s) left, DELETE sent: %v; the DELETE found no Medium budget", n, deleted)
	}
	if th := e.Stats().Throttled[emulator.Medium]; th != 0 {
		t.Fatalf("%d Medium requests throttled", th)
	}
	t.Logf("stopped in %v with the subscription deleted", time.Since(start).Round(time.Millisecond))
}

// TestSyncRetriesTheCallsInProgress: the first read of an admin's calls in
// progress fails (503). The queues' backlogs stay not known, never a
// count of only the callers seen arrive, and the read is tried again
// until it succeeds, so the board does appear.
func TestSyncRetriesTheCallsInProgress(t *testing.T) {
	t.Parallel()
	e := startEmu(t, emulator.Config{Users: 20, Queues: 2})
	// Two 503s: the client's own retry (one here) does not get past them.
	e.SetFaults(emulator.Faults{Rules: []emulator.FaultRule{{Method: "GET", PathPrefix: "/restapi/v1.0/account/~/active-calls", Status: 503, Count: 2}}})
	r := startSyncWith(t, e, syncConfig{agent: -1, client: rc.Options{Retries: 1}})
	known := func() bool {
		_, backlogs, _ := r.m.CallsNow()
		return len(backlogs) > 0 && backlogs[0].Known
	}
	waitUntil(t, 5*time.Second, "the calls in progress asked", func() bool { return len(activeCallsReads(e)) > 0 })
	if first := activeCallsReads(e)[0]; first != 503 {
		t.Fatalf("the first read of the calls in progress answered %d, want the fault's 503", first)
	}
	if len(activeCallsReads(e)) == 1 && known() {
		t.Fatalf("backlogs known though the calls in progress were never read")
	}
	waitUntil(t, 15*time.Second, "the backlogs known after a retry", known)
	if n := activeCallsReads(e); len(n) < 3 || n[len(n)-1] != 200 {
		t.Fatalf("calls in progress read %v", n)
	}
}

// activeCallsReads lists the statuses of the account's calls-in-progress
// reads, in order.
func activeCallsReads(e *emulator.Emulator) []int {
	var out []int
	for _, r := range e.Requests() {
		if r.Method == "GET" && strings.HasSuffix(r.Path, "/account/~/active-calls") {
			out = append(out, r.Status)
		}
	}
	return out
}
