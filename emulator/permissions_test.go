package emulator

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
)

// wantPermissionError checks a 403 permission body: the code in errors[],
// permissionName at both levels, and top, the top-level errorCode.
func wantPermissionError(t *testing.T, what string, resp *http.Response, body []byte, code, top, perm string) {
	t.Helper()
	var e struct {
		ErrorCode      string              `json:"errorCode"`
		Message        string              `json:"message"`
		PermissionName string              `json:"permissionName"`
		Errors         []map[string]string `json:"errors"`
	}
	mustJSON(t, body, &e)
	if resp.StatusCode != http.StatusForbidden || len(e.Errors) != 1 || e.Errors[0]["errorCode"] != code {
		t.Fatalf("%s: want 403 %s, got %d %s", what, code, resp.StatusCode, body)
	}
	if e.ErrorCode != top || e.PermissionName != perm || e.Errors[0]["permissionName"] != perm ||
		e.Message == "" || e.Message != e.Errors[0]["message"] || !strings.Contains(e.Message, "["+perm+"]") {
		t.Fatalf("%s: want top-level %s and permission %s at both levels: %s", what, top, perm, body)
	}
}

func (f *restFixture) setPermissions(t *testing.T, perm Permissions) {
	t.Helper()
	if err := f.e.SetPermissions(perm); err != nil {
		t.Fatalf("set permissions: %v", err)
	}
}

func TestMissingAppScopeIsCMN401AndComesBackAtOnce(t *testing.T) {
	f := newRESTFixture(t, Config{})
	f.setPermissions(t, Permissions{AppScopes: []string{ScopeReadPresence, ScopeEditPresence, ScopeWebSocketSubscriptions}})

	for _, path := range []string{acct + "/extension", acct + "/extension/~", acct + "/call-queues"} {
		resp, body := call(t, f.e, f.agent, "GET", path, nil)
		wantPermissionError(t, "GET "+path, resp, body, "CMN-401", "InsufficientPermissions", ScopeReadAccounts)
	}
	// Presence needs no ReadAccounts.
	if resp, body := call(t, f.e, f.agent, "GET", acct+"/extension/~/presence", nil); resp.StatusCode != 200 {
		t.Fatalf("presence without ReadAccounts: %d %s", resp.StatusCode, body)
	}
	// A live session gets the scope back as soon as the app does.
	f.setPermissions(t, Permissions{})
	if resp, body := call(t, f.e, f.agent, "GET", acct+"/extension/~", nil); resp.StatusCode != 200 {
		t.Fatalf("after the scope came back: %d %s", resp.StatusCode, body)
	}
}

func TestEditPresenceIncludesReadPresence(t *testing.T) {
	f := newRESTFixture(t, Config{})
	put := map[string]any{"userStatus": "Busy"}

	f.setPermissions(t, Permissions{AppScopes: []string{ScopeReadAccounts, ScopeReadPresence}})
	resp, body := call(t, f.e, f.agent, "PUT", acct+"/extension/~/presence", put)
	wantPermissionError(t, "PUT presence without EditPresence", resp, body, "CMN-401", "InsufficientPermissions", ScopeEditPresence)
	resp, body = call(t, f.e, f.agent, "PUT", acct+"/extension/~/call-queue-presence", map[string]any{"records": []any{}})
	wantPermissionError(t, "PUT queue presence without EditPresence", resp, body, "CMN-401", "InsufficientPermissions", ScopeEditPresence)

	f.setPermissions(t, Permissions{AppScopes: []string{ScopeEditPresence}})
	if resp, body := call(t, f.e, f.agent, "GET", acct+"/extension/~/presence", nil); resp.StatusCode != 200 {
		t.Fatalf("EditPresence must include ReadPresence: %d %s", resp.StatusCode, body)
	}
	if resp, body := call(t, f.e, f.agent, "PUT", acct+"/extension/~/presence", put); resp.StatusCode != 200 {
		t.Fatalf("PUT with EditPresence: %d %s", resp.StatusCode, body)
	}

	f.setPermissions(t, Permissions{AppScopes: []string{ScopeReadAccounts}})
	for _, path := range []string{acct + "/extension/~/presence", acct + "/extension/~/unified-presence",
		acct + "/extension/~/call-queue-presence", acct + "/presence"} {
		resp, body := call(t, f.e, f.admin, "GET", path, nil)
		wantPermissionError(t, "GET "+path, resp, body, "CMN-401", "InsufficientPermissions", ScopeReadPresence)
	}
}

func TestTokenScopeListsTheGrantedScopes(t *testing.T) {
	e := startEmu(t, Config{RateLimitsOff: true})
	scopeOf := func(form url.Values) string {
		t.Helper()
		form.Set("grant_type", grantJWT)
		form.Set("assertion", e.creds.UserJWT)
		resp, body := postForm(t, e, "/restapi/oauth/token", form)
		var ti map[string]any
		mustJSON(t, body, &ti)
		if resp.StatusCode != 200 {
			t.Fatalf("login: %d %s", resp.StatusCode, body)
		}
		s, _ := ti["scope"].(string)
		return s
	}
	if got, want := scopeOf(url.Values{}), "CallControl Contacts EditExtensions EditPresence ReadAccounts ReadCallLog ReadContacts ReadPresence WebSocket"; got != want {
		t.Errorf("every scope: %q, want %q", got, want)
	}
	// A sign-in may ask for fewer; it never gets more than the app has.
	if got := scopeOf(url.Values{"scope": {"ReadPresence WebSocket Nonsense"}}); got != "ReadPresence WebSocket" {
		t.Errorf("narrowed: %q", got)
	}
	if err := e.SetPermissions(Permissions{AppScopes: []string{"readaccounts", "WebSocket"}}); err != nil {
		t.Fatal(err)
	}
	if got := scopeOf(url.Values{}); got != "ReadAccounts WebSocket" {
		t.Errorf("two scopes: %q", got)
	}
	if got := scopeOf(url.Values{"scope": {"ReadPresence ReadAccounts"}}); got != "ReadAccounts" {
		t.Errorf("asked beyond the app: %q", got)
	}
}

func TestNarrowedSessionIsHeldToItsScopes(t *testing.T) {
	e := startEmu(t, Config{RateLimitsOff: true})
	resp, body := postForm(t, e, "/restapi/oauth/token", url.Values{
		"grant_type": {grantJWT}, "assertion": {e.creds.UserJWT}, "scope": {"ReadAccounts"}})
	var tr tokenResp
	mustJSON(t, body, &tr)
	if resp.StatusCode != 200 {
		t.Fatalf("login: %d %s", resp.StatusCode, body)
	}
	if resp, body := call(t, e, tr.AccessToken, "GET", acct+"/extension/~", nil); resp.StatusCode != 200 {
		t.Fatalf("ReadAccounts: %d %s", resp.StatusCode, body)
	}
	resp, body = call(t, e, tr.AccessToken, "GET", acct+"/extension/~/presence", nil)
	wantPermissionError(t, "presence", resp, body, "CMN-401", "InsufficientPermissions", ScopeReadPresence)
	resp, body = call(t, e, tr.AccessToken, "POST", "/restapi/oauth/wstoken", nil)
	wantPermissionError(t, "wstoken", resp, body, "CMN-401", "InsufficientPermissions", "WebSocket")
}

func TestWebSocketScopeGatesTheTokenAndTheSubscription(t *testing.T) {
	fx := newWSFixture(t, Config{})
	c, _ := fx.connect(t, "")
	if err := fx.e.SetPermissions(Permissions{AppScopes: []string{ScopeReadAccounts, ScopeReadPresence}}); err != nil {
		t.Fatal(err)
	}
	resp, body := call(t, fx.e, fx.tok.AccessToken, "POST", "/restapi/oauth/wstoken", nil)
	wantPermissionError(t, "wstoken", resp, body, "CMN-401", "InsufficientPermissions", "WebSocket")

	// The socket opened before the change may not subscribe any more.
	f := c.request(t, "POST", subscriptionPath, presenceFilter(fx.ext))
	b := f.bodyMap(t)
	errs, _ := b["errors"].([]any)
	if f.Header.Status != 403 || b["errorCode"] != "SUB-528" || len(errs) != 1 ||
		!strings.Contains(b["message"].(string), "SubscriptionWebSocket") || b["permissionName"] != "SubscriptionWebSocket" {
		t.Fatalf("subscribe without the WebSocket scope: %s", f.Raw)
	}
	if list := c.request(t, "GET", subscriptionPath, nil); list.Header.Status != 200 {
		t.Fatalf("listing needs no scope: %s", list.Raw)
	}
	if err := fx.e.SetPermissions(Permissions{}); err != nil {
		t.Fatal(err)
	}
	if id := c.subscribe(t, fx.ext); id == "" {
		t.Fatal("no subscription once the scope is back")
	}
}

func TestUserPermissions(t *testing.T) {
	f := newRESTFixture(t, Config{})
	// By default an agent lacks company presence and an admin has it.
	resp, body := call(t, f.e, f.agent, "GET", acct+"/presence", nil)
	wantPermissionError(t, "agent company presence", resp, body, "CMN-408", "CMN-408", PermReadPresenceStatus)

	f.setPermissions(t, Permissions{Users: []UserPermissions{
		{Extension: f.rec.Number, Deny: []string{PermReadPresenceStatus, PermReadExtensions}},
		{Extension: f.ag.IDString(), Grant: []string{PermReadPresenceStatus}, Deny: []string{PermEditPresenceStatus}},
	}})
	resp, body = call(t, f.e, f.admin, "GET", acct+"/presence", nil)
	wantPermissionError(t, "admin without ReadPresenceStatus", resp, body, "CMN-408", "CMN-408", PermReadPresenceStatus)
	for _, path := range []string{acct + "/extension", acct + "/extension/~", acct + "/call-queues/" + f.ag.Queues[0].Ext.IDString() + "/members"} {
		resp, body = call(t, f.e, f.admin, "GET", path, nil)
		wantPermissionError(t, "admin without ReadExtensions: "+path, resp, body, "CMN-408", "CMN-408", PermReadExtensions)
	}
	if resp, body := call(t, f.e, f.agent, "GET", acct+"/presence", nil); resp.StatusCode != 200 {
		t.Fatalf("agent granted ReadPresenceStatus: %d %s", resp.StatusCode, body)
	}
	for _, x := range []struct{ method, path string }{
		{"PUT", acct + "/extension/~/presence"},
		{"PATCH", acct + "/extension/~/unified-presence"},
		{"PUT", acct + "/extension/~/call-queue-presence"},
	} {
		resp, body = call(t, f.e, f.agent, x.method, x.path, map[string]any{})
		wantPermissionError(t, "agent without EditPresenceStatus: "+x.path, resp, body, "CMN-408", "CMN-408", PermEditPresenceStatus)
	}

	// The account presence filter follows ReadPresenceStatus too.
	acctFilter, own := acct+"/presence", acct+"/extension/~/presence"
	sub, _ := f.capture(t, f.agent, acctFilter, own)
	if len(sub.Filters) != 2 || sub.Filters[0].Kind != filterAccountPresence || len(sub.Disabled) != 0 {
		t.Fatalf("the granted agent's account filter: %+v disabled %+v", sub.Filters, sub.Disabled)
	}
	sub, _ = f.capture(t, f.admin, acctFilter, own)
	if len(sub.Filters) != 1 || len(sub.Disabled) != 1 || sub.Disabled[0].Reason != "CMN-408" {
		t.Fatalf("the denied admin's account filter: %+v disabled %+v", sub.Filters, sub.Disabled)
	}
}

func TestFiltersNeedTheirAppScopes(t *testing.T) {
	f := newRESTFixture(t, Config{})
	f.setPermissions(t, Permissions{AppScopes: []string{ScopeReadAccounts, ScopeWebSocketSubscriptions, ScopeCallControl}})
	p := f.e.p
	p.mu.Lock()
	sess, _ := p.sessionForAccess(f.admin)
	_, ae := p.hub.create(sess, []string{acct + "/extension/~/presence"}, &captureSink{})
	sub, ae2 := p.hub.create(sess, []string{acct + "/presence", acct + "/extension", acct + "/telephony/sessions"}, &captureSink{})
	p.mu.Unlock()
	if ae == nil || ae.Status != 403 || ae.Code != "CMN-401" {
		t.Fatalf("a presence filter without ReadPresence: %v", ae)
	}
	if ae2 != nil {
		t.Fatalf("filters with their scopes: %v", ae2)
	}
	if len(sub.Filters) != 2 || len(sub.Disabled) != 1 || sub.Disabled[0].Reason != "CMN-401" ||
		!strings.Contains(sub.Disabled[0].Message, "[ReadPresence]") {
		t.Fatalf("the account filter needs ReadPresence too: %+v disabled %+v", sub.Filters, sub.Disabled)
	}
}

func TestRequireScopeForCallControl(t *testing.T) {
	f := newRESTFixture(t, Config{})
	p := f.e.p
	check := func() *apiError {
		p.mu.Lock()
		defer p.mu.Unlock()
		sess, _ := p.sessionForAccess(f.agent)
		c := &restCall{p: p, r: &http.Request{}, sess: sess, caller: sess.ext}
		return c.requireScope(ScopeCallControl)
	}
	if ae := check(); ae != nil {
		t.Fatalf("CallControl is granted by default: %v", ae)
	}
	f.setPermissions(t, Permissions{AppScopes: slices.DeleteFunc(AllAppScopes(), func(s string) bool { return s == ScopeCallControl })})
	if ae := check(); ae == nil || ae.Code != "CMN-401" || ae.Extra["permissionName"] != ScopeCallControl {
		t.Fatalf("CallControl denied: %v", ae)
	}
	// Routes under telephony/sessions need it wherever they are served.
	if n := needsOf("POST " + accountPath + "/telephony/sessions/{telephonySessionId}/parties/{partyId}/transfer"); n.scope != ScopeCallControl {
		t.Fatalf("telephony route needs %+v", n)
	}
}

// TestEveryRESTRouteHasItsPermissions makes a new route declare what it
// needs (in routeNeeds, or by being a call-control or active-calls route).
func TestEveryRESTRouteHasItsPermissions(t *testing.T) {
	for _, rt := range restRoutes() {
		if _, ok := routeNeeds[rt.pattern]; !ok && needsOf(rt.pattern) == (routeNeed{}) {
			t.Errorf("route %s is missing from routeNeeds", rt.pattern)
		}
	}
}

func TestSetPermissionsRefusesWhatItDoesNotKnow(t *testing.T) {
	e := startEmu(t, Config{})
	for _, bad := range []Permissions{
		{AppScopes: []string{"ReadEverything"}},
		{Users: []UserPermissions{{Extension: "999999", Deny: []string{PermReadExtensions}}}},
		{Users: []UserPermissions{{Extension: e.creds.Receptionist.ExtensionNumber, Deny: []string{"Fly"}}}},
		{Users: []UserPermissions{{Extension: e.creds.Receptionist.ExtensionNumber, Deny: []string{PermReadExtensions}, Grant: []string{PermReadExtensions}}}},
	} {
		if err := e.SetPermissions(bad); err == nil {
			t.Errorf("%+v: no error", bad)
		} else if strings.Contains(err.Error(), "\n") {
			t.Errorf("%+v: a multi-line error %q", bad, err)
		}
	}
	if _, err := Start(Config{Users: 10, Permissions: Permissions{AppScopes: []string{"Nope"}}}, nil); err == nil {
		t.Fatal("Start took an unknown scope")
	}
}

func TestControlPermissionsRoundTrip(t *testing.T) {
	f := newRESTFixture(t, Config{})
	put := `{"appScopes":["ReadAccounts","readpresence","WebSocket"],"users":[{"extension":"` + f.ag.Number + `","grant":["ReadPresenceStatus"]}]}`
	resp, body := control(t, f.e, "PUT", "/_emulator/permissions", put)
	if resp.StatusCode != 200 {
		t.Fatalf("PUT: %d %s", resp.StatusCode, body)
	}
	var got permissionsControl
	_, body = control(t, f.e, "GET", "/_emulator/permissions", "")
	mustJSON(t, body, &got)
	if !slices.Equal(got.AppScopes, []string{ScopeReadAccounts, ScopeReadPresence, ScopeWebSocketSubscriptions}) ||
		len(got.Users) != 1 || got.Users[0].Extension != f.ag.IDString() || got.Users[0].ExtensionNumber != f.ag.Number ||
		!slices.Equal(got.Users[0].Grant, []string{PermReadPresenceStatus}) || len(got.AllAppScopes) != len(appScopeNames) || len(got.AllUserPermissions) != len(userPermissionNames) {
		t.Fatalf("GET after PUT: %s", body)
	}
	// What GET answers can be PUT back as it is.
	if resp, body := control(t, f.e, "PUT", "/_emulator/permissions", string(body)); resp.StatusCode != 200 {
		t.Fatalf("PUT the GET answer back: %d %s", resp.StatusCode, body)
	}
	if resp, _ := call(t, f.e, f.agent, "GET", acct+"/presence", nil); resp.StatusCode != 200 {
		t.Fatalf("agent with ReadPresenceStatus: %d", resp.StatusCode)
	}
	resp, body = control(t, f.e, "PUT", "/_emulator/permissions", `{"appScopes":["Telepathy"]}`)
	wantControlError(t, "unknown scope", resp, body, 400)
	resp, body = control(t, f.e, "PUT", "/_emulator/permissions", `{"users":[{"extension":"nobody"}]}`)
	wantControlError(t, "unknown user", resp, body, 400)
	// No appScopes: every scope again.
	resp, body = control(t, f.e, "PUT", "/_emulator/permissions", `{}`)
	mustJSON(t, body, &got)
	if resp.StatusCode != 200 || len(got.AppScopes) != len(appScopeNames) || len(got.Users) != 0 {
		t.Fatalf("PUT {}: %d %s", resp.StatusCode, body)
	}
}

func TestPermissionsFromTheCommandLineForms(t *testing.T) {
	var p Permissions
	if err := p.DenyScope("callcontrol"); err != nil {
		t.Fatal(err)
	}
	if err := p.DenyScope("WebSocket"); err != nil {
		t.Fatal(err)
	}
	if want := []string{ScopeReadAccounts, ScopeReadPresence, ScopeEditPresence, ScopeReadCallLog, ScopeEditExtensions,
		ScopeReadContacts, ScopeContacts}; !slices.Equal(p.AppScopes, want) {
		t.Fatalf("after two denials: %v, want %v", p.AppScopes, want)
	}
	for _, spec := range []string{"142:ReadPresenceStatus", "142:readextensions"} {
		if err := p.ChangeUser(spec, false); err != nil {
			t.Fatal(err)
		}
	}
	if err := p.ChangeUser("105:ReadPresenceStatus", true); err != nil {
		t.Fatal(err)
	}
	if len(p.Users) != 2 || !slices.Equal(p.Users[0].Deny, []string{PermReadPresenceStatus, PermReadExtensions}) ||
		!slices.Equal(p.Users[1].Grant, []string{PermReadPresenceStatus}) {
		t.Fatalf("users: %+v", p.Users)
	}
	for _, bad := range []string{"142", ":ReadExtensions", "142:Fly"} {
		if err := p.ChangeUser(bad, false); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
	if err := p.DenyScope("Everything"); err == nil {
		t.Error("an unknown scope was denied")
	}
}
