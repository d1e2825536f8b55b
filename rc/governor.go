package rc

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Group is a RingCentral rate-limit group (rc-api.md §5.3).
type Group string

// The groups.
const (
	Light  Group = "Light"
	Medium Group = "Medium"
	Heavy  Group = "Heavy"
	Auth   Group = "Auth"
)

// defaultBudgets are RingCentral's documented per-user limits, used until
// the first response tells the real ones.
var defaultBudgets = map[Group]int{Light: 50, Medium: 40, Heavy: 10, Auth: 5}

// backgroundReserve is how many requests per window background work leaves
// to the user's own actions: a fifth of the budget, at most 3. Heavy
// (company presence) only ever serves background loads.
func backgroundReserve(grp Group, limit int) int {
	if grp == Heavy {
		return 0
	}
	return min(3, limit/5)
}

// windowGuard keeps a slot until a little after it leaves our window: the
// server counted the request a moment after we did, so it frees the slot a
// moment later, and a request sent in between would trip a 429.
const windowGuard = 250 * time.Millisecond

// governor keeps each group inside its budget so that requests wait
// instead of tripping a 429, and honours a 429's penalty: nothing is sent in
// that group until it has fully passed, since every request during the
// penalty restarts it.
type governor struct {
	mu     sync.Mutex
	now    func() time.Time
	groups map[Group]*budget
	// wake is closed and replaced whenever a budget may have freed up.
	wake chan struct{}
}

type budget struct {
	limit        int
	window       time.Duration
	sent         []time.Time // our requests inside the window, oldest first
	serverLeft   int         // X-Rate-Limit-Remaining of the latest response
	serverAt     time.Time
	penaltyUntil time.Time
}

func newGovernor(now func() time.Time) *governor {
	g := &governor{now: now, groups: map[Group]*budget{}, wake: make(chan struct{})}
	for grp, n := range defaultBudgets {
		g.groups[grp] = &budget{limit: n, window: time.Minute, serverLeft: -1}
	}
	return g
}

func (g *governor) budget(grp Group) *budget {
	b := g.groups[grp]
	if b == nil {
		b = &budget{limit: defaultBudgets[Light], window: time.Minute, serverLeft: -1}
		g.groups[grp] = b
	}
	return b
}

// acquire waits until a request in grp may be sent and counts it.
// Background requests leave a few slots per window for the user's actions.
func (g *governor) acquire(ctx context.Context, grp Group, background bool) error {
	for {
		g.mu.Lock()
		wait := g.waitLocked(grp, background)
		if wait <= 0 {
			b := g.budget(grp)
			b.sent = append(b.sent, g.now())
			if b.serverLeft > 0 {
				b.serverLeft--
			}
			g.mu.Unlock()
			return nil
		}
		wake := g.wake
		g.mu.Unlock()
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		case <-wake:
			t.Stop()
		}
	}
}

// waitLocked is how long a request in grp must still wait (0: go now).
func (g *governor) waitLocked(grp Group, background bool) time.Duration {
	now := g.now()
	b := g.budget(grp)
	if now.Before(b.penaltyUntil) {
		return b.penaltyUntil.Sub(now)
	}
	cut := 0
	for cut < len(b.sent) && now.Sub(b.sent[cut]) >= b.window+windowGuard {
		cut++
	}
	b.sent = b.sent[cut:]
	limit := b.limit
	if background {
		limit = max(1, limit-backgroundReserve(grp, limit))
	}
	// The server's count includes other clients of the same user and app.
	serverFull := b.serverLeft == 0 && now.Sub(b.serverAt) < b.window
	switch {
	case len(b.sent) >= limit || (serverFull && len(b.sent) > 0):
		return b.sent[0].Add(b.window+windowGuard).Sub(now) + time.Millisecond
	case serverFull:
		return b.serverAt.Add(b.window).Sub(now) + time.Millisecond
	}
	return 0
}

// observe learns the group's budget from a response's X-Rate-Limit-*
// headers.
func (g *governor) observe(grp Group, h http.Header) {
	limit, err1 := strconv.Atoi(h.Get("X-Rate-Limit-Limit"))
	left, err2 := strconv.Atoi(h.Get("X-Rate-Limit-Remaining"))
	window, err3 := strconv.Atoi(h.Get("X-Rate-Limit-Window"))
	if err1 != nil || err2 != nil {
		return
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	b := g.budget(grp)
	if limit > 0 {
		b.limit = limit
	}
	if err3 == nil && window > 0 {
		b.window = time.Duration(window) * time.Second
	}
	b.serverLeft, b.serverAt = left, g.now()
	g.signalLocked()
}

// penalize stops the group for d (a 429's Retry-After).
func (g *governor) penalize(grp Group, d time.Duration) {
	g.mu.Lock()
	defer g.mu.Unlock()
	b := g.budget(grp)
	if until := g.now().Add(d); until.After(b.penaltyUntil) {
		b.penaltyUntil = until
	}
	g.signalLocked()
}

// penalized reports until when grp is blocked (zero if it is not).
func (g *governor) penalized(grp Group) time.Time {
	g.mu.Lock()
	defer g.mu.Unlock()
	b := g.budget(grp)
	if g.now().Before(b.penaltyUntil) {
		return b.penaltyUntil
	}
	return time.Time{}
}

func (g *governor) signalLocked() {
	close(g.wake)
	g.wake = make(chan struct{})
}

// parseRetryAfter reads Retry-After as seconds or an HTTP date; without a
// usable value RingCentral's documentation says to wait at least 30 s
// (rc-api.md §5.3), and its penalty is 60 s, so we wait 60.
func parseRetryAfter(v string) time.Duration {
	v = strings.TrimSpace(v)
	if n, err := strconv.Atoi(v); err == nil && n >= 0 {
		return time.Duration(n) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := time.Until(t); d > 0 {
			return d
		}
	}
	return 60 * time.Second
}
