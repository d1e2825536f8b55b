package emulator

import (
	"bufio"
	"cmp"
	crand "crypto/rand"
	"encoding/json"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
)

// gateway is the WebSocket gateway (WSG, rc-api.md §2): it upgrades GET /ws,
// runs gateway sessions with their single subscription, recovery and
// timeouts, and injects the WebSocket faults.
//
// Where rc-api.md has no capture, the gateway chooses (and tests):
//   - Credentials are checked after the upgrade. No token: close 4400 (seen
//     by a third party). Unknown or expired token: an Error frame OAU-213
//     "Token not found", then close 4401. Malformed or forged wsc: Error
//     WSG-400, then close 4400.
//   - A WS token may open connections until it expires, one at a time (see
//     wsToken): the connection it opened before is closed with 1000.
//   - Error frames carry {type:"Error", messageId} and a body
//     {errorCode, message}; the messageId echoes the client frame they answer.
//     Unparseable client frames get WSG-422 and the connection stays open.
//   - wsc rides on ConnectionDetails and ServerNotification frames only.
//     ConnectionDetails of a fresh session is sequence 1.
//   - A failed ClientRequest is [{type:"ClientRequest",messageId,status,
//     headers}, <standard error JSON>]; DELETE answers 204, header only.
//   - The RecoveryFail fault answers WSG-1005, like a node that does not
//     know the session. WSG-902 and WSG-903 are followed by close 1000; a
//     revoked OAuth session closes with 4401; Close sends 1001.
//   - Half-open loses what it "sends" (the ring keeps notifications for
//     recovery); a close it was asked for waits until the link is back.
type gateway struct {
	e        *Emulator
	p        *Platform
	cfg      Config
	key      []byte // HMAC key of wsc tokens, fresh for each emulator
	upgrader websocket.Upgrader
	faultsP  atomic.Pointer[Faults]
	// Knobs tests turn down: how long a ping may go unanswered, and how
	// many frames a connection may have queued before it is dropped.
	pongWaitNs atomic.Int64
	maxQueue   atomic.Int64

	// Guarded by p.mu.
	sessions map[uint64]*gwSession
	nextID   uint64
	closed   bool

	mu    sync.Mutex // guards conns; never held while taking p.mu
	conns map[*wsConn]struct{}

	wg sync.WaitGroup // connection handlers and writers
}

// GatewayStats counts what the WebSocket gateway did.
type GatewayStats struct {
	Connections      int `json:"connections"` // connections that got ConnectionDetails
	Active           int `json:"active"`
	Sessions         int `json:"sessions"` // live gateway sessions, connected or not
	Recovered        int `json:"recovered"`
	RecoveryFailed   int `json:"recoveryFailed"`
	Drops            int `json:"drops"` // abrupt closes: faults, DropConnections, slow clients
	IdleTimeouts     int `json:"idleTimeouts"`
	AbsoluteTimeouts int `json:"absoluteTimeouts"`
	Refused          int `json:"refused"` // no or bad token, malformed wsc
}

func newGateway(e *Emulator) *gateway {
	g := &gateway{
		e: e, p: e.p, cfg: e.cfg,
		key:      make([]byte, 32),
		sessions: map[uint64]*gwSession{},
		conns:    map[*wsConn]struct{}{},
		upgrader: websocket.Upgrader{
			// Clients are programs, not browsers, and the server is loopback only.
			CheckOrigin: func(*http.Request) bool { return true },
		},
	}
	_, _ = crand.Read(g.key)
	f := e.faults.get()
	g.faultsP.Store(&f)
	g.pongWaitNs.Store(int64(10 * time.Second))
	g.maxQueue.Store(10000)
	return g
}

// faults are the faults in force (read-only).
func (g *gateway) faults() *Faults { return g.faultsP.Load() }

func (g *gateway) pongWait() time.Duration { return time.Duration(g.pongWaitNs.Load()) }

// wsTokenOf reads the WS access token from the query or the Authorization
// header (rc-api.md §2.2).
func wsTokenOf(r *http.Request) string {
	if tok := r.URL.Query().Get("access_token"); tok != "" {
		return tok
	}
	tok, _ := bearerToken(r.Header.Get("Authorization"))
	return tok
}

// ServeHTTP upgrades GET /ws and then serves the connection: this goroutine
// reads, a second one writes. Credentials are checked after the upgrade, as
// the real gateway does (it closes with 4400 when there is no token).
func (g *gateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	e := g.e
	rec := e.startRecord(RequestRecord{Time: time.Now(), Method: r.Method, Path: r.URL.Path, Via: viaWSUpgrade})
	if e.faults.isUnresponsive() {
		e.hang(r)
	}
	if e.faults.get().RefuseUpgrades {
		e.finishRecord(rec, func(x *RequestRecord) { x.Status = http.StatusServiceUnavailable })
		http.Error(w, "Service Unavailable", http.StatusServiceUnavailable)
		return
	}
	tok := wsTokenOf(r)
	wsc := r.URL.Query().Get("wsc")
	uw := &upgradeWriter{ResponseWriter: w}
	ws, err := g.upgrader.Upgrade(uw, r, w.Header())
	if err != nil {
		// The upgrader has answered (400 for a bad handshake).
		e.finishRecord(rec, func(x *RequestRecord) { x.Status = cmp.Or(uw.status, http.StatusBadRequest) })
		return
	}
	c := newConn(g, ws)
	p := g.p
	p.mu.Lock()
	if g.closed {
		p.mu.Unlock()
		c.abort()
		e.finishRecord(rec, func(x *RequestRecord) { x.Status, x.CloseCode = http.StatusSwitchingProtocols, 1006 })
		return
	}
	g.wg.Add(2) // this handler and the writer; under p.mu so close() cannot be waiting yet
	g.mu.Lock()
	g.conns[c] = struct{}{}
	g.mu.Unlock()
	var out upgradeOutcome
	outcome := g.open(c, tok, wsc, &out)
	p.mu.Unlock()
	e.finishRecord(rec, func(x *RequestRecord) {
		x.Status, x.CloseCode, x.ErrorCode = http.StatusSwitchingProtocols, out.closeCode, out.errorCode
		x.User, x.Session = out.user, out.session
	})
	e.log.Debug("websocket upgraded", outcome...)

	go c.writeLoop()
	c.readLoop()
	<-c.writerDone
	g.e.log.Debug("websocket closed", g.detach(c)...)
	g.wg.Done()
}

// upgradeOutcome is what the request log learns about an upgrade.
type upgradeOutcome struct {
	closeCode     int
	errorCode     string
	user, session string
}

// upgradeWriter remembers the status of a refused handshake.
type upgradeWriter struct {
	http.ResponseWriter
	status int
}

func (u *upgradeWriter) WriteHeader(code int) {
	u.status = code
	u.ResponseWriter.WriteHeader(code)
}

func (u *upgradeWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	return http.NewResponseController(u.ResponseWriter).Hijack()
}

// refuse sends an Error frame with errorCode (none if "") and closes with
// code (under p.mu); it returns what to log.
func (g *gateway) refuse(c *wsConn, out *upgradeOutcome, errorCode, message string, code int) []any {
	g.p.stats.Gateway.Refused++
	if errorCode != "" {
		c.send(errorFrame(nil, errorCode, message), false)
	}
	c.requestClose(&closeRequest{code: code, text: message})
	out.closeCode, out.errorCode = code, errorCode
	return []any{"refused", message}
}

// open authenticates a new connection and gives it a gateway session, fresh
// or recovered (rc-api.md §2.7), then queues ConnectionDetails and, on a
// successful recovery, the frames the client missed (under p.mu). It
// returns what to log, which never includes a token or a wsc.
func (g *gateway) open(c *wsConn, tok, wsc string, out *upgradeOutcome) []any {
	p := g.p
	if tok == "" {
		return g.refuse(c, out, "", "Access token is missing", 4400)
	}
	oauth, ok := p.wsTokenSession(tok)
	if !ok {
		return g.refuse(c, out, codeWSTokenNotFound, msgWSTokenNotFound, 4401)
	}
	out.user, out.session = oauth.ext.IDString(), oauth.id
	details := connectionDetails{}
	var s *gwSession
	var named uint64 // the sequence the client's wsc names
	if wsc != "" {
		id, seq, ok := g.parseWSC(wsc)
		if !ok {
			return g.refuse(c, out, codeMalformedWSC, msgMalformedWSC, 4400)
		}
		old := g.sessions[id]
		if code := g.recoveryError(old, oauth); code != "" {
			details.RecoveryState, details.RecoveryErrorCode = recoveryFailed, code
			p.stats.Gateway.RecoveryFailed++
			if old != nil {
				g.destroy(old, &closeRequest{code: 1000, text: "Session context discarded"})
			}
		} else {
			details.RecoveryState = recoverySuccessful
			p.stats.Gateway.Recovered++
			s, named = old, min(seq, old.seq)
		}
	}
	if s == nil {
		s = g.newSession(oauth)
		named = s.seq
	}
	if prev := p.bindWSToken(tok, c); prev != nil {
		prev.requestClose(&closeRequest{code: 1000, text: "WebSocket token used by another connection"})
	}
	g.attach(s, c)
	p.stats.Gateway.Connections++
	p.stats.Gateway.Active++

	cfg := g.cfg
	details.CreationTime = rcOffsetTime(s.created)
	details.MaxConnectionsPerSession = 50
	details.RecoveryBufferSize = cfg.RecoveryBufferSize
	details.RecoveryTimeout = seconds(cfg.RecoveryTimeout)
	details.IdleTimeout = seconds(cfg.IdleTimeout)
	details.AbsoluteTimeout = seconds(cfg.AbsoluteTimeout)
	details.MaxActiveRequests = 10
	body, _ := json.Marshal(details)
	rid := newRequestID()
	c.send(encodeFrame(frameHeader{
		Type:      typeConnectionDetails,
		MessageID: jsonString(rid),
		Status:    200,
		Headers:   map[string]string{"RCRequestId": rid},
		WSC:       &wscJSON{Token: g.wscToken(s.id, named), Sequence: named},
	}, body), false)
	replayed := 0
	if details.RecoveryState == recoverySuccessful {
		frames := s.ring.after(named)
		for _, fr := range frames {
			c.send(fr, false)
		}
		replayed = len(frames)
	}
	return []any{"session", s.id, "user", oauth.ext.IDString(), "recovery", details.RecoveryState,
		"recoveryError", details.RecoveryErrorCode, "replayed", replayed}
}

// detach forgets a finished connection; its session, if still alive, waits
// RecoveryTimeout for a recovery. It returns what to log.
func (g *gateway) detach(c *wsConn) []any {
	p := g.p
	p.mu.Lock()
	defer p.mu.Unlock()
	g.mu.Lock()
	delete(g.conns, c)
	g.mu.Unlock()
	c.mu.Lock()
	reason := c.reason
	c.mu.Unlock()
	switch reason {
	case endDropped, endOverflow:
		p.stats.Gateway.Drops++
	case endIdle:
		p.stats.Gateway.IdleTimeouts++
	}
	s := c.sess
	if s == nil {
		return []any{"refused", true}
	}
	p.stats.Gateway.Active--
	if s.conn == c {
		g.detached(s)
	}
	return []any{"session", s.id, "reason", reason.String(), "sessionEnded", s.ended}
}

// handleFrame answers one client frame (on the reader goroutine).
func (g *gateway) handleFrame(c *wsConn, data []byte) {
	fr, problem := parseClientFrame(data)
	if problem != "" {
		c.send(errorFrame(fr.Header.MessageID, codeMalformedFrame, "Malformed message: "+problem), false)
		return
	}
	switch fr.Header.Type {
	case typeHeartbeat:
		c.send(encodeFrame(frameHeader{Type: typeHeartbeat, MessageID: fr.Header.MessageID}, nil), false)
	case typeClientRequest:
		p := g.p
		p.mu.Lock()
		defer p.mu.Unlock()
		if s := c.sess; !s.ended && s.conn == c {
			// Queued under p.mu: the response precedes any notification it causes.
			c.send(g.clientRequest(s, fr), false)
		}
	default:
		c.send(errorFrame(fr.Header.MessageID, codeMalformedFrame, "Malformed message: unsupported message type"), false)
	}
}

// snapshot lists the live connections.
func (g *gateway) snapshot() []*wsConn {
	g.mu.Lock()
	defer g.mu.Unlock()
	out := make([]*wsConn, 0, len(g.conns))
	for c := range g.conns {
		out = append(out, c)
	}
	return out
}

// sessionEnded is called under Platform.mu when an OAuth session is revoked:
// its gateway sessions end and their connections close (by their writers).
func (g *gateway) sessionEnded(sessionID string) {
	for _, s := range g.sessions {
		if s.oauth.id == sessionID {
			g.destroy(s, &closeRequest{code: 4401, text: "OAuth session ended"})
		}
	}
}

// faultsChanged is called after Emulator.SetFaults: every writer re-reads
// the faults (half-open, drop timers).
func (g *gateway) faultsChanged() {
	f := g.e.faults.get()
	g.faultsP.Store(&f)
	for _, c := range g.snapshot() {
		c.mu.Lock()
		c.rearm = true
		c.mu.Unlock()
		c.poke()
	}
}

// dropAll closes every connection abruptly; sessions stay recoverable.
func (g *gateway) dropAll() {
	for _, c := range g.snapshot() {
		c.setReason(endDropped)
		c.abort()
	}
}

// close shuts every connection down (close code 1001) and returns once no
// gateway goroutine is left.
func (g *gateway) close() {
	p := g.p
	p.mu.Lock()
	g.closed = true
	for _, s := range g.sessions {
		s.stopTimers()
	}
	p.mu.Unlock()
	halfOpen := g.faults().HalfOpen
	for _, c := range g.snapshot() {
		if halfOpen {
			c.abort() // a half-open connection could not say goodbye anyway
			continue
		}
		c.requestClose(&closeRequest{code: websocket.CloseGoingAway, text: "Emulator shutting down"})
	}
	done := make(chan struct{})
	go func() {
		g.wg.Wait()
		close(done)
	}()
	t := time.NewTimer(2 * closeGrace)
	defer t.Stop()
	select {
	case <-done:
	case <-t.C:
		for _, c := range g.snapshot() {
			c.abort()
		}
		<-done
	}
}
