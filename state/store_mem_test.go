package state

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
	"unsafe"

	"github.com/rchud/rchud/rc"
)

// BenchmarkStoreHeapPerCall reports the mirror's live heap per active call
// its people's presence carries (activeCalls), at 10k users and the front
// desk's ~16,000 calls in progress: every user's detailed presence event
// comes a few times as their calls ring, connect and hold, every string a
// fresh allocation as a JSON decoder makes them.
//
//	go test ./state/ -run '^$' -bench 'StoreHeap' -benchtime 1x
func BenchmarkStoreHeapPerCall(b *testing.B) {
	var heapBytes uint64
	calls := 0
	for range b.N {
		m := benchMirror(b, 10000)
		m.Publish()
		base := liveHeap()
		calls = presenceWithCalls(m, 16000)
		m.Publish()
		heapBytes = liveHeap() - base
		runtime.KeepAlive(m)
	}
	b.ReportMetric(float64(heapBytes)/float64(calls), "B/call")
	b.ReportMetric(float64(heapBytes)/1e6, "MB")
	b.ReportMetric(float64(calls), "calls")
}

// presenceWithCalls gives the mirror's users about n active calls, as
// presence events (three rounds: ringing, connected, some on hold), and
// returns how many calls the last round carries.
func presenceWithCalls(m *Mirror, n int) int {
	r := rand.New(rand.NewPCG(9, 10))
	type call struct {
		session, party, number, name string
		queue                        bool
		start                        time.Time
	}
	users := 10000
	byUser := make([][]call, users)
	for i := range n {
		u := r.IntN(users)
		byUser[u] = append(byUser[u], call{session: "s-" + strconv.Itoa(i), party: "p-" + strconv.Itoa(3+r.IntN(3)),
			number: "+1415" + strconv.Itoa(5000000+i), name: "Caller " + strconv.Itoa(i%1000), queue: r.IntN(3) > 0, start: at(float64(i) / 300)})
	}
	total := 0
	var seq int64
	for round, tel := range []string{"Ringing", "CallConnected", "OnHold"} {
		for u, cs := range byUser {
			if len(cs) == 0 {
				continue
			}
			st, us, dnd, ps := tel, "Busy", "TakeAllCalls", "Available"
			if round == 2 && u%3 != 0 {
				st = "CallConnected"
			}
			p := rc.Presence{ExtensionID: rc.ID(fmt.Sprint(1000000 + u)), TelephonyStatus: &st, UserStatus: &us, DNDStatus: &dnd, PresenceStatus: &ps}
			for _, c := range cs {
				ac := rc.ActiveCall{ID: "Y3MxNzI2" + c.session + "QGlkLTE", Direction: "Inbound", From: c.number, FromName: c.name,
					To: strconv.Itoa(10000 + u), ToName: "Ann Lee", StartTime: rc.Time{Time: c.start}, TelephonyStatus: st,
					SessionID: "90" + c.session[2:], TelephonySessionID: c.session, PartyID: c.party, QueueCall: c.queue}
				if c.queue {
					ac.CallInfo = &struct {
						Primary    rc.CallInfoItem `json:"primary"`
						Additional rc.CallInfoItem `json:"additional"`
					}{Primary: rc.CallInfoItem{Type: "QueueName", Value: "Queue " + strconv.Itoa(u%10)}}
				}
				p.ActiveCalls = append(p.ActiveCalls, ac)
			}
			seq++
			s := seq
			p.Sequence = &s
			tot := len(p.ActiveCalls)
			p.TotalActiveCalls = &tot
			p = decodedPresence(p)
			m.ApplyEvent(&p, at(float64(seq)/1000), true)
			if round == 2 {
				total += len(cs)
			}
		}
	}
	return total
}

// decodedPresence is p with every string a fresh allocation.
func decodedPresence(p rc.Presence) rc.Presence {
	cl := strings.Clone
	clp := func(s *string) *string {
		if s == nil {
			return nil
		}
		v := cl(*s)
		return &v
	}
	p.ExtensionID = rc.ID(cl(string(p.ExtensionID)))
	p.PresenceStatus, p.UserStatus, p.DNDStatus = clp(p.PresenceStatus), clp(p.UserStatus), clp(p.DNDStatus)
	p.DNDStatusPersonal, p.TelephonyStatus, p.MeetingStatus, p.Message = clp(p.DNDStatusPersonal), clp(p.TelephonyStatus), clp(p.MeetingStatus), clp(p.Message)
	acs := make([]rc.ActiveCall, len(p.ActiveCalls))
	for i, c := range p.ActiveCalls {
		c.ID, c.Direction, c.From, c.FromName, c.To, c.ToName = cl(c.ID), cl(c.Direction), cl(c.From), cl(c.FromName), cl(c.To), cl(c.ToName)
		c.TelephonyStatus, c.TerminationType, c.SessionID, c.TelephonySessionID, c.PartyID = cl(c.TelephonyStatus), cl(c.TerminationType), cl(c.SessionID), cl(c.TelephonySessionID), cl(c.PartyID)
		if c.CallInfo != nil {
			ci := *c.CallInfo
			ci.Primary = rc.CallInfoItem{Type: cl(ci.Primary.Type), Value: cl(ci.Primary.Value)}
			ci.Additional = rc.CallInfoItem{Type: cl(ci.Additional.Type), Value: cl(ci.Additional.Value)}
			c.CallInfo = &ci
		}
		acs[i] = c
	}
	p.ActiveCalls = acs
	return p
}

// An entry keeps each text once: a presence word is the package's, a
// text an event repeats is the one kept already, and a new one is a copy,
// never a piece of the decoded frame; any text reads back exactly.
func TestStoreKeepsEachTextOnce(t *testing.T) {
	same := func(x, y string) bool { return len(x) > 0 && unsafe.StringData(x) == unsafe.StringData(y) }
	frame := `{"telephonyStatus":"CallConnected","message":"Back at 3","odd":"Conferencing"}`
	piece := func(s string) string { i := strings.Index(frame, s); return frame[i : i+len(s)] }
	if w := keepWord("", piece("CallConnected")); w != "CallConnected" || same(w, piece("CallConnected")) || !same(w, keepWord("", strings.Clone("CallConnected"))) {
		t.Fatalf("a presence word: %q", w)
	}
	for _, s := range []string{"Back at 3", "Conferencing"} {
		w := keepWord("", piece(s))
		if w != s || same(w, piece(s)) {
			t.Fatalf("%q kept as %q, or as the frame's", s, w)
		}
		if again := keepWord(w, strings.Clone(s)); !same(again, w) {
			t.Fatalf("%q taken again", s)
		}
	}
	if keepWord("Back at 3", "") != "" || keepWord("", "  x\x1b[31m ") != "x" || keptWord("Busy", nil) != "" {
		t.Fatal("an emptied or unsanitised text")
	}
	// A call's texts, repeated by the next event, stay the ones kept.
	var s store
	s.queues = []Queue{{ID: "q1", Name: "Support"}}
	ac := rc.ActiveCall{ID: "c-1", Direction: "Inbound", From: "+14155550142", FromName: "Globex", TelephonyStatus: "Ringing",
		TelephonySessionID: "s-1", PartyID: "p-3", QueueCall: true}
	ac.CallInfo = &struct {
		Primary    rc.CallInfoItem `json:"primary"`
		Additional rc.CallInfoItem `json:"additional"`
	}{Primary: rc.CallInfoItem{Type: "QueueName", Value: strings.Clone("Support")}}
	first := s.convertCalls([]rc.ActiveCall{decodedActive(ac)}, &Entry{})
	ac.TelephonyStatus = "CallConnected"
	next := s.convertCalls([]rc.ActiveCall{decodedActive(ac)}, &Entry{Calls: first})
	if len(next) != 1 || !same(next[0].FromName, first[0].FromName) || !same(next[0].SessionID, first[0].SessionID) ||
		next[0].Status() != "CallConnected" || !same(next[0].QueueName, s.queues[0].Name) {
		t.Fatalf("the call again: %+v", next)
	}
}

func decodedActive(c rc.ActiveCall) rc.ActiveCall {
	p := decodedPresence(rc.Presence{ActiveCalls: []rc.ActiveCall{c}})
	return p.ActiveCalls[0]
}

// TestStoreKeepsTheTrackersTexts: a presence call the call tracker knows
// keeps the tracker's session id, caller and callee texts, not copies;
// what the tracker does not know is kept as before, and the call reads the
// same either way.
func TestStoreKeepsTheTrackersTexts(t *testing.T) {
	same := func(x, y string) bool { return len(x) > 0 && unsafe.StringData(x) == unsafe.StringData(y) }
	m, c := testMirror(t, 3)
	tsid := "s-00112233445566778899aabbccddeeff"
	party := "p-00112233445566778899aabbccddeeff-2"
	m.ApplyTelephony(decodedEvent(rc.TelephonySession{ID: tsid, Sequence: 1, EventTime: rc.Time{Time: c.Now()}, Parties: []rc.CallParty{{
		ID: party, Direction: "Inbound", ExtensionID: "2", Status: rc.PartyStatus{Code: rc.PartyProceeding},
		From: rc.CallEnd{Name: "Globex", PhoneNumber: "+14155550142"}, To: rc.CallEnd{Name: "Adam Baker", ExtensionNumber: "102"},
	}}}), c.Now())
	ac := rc.ActiveCall{ID: "c-1", Direction: "Inbound", From: "+14155550142", FromName: "Globex", To: "102", ToName: "Adam Baker",
		TelephonyStatus: "Ringing", TelephonySessionID: tsid, PartyID: party}
	other := rc.ActiveCall{ID: "c-2", Direction: "Outbound", From: "102", To: "+14155550199", ToName: "Initech",
		TelephonyStatus: "CallConnected", TelephonySessionID: "s-2", PartyID: "p-9"}
	p := rc.Presence{ExtensionID: "2", ActiveCalls: []rc.ActiveCall{ac, other}}
	tel := "Ringing"
	p.TelephonyStatus = &tel
	m.ApplyEvent(decodedPresenceP(p), c.Now(), true)
	e, _ := m.Get("2")
	if len(e.Calls) != 2 {
		t.Fatalf("calls: %+v", e.Calls)
	}
	got, o := e.Calls[0], e.Calls[1]
	if got.SessionID != tsid || got.From != ac.From || got.FromName != ac.FromName || got.To != ac.To || got.ToName != ac.ToName ||
		o.SessionID != "s-2" || o.To != other.To || o.ToName != other.ToName || o.From != other.From {
		t.Fatalf("the calls read otherwise: %+v", e.Calls)
	}
	s := m.calls.sessions[tsid]
	pp := s.party(party)
	if !same(got.SessionID, s.id) || !same(got.FromName, pp.from.name()) || !same(got.From, pp.from.number()) ||
		!same(got.ToName, pp.to.name()) || !same(got.To, pp.to.number()) {
		t.Fatal("the tracker's texts kept again")
	}
}

func decodedPresenceP(p rc.Presence) *rc.Presence {
	d := decodedPresence(p)
	return &d
}
