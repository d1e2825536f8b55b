// Package emulator is a faithful RingCentral platform for demos, tests and
// benchmarks: OAuth, the REST endpoints a presence console uses, telephony
// sessions and Call Control, the WebSocket gateway with its subscriptions
// and session recovery, a simulated call centre that makes realistic
// presence and call traffic, and fault injection.
//
// It never imports the client packages (rc, state): if the two sides shared
// types they could be wrong together and every test would still pass. Wire
// facts come from ../shared/rc-api.md, cited by section.
package emulator

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"time"
)

// Emulator is a running emulated platform on a loopback address.
type Emulator struct {
	cfg    Config
	p      *Platform
	faults faultBox
	creds  Credentials
	ln     net.Listener
	srv    *http.Server
	mux    *http.ServeMux
	gw     *gateway
	sim    *simulation
	log    *slog.Logger

	closeOnce sync.Once
	reqMu     sync.Mutex
	requests  []*RequestRecord

	// Requests the emulator never answers wait for stop (closed by Close).
	hangMu   sync.Mutex
	stopping bool
	hanging  int // requests being held unanswered
	stop     chan struct{}
	hangs    sync.WaitGroup
}

// Start builds the account from cfg and serves it on cfg.Listen.
func Start(cfg Config, log *slog.Logger) (*Emulator, error) {
	cfg = cfg.withDefaults()
	cfg.Faults.OAuthRules = slices.Clone(cfg.Faults.OAuthRules) // validate normalises them
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	host, _, err := net.SplitHostPort(cfg.Listen)
	if err != nil {
		return nil, fmt.Errorf("listen address %q: %w", cfg.Listen, err)
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return nil, fmt.Errorf("listen address %q is not loopback; the emulator only serves 127.0.0.1 or ::1", cfg.Listen)
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	e := &Emulator{cfg: cfg, log: log, mux: http.NewServeMux(), stop: make(chan struct{})}
	e.faults.set(cfg.Faults)
	e.faults.seed(cfg.Seed)
	e.p = newPlatform(cfg, &e.faults)
	if cfg.NoCallControl {
		// The token's scope list must not offer what the app lacks.
		if err := cfg.Permissions.DenyScope(ScopeCallControl); err != nil {
			return nil, fmt.Errorf("permissions: %w", err)
		}
	}
	if err := e.p.setPermissions(cfg.Permissions); err != nil {
		return nil, fmt.Errorf("permissions: %w", err)
	}
	e.creds = e.p.issueCredentials()

	e.ln, err = net.Listen("tcp", cfg.Listen)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", cfg.Listen, err)
	}
	e.p.base = "http://" + e.ln.Addr().String()
	e.creds.ServerURL = e.p.base

	e.mux.HandleFunc("POST /restapi/oauth/token", e.logged(Auth, e.handleToken))
	e.mux.HandleFunc("POST /restapi/oauth/revoke", e.logged(Auth, e.handleRevoke))
	e.mux.HandleFunc("POST /restapi/oauth/wstoken", e.logged(Auth, e.handleWSToken))
	e.registerREST()
	e.registerControl()
	e.gw = newGateway(e)
	e.mux.Handle("GET /ws", e.gw)
	e.p.onSessionEnd = e.gw.sessionEnded

	e.srv = &http.Server{
		Handler:           e.withCommonHeaders(e.mux),
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelDebug),
	}
	go func() {
		if err := e.srv.Serve(e.ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("emulator server stopped", "err", err)
		}
	}()
	e.sim = newSimulation(e)
	e.sim.start()
	return e, nil
}

// URL is the server URL (RC_SERVER_URL).
func (e *Emulator) URL() string { return e.p.base }

// Credentials returns the app credentials and the users' JWTs.
func (e *Emulator) Credentials() Credentials { return e.creds }

// Config returns the effective configuration (defaults filled in).
func (e *Emulator) Config() Config { return e.cfg }

// Platform gives tests and the simulation direct access to the state.
func (e *Emulator) Platform() *Platform { return e.p }

// Truth returns the ground truth.
func (e *Emulator) Truth() Truth { return e.p.Truth() }

// Faults returns the faults in force.
func (e *Emulator) Faults() Faults { return e.faults.get() }

// SetFaults replaces the faults in force. Unlike the control API it does not
// check them: an OAuth rule that is not valid is ignored.
func (e *Emulator) SetFaults(f Faults) {
	e.faults.set(f)
	e.gw.faultsChanged()
}

// Pause stops simulated traffic; client writes still apply.
func (e *Emulator) Pause() { e.sim.pause() }

// Resume restarts simulated traffic.
func (e *Emulator) Resume() { e.sim.resume() }

// DropConnections closes every WebSocket connection abruptly.
func (e *Emulator) DropConnections() { e.gw.dropAll() }

// Stats returns a copy of the counters.
func (e *Emulator) Stats() Stats {
	p := e.p
	p.mu.Lock()
	defer p.mu.Unlock()
	s := p.stats
	s.Requests = cloneMap(p.stats.Requests)
	s.Throttled = cloneMap(p.stats.Throttled)
	s.RequestsByMethod = cloneMap(p.stats.RequestsByMethod)
	e.hangMu.Lock()
	s.Hanging = e.hanging
	e.hangMu.Unlock()
	return s
}

// SetPresence applies a presence change as the control API would: without
// the REST rules on who may change what, but with its value checks.
func (e *Emulator) SetPresence(extID int64, u PresenceUpdate) error {
	var err error
	e.p.Mutate(func(tx *Tx) {
		ext, ok := e.p.dir.ByID[extID]
		if !ok {
			err = fmt.Errorf("no extension %d", extID)
			return
		}
		if ae := tx.ApplyPresence(ext, u); ae != nil {
			err = ae
		}
	})
	return err
}

// Close stops the simulation, closes every connection and the server.
func (e *Emulator) Close() error {
	var err error
	e.closeOnce.Do(func() {
		// Requests left unanswered on purpose end first, connection dropped.
		e.hangMu.Lock()
		e.stopping = true
		close(e.stop)
		e.hangMu.Unlock()
		e.hangs.Wait()
		e.sim.stop()
		e.gw.close()
		// Connections a client opened but never used stay "new" for 5 s
		// and hold Shutdown; an emulator need not wait for them.
		ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
		defer cancel()
		err = e.srv.Shutdown(ctx)
		if errors.Is(err, context.DeadlineExceeded) {
			err = e.srv.Close()
		}
	})
	return err
}

func cloneMap[K comparable, V any](m map[K]V) map[K]V {
	out := make(map[K]V, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// withCommonHeaders adds the headers every RingCentral response carries.
func (e *Emulator) withCommonHeaders(h http.Handler) http.Handler {
	var n uint64
	var mu sync.Mutex
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		n++
		id := fmt.Sprintf("%08x-0000-0000-0000-%012x", n, uint64(time.Now().UnixNano())&0xffffffffffff)
		mu.Unlock()
		w.Header().Set("RCRequestId", id)
		w.Header().Set("RoutingKey", "EMU01P01")
		w.Header().Set("Content-Language", "en-US")
		w.Header().Set("Server", "rchud-emulator")
		h.ServeHTTP(w, r)
	})
}

// begin is the common front of every REST handler: added latency, the
// bearer token, fault rules and random faults, and the rate limit of group.
// On success it returns the caller's session with e.p.mu HELD; the handler
// must unlock it. On failure it has written the response and holds nothing.
func (e *Emulator) begin(w http.ResponseWriter, r *http.Request, g Group) (*oauthSession, bool) {
	faults := e.faults.get()
	if faults.Latency > 0 {
		time.Sleep(faults.Latency)
	}
	p := e.p
	p.mu.Lock()
	s, err := p.authenticate(r)
	if err != nil {
		p.mu.Unlock()
		writeAuthError(w, err)
		return nil, false
	}
	note := noteOf(r)
	note.user, note.session = s.ext.IDString(), s.id
	p.stats.RequestsByMethod[r.Method+" "+string(g)]++
	if rule, ok := e.faults.takeRule(r.Method, r.URL.Path); ok {
		if rule.Hang {
			p.mu.Unlock()
			e.hang(r)
		}
		ae := &apiError{Status: rule.Status, Code: "CMN-201", Message: "Service Temporary Unavailable"}
		if rule.Status == http.StatusTooManyRequests {
			ra := max(1, rule.RetryAfter)
			p.limits.penalize(rateKey{user: s.ext.ID, client: s.clientID, group: g}, p.now(), time.Duration(ra)*time.Second)
			p.stats.Requests[g]++
			p.stats.Throttled[g]++
			ae = errRateLimited(ra)
		}
		p.mu.Unlock()
		ae.write(w)
		return nil, false
	}
	if x := rand.Float64(); x < faults.REST429Rate {
		p.mu.Unlock()
		errRateLimited(1).write(w)
		return nil, false
	} else if x < faults.REST429Rate+faults.REST5xxRate {
		p.mu.Unlock()
		errUnavailable().write(w)
		return nil, false
	}
	rr := p.checkRate(s.ext.ID, s.clientID, g)
	rr.setHeaders(w.Header())
	if !rr.Allowed {
		p.mu.Unlock()
		rr.error().write(w)
		return nil, false
	}
	return s, true
}

// accountURI is the absolute URI of this account's REST root.
func (p *Platform) accountURI() string {
	return p.base + "/restapi/v1.0/account/" + strconv.FormatInt(p.dir.AccountID, 10)
}
