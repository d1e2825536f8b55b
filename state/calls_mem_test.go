package state

import (
	"container/heap"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rchud/rchud/rc"
)

// The call tracker's live heap under the front desk's load (the e2e
// emulator at 17,000 calls a minute: ~16,000 telephony sessions in
// progress on 10k users). Every string of an event or a call log record
// is a fresh allocation, as a JSON decoder makes them, so that what the
// tracker keeps of them is counted.
//
//	go test ./state/ -run '^$' -bench 'CallsHeap' -benchtime 1x

// heapLiveSessions is how many sessions are in progress when the heap is
// measured.
const heapLiveSessions = 16000

// heapCallsPerSecond is the rate calls arrive at (17,000 a minute).
const heapCallsPerSecond = 17000.0 / 60

// BenchmarkCallsHeapPerLiveSession reports the tracker's live heap per
// session in progress: fed events at the e2e's rate until 16,000 sessions
// are live ("events"; the ended sessions of the last minutes are kept
// too), or bootstrapped from a list of 16,000 calls in progress, read
// page by page ("bootstrap").
func BenchmarkCallsHeapPerLiveSession(b *testing.B) {
	users := make([]ID, 10000)
	for i := range users {
		users[i] = ID(strconv.Itoa(100000 + i))
	}
	// The directory the mirror gives the tracker (SetIDs): its memory is
	// the store's, not counted.
	dir := map[ID]ID{}
	for _, u := range users {
		dir[u] = u
	}
	b.Run("events", func(b *testing.B) {
		var c *Calls
		var heapBytes uint64
		for range b.N {
			c = nil
			base := liveHeap()
			c = feedCallsUntilLive(users, heapLiveSessions, dir)
			heapBytes = liveHeap() - base
		}
		reportCallsHeap(b, c, heapBytes)
	})
	b.Run("ended", func(b *testing.B) {
		// Calls that all end, for a minute at the e2e's rate: the sequences
		// of the sessions ended, kept endedRetention (three and a half
		// minutes: ~60,000 sessions at that rate) so that a late event
		// cannot bring one back.
		var c *Calls
		var heapBytes uint64
		for range b.N {
			c = nil
			base := liveHeap()
			c = feedEndedCalls(users, time.Minute, dir)
			heapBytes = liveHeap() - base
		}
		b.ReportMetric(float64(heapBytes)/float64(c.endedLen()), "B/ended-session")
		b.ReportMetric(float64(heapBytes)/1e6, "MB")
		b.ReportMetric(float64(c.endedLen()), "ended-sessions")
		b.ReportMetric(float64(len(c.sessions)), "live-sessions")
	})
	b.Run("bootstrap", func(b *testing.B) {
		pages := callLogPages(users, heapLiveSessions)
		var c *Calls
		var heapBytes uint64
		for range b.N {
			c = nil
			base := liveHeap()
			c = bootstrapFromPages(pages, dir)
			heapBytes = liveHeap() - base
		}
		reportCallsHeap(b, c, heapBytes)
	})
}

func reportCallsHeap(b *testing.B, c *Calls, heapBytes uint64) {
	b.ReportMetric(float64(heapBytes)/float64(len(c.sessions)), "B/live-session")
	b.ReportMetric(float64(heapBytes)/1e6, "MB")
	b.ReportMetric(float64(len(c.sessions)), "live-sessions")
	b.ReportMetric(float64(c.endedLen()), "ended-sessions")
	runtime.KeepAlive(c)
}

// liveHeap is the heap in use after a full collection.
func liveHeap() uint64 {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// pendingCall is a call's events not yet sent.
type pendingCall []rc.TelephonySession

type pendingCalls []pendingCall

func (h pendingCalls) Len() int { return len(h) }
func (h pendingCalls) Less(i, j int) bool {
	return h[i][0].EventTime.Before(h[j][0].EventTime.Time)
}
func (h pendingCalls) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *pendingCalls) Push(x any)   { *h = append(*h, x.(pendingCall)) }
func (h *pendingCalls) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// feedCallsUntilLive plays calls arriving at the e2e's rate, every event
// in time order across calls and decoded afresh, until live sessions are
// in progress; the events not yet sent are then dropped.
func feedCallsUntilLive(users []ID, live int, dir map[ID]ID) *Calls {
	r := rand.New(rand.NewPCG(3, 4))
	c := NewCalls()
	c.SetIDs(dirIDs(dir))
	c.SetQueues(map[ID]string{queueQ: "Support", "5002": "Billing"})
	c.SetAccountWide(true)
	c.listed = true
	var h pendingCalls
	next := 0
	nextStart := func() float64 { return float64(next) / heapCallsPerSecond }
	for len(c.sessions) < live {
		// Every call that starts before the next pending event joins.
		for len(h) == 0 || at(nextStart()).Before(h[0][0].EventTime.Time) {
			evs := frontDeskCall(r, next, nextStart(), users)
			next++
			if len(evs) > 0 {
				heap.Push(&h, pendingCall(evs))
			}
		}
		h.applyNext(c)
	}
	return c
}

// applyNext applies the earliest pending event, as the decoder hands it.
func (h *pendingCalls) applyNext(c *Calls) {
	ev := (*h)[0][0]
	if len((*h)[0]) == 1 {
		heap.Pop(h)
	} else {
		(*h)[0] = (*h)[0][1:]
		heap.Fix(h, 0)
	}
	ev = decodedEvent(ev)
	c.Apply(ev, ev.EventTime.Time)
}

// feedEndedCalls plays calls that end, arriving at the e2e's rate for d,
// every event in time order across calls, then the rest of the calls in
// progress then, until every call has ended.
func feedEndedCalls(users []ID, d time.Duration, dir map[ID]ID) *Calls {
	r := rand.New(rand.NewPCG(5, 6))
	c := NewCalls()
	c.SetQueues(map[ID]string{queueQ: "Support", "5002": "Billing"})
	c.SetAccountWide(true)
	c.SetIDs(dirIDs(dir))
	c.listed = true
	var h pendingCalls
	next := 0
	nextStart := func() float64 { return float64(next) / heapCallsPerSecond }
	for len(h) > 0 || next == 0 {
		for nextStart() < d.Seconds() && (len(h) == 0 || at(nextStart()).Before(h[0][0].EventTime.Time)) {
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
		h.applyNext(c)
	}
	return c
}

// frontDeskCall is randomCallOf with a caller of its own (number and name),
// ids shaped as the emulator's and RingCentral's (a session "s-" and 32
// hex digits, its parties "p-", the same digits, "-" and a number) and
// the account's id on every party.
func frontDeskCall(r *rand.Rand, i int, start float64, users []ID) []rc.TelephonySession {
	evs := randomCallOf(r, sessionIDOf(i), start, users)
	number := "+1415" + strconv.Itoa(5000000+i%5000000)
	name := "Caller " + strconv.Itoa(i%1000)
	for k := range evs {
		evs[k].SessionID = strconv.Itoa(900000000 + i)
		p := &evs[k].Parties[0]
		p.ID = partyIDOf(evs[k].ID, p.ID)
		p.AccountID = "400123456"
		if p.From.PhoneNumber == "+14155550142" {
			p.From.PhoneNumber, p.From.Name = number, name
		}
		if p.CallInfo != nil {
			p.CallInfo.Additional = rc.CallInfoItem{Type: "CallerIdName", Value: name}
		}
	}
	return evs
}

// sessionIDOf is the i'th session's telephonySessionId.
func sessionIDOf(i int) string {
	return fmt.Sprintf("s-%016x%016x", uint64(i)*0x9e3779b97f4a7c15, uint64(i)^0xa0d17e2e26e3d18c)
}

// partyIDOf is party "p-N" of session tsid as RingCentral names it.
func partyIDOf(tsid, p string) string {
	return "p-" + strings.TrimPrefix(tsid, "s-") + "-" + strings.TrimPrefix(p, "p-")
}

// decodedEvent is ev with every string a fresh allocation, as decoding a
// frame makes them.
func decodedEvent(ev rc.TelephonySession) rc.TelephonySession {
	cl := strings.Clone
	ev.ID, ev.SessionID = cl(ev.ID), cl(ev.SessionID)
	ps := make([]rc.CallParty, len(ev.Parties))
	for i, p := range ev.Parties {
		p.ID, p.AccountID, p.ExtensionID, p.Direction = cl(p.ID), rc.ID(cl(string(p.AccountID))), rc.ID(cl(string(p.ExtensionID))), cl(p.Direction)
		p.From, p.To = decodedEnd(p.From), decodedEnd(p.To)
		p.Owner.AccountID, p.Owner.ExtensionID = rc.ID(cl(string(p.Owner.AccountID))), rc.ID(cl(string(p.Owner.ExtensionID)))
		p.Status.Code, p.Status.Reason, p.Status.ParkData = cl(p.Status.Code), cl(p.Status.Reason), cl(p.Status.ParkData)
		p.Park.ID = rc.ID(cl(string(p.Park.ID)))
		p.CallInfo = decodedCallInfo(p.CallInfo)
		ps[i] = p
	}
	ev.Parties = ps
	return ev
}

// decodedCallInfo is ci with every text its own allocation (nil: nil).
func decodedCallInfo(ci *rc.CallInfo) *rc.CallInfo {
	if ci == nil {
		return nil
	}
	cl := strings.Clone
	out := rc.CallInfo{
		Primary:    rc.CallInfoItem{Type: cl(ci.Primary.Type), Value: cl(ci.Primary.Value)},
		Additional: rc.CallInfoItem{Type: cl(ci.Additional.Type), Value: cl(ci.Additional.Value)},
	}
	return &out
}

func decodedEnd(e rc.CallEnd) rc.CallEnd {
	cl := strings.Clone
	return rc.CallEnd{PhoneNumber: cl(e.PhoneNumber), ExtensionNumber: cl(e.ExtensionNumber),
		ExtensionID: rc.ID(cl(string(e.ExtensionID))), Name: cl(e.Name), DeviceID: rc.ID(cl(string(e.DeviceID)))}
}

// callLogPages is the company's list of calls in progress, n of them, as
// JSON pages of 1,000: a quarter wait in queue Q, a few are parked, the
// rest talk to an agent who took them from the queue.
func callLogPages(users []ID, n int) [][]byte {
	r := rand.New(rand.NewPCG(5, 6))
	tm := func(sec float64) rc.Time { return rc.Time{Time: at(sec)} }
	own := func(id ID) *rc.CallLogOwner { return &rc.CallLogOwner{ID: rc.ID(id)} }
	qto := rc.CallLogParty{PhoneNumber: "+18005550100", ExtensionID: rc.ID(queueQ), Name: "Support"}
	var pages [][]byte
	var page []rc.CallLogRecord
	for i := range n {
		start := -float64(r.IntN(300))
		from := rc.CallLogParty{PhoneNumber: "+1415" + strconv.Itoa(5000000+i), Name: "Caller " + strconv.Itoa(i%1000)}
		tsid := sessionIDOf(1_000_000 + i)
		rec := rc.CallLogRecord{ID: "log-" + strconv.Itoa(i), TelephonySessionID: tsid, SessionID: strconv.Itoa(800000000 + i),
			StartTime: tm(start), Type: "Voice", Direction: "Inbound", Action: "Phone Call", Result: rc.ResultInProgress, From: from, To: qto,
			Transport: "PSTN"}
		caller := rc.CallLogLeg{PartyID: partyIDOf(tsid, "p-1"), LegType: "PstnToSip", StartTime: tm(start), Direction: "Outbound", Action: "Phone Call",
			Result: rc.ResultInProgress, From: from, To: qto, Transport: "PSTN"}
		rec.Legs = append(rec.Legs, caller)
		who := users[r.IntN(len(users))]
		switch k := r.IntN(20); {
		case k < 5:
			rec.Legs = append(rec.Legs, rc.CallLogLeg{PartyID: partyIDOf(tsid, "p-2"), LegType: "Hunting", StartTime: tm(start + 1), Direction: "Inbound",
				Action: "Phone Call", Result: rc.ResultInProgress, From: from, To: qto, Extension: own(queueQ), Transport: "PSTN"})
		case k < 6:
			rec.Legs = append(rec.Legs, rc.CallLogLeg{PartyID: partyIDOf(tsid, "p-4"), LegType: "CallPark", Action: "Call Park", StartTime: tm(start + 30),
				Direction: "Inbound", Result: rc.ResultInProgress, From: from, To: rc.CallLogParty{PhoneNumber: "*8" + strconv.Itoa(10+r.IntN(89))},
				Extension: own(who), Transport: "PSTN"})
		default:
			rec.Legs = append(rec.Legs, rc.CallLogLeg{PartyID: partyIDOf(tsid, "p-3"), LegType: "Accept", StartTime: tm(start + 10), Direction: "Inbound",
				Action: "Phone Call", Result: rc.ResultInProgress, From: from,
				To:        rc.CallLogParty{ExtensionNumber: strconv.Itoa(2000 + r.IntN(8000)), ExtensionID: rc.ID(who), Name: "Agent " + string(who)},
				Extension: own(who), Transport: "PSTN"})
		}
		page = append(page, rec)
		if len(page) == 1000 || i == n-1 {
			b, err := json.Marshal(page)
			if err != nil {
				panic(err)
			}
			pages, page = append(pages, b), nil
		}
	}
	return pages
}

// bootstrapFromPages starts a tracker from the list of calls in
// progress, decoding one page at a time as the sync does.
func bootstrapFromPages(pages [][]byte, dir map[ID]ID) *Calls {
	c := NewCalls()
	c.SetIDs(dirIDs(dir))
	c.SetQueues(map[ID]string{queueQ: "Support", "5002": "Billing"})
	c.SetAccountWide(true)
	now := at(0)
	listed := map[string]bool{}
	for _, b := range pages {
		var page []rc.CallLogRecord
		if err := json.Unmarshal(b, &page); err != nil {
			panic(err)
		}
		c.BootstrapPage(page, now, listed)
	}
	c.FinishBootstrap(now, listed)
	return c
}

// dirIDs is the directory's ids as the mirror gives them (nil: none).
func dirIDs(dir map[ID]ID) func(ID) (ID, bool) {
	if dir == nil {
		return nil
	}
	return func(id ID) (ID, bool) {
		k, ok := dir[id]
		return k, ok
	}
}
