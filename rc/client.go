package rc

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// Options tune a Client; the zero value is RingCentral-appropriate.
type Options struct {
	HTTPClient *http.Client
	Logger     *slog.Logger
	Now        func() time.Time
	// RefreshEarly is how long before expiry the access token is renewed.
	RefreshEarly time.Duration
	// RetryBase is the first backoff after a 5xx or a connection error;
	// later attempts double it, up to RetryMax, with jitter.
	RetryBase time.Duration
	RetryMax  time.Duration
	// Retries bounds the retries of one request (5xx, connection errors, 429).
	Retries int
	// FirstSignInRetries bounds the first sign-in's retries: someone is
	// waiting at the prompt to hear the server is down.
	FirstSignInRetries int
	// SignInWithin bounds a sign-in someone waits for (Login), however the
	// server behaves: 30 s by default.
	SignInWithin time.Duration
	// AuthRetryBase and AuthRetryMax shape the backoff after a failed token
	// request: exponential from AuthRetryBase (2 s) up to AuthRetryMax
	// (60 s), with full jitter, and never sooner than a Retry-After.
	AuthRetryBase time.Duration
	AuthRetryMax  time.Duration
	// Tokens, when set, keeps the session between processes: a restart
	// takes up the saved tokens (and the budget already spent), rotated
	// tokens are saved at once, and Close keeps the session instead of
	// revoking it.
	Tokens    TokenStore
	UserAgent string
	// SignInWait, when set, is told why signing in waits and until when
	// ("rate-limited by RingCentral", a minute), and "" once it no longer
	// does, so that a screen can say it instead of a bare "signing in…".
	SignInWait func(why string, until time.Time)
}

// Client talks to one RingCentral server as one user through one app.
type Client struct {
	cfg  Config
	opts Options
	http *http.Client
	gov  *governor
	log  *slog.Logger
	host string

	tokMu      sync.Mutex
	tok        *token
	renewSent  bool // the renewal in flight has left for the server
	ws         wsTokenCache
	refreshing *renewal  // the renewal in flight
	retryAt    time.Time // after a failed renewal, when to try again
	// authFailures counts renewals failed in a row; lastAuthErr is the
	// last one's error.
	authFailures int
	lastAuthErr  error
	// refusedRefresh are refresh tokens the server refused: never sent again.
	refusedRefresh []string
	// life bounds renewals (which outlive their callers); Close ends it.
	life       context.Context
	cancelLife context.CancelFunc
	renewals   sync.WaitGroup

	storeOnce sync.Once
	saveMu    sync.Mutex
}

// wsTokenCache is the WebSocket token kept for reconnects.
type wsTokenCache struct {
	uri, token string
	reuseUntil time.Time
}

// token is the client's view of TokenInfo, with absolute expiry times.
type token struct {
	access        string
	refresh       string
	ttl           time.Duration
	expiry        time.Time
	refreshExpiry time.Time
	owner         ID
	session       string
}

// New makes a client; nothing is sent until the first call.
func New(cfg Config, opts Options) *Client {
	if opts.HTTPClient == nil {
		opts.HTTPClient = &http.Client{Timeout: 30 * time.Second}
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.RefreshEarly == 0 {
		opts.RefreshEarly = time.Minute
	}
	if opts.RetryBase == 0 {
		opts.RetryBase = time.Second
	}
	if opts.RetryMax == 0 {
		opts.RetryMax = 30 * time.Second
	}
	if opts.Retries == 0 {
		opts.Retries = 5
	}
	if opts.FirstSignInRetries == 0 {
		opts.FirstSignInRetries = 2
	}
	if opts.SignInWithin == 0 {
		opts.SignInWithin = 30 * time.Second
	}
	if opts.AuthRetryBase == 0 {
		opts.AuthRetryBase = 2 * time.Second
	}
	if opts.AuthRetryMax == 0 {
		opts.AuthRetryMax = time.Minute
	}
	if opts.UserAgent == "" {
		opts.UserAgent = "rchud/1.0"
	}
	u, _ := url.Parse(cfg.ServerURL)
	c := &Client{
		cfg:  cfg,
		opts: opts,
		http: opts.HTTPClient,
		gov:  newGovernor(opts.Now, opts.SignInWait),
		log:  opts.Logger,
		host: u.Host,
	}
	c.life, c.cancelLife = context.WithCancel(context.Background())
	return c
}

// request describes one REST or OAuth call.
type request struct {
	method string
	path   string // relative to the server, or an absolute URL on it
	query  url.Values
	body   any        // JSON body
	form   url.Values // OAuth form body (with Basic client auth)
	group  Group
	// background requests leave budget to the user's own actions; final
	// ones (the clean-up on the way out) use the room the others leave.
	background bool
	final      bool
	accept     string
	// retries overrides Options.Retries when set.
	retries int
	// sending, if set, is called as the request leaves, after the governor.
	sending func()
}

// send performs r with the governor, the bearer token, one refresh-and-
// retry on a 401, the 429 penalty, and backoff on 5xx and connection errors.
// Auth requests (token, wstoken, revoke) are sent once: their callers pace
// their own retries (rc-api.md §1.7: never re-login in a tight loop).
func (c *Client) send(ctx context.Context, r request) (*http.Response, []byte, error) {
	c.loadStore()
	target, err := c.resolve(r.path, r.query)
	if err != nil {
		return nil, nil, err
	}
	var payload []byte
	contentType := ""
	switch {
	case r.form != nil:
		payload, contentType = []byte(r.form.Encode()), "application/x-www-form-urlencoded"
	case r.body != nil:
		if payload, err = json.Marshal(r.body); err != nil {
			return nil, nil, err
		}
		contentType = "application/json"
	}
	retried401 := false
	maxRetries := c.opts.Retries
	if r.retries > 0 {
		maxRetries = r.retries
	}
	notice, _ := ctx.Value(retryKey{}).(*retryNotice)
	if notice != nil && notice.retries >= 0 {
		maxRetries = notice.retries
	}
	if r.group == Auth {
		maxRetries = 0
	}
	prio := prioUser
	switch {
	case r.final:
		prio = prioFinal
	case r.background:
		prio = prioBackground
	}
	for attempt := 0; ; attempt++ {
		sl, err := c.gov.acquire(ctx, r.group, prio)
		if err != nil {
			return nil, nil, err
		}
		req, err := http.NewRequestWithContext(ctx, r.method, target, bytes.NewReader(payload))
		if err != nil {
			sl.cancel()
			return nil, nil, err
		}
		if contentType != "" {
			req.Header.Set("Content-Type", contentType)
		}
		req.Header.Set("Accept", "application/json")
		if r.accept != "" {
			req.Header.Set("Accept", r.accept)
		}
		req.Header.Set("X-User-Agent", c.opts.UserAgent)
		var used string
		if r.form != nil {
			req.SetBasicAuth(c.cfg.ClientID, c.cfg.ClientSecret)
		} else {
			if used, err = c.accessToken(ctx); err != nil {
				sl.cancel()
				return nil, nil, err
			}
			req.Header.Set("Authorization", "Bearer "+used)
		}
		if r.sending != nil {
			r.sending()
		}
		sl.sent()
		start := c.opts.Now()
		resp, err := c.http.Do(req)
		if err != nil {
			op := r.method + " " + req.URL.Path
			if ctx.Err() != nil {
				// Still in flight when the caller gave up: the server had
				// not answered (errors.Is the context's error too).
				return nil, nil, &netError{op: op, err: noAnswer{ctx.Err()}}
			}
			err = &netError{op: op, err: unwrapURLError(err)}
			c.log.Debug("rest failed", "method", r.method, "path", req.URL.Path, "err", err)
			if attempt >= maxRetries {
				return nil, nil, err
			}
			notice.retrying(err)
			if err := c.backoff(ctx, attempt); err != nil {
				return nil, nil, err
			}
			continue
		}
		body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
		resp.Body.Close()
		c.gov.observe(r.group, resp.Header)
		c.log.Debug("rest", "method", r.method, "path", req.URL.Path, "status", resp.StatusCode,
			"ms", c.opts.Now().Sub(start).Milliseconds())
		if err != nil {
			err = &netError{op: r.method + " " + req.URL.Path, err: err}
			if attempt >= maxRetries {
				return nil, nil, err
			}
			notice.retrying(err)
			if err := c.backoff(ctx, attempt); err != nil {
				return nil, nil, err
			}
			continue
		}
		switch code := resp.StatusCode; {
		case code >= 200 && code < 300:
			return resp, body, nil
		case code == http.StatusUnauthorized && r.form == nil && !retried401:
			retried401 = true
			attempt--
			c.invalidate(used)
			continue
		case code == http.StatusTooManyRequests:
			ae := decodeAPIError(resp, body)
			wait := ae.RetryAfter
			if wait == 0 {
				wait = parseRetryAfter("")
			}
			c.gov.penalize(r.group, wait)
			c.log.Info("rate limited", "group", r.group, "retry_after", wait)
			if attempt >= maxRetries {
				return nil, nil, ae
			}
			notice.retrying(ae)
			continue // acquire waits out the penalty
		case code == 500 || code == 502 || code == 503 || code == 504:
			if attempt >= maxRetries {
				return nil, nil, decodeAPIError(resp, body)
			}
			notice.retrying(decodeAPIError(resp, body))
			if err := c.backoff(ctx, attempt); err != nil {
				return nil, nil, err
			}
			continue
		default:
			return nil, nil, decodeAPIError(resp, body)
		}
	}
}

// noAnswer is a request that got no answer before its deadline.
type noAnswer struct{ ctx error }

func (e noAnswer) Error() string { return "no answer in time" }
func (e noAnswer) Unwrap() error { return e.ctx }

// resolve builds the request URL. Absolute URLs (navigation links) must
// point at our server: the bearer token never goes anywhere else.
func (c *Client) resolve(path string, query url.Values) (string, error) {
	if strings.HasPrefix(path, "http://") || strings.HasPrefix(path, "https://") {
		u, err := url.Parse(path)
		if err != nil || u.Host != c.host {
			return "", fmt.Errorf("refusing to follow a link to another host")
		}
		return u.String(), nil
	}
	u := c.cfg.ServerURL + path
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	return u, nil
}

// fullJitter is an exponential backoff with full jitter: a delay drawn
// evenly from [0, min(max, base·2^attempt)], so that many clients retrying
// at once spread out instead of arriving in waves.
func fullJitter(base, max time.Duration, attempt int) time.Duration {
	d := min(base<<min(attempt, 20), max)
	if d <= 0 {
		return 0
	}
	return time.Duration(rand.Int64N(int64(d) + 1))
}

// backoff sleeps a REST retry's delay.
func (c *Client) backoff(ctx context.Context, attempt int) error {
	d := fullJitter(c.opts.RetryBase, c.opts.RetryMax, attempt)
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// unwrapURLError drops *url.Error's URL from a transport error.
func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// getJSON GETs path and decodes the JSON answer into out.
func (c *Client) getJSON(ctx context.Context, g Group, path string, q url.Values, out any, background bool) error {
	_, body, err := c.send(ctx, request{method: http.MethodGet, path: path, query: q, group: g, background: background})
	if err != nil {
		return err
	}
	return decodeBody(body, out)
}

// writeJSON sends a JSON body with method and decodes the answer into out.
func (c *Client) writeJSON(ctx context.Context, method string, g Group, path string, in, out any) error {
	_, body, err := c.send(ctx, request{method: method, path: path, body: in, group: g})
	if err != nil {
		return err
	}
	if out == nil {
		return nil
	}
	return decodeBody(body, out)
}

func decodeBody(body []byte, out any) error {
	if err := json.Unmarshal(body, out); err != nil {
		return fmt.Errorf("decode response: %w", err)
	}
	return nil
}

// retryKey carries a retryNotice in a request's context.
type retryKey struct{}

// retryNotice is how a caller hears of retries: retries bounds them (< 0:
// the client's own), and notify hears each failure that is retried.
type retryNotice struct {
	retries int
	notify  func(error)
}

func (n *retryNotice) retrying(err error) {
	if n != nil && n.notify != nil && err != nil {
		n.notify(err)
	}
}

// WithRetryNotice bounds the retries of the requests made with the
// returned context to retries (a user's own change should fail fast), and
// has notify hear each failure about to be retried, so that the screen
// can say "retrying" instead of waiting in silence.
func WithRetryNotice(ctx context.Context, retries int, notify func(error)) context.Context {
	return context.WithValue(ctx, retryKey{}, &retryNotice{retries: retries, notify: notify})
}
