package emulator

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/gorilla/websocket"
)

// lastRequest returns the newest logged request matching via and path.
func lastRequest(t *testing.T, e *Emulator, via, path string) RequestRecord {
	t.Helper()
	reqs := e.Requests()
	for i := len(reqs) - 1; i >= 0; i-- {
		if reqs[i].Via == via && reqs[i].Path == path {
			return reqs[i]
		}
	}
	t.Fatalf("no %s request for %s in %+v", via, path, reqs)
	return RequestRecord{}
}

func TestRequestLogHasOutcomesGrantsAndSessions(t *testing.T) {
	e := startEmu(t, Config{RateLimitsOff: true})
	tr := login(t, e, e.creds.UserJWT)
	rec := lastRequest(t, e, viaHTTP, "/restapi/oauth/token")
	if rec.Status != 200 || rec.Grant != grantNameJWT || rec.Session != tr.SessionID || rec.User != tr.OwnerID || rec.Group != Auth || rec.Method != "POST" {
		t.Fatalf("JWT grant: %+v", rec)
	}
	resp, _ := postForm(t, e, "/restapi/oauth/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tr.RefreshToken}})
	rec = lastRequest(t, e, viaHTTP, "/restapi/oauth/token")
	if resp.StatusCode != 200 || rec.Status != 200 || rec.Grant != grantNameRefresh || rec.Session != tr.SessionID {
		t.Fatalf("refresh: %+v", rec)
	}
	postForm(t, e, "/restapi/oauth/token", url.Values{"grant_type": {grantJWT}, "assertion": {"nope"}})
	rec = lastRequest(t, e, viaHTTP, "/restapi/oauth/token")
	if rec.Status != 400 || rec.ErrorCode != "OAU-140" || rec.Grant != grantNameJWT || rec.Session != "" {
		t.Fatalf("bad JWT: %+v", rec)
	}
	postForm(t, e, "/restapi/oauth/token", url.Values{"grant_type": {"password"}})
	if rec = lastRequest(t, e, viaHTTP, "/restapi/oauth/token"); rec.Grant != grantNameOther || rec.ErrorCode != "OAU-250" {
		t.Fatalf("unknown grant: %+v", rec)
	}

	call(t, e, "nope", "GET", acct+"/extension/~", nil)
	rec = lastRequest(t, e, viaHTTP, acct+"/extension/~")
	if rec.Status != 401 || rec.ErrorCode != "OAU-213" || rec.User != "" || rec.Group != Light {
		t.Fatalf("bad token: %+v", rec)
	}
	tr2 := login(t, e, e.creds.UserJWT)
	call(t, e, tr2.AccessToken, "GET", acct+"/extension/424242", nil)
	rec = lastRequest(t, e, viaHTTP, acct+"/extension/424242")
	if rec.Status != 404 || rec.ErrorCode != "CMN-102" || rec.Session != tr2.SessionID || rec.User != tr2.OwnerID {
		t.Fatalf("404: %+v", rec)
	}
	call(t, e, tr2.AccessToken, "GET", "/restapi/v1.0/nothing-here", nil)
	if rec = lastRequest(t, e, viaHTTP, "/restapi/v1.0/nothing-here"); rec.Status != 404 || rec.ErrorCode != "CMN-120" {
		t.Fatalf("unknown path: %+v", rec)
	}
	call(t, e, tr2.AccessToken, "POST", "/restapi/oauth/wstoken", nil)
	if rec = lastRequest(t, e, viaHTTP, "/restapi/oauth/wstoken"); rec.Status != 200 || rec.Session != tr2.SessionID {
		t.Fatalf("wstoken: %+v", rec)
	}
	postForm(t, e, "/restapi/oauth/revoke", url.Values{"token": {tr2.AccessToken}})
	if rec = lastRequest(t, e, viaHTTP, "/restapi/oauth/revoke"); rec.Status != 200 || rec.Session != tr2.SessionID {
		t.Fatalf("revoke: %+v", rec)
	}
	// Arrival order, and nothing that could be a secret.
	reqs := e.Requests()
	for i := 1; i < len(reqs); i++ {
		if reqs[i].Time.Before(reqs[i-1].Time) {
			t.Fatalf("records out of order at %d", i)
		}
	}
	_, body := control(t, e, "GET", "/_emulator/requests", "")
	for _, secret := range []string{tr.AccessToken, tr.RefreshToken, tr2.AccessToken, e.creds.UserJWT} {
		if strings.Contains(string(body), secret) {
			t.Fatal("the request log holds a secret")
		}
	}
}

func TestRequestLogHasClientRequestsAndUpgrades(t *testing.T) {
	fx := newWSFixture(t, Config{})
	e := fx.e
	c, _ := fx.connect(t, "")
	rec := lastRequest(t, e, viaWSUpgrade, "/ws")
	if rec.Status != 101 || rec.CloseCode != 0 || rec.Session != fx.tok.SessionID || rec.User != fx.ext || rec.Method != "GET" {
		t.Fatalf("accepted upgrade: %+v", rec)
	}
	c.subscribe(t, fx.ext)
	rec = lastRequest(t, e, viaWS, subscriptionPath)
	if rec.Method != "POST" || rec.Status != 200 || rec.Group != Medium || rec.Session != fx.tok.SessionID || rec.User != fx.ext {
		t.Fatalf("subscribe over the socket: %+v", rec)
	}
	c.request(t, "DELETE", subscriptionPath+"/nope", nil)
	if rec = lastRequest(t, e, viaWS, subscriptionPath+"/nope"); rec.Status != 404 || rec.ErrorCode != "CMN-102" {
		t.Fatalf("404 over the socket: %+v", rec)
	}
	c.request(t, "GET", "/restapi/v1.0/account/~/extension?x=1", nil)
	if rec = lastRequest(t, e, viaWS, "/restapi/v1.0/account/~/extension"); rec.Status != 404 || rec.ErrorCode != "CMN-120" || rec.Group != "" {
		t.Fatalf("unknown path over the socket: %+v", rec)
	}

	// Refused after the handshake: no token, a bad token.
	bad := dialRaw(t, e, url.Values{}, nil)
	if code := bad.closeCode(t); code != 4400 {
		t.Fatalf("no token: close %d", code)
	}
	if rec = lastRequest(t, e, viaWSUpgrade, "/ws"); rec.Status != 101 || rec.CloseCode != 4400 || rec.ErrorCode != "" {
		t.Fatalf("no token: %+v", rec)
	}
	bad = dialRaw(t, e, url.Values{"access_token": {"nope"}}, nil)
	bad.expect(t, typeError)
	if code := bad.closeCode(t); code != 4401 {
		t.Fatalf("bad token: close %d", code)
	}
	if rec = lastRequest(t, e, viaWSUpgrade, "/ws"); rec.CloseCode != 4401 || rec.ErrorCode != "OAU-213" || rec.Session != "" {
		t.Fatalf("bad token: %+v", rec)
	}
	// Refused before it: the RefuseUpgrades fault, a request that is no handshake.
	e.SetFaults(Faults{RefuseUpgrades: true})
	d := websocket.Dialer{HandshakeTimeout: frameWait}
	if _, resp, err := d.Dial(wsURL(e, url.Values{"access_token": {newWSToken(t, e, fx.tok.AccessToken)}}), nil); err == nil || resp == nil || resp.StatusCode != 503 {
		t.Fatalf("refused upgrade: %v", err)
	}
	if rec = lastRequest(t, e, viaWSUpgrade, "/ws"); rec.Status != 503 {
		t.Fatalf("refused upgrade: %+v", rec)
	}
	e.SetFaults(Faults{})
	req, _ := http.NewRequest("GET", e.URL()+"/ws", nil)
	if resp, _ := do(t, req); resp.StatusCode != 400 {
		t.Fatalf("plain GET /ws: %d", resp.StatusCode)
	}
	if rec = lastRequest(t, e, viaWSUpgrade, "/ws"); rec.Status != 400 {
		t.Fatalf("plain GET /ws: %+v", rec)
	}
}
