package state

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rchud/rchud/emulator"
	"github.com/rchud/rchud/rc"
)

// Issue 12: start-up at account scale. These run against the emulator
// with rate limits whose windows are short, so that what RingCentral's
// rate makes take minutes here takes a second, in the same order.

// limitsWith is RingCentral's default limits with the groups given
// changed.
func limitsWith(change map[emulator.Group]emulator.RateLimit) map[emulator.Group]emulator.RateLimit {
	l := emulator.DefaultRateLimits()
	for g, r := range change {
		l[g] = r
	}
	return l
}

// presenceBatches lists the people of each read of presence by extension
// (one or a batch), in the order they arrived, from the request log's
// from-th record on.
func presenceBatches(reqs []emulator.RequestRecord, from int) [][]ID {
	var out [][]ID
	for _, r := range reqs[min(from, len(reqs)):] {
		rest, ok := strings.CutPrefix(r.Path, "/restapi/v1.0/account/~/extension/")
		if r.Method != "GET" || !ok || !strings.HasSuffix(rest, "/presence") || strings.Count(rest, "/") != 1 {
			continue
		}
		var ids []ID
		for _, id := range strings.Split(strings.TrimSuffix(rest, "/presence"), ",") {
			ids = append(ids, ID(id))
		}
		out = append(out, ids)
	}
	return out
}

// queueReads lists the reads of a queue's members or of their
// availability among reqs.
func queueReads(reqs []emulator.RequestRecord) []string {
	var out []string
	for _, r := range reqs {
		if strings.Contains(r.Path, "/call-queues/") && (strings.HasSuffix(r.Path, "/members") || strings.HasSuffix(r.Path, "/presence")) {
			out = append(out, r.Path)
		}
	}
	return out
}

// beforeStart is the requests that arrived before the first load had
// what the screens show (the header live).
func beforeStart(e *emulator.Emulator, s *Sync) []emulator.RequestRecord {
	<-s.started
	var out []emulator.RequestRecord
	for _, r := range e.Requests() {
		if r.Time.Before(s.startedAt) {
			out = append(out, r)
		}
	}
	return out
}

// screenIDs lists the people on a frame's screen.
func screenIDs(f *Frame) []ID {
	var ids []ID
	for i, l := range f.Window {
		if line := f.First + i; line >= f.Top && line < f.Top+f.Height && l.Entry != nil {
			ids = append(ids, l.Entry.ID)
		}
	}
	return ids
}

// waitStarted waits for the first load to have what the screens show.
func waitStarted(t *testing.T, r *running, within time.Duration) {
	t.Helper()
	select {
	case <-r.s.started:
	case err := <-r.done:
		t.Fatalf("sync ended: %v", err)
	case <-time.After(within):
		t.Fatalf("the rows on screen not loaded within %v: %q", within, headerWords(r.m.Health()))
	}
}

// TestLoadAdminLiveWithoutWaitingForNonPeople (issue 12): an admin's
// account whose people fill the first page of company presence, the
// page after holding only queues, menus and park locations, and a Heavy
// budget of one request a minute. The header reads live once the rows on
// screen are known, without the page nobody's row needs, and without a
// request for a queue's members or availability in front of it; company
// presence then stops once everyone is in.
func TestLoadAdminLiveWithoutWaitingForNonPeople(t *testing.T) {
	t.Parallel()
	e := startEmu(t, emulator.Config{Users: 1000, Queues: 6, RateLimits: limitsWith(map[emulator.Group]emulator.RateLimit{
		emulator.Heavy: {Limit: 1, Window: time.Minute, Penalty: time.Minute},
	})})
	var v *View
	r := startSyncWith(t, e, syncConfig{agent: -1, noWait: true, setup: func(_ *Sync, m *Mirror) {
		v = m.NewView(ViewOptions{Height: 20})
	}})
	defer v.Close()
	waitStarted(t, r, 5*time.Second)
	before := beforeStart(e, r.s)
	if q := queueReads(before); len(q) > 0 {
		t.Fatalf("%d queue reads before live, first %s: queues load behind the screen", len(q), q[0])
	}
	for _, req := range before {
		if req.Group == emulator.Heavy {
			t.Fatalf("a Heavy request before live: %s %s", req.Method, req.Path)
		}
	}
	f := v.Apply(0)
	if h := f.Health; h.Conn != ConnLive || !h.ScreenLoaded {
		t.Fatalf("the header does not read live once the rows on screen are in: %+v", h)
	}
	for _, id := range screenIDs(f) {
		if en, _ := r.m.Get(id); !en.Known {
			t.Fatalf("live, but %s on screen is not known", id)
		}
	}
	// Everyone is in from the first page of company presence: the second
	// (a minute away) is never asked for.
	select {
	case <-r.s.Ready():
	case <-time.After(5 * time.Second):
		t.Fatalf("the first load did not end in 5 s: %q", headerWords(r.m.Health()))
	}
	if n := companyPresenceRequests(e); n != 1 {
		t.Fatalf("company presence asked %d times, want 1 (its second page holds no one's row)", n)
	}
	if diffs := diffTruth(r.m, e.Truth(), true); len(diffs) > 0 {
		t.Fatalf("after the load the mirror differs in %d places: %v", len(diffs), diffs[:min(5, len(diffs))])
	}
	if th := e.Stats().Throttled; len(th) > 0 && th[emulator.Heavy]+th[emulator.Light]+th[emulator.Medium] > 0 {
		t.Fatalf("throttled: %v", th)
	}
}

// slowLight paces an agent's load so that it lasts seconds: 10 Light
// requests a second, so the loader's steady pace is 4 batches a second.
var slowLight = limitsWith(map[emulator.Group]emulator.RateLimit{
	emulator.Light: {Limit: 10, Window: time.Second, Penalty: time.Second},
})

// TestLoadAgentScreenFirstThenWhereTheUserLooks (issue 12): an agent's
// first presence read holds the rows on screen (and the agent), and after
// a jump to the end of the list, and after a filter, the next read holds
// the new screen's rows, ahead of the rest of the directory.
func TestLoadAgentScreenFirstThenWhereTheUserLooks(t *testing.T) {
	t.Parallel()
	e, r, v := startAgentWithScreen(t, 4)
	defer v.Close()
	f := v.Apply(0)
	screen := screenIDs(f)
	if len(screen) != 12 {
		t.Fatalf("%d rows on screen, want 12", len(screen))
	}
	me, _ := r.m.Me()
	batches := presenceBatches(e.Requests(), 0)
	if len(batches) == 0 {
		t.Fatal("no presence read")
	}
	for _, id := range append(screen, me) {
		if !slices.Contains(batches[0], id) {
			t.Fatalf("the first presence read %v leaves out %s of the screen %v", batches[0], id, screen)
		}
		if en, _ := r.m.Get(id); !en.Known {
			t.Fatalf("live, but %s on screen is not known", id)
		}
	}
	if h := f.Health; h.Conn != ConnLive || h.Loaded || len(h.Loading) == 0 {
		t.Fatalf("while the rest loads the header reads live and says what is loading: %+v", h)
	}

	// A filter that finds people not loaded yet: the surname of one.
	surname := ""
	for _, row := range r.m.All() {
		if row.Type == TypeUser && !row.Known && strings.Contains(row.Name, " ") {
			surname = row.Name[strings.LastIndex(row.Name, " ")+1:]
		}
	}
	seq := uint64(0)
	for _, c := range []struct {
		what string
		op   Op
	}{
		{"a jump to the end", Last()},
		{"a filter", SetQuery(Query{Text: surname})},
	} {
		from := len(e.Requests())
		seq++
		f := v.Apply(seq, c.op)
		want := screenIDs(f)
		var unknown []ID
		for _, id := range want {
			if en, _ := r.m.Get(id); !en.Known {
				unknown = append(unknown, id)
			}
		}
		if len(unknown) == 0 {
			t.Fatalf("after %s every row on screen was known already: the test proves nothing", c.what)
		}
		waitUntil(t, 5*time.Second, "the new screen's rows known after "+c.what, func() bool {
			for _, id := range unknown {
				if en, _ := r.m.Get(id); !en.Known {
					return false
				}
			}
			return true
		})
		// One read may have been on its way when the view moved; the next
		// holds the new screen's rows.
		after := presenceBatches(e.Requests(), from)
		var read []ID
		for _, b := range after[:min(2, len(after))] {
			read = append(read, b...)
		}
		for _, id := range unknown {
			if !slices.Contains(read, id) {
				t.Fatalf("after %s the first reads %v leave out %s of the new screen", c.what, after[:min(2, len(after))], id)
			}
		}
		if r.m.peopleLeft() == 0 {
			t.Fatalf("the whole directory loaded before %s was served: the test proves nothing", c.what)
		}
	}
	if th := e.Stats().Throttled; th[emulator.Light] > 0 {
		t.Fatalf("throttled: %v", th)
	}
}

// TestLoadQueueMembersWhenLookedAt (issue 12): an agent's load reads the
// members of the agent's own queues only; grouping the grid by queue, or
// opening someone's details, reads every queue's members at once, ahead
// of the presence still loading, and the rows of a queue not loaded yet
// are not shown as "Not in a queue".
func TestLoadQueueMembersWhenLookedAt(t *testing.T) {
	t.Parallel()
	t.Run("grouped", func(t *testing.T) {
		t.Parallel()
		testQueueMembersWhenLookedAt(t, SetQuery(Query{By: GroupQueue}))
	})
	t.Run("details", func(t *testing.T) {
		t.Parallel()
		testQueueMembersWhenLookedAt(t, ShowDetail(true))
	})
}

func testQueueMembersWhenLookedAt(t *testing.T, look Op) {
	e, r, v := startAgentWithScreen(t, 5)
	defer v.Close()
	me, _ := r.m.Me()
	mine := map[string]bool{}
	for _, q := range r.m.Queues() {
		if slices.Contains(q.Members, me) {
			mine[string(q.ID)] = true
		}
	}
	if len(mine) == 0 || len(mine) == len(r.m.Queues()) {
		t.Fatalf("the agent is in %d of %d queues: the test needs some of each", len(mine), len(r.m.Queues()))
	}
	notMine := func() []string {
		var out []string
		for _, p := range queueReads(e.Requests()) {
			q := strings.Split(strings.TrimPrefix(p, "/restapi/v1.0/account/~/call-queues/"), "/")[0]
			if !mine[q] {
				out = append(out, p)
			}
		}
		return out
	}
	if n := notMine(); len(n) > 0 {
		t.Fatalf("members of queues no one looks at read before the grid is grouped: %v", n)
	}
	f := v.Apply(1, look)
	for _, l := range f.Window {
		if l.Header && l.Group.Title == "Not in a queue" && !r.m.MembersKnown() {
			t.Fatalf("rows shown as in no queue before every queue's members are known")
		}
	}
	waitUntil(t, 5*time.Second, "every queue's members once looked at", r.m.MembersKnown)
	if r.m.peopleLeft() == 0 {
		t.Fatalf("the whole directory loaded first: queue members must come when looked at")
	}
	if len(notMine()) == 0 {
		t.Fatalf("no other queue's members read")
	}
	if diffs := diffTruth(r.m, e.Truth(), false); len(diffs) > 0 {
		for _, d := range diffs {
			if strings.Contains(d, "queue") {
				t.Fatalf("queue membership differs from the truth: %s", d)
			}
		}
	}
}

// TestLoadEventsBeforeSnapshotAreKeptNewestPerExtension (issue 12): while
// a reload has not loaded someone, their events are kept as one merged
// body per extension (however many arrive), their row stays "not known"
// rather than showing what a partial body says, and their snapshot then
// takes what came since.
func TestLoadEventsBeforeSnapshotAreKeptNewestPerExtension(t *testing.T) {
	m := NewMirror(nil)
	const people = 200
	exts := make([]rc.Extension, people)
	for i := range exts {
		exts[i] = rc.Extension{ID: rc.ID(fmt.Sprint(5000 + i)), ExtensionNumber: fmt.Sprint(100 + i), Name: fmt.Sprint("P", i), Type: "User"}
	}
	m.AddExtensions(exts)
	m.StartResync("first load")
	// The first half loaded; events keep coming for everyone.
	var snap []rc.Presence
	for i := range people / 2 {
		us, tel := "Available", "NoCall"
		snap = append(snap, rc.Presence{ExtensionID: exts[i].ID, UserStatus: &us, TelephonyStatus: &tel})
	}
	m.ApplySnapshot(snap, true)
	statuses := []string{"Busy", "Available", "Offline"}
	const rounds = 50
	for round := range rounds {
		for i := range people {
			st := statuses[(round+i)%len(statuses)]
			seq := int64(round + 1)
			m.ApplyEvent(&rc.Presence{ExtensionID: exts[i].ID, UserStatus: &st, Sequence: &seq}, time.Now(), false)
		}
	}
	m.mu.Lock()
	kept := len(m.jn.pending)
	m.mu.Unlock()
	if kept > people/2 {
		t.Fatalf("%d bodies kept for %d people not loaded after %d events each: the journal must keep one per extension", kept, people/2, rounds)
	}
	last := func(i int) string { return statuses[(rounds-1+i)%len(statuses)] }
	for i := range people {
		en, _ := m.Get(ID(exts[i].ID))
		switch {
		case i < people/2 && (!en.Known || en.UserStatus != last(i)):
			t.Fatalf("%s loaded: known=%v status %q, want the newest event's %q", en.ID, en.Known, en.UserStatus, last(i))
		case i >= people/2 && en.Known:
			t.Fatalf("%s not loaded yet reads known (status %q): a partial body is a guess", en.ID, en.UserStatus)
		}
	}
	f := m.NewView(ViewOptions{Height: people}).Apply(0)
	if h := f.Health; len(h.Loading) == 0 || h.Loading[0].What != "presence" || h.Loading[0].Done != people/2 || h.Loading[0].Total != people {
		t.Fatalf("the header's loading: %+v, want presence %d of %d", h.Loading, people/2, people)
	}
	// Their snapshot, older than the events since: the events win.
	snap = snap[:0]
	for i := people / 2; i < people; i++ {
		us, tel := "DoNotAcceptAnyCalls", "NoCall"
		seq := int64(0)
		snap = append(snap, rc.Presence{ExtensionID: exts[i].ID, UserStatus: &us, TelephonyStatus: &tel, Sequence: &seq})
	}
	m.ApplySnapshot(snap, true)
	for i := people / 2; i < people; i++ {
		if en, _ := m.Get(ID(exts[i].ID)); !en.Known || en.UserStatus != last(i) {
			t.Fatalf("%s after its snapshot: known=%v status %q, want the newest event's %q", en.ID, en.Known, en.UserStatus, last(i))
		}
	}
	m.mu.Lock()
	kept = len(m.jn.pending)
	m.mu.Unlock()
	if kept != 0 {
		t.Fatalf("%d bodies still kept once everyone is loaded", kept)
	}
}

// TestLoadListOpensAtItsTop (issue 12): the directory's pages arrive in
// any order (read three at once); until the first load has the screen's
// rows, a viewer who has not moved sees the list from its top, not from
// whoever came first.
func TestLoadListOpensAtItsTop(t *testing.T) {
	m := NewMirror(nil)
	v := m.NewView(ViewOptions{Height: 5})
	defer v.Close()
	m.AddExtensions([]rc.Extension{{ID: "9", Name: "Zoë Young", Type: "User"}, {ID: "8", Name: "Yuki Xu", Type: "User"}})
	v.Apply(0)
	m.AddExtensions([]rc.Extension{{ID: "1", Name: "Ann Abbot", Type: "User"}, {ID: "2", Name: "Bob Baker", Type: "User"}})
	f := v.Apply(0)
	if f.Sel != 0 || f.Top != 0 || f.Window[0].Entry.ID != "1" {
		t.Fatalf("the list opens at line %d, selected %d (%s): want its top, Ann Abbot", f.Top, f.Sel, f.Window[f.Sel-f.First].Entry.Name)
	}
	// Once the viewer moves, the selection stays with the person.
	f = v.Apply(1, MoveBy(1))
	m.AddExtensions([]rc.Extension{{ID: "0", Name: "Aaron Aa", Type: "User"}})
	f = v.Apply(0)
	if got := f.Window[f.Sel-f.First].Entry.ID; got != "2" {
		t.Fatalf("after a move the selection is %s, want Bob Baker (2)", got)
	}
}

// startAgentWithScreen signs in an agent of a 900-person account with
// queues queues and a slow Light budget, with a 12-row screen open before
// the first load, and waits until the first load has the screen's rows.
func startAgentWithScreen(t *testing.T, queues int) (*emulator.Emulator, *running, *View) {
	t.Helper()
	e := startEmu(t, emulator.Config{Users: 900, Queues: queues, RateLimits: slowLight})
	var v *View
	r := startSyncWith(t, e, syncConfig{agent: 0, noWait: true, setup: func(_ *Sync, m *Mirror) {
		v = m.NewView(ViewOptions{Height: 12})
	}})
	waitStarted(t, r, 5*time.Second)
	return e, r, v
}
