package emulator

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
)

// restFixture is an emulator with a logged-in admin (the receptionist) and
// agent (a non-admin queue member in a locked queue).
type restFixture struct {
	e     *Emulator
	admin string // access token
	agent string
	rec   *Extension
	ag    *Extension
}

func newRESTFixture(t *testing.T, cfg Config) *restFixture {
	t.Helper()
	if cfg.RateLimits == nil && !cfg.RateLimitsOff {
		cfg.RateLimitsOff = true
	}
	e := startEmu(t, cfg)
	f := &restFixture{e: e, rec: e.p.dir.Receptionist, ag: e.p.dir.Agents[0]}
	f.admin = login(t, e, e.creds.UserJWT).AccessToken
	f.agent = login(t, e, e.creds.Agents[0].JWT).AccessToken
	return f
}

// get calls GET and decodes a 200 body into v.
func (f *restFixture) get(t *testing.T, token, path string, v any) {
	t.Helper()
	resp, body := call(t, f.e, token, "GET", path, nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %s", path, resp.StatusCode, body)
	}
	mustJSON(t, body, v)
}

// wantError checks a response is the standard error JSON with the given
// status, code and (if not empty) parameterName or permissionName, with
// the first error repeated at top level.
func wantError(t *testing.T, what string, resp *http.Response, body []byte, status int, code, param string) {
	t.Helper()
	var e struct {
		ErrorCode string              `json:"errorCode"`
		Message   string              `json:"message"`
		Errors    []map[string]string `json:"errors"`
	}
	mustJSON(t, body, &e)
	if resp.StatusCode != status || len(e.Errors) == 0 || e.Errors[0]["errorCode"] != code {
		t.Fatalf("%s: want %d %s, got %d %s", what, status, code, resp.StatusCode, body)
	}
	top := code
	if code == "CMN-401" {
		top = "InsufficientPermissions" // rc-api.md §5.1: the app-permission error's own top-level code
	}
	if e.ErrorCode != top || e.Message == "" || e.Message != e.Errors[0]["message"] {
		t.Fatalf("%s: the first error is not repeated at top level: %s", what, body)
	}
	if param != "" && e.Errors[0]["parameterName"] != param && e.Errors[0]["permissionName"] != param {
		t.Fatalf("%s: want parameter or permission %q, got %s", what, param, body)
	}
	if !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		t.Fatalf("%s: error Content-Type %q", what, resp.Header.Get("Content-Type"))
	}
}

// capture subscribes the session of token to filters, as the gateway
// would, and returns a sink that records what the hub delivers.
func (f *restFixture) capture(t *testing.T, token string, filters ...string) (*Subscription, *captureSink) {
	t.Helper()
	p := f.e.p
	p.mu.Lock()
	defer p.mu.Unlock()
	sess, ae := p.sessionForAccess(token)
	if ae != nil {
		t.Fatalf("session: %v", ae)
	}
	sink := &captureSink{}
	sub, ae := p.hub.create(sess, filters, sink)
	if ae != nil {
		t.Fatalf("subscribe %v: %v", filters, ae)
	}
	return sub, sink
}

// delivered copies what sink has received so far (under the platform lock
// the hub delivers under).
func (f *restFixture) delivered(sink *captureSink) []captured {
	f.e.p.mu.Lock()
	defer f.e.p.mu.Unlock()
	return slices.Clone(sink.got)
}

// truthOf returns the ground truth of one extension.
func (f *restFixture) truthOf(t *testing.T, ext *Extension) TruthExtension {
	t.Helper()
	for _, te := range f.e.Truth().Extensions {
		if te.ID == ext.IDString() {
			return te
		}
	}
	t.Fatalf("extension %d not in the truth", ext.ID)
	return TruthExtension{}
}

// userOutsideQueues finds a User extension that belongs to no queue.
func (f *restFixture) userOutsideQueues(t *testing.T) *Extension {
	t.Helper()
	for _, e := range f.e.p.dir.Extensions {
		if e.Type == TypeUser && len(e.Queues) == 0 {
			return e
		}
	}
	t.Fatal("every user is in a queue")
	return nil
}

// loginAs opens an OAuth session for any user, as a JWT login would, and
// returns its access token (the emulator only issues JWTs to a few users).
func (f *restFixture) loginAs(t *testing.T, ext *Extension) string {
	t.Helper()
	p := f.e.p
	p.mu.Lock()
	defer p.mu.Unlock()
	r := &http.Request{PostForm: url.Values{}}
	return p.newSession(ext, r, p.now()).access
}

// agentQueues returns a queue the agent may toggle and one locked by the admin.
func (f *restFixture) agentQueues(t *testing.T) (editable, locked *Queue) {
	t.Helper()
	for _, q := range f.ag.Queues {
		if q.EditableMemberStatus {
			editable = q
		} else {
			locked = q
		}
	}
	if editable == nil || locked == nil {
		t.Fatal("the agent needs an editable and a locked queue")
	}
	return editable, locked
}

const acct = "/restapi/v1.0/account/~"
