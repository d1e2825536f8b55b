package rc

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rchud/rchud/emulator"
)

// startEmulator serves an emulated account for one test.
func startEmulator(t testing.TB, cfg emulator.Config) *emulator.Emulator {
	t.Helper()
	if cfg.Users == 0 {
		cfg.Users = 40
	}
	if cfg.Queues == 0 {
		cfg.Queues = 3
	}
	if cfg.Seed == 0 {
		cfg.Seed = 11
	}
	e, err := emulator.Start(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	return e
}

// clientFor signs in as the receptionist (or agent i when agent >= 0).
func clientFor(e *emulator.Emulator, agent int, opts Options) *Client {
	c := e.Credentials()
	jwt := c.UserJWT
	if agent >= 0 {
		jwt = c.Agents[agent].JWT
	}
	if opts.RetryBase == 0 {
		opts.RetryBase = 10 * time.Millisecond
	}
	return New(Config{ServerURL: c.ServerURL, ClientID: c.ClientID, ClientSecret: c.ClientSecret, JWT: jwt}, opts)
}

func TestBootstrapOverSeveralPages(t *testing.T) {
	e := startEmulator(t, emulator.Config{Users: 2500, Queues: 4, RateLimitsOff: true})
	c := clientFor(e, -1, Options{})
	ctx := context.Background()
	owner, err := c.Login(ctx)
	if err != nil || string(owner) != e.Credentials().Receptionist.ExtensionID {
		t.Fatalf("login: %v %s", err, owner)
	}
	pages, users := 0, 0
	seen := map[ID]bool{}
	err = c.ListExtensions(ctx, nil, func(exts []Extension) error {
		pages++
		for _, x := range exts {
			if seen[x.ID] {
				t.Fatalf("extension %s listed twice", x.ID)
			}
			seen[x.ID] = true
			if x.Type == "User" {
				users++
			}
		}
		return nil
	})
	if err != nil || pages != 3 || users != 2500 || len(seen) != 2500+4+4 {
		t.Fatalf("list: err=%v pages=%d users=%d total=%d", err, pages, users, len(seen))
	}
	presence, withCalls := 0, 0
	err = c.AccountPresence(ctx, true, func(ps []Presence) error {
		presence += len(ps)
		for _, p := range ps {
			if p.Who() == "" || p.PresenceStatus == nil {
				t.Fatalf("presence record without id or status: %+v", p)
			}
			if len(p.ActiveCalls) > 0 {
				withCalls++
			}
		}
		return nil
	})
	if err != nil || presence != len(seen) {
		t.Fatalf("account presence: err=%v records=%d", err, presence)
	}
	self, err := c.GetExtension(ctx, "~")
	if err != nil || !self.Permissions.Admin.Enabled || self.ExtensionNumber != "1001" && self.ExtensionNumber != "101" {
		t.Fatalf("self: %+v %v", self, err)
	}
}

func TestBatchPresenceAndTypedErrors(t *testing.T) {
	e := startEmulator(t, emulator.Config{RateLimitsOff: true})
	c := clientFor(e, 0, Options{})
	ctx := context.Background()
	truth := e.Truth()
	var ids []ID
	for _, x := range truth.Extensions {
		if x.Type == "User" && len(ids) < 29 {
			ids = append(ids, ID(x.ID))
		}
	}
	ids = append(ids, "999")
	res, err := c.BatchPresence(ctx, ids, true, false)
	if err != nil || len(res) != 30 {
		t.Fatalf("batch: %v, %d results", err, len(res))
	}
	for i, r := range res[:29] {
		if r.Err != nil || r.Presence.Who() != ids[i] {
			t.Fatalf("part %d: %+v (want %s, in request order)", i, r, ids[i])
		}
	}
	var ae *APIError
	if !errors.As(res[29].Err, &ae) || ae.Status != 404 || ae.Code != "CMN-102" {
		t.Fatalf("unknown id: %v", res[29].Err)
	}
	if _, err := c.BatchPresence(ctx, make([]ID, 31), false, false); err == nil {
		t.Fatalf("31 ids must be refused before sending")
	}
	// An agent may not change someone else, nor read company presence.
	_, err = c.PutPresence(ctx, ids[5], PresenceUpdate{UserStatus: ptr("Busy")})
	if !errors.As(err, &ae) || ae.Status != 403 || ae.Code != "CMN-404" {
		t.Fatalf("agent PUT on another extension: %v", err)
	}
	err = c.AccountPresence(ctx, false, func([]Presence) error { return nil })
	if !errors.As(err, &ae) || ae.Status != 403 || ae.PermissionName == "" {
		t.Fatalf("agent account presence: %v", err)
	}
	if strings.Contains(err.Error(), e.Credentials().Agents[0].JWT) {
		t.Fatalf("an error text carries the JWT")
	}
}

func ptr[T any](v T) *T { return &v }

func TestPutPresenceAndQueues(t *testing.T) {
	e := startEmulator(t, emulator.Config{RateLimitsOff: true})
	c := clientFor(e, 0, Options{})
	ctx := context.Background()
	me, err := c.Login(ctx)
	if err != nil {
		t.Fatal(err)
	}
	p, err := c.PutPresence(ctx, me, PresenceUpdate{UserStatus: ptr("Busy"), Message: ptr("Training until 3")})
	if err != nil || *p.UserStatus != "Busy" || *p.Message != "Training until 3" {
		t.Fatalf("put: %+v %v", p, err)
	}
	mine, err := c.MyQueuePresence(ctx, me)
	if err != nil || len(mine) < 2 {
		t.Fatalf("my queues: %v %+v", err, mine)
	}
	var editable, locked *MyQueuePresence
	for i := range mine {
		if mine[i].CallQueue.EditableMemberStatus {
			editable = &mine[i]
		} else {
			locked = &mine[i]
		}
	}
	if editable == nil || locked == nil {
		t.Fatalf("agents are in an editable and a locked queue: %+v", mine)
	}
	out, err := c.PutMyQueuePresence(ctx, me, map[ID]bool{editable.CallQueue.ID: !editable.AcceptCalls})
	if err != nil {
		t.Fatalf("toggle editable queue: %v", err)
	}
	for _, r := range out {
		if r.CallQueue.ID == editable.CallQueue.ID && r.AcceptCalls == editable.AcceptCalls {
			t.Fatalf("toggle not applied: %+v", r)
		}
	}
	if _, err := c.PutMyQueuePresence(ctx, me, map[ID]bool{locked.CallQueue.ID: !locked.AcceptCalls}); !IsStatus(err, 403) {
		t.Fatalf("a locked queue must refuse with 403, got %v", err)
	}
	qs, err := c.ListCallQueues(ctx, me)
	if err != nil || len(qs) != len(mine) {
		t.Fatalf("queues I am in: %d vs %d (%v)", len(qs), len(mine), err)
	}
	members, err := c.QueueMembers(ctx, qs[0].ID)
	if err != nil || len(members) == 0 {
		t.Fatalf("members: %v", err)
	}
	qp, err := c.QueuePresence(ctx, qs[0].ID)
	if err != nil || len(qp) != len(members) {
		t.Fatalf("queue presence: %v %d", err, len(qp))
	}
}

func TestConcurrentCallersShareOneRefresh(t *testing.T) {
	clock := &testClock{t: time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)}
	// A budget far beyond the 50 callers, told in the headers: a caller
	// whose request met the token just refreshed retries, and with the
	// default 50 a minute on a clock that stands still the 51st would wait
	// for ever.
	limits := emulator.DefaultRateLimits()
	limits[emulator.Light] = emulator.RateLimit{Limit: 10000, Window: time.Minute, Penalty: time.Minute}
	e := startEmulator(t, emulator.Config{Now: clock.Now, AccessTTL: 10 * time.Minute, RateLimits: limits})
	c := clientFor(e, -1, Options{Now: clock.Now})
	ctx := context.Background()
	if _, err := c.GetExtension(ctx, "~"); err != nil { // signs in, and learns the budget
		t.Fatal(err)
	}
	before := e.Stats()
	clock.Advance(9*time.Minute + 30*time.Second) // inside the 60 s refresh margin
	var wg sync.WaitGroup
	errs := make(chan error, 50)
	for i := 0; i < 50; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := c.GetExtension(ctx, "~")
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("a caller failed: %v", err)
		}
	}
	after := e.Stats()
	if n := after.TokenRequests - before.TokenRequests; n != 1 || after.RefreshRequests-before.RefreshRequests != 1 {
		t.Fatalf("50 concurrent callers made %d token requests (%d refreshes); want exactly one refresh",
			n, after.RefreshRequests-before.RefreshRequests)
	}
}

func TestA401RefreshesOnceAndRetries(t *testing.T) {
	server := &testClock{t: time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)}
	e := startEmulator(t, emulator.Config{Now: server.Now, AccessTTL: 10 * time.Minute, RateLimitsOff: true})
	client := &testClock{t: server.Now()}
	c := clientFor(e, -1, Options{Now: client.Now})
	ctx := context.Background()
	if _, err := c.Login(ctx); err != nil {
		t.Fatal(err)
	}
	server.Advance(11 * time.Minute) // the server's token expired; the client does not know
	before := e.Stats()
	if _, err := c.GetExtension(ctx, "~"); err != nil {
		t.Fatalf("a 401 must be healed by one refresh and a retry: %v", err)
	}
	if n := e.Stats().RefreshRequests - before.RefreshRequests; n != 1 {
		t.Fatalf("%d refreshes after one 401", n)
	}
}

func TestRevokedSessionSignsInAgain(t *testing.T) {
	e := startEmulator(t, emulator.Config{RateLimitsOff: true})
	c := clientFor(e, -1, Options{})
	ctx := context.Background()
	if _, err := c.Login(ctx); err != nil {
		t.Fatal(err)
	}
	first := c.SessionID()
	// Five more logins of the same user and app revoke the client's session.
	cr := e.Credentials()
	for i := 0; i < 5; i++ {
		form := url.Values{"grant_type": {grantJWT}, "assertion": {cr.UserJWT}}
		req, _ := http.NewRequest("POST", cr.ServerURL+"/restapi/oauth/token", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.SetBasicAuth(cr.ClientID, cr.ClientSecret)
		resp, err := http.DefaultClient.Do(req)
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("login %d: %v", i, err)
		}
		resp.Body.Close()
	}
	before := e.Stats()
	if _, err := c.GetExtension(ctx, "~"); err != nil {
		t.Fatalf("after its session was revoked the client must sign in again: %v", err)
	}
	after := e.Stats()
	if after.RefreshRequests-before.RefreshRequests != 1 || after.JWTGrants-before.JWTGrants != 1 {
		t.Fatalf("want one refused refresh then one JWT grant, got %d refreshes, %d grants",
			after.RefreshRequests-before.RefreshRequests, after.JWTGrants-before.JWTGrants)
	}
	if c.SessionID() == first {
		t.Fatalf("a new session was expected")
	}
}

func TestThe429PenaltyIsRespected(t *testing.T) {
	// One clock for both sides, moved by the test: the penalty passes when
	// the test says, not after two seconds of waiting.
	clock := &testClock{t: time.Now()}
	e := startEmulator(t, emulator.Config{Now: clock.Now})
	c := clientFor(e, 0, Options{Now: clock.Now})
	ctx := context.Background()
	me, err := c.Login(ctx)
	if err != nil {
		t.Fatal(err)
	}
	path := "/restapi/v1.0/account/~/extension/" + string(me) + "/presence"
	e.SetFaults(emulator.Faults{Rules: []emulator.FaultRule{{Method: "PUT", PathPrefix: path, Status: 429, RetryAfter: 2, Count: 1}}})
	seqBefore := sequenceOf(e, string(me))
	// A GET in another group still goes during the Medium penalty.
	done := make(chan error, 1)
	go func() {
		_, err := c.PutPresence(ctx, me, PresenceUpdate{UserStatus: ptr("Busy")})
		done <- err
	}()
	waitUntil(t, func() bool {
		select {
		case err := <-done:
			t.Fatalf("the PUT finished before being refused: %v", err)
		default:
		}
		return !c.gov.penalized(Medium).IsZero()
	})
	if _, err := c.GetExtension(ctx, "~"); err != nil {
		t.Fatalf("a Light request during a Medium penalty: %v", err)
	}
	medium := func() (n int) {
		for _, r := range e.Requests() {
			if r.Group == emulator.Medium {
				n++
			}
		}
		return n
	}
	clock.Advance(1999 * time.Millisecond)
	c.gov.wakeWaiters()
	select {
	case err := <-done:
		t.Fatalf("the PUT went inside its penalty: %v", err)
	default:
	}
	if n := medium(); n != 1 {
		t.Fatalf("%d Medium requests inside the 2 s penalty, want only the refused one", n)
	}
	clock.Advance(time.Millisecond)
	c.gov.wakeWaiters()
	if err := <-done; err != nil {
		t.Fatalf("the PUT must succeed after the penalty: %v", err)
	}
	if n := medium(); n != 2 {
		t.Fatalf("%d Medium requests, want the refused PUT and its retry", n)
	}
	if got := sequenceOf(e, string(me)); got != seqBefore+1 {
		t.Fatalf("the change must apply exactly once: sequence %d -> %d", seqBefore, got)
	}
	if e.Stats().Throttled[emulator.Medium] != 1 {
		t.Fatalf("only the rule's 429 may happen: %+v", e.Stats().Throttled)
	}
}

// wakeWaiters makes requests waiting for budget look at the clock again,
// for a test that moves its clock.
func (g *governor) wakeWaiters() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.signalLocked()
}

func sequenceOf(e *emulator.Emulator, id string) int64 {
	for _, x := range e.Truth().Extensions {
		if x.ID == id {
			return x.Sequence
		}
	}
	return -1
}

func TestGovernorAvoids429(t *testing.T) {
	// Twice the budget: the second half waits for the first to leave the
	// server's window (whole seconds on the wire). -soak: three windows.
	window, calls := time.Second, 6
	if *soak > 0 {
		window, calls = 2*time.Second, 7
	}
	limits := emulator.DefaultRateLimits()
	limits[emulator.Heavy] = emulator.RateLimit{Limit: 3, Window: window, Penalty: 10 * time.Second}
	e := startEmulator(t, emulator.Config{RateLimits: limits})
	c := clientFor(e, -1, Options{})
	ctx := context.Background()
	for i := 0; i < calls; i++ {
		if err := c.AccountPresence(ctx, false, func([]Presence) error { return nil }); err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
	}
	if n := e.Stats().Throttled[emulator.Heavy]; n != 0 {
		t.Fatalf("the governor let %d Heavy requests trip a 429", n)
	}
}

func TestServerErrorsAreRetried(t *testing.T) {
	e := startEmulator(t, emulator.Config{RateLimitsOff: true})
	c := clientFor(e, -1, Options{})
	ctx := context.Background()
	if _, err := c.Login(ctx); err != nil {
		t.Fatal(err)
	}
	e.SetFaults(emulator.Faults{Rules: []emulator.FaultRule{{Method: "GET", PathPrefix: "/restapi/v1.0/account/~/extension/~", Status: 503, Count: 2}}})
	if _, err := c.GetExtension(ctx, "~"); err != nil {
		t.Fatalf("two 503s then success: %v", err)
	}
}

func TestSignInErrorsAreClassified(t *testing.T) {
	e := startEmulator(t, emulator.Config{RateLimitsOff: true})
	cr := e.Credentials()
	bad := New(Config{ServerURL: cr.ServerURL, ClientID: cr.ClientID, ClientSecret: cr.ClientSecret, JWT: "not.a.jwt"}, Options{RetryBase: time.Millisecond})
	_, err := bad.Login(context.Background())
	if !errors.Is(err, ErrAuth) || strings.Contains(err.Error(), "not.a.jwt") {
		t.Fatalf("a bad JWT must be ErrAuth without the JWT in the text: %v", err)
	}
	wrongSecret := New(Config{ServerURL: cr.ServerURL, ClientID: cr.ClientID, ClientSecret: "nope", JWT: cr.UserJWT}, Options{RetryBase: time.Millisecond})
	if _, err := wrongSecret.Login(context.Background()); !errors.Is(err, ErrAuth) || strings.Contains(err.Error(), cr.UserJWT) {
		t.Fatalf("a wrong secret must be ErrAuth: %v", err)
	}
	down := New(Config{ServerURL: "http://127.0.0.1:1", ClientID: "a", ClientSecret: "b", JWT: "c"}, Options{RetryBase: time.Millisecond, AuthRetryBase: time.Millisecond, Retries: 2})
	if _, err := down.Login(context.Background()); !errors.Is(err, ErrUnreachable) {
		t.Fatalf("a closed port must be ErrUnreachable: %v", err)
	}
}

func TestShortLivedTokensAreNotRenewedOnEveryCall(t *testing.T) {
	clock := &testClock{t: time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)}
	e := startEmulator(t, emulator.Config{Now: clock.Now, AccessTTL: 60 * time.Second, RateLimitsOff: true})
	c := clientFor(e, -1, Options{Now: clock.Now})
	ctx := context.Background()
	if _, err := c.Login(ctx); err != nil {
		t.Fatal(err)
	}
	refreshes := func() int { return e.Stats().RefreshRequests }
	clock.Advance(30 * time.Second)
	if _, err := c.GetExtension(ctx, "~"); err != nil || refreshes() != 0 {
		t.Fatalf("half-way through a 60 s token: %d refreshes (%v)", refreshes(), err)
	}
	clock.Advance(15 * time.Second) // inside the last third
	if _, err := c.GetExtension(ctx, "~"); err != nil || refreshes() != 1 {
		t.Fatalf("in the last third: %d refreshes (%v)", refreshes(), err)
	}
	if _, err := c.GetExtension(ctx, "~"); err != nil || refreshes() != 1 {
		t.Fatalf("right after a refresh: %d refreshes", refreshes())
	}
}

func TestCallersKeepAValidTokenWhileItsRenewalWaits(t *testing.T) {
	clock := &testClock{t: time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)}
	e := startEmulator(t, emulator.Config{Now: clock.Now, AccessTTL: 10 * time.Minute, RateLimitsOff: true})
	c := clientFor(e, -1, Options{Now: clock.Now})
	ctx := context.Background()
	if _, err := c.Login(ctx); err != nil {
		t.Fatal(err)
	}
	// The renewal is due but cannot get Auth budget for a minute.
	clock.Advance(9*time.Minute + 30*time.Second)
	c.gov.penalize(Auth, time.Hour)
	renewed := make(chan struct{})
	t.Cleanup(func() { // lift the penalty: the renewal goes, and its caller ends
		c.gov.mu.Lock()
		c.gov.budget(Auth).penaltyUntil = time.Time{}
		c.gov.signalLocked()
		c.gov.mu.Unlock()
		<-renewed
	})
	go func() { // starts the renewal, which waits
		defer close(renewed)
		_, _ = c.GetExtension(ctx, "~")
	}()
	waitUntil(t, func() bool {
		c.tokMu.Lock()
		defer c.tokMu.Unlock()
		return c.refreshing != nil
	})
	done := make(chan error, 1)
	go func() {
		_, err := c.GetExtension(ctx, "~")
		done <- err
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatalf("a caller waited for a renewal although its token had 30 s left")
	}
}

func waitUntil(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("condition not met in 5 s")
		}
		time.Sleep(time.Millisecond)
	}
}
