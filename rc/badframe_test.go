package rc

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// fakeGateway is a minimal RingCentral look-alike for what the emulator
// never does: send broken frames.
func fakeGateway(t *testing.T, afterSubscribe func(c *websocket.Conn, subID string)) *httptest.Server {
	t.Helper()
	var srv *httptest.Server
	mux := http.NewServeMux()
	mux.HandleFunc("POST /restapi/oauth/token", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"access_token":"at","token_type":"bearer","expires_in":3600,"refresh_token":"rt","refresh_token_expires_in":86400,"owner_id":"1","scope":"x","session_id":"s"}`))
	})
	mux.HandleFunc("POST /restapi/oauth/wstoken", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"uri":"ws` + strings.TrimPrefix(srv.URL, "http") + `/ws","ws_access_token":"wt","expires_in":30}`))
	})
	up := websocket.Upgrader{}
	mux.HandleFunc("GET /ws", func(w http.ResponseWriter, r *http.Request) {
		c, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer c.Close()
		c.WriteMessage(websocket.TextMessage, []byte(`[{"type":"ConnectionDetails","messageId":"cd","status":200,"wsc":{"token":"w1","sequence":1}},{"recoveryTimeout":180,"idleTimeout":1800,"absoluteTimeout":86400,"recoveryBufferSize":100}]`))
		for {
			_, data, err := c.ReadMessage()
			if err != nil {
				return
			}
			var parts []json.RawMessage
			var hdr frameHeader
			if json.Unmarshal(data, &parts) != nil || json.Unmarshal(parts[0], &hdr) != nil || hdr.Type != frameClientRequest {
				continue
			}
			switch hdr.Method {
			case "POST":
				c.WriteMessage(websocket.TextMessage, []byte(`[{"type":"ClientRequest","messageId":"`+hdr.MessageID+`","status":200},{"id":"sub1","eventFilters":["/restapi/v1.0/account/1/presence"],"deliveryMode":{"transportType":"WebSocket"}}]`))
				afterSubscribe(c, "sub1")
			case "DELETE":
				c.WriteMessage(websocket.TextMessage, []byte(`[{"type":"ClientRequest","messageId":"`+hdr.MessageID+`","status":200}]`))
			}
		}
	})
	srv = httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func notificationFrame(seq int, uuid, subID, msg string) []byte {
	return []byte(`[{"type":"ServerNotification","messageId":"` + uuid + `","status":200,"wsc":{"token":"w` + string(rune('0'+seq)) + `","sequence":` + string(rune('0'+seq)) + `}},` +
		`{"uuid":"` + uuid + `","event":"/restapi/v1.0/account/1/extension/2/presence","timestamp":"2026-01-01T00:00:00.000Z","subscriptionId":"` + subID + `","ownerId":"1","body":{"extensionId":"2","message":"` + msg + `"}}]`)
}

func TestReceptionContinuesAfterBadFrames(t *testing.T) {
	srv := fakeGateway(t, func(c *websocket.Conn, sub string) {
		for _, bad := range [][]byte{
			[]byte("not json at all"),
			[]byte(`[{"type":"ServerNotification"},{"uuid":7,"body":[]}]`),
			[]byte(`[{"type":"ServerNotification","wsc":{"sequence":"two"}},{}]`),
			[]byte("[\xff\xfe]"),
			[]byte(strings.Repeat("[", 50000) + strings.Repeat("]", 50000)),
			[]byte(`[{"type":"Heartbeat"},{},{}]`),
			notificationFrame(2, "u-other", "another-subscription", "not ours"),
		} {
			c.WriteMessage(websocket.TextMessage, bad)
		}
		c.WriteMessage(websocket.BinaryMessage, []byte{0, 1, 2})
		c.WriteMessage(websocket.TextMessage, notificationFrame(3, "u-good", sub, "still here"))
	})
	c := New(Config{ServerURL: srv.URL, ClientID: "a", ClientSecret: "b", JWT: "c"}, Options{})
	s := c.Stream([]string{"/restapi/v1.0/account/~/presence"}, fastStream)
	defer closeStream(t, s)
	p := probe(t, s)
	ev := p.next(5*time.Second, "the good notification after the bad frames", func(ev StreamEvent) bool { return ev.Notification != nil })
	if pr, _ := ev.Notification.Presence(); pr.Message == nil || *pr.Message != "still here" {
		t.Fatalf("the first notification through is %s; want the good one (the other subscription's must be dropped)", ev.Notification.UUID)
	}
	for _, ev := range p.drain() {
		if isRecovering(ev) {
			t.Fatalf("a bad frame dropped the connection: %v", ev.Link.Err)
		}
	}
}
