package state

// Soak scenarios (issue 5): the real rc client and the mirror against the
// emulator with faults, compared with the emulator's ground truth. Each
// runs a short version in CI; `go test ./... -run Soak -soak 10m` runs
// each for that long. Figures go to the test log (-v) and to
// docs/reliability.md.

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rchud/rchud/emulator"
	"github.com/rchud/rchud/rc"
)

var soakFor = flag.Duration("soak", 0, "run the soak scenarios this long (0: their short CI versions)")

// soakLen is the scenario's length: -soak, or its short CI version.
func soakLen(ci time.Duration) time.Duration {
	if *soakFor > 0 {
		return *soakFor
	}
	return ci
}

// secretLog collects a debug log for the secret search. A long run at
// debug level writes gigabytes, so every few megabytes the log is searched
// and dropped (each Write is one whole line, so no secret spans a chunk);
// String returns what has not been searched yet.
type secretLog struct {
	mu       sync.Mutex
	b        bytes.Buffer
	find     func(string) []string // set once the emulator exists
	found    map[string]bool
	searched int
}

const secretLogChunk = 8 << 20

func (l *secretLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	n, err := l.b.Write(p)
	if l.b.Len() >= secretLogChunk && l.find != nil {
		l.searchLocked()
	}
	return n, err
}

func (l *secretLog) searchLocked() {
	for _, f := range l.find(l.b.String()) {
		if l.found == nil {
			l.found = map[string]bool{}
		}
		l.found[f] = true
	}
	l.searched += l.b.Len()
	l.b.Reset()
}

// search searches what is left and returns every kind of secret found in
// the whole log, and how many bytes were searched.
func (l *secretLog) search() (found []string, n int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.searchLocked()
	for f := range l.found {
		found = append(found, f)
	}
	sort.Strings(found)
	return found, l.searched
}

func (l *secretLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestSecretLogSearchesWhatItDrops: a secret logged early in a long run is
// found although its chunk was searched and dropped long before the end.
func TestSecretLogSearchesWhatItDrops(t *testing.T) {
	l := &secretLog{find: func(s string) []string {
		if strings.Contains(s, "s3cret") {
			return []string{"access token"}
		}
		return nil
	}}
	fmt.Fprintln(l, "level=DEBUG msg=request token=s3cret")
	line := strings.Repeat("x", 1023) + "\n"
	for i := 0; i < secretLogChunk/len(line)+1; i++ {
		fmt.Fprint(l, line)
	}
	if strings.Contains(l.String(), "s3cret") {
		t.Fatalf("the first chunk was kept: the log grows without bound")
	}
	found, n := l.search()
	if !slices.Equal(found, []string{"access token"}) || n < secretLogChunk {
		t.Fatalf("found %v in %d bytes; want the access token in at least %d bytes", found, n, secretLogChunk)
	}
}

// soak is one scenario's harness: the emulator, the sync with a debug log,
// and the invariants it watches.
type soak struct {
	t    *testing.T
	e    *emulator.Emulator
	r    *running
	logs *secretLog

	mu        sync.Mutex
	uuids     map[string]int
	lastSeq   map[ID]int64
	backwards int
	errs      []string
}

func newSoak(t *testing.T, cfg emulator.Config, sc syncConfig) *soak {
	t.Helper()
	s := &soak{t: t, logs: &secretLog{}, uuids: map[string]int{}, lastSeq: map[ID]int64{}}
	s.e = startEmu(t, cfg)
	s.logs.mu.Lock()
	s.logs.find = s.e.FindSecrets
	s.logs.mu.Unlock()
	sc.logger = slog.New(slog.NewTextHandler(s.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	setup := sc.setup
	sc.setup = func(sy *Sync, m *Mirror) {
		sy.onNote = func(n *rc.Notification) {
			s.mu.Lock()
			s.uuids[n.UUID]++
			s.mu.Unlock()
		}
		m.onSeq = func(id ID, seq int64, reset bool) {
			s.mu.Lock()
			defer s.mu.Unlock()
			if reset {
				delete(s.lastSeq, id)
				return
			}
			if seq < s.lastSeq[id] {
				s.backwards++
			}
			s.lastSeq[id] = seq
		}
		if setup != nil {
			setup(sy, m)
		}
	}
	s.r = startSyncWith(t, s.e, sc)
	return s
}

// noteErr keeps an error text for the secret search.
func (s *soak) noteErr(err error) {
	if err != nil {
		s.mu.Lock()
		s.errs = append(s.errs, err.Error())
		s.mu.Unlock()
	}
}

// check asserts the invariants every scenario shares: no sequence applied
// backwards, each notification applied at most once, and no secret in the
// debug log or any error text.
func (s *soak) check() {
	s.t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.backwards > 0 {
		s.t.Errorf("%d sequences applied backwards", s.backwards)
	}
	dup := 0
	for _, n := range s.uuids {
		if n > 1 {
			dup++
		}
	}
	if dup > 0 {
		s.t.Errorf("%d notifications applied more than once", dup)
	}
	h := s.r.m.Health()
	text := strings.Join(s.errs, "\n") + "\n" + h.Err
	for _, w := range s.r.m.Writes() {
		text += "\n" + w.Err
	}
	if found := s.e.FindSecrets(text); len(found) > 0 {
		s.t.Errorf("secrets in the error texts: %v", found)
	}
	found, searched := s.logs.search()
	if len(found) > 0 {
		s.t.Errorf("secrets in the debug log: %v", found)
	}
	s.t.Logf("%d notifications applied, %d KB of debug log searched for secrets", len(s.uuids), searched/1024)
}

// drive changes presence at rate per second over users until stop.
func (s *soak) drive(rate int, users []int64, stop <-chan struct{}) *sync.WaitGroup {
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		r := rand.New(rand.NewPCG(7, 7))
		tick := time.NewTicker(time.Second / time.Duration(rate))
		defer tick.Stop()
		statuses := []string{"Available", "Busy", "Offline"}
		for n := 0; ; n++ {
			select {
			case <-stop:
				return
			case <-tick.C:
			}
			id := users[r.IntN(len(users))]
			u := emulator.PresenceUpdate{}
			if n%3 == 0 {
				st := statuses[r.IntN(len(statuses))]
				u.UserStatus = &st
			} else {
				msg := "m" + strconv.Itoa(n)
				u.Message = &msg
			}
			_ = s.e.SetPresence(id, u)
		}
	}()
	return &wg
}

// sample is a point of the resource curve.
type sample struct {
	goroutines int
	heap       uint64
}

func measure() sample {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return sample{runtime.NumGoroutine(), ms.HeapAlloc}
}

// Scenario 1: 200 events/s over 200 extensions, the WebSocket reset every
// 5 s ± 2 s. After traffic pauses the mirror equals the truth for 100% of
// extensions within 10 s; no sequence backwards, each uuid once;
// goroutines and heap flat.
func TestSoakSocketChurn(t *testing.T) {
	t.Parallel()
	d, every := soakLen(6*time.Second), 5*time.Second
	if *soakFor == 0 {
		every = time.Second // the short run sees as many resets
	}
	s := newSoak(t, emulator.Config{Users: 200, Queues: 6, CallsPerMinute: 120,
		Faults: emulator.Faults{DropInterval: every, DropJitter: every * 2 / 5}}, syncConfig{agent: -1})
	stop := make(chan struct{})
	wg := s.drive(200, userIDs(s.e), stop)
	st0 := s.e.Stats()
	var warm, last sample
	warmAt := time.NewTimer(d / 4)
	<-warmAt.C // the scenario runs while we wait
	warm = measure()
	end := time.NewTimer(d - d/4)
	<-end.C
	close(stop)
	wg.Wait()
	s.e.SetFaults(emulator.Faults{})
	s.e.Pause()
	settle := time.Now()
	converge(t, s.e, s.r.m, true, 10*time.Second)
	converged := time.Since(settle)
	last = measure()
	st := s.e.Stats()
	t.Logf("churn %v: %d notifications (%.0f/s), %d drops, %d recovered, %d failed, %d resyncs, %d WebSocket tokens, converged in %v after the pause; goroutines %d -> %d, heap %.1f -> %.1f MB",
		d, st.Notifications-st0.Notifications, float64(st.Notifications-st0.Notifications)/d.Seconds(),
		st.Gateway.Drops-st0.Gateway.Drops, st.Gateway.Recovered-st0.Gateway.Recovered,
		st.Gateway.RecoveryFailed-st0.Gateway.RecoveryFailed, s.r.s.Resyncs(), st.WSTokens, converged.Round(time.Millisecond),
		warm.goroutines, last.goroutines, float64(warm.heap)/(1<<20), float64(last.heap)/(1<<20))
	if st.Gateway.Drops-st0.Gateway.Drops < int(d/(every*7/5)) {
		t.Errorf("only %d drops in %v", st.Gateway.Drops-st0.Gateway.Drops, d)
	}
	// Other scenarios run beside this one, so the count is the binary's: a
	// leak stays, a neighbour's goroutines come and go. Wait for it to settle.
	for deadline := time.Now().Add(10 * time.Second); last.goroutines > warm.goroutines+10 && time.Now().Before(deadline); {
		time.Sleep(100 * time.Millisecond) // polling a condition with a deadline
		last = measure()
	}
	if last.goroutines > warm.goroutines+10 {
		t.Errorf("goroutines grew from %d to %d", warm.goroutines, last.goroutines)
	}
	// The heap is the whole test binary's: other scenarios run beside this
	// one. Only a long run says something about this one's growth.
	if *soakFor > 0 && last.heap > warm.heap*2+16<<20 {
		t.Errorf("heap grew from %d to %d bytes", warm.heap, last.heap)
	}
	s.check()
}

// Scenario 2 (the mirror's side; the HUD's is in ui): the emulator stops
// sending without closing. The link is declared dead and rows marked stale
// within 45 s; once healed the mirror converges within 10 s of the next
// reconnect attempt (which, after a long outage, may be a minute away).
func TestSoakHalfOpen(t *testing.T) {
	t.Parallel()
	// The long run uses the client's own timings (a heartbeat after 20 s of
	// silence, dead 10 s later); the short one the test timings (1 s + 1 s).
	d, within := soakLen(7*time.Second), 45*time.Second
	if *soakFor == 0 {
		within = 6 * time.Second // dead after 2 s, stale 3 s later (staleGrace)
	}
	s := newSoak(t, emulator.Config{Users: 80, CallsPerMinute: 120}, syncConfig{agent: -1, realStream: *soakFor > 0})
	s.e.SetFaults(emulator.Faults{HalfOpen: true})
	start := time.Now()
	var dead, stale time.Duration
	for time.Since(start) < d {
		if c := s.r.m.Health().Conn; dead == 0 && (c == ConnRecovering || c == ConnOffline) {
			dead = time.Since(start)
		}
		if stale == 0 {
			for _, row := range s.r.m.All() {
				if row.Stale {
					stale = time.Since(start)
					break
				}
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	if dead == 0 || dead > within || stale == 0 || stale > within {
		t.Fatalf("half-open link: declared dead after %v, rows stale after %v (0: never); both must be within %v", dead, stale, within)
	}
	s.e.Pause()
	s.e.SetFaults(emulator.Faults{})
	healed := time.Now()
	t.Cleanup(func() {
		if t.Failed() {
			for _, l := range strings.Split(s.logs.String(), "\n") {
				if strings.Contains(l, "websocket") || strings.Contains(l, "resync") || strings.Contains(l, "subscri") {
					t.Log(l)
				}
			}
			t.Logf("healed at %v; gateway %+v", healed.Format("15:04:05.000"), s.e.Stats().Gateway)
		}
	})
	// After a long outage the next attempt is up to the reconnect cap away
	// (a minute), plus a connection attempt under way (10 s).
	heal := 10 * time.Second
	if *soakFor > 0 {
		heal = time.Minute + 20*time.Second
	}
	converge(t, s.e, s.r.m, true, heal)
	waitUntil(t, 10*time.Second, "live", func() bool { return s.r.m.Health().Conn == ConnLive })
	t.Logf("half-open %v: link declared dead after %v, rows stale after %v, converged %v after healing",
		d, dead.Round(100*time.Millisecond), stale.Round(100*time.Millisecond), time.Since(healed).Round(time.Millisecond))
	s.check()
}

// Scenario 3: no events for longer than the idle timeout; the session is
// never closed for idleness.
func TestSoakIdle(t *testing.T) {
	t.Parallel()
	d := soakLen(5 * time.Second)
	idle := max(15*time.Second, d/3)
	if *soakFor == 0 {
		idle = 1500 * time.Millisecond // with the test timings: a heartbeat after 1 s of silence
	}
	s := newSoak(t, emulator.Config{Users: 30, IdleTimeout: idle}, syncConfig{agent: -1, realStream: *soakFor > 0})
	start := time.Now()
	for time.Since(start) < d {
		if h := s.r.m.Health(); h.Conn == ConnRecovering || h.Conn == ConnOffline {
			t.Fatalf("the link went %v after %v: %s", h.Conn, time.Since(start), h.Err)
		}
		time.Sleep(200 * time.Millisecond)
	}
	st := s.e.Stats()
	if st.Gateway.IdleTimeouts != 0 || st.Gateway.Drops != 0 {
		t.Fatalf("idle timeouts %d, drops %d", st.Gateway.IdleTimeouts, st.Gateway.Drops)
	}
	t.Logf("idle %v with a %v idle timeout: no idle close", d, idle)
	s.check()
}

// refreshTrap forces a WebSocket reconnect the moment a refresh is sent.
type refreshTrap struct {
	e     *emulator.Emulator
	base  http.RoundTripper
	drops atomic.Int32
	mu    sync.Mutex
	seen  []string // when each token or wstoken request went out
	start time.Time
}

func (rt *refreshTrap) RoundTrip(r *http.Request) (*http.Response, error) {
	if strings.HasPrefix(r.URL.Path, "/restapi/oauth/") {
		rt.mu.Lock()
		if !rt.start.IsZero() {
			rt.seen = append(rt.seen, fmt.Sprintf("%v %s", time.Since(rt.start).Round(100*time.Millisecond), r.URL.Path[len("/restapi/oauth/"):]))
		}
		rt.mu.Unlock()
	}
	if r.URL.Path == "/restapi/oauth/token" && r.Body != nil {
		body, _ := r.GetBody()
		var b bytes.Buffer
		_, _ = b.ReadFrom(body)
		if strings.Contains(b.String(), "grant_type=refresh_token") {
			rt.drops.Add(1)
			rt.e.DropConnections()
		}
	}
	return rt.base.RoundTrip(r)
}

// Scenario 4: access TTL 60 s, 50 concurrent REST callers, a reconnect
// forced during each refresh: one token request per expiry, no 401 reaches
// a caller, and the recovery stays in the same OAuth session.
func TestSoakTokenRotation(t *testing.T) {
	t.Parallel()
	d := soakLen(7 * time.Second)
	ttl := 60 * time.Second
	if *soakFor == 0 {
		ttl = 3 * time.Second // refreshed at 2 s, so a short run sees several
	}
	// The callers' budget must be out of reach: a Light penalty would stall
	// them, and nobody would ask for a token until it expired.
	limits := emulator.DefaultRateLimits()
	limits[emulator.Light] = emulator.RateLimit{Limit: 1 << 30, Window: time.Minute, Penalty: time.Minute}
	if *soakFor == 0 {
		// A refresh every 2 s is 30 a minute, far beyond RingCentral's 5
		// Auth requests (of which rchud uses 4): the short run needs more.
		limits[emulator.Auth] = emulator.RateLimit{Limit: 100, Window: time.Minute, Penalty: time.Minute}
	}
	cfg := emulator.Config{Users: 60, CallsPerMinute: 120, AccessTTL: ttl, RateLimits: limits}
	trap := &refreshTrap{base: http.DefaultTransport}
	s := newSoak(t, cfg, syncConfig{agent: -1, client: rc.Options{HTTPClient: &http.Client{Transport: trap, Timeout: 30 * time.Second}}})
	trap.e = s.e
	session := s.r.c.SessionID()
	grants := s.e.Stats().JWTGrants
	trap.mu.Lock()
	trap.start = time.Now()
	trap.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	var calls, failures atomic.Int64
	var wg sync.WaitGroup
	for i := 0; i < 50; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				_, err := s.r.c.GetExtension(ctx, "~")
				if err != nil && ctx.Err() == nil {
					failures.Add(1)
					s.noteErr(err)
				}
				calls.Add(1)
			}
		}()
	}
	wg.Wait()
	st := s.e.Stats()
	expiries := int(d / (ttl * 2 / 3))
	t.Logf("token rotation %v, TTL %v: %d calls, %d failed, %d refreshes for %d expiries, %d reconnects forced during a refresh, %d JWT grants, recoveries %d ok / %d failed",
		d, ttl, calls.Load(), failures.Load(), st.RefreshRequests, expiries, trap.drops.Load(), st.JWTGrants-grants, st.Gateway.Recovered, st.Gateway.RecoveryFailed)
	trap.mu.Lock()
	t.Logf("throttled %v; OAuth requests: %s; Auth counted %d (token %d, wstoken %d, revocations %d)", st.Throttled,
		strings.Join(trap.seen, ", "), st.Requests[emulator.Auth], st.TokenRequests, st.WSTokens, st.Revocations)
	trap.mu.Unlock()
	if failures.Load() > 0 {
		t.Errorf("%d calls failed (a 401 reached a caller?)", failures.Load())
	}
	if st.RefreshRequests < expiries || st.RefreshRequests > expiries+1 {
		t.Errorf("%d refreshes for %d expiries: want one each", st.RefreshRequests, expiries)
	}
	if st.JWTGrants != grants || s.r.c.SessionID() != session {
		t.Errorf("the OAuth session changed: %d new JWT grants", st.JWTGrants-grants)
	}
	if st.Gateway.RecoveryFailed > 0 || trap.drops.Load() == 0 {
		t.Errorf("recoveries failed %d (WSG-1003 means a new OAuth session), forced reconnects %d", st.Gateway.RecoveryFailed, trap.drops.Load())
	}
	s.check()
}

// Scenario 5 (the mirror's side): the presence PUT gets a 429 with
// Retry-After 60: no Medium request during those 60 s, the change applied
// exactly once afterwards, pending then confirmed.
func TestSoak429Trap(t *testing.T) {
	t.Parallel()
	retry := 60
	if *soakFor == 0 {
		retry = 2
	}
	s := newSoak(t, emulator.Config{Users: 40}, syncConfig{agent: 0})
	me, _ := s.r.m.Me()
	path := "/restapi/v1.0/account/~/extension/" + string(me) + "/presence"
	s.e.SetFaults(emulator.Faults{Rules: []emulator.FaultRule{{Method: "PUT", PathPrefix: path, Status: 429, RetryAfter: retry, Count: 1}}})
	before := sequenceOf(s.e, string(me))
	wr, _ := s.r.s.Writer(context.Background())
	if err := wr.Me().SetStatus(StatusDND); err != nil {
		t.Fatal(err)
	}
	var refused time.Time
	waitUntil(t, 10*time.Second, "the 429", func() bool {
		for _, r := range s.e.Requests() {
			if r.Method == "PUT" && r.Group == emulator.Medium {
				refused = r.Time
				return true
			}
		}
		return false
	})
	if st, pending := s.r.m.MyStatus(); st != StatusDND || !pending {
		t.Fatalf("during the penalty the change must show pending: %s pending=%v", st, pending)
	}
	waitUntil(t, time.Duration(retry+15)*time.Second, "the change confirmed", func() bool {
		st, pending := s.r.m.MyStatus()
		return st == StatusDND && !pending
	})
	for _, r := range s.e.Requests() {
		if r.Group == emulator.Medium && r.Time.After(refused) && r.Time.Sub(refused) < time.Duration(retry)*time.Second-50*time.Millisecond {
			t.Errorf("a Medium request %v after the 429, inside its %d s penalty: %s %s", r.Time.Sub(refused), retry, r.Method, r.Path)
		}
	}
	if got := sequenceOf(s.e, string(me)); got != before+1 {
		t.Errorf("the change must apply exactly once: sequence %d -> %d", before, got)
	}
	t.Logf("429 trap, Retry-After %d s: no Medium request in the penalty, applied once, pending then confirmed", retry)
	s.check()
}

func sequenceOf(e *emulator.Emulator, id string) int64 {
	for _, x := range e.Truth().Extensions {
		if x.ID == id {
			return x.Sequence
		}
	}
	return -1
}

// Scenario 6 (the mirror's side): 20 toggles in 2 s while the socket
// churns, over many randomised runs: the server ends on the last choice
// every time, and what the user is shown never goes back to an earlier one.
func TestSoakStatusRaces(t *testing.T) {
	t.Parallel()
	d, pace := soakLen(0), 100*time.Millisecond
	if *soakFor == 0 {
		pace = 25 * time.Millisecond
	}
	s := newSoak(t, emulator.Config{Users: 40,
		Faults: emulator.Faults{DropInterval: 1500 * time.Millisecond, DropJitter: 700 * time.Millisecond}}, syncConfig{agent: 0})
	wr, _ := s.r.s.Writer(context.Background())
	w := wr.Me()
	me, _ := s.r.m.Me()
	statuses := []Status{StatusAvailable, StatusBusy, StatusInvisible, StatusDND}
	r := testRand(t)
	start, runs, flips := time.Now(), 0, 0
	for runs < 2 || time.Since(start) < d {
		var last Status
		for i := 0; i < 20; i++ {
			last = statuses[r.IntN(len(statuses))]
			if err := w.SetStatus(last); err != nil {
				t.Fatal(err)
			}
			if st, _ := s.r.m.MyStatus(); st != last {
				t.Fatalf("run %d: right after choosing %s the user is shown %s", runs, last, st)
			}
			time.Sleep(pace) // a person pressing keys
		}
		deadline := time.Now().Add(70 * time.Second) // a Medium budget wait at worst
		for {
			st, pending := s.r.m.MyStatus()
			if st != last {
				flips++
				t.Fatalf("run %d: the user is shown %s after choosing %s last", runs, st, last)
			}
			if !pending {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("run %d: %s still pending after 70 s: %+v", runs, last, s.r.m.Writes())
			}
			time.Sleep(5 * time.Millisecond)
		}
		for _, x := range s.e.Truth().Extensions {
			if ID(x.ID) == me {
				var en Entry
				en.UserStatus, en.DNDStatus = x.Presence.UserStatus, DNDStatus(x.Presence.DNDStatus)
				if got := en.Status(); got != last {
					t.Fatalf("run %d: the server holds %s, the last choice was %s", runs, got, last)
				}
			}
		}
		runs++
	}
	t.Logf("status races: %d runs of 20 toggles in 2 s under churn (%d drops): the last choice won every time, never a flip back",
		runs, s.e.Stats().Gateway.Drops)
	s.check()
}

// Scenario 7: 10% of notifications delayed up to 2 s, 5% duplicated: no
// regression (no sequence applied backwards, no uuid twice) and 100%
// convergence.
func TestSoakReorderAndDuplicates(t *testing.T) {
	t.Parallel()
	d := soakLen(4 * time.Second)
	s := newSoak(t, emulator.Config{Users: 100, CallsPerMinute: 120,
		Faults: emulator.Faults{ReorderRate: 0.1, ReorderMaxDelay: 2 * time.Second, DuplicateRate: 0.05}}, syncConfig{agent: -1})
	stop := make(chan struct{})
	wg := s.drive(100, userIDs(s.e), stop)
	end := time.NewTimer(d)
	<-end.C // the traffic runs while we wait
	close(stop)
	wg.Wait()
	s.e.Pause()
	settle := time.Now()
	converge(t, s.e, s.r.m, true, 12*time.Second)
	t.Logf("reorder 10%% up to 2 s, duplicate 5%%, %v: converged %v after the pause, %d resyncs",
		d, time.Since(settle).Round(time.Millisecond), s.r.s.Resyncs())
	s.check()
}

// Scenario 11: with maximum logging, dial errors, 5xx, 429, failed
// recoveries and refused sign-ins, no token, JWT, client secret or wsc
// appears in any log line or error text.
func TestSoakSecretHygiene(t *testing.T) {
	t.Parallel()
	s := newSoak(t, emulator.Config{Users: 40, CallsPerMinute: 120}, syncConfig{agent: -1})
	// Dial errors: upgrades refused for a while, then recoveries failing.
	s.e.SetFaults(emulator.Faults{RefuseUpgrades: true, REST5xxRate: 0.2, REST429Rate: 0.1})
	s.e.DropConnections()
	waitUntil(t, 10*time.Second, "a failed dial", func() bool { return strings.Contains(s.r.m.Health().Err, "dial") })
	s.noteErr(fmt.Errorf("%s", s.r.m.Health().Err))
	s.e.SetFaults(emulator.Faults{RecoveryFail: true})
	waitUntil(t, 15*time.Second, "live again", func() bool { return s.r.m.Health().Conn == ConnLive })
	s.e.SetFaults(emulator.Faults{})
	// Refused sign-ins and an unreachable server, with the same logging.
	cr := s.e.Credentials()
	for _, cfg := range []rc.Config{
		{ServerURL: cr.ServerURL, ClientID: cr.ClientID, ClientSecret: cr.ClientSecret, JWT: cr.UserJWT + "x"},
		{ServerURL: cr.ServerURL, ClientID: cr.ClientID, ClientSecret: "wrong", JWT: cr.UserJWT},
		{ServerURL: "http://127.0.0.1:1", ClientID: cr.ClientID, ClientSecret: cr.ClientSecret, JWT: cr.UserJWT},
	} {
		c := rc.New(cfg, rc.Options{Logger: slog.New(slog.NewTextHandler(s.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
			RetryBase: time.Millisecond, Retries: 1})
		_, err := c.Login(context.Background())
		if err == nil {
			t.Fatalf("a bad config signed in")
		}
		s.noteErr(err)
	}
	s.check()
}
