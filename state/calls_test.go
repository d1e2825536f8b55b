package state

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/rchud/rchud/rc"
)

// The call tracker from hand-built telephony session events, shaped as
// the emulator and RingCentral's captures send them: one party per event,
// a sequence per session.

var t0 = time.Date(2025, 3, 14, 9, 0, 0, 0, time.UTC)

func at(sec float64) time.Time { return t0.Add(time.Duration(sec * float64(time.Second))) }

const (
	queueQ = ID("5001")
	agentA = ID("1001")
	userB  = ID("1002")
	recR   = ID("1000")
)

func newTracker() *Calls {
	c := NewCalls()
	c.SetQueues(map[ID]string{queueQ: "Support", "5002": "Billing"})
	c.SetAccountWide(true)
	c.listed = true // the calls in progress were read: none
	return c
}

// TestBacklogsAreNotKnownUntilTheCallsInProgressAreRead: an admin sees
// every call from the subscription on, but callers who were waiting before
// it are only in the list of calls in progress (a Heavy read that may wait
// a minute for RingCentral's rate): until it is read a backlog is not
// Known, never a count of only the callers seen arrive.
func TestBacklogsAreNotKnownUntilTheCallsInProgressAreRead(t *testing.T) {
	c := NewCalls()
	c.SetQueues(map[ID]string{queueQ: "Support"})
	c.SetAccountWide(true)
	if b := c.Backlogs(); len(b) != 1 || b[0].Known {
		t.Fatalf("before the calls in progress are read: %+v, want not known", b)
	}
	c.Bootstrap(nil, at(0))
	if b := c.Backlogs(); len(b) != 1 || !b[0].Known || b[0].WaitingNow != 0 {
		t.Fatalf("after: %+v, want known, no one waiting", b)
	}
}

// callScript writes one session's events in order, numbering them.
type callScript struct {
	c    *Calls
	tsid string
	seq  int64
}

func script(c *Calls, tsid string) *callScript { return &callScript{c: c, tsid: tsid} }

// pt is a party as an event carries it.
func pt(id string, ext ID, dir, code, reason string) rc.CallParty {
	p := rc.CallParty{ID: id, ExtensionID: rc.ID(ext), Direction: dir}
	p.Status.Code, p.Status.Reason = code, reason
	return p
}

func caller(p rc.CallParty) rc.CallParty {
	p.From = rc.CallEnd{PhoneNumber: "+14155550142", Name: "Globex Corp"}
	p.To = rc.CallEnd{PhoneNumber: "+18005550100", ExtensionID: rc.ID(queueQ)}
	return p
}

func viaQueue(p rc.CallParty) rc.CallParty {
	p = caller(p)
	p.QueueCall = true
	p.CallInfo = &rc.CallInfo{Primary: rc.CallInfoItem{Type: "QueueName", Value: "Support"}}
	return p
}

// event builds the next event of the session without applying it.
func (s *callScript) event(sec float64, p rc.CallParty) rc.TelephonySession {
	s.seq++
	ev := rc.TelephonySession{ID: s.tsid, SessionID: "legacy-" + s.tsid, Sequence: s.seq, Parties: []rc.CallParty{p}}
	ev.EventTime = rc.Time{Time: at(sec)}
	return ev
}

// send applies the next event and returns what Apply said.
func (s *callScript) send(sec float64, p rc.CallParty) bool {
	return s.c.Apply(s.event(sec, p), at(sec))
}

// queueCallRinging has a caller enter queue Q at sec and ring agent A.
func queueCallRinging(c *Calls, tsid string, sec float64) *callScript {
	s := script(c, tsid)
	s.send(sec, caller(pt("p-1", "", "Outbound", rc.PartySetup, "")))
	s.send(sec, caller(pt("p-2", queueQ, "Inbound", rc.PartySetup, "")))
	s.send(sec, caller(pt("p-2", queueQ, "Inbound", rc.PartyProceeding, "")))
	s.send(sec, caller(pt("p-1", "", "Outbound", rc.PartyAnswered, "")))
	s.send(sec+2, viaQueue(pt("p-3", agentA, "Inbound", rc.PartySetup, "")))
	s.send(sec+2, viaQueue(pt("p-3", agentA, "Inbound", rc.PartyProceeding, "")))
	return s
}

func mustBacklog(t *testing.T, c *Calls, q ID) Backlog {
	t.Helper()
	b, ok := c.Backlog(q)
	if !ok {
		t.Fatalf("no backlog for %s", q)
	}
	return b
}

func TestCallsQueueCallWaitsUntilAnAgentAnswers(t *testing.T) {
	c := newTracker()
	c.SetMe(agentA)
	s := queueCallRinging(c, "s-1", 10)

	b := mustBacklog(t, c, queueQ)
	if len(b.Waiting) != 1 || b.Waiting[0] != (Waiter{Session: "s-1", Party: "p-2", Caller: "Globex Corp", CallerNumber: "+14155550142", Since: at(10), RingingExt: agentA}) ||
		!b.Known || b.LowerBound || b.Answered+b.Abandoned != 0 || !b.CountingSince.Equal(at(10)) {
		t.Fatalf("backlog while ringing the agent: %+v", b)
	}
	mine := c.Mine()
	if len(mine) != 1 || mine[0].State != CallRinging || !mine[0].Inbound || mine[0].Remote != "Globex Corp" || mine[0].RemoteNumber != "+14155550142" ||
		mine[0].Queue != queueQ || mine[0].QueueName != "Support" || !mine[0].Start.Equal(at(10)) || !mine[0].Since.Equal(at(12)) || !mine[0].Known {
		t.Fatalf("the agent's call: %+v", mine)
	}
	v := c.Version()
	s.send(15, viaQueue(pt("p-3", agentA, "Inbound", rc.PartyAnswered, "")))
	s.send(15, caller(pt("p-2", queueQ, "Inbound", rc.PartyDisconnected, rc.ReasonAgentAnswered)))
	if c.Version() == v {
		t.Fatal("the version did not move")
	}
	b = mustBacklog(t, c, queueQ)
	if len(b.Waiting) != 0 || b.Answered != 1 || b.Abandoned != 0 {
		t.Fatalf("backlog after the agent answered: %+v", b)
	}
	if mine = c.Mine(); len(mine) != 1 || mine[0].State != CallConnected || !mine[0].Since.Equal(at(15)) || mine[0].Queue != queueQ {
		t.Fatalf("the agent's call once answered: %+v", mine)
	}
	// Every queue is listed, in name order; a queue with no calls too.
	all := c.Backlogs()
	if len(all) != 2 || all[0].Name != "Billing" || all[1].Queue != queueQ || all[1].Answered != 1 {
		t.Fatalf("backlogs: %+v", all)
	}
	if _, ok := c.Backlog("999"); ok {
		t.Fatal("a backlog for something that is not a queue")
	}
}

func TestCallsDropOldAndDuplicateEventsPerParty(t *testing.T) {
	c := newTracker()
	s := script(c, "s-1")
	setup := s.event(1, caller(pt("p-1", "", "Outbound", rc.PartySetup, "")))
	qSetup := s.event(1, caller(pt("p-2", queueQ, "Inbound", rc.PartySetup, "")))
	qProc := s.event(1, caller(pt("p-2", queueQ, "Inbound", rc.PartyProceeding, "")))
	answered := s.event(1, caller(pt("p-1", "", "Outbound", rc.PartyAnswered, "")))

	// The caller's Answered (seq 4) comes before their Setup (seq 1), and
	// the queue's Proceeding (3) before its Setup (2).
	if !c.Apply(answered, at(1)) || !c.Apply(qProc, at(1)) {
		t.Fatal("news must apply")
	}
	v := c.Version()
	for _, late := range []rc.TelephonySession{setup, qSetup, qProc, answered} {
		if c.Apply(late, at(2)) {
			t.Fatalf("seq %d applied after a newer one", late.Sequence)
		}
	}
	if c.Version() != v {
		t.Fatal("a dropped event moved the version")
	}
	if b := mustBacklog(t, c, queueQ); len(b.Waiting) != 1 || b.Waiting[0].Party != "p-2" {
		t.Fatalf("backlog: %+v", b)
	}
	// A later event of another party still applies, whatever its number
	// relative to the session's highest: parties are independent.
	agent := script(c, "s-1")
	agent.seq = 1 // its sequence is older than the caller's Answered
	if !agent.send(3, viaQueue(pt("p-3", agentA, "Inbound", rc.PartyProceeding, ""))) {
		t.Fatal("an agent's first event must apply")
	}
	if calls := c.Of(agentA); len(calls) != 1 || calls[0].State != CallRinging {
		t.Fatalf("the agent: %+v", calls)
	}
	// Bad events change nothing.
	if c.Apply(rc.TelephonySession{ID: "", Parties: []rc.CallParty{pt("p-9", agentA, "Inbound", rc.PartySetup, "")}}, at(3)) ||
		c.Apply(rc.TelephonySession{ID: "s-2"}, at(3)) || c.Apply(rc.TelephonySession{ID: "s-2", Parties: []rc.CallParty{{}}}, at(3)) {
		t.Fatal("an event without a session, a party or a party id applied")
	}
}

func TestCallsAbandonedRedirectedAndAnswered(t *testing.T) {
	c := newTracker()
	// Hangs up while waiting: abandoned (the emulator: Cancelled, missedCall).
	s := script(c, "s-1")
	s.send(1, caller(pt("p-2", queueQ, "Inbound", rc.PartyProceeding, "")))
	p := caller(pt("p-2", queueQ, "Inbound", rc.PartyDisconnected, rc.ReasonCancelled))
	p.MissedCall = true
	s.send(5, p)
	// Forwarded out of the queue: neither.
	s = script(c, "s-2")
	s.send(1, caller(pt("p-2", queueQ, "Inbound", rc.PartyProceeding, "")))
	s.send(6, caller(pt("p-2", queueQ, "Inbound", rc.PartyDisconnected, rc.ReasonCallRedirected)))
	// No reason and no agent: abandoned; no reason after an agent answered: answered.
	s = script(c, "s-3")
	s.send(1, caller(pt("p-2", queueQ, "Inbound", rc.PartyProceeding, "")))
	s.send(7, caller(pt("p-2", queueQ, "Inbound", rc.PartyDisconnected, "")))
	s = script(c, "s-4")
	s.send(1, caller(pt("p-2", queueQ, "Inbound", rc.PartyProceeding, "")))
	s.send(8, viaQueue(pt("p-3", agentA, "Inbound", rc.PartyAnswered, "")))
	s.send(8, caller(pt("p-2", queueQ, "Inbound", rc.PartyDisconnected, "")))
	// The same ending twice counts once; an ending seen without its start
	// counts too.
	s = script(c, "s-5")
	end := s.event(9, caller(pt("p-2", queueQ, "Inbound", rc.PartyDisconnected, rc.ReasonAgentAnswered)))
	c.Apply(end, at(9))
	c.Apply(end, at(9))
	b := mustBacklog(t, c, queueQ)
	if b.Abandoned != 2 || b.Answered != 2 || len(b.Waiting) != 0 {
		t.Fatalf("counts: %+v", b)
	}
}

func TestCallsParkAndPickUp(t *testing.T) {
	c := newTracker()
	s := script(c, "s-1")
	s.send(1, caller(pt("p-1", "", "Outbound", rc.PartyAnswered, "")))
	s.send(1, caller(pt("p-2", recR, "Inbound", rc.PartyProceeding, "")))
	s.send(3, caller(pt("p-2", recR, "Inbound", rc.PartyAnswered, "")))
	parked := caller(pt("p-2", recR, "Inbound", rc.PartyParked, ""))
	parked.Status.ParkData, parked.Park.ID = "*801", "801"
	s.send(20, parked)
	if got := c.Parked(); len(got) != 1 || got[0] != (ParkedCall{Session: "s-1", Party: "p-2", Orbit: "*801", Caller: "Globex Corp",
		CallerNumber: "+14155550142", ParkedBy: recR, Since: at(20)}) {
		t.Fatalf("parked: %+v", got)
	}
	if calls := c.Of(recR); len(calls) != 1 || calls[0].State != CallParked || calls[0].Orbit != "*801" || !calls[0].Since.Equal(at(20)) || !calls[0].Start.Equal(at(1)) {
		t.Fatalf("the receptionist's parked call: %+v", calls)
	}
	// At a Park Location: the location's id.
	s2 := script(c, "s-2")
	atLoc := caller(pt("p-2", recR, "Inbound", rc.PartyParked, ""))
	atLoc.Park.ID = "7001"
	s2.send(25, atLoc)
	if got := c.Parked(); len(got) != 2 || got[1].Orbit != "7001" || got[1].Location != "7001" || got[0].Session != "s-1" {
		t.Fatalf("parked, oldest first, one at a location: %+v", got)
	}
	// B picks the first one up: the parked party leaves, B's joins.
	s.send(30, caller(pt("p-2", recR, "Inbound", rc.PartyDisconnected, rc.ReasonPickup)))
	s.send(30, caller(pt("p-3", userB, "Inbound", rc.PartyAnswered, "")))
	if got := c.Parked(); len(got) != 1 || got[0].Session != "s-2" {
		t.Fatalf("parked after the pickup: %+v", got)
	}
	if calls := c.Of(userB); len(calls) != 1 || calls[0].State != CallConnected || calls[0].Remote != "Globex Corp" {
		t.Fatalf("B's call: %+v", calls)
	}
	if calls := c.Of(recR); len(calls) != 1 || calls[0].Session != "s-2" {
		t.Fatalf("the receptionist keeps only the call at the Park Location: %+v", calls)
	}
}

func TestCallsTransferVoicemailAndTheEndOfACall(t *testing.T) {
	c := newTracker()
	s := script(c, "s-1")
	s.send(1, caller(pt("p-1", "", "Outbound", rc.PartyAnswered, "")))
	s.send(1, caller(pt("p-2", recR, "Inbound", rc.PartyAnswered, "")))
	// A second call rings the receptionist while she talks; she dials out on a third.
	s2 := script(c, "s-2")
	s2.send(2, caller(pt("p-2", recR, "Inbound", rc.PartyProceeding, "")))
	s3 := script(c, "s-3")
	out := pt("p-1", recR, "Outbound", rc.PartyProceeding, "")
	out.To = rc.CallEnd{ExtensionNumber: "102", Name: "Bob Stone", ExtensionID: rc.ID(userB)}
	s3.send(3, out)
	calls := c.Of(recR)
	if len(calls) != 3 || calls[0].State != CallRinging || calls[1].State != CallDialling || calls[2].State != CallConnected ||
		calls[1].Remote != "Bob Stone" || calls[1].RemoteNumber != "102" || calls[1].Inbound {
		t.Fatalf("ringing first, then dialling, then connected: %+v", calls)
	}
	// A blind transfer to B: the receptionist's party leaves, B rings.
	s.send(5, caller(pt("p-2", recR, "Inbound", rc.PartyDisconnected, rc.ReasonBlindTransfer)))
	s.send(5, caller(pt("p-3", userB, "Inbound", rc.PartyProceeding, "")))
	if got := c.Of(userB); len(got) != 1 || got[0].State != CallRinging || got[0].Session != "s-1" {
		t.Fatalf("B after the transfer: %+v", got)
	}
	// B lets it ring out: the caller leaves B a message.
	s.send(25, caller(pt("p-3", userB, "Inbound", rc.PartyDisconnected, rc.ReasonNoAnswer)))
	s.send(25, caller(pt("p-4", userB, "Inbound", rc.PartyVoiceMail, "Voicemail")))
	if got := c.Of(userB); len(got) != 1 || got[0].State != CallVoicemail || got[0].State.String() != "Voicemail" {
		t.Fatalf("B's voicemail: %+v", got)
	}
	// Everyone leaves: the session is forgotten, and stays forgotten.
	s.send(40, caller(pt("p-4", userB, "Inbound", rc.PartyDisconnected, "")))
	late := s.event(41, caller(pt("p-1", "", "Outbound", rc.PartyAnswered, "")))
	s.send(41, caller(pt("p-1", "", "Outbound", rc.PartyDisconnected, "")))
	if _, ok := c.sessions["s-1"]; ok || len(c.Of(userB)) != 0 {
		t.Fatal("a session everyone left is still there")
	}
	late.Sequence = 3
	if c.Apply(late, at(42)) || c.sessions["s-1"] != nil {
		t.Fatal("a late event brought back an ended session")
	}
	// The ended session is forgotten for good after a while.
	c.Tick(at(42).Add(endedRetention + time.Minute))
	if _, ok := c.endedOf("s-1"); ok {
		t.Fatal("an ended session's sequences are kept forever")
	}
}

// records builds an active-calls answer with one waiting caller (Q), a
// parked call, and a queue call the agent talks on.
func bootstrapRecords() []rc.CallLogRecord {
	tm := func(sec float64) rc.Time { return rc.Time{Time: at(sec)} }
	from := rc.CallLogParty{PhoneNumber: "+14155550142", Name: "Globex \x1b[31mCorp"}
	qto := rc.CallLogParty{PhoneNumber: "+18005550100", ExtensionID: rc.ID(queueQ), Name: "Support"}
	own := func(id ID) *rc.CallLogOwner { return &rc.CallLogOwner{ID: rc.ID(id)} }
	return []rc.CallLogRecord{
		{TelephonySessionID: "s-wait", SessionID: "11", StartTime: tm(-60), Result: rc.ResultInProgress, From: from, To: qto, Legs: []rc.CallLogLeg{
			{PartyID: "p-1", LegType: "PstnToSip", StartTime: tm(-60), Direction: "Outbound", Result: rc.ResultInProgress, From: from, To: qto},
			{PartyID: "p-2", LegType: "Hunting", StartTime: tm(-50), Direction: "Inbound", Result: rc.ResultInProgress, From: from, To: qto, Extension: own(queueQ)},
		}},
		{TelephonySessionID: "s-park", SessionID: "12", StartTime: tm(-300), Result: rc.ResultInProgress, From: from, Legs: []rc.CallLogLeg{
			{PartyID: "p-1", LegType: "PstnToSip", StartTime: tm(-300), Direction: "Outbound", Result: rc.ResultInProgress, From: from},
			{PartyID: "p-2", LegType: "CallPark", Action: "Call Park", StartTime: tm(-30), Direction: "Inbound", Result: rc.ResultInProgress,
				From: from, To: rc.CallLogParty{PhoneNumber: "*803"}, Extension: own(recR)},
		}},
		{TelephonySessionID: "s-talk", SessionID: "13", StartTime: tm(-120), Result: rc.ResultInProgress, From: from, To: qto, Legs: []rc.CallLogLeg{
			{PartyID: "p-1", LegType: "PstnToSip", StartTime: tm(-120), Direction: "Outbound", Result: rc.ResultInProgress, From: from, To: qto},
			{PartyID: "p-3", LegType: "Accept", StartTime: tm(-100), Direction: "Inbound", Result: rc.ResultInProgress, From: from, Extension: own(agentA)},
		}},
		// Over already (the call log keeps ended calls a while), and one
		// that cannot be placed.
		{TelephonySessionID: "s-over", Result: "Accepted", Legs: []rc.CallLogLeg{{PartyID: "p-1", Extension: own(userB)}}},
		{Result: rc.ResultInProgress, Legs: []rc.CallLogLeg{{PartyID: "p-1", Extension: own(userB)}}},
	}
}

func TestCallsBootstrapThenEvents(t *testing.T) {
	c := newTracker()
	need := c.Bootstrap(bootstrapRecords(), at(0))
	if !slices.Equal(need, []string{"s-talk"}) {
		t.Fatalf("need %v, want the session whose user party's state is unknown", need)
	}
	b := mustBacklog(t, c, queueQ)
	if len(b.Waiting) != 1 || b.Waiting[0].Session != "s-wait" || b.Waiting[0].Party != "p-2" || !b.Waiting[0].Since.Equal(at(-50)) ||
		b.Waiting[0].Caller != "Globex Corp" || !b.CountingSince.Equal(at(0)) {
		t.Fatalf("the waiting caller: %+v", b)
	}
	if got := c.Parked(); len(got) != 1 || got[0].Orbit != "*803" || got[0].ParkedBy != recR || !got[0].Since.Equal(at(-30)) || got[0].CallerNumber != "+14155550142" {
		t.Fatalf("parked: %+v", got)
	}
	calls := c.Of(agentA)
	if len(calls) != 1 || calls[0].State != CallConnected || calls[0].Known || calls[0].Queue != queueQ || !calls[0].Start.Equal(at(-120)) {
		t.Fatalf("the agent's call before it is read: %+v", calls)
	}
	// The read session says it rings.
	sess := rc.TelephonySession{ID: "s-talk", CreationTime: rc.Time{Time: at(-120)}, Parties: []rc.CallParty{
		caller(pt("p-1", "", "Outbound", rc.PartyAnswered, "")), viaQueue(pt("p-3", agentA, "Inbound", rc.PartyProceeding, "")),
		caller(pt("p-4", queueQ, "Inbound", rc.PartyProceeding, "")),
	}}
	c.AddSession(sess, at(1))
	calls = c.Of(agentA)
	if len(calls) != 1 || calls[0].State != CallRinging || !calls[0].Known || !calls[0].Since.Equal(at(-100)) {
		t.Fatalf("the agent's call once read: %+v", calls)
	}
	if len(c.Need()) != 0 {
		t.Fatalf("still needed: %v", c.Need())
	}
	if b := mustBacklog(t, c, queueQ); len(b.Waiting) != 2 || b.Waiting[0].Session != "s-talk" {
		t.Fatalf("the read session's queue party waits too, since the call began at least: %+v", b.Waiting)
	}
	// Events go on from there: the waiting caller is answered.
	s := script(c, "s-wait")
	s.seq = 10
	s.send(5, viaQueue(pt("p-5", userB, "Inbound", rc.PartyAnswered, "")))
	s.send(5, caller(pt("p-2", queueQ, "Inbound", rc.PartyDisconnected, rc.ReasonAgentAnswered)))
	if b := mustBacklog(t, c, queueQ); b.Answered != 1 || len(b.Waiting) != 1 {
		t.Fatalf("after the answer: %+v", b)
	}

	// A second bootstrap without s-talk: its call ended unseen, and a
	// waiting caller went with it, so the counts are lower bounds.
	recs := bootstrapRecords()[:2]
	recs[0].Legs = recs[0].Legs[:1] // s-wait's queue leg is gone, as the event said
	recs[0].Legs = append(recs[0].Legs, rc.CallLogLeg{PartyID: "p-5", LegType: "Accept", StartTime: rc.Time{Time: at(5)}, Result: rc.ResultInProgress,
		Extension: &rc.CallLogOwner{ID: rc.ID(userB)}})
	need = c.Bootstrap(recs, at(10))
	if len(need) != 0 || c.sessions["s-talk"] != nil || len(c.Of(agentA)) != 0 {
		t.Fatalf("s-talk must be gone (need %v)", need)
	}
	b = mustBacklog(t, c, queueQ)
	if !b.LowerBound || b.Answered != 1 || len(b.Waiting) != 0 {
		t.Fatalf("after a bootstrap that missed an ending: %+v", b)
	}
	if got := c.Of(userB); len(got) != 1 || got[0].State != CallConnected || !got[0].Known {
		t.Fatalf("B's call, known from its event, keeps what the event said: %+v", got)
	}
}

func TestCallsBootstrapKeepsNewsNewerThanTheList(t *testing.T) {
	c := newTracker()
	c.Bootstrap(nil, at(0))
	// An event lands while the active calls are being read (from at 5).
	queueCallRinging(c, "s-new", 6)
	c.Bootstrap(bootstrapRecords()[:1], at(5))
	if c.sessions["s-new"] == nil || len(c.Of(agentA)) != 1 {
		t.Fatal("a call newer than the list was dropped")
	}
}

func TestCallsSettleFromPresence(t *testing.T) {
	c := newTracker()
	c.Bootstrap(bootstrapRecords(), at(0))
	settled := c.SettleFromPresence(agentA, []rc.ActiveCall{
		{TelephonySessionID: "s-talk", PartyID: "p-3", TelephonyStatus: "OnHold", Direction: "Inbound", QueueCall: true},
		{TelephonySessionID: "s-none", PartyID: "p-1", TelephonyStatus: "Ringing"},
	}, at(1))
	calls := c.Of(agentA)
	if !settled || len(calls) != 1 || calls[0].State != CallHeld || !calls[0].Known || len(c.Need()) != 0 {
		t.Fatalf("settled from presence: %v %+v need %v", settled, calls, c.Need())
	}
	// Known parties are the events' to change, not presence's.
	if c.SettleFromPresence(agentA, []rc.ActiveCall{{TelephonySessionID: "s-talk", PartyID: "p-3", TelephonyStatus: "CallConnected"}}, at(2)) {
		t.Fatal("presence overrode a known party")
	}
}

func TestCallsGapAndTheDayRollingOver(t *testing.T) {
	c := newTracker()
	s := queueCallRinging(c, "s-1", 10)
	s.send(20, caller(pt("p-2", queueQ, "Inbound", rc.PartyDisconnected, rc.ReasonCancelled)))
	c.Gap(at(30))
	b := mustBacklog(t, c, queueQ)
	if !b.LowerBound || b.Abandoned != 1 {
		t.Fatalf("after a gap: %+v", b)
	}
	if calls := c.Of(agentA); len(calls) != 1 || calls[0].Known || !slices.Equal(c.Need(), []string{"s-1"}) {
		t.Fatalf("after a gap every state is a guess: %+v, need %v", calls, c.Need())
	}
	// Midnight UTC: counts restart, complete from midnight on.
	midnight := time.Date(2025, 3, 15, 0, 0, 0, 0, time.UTC)
	if !c.Tick(midnight.Add(time.Second)) {
		t.Fatal("midnight changed nothing")
	}
	b = mustBacklog(t, c, queueQ)
	if b.LowerBound || b.Abandoned != 0 || !b.CountingSince.Equal(midnight) {
		t.Fatalf("after midnight: %+v", b)
	}
	if c.Tick(midnight.Add(2 * time.Second)) {
		t.Fatal("a tick that changed nothing says it did")
	}
	// Yesterday's late ending is not today's.
	s2 := script(c, "s-2")
	s2.send(-1, caller(pt("p-2", queueQ, "Inbound", rc.PartyProceeding, "")))
	s2.send(100, caller(pt("p-2", queueQ, "Inbound", rc.PartyDisconnected, rc.ReasonCancelled)))
	if b := mustBacklog(t, c, queueQ); b.Abandoned != 0 {
		t.Fatalf("yesterday's ending counted today: %+v", b)
	}
	// The first event of a new day rolls it over too.
	s3 := script(c, "s-3")
	s3.send(0, caller(pt("p-2", queueQ, "Inbound", rc.PartyProceeding, "")))
	next := time.Date(2025, 3, 16, 0, 0, 1, 0, time.UTC)
	ev := s3.event(0, caller(pt("p-2", queueQ, "Inbound", rc.PartyDisconnected, rc.ReasonCancelled)))
	ev.EventTime = rc.Time{Time: next}
	c.Apply(ev, next)
	if b := mustBacklog(t, c, queueQ); b.Abandoned != 1 || !b.CountingSince.Equal(next.Truncate(24*time.Hour)) {
		t.Fatalf("an ending after the next midnight: %+v", b)
	}
}

func TestCallsSanitiseEveryText(t *testing.T) {
	c := newTracker()
	c.Bootstrap(bootstrapRecords(), at(0))
	s := script(c, "s-x")
	p := pt("p-1", agentA, "Inbound", rc.PartyParked, "")
	p.From = rc.CallEnd{Name: "Evil\x1b]0;title\x07 Corp\u202e", PhoneNumber: "+1\x1b[2J555"}
	p.Status.ParkData = "*8\x0701"
	p.CallInfo = &rc.CallInfo{Primary: rc.CallInfoItem{Type: "QueueName", Value: "Q\x1b[31m1"}}
	p.QueueCall = true
	s.send(1, p)
	calls := c.Of(agentA)
	var got []string
	for _, pc := range calls {
		got = append(got, pc.Remote, pc.RemoteNumber, pc.Orbit, pc.QueueName)
	}
	for _, w := range mustBacklog(t, c, queueQ).Waiting {
		got = append(got, w.Caller, w.CallerNumber)
	}
	for _, pk := range c.Parked() {
		got = append(got, pk.Caller, pk.CallerNumber, pk.Orbit)
	}
	for _, g := range got {
		if g != Sanitize(g) {
			t.Fatalf("unsanitised text %q in %v", g, got)
		}
	}
	if !slices.Contains(got, "Evil Corp") || !slices.Contains(got, "Globex Corp") {
		t.Fatalf("sanitised text: %q", got)
	}
}

// TestCallsFinalPictureDoesNotDependOnOrder plays calls' event streams in
// order and then shuffled with duplicates: once every event is in, the
// picture (everyone's calls, parked calls, backlogs and counts) is the same.
func TestCallsFinalPictureDoesNotDependOnOrder(t *testing.T) {
	r := testRand(t)
	for round := 0; round < 20; round++ {
		var streams [][]rc.TelephonySession
		for i := 0; i < 30; i++ {
			streams = append(streams, randomCall(r, "s-"+strconv.Itoa(round)+"-"+strconv.Itoa(i), float64(r.IntN(60))))
		}
		inOrder, shuffled := newTracker(), newTracker()
		var all []rc.TelephonySession
		for _, st := range streams {
			for _, ev := range st {
				inOrder.Apply(ev, ev.EventTime.Time)
				all = append(all, ev)
				if r.IntN(10) == 0 {
					all = append(all, ev) // a duplicate
				}
			}
		}
		r.Shuffle(len(all), func(i, j int) { all[i], all[j] = all[j], all[i] })
		for _, ev := range all {
			shuffled.Apply(ev, ev.EventTime.Time)
		}
		want, got := picture(inOrder), picture(shuffled)
		if !reflect.DeepEqual(want, got) {
			t.Fatalf("round %d: in order\n%v\nshuffled\n%v", round, want, got)
		}
	}
}

// picture is everything the tracker shows, minus when counting started
// (which is the first event applied, and differs by order).
func picture(c *Calls) string {
	out := ""
	for _, ext := range []ID{agentA, userB, recR, "1003", "1004"} {
		out += fmt.Sprintf("%s: %+v\n", ext, c.Of(ext))
	}
	out += fmt.Sprintf("parked: %+v\n", c.Parked())
	for _, b := range c.Backlogs() {
		b.CountingSince = time.Time{}
		out += fmt.Sprintf("%+v\n", b)
	}
	return out
}

// randomCall writes one call's events, in sequence order: a queue call
// answered or abandoned, perhaps held, parked and picked up, transferred
// or still going on.
func randomCall(r interface {
	IntN(int) int
}, tsid string, start float64) []rc.TelephonySession {
	return randomCallOf(r, tsid, start, []ID{agentA, userB, recR, "1003", "1004"})
}

// randomCallOf is randomCall among users.
func randomCallOf(r interface {
	IntN(int) int
}, tsid string, start float64, users []ID) []rc.TelephonySession {
	s := &callScript{tsid: tsid}
	var out []rc.TelephonySession
	now := start
	emit := func(p rc.CallParty) { out = append(out, s.event(now, p)) }
	step := func() { now += float64(1 + r.IntN(20)) }
	who := users[r.IntN(len(users))]
	emit(caller(pt("p-1", "", "Outbound", rc.PartySetup, "")))
	emit(caller(pt("p-2", queueQ, "Inbound", rc.PartySetup, "")))
	emit(caller(pt("p-2", queueQ, "Inbound", rc.PartyProceeding, "")))
	emit(caller(pt("p-1", "", "Outbound", rc.PartyAnswered, "")))
	step()
	if r.IntN(4) == 0 {
		if r.IntN(3) > 0 { // the caller gives up
			emit(caller(pt("p-2", queueQ, "Inbound", rc.PartyDisconnected, rc.ReasonCancelled)))
			emit(caller(pt("p-1", "", "Outbound", rc.PartyDisconnected, "")))
		}
		return out
	}
	emit(viaQueue(pt("p-3", who, "Inbound", rc.PartySetup, "")))
	emit(viaQueue(pt("p-3", who, "Inbound", rc.PartyProceeding, "")))
	step()
	emit(viaQueue(pt("p-3", who, "Inbound", rc.PartyAnswered, "")))
	emit(caller(pt("p-2", queueQ, "Inbound", rc.PartyDisconnected, rc.ReasonAgentAnswered)))
	cur, n := "p-3", 3
	for steps := r.IntN(4); steps > 0; steps-- {
		step()
		switch r.IntN(3) {
		case 0:
			emit(viaQueue(pt(cur, who, "Inbound", rc.PartyHold, "")))
			step()
			emit(viaQueue(pt(cur, who, "Inbound", rc.PartyAnswered, "")))
		case 1:
			p := viaQueue(pt(cur, who, "Inbound", rc.PartyParked, ""))
			p.Status.ParkData = "*8" + strconv.Itoa(10+r.IntN(89))
			emit(p)
			if r.IntN(3) == 0 {
				return out // still parked
			}
			step()
			emit(viaQueue(pt(cur, who, "Inbound", rc.PartyDisconnected, rc.ReasonPickup)))
			n++
			cur, who = "p-"+strconv.Itoa(n), users[r.IntN(len(users))]
			emit(caller(pt(cur, who, "Inbound", rc.PartyAnswered, "")))
		case 2:
			emit(viaQueue(pt(cur, who, "Inbound", rc.PartyDisconnected, rc.ReasonBlindTransfer)))
			n++
			cur, who = "p-"+strconv.Itoa(n), users[r.IntN(len(users))]
			emit(caller(pt(cur, who, "Inbound", rc.PartyProceeding, "")))
			step()
			emit(caller(pt(cur, who, "Inbound", rc.PartyAnswered, "")))
		}
	}
	if r.IntN(3) == 0 {
		return out // still talking
	}
	step()
	emit(caller(pt(cur, who, "Inbound", rc.PartyDisconnected, "")))
	emit(caller(pt("p-1", "", "Outbound", rc.PartyDisconnected, "")))
	return out
}

// BenchmarkCallsApply feeds the tracker a busy floor of 10k users: calls
// from outside through a queue, answered, held, parked and picked up,
// transferred, every event in time order across calls (events/s).
func BenchmarkCallsApply(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 2))
	users := make([]ID, 10000)
	for i := range users {
		users[i] = ID(strconv.Itoa(100000 + i))
	}
	var events []rc.TelephonySession
	for i := 0; len(events) < 200000; i++ {
		events = append(events, randomCallOf(r, "s-"+strconv.Itoa(i), float64(i)/50, users)...)
	}
	slices.SortStableFunc(events, func(x, y rc.TelephonySession) int { return x.EventTime.Compare(y.EventTime.Time) })
	fresh := func() *Calls {
		c := NewCalls()
		c.SetQueues(map[ID]string{queueQ: "Support"})
		c.SetAccountWide(true)
		return c
	}
	c := fresh()
	live := 0
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		j := i % len(events)
		if j == 0 && i > 0 {
			b.StopTimer()
			live = max(live, len(c.sessions))
			c = fresh()
			b.StartTimer()
		}
		c.Apply(events[j], events[j].EventTime.Time)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
	b.ReportMetric(float64(max(live, len(c.sessions))), "live-sessions")
}

func TestBacklogsTopKeepsTheLongestWaiting(t *testing.T) {
	c := newTracker()
	for i := range 30 {
		s := script(c, fmt.Sprintf("s%02d", i))
		// Joined in a shuffled order: 7*i mod 30 seconds in.
		sec := float64((7 * i) % 30)
		s.send(sec, caller(pt("p-2", queueQ, "Inbound", rc.PartyProceeding, "")))
	}
	all := mustBacklog(t, c, queueQ)
	top := c.BacklogsTop(5)
	var b Backlog
	for _, x := range top {
		if x.Queue == queueQ {
			b = x
		}
	}
	if all.WaitingNow != 30 || b.WaitingNow != 30 || len(b.Waiting) != 5 {
		t.Fatalf("waiting %d/%d, listed %d", all.WaitingNow, b.WaitingNow, len(b.Waiting))
	}
	for i := range b.Waiting {
		if b.Waiting[i] != all.Waiting[i] {
			t.Fatalf("top %d: %+v, want %+v", i, b.Waiting[i], all.Waiting[i])
		}
	}
}
