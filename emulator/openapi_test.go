package emulator

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
)

// rcSpec is RingCentral's public OpenAPI document, read once per test
// binary from ../shared (it is data we may not copy into the repo).
var rcSpec struct {
	once   sync.Once
	doc    *openapi3.T
	router routers.Router
	err    error
}

// specPath finds shared/rc-openapi.yml in the working directory's
// ancestors (the repo may be checked out as a worktree below the folder
// that holds shared/), or takes RC_OPENAPI.
func specPath() string {
	if p := os.Getenv("RC_OPENAPI"); p != "" {
		if _, err := os.Stat(p); err != nil {
			return ""
		}
		return p
	}
	dir, err := os.Getwd()
	for err == nil {
		p := filepath.Join(dir, "shared", "rc-openapi.yml")
		if _, statErr := os.Stat(p); statErr == nil {
			return p
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			break
		}
		dir = parent
	}
	return ""
}

// loadSpec returns the document and a router over it. When the spec is
// not on this machine it skips the test (a fresh clone has no ../shared),
// except under CI (RCHUD_CI set, as .ci/run does), where it fails.
func loadSpec(t *testing.T) (*openapi3.T, routers.Router) {
	t.Helper()
	path := specPath()
	if path == "" {
		if os.Getenv("RCHUD_CI") != "" {
			t.Fatal("shared/rc-openapi.yml not found, and CI must validate against it (set RC_OPENAPI to its path)")
		}
		t.Skip("shared/rc-openapi.yml not found (set RC_OPENAPI to its path)")
	}
	rcSpec.once.Do(func() {
		loader := openapi3.NewLoader()
		loader.IsExternalRefsAllowed = false
		// No doc.Validate: the spec's own patterns use Perl look-aheads Go's
		// regexp cannot compile. We check our bodies against it, not it.
		rcSpec.doc, rcSpec.err = loader.LoadFromFile(path)
		if rcSpec.err == nil {
			relaxSpec(rcSpec.doc)
			rcSpec.router, rcSpec.err = gorillamux.NewRouter(rcSpec.doc)
		}
	})
	if rcSpec.err != nil {
		t.Fatalf("load %s: %v", path, rcSpec.err)
	}
	return rcSpec.doc, rcSpec.router
}

// relaxSpec undoes what the spec gets wrong about the real API.
func relaxSpec(doc *openapi3.T) {
	// The spec caps subscriptionId at 20 characters; real ids are 36-character
	// UUIDs (the captured creation response in rc-api.md §2.5).
	if p := doc.Components.Parameters["SubscriptionId"]; p != nil && p.Value.Schema.Value != nil {
		p.Value.Schema.Value.MaxLength = nil
	}
	// perPage of the call log lists is "an integer or max"; kin-openapi
	// cannot decode a query value against a oneOf of an integer and a
	// string, so it is checked as the string it is on the wire.
	if p := doc.Components.Parameters["PerPageWithMax"]; p != nil && p.Value.Schema != nil {
		p.Value.Schema = openapi3.NewSchemaRef("", openapi3.NewStringSchema().WithPattern(`^([1-9][0-9]*|max)$`))
	}
}

// Formats: date-time is checked (kin-openapi's default). format "uri" is
// deliberately not: the spec puts it on ids that are never URIs
// (site.id "main-site", departments[].id), so absolute URIs are asserted
// by the REST tests instead.
var schemaOpts = []openapi3.SchemaValidationOption{openapi3.VisitAsResponse(), openapi3.MultiErrors()}

// specChecker exercises the emulator and validates every answer against
// the operation the spec routes the request to.
type specChecker struct {
	t      *testing.T
	f      *restFixture
	doc    *openapi3.T
	router routers.Router
	// covered records operationId -> statuses seen.
	covered map[string]map[int]bool
}

func newSpecChecker(t *testing.T, f *restFixture) *specChecker {
	doc, router := loadSpec(t)
	return &specChecker{t: t, f: f, doc: doc, router: router, covered: map[string]map[int]bool{}}
}

// schema returns a component schema by name.
func (sc *specChecker) schema(name string) *openapi3.Schema {
	ref, ok := sc.doc.Components.Schemas[name]
	if !ok || ref.Value == nil {
		sc.t.Fatalf("the spec has no schema %s", name)
	}
	return ref.Value
}

// visit validates a JSON document against a named component schema.
func (sc *specChecker) visit(what, schemaName string, doc []byte) {
	sc.t.Helper()
	var v any
	if err := json.Unmarshal(doc, &v); err != nil {
		sc.t.Errorf("%s: not JSON: %v", what, err)
		return
	}
	if err := sc.schema(schemaName).VisitJSON(v, schemaOpts...); err != nil {
		sc.t.Errorf("%s does not match %s:\n%v\nbody: %.600s", what, schemaName, err, doc)
	}
}

// exchange is one request to exercise.
type exchange struct {
	method, path, token string
	body                any
	accept              string
	status              int // expected
}

// do sends x, checks its status, validates request (when it is meant to
// succeed) and response against the spec, and returns the response.
func (sc *specChecker) do(x exchange) (*http.Response, []byte) {
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
	if x.accept != "" {
		req.Header.Set("Accept", x.accept)
	}
	resp, body := do(sc.t, req)
	if resp.StatusCode != x.status {
		sc.t.Fatalf("%s %s: status %d, want %d: %s", x.method, x.path, resp.StatusCode, x.status, body)
	}
	sc.validate(x, req, raw, resp, body)
	return resp, body
}

// validate checks an exchange's request (when it is meant to succeed) and
// response against the operation the spec routes it to, and records the
// status as covered.
func (sc *specChecker) validate(x exchange, req *http.Request, raw []byte, resp *http.Response, body []byte) {
	sc.t.Helper()
	what := x.method + " " + x.path

	// Route on RingCentral's own host, as the spec's servers name it.
	specReq := req.Clone(context.Background())
	specReq.URL, _ = url.Parse("https://platform.ringcentral.com" + req.URL.RequestURI())
	specReq.Host = specReq.URL.Host
	specReq.Body = io.NopCloser(bytes.NewReader(raw))
	route, params, err := sc.router.FindRoute(specReq)
	if err != nil {
		sc.t.Fatalf("%s: the spec has no such operation: %v", what, err)
	}
	op := route.Operation.OperationID
	if sc.covered[op] == nil {
		sc.covered[op] = map[int]bool{}
	}
	sc.covered[op][resp.StatusCode] = true

	opts := &openapi3filter.Options{
		AuthenticationFunc:      openapi3filter.NoopAuthenticationFunc,
		MultiError:              true,
		SchemaValidationOptions: schemaOpts[1:],
	}
	in := &openapi3filter.RequestValidationInput{Request: specReq, PathParams: params, Route: route, Options: opts}
	if x.status < 400 {
		// Our tests must speak the spec too, or a passing test proves little.
		if err := openapi3filter.ValidateRequest(context.Background(), in); err != nil {
			sc.t.Errorf("%s: the request does not match %s: %v", what, op, err)
		}
	}
	err = openapi3filter.ValidateResponse(context.Background(), &openapi3filter.ResponseValidationInput{
		RequestValidationInput: in, Status: resp.StatusCode, Header: resp.Header,
		Body: io.NopCloser(bytes.NewReader(body)), Options: opts,
	})
	if err != nil {
		sc.t.Errorf("%s: the response does not match %s: %v\nbody: %.600s", what, op, err, body)
	}
	if resp.StatusCode >= 400 {
		// Every failure, declared by the operation or not, is the standard error JSON.
		sc.visit(what+" error body", "ApiErrorResponseModel", body)
	}
}

// batchParts validates each part of a presence batch against
// PresenceInfoResponse (or the error model for failed parts).
func (sc *specChecker) checkBatch(what string, resp *http.Response, body []byte) {
	sc.t.Helper()
	summary, parts := batchParts(sc.t, resp, body)
	for i, part := range parts {
		if summary[i]["status"] == float64(200) {
			sc.visit(what+" part "+strconv.Itoa(i+1), "PresenceInfoResponse", part)
		} else {
			sc.visit(what+" part "+strconv.Itoa(i+1), "ApiErrorResponseModel", part)
		}
	}
}

// uncoverable are statuses the spec declares that the emulator never
// gives, with the reason.
var uncoverable = map[string]string{
	"createSubscription 200": "WebSocket subscriptions are created over the socket; WebHook is not emulated",
	"updateSubscription 200": "SPEC: WebSocket subscriptions cannot be updated via HTTP",
	"updateSubscription 403": "no permission applies to updating one's own subscription",
	"renewSubscription 400":  "a renew has no body to be wrong",
	"renewSubscription 403":  "no permission applies to renewing one's own subscription",
	"*500":                   "the emulator has no internal errors to show",
}

func TestResponsesMatchTheOpenAPISpec(t *testing.T) {
	f := newRESTFixture(t, Config{})
	sc := newSpecChecker(t, f)
	e := f.e
	admin, agent := f.admin, f.agent
	q := f.ag.Queues[0]
	qp := acct + "/call-queues/" + q.Ext.IDString()
	var ivr, queueExt *Extension
	for _, x := range e.p.dir.Extensions {
		switch x.Type {
		case TypeIvrMenu:
			ivr = x
		case TypeDepartment:
			queueExt = x
		}
	}
	// Give the agent a queue call on hold and a direct call ringing, so
	// detailed bodies carry activeCalls with callInfo and sipData.
	_, call1 := control(t, e, "POST", "/_emulator/extensions/"+f.ag.IDString()+"/calls",
		`{"from":"+16505550123","fromName":"Ada Lovelace","queueId":"`+q.Ext.IDString()+`","status":"OnHold"}`)
	_, _ = control(t, e, "POST", "/_emulator/extensions/"+f.ag.IDString()+"/calls", `{"direction":"Outbound","to":"+442071838750","toName":"London Office"}`)
	if !strings.Contains(string(call1), `"id"`) {
		t.Fatalf("call: %s", call1)
	}
	if err := e.SetPresence(f.rec.ID, PresenceUpdate{Message: ptr("Back at 3 & ready")}); err != nil {
		t.Fatal(err)
	}

	ids := strings.Join([]string{f.ag.IDString(), "424242", "~", queueExt.IDString()}, ",")
	var many []string
	for i := 0; i < 31; i++ {
		many = append(many, e.p.dir.Extensions[i].IDString())
	}
	toggle := func(id string, accept bool) map[string]any {
		return map[string]any{"records": []any{map[string]any{"callQueue": map[string]any{"id": id}, "acceptCalls": accept}}}
	}
	member := func(id string, accept bool) map[string]any {
		return map[string]any{"records": []any{map[string]any{"member": map[string]any{"id": id}, "acceptCurrentQueueCalls": accept}}}
	}
	editable, locked := f.agentQueues(t)

	for _, x := range []exchange{
		{"GET", acct + "/extension?type=User&status=Enabled&perPage=5&page=2", admin, nil, "", 200},
		{"GET", acct + "/extension?type=Department&type=IvrMenu&type=ParkLocation&type=Announcement", agent, nil, "", 200},
		{"GET", acct + "/extension?page=99", agent, nil, "", 200},
		{"GET", acct + "/extension?type=Robot", agent, nil, "", 400},
		{"GET", acct + "/extension/~", agent, nil, "", 200},
		{"GET", acct + "/extension/" + queueExt.IDString(), agent, nil, "", 200},
		{"GET", acct + "/extension/" + ivr.IDString(), agent, nil, "", 200},
		{"GET", acct + "/extension/424242", agent, nil, "", 404},
		{"GET", acct + "/presence?detailedTelephonyState=true&sipData=true&perPage=1000", admin, nil, "", 200},
		{"GET", acct + "/presence?perPage=2&page=3", admin, nil, "", 200},
		{"GET", acct + "/presence", agent, nil, "", 403},
		{"GET", acct + "/extension/~/presence?detailedTelephonyState=true&sipData=true", agent, nil, "", 200},
		{"GET", acct + "/extension/" + f.rec.IDString() + "/presence", agent, nil, "", 200},
		{"GET", acct + "/extension/" + queueExt.IDString() + "/presence", agent, nil, "", 200},
		{"GET", acct + "/extension/" + ids + "/presence", admin, nil, multipartJSON, 207},
		{"GET", acct + "/extension/" + strings.Join(many, ",") + "/presence", admin, nil, "", 400},
		{"GET", acct + "/extension/424242/presence", admin, nil, "", 404},
		{"PUT", acct + "/extension/~/presence", agent, map[string]any{"userStatus": "Busy", "dndStatus": "TakeAllCalls", "message": "Lunch", "allowSeeMyPresence": true}, "", 200},
		{"PUT", acct + "/extension/" + f.rec.IDString() + "/presence", agent, map[string]any{"userStatus": "Busy"}, "", 403},
		{"PUT", acct + "/extension/~/presence", agent, map[string]any{"userStatus": "Asleep"}, "", 400},
		{"GET", acct + "/extension/~/unified-presence", agent, nil, "", 200},
		{"GET", acct + "/extension/" + ids + "/unified-presence", admin, nil, "", 207},
		{"GET", acct + "/extension/" + strings.Join(many, ",") + "/unified-presence", admin, nil, "", 400},
		{"GET", acct + "/extension/424242/unified-presence", admin, nil, "", 404},
		{"PATCH", acct + "/extension/~/unified-presence", agent, map[string]any{"glip": map[string]any{"visibility": "Visible", "availability": "DND"}, "telephony": map[string]any{"availability": "DoNotAcceptQueueCalls"}}, "", 200},
		{"PATCH", acct + "/extension/~/unified-presence", agent, map[string]any{"glip": map[string]any{"visibility": "Ghost"}}, "", 400},
		{"PATCH", acct + "/extension/" + f.rec.IDString() + "/unified-presence", agent, map[string]any{}, "", 403},
		{"PATCH", acct + "/extension/424242/unified-presence", agent, map[string]any{}, "", 404},
		{"GET", acct + "/call-queues?perPage=2", agent, nil, "", 200},
		{"GET", acct + "/call-queues?memberExtensionId=" + f.ag.IDString(), agent, nil, "", 200},
		{"GET", qp, agent, nil, "", 200},
		{"GET", acct + "/call-queues/424242", agent, nil, "", 404},
		{"PUT", qp, admin, map[string]any{"editableMemberStatus": true, "serviceLevelSettings": map[string]any{"slaGoal": 85}}, "", 200},
		{"PUT", qp, agent, map[string]any{"editableMemberStatus": true}, "", 403},
		{"GET", qp + "/members?perPage=2&page=2", agent, nil, "", 200},
		{"GET", qp + "/presence", agent, nil, "", 200},
		{"PUT", qp + "/presence", admin, member(f.ag.IDString(), false), "", 200},
		{"PUT", qp + "/presence", admin, member(f.userOutsideQueues(t).IDString(), false), "", 400},
		{"PUT", qp + "/presence", agent, member(f.ag.IDString(), true), "", 403},
		{"GET", acct + "/extension/~/call-queue-presence", agent, nil, "", 200},
		{"GET", acct + "/extension/~/call-queue-presence?editableMemberStatus=true", agent, nil, "", 200},
		{"PUT", acct + "/extension/~/call-queue-presence", agent, toggle(editable.Ext.IDString(), true), "", 200},
		{"PUT", acct + "/extension/~/call-queue-presence", agent, toggle(locked.Ext.IDString(), true), "", 403},
	} {
		sc.do(x)
	}
	resp, body := sc.do(exchange{"GET", acct + "/extension/" + ids + "/presence?detailedTelephonyState=true", admin, nil, "", 207})
	sc.checkBatch("multipart batch", resp, body)
	_, body = sc.do(exchange{"GET", acct + "/extension/" + ids + "/presence", admin, nil, multipartJSON, 207})
	var arr []struct {
		Status int             `json:"status"`
		Body   json.RawMessage `json:"body"`
	}
	mustJSON(t, body, &arr)
	for i, a := range arr {
		name := map[bool]string{true: "PresenceInfoResponse", false: "ApiErrorResponseModel"}[a.Status == 200]
		sc.visit("multipart+json entry "+strconv.Itoa(i), name, a.Body)
	}

	// Subscriptions, over HTTP.
	mine, _ := f.capture(t, admin, acct+"/presence?detailedTelephonyState=true", acct+"/extension/424242/presence")
	sub := "/restapi/v1.0/subscription/" + mine.ID
	for _, x := range []exchange{
		{"GET", "/restapi/v1.0/subscription", admin, nil, "", 200},
		{"GET", sub, admin, nil, "", 200},
		{"GET", "/restapi/v1.0/subscription/nope", admin, nil, "", 404},
		{"POST", sub + "/renew", admin, nil, "", 200},
		{"POST", "/restapi/v1.0/subscription/nope/renew", admin, nil, "", 404},
		{"PUT", sub, admin, map[string]any{"eventFilters": []string{acct + "/presence"}}, "", 400},
		{"PUT", "/restapi/v1.0/subscription/nope", admin, map[string]any{}, "", 404},
		{"POST", "/restapi/v1.0/subscription", admin, map[string]any{"eventFilters": []string{acct + "/presence"}, "deliveryMode": map[string]any{"transportType": "WebSocket"}}, "", 400},
		{"POST", "/restapi/v1.0/subscription", admin, map[string]any{"eventFilters": []string{acct + "/presence"}, "deliveryMode": map[string]any{"transportType": "WebHook", "address": "https://example.com/hook"}}, "", 403},
		{"DELETE", sub, admin, nil, "", 204},
		{"DELETE", sub, admin, nil, "", 404},
	} {
		sc.do(x)
	}
	// 503s: the operations that declare one get it from a fault rule.
	e.SetFaults(Faults{Rules: []FaultRule{{PathPrefix: "/restapi/v1.0/subscription", Status: 503}}})
	for _, x := range []exchange{
		{"GET", "/restapi/v1.0/subscription", admin, nil, "", 503},
		{"POST", "/restapi/v1.0/subscription", admin, map[string]any{}, "", 503},
		{"GET", sub, admin, nil, "", 503},
		{"PUT", sub, admin, map[string]any{}, "", 503},
		{"DELETE", sub, admin, nil, "", 503},
		{"POST", sub + "/renew", admin, nil, "", 503},
	} {
		sc.do(x)
	}
	e.SetFaults(Faults{})
	// 401 and 429 bodies are the standard error JSON too.
	sc.do(exchange{"GET", acct + "/extension/~", "nope", nil, "", 401})
	e.SetFaults(Faults{REST429Rate: 1})
	sc.do(exchange{"GET", acct + "/extension/~", agent, nil, "", 429})
	e.SetFaults(Faults{})

	exerciseDirectory(sc, f) // openapi_directory_test.go
	sc.requireCoverage()
}

// requireCoverage fails unless every operation of restRoutes was
// exercised with every status its spec entry declares.
func (sc *specChecker) requireCoverage() {
	sc.t.Helper()
	sc.requireCoverageOf(restRoutes(), nil)
}

// requireCoverageOf fails unless every operation of routes was exercised
// with every status its spec entry declares, except the uncoverable ones
// (more, specific to routes, in extra).
func (sc *specChecker) requireCoverageOf(routes []restRoute, extra map[string]string) {
	sc.t.Helper()
	var missing []string
	for _, rt := range routes {
		method, path, _ := strings.Cut(rt.pattern, " ")
		path = strings.TrimSuffix(path, "/{$}")
		if _, ok := unpublished[path]; ok {
			continue
		}
		item := sc.doc.Paths.Find(path)
		if item == nil {
			sc.t.Errorf("the spec has no path %s", path)
			continue
		}
		op := item.GetOperation(method)
		if op == nil {
			sc.t.Errorf("the spec has no %s %s", method, path)
			continue
		}
		for code := range op.Responses.Map() {
			status, err := strconv.Atoi(code)
			if err != nil || sc.covered[op.OperationID][status] {
				continue
			}
			if _, ok := uncoverable[op.OperationID+" "+code]; ok {
				continue
			}
			if _, ok := extra[op.OperationID+" "+code]; ok {
				continue
			}
			if _, ok := uncoverable["*"+code]; ok {
				continue
			}
			missing = append(missing, op.OperationID+" "+code)
		}
		if len(sc.covered[op.OperationID]) == 0 {
			missing = append(missing, op.OperationID+" (never called)")
		}
	}
	sort.Strings(missing)
	if missing = slices.Compact(missing); len(missing) > 0 {
		sc.t.Errorf("declared statuses never exercised: %v", missing)
	}
}

// TestNotificationsMatchTheOpenAPISpec validates the bodies the hub sends
// for every presence filter variant against the spec's event schemas.
func TestNotificationsMatchTheOpenAPISpec(t *testing.T) {
	f := newRESTFixture(t, Config{QueueEventShape: "spec"})
	sc := newSpecChecker(t, f)
	ext := acct + "/extension/" + f.ag.IDString() + "/presence"
	q := f.ag.Queues[0]
	sinks := []struct {
		schemas []string
		filter  string
	}{
		{[]string{"ExtensionPresenceEventBody"}, ext},
		{[]string{"DetailedExtensionPresenceEventBody"}, ext + "?detailedTelephonyState=true"},
		{[]string{"DetailedExtensionPresenceWithSIPEventBody"}, ext + "?detailedTelephonyState=true&sipData=true"},
		{[]string{"AccountPresenceEventBody"}, acct + "/presence"},
		{[]string{"AccountPresenceEventBody", "DetailedExtensionPresenceEventBody"}, acct + "/presence?detailedTelephonyState=true"},
		{[]string{"CallQueuePresenceEventBody"}, acct + "/call-queues/" + q.Ext.IDString() + "/presence"},
	}
	captured := make([]*captureSink, len(sinks))
	for i, s := range sinks {
		_, captured[i] = f.capture(t, f.admin, s.filter)
	}

	steer := func(faults Faults) {
		e := f.e
		e.SetFaults(faults)
		calls := "/_emulator/extensions/" + f.ag.IDString() + "/calls"
		_, body := control(t, e, "POST", calls, `{"from":"+16505550123","fromName":"Ada Lovelace","queueId":"`+q.Ext.IDString()+`"}`)
		var leg map[string]string
		mustJSON(t, body, &leg)
		control(t, e, "PUT", calls+"/"+leg["id"], `{"status":"CallConnected"}`)
		control(t, e, "PUT", calls+"/"+leg["id"], `{"status":"OnHold"}`)
		control(t, e, "DELETE", calls+"/"+leg["id"], "")
		call(t, e, f.agent, "PUT", acct+"/extension/~/presence", map[string]any{"userStatus": "Busy", "message": "Back soon"})
		call(t, e, f.agent, "PUT", acct+"/extension/~/presence", map[string]any{"userStatus": "Available", "message": ""})
		for _, accept := range []bool{false, true} {
			call(t, e, f.admin, "PUT", acct+"/extension/"+f.ag.IDString()+"/call-queue-presence", map[string]any{"records": []any{
				map[string]any{"callQueue": map[string]any{"id": q.Ext.IDString()}, "acceptCalls": accept}}})
		}
	}
	steer(Faults{})
	steer(Faults{PartialBodies: true, OmitAccountCalls: true})

	for i, s := range sinks {
		got := f.delivered(captured[i])
		if len(got) < 4 {
			t.Fatalf("%s: only %d notifications", s.filter, len(got))
		}
		for n, c := range got {
			body, _ := json.Marshal(c.envelope["body"])
			for _, schema := range s.schemas {
				sc.visit(s.filter+" notification "+strconv.Itoa(n), schema, body)
			}
			envelope, _ := json.Marshal(c.envelope)
			sc.visit(s.filter+" envelope "+strconv.Itoa(n), strings.TrimSuffix(s.schemas[0], "Body"), envelope)
		}
	}
}
