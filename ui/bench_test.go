package ui

import (
	"context"
	"fmt"
	"math/rand/v2"
	"regexp"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"

	"github.com/rchud/rchud/emulator"
	"github.com/rchud/rchud/rc"
	"github.com/rchud/rchud/state"
)

// bigMirror is a loaded, live mirror of n users: a third on calls, some
// busy with a message, in 20 queues.
func bigMirror(b testing.TB, n int, now func() time.Time) *state.Mirror {
	return bigMirrorWith(b, n, now, true)
}

// bigMirrorWith is bigMirror; without calls no running time is on screen,
// so nothing moves but what a test changes.
func bigMirrorWith(b testing.TB, n int, now func() time.Time, calls bool) *state.Mirror {
	m := state.NewMirror(now)
	r := rand.New(rand.NewPCG(1, uint64(n)))
	first := []string{"Ann", "Ben", "Maria", "Omar", "Li", "Zoe", "Kwame", "Åsa", "Nuño", "Priya"}
	last := []string{"Lee", "Khan", "García", "Adams", "Wei", "Baker", "Mensah", "Bennett", "Davis", "Iyer"}
	exts := make([]rc.Extension, n)
	recs := make([]rc.Presence, n)
	statuses := []string{"Available", "Available", "Busy", "Offline"}
	tels := []string{"NoCall", "NoCall", "CallConnected", "Ringing", "OnHold"}
	start := time.Date(2026, 5, 4, 8, 50, 0, 0, time.UTC)
	for i := range exts {
		x := &exts[i]
		x.ID = rc.ID(strconv.Itoa(i + 1))
		x.ExtensionNumber = strconv.Itoa(1000 + i)
		x.Name = first[r.IntN(len(first))] + " " + last[r.IntN(len(last))] + " " + strconv.Itoa(i)
		x.Type = state.TypeUser
		x.Contact.Department = last[i%len(last)] + " dept"
		st, tel := statuses[r.IntN(len(statuses))], tels[r.IntN(len(tels))]
		if !calls {
			tel = "NoCall"
		}
		msg := ""
		if st == "Busy" {
			msg = "In a meeting until 3"
		}
		p := rc.Presence{ExtensionID: x.ID, UserStatus: &st, TelephonyStatus: &tel, Message: &msg}
		if tel != "NoCall" {
			p.ActiveCalls = []rc.ActiveCall{{ID: "c" + string(x.ID), Direction: "Inbound", From: "+14155550100",
				FromName: "Acme Corp", TelephonyStatus: tel, StartTime: rc.Time{Time: start}, QueueCall: i%2 == 0}}
		}
		recs[i] = p
	}
	m.AddExtensions(exts)
	var queues []state.Queue
	for q := range 20 {
		var members []state.ID
		for i := q; i < n; i += 20 {
			members = append(members, state.ID(exts[i].ID))
		}
		queues = append(queues, state.Queue{ID: state.ID(fmt.Sprint("q", q)), Name: fmt.Sprint("Queue ", q), Members: members,
			EditableMemberStatus: true})
	}
	m.SetQueues(queues)
	m.SetMe("1", true)
	m.StartResync("first load")
	m.ApplySnapshot(recs, true)
	m.FinishResync(true)
	m.SetLink(rc.Link{State: rc.LinkLive})
	m.Publish()
	return m
}

// BenchmarkView draws the HUD at 200x50 over 1k, 10k and 100k extensions:
// View reads only the frame's lines on screen, so it must not grow with
// the directory.
func BenchmarkView(b *testing.B) {
	now := func() time.Time { return time.Date(2026, 5, 4, 9, 0, 0, 0, time.UTC) }
	for _, n := range []int{1000, 10000, 100000} {
		h := benchHUD(b, bigMirror(b, n, now), now)
		for _, c := range []struct {
			name string
			keys []string
		}{{"grid", nil}, {"by-queue+detail", []string{"g", "enter"}}} {
			for _, k := range c.keys {
				h.press(k)
			}
			b.Run(fmt.Sprintf("n=%d/%s", n, c.name), func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					_ = h.m.View()
				}
			})
		}
	}
}

// benchHUD is a model at 200x50 over mirror whose commands run at once.
func benchHUD(b *testing.B, mirror *state.Mirror, now func() time.Time) *hud {
	m := newModel(b, mirror, Options{Account: "bench", Profile: colorprofile.TrueColor, Now: now})
	m.timer = func(time.Duration, func(time.Time) tea.Msg) tea.Cmd { return nil }
	m.SetWriter(&fakeWriter{})
	h := testHUD(b, m, &fixture{m: mirror})
	h.update(tea.WindowSizeMsg{Width: 200, Height: 50})
	return h
}

// BenchmarkChangeToView is the state and UI part of one presence change
// reaching the screen, at 1k, 10k and 100k extensions: the notification
// applied to the mirror, the publish (the view's ordered index updated
// incrementally, its frame built), the model taking the frame and drawing
// it. "on-screen" changes a row on screen (a frame always follows);
// "anywhere" changes anyone (a frame follows only when the screen changes,
// the header counts included). Network decoding and the terminal renderer
// are not in it (BenchmarkNotificationToFrame and the e2e benchmarks
// measure those).
//
// "on-screen" fails when it misses issue 9's goals: 0.3 ms at 10k, 1 ms at
// 100k and no more than twice 1k's (checked from 100 changes on, so that a
// single timed change, -benchtime 1x, does not decide).
func BenchmarkChangeToView(b *testing.B) {
	goals := map[int]time.Duration{10000: 300 * time.Microsecond, 100000: time.Millisecond}
	var perChange1k time.Duration
	c := &clock{t: time.Date(2026, 5, 4, 9, 0, 0, 0, time.UTC)}
	for _, n := range []int{1000, 10000, 100000} {
		mirror := bigMirror(b, n, c.Now)
		h := benchHUD(b, mirror, c.Now)
		all := mirror.Project(state.Query{Sort: state.ColName}).Groups[0].IDs
		var onScreen []state.ID
		for _, l := range h.m.frame.Visible() {
			onScreen = append(onScreen, l.Entry.ID)
		}
		statuses := []string{"Available", "Busy", "Offline"}
		var seq int64 = 1000
		for _, c2 := range []struct {
			name string
			ids  []state.ID
		}{{"on-screen", onScreen}, {"anywhere", all}} {
			b.Run(fmt.Sprintf("%s/n=%d", c2.name, n), func(b *testing.B) {
				b.ReportAllocs()
				i := 0
				for b.Loop() {
					id := c2.ids[i%len(c2.ids)]
					i++
					seq++
					st := statuses[i%len(statuses)]
					mirror.ApplyEvent(&rc.Presence{ExtensionID: rc.ID(id), Sequence: &seq, UserStatus: &st}, c.Now(), true)
					mirror.Publish()
					select {
					case f := <-h.m.view.Frames():
						h.m.Update(FrameMsg{Frame: f})
						_ = h.m.View()
					default:
					}
				}
				if c2.name != "on-screen" || b.N < 100 {
					return
				}
				per := b.Elapsed() / time.Duration(b.N)
				if n == 1000 {
					perChange1k = per
				}
				if goal, ok := goals[n]; ok && per > goal {
					b.Fatalf("a change on screen took %v to its frame at %d extensions: the goal is %v", per, n, goal)
				}
				if n == 100000 && perChange1k > 0 && per > 2*perChange1k {
					b.Fatalf("a change on screen took %v at 100k, more than twice 1k's %v", per, perChange1k)
				}
			})
		}
	}
}

// BenchmarkFrameToLines is the UI's part of one change on screen, at 10k
// extensions and 200x50: the model taking a frame in which one row on
// screen changed (FrameMsg) and drawing its lines (RenderLines: what the
// HUD hands its Screen; View's joining them is not on that path). The
// clock moves 50 ms a frame, as at 20 frames a second, so the rows with a
// running time are drawn again once a second. The frames are built
// beforehand (state's part is in BenchmarkChangeToView), and given again
// under new numbers.
func BenchmarkFrameToLines(b *testing.B) {
	base := time.Date(2026, 5, 4, 9, 0, 0, 0, time.UTC)
	c := &clock{t: base}
	mirror := bigMirror(b, 10000, c.Now)
	h := benchHUD(b, mirror, c.Now)
	var onScreen []state.ID
	for _, l := range h.m.frame.Visible() {
		onScreen = append(onScreen, l.Entry.ID)
	}
	c.Advance(10 * time.Millisecond) // after the load, so a change is marked
	statuses := []string{"Available", "Busy", "Offline"}
	var seq int64 = 1000
	var frames []*state.Frame
	for i := range 64 {
		seq++
		st := statuses[i%len(statuses)]
		mirror.ApplyEvent(&rc.Presence{ExtensionID: rc.ID(onScreen[i%len(onScreen)]), Sequence: &seq, UserStatus: &st}, c.Now(), true)
		mirror.Publish()
		select {
		case f := <-h.m.view.Frames():
			frames = append(frames, f)
		default:
			b.Fatalf("change %d on screen made no frame", i)
		}
	}
	// Two frames to give in turn: the model holds the one given last.
	var given [2]state.Frame
	n := frames[len(frames)-1].Seq
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		f := &given[i%2]
		*f = *frames[i%len(frames)]
		n++
		f.Seq = n
		c.mu.Lock()
		c.t = base.Add(time.Duration(i%40) * 50 * time.Millisecond) // two seconds, again and again
		c.mu.Unlock()
		h.m.Update(FrameMsg{Frame: f})
		_ = h.m.RenderLines()
		i++
	}
}

var debugFrames = false

// frameWriter is a terminal that records each frame the renderer writes
// (one Write a frame) with its time.
type frameWriter struct {
	frames chan frame
}

type frame struct {
	n  int
	at time.Time
}

func (w *frameWriter) Write(p []byte) (int, error) {
	if debugFrames {
		fmt.Printf("FRAME %d %q\n", len(p), p)
	}
	w.frames <- frame{len(p), time.Now()}
	return len(p), nil
}

// next waits for the next frame.
func (w *frameWriter) next(b *testing.B) frame {
	select {
	case f := <-w.frames:
		return f
	case <-time.After(5 * time.Second):
		b.Fatalf("no frame within 5 s")
	}
	return frame{}
}

// settle drains frames until none comes for a while.
func (w *frameWriter) settle() {
	for {
		select {
		case <-w.frames:
		case <-time.After(100 * time.Millisecond):
			return
		}
	}
}

// BenchmarkBadgeChangeBytes drives a real program at 120x40 over 1,000
// extensions and counts the bytes written to the terminal for one
// extension's availability changing on screen: the frame that shows it
// (its badge, its status, its one-cell "just changed" mark, the counts in
// the header) and the frame that clears the mark, in 256 colours and in
// truecolor. No call is on screen, so no running time adds its own bytes.
func BenchmarkBadgeChangeBytes(b *testing.B) {
	for _, profile := range []colorprofile.Profile{colorprofile.ANSI256, colorprofile.TrueColor} {
		b.Run(profile.String(), func(b *testing.B) {
			c := &clock{t: time.Date(2026, 5, 4, 9, 0, 0, 0, time.UTC)}
			mirror := bigMirrorWith(b, 1000, c.Now, false) // nothing else moves on screen
			out := &frameWriter{frames: make(chan frame, 1024)}
			m := newModel(b, mirror, Options{Account: "bench", Profile: profile, Now: c.Now})
			// As the HUD draws: on a Screen, which writes each frame at once.
			screen := NewScreen(out, []string{"TERM=xterm-256color"}, profile, false, 0)
			defer screen.Close()
			p := Program(m, screen, tea.WithInput(nil), tea.WithOutput(screen.Output()), tea.WithWindowSize(120, 40),
				tea.WithColorProfile(profile), tea.WithoutSignals())
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan struct{})
			go func() {
				defer close(done)
				_, _ = p.Run()
			}()
			go mirror.Run(ctx)
			go Pump(ctx, m.view, p.Send)
			out.next(b)
			out.settle()
			// One person on screen changes again and again: no other row
			// gets a running time in state that would add its own bytes.
			id := mirror.Project(state.Query{Sort: state.ColName}).Groups[0].IDs[5]
			var seq int64 = 100
			change, clear := 0, 0
			b.ResetTimer()
			for range b.N {
				e, _ := mirror.Get(id)
				st := "Busy"
				if e.UserStatus == "Busy" {
					st = "Available"
				}
				seq++
				tel := "NoCall"
				mirror.ApplyEvent(&rc.Presence{ExtensionID: rc.ID(id), Sequence: &seq, UserStatus: &st, TelephonyStatus: &tel,
					ActiveCalls: []rc.ActiveCall{}}, c.Now(), true)
				change += out.next(b).n
				b.StopTimer()
				out.settle()
				c.Advance(highlightFor + time.Millisecond) // the mark is over
				b.StartTimer()
				p.Send(tickMsg{})
				clear += out.next(b).n
				b.StopTimer()
				out.settle()
				b.StartTimer()
			}
			b.StopTimer()
			b.ReportMetric(float64(change)/float64(b.N), "change-bytes")
			b.ReportMetric(float64(clear)/float64(b.N), "clear-bytes")
			b.ReportMetric(float64(change+clear)/float64(b.N), "bytes/change")
			if per := float64(change+clear) / float64(b.N); per > 150 {
				b.Fatalf("%.1f bytes for one badge change and its clearing: the goal is 150", per)
			}
			cancel()
			p.Quit()
			<-done
		})
	}
}

// latencyModel stamps when each event's token first shows in a frame.
type latencyModel struct {
	*Model
	mu   sync.Mutex
	seen map[string]time.Time
}

var tokenRE = regexp.MustCompile(`ev\d{7}`)

func (l *latencyModel) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	_, cmd := l.Model.Update(msg)
	return l, cmd
}

func (l *latencyModel) View() tea.View {
	v := l.Model.View()
	now := time.Now()
	l.mu.Lock()
	for _, tok := range tokenRE.FindAllString(v.Content, -1) {
		if _, ok := l.seen[tok]; !ok {
			l.seen[tok] = now
		}
	}
	l.mu.Unlock()
	return v
}

// BenchmarkNotificationToFrame sends 1,000 presence changes a second
// through the whole path (emulator → WebSocket → rc → state → pump →
// model → renderer) to the 30 extensions on screen, each carrying a token
// in its status message, and reports how long each took to be written in
// a frame. Changes overtaken before a frame (latest state wins) are not
// timed; their share is reported.
func BenchmarkNotificationToFrame(b *testing.B) {
	d := startDemo(b, false, false, 1000)
	out := &frameWriter{frames: make(chan frame, 1<<16)}
	lm := &latencyModel{Model: newModel(b, d.m, Options{Account: "bench", Profile: colorprofile.ANSI256}), seen: map[string]time.Time{}}
	p := tea.NewProgram(lm, tea.WithInput(nil), tea.WithOutput(out), tea.WithWindowSize(200, 50),
		tea.WithColorProfile(colorprofile.ANSI256), tea.WithoutSignals())
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_, _ = p.Run()
	}()
	go d.m.Run(ctx)
	go Pump(ctx, lm.view, p.Send)
	var frames []time.Time
	var fmu sync.Mutex
	go func() {
		for f := range out.frames {
			fmu.Lock()
			frames = append(frames, f.at)
			fmu.Unlock()
		}
	}()
	proj := d.m.Project(state.Query{Sort: state.ColName})
	visible := proj.Groups[0].IDs[:30]
	sent := make([]time.Time, b.N)
	b.ResetTimer()
	start := time.Now()
	for i := range b.N {
		if wait := time.Until(start.Add(time.Duration(i) * time.Millisecond)); wait > 0 {
			time.Sleep(wait)
		}
		id, _ := strconv.ParseInt(string(visible[i%len(visible)]), 10, 64)
		msg := fmt.Sprintf("ev%07d", i)
		sent[i] = time.Now()
		if err := d.e.SetPresence(id, emulator.PresenceUpdate{Message: &msg}); err != nil {
			b.Fatal(err)
		}
	}
	rate := float64(b.N) / time.Since(start).Seconds()
	// The last changes need a moment to arrive.
	deadline := time.Now().Add(3 * time.Second)
	last := fmt.Sprintf("ev%07d", b.N-1)
	for time.Now().Before(deadline) {
		lm.mu.Lock()
		_, ok := lm.seen[last]
		lm.mu.Unlock()
		if ok {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	time.Sleep(50 * time.Millisecond) // the frame after the last view
	b.StopTimer()
	cancel()
	p.Quit()
	<-done
	fmu.Lock()
	defer fmu.Unlock()
	lm.mu.Lock()
	defer lm.mu.Unlock()
	var lat []time.Duration
	for i := range b.N {
		v, ok := lm.seen[fmt.Sprintf("ev%07d", i)]
		if !ok {
			continue
		}
		k, _ := slices.BinarySearchFunc(frames, v, func(a, t time.Time) int { return a.Compare(t) })
		if k == len(frames) {
			continue
		}
		lat = append(lat, frames[k].Sub(sent[i]))
	}
	if len(lat) == 0 {
		b.Fatalf("no change reached the screen")
	}
	slices.Sort(lat)
	pct := func(q float64) float64 { return float64(lat[min(len(lat)-1, int(q*float64(len(lat))))]) / 1e6 }
	b.ReportMetric(pct(0.5), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
	b.ReportMetric(float64(lat[len(lat)-1])/1e6, "max-ms")
	b.ReportMetric(100*float64(len(lat))/float64(b.N), "%shown")
	b.ReportMetric(rate, "events/s")
	b.ReportMetric(float64(len(frames))/time.Since(start).Seconds(), "frames/s")
}
