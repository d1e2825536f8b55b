package state

import (
	"math/bits"
	"strconv"
	"strings"
	"testing"
	"time"
	"unsafe"

	"github.com/rchud/rchud/rc"
)

// The compact forms the call tracker keeps (calls_compact.go) give back
// exactly what they were given.

func TestCallsWordsReadBackExactly(t *testing.T) {
	c := NewCalls()
	for w := wNone; w < knownWords; w++ {
		if got, ok := knownWord(wordNames[w]); !ok || got != w || c.wordOf(wordNames[w]) != w {
			t.Fatalf("word %d %q: %d, %v", w, wordNames[w], got, ok)
		}
	}
	for _, s := range []string{rc.PartyAnswered, rc.ReasonAgentAnswered, "SomethingNew", "somethingnew", "Answered ", "Über"} {
		w := c.wordOf(s)
		if got := c.wordString(w); got != s {
			t.Fatalf("%q reads back as %q", s, got)
		}
		if c.wordOf(strings.Clone(s)) != w {
			t.Fatalf("%q numbered twice", s)
		}
	}
	if c.wordOf("SomethingNew") == c.wordOf("somethingnew") {
		t.Fatal("two unknown words are one")
	}
	// An unknown word is not a piece of the event's text.
	frame := "xxxxUnheardOfxxxx"
	w := c.wordOf(frame[4:13])
	if s := c.wordString(w); s != "UnheardOf" || unsafe.StringData(s) == unsafe.StringData(frame[4:]) {
		t.Fatalf("kept %q from the frame itself", s)
	}
	// Past maxWords, new words are all wOther; the earlier ones still read back.
	for i := 0; int(knownWords)+len(c.words) < maxWords; i++ {
		c.wordOf("w" + strconv.Itoa(i))
	}
	if c.wordOf("one more") != wOther || c.wordOf("and another") != wOther || c.wordString(c.wordOf("SomethingNew")) != "SomethingNew" {
		t.Fatal("past maxWords")
	}
}

// An unknown status is a state of its own: a change to it is a change,
// and a party in it shows as connected (stateOf's default), as before.
func TestCallsUnknownStatusIsAStateOfItsOwn(t *testing.T) {
	c := newTracker()
	s := script(c, "s-1")
	s.send(1, caller(pt("p-2", recR, "Inbound", rc.PartyAnswered, "")))
	if !s.send(5, caller(pt("p-2", recR, "Inbound", "Conferencing", ""))) {
		t.Fatal("a new unknown status changed nothing")
	}
	if calls := c.Of(recR); len(calls) != 1 || calls[0].State != CallConnected || !calls[0].Since.Equal(at(5)) {
		t.Fatalf("in an unknown status: %+v", calls)
	}
	again := s.event(6, caller(pt("p-2", recR, "Inbound", "Conferencing", "")))
	if c.Apply(again, at(6)); c.Apply(again, at(6)) {
		t.Fatal("the same event again changed something")
	}
	if c.wordString(c.sessions["s-1"].party("p-2").code) != "Conferencing" {
		t.Fatal("the unknown status does not read back")
	}
}

func TestStampsReadBackExactly(t *testing.T) {
	for _, tm := range []time.Time{{}, at(0), at(1.5), time.Date(2262, 1, 1, 0, 0, 0, 1, time.UTC), time.Date(1970, 1, 1, 0, 0, 0, 1, time.UTC)} {
		if got := stampOf(tm).time(); !got.Equal(tm) || got != tm.UTC() && !tm.IsZero() {
			t.Fatalf("%v reads back as %v", tm, got)
		}
	}
	if !stampOf(time.Time{}).time().IsZero() {
		t.Fatal("the zero time")
	}
	local := time.Date(2025, 3, 14, 9, 0, 0, 7, time.FixedZone("X", 3600))
	if got := stampOf(local).time(); !got.Equal(local) {
		t.Fatalf("%v reads back as %v", local, got)
	}
}

// A party keeps one copy of each text: its own when an event repeats it,
// another party's of the session when it is the same, and never a piece of
// the decoded event.
func TestCallsKeepOneCopyOfEachText(t *testing.T) {
	c := newTracker()
	s := script(c, "s-1")
	s.send(1, decodedEvent(s.event(1, viaQueue(pt("p-2", queueQ, "Inbound", rc.PartyProceeding, "")))).Parties[0])
	ev := decodedEvent(s.event(2, viaQueue(pt("p-3", agentA, "Inbound", rc.PartyProceeding, ""))))
	c.Apply(ev, at(2))
	q, a := c.sessions["s-1"].party("p-2"), c.sessions["s-1"].party("p-3")
	same := func(x, y string) bool { return unsafe.StringData(x) == unsafe.StringData(y) }
	if !same(q.from.s, a.from.s) || a.from.name() != "Globex Corp" || a.from.number() != "+14155550142" {
		t.Fatalf("the caller is kept twice, or not as sent: %q", a.from.s)
	}
	if same(a.from.name(), ev.Parties[0].From.Name) || same(string(a.ext), string(ev.Parties[0].ExtensionID)) || same(a.ownID(), ev.Parties[0].ID) ||
		same(c.sessions["s-1"].id, ev.ID) {
		t.Fatal("a text kept is the event's own")
	}
	if a.queue() != "Support" || !same(a.queue(), c.queues[queueQ]) {
		t.Fatalf("queue name %q is not the tracker's", a.queue())
	}
	from := a.from.s
	s.send(3, decodedEvent(s.event(3, viaQueue(pt("p-3", agentA, "Inbound", rc.PartyAnswered, "")))).Parties[0])
	if !same(a.from.s, from) {
		t.Fatal("a repeated text is taken again")
	}
	// A text that changes is the new one.
	p := viaQueue(pt("p-3", agentA, "Inbound", rc.PartyAnswered, ""))
	p.From.Name = "Initech"
	s.send(4, p)
	if calls := c.Of(agentA); len(calls) != 1 || calls[0].Remote != "Initech" {
		t.Fatalf("after a new name: %+v", calls)
	}
	p.From.Name = ""
	s.send(5, p)
	if calls := c.Of(agentA); len(calls) != 1 || calls[0].Remote != "" {
		t.Fatalf("after the name is gone: %+v", calls)
	}
}

// The owner and queue sets hold every live party once, each where it
// says it is, after a busy floor's calls come and go.
func TestCallsPartySetsHoldEachLivePartyWhereItSays(t *testing.T) {
	users := make([]ID, 50)
	for i := range users {
		users[i] = ID(strconv.Itoa(100000 + i))
	}
	c := feedCallsUntilLive(users, 2000, nil)
	held := 0
	for id, set := range c.byExt {
		if set.id != id || len(set.ps) == 0 {
			t.Fatalf("set %s: id %s, %d parties", id, set.id, len(set.ps))
		}
		for i, p := range set.ps {
			if p.inExt != set || int(p.extAt) != i || p.ext != id || !p.live() {
				t.Fatalf("%s/%s in %s at %d says %s at %d", p.s.id, p.partyID(), id, i, setID(p.inExt), p.extAt)
			}
			held++
		}
	}
	waiting := 0
	for id, set := range c.waiting {
		for i, p := range set.ps {
			if p.inWait != set || int(p.waitAt) != i || p.ext != id || !p.ringing() || !c.isQueue(id) {
				t.Fatalf("%s/%s waiting in %s at %d says %s at %d", p.s.id, p.partyID(), id, i, setID(p.inWait), p.waitAt)
			}
			waiting++
		}
	}
	live, ringingInQueue := 0, 0
	for _, s := range c.sessions {
		for _, p := range s.parties {
			if p.live() && p.ext != "" {
				live++
				if p.ringing() && c.isQueue(p.ext) {
					ringingInQueue++
				}
			} else if p.inExt != nil || p.inWait != nil {
				t.Fatalf("%s/%s has left but is in a set", s.id, p.partyID())
			}
		}
	}
	if held != live || waiting != ringingInQueue || waiting == 0 {
		t.Fatalf("sets hold %d of %d live parties, %d of %d waiting", held, live, waiting, ringingInQueue)
	}
}

// A party whose owner changes is among the new owner's calls, and no
// longer the old one's.
func TestCallsPartyMovesWithItsOwner(t *testing.T) {
	c := newTracker()
	s := script(c, "s-1")
	s.send(1, caller(pt("p-2", agentA, "Inbound", rc.PartyAnswered, "")))
	s.send(2, caller(pt("p-2", userB, "Inbound", rc.PartyAnswered, "")))
	if len(c.Of(agentA)) != 0 || len(c.Of(userB)) != 1 {
		t.Fatalf("after the owner changed: %+v, %+v", c.Of(agentA), c.Of(userB))
	}
	s.send(3, caller(pt("p-2", userB, "Inbound", rc.PartyDisconnected, "")))
	if len(c.Of(agentA)) != 0 || len(c.Of(userB)) != 0 || len(c.byExt) != 0 {
		t.Fatalf("after it ended: %+v, %+v", c.Of(agentA), c.Of(userB))
	}
}

// A side of a party reads back its name and number, either empty.
func TestCallEndReadsBack(t *testing.T) {
	s := &callSession{}
	for _, nm := range [][2]string{{"", ""}, {"Globex Corp", ""}, {"", "+14155550142"}, {"Globex", "102"}, {"a\x00b", "1"}} {
		e := s.end(callEnd{}, nm[0], nm[1], "")
		n, m := Sanitize(nm[0]), Sanitize(nm[1])
		if e.name() != n || e.number() != m || !e.is(n, m) || (n == "" && m == "") != (e.s == "") {
			t.Fatalf("%q: %q, %q", nm, e.name(), e.number())
		}
		for _, other := range [][2]string{{"Globex", ""}, {"", "Globex"}, {"Globex Corp", "+14155550142"}} {
			if e.is(other[0], other[1]) && other != [2]string{n, m} {
				t.Fatalf("%q is %q", nm, other)
			}
		}
	}
	if e := s.end(callEnd{}, "", "", "102"); e.number() != "102" {
		t.Fatalf("the extension number when no phone number: %q", e.number())
	}
}

// What the call log or a read said is the base events build on, whether
// or not an event has come since: an event in the same state keeps the
// base's since; a late one from between takes it away; a late one from
// before the base changes nothing.
func TestCallsEventsBuildOnTheBase(t *testing.T) {
	c := newTracker()
	c.Bootstrap(bootstrapRecords(), at(0))
	c.AddSession(rc.TelephonySession{ID: "s-talk", CreationTime: rc.Time{Time: at(-120)}, Parties: []rc.CallParty{
		caller(pt("p-1", "", "Outbound", rc.PartyAnswered, "")), viaQueue(pt("p-3", agentA, "Inbound", rc.PartyAnswered, "")),
	}}, at(1))
	since := func() time.Time {
		calls := c.Of(agentA)
		if len(calls) != 1 {
			t.Fatalf("the agent's calls: %+v", calls)
		}
		return calls[0].Since
	}
	if p := c.sessions["s-talk"].party("p-3"); !p.is(pfHasBase) || len(p.hist) != 0 {
		t.Fatalf("a party read and not told more keeps a history: %+v", p.hist)
	}
	if !since().Equal(at(-100)) {
		t.Fatalf("since %v, want the call log's start of the leg", since())
	}
	s := script(c, "s-talk")
	s.seq = 4
	s.send(20, viaQueue(pt("p-3", agentA, "Inbound", rc.PartyAnswered, ""))) // 5
	if !since().Equal(at(-100)) {
		t.Fatalf("after an event in the same state: since %v, want the base's", since())
	}
	late := s.event(10, viaQueue(pt("p-3", agentA, "Inbound", rc.PartyAnswered, "")))
	late.Sequence = 0
	if c.Apply(late, at(21)) {
		t.Fatal("an event without a sequence, older, changed something")
	}
	hold := s.event(15, viaQueue(pt("p-3", agentA, "Inbound", rc.PartyHold, "")))
	hold.Sequence = 3 // late, from between the base and event 5
	if !c.Apply(hold, at(22)) || !since().Equal(at(20)) {
		t.Fatalf("after a late hold from between: since %v, want event 5's", since())
	}
	// A fresh read is a new base; a late event from before it is dropped.
	c.AddSession(rc.TelephonySession{ID: "s-talk", Parties: []rc.CallParty{
		caller(pt("p-1", "", "Outbound", rc.PartyAnswered, "")), viaQueue(pt("p-3", agentA, "Inbound", rc.PartyAnswered, "")),
	}}, at(30))
	before := s.event(25, viaQueue(pt("p-3", agentA, "Inbound", rc.PartyHold, "")))
	before.Sequence = 5
	if c.Apply(before, at(31)) || !since().Equal(at(20)) {
		t.Fatalf("a late event from before the read: since %v", since())
	}
}

// An ended session knows each of its parties' last sequence, however the
// party is named: by its number when named as RingCentral names them,
// by its id otherwise.
func TestEndedSessionKnowsEachPartysLastSequence(t *testing.T) {
	const s = "s-a0d17e2e26e3dz18c1b6b2a2bz2fd4a6b80000"
	p := func(n string) string { return "p-a0d17e2e26e3dz18c1b6b2a2bz2fd4a6b80000-" + n }
	parties := []string{p("1"), p("2"), p("10"), p("63"), p("64"), p("01"), p("x"), p(""), p("1-2"), "p-other-1", "1", "", "p-a0d17e2e26e3dz18c1b6b2a2bz2fd4a6b80001-1"}
	var e endedSession
	for i, id := range parties {
		if _, ok := e.last(s, id); ok {
			t.Fatalf("%q known before it left", id)
		}
		noteID(&e, s, id, int64(10+i))
		noteID(&e, s, id, int64(5+i)) // an older one changes nothing
	}
	for i, id := range parties {
		if seq, ok := e.last(s, id); !ok || seq != int64(10+i) {
			t.Fatalf("%q: %d, %v", id, seq, ok)
		}
	}
	if n, ok := partyNumber(s, p("7")); !ok || n != 7 {
		t.Fatal("a party's number")
	}
	for _, id := range []string{p("64"), p("01"), p("x"), p(""), p("+1"), p("1-2"), "p-other-1"} {
		if _, ok := partyNumber(s, id); ok {
			t.Fatalf("%q taken for a number", id)
		}
	}
	if _, ok := partyNumber("x-1", "p-1-1"); ok {
		t.Fatal("a session not named s-")
	}
	if e.more == nil || len(e.more.other) != 9 || bits.OnesCount64(e.nums) != 4 {
		t.Fatalf("%d numbered, %v other", bits.OnesCount64(e.nums), e.more)
	}
}

// noteID records the last sequence of party (of session) in e.
func noteID(e *endedSession, session, party string, seq int64) {
	if n, ok := partyNumber(session, party); ok {
		e.noteNum(n, seq, 3)
	} else {
		e.noteOther(party, seq)
	}
}

// A party named by number is kept by it, and reads back its whole id.
func TestCallsPartyNamedByNumber(t *testing.T) {
	c := newTracker()
	tsid := sessionIDOf(7)
	s := script(c, tsid)
	id := partyIDOf(tsid, "p-3")
	s.send(1, decodedEvent(s.event(1, caller(pt(id, agentA, "Inbound", rc.PartyAnswered, "")))).Parties[0])
	odd := partyIDOf(tsid, "p-x")
	s.send(2, caller(pt(odd, userB, "Inbound", rc.PartyAnswered, "")))
	p := c.sessions[tsid].party(id)
	if p == nil || p.ownID() != "" || p.num != 3 || p.partyID() != id || c.sessions[tsid].party(odd).ownID() != odd {
		t.Fatalf("party %q: %+v", id, p)
	}
	if calls := c.Of(agentA); len(calls) != 1 || calls[0].Party != id {
		t.Fatalf("the agent's call: %+v", calls)
	}
	for _, other := range []string{partyIDOf(tsid, "p-4"), partyIDOf(tsid, "p-03"), partyIDOf(sessionIDOf(8), "p-3"), "p-3", ""} {
		if c.sessions[tsid].party(other) != nil {
			t.Fatalf("%q found", other)
		}
	}
}

// TestEndedSessionSpills: an ended session keeps every numbered party's
// last sequence when they outgrow the four kept in the value (more
// parties, or a sequence past 32 bits), in any order noted.
func TestEndedSessionSpills(t *testing.T) {
	s := "s-00112233445566778899aabbccddeeff"
	p := func(n int) string { return "p-" + s[2:] + "-" + strconv.Itoa(n) }
	for _, big := range []int64{0, 1 << 40} {
		var e endedSession
		want := map[int]int64{}
		for _, n := range []int{5, 1, 9, 0, 63, 3, 7} {
			seq := int64(100 + n)
			if n == 63 {
				seq += big
			}
			noteID(&e, s, p(n), seq)
			noteID(&e, s, p(n), seq-50) // an older one changes nothing
			want[n] = seq
			for m, w := range want {
				if got, ok := e.last(s, p(m)); !ok || got != w {
					t.Fatalf("big %d, after %d: party %d: %d, %v; want %d", big, n, m, got, ok, w)
				}
			}
		}
		if _, ok := e.last(s, p(2)); ok {
			t.Fatal("a party never noted")
		}
		noteID(&e, s, "p-other", 7)
		if got, ok := e.last(s, "p-other"); !ok || got != 7 {
			t.Fatal("a party named otherwise")
		}
	}
	var e endedSession
	noteID(&e, s, p(2), 3)
	noteID(&e, s, p(2), 1<<33) // a newer sequence past 32 bits
	if got, ok := e.last(s, p(2)); !ok || got != 1<<33 {
		t.Fatalf("%d, %v", got, ok)
	}
}
