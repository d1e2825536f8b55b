package emulator

import (
	"encoding/base64"
	"net/url"
	"strings"
	"testing"
	"time"
)

// subscribedClient connects, subscribes to the receptionist and receives
// one notification; it returns the client, the subscription and that frame.
func (fx *wsFixture) subscribedClient(t testing.TB) (*wsClient, string, wsFrame) {
	t.Helper()
	c, _ := fx.connect(t, "")
	id := c.subscribe(t, "~")
	fx.change(t)
	return c, id, c.expect(t, typeNotification)
}

// disconnected is a subscribed session whose client dropped the connection
// after its first notification.
func (fx *wsFixture) disconnected(t testing.TB) (subID string, last wsFrame) {
	t.Helper()
	c, subID, last := fx.subscribedClient(t)
	c.drop()
	fx.waitDetached(t)
	return subID, last
}

func TestRecoveryReplaysMissedNotificationsInOrder(t *testing.T) {
	fx := newWSFixture(t, Config{})
	subID, last := fx.disconnected(t)
	missed := fx.changes(t, 3)

	r, cd := fx.recover(t, last.Header.WSC.Token, recoverySuccessful, "")
	if cd.seq() != last.seq() || cd.Header.WSC.Token != last.Header.WSC.Token {
		t.Errorf("ConnectionDetails must name the sequence the client's wsc named (%d): %s", last.seq(), cd.Raw)
	}
	f := r.expect(t, typeNotification)
	if n := f.notification(t); n.SubscriptionID != subID || n.Body.Message != missed[0] || f.seq() != last.seq()+1 {
		t.Fatalf("first replayed frame: %s", f.Raw)
	}
	expectNotifications(t, r, missed[1:], last.seq()+2)
	// Live frames continue after the replay, with no duplicate in between.
	expectNotifications(t, r, fx.changes(t, 1), last.seq()+4)
	if s := fx.gatewayStats(); s.Recovered != 1 || s.RecoveryFailed != 0 {
		t.Errorf("stats: %+v", s)
	}
}

func TestRecoveryWithARefreshedTokenOfTheSameSession(t *testing.T) {
	fx := newWSFixture(t, Config{})
	_, last := fx.disconnected(t)
	resp, body := postForm(t, fx.e, "/restapi/oauth/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {fx.tok.RefreshToken}})
	if resp.StatusCode != 200 {
		t.Fatalf("refresh: %d %s", resp.StatusCode, body)
	}
	mustJSON(t, body, &fx.tok)
	fx.recover(t, last.Header.WSC.Token, recoverySuccessful, "")
}

func TestRecoveryFromAnotherOAuthSessionFailsWith1003(t *testing.T) {
	fx := newWSFixture(t, Config{})
	oldSub, last := fx.disconnected(t)
	fx.tok = login(t, fx.e, fx.e.creds.UserJWT) // a new OAuth session

	r, cd := fx.recover(t, last.Header.WSC.Token, recoveryFailed, codeOtherOAuth)
	if cd.Header.WSC == nil || cd.Header.WSC.Token == last.Header.WSC.Token || cd.seq() != 1 {
		t.Errorf("a failed recovery starts a fresh session with its own wsc: %s", cd.Raw)
	}
	if fx.subscriptionLives(oldSub) {
		t.Errorf("the old context's subscription must be discarded")
	}
	// The client re-creates its subscription on the same connection.
	newSub := r.subscribe(t, "~")
	fx.change(t)
	if f := r.expect(t, typeNotification); f.notification(t).SubscriptionID != newSub || f.seq() != 2 {
		t.Fatalf("notification on the fresh session: %s", f.Raw)
	}
	// The discarded context cannot be recovered afterwards either.
	fx.recover(t, last.Header.WSC.Token, recoveryFailed, codeSessionNotFound)
	if s := fx.gatewayStats(); s.RecoveryFailed != 2 {
		t.Errorf("stats: %+v", s)
	}
}

func TestRecoveryWithoutASubscriptionFailsWith1005(t *testing.T) {
	fx := newWSFixture(t, Config{})
	c, cd := fx.connect(t, "")
	c.drop()
	fx.waitDetached(t)
	r, _ := fx.recover(t, cd.Header.WSC.Token, recoveryFailed, codeSessionNotFound)
	r.subscribe(t, "~")
}

func TestRecoveryAfterRecoveryTimeoutFailsWith1005(t *testing.T) {
	t.Parallel() // waits on real timers
	fx := newWSFixture(t, Config{RecoveryTimeout: 2 * time.Second})
	subID, last := fx.disconnected(t)
	// The session is destroyed by its timer, with its subscription.
	waitFor(t, 3*frameWait, "the gateway session to expire", func() bool { return fx.gatewayStats().Sessions == 0 })
	if fx.subscriptionLives(subID) {
		t.Fatalf("an expired session's subscription must leave the hub")
	}
	fx.recover(t, last.Header.WSC.Token, recoveryFailed, codeSessionNotFound)
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
	_, last := fx.disconnected(t)
	missed := fx.changes(t, 8)
	r, _ := fx.recover(t, last.Header.WSC.Token, recoverySuccessful, "")
	// Only the last five are kept: sequences last+1..last+3 are gone.
	expectNotifications(t, r, missed[3:], last.seq()+4)
	r.heartbeat(t, "only-five") // nothing else was replayed
}

func TestRecoveringAConnectedSessionClosesTheOldConnection(t *testing.T) {
	fx := newWSFixture(t, Config{})
	old, _, last := fx.subscribedClient(t)
	r, _ := fx.recover(t, last.Header.WSC.Token, recoverySuccessful, "")
	if code := old.closeCode(t); code != 1000 {
		t.Errorf("old connection close code %d", code)
	}
	expectNotifications(t, r, fx.changes(t, 1), last.seq()+1)
}

func TestDropConnectionsKeepsSessionsRecoverable(t *testing.T) {
	fx := newWSFixture(t, Config{})
	c, _, last := fx.subscribedClient(t)
	fx.e.DropConnections()
	assertAbrupt(t, c)
	fx.waitDetached(t)
	missed := fx.changes(t, 1)
	r, _ := fx.recover(t, last.Header.WSC.Token, recoverySuccessful, "")
	expectNotifications(t, r, missed, last.seq()+1)
	if s := fx.gatewayStats(); s.Drops != 1 {
		t.Errorf("drops = %d, want 1", s.Drops)
	}
}
