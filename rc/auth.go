package rc

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"time"
)

const grantJWT = "urn:ietf:params:oauth:grant-type:jwt-bearer"

// Login signs in with the JWT credential (if not already signed in) and
// returns the signed-in extension's id.
func (c *Client) Login(ctx context.Context) (ID, error) {
	if _, err := c.accessToken(ctx); err != nil {
		return "", err
	}
	c.tokMu.Lock()
	defer c.tokMu.Unlock()
	return c.tok.owner, nil
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
// first if needed. Concurrent callers share one renewal (single flight).
func (c *Client) accessToken(ctx context.Context) (string, error) {
	c.tokMu.Lock()
	for {
		now := c.opts.Now()
		if t := c.tok; t != nil && now.Before(t.expiry.Add(-c.refreshMargin(t))) {
			c.tokMu.Unlock()
			return t.access, nil
		}
		// After a failed renewal, keep using a still-valid token a while.
		if t := c.tok; t != nil && now.Before(c.retryAt) && now.Before(t.expiry) {
			c.tokMu.Unlock()
			return t.access, nil
		}
		if ch := c.refreshing; ch != nil {
			// A renewal waiting for Auth budget has not reached the server,
			// which would kill this token on receipt: until it is sent, a
			// token still good for a while serves.
			if t := c.tok; t != nil && !c.renewSent && now.Before(t.expiry.Add(-inFlightMargin)) {
				c.tokMu.Unlock()
				return t.access, nil
			}
			c.tokMu.Unlock()
			select {
			case <-ch:
			case <-ctx.Done():
				return "", ctx.Err()
			}
			c.tokMu.Lock()
			continue
		}
		ch := make(chan struct{})
		c.refreshing = ch
		old := c.tok
		c.tokMu.Unlock()

		// The renewal outlives a cancelled caller: others may be waiting.
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Minute)
		fresh, err := c.renew(rctx, old)
		cancel()

		c.tokMu.Lock()
		c.refreshing = nil
		c.renewSent = false
		close(ch)
		if err != nil {
			c.retryAt = c.opts.Now().Add(5 * time.Second)
			if old != nil && c.opts.Now().Before(old.expiry) && !errors.Is(err, ErrAuth) {
				c.tokMu.Unlock()
				return old.access, nil
			}
			c.tokMu.Unlock()
			return "", err
		}
		c.tok = fresh
		c.retryAt = time.Time{}
	}
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

// renew refreshes old, or signs in again with the JWT when there is no
// usable refresh token or the refresh is refused (rc-api.md §7 item 1).
func (c *Client) renew(ctx context.Context, old *token) (*token, error) {
	now := c.opts.Now()
	if old != nil && old.refresh != "" && now.Before(old.refreshExpiry) {
		t, err := c.tokenRequest(ctx, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {old.refresh}}, 0)
		if err == nil {
			c.log.Info("access token refreshed")
			return t, nil
		}
		var ae *APIError
		if !errors.As(err, &ae) || ae.OAuth != "invalid_grant" {
			return nil, err
		}
		c.log.Info("refresh refused, signing in again", "code", ae.Code)
	}
	retries := 0
	if old == nil {
		retries = c.opts.FirstSignInRetries
	}
	t, err := c.tokenRequest(ctx, url.Values{"grant_type": {grantJWT}, "assertion": {c.cfg.JWT}}, retries)
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

// tokenRequest posts to the token endpoint in the Auth group.
func (c *Client) tokenRequest(ctx context.Context, form url.Values, retries int) (*token, error) {
	start := c.opts.Now()
	_, body, err := c.send(ctx, request{method: http.MethodPost, path: "/restapi/oauth/token", form: form, group: Auth, retries: retries,
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

// Revoke ends the OAuth session. Errors are ignored, as RingCentral
// advises (rc-api.md §1.4); it is bounded by ctx.
func (c *Client) Revoke(ctx context.Context) {
	c.tokMu.Lock()
	t := c.tok
	c.tok = nil
	c.ws = wsTokenCache{}
	c.tokMu.Unlock()
	if t == nil {
		return
	}
	_, _, err := c.send(ctx, request{method: http.MethodPost, path: "/restapi/oauth/revoke",
		form: url.Values{"token": {t.access}}, group: Auth})
	if err != nil {
		c.log.Info("revoke failed", "err", err)
		return
	}
	c.log.Info("session revoked")
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
