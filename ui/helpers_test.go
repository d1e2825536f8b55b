package ui

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/ansi"

	"github.com/rchud/rchud/rc"
	"github.com/rchud/rchud/state"
)

// clock is a settable clock shared by the mirror and the model.
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

var epoch = time.Date(2026, 5, 4, 9, 0, 0, 0, time.UTC)

// person is one user of the test directory.
type person struct {
	id, number, name, dept string
	user, dnd, tel, msg    string
	calls                  string // activeCalls JSON, "" for none
}

// testPeople: me is 101 (Omar Khan); queues q1 (Support, editable: 101,
// 102, 103) and q2 (Billing, locked: 101, 104).
var testPeople = []person{
	{"1", "101", "Omar Khan", "Support", "Available", "TakeAllCalls", "NoCall", "", ""},
	{"2", "102", "Zoe Adams", "Support", "Busy", "TakeAllCalls", "NoCall", "In a meeting", ""},
	{"3", "103", "Maria García", "Sales", "Available", "TakeAllCalls", "CallConnected", "",
		`[{"id":"c3","direction":"Inbound","from":"+14155550111","fromName":"Initech Payroll","telephonyStatus":"CallConnected","startTime":"2026-05-04T08:58:00Z","queueCall":true}]`},
	{"4", "104", "Adam Baker", "Sales", "Available", "DoNotAcceptAnyCalls", "NoCall", "Back at 4", ""},
	{"5", "105", "Li Wei", "Sales", "Available", "TakeAllCalls", "Ringing", "",
		`[{"id":"c5","direction":"Inbound","from":"+14155550122","telephonyStatus":"Ringing","startTime":"2026-05-04T08:59:50Z"}]`},
	{"6", "106", "Ann Lee", "", "Offline", "TakeAllCalls", "NoCall", "", ""},
	{"7", "1042", "Ben Ng", "Support", "Available", "TakeAllCalls", "NoCall", "", ""},
}

// fixture is a mirror with the test directory, loaded and live.
type fixture struct {
	m     *state.Mirror
	clock *clock
}

func newFixture(t testing.TB, people []person, admin bool) *fixture {
	t.Helper()
	c := &clock{t: epoch}
	m := state.NewMirror(c.Now)
	var exts []rc.Extension
	for _, p := range people {
		var x rc.Extension
		x.ID, x.ExtensionNumber, x.Name, x.Type = rc.ID(p.id), p.number, p.name, state.TypeUser
		x.Contact.Department = p.dept
		exts = append(exts, x)
	}
	m.AddExtensions(exts)
	var q1, q2 []state.ID
	for _, p := range people {
		switch p.number {
		case "101", "102", "103":
			q1 = append(q1, state.ID(p.id))
		}
		switch p.number {
		case "101", "104":
			q2 = append(q2, state.ID(p.id))
		}
	}
	m.SetQueues([]state.Queue{
		{ID: "q1", Number: "801", Name: "Support", EditableMemberStatus: true, Members: q1},
		{ID: "q2", Number: "802", Name: "Billing", EditableMemberStatus: false, Members: q2},
	})
	m.SetMe(state.ID(people[0].id), admin)
	m.StartResync("first load")
	var recs []rc.Presence
	for _, p := range people {
		recs = append(recs, presenceOf(t, p))
	}
	m.ApplySnapshot(recs, true)
	accept := map[state.ID]bool{}
	for _, id := range q1 {
		accept[id] = true
	}
	m.ApplyQueueSnapshot("q1", accept)
	m.ApplyQueueSnapshot("q2", map[state.ID]bool{q2[0]: false, q2[len(q2)-1]: true})
	m.FinishResync(true)
	m.SetLink(rc.Link{State: rc.LinkLive})
	m.Publish()
	return &fixture{m: m, clock: c}
}

func presenceOf(t testing.TB, p person) rc.Presence {
	t.Helper()
	out := rc.Presence{ExtensionID: rc.ID(p.id)}
	str := func(v string) *string { return &v }
	out.PresenceStatus, out.UserStatus, out.DNDStatus = str("Available"), str(p.user), str(p.dnd)
	out.TelephonyStatus, out.Message, out.MeetingStatus = str(p.tel), str(p.msg), str("Disconnected")
	out.ActiveCalls = []rc.ActiveCall{}
	if p.calls != "" {
		if err := json.Unmarshal([]byte(p.calls), &out.ActiveCalls); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// event applies a presence notification body to the fixture's mirror.
func (f *fixture) event(t testing.TB, id, body string) {
	t.Helper()
	var p rc.Presence
	if err := json.Unmarshal([]byte(body), &p); err != nil {
		t.Fatal(err)
	}
	p.ExtensionID = rc.ID(id)
	f.m.ApplyEvent(&p, f.clock.Now(), true)
}

// fakeWriter records the writes the HUD asks for.
type fakeWriter struct {
	mu    sync.Mutex
	calls []string
	err   error
}

func (w *fakeWriter) record(s string) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.calls = append(w.calls, s)
	return w.err
}

func (w *fakeWriter) SetStatus(s state.Status) error { return w.record("status " + string(s)) }
func (w *fakeWriter) SetMessage(s string) error      { return w.record("message " + s) }
func (w *fakeWriter) SetAcceptQueueCalls(b bool) error {
	return w.record(fmt.Sprint("queues ", b))
}
func (w *fakeWriter) SetMyQueue(q state.ID, b bool) error {
	return w.record(fmt.Sprint("myqueue ", q, " ", b))
}
func (w *fakeWriter) SetMember(q, m state.ID, b bool) error {
	return w.record(fmt.Sprint("member ", q, " ", m, " ", b))
}

func (w *fakeWriter) Calls() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]string(nil), w.calls...)
}

// newModel makes a model over a new view of mirror (closed with the
// test).
func newModel(t testing.TB, mirror *state.Mirror, o Options) *Model {
	t.Helper()
	v := mirror.NewView(state.ViewOptions{Query: state.Query{Sort: state.ColName}})
	t.Cleanup(v.Close)
	o.View = v
	return New(o)
}

// testHUD drives m at Update level; its timers answer at once with
// timerSet instead of sleeping.
func testHUD(t testing.TB, m *Model, f *fixture) *hud {
	m.timer = func(d time.Duration, _ func(time.Time) tea.Msg) tea.Cmd {
		return func() tea.Msg { return timerSet{d} }
	}
	return &hud{t: t, m: m, f: f}
}

// hud is a model under test with its fixture and writer.
type hud struct {
	t testing.TB
	m *Model
	f *fixture
	w *fakeWriter
}

func newHUD(t *testing.T, f *fixture, readOnly bool, w, h int) *hud {
	t.Helper()
	return newHUDWith(t, f, Options{ReadOnly: readOnly}, w, h)
}

// newHUDWith is newHUD with options (the account, profile and clock are
// the fixture's).
func newHUDWith(t *testing.T, f *fixture, o Options, w, h int) *hud {
	t.Helper()
	o.Account, o.Profile, o.Now = "test", colorprofile.TrueColor, f.clock.Now
	m := newModel(t, f.m, o)
	fw := &fakeWriter{}
	m.SetWriter(fw)
	hd := testHUD(t, m, f)
	hd.w = fw
	hd.update(tea.WindowSizeMsg{Width: w, Height: h})
	return hd
}

// keyMsg makes the key press a terminal would send for a key name.
func keyMsg(k string) tea.KeyPressMsg {
	special := map[string]rune{
		"enter": tea.KeyEnter, "esc": tea.KeyEscape, "up": tea.KeyUp, "down": tea.KeyDown,
		"pgup": tea.KeyPgUp, "pgdown": tea.KeyPgDown, "home": tea.KeyHome, "end": tea.KeyEnd,
		"backspace": tea.KeyBackspace, "space": tea.KeySpace, "left": tea.KeyLeft, "right": tea.KeyRight,
	}
	if r, ok := special[k]; ok {
		msg := tea.KeyPressMsg{Code: r}
		if k == "space" {
			msg.Text = " "
		}
		return msg
	}
	if strings.HasPrefix(k, "ctrl+") {
		return tea.KeyPressMsg{Code: rune(k[5]), Mod: tea.ModCtrl}
	}
	r := []rune(k)[0]
	return tea.KeyPressMsg{Code: r, Text: k}
}

// press sends keys and runs what they ask for (view operations, writes);
// it returns the last command.
func (h *hud) press(keys ...string) tea.Cmd {
	h.t.Helper()
	var cmd tea.Cmd
	for _, k := range keys {
		cmd = h.update(keyMsg(k))
	}
	return cmd
}

// update sends a message and runs the commands it returns, feeding back
// the frames and write answers (timers are stubbed to answer at once with
// timerSet, which is not fed back).
func (h *hud) update(msg tea.Msg) tea.Cmd {
	_, cmd := h.m.Update(msg)
	for _, msg := range run(cmd) {
		switch msg.(type) {
		case writeDoneMsg, callDoneMsg, FrameMsg:
			h.update(msg)
		}
	}
	return cmd
}

// typeText types text one key at a time.
func (h *hud) typeText(s string) {
	for _, r := range s {
		if r == ' ' {
			h.press("space")
			continue
		}
		h.press(string(r))
	}
}

// timerSet is what a stubbed timer answers: the delay it was asked for.
type timerSet struct{ d time.Duration }

// run runs a command tree and returns its messages.
func run(cmd tea.Cmd) []tea.Msg {
	if cmd == nil {
		return nil
	}
	msg := cmd()
	if b, ok := msg.(tea.BatchMsg); ok {
		var out []tea.Msg
		for _, c := range b {
			out = append(out, run(c)...)
		}
		return out
	}
	return []tea.Msg{msg}
}

// changed publishes the mirror's changes and hands the model the view's
// newest frame, as the publisher and the pump would.
func (h *hud) changed() {
	h.f.m.Publish()
	h.update(FrameMsg{Frame: h.m.view.Latest()})
}

// screen is the rendered screen without escape sequences.
func (h *hud) screen() string { return ansi.Strip(h.m.Render()) }

func (h *hud) selectedName() string {
	l, ok := h.m.frame.Selected()
	if !ok {
		return ""
	}
	return l.Entry.Name
}

// selectedGroup is the title of the selected row's group.
func (h *hud) selectedGroup() string {
	l, ok := h.m.frame.Selected()
	if !ok {
		return ""
	}
	return l.Group.Title
}

// order lists the names the view shows, in order.
func (h *hud) order() []string {
	var out []string
	for _, g := range h.f.m.Project(h.m.frame.Query).Groups {
		for _, id := range g.IDs {
			e, _ := h.f.m.Get(id)
			out = append(out, e.Name)
		}
	}
	return out
}

func (h *hud) wantScreen(substr string) {
	h.t.Helper()
	if s := h.screen(); !strings.Contains(s, substr) {
		h.t.Fatalf("screen lacks %q:\n%s", substr, s)
	}
}

func (h *hud) wantNoScreen(substr string) {
	h.t.Helper()
	if s := h.screen(); strings.Contains(s, substr) {
		h.t.Fatalf("screen shows %q:\n%s", substr, s)
	}
}

func (h *hud) wantWrites(want ...string) {
	h.t.Helper()
	got := h.w.Calls()
	if strings.Join(got, "|") != strings.Join(want, "|") {
		h.t.Fatalf("writes %q, want %q", got, want)
	}
}

var sgr = regexp.MustCompile("\x1b\\[[0-9;:]*m")

// selectName moves the selection to name (in group, when given).
func (h *hud) selectName(name, group string) {
	h.t.Helper()
	h.press("home")
	for range h.m.frame.Lines + 1 {
		if h.selectedName() == name && (group == "" || h.selectedGroup() == group) {
			return
		}
		h.press("down")
	}
	h.t.Fatalf("no row %q (group %q) to select", name, group)
}
