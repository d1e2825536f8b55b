package emulator

import (
	"bytes"
	"net/http"
	"testing"
	"time"
)

func TestRateLimitHeadersAndPenaltyRestart(t *testing.T) {
	clock := newFakeClock()
	limits := DefaultRateLimits()
	limits[Heavy] = RateLimit{Limit: 2, Window: time.Minute, Penalty: time.Minute}
	f := newRESTFixture(t, Config{Now: clock.Now, RateLimits: limits})
	heavy := func() *http.Response {
		t.Helper()
		resp, _ := call(t, f.e, f.admin, "GET", acct+"/presence?perPage=1", nil)
		return resp
	}
	for i, remaining := range []string{"1", "0"} {
		resp := heavy()
		h := resp.Header
		if resp.StatusCode != 200 || h.Get("X-Rate-Limit-Group") != "heavy" || h.Get("X-Rate-Limit-Limit") != "2" ||
			h.Get("X-Rate-Limit-Remaining") != remaining || h.Get("X-Rate-Limit-Window") != "60" {
			t.Fatalf("request %d: %d %v", i+1, resp.StatusCode, h)
		}
	}
	resp, body := call(t, f.e, f.admin, "GET", acct+"/presence", nil)
	wantError(t, "over the Heavy budget", resp, body, 429, "CMN-301", "")
	if resp.Header.Get("Retry-After") != "60" {
		t.Fatalf("Retry-After %q, want 60", resp.Header.Get("Retry-After"))
	}
	// Other groups, and other users in the same group, keep working.
	if resp, _ := call(t, f.e, f.admin, "GET", acct+"/extension/~", nil); resp.StatusCode != 200 {
		t.Fatalf("Light blocked by Heavy's penalty: %d", resp.StatusCode)
	}
	if resp, _ := call(t, f.e, f.agent, "GET", acct+"/extension/~/presence", nil); resp.StatusCode != 200 {
		t.Fatalf("another user blocked: %d", resp.StatusCode)
	}
	// Every request during the penalty restarts it.
	clock.Advance(59 * time.Second)
	if resp := heavy(); resp.StatusCode != 429 {
		t.Fatalf("59 s into the penalty: %d", resp.StatusCode)
	}
	clock.Advance(59 * time.Second) // 118 s: past the first penalty, inside the restarted one
	if resp := heavy(); resp.StatusCode != 429 {
		t.Fatalf("a request during the penalty must restart it: %d", resp.StatusCode)
	}
	clock.Advance(61 * time.Second)
	if resp := heavy(); resp.StatusCode != 200 {
		t.Fatalf("after a quiet penalty: %d", resp.StatusCode)
	}
}

func TestFaultRule429PenalizesTheGroup(t *testing.T) {
	clock := newFakeClock()
	f := newRESTFixture(t, Config{Now: clock.Now, RateLimits: DefaultRateLimits()})
	put := acct + "/extension/~/presence"
	f.e.SetFaults(Faults{Rules: []FaultRule{{Method: "PUT", PathPrefix: put, Status: 429, RetryAfter: 30, Count: 1}}})
	resp, body := call(t, f.e, f.admin, "PUT", put, map[string]any{"userStatus": "Busy"})
	wantError(t, "fault rule", resp, body, 429, "CMN-301", "")
	if resp.Header.Get("Retry-After") != "30" || f.truthOf(t, f.rec).Presence.UserStatus == StatusBusy {
		t.Fatalf("the faulted PUT: Retry-After %q, applied anyway?", resp.Header.Get("Retry-After"))
	}
	if len(f.e.Faults().Rules) != 0 {
		t.Fatal("a rule with count 1 must be used up")
	}
	if resp, _ := call(t, f.e, f.admin, "GET", acct+"/extension/~/presence", nil); resp.StatusCode != 200 {
		t.Fatalf("Light must not be penalized: %d", resp.StatusCode)
	}
	clock.Advance(31 * time.Second)
	if resp, _ := call(t, f.e, f.admin, "GET", acct+"/extension", nil); resp.StatusCode != 200 {
		t.Fatalf("Medium after Retry-After: %d", resp.StatusCode)
	}
	// A penalty from a rule is restarted by requests like any other.
	f.e.SetFaults(Faults{Rules: []FaultRule{{Method: "PUT", PathPrefix: put, Status: 429, RetryAfter: 30, Count: 1}}})
	call(t, f.e, f.admin, "PUT", put, map[string]any{})
	resp, body = call(t, f.e, f.admin, "GET", acct+"/extension", nil)
	wantError(t, "Medium during the rule's penalty", resp, body, 429, "CMN-301", "")
	clock.Advance(31 * time.Second)
	if resp, _ := call(t, f.e, f.admin, "GET", acct+"/extension", nil); resp.StatusCode != 429 {
		t.Fatalf("the request during the penalty restarted it with Medium's 60 s: %d", resp.StatusCode)
	}

	// A 503 rule answers CMN-201 and penalizes nothing.
	f.e.SetFaults(Faults{Rules: []FaultRule{{PathPrefix: "/restapi/v1.0/account/~/call-queues", Status: 503}}})
	resp, body = call(t, f.e, f.agent, "GET", acct+"/call-queues", nil)
	wantError(t, "503 rule", resp, body, 503, "CMN-201", "")
	if resp, _ := call(t, f.e, f.agent, "GET", acct+"/extension", nil); resp.StatusCode != 200 {
		t.Fatalf("a 503 rule must not penalize: %d", resp.StatusCode)
	}
}

func TestRandomRESTFaults(t *testing.T) {
	f := newRESTFixture(t, Config{})
	f.e.SetFaults(Faults{REST429Rate: 1})
	resp, body := call(t, f.e, f.agent, "GET", acct+"/extension/~", nil)
	wantError(t, "random 429", resp, body, 429, "CMN-301", "")
	if resp.Header.Get("Retry-After") == "" {
		t.Fatal("random 429 without Retry-After")
	}
	f.e.SetFaults(Faults{REST5xxRate: 1})
	resp, body = call(t, f.e, f.agent, "GET", acct+"/extension/~", nil)
	wantError(t, "random 5xx", resp, body, 503, "CMN-201", "")
	f.e.SetFaults(Faults{})
	if resp, _ := call(t, f.e, f.agent, "GET", acct+"/extension/~", nil); resp.StatusCode != 200 {
		t.Fatalf("faults off: %d", resp.StatusCode)
	}
}

func TestUnknownPathsAndMethods(t *testing.T) {
	f := newRESTFixture(t, Config{})
	for _, path := range []string{"/restapi/v1.0/nope", acct + "/extension/~/presence/extra", acct + "/extension/", "/restapi/v2/accounts/~"} {
		resp, body := call(t, f.e, f.agent, "GET", path, nil)
		wantError(t, path, resp, body, 404, "CMN-120", "")
	}
	resp, body := call(t, f.e, f.agent, "DELETE", acct+"/presence", nil)
	wantError(t, "DELETE account presence", resp, body, 405, "MethodNotAllowed", "")
	if resp.Header.Get("Allow") != "GET" {
		t.Fatalf("Allow %q", resp.Header.Get("Allow"))
	}
	resp, _ = call(t, f.e, f.agent, "PATCH", acct+"/extension/~/presence", nil)
	if resp.StatusCode != 405 || resp.Header.Get("Allow") != "GET, PUT" {
		t.Fatalf("PATCH presence: %d Allow %q", resp.StatusCode, resp.Header.Get("Allow"))
	}
}

func TestOversizedBodyIsRefused(t *testing.T) {
	f := newRESTFixture(t, Config{})
	big := make([]byte, maxRequestBody+10)
	for i := range big {
		big[i] = ' '
	}
	copy(big, `{"message":"x"}`)
	req, _ := http.NewRequest("PUT", f.e.URL()+acct+"/extension/~/presence", bytes.NewReader(big))
	req.Header.Set("Authorization", "Bearer "+f.agent)
	resp, body := do(t, req)
	wantError(t, "1 MB body", resp, body, 400, "CMN-103", "")
}
