package state

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rchud/rchud/rc"
)

// world drives a mirror with random events, writes, directory changes,
// link trouble, queries and scrolling, and checks every view against the
// full projection after every publish.
type world struct {
	t     *testing.T
	r     *rand.Rand
	m     *Mirror
	c     *clock
	ids   []ID
	seq   map[ID]int64
	next  int
	views []*viewUnderTest
	steps int
}

type viewUnderTest struct {
	v   *View
	ops uint64
}

var (
	worldNames   = []string{"Ann Lee", "ann lee", "Zoë Adams", "Émile Roux", "emile roux", "João Silva", "Joshua Ng", "王伟", "Bob", ""}
	worldDepts   = []string{"Sales", "Support", "", "Ünits", "sales"}
	worldUsers   = []string{"Available", "Busy", "Offline"}
	worldDNDs    = []string{"TakeAllCalls", "DoNotAcceptAnyCalls", "DoNotAcceptDepartmentCalls"}
	worldTels    = []string{"NoCall", "Ringing", "CallConnected", "OnHold", "ParkedCall"}
	worldMsgs    = []string{"", "Back at 4", "lunch", "In a MEETING", "\x1b[31mred\x1b[0m"}
	worldCallers = []string{"Initech", "Globex", "Acme Supply", ""}
	worldTexts   = []string{"", "ann", "lee", "sales", "busy", "on call", "initech", "10", "é", "xyz"}
)

func newWorld(t *testing.T, people int) *world {
	w := &world{t: t, r: testRand(t), c: newClock(), seq: map[ID]int64{}}
	w.m = NewMirror(w.c.Now)
	var exts []rc.Extension
	for range people {
		exts = append(exts, w.newExtension())
	}
	var q rc.Extension
	q.ID, q.ExtensionNumber, q.Name, q.Type = "9001", "9001", "Support Queue", "Department"
	exts = append(exts, q)
	w.m.AddExtensions(exts)
	w.shuffleQueues()
	w.m.SetMe(w.ids[0], w.r.IntN(2) == 0)
	var recs []rc.Presence
	for _, id := range w.ids {
		recs = append(recs, w.presence(id, false))
	}
	w.m.StartResync("first load")
	w.m.ApplySnapshot(recs[:len(recs)/2], true) // the rest stays unknown a while
	return w
}

func (w *world) newExtension() rc.Extension {
	w.next++
	var x rc.Extension
	x.ID = rc.ID(fmt.Sprint(w.next))
	x.ExtensionNumber = fmt.Sprint(100 + w.next)
	x.Name = pick(w.r, worldNames)
	x.Type = TypeUser
	x.Contact.Department = pick(w.r, worldDepts)
	w.ids = append(w.ids, ID(x.ID))
	return x
}

func pick[T any](r *rand.Rand, xs []T) T { return xs[r.IntN(len(xs))] }

func (w *world) shuffleQueues() {
	var qs []Queue
	for q := range 3 {
		qq := Queue{ID: ID(fmt.Sprint("q", q)), Name: pick(w.r, []string{"Billing", "support", "Sales", "Ünits"}), Number: fmt.Sprint(800 + q),
			EditableMemberStatus: w.r.IntN(2) == 0, Accept: map[ID]bool{}}
		for _, id := range w.ids {
			if w.r.IntN(3) == 0 {
				qq.Members = append(qq.Members, id)
				if w.r.IntN(2) == 0 {
					qq.Accept[id] = w.r.IntN(2) == 0
				}
			}
		}
		qs = append(qs, qq)
	}
	w.m.SetQueues(qs)
}

// presence is a random body for id: a partial event, or a full record.
func (w *world) presence(id ID, event bool) rc.Presence {
	p := rc.Presence{ExtensionID: rc.ID(id)}
	str := func(xs []string) *string { v := pick(w.r, xs); return &v }
	full := !event || w.r.IntN(3) == 0
	if full || w.r.IntN(2) == 0 {
		p.UserStatus = str(worldUsers)
	}
	if full || w.r.IntN(3) == 0 {
		p.DNDStatus = str(worldDNDs)
	}
	if full || w.r.IntN(3) == 0 {
		p.Message = str(worldMsgs)
	}
	if full || w.r.IntN(2) == 0 {
		tel := pick(w.r, worldTels)
		p.TelephonyStatus = &tel
		total := 0
		p.TotalActiveCalls = &total
		p.ActiveCalls = []rc.ActiveCall{}
		if tel != "NoCall" {
			n := 1 + w.r.IntN(2)
			total = n
			for k := range n {
				p.ActiveCalls = append(p.ActiveCalls, rc.ActiveCall{ID: fmt.Sprint("c", id, k), Direction: pick(w.r, []string{"Inbound", "Outbound"}),
					FromName: pick(w.r, worldCallers), From: "+1415555" + fmt.Sprint(1000+w.r.IntN(9000)), TelephonyStatus: tel,
					StartTime: rc.Time{Time: w.c.Now().Add(-time.Duration(w.r.IntN(600)) * time.Second)}, QueueCall: w.r.IntN(2) == 0})
			}
		}
	}
	if event {
		w.seq[id]++
		s := w.seq[id]
		if w.r.IntN(10) == 0 {
			s -= 2 // late: dropped
		}
		p.Sequence = &s
	}
	return p
}

func (w *world) randomQuery() Query {
	q := Query{Text: pick(w.r, worldTexts), Sort: Column(w.r.IntN(int(ColDepartment) + 1)), Desc: w.r.IntN(2) == 0,
		By: GroupBy(w.r.IntN(int(GroupDepartment) + 1)), All: w.r.IntN(5) == 0, Stale: w.r.IntN(8) == 0}
	if w.r.IntN(3) == 0 {
		q.States = []Availability{pick(w.r, Availabilities()), pick(w.r, Availabilities())}
	}
	for range w.r.IntN(4) {
		q.Pinned = append(q.Pinned, pick(w.r, w.ids))
	}
	return q
}

func (w *world) openView() {
	// Some views are pulled, as a hub's are: checked as their viewer
	// would see them, pulled at the check.
	v := w.m.NewView(ViewOptions{Query: w.randomQuery(), Height: 1 + w.r.IntN(30), Pull: w.r.IntN(2) == 0})
	w.views = append(w.views, &viewUnderTest{v: v})
	w.check()
}

// step does one random thing.
func (w *world) step() {
	w.steps++
	r, m := w.r, w.m
	id := pick(r, w.ids)
	switch n := r.IntN(100); {
	case n < 40:
		p := w.presence(id, true)
		m.ApplyEvent(&p, w.c.Now(), true)
	case n < 44:
		var recs []rc.Presence
		for range 1 + r.IntN(8) {
			recs = append(recs, w.presence(pick(r, w.ids), false))
		}
		m.ApplySnapshot(recs, true)
	case n < 48:
		m.ApplyQueueEvent([]rc.QueueMemberChange{{QueueID: rc.ID(fmt.Sprint("q", r.IntN(3))), ExtensionID: rc.ID(id), Accept: r.IntN(2) == 0}})
	case n < 50:
		q := ID(fmt.Sprint("q", r.IntN(3)))
		m.StartQueueFetch(q)
		m.ApplyQueueSnapshot(q, map[ID]bool{id: r.IntN(2) == 0})
	case n < 53:
		m.SetLink(rc.Link{State: pick(r, []rc.LinkState{rc.LinkLive, rc.LinkRecovering, rc.LinkLive})})
	case n < 57:
		w.c.Advance(time.Duration(r.IntN(8000)) * time.Millisecond)
	case n < 59:
		if r.IntN(2) == 0 {
			m.StartResync("test")
		} else {
			m.FinishResync(r.IntN(2) == 0)
		}
	case n < 62:
		w.write(id)
	case n < 63:
		if r.IntN(2) == 0 {
			m.AddExtensions([]rc.Extension{w.newExtension()})
		} else {
			var x rc.Extension
			e, _ := m.Get(id)
			x.ID, x.ExtensionNumber, x.Name, x.Type, x.Contact.Department = rc.ID(id), e.Number, pick(r, worldNames), TypeUser, pick(r, worldDepts)
			m.AddExtensions([]rc.Extension{x})
		}
	case n < 64:
		w.shuffleQueues()
	case n < 84:
		w.viewOp()
	default:
		m.Publish()
		w.check()
	}
}

// write makes a change for someone and lets it succeed or fail.
func (w *world) write(id ID) {
	r, m := w.r, w.m
	choice := pick(r, []Write{
		{Target: Target{Kind: WriteStatus, Ext: id}, Status: pick(r, []Status{StatusAvailable, StatusBusy, StatusInvisible, StatusDND})},
		{Target: Target{Kind: WriteMessage, Ext: id}, Message: pick(r, worldMsgs)},
		{Target: Target{Kind: WriteQueueCalls, Ext: id}, Accept: r.IntN(2) == 0},
		{Target: Target{Kind: WriteMember, Ext: id, Queue: ID(fmt.Sprint("q", r.IntN(3)))}, Accept: r.IntN(2) == 0},
		{Target: Target{Kind: WriteMyQueue, Ext: id, Queue: ID(fmt.Sprint("q", r.IntN(3)))}, Accept: r.IntN(2) == 0},
	})
	if !m.recordWrite(choice) {
		return
	}
	batch := m.unsent(choice.slot())
	var err error
	if r.IntN(3) == 0 {
		err = fmt.Errorf("RingCentral answered 503")
	}
	m.sent(batch, err)
}

// viewOp asks a random view for something, now and then out of order.
func (w *world) viewOp() {
	r := w.r
	if len(w.views) == 0 || r.IntN(30) == 0 {
		w.openView()
		return
	}
	vt := pick(r, w.views)
	if len(w.views) > 1 && r.IntN(40) == 0 {
		vt.v.Close()
		w.views = slices.DeleteFunc(w.views, func(x *viewUnderTest) bool { return x == vt })
		return
	}
	op := func() Op {
		switch r.IntN(9) {
		case 0:
			return MoveBy(r.IntN(7) - 3)
		case 1:
			return PageBy(pick(r, []int{-1, 1}))
		case 2:
			return First()
		case 3:
			return Last()
		case 4:
			return SetQuery(w.randomQuery())
		case 5:
			return Resize(1 + r.IntN(30))
		case 6:
			return JumpTo(pick(r, []string{"1", "10", "11", "2", "9", ""}))
		case 7:
			return ShowDetail(r.IntN(2) == 0)
		}
		return SetMe(pick(r, w.ids))
	}
	if r.IntN(5) == 0 {
		// Two commands that finish in the wrong order: the second waits.
		a, b := op(), op()
		vt.ops += 2
		vt.v.Apply(vt.ops, b)
		if f := vt.v.Latest(); f.Ops != vt.ops-2 {
			w.t.Fatalf("step %d: op %d applied before op %d", w.steps, vt.ops, vt.ops-1)
		}
		vt.v.Apply(vt.ops-1, a)
	} else {
		vt.ops++
		vt.v.Apply(vt.ops, op())
	}
	if f := vt.v.Latest(); f.Ops != vt.ops {
		w.t.Fatalf("step %d: ops applied up to %d, want %d", w.steps, f.Ops, vt.ops)
	}
	w.checkView(vt.v)
}

func (w *world) check() {
	for _, vt := range w.views {
		if vt.v.pull {
			vt.v.Pull()
		}
		w.checkView(vt.v)
	}
}

// refLine is a line of the reference list.
type refLine struct {
	header bool
	group  *Group
	id     ID
}

// checkView compares the view's newest frame with the full projection,
// line for line and count for count.
func (w *world) checkView(v *View) {
	t := w.t
	t.Helper()
	f := v.Latest()
	ref := w.m.Project(f.Query)
	grouped := f.Query.By != GroupNone
	var lines []refLine
	for i := range ref.Groups {
		g := &ref.Groups[i]
		if grouped && len(g.IDs) == 0 {
			continue
		}
		if grouped {
			lines = append(lines, refLine{header: true, group: g})
		}
		for _, id := range g.IDs {
			lines = append(lines, refLine{group: g, id: id})
		}
	}
	fail := func(format string, args ...any) {
		t.Helper()
		t.Fatalf("step %d, query %+v: %s", w.steps, f.Query, fmt.Sprintf(format, args...))
	}
	if f.Shown != ref.Total || f.Lines != len(lines) {
		var got []ID
		for _, l := range f.Window {
			if !l.Header {
				got = append(got, l.Entry.ID)
			}
		}
		var want []ID
		for _, l := range lines {
			if !l.header {
				want = append(want, l.id)
			}
		}
		fail("shown %d of %d lines, reference %d of %d: window %v, reference %v", f.Shown, f.Lines, ref.Total, len(lines), got, want)
	}
	var counts Counts
	for _, r := range w.m.All() {
		counts[r.Availability]++
	}
	if f.Counts != counts {
		fail("counts %v, reference %v", f.Counts, counts)
	}
	for k, l := range f.Window {
		n := f.First + k
		if n >= len(lines) {
			fail("line %d beyond the list of %d", n, len(lines))
		}
		want := lines[n]
		if l.Header != want.header || string(l.Group.Key) != string(want.group.Key) || l.Group.Title != want.group.Title ||
			l.Group.Rows != len(want.group.IDs) || l.Group.Counts != want.group.Counts || l.Group.CanTake != want.group.CanTake {
			fail("line %d: %+v, reference %+v (group %+v)", n, l, want, *want.group)
		}
		if !l.Header {
			if l.Entry.ID != want.id {
				fail("line %d is %s, reference %s", n, l.Entry.ID, want.id)
			}
			if l.Stale != w.m.Stale(l.Entry) {
				fail("line %d stale %v", n, l.Stale)
			}
			cur, _ := w.m.Get(want.id)
			if l.Entry.Availability != cur.Availability || l.Entry.Message != cur.Message {
				fail("line %d shows an old version of %s", n, want.id)
			}
		}
	}
	if f.Sel < 0 {
		if ref.Total > 0 {
			fail("no selection with %d rows", ref.Total)
		}
		return
	}
	if f.Sel >= len(lines) || lines[f.Sel].header {
		fail("selection %d is not a row", f.Sel)
	}
	shown := f.Height
	if f.Sticky != nil {
		shown--
		if lines[f.Top].header || *f.Sticky != *f.Window[f.Top-f.First].Group {
			fail("a sticky header over line %d, which is a header or of another group", f.Top)
		}
	} else if grouped && f.Height > 1 && !lines[f.Top].header {
		fail("the window opens on a row in the middle of a group without its header")
	}
	if f.Top < 0 || f.Sel < f.Top || f.Sel >= f.Top+shown {
		fail("selection %d outside the window %d+%d of %d lines", f.Sel, f.Top, shown, f.Lines)
	}
	// The window never opens later than it must to show the list's end.
	if prev := f.Top - 1; prev >= 0 && f.Sel < prev+f.Height-1 {
		shownPrev := f.Height
		if grouped && f.Height > 1 && !lines[prev].header {
			shownPrev--
		}
		if prev+shownPrev >= f.Lines {
			fail("the window opens at %d, though from %d it would show the end of %d lines", f.Top, prev, f.Lines)
		}
	}
	if f.Top+shown < f.Lines && len(f.Visible()) != shown {
		fail("%d lines visible, want %d", len(f.Visible()), shown)
	}
	if l, ok := f.Selected(); !ok || l.Entry.ID != lines[f.Sel].id {
		fail("the selected line is not in the frame")
	}
	if f.Detail != nil && f.Detail.Entry.ID != lines[f.Sel].id {
		fail("details of %s, selection %s", f.Detail.Entry.ID, lines[f.Sel].id)
	}
}

// TestViewsEqualTheFullProjection: after any sequence of events, writes,
// directory changes, link trouble, query changes, scrolling and resizes,
// every incremental view equals the full projection, row for row and
// count for count. It runs briefly in every go test and for as long as
// -soak says.
func TestViewsEqualTheFullProjection(t *testing.T) {
	t.Parallel()
	deadline := time.Now().Add(*soakFor)
	worlds := 0
	for worlds < 4 || time.Now().Before(deadline) {
		w := newWorld(t, 20+worlds%3*40)
		w.openView()
		w.openView()
		for range 1500 {
			w.step()
		}
		w.m.Publish()
		w.check()
		worlds++
	}
	t.Logf("%d worlds of 1,500 random steps: every view equal to the full projection", worlds)
}

// TestSelectionStaysOnThePerson: a re-sort under the cursor keeps the
// same person selected, at the same place on screen.
func TestSelectionStaysOnThePerson(t *testing.T) {
	m, c := testMirror(t, 12)
	for i := 1; i <= 12; i++ {
		m.ApplySnapshot([]rc.Presence{*ev(t, fmt.Sprintf(`{"extension":{"id":%d},"userStatus":"Available","telephonyStatus":"NoCall"}`, i))}, true)
	}
	v := m.NewView(ViewOptions{Query: Query{Sort: ColAvailability}, Height: 4})
	defer v.Close()
	f := v.Apply(1, MoveBy(6))
	sel, _ := f.Selected()
	at := f.Sel - f.Top
	// Two people above go busy: the list re-sorts under the cursor.
	for _, id := range []string{"1", "2"} {
		m.ApplyEvent(ev(t, fmt.Sprintf(`{"extensionId":"%s","sequence":5,"userStatus":"Busy"}`, id)), c.Now(), true)
	}
	m.Publish()
	f = v.Latest()
	if got, _ := f.Selected(); got.Entry.ID != sel.Entry.ID || f.Sel != 4 || f.Sel-f.Top != at {
		t.Fatalf("selection moved to %s at line %d (%d on screen), want %s at line 4 (%d on screen)",
			got.Entry.ID, f.Sel, f.Sel-f.Top, sel.Entry.ID, at)
	}
}

// TestFramesOnlyWhenTheScreenChanges: an event for someone off screen that
// changes nothing on it (header counts included) publishes no frame; one
// for someone on screen does, and so does the link turning stale with no
// event at all.
func TestFramesOnlyWhenTheScreenChanges(t *testing.T) {
	m, c := testMirror(t, 40)
	var recs []rc.Presence
	for i := 1; i <= 40; i++ {
		recs = append(recs, *ev(t, fmt.Sprintf(`{"extension":{"id":%d},"userStatus":"Available","telephonyStatus":"NoCall"}`, i)))
	}
	m.StartResync("first load")
	m.ApplySnapshot(recs, true)
	m.FinishResync(true)
	m.SetLink(rc.Link{State: rc.LinkLive})
	v := m.NewView(ViewOptions{Query: Query{Sort: ColNumber}, Height: 5})
	defer v.Close()
	m.Publish()
	drain := func() *Frame {
		select {
		case f := <-v.Frames():
			return f
		default:
			return nil
		}
	}
	drain()
	// Extension 40 is far below the window: a message change is invisible.
	m.ApplyEvent(ev(t, `{"extensionId":"40","sequence":1,"message":"lunch"}`), c.Now(), true)
	m.Publish()
	if f := drain(); f != nil {
		t.Fatalf("a frame for a change off screen")
	}
	m.ApplyEvent(ev(t, `{"extensionId":"2","sequence":1,"message":"lunch"}`), c.Now(), true)
	m.Publish()
	f := drain()
	if f == nil {
		t.Fatalf("no frame for a change on screen")
	}
	if l, _ := f.Line(1); l.Entry.Message != "lunch" {
		t.Fatalf("the frame shows %q", l.Entry.Message)
	}
	c.Advance(time.Second)
	m.SetLink(rc.Link{State: rc.LinkRecovering})
	m.Publish()
	if f := drain(); f == nil || f.Window[0].Stale || f.Next.IsZero() {
		t.Fatalf("the link loss: %+v (rows not stale yet, a next change due)", f)
	}
	c.Advance(staleGrace)
	m.Publish()
	if f := drain(); f == nil || !f.Window[0].Stale {
		t.Fatalf("past the grace the rows must turn stale without any event")
	}
}

// TestPulledViewBuildsWhenPulled: a pulled view (a hub's viewer) builds
// no frame as the mirror publishes, is told something may have changed,
// and when pulled shows what a pushed view of the same query shows.
func TestPulledViewBuildsWhenPulled(t *testing.T) {
	m, c := testMirror(t, 40)
	var recs []rc.Presence
	for i := 1; i <= 40; i++ {
		recs = append(recs, *ev(t, fmt.Sprintf(`{"extension":{"id":%d},"userStatus":"Available","telephonyStatus":"NoCall"}`, i)))
	}
	m.StartResync("first load")
	m.ApplySnapshot(recs, true)
	m.FinishResync(true)
	m.SetLink(rc.Link{State: rc.LinkLive})
	q := Query{Sort: ColNumber}
	pushed := m.NewView(ViewOptions{Query: q, Height: 5})
	defer pushed.Close()
	pulled := m.NewView(ViewOptions{Query: q, Height: 5, Pull: true})
	defer pulled.Close()
	if f := pulled.Pull(); f == nil {
		t.Fatal("a new pulled view has its first frame to hand out")
	}
	ready := func() bool {
		select {
		case <-pulled.Ready():
			return true
		default:
			return false
		}
	}
	ready()
	built := pulled.seq
	for i := range 5 {
		m.ApplyEvent(ev(t, fmt.Sprintf(`{"extensionId":"2","sequence":%d,"message":"lunch %d"}`, i+1, i)), c.Now(), true)
		m.Publish()
	}
	if pulled.seq != built {
		t.Fatalf("the pulled view built %d frames as the mirror published", pulled.seq-built)
	}
	if !ready() {
		t.Fatal("the pulled view's viewer was not told")
	}
	f := pulled.Pull()
	if f == nil {
		t.Fatal("nothing to pull after changes on screen")
	}
	want := pushed.Latest()
	if l, _ := f.Line(1); l.Entry != want.Window[1].Entry || l.Entry.Message != "lunch 4" {
		t.Fatalf("pulled %+v, pushed %+v", l.Entry, want.Window[1].Entry)
	}
	if f := pulled.Pull(); f != nil {
		t.Fatal("the same frame handed out twice")
	}
	// A change off screen: told, but nothing new to pull.
	m.ApplyEvent(ev(t, `{"extensionId":"40","sequence":1,"message":"away"}`), c.Now(), true)
	m.Publish()
	if !ready() || pulled.Pull() != nil {
		t.Fatal("an off-screen change: the viewer is told, and pulls nothing")
	}
	// A change the hub makes for the viewer (their phone) is built at
	// once and handed out at the next pull.
	pulled.SetDevice("Desk 7")
	if !ready() {
		t.Fatal("not told of the device")
	}
	if f := pulled.Pull(); f == nil || f.Desk.Device != "Desk 7" {
		t.Fatalf("pulled %+v after the device was set", f)
	}
}

// TestPulledViewsBuildSideBySide: a hub's viewers pull their frames at
// once, under the mirror's read lock, while events, writes, queries and
// scrolling go on (run it with -race); every view still equals the full
// projection after.
func TestPulledViewsBuildSideBySide(t *testing.T) {
	w := newWorld(t, 60)
	var pulled []*View
	for range 6 {
		v := w.m.NewView(ViewOptions{Query: w.randomQuery(), Height: 1 + w.r.IntN(30), Pull: true})
		w.views = append(w.views, &viewUnderTest{v: v})
		pulled = append(pulled, v)
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	pulls := make([]atomic.Int64, len(pulled))
	for i, v := range pulled {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				case <-v.Ready():
					if f := v.Pull(); f != nil {
						pulls[i].Add(1)
					}
				}
			}
		}()
	}
	for range 1500 {
		w.step()
	}
	close(stop)
	wg.Wait()
	w.m.Publish()
	w.check()
	// The pullers built frames beside each other. Not every one need
	// have: the world's own checks pull a view's frame too (Latest, Pull),
	// and a view whose frames change only with its own queries may have
	// had every one of them taken there.
	var total int64
	counts := make([]int64, len(pulls))
	for i := range pulls {
		counts[i] = pulls[i].Load()
		total += counts[i]
	}
	t.Logf("frames pulled by each view's goroutine: %v", counts)
	if total == 0 {
		t.Fatal("no view pulled a frame beside the others")
	}
}

// TestViewsShareIndexes: views with the same query share one index; the
// last to close frees it.
func TestViewsShareIndexes(t *testing.T) {
	m, _ := testMirror(t, 5)
	a := m.NewView(ViewOptions{Query: Query{Sort: ColName, Text: "Ann"}, Height: 5})
	b := m.NewView(ViewOptions{Query: Query{Sort: ColName, Text: " ann "}, Height: 9})
	if a.ix != b.ix || len(m.indexes) != 1 {
		t.Fatalf("the same query must share one index")
	}
	b.Apply(1, SetQuery(Query{Sort: ColNumber}))
	if a.ix == b.ix || len(m.indexes) != 2 {
		t.Fatalf("a new query needs its own index")
	}
	a.Close()
	b.Close()
	if len(m.indexes) != 0 || len(m.views) != 0 {
		t.Fatalf("closed views must free their indexes")
	}
}

// TestMeAsShown: the frame's "me" lays pending choices over the server's
// state, for the signed-in user or for whoever the view belongs to.
func TestMeAsShown(t *testing.T) {
	m, _ := testMirror(t, 3)
	m.ApplySnapshot([]rc.Presence{
		*ev(t, `{"extension":{"id":1},"userStatus":"Available","dndStatus":"TakeAllCalls"}`),
		*ev(t, `{"extension":{"id":2},"userStatus":"Busy","dndStatus":"DoNotAcceptAnyCalls"}`),
	}, true)
	v := m.NewView(ViewOptions{Height: 5})
	defer v.Close()
	if me := v.Latest().Me; me.ID != "1" || me.Status != StatusAvailable || me.InDND || !me.QueueCalls {
		t.Fatalf("me: %+v", me)
	}
	m.recordWrite(Write{Target: Target{Kind: WriteStatus, Ext: "1"}, Status: StatusDND})
	m.Publish()
	if me := v.Latest().Me; me.Status != StatusDND || !me.InDND || me.StatusWrite == nil || !me.StatusWrite.Pending() {
		t.Fatalf("a pending DND must show: %+v", me)
	}
	f := v.Apply(1, SetMe("2"))
	if me := f.Me; me.ID != "2" || me.Status != StatusDND || me.StatusWrite != nil || !strings.Contains(me.Entry.Name, "Adam") {
		t.Fatalf("someone else's view: %+v", me)
	}
}

// TestGroupedViewKeepsThePersonInTheirGroup: someone in two queues is
// selected in the group they were selected in, moves skip group headers,
// and the first row shows with its header above.
func TestGroupedViewKeepsThePersonInTheirGroup(t *testing.T) {
	m, _ := testMirror(t, 3)
	m.SetQueues([]Queue{{ID: "q1", Name: "A", Members: []ID{"1", "2"}}, {ID: "q2", Name: "B", Members: []ID{"2", "3"}}})
	v := m.NewView(ViewOptions{Query: Query{Sort: ColNumber, By: GroupQueue}, Height: 20})
	defer v.Close()
	sel := func(f *Frame) (ID, ID) {
		l, _ := f.Selected()
		return l.Entry.ID, l.Group.Key
	}
	f := v.Apply(1, Last())
	if f.Lines != 6 {
		t.Fatalf("empty groups must not be drawn: %d lines", f.Lines)
	}
	if id, g := sel(v.Apply(2, MoveBy(-1))); id != "2" || g != "q2" {
		t.Fatalf("selected %s in %s, want 2 in q2", id, g)
	}
	if id, g := sel(v.Apply(3, MoveBy(-1))); id != "2" || g != "q1" {
		t.Fatalf("moving up must skip q2's header: %s in %s, want 2 in q1", id, g)
	}
	v.Apply(4, MoveBy(1))
	// q1 loses 1: 2 is found again in q2, where it was selected.
	m.SetQueues([]Queue{{ID: "q1", Name: "A", Members: []ID{"2"}}, {ID: "q2", Name: "B", Members: []ID{"2", "3"}}})
	m.Publish()
	if id, g := sel(v.Latest()); id != "2" || g != "q2" {
		t.Fatalf("after the change: %s in %s, want 2 in q2", id, g)
	}
	f = v.Apply(5, First())
	if f.Top != 0 || f.Sel != 1 {
		t.Fatalf("the first row must show with its group header above: top %d, selection %d", f.Top, f.Sel)
	}
}

// TestWatchedPeopleRaiseAlerts: someone watched who becomes available, or
// whose call ends, raises one alert each time; others raise none.
func TestWatchedPeopleRaiseAlerts(t *testing.T) {
	m, c := testMirror(t, 4)
	m.ApplySnapshot([]rc.Presence{
		*ev(t, `{"extension":{"id":2},"userStatus":"Busy","telephonyStatus":"NoCall"}`),
		*ev(t, `{"extension":{"id":3},"userStatus":"Available","telephonyStatus":"CallConnected","activeCalls":[{"id":"x","telephonyStatus":"CallConnected"}]}`),
		*ev(t, `{"extension":{"id":4},"userStatus":"Busy","telephonyStatus":"NoCall"}`),
	}, true)
	v := m.NewView(ViewOptions{Height: 5})
	defer v.Close()
	v.Apply(1, SetWatched([]ID{"2", "3"}))
	m.ApplyEvent(ev(t, `{"extensionId":"2","sequence":1,"userStatus":"Available"}`), c.Now(), true)
	m.ApplyEvent(ev(t, `{"extensionId":"3","sequence":1,"telephonyStatus":"NoCall","activeCalls":[]}`), c.Now(), true)
	m.ApplyEvent(ev(t, `{"extensionId":"4","sequence":1,"userStatus":"Available"}`), c.Now(), true)
	m.Publish()
	f := v.Latest()
	if len(f.Alerts) != 2 || f.Alerts[0].ID != "2" || f.Alerts[0].What != "is available" || f.Alerts[1].ID != "3" ||
		!slices.Equal(f.Watched, []ID{"2", "3"}) {
		t.Fatalf("alerts %+v, watched %v", f.Alerts, f.Watched)
	}
	// Nothing new: no new alert.
	m.ApplyEvent(ev(t, `{"extensionId":"2","sequence":2,"message":"hi"}`), c.Now(), true)
	m.Publish()
	if f := v.Latest(); len(f.Alerts) != 2 {
		t.Fatalf("a message change raised an alert: %+v", f.Alerts)
	}
}

// TestFramesNeverChangeOnceBuilt: a frame shares its window and headings
// with the frames before it, and is built in its view's scratch, so every
// frame handed out must read the same to the end.
func TestFramesNeverChangeOnceBuilt(t *testing.T) {
	type kept struct {
		f        *Frame
		lines    []Line
		headings []Heading
	}
	var frames []kept
	seen := map[*Frame]bool{}
	keep := func(f *Frame) {
		if f == nil || seen[f] {
			return
		}
		seen[f] = true
		k := kept{f: f, lines: slices.Clone(f.Window)}
		for _, l := range f.Window {
			k.headings = append(k.headings, *l.Group)
		}
		frames = append(frames, k)
	}
	w := newWorld(t, 60)
	w.openView()
	w.openView()
	for range 1500 {
		w.step()
		for _, vt := range w.views {
			keep(vt.v.Latest())
		}
	}
	shared := 0
	for i, k := range frames {
		if i > 0 && len(k.f.Window) > 0 && len(frames[i-1].f.Window) > 0 && &k.f.Window[0] == &frames[i-1].f.Window[0] {
			shared++
		}
		for j, l := range k.f.Window {
			if l != k.lines[j] || *l.Group != k.headings[j] {
				t.Fatalf("frame %d (seq %d) changed after it was built: line %d was %+v, is %+v", i, k.f.Seq, j, k.lines[j], l)
			}
		}
	}
	t.Logf("%d frames unchanged, %d sharing the window of the frame before", len(frames), shared)
}
