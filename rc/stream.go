package rc

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// LinkState is the WebSocket link as the user should understand it.
type LinkState int

// Link states.
const (
	LinkConnecting LinkState = iota // first connection in progress
	LinkLive                        // subscribed; notifications flow
	LinkRecovering                  // lost; reconnecting
	LinkClosed                      // Close was called
)

func (s LinkState) String() string {
	return [...]string{"connecting", "live", "recovering", "closed"}[s]
}

// Link describes a change of the link.
type Link struct {
	State LinkState
	// Down is when the link was last lost (zero while it never was).
	Down time.Time
	// Err is why it was lost or why reconnecting failed (never a secret).
	Err error
	// Attempt counts reconnect attempts since the link was lost.
	Attempt int
}

// StreamEvent is what a Stream delivers: exactly one field is set.
type StreamEvent struct {
	Notification *Notification
	Link         *Link
	// Resync reports that notifications may have been lost: the caller
	// must reload state from REST. It comes after the new subscription is
	// live, so nothing after it is missed.
	Resync *ResyncReason
	// Disabled lists filters the server did not grant.
	Disabled []string
}

// ResyncReason says why a resync is needed.
type ResyncReason struct{ Why string }

// StreamOptions tune a Stream; zero values are sensible defaults.
type StreamOptions struct {
	// HeartbeatAfter is the inbound silence after which a JSON Heartbeat
	// is sent; DeadAfter the further silence after which the link is
	// declared dead (half-open detection).
	HeartbeatAfter time.Duration
	DeadAfter      time.Duration
	// ConnectTimeout bounds the dial and the wait for ConnectionDetails
	// and for subscription answers.
	ConnectTimeout time.Duration
	// BackoffBase and BackoffMax shape reconnect delays (jittered).
	BackoffBase time.Duration
	BackoffMax  time.Duration
	// GapTimeout is how long a hole in the wsc sequence may last before
	// it is treated as lost notifications.
	GapTimeout time.Duration
	Dialer     *websocket.Dialer
}

func (o *StreamOptions) defaults() {
	if o.HeartbeatAfter == 0 {
		o.HeartbeatAfter = 20 * time.Second
	}
	if o.DeadAfter == 0 {
		o.DeadAfter = 10 * time.Second
	}
	if o.ConnectTimeout == 0 {
		o.ConnectTimeout = 20 * time.Second
	}
	if o.BackoffBase == 0 {
		o.BackoffBase = 2 * time.Second
	}
	if o.BackoffMax == 0 {
		// RCEX-WS stops at 8 s; 5 s heals sooner, and a reused token makes
		// a reconnect cost no Auth budget.
		o.BackoffMax = 5 * time.Second
	}
	if o.GapTimeout == 0 {
		o.GapTimeout = 5 * time.Second
	}
	if o.Dialer == nil {
		o.Dialer = &websocket.Dialer{HandshakeTimeout: o.ConnectTimeout}
	}
}

// Stream is the WebSocket gateway session carrying one subscription with
// every filter. It reconnects by itself, recovers the session with wsc
// when it can, and says when a resync is needed. Every goroutine it starts
// has ended when Close returns.
type Stream struct {
	c      *Client
	opts   StreamOptions
	events chan StreamEvent
	cmds   chan streamCmd
	cancel context.CancelFunc // stops run
	done   chan struct{}      // closed when run and all it started have ended

	// quit bounds the clean-up work that outlives run's context: deleting
	// subscriptions. It ends when a Close's ctx ends, or Close is over.
	quit    context.Context
	abandon context.CancelFunc
	// deletes runs the deletes of lost sessions' subscriptions; run joins it.
	deletes sync.WaitGroup

	mu      sync.Mutex
	filters []string
	seen    seenSet
	// usedCached says the last dial reused a WebSocket token (owned by run).
	usedCached bool
}

type streamCmd struct {
	filters []string
	reply   chan error
}

// Stream opens the gateway session in the background. Events arrive on
// Events() until Close; the consumer must keep reading.
func (c *Client) Stream(filters []string, opts StreamOptions) *Stream {
	opts.defaults()
	ctx, cancel := context.WithCancel(context.Background())
	quit, abandon := context.WithCancel(context.Background())
	s := &Stream{
		c:       c,
		opts:    opts,
		events:  make(chan StreamEvent, 1024),
		cmds:    make(chan streamCmd),
		cancel:  cancel,
		done:    make(chan struct{}),
		quit:    quit,
		abandon: abandon,
		filters: slices.Clone(filters),
	}
	go s.run(ctx)
	return s
}

// Events delivers notifications, link changes and resync requests.
func (s *Stream) Events() <-chan StreamEvent { return s.events }

// SetFilters replaces the subscription's filters (a PUT over the socket
// when live; kept for the next connection otherwise).
func (s *Stream) SetFilters(ctx context.Context, filters []string) error {
	reply := make(chan error, 1)
	select {
	case s.cmds <- streamCmd{filters: slices.Clone(filters), reply: reply}:
	case <-s.done:
		return errors.New("stream closed")
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case err := <-reply:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Close deletes the subscription, closes the socket and stops. It returns
// once every goroutine of the stream has ended and Events is closed. ctx
// bounds the deletes: when it ends first they are abandoned, and the rest
// still ends promptly. Close may be called more than once.
func (s *Stream) Close(ctx context.Context) {
	stop := context.AfterFunc(ctx, s.abandon)
	defer stop()
	s.cancel()
	<-s.done
	s.abandon()
}

// emitLink sends a copy of the link state (the caller keeps changing its own).
func (s *Stream) emitLink(ctx context.Context, l Link) bool {
	return s.emit(ctx, StreamEvent{Link: &l})
}

// emit hands an event to the consumer unless the stream is shutting down.
func (s *Stream) emit(ctx context.Context, ev StreamEvent) bool {
	select {
	case s.events <- ev:
		return true
	case <-ctx.Done():
		return false
	}
}

// emitLast hands over the closing event: at once when there is room, else
// as long as Close's ctx lasts.
func (s *Stream) emitLast(ev StreamEvent) {
	select {
	case s.events <- ev:
	default:
		s.emit(s.quit, ev)
	}
}

// sessionState is what survives reconnects: the recovery context and the
// subscription.
type sessionState struct {
	recovery    *wsc // the wsc to recover with (last contiguous frame)
	recoveryTTL time.Duration
	downAt      time.Time
	subID       string
	subFilters  []string
	subscribed  bool // a subscription existed before: a fresh one means a resync
	idle        time.Duration
}

func (s *Stream) run(ctx context.Context) {
	defer close(s.done)
	defer close(s.events)
	defer s.deletes.Wait()
	var st sessionState
	var last *wsConn // the previous connection, for testHookDialing
	link := Link{State: LinkConnecting}
	s.emitLink(ctx, link)
	for attempt := 0; ; attempt++ {
		if testHookDialing != nil {
			testHookDialing(last)
		}
		conn, err := s.connect(ctx, &st)
		if ctx.Err() != nil {
			if conn != nil {
				conn.shutdown(s.quit)
			}
			break
		}
		if err == nil {
			last = conn
			attempt = 0
			link = Link{State: LinkLive, Down: link.Down}
			s.emitLink(ctx, link)
			err = s.serve(ctx, conn, &st)
			if ctx.Err() != nil {
				conn.shutdown(s.quit)
				break
			}
			// Its reader and writer end before anything is dialled again.
			conn.close()
			if w := conn.track.recovery(); w != nil {
				st.recovery = w
			}
			if ge := (*gatewayError)(nil); errors.As(err, &ge) && ge.ErrorCode == "WSG-903" {
				st.recovery = nil // the session is over: reconnect afresh at once
			}
			st.downAt = s.c.opts.Now()
			link = Link{State: LinkRecovering, Down: st.downAt, Err: err}
			s.c.log.Info("websocket lost", "err", err)
			s.emitLink(ctx, link)
			// The first retry is quick: most drops are one-offs.
			if !s.sleep(ctx, time.Duration(rand.Int64N(int64(s.opts.BackoffBase/4)+1))) {
				break
			}
			continue
		}
		s.c.log.Info("websocket connect failed", "attempt", attempt+1, "err", err)
		if errors.Is(err, ErrAuth) {
			link = Link{State: link.State, Down: link.Down, Err: err, Attempt: attempt + 1}
		} else {
			link.Err, link.Attempt = err, attempt+1
			if link.State == LinkLive {
				link.State = LinkRecovering
			}
		}
		s.emitLink(ctx, link)
		if !s.sleep(ctx, s.backoff(attempt)) {
			break
		}
	}
	s.emitLast(StreamEvent{Link: &Link{State: LinkClosed}})
}

// testHookDialing, when set, is called by run before each connection
// attempt with the previous live connection (nil before the first).
var testHookDialing func(last *wsConn)

// backoff is the RCEX-WS schedule (2, 4, 6, 8 s…; rc-api.md §2.9) with jitter.
func (s *Stream) backoff(attempt int) time.Duration {
	d := min(s.opts.BackoffBase*time.Duration(attempt+1), s.opts.BackoffMax)
	return d/2 + time.Duration(rand.Int64N(int64(d/2)+1))
}

func (s *Stream) sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// connect dials, reads ConnectionDetails, and makes sure a subscription
// with the current filters is live, recovering the old session when it
// can. It reports a resync when notifications may have been missed.
func (s *Stream) connect(ctx context.Context, st *sessionState) (*wsConn, error) {
	c, err := s.dial(ctx, st, false)
	if err != nil && s.usedCached && tokenRefused(err) {
		// A reused token may be refused; a fresh one settles it. Other
		// failures keep the token: each new one costs Auth budget.
		s.c.forgetWSToken()
		c, err = s.dial(ctx, st, true)
	}
	return c, err
}

// tokenRefused reports a WebSocket token the gateway would not take: an
// OAU Error frame (then close 4401), or a refused upgrade.
func tokenRefused(err error) bool {
	var ge *gatewayError
	if errors.As(err, &ge) {
		return strings.HasPrefix(ge.ErrorCode, "OAU-")
	}
	var re *refusedUpgrade
	return errors.As(err, &re) && (re.status == 401 || re.status == 403)
}

// refusedUpgrade is an HTTP answer other than 101 to the upgrade.
type refusedUpgrade struct{ status int }

func (e *refusedUpgrade) Error() string {
	return fmt.Sprintf("websocket upgrade refused with HTTP %d", e.status)
}

// dial opens one connection and brings it to a live subscription.
func (s *Stream) dial(ctx context.Context, st *sessionState, fresh bool) (*wsConn, error) {
	uri, tok, cached, err := s.c.wsToken(ctx, fresh)
	s.usedCached = cached
	if err != nil {
		return nil, err
	}
	u, err := url.Parse(uri)
	if err != nil || (u.Scheme != "ws" && u.Scheme != "wss") {
		return nil, errors.New("wstoken returned an unusable uri")
	}
	q := u.Query()
	q.Set("access_token", tok)
	recovering := st.recovery != nil && st.subscribed && s.c.opts.Now().Sub(st.downAt) < st.recoveryTTL
	if recovering {
		q.Set("wsc", st.recovery.Token)
	}
	u.RawQuery = q.Encode()

	dctx, cancel := context.WithTimeout(ctx, s.opts.ConnectTimeout)
	defer cancel()
	ws, resp, err := s.opts.Dialer.DialContext(dctx, u.String(), nil)
	if resp != nil && resp.Body != nil {
		resp.Body.Close()
	}
	if err != nil {
		if resp != nil && resp.StatusCode != http.StatusSwitchingProtocols {
			return nil, &netError{op: "websocket dial", err: &refusedUpgrade{status: resp.StatusCode}}
		}
		// gorilla's errors carry the address, never the URL with its token.
		return nil, &netError{op: "websocket dial", err: err}
	}
	c := newWSConn(s, ws)

	// Nothing is sent before ConnectionDetails (rc-api.md §2.2), which
	// follows the upgrade at once on a working link. Close must not wait
	// it out; the requests after it watch ctx themselves.
	stop := context.AfterFunc(ctx, c.kill)
	first, err := c.first(min(s.opts.ConnectTimeout, 10*time.Second))
	stop()
	if err != nil {
		c.kill()
		if ge := (*gatewayError)(nil); errors.As(err, &ge) && ge.ErrorCode == "WSG-400" {
			st.recovery = nil // a malformed wsc: start afresh next time
		}
		return nil, err
	}
	var cd ConnectionDetails
	if err := json.Unmarshal(first.body, &cd); err != nil {
		c.kill()
		return nil, fmt.Errorf("ConnectionDetails: %w", err)
	}
	st.recoveryTTL = time.Duration(cd.RecoveryTimeout) * time.Second
	st.idle = time.Duration(cd.IdleTimeout) * time.Second
	recovered := recovering && cd.RecoveryState == "Successful"
	if first.header.WSC != nil {
		c.track.reset(*first.header.WSC, recovered)
		st.recovery = first.header.WSC
	}
	if recovered {
		// Replayed notifications come right behind ConnectionDetails: the
		// reader must know the subscription before it reads them.
		c.subID = st.subID
		c.sub.Store(st.subID)
	}
	c.start()
	if testHookReaderStarted != nil {
		testHookReaderStarted()
	}

	if recovered {
		s.c.log.Info("websocket session recovered")
		// The filters may have changed while we were away.
		if want := s.currentFilters(); !slices.Equal(want, st.subFilters) {
			if err := c.putSubscription(ctx, st.subID, want); err != nil {
				c.close()
				return nil, err
			}
			st.subFilters = want
		}
		return c, nil
	}
	if recovering {
		s.c.log.Info("websocket recovery failed", "code", cd.RecoveryErrorCode)
	}
	old := st.subID
	filters := s.currentFilters()
	info, err := c.postSubscription(ctx, filters)
	if err != nil {
		c.close()
		return nil, err
	}
	st.subID, st.subFilters = info.ID, filters
	c.subID = info.ID
	if old != "" && old != info.ID {
		// The lost session's subscription lingers until its recovery
		// window ends; delete it so they never pile up to SUB-505. The
		// delete may finish during Close, within Close's ctx.
		s.deletes.Go(func() {
			if err := s.c.DeleteSubscription(s.quit, old); err != nil && !IsStatus(err, 404) {
				s.c.log.Info("could not delete the old subscription", "err", err)
			}
		})
	}
	if len(info.DisabledFilters) > 0 {
		var dis []string
		for _, d := range info.DisabledFilters {
			dis = append(dis, d.Filter+" ("+d.Reason+")")
		}
		s.emit(ctx, StreamEvent{Disabled: dis})
	}
	if st.subscribed {
		why := "new WebSocket session"
		if recovering {
			why = "session recovery failed (" + cd.RecoveryErrorCode + ")"
		}
		s.emit(ctx, StreamEvent{Resync: &ResyncReason{Why: why}})
	}
	st.subscribed = true
	return c, nil
}

// testHookReaderStarted lets a test widen the moment right after a
// connection's reader starts.
var testHookReaderStarted func()

func (s *Stream) currentFilters() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.filters)
}

// serve runs a live connection until it fails or ctx ends: heartbeats on
// inbound silence and for the idle timeout, filter updates, and the
// reader's notifications.
func (s *Stream) serve(ctx context.Context, c *wsConn, st *sessionState) error {
	keepAlive := 5 * time.Minute
	if st.idle > 0 {
		keepAlive = min(keepAlive, st.idle/3)
	}
	// The tick is fine enough for either clock.
	tick := time.NewTicker(min(s.opts.HeartbeatAfter/4, keepAlive/4, time.Second))
	defer tick.Stop()
	lastSent := s.c.opts.Now()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-c.closed:
			return c.err
		case cmd := <-s.cmds:
			s.mu.Lock()
			s.filters = cmd.filters
			s.mu.Unlock()
			err := c.putSubscription(ctx, c.subID, cmd.filters)
			if IsStatus(err, 404) {
				var info SubscriptionInfo
				if info, err = c.postSubscription(ctx, cmd.filters); err == nil {
					c.subID, st.subID = info.ID, info.ID
				}
			}
			if err == nil {
				st.subFilters = cmd.filters
			}
			cmd.reply <- err
			lastSent = s.c.opts.Now()
		case gap := <-c.gaps:
			s.emit(ctx, StreamEvent{Resync: &ResyncReason{Why: gap}})
		case <-tick.C:
			now := s.c.opts.Now()
			quiet := now.Sub(c.lastInbound())
			if quiet >= s.opts.HeartbeatAfter+s.opts.DeadAfter {
				return errors.New("no answer from the server: link is dead")
			}
			if (quiet >= s.opts.HeartbeatAfter && now.Sub(lastSent) >= s.opts.HeartbeatAfter) || now.Sub(lastSent) >= keepAlive {
				c.send(heartbeatFrame())
				lastSent = now
			}
			if c.track.expire() {
				s.emit(ctx, StreamEvent{Resync: &ResyncReason{Why: "notifications were lost (wsc sequence gap)"}})
			}
			if w := c.track.recovery(); w != nil {
				st.recovery = w
			}
		}
	}
}

var messageCounter struct {
	sync.Mutex
	n uint64
}

// newMessageID makes a ClientRequest/Heartbeat id.
func newMessageID() string {
	messageCounter.Lock()
	messageCounter.n++
	n := messageCounter.n
	messageCounter.Unlock()
	return "rchud-" + strconv.FormatUint(rand.Uint64(), 36) + "-" + strconv.FormatUint(n, 10)
}

func heartbeatFrame() []byte {
	b, _ := json.Marshal([]any{map[string]string{"type": frameHeartbeat, "messageId": newMessageID()}})
	return b
}
