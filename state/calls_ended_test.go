package state

import (
	"container/heap"
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"
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
	c.ended = endedStore{}
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

// endedCall plays a short call of session tsid that ends at sec: the
// caller (p-1) and an agent (p-3) talk, then both leave. It returns the
// script, for late events.
func endedCall(c *Calls, tsid string, sec float64) *callScript {
	s := script(c, tsid)
	p := func(n string) string { return partyIDOf(tsid, n) }
	if _, ok := hexKey(tsid); !ok {
		p = func(n string) string { return n }
	}
	s.send(sec-10, caller(pt(p("p-1"), "", "Outbound", rc.PartyAnswered, "")))
	s.send(sec-10, caller(pt(p("p-3"), agentA, "Inbound", rc.PartyAnswered, "")))
	s.send(sec, caller(pt(p("p-3"), agentA, "Inbound", rc.PartyDisconnected, "")))
	s.send(sec, caller(pt(p("p-1"), "", "Outbound", rc.PartyDisconnected, "")))
	return s
}

// A late event for a session that ended stays ignored while its
// generation is frozen, until endedRetention after it ended; once
// endedRetention+endedSpan have passed it is forgotten and the event is
// taken as a new call. The same for sessions named otherwise (as
// RingCentral's samples also name them: kept by a hash of the id).
func TestEndedLateEventAcrossGenerations(t *testing.T) {
	for _, tsid := range []string{sessionIDOf(1), "s-not-hex", "s-a0d17e2e26e3dz18c1b6b2a2bz2fd4a6b80000", "Y3MxNjk4ODA5MTYxMzUyOTU5OUAxMC4zMi40NS44NA"} {
		c := newTracker()
		s := endedCall(c, tsid, 100)
		party := partyIDOf(tsid, "p-1")
		if _, ok := hexKey(tsid); !ok {
			party = "p-1"
		}
		late := s.event(100, caller(pt(party, "", "Outbound", rc.PartyAnswered, "")))
		late.Sequence = 1
		if c.sessions[tsid] != nil || c.endedLen() != 1 {
			t.Fatalf("%s: not ended: %d kept", tsid, c.endedLen())
		}
		// Other calls end meanwhile, so that generations roll over.
		for i, sec := range []float64{100 + endedSpan.Seconds(), 100 + 2*endedSpan.Seconds(), 100 + endedRetention.Seconds()} {
			endedCall(c, sessionIDOf(100+i), sec)
			c.Tick(at(sec))
			if c.Apply(late, at(sec)) || c.sessions[tsid] != nil {
				t.Fatalf("%s: a late event at %v brought back an ended session", tsid, sec)
			}
		}
		if len(c.ended.frozen) == 0 {
			t.Fatal("no generation was frozen")
		}
		if _, ok := c.endedOf(tsid); !ok {
			t.Fatalf("%s: forgotten before endedRetention", tsid)
		}
		after := 100 + (endedRetention + endedSpan).Seconds() + 1
		c.Tick(at(after))
		if _, ok := c.endedOf(tsid); ok {
			t.Fatalf("%s: kept past endedRetention+endedSpan", tsid)
		}
		if !c.Apply(late, at(after)) || c.sessions[tsid] == nil {
			t.Fatalf("%s: an event for a session long forgotten is not taken", tsid)
		}
	}
}

// A session noted again after its generation froze (a party that joined
// late, then left) is moved to the current generation with both parties'
// sequences: counted once, and it stays as long as the newer note says.
func TestEndedNotedAgainAfterFreeze(t *testing.T) {
	c := newTracker()
	tsid := sessionIDOf(2)
	s := endedCall(c, tsid, 100)
	endedCall(c, sessionIDOf(3), 100+endedSpan.Seconds()) // freezes the first
	if len(c.ended.frozen) != 1 || c.endedLen() != 2 {
		t.Fatalf("%d generations, %d kept", len(c.ended.frozen), c.endedLen())
	}
	// A party the session had not had joins and leaves.
	sec := 100 + endedSpan.Seconds() + 5
	s.send(sec, caller(pt(partyIDOf(tsid, "p-9"), userB, "Inbound", rc.PartyAnswered, "")))
	s.send(sec, caller(pt(partyIDOf(tsid, "p-9"), userB, "Inbound", rc.PartyDisconnected, "")))
	if c.sessions[tsid] != nil || c.endedLen() != 2 {
		t.Fatalf("the session noted again: live %v, %d kept", c.sessions[tsid] != nil, c.endedLen())
	}
	e, ok := c.endedOf(tsid)
	if !ok {
		t.Fatal("lost")
	}
	for _, p := range []string{"p-1", "p-3", "p-9"} {
		if _, ok := e.last(tsid, partyIDOf(tsid, p)); !ok {
			t.Fatalf("%s's sequence lost", p)
		}
	}
	// Past the first note's retention it is kept for the second's.
	later := 100 + (endedRetention + endedSpan).Seconds() + 1
	c.Tick(at(later))
	if _, ok := c.endedOf(tsid); !ok || c.endedLen() != 2 {
		t.Fatalf("dropped with its old generation (%d kept)", c.endedLen())
	}
	late := s.event(later, caller(pt(partyIDOf(tsid, "p-9"), userB, "Inbound", rc.PartyAnswered, "")))
	late.Sequence = 6
	if c.Apply(late, at(later)) {
		t.Fatal("a late event for the party that left last was taken")
	}
}

// Forgetting a session (the call log says it is live again) hides it in
// whatever generation holds it, and the count drops.
func TestEndedDeleteFrozen(t *testing.T) {
	c := newTracker()
	ids := []string{sessionIDOf(4), sessionIDOf(5), sessionIDOf(6)}
	for i, id := range ids {
		endedCall(c, id, 100+float64(i)*endedSpan.Seconds())
	}
	c.Tick(at(100 + 3*endedSpan.Seconds()))
	if len(c.ended.frozen) != 3 || c.endedLen() != 3 {
		t.Fatalf("%d generations, %d kept", len(c.ended.frozen), c.endedLen())
	}
	c.deleteEnded(ids[0])
	c.deleteEnded(ids[0])
	if _, ok := c.endedOf(ids[0]); ok || c.endedLen() != 2 {
		t.Fatalf("deleted but kept (%d)", c.endedLen())
	}
	// The call log says the second is in progress: it is taken, and the
	// ended copy is gone.
	rec := rc.CallLogRecord{TelephonySessionID: ids[1], Result: rc.ResultInProgress, StartTime: rc.Time{Time: at(50)},
		Legs: []rc.CallLogLeg{{PartyID: partyIDOf(ids[1], "p-5"), Result: rc.ResultInProgress, Direction: "Inbound", Extension: &rc.CallLogOwner{ID: rc.ID(agentA)}}}}
	c.Bootstrap([]rc.CallLogRecord{rec}, at(100+3*endedSpan.Seconds()))
	if _, ok := c.endedOf(ids[1]); ok || c.sessions[ids[1]] == nil || c.endedLen() != 1 {
		t.Fatalf("a session the call log lists: live %v, %d kept", c.sessions[ids[1]] != nil, c.endedLen())
	}
}

// TestEndedStoreMatchesAMap plays random notes, forgets, prunes and
// lookups on the ended sessions against a plain map that remembers when
// each was last noted: a session must be found, as last noted, until
// endedRetention after that note, and must not be once
// endedRetention+endedSpan have passed; endedLen counts what is found.
// Replay a failure with -seed.
func TestEndedStoreMatchesAMap(t *testing.T) {
	r := testRand(t)
	for round := range 4 {
		c := NewCalls()
		// Few ids, so that sessions are noted again and forgotten in
		// every generation; or many, so that buckets fill.
		nids := []int{40, 400, 5000, 20000}[round]
		ids := make([]string, nids)
		for i := range ids {
			switch r.IntN(10) {
			case 0:
				ids[i] = "s-text-" + strconv.Itoa(i) // kept as text
			case 1:
				ids[i] = "s-" + strings.Repeat("0", 30) + fmt.Sprintf("%02x", i%256) // keys alike
			default:
				ids[i] = sessionIDOf(r.IntN(1 << 30))
			}
		}
		slices.Sort(ids)
		ids = slices.Compact(ids)
		type noted struct {
			e  endedSession
			at stamp
		}
		model := map[string]noted{}
		now := at(0)
		// sessionOf is a random ended session: up to 8 numbered parties
		// (more than seqs holds), now and then one named otherwise or a
		// sequence past 32 bits.
		sessionOf := func(id string, old endedSession) endedSession {
			e := old
			if e.more != nil { // a copy: the model keeps the old one
				m := *e.more
				m.seqs, m.other = slices.Clone(m.seqs), slices.Clone(m.other)
				e.more = &m
			}
			for range 1 + r.IntN(4) {
				seq := int64(r.IntN(1000))
				if r.IntN(50) == 0 {
					seq += 1 << 33
				}
				if r.IntN(20) == 0 {
					noteID(&e, id, "p-other-"+strconv.Itoa(r.IntN(3)), seq)
				} else {
					e.noteNum(uint(r.IntN(8)), seq, 8)
				}
			}
			e.at = stampOf(now)
			return e
		}
		check := func(id string) bool {
			got, ok := c.endedOf(id)
			m, had := model[id]
			age := time.Duration(stampOf(now) - m.at)
			switch {
			case !had && ok:
				t.Fatalf("round %d at %v: %s found, never noted or forgotten", round, now, id)
			case had && age <= endedRetention && !ok:
				t.Fatalf("round %d at %v: %s lost %v after its note", round, now, id, age)
			case had && age > endedRetention+endedSpan && ok:
				t.Fatalf("round %d at %v: %s kept %v after its note", round, now, id, age)
			}
			if ok {
				for n := range 8 {
					p := partyIDOf(id, "p-"+strconv.Itoa(n))
					gs, gok := got.last(id, p)
					ws, wok := m.e.last(id, p)
					if gs != ws || gok != wok {
						t.Fatalf("round %d: %s party %d: %d %v, want %d %v", round, id, n, gs, gok, ws, wok)
					}
				}
				for n := range 3 {
					p := "p-other-" + strconv.Itoa(n)
					gs, gok := got.last(id, p)
					ws, wok := m.e.last(id, p)
					if gs != ws || gok != wok {
						t.Fatalf("round %d: %s party %s: %d %v, want %d %v", round, id, p, gs, gok, ws, wok)
					}
				}
			}
			return ok
		}
		for step := range 30000 {
			switch k := r.IntN(100); {
			case k < 3: // time passes
				now = now.Add(time.Duration(r.IntN(int(endedSpan / 2))))
				if r.IntN(30) == 0 {
					now = now.Add(endedRetention)
				}
				c.prune(now)
			case k < 50: // a session ends, or is noted again
				id := ids[r.IntN(len(ids))]
				now = now.Add(time.Duration(r.IntN(int(50 * time.Millisecond))))
				if r.IntN(2) == 0 {
					c.prune(now)
				}
				old, _ := c.endedOf(id)
				e := sessionOf(id, old)
				c.setEnded(id, e)
				model[id] = noted{e, e.at}
			case k < 55: // the call log says it is live
				id := ids[r.IntN(len(ids))]
				c.deleteEnded(id)
				delete(model, id)
			default:
				check(ids[r.IntN(len(ids))])
			}
			if step%1000 == 999 {
				found := 0
				for _, id := range ids {
					if check(id) {
						found++
					}
				}
				if n := c.endedLen(); n != found {
					t.Fatalf("round %d: endedLen %d, %d found", round, n, found)
				}
			}
		}
	}
}

// BenchmarkCallsApplyCanonical is BenchmarkCallsApply with the ids
// RingCentral and the emulator give (a session "s-" and 32 hex digits),
// so that the ended sessions are kept by endedKey, in generations: 50
// calls a second for 400 s of the tracker's clock, ~15,000 ended
// sessions kept in ten or so frozen generations by the end.
func BenchmarkCallsApplyCanonical(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 2))
	users := make([]ID, 10000)
	for i := range users {
		users[i] = ID(strconv.Itoa(100000 + i))
	}
	var events []rc.TelephonySession
	for i := 0; len(events) < 200000; i++ {
		events = append(events, frontDeskCall(r, i, float64(i)/50, users)...)
	}
	slices.SortStableFunc(events, func(x, y rc.TelephonySession) int { return x.EventTime.Compare(y.EventTime.Time) })
	fresh := func() *Calls {
		c := NewCalls()
		c.SetQueues(map[ID]string{queueQ: "Support"})
		c.SetAccountWide(true)
		return c
	}
	c := fresh()
	ended := 0
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		j := i % len(events)
		if j == 0 && i > 0 {
			b.StopTimer()
			ended = max(ended, c.endedLen())
			c = fresh()
			b.StartTimer()
		}
		c.Apply(events[j], events[j].EventTime.Time)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
	b.ReportMetric(float64(max(ended, c.endedLen())), "ended-sessions")
}

// A hex session id keys by its digits; any other id by a hash of its
// whole text: the same text always the same key, ids a character apart
// (or a hex id in upper case) different keys.
func TestEndedKeyOf(t *testing.T) {
	hex := "s-0123456789abcdef0123456789abcdef"
	if k := endedKeyOf(hex); k != (endedKey{0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef, 0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef}) {
		t.Fatalf("hex id keyed %x", k)
	}
	ids := []string{hex, strings.ToUpper(hex), "s-a0d17e2e26e3dz18c1b6b2a2bz2fd4a6b80000", "s-a0d17e2e26e3dz18c1b6b2a2bz2fd4a6b80001",
		"s-b0d17e2e26e3dz18c1b6b2a2bz2fd4a6b80000", "Y3MxNjk4ODA5MTYxMzUyOTU5OUAxMC4zMi40NS44NA", "s-1", "s-2", ""}
	seen := map[endedKey]string{}
	for _, id := range ids {
		k := endedKeyOf(id)
		if k != endedKeyOf(strings.Clone(id)) {
			t.Fatalf("%q: two keys", id)
		}
		if other, ok := seen[k]; ok {
			t.Fatalf("%q and %q share a key", id, other)
		}
		seen[k] = id
	}
}
