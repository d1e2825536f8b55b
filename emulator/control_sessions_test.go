package emulator

import (
	"net/url"
	"testing"
	"time"
)

// sessionsOf reads GET /_emulator/sessions as a map by id.
func sessionsOf(t *testing.T, e *Emulator) map[string]SessionInfo {
	t.Helper()
	resp, body := control(t, e, "GET", "/_emulator/sessions", "")
	if resp.StatusCode != 200 {
		t.Fatalf("GET sessions: %d %s", resp.StatusCode, body)
	}
	var list []SessionInfo
	mustJSON(t, body, &list)
	out := map[string]SessionInfo{}
	for _, s := range list {
		out[s.ID] = s
	}
	return out
}

func TestControlListsSessionsWithTheirHistory(t *testing.T) {
	clock := newFakeClock()
	e := startEmu(t, Config{Now: clock.Now, RateLimitsOff: true, MaxSessions: 2, AccessTTL: 10 * time.Minute, RefreshTTL: time.Hour})
	start := clock.Now()
	admin := login(t, e, e.creds.UserJWT)
	agent := login(t, e, e.creds.Agents[0].JWT)

	clock.Advance(time.Minute)
	resp, body := postForm(t, e, "/restapi/oauth/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {admin.RefreshToken}})
	if resp.StatusCode != 200 {
		t.Fatalf("refresh: %d %s", resp.StatusCode, body)
	}
	clock.Advance(time.Minute)
	call(t, e, agent.AccessToken, "GET", acct+"/extension/~", nil)

	got := sessionsOf(t, e)
	a, g := got[admin.SessionID], got[agent.SessionID]
	if a.ExtensionID != e.creds.Receptionist.ExtensionID || a.ExtensionNumber != e.creds.Receptionist.ExtensionNumber ||
		!a.Created.Equal(start) || a.RefreshCount != 1 || !a.LastUsed.Equal(start.Add(time.Minute)) ||
		!a.AccessTokenExpires.Equal(start.Add(11*time.Minute)) || a.Revoked || a.EndReason != "" || a.Ended != nil {
		t.Fatalf("admin session: %+v", a)
	}
	if g.RefreshCount != 0 || !g.LastUsed.Equal(start.Add(2*time.Minute)) {
		t.Fatalf("agent session: %+v", g)
	}

	// The client revokes one; a third login of the admin displaces the oldest.
	postForm(t, e, "/restapi/oauth/revoke", url.Values{"token": {agent.AccessToken}})
	second := login(t, e, e.creds.UserJWT)
	third := login(t, e, e.creds.UserJWT)
	got = sessionsOf(t, e)
	if g := got[agent.SessionID]; !g.Revoked || g.EndReason != EndRevoked || g.Ended == nil || !g.Ended.Equal(clock.Now()) {
		t.Fatalf("revoked by the client: %+v", g)
	}
	if a := got[admin.SessionID]; !a.Revoked || a.EndReason != EndSessionLimit {
		t.Fatalf("displaced by the session cap: %+v", a)
	}
	if got[second.SessionID].Revoked || got[third.SessionID].Revoked || len(got) != 4 {
		t.Fatalf("sessions: %+v", got)
	}
	// Past both expiries a session is over though nobody revoked it.
	clock.Advance(2 * time.Hour)
	if s := sessionsOf(t, e)[third.SessionID]; s.Revoked || s.EndReason != EndExpired {
		t.Fatalf("expired session: %+v", s)
	}
}

func TestControlRevokesASessionAsAnAdminWould(t *testing.T) {
	fx := newWSFixture(t, Config{})
	e := fx.e
	c, _ := fx.connect(t, "")
	subID := c.subscribe(t, fx.ext)
	other := login(t, e, e.creds.Agents[0].JWT)

	resp, body := control(t, e, "DELETE", "/_emulator/sessions/"+fx.tok.SessionID, "")
	if resp.StatusCode != 204 {
		t.Fatalf("DELETE session: %d %s", resp.StatusCode, body)
	}
	if code := c.closeCode(t); code != 4401 {
		t.Fatalf("the session's socket closed with %d, want 4401 as after a revoke", code)
	}
	resp, body = call(t, e, fx.tok.AccessToken, "GET", acct+"/extension/~", nil)
	if resp.StatusCode != 401 || errorCode(t, body) != "OAU-213" {
		t.Fatalf("REST with a revoked session: %d %s", resp.StatusCode, body)
	}
	resp, body = postForm(t, e, "/restapi/oauth/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {fx.tok.RefreshToken}})
	if n, code := oauthErr(t, body); resp.StatusCode != 400 || n != "invalid_grant" || code != "OAU-211" {
		t.Fatalf("refresh of a revoked session: %d %s", resp.StatusCode, body)
	}
	for _, s := range e.Subscriptions() {
		if s.ID == subID {
			t.Fatal("the revoked session's subscription survived")
		}
	}
	if s := sessionsOf(t, e)[fx.tok.SessionID]; !s.Revoked || s.EndReason != EndRevokedByAdmin {
		t.Fatalf("listing: %+v", s)
	}
	// Other sessions are untouched; an ended one can be revoked again, an unknown one cannot.
	if resp, _ := call(t, e, other.AccessToken, "GET", acct+"/extension/~", nil); resp.StatusCode != 200 {
		t.Fatalf("another session: %d", resp.StatusCode)
	}
	if resp, _ := control(t, e, "DELETE", "/_emulator/sessions/"+fx.tok.SessionID, ""); resp.StatusCode != 204 {
		t.Fatalf("DELETE an ended session: %d", resp.StatusCode)
	}
	resp, body = control(t, e, "DELETE", "/_emulator/sessions/42", "")
	wantControlError(t, "unknown session", resp, body, 404)
}

func TestControlPurgesASubscriptionSilently(t *testing.T) {
	fx := newWSFixture(t, Config{})
	e := fx.e
	c, _ := fx.connect(t, "")
	id := c.subscribe(t, fx.ext)

	var subs []SubscriptionInfo
	_, body := control(t, e, "GET", "/_emulator/subscriptions", "")
	mustJSON(t, body, &subs)
	if len(subs) != 1 || subs[0].ID != id || subs[0].OwnerID != fx.ext || subs[0].SessionID != fx.tok.SessionID ||
		subs[0].Transport != "WebSocket" || len(subs[0].EventFilters) != 1 ||
		subs[0].EventFilters[0] != "/restapi/v1.0/account/"+e.Truth().AccountID+"/extension/"+fx.ext+"/presence" || subs[0].Created.IsZero() {
		t.Fatalf("subscriptions: %s", body)
	}

	if resp, body := control(t, e, "DELETE", "/_emulator/subscriptions/"+id, ""); resp.StatusCode != 204 {
		t.Fatalf("purge: %d %s", resp.StatusCode, body)
	}
	// Nothing is sent, and nothing is delivered: the next frame is the
	// heartbeat's echo although the presence changed in between.
	fx.change(t)
	c.heartbeat(t, "after-purge")
	for _, method := range []string{"GET", "PUT", "DELETE"} {
		var body any
		if method == "PUT" {
			body = presenceFilter(fx.ext)
		}
		f := c.request(t, method, subscriptionPath+"/"+id, body)
		if f.Header.Status != 404 || f.errorCode(t) != "CMN-102" || f.bodyMap(t)["parameterName"] != "subscriptionId" {
			t.Fatalf("%s over the socket after the purge: %s", method, f.Raw)
		}
	}
	for _, method := range []string{"GET", "PUT", "DELETE"} {
		resp, body := call(t, e, fx.tok.AccessToken, method, subscriptionPath+"/"+id, map[string]any{})
		if resp.StatusCode != 404 || errorCode(t, body) != "CMN-102" {
			t.Fatalf("%s over HTTP after the purge: %d %s", method, resp.StatusCode, body)
		}
	}
	if len(e.Subscriptions()) != 0 {
		t.Fatalf("still listed: %+v", e.Subscriptions())
	}
	resp, body := control(t, e, "DELETE", "/_emulator/subscriptions/"+id, "")
	wantControlError(t, "purge twice", resp, body, 404)

	// The socket is fine: a new subscription on it delivers again.
	c.subscribe(t, fx.ext)
	msg := fx.change(t)
	if got := c.expect(t, typeNotification).notification(t).Body.Message; got != msg {
		t.Fatalf("after re-subscribing: %q, want %q", got, msg)
	}
}
