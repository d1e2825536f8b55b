package emulator

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// frameWait bounds every wait for a frame the test expects.
const frameWait = 5 * time.Second

// wsFrame is one server frame as a client sees it.
type wsFrame struct {
	Raw    string
	Parts  int
	Header struct {
		Type      string            `json:"type"`
		MessageID json.RawMessage   `json:"messageId"`
		Status    int               `json:"status"`
		Headers   map[string]string `json:"headers"`
		WSC       *struct {
			Token    string `json:"token"`
			Sequence uint64 `json:"sequence"`
		} `json:"wsc"`
	}
	Body json.RawMessage
}

// seq is the frame's wsc sequence (0 without a wsc).
func (f wsFrame) seq() uint64 {
	if f.Header.WSC == nil {
		return 0
	}
	return f.Header.WSC.Sequence
}

func (f wsFrame) bodyMap(t testing.TB) map[string]any {
	t.Helper()
	var m map[string]any
	mustJSON(t, f.Body, &m)
	return m
}

// errorCodeOf reads the errorCode of an Error frame or an error response.
func (f wsFrame) errorCode(t testing.TB) string {
	t.Helper()
	s, _ := f.bodyMap(t)["errorCode"].(string)
	return s
}

// notification is the envelope of a ServerNotification frame.
type notification struct {
	UUID           string `json:"uuid"`
	Event          string `json:"event"`
	SubscriptionID string `json:"subscriptionId"`
	OwnerID        string `json:"ownerId"`
	Body           struct {
		ExtensionID string `json:"extensionId"`
		Message     string `json:"message"`
		Sequence    int64  `json:"sequence"`
	} `json:"body"`
}

func (f wsFrame) notification(t testing.TB) notification {
	t.Helper()
	if f.Header.Type != typeNotification {
		t.Fatalf("want a ServerNotification, got %s", f.Raw)
	}
	var n notification
	mustJSON(t, f.Body, &n)
	return n
}

// wsClient is a test client: a goroutine reads frames into a channel.
type wsClient struct {
	conn   *websocket.Conn
	frames chan wsFrame
	done   chan struct{}
	err    error        // the read error that ended the client, after done
	pings  atomic.Int32 // server pings received
	pongs  atomic.Int32 // server pongs received
	// mute stops the client answering pings, like a peer that went away.
	mute   atomic.Bool
	nextID int
}

// wsURL is the gateway URL with the given query.
func wsURL(e *Emulator, q url.Values) string {
	return "ws" + strings.TrimPrefix(e.URL(), "http") + "/ws?" + q.Encode()
}

// newWSToken gets a WebSocket token for an access token.
func newWSToken(t testing.TB, e *Emulator, access string) string {
	t.Helper()
	resp, body := call(t, e, access, "POST", "/restapi/oauth/wstoken", nil)
	if resp.StatusCode != 200 {
		t.Fatalf("wstoken: %d %s", resp.StatusCode, body)
	}
	var wt struct {
		Token string `json:"ws_access_token"`
	}
	mustJSON(t, body, &wt)
	return wt.Token
}

// dialRaw opens a socket to the gateway with the given query and header.
func dialRaw(t testing.TB, e *Emulator, q url.Values, h http.Header) *wsClient {
	t.Helper()
	d := websocket.Dialer{HandshakeTimeout: frameWait}
	conn, resp, err := d.Dial(wsURL(e, q), h)
	if err != nil {
		status := 0
		if resp != nil {
			status = resp.StatusCode
		}
		t.Fatalf("dial gateway: %v (HTTP %d)", err, status)
	}
	c := &wsClient{conn: conn, frames: make(chan wsFrame, 100000), done: make(chan struct{})}
	conn.SetPingHandler(func(data string) error {
		c.pings.Add(1)
		if c.mute.Load() {
			return nil
		}
		return conn.WriteControl(websocket.PongMessage, []byte(data), time.Now().Add(time.Second))
	})
	conn.SetPongHandler(func(string) error {
		c.pongs.Add(1)
		return nil
	})
	go c.readLoop()
	t.Cleanup(func() { _ = conn.Close() })
	return c
}

// dial connects with a fresh WS token for access, recovering wsc if set.
func dial(t testing.TB, e *Emulator, access, wsc string) *wsClient {
	t.Helper()
	q := url.Values{"access_token": {newWSToken(t, e, access)}}
	if wsc != "" {
		q.Set("wsc", wsc)
	}
	return dialRaw(t, e, q, nil)
}

func (c *wsClient) readLoop() {
	defer close(c.done)
	for {
		_, data, err := c.conn.ReadMessage()
		if err != nil {
			c.err = err
			return
		}
		var parts []json.RawMessage
		var f wsFrame
		f.Raw = string(data)
		if json.Unmarshal(data, &parts) == nil && len(parts) > 0 {
			f.Parts = len(parts)
			_ = json.Unmarshal(parts[0], &f.Header)
			if len(parts) > 1 {
				f.Body = parts[1]
			}
		}
		c.frames <- f
	}
}

// next returns the next frame; it fails the test if none comes in time or
// the connection ends first.
func (c *wsClient) next(t testing.TB) wsFrame {
	t.Helper()
	timer := time.NewTimer(frameWait)
	defer timer.Stop()
	select {
	case f := <-c.frames:
		return f
	case <-timer.C:
		t.Fatalf("no frame within %v", frameWait)
	case <-c.done:
		select {
		case f := <-c.frames:
			return f
		default:
		}
		t.Fatalf("connection ended while waiting for a frame: %v", c.err)
	}
	return wsFrame{}
}

// expect returns the next frame and checks its type.
func (c *wsClient) expect(t testing.TB, typ string) wsFrame {
	t.Helper()
	f := c.next(t)
	if f.Header.Type != typ {
		t.Fatalf("want a %s frame, got %s", typ, f.Raw)
	}
	return f
}

// closed waits for the server to end the connection and returns the read
// error: a *websocket.CloseError after a close frame, anything else after
// an abrupt close.
func (c *wsClient) closed(t testing.TB) error {
	t.Helper()
	timer := time.NewTimer(frameWait)
	defer timer.Stop()
	select {
	case <-c.done:
		return c.err
	case <-timer.C:
		t.Fatalf("connection still open after %v", frameWait)
	}
	return nil
}

// closeCode waits for a graceful close and returns its code.
func (c *wsClient) closeCode(t testing.TB) int {
	t.Helper()
	err := c.closed(t)
	var ce *websocket.CloseError
	if !errors.As(err, &ce) {
		t.Fatalf("want a close frame, got %v", err)
	}
	return ce.Code
}

// assertAbrupt waits for the connection to end without a close frame.
func assertAbrupt(t testing.TB, c *wsClient) {
	t.Helper()
	err := c.closed(t)
	var ce *websocket.CloseError
	// gorilla reports a TCP close without a close frame as 1006.
	if errors.As(err, &ce) && ce.Code != websocket.CloseAbnormalClosure {
		t.Fatalf("want an abrupt close, got close frame %d %q", ce.Code, ce.Text)
	}
}

func (c *wsClient) sendRaw(t testing.TB, s string) {
	t.Helper()
	if err := c.conn.WriteMessage(websocket.TextMessage, []byte(s)); err != nil {
		t.Fatalf("write: %v", err)
	}
}

// sendRequest sends a ClientRequest and returns its messageId.
func (c *wsClient) sendRequest(t testing.TB, method, path string, body any) string {
	t.Helper()
	c.nextID++
	id := fmt.Sprintf("req-%d", c.nextID)
	msg := []any{map[string]any{"type": "ClientRequest", "messageId": id, "method": method, "path": path}}
	if body != nil {
		msg = append(msg, body)
	}
	b, _ := json.Marshal(msg)
	c.sendRaw(t, string(b))
	return id
}

// request sends a ClientRequest and returns the response, which must be the
// next frame.
func (c *wsClient) request(t testing.TB, method, path string, body any) wsFrame {
	t.Helper()
	id := c.sendRequest(t, method, path, body)
	f := c.expect(t, typeClientRequest)
	if string(f.Header.MessageID) != strconv.Quote(id) {
		t.Fatalf("response messageId %s, want %q", f.Header.MessageID, id)
	}
	return f
}

// heartbeat sends a Heartbeat and waits for its echo: every frame the
// server queued before it has then arrived.
func (c *wsClient) heartbeat(t testing.TB, id string) {
	t.Helper()
	c.sendRaw(t, `[{"type":"Heartbeat","messageId":"`+id+`"}]`)
	f := c.expect(t, typeHeartbeat)
	if string(f.Header.MessageID) != strconv.Quote(id) {
		t.Fatalf("heartbeat echo %s, want %q", f.Raw, id)
	}
}

// drop closes the client side abruptly.
func (c *wsClient) drop() { _ = c.conn.NetConn().Close() }

// presenceFilter is a subscription body for one extension's presence.
func presenceFilter(ext string) map[string]any {
	return map[string]any{
		"eventFilters": []string{"/restapi/v1.0/account/~/extension/" + ext + "/presence"},
		"deliveryMode": map[string]any{"transportType": "WebSocket"},
	}
}

// subscribe creates the session's subscription and returns its id.
func (c *wsClient) subscribe(t testing.TB, ext string) string {
	t.Helper()
	f := c.request(t, "POST", subscriptionPath, presenceFilter(ext))
	if f.Header.Status != 200 {
		t.Fatalf("subscribe: %s", f.Raw)
	}
	id, _ := f.bodyMap(t)["id"].(string)
	return id
}

// wsFixture is an emulator, a logged-in receptionist and helpers to change
// the receptionist's presence.
type wsFixture struct {
	e     *Emulator
	tok   tokenResp
	ext   string
	extID int64
	n     int
}

func newWSFixture(t testing.TB, cfg Config) *wsFixture {
	t.Helper()
	if cfg.RateLimits == nil && !cfg.RateLimitsOff {
		cfg.RateLimitsOff = true
	}
	e := startEmu(t, cfg)
	fx := &wsFixture{e: e, tok: login(t, e, e.creds.UserJWT), ext: e.creds.Receptionist.ExtensionID}
	fx.extID, _ = strconv.ParseInt(fx.ext, 10, 64)
	return fx
}

// connect opens a socket and reads its ConnectionDetails.
func (fx *wsFixture) connect(t testing.TB, wsc string) (*wsClient, wsFrame) {
	t.Helper()
	c := dial(t, fx.e, fx.tok.AccessToken, wsc)
	return c, c.expect(t, typeConnectionDetails)
}

// change makes one presence change and returns the status message it set.
func (fx *wsFixture) change(t testing.TB) string {
	t.Helper()
	fx.n++
	msg := fmt.Sprintf("change %d", fx.n)
	if err := fx.e.SetPresence(fx.extID, PresenceUpdate{Message: &msg}); err != nil {
		t.Fatalf("set presence: %v", err)
	}
	return msg
}

// gatewayStats reads the gateway counters.
func (fx *wsFixture) gatewayStats() GatewayStats { return fx.e.Stats().Gateway }

// waitDetached waits until the gateway has no live connection.
func (fx *wsFixture) waitDetached(t testing.TB) {
	t.Helper()
	waitFor(t, frameWait, "the gateway to notice the disconnect", func() bool { return fx.gatewayStats().Active == 0 })
}

// changes makes n presence changes and returns their status messages.
func (fx *wsFixture) changes(t testing.TB, n int) []string {
	t.Helper()
	var out []string
	for range n {
		out = append(out, fx.change(t))
	}
	return out
}

// recover connects with wsc and checks recoveryState and recoveryErrorCode.
func (fx *wsFixture) recover(t testing.TB, wsc, wantState, wantCode string) (*wsClient, wsFrame) {
	t.Helper()
	c, cd := fx.connect(t, wsc)
	b := cd.bodyMap(t)
	if state, _ := b["recoveryState"].(string); state != wantState {
		t.Fatalf("recoveryState %q, want %q: %s", state, wantState, cd.Body)
	}
	if code, _ := b["recoveryErrorCode"].(string); code != wantCode {
		t.Fatalf("recoveryErrorCode %q, want %q: %s", code, wantCode, cd.Body)
	}
	return c, cd
}

// expectNotifications reads one notification per message, in order, with
// consecutive wsc sequences from firstSeq.
func expectNotifications(t testing.TB, c *wsClient, msgs []string, firstSeq uint64) {
	t.Helper()
	for i, msg := range msgs {
		f := c.expect(t, typeNotification)
		if got := f.notification(t).Body.Message; got != msg || f.seq() != firstSeq+uint64(i) {
			t.Fatalf("notification %d: %q seq %d, want %q seq %d", i, got, f.seq(), msg, firstSeq+uint64(i))
		}
	}
}

// subscriptionLives reports whether the hub still has the subscription.
func (fx *wsFixture) subscriptionLives(id string) bool {
	fx.e.p.mu.Lock()
	defer fx.e.p.mu.Unlock()
	_, ok := fx.e.p.hub.lookup(id)
	return ok
}
