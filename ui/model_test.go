package ui

import (
	"context"
	"errors"
	"fmt"
	"github.com/charmbracelet/colorprofile"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/rchud/rchud/rc"

	"github.com/rchud/rchud/state"
)

func TestNavigationKeys(t *testing.T) {
	h := newHUD(t, newFixture(t, testPeople, false), false, 100, 14)
	// By name: Adam Baker, Ann Lee, Ben Ng, Li Wei, Maria García, Omar Khan, Zoe Adams.
	if got := h.order(); !slices.Equal(got, []string{"Adam Baker", "Ann Lee", "Ben Ng", "Li Wei", "Maria García", "Omar Khan", "Zoe Adams"}) {
		t.Fatalf("default order by name: %v", got)
	}
	steps := []struct {
		key, want string
	}{
		{"down", "Ann Lee"}, {"j", "Ben Ng"}, {"k", "Ann Lee"}, {"up", "Adam Baker"}, {"up", "Adam Baker"},
		{"end", "Zoe Adams"}, {"down", "Zoe Adams"}, {"home", "Adam Baker"},
		{"pgdown", "Zoe Adams"}, {"pgup", "Adam Baker"},
	}
	for _, s := range steps {
		h.press(s.key)
		if got := h.selectedName(); got != s.want {
			t.Fatalf("after %s: selected %q, want %q", s.key, got, s.want)
		}
	}
	// A window smaller than the list scrolls with the selection.
	h.update(tea.WindowSizeMsg{Width: 100, Height: MinHeight})
	h.press("end")
	h.wantScreen("› Zoe Adams")
	h.wantNoScreen("Adam Baker")
	h.press("home")
	h.wantScreen("› Adam Baker")
}

func TestSortChooserAndReverse(t *testing.T) {
	h := newHUD(t, newFixture(t, testPeople, false), false, 120, 20)
	h.press("s")
	h.wantScreen("Sort by:")
	h.press("e")
	if got := h.order(); got[0] != "Omar Khan" || got[len(got)-1] != "Ben Ng" {
		t.Fatalf("by extension: %v", got)
	}
	h.wantScreen("EXT ▲")
	h.press("s", "e") // the same column again reverses
	if got := h.order(); got[0] != "Ben Ng" || got[len(got)-1] != "Omar Khan" {
		t.Fatalf("by extension, reversed: %v", got)
	}
	h.wantScreen("EXT ▼")
	h.press("s", "a")
	if got := h.order(); got[0] != "Omar Khan" || got[len(got)-1] != "Ann Lee" {
		t.Fatalf("by availability (available first, offline last): %v", got)
	}
	// Esc leaves the chooser with nothing changed; other keys do nothing.
	h.press("s", "x", "esc")
	if h.m.mode != modeGrid || h.m.query.Sort != state.ColAvailability || h.m.query.Desc {
		t.Fatalf("esc must cancel the chooser: mode %v sort %v desc %v", h.m.mode, h.m.query.Sort, h.m.query.Desc)
	}
	for _, c := range sortColumns() {
		h.press("s", c.letter)
		if h.m.query.Sort != c.sort {
			t.Fatalf("letter %s sorts by %v, want %v", c.letter, h.m.query.Sort, c.sort)
		}
	}
}

func TestSelectionFollowsThePersonThroughResorts(t *testing.T) {
	h := newHUD(t, newFixture(t, testPeople, false), false, 120, 20)
	h.press("s", "a") // by availability
	h.selectName("Ben Ng", "")
	row := 0
	// Ben goes on a call: he moves down the list, the selection with him.
	h.f.clock.Advance(time.Second)
	before := h.order()
	h.f.event(t, "7", `{"sequence":5,"telephonyStatus":"CallConnected","activeCalls":[{"id":"x","direction":"Outbound","to":"+15550100","telephonyStatus":"CallConnected","startTime":"2026-05-04T09:00:01Z"}]}`)
	h.changed()
	if slices.Equal(before, h.order()) {
		t.Fatalf("the change did not re-sort: %v", before)
	}
	if h.selectedName() != "Ben Ng" {
		t.Fatalf("after a live re-sort the selection moved to %q", h.selectedName())
	}
	_ = row
	h.wantScreen("› Ben Ng")     // selected
	h.wantScreen(" On call   *") // and marked as just changed, beside the badge
	// And through a sort the user asks for.
	h.press("s", "e", "s", "e")
	if h.selectedName() != "Ben Ng" {
		t.Fatalf("after sorting by extension the selection is %q", h.selectedName())
	}
	// When the person leaves the view, the selection stays near.
	h.press("f") // available only: Ben is on a call
	if name := h.selectedName(); name == "" || name == "Ben Ng" {
		t.Fatalf("selection after the person was filtered out: %q", name)
	}
}

func TestFilterIsLiveAndEscClears(t *testing.T) {
	h := newHUD(t, newFixture(t, testPeople, false), false, 120, 20)
	h.press("/")
	h.wantScreen("Filter:")
	h.typeText("ga")
	if got := h.order(); !slices.Equal(got, []string{"Maria García"}) {
		t.Fatalf("filter ga: %v", got)
	}
	h.press("backspace")
	if len(h.order()) < 3 {
		t.Fatalf("filter g must match more: %v", h.order())
	}
	h.typeText("a")
	h.press("enter") // keeps it
	if h.m.mode != modeGrid || h.m.query.Text != "ga" {
		t.Fatalf("enter must keep the filter: mode %v text %q", h.m.mode, h.m.query.Text)
	}
	h.wantScreen("filter “ga”")
	h.press("/", "esc")
	if h.m.query.Text != "" || len(h.order()) != len(testPeople) {
		t.Fatalf("esc must clear the filter: %q %v", h.m.query.Text, h.order())
	}
	// Callers are searched too; no match says so.
	h.press("/")
	h.typeText("initech")
	if got := h.order(); !slices.Equal(got, []string{"Maria García"}) {
		t.Fatalf("filter by caller: %v", got)
	}
	h.typeText("zzz")
	h.wantScreen("No one matches “initechzzz”")
	// In the filter, letters are text, not commands.
	h.press("q")
	if h.m.quitting {
		t.Fatalf("q while filtering must type, not quit")
	}
	// Esc in the grid clears a kept filter too.
	h.press("enter", "esc")
	if h.m.query.Text != "" {
		t.Fatalf("esc in the grid must clear the filter")
	}
}

func TestQuickFiltersCycle(t *testing.T) {
	h := newHUD(t, newFixture(t, testPeople, false), false, 120, 20)
	want := map[string][]string{
		"available": {"Ben Ng", "Omar Khan"},
		"on a call": {"Li Wei", "Maria García"},
		"ringing":   {"Li Wei"},
		"away":      {"Adam Baker", "Ann Lee", "Zoe Adams"},
		"stale":     nil,
		"everyone":  {"Adam Baker", "Ann Lee", "Ben Ng", "Li Wei", "Maria García", "Omar Khan", "Zoe Adams"},
	}
	for range quickFilters {
		h.press("f")
		name := quickFilters[h.m.quick].name
		if got := h.order(); !slices.Equal(got, want[name]) {
			t.Fatalf("quick filter %s: %v, want %v", name, got, want[name])
		}
		if h.m.quick != 0 {
			h.wantScreen("only " + name)
		}
	}
	h.press("f", "esc")
	if h.m.quick != 0 {
		t.Fatalf("esc must drop the quick filter")
	}
}

func TestStaleFilterAndMarks(t *testing.T) {
	f := newFixture(t, testPeople, false)
	h := newHUD(t, f, false, 120, 20)
	// A gap: every row is stale until the resync confirms it.
	f.clock.Advance(time.Second)
	f.m.StartResync("notifications were lost")
	f.clock.Advance(time.Second)
	f.m.ApplySnapshot([]rc.Presence{presenceOf(t, testPeople[0])}, true)
	h.changed()
	h.press("f", "f", "f", "f", "f") // stale
	if got := h.order(); len(got) != len(testPeople)-1 || slices.Contains(got, "Omar Khan") {
		t.Fatalf("stale filter: %v", got)
	}
	h.wantScreen("~ stale: reloading: notifications were lost")
	h.wantScreen(" ~Ann Lee")
}

func TestGroupingCycles(t *testing.T) {
	h := newHUD(t, newFixture(t, testPeople, false), false, 120, 24)
	h.press("g")
	h.wantScreen("▾ Billing · 2")
	h.wantScreen("▾ Support · 3")
	h.wantScreen("▾ Not in a queue · 3")
	h.wantScreen("IN QUEUE")
	// Moving skips group headers.
	h.press("home")
	if l, ok := h.m.frame.Selected(); !ok || l.Header {
		t.Fatalf("home must select a row, not a header")
	}
	h.press("down", "down") // Billing has 2 rows: the next is Support's first
	if g := h.selectedGroup(); g != "Support" {
		t.Fatalf("moving past a group's end lands in %q", g)
	}
	h.press("g")
	h.wantScreen("▾ Sales · 3")
	h.wantScreen("▾ No department · 1")
	h.wantNoScreen("IN QUEUE")
	h.press("g")
	h.wantNoScreen("▾")
}

func TestDigitsJumpToExtension(t *testing.T) {
	h := newHUD(t, newFixture(t, testPeople, false), false, 120, 20)
	h.press("1", "0", "4")
	if h.selectedName() != "Adam Baker" {
		t.Fatalf("104 selects %q", h.selectedName())
	}
	h.wantScreen("ext 104_")
	h.press("2")
	if h.selectedName() != "Ben Ng" {
		t.Fatalf("1042 selects %q", h.selectedName())
	}
	// The buffer is forgotten after a pause.
	h.f.clock.Advance(digitsFor)
	h.update(tickMsg{at: h.f.clock.Now()})
	h.wantNoScreen("ext 1042_")
	h.press("1", "0")
	if h.selectedName() != "Omar Khan" {
		t.Fatalf("10 selects the lowest 10x: %q", h.selectedName())
	}
	h.press("esc")
	if h.m.digits != "" {
		t.Fatalf("esc must clear the buffer")
	}
	h.press("9")
	h.wantScreen("ext 9_: no extension 9… in view")
}

func TestDetailPane(t *testing.T) {
	h := newHUD(t, newFixture(t, testPeople, false), false, 130, 30)
	h.selectName("Maria García", "")
	h.press("enter")
	h.wantScreen("Maria García · ext 103")
	h.wantScreen("Calls (1)")
	h.wantScreen("← inbound · Initech Payroll +14155550111")
	h.wantScreen("connected 2:00 · queue call")
	h.wantScreen("Queues (1)")
	h.wantScreen("Support (801) on")
	h.press("down") // the pane follows the selection
	h.wantScreen("Omar Khan (you) · ext 101")
	h.wantScreen("Billing (802) off · locked")
	h.press("enter")
	h.wantNoScreen("Calls (")
	// Narrow: below the grid.
	h.update(tea.WindowSizeMsg{Width: 80, Height: 30})
	h.press("enter")
	h.wantScreen("── details")
	h.press("esc")
	h.wantNoScreen("── details")
}

func TestMyStatusKeys(t *testing.T) {
	h := newHUD(t, newFixture(t, testPeople, false), false, 120, 20)
	h.wantScreen("a b i d status")
	h.press("a", "b", "i", "d")
	h.wantWrites("status Available", "status Busy", "status Invisible", "status DND")
}

func TestStatusKeysNeedASignedInWriter(t *testing.T) {
	f := newFixture(t, testPeople, false)
	m := newModel(t, f.m, Options{Account: "test", Now: f.clock.Now})
	m.Update(tea.WindowSizeMsg{Width: 120, Height: 20})
	for _, k := range []string{"a", "b", "i", "d", "c", "m"} {
		_, cmd := m.Update(keyMsg(k))
		if m.mode != modeGrid {
			t.Fatalf("%s opened %v before sign-in", k, m.mode)
		}
		for _, msg := range run(cmd) {
			if _, ok := msg.(writeDoneMsg); ok {
				t.Fatalf("%s wrote before sign-in", k)
			}
		}
	}
	if strings.Contains(ansi.Strip(m.Render()), "a b i d status") {
		t.Fatalf("the status keys must not be offered before sign-in")
	}
}

func TestMessageEditor(t *testing.T) {
	h := newHUD(t, newFixture(t, testPeople, false), false, 120, 20)
	h.press("m")
	h.wantScreen("My message:")
	h.wantScreen("0/75")
	h.typeText("Back at 3")
	h.wantScreen("9/75")
	h.press("enter")
	h.wantWrites("message Back at 3")
	// Esc cancels without writing.
	h.press("m")
	h.typeText("never sent")
	h.press("esc")
	h.wantWrites("message Back at 3")
	// At most 75 characters: typing more is refused, the counter says so.
	h.press("m")
	h.typeText(strings.Repeat("x", 80))
	if n := h.m.msgEdit.Len(); n != state.MaxMessage {
		t.Fatalf("the editor holds %d characters", n)
	}
	h.wantScreen("75/75 max")
	h.update(tea.PasteMsg{Content: "more"})
	if n := h.m.msgEdit.Len(); n != state.MaxMessage {
		t.Fatalf("a paste went past the limit: %d characters", n)
	}
	h.press("enter")
	if got := h.w.Calls(); got[len(got)-1] != "message "+strings.Repeat("x", 75) {
		t.Fatalf("last write %q", got[len(got)-1])
	}
	// The editor starts from the current message.
	h.f.event(t, "1", `{"sequence":9,"message":"Lunch"}`)
	h.changed()
	h.press("m")
	if h.m.msgEdit.Value() != "Lunch" {
		t.Fatalf("editor starts with %q", h.m.msgEdit.Value())
	}
	h.press("ctrl+u")
	h.press("esc")
}

func TestWriteRefusalShowsInPlace(t *testing.T) {
	h := newHUD(t, newFixture(t, testPeople, false), false, 120, 20)
	h.w.err = errors.New("not signed in yet")
	h.press("d")
	h.wantScreen("status: not signed in yet")
}

func TestAcceptQueueCalls(t *testing.T) {
	f := newFixture(t, testPeople, false)
	h := newHUD(t, f, false, 120, 20)
	h.wantScreen("queue calls on")
	h.press("c")
	h.wantWrites("queues false")
	// In DND, c is off, and says why.
	f.event(t, "1", `{"sequence":3,"dndStatus":"DoNotAcceptAnyCalls"}`)
	h.changed()
	h.wantScreen("queue calls off in DND")
	h.press("c")
	h.wantWrites("queues false")
}

func TestQueuePane(t *testing.T) {
	h := newHUD(t, newFixture(t, testPeople, false), false, 120, 24)
	h.press("p")
	h.wantScreen("My queues")
	h.wantScreen("[on ] Support (801)")
	h.wantScreen("[off] Billing (802)")
	h.wantScreen("locked: only a supervisor can change it")
	// The pane has the arrows now; the grid selection stays.
	sel := h.selectedName()
	h.press("space") // Support, editable
	h.wantWrites("myqueue q1 false")
	h.press("down", "space") // Billing, locked: space is not live
	h.wantWrites("myqueue q1 false")
	h.wantNoScreen("space toggle")
	if h.selectedName() != sel {
		t.Fatalf("arrows in the pane moved the grid")
	}
	h.press("p")
	h.wantNoScreen("My queues")
	h.press("p", "esc")
	h.wantNoScreen("My queues")
}

func TestSupervisorChangesALockedQueueOfTheirOwn(t *testing.T) {
	h := newHUD(t, newFixture(t, testPeople, true), false, 120, 24)
	h.press("p", "down", "space")
	h.wantWrites("member q2 1 true")
}

func TestSupervisorTogglesAMemberAfterConfirmation(t *testing.T) {
	h := newHUD(t, newFixture(t, testPeople, true), false, 120, 24)
	h.press("space") // not grouped by queue: nothing
	if h.m.mode != modeGrid {
		t.Fatalf("space outside a queue view asked something")
	}
	h.press("g") // by queue: Billing (Adam, Omar), Support (Maria, Omar, Zoe)
	h.selectName("Zoe Adams", "Support")
	h.press("space")
	h.wantScreen("Make Zoe Adams unavailable in Support? y/n")
	h.press("n")
	h.wantWrites()
	h.press("space", "esc")
	h.wantWrites()
	h.press("space", "y")
	h.wantWrites("member q1 2 false")
	// The Not-in-a-queue group has no queue to toggle in.
	h.press("end", "space")
	if h.m.mode != modeGrid {
		t.Fatalf("space outside any queue asked something")
	}
}

func TestAgentCannotToggleMembers(t *testing.T) {
	h := newHUD(t, newFixture(t, testPeople, false), false, 120, 24)
	h.press("g", "down", "space")
	if h.m.mode != modeGrid {
		t.Fatalf("an agent was asked to change a member")
	}
	h.wantWrites()
}

func TestReadOnlyRemovesEveryServerKey(t *testing.T) {
	h := newHUD(t, newFixture(t, testPeople, true), true, 120, 30)
	h.press("a", "b", "i", "d", "c", "m")
	h.press("g", "down", "space")
	h.press("g", "g", "p", "space", "p")
	h.wantWrites()
	if h.m.mode != modeGrid {
		t.Fatalf("a server key opened %v", h.m.mode)
	}
	h.wantScreen("read-only")
	h.press("?")
	for _, desc := range []string{"I'm available", "I'm busy", "I'm invisible", "do not disturb", "my message", "accept queue calls", "stop queue calls", "toggle"} {
		h.wantNoScreen(desc)
	}
	h.wantScreen("hidden (--readonly)")
	for _, b := range h.m.c.Keys.Server() {
		if len(b.Keys()) != 0 {
			t.Fatalf("server key %v still bound", b.Keys())
		}
	}
}

func TestHelpListsOnlyLiveKeys(t *testing.T) {
	h := newHUD(t, newFixture(t, testPeople, false), false, 120, 30)
	h.press("?")
	h.wantScreen("Keys live now")
	h.wantScreen("I'm available")
	h.wantScreen("stop queue calls")
	h.wantNoScreen("toggle member") // not grouped by queue, not a supervisor
	h.press("x")                    // any key closes it
	h.wantNoScreen("Keys live now")
	// In DND, accepting queue calls is not live.
	h.f.event(t, "1", `{"sequence":3,"dndStatus":"DoNotAcceptAnyCalls"}`)
	h.changed()
	h.press("?")
	h.wantNoScreen("stop queue calls")
	h.wantNoScreen("accept queue calls")
	h.press("q") // closes help; does not quit
	if h.m.quitting {
		t.Fatalf("q in help must close it, not quit")
	}
	// A filter without rows: the moving keys are not live.
	h.press("/")
	h.typeText("nobody")
	h.press("enter", "?")
	h.wantNoScreen("jump to extension")
}

func TestQuitKeys(t *testing.T) {
	for _, k := range []string{"q", "ctrl+c"} {
		h := newHUD(t, newFixture(t, testPeople, false), false, 120, 20)
		cmd := h.press(k)
		if !h.m.quitting || !slices.ContainsFunc(run(cmd), func(m tea.Msg) bool { _, ok := m.(tea.QuitMsg); return ok }) {
			t.Fatalf("%s must quit", k)
		}
	}
	// Ctrl-C quits from any prompt too.
	h := newHUD(t, newFixture(t, testPeople, false), false, 120, 20)
	h.press("m", "ctrl+c")
	if !h.m.quitting {
		t.Fatalf("ctrl+c in the message editor must quit")
	}
}

func TestFatalErrorEndsTheHUD(t *testing.T) {
	h := newHUD(t, newFixture(t, testPeople, false), false, 120, 20)
	cmd := h.update(FatalMsg{Err: errors.New("sign-in refused")})
	if h.m.Err() == nil || !slices.ContainsFunc(run(cmd), func(m tea.Msg) bool { _, ok := m.(tea.QuitMsg); return ok }) {
		t.Fatalf("a fatal error must quit with the error")
	}
}

// TestPendingThenFailedInPlace drives a real state.Writer against a
// server that is not there: my choice shows pending at once, then the
// error in its place, then nothing once the failure has been shown.
func TestPendingThenFailedInPlace(t *testing.T) {
	f := newFixture(t, testPeople, false)
	h := newHUD(t, f, false, 120, 20)
	c := rc.New(rc.Config{ServerURL: "http://127.0.0.1:1", ClientID: "id", ClientSecret: "secret", JWT: "jwt"},
		rc.Options{RetryBase: time.Millisecond, RetryMax: 2 * time.Millisecond, Retries: 1})
	w := state.NewWriter(context.Background(), f.m, c, nil)
	t.Cleanup(func() { w.Close(time.Second) })
	h.m.SetWriter(w.Me())
	h.press("d")
	h.changed()
	h.wantScreen("→ DND (saving…)")
	waitFor(t, 10*time.Second, "the write to fail", func() bool {
		wr, _ := f.m.Write(state.Target{Kind: state.WriteStatus, Ext: "1"})
		return wr.Failed
	})
	h.changed()
	h.wantScreen("✗ DND failed:")
	if h.m.frame.Next.IsZero() {
		t.Fatalf("a shown failure must tell when it goes away")
	}
	f.clock.Advance(11 * time.Second)
	h.changed() // the publisher's timer at Next
	h.wantNoScreen("DND failed")
}

// timers lists the delays of the timers a command tree asks for.
func timers(cmd tea.Cmd) []time.Duration {
	var out []time.Duration
	for _, msg := range run(cmd) {
		if t, ok := msg.(timerSet); ok {
			out = append(out, t.d)
		}
	}
	return out
}

// TestRedrawsOnlyWhenSomethingOnScreenChanges checks the tick schedule:
// nothing at all on a quiet screen; once a second while a running time is
// on screen; one tick when a highlight ends.
func TestRedrawsOnlyWhenSomethingOnScreenChanges(t *testing.T) {
	quiet := []person{
		{"1", "101", "Omar Khan", "Support", "Available", "TakeAllCalls", "NoCall", "", ""},
		{"2", "102", "Zoe Adams", "Support", "Busy", "TakeAllCalls", "NoCall", "Lunch", ""},
	}
	f := newFixture(t, quiet, false)
	h := newHUD(t, f, false, 120, 20)
	cmd := h.update(tea.WindowSizeMsg{Width: 120, Height: 20})
	if ts := timers(cmd); len(ts) != 0 {
		t.Fatalf("a quiet screen asked for timers %v", ts)
	}
	for _, k := range []string{"down", "enter", "up", "enter", "g", "g", "g", "?", "x"} {
		if ts := timers(h.press(k)); len(ts) != 0 {
			t.Fatalf("%s on a quiet screen asked for timers %v", k, ts)
		}
	}
	// Zoe's status changes: her row is highlighted, her time in state runs,
	// the last event's age runs.
	f.clock.Advance(500 * time.Millisecond)
	f.event(t, "2", `{"sequence":2,"userStatus":"Available"}`)
	f.m.Publish()
	cmd = h.update(FrameMsg{Frame: h.m.view.Latest()})
	ts := timers(cmd)
	if len(ts) != 1 || ts[0] > time.Second {
		t.Fatalf("a running time on screen wants one tick within a second, got %v", ts)
	}
	// The tick comes: the highlight is drawn off, times move on.
	f.clock.Advance(ts[0])
	h.update(tickMsg{at: f.clock.Now()})
	f.clock.Advance(highlightFor)
	h.update(tickMsg{at: f.clock.Now()})
	h.wantNoScreen("*")
	// Filtered out of view, nothing on screen runs: the timers stop, the
	// header's "last event" aside (which counts in minutes after one).
	h.press("/")
	h.typeText("omar")
	f.clock.Advance(2 * time.Minute)
	cmd = h.update(tickMsg{at: f.clock.Now()})
	if ts := timers(cmd); len(ts) != 1 || ts[0] < 30*time.Second {
		t.Fatalf("with only the last event's age running, one tick a minute, got %v", ts)
	}
}

func TestLineEditing(t *testing.T) {
	in := newInput("hello world", 20)
	steps := []struct {
		key, want string
		pos       int
	}{
		{"left", "hello world", 10}, {"backspace", "hello word", 9}, {"home", "hello word", 0},
		{"delete", "ello word", 0}, {"right", "ello word", 1}, {"end", "ello word", 9},
		{"ctrl+w", "ello ", 5}, {"ctrl+a", "ello ", 0}, {"ctrl+k", "", 0},
	}
	for _, s := range steps {
		if !in.handle(keyMsg(s.key)) {
			t.Fatalf("%s is an edit", s.key)
		}
		if in.Value() != s.want || in.pos != s.pos {
			t.Fatalf("after %s: %q at %d, want %q at %d", s.key, in.Value(), in.pos, s.want, s.pos)
		}
	}
	in.insert("a\tb\x1b[31mc\u202ed")
	if in.Value() != "a b[31mcd" {
		t.Fatalf("typed or pasted control characters must not get in: %q", in.Value())
	}
	if in.handle(tea.KeyPressMsg{Code: 'x', Mod: tea.ModAlt, Text: "x"}) {
		t.Fatalf("alt+x is not text")
	}
	in = newInput(strings.Repeat("é", 30), 0)
	if v := ansi.StringWidth(in.view(10, paint{})); v != 10 {
		t.Fatalf("a long value is drawn %d cells wide in 10", v)
	}
}

func TestFilterKeepsTheArrowsForMoving(t *testing.T) {
	h := newHUD(t, newFixture(t, testPeople, false), false, 120, 20)
	h.press("/", "down", "down")
	if h.selectedName() != "Ben Ng" || h.m.mode != modeFilter {
		t.Fatalf("arrows while filtering move the selection: %q, mode %v", h.selectedName(), h.m.mode)
	}
	h.press("k") // a letter is text
	if h.m.query.Text != "k" {
		t.Fatalf("k while filtering must type: %q", h.m.query.Text)
	}
}

// TestHeaderTellsTheConnectionAsItIs walks the connection through its
// states and checks the header never reads more hopeful than the mirror.
func TestHeaderTellsTheConnectionAsItIs(t *testing.T) {
	c := &clock{t: epoch}
	m := state.NewMirror(c.Now)
	h := testHUD(t, newModel(t, m, Options{Account: "test", Now: c.Now}), &fixture{m: m, clock: c})
	h.update(tea.WindowSizeMsg{Width: 120, Height: 20})
	h.wantScreen("signing in…")
	h.wantScreen("Signing in and loading the directory…")
	f := newFixture(t, testPeople, false) // a loaded, live mirror
	h = newHUD(t, f, false, 120, 20)
	h.wantScreen("live · no events yet")
	f.clock.Advance(time.Second)
	f.m.SetLink(rc.Link{State: rc.LinkRecovering, Err: errors.New("read: connection reset \x1b[31mby peer")})
	h.changed()
	h.wantScreen("recovering… (link lost 09:00:01): read: connection reset by peer")
	f.clock.Advance(20 * time.Second)
	h.changed() // the publisher's timer at Next
	h.wantScreen("offline since 09:00:01")
	h.wantScreen("~ stale: link down since 09:00:01")
	f.m.SetLink(rc.Link{State: rc.LinkLive})
	f.m.StartResync("recovery failed")
	h.changed()
	h.wantScreen("resyncing: recovery failed")
	f.m.FinishResync(true)
	f.m.SetLink(rc.Link{State: rc.LinkClosed})
	h.changed()
	h.wantScreen("closed")
	h.wantNoScreen("live")
}

// TestKeysPressedBeforeTheWriterAreNotLost presses d before the writer
// has arrived: the choice waits and is sent as soon as it does.
func TestKeysPressedBeforeTheWriterAreNotLost(t *testing.T) {
	f := newFixture(t, testPeople, false)
	fw := &fakeWriter{}
	m := newModel(t, f.m, Options{Account: "test", Profile: colorprofile.TrueColor, Now: f.clock.Now,
		Writer: func() (Writer, error) { return fw, nil }})
	m.Update(tea.WindowSizeMsg{Width: 120, Height: 20})
	m.Update(keyMsg("d"))
	if len(fw.Calls()) != 0 {
		t.Fatalf("nothing can be sent before the writer arrives")
	}
	_, cmd := m.Update(writerMsg{w: fw})
	run(cmd)
	if got := fw.Calls(); len(got) != 1 || got[0] != "status DND" {
		t.Fatalf("the early choice must be sent once the writer arrives: %v", got)
	}
}

// TestHelpScrollsAtTheSmallestSize: at 50x12 the help shows a few lines
// and scrolls to every one of them.
func TestHelpScrollsAtTheSmallestSize(t *testing.T) {
	h := newHUD(t, newFixture(t, testPeople, false), false, MinWidth, MinHeight)
	h.press("?")
	h.wantScreen("Keys live now")
	seen := map[string]bool{}
	for range 60 {
		for _, l := range strings.Split(h.screen(), "\n") {
			seen[strings.TrimSpace(l)] = true
		}
		h.press("down")
	}
	for _, want := range []string{"q         quit", "–         not known yet", "Changes say “saving…” until the server confirms."} {
		if !seen[want] {
			t.Errorf("scrolling the help never showed %q", want)
		}
	}
	if !h.m.help {
		t.Fatalf("scroll keys must not close the help")
	}
	h.press("x")
	if h.m.help {
		t.Fatalf("another key must close the help")
	}
}

// TestDetailsScroll: details longer than their pane say how much is below
// and scroll to it with tab and the arrows; tab gives the arrows back to
// the list.
func TestDetailsScroll(t *testing.T) {
	h := newHUD(t, newFixture(t, testPeople, false), false, 80, 24)
	h.selectName("Maria García", "")
	h.press("enter")
	h.wantScreen("tab to scroll")
	h.wantNoScreen("department Sales")
	h.press("tab")
	for range 20 {
		h.press("down")
	}
	h.wantScreen("department Sales")
	if h.selectedName() != "Maria García" {
		t.Fatalf("scrolling the details moved the selection to %q", h.selectedName())
	}
	h.press("tab", "down")
	if h.selectedName() == "Maria García" {
		t.Fatalf("after tab the arrows must move the selection again")
	}
	h.wantScreen("Omar Khan (you) · ext 101") // a new person's details start at the top
}

// TestGroupedListKeepsItsHeaderOnScreen: scrolled into the middle of a
// group, its header stays on the first line.
func TestGroupedListKeepsItsHeaderOnScreen(t *testing.T) {
	var people []person
	for i := range 30 {
		people = append(people, person{fmt.Sprint(i + 1), fmt.Sprint(101 + i), fmt.Sprintf("Person %02d", i), "Sales",
			"Available", "TakeAllCalls", "NoCall", "", ""})
	}
	h := newHUD(t, newFixture(t, people, true), false, 100, MinHeight+4)
	h.press("g", "g") // by department: one group of 30
	h.press("end")
	lines := strings.Split(h.screen(), "\n")
	first := lines[headerHeight+1] // under the column titles
	if !strings.Contains(first, "▾ Sales · 30") || !strings.Contains(first, "(continued)") {
		t.Fatalf("the group's header must stay on top:\n%s", h.screen())
	}
	h.wantScreen("› Person 29")
}

// TestQueueGroupsCountWhoCanTakeACall: a queue's header counts the members
// who could take its call now, not everyone available.
func TestQueueGroupsCountWhoCanTakeACall(t *testing.T) {
	h := newHUD(t, newFixture(t, testPeople, true), false, 140, 24)
	h.press("g")
	// Support: Omar (available, on in it), Zoe (busy), Maria (on a call).
	h.wantScreen("▾ Support · 3 · 1 can take a call")
	// Billing: Omar (available but off in it), Adam (DND).
	h.wantScreen("▾ Billing · 2 · 0 can take a call")
}

// TestColumnsSayOnlyWhatMatters: DND shows only when it keeps calls away;
// the status word only when the badge does not already say it.
func TestColumnsSayOnlyWhatMatters(t *testing.T) {
	h := newHUD(t, newFixture(t, testPeople, false), false, 200, 20)
	for _, l := range strings.Split(h.screen(), "\n") {
		if strings.Contains(l, "all calls") {
			t.Fatalf("taking every call is not news: %q", l)
		}
	}
	h.wantScreen("Zoe Adams") // Busy with a message: the message, not "Busy: "
	if s := h.screen(); strings.Contains(s, "Busy: In a meeting") || !strings.Contains(s, "In a meeting") {
		t.Fatalf("the message must have the room:\n%s", s)
	}
	h.wantScreen("DND") // Adam Baker's DND still shows
}

// memPeople keeps pins and watches in memory, as a file would.
type memPeople struct {
	mu              sync.Mutex
	pinned, watched []state.ID
	saves           int
}

func (p *memPeople) Load() ([]state.ID, []state.ID, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.pinned), slices.Clone(p.watched), nil
}

func (p *memPeople) Save(pinned, watched []state.ID) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.pinned, p.watched = slices.Clone(pinned), slices.Clone(watched)
	p.saves++
	return nil
}

// TestPinsComeFirstAndSurviveARestart: * pins the selected person to the
// top (in every order), and a new HUD over the same store starts with the
// pins.
func TestPinsComeFirstAndSurviveARestart(t *testing.T) {
	f := newFixture(t, testPeople, false)
	store := &memPeople{}
	h := newHUDWith(t, f, Options{People: store}, 120, 20)
	h.selectName("Zoe Adams", "")
	h.press("*")
	if got := h.order(); got[0] != "Zoe Adams" {
		t.Fatalf("pinned first: %v", got)
	}
	h.press("s", "e") // by extension: still first
	if got := h.order(); got[0] != "Zoe Adams" {
		t.Fatalf("pinned first in every order: %v", got)
	}
	h.wantScreen("Zoe Adams ★")
	if !slices.Equal(store.pinned, []state.ID{"2"}) {
		t.Fatalf("the pin was not saved: %v", store.pinned)
	}
	again := newHUDWith(t, f, Options{People: store}, 120, 20)
	for _, msg := range run(again.m.Init()) {
		again.update(msg)
	}
	if got := again.order(); got[0] != "Zoe Adams" {
		t.Fatalf("after a restart: %v", got)
	}
	again.selectName("Zoe Adams", "")
	again.press("*")
	if len(store.pinned) != 0 {
		t.Fatalf("unpinning must be saved: %v", store.pinned)
	}
}

// TestWatchedPersonFreeRingsAndNotifies: w waits for the selected person;
// when they are free the header says so, the bell rings and, in a
// terminal that shows them, a desktop notification goes out.
func TestWatchedPersonFreeRingsAndNotifies(t *testing.T) {
	f := newFixture(t, testPeople, false)
	h := newHUDWith(t, f, Options{}, 120, 20)
	h.update(tea.EnvMsg{"TERM_PROGRAM=iTerm.app"})
	h.selectName("Maria García", "") // on a call
	h.press("w")
	h.wantScreen("Maria García ⚑")
	f.event(t, "3", `{"sequence":9,"telephonyStatus":"NoCall","activeCalls":[],"totalActiveCalls":0}`)
	f.m.Publish()
	cmd := h.update(FrameMsg{Frame: h.m.view.Latest()})
	h.wantScreen("⚑ Maria García (ext 103) is available")
	var raw string
	for _, msg := range run(cmd) {
		if r, ok := msg.(tea.RawMsg); ok {
			raw += fmt.Sprint(r.Msg)
		}
	}
	if raw != "\a\x1b]9;rchud: Maria García (ext 103) is available\x07" {
		t.Fatalf("bell and notification: %q", raw)
	}
	if n := notifierFor(tea.EnvMsg{"TERM=xterm-256color"}); n != notifyBell {
		t.Fatalf("an unknown terminal gets the bell only")
	}
}

// TestTimersTurnAmberThenRed: ringing past the ring alarm turns the time
// amber, past twice that red; on hold likewise with the hold alarm.
func TestTimersTurnAmberThenRed(t *testing.T) {
	start := epoch
	e := &state.Entry{Known: true, Availability: state.Ringing, AvailSince: start}
	for _, c := range []struct {
		after time.Duration
		want  int
	}{{10 * time.Second, 0}, {20 * time.Second, 1}, {39 * time.Second, 1}, {40 * time.Second, 2}} {
		if got := alarmLevel(e, start.Add(c.after), 20*time.Second, time.Minute); got != c.want {
			t.Errorf("ringing %v: level %d, want %d", c.after, got, c.want)
		}
	}
	held := &state.Entry{Known: true, Availability: state.OnHold, AvailSince: start}
	if alarmLevel(held, start.Add(30*time.Second), 20*time.Second, time.Minute) != 0 ||
		alarmLevel(held, start.Add(61*time.Second), 20*time.Second, time.Minute) != 1 {
		t.Errorf("on hold uses the hold alarm")
	}
	// On screen: the ringing row's time is painted.
	f := newFixture(t, testPeople, false) // Li Wei rings since 08:59:50
	h := newHUDWith(t, f, Options{RingAlarm: 5 * time.Second}, 120, 20)
	f.clock.Advance(time.Second)
	h.update(tickMsg{})
	if !strings.Contains(h.m.Render(), h.m.c.Styles.alarm[2].pre) {
		t.Fatalf("a call ringing for 11 s with a 5 s alarm must show red")
	}
}

// TestEscThenAKeyTypedFastIsBoth: Esc and a key typed within the terminal's
// escape timeout arrive as alt+key: the HUD takes them as Esc, then the
// key. Ctrl-Z suspends.
func TestEscThenAKeyTypedFastIsBoth(t *testing.T) {
	h := newHUD(t, newFixture(t, testPeople, false), false, 120, 20)
	h.press("/", "a", "n", "n", " ", "l")
	h.update(tea.KeyPressMsg{Code: 'j', Text: "j", Mod: tea.ModAlt}) // esc (clears the filter), then j
	if h.m.mode != modeGrid || h.m.query.Text != "" {
		t.Fatalf("alt+j must close the filter: mode %v, text %q", h.m.mode, h.m.query.Text)
	}
	if h.selectedName() != "Ben Ng" {
		t.Fatalf("and then move down from Ann Lee: %q", h.selectedName())
	}
	_, cmd := h.m.Update(tea.KeyPressMsg{Code: 'z', Mod: tea.ModCtrl})
	if cmd == nil {
		t.Fatalf("ctrl+z must suspend")
	}
	if _, ok := cmd().(tea.SuspendMsg); !ok {
		t.Fatalf("ctrl+z must suspend")
	}
}

// TestAgentsAreToldWhyInQueueIsBlank: a non-admin sees their own
// availability in each queue and is told why the others' is not shown.
func TestAgentsAreToldWhyInQueueIsBlank(t *testing.T) {
	h := newHUD(t, newFixture(t, testPeople, false), false, 160, 24)
	h.press("g")
	h.wantScreen("in queue: yours only (admins see everyone's)")
	for _, l := range strings.Split(h.screen(), "\n") {
		if strings.Contains(l, " ? ") && !strings.Contains(l, "? help") {
			t.Fatalf("an unknown availability must not show as ?: %q", l)
		}
	}
}

func TestTheHeaderNamesTheCompany(t *testing.T) {
	f := newFixture(t, testPeople, false)
	h := newHUD(t, f, false, 100, 24)
	h.wantScreen("rchud · test · Omar Khan")
	f.m.SetCompany("Bluebird \x1b[31mLogistics")
	h.changed()
	h.wantScreen("rchud · Bluebird Logistics · Omar Khan (ext 101)")
}

func TestTheHeaderSaysWhySigningInWaitsAndCountsDown(t *testing.T) {
	f := newFixture(t, testPeople, false)
	h := newHUD(t, f, false, 120, 24)
	f.m.SetLink(rc.Link{State: rc.LinkConnecting})
	f.m.SetSignInWait("rate-limited by RingCentral", epoch.Add(42*time.Second))
	h.changed()
	h.wantScreen("rate-limited by RingCentral, retrying in 42 s")
	f.clock.Advance(2 * time.Second)
	h.changed()
	h.wantScreen("retrying in 40 s")
	f.m.SetSignInWait("", time.Time{})
	f.m.SetLink(rc.Link{State: rc.LinkRecovering, Retry: epoch.Add(20 * time.Second)})
	h.changed()
	h.wantScreen("recovering…")
	h.wantScreen("retrying in 18 s")
}

// TestTheHeaderMovesWithTheClockAlone: the header's lines are drawn again
// only when what they show changed, and a countdown or a silence changes
// with the clock, with no new frame.
func TestTheHeaderMovesWithTheClockAlone(t *testing.T) {
	f := newFixture(t, testPeople, false)
	h := newHUD(t, f, false, 120, 24)
	f.m.SetLink(rc.Link{State: rc.LinkRecovering, Retry: epoch.Add(20 * time.Second)})
	h.changed()
	h.wantScreen("retrying in 20 s")
	f.clock.Advance(3 * time.Second)
	h.update(tickMsg{})
	h.wantScreen("retrying in 17 s")

	h = newHUD(t, f, false, 120, 24)
	f.m.SetLink(rc.Link{State: rc.LinkLive})
	h.changed()
	h.m.frame.Health.LastEvent = f.clock.Now()
	h.wantNoScreen("quiet")
	f.clock.Advance(quietAfter)
	h.update(tickMsg{})
	h.wantScreen("quiet 1m")
	f.clock.Advance(time.Minute)
	h.update(tickMsg{})
	h.wantScreen("quiet 2m")
}

func TestAChangeBeingRetriedSaysSo(t *testing.T) {
	st := NewStyles(colorprofile.TrueColor, true)
	w := &state.Write{Retrying: "RingCentral answered 503"}
	if got := ansi.Strip(writeText(st, w, "Busy")); got != "→ Busy (retrying: RingCentral answered 503)" {
		t.Fatalf("%q", got)
	}
}
