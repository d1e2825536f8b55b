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
	// LinkFailed: the stream has given up, because retrying cannot help (a
	// permission is missing: Err says which and what to do). Nothing will
	// arrive until the stream is made again.
	LinkFailed
)

func (s LinkState) String() string {
	return [...]string{"connecting", "live", "recovering", "closed", "failed"}[s]
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
	// Retry is when the next attempt is due (zero when none is planned):
	// a reconnect, or the re-creation of a lost subscription.
	Retry time.Time
}

// StreamEvent is what a Stream delivers: exactly one field is set.
type StreamEvent struct {
	Notification *Notification
	Link         *Link
	// Resync reports that notifications may have been lost: the caller
	// must reload state from REST. It comes after the new subscription is
	// live, so nothing after it is missed.
	Resync *ResyncReason
	// Lost reports that the subscription is gone on the server while the
	// socket is up: nothing arrives from now on, so what the caller holds
	// may already be out of date. A Resync follows once a new
	// subscription is live.
	Lost *ResyncReason
	// Disabled lists filters the server did not grant (after a filter
	// change, the whole new list: empty, not nil, when none is refused).
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
	// BackoffBase and BackoffMax shape reconnect delays: the n-th attempt
	// waits a time drawn evenly from [0, min(BackoffMax, BackoffBase·2^n)]
	// (full jitter), so a fleet of clients reconnecting after an outage
	// spreads out, and the cap grows toward BackoffMax (a minute) while
	// the gateway stays down.
	BackoffBase time.Duration
	BackoffMax  time.Duration
	// VerifyEvery is how often the subscription is checked on the server
	// (a GET over the socket, from the Light group's budget); 0: a minute,
	// negative: never.
	VerifyEvery time.Duration
	// RecreateLimit bounds how many times a lost subscription is
	// re-created within RecreateWindow (3 a minute); beyond it the
	// re-creation is held back, and the link says so.
	RecreateLimit  int
	RecreateWindow time.Duration
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
		o.BackoffMax = time.Minute
	}
	if o.VerifyEvery == 0 {
		// One Light request a minute: 2% of the budget, and a lost
		// subscription goes unnoticed for a minute at most.
		o.VerifyEvery = time.Minute
	}
	if o.RecreateLimit == 0 {
		o.RecreateLimit = 3
	}
	if o.RecreateWindow == 0 {
		o.RecreateWindow = time.Minute
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
	recovered   bool // the current connection recovered the session
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
			if errors.Is(err, ErrPermission) {
				link = s.giveUp(ctx, link, err)
				break
			}
			st.downAt = s.c.opts.Now()
			// The first retry is quick: most drops are one-offs.
			wait := time.Duration(rand.Int64N(int64(s.opts.BackoffBase/4) + 1))
			link = Link{State: LinkRecovering, Down: st.downAt, Err: err, Retry: st.downAt.Add(wait)}
			s.c.log.Info("websocket lost", "err", err)
			s.emitLink(ctx, link)
			if !s.sleep(ctx, wait) {
				break
			}
			continue
		}
		s.c.log.Info("websocket connect failed", "attempt", attempt+1, "err", err)
		if errors.Is(err, ErrPermission) {
			link = s.giveUp(ctx, link, err)
			break
		}
		wait := s.backoff(attempt)
		if errors.Is(err, ErrAuth) {
			link = Link{State: link.State, Down: link.Down, Err: err, Attempt: attempt + 1}
		} else {
			link.Err, link.Attempt = err, attempt+1
			if link.State == LinkLive {
				link.State = LinkRecovering
			}
		}
		link.Retry = s.c.opts.Now().Add(wait)
		s.emitLink(ctx, link)
		if !s.sleep(ctx, wait) {
			break
		}
	}
	s.emitLast(StreamEvent{Link: &Link{State: LinkClosed}})
}

// giveUp reports a failure retrying cannot mend (a missing permission) and
// waits for Close: the stream makes no more attempts.
func (s *Stream) giveUp(ctx context.Context, link Link, err error) Link {
	s.c.log.Info("websocket: giving up", "err", err)
	down := link.Down
	if down.IsZero() {
		down = s.c.opts.Now()
	}
	link = Link{State: LinkFailed, Down: down, Err: err, Attempt: link.Attempt}
	s.emitLink(ctx, link)
	<-ctx.Done()
	return link
}

// testHookDialing, when set, is called by run before each connection
// attempt with the previous live connection (nil before the first).
var testHookDialing func(last *wsConn)

// backoff is a reconnect's delay: exponential from BackoffBase up to
// BackoffMax, with full jitter (rc-api.md §5.3's back-off; RCEX-WS's fixed
// 2, 4, 6, 8 s schedule would bring a fleet back in waves).
func (s *Stream) backoff(attempt int) time.Duration {
	return fullJitter(s.opts.BackoffBase, s.opts.BackoffMax, attempt)
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
	st.recovered = recovered
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
			if _, err := c.putSubscription(ctx, st.subID, want); err != nil {
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
		s.emit(ctx, StreamEvent{Disabled: disabledOf(info)})
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
// inbound silence and for the idle timeout, filter updates, the reader's
// notifications, and the subscription's upkeep: it is checked on the
// server every VerifyEvery, and when it is found gone (404 or SUB-5xx on
// any request about it, or missing) the consumer hears at once (Lost), a
// new one is made on the same socket, no more than RecreateLimit times a
// RecreateWindow, and a Resync follows.
func (s *Stream) serve(ctx context.Context, c *wsConn, st *sessionState) error {
	keepAlive := 5 * time.Minute
	if st.idle > 0 {
		keepAlive = min(keepAlive, st.idle/3)
	}
	// The tick is fine enough for either clock.
	tick := time.NewTicker(min(s.opts.HeartbeatAfter/4, keepAlive/4, time.Second))
	defer tick.Stop()
	lastSent := s.c.opts.Now()
	up := upkeep{next: s.c.opts.Now().Add(s.opts.VerifyEvery)}
	if st.recovered {
		// A recovered session says nothing of a subscription purged while
		// we were away: check it at once.
		up.next = s.c.opts.Now()
	}
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
			if up.lost {
				cmd.reply <- nil // the new subscription will carry them
				continue
			}
			info, err := c.putSubscription(ctx, c.subID, cmd.filters)
			if subscriptionGone(err) {
				if err := s.lose(ctx, c, &up, "its update was refused: "+err.Error()); err != nil {
					cmd.reply <- nil
					return err
				}
				err = nil
			} else if err == nil {
				st.subFilters = cmd.filters
				// The filters now refused, if any: the old list is void.
				s.emit(ctx, StreamEvent{Disabled: append([]string{}, disabledOf(info)...)})
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
			switch {
			case up.lost && !now.Before(up.retry):
				if err := s.recreate(ctx, c, st, &up); err != nil {
					return err
				}
				if !up.lost {
					lastSent = s.c.opts.Now()
				}
			case !up.lost && s.opts.VerifyEvery > 0 && !now.Before(up.next):
				up.next = s.c.opts.Now().Add(s.opts.VerifyEvery)
				sent, err := s.verify(ctx, c, &up)
				if err != nil {
					return err
				}
				if sent {
					lastSent = s.c.opts.Now()
				}
			}
		}
	}
}

// upkeep is serve's record of the subscription's health.
type upkeep struct {
	next  time.Time // the next check
	lost  bool      // gone on the server; not yet re-created
	retry time.Time // when it may be re-created
	held  bool      // the re-creation was held back (the link said so)
	// recreated are when lost subscriptions were re-created lately.
	recreated []time.Time
}

// subscriptionGone reports an answer saying the subscription no longer
// exists: 404, or a SUB-5xx code (SUB-507 expired, ...).
func subscriptionGone(err error) bool {
	var ae *APIError
	if !errors.As(err, &ae) {
		return false
	}
	return ae.Status == http.StatusNotFound || strings.HasPrefix(ae.Code, "SUB-5")
}

// verify asks the server for the subscription, and reports whether it
// sent the request. Only an answer that says it is gone counts: a request
// that fails otherwise says nothing of it.
func (s *Stream) verify(ctx context.Context, c *wsConn, up *upkeep) (bool, error) {
	vctx, cancel := context.WithTimeout(ctx, min(s.opts.ConnectTimeout, 10*time.Second))
	defer cancel()
	// Only with budget to spare: waiting for it here would stall the
	// heartbeats. The next tick tries again.
	f, err := c.requestIf(vctx, prioBackground, true, http.MethodGet, "/restapi/v1.0/subscription/"+url.PathEscape(c.subID), nil)
	switch {
	case errors.Is(err, errNoBudget):
		up.next = s.c.opts.Now().Add(min(s.opts.VerifyEvery, 5*time.Second))
		return false, nil
	case subscriptionGone(err):
		return true, s.lose(ctx, c, up, err.Error())
	case err != nil:
		select {
		case <-c.closed:
			return true, c.err
		default:
		}
		s.c.log.Info("could not check the subscription", "err", err)
		return true, nil
	}
	var info struct {
		ID     string `json:"id"`
		Status string `json:"status"`
	}
	if json.Unmarshal(f.body, &info) != nil || info.ID != c.subID {
		return true, s.lose(ctx, c, up, "the server answered for another subscription")
	}
	if info.Status != "" && info.Status != "Active" {
		return true, s.lose(ctx, c, up, "its status is "+oneLine(info.Status, 20))
	}
	return true, nil
}

// lose reports the subscription gone and schedules its re-creation, held
// back when it has been re-created too often lately.
func (s *Stream) lose(ctx context.Context, c *wsConn, up *upkeep, why string) error {
	now := s.c.opts.Now()
	s.c.log.Info("the subscription is gone on the server", "why", why)
	up.lost = true
	c.sub.Store("") // nothing of it may be applied any more
	s.emit(ctx, StreamEvent{Lost: &ResyncReason{Why: "the subscription disappeared on the server"}})
	cut := 0
	for cut < len(up.recreated) && now.Sub(up.recreated[cut]) >= s.opts.RecreateWindow {
		cut++
	}
	up.recreated = up.recreated[cut:]
	up.retry, up.held = now, false
	if len(up.recreated) >= s.opts.RecreateLimit {
		up.held = true
		up.retry = up.recreated[0].Add(s.opts.RecreateWindow)
		err := fmt.Errorf("the subscription keeps disappearing on the server (%d times in %v); making a new one at %s",
			len(up.recreated)+1, s.opts.RecreateWindow, up.retry.Local().Format("15:04:05"))
		s.c.log.Info("re-creating the subscription held back", "until", up.retry)
		s.emitLink(ctx, Link{State: LinkRecovering, Down: now, Err: err, Retry: up.retry})
	}
	return nil
}

// recreate makes a new subscription on the live socket and asks for a
// resync. A failure ends the connection (the reconnect makes one anyway);
// a missing permission ends the stream.
func (s *Stream) recreate(ctx context.Context, c *wsConn, st *sessionState, up *upkeep) error {
	filters := s.currentFilters()
	info, err := c.postSubscriptionNow(ctx, filters)
	if errors.Is(err, errNoBudget) {
		up.retry = s.c.opts.Now().Add(time.Second) // the Medium budget is spent: soon
		return nil
	}
	if err != nil {
		return err
	}
	up.lost = false
	up.recreated = append(up.recreated, s.c.opts.Now())
	up.next = s.c.opts.Now().Add(s.opts.VerifyEvery)
	st.subID, st.subFilters = info.ID, filters
	c.subID = info.ID
	s.c.log.Info("subscription re-created")
	if len(info.DisabledFilters) > 0 {
		s.emit(ctx, StreamEvent{Disabled: disabledOf(info)})
	}
	if up.held {
		s.emitLink(ctx, Link{State: LinkLive})
	}
	s.emit(ctx, StreamEvent{Resync: &ResyncReason{Why: "the subscription was re-created after it disappeared"}})
	return nil
}

// disabledOf lists a subscription's refused filters with their reasons.
func disabledOf(info SubscriptionInfo) []string {
	var dis []string
	for _, d := range info.DisabledFilters {
		dis = append(dis, d.Filter+" ("+d.Reason+")")
	}
	return dis
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
