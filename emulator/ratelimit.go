package emulator

import (
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// limiter enforces RingCentral's per-user, per-app, per-group sliding
// windows (rc-api.md §5.3). Once a key is over its limit, every request in
// the penalty interval is refused and restarts the interval. Guarded by
// Platform.mu.
type limiter struct {
	limits  map[Group]RateLimit
	off     bool
	buckets map[rateKey]*bucket
}

type rateKey struct {
	user   int64
	client string
	group  Group
}

type bucket struct {
	hits         []time.Time // request times inside the window, oldest first
	penaltyUntil time.Time
}

// rateResult is one request's verdict and the headers to send.
type rateResult struct {
	// Off means no limit applies: no X-Rate-Limit-* headers are sent, as
	// RingCentral sends them only for the user-level limits.
	Off       bool
	Group     Group
	Allowed   bool
	Limit     int
	Remaining int
	Window    time.Duration
	// RetryAfter is set when the request is refused.
	RetryAfter time.Duration
}

func newLimiter(limits map[Group]RateLimit, off bool) *limiter {
	return &limiter{limits: limits, off: off, buckets: map[rateKey]*bucket{}}
}

// take counts one request for key at now.
func (l *limiter) take(key rateKey, now time.Time) rateResult {
	lim := l.limits[key.group]
	res := rateResult{Group: key.group, Allowed: true, Limit: lim.Limit, Window: lim.Window}
	if l.off {
		res.Off = true
		res.Remaining = lim.Limit
		return res
	}
	b := l.buckets[key]
	if b == nil {
		b = &bucket{}
		l.buckets[key] = b
	}
	if now.Before(b.penaltyUntil) {
		b.penaltyUntil = now.Add(lim.Penalty) // every request in the penalty restarts it
		res.Allowed = false
		res.RetryAfter = lim.Penalty
		return res
	}
	cut := 0
	for cut < len(b.hits) && now.Sub(b.hits[cut]) >= lim.Window {
		cut++
	}
	b.hits = b.hits[cut:]
	if len(b.hits) >= lim.Limit {
		b.penaltyUntil = now.Add(lim.Penalty)
		res.Allowed = false
		res.RetryAfter = lim.Penalty
		return res
	}
	b.hits = append(b.hits, now)
	res.Remaining = lim.Limit - len(b.hits)
	return res
}

// penalize starts key's penalty for d, as a fault rule's 429 does.
func (l *limiter) penalize(key rateKey, now time.Time, d time.Duration) {
	b := l.buckets[key]
	if b == nil {
		b = &bucket{}
		l.buckets[key] = b
	}
	b.penaltyUntil = now.Add(d)
}

// setHeaders writes the X-Rate-Limit-* headers (group names lower-case, as
// observed on the wire).
func (r rateResult) setHeaders(h http.Header) {
	if r.Off {
		return
	}
	h.Set("X-Rate-Limit-Group", strings.ToLower(string(r.Group)))
	h.Set("X-Rate-Limit-Limit", strconv.Itoa(r.Limit))
	h.Set("X-Rate-Limit-Remaining", strconv.Itoa(r.Remaining))
	h.Set("X-Rate-Limit-Window", strconv.Itoa(seconds(r.Window)))
}

// headerMap is setHeaders for WebSocket ClientRequest responses.
func (r rateResult) headerMap() map[string]string {
	h := http.Header{}
	r.setHeaders(h)
	m := map[string]string{}
	for k := range h {
		m[k] = h.Get(k)
	}
	return m
}

// seconds rounds d up to whole seconds, at least 1.
func seconds(d time.Duration) int {
	return max(1, int(math.Ceil(d.Seconds())))
}

// error is the 429 for a refused request.
func (r rateResult) error() *apiError { return errRateLimited(seconds(r.RetryAfter)) }

// checkRate counts a request by (user, app) in group and reports the
// verdict; p.mu must be held.
func (p *Platform) checkRate(user int64, client string, g Group) rateResult {
	res := p.limits.take(rateKey{user: user, client: client, group: g}, p.now())
	p.stats.Requests[g]++
	if !res.Allowed {
		p.stats.Throttled[g]++
	}
	return res
}
