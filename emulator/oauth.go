package emulator

import (
	"crypto/hmac"
	crand "crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	mrand "math/rand/v2"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

const (
	grantJWT     = "urn:ietf:params:oauth:grant-type:jwt-bearer"
	grantRefresh = "refresh_token"
)

// Credentials are what `rchud emulator` prints: the app and the users' JWTs.
type Credentials struct {
	ServerURL    string
	ClientID     string
	ClientSecret string
	// UserJWT signs in the receptionist, an admin.
	UserJWT      string
	Receptionist Person
	Agents       []AgentCredential
}

// Person names an extension.
type Person struct {
	ExtensionID     string
	ExtensionNumber string
	Name            string
}

// AgentCredential is a non-admin queue agent's JWT.
type AgentCredential struct {
	Person
	JWT string
}

// oauthSession is one OAuth session: a login by a user through the app.
type oauthSession struct {
	id         string
	ext        *Extension
	clientID   string
	endpointID string
	scope      string // as the last token response gave it
	created    time.Time
	revoked    bool
	// requested are the scopes the sign-in asked for, if it narrowed them.
	requested grantSet
	narrowed  bool
	// For the control API: the last use of any of its tokens, the number
	// of refreshes, and when and why it ended.
	lastUsed     time.Time
	refreshCount int
	ended        time.Time
	endReason    string

	access        string
	accessExpiry  time.Time
	accessUsed    bool
	refresh       string
	refreshExpiry time.Time
	refreshTTL    time.Duration
	// grace is the refresh token this session rotated away from last.
	grace *graceRefresh
}

// graceRefresh lets a just-rotated refresh token be replayed: it returns the
// same new tokens until 10 s after the new access token is first used, or
// for 60 min if it never is (rc-api.md §1.3).
type graceRefresh struct {
	token string
	until time.Time
}

// wsToken is an issued WebSocket token. It is good until it expires, for
// one connection at a time: a new connection with it ends the one it opened
// before. RCEX-WS relies on this: it caches the token for 80% of expires_in
// and reconnects (session recovery) with it, as RingCentral's own lab tests
// do (ringcentral-extensible test/ws-extension/session-recovery.spec.ts:
// close, wait 5 s, recover, "Successful"), and its maintainer describes the
// displacement (ringcentral-extensible#39).
type wsToken struct {
	sess    *oauthSession
	expires time.Time
	conn    *wsConn // the connection it opened last; nil if none
}

// authStore holds credentials, OAuth sessions and WebSocket tokens.
// Guarded by Platform.mu.
type authStore struct {
	clientID     string
	clientSecret string
	jwtKey       []byte
	jwts         map[string]*Extension
	sessions     []*oauthSession // live ones
	byID         map[string]*oauthSession
	history      []*oauthSession // live and ended, oldest first
	byAccess     map[string]*oauthSession
	byRefresh    map[string]*oauthSession
	wsTokens     map[string]wsToken
}

func newAuthStore() *authStore {
	return &authStore{
		jwts:      map[string]*Extension{},
		byID:      map[string]*oauthSession{},
		byAccess:  map[string]*oauthSession{},
		byRefresh: map[string]*oauthSession{},
		wsTokens:  map[string]wsToken{},
	}
}

// issueCredentials derives the app credentials and the users' JWTs from the
// seed, so the same seed always prints the same .env.
func (p *Platform) issueCredentials() Credentials {
	r := mrand.New(mrand.NewPCG(uint64(p.cfg.Seed), 0xc4ed))
	a := p.auth
	a.clientID = randomToken(r, 22)
	a.clientSecret = randomToken(r, 44)
	a.jwtKey = []byte(randomToken(r, 48))
	mint := func(e *Extension) string {
		tok := signJWT(a.jwtKey, map[string]any{
			"aud": "https://platform.ringcentral.com/restapi/oauth/token",
			"iss": "https://platform.ringcentral.com",
			"sub": e.IDString(),
			"iat": 1735689600,
			"exp": 4102444800,
			"jti": randomToken(r, 22),
		})
		a.jwts[tok] = e
		return tok
	}
	person := func(e *Extension) Person {
		return Person{ExtensionID: e.IDString(), ExtensionNumber: e.Number, Name: e.Name}
	}
	c := Credentials{
		ClientID:     a.clientID,
		ClientSecret: a.clientSecret,
		UserJWT:      mint(p.dir.Receptionist),
		Receptionist: person(p.dir.Receptionist),
	}
	for _, e := range p.dir.Agents {
		c.Agents = append(c.Agents, AgentCredential{Person: person(e), JWT: mint(e)})
	}
	return c
}

const tokenAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

func randomToken(r *mrand.Rand, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = tokenAlphabet[r.IntN(len(tokenAlphabet))]
	}
	return string(b)
}

// secretToken is an unguessable bearer token (access, refresh, ws).
func secretToken(prefix string) string {
	b := make([]byte, 33)
	_, _ = crand.Read(b)
	return prefix + base64.RawURLEncoding.EncodeToString(b)
}

func signJWT(key []byte, claims map[string]any) string {
	enc := base64.RawURLEncoding
	header := enc.EncodeToString([]byte(`{"alg":"HS256","typ":"JWT","kid":"rchud-emulator"}`))
	body, _ := json.Marshal(claims)
	signing := header + "." + enc.EncodeToString(body)
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(signing))
	return signing + "." + enc.EncodeToString(mac.Sum(nil))
}

// verifyJWT checks a JWT credential's signature and returns its user.
func (a *authStore) verifyJWT(tok string) (*Extension, bool) {
	ext, ok := a.jwts[tok]
	if !ok {
		return nil, false
	}
	i := strings.LastIndexByte(tok, '.')
	mac := hmac.New(sha256.New, a.jwtKey)
	mac.Write([]byte(tok[:i]))
	want := base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
	return ext, hmac.Equal([]byte(want), []byte(tok[i+1:]))
}

// clientAuth checks Basic auth and/or a client_id form field.
func (a *authStore) clientAuth(r *http.Request) *oauthError {
	id, secret, basic := r.BasicAuth()
	bodyID := r.PostForm.Get("client_id")
	switch {
	case basic:
		if subtle.ConstantTimeCompare([]byte(id), []byte(a.clientID)) != 1 ||
			subtle.ConstantTimeCompare([]byte(secret), []byte(a.clientSecret)) != 1 {
			return oauthInvalidClient
		}
		if bodyID != "" && bodyID != a.clientID {
			return oauthInvalidClient
		}
		return nil
	case bodyID != "":
		if bodyID != a.clientID {
			return oauthInvalidClient
		}
		return nil
	default:
		return oauthClientRequired
	}
}

// tokenJSON is TokenInfo.
type tokenJSON struct {
	AccessToken           string `json:"access_token"`
	TokenType             string `json:"token_type"`
	ExpiresIn             int    `json:"expires_in"`
	RefreshToken          string `json:"refresh_token"`
	RefreshTokenExpiresIn int    `json:"refresh_token_expires_in"`
	Scope                 string `json:"scope"`
	OwnerID               string `json:"owner_id"`
	EndpointID            string `json:"endpoint_id"`
	SessionID             string `json:"session_id"`
}

func (s *oauthSession) tokenInfo(now time.Time) tokenJSON {
	return tokenJSON{
		AccessToken:           s.access,
		TokenType:             "bearer",
		ExpiresIn:             max(0, int(s.accessExpiry.Sub(now).Round(time.Second)/time.Second)),
		RefreshToken:          s.refresh,
		RefreshTokenExpiresIn: max(0, int(s.refreshExpiry.Sub(now).Round(time.Second)/time.Second)),
		Scope:                 s.scope,
		OwnerID:               s.ext.IDString(),
		EndpointID:            s.endpointID,
		SessionID:             s.id,
	}
}

// ttlParam reads a TTL form field in seconds, clamps it to [lo, hi] and
// then to the configured cap, which may be shorter than lo (test faults).
func ttlParam(r *http.Request, name string, lo, hi, def time.Duration, cfgCap time.Duration) time.Duration {
	d := def
	if v := r.PostForm.Get(name); v != "" {
		if n, err := strconv.Atoi(v); err == nil {
			d = min(max(time.Duration(n)*time.Second, lo), hi)
		}
	}
	return min(d, cfgCap)
}

// handleToken serves POST /restapi/oauth/token (JWT and refresh grants).
func (e *Emulator) handleToken(w http.ResponseWriter, r *http.Request) {
	formErr := r.ParseForm() // reads the body only when it is a form
	note := noteOf(r)
	note.grant = grantName(r.PostForm.Get("grant_type"))
	if e.oauthFault(w, r, oauthToken, note.grant) {
		return
	}
	if !strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
		(&apiError{Status: http.StatusUnsupportedMediaType, Code: "CMN-104", Message: "Unsupported Media Type"}).write(w)
		return
	}
	if formErr != nil {
		oauthBadRequest.write(w)
		return
	}
	p := e.p
	p.mu.Lock()
	defer p.mu.Unlock()
	p.stats.TokenRequests++
	a := p.auth
	if oe := a.clientAuth(r); oe != nil {
		oe.write(w)
		return
	}
	now := p.now()
	switch r.PostForm.Get("grant_type") {
	case grantJWT:
		ext, ok := a.verifyJWT(r.PostForm.Get("assertion"))
		var uid int64
		if ok {
			uid = ext.ID
		}
		if rr := p.checkRate(uid, a.clientID, Auth); !rr.Allowed {
			rr.setHeaders(w.Header())
			rr.error().write(w)
			return
		} else {
			rr.setHeaders(w.Header())
		}
		if !ok {
			oauthInvalidCredentials.write(w)
			return
		}
		p.stats.JWTGrants++
		s := p.newSession(ext, r, now)
		note.user, note.session = ext.IDString(), s.id
		writeJSON(w, http.StatusOK, s.tokenInfo(now))

	case grantRefresh:
		p.stats.RefreshRequests++
		rt := r.PostForm.Get("refresh_token")
		s := a.byRefresh[rt]
		var uid int64
		if s != nil {
			uid = s.ext.ID
			note.user, note.session = s.ext.IDString(), s.id
		}
		if rr := p.checkRate(uid, a.clientID, Auth); !rr.Allowed {
			rr.setHeaders(w.Header())
			rr.error().write(w)
			return
		} else {
			rr.setHeaders(w.Header())
		}
		switch {
		case s == nil || s.revoked:
			oauthRefreshNotFound.write(w)
		case s.refresh == rt && !now.Before(s.refreshExpiry):
			oauthRefreshExpired.write(w)
		case s.refresh == rt:
			p.rotate(s, r, now)
			writeJSON(w, http.StatusOK, s.tokenInfo(now))
		case s.grace != nil && s.grace.token == rt && now.Before(s.grace.until):
			// A replay of the previous refresh token gets the same new tokens.
			s.lastUsed = now
			writeJSON(w, http.StatusOK, s.tokenInfo(now))
		default:
			oauthRefreshNotFound.write(w)
		}

	default:
		oauthUnsupportedGrant.write(w)
	}
}

// newSession starts an OAuth session, revoking the oldest of the user's
// sessions with this app beyond the cap.
func (p *Platform) newSession(ext *Extension, r *http.Request, now time.Time) *oauthSession {
	a := p.auth
	var mine []*oauthSession
	for _, s := range a.sessions {
		if s.ext == ext && s.clientID == a.clientID && !s.revoked {
			mine = append(mine, s)
		}
	}
	for len(mine) >= p.cfg.MaxSessions {
		p.revoke(mine[0], EndSessionLimit)
		mine = mine[1:]
	}
	s := &oauthSession{
		id:         strconv.FormatInt(p.rng.Int64N(9e17)+1e17, 10),
		ext:        ext,
		clientID:   a.clientID,
		endpointID: r.PostForm.Get("endpoint_id"),
		created:    now,
		lastUsed:   now,
	}
	if s.endpointID == "" {
		s.endpointID = randomToken(p.rng, 22)
	}
	// A narrower request is granted as asked.
	s.requested, s.narrowed = requestedScopes(r.PostForm.Get("scope"))
	s.refreshTTL = ttlParam(r, "refresh_token_ttl", time.Second, 30*24*time.Hour, 7*24*time.Hour, p.cfg.RefreshTTL)
	a.sessions = append(a.sessions, s)
	a.byID[s.id] = s
	a.remember(s)
	p.issueTokens(s, r, now)
	return s
}

// maxSessionHistory bounds the sessions kept for the control API.
const maxSessionHistory = 10000

// remember keeps s for the control API, forgetting the oldest ended
// sessions when there are too many.
func (a *authStore) remember(s *oauthSession) {
	a.history = append(a.history, s)
	if len(a.history) <= maxSessionHistory {
		return
	}
	drop := len(a.history) - maxSessionHistory/2
	keep := a.history[:0]
	for _, x := range a.history {
		if drop > 0 && x.revoked {
			drop--
			continue
		}
		keep = append(keep, x)
	}
	clear(a.history[len(keep):])
	a.history = keep
}

// issueTokens gives s a fresh access and refresh token pair.
func (p *Platform) issueTokens(s *oauthSession, r *http.Request, now time.Time) {
	a := p.auth
	delete(a.byAccess, s.access)
	s.access = secretToken("U0pDMDFQMDFQQVMwMHw")
	s.accessExpiry = now.Add(ttlParam(r, "access_token_ttl", 600*time.Second, time.Hour, time.Hour, p.cfg.AccessTTL))
	s.accessUsed = false
	s.refresh = secretToken("U0pDMDFQMDFKV1MwMXw")
	s.refreshExpiry = now.Add(s.refreshTTL)
	s.scope = scopeString(p.sessionScopes(s))
	a.byAccess[s.access] = s
	a.byRefresh[s.refresh] = s
	p.rememberSecret("access token", s.access)
	p.rememberSecret("refresh token", s.refresh)
}

// rotate answers a refresh: the old access token dies at once, the old
// refresh token enters its grace period.
func (p *Platform) rotate(s *oauthSession, r *http.Request, now time.Time) {
	a := p.auth
	if s.grace != nil {
		delete(a.byRefresh, s.grace.token)
	}
	s.grace = &graceRefresh{token: s.refresh, until: now.Add(time.Hour)}
	s.refreshCount++
	s.lastUsed = now
	p.issueTokens(s, r, now)
	a.byRefresh[s.grace.token] = s
}

// Why an OAuth session ended (SessionInfo.EndReason).
const (
	EndRevoked        = "revoked"        // the client revoked it (POST /restapi/oauth/revoke)
	EndRevokedByAdmin = "revokedByAdmin" // the control API revoked it
	EndSessionLimit   = "sessionLimit"   // a newer session of the user and app displaced it
	EndExpired        = "expired"        // both its tokens expired
	EndUserRemoved    = "userRemoved"    // its user left the account (deleted or disabled)
)

// revoke ends a session for reason: every token, its WebSocket tokens,
// its subscriptions and (through onSessionEnd) its sockets.
func (p *Platform) revoke(s *oauthSession, reason string) {
	if s.revoked {
		return
	}
	a := p.auth
	s.revoked = true
	s.ended, s.endReason = p.now(), reason
	p.stats.Revocations++
	delete(a.byID, s.id)
	delete(a.byAccess, s.access)
	delete(a.byRefresh, s.refresh)
	if s.grace != nil {
		delete(a.byRefresh, s.grace.token)
	}
	for tok, wt := range a.wsTokens {
		if wt.sess == s {
			delete(a.wsTokens, tok)
		}
	}
	a.sessions = slices.DeleteFunc(a.sessions, func(x *oauthSession) bool { return x == s })
	for _, sub := range slices.Clone(p.hub.subs) {
		if sub.SessionID == s.id {
			p.hub.remove(sub)
		}
	}
	if p.onSessionEnd != nil {
		p.onSessionEnd(s.id)
	}
}

// handleRevoke serves POST /restapi/oauth/revoke: it ends the whole session.
func (e *Emulator) handleRevoke(w http.ResponseWriter, r *http.Request) {
	formErr := r.ParseForm()
	if e.oauthFault(w, r, oauthRevoke, "") {
		return
	}
	if formErr != nil {
		oauthBadRequest.write(w)
		return
	}
	p := e.p
	p.mu.Lock()
	defer p.mu.Unlock()
	a := p.auth
	if oe := a.clientAuth(r); oe != nil {
		oe.write(w)
		return
	}
	tok := r.PostForm.Get("token")
	s := a.byAccess[tok]
	if s == nil {
		s = a.byRefresh[tok]
	}
	if s != nil {
		note := noteOf(r)
		note.user, note.session = s.ext.IDString(), s.id
		if rr := p.checkRate(s.ext.ID, a.clientID, Auth); !rr.Allowed {
			rr.setHeaders(w.Header())
			rr.error().write(w)
			return
		}
		p.revoke(s, EndRevoked)
	}
	w.WriteHeader(http.StatusOK)
}

// authenticate resolves the bearer token of a REST request (header, or the
// discouraged access_token query parameter). p.mu must be held.
func (p *Platform) authenticate(r *http.Request) (*oauthSession, *apiError) {
	tok, ok := bearerToken(r.Header.Get("Authorization"))
	if !ok {
		tok = r.URL.Query().Get("access_token")
	}
	if tok == "" {
		return nil, errNoToken()
	}
	return p.sessionForAccess(tok)
}

// bearerToken reads "Bearer <token>". The scheme is case-insensitive (RFC
// 7235 §2.1): RCJS sends the token_type it was given, "bearer", verbatim.
func bearerToken(header string) (string, bool) {
	scheme, tok, ok := strings.Cut(header, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	return strings.TrimSpace(tok), true
}

// sessionForAccess checks an access token. Its first use shortens the grace
// of the refresh token it replaced.
func (p *Platform) sessionForAccess(tok string) (*oauthSession, *apiError) {
	s := p.auth.byAccess[tok]
	if s == nil || s.revoked {
		return nil, errTokenNotFound()
	}
	now := p.now()
	if !now.Before(s.accessExpiry) {
		return nil, errTokenExpired()
	}
	s.lastUsed = now
	if !s.accessUsed {
		s.accessUsed = true
		if s.grace != nil {
			s.grace.until = minTime(s.grace.until, now.Add(10*time.Second))
		}
	}
	return s, nil
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// handleWSToken serves POST /restapi/oauth/wstoken.
func (e *Emulator) handleWSToken(w http.ResponseWriter, r *http.Request) {
	if e.oauthFault(w, r, oauthWSToken, "") {
		return
	}
	p := e.p
	p.mu.Lock()
	defer p.mu.Unlock()
	s, err := p.authenticate(r)
	if err != nil {
		writeAuthError(w, err)
		return
	}
	note := noteOf(r)
	note.user, note.session = s.ext.IDString(), s.id
	rr := p.checkRate(s.ext.ID, s.clientID, Auth)
	rr.setHeaders(w.Header())
	if !rr.Allowed {
		rr.error().write(w)
		return
	}
	if !p.scopeHeld(s, ScopeWebSocketSubscriptions) {
		errAppPermission(ScopeWebSocketSubscriptions).write(w)
		return
	}
	p.stats.WSTokens++
	now := p.now()
	for old, wt := range p.auth.wsTokens {
		if !now.Before(wt.expires) {
			delete(p.auth.wsTokens, old)
		}
	}
	tok := secretToken("U0pDMDFQMDdQQVMwMHw")
	p.rememberSecret("WebSocket token", tok)
	p.auth.wsTokens[tok] = wsToken{sess: s, expires: now.Add(p.cfg.WSTokenTTL)}
	writeJSON(w, http.StatusOK, map[string]any{
		"uri":             "ws" + strings.TrimPrefix(p.base, "http") + "/ws",
		"ws_access_token": tok,
		"expires_in":      seconds(p.cfg.WSTokenTTL),
	})
}

// wsTokenSession checks a WebSocket token and returns its OAuth session.
// p.mu must be held.
func (p *Platform) wsTokenSession(tok string) (*oauthSession, bool) {
	wt, ok := p.auth.wsTokens[tok]
	if !ok {
		return nil, false
	}
	if wt.sess.revoked || !p.now().Before(wt.expires) {
		delete(p.auth.wsTokens, tok)
		return nil, false
	}
	wt.sess.lastUsed = p.now()
	return wt.sess, true
}

// bindWSToken records that tok opened c and returns the connection it
// opened before, which the caller ends. p.mu must be held.
func (p *Platform) bindWSToken(tok string, c *wsConn) (prev *wsConn) {
	wt, ok := p.auth.wsTokens[tok]
	if !ok {
		return nil
	}
	prev, wt.conn = wt.conn, c
	p.auth.wsTokens[tok] = wt
	if prev == c {
		return nil
	}
	return prev
}

// writeAuthError sends a 401 with the legacy body, or any other error as is.
func writeAuthError(w http.ResponseWriter, err *apiError) {
	if err.Status != http.StatusUnauthorized {
		err.write(w)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("WWW-Authenticate", `Bearer realm="RingCentral"`)
	w.WriteHeader(http.StatusUnauthorized)
	_, _ = w.Write(err.legacyAuthBody())
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}
