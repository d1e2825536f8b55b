package emulator

import (
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
)

func TestConnectionDetailsComesFirstWithTheConfiguredLimits(t *testing.T) {
	fx := newWSFixture(t, Config{
		RecoveryTimeout: 90 * time.Second, RecoveryBufferSize: 42,
		IdleTimeout: 20 * time.Minute, AbsoluteTimeout: 12 * time.Hour,
	})
	c, cd := fx.connect(t, "")
	if cd.Header.Status != 200 || cd.Header.Headers["RCRequestId"] == "" ||
		string(cd.Header.MessageID) != `"`+cd.Header.Headers["RCRequestId"]+`"` {
		t.Errorf("header: want status 200 and messageId == RCRequestId: %s", cd.Raw)
	}
	if cd.Header.WSC == nil || cd.Header.WSC.Token == "" || cd.Header.WSC.Sequence != 1 {
		t.Errorf("a fresh session's wsc must have a token and sequence 1: %s", cd.Raw)
	}
	if strings.Contains(cd.Raw, " ") {
		t.Errorf("frames must be compact JSON: %s", cd.Raw)
	}
	b := cd.bodyMap(t)
	want := map[string]float64{
		"maxConnectionsPerSession": 50, "recoveryBufferSize": 42, "recoveryTimeout": 90,
		"idleTimeout": 1200, "absoluteTimeout": 43200, "maxActiveRequests": 10,
	}
	for k, v := range want {
		if b[k] != v {
			t.Errorf("%s = %v, want %v", k, b[k], v)
		}
	}
	if ct, _ := b["creationTime"].(string); !regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+0000$`).MatchString(ct) {
		t.Errorf("creationTime %q is not in RingCentral's +0000 form", ct)
	}
	if _, ok := b["recoveryState"]; ok {
		t.Errorf("recoveryState must be absent when no wsc was sent: %s", cd.Body)
	}
	c.heartbeat(t, "hb-1")
}

func TestTokenFromTheAuthorizationHeader(t *testing.T) {
	fx := newWSFixture(t, Config{})
	h := http.Header{"Authorization": {"Bearer " + newWSToken(t, fx.e, fx.tok.AccessToken)}}
	c := dialRaw(t, fx.e, url.Values{}, h)
	c.expect(t, typeConnectionDetails)
}

func TestNoTokenClosesWith4400(t *testing.T) {
	fx := newWSFixture(t, Config{})
	c := dialRaw(t, fx.e, url.Values{}, nil)
	if code := c.closeCode(t); code != 4400 {
		t.Fatalf("close code %d, want 4400", code)
	}
}

func TestUnknownTokenGetsAnErrorFrameAndClose4401(t *testing.T) {
	fx := newWSFixture(t, Config{})
	tok := "U0pDMDFQMDdQQVMwMHwnot-issued"
	c := dialRaw(t, fx.e, url.Values{"access_token": {tok}}, nil)
	f := c.expect(t, typeError)
	if f.errorCode(t) != codeWSTokenNotFound {
		t.Errorf("error %s", f.Raw)
	}
	if strings.Contains(f.Raw, tok) {
		t.Errorf("the error frame repeats the token")
	}
	if code := c.closeCode(t); code != 4401 {
		t.Errorf("close code %d, want 4401", code)
	}
	if got := fx.gatewayStats().Refused; got != 1 {
		t.Errorf("refused = %d, want 1", got)
	}
}

// RCEX-WS (@rc-ex/ws, inside @ringcentral/subscriptions) caches its WS token
// for 80% of expires_in and, when the socket drops, auto-recovers with that
// same token and its wsc. That must recover the session.
func TestCachedWSTokenRecoversTheSession(t *testing.T) {
	fx := newWSFixture(t, Config{})
	tok := newWSToken(t, fx.e, fx.tok.AccessToken)
	a := dialRaw(t, fx.e, url.Values{"access_token": {tok}}, nil)
	cd := a.expect(t, typeConnectionDetails)
	a.subscribe(t, "~")
	a.drop()
	fx.waitDetached(t)
	missed := fx.changes(t, 2)

	b := dialRaw(t, fx.e, url.Values{"access_token": {tok}, "wsc": {cd.Header.WSC.Token}}, nil)
	rd := b.expect(t, typeConnectionDetails)
	if state, _ := rd.bodyMap(t)["recoveryState"].(string); state != recoverySuccessful {
		t.Fatalf("recoveryState %q with the cached token: %s", state, rd.Body)
	}
	expectNotifications(t, b, missed, cd.seq()+1)
}

// A WS token opens one connection at a time: a second connection with it
// ends the first (ringcentral-extensible#39), which keeps working.
func TestWSTokenReuseClosesItsPreviousConnection(t *testing.T) {
	fx := newWSFixture(t, Config{})
	tok := newWSToken(t, fx.e, fx.tok.AccessToken)
	a := dialRaw(t, fx.e, url.Values{"access_token": {tok}}, nil)
	a.expect(t, typeConnectionDetails)
	b := dialRaw(t, fx.e, url.Values{"access_token": {tok}}, nil)
	b.expect(t, typeConnectionDetails)
	if code := a.closeCode(t); code != 1000 {
		t.Fatalf("the first connection closed with %d, want 1000", code)
	}
	b.subscribe(t, "~")
	expectNotifications(t, b, fx.changes(t, 1), 2)
}

func TestExpiredWSTokenIsRefused(t *testing.T) {
	clock := newFakeClock()
	fx := newWSFixture(t, Config{Now: clock.Now})
	tok := newWSToken(t, fx.e, fx.tok.AccessToken)
	clock.Advance(31 * time.Second)
	c := dialRaw(t, fx.e, url.Values{"access_token": {tok}}, nil)
	c.expect(t, typeError)
	if code := c.closeCode(t); code != 4401 {
		t.Fatalf("close code %d, want 4401", code)
	}
}

func TestHeartbeatIsEchoed(t *testing.T) {
	fx := newWSFixture(t, Config{})
	c, _ := fx.connect(t, "")
	c.sendRaw(t, `[{"type":"Heartbeat","messageId":"7f4c"}]`)
	f := c.expect(t, typeHeartbeat)
	if f.Raw != `[{"type":"Heartbeat","messageId":"7f4c"}]` {
		t.Fatalf("heartbeat echo %s", f.Raw)
	}
}

func TestMalformedFramesGetAnErrorAndTheConnectionStays(t *testing.T) {
	fx := newWSFixture(t, Config{})
	c, _ := fx.connect(t, "")
	for _, raw := range []string{
		`not json`, `{}`, `[]`, `null`, `[1]`, `["x"]`, `[{},{},{}]`,
		`[{"type":5,"messageId":"m1"}]`, `[{"type":"Bogus","messageId":"m2"}]`, `[{"messageId":"m3"}]`,
	} {
		c.sendRaw(t, raw)
		f := c.expect(t, typeError)
		if f.errorCode(t) != codeMalformedFrame {
			t.Errorf("%s: got %s", raw, f.Raw)
		}
		if strings.Contains(raw, `"m`) && !strings.Contains(f.Raw, `"messageId":"m`) {
			t.Errorf("%s: the error frame should echo the messageId: %s", raw, f.Raw)
		}
	}
	c.heartbeat(t, "still-open")
}

func TestFramesSentBeforeConnectionDetailsAreAnsweredAfterIt(t *testing.T) {
	fx := newWSFixture(t, Config{})
	c := dial(t, fx.e, fx.tok.AccessToken, "")
	// Like JAVA-WS: send the subscription request before reading anything.
	id := c.sendRequest(t, "POST", subscriptionPath, presenceFilter("~"))
	c.sendRaw(t, `[{"type":"Heartbeat","messageId":"early"}]`)
	c.expect(t, typeConnectionDetails)
	if f := c.expect(t, typeClientRequest); f.Header.Status != 200 || string(f.Header.MessageID) != `"`+id+`"` {
		t.Fatalf("early request: %s", f.Raw)
	}
	c.expect(t, typeHeartbeat)
}

func TestPresenceChangeArrivesAsServerNotification(t *testing.T) {
	fx := newWSFixture(t, Config{})
	c, cd := fx.connect(t, "")
	subID := c.subscribe(t, "~")
	msg := fx.change(t)
	f := c.expect(t, typeNotification)
	n := f.notification(t)
	if n.SubscriptionID != subID || n.Body.ExtensionID != fx.ext || n.Body.Message != msg || n.OwnerID != fx.ext {
		t.Errorf("notification envelope: %s", f.Body)
	}
	if string(f.Header.MessageID) != `"`+n.UUID+`"` || f.Header.Status != 200 ||
		f.Header.Headers["RCRequestId"] == "" || f.Header.Headers["Content-Type"] != "application/json" {
		t.Errorf("notification header: %s", f.Raw)
	}
	if f.seq() != cd.seq()+1 || f.Header.WSC.Token == "" || f.Header.WSC.Token == cd.Header.WSC.Token {
		t.Errorf("wsc must carry the next sequence and its own token: %s after %s", f.Raw, cd.Raw)
	}
	if !strings.HasPrefix(f.Raw, `[{"type":"ServerNotification",`) {
		t.Errorf("JAVA-WS finds notifications by the compact type prefix: %s", f.Raw)
	}
	fx.change(t)
	if g := c.expect(t, typeNotification); g.seq() != f.seq()+1 {
		t.Errorf("sequences must increase by one: %d then %d", f.seq(), g.seq())
	}
}

func TestNotificationFrameMatchesTheGenericEncoder(t *testing.T) {
	env := []byte(`{"uuid":"u","body":{"extensionId":"1"}}`)
	for _, uuid := range []string{"045b81dc-9f73-4864-84de-08aa6324a7f5", "2661273919712564939", `odd "id" <&>` + "\n\u00e9"} {
		got := notificationFrame(uuid, "dG9rZW4", 42, env)
		var parts []map[string]any
		if err := json.Unmarshal(got, &parts); err != nil || len(parts) != 2 {
			t.Fatalf("uuid %q: not a two-part frame: %s", uuid, got)
		}
		h := parts[0]
		headers, _ := h["headers"].(map[string]any)
		wsc, _ := h["wsc"].(map[string]any)
		if h["type"] != typeNotification || h["messageId"] != uuid || h["status"] != float64(200) ||
			headers["Content-Type"] != "application/json" || len(headers["RCRequestId"].(string)) != 36 ||
			wsc["token"] != "dG9rZW4" || wsc["sequence"] != float64(42) {
			t.Errorf("uuid %q: header %v", uuid, h)
		}
		if parts[1]["uuid"] != "u" {
			t.Errorf("uuid %q: body %v", uuid, parts[1])
		}
	}
}
