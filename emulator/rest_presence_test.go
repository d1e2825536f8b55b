package emulator

import (
	"bytes"
	"encoding/json"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"
)

// presenceBody is the subset of PresenceInfoResponse tests read; a map
// keeps absent fields absent.
type presenceBody map[string]any

func (p presenceBody) extensionID() int64 {
	ext, _ := p["extension"].(map[string]any)
	id, _ := ext["id"].(float64)
	return int64(id)
}

// startCall puts a call leg with status on ext.
func (f *restFixture) startCall(ext *Extension, status string) *Leg {
	var leg *Leg
	f.e.p.Mutate(func(tx *Tx) {
		leg = f.e.p.NewLeg("", "Inbound")
		leg.From, leg.FromName, leg.To, leg.ToName, leg.Status = "+16505550101", "Globex Corp", ext.Number, ext.Name, status
		tx.AddLeg(ext, leg)
	})
	return leg
}

func TestAccountPresenceIsForAdminsAndClampsPerPage(t *testing.T) {
	f := newRESTFixture(t, Config{})
	resp, body := call(t, f.e, f.agent, "GET", acct+"/presence", nil)
	wantError(t, "agent reads account presence", resp, body, 403, "CMN-408", "ReadPresenceStatus")

	f.startCall(f.ag, TelConnected)
	var pg struct {
		URI     string         `json:"uri"`
		Records []presenceBody `json:"records"`
		Paging  struct {
			PerPage       int `json:"perPage"`
			TotalElements int `json:"totalElements"`
		} `json:"paging"`
		Navigation map[string]map[string]string `json:"navigation"`
	}
	f.get(t, f.admin, acct+"/presence?perPage=5000&detailedTelephonyState=true&sipData=true", &pg)
	if pg.Paging.PerPage != 1000 || pg.Paging.TotalElements != len(f.e.p.dir.Extensions) || len(pg.Records) != len(f.e.p.dir.Extensions) {
		t.Fatalf("perPage 5000 must be clamped to 1000 and list every extension: %+v", pg.Paging)
	}
	if !strings.Contains(pg.Navigation["lastPage"]["uri"], "perPage=1000") {
		t.Fatalf("navigation must carry the clamped perPage: %v", pg.Navigation)
	}
	for _, r := range pg.Records {
		ext := f.e.p.dir.ByID[r.extensionID()]
		if ext == nil {
			t.Fatalf("record names no extension: %v", r)
		}
		if !ext.HasPresence() {
			if len(r) != 3 || r["presenceStatus"] != StatusOffline {
				t.Fatalf("%s (%s) must show presenceStatus Offline and nothing else: %v", ext.Name, ext.Type, r)
			}
			continue
		}
		calls, _ := r["activeCalls"].([]any)
		if ext == f.ag {
			if len(calls) != 1 || calls[0].(map[string]any)["sipData"] == nil || r["telephonyStatus"] != TelConnected {
				t.Fatalf("the agent's call must show with sipData: %v", r)
			}
		} else if len(calls) != 0 {
			t.Fatalf("%s has no call: %v", ext.Name, r)
		}
	}
	var simple struct{ Records []presenceBody }
	f.get(t, f.admin, acct+"/presence?perPage=3", &simple)
	if len(simple.Records) != 3 || simple.Records[0]["activeCalls"] != nil {
		t.Fatalf("without detailedTelephonyState no activeCalls: %v", simple.Records)
	}
	resp, body = call(t, f.e, f.admin, "GET", acct+"/presence?detailedTelephonyState=yes", nil)
	wantError(t, "bad boolean", resp, body, 400, "CMN-101", "detailedTelephonyState")
}

func TestReadExtensionPresenceRespectsAllowSeeMyPresence(t *testing.T) {
	f := newRESTFixture(t, Config{})
	other := f.e.p.dir.Extensions[5]
	if err := f.e.SetPresence(other.ID, PresenceUpdate{AllowSeeMyPresence: ptr(false), UserStatus: ptr(StatusBusy)}); err != nil {
		t.Fatal(err)
	}
	var p presenceBody
	f.get(t, f.agent, acct+"/extension/"+other.IDString()+"/presence", &p)
	if len(p) != 3 || p["presenceStatus"] != StatusOffline {
		t.Fatalf("a hidden user must look Offline to an agent: %v", p)
	}
	f.get(t, f.admin, acct+"/extension/"+other.IDString()+"/presence", &p)
	if p["userStatus"] != StatusBusy || p["presenceStatus"] != StatusBusy {
		t.Fatalf("an admin sees a hidden user in full: %v", p)
	}
	f.get(t, f.agent, acct+"/extension/~/presence?detailedTelephonyState=true", &p)
	if p.extensionID() != f.ag.ID || p["dndStatus"] == nil || p["uri"] != f.e.p.extensionURI(f.ag)+"/presence" {
		t.Fatalf("own presence: %v", p)
	}
}

func TestUpdatePresenceRulesAndNotification(t *testing.T) {
	f := newRESTFixture(t, Config{})
	_, sink := f.capture(t, f.admin, acct+"/extension/"+f.ag.IDString()+"/presence")
	resp, body := call(t, f.e, f.agent, "PUT", acct+"/extension/~/presence", map[string]any{"userStatus": "Busy", "message": "On a break"})
	var p presenceBody
	mustJSON(t, body, &p)
	if resp.StatusCode != 200 || p["userStatus"] != "Busy" || p["message"] != "On a break" || p["presenceStatus"] != "Busy" || p["activeCalls"] != nil {
		t.Fatalf("own PUT: %d %s", resp.StatusCode, body)
	}
	got := f.delivered(sink)
	if len(got) != 1 {
		t.Fatalf("the PUT must notify the subscriber once, got %d", len(got))
	}
	if b := got[0].envelope["body"].(map[string]any); b["userStatus"] != "Busy" || b["extensionId"] != f.ag.IDString() {
		t.Fatalf("notification body: %v", b)
	}

	// An admin may change anyone; an agent only themselves.
	target := f.e.p.dir.Extensions[6]
	resp, body = call(t, f.e, f.admin, "PUT", acct+"/extension/"+target.IDString()+"/presence", map[string]any{"dndStatus": "DoNotAcceptAnyCalls"})
	if resp.StatusCode != 200 || f.truthOf(t, target).Presence.DNDStatus != DNDNoCalls {
		t.Fatalf("admin PUT of another user: %d %s", resp.StatusCode, body)
	}
	resp, body = call(t, f.e, f.agent, "PUT", acct+"/extension/"+target.IDString()+"/presence", map[string]any{"userStatus": "Available"})
	wantError(t, "agent PUT of another user", resp, body, 403, "CMN-404", "")
	queue := f.e.p.dir.Queues[0].Ext
	resp, body = call(t, f.e, f.admin, "PUT", acct+"/extension/"+queue.IDString()+"/presence", map[string]any{"userStatus": "Available"})
	wantError(t, "PUT on a call queue", resp, body, 403, "CMN-403", "")
	resp, body = call(t, f.e, f.admin, "PUT", acct+"/extension/424242/presence", map[string]any{})
	wantError(t, "PUT on nobody", resp, body, 404, "CMN-102", "extensionId")

	loner := f.userOutsideQueues(t)
	for _, c := range []struct {
		name, body, code, param string
	}{
		{"malformed JSON", `{"userStatus":`, "CMN-103", ""},
		{"not JSON", `userStatus=Busy`, "CMN-103", ""},
		{"a number for a string", `{"userStatus":5}`, "CMN-101", "userStatus"},
		{"a string for a bool", `{"allowSeeMyPresence":"yes"}`, "CMN-101", "allowSeeMyPresence"},
		{"an array body", `[{"userStatus":"Busy"}]`, "CMN-101", "body"},
		{"unknown userStatus", `{"userStatus":"Sleeping"}`, "CMN-101", "userStatus"},
		{"legacy dndStatus", `{"dndStatus":"TakeDepartmentCallsOnly"}`, "CMN-101", "dndStatus"},
		{"read-only dndStatus", `{"dndStatus":"Unknown"}`, "CMN-101", "dndStatus"},
		{"queue DND outside queues", `{"dndStatus":"DoNotAcceptDepartmentCalls"}`, "CMN-101", "dndStatus"},
		{"long message", `{"message":"` + strings.Repeat("x", 76) + `"}`, "CMN-101", "message"},
		{"bad dndStatusPersonal", `{"dndStatusPersonal":"DoNotAcceptDepartmentCalls"}`, "CMN-101", "dndStatusPersonal"},
		{"bad callerIdVisibility", `{"callerIdVisibility":"Some"}`, "CMN-101", "callerIdVisibility"},
	} {
		before := f.truthOf(t, loner)
		req, _ := http.NewRequest("PUT", f.e.URL()+acct+"/extension/"+loner.IDString()+"/presence", strings.NewReader(c.body))
		req.Header.Set("Authorization", "Bearer "+f.admin)
		req.Header.Set("Content-Type", "application/json")
		resp, body := do(t, req)
		wantError(t, c.name, resp, body, 400, c.code, c.param)
		if after := f.truthOf(t, loner); after.Sequence != before.Sequence {
			t.Fatalf("%s: a refused PUT changed the presence", c.name)
		}
	}
	// An empty body is allowed (the SPEC's request body is optional) and changes nothing.
	req, _ := http.NewRequest("PUT", f.e.URL()+acct+"/extension/~/presence", nil)
	req.Header.Set("Authorization", "Bearer "+f.agent)
	if resp, body := do(t, req); resp.StatusCode != 200 || len(f.delivered(sink)) != 1 {
		t.Fatalf("empty PUT: %d %s", resp.StatusCode, body)
	}
	// A queue member may turn queue calls off with DoNotAcceptDepartmentCalls.
	resp, body = call(t, f.e, f.agent, "PUT", acct+"/extension/~/presence", map[string]any{"dndStatus": "DoNotAcceptDepartmentCalls"})
	if resp.StatusCode != 200 || f.truthOf(t, f.ag).Presence.DNDStatus != DNDNoDepartment {
		t.Fatalf("member sets DoNotAcceptDepartmentCalls: %d %s", resp.StatusCode, body)
	}
}

// batchParts reads a 207 multipart/mixed presence batch.
func batchParts(t *testing.T, resp *http.Response, body []byte) (summary []map[string]any, parts []json.RawMessage) {
	t.Helper()
	mt, params, err := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if resp.StatusCode != http.StatusMultiStatus || err != nil || mt != "multipart/mixed" || !strings.HasPrefix(params["boundary"], "Boundary_") {
		t.Fatalf("want 207 multipart/mixed with a Boundary_ boundary, got %d %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	if !bytes.Contains(body, []byte("\r\n--"+params["boundary"]+"\r\nContent-Type: application/json\r\n\r\n")) ||
		!bytes.HasSuffix(body, []byte("--"+params["boundary"]+"--\r\n")) {
		t.Fatalf("parts must be CRLF-delimited:\n%q", body)
	}
	mr := multipart.NewReader(bytes.NewReader(body), params["boundary"])
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("multipart: %v", err)
		}
		if part.Header.Get("Content-Type") != "application/json" {
			t.Fatalf("part Content-Type %q", part.Header.Get("Content-Type"))
		}
		b, _ := io.ReadAll(part)
		parts = append(parts, b)
	}
	var first struct {
		Response []map[string]any `json:"response"`
	}
	mustJSON(t, parts[0], &first)
	return first.Response, parts[1:]
}

func TestBatchPresenceKeepsRequestOrderAndLimit(t *testing.T) {
	f := newRESTFixture(t, Config{})
	queue := f.e.p.dir.Queues[1].Ext
	ids := []string{f.ag.IDString(), "999", "~", queue.IDString()}
	wantID := []int64{f.ag.ID, 0, f.rec.ID, queue.ID}
	resp, body := call(t, f.e, f.admin, "GET", acct+"/extension/"+strings.Join(ids, ",")+"/presence?detailedTelephonyState=true", nil)
	summary, parts := batchParts(t, resp, body)
	if len(summary) != 4 || len(parts) != 4 {
		t.Fatalf("want 4 summary entries and 4 parts, got %d and %d", len(summary), len(parts))
	}
	for i := range ids {
		status := int(summary[i]["status"].(float64))
		href, _ := summary[i]["href"].(string)
		if !strings.HasPrefix(href, f.e.URL()+"/restapi/v1.0/account/") || !strings.HasSuffix(href, "/presence") {
			t.Fatalf("part %d href %q", i, href)
		}
		if wantID[i] == 0 {
			if status != 404 || summary[i]["responseDescription"] != "Not Found" || errorCode(t, parts[i]) != "CMN-102" {
				t.Fatalf("unknown id %s: %v %s", ids[i], summary[i], parts[i])
			}
			continue
		}
		var p presenceBody
		mustJSON(t, parts[i], &p)
		if status != 200 || p.extensionID() != wantID[i] {
			t.Fatalf("part %d: status %d, extension %d, want %d (request order)", i, status, p.extensionID(), wantID[i])
		}
	}

	// The JSON flavour of a batch.
	req, _ := http.NewRequest("GET", f.e.URL()+acct+"/extension/"+strings.Join(ids, ",")+"/presence", nil)
	req.Header.Set("Authorization", "Bearer "+f.admin)
	req.Header.Set("Accept", "application/vnd.ringcentral.multipart+json")
	resp, body = do(t, req)
	var arr []struct {
		ResourceID string       `json:"resourceId"`
		Status     int          `json:"status"`
		Body       presenceBody `json:"body"`
	}
	mustJSON(t, body, &arr)
	if resp.StatusCode != 207 || len(arr) != 4 || arr[0].ResourceID != f.ag.IDString() || arr[1].Status != 404 || arr[2].Body.extensionID() != f.rec.ID {
		t.Fatalf("multipart+json batch: %d %s", resp.StatusCode, body)
	}

	many := make([]string, 31)
	for i := range many {
		many[i] = f.e.p.dir.Extensions[i].IDString()
	}
	resp, body = call(t, f.e, f.admin, "GET", acct+"/extension/"+strings.Join(many[:30], ",")+"/presence", nil)
	if summary, _ := batchParts(t, resp, body); len(summary) != 30 {
		t.Fatalf("30 ids must be served, got %d", len(summary))
	}
	resp, body = call(t, f.e, f.admin, "GET", acct+"/extension/"+strings.Join(many, ",")+"/presence", nil)
	wantError(t, "31 ids", resp, body, 400, "InvalidMultipartRequest", "")
	if !strings.Contains(string(body), "Extension Presence Info multipart request is limited to 30 extensions") {
		t.Fatalf("31 ids: the SPEC's message is missing: %s", body)
	}
	var single presenceBody
	f.get(t, f.admin, acct+"/extension/"+f.ag.IDString()+"/presence", &single)
	if single.extensionID() != f.ag.ID {
		t.Fatalf("one id is a plain 200 object: %v", single)
	}
}
