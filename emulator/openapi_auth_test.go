package emulator

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
)

// doForm sends a form to an OAuth endpoint (Basic client auth unless
// bearer is set, which goes in Authorization instead), checks the status,
// and validates the request (when it is meant to succeed) and the answer
// against the spec. Error answers must also be the standard error JSON.
func (sc *specChecker) doForm(path string, form url.Values, contentType, bearer string, status int) []byte {
	sc.t.Helper()
	raw := []byte(form.Encode())
	req, _ := http.NewRequest("POST", sc.f.e.URL()+path, bytes.NewReader(raw))
	req.Header.Set("Content-Type", contentType)
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	} else {
		req.SetBasicAuth(sc.f.e.creds.ClientID, sc.f.e.creds.ClientSecret)
	}
	resp, body := do(sc.t, req)
	what := "POST " + path
	if resp.StatusCode != status {
		sc.t.Fatalf("%s: status %d, want %d: %s", what, resp.StatusCode, status, body)
	}
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
	if rb := route.Operation.RequestBody; status < 400 && rb != nil && len(form) > 0 {
		// kin-openapi cannot decode a form into the spec's anyOf/allOf
		// schemas, so the form is checked as the JSON object it stands for.
		fields := map[string]any{}
		for k := range form {
			fields[k] = form.Get(k)
		}
		media := rb.Value.Content.Get(formType)
		if media == nil {
			sc.t.Fatalf("%s: %s takes no form", what, op)
		}
		if err := media.Schema.Value.VisitJSON(fields, openapi3.VisitAsRequest(), openapi3.MultiErrors()); err != nil {
			sc.t.Errorf("%s: the form does not match %s: %v", what, op, err)
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
		sc.visit(what+" error body", "ApiErrorResponseModel", body)
	}
	return body
}

// formType is the OAuth endpoints' content type.
const formType = "application/x-www-form-urlencoded"

// visitOAuthError validates an OAuth error body against the spec's
// OauthInvalidRequest response schema (error enum + errors[]).
func (sc *specChecker) visitOAuthError(what string, body []byte) {
	sc.t.Helper()
	ref := sc.doc.Components.Responses["OauthInvalidRequest"]
	if ref == nil || ref.Value == nil || ref.Value.Content.Get("application/json") == nil {
		sc.t.Fatal("the spec has no OauthInvalidRequest response")
	}
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		sc.t.Fatalf("%s: not JSON: %v", what, err)
	}
	if err := ref.Value.Content.Get("application/json").Schema.Value.VisitJSON(v, schemaOpts...); err != nil {
		sc.t.Errorf("%s does not match OauthInvalidRequest:\n%v\nbody: %s", what, err, body)
	}
}

func TestOAuthAndPermissionAnswersMatchTheOpenAPISpec(t *testing.T) {
	limits := DefaultRateLimits()
	limits[Auth] = RateLimit{Limit: 1000, Window: 60e9, Penalty: 60e9}
	f := newRESTFixture(t, Config{RateLimits: limits})
	sc := newSpecChecker(t, f)
	e := f.e

	// The token endpoint: both grants, its errors, and every OAuth fault.
	body := sc.doForm("/restapi/oauth/token", jwtForm(e), formType, "", 200)
	var tr tokenResp
	mustJSON(t, body, &tr)
	body = sc.doForm("/restapi/oauth/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tr.RefreshToken}}, formType, "", 200)
	mustJSON(t, body, &tr)
	sc.visitOAuthError("bad JWT", sc.doForm("/restapi/oauth/token", url.Values{"grant_type": {grantJWT}, "assertion": {"x"}}, formType, "", 400))
	sc.visitOAuthError("bad refresh", sc.doForm("/restapi/oauth/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {"x"}}, formType, "", 400))
	sc.doForm("/restapi/oauth/token", jwtForm(e), "application/json", "", 415)
	for _, x := range []struct {
		rule   OAuthFaultRule
		form   url.Values
		status int
		oauth  bool
	}{
		{OAuthFaultRule{Endpoint: "token", Response: "429", RetryAfter: 2}, jwtForm(e), 429, false},
		{OAuthFaultRule{Endpoint: "token", Response: "503"}, jwtForm(e), 503, false},
		{OAuthFaultRule{Endpoint: "token", Response: "invalid_grant"}, jwtForm(e), 400, true},
		{OAuthFaultRule{Endpoint: "token", Response: "invalid_grant"}, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tr.RefreshToken}}, 400, true},
		{OAuthFaultRule{Endpoint: "token", Response: "403"}, jwtForm(e), 403, true},
	} {
		e.SetFaults(Faults{OAuthRules: []OAuthFaultRule{x.rule}})
		b := sc.doForm("/restapi/oauth/token", x.form, formType, "", x.status)
		if x.oauth {
			sc.visitOAuthError("token "+x.rule.Response+" fault", b)
		}
	}

	// wstoken: its answer, the missing scope, and its faults.
	e.SetFaults(Faults{})
	sc.doForm("/restapi/oauth/wstoken", nil, formType, tr.AccessToken, 200)
	for _, x := range []struct {
		rule   OAuthFaultRule
		status int
	}{
		{OAuthFaultRule{Endpoint: "wstoken", Response: "429"}, 429},
		{OAuthFaultRule{Endpoint: "wstoken", Response: "503"}, 503},
		{OAuthFaultRule{Endpoint: "wstoken", Response: "403"}, 403},
	} {
		e.SetFaults(Faults{OAuthRules: []OAuthFaultRule{x.rule}})
		sc.doForm("/restapi/oauth/wstoken", nil, formType, tr.AccessToken, x.status)
	}
	e.SetFaults(Faults{})
	f.setPermissions(t, Permissions{AppScopes: []string{ScopeReadAccounts}})
	sc.doForm("/restapi/oauth/wstoken", nil, formType, tr.AccessToken, 403)

	// REST permission errors: CMN-401 and CMN-408.
	for _, x := range []exchange{
		{"GET", acct + "/extension/~/presence", f.agent, nil, "", 403},
		{"GET", acct + "/presence", f.admin, nil, "", 403},
		{"PUT", acct + "/extension/~/presence", f.agent, map[string]any{"userStatus": "Busy"}, "", 403},
		{"PATCH", acct + "/extension/~/unified-presence", f.agent, map[string]any{}, "", 403},
		{"GET", acct + "/call-queues", f.agent, nil, "", 200},
	} {
		sc.do(x)
	}
	f.setPermissions(t, Permissions{Users: []UserPermissions{{Extension: f.ag.Number, Deny: []string{PermReadExtensions, PermEditPresenceStatus}}}})
	for _, x := range []exchange{
		{"GET", acct + "/presence", f.agent, nil, "", 403},
		{"GET", acct + "/extension", f.agent, nil, "", 403},
		{"GET", acct + "/call-queues", f.agent, nil, "", 403},
		{"PUT", acct + "/extension/~/call-queue-presence", f.agent, map[string]any{"records": []any{}}, "", 403},
	} {
		sc.do(x)
	}
	f.setPermissions(t, Permissions{})

	// A purged subscription is 404 over HTTP.
	sub, _ := f.capture(t, f.admin, acct+"/presence")
	if err := e.PurgeSubscription(sub.ID); err != nil {
		t.Fatal(err)
	}
	sc.do(exchange{"GET", "/restapi/v1.0/subscription/" + sub.ID, f.admin, nil, "", 404})
	sc.do(exchange{"DELETE", "/restapi/v1.0/subscription/" + sub.ID, f.admin, nil, "", 404})

	// revoke: its answer, a malformed form, and its faults.
	for _, x := range []struct {
		rule   OAuthFaultRule
		status int
		oauth  bool
	}{
		{OAuthFaultRule{Endpoint: "revoke", Response: "429"}, 429, false},
		{OAuthFaultRule{Endpoint: "revoke", Response: "503"}, 503, false},
		{OAuthFaultRule{Endpoint: "revoke", Response: "403"}, 403, true},
	} {
		e.SetFaults(Faults{OAuthRules: []OAuthFaultRule{x.rule}})
		b := sc.doForm("/restapi/oauth/revoke", url.Values{"token": {tr.AccessToken}}, formType, "", x.status)
		if x.oauth {
			sc.visitOAuthError("revoke 403 fault", b)
		}
	}
	e.SetFaults(Faults{})
	sc.doForm("/restapi/oauth/revoke", url.Values{"token": {tr.AccessToken}}, formType, "", 200)
	req, _ := http.NewRequest("POST", e.URL()+"/restapi/oauth/revoke", strings.NewReader("token=%zz"))
	req.Header.Set("Content-Type", formType)
	req.SetBasicAuth(e.creds.ClientID, e.creds.ClientSecret)
	resp, b := do(t, req)
	if resp.StatusCode != 400 {
		t.Fatalf("malformed revoke: %d %s", resp.StatusCode, b)
	}
	sc.visitOAuthError("malformed revoke", b)
	sc.covered["revokeToken"][400] = true // the spec's router cannot read "%zz" to route it

	// Every status the OAuth operations declare was seen.
	var missing []string
	for op, statuses := range map[string][]int{"getToken": {200, 400, 415, 429}, "revokeToken": {200, 400}, "authWsToken": {200}} {
		for _, s := range statuses {
			if !sc.covered[op][s] {
				missing = append(missing, op+" "+strconv.Itoa(s))
			}
		}
	}
	sort.Strings(missing)
	if missing = slices.Compact(missing); len(missing) > 0 {
		t.Errorf("declared statuses never exercised: %v", missing)
	}
}
