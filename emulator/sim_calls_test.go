package emulator

import (
	"regexp"
	"slices"
	"testing"
	"time"
)

func TestConnectedCallEndsWithNoCallFinal(t *testing.T) {
	f := newQuietFloor(t)
	u := f.p.dir.Extensions[7]
	f.atDesk(u)
	_, sink := subscribe(t, f.p, f.p.dir.Receptionist,
		"/restapi/v1.0/account/~/extension/"+u.IDString()+"/presence?detailedTelephonyState=true")

	f.directCall(u)
	f.run(70 * time.Second)
	if n := len(f.legs(u)); n != 0 {
		t.Fatalf("call should be over, %d legs left", n)
	}
	var tel []any
	for _, c := range sink.got {
		tel = append(tel, c.envelope["body"].(map[string]any)["telephonyStatus"])
	}
	if want := []any{TelRinging, TelConnected, TelNoCall}; !slices.Equal(tel, want) {
		t.Fatalf("telephonyStatus went %v, want %v", tel, want)
	}
	last := sink.got[len(sink.got)-1].envelope["body"].(map[string]any)
	calls := last["activeCalls"].([]any)
	call := calls[0].(map[string]any)
	if call["telephonyStatus"] != TelNoCall || call["terminationType"] != "final" || last["totalActiveCalls"] != float64(0) {
		t.Fatalf("the end of a call must be reported as NoCall/final: %v", last)
	}
	if call["from"] != "+12125550177" || call["fromName"] != "Zoë Müller" || call["to"] != u.Phone || call["toName"] != u.Name {
		t.Fatalf("direct call leg names the wrong parties: %v", call)
	}
	if st := f.stats(); st.CallsOffered != 1 || st.CallsAnswered != 1 {
		t.Fatalf("stats %+v; want one offered, one answered", st)
	}
}

func TestQueueCallLegShowsQueueAndCaller(t *testing.T) {
	f := newQuietFloor(t)
	q := f.p.dir.Queues[0]
	m := f.membersOf(q, 1)[0]
	f.onlyMembers(q, m)
	f.queueCall(q)
	legs := f.legs(m)
	if len(legs) != 1 {
		t.Fatalf("want one leg, got %+v", legs)
	}
	l := legs[0]
	if l.Direction != "Inbound" || !l.QueueCall || l.Queue != q || l.ToName != q.Ext.Name ||
		l.To != f.p.dir.MainNumber || l.From != "+14155550142" || l.FromName != "Globex Corp" || !l.Start.Equal(simT0) {
		t.Fatalf("queue call leg: %+v", l)
	}
}

func TestTransferMovesTheCallerToAnotherUser(t *testing.T) {
	f := newQuietFloor(t)
	f.cc.model.transferChance = 1
	q := f.p.dir.Queues[0]
	m := f.membersOf(q, 1)[0]
	f.everyoneAtDesk() // whoever the transfer picks takes direct calls
	f.onlyMembers(q, m)
	c := f.queueCall(q)
	first := f.legs(m)[0]
	f.step(3 * time.Second) // answered
	// The agent transfers part way through the minute of talk.
	for i := 0; i < 60 && c.transfers == 0; i++ {
		f.step(time.Second)
	}
	if c.transfers != 1 || f.stats().CallsTransferred != 1 {
		t.Fatalf("call was not transferred (transfers %d)", c.transfers)
	}
	if n := len(f.legs(m)); n != 0 {
		t.Fatalf("the transferring agent still has %d legs", n)
	}
	target := c.who.ext
	legs := f.legs(target)
	i := slices.IndexFunc(legs, func(l Leg) bool { return l.TelephonySessionID == first.TelephonySessionID })
	if target == m || i < 0 {
		t.Fatalf("no leg of the call on the transfer target %s: %+v", target.Name, legs)
	}
	l := legs[i]
	if l.Status != TelRinging || l.From != first.From || l.FromName != first.FromName || l.QueueCall || l.ToName != target.Name || l.ID == first.ID {
		t.Fatalf("transferred leg %+v; want a new ringing leg with the same caller", l)
	}
}

func TestCallWaitingRingsASecondLegAndHoldsTheFirst(t *testing.T) {
	f := newQuietFloor(t)
	u := f.p.dir.Extensions[9]
	f.atDesk(u)
	f.directCall(u)
	f.step(3 * time.Second)
	f.step(10 * time.Second)
	f.directCall(u)
	legs := f.legs(u)
	if len(legs) != 2 || legs[0].Status != TelConnected || legs[1].Status != TelRinging {
		t.Fatalf("call waiting: legs %+v; want the first connected and a second ringing", legs)
	}
	f.step(3 * time.Second)
	legs = f.legs(u)
	if legs[0].Status != TelOnHold || legs[1].Status != TelConnected {
		t.Fatalf("answering the second call must hold the first: %+v", legs)
	}
	f.step(61 * time.Second) // the second call ends; the first comes back
	legs = f.legs(u)
	if len(legs) != 1 || legs[0].Status != TelConnected {
		t.Fatalf("after the second call the first should resume: %+v", legs)
	}
	f.run(2 * time.Minute)
	if n := len(f.legs(u)); n != 0 {
		t.Fatalf("the first call never ended: %d legs", n)
	}
}

func TestInternalCallHasTwoLegsInOneSession(t *testing.T) {
	f := newQuietFloor(t)
	f.cc.model.internalTalk = logNormal{median: 30 * time.Second, min: 30 * time.Second, max: 30 * time.Second}
	f.everyoneAtDesk()
	f.act(f.cc.callColleague)
	var caller, callee *Extension
	for _, u := range f.cc.users {
		for _, l := range f.legs(u.ext) {
			if l.Direction == "Outbound" {
				caller = u.ext
			} else {
				callee = u.ext
			}
		}
	}
	if caller == nil || callee == nil {
		t.Fatalf("internal call needs an Outbound leg on the caller and an Inbound one on the callee")
	}
	a, b := f.legs(caller)[0], f.legs(callee)[0]
	if a.TelephonySessionID != b.TelephonySessionID || a.ID == b.ID || b.Status != TelRinging ||
		a.From != caller.Number || a.ToName != callee.Name || b.FromName != caller.Name {
		t.Fatalf("internal call legs: caller %+v callee %+v", a, b)
	}
	f.step(3 * time.Second)
	if f.legs(caller)[0].Status != TelConnected || f.legs(callee)[0].Status != TelConnected {
		t.Fatalf("both sides connect when the colleague answers")
	}
	f.step(30 * time.Second)
	if len(f.legs(caller))+len(f.legs(callee)) != 0 {
		t.Fatalf("both legs end together")
	}
}

func TestOutboundCallToAnOutsideNumber(t *testing.T) {
	f := newQuietFloor(t)
	f.cc.model.outboundTalk = logNormal{median: 20 * time.Second, min: 20 * time.Second, max: 20 * time.Second}
	f.everyoneAtDesk()
	f.act(f.cc.callOut)
	var who *Extension
	for _, u := range f.cc.users {
		if len(f.legs(u.ext)) > 0 {
			who = u.ext
		}
	}
	if who == nil {
		t.Fatalf("nobody called out")
	}
	l := f.legs(who)[0]
	if l.Direction != "Outbound" || l.Status != TelRinging || l.From != who.Phone || l.FromName != who.Name || !fictional.MatchString(l.To) {
		t.Fatalf("outbound leg %+v", l)
	}
	f.step(5 * time.Second)
	if s := f.legs(who)[0].Status; s != TelConnected {
		t.Fatalf("far end answered, leg is %s", s)
	}
	f.step(20 * time.Second)
	if len(f.legs(who)) != 0 {
		t.Fatalf("outbound call did not end")
	}
}

// fictional is the +1 NPA 555-01xx range reserved for fiction.
var fictional = regexp.MustCompile(`^\+1\d{3}55501\d\d$`)

func TestWarmUpStartsTheFloorMidCall(t *testing.T) {
	f := newFloor(t, Config{Users: 200, Queues: 4, CallsPerMinute: 40})
	f.step(0)
	var on, ringing, connected, held int
	for _, u := range f.cc.users {
		for _, l := range f.legs(u.ext) {
			on++
			switch l.Status {
			case TelRinging:
				ringing++
			case TelConnected:
				connected++
			case TelOnHold:
				held++
			}
			if l.Status != TelRinging && !l.Start.Before(simT0.Add(-4*time.Second)) {
				t.Fatalf("a call in progress at start should have started in the past: %v", l.Start)
			}
			if l.Start.After(simT0) {
				t.Fatalf("start time in the future: %v", l.Start)
			}
			if l.Direction == "Inbound" && !fictional.MatchString(l.From) {
				t.Fatalf("caller number %q is not in the fictional range", l.From)
			}
			if l.QueueCall && !eligibleAtStart(l.Queue, u.ext) {
				t.Fatalf("warm-up gave %s a queue call the rules forbid", u.ext.Name)
			}
		}
	}
	if on < 20 || ringing == 0 || connected < on/2 || held == 0 {
		t.Fatalf("warm-up: %d calls, %d ringing, %d connected, %d on hold; want a live floor", on, ringing, connected, held)
	}
}

// eligibleAtStart is the queue rule ignoring the call the member now has.
func eligibleAtStart(q *Queue, e *Extension) bool {
	pr := &e.Presence
	return q.AcceptCurrent[e.ID] && pr.AcceptsQueueCalls() && pr.UserStatus == StatusAvailable
}

func TestCallersLookReal(t *testing.T) {
	f := newFloor(t, Config{})
	named, labels, blank := 0, 0, 0
	for range 1000 {
		c := newCaller(f.cc.rng)
		if !fictional.MatchString(c.number) {
			t.Fatalf("caller number %q is not +1<area>55501xx", c.number)
		}
		switch {
		case c.name == "":
			blank++
		case slices.Contains(callerLabels, c.name):
			labels++
		default:
			named++
		}
	}
	if named < 500 || labels < 100 || blank < 40 {
		t.Fatalf("caller mix: %d named, %d labels, %d without a name", named, labels, blank)
	}
}
