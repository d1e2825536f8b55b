package emulator

import (
	"testing"
	"time"
)

func TestSubscriptionCreateReturnsSubscriptionInfo(t *testing.T) {
	fx := newWSFixture(t, Config{RateLimits: DefaultRateLimits()}) // headers need limits on
	c, _ := fx.connect(t, "")
	f := c.request(t, "post", subscriptionPath+"/", map[string]any{
		"eventFilters": []string{"/restapi/v1.0/account/~/extension/~/presence?detailedTelephonyState=true"},
		"deliveryMode": map[string]any{"transportType": "WebSocket"},
	})
	if f.Header.Status != 200 || f.Header.Headers["Content-Type"] != "application/json" || f.Header.Headers["RCRequestId"] == "" {
		t.Fatalf("create (lower-case method, trailing slash): %s", f.Raw)
	}
	b := f.bodyMap(t)
	id, _ := b["id"].(string)
	if id == "" || f.Header.Headers["WSG-SubscriptionId"] != id || b["status"] != "Active" {
		t.Errorf("SubscriptionInfo and WSG-SubscriptionId: %s", f.Raw)
	}
	want := "/restapi/v1.0/account/" + fx.ext + "/extension/" + fx.ext + "/presence?detailedTelephonyState=true"
	if fs, _ := b["eventFilters"].([]any); len(fs) != 1 || fs[0] != want {
		t.Errorf("eventFilters must come back with ~ expanded: %v", b["eventFilters"])
	}
	if dm, _ := b["deliveryMode"].(map[string]any); dm["transportType"] != "WebSocket" || dm["encryption"] != false {
		t.Errorf("deliveryMode: %v", b["deliveryMode"])
	}
	for _, h := range []string{"X-Rate-Limit-Group", "X-Rate-Limit-Limit", "X-Rate-Limit-Remaining", "X-Rate-Limit-Window"} {
		if f.Header.Headers[h] == "" {
			t.Errorf("response lacks %s: %s", h, f.Raw)
		}
	}
	if f.Header.Headers["X-Rate-Limit-Group"] != "medium" {
		t.Errorf("a subscription POST is in the Medium group: %s", f.Raw)
	}
}

func TestSecondPostReplacesTheSubscription(t *testing.T) {
	fx := newWSFixture(t, Config{})
	c, _ := fx.connect(t, "")
	first := c.subscribe(t, "~")
	second := c.subscribe(t, "~")
	if first == second {
		t.Fatalf("a second POST must create a new subscription")
	}
	if fx.subscriptionLives(first) {
		t.Errorf("the first subscription must be removed from the hub")
	}
	if f := c.request(t, "PUT", subscriptionPath+"/"+first, presenceFilter("~")); f.Header.Status != 404 || f.errorCode(t) != "CMN-102" {
		t.Errorf("PUT on the replaced subscription: %s", f.Raw)
	}
	fx.change(t)
	if n := c.expect(t, typeNotification).notification(t); n.SubscriptionID != second {
		t.Errorf("notification for %s, want the replacement %s", n.SubscriptionID, second)
	}
	c.heartbeat(t, "one-notification-only")

	// An invalid replacement leaves the current subscription alone.
	bad := map[string]any{"eventFilters": []string{"/restapi/v1.0/nope"}, "deliveryMode": map[string]any{"transportType": "WebSocket"}}
	if f := c.request(t, "POST", subscriptionPath, bad); f.Header.Status != 400 || f.errorCode(t) != "SUB-508" {
		t.Fatalf("invalid replacement: %s", f.Raw)
	}
	fx.change(t)
	if n := c.expect(t, typeNotification).notification(t); n.SubscriptionID != second {
		t.Errorf("after a failed replacement the subscription must still deliver")
	}
}

func TestSubscriptionUpdateGetAndDelete(t *testing.T) {
	fx := newWSFixture(t, Config{RateLimits: DefaultRateLimits()}) // headers need limits on
	other := fx.e.creds.Agents[0].ExtensionID
	c, _ := fx.connect(t, "")
	id := c.subscribe(t, other)

	f := c.request(t, "PUT", subscriptionPath+"/"+id, map[string]any{
		"eventFilters": []string{"/restapi/v1.0/account/~/extension/" + fx.ext + "/presence"},
	})
	if f.Header.Status != 200 || f.bodyMap(t)["id"] != id {
		t.Fatalf("update: %s", f.Raw)
	}
	if fs, _ := f.bodyMap(t)["eventFilters"].([]any); len(fs) != 1 || fs[0] != "/restapi/v1.0/account/"+fx.ext+"/extension/"+fx.ext+"/presence" {
		t.Errorf("updated filters: %v", fs)
	}
	if f.Header.Headers["WSG-SubscriptionId"] != "" {
		t.Errorf("only a create carries WSG-SubscriptionId: %s", f.Raw)
	}
	fx.change(t)
	if n := c.expect(t, typeNotification).notification(t); n.SubscriptionID != id || n.Body.ExtensionID != fx.ext {
		t.Errorf("the updated filter must deliver: %+v", n)
	}

	g := c.request(t, "GET", subscriptionPath+"/"+id, nil)
	if g.Header.Status != 200 || g.bodyMap(t)["id"] != id || g.Header.Headers["X-Rate-Limit-Group"] != "light" {
		t.Errorf("get: %s", g.Raw)
	}
	list := c.request(t, "GET", subscriptionPath, nil)
	if recs, _ := list.bodyMap(t)["records"].([]any); list.Header.Status != 200 || len(recs) != 1 {
		t.Errorf("list: %s", list.Raw)
	}

	for _, bad := range []struct {
		method, path string
		body         any
		status       int
		code         string
	}{
		{"PUT", subscriptionPath + "/unknown", presenceFilter("~"), 404, "CMN-102"},
		{"GET", subscriptionPath + "/unknown", nil, 404, "CMN-102"},
		{"DELETE", subscriptionPath + "/unknown", nil, 404, "CMN-102"},
		{"PUT", subscriptionPath + "/" + id, map[string]any{"eventFilters": []string{"/bogus"}}, 400, "SUB-508"},
		{"PUT", subscriptionPath + "/" + id, nil, 400, "CMN-101"},
		{"PUT", subscriptionPath + "/" + id, "garbage", 400, "CMN-103"},
		{"PATCH", subscriptionPath + "/" + id, presenceFilter("~"), 404, "CMN-120"},
		{"GET", "/restapi/v1.0/account/~/extension", nil, 404, "CMN-120"},
		{"POST", subscriptionPath + "/" + id + "/renew", nil, 404, "CMN-120"},
	} {
		f := c.request(t, bad.method, bad.path, bad.body)
		if f.Header.Status != bad.status || f.errorCode(t) != bad.code {
			t.Errorf("%s %s: got %s, want %d %s", bad.method, bad.path, f.Raw, bad.status, bad.code)
		}
		if b := f.bodyMap(t); b["errors"] == nil || b["message"] == "" {
			t.Errorf("%s %s: not the standard error JSON: %s", bad.method, bad.path, f.Raw)
		}
	}

	d := c.request(t, "DELETE", subscriptionPath+"/"+id, nil)
	if d.Header.Status != 204 || d.Parts != 1 {
		t.Fatalf("delete must answer 204 with a header-only frame: %s", d.Raw)
	}
	fx.change(t)
	c.heartbeat(t, "nothing-after-delete") // a notification would have come first
	if f := c.request(t, "GET", subscriptionPath+"/"+id, nil); f.Header.Status != 404 {
		t.Errorf("get after delete: %s", f.Raw)
	}
}

func TestSubscriptionCreateErrors(t *testing.T) {
	fx := newWSFixture(t, Config{})
	c, _ := fx.connect(t, "")
	ws := map[string]any{"transportType": "WebSocket"}
	for _, tc := range []struct {
		name string
		body any
		code string
	}{
		{"no body", nil, "CMN-101"},
		{"not an object", []int{1, 2}, "CMN-103"},
		{"wrong types", map[string]any{"eventFilters": "x", "deliveryMode": ws}, "CMN-103"},
		{"no filters", map[string]any{"eventFilters": []string{}, "deliveryMode": ws}, "CMN-101"},
		{"invalid filter", map[string]any{"eventFilters": []string{"/restapi/v1.0/account/~/bogus"}, "deliveryMode": ws}, "SUB-508"},
		{"no delivery mode", map[string]any{"eventFilters": []string{"/restapi/v1.0/account/~/presence"}}, "CMN-101"},
		{"webhook", map[string]any{"eventFilters": []string{"/restapi/v1.0/account/~/presence"}, "deliveryMode": map[string]any{"transportType": "WebHook"}}, "CMN-101"},
	} {
		f := c.request(t, "POST", subscriptionPath, tc.body)
		if f.Header.Status != 400 || f.errorCode(t) != tc.code {
			t.Errorf("%s: got %s, want 400 %s", tc.name, f.Raw, tc.code)
		}
	}
	// The connection has no subscription after all that.
	fx.change(t)
	c.heartbeat(t, "no-subscription")
}

func TestThirtySubscriptionsPerUserAndApp(t *testing.T) {
	fx := newWSFixture(t, Config{})
	e := fx.e
	// 29 subscriptions made elsewhere (as over HTTP) by the same user and app.
	e.p.mu.Lock()
	var sess *oauthSession
	for _, s := range e.p.auth.sessions {
		if s.id == fx.tok.SessionID {
			sess = s
		}
	}
	for range 29 {
		if _, err := e.p.hub.create(sess, []string{"/restapi/v1.0/account/~/presence"}, &captureSink{}); err != nil {
			t.Fatalf("create: %v", err)
		}
	}
	e.p.mu.Unlock()

	a, _ := fx.connect(t, "")
	a.subscribe(t, "~") // the 30th
	b, _ := fx.connect(t, "")
	f := b.request(t, "POST", subscriptionPath, presenceFilter("~"))
	if f.Header.Status != 403 || f.errorCode(t) != "SUB-505" {
		t.Fatalf("31st subscription: %s", f.Raw)
	}
	// Replacing a subscription does not need a free slot.
	a.subscribe(t, "~")

	// Another user has their own 30.
	agent := login(t, e, e.creds.Agents[0].JWT)
	c := dial(t, e, agent.AccessToken, "")
	c.expect(t, typeConnectionDetails)
	c.subscribe(t, "~")
}

func TestSubscriptionRequestsAreRateLimited(t *testing.T) {
	limits := DefaultRateLimits()
	limits[Medium] = RateLimit{Limit: 2, Window: time.Minute, Penalty: 30 * time.Second}
	fx := newWSFixture(t, Config{RateLimits: limits})
	c, _ := fx.connect(t, "")
	id := c.subscribe(t, "~")
	f := c.request(t, "PUT", subscriptionPath+"/"+id, presenceFilter("~"))
	if f.Header.Status != 200 || f.Header.Headers["X-Rate-Limit-Remaining"] != "0" || f.Header.Headers["X-Rate-Limit-Limit"] != "2" ||
		f.Header.Headers["X-Rate-Limit-Window"] != "60" {
		t.Fatalf("second Medium request: %s", f.Raw)
	}
	f = c.request(t, "DELETE", subscriptionPath+"/"+id, nil)
	if f.Header.Status != 429 || f.errorCode(t) != "CMN-301" || f.Header.Headers["Retry-After"] != "30" ||
		f.Header.Headers["X-Rate-Limit-Group"] != "medium" {
		t.Fatalf("third Medium request: %s", f.Raw)
	}
	// Light is a separate budget.
	if g := c.request(t, "GET", subscriptionPath+"/"+id, nil); g.Header.Status != 200 {
		t.Fatalf("GET during a Medium penalty: %s", g.Raw)
	}
	// The refused DELETE did nothing.
	fx.change(t)
	c.expect(t, typeNotification)
}

func TestRevokingTheOAuthSessionClosesItsSocket(t *testing.T) {
	fx := newWSFixture(t, Config{})
	c, cd := fx.connect(t, "")
	id := c.subscribe(t, "~")
	resp, _ := postForm(t, fx.e, "/restapi/oauth/revoke", map[string][]string{"token": {fx.tok.AccessToken}})
	if resp.StatusCode != 200 {
		t.Fatalf("revoke: %d", resp.StatusCode)
	}
	if code := c.closeCode(t); code != 4401 {
		t.Fatalf("close code %d, want 4401", code)
	}
	if fx.subscriptionLives(id) || fx.gatewayStats().Sessions != 0 {
		t.Fatalf("revoke must end the subscription and the gateway session")
	}
	// A new login cannot resume the ended session.
	fx.tok = login(t, fx.e, fx.e.creds.UserJWT)
	fx.recover(t, cd.Header.WSC.Token, recoveryFailed, codeSessionNotFound)
	waitFor(t, frameWait, "the revoked session's connection to be gone", func() bool { return fx.gatewayStats().Active == 1 })
	if n := fx.gatewayStats().Sessions; n != 1 {
		t.Errorf("sessions = %d, want the new one only", n)
	}
}
