package emulator

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

// control sends a control API request (no token) with a raw JSON body.
func control(t *testing.T, e *Emulator, method, path, body string) (*http.Response, []byte) {
	t.Helper()
	req, _ := http.NewRequest(method, e.URL()+path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	return do(t, req)
}

// wantControlError checks a one-line {"error": "..."} answer.
func wantControlError(t *testing.T, what string, resp *http.Response, body []byte, status int) {
	t.Helper()
	var e map[string]string
	mustJSON(t, body, &e)
	if resp.StatusCode != status || e["error"] == "" || len(e) != 1 || strings.Contains(e["error"], "\n") {
		t.Fatalf("%s: want %d and a one-line error, got %d %s", what, status, resp.StatusCode, body)
	}
}

func TestControlReadsTruthStatsAndRequests(t *testing.T) {
	f := newRESTFixture(t, Config{})
	call(t, f.e, f.agent, "GET", acct+"/extension/~", nil)
	var truth Truth
	resp, body := control(t, f.e, "GET", "/_emulator/truth", "")
	mustJSON(t, body, &truth)
	if resp.StatusCode != 200 || len(truth.Extensions) != len(f.e.p.dir.Extensions) || len(truth.Queues) != 4 || truth.AccountID == "" {
		t.Fatalf("truth: %d, %d extensions", resp.StatusCode, len(truth.Extensions))
	}
	var stats Stats
	resp, body = control(t, f.e, "GET", "/_emulator/stats", "")
	mustJSON(t, body, &stats)
	if resp.StatusCode != 200 || stats.Requests[Light] != 1 || stats.JWTGrants != 2 {
		t.Fatalf("stats: %d %s", resp.StatusCode, body)
	}
	var reqs []RequestRecord
	resp, body = control(t, f.e, "GET", "/_emulator/requests", "")
	mustJSON(t, body, &reqs)
	last := reqs[len(reqs)-1]
	if resp.StatusCode != 200 || last.Path != acct+"/extension/~" || last.Group != Light || last.User != f.ag.IDString() {
		t.Fatalf("requests: %d %+v", resp.StatusCode, last)
	}
	if strings.Contains(string(body), f.agent) {
		t.Fatal("the request log holds an access token")
	}
}

func TestControlFaultsRoundTripInMilliseconds(t *testing.T) {
	f := newRESTFixture(t, Config{})
	put := `{"dropIntervalMs":1500,"dropJitterMs":250,"latencyMs":0,"reorderMaxDelayMs":2000,"reorderRate":0.25,
		"rest429Rate":1,"partialBodies":true,"rules":[{"method":"PUT","pathPrefix":"/restapi/v1.0/account","status":503,"count":2}]}`
	resp, body := control(t, f.e, "PUT", "/_emulator/faults", put)
	if resp.StatusCode != 200 {
		t.Fatalf("PUT faults: %d %s", resp.StatusCode, body)
	}
	got := f.e.Faults()
	if got.DropInterval != 1500*time.Millisecond || got.DropJitter != 250*time.Millisecond || got.ReorderMaxDelay != 2*time.Second ||
		got.ReorderRate != 0.25 || got.REST429Rate != 1 || !got.PartialBodies || len(got.Rules) != 1 || got.Rules[0].Count != 2 {
		t.Fatalf("faults in force: %+v", got)
	}
	var back map[string]any
	_, body = control(t, f.e, "GET", "/_emulator/faults", "")
	mustJSON(t, body, &back)
	if back["dropIntervalMs"] != float64(1500) || back["reorderMaxDelayMs"] != float64(2000) || back["partialBodies"] != true {
		t.Fatalf("GET faults: %s", body)
	}
	// The faults act on REST but never on the control API.
	if resp, _ := call(t, f.e, f.agent, "GET", acct+"/extension/~", nil); resp.StatusCode != 429 {
		t.Fatalf("rest429Rate 1 must answer 429, got %d", resp.StatusCode)
	}
	if resp, _ := control(t, f.e, "GET", "/_emulator/stats", ""); resp.StatusCode != 200 {
		t.Fatalf("the control API must not be faulted: %d", resp.StatusCode)
	}
	// PUT replaces everything: absent fields return to zero.
	if resp, body := control(t, f.e, "PUT", "/_emulator/faults", `{}`); resp.StatusCode != 200 || f.e.Faults().REST429Rate != 0 || len(f.e.Faults().Rules) != 0 {
		t.Fatalf("PUT {}: %d %s", resp.StatusCode, body)
	}
	for _, bad := range []string{`{"rest429Rate":1.5}`, `{"latencyMs":-1}`, `{"rules":[{"status":42}]}`, `{"latency":"1s"}`, `{`, ``, `{"halfOpen":true}{}`} {
		resp, body := control(t, f.e, "PUT", "/_emulator/faults", bad)
		wantControlError(t, bad, resp, body, 400)
	}
	if f.e.Faults().HalfOpen {
		t.Fatal("a refused PUT changed the faults")
	}
}

func TestControlActions(t *testing.T) {
	f := newRESTFixture(t, Config{})
	for _, path := range []string{"/_emulator/pause", "/_emulator/resume", "/_emulator/drop"} {
		if resp, body := control(t, f.e, "POST", path, ""); resp.StatusCode != 204 {
			t.Fatalf("%s: %d %s", path, resp.StatusCode, body)
		}
	}
	resp, body := control(t, f.e, "GET", "/_emulator/nothing", "")
	wantControlError(t, "unknown endpoint", resp, body, 404)
	resp, body = control(t, f.e, "GET", "/_emulator/pause", "")
	wantControlError(t, "GET pause", resp, body, 405)
}

func TestControlSetsPresence(t *testing.T) {
	f := newRESTFixture(t, Config{})
	_, sink := f.capture(t, f.admin, acct+"/presence")
	path := "/_emulator/extensions/" + f.ag.IDString() + "/presence"
	resp, body := control(t, f.e, "PUT", path, `{"userStatus":"Busy","meetingStatus":"Connected","message":"Quarterly review"}`)
	if resp.StatusCode != 200 || !strings.Contains(string(body), `"meetingStatus":"Connected"`) {
		t.Fatalf("control presence: %d %s", resp.StatusCode, body)
	}
	var p presenceBody
	f.get(t, f.admin, acct+"/extension/"+f.ag.IDString()+"/presence", &p)
	if p["userStatus"] != "Busy" || p["message"] != "Quarterly review" || len(f.delivered(sink)) != 1 {
		t.Fatalf("the change must show over REST and notify: %v", p)
	}
	resp, body = control(t, f.e, "PUT", path, `{"dndStatus":"Unknown"}`)
	wantControlError(t, "read-only dndStatus", resp, body, 400)
	resp, body = control(t, f.e, "PUT", path, `{"user_status":"Busy"}`)
	wantControlError(t, "misspelt field", resp, body, 400)
	resp, body = control(t, f.e, "PUT", "/_emulator/extensions/77/presence", `{}`)
	wantControlError(t, "unknown extension", resp, body, 404)
	resp, body = control(t, f.e, "PUT", "/_emulator/extensions/bob/presence", `{}`)
	wantControlError(t, "not an id", resp, body, 404)
}

func TestControlCallLifecycle(t *testing.T) {
	f := newRESTFixture(t, Config{})
	_, sink := f.capture(t, f.admin, acct+"/extension/"+f.ag.IDString()+"/presence?detailedTelephonyState=true")
	q := f.ag.Queues[0]
	calls := "/_emulator/extensions/" + f.ag.IDString() + "/calls"
	resp, body := control(t, f.e, "POST", calls, `{"from":"+16505550123","fromName":"Ada Lovelace","queueId":"`+q.Ext.IDString()+`"}`)
	var leg map[string]string
	mustJSON(t, body, &leg)
	if resp.StatusCode != 201 || leg["id"] == "" || leg["telephonySessionId"] == "" || leg["partyId"] == "" {
		t.Fatalf("start call: %d %s", resp.StatusCode, body)
	}
	var p struct {
		TelephonyStatus string `json:"telephonyStatus"`
		ActiveCalls     []struct {
			ID        string `json:"id"`
			Direction string `json:"direction"`
			FromName  string `json:"fromName"`
			To        string `json:"to"`
			QueueCall bool   `json:"queueCall"`
			Status    string `json:"telephonyStatus"`
		} `json:"activeCalls"`
	}
	f.get(t, f.admin, acct+"/extension/"+f.ag.IDString()+"/presence?detailedTelephonyState=true", &p)
	if p.TelephonyStatus != TelRinging || len(p.ActiveCalls) != 1 || p.ActiveCalls[0].ID != leg["id"] ||
		p.ActiveCalls[0].Direction != "Inbound" || p.ActiveCalls[0].FromName != "Ada Lovelace" || p.ActiveCalls[0].To != f.ag.Number || !p.ActiveCalls[0].QueueCall {
		t.Fatalf("the call over REST: %+v", p)
	}
	if resp, body := control(t, f.e, "PUT", calls+"/"+leg["id"], `{"status":"CallConnected"}`); resp.StatusCode != 204 {
		t.Fatalf("answer: %d %s", resp.StatusCode, body)
	}
	f.get(t, f.admin, acct+"/extension/"+f.ag.IDString()+"/presence?detailedTelephonyState=true", &p)
	if p.TelephonyStatus != TelConnected {
		t.Fatalf("after answer: %+v", p)
	}
	if resp, body := control(t, f.e, "DELETE", calls+"/"+leg["id"], ""); resp.StatusCode != 204 {
		t.Fatalf("end: %d %s", resp.StatusCode, body)
	}
	if n := len(f.truthOf(t, f.ag).Presence.ActiveCalls); n != 0 {
		t.Fatalf("%d calls left after the end", n)
	}
	got := f.delivered(sink)
	if len(got) != 3 {
		t.Fatalf("ring, answer and end must each notify: got %d", len(got))
	}
	resp, body = control(t, f.e, "DELETE", calls+"/"+leg["id"], "")
	wantControlError(t, "end an ended call", resp, body, 404)
	resp, body = control(t, f.e, "PUT", calls+"/nope", `{"status":"OnHold"}`)
	wantControlError(t, "unknown call", resp, body, 404)

	for _, c := range []struct{ what, method, path, body string }{
		{"bad direction", "POST", calls, `{"direction":"Sideways"}`},
		{"bad status", "POST", calls, `{"status":"NoCall"}`},
		{"not a queue", "POST", calls, `{"queueId":"` + f.rec.IDString() + `"}`},
		{"call on a queue", "POST", "/_emulator/extensions/" + q.Ext.IDString() + "/calls", `{}`},
		{"bad new status", "PUT", calls + "/x", `{"status":"Gone"}`},
	} {
		resp, body := control(t, f.e, c.method, c.path, c.body)
		wantControlError(t, c.what, resp, body, 400)
	}
}

func TestControlRenamesExtensions(t *testing.T) {
	f := newRESTFixture(t, Config{})
	name := "Mallory \x1b[31mRed\x1b[0m\u202e"
	resp, body := control(t, f.e, "PUT", "/_emulator/extensions/"+f.ag.IDString()+"/name", `{"name":"Mallory \u001b[31mRed\u001b[0m\u202e"}`)
	if resp.StatusCode != 200 {
		t.Fatalf("rename: %d %s", resp.StatusCode, body)
	}
	var ext struct {
		Name    string `json:"name"`
		Contact struct {
			FirstName string `json:"firstName"`
			LastName  string `json:"lastName"`
		} `json:"contact"`
	}
	f.get(t, f.admin, acct+"/extension/"+f.ag.IDString(), &ext)
	if ext.Name != name || ext.Contact.FirstName != "Mallory" || ext.Contact.LastName != "\x1b[31mRed\x1b[0m\u202e" {
		t.Fatalf("renamed extension over REST: %+v", ext)
	}
	var qp queuePresenceRecords
	f.get(t, f.admin, acct+"/call-queues/"+f.ag.Queues[0].Ext.IDString()+"/presence", &qp)
	found := false
	for _, r := range qp.Records {
		found = found || r.Member.Name == name
	}
	if !found {
		t.Fatal("queue presence must show the new name")
	}
	resp, body = control(t, f.e, "PUT", "/_emulator/extensions/"+f.ag.IDString()+"/name", `{}`)
	wantControlError(t, "no name", resp, body, 400)
}
