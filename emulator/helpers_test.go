package emulator

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// startEmu starts an emulator on a free loopback port with no simulated
// traffic unless cfg asks for it, and closes it when the test ends.
func startEmu(t testing.TB, cfg Config) *Emulator {
	t.Helper()
	if cfg.Users == 0 {
		cfg.Users = 40
	}
	if cfg.Queues == 0 {
		cfg.Queues = 4
	}
	if cfg.Seed == 0 {
		cfg.Seed = 7
	}
	e, err := Start(cfg, nil)
	if err != nil {
		t.Fatalf("start emulator: %v", err)
	}
	t.Cleanup(func() { _ = e.Close() })
	return e
}

// tokenResp is the subset of TokenInfo tests read.
type tokenResp struct {
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
	ExpiresIn    int    `json:"expires_in"`
	OwnerID      string `json:"owner_id"`
	SessionID    string `json:"session_id"`
}

// postForm sends a form to the token endpoints with Basic client auth.
func postForm(t testing.TB, e *Emulator, path string, form url.Values) (*http.Response, []byte) {
	t.Helper()
	req, _ := http.NewRequest("POST", e.URL()+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(e.creds.ClientID, e.creds.ClientSecret)
	return do(t, req)
}

func do(t testing.TB, req *http.Request) (*http.Response, []byte) {
	t.Helper()
	client := &http.Client{Timeout: 10 * time.Second}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

// login runs the JWT grant for jwt and returns the tokens.
func login(t testing.TB, e *Emulator, jwt string) tokenResp {
	t.Helper()
	resp, body := postForm(t, e, "/restapi/oauth/token", url.Values{"grant_type": {grantJWT}, "assertion": {jwt}})
	if resp.StatusCode != 200 {
		t.Fatalf("login: %d %s", resp.StatusCode, body)
	}
	var tr tokenResp
	mustJSON(t, body, &tr)
	return tr
}

// call sends an authenticated JSON request and returns status and body.
func call(t testing.TB, e *Emulator, token, method, path string, body any) (*http.Response, []byte) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = strings.NewReader(string(b))
	}
	u := path
	if !strings.HasPrefix(u, "http") {
		u = e.URL() + path
	}
	req, _ := http.NewRequest(method, u, rd)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	return do(t, req)
}

func mustJSON(t testing.TB, b []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("decode %s: %v", b, err)
	}
}

// errorCode extracts the standard error JSON's first code.
func errorCode(t testing.TB, b []byte) string {
	t.Helper()
	var e struct {
		Errors []struct {
			ErrorCode string `json:"errorCode"`
		} `json:"errors"`
	}
	mustJSON(t, b, &e)
	if len(e.Errors) == 0 {
		t.Fatalf("no errors[] in %s", b)
	}
	return e.Errors[0].ErrorCode
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", d, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// captureSink records what the hub delivers.
type captureSink struct {
	got []captured
}

type captured struct {
	sub      *Subscription
	uuid     string
	envelope map[string]any
}

func (c *captureSink) deliver(sub *Subscription, uuid string, env []byte) {
	var m map[string]any
	if err := json.Unmarshal(env, &m); err != nil {
		panic(err)
	}
	c.got = append(c.got, captured{sub, uuid, m})
}
