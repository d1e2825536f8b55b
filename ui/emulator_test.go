package ui

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/golden"
	"github.com/charmbracelet/x/exp/teatest/v2"

	"github.com/rchud/rchud/emulator"
	"github.com/rchud/rchud/rc"
	"github.com/rchud/rchud/state"
)

// demo is an emulator, signed in to through a live sync.
type demo struct {
	e *emulator.Emulator
	m *state.Mirror
	s *state.Sync
	c *rc.Client
}

// goldenT is the emulator's and the mirror's fixed clock in golden tests.
var goldenT = time.Date(2026, 3, 2, 14, 0, 0, 0, time.UTC)

// startDemo runs an emulator with no simulated traffic and a sync into a
// mirror, signed in as the receptionist or the first agent; fixed makes
// both clocks stand still at goldenT.
func startDemo(t testing.TB, agent, fixed bool, users int) *demo {
	t.Helper()
	return startDemoWith(t, agent, fixed, users, nil)
}

// startDemoWith is startDemo with prepare run on the emulator before the
// sync signs in (to set names the directory load will pick up).
func startDemoWith(t testing.TB, agent, fixed bool, users int, prepare func(*emulator.Emulator)) *demo {
	t.Helper()
	return startDemoConfig(t, agent, fixed, emulator.Config{Users: users, Queues: 3, Agents: 1, Seed: 7, CallsPerMinute: 0, RateLimitsOff: true}, prepare)
}

// startDemoConfig is startDemo with the emulator's configuration.
func startDemoConfig(t testing.TB, agent, fixed bool, cfg emulator.Config, prepare func(*emulator.Emulator)) *demo {
	t.Helper()
	var now func() time.Time
	if fixed {
		now = func() time.Time { return goldenT }
		cfg.Now = now
	}
	e, err := emulator.Start(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	if prepare != nil {
		prepare(e)
	}
	cr := e.Credentials()
	jwt := cr.UserJWT
	if agent {
		jwt = cr.Agents[0].JWT
	}
	c := rc.New(rc.Config{ServerURL: cr.ServerURL, ClientID: cr.ClientID, ClientSecret: cr.ClientSecret, JWT: jwt},
		rc.Options{RetryBase: 50 * time.Millisecond})
	m := state.NewMirror(now)
	opts := state.SyncOptions{FetchEvery: 100 * time.Millisecond}
	if *soakFor == 0 {
		// Link failures show within a test's time: a heartbeat after 1 s of
		// silence, dead 1 s later (the long soaks keep the client's own).
		opts.Stream = rc.StreamOptions{HeartbeatAfter: time.Second, DeadAfter: time.Second,
			BackoffBase: 200 * time.Millisecond, BackoffMax: 800 * time.Millisecond, GapTimeout: 2500 * time.Millisecond}
	}
	s := state.NewSync(c, m, opts)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Errorf("the sync did not stop")
		}
	})
	select {
	case <-s.Ready():
	case err := <-done:
		t.Fatalf("the sync ended before loading: %v", err)
	case <-time.After(30 * time.Second):
		t.Fatalf("presence did not load")
	}
	return &demo{e: e, m: m, s: s, c: c}
}

// users lists the emulator's users by name, as the grid sorts them.
func (d *demo) users() []emulator.TruthExtension {
	var out []emulator.TruthExtension
	for _, x := range d.e.Truth().Extensions {
		if x.Type == "User" {
			out = append(out, x)
		}
	}
	slices.SortStableFunc(out, func(a, b emulator.TruthExtension) int {
		return strings.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name))
	})
	return out
}

// call starts a call on an extension through the emulator's control API.
func (d *demo) call(t testing.TB, ext string, body map[string]any) {
	t.Helper()
	b, _ := json.Marshal(body)
	resp, err := http.Post(d.e.URL()+"/_emulator/extensions/"+ext+"/calls", "application/json", bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("start a call on %s: %s", ext, resp.Status)
	}
}

// waitFor waits for cond, failing after d.
func waitFor(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", d, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// goldenDemo is a small call centre in a known state: a few calls of
// every kind and a status message, every clock standing still.
func goldenDemo(t *testing.T, agent bool) *demo {
	d := startDemo(t, agent, true, 40)
	u := d.users()
	queue := d.e.Truth().Queues[0].ID
	d.call(t, u[1].ID, map[string]any{"direction": "Inbound", "from": "+14155550100", "fromName": "Acme Corp",
		"status": "CallConnected", "queueId": queue})
	d.call(t, u[3].ID, map[string]any{"direction": "Outbound", "to": "+13125550164", "status": "CallConnected"})
	d.call(t, u[4].ID, map[string]any{"direction": "Inbound", "from": "+16175550199", "fromName": "Wayne Holdings",
		"status": "Ringing"})
	d.call(t, u[6].ID, map[string]any{"direction": "Inbound", "from": "+12125550123", "status": "OnHold"})
	id, _ := strconv.ParseInt(u[2].ID, 10, 64)
	busy, msg := "Busy", "Back at 3"
	if err := d.e.SetPresence(id, emulator.PresenceUpdate{UserStatus: &busy, Message: &msg}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "the calls and the message in the mirror", func() bool {
		for _, k := range []int{1, 3, 4, 6} {
			if e, _ := d.m.Get(state.ID(u[k].ID)); len(e.Calls) != 1 {
				return false
			}
		}
		e, _ := d.m.Get(state.ID(u[2].ID))
		return e.Message == msg
	})
	// The front desk readies itself after the first load: the company
	// name, the phone to answer on, and (for a supervisor) the backlogs.
	v := d.m.NewView(state.ViewOptions{})
	defer v.Close()
	waitFor(t, 10*time.Second, "the company name and the front desk", func() bool {
		d.m.Publish()
		f := v.Latest()
		return f.Company != "" && f.Desk.CallControl && (agent || len(f.Desk.Backlogs) > 0 && f.Desk.Backlogs[0].Known)
	})
	return d
}

// goldenCase is one golden frame: a size and the keys pressed first.
type goldenCase struct {
	name     string
	w, h     int
	keys     []string
	readOnly bool
}

// checkGolden draws the HUD over a golden demo, 83 s after every clock
// stopped, and compares the frame (ANSI stripped) with its golden file.
func checkGolden(t *testing.T, d *demo, c goldenCase) {
	m := newModel(t, d.m, Options{Account: "demo call centre (emulator)", Profile: colorprofile.TrueColor,
		ReadOnly: c.readOnly, Now: func() time.Time { return goldenT.Add(83 * time.Second) }})
	m.timer = func(time.Duration, func(time.Time) tea.Msg) tea.Cmd { return nil }
	w, err := d.s.Writer(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	m.SetWriter(w.Me())
	h := testHUD(t, m, &fixture{m: d.m})
	h.update(tea.WindowSizeMsg{Width: c.w, Height: c.h})
	h.press(c.keys...)
	frame := m.View().Content
	checkFrame(t, c.name, frame, c.w, c.h)
	golden.RequireEqual(t, ansi.Strip(frame)+"\n")
}

func TestGoldenFrames(t *testing.T) {
	d := goldenDemo(t, false)
	u := d.users()
	for _, c := range []goldenCase{
		{name: "grid_80x24", w: 80, h: 24},
		{name: "grid_160x40", w: 160, h: 40},
		{name: "grid_60x20", w: 60, h: 20},
		{name: "detail_130x40", w: 130, h: 40, keys: append(strings.Split(u[1].ExtensionNumber, ""), "enter")},
		{name: "detail_below_80x30", w: 80, h: 30, keys: append(strings.Split(u[4].ExtensionNumber, ""), "enter")},
		{name: "by_queue_100x30", w: 100, h: 30, keys: []string{"g"}},
		{name: "sorted_by_state_100x24", w: 100, h: 24, keys: []string{"s", "a"}},
		{name: "help_100x30", w: 100, h: 30, keys: []string{"?"}},
	} {
		t.Run(c.name, func(t *testing.T) { checkGolden(t, d, c) })
	}
}

func TestGoldenAgentFrames(t *testing.T) {
	d := goldenDemo(t, true)
	for _, c := range []goldenCase{
		{name: "my_queues_100x30", w: 100, h: 30, keys: []string{"p"}},
		{name: "readonly_80x24", w: 80, h: 24, readOnly: true},
	} {
		t.Run(c.name, func(t *testing.T) { checkGolden(t, d, c) })
	}
}

// observed wraps the HUD to keep every distinct frame it drew, so a test
// can wait on what a user would have seen.
type observed struct {
	*Model
	mu     sync.Mutex
	frames []string
}

func (o *observed) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	_, cmd := o.Model.Update(msg)
	return o, cmd
}

func (o *observed) View() tea.View {
	v := o.Model.View()
	frame := ansi.Strip(v.Content)
	o.mu.Lock()
	defer o.mu.Unlock()
	if n := len(o.frames); n == 0 || o.frames[n-1] != frame {
		o.frames = append(o.frames, frame)
	}
	return v
}

// seen reports whether any frame so far showed substr.
func (o *observed) seen(substr string) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	return slices.ContainsFunc(o.frames, func(f string) bool { return strings.Contains(f, substr) })
}

func (o *observed) last() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	if len(o.frames) == 0 {
		return ""
	}
	return o.frames[len(o.frames)-1]
}

// TestFlowFilterSortSetStatusConfirmedByTheEmulator drives the real
// program (teatest) against a live emulator: filter, sort, set my status,
// and see it pending, then confirmed by the emulator's notification.
func TestFlowFilterSortSetStatusConfirmedByTheEmulator(t *testing.T) {
	d := startDemo(t, false, false, 60)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	o := &observed{Model: newModel(t, d.m, Options{Account: "demo", Profile: colorprofile.ANSI256,
		Writer: func() (Writer, error) {
			w, err := d.s.Writer(ctx)
			if err != nil {
				return nil, err
			}
			return w.Me(), nil
		}})}
	tm := teatest.NewTestModel(t, o, teatest.WithInitialTermSize(120, 30),
		teatest.WithProgramOptions(tea.WithColorProfile(colorprofile.ANSI256)))
	go d.m.Run(ctx)
	go Pump(ctx, o.view, tm.Send)
	wait := func(what string, cond func(frame string) bool) {
		t.Helper()
		waitFor(t, 15*time.Second, what, func() bool { return cond(o.last()) })
	}
	u := d.users()
	wait("the live grid", func(f string) bool {
		return strings.Contains(f, "live") && strings.Contains(f, u[0].Name) && strings.Contains(f, "a b i d status")
	})

	surname := strings.Fields(u[5].Name)[1]
	tm.Type("/" + strings.ToLower(surname))
	wait("the filter, applied as typed", func(f string) bool {
		return strings.Contains(f, "Filter: "+strings.ToLower(surname)) && strings.Contains(f, u[5].Name) &&
			!strings.Contains(f, " 60 match")
	})
	tm.Send(tea.KeyPressMsg{Code: tea.KeyEnter})
	wait("the kept filter", func(f string) bool { return strings.Contains(f, "filter “"+strings.ToLower(surname)+"”") })
	tm.Send(tea.KeyPressMsg{Code: tea.KeyEscape})
	wait("the filter cleared", func(f string) bool { return strings.Contains(f, "60 of 60 shown") })

	tm.Type("se")
	wait("sorted by extension", func(f string) bool { return strings.Contains(f, "EXT ▲") })
	tm.Type("se")
	wait("sorted by extension, reversed", func(f string) bool { return strings.Contains(f, "EXT ▼") })

	// Slow the server down so the pending mark is on screen for a while.
	d.e.SetFaults(emulator.Faults{Latency: 300 * time.Millisecond})
	tm.Type("d")
	wait("DND pending", func(f string) bool { return strings.Contains(f, "→ DND (saving…)") })
	wait("DND confirmed", func(f string) bool {
		return strings.Contains(f, "You  DND ") && !strings.Contains(f, "saving…")
	})
	me := d.e.Credentials().Receptionist.ExtensionID
	for _, x := range d.e.Truth().Extensions {
		if x.ID == me && x.Presence.DNDStatus != "DoNotAcceptAnyCalls" {
			t.Fatalf("the screen says DND, the emulator holds %s", x.Presence.DNDStatus)
		}
	}
	d.e.SetFaults(emulator.Faults{})
	tm.Type("q")
	tm.WaitFinished(t, teatest.WithFinalTimeout(5*time.Second))
}
