package emulator

import (
	"encoding/base64"
	"net/url"
	"strings"
	"testing"
	"time"
)

// recoveryOf reads recoveryState and recoveryErrorCode of a ConnectionDetails.
func recoveryOf(t testing.TB, cd wsFrame) (state, code string) {
	t.Helper()
	b := cd.bodyMap(t)
	state, _ = b["recoveryState"].(string)
	code, _ = b["recoveryErrorCode"].(string)
	return state, code
}

// subscribedClient connects, subscribes to the receptionist and receives
// one notification; it returns the client, the subscription and that frame.
func (fx *wsFixture) subscribedClient(t testing.TB) (*wsClient, string, wsFrame) {
	t.Helper()
	c, _ := fx.connect(t, "")
	id := c.subscribe(t, "~")
	fx.change(t)
	return c, id, c.expect(t, typeNotification)
}

func TestRecoveryReplaysMissedNotificationsInOrder(t *testing.T) {
	fx := newWSFixture(t, Config{})
	c, subID, last := fx.subscribedClient(t)
	c.drop()
	fx.waitDetached(t)
	var missed []string
	for range 3 {
		missed = append(missed, fx.change(t))
	}

	r, cd := fx.connect(t, last.Header.WSC.Token)
	if state, code := recoveryOf(t, cd); state != "Successful" || code != "" {
		t.Fatalf("recovery: %s", cd.Body)
	}
	if cd.seq() != last.seq() || cd.Header.WSC.Token != last.Header.WSC.Token {
		t.Errorf("ConnectionDetails must name the sequence the client's wsc named (%d): %s", last.seq(), cd.Raw)
	}
	for i, msg := range missed {
		f := r.expect(t, typeNotification)
		n := f.notification(t)
		if n.Body.Message != msg || f.seq() != last.seq()+uint64(i)+1 || n.SubscriptionID != subID {
			t.Fatalf("replay %d: got %q seq %d sub %s, want %q seq %d", i, n.Body.Message, f.seq(), n.SubscriptionID, msg, last.seq()+uint64(i)+1)
		}
	}
	// Live frames continue after the replay, with no duplicate in between.
	live := fx.change(t)
	f := r.expect(t, typeNotification)
	if f.notification(t).Body.Message != live || f.seq() != last.seq()+4 {
		t.Fatalf("live frame after replay: %s", f.Raw)
	}
	if s := fx.gatewayStats(); s.Recovered != 1 || s.RecoveryFailed != 0 {
		t.Errorf("stats: %+v", s)
	}
}

func TestRecoveryWithARefreshedTokenOfTheSameSession(t *testing.T) {
	fx := newWSFixture(t, Config{})
	c, _, last := fx.subscribedClient(t)
	c.drop()
	fx.waitDetached(t)
	resp, body := postForm(t, fx.e, "/restapi/oauth/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {fx.tok.RefreshToken}})
	if resp.StatusCode != 200 {
		t.Fatalf("refresh: %d %s", resp.StatusCode, body)
	}
	mustJSON(t, body, &fx.tok)
	_, cd := fx.connect(t, last.Header.WSC.Token)
	if state, _ := recoveryOf(t, cd); state != "Successful" {
		t.Fatalf("a refreshed token of the same OAuth session must recover: %s", cd.Body)
	}
}

func TestRecoveryFromAnotherOAuthSessionFailsWith1003(t *testing.T) {
	fx := newWSFixture(t, Config{})
	c, oldSub, last := fx.subscribedClient(t)
	c.drop()
	fx.waitDetached(t)
	fx.tok = login(t, fx.e, fx.e.creds.UserJWT) // a new OAuth session

	r, cd := fx.connect(t, last.Header.WSC.Token)
	if state, code := recoveryOf(t, cd); state != "Failed" || code != codeOtherOAuth {
		t.Fatalf("recovery from a new login: %s", cd.Body)
	}
	if cd.Header.WSC == nil || cd.Header.WSC.Token == last.Header.WSC.Token || cd.seq() != 1 {
		t.Errorf("a failed recovery starts a fresh session with its own wsc: %s", cd.Raw)
	}
	fx.e.p.mu.Lock()
	_, lives := fx.e.p.hub.lookup(oldSub)
	fx.e.p.mu.Unlock()
	if lives {
		t.Errorf("the old context's subscription must be discarded")
	}
	// The client re-creates its subscription on the same connection.
	newSub := r.subscribe(t, "~")
	fx.change(t)
	if f := r.expect(t, typeNotification); f.notification(t).SubscriptionID != newSub || f.seq() != 2 {
		t.Fatalf("notification on the fresh session: %s", f.Raw)
	}
	// The discarded context cannot be recovered afterwards either.
	_, again := fx.connect(t, last.Header.WSC.Token)
	if _, code := recoveryOf(t, again); code != codeSessionNotFound {
		t.Errorf("recovering a discarded context: %s", again.Body)
	}
	if s := fx.gatewayStats(); s.RecoveryFailed != 2 {
		t.Errorf("stats: %+v", s)
	}
}

func TestRecoveryWithoutASubscriptionFailsWith1005(t *testing.T) {
	fx := newWSFixture(t, Config{})
	c, cd := fx.connect(t, "")
	c.drop()
	fx.waitDetached(t)
	r, rcd := fx.connect(t, cd.Header.WSC.Token)
	if state, code := recoveryOf(t, rcd); state != "Failed" || code != codeSessionNotFound {
		t.Fatalf("recovery without a subscription: %s", rcd.Body)
	}
	r.subscribe(t, "~")
}

func TestRecoveryAfterRecoveryTimeoutFailsWith1005(t *testing.T) {
	fx := newWSFixture(t, Config{RecoveryTimeout: 2 * time.Second})
	c, subID, last := fx.subscribedClient(t)
	c.drop()
	// The session is destroyed by its timer, with its subscription.
	waitFor(t, 3*frameWait, "the gateway session to expire", func() bool { return fx.gatewayStats().Sessions == 0 })
	fx.e.p.mu.Lock()
	_, lives := fx.e.p.hub.lookup(subID)
	fx.e.p.mu.Unlock()
	if lives {
		t.Fatalf("an expired session's subscription must leave the hub")
	}
	_, cd := fx.connect(t, last.Header.WSC.Token)
	if state, code := recoveryOf(t, cd); state != "Failed" || code != codeSessionNotFound {
		t.Fatalf("recovery after the timeout: %s", cd.Body)
	}
}

func TestMalformedWSCGetsWSG400AndClose(t *testing.T) {
	fx := newWSFixture(t, Config{})
	_, cd := fx.connect(t, "")
	real := cd.Header.WSC.Token
	raw, _ := base64.RawURLEncoding.DecodeString(real)
	raw[15]++ // another sequence, same MAC
	forged := base64.RawURLEncoding.EncodeToString(raw)
	other := startEmu(t, Config{Seed: 7})
	otherTok := login(t, other, other.creds.UserJWT)
	_, foreign := (&wsFixture{e: other, tok: otherTok}).connect(t, "")

	for name, wsc := range map[string]string{
		"garbage": "not-a-wsc!", "forged": forged, "truncated": real[:20], "another emulator's": foreign.Header.WSC.Token,
	} {
		c := dial(t, fx.e, fx.tok.AccessToken, wsc)
		f := c.expect(t, typeError)
		if f.errorCode(t) != codeMalformedWSC || f.bodyMap(t)["message"] != msgMalformedWSC {
			t.Errorf("%s wsc: %s", name, f.Raw)
		}
		if strings.Contains(f.Raw, wsc) {
			t.Errorf("%s wsc: the error repeats the wsc", name)
		}
		if code := c.closeCode(t); code != 4400 {
			t.Errorf("%s wsc: close code %d", name, code)
		}
	}
}

func TestRecoveryBufferOverflowLeavesAVisibleGap(t *testing.T) {
	fx := newWSFixture(t, Config{RecoveryBufferSize: 5})
	c, _, last := fx.subscribedClient(t)
	c.drop()
	fx.waitDetached(t)
	var missed []string
	for range 8 {
		missed = append(missed, fx.change(t))
	}
	r, cd := fx.connect(t, last.Header.WSC.Token)
	if state, _ := recoveryOf(t, cd); state != "Successful" {
		t.Fatalf("recovery: %s", cd.Body)
	}
	for i, msg := range missed[3:] {
		f := r.expect(t, typeNotification)
		want := last.seq() + 4 + uint64(i)
		if f.seq() != want || f.notification(t).Body.Message != msg {
			t.Fatalf("replay %d: seq %d %q, want seq %d %q", i, f.seq(), f.notification(t).Body.Message, want, msg)
		}
	}
	r.heartbeat(t, "only-five") // nothing else was replayed
}

func TestRecoveringAConnectedSessionClosesTheOldConnection(t *testing.T) {
	fx := newWSFixture(t, Config{})
	old, _, last := fx.subscribedClient(t)
	r, cd := fx.connect(t, last.Header.WSC.Token)
	if state, _ := recoveryOf(t, cd); state != "Successful" {
		t.Fatalf("recovery of a connected session: %s", cd.Body)
	}
	if code := old.closeCode(t); code != 1000 {
		t.Errorf("old connection close code %d", code)
	}
	fx.change(t)
	if f := r.expect(t, typeNotification); f.seq() != last.seq()+1 {
		t.Errorf("the new connection carries on: %s", f.Raw)
	}
}

func TestDropConnectionsKeepsSessionsRecoverable(t *testing.T) {
	fx := newWSFixture(t, Config{})
	c, _, last := fx.subscribedClient(t)
	fx.e.DropConnections()
	assertAbrupt(t, c)
	fx.waitDetached(t)
	msg := fx.change(t)
	r, cd := fx.connect(t, last.Header.WSC.Token)
	if state, _ := recoveryOf(t, cd); state != "Successful" {
		t.Fatalf("recovery after DropConnections: %s", cd.Body)
	}
	if n := r.expect(t, typeNotification).notification(t); n.Body.Message != msg {
		t.Fatalf("replay: %+v", n)
	}
	if s := fx.gatewayStats(); s.Drops != 1 {
		t.Errorf("drops = %d, want 1", s.Drops)
	}
}
