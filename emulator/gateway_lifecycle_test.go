package emulator

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// gatewayGoroutines counts goroutines running gateway code.
func gatewayGoroutines() int {
	buf := make([]byte, 1<<22)
	buf = buf[:runtime.Stack(buf, true)]
	n := 0
	for _, g := range strings.Split(string(buf), "\n\n") {
		if strings.Contains(g, "emulator.(*wsConn)") || strings.Contains(g, "emulator.(*gateway)") {
			n++
		}
	}
	return n
}

func closeIdleHTTP() { http.DefaultTransport.(*http.Transport).CloseIdleConnections() }

func TestDropAllAndCloseLeaveNoGoroutines(t *testing.T) {
	fx := newWSFixture(t, Config{PingInterval: 20 * time.Millisecond, RecoveryTimeout: time.Minute})
	closeIdleHTTP()
	baseline := runtime.NumGoroutine()

	open := func() []*wsClient {
		var cs []*wsClient
		for range 3 {
			c, _ := fx.connect(t, "")
			c.subscribe(t, "~")
			cs = append(cs, c)
		}
		fx.change(t)
		for _, c := range cs {
			c.expect(t, typeNotification)
		}
		// One socket that never reads: its writer may be mid-write.
		d := websocket.Dialer{}
		raw, _, err := d.Dial(wsURL(fx.e, url.Values{"access_token": {newWSToken(t, fx.e, fx.tok.AccessToken)}}), nil)
		if err != nil {
			t.Fatalf("dial: %v", err)
		}
		t.Cleanup(func() { _ = raw.Close() })
		closeIdleHTTP()
		waitFor(t, frameWait, "four connections", func() bool { return fx.gatewayStats().Active == 4 })
		return cs
	}

	cs := open()
	fx.e.DropConnections()
	for _, c := range cs {
		assertAbrupt(t, c)
	}
	waitFor(t, frameWait, "no gateway goroutine after DropConnections", func() bool { return gatewayGoroutines() == 0 })
	if s := fx.gatewayStats(); s.Active != 0 || s.Sessions != 4 {
		t.Errorf("after DropConnections sessions stay recoverable: %+v", s)
	}

	cs = open()
	if err := fx.e.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}
	waitFor(t, frameWait, "no gateway goroutine after Close", func() bool { return gatewayGoroutines() == 0 })
	for _, c := range cs {
		if code := c.closeCode(t); code != websocket.CloseGoingAway {
			t.Errorf("close code %d on shutdown, want 1001", code)
		}
	}
	waitFor(t, frameWait, "the goroutine count to return to its baseline", func() bool {
		closeIdleHTTP()
		return runtime.NumGoroutine() <= baseline
	})
	// A connection attempt after Close is refused.
	if _, _, err := (&websocket.Dialer{}).Dial(wsURL(fx.e, url.Values{}), nil); err == nil {
		t.Errorf("the gateway accepted a connection after Close")
	}
}

func TestCloseWhileHalfOpenIsPrompt(t *testing.T) {
	fx := newWSFixture(t, Config{})
	c, _ := fx.connect(t, "")
	fx.e.SetFaults(Faults{HalfOpen: true})
	if err := fx.e.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}
	assertAbrupt(t, c)
	waitFor(t, frameWait, "no gateway goroutine after Close", func() bool { return gatewayGoroutines() == 0 })
}

// FuzzClientFrame feeds untrusted frames through parsing and request
// handling: nothing may panic and every answer is a JSON array.
func FuzzClientFrame(f *testing.F) {
	for _, seed := range []string{
		`[{"type":"ClientRequest","messageId":"1","method":"POST","path":"/restapi/v1.0/subscription"},{"eventFilters":["/restapi/v1.0/account/~/presence"],"deliveryMode":{"transportType":"WebSocket"}}]`,
		`[{"type":"ClientRequest","messageId":"2","method":"PUT","path":"/restapi/v1.0/subscription/x/"},{"eventFilters":[]}]`,
		`[{"type":"ClientRequest","messageId":3,"method":"delete","path":"/restapi/v1.0/subscription/x?y=1"},""]`,
		`[{"type":"ClientRequest","method":"GET","path":"/restapi/v1.0/subscription"}]`,
		`[{"type":"Heartbeat","messageId":"h"}]`,
		`[{"type":"ClientRequest","messageId":{"a":[1]},"path":5}]`,
		`[]`, `{}`, `"x"`, `[null]`, `[{}, null, 1]`,
	} {
		f.Add([]byte(seed))
	}
	e, err := Start(Config{Users: 10, Queues: 1, Seed: 3, RateLimitsOff: true}, nil)
	if err != nil {
		f.Fatalf("start: %v", err)
	}
	defer e.Close()
	p, g := e.p, e.gw
	p.mu.Lock()
	jwtSess := p.newSession(p.dir.Receptionist, &http.Request{}, p.now())
	s := g.newSession(jwtSess)
	p.mu.Unlock()

	f.Fuzz(func(t *testing.T, data []byte) {
		fr, problem := parseClientFrame(data)
		var out []byte
		if problem != "" {
			out = errorFrame(fr.Header.MessageID, codeMalformedFrame, "Malformed message: "+problem)
		} else {
			p.mu.Lock()
			out = g.clientRequest(s, fr)
			p.mu.Unlock()
		}
		var parts []json.RawMessage
		if err := json.Unmarshal(out, &parts); err != nil || len(parts) == 0 || len(parts) > 2 {
			t.Fatalf("answer to %q is not a frame: %s", data, out)
		}
		if bytes.Contains(out, []byte("\n")) {
			t.Fatalf("answer is not compact: %s", out)
		}
	})
}

func TestGatewayLogsNoSecrets(t *testing.T) {
	logFile, err := os.Create(filepath.Join(t.TempDir(), "emulator.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer logFile.Close()
	log := slog.New(slog.NewTextHandler(logFile, &slog.HandlerOptions{Level: slog.LevelDebug}))
	e, err := Start(Config{Users: 10, Queues: 1, Seed: 5, RateLimitsOff: true}, log)
	if err != nil {
		t.Fatalf("start: %v", err)
	}
	defer e.Close()
	fx := &wsFixture{e: e, tok: login(t, e, e.creds.UserJWT)}
	c, cd := fx.connect(t, "")
	c.subscribe(t, "~")
	c.drop()
	fx.waitDetached(t)
	tok := newWSToken(t, e, fx.tok.AccessToken)
	r := dialRaw(t, e, url.Values{"access_token": {tok}, "wsc": {cd.Header.WSC.Token}}, nil)
	r.expect(t, typeConnectionDetails)
	dialRaw(t, e, url.Values{"access_token": {tok}}, nil).expect(t, typeConnectionDetails) // reused: r is closed
	r.closeCode(t)
	dialRaw(t, e, url.Values{"access_token": {newWSToken(t, e, fx.tok.AccessToken)}, "wsc": {"garbage-wsc"}}, nil).closeCode(t)
	_ = e.Close()

	b, _ := os.ReadFile(logFile.Name())
	out := string(b)
	if !strings.Contains(out, "websocket upgraded") || !strings.Contains(out, "recovery=Successful") {
		t.Fatalf("expected connection logs, got:\n%s", out)
	}
	for _, secret := range []string{tok, cd.Header.WSC.Token, "garbage-wsc", fx.tok.AccessToken} {
		if strings.Contains(out, secret) {
			t.Errorf("the log holds a secret %.8s…", secret)
		}
	}
}
