package rc

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rchud/rchud/emulator"
)

// memStore is a TokenStore in memory, shared by clients as a cache file
// is shared by processes.
type memStore struct {
	mu    sync.Mutex
	s     *Session
	saves int
}

func (m *memStore) Load() (Session, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.s == nil {
		return Session{}, ErrNoSession
	}
	return *m.s, nil
}

func (m *memStore) Save(s Session) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.s = &s
	m.saves++
	return nil
}

func (m *memStore) Clear() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.s = nil
	return nil
}

func (m *memStore) session() Session {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.s == nil {
		return Session{}
	}
	return *m.s
}

// tokenRequests lists the token endpoint's requests by grant ("jwt",
// "refresh_token"), answered or not, in order.
func tokenRequests(e *emulator.Emulator) []emulator.RequestRecord {
	var out []emulator.RequestRecord
	for _, r := range e.Requests() {
		if r.Path == "/restapi/oauth/token" {
			out = append(out, r)
		}
	}
	return out
}

func authRequests(e *emulator.Emulator) []emulator.RequestRecord {
	var out []emulator.RequestRecord
	for _, r := range e.Requests() {
		if strings.HasPrefix(r.Path, "/restapi/oauth/") {
			out = append(out, r)
		}
	}
	return out
}

// TestAStartWithASavedSessionSpendsNoAuthRequest: a second client (a
// restart) with the first one's store signs in with no Auth request while
// the access token is valid, and with one refresh (no JWT grant) once it
// is not; the rotated tokens are saved at once, and Close keeps the
// session instead of revoking it.
func TestAStartWithASavedSessionSpendsNoAuthRequest(t *testing.T) {
	clock := &testClock{t: time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)}
	e := startEmulator(t, emulator.Config{Now: clock.Now, AccessTTL: 10 * time.Minute, RateLimitsOff: true})
	store := &memStore{}
	ctx := context.Background()
	first := clientFor(e, -1, Options{Now: clock.Now, Tokens: store})
	if _, err := first.Login(ctx); err != nil {
		t.Fatal(err)
	}
	session := first.SessionID()
	first.Close(ctx)
	if store.session().AccessToken == "" || len(store.session().Budget[Auth].Sent) != 1 {
		t.Fatalf("Close must save the session and the Auth request it spent: %+v", store.session().Budget)
	}
	if n := e.Stats().Revocations; n != 0 {
		t.Fatalf("Close with a store revoked the session")
	}
	before := len(authRequests(e))
	second := clientFor(e, -1, Options{Now: clock.Now, Tokens: store})
	if _, err := second.GetExtension(ctx, "~"); err != nil {
		t.Fatal(err)
	}
	if n := len(authRequests(e)) - before; n != 0 || second.SessionID() != session {
		t.Fatalf("a restart with a valid saved token made %d Auth requests (session %s, want %s)", n, second.SessionID(), session)
	}
	second.Close(ctx)

	clock.Advance(11 * time.Minute) // the access token expired between runs
	third := clientFor(e, -1, Options{Now: clock.Now, Tokens: store})
	if _, err := third.GetExtension(ctx, "~"); err != nil {
		t.Fatal(err)
	}
	reqs := tokenRequests(e)[len(tokenRequests(e))-1:]
	if len(authRequests(e))-before != 1 || reqs[0].Grant != "refresh_token" || third.SessionID() != session {
		t.Fatalf("an expired saved token must cost one refresh in the same session: %d Auth requests, last %+v", len(authRequests(e))-before, reqs)
	}
	third.tokMu.Lock()
	saved := third.tok.access == store.session().AccessToken
	third.tokMu.Unlock()
	if !saved {
		t.Fatalf("the rotated tokens must be saved at once, before Close")
	}
}

// tokenForTest is the client's access token ("" when none).
func (c *Client) tokenForTest() string {
	c.tokMu.Lock()
	defer c.tokMu.Unlock()
	if c.tok == nil {
		return ""
	}
	return c.tok.access
}

// TestProcessesSharingASessionTakeUpEachOthersTokens: one process's
// refresh kills the other's access token at once; the other reads the
// store before it refreshes, and takes the new tokens without an Auth
// request of its own.
func TestProcessesSharingASessionTakeUpEachOthersTokens(t *testing.T) {
	clock := &testClock{t: time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)}
	e := startEmulator(t, emulator.Config{Now: clock.Now, AccessTTL: 10 * time.Minute, RateLimitsOff: true})
	store := &memStore{}
	ctx := context.Background()
	a := clientFor(e, -1, Options{Now: clock.Now, Tokens: store})
	if _, err := a.Login(ctx); err != nil {
		t.Fatal(err)
	}
	b := clientFor(e, -1, Options{Now: clock.Now, Tokens: store})
	if _, err := b.GetExtension(ctx, "~"); err != nil {
		t.Fatal(err)
	}
	clock.Advance(9*time.Minute + 30*time.Second)
	if _, err := a.GetExtension(ctx, "~"); err != nil { // a refreshes
		t.Fatal(err)
	}
	before := len(authRequests(e))
	// b's token still looks good to b for 30 s, but the server killed it.
	if _, err := b.GetExtension(ctx, "~"); err != nil {
		t.Fatalf("b must heal the 401 with a's tokens: %v", err)
	}
	if n := len(authRequests(e)) - before; n != 0 || b.SessionID() != a.SessionID() {
		t.Fatalf("b made %d Auth requests; it must take up a's tokens from the store", n)
	}
}

// TestSignInFaultsAreBackedOffWithinTheAuthBudget (issue 10, item 5): a
// token endpoint failing with 503 is retried with growing, jittered
// delays; rchud never uses more than 4 of the 5 Auth requests of a window;
// after a refused refresh it goes straight to the JWT grant and never
// sends the refused refresh token again.
func TestSignInFaultsAreBackedOffWithinTheAuthBudget(t *testing.T) {
	const window = time.Second
	limits := emulator.DefaultRateLimits()
	limits[emulator.Auth] = emulator.RateLimit{Limit: 5, Window: window, Penalty: window}
	e := startEmulator(t, emulator.Config{RateLimits: limits})
	c := clientFor(e, -1, Options{AuthRetryBase: 20 * time.Millisecond, AuthRetryMax: 400 * time.Millisecond})
	ctx := context.Background()
	if _, err := c.Login(ctx); err != nil { // learns the Auth window from the headers
		t.Fatal(err)
	}
	faults := e.Faults()
	faults.OAuthRules = []emulator.OAuthFaultRule{
		{Endpoint: "token", Grant: "refresh", Response: "invalid_grant", Count: 1},
		{Endpoint: "token", Grant: "jwt", Response: "503", Count: 5},
	}
	e.SetFaults(faults)
	start := time.Now()
	c.invalidate(c.tokenForTest()) // as after a 401
	var err error
	for time.Since(start) < 15*time.Second {
		if _, err = c.GetExtension(ctx, "~"); err == nil {
			break
		}
	}
	if err != nil {
		t.Fatalf("after the faults the client must sign in: %v", err)
	}
	reqs := tokenRequests(e)[1:]
	var grants []string
	for _, r := range reqs {
		grants = append(grants, r.Grant)
	}
	t.Logf("token requests after the fault: %v over %v", grants, time.Since(start).Round(time.Millisecond))
	if len(reqs) != 7 || grants[0] != "refresh_token" {
		t.Fatalf("want one refused refresh, 5 failed JWT grants and one good one; got %v", grants)
	}
	for _, g := range grants[1:] {
		if g != "jwt" {
			t.Fatalf("a refused refresh token was sent again: %v", grants)
		}
	}
	all := authRequests(e)
	for i := range all {
		n := 0
		for j := i; j < len(all) && all[j].Time.Sub(all[i].Time) < window; j++ {
			n++
		}
		if n > 4 {
			t.Fatalf("%d Auth requests within %v from %v: rchud must leave one of 5 free", n, window, all[i].Time.Format("15:04:05.000"))
		}
	}
	if th := e.Stats().Throttled[emulator.Auth]; th != 0 {
		t.Fatalf("%d Auth requests throttled", th)
	}
}

// TestACallerThatGivesUpDoesNotWaitForTheRenewal (issue 10, item 4): a
// token endpoint that never answers holds no caller beyond its context,
// and Close abandons the renewal at once.
func TestACallerThatGivesUpDoesNotWaitForTheRenewal(t *testing.T) {
	e := startEmulator(t, emulator.Config{RateLimitsOff: true, Faults: emulator.Faults{
		OAuthRules: []emulator.OAuthFaultRule{{Endpoint: "token", Response: "hang"}}}})
	c := clientFor(e, -1, Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := c.Login(ctx)
	took := time.Since(start)
	if err == nil || took > time.Second {
		t.Fatalf("Login returned after %v (%v): a cancelled caller must not wait for a hung renewal", took, err)
	}
	if !errors.Is(err, ErrUnreachable) || !strings.Contains(err.Error(), "no answer") {
		t.Fatalf("the error must say the sign-in got no answer: %v", err)
	}
	start = time.Now()
	cctx, ccancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer ccancel()
	c.Close(cctx)
	if took := time.Since(start); took > time.Second {
		t.Fatalf("Close took %v with a renewal hanging", took)
	}
}

// TestASignInTheServerNeverAnswersFailsInBoundedTime: a first sign-in
// fails after SignInWithin with one clear line.
func TestASignInTheServerNeverAnswersFailsInBoundedTime(t *testing.T) {
	e := startEmulator(t, emulator.Config{RateLimitsOff: true, Faults: emulator.Faults{Unresponsive: true}})
	c := clientFor(e, -1, Options{SignInWithin: 300 * time.Millisecond})
	defer c.Close(context.Background())
	start := time.Now()
	_, err := c.Login(context.Background())
	if took := time.Since(start); err == nil || took > 2*time.Second {
		t.Fatalf("Login took %v (%v)", took, err)
	}
	if !errors.Is(err, ErrUnreachable) || err.Error() != "RingCentral did not answer the sign-in within 300ms" {
		t.Fatalf("want ErrUnreachable with a clear line, got %q", err)
	}
}

// TestPermissionErrorsSayWhatIsMissing: a 403 for a missing permission is
// ErrPermission, one line naming the permission and what to do.
func TestPermissionErrorsSayWhatIsMissing(t *testing.T) {
	e := startEmulator(t, emulator.Config{RateLimitsOff: true})
	cr := e.Credentials()
	perms := emulator.Permissions{}
	if err := perms.ChangeUser(cr.Receptionist.ExtensionID+":ReadPresenceStatus", false); err != nil {
		t.Fatal(err)
	}
	if err := e.SetPermissions(perms); err != nil {
		t.Fatal(err)
	}
	c := clientFor(e, -1, Options{})
	err := c.AccountPresence(context.Background(), true, func([]Presence) error { return nil })
	if !errors.Is(err, ErrPermission) || !strings.Contains(err.Error(), "ReadPresenceStatus") || !strings.Contains(err.Error(), "administrator") {
		t.Fatalf("company presence without the user permission: %v", err)
	}
	if err := perms.DenyScope("ReadPresence"); err != nil {
		t.Fatal(err)
	}
	perms.Users = nil
	if err := perms.DenyScope("EditPresence"); err != nil {
		t.Fatal(err)
	}
	if err := e.SetPermissions(perms); err != nil {
		t.Fatal(err)
	}
	_, err = c.ExtensionPresence(context.Background(), "~", false)
	if !errors.Is(err, ErrPermission) || !strings.Contains(err.Error(), "ReadPresence") || !strings.Contains(err.Error(), "developer console") {
		t.Fatalf("presence without the app scope: %v", err)
	}
	if strings.Contains(err.Error(), "\n") {
		t.Fatalf("two lines: %q", err)
	}
}

// hookTransport runs before each request goes out.
type hookTransport struct {
	before func(*http.Request)
}

func (h hookTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if h.before != nil {
		h.before(r)
	}
	return http.DefaultTransport.RoundTrip(r)
}

// TestARefusedRefreshTakesUpTheStoreBeforeSigningIn: another process
// rotated the shared session a moment before our refresh, which is
// refused; the store holds the new tokens, and they are taken up instead
// of making a new session with the JWT.
func TestARefusedRefreshTakesUpTheStoreBeforeSigningIn(t *testing.T) {
	e := startEmulator(t, emulator.Config{RateLimitsOff: true, AccessTTL: 10 * time.Minute})
	store := &memStore{}
	ctx := context.Background()
	a := clientFor(e, -1, Options{Tokens: store})
	if _, err := a.Login(ctx); err != nil {
		t.Fatal(err)
	}
	var once sync.Once
	b := clientFor(e, -1, Options{Tokens: store, HTTPClient: &http.Client{Transport: hookTransport{before: func(r *http.Request) {
		if r.URL.Path != "/restapi/oauth/token" {
			return
		}
		once.Do(func() {
			// a renews first (and saves), then b's refresh is refused.
			a.invalidate(a.tokenForTest())
			if _, err := a.GetExtension(ctx, "~"); err != nil {
				t.Error(err)
			}
			f := e.Faults()
			f.OAuthRules = []emulator.OAuthFaultRule{{Endpoint: "token", Grant: "refresh", Response: "invalid_grant", Count: 1}}
			e.SetFaults(f)
		})
	}}}})
	if _, err := b.GetExtension(ctx, "~"); err != nil {
		t.Fatal(err)
	}
	grants := e.Stats().JWTGrants
	b.invalidate(b.tokenForTest())
	if _, err := b.GetExtension(ctx, "~"); err != nil {
		t.Fatalf("b must heal with a's tokens: %v", err)
	}
	reqs := tokenRequests(e)
	refused := 0
	for _, r := range reqs {
		if r.Grant == "refresh_token" && r.Status == 400 {
			refused++
		}
	}
	if refused != 1 {
		t.Fatalf("the test meant b's refresh to be refused once: %+v", reqs)
	}
	if n := e.Stats().JWTGrants - grants; n != 0 || b.SessionID() != a.SessionID() || b.tokenForTest() != a.tokenForTest() {
		t.Fatalf("b made %d JWT grants (session %s, a's %s); it must take up a's tokens; token requests %+v",
			n, b.SessionID(), a.SessionID(), reqs)
	}
}

// TestASignInThatWaitsSaysWhy: the screen hears why signing in waits and
// until when, and that it no longer does once signed in.
func TestASignInThatWaitsSaysWhy(t *testing.T) {
	e := startEmulator(t, emulator.Config{})
	faults := e.Faults()
	faults.OAuthRules = []emulator.OAuthFaultRule{{Endpoint: "token", Grant: "jwt", Response: "429", Count: 1, RetryAfter: 1}}
	e.SetFaults(faults)
	var mu sync.Mutex
	var heard []string
	c := clientFor(e, -1, Options{AuthRetryBase: 20 * time.Millisecond, AuthRetryMax: 200 * time.Millisecond,
		SignInWait: func(why string, until time.Time) {
			mu.Lock()
			defer mu.Unlock()
			heard = append(heard, fmt.Sprintf("%s/%v", why, !until.IsZero()))
		}})
	if _, err := c.Login(context.Background()); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(heard) < 2 || heard[0] != "rate-limited by RingCentral/true" || heard[len(heard)-1] != "/false" {
		t.Fatalf("heard %q; want the rate limit with its time, then nothing", heard)
	}
}
