package rc

import "time"

// What the rate-limit budget allows a loader that paces itself: how long a
// background request would wait now, how many a window allows, and how
// long a number of them takes at RingCentral's rate. None takes a slot:
// the request itself still goes through the governor.

// BudgetWait is how long a background request in g would wait for its
// budget now were it to leave spare requests of the window to others (0:
// it could go at once).
func (c *Client) BudgetWait(g Group, spare int) time.Duration {
	return c.gov.spareWait(g, spare)
}

// BudgetFree is how many background requests in g could go at once now
// while leaving spare requests of the window to others.
func (c *Client) BudgetFree(g Group, spare int) int {
	return c.gov.free(g, spare)
}

// BackgroundBudget is how many background requests of g one window
// allows, and the window.
func (c *Client) BackgroundBudget(g Group) (int, time.Duration) {
	return c.gov.pace(g)
}

// BudgetETA is how long n more background requests in g take to have all
// left, each sent as early as the budget allows while leaving spare
// requests of its window to others.
func (c *Client) BudgetETA(g Group, n, spare int) time.Duration {
	return c.gov.eta(g, n, spare)
}

// spareWait is waitLocked for a background request that leaves spare
// slots of the window unused.
func (g *governor) spareWait(grp Group, spare int) time.Duration {
	g.mu.Lock()
	defer g.mu.Unlock()
	return max(0, g.waitWith(grp, g.spareCap(grp, spare)))
}

func (g *governor) spareCap(grp Group, spare int) int {
	return max(1, capFor(grp, g.budget(grp).limit, prioBackground)-max(0, spare))
}

// free is how many background requests could go at once, leaving spare.
func (g *governor) free(grp Group, spare int) int {
	g.mu.Lock()
	defer g.mu.Unlock()
	limit := g.spareCap(grp, spare)
	if g.waitWith(grp, limit) > 0 {
		return 0
	}
	b := g.budget(grp)
	n := limit - len(b.sent) - b.taken
	if b.serverLeft >= 0 && g.now().Sub(b.serverAt) < b.window {
		n = min(n, b.serverLeft-spare)
	}
	return max(0, n)
}

// pace is how many background requests of grp a window allows.
func (g *governor) pace(grp Group) (int, time.Duration) {
	g.mu.Lock()
	defer g.mu.Unlock()
	b := g.budget(grp)
	return capFor(grp, b.limit, prioBackground), b.window
}

// eta plays n requests forward through the window as the governor would
// let them leave.
func (g *governor) eta(grp Group, n, spare int) time.Duration {
	if n <= 0 {
		return 0
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	now := g.now()
	b := g.budget(grp)
	limit := g.spareCap(grp, spare)
	span := b.window + windowGuard
	times := make([]time.Time, 0, len(b.sent)+b.taken+n)
	for _, t := range b.sent {
		if now.Sub(t) < span {
			times = append(times, t)
		}
	}
	for range b.taken {
		times = append(times, now)
	}
	t := now
	if t.Before(b.penaltyUntil) {
		t = b.penaltyUntil
	}
	for range n {
		if len(times) >= limit {
			if free := times[len(times)-limit].Add(span); free.After(t) {
				t = free
			}
		}
		times = append(times, t)
	}
	return t.Sub(now)
}
