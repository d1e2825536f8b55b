package emulator

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// serveDirect runs one request through the emulator's routes in-process.
func serveDirect(e *Emulator, method, path, query string, body []byte, token string) *httptest.ResponseRecorder {
	req := (&http.Request{
		Method: method,
		URL:    &url.URL{Path: path, RawQuery: query},
		Header: http.Header{"Content-Type": {"application/json"}},
		Body:   io.NopCloser(bytes.NewReader(body)),
		Host:   "127.0.0.1",
	}).WithContext(context.Background())
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	rec := httptest.NewRecorder()
	e.mux.ServeHTTP(rec, req)
	return rec
}

// checkFree fails unless the platform lock was released.
func checkFree(t *testing.T, e *Emulator) {
	if !e.p.mu.TryLock() {
		t.Fatal("the platform lock is still held after the request")
	}
	e.p.mu.Unlock()
}

// FuzzREST sends arbitrary requests to the REST API, as the admin or an
// agent. Nothing may panic or
// give a 500, every failure is the standard error JSON, and the platform
// lock is free afterwards.
func FuzzREST(f *testing.F) {
	e := startEmu(f, Config{RateLimitsOff: true})
	tokens := map[bool]string{false: login(f, e, e.creds.UserJWT).AccessToken, true: login(f, e, e.creds.Agents[0].JWT).AccessToken}
	q := e.p.dir.Queues[0].Ext.IDString()
	agent := e.p.dir.Agents[0].IDString()
	for _, s := range []struct{ method, path, query, body string }{
		{"GET", "account/~/extension", "type=User&perPage=2&page=3", ""},
		{"GET", "account/~/extension/~", "", ""},
		{"GET", "account/~/presence", "detailedTelephonyState=true&sipData=true&perPage=5000", ""},
		{"GET", "account/~/extension/~," + agent + ",1/presence", "detailedTelephonyState=true", ""},
		{"PUT", "account/~/extension/~/presence", "", `{"userStatus":"Busy","message":"x"}`},
		{"PUT", "account/~/extension/" + agent + "/presence", "", `{"dndStatus":"DoNotAcceptDepartmentCalls"}`},
		{"GET", "account/~/extension/~,~/unified-presence", "", ""},
		{"PATCH", "account/~/extension/~/unified-presence", "", `{"glip":{"visibility":"Invisible"},"telephony":{"availability":"TakeAllCalls"}}`},
		{"GET", "account/~/call-queues", "memberExtensionId=~", ""},
		{"PUT", "account/~/call-queues/" + q, "", `{"editableMemberStatus":true,"serviceLevelSettings":{"slaGoal":5}}`},
		{"GET", "account/~/call-queues/" + q + "/members", "perPage=1", ""},
		{"PUT", "account/~/call-queues/" + q + "/presence", "", `{"records":[{"member":{"id":` + agent + `},"acceptCurrentQueueCalls":false}]}`},
		{"PUT", "account/~/extension/" + agent + "/call-queue-presence", "", `{"records":[{"callQueue":{"id":"` + q + `"},"acceptCalls":true}]}`},
		{"POST", "subscription", "", `{"eventFilters":["x"],"deliveryMode":{"transportType":"WebHook"}}`},
		{"DELETE", "subscription/x", "", ""},
	} {
		f.Add(s.method, s.path, s.query, []byte(s.body), false)
		f.Add(s.method, s.path, s.query, []byte(s.body), true)
	}
	f.Fuzz(func(t *testing.T, method, path, query string, body []byte, asAgent bool) {
		rec := serveDirect(e, method, "/restapi/v1.0/"+path, query, body, tokens[asAgent])
		checkFree(t, e)
		status, out := rec.Code, rec.Body.Bytes()
		switch {
		case status >= 300 && status < 400:
			// ServeMux redirects unclean paths (//, /./) before any handler runs.
		case status >= 500 && status != http.StatusServiceUnavailable:
			t.Fatalf("%s %s?%s: %d %s", method, path, query, status, out)
		case status >= 400:
			var e struct {
				Errors []map[string]any `json:"errors"`
			}
			if err := json.Unmarshal(out, &e); err != nil || len(e.Errors) == 0 || e.Errors[0]["errorCode"] == "" {
				t.Fatalf("%s %s?%s: %d is not the standard error JSON: %s", method, path, query, status, out)
			}
		case strings.HasPrefix(rec.Header().Get("Content-Type"), "application/json") && !json.Valid(out):
			t.Fatalf("%s %s?%s: invalid JSON: %s", method, path, query, out)
		}
	})
}

// FuzzControl sends arbitrary requests to the control API: nothing may
// panic, every failure is one line of {"error": ...} JSON.
func FuzzControl(f *testing.F) {
	e := startEmu(f, Config{RateLimitsOff: true})
	agent := e.p.dir.Agents[0].IDString()
	for _, s := range []struct{ method, path, body string }{
		{"PUT", "faults", `{"latencyMs":5,"rest429Rate":0.5,"rules":[{"status":429,"retryAfter":3}]}`},
		{"PUT", "extensions/" + agent + "/presence", `{"userStatus":"Busy","meetingStatus":"Connected"}`},
		{"PUT", "extensions/" + agent + "/name", `{"name":"A \u001b[2J B"}`},
		{"POST", "extensions/" + agent + "/calls", `{"direction":"Outbound","status":"OnHold","queueId":"1"}`},
		{"PUT", "extensions/" + agent + "/calls/x", `{"status":"CallConnected"}`},
		{"DELETE", "extensions/" + agent + "/calls/x", ``},
		{"GET", "truth", ``},
	} {
		f.Add(s.method, s.path, []byte(s.body))
	}
	f.Fuzz(func(t *testing.T, method, path string, body []byte) {
		defer e.SetFaults(Faults{}) // a fuzzed latency must not slow the next input
		rec := serveDirect(e, method, "/_emulator/"+path, "", body, "")
		checkFree(t, e)
		if rec.Code >= 500 {
			t.Fatalf("%s %s: %d %s", method, path, rec.Code, rec.Body.Bytes())
		}
		if rec.Code >= 400 {
			var e map[string]string
			if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil || e["error"] == "" || strings.Contains(e["error"], "\n") {
				t.Fatalf("%s %s: %d is not a one-line error: %s", method, path, rec.Code, rec.Body.Bytes())
			}
		}
	})
}
