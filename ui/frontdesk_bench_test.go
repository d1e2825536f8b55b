package ui

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"

	"github.com/rchud/rchud/emulator"
	"github.com/rchud/rchud/state"
)

// BenchmarkCallTransferKeyToWireToDrawnFrame times a blind transfer over
// loopback to the emulator (2,000 people, simulated traffic, the HUD's
// model in-process): from the y that confirms it to the request arriving
// at the server (key-to-wire), and from there to the model drawing the
// frame that says it is done (wire-to-drawn: the server's work, the
// presence and telephony events, the mirror, the view and the model's
// render; the terminal's own flush is not in it). Each op answers a fresh
// call first (not timed).
func BenchmarkCallTransferKeyToWireToDrawnFrame(b *testing.B) {
	// Limits high enough for the loop, sent in the response headers as
	// RingCentral does, so the client paces itself by them.
	high := emulator.RateLimit{Limit: 100000, Window: time.Minute, Penalty: time.Minute}
	d := startDemoConfig(b, false, false, emulator.Config{Users: 2000, Queues: 3, Agents: 1, Seed: 7,
		RateLimits: map[emulator.Group]emulator.RateLimit{emulator.Light: high, emulator.Medium: high, emulator.Heavy: high, emulator.Auth: high}}, nil)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go d.m.Run(ctx)
	caller := state.NewCaller(ctx, d.m, state.NewCallControl(d.c, d.m), nil)
	defer caller.Close(time.Second)
	m := newModel(b, d.m, Options{Account: "bench", Profile: colorprofile.ANSI256, Caller: caller})
	h := testHUD(b, m, &fixture{m: d.m})
	h.update(tea.WindowSizeMsg{Width: 120, Height: 40})
	v := m.view.(*state.View)
	me := d.e.Credentials().Receptionist.ExtensionID
	myID, _ := strconv.ParseInt(me, 10, 64)
	colleagues := slices.DeleteFunc(d.users(), func(x emulator.TruthExtension) bool { return x.ID == me })
	// frame waits for the view's next frames until cond holds.
	frame := func(what string, cond func(f *state.Frame) bool) {
		deadline := time.NewTimer(10 * time.Second)
		defer deadline.Stop()
		for {
			if f := v.Latest(); cond(f) {
				h.update(FrameMsg{Frame: f})
				return
			}
			select {
			case f := <-v.Frames():
				if cond(f) {
					h.update(FrameMsg{Frame: f})
					return
				}
			case <-deadline.C:
				b.Fatalf("waiting for %s:\n%s", what, h.screen())
			}
		}
	}
	frame("call control", func(f *state.Frame) bool { return f.Desk.CallControl })
	var keyToWire, wireToDrawn []float64
	b.ResetTimer()
	for i := range b.N {
		b.StopTimer()
		ref, err := d.e.RingingCall(myID, emulator.CallerInfo{Number: "+14155550100", Name: "Bench Caller"}, emulator.RingOptions{MainLine: true})
		if err != nil {
			b.Fatal(err)
		}
		frame("the call ringing", func(f *state.Frame) bool {
			return slices.ContainsFunc(f.Desk.Calls, func(c state.MyCall) bool { return c.PartyID == ref.PartyID })
		})
		h.press("r")
		frame("the call answered", func(f *state.Frame) bool {
			return slices.ContainsFunc(f.Desk.Calls, func(c state.MyCall) bool { return c.PartyID == ref.PartyID && c.Status() == "CallConnected" })
		})
		// The next colleague by name, selected with a filter.
		who := colleagues[i%len(colleagues)]
		h.press("/")
		h.typeText(who.Name)
		h.press("enter", "t")
		if !strings.Contains(h.screen(), "Transfer ← Bench Caller") {
			b.Fatalf("no transfer question:\n%s", h.screen())
		}
		seen := len(d.e.Requests())
		b.StartTimer()
		pressed := time.Now()
		h.press("y")
		var arrived time.Time
		for arrived.IsZero() {
			reqs := d.e.Requests()
			for _, r := range reqs[seen:] {
				if r.Method == "POST" && strings.HasSuffix(r.Path, "/transfer") {
					arrived = r.Time
				}
			}
			if arrived.IsZero() {
				time.Sleep(50 * time.Microsecond)
			}
		}
		frame("the transfer done", func(f *state.Frame) bool {
			for _, a := range f.Desk.Others {
				if a.Call.Party == ref.PartyID && a.State == state.ActionDone {
					return true
				}
			}
			return false
		})
		if !strings.Contains(h.screen(), "✓ transferred to "+who.Name) {
			b.Fatalf("the screen does not say done:\n%s", h.screen())
		}
		drawn := time.Now()
		b.StopTimer()
		keyToWire = append(keyToWire, float64(arrived.Sub(pressed).Microseconds())/1000)
		wireToDrawn = append(wireToDrawn, float64(drawn.Sub(arrived).Microseconds())/1000)
		h.press("esc")
		// The colleague's phone would ring on; end the call for the next op.
		for _, s := range d.e.Telephony().Sessions {
			if s.ID == ref.TelephonySessionID {
				_ = d.c.Drop(ctx, s.ID)
			}
		}
		b.StartTimer()
	}
	b.StopTimer()
	slices.Sort(keyToWire)
	slices.Sort(wireToDrawn)
	p := func(xs []float64, q float64) float64 { return xs[min(len(xs)-1, int(q*float64(len(xs))))] }
	b.ReportMetric(p(keyToWire, 0.5), "key-to-wire-p50-ms")
	b.ReportMetric(p(keyToWire, 0.99), "key-to-wire-p99-ms")
	b.ReportMetric(p(wireToDrawn, 0.5), "wire-to-drawn-p50-ms")
	b.ReportMetric(p(wireToDrawn, 0.99), "wire-to-drawn-p99-ms")
	b.ReportMetric(0, "ns/op")
}
