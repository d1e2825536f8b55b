package rc

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"time"
)

const grantJWT = "urn:ietf:params:oauth:grant-type:jwt-bearer"

// Session is a signed-in OAuth session as a TokenStore keeps it, with the
// client's recent spending of each rate-limit group.
type Session struct {
	AccessToken   string
	AccessExpiry  time.Time
	AccessTTL     time.Duration // the lifetime the access token was issued with
	RefreshToken  string
	RefreshExpiry time.Time
	Owner         ID
	SessionID     string
	// Budget is what this user and app spent lately, per group.
	Budget Budget
}

// TokenStore keeps the session between processes (rchud's session cache),
// so that a restart reuses it instead of signing in again. Load returns
// ErrNoSession when it holds none for these credentials. The client saves
// at once whenever its tokens change, and on Close.
type TokenStore interface {
	Load() (Session, error)
	Save(Session) error
	Clear() error
}

// ErrNoSession is a TokenStore's Load finding no session.
var ErrNoSession = errors.New("no saved session")

// renewal is a token renewal in flight, shared by every caller.
type renewal struct {
	done chan struct{}
	err  error // set before done is closed
}

// Login signs in (or takes up the saved session) and returns the signed-in
// extension's id. A first sign-in is retried a few times, paced by the
// Auth backoff, and gives up after Options.SignInWithin.
func (c *Client) Login(ctx context.Context) (ID, error) {
	lctx, cancel := context.WithTimeout(ctx, c.opts.SignInWithin)
	defer cancel()
	for attempt := 0; ; attempt++ {
		_, err := c.accessToken(lctx)
		if err == nil {
			break
		}
		switch {
		case ctx.Err() != nil:
			return "", err
		case lctx.Err() != nil:
			return "", &signInTimeout{within: c.opts.SignInWithin, last: err}
		case errors.Is(err, ErrAuth) || errors.Is(err, ErrPermission) || notRingCentral(err) || attempt >= c.opts.FirstSignInRetries:
			return "", err
		}
	}
	c.tokMu.Lock()
	defer c.tokMu.Unlock()
	return c.tok.owner, nil
}

// signInTimeout is a sign-in that did not complete in time.
type signInTimeout struct {
	within time.Duration
	last   error
}

func (e *signInTimeout) Error() string {
	if errors.Is(e.last, ErrRateLimited) {
		return "could not sign in within " + e.within.String() + ": " + e.last.Error()
	}
	return "RingCentral did not answer the sign-in within " + e.within.String()
}

func (e *signInTimeout) Unwrap() []error {
	if errors.Is(e.last, ErrRateLimited) {
		return []error{e.last}
	}
	return []error{ErrUnreachable, e.last}
}

// Owner is the signed-in extension's id ("" before Login).
func (c *Client) Owner() ID {
	c.tokMu.Lock()
	defer c.tokMu.Unlock()
	if c.tok == nil {
		return ""
	}
	return c.tok.owner
}

// SessionID is the OAuth session id ("" before Login).
func (c *Client) SessionID() string {
	c.tokMu.Lock()
	defer c.tokMu.Unlock()
	if c.tok == nil {
		return ""
	}
	return c.tok.session
}

// accessToken returns a token valid for at least RefreshEarly, renewing it
// first if needed. Concurrent callers share one renewal (single flight),
// which runs on its own: a caller whose ctx ends returns at once, and the
// renewal carries on for the others until it ends or Close.
func (c *Client) accessToken(ctx context.Context) (string, error) {
	c.loadStore()
	c.tokMu.Lock()
	started := false // this caller started the renewal in flight: it waits for it
	for {
		now := c.opts.Now()
		t := c.tok
		if t != nil && now.Before(t.expiry.Add(-c.refreshMargin(t))) {
			c.tokMu.Unlock()
			return t.access, nil
		}
		// After a failed renewal, keep using a still-valid token until the
		// backoff allows the next attempt.
		if t != nil && now.Before(c.retryAt) && now.Before(t.expiry) {
			c.tokMu.Unlock()
			return t.access, nil
		}
		if r := c.refreshing; r != nil {
			// A renewal waiting for Auth budget has not reached the server,
			// which would kill this token on receipt: until it is sent, a
			// token still good for a while serves.
			if !started && t != nil && !c.renewSent && now.Before(t.expiry.Add(-inFlightMargin)) {
				c.tokMu.Unlock()
				return t.access, nil
			}
			c.tokMu.Unlock()
			select {
			case <-r.done:
			case <-ctx.Done():
				return "", c.stalled(ctx.Err())
			}
			c.tokMu.Lock()
			started = false
			if r.err != nil && (c.tok == nil || !c.opts.Now().Before(c.tok.expiry)) {
				c.tokMu.Unlock()
				return "", r.err
			}
			continue
		}
		if wait := c.retryAt.Sub(now); wait > 0 {
			// An Auth failure's backoff, and no token to serve meanwhile.
			last := c.lastAuthErr
			c.tokMu.Unlock()
			tm := time.NewTimer(wait)
			select {
			case <-tm.C:
			case <-ctx.Done():
				tm.Stop()
				if last != nil {
					return "", &authWait{last: last, ctx: ctx.Err()}
				}
				return "", ctx.Err()
			}
			c.tokMu.Lock()
			continue
		}
		r := &renewal{done: make(chan struct{})}
		c.refreshing, c.renewSent, started = r, false, true
		old := c.tok
		life := c.life
		c.renewals.Add(1)
		go c.renew(life, r, old)
	}
}

// authWait is a caller giving up while a failed sign-in backs off: its
// text is the failure's.
type authWait struct{ last, ctx error }

func (e *authWait) Error() string   { return e.last.Error() }
func (e *authWait) Unwrap() []error { return []error{e.last, e.ctx} }

// stalled says what a caller whose ctx ended was waiting for: a token
// request the server has not answered, or Auth budget.
func (c *Client) stalled(ctxErr error) error {
	c.tokMu.Lock()
	sent := c.renewSent
	c.tokMu.Unlock()
	if sent {
		return &netError{op: "sign-in (POST /restapi/oauth/token)", err: noAnswer{ctxErr}}
	}
	if until := c.gov.blockedUntil(Auth); !until.IsZero() {
		return &RateLimitError{Group: Auth, Until: until, ctx: ctxErr}
	}
	return ctxErr
}

// inFlightMargin is how much life a token needs to serve while its
// renewal is in flight.
const inFlightMargin = 5 * time.Second

// refreshMargin is how long before expiry to renew: RefreshEarly, but at
// most a third of the token's life, so short-lived tokens are not renewed
// on every call.
func (c *Client) refreshMargin(t *token) time.Duration {
	return min(c.opts.RefreshEarly, t.ttl/3)
}

// invalidate forgets the access token after a 401 so that the next call
// renews it (once, however many callers saw the 401).
func (c *Client) invalidate(used string) {
	c.tokMu.Lock()
	defer c.tokMu.Unlock()
	if c.tok != nil && c.tok.access == used {
		c.tok.expiry = time.Time{}
		c.retryAt = time.Time{}
	}
}

// renew runs one renewal for every caller waiting on r: bounded in time,
// and cut short by Close. A failure backs off exponentially with full
// jitter (and at least a Retry-After), so a failing token endpoint sees a
// few requests a minute, not a burst.
func (c *Client) renew(life context.Context, r *renewal, old *token) {
	defer c.renewals.Done()
	ctx, cancel := context.WithTimeout(life, 2*time.Minute)
	fresh, err := c.renewal(ctx, old)
	cancel()
	c.tokMu.Lock()
	c.refreshing, c.renewSent = nil, false
	now := c.opts.Now()
	if err != nil {
		c.authFailures++
		wait := fullJitter(c.opts.AuthRetryBase, c.opts.AuthRetryMax, c.authFailures-1)
		var ae *APIError
		if errors.As(err, &ae) && ae.RetryAfter > wait {
			wait = ae.RetryAfter
		}
		c.retryAt, c.lastAuthErr = now.Add(wait), err
		c.log.Info("sign-in failed", "failures", c.authFailures, "retry_in", wait.Round(time.Millisecond), "err", err)
	} else {
		c.tok, c.authFailures, c.retryAt, c.lastAuthErr = fresh, 0, time.Time{}, nil
	}
	retryAt := c.retryAt
	c.tokMu.Unlock()
	if c.opts.SignInWait != nil {
		switch {
		case err == nil:
			c.opts.SignInWait("", time.Time{})
		case !errors.Is(err, ErrAuth) && !errors.Is(err, ErrPermission):
			c.opts.SignInWait(signInTrouble(err), retryAt)
		}
	}
	if err == nil {
		c.persist() // at once: another process may share the session
	}
	r.err = err
	close(r.done)
}

// renewal takes up a session another process renewed, or refreshes old,
// or signs in again with the JWT: when there is no usable refresh token,
// or when the server refused it (rc-api.md §7 item 1). A refused refresh
// token is never sent again.
func (c *Client) renewal(ctx context.Context, old *token) (*token, error) {
	for tries := 0; tries < 2; tries++ {
		if t := c.storedNewer(old); t != nil {
			if c.opts.Now().Before(t.expiry.Add(-c.refreshMargin(t))) {
				c.log.Info("took up the session renewed by another process")
				return t, nil
			}
			old = t
		}
		if old == nil || old.refresh == "" || !c.opts.Now().Before(old.refreshExpiry) || c.refused(old.refresh) {
			break
		}
		t, err := c.tokenRequest(ctx, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {old.refresh}})
		if err == nil {
			c.log.Info("access token refreshed")
			return t, nil
		}
		var ae *APIError
		if !errors.As(err, &ae) || ae.OAuth != "invalid_grant" {
			return nil, err
		}
		c.refuse(old.refresh)
		c.log.Info("refresh refused", "code", ae.Code)
		// Another process sharing the session may have just rotated it:
		// its tokens are in the store.
	}
	t, err := c.tokenRequest(ctx, url.Values{"grant_type": {grantJWT}, "assertion": {c.cfg.JWT}})
	if err != nil {
		var ae *APIError
		if errors.As(err, &ae) && (ae.OAuth == "invalid_grant" || ae.OAuth == "invalid_client" || ae.OAuth == "unauthorized_client" || ae.Status == http.StatusUnauthorized) {
			return nil, &authError{api: ae}
		}
		return nil, err
	}
	c.log.Info("signed in", "owner", t.owner)
	return t, nil
}

// refused reports a refresh token the server has refused.
func (c *Client) refused(rt string) bool {
	c.tokMu.Lock()
	defer c.tokMu.Unlock()
	return slices.Contains(c.refusedRefresh, rt)
}

// refuse remembers a refused refresh token (the last few).
func (c *Client) refuse(rt string) {
	c.tokMu.Lock()
	defer c.tokMu.Unlock()
	c.refusedRefresh = append(c.refusedRefresh, rt)
	if len(c.refusedRefresh) > 8 {
		c.refusedRefresh = c.refusedRefresh[1:]
	}
	if c.tok != nil && c.tok.refresh == rt {
		c.tok.refresh = ""
	}
}

// tokenRequest posts to the token endpoint in the Auth group, once.
func (c *Client) tokenRequest(ctx context.Context, form url.Values) (*token, error) {
	start := c.opts.Now()
	_, body, err := c.send(ctx, request{method: http.MethodPost, path: "/restapi/oauth/token", form: form, group: Auth,
		sending: func() {
			c.tokMu.Lock()
			c.renewSent = true
			c.tokMu.Unlock()
		}})
	if err != nil {
		return nil, err
	}
	var ti TokenInfo
	if err := decodeBody(body, &ti); err != nil {
		return nil, err
	}
	if ti.AccessToken == "" || ti.ExpiresIn <= 0 {
		return nil, errors.New("token response without an access token")
	}
	t := &token{
		access:  ti.AccessToken,
		refresh: ti.RefreshToken,
		ttl:     time.Duration(ti.ExpiresIn) * time.Second,
		expiry:  start.Add(time.Duration(ti.ExpiresIn) * time.Second),
		owner:   ti.OwnerID,
		session: ti.SessionID,
	}
	if ti.RefreshToken != "" {
		t.refreshExpiry = start.Add(time.Duration(ti.RefreshTokenExpiresIn) * time.Second)
	}
	return t, nil
}

// loadStore takes up the saved session and the saved budget, once, before
// the first request.
func (c *Client) loadStore() {
	c.storeOnce.Do(func() {
		if c.opts.Tokens == nil {
			return
		}
		s, err := c.opts.Tokens.Load()
		if err != nil {
			if !errors.Is(err, ErrNoSession) {
				c.log.Info("could not read the saved session", "err", err)
			}
			return
		}
		c.gov.absorb(s.Budget)
		if t := tokenOf(s); t != nil {
			c.tokMu.Lock()
			if c.tok == nil {
				c.tok = t
			}
			c.tokMu.Unlock()
			c.log.Info("reusing the saved session", "owner", t.owner,
				"access_valid_for", t.expiry.Sub(c.opts.Now()).Round(time.Second))
		}
	})
}

// storedNewer returns the store's session when it is not old (another
// process renewed it), nil otherwise. The store's budget is taken in too.
func (c *Client) storedNewer(old *token) *token {
	if c.opts.Tokens == nil {
		return nil
	}
	s, err := c.opts.Tokens.Load()
	if err != nil {
		return nil
	}
	c.gov.absorb(s.Budget)
	t := tokenOf(s)
	switch {
	case t == nil:
		return nil
	case old != nil && t.access == old.access && (t.refresh == old.refresh || old.refresh == ""):
		return nil
	case c.refused(t.refresh) && !c.opts.Now().Before(t.expiry):
		return nil
	}
	if c.refused(t.refresh) {
		t.refresh = ""
	}
	return t
}

// tokenOf is a saved session as the client's token (nil when unusable).
func tokenOf(s Session) *token {
	if s.Owner == "" || (s.AccessToken == "" && s.RefreshToken == "") {
		return nil
	}
	ttl := s.AccessTTL
	if ttl <= 0 {
		ttl = time.Hour
	}
	return &token{access: s.AccessToken, refresh: s.RefreshToken, ttl: ttl, expiry: s.AccessExpiry,
		refreshExpiry: s.RefreshExpiry, owner: s.Owner, session: s.SessionID}
}

// persist saves the session and the recent budget to the store.
func (c *Client) persist() {
	if c.opts.Tokens == nil {
		return
	}
	c.saveMu.Lock()
	defer c.saveMu.Unlock()
	s := Session{Budget: c.gov.export()}
	c.tokMu.Lock()
	if t := c.tok; t != nil {
		s.AccessToken, s.AccessExpiry, s.AccessTTL = t.access, t.expiry, t.ttl
		s.RefreshToken, s.RefreshExpiry = t.refresh, t.refreshExpiry
		s.Owner, s.SessionID = t.owner, t.session
	}
	c.tokMu.Unlock()
	if err := c.opts.Tokens.Save(s); err != nil {
		c.log.Info("could not save the session", "err", err)
	}
}

// Close ends the client's use of the session. Renewals in flight are
// abandoned. With a TokenStore the session is kept for the next process
// (its tokens and the requests of the last minute are saved) and nothing
// is sent; without one the session is revoked, if RingCentral answers
// within ctx. The client may be used again afterwards.
func (c *Client) Close(ctx context.Context) {
	c.tokMu.Lock()
	c.cancelLife()
	c.tokMu.Unlock()
	c.renewals.Wait()
	c.tokMu.Lock()
	c.life, c.cancelLife = context.WithCancel(context.Background())
	c.tokMu.Unlock()
	if c.opts.Tokens != nil {
		c.persist()
		return
	}
	c.Revoke(ctx)
}

// Revoke ends the OAuth session (the saved one too: the store is cleared).
// Errors are ignored, as RingCentral advises (rc-api.md §1.4); it is sent
// once, bounded by ctx, and it reports whether RingCentral confirmed it.
func (c *Client) Revoke(ctx context.Context) bool {
	c.loadStore()
	c.tokMu.Lock()
	t := c.tok
	c.tok = nil
	c.ws = wsTokenCache{}
	c.tokMu.Unlock()
	if c.opts.Tokens != nil {
		if err := c.opts.Tokens.Clear(); err != nil {
			c.log.Info("could not remove the saved session", "err", err)
		}
	}
	if t == nil {
		return false
	}
	tok := t.access
	if tok == "" || !c.opts.Now().Before(t.expiry) && t.refresh != "" {
		tok = t.refresh // either revokes the whole session
	}
	_, _, err := c.send(ctx, request{method: http.MethodPost, path: "/restapi/oauth/revoke",
		form: url.Values{"token": {tok}}, group: Auth, final: true})
	if err != nil {
		c.log.Info("revoke failed", "err", err)
		return false
	}
	c.log.Info("session revoked")
	return true
}

// wsToken gets a WebSocket token (rc-api.md §2.1). A token serves one
// connection at a time until it expires (RingCentral's own recovery test
// reconnects with it), so it is reused for 80% of its life, as the
// official client does: each new one costs a request from the Auth budget
// of five a minute. fresh forces a new one.
func (c *Client) wsToken(ctx context.Context, fresh bool) (uri, tok string, cached bool, err error) {
	c.tokMu.Lock()
	if !fresh && c.ws.token != "" && c.opts.Now().Before(c.ws.reuseUntil) {
		uri, tok = c.ws.uri, c.ws.token
		c.tokMu.Unlock()
		return uri, tok, true, nil
	}
	c.tokMu.Unlock()
	var out struct {
		URI       string `json:"uri"`
		Token     string `json:"ws_access_token"`
		ExpiresIn int    `json:"expires_in"`
	}
	start := c.opts.Now()
	// Background: a reconnect storm must leave a token refresh its slot.
	_, body, err := c.send(ctx, request{method: http.MethodPost, path: "/restapi/oauth/wstoken", group: Auth, background: true})
	if err != nil {
		return "", "", false, err
	}
	if err := decodeBody(body, &out); err != nil {
		return "", "", false, err
	}
	if out.URI == "" || out.Token == "" {
		return "", "", false, errors.New("wstoken response without uri or token")
	}
	c.tokMu.Lock()
	c.ws.uri, c.ws.token = out.URI, out.Token
	c.ws.reuseUntil = start.Add(time.Duration(out.ExpiresIn) * time.Second * 8 / 10)
	c.tokMu.Unlock()
	return out.URI, out.Token, false, nil
}

// forgetWSToken drops the cached WebSocket token (refused, or revoked).
func (c *Client) forgetWSToken() {
	c.tokMu.Lock()
	c.ws = wsTokenCache{}
	c.tokMu.Unlock()
}

// signInTrouble says in a few words why a sign-in must be tried again.
func signInTrouble(err error) string {
	var ae *APIError
	switch {
	case errors.As(err, &ae) && ae.Status == 429:
		return "rate-limited by RingCentral"
	case errors.As(err, &ae) && ae.Status >= 500:
		return "RingCentral is unavailable"
	case errors.Is(err, ErrUnreachable):
		return "RingCentral does not answer"
	}
	return "the sign-in failed"
}

// notRingCentral reports an answer no RingCentral server gives (no
// RingCentral error body, a status that does not pass): asking again will
// not make it one.
func notRingCentral(err error) bool {
	var ae *APIError
	return errors.As(err, &ae) && ae.Foreign && (ae.Status < 500 && ae.Status != 429 || ae.Status == 501)
}
