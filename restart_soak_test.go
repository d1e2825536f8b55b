package main

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/rchud/rchud/emulator"
)

// envFor is the environment that signs in to e as its receptionist.
func envFor(e *emulator.Emulator) map[string]string {
	cr := e.Credentials()
	return map[string]string{"RC_SERVER_URL": cr.ServerURL, "RC_APP_CLIENT_ID": cr.ClientID,
		"RC_APP_CLIENT_SECRET": cr.ClientSecret, "RC_USER_JWT": cr.UserJWT}
}

// privateCache gives the test a session cache directory of its own.
func privateCache(t *testing.T) {
	t.Helper()
	dir := t.TempDir()
	was := userCacheDir
	userCacheDir = func() (string, error) { return dir, nil }
	t.Cleanup(func() { userCacheDir = was })
}

// TestSoakRestartsReuseTheSession is issue 10's restart scenario: rchud
// snapshot started again and again, as a script or a cron job would, with
// RingCentral's rate limits. Every start after the first takes up the
// saved session (no JWT grant: at most one OAuth session is ever made),
// waits for the budget the earlier starts spent instead of meeting a 429,
// and leaves no subscription behind (a one-shot opens no WebSocket; every
// fifth start watches for a moment and deletes its subscription). The
// short version scales the limits' windows down to a second; -soak runs
// fifty starts with RingCentral's own limits (about 6 minutes: 10 company
// presence reads a minute).
func TestSoakRestartsReuseTheSession(t *testing.T) {
	privateCache(t)
	starts, limits, ttl := 6, map[emulator.Group]emulator.RateLimit{
		emulator.Light:  {Limit: 10, Window: time.Second, Penalty: time.Second},
		emulator.Medium: {Limit: 8, Window: time.Second, Penalty: time.Second},
		emulator.Heavy:  {Limit: 2, Window: time.Second, Penalty: time.Second},
		emulator.Auth:   {Limit: 5, Window: time.Second, Penalty: time.Second},
	}, 2*time.Second
	if *soakFor > 0 {
		starts, limits, ttl = 50, emulator.DefaultRateLimits(), 0
	}
	e, err := emulator.Start(emulator.Config{Users: 40, Queues: 1, Seed: 8, CallsPerMinute: 30, RateLimits: limits, AccessTTL: ttl}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	env := envOf(envFor(e))
	var took []time.Duration
	begin := time.Now()
	for i := 0; i < starts; i++ {
		args := []string{"--json", "--env-file", "", "--timeout", "10m"}
		if i%5 == 4 {
			args = append(args, "--watch", "300ms")
		}
		var out, errOut syncBuffer
		start := time.Now()
		code := runSnapshot(context.Background(), args, &out, &errOut, env)
		took = append(took, time.Since(start))
		if code != exitOK {
			t.Fatalf("start %d: exit %d: %s", i+1, code, errOut.String())
		}
		rows, err := snapshotRows(out.String())
		if err != nil || len(rows) == 0 {
			t.Fatalf("start %d printed no rows (%v)", i+1, err)
		}
	}
	st := e.Stats()
	sessions := e.Sessions()
	var auth, upgrades int
	for _, r := range e.Requests() {
		switch {
		case r.Group == emulator.Auth:
			auth++
		case r.Via == "ws-upgrade":
			upgrades++
		}
	}
	sorted := append([]time.Duration(nil), took...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i] < sorted[j] })
	var throttled []string
	for g, n := range st.Throttled {
		if n > 0 {
			throttled = append(throttled, fmt.Sprintf("%s %d", g, n))
		}
	}
	t.Logf("%d starts in %v (median %v, longest %v): %d OAuth session(s), %d JWT grant(s), %d refresh(es), %d Auth requests in all, %d WebSocket upgrade(s), %d subscription(s) left, 429s: [%s]",
		starts, time.Since(begin).Round(100*time.Millisecond), sorted[len(sorted)/2].Round(time.Millisecond), sorted[len(sorted)-1].Round(time.Millisecond),
		len(sessions), st.JWTGrants, st.RefreshRequests, auth, upgrades, len(e.Subscriptions()), strings.Join(throttled, ", "))
	switch {
	case len(sessions) != 1 || st.JWTGrants != 1:
		t.Fatalf("%d starts made %d OAuth sessions (%d JWT grants); want one", starts, len(sessions), st.JWTGrants)
	case sessions[0].Revoked:
		t.Fatalf("the saved session was revoked")
	case len(e.Subscriptions()) != 0:
		t.Fatalf("%d subscriptions left behind", len(e.Subscriptions()))
	case len(throttled) > 0:
		t.Fatalf("429s: %v", throttled)
	case upgrades != starts/5:
		t.Fatalf("%d WebSocket upgrades for %d watching starts: a one-shot opens none", upgrades, starts/5)
	}
}
