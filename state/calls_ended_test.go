package state

import (
	"container/heap"
	"math/rand/v2"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rchud/rchud/rc"
)

// BenchmarkCallsHeapEndedSteady reports the live heap the ended sessions
// take in the steady state the front desk lives in: calls that all end,
// arriving at 17,000 a minute, played for six and a half minutes of the
// tracker's clock (longer than endedRetention, so that the oldest have
// been pruned and ~85,000 are kept). The heap is measured then, and again
// with the ended sessions alone dropped: the difference is theirs (the
// ~11,000 calls still in progress are not counted).
//
//	go test ./state/ -run '^$' -bench 'CallsHeapEndedSteady' -benchmem
func BenchmarkCallsHeapEndedSteady(b *testing.B) {
	users := make([]ID, 10000)
	for i := range users {
		users[i] = ID(strconv.Itoa(100000 + i))
	}
	dir := map[ID]ID{}
	for _, u := range users {
		dir[u] = u
	}
	var c *Calls
	var heapBytes uint64
	var kept int
	for range b.N {
		c = nil
		c = feedSteadyEndedCalls(users, endedRetention+90*time.Second, dir)
		with := liveHeap()
		kept = c.endedLen()
		dropEnded(c)
		heapBytes = with - liveHeap()
	}
	b.ReportMetric(float64(heapBytes)/float64(kept), "B/ended-session")
	b.ReportMetric(float64(heapBytes)/1e6, "MB")
	b.ReportMetric(float64(kept), "ended-sessions")
	b.ReportMetric(float64(len(c.sessions)), "live-sessions")
	runtime.KeepAlive(c)
}

// dropEnded forgets every ended session c keeps, and the room they took.
func dropEnded(c *Calls) {
	c.ended = map[endedKey]endedSession{}
	c.endedText = map[string]endedSession{}
}

// feedSteadyEndedCalls plays calls that end, arriving at the e2e's rate,
// every event in time order across calls and decoded afresh, until the
// tracker's clock reaches d; the events not yet sent then are dropped.
func feedSteadyEndedCalls(users []ID, d time.Duration, dir map[ID]ID) *Calls {
	r := rand.New(rand.NewPCG(7, 8))
	c := NewCalls()
	c.SetQueues(map[ID]string{queueQ: "Support", "5002": "Billing"})
	c.SetAccountWide(true)
	c.SetIDs(dirIDs(dir))
	c.listed = true
	var h pendingCalls
	next := 0
	nextStart := func() float64 { return float64(next) / heapCallsPerSecond }
	for {
		for len(h) == 0 || at(nextStart()).Before(h[0][0].EventTime.Time) {
			var evs []rc.TelephonySession
			for {
				evs = frontDeskCall(r, next, nextStart(), users)
				if last := evs[len(evs)-1].Parties[0]; strings.HasSuffix(last.ID, "-1") && last.Status.Code == rc.PartyDisconnected {
					break // it ends
				}
			}
			next++
			heap.Push(&h, pendingCall(evs))
		}
		if !h[0][0].EventTime.Before(at(d.Seconds())) {
			return c
		}
		h.applyNext(c)
	}
}
