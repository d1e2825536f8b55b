package rc

import (
	"context"
	"fmt"
	"net/http"
	"slices"
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

// Groups lists the rate-limit groups.
var Groups = []Group{Light, Medium, Heavy, Auth}

// defaultBudgets are RingCentral's documented per-user limits, used until
// the first response tells the real ones.
var defaultBudgets = map[Group]int{Light: 50, Medium: 40, Heavy: 10, Auth: 5}

// priority says whom a request serves, and so how much of its group's
// budget it may use.
type priority int

const (
	// prioBackground: loads, fetches, reconnects. They leave a few slots a
	// window to the user's own actions.
	prioBackground priority = iota
	// prioUser: the user's own actions and token renewals.
	prioUser
	// prioFinal: the clean-up on the way out (the subscription's DELETE,
	// a revoke), which the others leave room for.
	prioFinal
)

// backgroundReserve is how many requests per window background work leaves
// to the user's actions: a fifth of the budget, at most 3. Heavy
// (company presence) only ever serves background loads.
func backgroundReserve(grp Group, limit int) int {
	if grp == Heavy {
		return 0
	}
	return min(3, limit/5)
}

// finalReserve is how many requests per window everything but the
// clean-up on the way out leaves: the subscription's DELETE always finds a
// Medium slot, however busy the session was (rc-api.md §5.3).
func finalReserve(grp Group) int {
	if grp == Medium {
		return 1
	}
	return 0
}

// userRoom is how many requests per window rchud never uses at all: one
// Auth request of the five a minute, so that the user's own sign-in
// elsewhere (another rchud, another app of theirs) always has room.
func userRoom(grp Group) int {
	if grp == Auth {
		return 1
	}
	return 0
}

// capFor is how many requests of grp a window may hold for prio.
func capFor(grp Group, limit int, prio priority) int {
	n := limit - userRoom(grp)
	if prio < prioFinal {
		n -= finalReserve(grp)
	}
	if prio == prioBackground {
		n -= backgroundReserve(grp, limit)
	}
	return max(1, n)
}

// windowGuard keeps a slot until a little after it leaves our window: the
// server counted the request a moment after we did, so it frees the slot a
// moment later, and a request sent in between would trip a 429.
const windowGuard = 250 * time.Millisecond

// governor keeps each group inside its budget so that requests wait
// instead of tripping a 429, and honours a 429's penalty: nothing is sent in
// that group until it has fully passed, since every request during the
// penalty restarts it. A slot is taken when a request may go and stamped
// when it actually leaves, so a request held up in between (by a token
// renewal) still counts from the moment the server sees it.
type governor struct {
	mu     sync.Mutex
	now    func() time.Time
	groups map[Group]*budget
	// wake is closed and replaced whenever a budget may have freed up.
	wake chan struct{}
	// signInWait hears of a sign-in waiting for the Auth budget.
	signInWait func(string, time.Time)
}

type budget struct {
	limit  int
	window time.Duration
	// learned says limit and window came from the server (headers, or a
	// previous process that had them).
	learned bool
	// sent are our requests inside the window, oldest first; taken those
	// that may go but have not left yet, which count until they do.
	sent         []time.Time
	taken        int
	serverLeft   int // X-Rate-Limit-Remaining of the latest response
	serverAt     time.Time
	penaltyUntil time.Time
}

func newGovernor(now func() time.Time, signInWait func(string, time.Time)) *governor {
	g := &governor{now: now, groups: map[Group]*budget{}, wake: make(chan struct{}), signInWait: signInWait}
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

// slot is a request allowed to go: it counts against its group from the
// moment it is taken, and is stamped when it leaves (sent) or freed if it
// never does (cancel). Exactly one of the two must be called; later calls
// do nothing.
type slot struct {
	g    *governor
	grp  Group
	done bool
}

// sent stamps the slot: the request is leaving now.
func (s *slot) sent() {
	if s == nil || s.done {
		return
	}
	s.done = true
	g := s.g
	g.mu.Lock()
	defer g.mu.Unlock()
	b := g.budget(s.grp)
	b.taken--
	now := g.now()
	i, _ := slices.BinarySearchFunc(b.sent, now, func(a, t time.Time) int { return a.Compare(t) })
	b.sent = slices.Insert(b.sent, i, now)
}

// cancel frees a slot whose request never left.
func (s *slot) cancel() {
	if s == nil || s.done {
		return
	}
	s.done = true
	g := s.g
	g.mu.Lock()
	defer g.mu.Unlock()
	g.budget(s.grp).taken--
	g.signalLocked()
}

// RateLimitError says a request was still waiting for its group's budget
// (or a 429's penalty) when its context ended. errors.Is it ErrRateLimited
// and the context's error.
type RateLimitError struct {
	Group Group
	// Until is when the budget would have allowed the request.
	Until time.Time
	ctx   error
}

func (e *RateLimitError) Error() string {
	return fmt.Sprintf("waiting for RingCentral's %s rate limit (the next request could go at %s)", e.Group, e.Until.Local().Format("15:04:05"))
}

func (e *RateLimitError) Unwrap() []error { return []error{ErrRateLimited, e.ctx} }

// acquire waits until a request in grp may be sent and takes a slot for
// it. Background requests leave a few slots per window for the user's
// actions, and everything leaves the clean-up its room.
func (g *governor) acquire(ctx context.Context, grp Group, prio priority) (*slot, error) {
	for {
		g.mu.Lock()
		wait := g.waitLocked(grp, prio)
		if wait <= 0 {
			b := g.budget(grp)
			b.taken++
			if b.serverLeft > 0 {
				b.serverLeft--
			}
			g.mu.Unlock()
			return &slot{g: g, grp: grp}, nil
		}
		wake := g.wake
		until := g.now().Add(wait)
		g.mu.Unlock()
		if grp == Auth && prio != prioBackground && wait > time.Second && g.signInWait != nil {
			g.signInWait("waiting for RingCentral's sign-in limit", until)
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, &RateLimitError{Group: grp, Until: until, ctx: ctx.Err()}
		case <-t.C:
		case <-wake:
			t.Stop()
		}
	}
}

// tryAcquire takes a slot only if one is free now.
func (g *governor) tryAcquire(grp Group, prio priority) (*slot, bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.waitLocked(grp, prio) > 0 {
		return nil, false
	}
	b := g.budget(grp)
	b.taken++
	if b.serverLeft > 0 {
		b.serverLeft--
	}
	return &slot{g: g, grp: grp}, true
}

// waitLocked is how long a request in grp must still wait (0: go now).
func (g *governor) waitLocked(grp Group, prio priority) time.Duration {
	return g.waitWith(grp, capFor(grp, g.budget(grp).limit, prio))
}

// waitWith is waitLocked for a request that may use limit slots of the
// window.
func (g *governor) waitWith(grp Group, limit int) time.Duration {
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
	used := len(b.sent) + b.taken
	// The server's count includes other clients of the same user and app.
	serverFull := b.serverLeft == 0 && now.Sub(b.serverAt) < b.window
	switch {
	case used >= limit || (serverFull && used > 0):
		if len(b.sent) == 0 {
			// Every slot is taken by a request about to leave: its
			// stamp (or its cancel) wakes us.
			return b.window
		}
		return b.sent[0].Add(b.window+windowGuard).Sub(now) + time.Millisecond
	case serverFull:
		return b.serverAt.Add(b.window).Sub(now) + time.Millisecond
	}
	return 0
}

// blockedUntil is when a user's request in grp could go, if it must wait
// now (zero when it could go at once).
func (g *governor) blockedUntil(grp Group) time.Time {
	g.mu.Lock()
	defer g.mu.Unlock()
	if w := g.waitLocked(grp, prioUser); w > 0 {
		return g.now().Add(w)
	}
	return time.Time{}
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
		b.learned = true
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

// GroupBudget is what one rate-limit group has spent lately: what a
// process hands the next so that its governor knows the budget already
// used (the server counts per user and app, not per process).
type GroupBudget struct {
	// Limit and Window are the group's budget as the server told it (zero
	// when it never did).
	Limit  int
	Window time.Duration
	// Sent are when requests left, inside the last window, oldest first.
	Sent []time.Time
	// PenaltyUntil is when a 429's penalty ends (zero: none).
	PenaltyUntil time.Time
}

// Budget is every group's recent spending.
type Budget map[Group]GroupBudget

// export returns what each group has spent inside its window.
func (g *governor) export() Budget {
	g.mu.Lock()
	defer g.mu.Unlock()
	now := g.now()
	out := Budget{}
	for grp, b := range g.groups {
		var gb GroupBudget
		if b.learned {
			gb.Limit, gb.Window = b.limit, b.window
		}
		for _, t := range b.sent {
			if now.Sub(t) < b.window+windowGuard {
				gb.Sent = append(gb.Sent, t)
			}
		}
		if now.Before(b.penaltyUntil) {
			gb.PenaltyUntil = b.penaltyUntil
		}
		if gb.Limit > 0 || len(gb.Sent) > 0 || !gb.PenaltyUntil.IsZero() {
			out[grp] = gb
		}
	}
	return out
}

// absorb adds another process's recent spending to ours: the same
// request (the same instant) counts once.
func (g *governor) absorb(in Budget) {
	g.mu.Lock()
	defer g.mu.Unlock()
	now := g.now()
	for grp, gb := range in {
		if !slices.Contains(Groups, grp) {
			continue
		}
		b := g.budget(grp)
		if gb.Limit > 0 && gb.Window > 0 && !b.learned {
			b.limit, b.window, b.learned = gb.Limit, gb.Window, true
		}
		for _, t := range gb.Sent {
			if now.Sub(t) >= b.window+windowGuard || t.After(now.Add(b.window)) {
				continue // gone, or from a clock far off ours
			}
			i, found := slices.BinarySearchFunc(b.sent, t, func(a, t time.Time) int { return a.Compare(t) })
			if !found {
				b.sent = slices.Insert(b.sent, i, t)
			}
		}
		if gb.PenaltyUntil.After(b.penaltyUntil) && gb.PenaltyUntil.Sub(now) <= 10*time.Minute {
			b.penaltyUntil = gb.PenaltyUntil
		}
	}
	g.signalLocked()
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
