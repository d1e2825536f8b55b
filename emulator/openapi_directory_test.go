package emulator

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
)

// unpublished are paths the emulator serves that the current public SPEC
// lacks; they are checked against the schemas of RingCentral's earlier
// public swagger, written out below, instead.
var unpublished = map[string]string{
	"/restapi/v1.0/account/{accountId}/extension/{extensionId}/presence/line": "listMonitoredExtensions and updatePresenceLines",
}

// monitoredLinesSchema is GetMonitoredExtensionsResponse (and
// UpdatePresenceLinesResponse) of the earlier public swagger: LineInfo
// records of ExtensionInfoMonitoredLines, with the SPEC's paging models.
func monitoredLinesSchema(doc *openapi3.T) *openapi3.Schema {
	str := openapi3.NewStringSchema
	ext := openapi3.NewObjectSchema().WithProperties(map[string]*openapi3.Schema{
		"id": str(), "uri": str(), "extensionNumber": str(),
		"type": str().WithEnum("User", "FaxUser", "VirtualUser", "DigitalUser", "Department", "ApplicationExtension", "ParkLocation"),
	}).WithoutAdditionalProperties()
	line := openapi3.NewObjectSchema().WithProperties(map[string]*openapi3.Schema{
		"id": str(), "uri": str(), "extension": ext,
	}).WithoutAdditionalProperties()
	s := openapi3.NewObjectSchema().WithProperties(map[string]*openapi3.Schema{
		"uri":        str(),
		"records":    openapi3.NewArraySchema().WithItems(line),
		"paging":     doc.Components.Schemas["EnumeratedPagingModel"].Value,
		"navigation": doc.Components.Schemas["PageNavigationModel"].Value,
	}).WithoutAdditionalProperties()
	s.Required = []string{"navigation", "paging", "records"}
	return s
}

// lineListEventSchema is the body of the .../presence/line event (DOCS
// extension-presence-line: {extension: [{id}], sequence}); the SPEC has none.
func lineListEventSchema() *openapi3.Schema {
	ref := openapi3.NewObjectSchema().WithProperties(map[string]*openapi3.Schema{"id": openapi3.NewStringSchema()}).WithoutAdditionalProperties()
	ref.Required = []string{"id"}
	s := openapi3.NewObjectSchema().WithProperties(map[string]*openapi3.Schema{
		"extension": openapi3.NewArraySchema().WithItems(ref),
		"sequence":  openapi3.NewIntegerSchema(),
	}).WithoutAdditionalProperties()
	s.Required = []string{"extension", "sequence"}
	return s
}

// doUnpublished sends x to a path the SPEC lacks and validates a success
// against schema, a failure against the standard error model.
func (sc *specChecker) doUnpublished(x exchange, schema *openapi3.Schema) []byte {
	sc.t.Helper()
	var raw []byte
	if x.body != nil {
		raw, _ = json.Marshal(x.body)
	}
	req, _ := http.NewRequest(x.method, sc.f.e.URL()+x.path, bytes.NewReader(raw))
	req.Header.Set("Authorization", "Bearer "+x.token)
	if x.body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, body := do(sc.t, req)
	what := x.method + " " + x.path
	if resp.StatusCode != x.status {
		sc.t.Fatalf("%s: status %d, want %d: %s", what, resp.StatusCode, x.status, body)
	}
	if resp.StatusCode >= 400 {
		sc.visit(what+" error body", "ApiErrorResponseModel", body)
		return body
	}
	var v any
	mustJSON(sc.t, body, &v)
	if err := schema.VisitJSON(v, schemaOpts...); err != nil {
		sc.t.Errorf("%s does not match the earlier public schema:\n%v\nbody: %.600s", what, err, body)
	}
	return body
}

// exerciseDirectory runs the company, favorites and monitored-lines
// endpoints through the spec checker (part of TestResponsesMatchTheOpenAPISpec,
// whose coverage check includes them).
func exerciseDirectory(sc *specChecker, f *restFixture) {
	t := sc.t
	e, admin, agent := f.e, f.admin, f.agent
	d := e.p.dir
	narrow := loginScoped(t, e, e.creds.Agents[1].JWT, "ReadPresence WebSocket")
	var queueExt *Extension
	for _, x := range d.Extensions {
		if x.Type == TypeDepartment {
			queueExt = x
			break
		}
	}
	colleague := f.userOutsideQueues(t)
	favs := func(ids ...string) map[string]any {
		var recs []any
		for _, id := range ids {
			recs = append(recs, map[string]any{"extensionId": id})
		}
		return map[string]any{"records": recs}
	}
	for _, x := range []exchange{
		{"GET", acct, agent, nil, "", 200},
		{"GET", "/restapi/v1.0/account/" + strconv.FormatInt(d.AccountID, 10), admin, nil, "", 200},
		{"GET", acct, narrow, nil, "", 403},
		{"GET", acct + "/business-address", agent, nil, "", 200},
		{"GET", acct + "/business-address", narrow, nil, "", 403},
		{"GET", acct + "/extension/~/favorite", agent, nil, "", 200},
		{"GET", acct + "/extension/" + f.ag.IDString() + "/favorite", admin, nil, "", 200},
		{"GET", acct + "/extension/" + f.rec.IDString() + "/favorite", agent, nil, "", 403},
		{"GET", acct + "/extension/" + queueExt.IDString() + "/favorite", admin, nil, "", 403},
		{"GET", acct + "/extension/~/favorite", narrow, nil, "", 403},
		{"PUT", acct + "/extension/~/favorite", agent, favs(colleague.IDString(), f.rec.IDString()), "", 200},
		{"PUT", acct + "/extension/~/favorite", agent, favs("424242"), "", 400},
		{"PUT", acct + "/extension/~/favorite", agent, map[string]any{"records": []any{map[string]any{"contactId": "77"}}}, "", 400},
	} {
		sc.do(x)
	}

	lines := monitoredLinesSchema(sc.doc)
	setLines := func(ids ...string) map[string]any {
		var recs []any
		for _, id := range ids {
			recs = append(recs, map[string]any{"extension": map[string]any{"id": id}})
		}
		return map[string]any{"records": recs}
	}
	for _, x := range []exchange{
		{"GET", acct + "/extension/~/presence/line", agent, nil, "", 200},
		{"GET", acct + "/extension/~/presence/line?perPage=2&page=2", agent, nil, "", 200},
		{"GET", acct + "/extension/" + f.ag.IDString() + "/presence/line", admin, nil, "", 200},
		{"GET", acct + "/extension/" + f.rec.IDString() + "/presence/line", agent, nil, "", 403},
		{"GET", acct + "/extension/~/presence/line", loginScoped(t, e, e.creds.Agents[1].JWT, "ReadAccounts"), nil, "", 403},
		{"PUT", acct + "/extension/~/presence/line", agent, setLines(colleague.IDString(), queueExt.IDString()), "", 200},
		{"PUT", acct + "/extension/~/presence/line", agent, setLines("424242"), "", 400},
		{"PUT", acct + "/extension/~/presence/line", agent, map[string]any{"records": "nope"}, "", 400},
	} {
		sc.doUnpublished(x, lines)
	}
}

// TestDirectoryNotificationsMatchTheOpenAPISpec validates the extension
// list (SPEC shape), extension info, favorites and watch-list bodies.
func TestDirectoryNotificationsMatchTheOpenAPISpec(t *testing.T) {
	f := newRESTFixture(t, Config{ExtensionEventShape: "spec"})
	sc := newSpecChecker(t, f)
	e := f.e
	target := f.userOutsideQueues(t)
	ag := acct + "/extension/" + f.ag.IDString()
	type sink struct {
		body, envelope string
		schema         *openapi3.Schema // when the SPEC has none
		filter         string
	}
	sinks := []sink{
		{"ExtensionListEventBody", "ExtensionListEvent", nil, acct + "/extension"},
		{"ExtensionInfoEventBody", "ExtensionInfoEvent", nil, acct + "/extension/" + target.IDString()},
		{"ExtensionFavoritesEventBody", "ExtensionFavoritesEvent", nil, ag + "/favorite"},
		{"ExtensionPresenceEventBody", "ExtensionPresenceEvent", nil, ag + "/favorite/presence"},
		{"DetailedExtensionPresenceEventBody", "DetailedExtensionPresenceEvent", nil, ag + "/presence/line/presence?detailedTelephonyState=true"},
		{"", "", lineListEventSchema(), ag + "/presence/line"},
	}
	captured := make([]*captureSink, len(sinks))
	for i, s := range sinks {
		_, captured[i] = f.capture(t, f.admin, s.filter)
	}

	// Join, rename, watch, change presence, leave.
	_, body := control(t, e, "POST", "/_emulator/extensions", `{"name":"Ada Lovelace","department":"Support"}`)
	var added AddedUser
	mustJSON(t, body, &added)
	control(t, e, "PUT", "/_emulator/extensions/"+target.IDString()+"/name", `{"name":"Grace Hopper"}`)
	call(t, e, f.agent, "PUT", acct+"/extension/~/favorite", map[string]any{"records": []any{map[string]any{"extensionId": target.IDString()}}})
	call(t, e, f.agent, "PUT", acct+"/extension/~/presence/line", map[string]any{"records": []any{map[string]any{"extension": map[string]any{"id": target.IDString()}}}})
	control(t, e, "POST", "/_emulator/extensions/"+target.IDString()+"/calls", `{"from":"+16505550123"}`)
	control(t, e, "PUT", "/_emulator/extensions/"+target.IDString()+"/presence", `{"userStatus":"Busy","message":"Back soon"}`)
	control(t, e, "DELETE", "/_emulator/extensions/"+target.IDString(), "")

	for i, s := range sinks {
		got := f.delivered(captured[i])
		if len(got) < 2 {
			t.Fatalf("%s: only %d notifications", s.filter, len(got))
		}
		for n, c := range got {
			b, _ := json.Marshal(c.envelope["body"])
			what := s.filter + " notification " + strconv.Itoa(n)
			if s.schema != nil {
				var v any
				mustJSON(t, b, &v)
				if err := s.schema.VisitJSON(v, schemaOpts...); err != nil {
					t.Errorf("%s: %v\nbody: %s", what, err, b)
				}
				continue
			}
			sc.visit(what, s.body, b)
			env, _ := json.Marshal(c.envelope)
			sc.visit(what+" envelope", s.envelope, env)
		}
	}
}

// TestCHSResponsesMatchTheOpenAPISpec validates the presence bodies of a
// CHS account, REST and notifications.
func TestCHSResponsesMatchTheOpenAPISpec(t *testing.T) {
	f := newRESTFixture(t, Config{CHS: true})
	sc := newSpecChecker(t, f)
	ext := acct + "/extension/" + f.ag.IDString() + "/presence"
	sinks := []struct{ schema, filter string }{
		{"ExtensionPresenceEventBody", ext},
		{"DetailedExtensionPresenceEventBody", ext + "?detailedTelephonyState=true"},
		{"AccountPresenceEventBody", acct + "/presence"},
	}
	captured := make([]*captureSink, len(sinks))
	for i, s := range sinks {
		_, captured[i] = f.capture(t, f.admin, s.filter)
	}
	ids := f.ag.IDString() + "," + f.rec.IDString()
	for _, x := range []exchange{
		{"GET", acct + "/extension/~/presence?detailedTelephonyState=true", f.agent, nil, "", 200},
		{"GET", acct + "/presence?perPage=1000", f.admin, nil, "", 200},
		{"GET", acct + "/extension/" + ids + "/presence", f.admin, nil, multipartJSON, 207},
		{"PUT", acct + "/extension/~/presence", f.agent, map[string]any{"dndStatusPersonal": "DoNotAcceptAnyCalls", "acceptCallQueueCalls": false}, "", 200},
		{"PUT", acct + "/extension/~/presence", f.agent, map[string]any{"dndStatus": "TakeAllCalls"}, "", 400},
		{"PUT", acct + "/extension/~/presence", f.agent, map[string]any{"dndStatusPersonal": "TakeAllCalls", "acceptCallQueueCalls": true}, "", 200},
		{"GET", acct + "/call-queues/" + f.ag.Queues[0].Ext.IDString() + "/presence", f.agent, nil, "", 200},
	} {
		_, body := sc.do(x)
		if x.status == 207 {
			var arr []struct {
				Body json.RawMessage `json:"body"`
			}
			mustJSON(t, body, &arr)
			for i, a := range arr {
				sc.visit("CHS batch entry "+strconv.Itoa(i), "PresenceInfoResponse", a.Body)
			}
		}
	}
	for i, s := range sinks {
		got := f.delivered(captured[i])
		if len(got) != 2 {
			t.Fatalf("%s: %d notifications, want 2", s.filter, len(got))
		}
		for n, c := range got {
			b, _ := json.Marshal(c.envelope["body"])
			if !strings.Contains(string(b), "dndStatusPersonal") {
				t.Fatalf("%s: no dndStatusPersonal in %s", s.filter, b)
			}
			sc.visit(s.filter+" notification "+strconv.Itoa(n), s.schema, b)
		}
	}
}
