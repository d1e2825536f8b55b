package emulator

import (
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeClock is a settable clock for Config.Now.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock { return &fakeClock{t: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func TestJWTGrantReturnsFullTokenInfo(t *testing.T) {
	e := startEmu(t, Config{})
	resp, body := postForm(t, e, "/restapi/oauth/token", url.Values{
		"grant_type": {grantJWT}, "assertion": {e.creds.UserJWT}, "endpoint_id": {"hud-1"},
	})
	if resp.StatusCode != 200 {
		t.Fatalf("status %d: %s", resp.StatusCode, body)
	}
	var ti map[string]any
	mustJSON(t, body, &ti)
	for _, k := range []string{"access_token", "refresh_token", "scope", "owner_id", "session_id"} {
		if s, _ := ti[k].(string); s == "" {
			t.Errorf("TokenInfo.%s missing: %s", k, body)
		}
	}
	if ti["token_type"] != "bearer" || ti["expires_in"] != float64(3600) || ti["refresh_token_expires_in"] != float64(604800) {
		t.Errorf("wrong token type or lifetimes: %s", body)
	}
	if ti["owner_id"] != e.creds.Receptionist.ExtensionID || ti["endpoint_id"] != "hud-1" {
		t.Errorf("owner_id or endpoint_id wrong: %s", body)
	}
	if resp.Header.Get("X-Rate-Limit-Group") != "auth" {
		t.Errorf("token response lacks the Auth rate-limit headers: %v", resp.Header)
	}
}

func TestTokenEndpointClientAuthAndErrors(t *testing.T) {
	e := startEmu(t, Config{RateLimitsOff: true})
	form := url.Values{"grant_type": {grantJWT}, "assertion": {e.creds.Agents[0].JWT}}

	// client_id in the body, no Basic auth (public-client style).
	withID := url.Values{"client_id": {e.creds.ClientID}}
	for k, v := range form {
		withID[k] = v
	}
	req, _ := http.NewRequest("POST", e.URL()+"/restapi/oauth/token", strings.NewReader(withID.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if resp, body := do(t, req); resp.StatusCode != 200 {
		t.Fatalf("client_id in body: %d %s", resp.StatusCode, body)
	}

	cases := []struct {
		name    string
		mutate  func(r *http.Request)
		form    url.Values
		status  int
		oauth   string
		errCode string
	}{
		{"no client auth", func(r *http.Request) { r.Header.Del("Authorization") }, form, 401, "invalid_client", "OAU-123"},
		{"wrong secret", func(r *http.Request) { r.SetBasicAuth(e.creds.ClientID, "nope") }, form, 401, "invalid_client", "OAU-153"},
		{"bad jwt", nil, url.Values{"grant_type": {grantJWT}, "assertion": {e.creds.UserJWT + "x"}}, 400, "invalid_grant", "OAU-140"},
		{"unknown grant", nil, url.Values{"grant_type": {"password"}}, 400, "unsupported_grant_type", "OAU-250"},
		{"bad refresh", nil, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {"nope"}}, 400, "invalid_grant", "OAU-211"},
	}
	for _, c := range cases {
		req, _ := http.NewRequest("POST", e.URL()+"/restapi/oauth/token", strings.NewReader(c.form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.SetBasicAuth(e.creds.ClientID, e.creds.ClientSecret)
		if c.mutate != nil {
			c.mutate(req)
		}
		resp, body := do(t, req)
		var oe struct {
			Error  string `json:"error"`
			Errors []struct {
				ErrorCode string `json:"errorCode"`
			} `json:"errors"`
		}
		mustJSON(t, body, &oe)
		if resp.StatusCode != c.status || oe.Error != c.oauth || len(oe.Errors) == 0 || oe.Errors[0].ErrorCode != c.errCode {
			t.Errorf("%s: got %d %s, want %d %s %s", c.name, resp.StatusCode, body, c.status, c.oauth, c.errCode)
		}
	}

	req, _ = http.NewRequest("POST", e.URL()+"/restapi/oauth/token", strings.NewReader(`{}`))
	req.Header.Set("Content-Type", "application/json")
	if resp, _ := do(t, req); resp.StatusCode != http.StatusUnsupportedMediaType {
		t.Errorf("JSON body: want 415, got %d", resp.StatusCode)
	}
}

func TestRefreshRotationAndGrace(t *testing.T) {
	clock := newFakeClock()
	e := startEmu(t, Config{Now: clock.Now, RateLimitsOff: true})
	first := login(t, e, e.creds.UserJWT)

	refresh := func(rt string) (int, tokenResp) {
		resp, body := postForm(t, e, "/restapi/oauth/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}})
		var tr tokenResp
		if resp.StatusCode == 200 {
			mustJSON(t, body, &tr)
		}
		return resp.StatusCode, tr
	}
	status, second := refresh(first.RefreshToken)
	if status != 200 || second.AccessToken == first.AccessToken || second.RefreshToken == first.RefreshToken {
		t.Fatalf("refresh must rotate both tokens: %d %+v", status, second)
	}
	if second.SessionID != first.SessionID {
		t.Fatalf("refresh must stay in the same OAuth session")
	}
	// The old access token dies at once.
	if resp, body := call(t, e, first.AccessToken, "POST", "/restapi/oauth/wstoken", nil); resp.StatusCode != 401 || errorCode(t, body) != "OAU-213" {
		t.Fatalf("old access token after refresh: %d %s", resp.StatusCode, body)
	}
	// Until the new access token is used, replaying the old refresh token
	// returns the same new tokens, for up to an hour.
	clock.Advance(30 * time.Minute)
	if status, again := refresh(first.RefreshToken); status != 200 || again.AccessToken != second.AccessToken {
		t.Fatalf("replay within grace: %d, same token %v", status, again.AccessToken == second.AccessToken)
	}
	// Using the new access token leaves the old refresh token 10 s.
	if resp, body := call(t, e, second.AccessToken, "POST", "/restapi/oauth/wstoken", nil); resp.StatusCode != 200 {
		t.Fatalf("new access token: %d %s", resp.StatusCode, body)
	}
	clock.Advance(9 * time.Second)
	if status, _ := refresh(first.RefreshToken); status != 200 {
		t.Fatalf("replay 9 s after first use must still work, got %d", status)
	}
	clock.Advance(2 * time.Second)
	if status, _ := refresh(first.RefreshToken); status != 400 {
		t.Fatalf("replay 11 s after first use must fail, got %d", status)
	}
	// The current refresh token still works and rotates again.
	if status, third := refresh(second.RefreshToken); status != 200 || third.AccessToken == second.AccessToken {
		t.Fatalf("second rotation failed: %d", status)
	}
}

func TestAccessTokenExpiry(t *testing.T) {
	clock := newFakeClock()
	e := startEmu(t, Config{Now: clock.Now, AccessTTL: 60 * time.Second, RefreshTTL: 120 * time.Second, RateLimitsOff: true})
	tr := login(t, e, e.creds.UserJWT)
	if tr.ExpiresIn != 60 {
		t.Fatalf("a configured short TTL must win over the 600 s minimum: expires_in %d", tr.ExpiresIn)
	}
	clock.Advance(61 * time.Second)
	resp, body := call(t, e, tr.AccessToken, "POST", "/restapi/oauth/wstoken", nil)
	if resp.StatusCode != 401 || errorCode(t, body) != "OAU-128" || !strings.Contains(string(body), `"TokenExpired"`) {
		t.Fatalf("expired token: %d %s", resp.StatusCode, body)
	}
	clock.Advance(60 * time.Second)
	r2, b2 := postForm(t, e, "/restapi/oauth/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tr.RefreshToken}})
	if r2.StatusCode != 400 || errorCode(t, b2) != "OAU-210" {
		t.Fatalf("expired refresh token: %d %s", r2.StatusCode, b2)
	}
}

func TestRevokeEndsTheWholeSession(t *testing.T) {
	e := startEmu(t, Config{RateLimitsOff: true})
	tr := login(t, e, e.creds.UserJWT)
	resp, _ := postForm(t, e, "/restapi/oauth/revoke", url.Values{"token": {tr.AccessToken}})
	if resp.StatusCode != 200 {
		t.Fatalf("revoke: %d", resp.StatusCode)
	}
	if resp, _ := call(t, e, tr.AccessToken, "POST", "/restapi/oauth/wstoken", nil); resp.StatusCode != 401 {
		t.Fatalf("access token after revoke: %d", resp.StatusCode)
	}
	r2, _ := postForm(t, e, "/restapi/oauth/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tr.RefreshToken}})
	if r2.StatusCode != 400 {
		t.Fatalf("refresh token after revoke: %d", r2.StatusCode)
	}
}

func TestSixthSessionRevokesTheOldest(t *testing.T) {
	e := startEmu(t, Config{RateLimitsOff: true})
	var sessions []tokenResp
	for i := 0; i < 6; i++ {
		sessions = append(sessions, login(t, e, e.creds.UserJWT))
	}
	if resp, _ := call(t, e, sessions[0].AccessToken, "POST", "/restapi/oauth/wstoken", nil); resp.StatusCode != 401 {
		t.Fatalf("oldest session should be revoked by the 6th, got %d", resp.StatusCode)
	}
	for i := 1; i < 6; i++ {
		if resp, _ := call(t, e, sessions[i].AccessToken, "POST", "/restapi/oauth/wstoken", nil); resp.StatusCode != 200 {
			t.Fatalf("session %d should live, got %d", i, resp.StatusCode)
		}
	}
	// Another user's sessions are counted apart.
	login(t, e, e.creds.Agents[0].JWT)
	if resp, _ := call(t, e, sessions[1].AccessToken, "POST", "/restapi/oauth/wstoken", nil); resp.StatusCode != 200 {
		t.Fatalf("another user's login revoked this user's session")
	}
}

func TestAuthGroupRateLimit(t *testing.T) {
	e := startEmu(t, Config{})
	for i := 0; i < 5; i++ {
		login(t, e, e.creds.UserJWT)
	}
	resp, body := postForm(t, e, "/restapi/oauth/token", url.Values{"grant_type": {grantJWT}, "assertion": {e.creds.UserJWT}})
	if resp.StatusCode != 429 || errorCode(t, body) != "CMN-301" || resp.Header.Get("Retry-After") != "60" {
		t.Fatalf("6th login in a minute: %d %s Retry-After=%q", resp.StatusCode, body, resp.Header.Get("Retry-After"))
	}
	// Another user has their own budget.
	login(t, e, e.creds.Agents[0].JWT)
}

func TestWSTokenPointsHereAndLastsItsTTL(t *testing.T) {
	e := startEmu(t, Config{RateLimitsOff: true})
	tr := login(t, e, e.creds.UserJWT)
	resp, body := call(t, e, tr.AccessToken, "POST", "/restapi/oauth/wstoken", map[string]any{})
	if resp.StatusCode != 200 {
		t.Fatalf("wstoken: %d %s", resp.StatusCode, body)
	}
	var wt struct {
		URI       string `json:"uri"`
		Token     string `json:"ws_access_token"`
		ExpiresIn int    `json:"expires_in"`
	}
	mustJSON(t, body, &wt)
	if wt.URI != "ws"+strings.TrimPrefix(e.URL(), "http")+"/ws" || wt.Token == "" || wt.ExpiresIn != 30 {
		t.Fatalf("wstoken response: %+v", wt)
	}
	// Good for more than one connection (one at a time) until it expires:
	// RCEX-WS reconnects with its cached token.
	e.p.mu.Lock()
	_, first := e.p.wsTokenSession(wt.Token)
	_, second := e.p.wsTokenSession(wt.Token)
	e.p.mu.Unlock()
	if !first || !second {
		t.Fatalf("ws token must stay good until it expires: first=%v second=%v", first, second)
	}
	if resp, _ := call(t, e, "", "POST", "/restapi/oauth/wstoken", nil); resp.StatusCode != 401 {
		t.Fatalf("wstoken without a bearer: %d", resp.StatusCode)
	}
}

// RCJS (@ringcentral/sdk Platform.authHeader) sends token_type verbatim as
// the scheme: "Authorization: bearer <token>". Schemes are case-insensitive
// (RFC 7235 §2.1) and RingCentral accepts it; so must every endpoint here.
func TestBearerSchemeIsCaseInsensitive(t *testing.T) {
	e := startEmu(t, Config{RateLimitsOff: true})
	_, body := postForm(t, e, "/restapi/oauth/token", url.Values{"grant_type": {grantJWT}, "assertion": {e.creds.UserJWT}})
	var ti struct {
		AccessToken string `json:"access_token"`
		TokenType   string `json:"token_type"`
	}
	mustJSON(t, body, &ti)
	send := func(auth, method, path string) int {
		t.Helper()
		req, _ := http.NewRequest(method, e.URL()+path, nil)
		req.Header.Set("Authorization", auth)
		resp, _ := do(t, req)
		return resp.StatusCode
	}
	for _, scheme := range []string{ti.TokenType, "bearer", "BEARER", "Bearer"} {
		auth := scheme + " " + ti.AccessToken
		if got := send(auth, "GET", "/restapi/v1.0/account/~/extension/~"); got != 200 {
			t.Errorf("GET with scheme %q: %d, want 200", scheme, got)
		}
		if got := send(auth, "POST", "/restapi/oauth/wstoken"); got != 200 {
			t.Errorf("wstoken with scheme %q: %d, want 200", scheme, got)
		}
	}
	if got := send("Basic "+ti.AccessToken, "GET", "/restapi/v1.0/account/~/extension/~"); got != 401 {
		t.Errorf("a Basic scheme is not a bearer token: %d, want 401", got)
	}
}

func TestCredentialsAreDeterministic(t *testing.T) {
	a := startEmu(t, Config{Seed: 99})
	b := startEmu(t, Config{Seed: 99})
	ca, cb := a.Credentials(), b.Credentials()
	ca.ServerURL, cb.ServerURL = "", ""
	if ca.ClientID != cb.ClientID || ca.ClientSecret != cb.ClientSecret || ca.UserJWT != cb.UserJWT || len(ca.Agents) != 3 || ca.Agents[2].JWT != cb.Agents[2].JWT {
		t.Fatalf("same seed must print the same credentials")
	}
	// A JWT from one seed does not work on another.
	c := startEmu(t, Config{Seed: 100})
	resp, _ := postForm(t, c, "/restapi/oauth/token", url.Values{"grant_type": {grantJWT}, "assertion": {ca.UserJWT}})
	if resp.StatusCode != 401 && resp.StatusCode != 400 {
		t.Fatalf("foreign JWT accepted: %d", resp.StatusCode)
	}
}
