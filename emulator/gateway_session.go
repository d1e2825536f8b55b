package emulator

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"time"
)

// gwSession is a gateway session, the thing a wsc names. It outlives its
// connections: it belongs to one OAuth session, holds at most one
// subscription, numbers its frames and keeps the last RecoveryBufferSize
// notification frames for recovery. Guarded by Platform.mu.
type gwSession struct {
	g       *gateway
	id      uint64
	oauth   *oauthSession
	created time.Time // platform clock, for ConnectionDetails.creationTime
	seq     uint64    // the last wsc sequence handed out
	sub     *Subscription
	ring    frameRing
	conn    *wsConn // the live connection, nil while detached
	ended   bool

	expiry    *time.Timer // destroys the session RecoveryTimeout after a disconnect
	expiryGen uint64      // invalidates an expiry timer that fired too late
	absolute  *time.Timer // WSG-903
}

// liveSub is the session's subscription unless something (an HTTP DELETE,
// a revoke) removed it from the hub.
func (s *gwSession) liveSub() *Subscription {
	if s.sub != nil && s.sub.Deleted {
		s.sub = nil
	}
	return s.sub
}

// deliver implements sink, under Platform.mu: number the notification,
// keep it for recovery and hand it to the live connection without blocking.
func (s *gwSession) deliver(sub *Subscription, uuid string, envelope []byte) {
	if s.ended || sub != s.sub {
		return
	}
	s.seq++
	frame := notificationFrame(uuid, s.g.wscToken(s.id, s.seq), s.seq, envelope)
	s.ring.push(s.seq, frame)
	if s.conn != nil {
		s.conn.send(frame, true)
	}
}

// frameRing keeps the newest notification frames, oldest first.
type frameRing struct {
	size    int
	entries []ringEntry
	start   int // index of the oldest entry once the ring is full
}

type ringEntry struct {
	seq   uint64
	frame []byte
}

func (r *frameRing) push(seq uint64, frame []byte) {
	e := ringEntry{seq, frame}
	if len(r.entries) < r.size {
		r.entries = append(r.entries, e)
		return
	}
	r.entries[r.start] = e
	r.start = (r.start + 1) % r.size
}

// after returns the kept frames with a sequence above seq, in order.
func (r *frameRing) after(seq uint64) [][]byte {
	var out [][]byte
	for i := range r.entries {
		e := r.entries[(r.start+i)%len(r.entries)]
		if e.seq > seq {
			out = append(out, e.frame)
		}
	}
	return out
}

// The wsc token is base64url(session id, sequence, HMAC): unforgeable, and
// it names the exact frame the client saw last.
const (
	wscPayloadLen = 16
	wscMACLen     = 16
)

func (g *gateway) wscMAC(payload []byte) []byte {
	m := hmac.New(sha256.New, g.key)
	m.Write([]byte("wsc\x00"))
	m.Write(payload)
	return m.Sum(nil)[:wscMACLen]
}

func (g *gateway) wscToken(id, seq uint64) string {
	buf := make([]byte, wscPayloadLen, wscPayloadLen+wscMACLen)
	binary.BigEndian.PutUint64(buf, id)
	binary.BigEndian.PutUint64(buf[8:], seq)
	return base64.RawURLEncoding.EncodeToString(append(buf, g.wscMAC(buf)...))
}

// parseWSC checks a client's wsc; ok is false for anything not minted here.
func (g *gateway) parseWSC(tok string) (id, seq uint64, ok bool) {
	raw, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil || len(raw) != wscPayloadLen+wscMACLen {
		return 0, 0, false
	}
	payload, mac := raw[:wscPayloadLen], raw[wscPayloadLen:]
	if !hmac.Equal(mac, g.wscMAC(payload)) {
		return 0, 0, false
	}
	return binary.BigEndian.Uint64(payload), binary.BigEndian.Uint64(payload[8:]), true
}

// newSession starts a gateway session for an OAuth session (under p.mu).
// Sequence 1 is its first ConnectionDetails, as in the DOCS sample.
func (g *gateway) newSession(oauth *oauthSession) *gwSession {
	g.nextID++
	s := &gwSession{
		g: g, id: g.nextID, oauth: oauth, created: g.p.now(), seq: 1,
		ring: frameRing{size: g.cfg.RecoveryBufferSize},
	}
	g.sessions[s.id] = s
	g.p.stats.Gateway.Sessions++
	s.absolute = time.AfterFunc(g.cfg.AbsoluteTimeout, func() { g.absoluteTimeout(s) })
	return s
}

// attach makes c the session's live connection (under p.mu); a connection
// the session had elsewhere is closed.
func (g *gateway) attach(s *gwSession, c *wsConn) {
	if prev := s.conn; prev != nil && prev != c {
		prev.requestClose(&closeRequest{code: 1000, text: "Session continued on another connection"})
	}
	s.conn = c
	c.sess = s
	s.expiryGen++
	if s.expiry != nil {
		s.expiry.Stop()
		s.expiry = nil
	}
}

// detached starts the recovery window of a session whose connection ended
// (under p.mu).
func (g *gateway) detached(s *gwSession) {
	s.conn = nil
	if s.ended || g.closed {
		return
	}
	s.expiryGen++
	gen := s.expiryGen
	s.expiry = time.AfterFunc(g.cfg.RecoveryTimeout, func() {
		g.p.mu.Lock()
		defer g.p.mu.Unlock()
		if s.ended || s.conn != nil || s.expiryGen != gen || g.closed {
			return
		}
		g.destroy(s, nil)
	})
}

// destroy ends a session for good (under p.mu): its subscription leaves the
// hub, a recovery naming it fails with WSG-1005, and its connection, if
// any, is closed with cr.
func (g *gateway) destroy(s *gwSession, cr *closeRequest) {
	if s.ended {
		return
	}
	s.ended = true
	delete(g.sessions, s.id)
	g.p.stats.Gateway.Sessions--
	s.stopTimers()
	g.p.hub.remove(s.sub)
	s.sub = nil
	s.ring = frameRing{}
	if s.conn != nil && cr != nil {
		s.conn.requestClose(cr)
	}
}

func (s *gwSession) stopTimers() {
	s.expiryGen++
	if s.expiry != nil {
		s.expiry.Stop()
	}
	if s.absolute != nil {
		s.absolute.Stop()
	}
}

// absoluteTimeout ends a session AbsoluteTimeout after it began (WSG-903).
func (g *gateway) absoluteTimeout(s *gwSession) {
	g.p.mu.Lock()
	defer g.p.mu.Unlock()
	if s.ended || g.closed {
		return
	}
	g.p.stats.Gateway.AbsoluteTimeouts++
	g.destroy(s, &closeRequest{
		frame: errorFrame(nil, codeAbsoluteTimeout, msgAbsoluteTimeout),
		code:  1000, text: msgAbsoluteTimeout,
	})
}

// recoveryError decides a recovery attempt of old (nil: unknown or ended)
// by a connection of oauth (rc-api.md §2.7); "" means Successful.
func (g *gateway) recoveryError(old *gwSession, oauth *oauthSession) string {
	switch {
	case old == nil:
		return codeSessionNotFound
	case old.oauth.id != oauth.id:
		return codeOtherOAuth
	case old.liveSub() == nil:
		return codeSessionNotFound
	case g.faults().RecoveryFail:
		// Like a gateway node that does not know the session (no stickiness).
		return codeSessionNotFound
	}
	return ""
}
