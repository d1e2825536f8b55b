package emulator

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// oauthErr reads the OAuth error fields of a token endpoint answer.
func oauthErr(t *testing.T, body []byte) (errName, code string) {
	t.Helper()
	var b struct {
		Error  string `json:"error"`
		Errors []struct {
			ErrorCode string `json:"errorCode"`
		} `json:"errors"`
	}
	mustJSON(t, body, &b)
	if len(b.Errors) == 0 {
		t.Fatalf("no errors[] in %s", body)
	}
	return b.Error, b.Errors[0].ErrorCode
}

func jwtForm(e *Emulator) url.Values {
	return url.Values{"grant_type": {grantJWT}, "assertion": {e.creds.UserJWT}}
}

func TestOAuthFaultResponses(t *testing.T) {
	e := startEmu(t, Config{RateLimitsOff: true})
	tr := login(t, e, e.creds.UserJWT)
	refresh := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tr.RefreshToken}}
	type check func(t *testing.T, resp *http.Response, body []byte)
	status := func(code int, want string) check {
		return func(t *testing.T, resp *http.Response, body []byte) {
			t.Helper()
			if resp.StatusCode != code || errorCode(t, body) != want {
				t.Fatalf("want %d %s, got %d %s", code, want, resp.StatusCode, body)
			}
		}
	}
	oauth := func(code int, name, want string) check {
		return func(t *testing.T, resp *http.Response, body []byte) {
			t.Helper()
			if n, c := oauthErr(t, body); resp.StatusCode != code || n != name || c != want {
				t.Fatalf("want %d %s %s, got %d %s", code, name, want, resp.StatusCode, body)
			}
		}
	}
	retryAfter := func(want string, next check) check {
		return func(t *testing.T, resp *http.Response, body []byte) {
			t.Helper()
			if got := resp.Header.Get("Retry-After"); got != want {
				t.Fatalf("Retry-After %q, want %q", got, want)
			}
			if resp.Header.Get("X-Rate-Limit-Group") != "" {
				t.Fatal("an injected 429 carries no X-Rate-Limit headers, like an account-level limit")
			}
			next(t, resp, body)
		}
	}
	wsToken := func() (*http.Response, []byte) {
		return call(t, e, tr.AccessToken, "POST", "/restapi/oauth/wstoken", nil)
	}
	cases := []struct {
		name string
		rule OAuthFaultRule
		send func() (*http.Response, []byte)
		want check
	}{
		{"jwt 429", OAuthFaultRule{Endpoint: "token", Grant: "jwt", Response: "429", RetryAfter: 7},
			func() (*http.Response, []byte) { return postForm(t, e, "/restapi/oauth/token", jwtForm(e)) },
			retryAfter("7", status(429, "CMN-301"))},
		{"refresh 429 default retry", OAuthFaultRule{Endpoint: "token", Grant: "refresh", Response: "429"},
			func() (*http.Response, []byte) { return postForm(t, e, "/restapi/oauth/token", refresh) },
			retryAfter("1", status(429, "CMN-301"))},
		{"jwt 503", OAuthFaultRule{Endpoint: "token", Response: "503"},
			func() (*http.Response, []byte) { return postForm(t, e, "/restapi/oauth/token", jwtForm(e)) },
			status(503, "CMN-201")},
		{"jwt invalid_grant", OAuthFaultRule{Endpoint: "token", Grant: "jwt", Response: "invalid_grant"},
			func() (*http.Response, []byte) { return postForm(t, e, "/restapi/oauth/token", jwtForm(e)) },
			oauth(400, "invalid_grant", "OAU-140")},
		{"refresh invalid_grant", OAuthFaultRule{Endpoint: "token", Grant: "refresh_token", Response: "invalid_grant"},
			func() (*http.Response, []byte) { return postForm(t, e, "/restapi/oauth/token", refresh) },
			oauth(400, "invalid_grant", "OAU-210")},
		{"jwt 403", OAuthFaultRule{Endpoint: "token", Response: "403"},
			func() (*http.Response, []byte) { return postForm(t, e, "/restapi/oauth/token", jwtForm(e)) },
			oauth(403, "unauthorized_client", "OAU-112")},
		{"wstoken 403", OAuthFaultRule{Endpoint: "wstoken", Response: "403"}, wsToken, status(403, "CMN-401")},
		{"wstoken 503 retry", OAuthFaultRule{Endpoint: "wstoken", Response: "503", RetryAfter: 3}, wsToken,
			func(t *testing.T, resp *http.Response, body []byte) {
				if resp.Header.Get("Retry-After") != "3" {
					t.Fatalf("503 Retry-After %q", resp.Header.Get("Retry-After"))
				}
				status(503, "CMN-201")(t, resp, body)
			}},
		{"wstoken 429", OAuthFaultRule{Endpoint: "wstoken", Response: "429", RetryAfter: 2}, wsToken, retryAfter("2", status(429, "CMN-301"))},
		{"revoke 503", OAuthFaultRule{Endpoint: "revoke", Response: "503"},
			func() (*http.Response, []byte) {
				return postForm(t, e, "/restapi/oauth/revoke", url.Values{"token": {tr.AccessToken}})
			}, status(503, "CMN-201")},
		{"revoke 403", OAuthFaultRule{Endpoint: "revoke", Response: "403"},
			func() (*http.Response, []byte) {
				return postForm(t, e, "/restapi/oauth/revoke", url.Values{"token": {tr.AccessToken}})
			}, oauth(403, "access_denied", "OAU-116")},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e.SetFaults(Faults{OAuthRules: []OAuthFaultRule{c.rule}})
			resp, body := c.send()
			c.want(t, resp, body)
			if left := e.Faults().OAuthRules; len(left) != 1 {
				t.Fatalf("an unlimited rule stays: %+v", left)
			}
		})
	}
	e.SetFaults(Faults{})
	// The faults did not touch the session: it still works.
	if resp, body := wsToken(); resp.StatusCode != 200 {
		t.Fatalf("after the faults: %d %s", resp.StatusCode, body)
	}
}

func TestOAuthFaultCountGrantAndLimiter(t *testing.T) {
	limits := DefaultRateLimits()
	limits[Auth] = RateLimit{Limit: 2, Window: time.Minute, Penalty: time.Minute}
	e := startEmu(t, Config{RateLimits: limits, Faults: Faults{OAuthRules: []OAuthFaultRule{
		{Endpoint: "token", Grant: "refresh", Response: "503", Count: 5},
		{Endpoint: "token", Grant: "jwt", Response: "503", Count: 3},
	}}})
	statuses := func(n int) []int {
		var out []int
		for range n {
			resp, _ := postForm(t, e, "/restapi/oauth/token", jwtForm(e))
			out = append(out, resp.StatusCode)
		}
		return out
	}
	// Three injected 503s, then the real limiter: two logins, then its 429.
	got := statuses(6)
	want := []int{503, 503, 503, 200, 200, 429}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("statuses %v, want %v", got, want)
		}
	}
	left := e.Faults().OAuthRules
	if len(left) != 1 || left[0].Grant != grantNameRefresh || left[0].Count != 5 {
		t.Fatalf("the JWT rule must be used up and the refresh rule untouched: %+v", left)
	}
	var faulted int
	for _, r := range e.Requests() {
		if r.Path == "/restapi/oauth/token" && r.Status == 503 && r.ErrorCode == "CMN-201" && r.Grant == grantNameJWT {
			faulted++
		}
	}
	if faulted != 3 {
		t.Fatalf("%d faulted requests logged, want 3", faulted)
	}
}

func TestOAuthFaultProbability(t *testing.T) {
	const seed = 11
	t.Logf("seed %d", seed)
	e := startEmu(t, Config{Seed: seed, RateLimitsOff: true, Faults: Faults{OAuthRules: []OAuthFaultRule{
		{Endpoint: "token", Response: "503", Probability: 0.5, Count: 1000},
	}}})
	faulted := 0
	const n = 60
	for range n {
		if resp, _ := postForm(t, e, "/restapi/oauth/token", jwtForm(e)); resp.StatusCode == 503 {
			faulted++
		}
	}
	if faulted < n/5 || faulted > n*4/5 {
		t.Fatalf("%d of %d faulted at p=0.5", faulted, n)
	}
	if left := e.Faults().OAuthRules[0].Count; left != 1000-faulted {
		t.Fatalf("count left %d, want %d: only a fired rule uses a count", left, 1000-faulted)
	}
}

// waitLogged waits until a request to path is logged.
func waitLogged(t *testing.T, e *Emulator, via, path string) RequestRecord {
	t.Helper()
	var rec RequestRecord
	waitFor(t, frameWait, "the request to "+path, func() bool {
		for _, r := range e.Requests() {
			if r.Via == via && r.Path == path {
				rec = r
				return true
			}
		}
		return false
	})
	return rec
}

func TestOAuthHangUntilTheClientGivesUp(t *testing.T) {
	e := startEmu(t, Config{RateLimitsOff: true, Faults: Faults{OAuthRules: []OAuthFaultRule{
		{Endpoint: "token", Grant: "jwt", Response: "hang", Count: 1},
	}}})
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "POST", e.URL()+"/restapi/oauth/token", strings.NewReader(jwtForm(e).Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(e.creds.ClientID, e.creds.ClientSecret)
	if resp, err := http.DefaultClient.Do(req); err == nil {
		resp.Body.Close()
		t.Fatalf("a hung request was answered %d", resp.StatusCode)
	} else if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("want the client's own timeout, got %v", err)
	}
	rec := waitLogged(t, e, viaHTTP, "/restapi/oauth/token")
	if rec.Status != 0 || rec.Grant != grantNameJWT {
		t.Fatalf("hung request: %+v", rec)
	}
	// The handler let go when the client did: Close has nothing to wait for,
	// and the next request (the rule is used up) is answered.
	waitFor(t, frameWait, "the hung handler to end", func() bool { return hangsInFlight(e) == 0 })
	login(t, e, e.creds.UserJWT)
}

// hangsInFlight counts requests the emulator is holding unanswered.
func hangsInFlight(e *Emulator) int { return e.Stats().Hanging }

func TestCloseEndsHungRequests(t *testing.T) {
	e, err := Start(Config{Users: 10, Queues: 1, Seed: 3, RateLimitsOff: true,
		Faults: Faults{OAuthRules: []OAuthFaultRule{{Endpoint: "revoke", Response: "hang"}}}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		req, _ := http.NewRequest("POST", e.URL()+"/restapi/oauth/revoke", strings.NewReader("token=x"))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		resp, err := http.DefaultClient.Do(req) // no timeout: only Close can end it
		if err == nil {
			resp.Body.Close()
		}
		done <- err
	}()
	waitFor(t, frameWait, "the revoke to hang", func() bool { return hangsInFlight(e) == 1 })
	if err := e.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}
	select {
	case err := <-done:
		if err == nil {
			t.Fatal("the hung request got an answer at close")
		}
	case <-time.After(frameWait):
		t.Fatal("the hung request outlived Close")
	}
}

func TestUnresponsiveServer(t *testing.T) {
	e := startEmu(t, Config{RateLimitsOff: true})
	tr := login(t, e, e.creds.UserJWT)
	wsTok := newWSToken(t, e, tr.AccessToken)
	e.SetFaults(Faults{Unresponsive: true})

	client := &http.Client{Timeout: 150 * time.Millisecond}
	for _, path := range []string{"/restapi/oauth/token", acct + "/extension/~"} {
		req, _ := http.NewRequest("POST", e.URL()+path, strings.NewReader(jwtForm(e).Encode()))
		if path != "/restapi/oauth/token" {
			req, _ = http.NewRequest("GET", e.URL()+path, nil)
			req.Header.Set("Authorization", "Bearer "+tr.AccessToken)
		} else {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.SetBasicAuth(e.creds.ClientID, e.creds.ClientSecret)
		}
		if resp, err := client.Do(req); err == nil {
			resp.Body.Close()
			t.Fatalf("%s answered %d while unresponsive", path, resp.StatusCode)
		}
	}
	d := websocket.Dialer{HandshakeTimeout: 150 * time.Millisecond}
	if conn, _, err := d.Dial(wsURL(e, url.Values{"access_token": {wsTok}}), nil); err == nil {
		conn.Close()
		t.Fatal("the WebSocket upgrade was answered while unresponsive")
	}
	if rec := waitLogged(t, e, viaWSUpgrade, "/ws"); rec.Status != 0 {
		t.Fatalf("hung upgrade: %+v", rec)
	}
	// The control API still answers, and turns it off.
	if resp, body := control(t, e, "PUT", "/_emulator/faults", `{"unresponsive":false}`); resp.StatusCode != 200 {
		t.Fatalf("control while unresponsive: %d %s", resp.StatusCode, body)
	}
	if resp, body := call(t, e, tr.AccessToken, "GET", acct+"/extension/~", nil); resp.StatusCode != 200 {
		t.Fatalf("after: %d %s", resp.StatusCode, body)
	}
}

func TestRESTFaultRuleHang(t *testing.T) {
	f := newRESTFixture(t, Config{})
	f.e.SetFaults(Faults{Rules: []FaultRule{{Method: "PUT", PathPrefix: acct + "/extension", Hang: true, Count: 1}}})
	client := &http.Client{Timeout: 150 * time.Millisecond}
	req, _ := http.NewRequest("PUT", f.e.URL()+acct+"/extension/~/presence", strings.NewReader(`{"userStatus":"Busy"}`))
	req.Header.Set("Authorization", "Bearer "+f.agent)
	req.Header.Set("Content-Type", "application/json")
	if resp, err := client.Do(req); err == nil {
		resp.Body.Close()
		t.Fatalf("answered %d", resp.StatusCode)
	}
	if rec := waitLogged(t, f.e, viaHTTP, acct+"/extension/~/presence"); rec.Status != 0 || rec.User != f.ag.IDString() {
		t.Fatalf("hung PUT: %+v", rec)
	}
	// Other requests were not held up, and the rule is used up.
	if resp, body := call(t, f.e, f.agent, "PUT", acct+"/extension/~/presence", map[string]any{"userStatus": "Busy"}); resp.StatusCode != 200 {
		t.Fatalf("next PUT: %d %s", resp.StatusCode, body)
	}
}

func TestParseOAuthFault(t *testing.T) {
	good := map[string]OAuthFaultRule{
		"token:refresh=invalid_grant,count=1": {Endpoint: "token", Grant: "refresh_token", Response: "invalid_grant", Count: 1},
		"wstoken=429,retry-after=5":           {Endpoint: "wstoken", Response: "429", RetryAfter: 5},
		"token:jwt=hang":                      {Endpoint: "token", Grant: "jwt", Response: "hang"},
		"revoke=503,p=0.25":                   {Endpoint: "revoke", Response: "503", Probability: 0.25},
	}
	for in, want := range good {
		got, err := ParseOAuthFault(in)
		if err != nil || got != want {
			t.Errorf("%q: %+v %v, want %+v", in, got, err, want)
		}
	}
	for _, bad := range []string{"token", "login=503", "token:password=503", "token=418", "wstoken=invalid_grant",
		"revoke:jwt=503", "token=503,count=-1", "token=503,p=2", "token=503,often=yes", "token=503,count=x"} {
		if _, err := ParseOAuthFault(bad); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

func TestControlFaultsTakeOAuthRules(t *testing.T) {
	e := startEmu(t, Config{})
	resp, body := control(t, e, "PUT", "/_emulator/faults",
		`{"oauthRules":[{"endpoint":"token","grant":"refresh","response":"invalid_grant","count":2}],"unresponsive":false}`)
	if resp.StatusCode != 200 {
		t.Fatalf("PUT: %d %s", resp.StatusCode, body)
	}
	var back struct {
		OAuthRules []OAuthFaultRule `json:"oauthRules"`
	}
	mustJSON(t, body, &back)
	if len(back.OAuthRules) != 1 || back.OAuthRules[0].Grant != grantNameRefresh || back.OAuthRules[0].Count != 2 {
		t.Fatalf("answer: %s", body)
	}
	for _, bad := range []string{
		`{"oauthRules":[{"endpoint":"token","response":"teapot"}]}`,
		`{"oauthRules":[{"endpoint":"wstoken","response":"invalid_grant"}]}`,
		`{"oauthRules":[{"endpoint":"token","response":"503","probability":1.5}]}`,
		`{"rules":[{"pathPrefix":"/restapi","status":0}]}`,
	} {
		resp, body := control(t, e, "PUT", "/_emulator/faults", bad)
		wantControlError(t, bad, resp, body, 400)
	}
	if resp, body := control(t, e, "PUT", "/_emulator/faults", `{"rules":[{"pathPrefix":"/restapi","hang":true}]}`); resp.StatusCode != 200 {
		t.Fatalf("a hang rule needs no status: %d %s", resp.StatusCode, body)
	}
}
