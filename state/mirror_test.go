package state

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/rchud/rchud/rc"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func newClock() *clock { return &clock{t: time.Date(2026, 5, 4, 9, 0, 0, 0, time.UTC)} }

// testMirror has users 101..10x (ids "1".."n"), one queue "q1" with the
// first three, and a Department extension "900".
func testMirror(t *testing.T, n int) (*Mirror, *clock) {
	t.Helper()
	c := newClock()
	m := NewMirror(c.Now)
	var exts []rc.Extension
	depts := []string{"Sales", "Support"}
	names := []string{"Zoe Adams", "Adam Baker", "Maria García", "Omar Khan", "Li Wei", "Ann Lee"}
	for i := 1; i <= n; i++ {
		var x rc.Extension
		x.ID = rc.ID(fmt.Sprint(i))
		x.ExtensionNumber = fmt.Sprint(100 + i)
		x.Name = names[(i-1)%len(names)]
		x.Type = "User"
		x.Contact.Department = depts[i%2]
		exts = append(exts, x)
	}
	var q rc.Extension
	q.ID, q.ExtensionNumber, q.Name, q.Type = "900", "900", "Support Queue", "Department"
	exts = append(exts, q)
	m.AddExtensions(exts)
	m.SetQueues([]Queue{{ID: "900", Name: "Support Queue", Members: []ID{"1", "2", "3"}, EditableMemberStatus: true}})
	m.SetMe("1", false)
	return m, c
}

// ev builds a presence body from JSON.
func ev(t *testing.T, js string) *rc.Presence {
	t.Helper()
	var p rc.Presence
	if err := json.Unmarshal([]byte(js), &p); err != nil {
		t.Fatal(err)
	}
	return &p
}

func entry(t *testing.T, m *Mirror, id ID) Entry {
	t.Helper()
	e, ok := m.Get(id)
	if !ok {
		t.Fatalf("no entry %s", id)
	}
	return e
}

func TestMergeRules(t *testing.T) {
	m, c := testMirror(t, 3)
	t0 := c.Now()
	m.ApplySnapshot([]rc.Presence{*ev(t, `{"extension":{"id":2},"presenceStatus":"Available","userStatus":"Available","dndStatus":"TakeAllCalls","telephonyStatus":"NoCall","message":"hi"}`)}, true)
	if e := entry(t, m, "2"); e.Availability != Available || !e.AvailSince.IsZero() {
		t.Fatalf("after a snapshot: %v since %v; time in state must be unknown", e.Availability, e.AvailSince)
	}
	// A partial body overlays only what it carries.
	m.ApplyEvent(ev(t, `{"extensionId":"2","sequence":10,"userStatus":"Busy"}`), t0.Add(time.Second), true)
	e := entry(t, m, "2")
	if e.UserStatus != "Busy" || e.Message != "hi" || e.DNDStatus != "TakeAllCalls" || e.Availability != Busy {
		t.Fatalf("partial body merged wrong: %+v", e)
	}
	if !e.AvailSince.Equal(t0.Add(time.Second)) {
		t.Fatalf("time in state must come from the notification timestamp, got %v", e.AvailSince)
	}
	// An older sequence is dropped; an equal one applies.
	m.ApplyEvent(ev(t, `{"extensionId":"2","sequence":9,"userStatus":"Available"}`), t0.Add(2*time.Second), true)
	if entry(t, m, "2").UserStatus != "Busy" {
		t.Fatalf("a notification with a lower sequence was applied")
	}
	m.ApplyEvent(ev(t, `{"extensionId":"2","sequence":10,"message":"lunch"}`), t0.Add(3*time.Second), true)
	if entry(t, m, "2").Message != "lunch" {
		t.Fatalf("a notification with the same sequence must apply")
	}
	// An empty message clears it.
	m.ApplyEvent(ev(t, `{"extensionId":"2","sequence":11,"message":""}`), t0.Add(3*time.Second), true)
	if entry(t, m, "2").Message != "" {
		t.Fatalf("an empty message must clear the old one")
	}
}

func TestCallsMerge(t *testing.T) {
	m, c := testMirror(t, 3)
	t0 := c.Now()
	m.ApplySnapshot([]rc.Presence{*ev(t, `{"extension":{"id":3},"userStatus":"Available","dndStatus":"TakeAllCalls","telephonyStatus":"NoCall"}`)}, true)
	m.ApplyEvent(ev(t, `{"extensionId":"3","sequence":1,"telephonyStatus":"Ringing","totalActiveCalls":1,
		"activeCalls":[{"id":"c1","direction":"Inbound","from":"+16505550101","fromName":"Globex","telephonyStatus":"Ringing","startTime":"2026-05-04T08:59:50.000+0000","queueCall":true}]}`), t0, true)
	e := entry(t, m, "3")
	if e.Availability != Ringing || len(e.Calls) != 1 || !e.Calls[0].Queue || e.Calls[0].Start.IsZero() {
		t.Fatalf("ringing call not merged: %+v", e)
	}
	if name, num := e.Calls[0].Party(); name != "Globex" || num != "+16505550101" {
		t.Fatalf("party %q %q", name, num)
	}
	// The end of a call is reported once with NoCall/final.
	m.ApplyEvent(ev(t, `{"extensionId":"3","sequence":2,"telephonyStatus":"NoCall","totalActiveCalls":0,
		"activeCalls":[{"id":"c1","direction":"Inbound","telephonyStatus":"NoCall","terminationType":"final"}]}`), t0, true)
	if e := entry(t, m, "3"); len(e.Calls) != 0 || e.Availability != Available {
		t.Fatalf("ended call kept: %+v", e)
	}
	// More calls than inlined: the calls are fetched.
	m.ApplyEvent(ev(t, `{"extensionId":"3","sequence":3,"telephonyStatus":"OnHold","totalActiveCalls":9,
		"activeCalls":[{"id":"a","telephonyStatus":"OnHold"},{"id":"b","telephonyStatus":"OnHold"}]}`), t0, true)
	if e := entry(t, m, "3"); !e.CallsUnsure || e.TotalCalls != 9 {
		t.Fatalf("truncated calls not flagged: %+v", e)
	}
	if got := m.TakeFetches(30); !slices.Equal(got, []ID{"3"}) {
		t.Fatalf("fetch list %v", got)
	}
	if got := m.TakeFetches(30); len(got) != 0 {
		t.Fatalf("an in-flight fetch was handed out twice: %v", got)
	}
	// A detailed body without activeCalls while on a call: fetch.
	m.ApplySnapshot([]rc.Presence{*ev(t, `{"extension":{"id":3},"telephonyStatus":"NoCall","userStatus":"Available"}`)}, true)
	m.ApplyEvent(ev(t, `{"extensionId":"3","sequence":4,"telephonyStatus":"CallConnected"}`), t0, true)
	if e := entry(t, m, "3"); !e.CallsUnsure || e.Availability != OnCall {
		t.Fatalf("a detailed body without its calls must be fetched: %+v", e)
	}
	if got := m.TakeFetches(30); !slices.Equal(got, []ID{"3"}) {
		t.Fatalf("fetch list %v", got)
	}
}

// TestHonestCallStates: "Ringing" is someone being called; placing a call
// is "Dialling"; talking with a second call ringing is "On call", and the
// ringing call is counted behind it.
func TestHonestCallStates(t *testing.T) {
	m, c := testMirror(t, 3)
	t0 := c.Now()
	m.ApplySnapshot([]rc.Presence{*ev(t, `{"extension":{"id":3},"userStatus":"Available","dndStatus":"TakeAllCalls","telephonyStatus":"NoCall"}`)}, true)
	m.ApplyEvent(ev(t, `{"extensionId":"3","sequence":1,"telephonyStatus":"Ringing","totalActiveCalls":1,
		"activeCalls":[{"id":"o1","direction":"Outbound","to":"+16505550101","toName":"Globex","telephonyStatus":"Ringing","startTime":"2026-05-04T08:59:50.000+0000"}]}`), t0, true)
	if e := entry(t, m, "3"); e.Availability != Dialling || e.PrimaryCall().Who() != "Globex" {
		t.Fatalf("placing a call: %v with %+v, want Dialling Globex", e.Availability, e.PrimaryCall())
	}
	m.ApplyEvent(ev(t, `{"extensionId":"3","sequence":2,"telephonyStatus":"Ringing","totalActiveCalls":2,
		"activeCalls":[{"id":"o1","direction":"Outbound","to":"+16505550101","toName":"Globex","telephonyStatus":"CallConnected","startTime":"2026-05-04T08:59:50.000+0000"},
		{"id":"i2","direction":"Inbound","from":"+16505550199","fromName":"Initech","telephonyStatus":"Ringing","startTime":"2026-05-04T09:00:00.000+0000"}]}`), t0, true)
	e := entry(t, m, "3")
	if e.Availability != OnCall || e.PrimaryCall().ID != "o1" || e.RingingBehind() != 1 {
		t.Fatalf("talking with a call ringing: %v, primary %+v, %d ringing behind; want On call with Globex and 1 ringing",
			e.Availability, e.PrimaryCall(), e.RingingBehind())
	}
	m.ApplyEvent(ev(t, `{"extensionId":"3","sequence":3,"telephonyStatus":"Ringing","totalActiveCalls":2,
		"activeCalls":[{"id":"o1","direction":"Outbound","to":"+16505550101","toName":"Globex","telephonyStatus":"OnHold","startTime":"2026-05-04T08:59:50.000+0000"},
		{"id":"i2","direction":"Inbound","from":"+16505550199","fromName":"Initech","telephonyStatus":"Ringing","startTime":"2026-05-04T09:00:00.000+0000"}]}`), t0, true)
	if e := entry(t, m, "3"); e.Availability != Ringing || e.PrimaryCall().ID != "i2" || e.RingingBehind() != 0 {
		t.Fatalf("a call held and one ringing: %v, primary %+v; want Ringing with Initech", e.Availability, e.PrimaryCall())
	}
}

func TestSnapshotReplaysEventsLoggedDuringIt(t *testing.T) {
	m, c := testMirror(t, 3)
	m.StartResync("first load")
	// An event arrives before the (older) snapshot of the same extension.
	m.ApplyEvent(ev(t, `{"extensionId":"1","sequence":5,"userStatus":"Busy","dndStatus":"TakeAllCalls","telephonyStatus":"NoCall"}`), c.Now(), true)
	m.ApplySnapshot([]rc.Presence{*ev(t, `{"extension":{"id":1},"userStatus":"Available","dndStatus":"TakeAllCalls","telephonyStatus":"NoCall"}`)}, true)
	if e := entry(t, m, "1"); e.UserStatus != "Busy" {
		t.Fatalf("an older snapshot overwrote a newer event: %s", e.UserStatus)
	}
	// After its snapshot, events for that extension just apply.
	m.ApplyEvent(ev(t, `{"extensionId":"1","sequence":6,"userStatus":"Offline"}`), c.Now(), true)
	if e := entry(t, m, "1"); e.UserStatus != "Offline" {
		t.Fatalf("an event after the snapshot was lost: %s", e.UserStatus)
	}
	m.FinishResync(true)
	if h := m.Health(); !h.Loaded {
		t.Fatalf("a complete resync must mark the mirror loaded")
	}
	// A snapshot resets the watermark (REST carries no sequence).
	m.ApplyEvent(ev(t, `{"extensionId":"2","sequence":50,"userStatus":"Busy"}`), c.Now(), true)
	m.ApplySnapshot([]rc.Presence{*ev(t, `{"extension":{"id":2},"userStatus":"Busy"}`)}, true)
	m.ApplyEvent(ev(t, `{"extensionId":"2","sequence":3,"userStatus":"Available"}`), c.Now(), true)
	if e := entry(t, m, "2"); e.UserStatus != "Available" {
		t.Fatalf("watermarks must reset after a snapshot: %s", e.UserStatus)
	}
}

func TestFreshness(t *testing.T) {
	m, c := testMirror(t, 3)
	m.StartResync("first load")
	m.ApplySnapshot([]rc.Presence{*ev(t, `{"extension":{"id":1},"userStatus":"Available"}`), *ev(t, `{"extension":{"id":2},"userStatus":"Available"}`)}, true)
	m.FinishResync(true)
	m.SetLink(rc.Link{State: rc.LinkLive})
	e1 := entry(t, m, "1")
	if m.Stale(&e1) || m.Health().Conn != ConnLive {
		t.Fatalf("fresh after the first load")
	}
	c.Advance(time.Second)
	m.SetLink(rc.Link{State: rc.LinkRecovering, Err: errors.New("read: connection reset")})
	if h := m.Health(); h.Conn != ConnRecovering || h.Err == "" || h.Down.IsZero() {
		t.Fatalf("link loss not reported: %+v", h)
	}
	e1 = entry(t, m, "1")
	if m.Stale(&e1) {
		t.Fatalf("stale before the grace")
	}
	c.Advance(staleGrace)
	if !m.Stale(&e1) {
		t.Fatalf("a row must be stale once the link has been down past the grace")
	}
	c.Advance(offlineAfter)
	if h := m.Health(); h.Conn != ConnOffline {
		t.Fatalf("a long outage must read offline, got %v", h.Conn)
	}
	// Recovered without loss: fresh again.
	m.SetLink(rc.Link{State: rc.LinkLive})
	if m.Stale(&e1) || m.Health().Conn != ConnLive {
		t.Fatalf("a clean recovery must clear staleness")
	}
	// A gap: stale until the resync's snapshot confirms each row.
	c.Advance(time.Second)
	m.StartResync("recovery failed")
	if h := m.Health(); h.Conn != ConnResyncing || h.Resync == "" {
		t.Fatalf("resync not reported: %+v", h)
	}
	c.Advance(time.Second)
	m.ApplySnapshot([]rc.Presence{*ev(t, `{"extension":{"id":1},"userStatus":"Busy"}`)}, true)
	e1, e2 := entry(t, m, "1"), entry(t, m, "2")
	if m.Stale(&e1) || !m.Stale(&e2) {
		t.Fatalf("confirmed row stale=%v, unconfirmed row stale=%v", m.Stale(&e1), m.Stale(&e2))
	}
	if p := m.Project(Query{Stale: true, Sort: ColNumber}); p.Total != 2 || !slices.Equal(p.Groups[0].IDs, []ID{"2", "3"}) {
		t.Fatalf("the stale filter kept %+v, want the two unconfirmed rows", p.Groups)
	}
	m.FinishResync(false)
	if !m.Stale(&e2) {
		t.Fatalf("an incomplete resync must leave unconfirmed rows stale")
	}
	m.StartResync("retry")
	m.ApplySnapshot([]rc.Presence{*ev(t, `{"extension":{"id":2},"userStatus":"Busy"}`)}, true)
	m.FinishResync(true)
	if e2 := entry(t, m, "2"); m.Stale(&e2) {
		t.Fatalf("a complete resync must clear staleness")
	}
}

func TestProjections(t *testing.T) {
	m, c := testMirror(t, 6)
	for i := 1; i <= 6; i++ {
		st := []string{"Available", "Busy", "Available", "Offline", "Available", "Busy"}[i-1]
		m.ApplySnapshot([]rc.Presence{*ev(t, fmt.Sprintf(`{"extension":{"id":%d},"userStatus":"%s","dndStatus":"TakeAllCalls","telephonyStatus":"NoCall"}`, i, st))}, true)
	}
	m.ApplyEvent(ev(t, `{"extensionId":"5","sequence":1,"telephonyStatus":"CallConnected","activeCalls":[{"id":"x","direction":"Inbound","fromName":"Initech Payroll","from":"+14155550111","telephonyStatus":"CallConnected"}]}`), c.Now(), true)
	m.ApplyEvent(ev(t, `{"extensionId":"6","sequence":1,"message":"Out to LUNCH"}`), c.Now(), true)

	ids := func(p Projection) []ID {
		var out []ID
		for _, g := range p.Groups {
			out = append(out, g.IDs...)
		}
		return out
	}
	if got := ids(m.Project(Query{Sort: ColNumber})); !slices.Equal(got, []ID{"1", "2", "3", "4", "5", "6"}) {
		t.Fatalf("number order: %v (the Department must be left out by default)", got)
	}
	if got := m.Project(Query{All: true}); got.Total != 7 {
		t.Fatalf("All must include the queue extension: %d", got.Total)
	}
	if got := ids(m.Project(Query{Sort: ColNumber, Desc: true})); !slices.Equal(got, []ID{"6", "5", "4", "3", "2", "1"}) {
		t.Fatalf("reverse: %v", got)
	}
	// Ties by extension number, in both directions.
	if got := ids(m.Project(Query{Sort: ColAvailability})); !slices.Equal(got, []ID{"1", "3", "5", "2", "6", "4"}) {
		t.Fatalf("by availability: %v", got)
	}
	if got := ids(m.Project(Query{Sort: ColAvailability, Desc: true})); !slices.Equal(got, []ID{"4", "2", "6", "5", "1", "3"}) {
		t.Fatalf("by availability reversed (ties still by number): %v", got)
	}
	for text, want := range map[string][]ID{
		"initech": {"5"}, "lunch": {"6"}, "103": {"3"}, "GARCÍA": {"3"}, "on call": {"5"}, "support": {"1", "3", "5"}, "nobody": nil,
	} {
		if got := ids(m.Project(Query{Text: text, Sort: ColNumber})); !slices.Equal(got, want) {
			t.Errorf("filter %q: %v, want %v", text, got, want)
		}
	}
	if got := ids(m.Project(Query{States: []Availability{Busy, Offline}, Sort: ColNumber})); !slices.Equal(got, []ID{"2", "4", "6"}) {
		t.Fatalf("state filter: %v", got)
	}
	byQueue := m.Project(Query{By: GroupQueue, Sort: ColNumber})
	if len(byQueue.Groups) != 2 || byQueue.Groups[0].Title != "Support Queue" || !slices.Equal(byQueue.Groups[0].IDs, []ID{"1", "2", "3"}) ||
		byQueue.Groups[1].Title != "Not in a queue" || byQueue.Groups[0].Counts[Available] != 2 {
		t.Fatalf("group by queue: %+v", byQueue.Groups)
	}
	byDept := m.Project(Query{By: GroupDepartment, Sort: ColNumber})
	if len(byDept.Groups) != 2 || byDept.Groups[0].Title != "Sales" || !slices.Equal(byDept.Groups[0].IDs, []ID{"2", "4", "6"}) {
		t.Fatalf("group by department: %+v", byDept.Groups)
	}
}

func TestIntentBookkeeping(t *testing.T) {
	m, c := testMirror(t, 3)
	m.ApplySnapshot([]rc.Presence{*ev(t, `{"extension":{"id":1},"userStatus":"Available","dndStatus":"TakeAllCalls","telephonyStatus":"NoCall"}`)}, true)
	status := func(s Status) Write { return Write{Target: Target{Kind: WriteStatus, Ext: "1"}, Status: s} }
	presence := slot{kind: slotPresence, ext: "1"}
	writes := func() map[Target]Write {
		out := map[Target]Write{}
		for _, w := range m.Writes() {
			out[w.Target] = w
		}
		return out
	}
	statusT, messageT := Target{Kind: WriteStatus, Ext: "1"}, Target{Kind: WriteMessage, Ext: "1"}
	// Choosing what the server already has sends nothing.
	if m.recordWrite(status(StatusAvailable)) || len(m.Writes()) != 0 {
		t.Fatalf("a no-op choice must not be pending")
	}
	m.recordWrite(status(StatusDND))
	batch := m.unsent(presence)
	if len(batch) != 1 || batch[0].Status != StatusDND {
		t.Fatalf("unsent: %+v", batch)
	}
	// While DND is in flight the user goes back to Available: it must be
	// sent afterwards even though the server still says Available.
	m.recordWrite(status(StatusAvailable))
	if w := writes()[statusT]; w.Status != StatusAvailable || !w.Pending() {
		t.Fatalf("the latest choice must show pending: %+v", w)
	}
	if len(m.unsent(presence)) != 0 {
		t.Fatalf("a key whose request is in flight must not be handed out again")
	}
	m.sent(batch, nil)
	// The DND notification lands: it must not confirm the newer choice.
	m.ApplyEvent(ev(t, `{"extensionId":"1","sequence":1,"dndStatus":"DoNotAcceptAnyCalls"}`), c.Now(), true)
	if _, ok := writes()[statusT]; !ok {
		t.Fatalf("an older choice's notification confirmed the newer one")
	}
	batch = m.unsent(presence)
	if len(batch) != 1 || batch[0].Status != StatusAvailable {
		t.Fatalf("the last choice must be sent next: %+v", batch)
	}
	m.sent(batch, nil)
	m.ApplyEvent(ev(t, `{"extensionId":"1","sequence":2,"dndStatus":"TakeAllCalls","userStatus":"Available"}`), c.Now(), true)
	if len(m.Writes()) != 0 {
		t.Fatalf("the matching notification must confirm: %+v", m.Writes())
	}
	// A failure rolls back with the error, visible for a while.
	m.recordWrite(Write{Target: messageT, Message: "x"})
	batch = m.unsent(presence)
	m.sent(batch, errors.New("RingCentral answered 403 CMN-408: nope"))
	w := writes()[messageT]
	if !w.Failed || w.Err == "" {
		t.Fatalf("failure not recorded: %+v", w)
	}
	c.Advance(failedShown + time.Second)
	if _, ok := writes()[messageT]; ok {
		t.Fatalf("a failed write must disappear after a while")
	}
}

func TestChangesCoalesceUntilPublished(t *testing.T) {
	m, c := testMirror(t, 3)
	m.Publish()
	select {
	case <-m.Changed():
	default:
	}
	for i := 0; i < 100; i++ {
		m.ApplyEvent(ev(t, fmt.Sprintf(`{"extensionId":"%d","sequence":%d,"userStatus":"Busy"}`, 1+i%2, i)), c.Now(), true)
	}
	select {
	case <-m.Changed():
	default:
		t.Fatalf("no change signal")
	}
	m.mu.Lock()
	var dirty []ID
	for i := range m.dirty {
		dirty = append(dirty, m.store.entries[i].ID)
	}
	m.mu.Unlock()
	slices.Sort(dirty)
	if !slices.Equal(dirty, []ID{"1", "2"}) {
		t.Fatalf("100 changes of 2 extensions must be 2 to publish: %v", dirty)
	}
	m.Publish()
	m.mu.Lock()
	left := len(m.dirty)
	m.mu.Unlock()
	if left != 0 {
		t.Fatalf("a publish must take every change")
	}
}

// TestLateBodiesStillBringWhatNoNewerBodyRestated: bodies may be partial
// (a field left out when unchanged) and arrive out of order. A late body's
// fields apply wherever no newer body set them: dropping it whole would
// lose the ringing that the newer, partial body took for granted.
func TestLateBodiesStillBringWhatNoNewerBodyRestated(t *testing.T) {
	for _, during := range []string{"live", "a fetch"} {
		m, c := testMirror(t, 3)
		m.ApplySnapshot([]rc.Presence{*ev(t, `{"extension":{"id":2},"presenceStatus":"Available","userStatus":"Available","telephonyStatus":"NoCall"}`)}, true)
		if during == "a fetch" {
			m.BeginFetch([]ID{"2"})
		}
		ring := `{"id":"c1","direction":"Inbound","from":"+14045550166","telephonyStatus":"Ringing"}`
		second := `{"id":"c2","direction":"Inbound","from":"+13125550159","telephonyStatus":"Ringing"}`
		m.ApplyEvent(ev(t, `{"extensionId":"2","sequence":2,"presenceStatus":"Available","telephonyStatus":"NoCall","activeCalls":[],"totalActiveCalls":0}`), c.Now(), true)
		m.ApplyEvent(ev(t, `{"extensionId":"2","sequence":4,"activeCalls":[`+ring+`,`+second+`],"totalActiveCalls":2}`), c.Now(), true)
		m.ApplyEvent(ev(t, `{"extensionId":"2","sequence":3,"presenceStatus":"Busy","telephonyStatus":"Ringing","activeCalls":[`+ring+`],"totalActiveCalls":1}`), c.Now(), true)
		if during == "a fetch" {
			// The snapshot was taken before any of it.
			m.ApplySnapshot([]rc.Presence{*ev(t, `{"extension":{"id":2},"presenceStatus":"Available","userStatus":"Available","telephonyStatus":"NoCall","activeCalls":[]}`)}, true)
		}
		e := entry(t, m, "2")
		if e.TelephonyStatus != "Ringing" || e.PresenceStatus != "Busy" || len(e.Calls) != 2 || e.Availability != Ringing {
			t.Fatalf("during %s: telephony %q, presence %q, %d calls; want Ringing, Busy and the newer body's 2 calls",
				during, e.TelephonyStatus, e.PresenceStatus, len(e.Calls))
		}
		// A late body whose every field is older changes nothing.
		m.ApplyEvent(ev(t, `{"extensionId":"2","sequence":1,"telephonyStatus":"NoCall","activeCalls":[]}`), c.Now(), true)
		if e := entry(t, m, "2"); e.TelephonyStatus != "Ringing" || len(e.Calls) != 2 {
			t.Fatalf("during %s: a body older in every field applied", during)
		}
	}
}

// TestSomeoneLeaves: a leaver goes from the grid, the counts and the
// queues, and the selection stays on whom it was on.
func TestSomeoneLeaves(t *testing.T) {
	m, _ := testMirror(t, 6)
	m.ApplySnapshot([]rc.Presence{
		*ev(t, `{"extension":{"id":1},"userStatus":"Available","dndStatus":"TakeAllCalls","telephonyStatus":"NoCall"}`),
		*ev(t, `{"extension":{"id":2},"userStatus":"Busy","dndStatus":"TakeAllCalls","telephonyStatus":"NoCall"}`),
	}, true)
	v := m.NewView(ViewOptions{Query: Query{Sort: ColNumber}, Height: 10})
	defer v.Close()
	v.Apply(1, MoveBy(4)) // 105
	if l, _ := v.Latest().Selected(); l.Entry.ID != "5" {
		t.Fatalf("selected %s", l.Entry.ID)
	}
	people := v.Latest().Counts.People()
	m.RemoveExtension("2")
	m.Publish()
	f := v.Latest()
	if l, _ := f.Selected(); l.Entry.ID != "5" {
		t.Fatalf("the selection moved to %s when someone else left", l.Entry.ID)
	}
	if f.Shown != 5 || f.Counts.People() != people-1 || f.Counts[Busy] != 0 {
		t.Fatalf("after 2 left: %d shown, %d people, %d busy", f.Shown, f.Counts.People(), f.Counts[Busy])
	}
	if _, ok := m.Get("2"); ok {
		t.Fatal("the leaver is still in the directory")
	}
	if q, _ := m.Queue("900"); slices.Contains(q.Members, "2") {
		t.Fatalf("the leaver is still in the queue: %v", q.Members)
	}
	for _, id := range []ID{"1", "3", "4", "5", "6"} {
		if e, ok := m.Get(id); !ok || e.ID != id {
			t.Fatalf("%s lost or moved wrongly: %+v", id, e)
		}
	}
	// Events for the one moved into the leaver's place still land on them.
	m.ApplyEvent(ev(t, `{"extensionId":"6","sequence":1,"userStatus":"Busy"}`), time.Now(), false)
	if e, _ := m.Get("6"); e.UserStatus != "Busy" {
		t.Fatalf("an event for 6 after the move: %+v", e)
	}
}

// An entry keeps presence sequences as the schema's int32. A server that
// sent one past that range (off the schema) still has its later bodies
// win and its older ones lose, as with any sequence.
func TestSequencesPastInt32StillOrderTheBodies(t *testing.T) {
	m, c := testMirror(t, 3)
	t0 := c.Now()
	m.ApplyEvent(ev(t, `{"extensionId":"2","sequence":3000000000,"userStatus":"Busy"}`), t0.Add(time.Second), true)
	m.ApplyEvent(ev(t, `{"extensionId":"2","sequence":7,"userStatus":"Available"}`), t0.Add(2*time.Second), true)
	if e := entry(t, m, "2"); e.UserStatus != "Busy" {
		t.Fatalf("an older body won over one past int32: userStatus %q", e.UserStatus)
	}
	m.ApplyEvent(ev(t, `{"extensionId":"2","sequence":4000000000,"userStatus":"Offline"}`), t0.Add(3*time.Second), true)
	if e := entry(t, m, "2"); e.UserStatus != "Offline" {
		t.Fatalf("a later body past int32 lost: userStatus %q", e.UserStatus)
	}
}
