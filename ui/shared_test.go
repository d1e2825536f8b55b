package ui

import (
	"fmt"
	"strings"
	"testing"

	"github.com/charmbracelet/colorprofile"
)

// A screen that finds its lines parsed by another (rchud serve) sends the
// terminal exactly the bytes it would have sent parsing them itself:
// styled text, wide and combining characters, lines longer and shorter
// than the screen, lines that come back after a while.
func TestSharedScreensDrawWhatEachWouldAlone(t *testing.T) {
	r := testRand(t)
	const w, h = 40, 6
	env := []string{"TERM=xterm-256color"}
	open := func(sh *Shared) (*Screen, *syncBuf) {
		out := &syncBuf{}
		s := NewScreen(out, env, colorprofile.ANSI256, false, 0)
		t.Cleanup(s.Close)
		if sh != nil {
			s.Share(sh)
		}
		s.Resize(w, h)
		s.Start()
		out.take()
		return s, out
	}
	sh := NewShared()
	alone, aloneOut := open(nil)
	first, _ := open(sh) // parses first: the one below finds its lines
	second, secondOut := open(sh)

	words := []string{"Ann", "Zoë", "日本語", "e\u0301", "🙂", "On call", "Available", "  ", "1:02", "—"}
	sgr := []string{"", "\x1b[1m", "\x1b[2m", "\x1b[7m", "\x1b[38;5;40m", "\x1b[48;5;196;38;5;16m", "\x1b[0m", "\x1b[4m"}
	pool := make([]string, 30) // lines repeat, as rows do
	for i := range pool {
		var b strings.Builder
		for b.Len() < r.IntN(120) {
			b.WriteString(sgr[r.IntN(len(sgr))] + words[r.IntN(len(words))] + " ")
		}
		pool[i] = b.String() + "\x1b[m"
	}
	hits := 0
	for frame := range 200 {
		lines := make([]string, h)
		for y := range lines {
			lines[y] = pool[r.IntN(len(pool))]
		}
		if frame%7 == 0 { // a line no screen has drawn at this width
			lines[r.IntN(h)] = fmt.Sprintf("\x1b[1mframe %d\x1b[m", frame)
		}
		alone.draw(lines)
		first.draw(lines)
		before := len(sh.cells.cur) + len(sh.cells.prev)
		second.draw(lines)
		if len(sh.cells.cur)+len(sh.cells.prev) == before {
			hits++
		}
		if got, want := secondOut.take(), aloneOut.take(); got != want {
			t.Fatalf("frame %d: shared screen sent %q, alone %q", frame, got, want)
		}
	}
	if hits == 0 {
		t.Fatal("the second screen never found a line the first had parsed")
	}
}

// Viewers sharing rows see exactly what they would alone, whatever the
// others show at the same width: another sort, grouping (a layout with
// the queue column), selection, filter.
func TestSharedRowsDrawWhatEachViewerWouldAlone(t *testing.T) {
	f := newFixture(t, testPeople, true)
	sh := NewShared()
	alone := newHUDWith(t, f, Options{}, 100, 20)
	other := newHUDWith(t, f, Options{Shared: sh}, 100, 20)
	shared := newHUDWith(t, f, Options{Shared: sh}, 100, 20)
	huds := []*hud{alone, other, shared}
	publish := func() {
		f.m.Publish()
		for _, h := range huds {
			h.update(FrameMsg{Frame: h.m.view.Latest()})
		}
	}
	check := func(step string) {
		t.Helper()
		other.m.RenderLines() // draws first: the shared viewer may find its rows
		got, want := shared.m.RenderLines(), alone.m.RenderLines()
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Fatalf("%s: shared viewer drew\n%s\nalone\n%s", step, strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
	}
	both := func(keys ...string) {
		alone.press(keys...)
		shared.press(keys...)
	}
	other.press("g")       // the other viewer groups by queue: same width, another layout
	check("other grouped") // the shared viewer's first rows: all from the other's, or drawn
	for i := range 4 {
		both("g")
		check(fmt.Sprintf("grouping %d", i))
		other.press("g", "j")
		check(fmt.Sprintf("other moved %d", i))
	}
	both("j", "j")
	check("selection")
	f.event(t, testPeople[1].id, `{"presenceStatus":"Busy","telephonyStatus":"Ringing","sequence":99}`)
	publish()
	check("a change")
	f.clock.Advance(3e9)
	publish()
	check("later")
	both("/")
	for _, k := range []string{"a", "n"} {
		both(k)
	}
	check("filter")
	if len(sh.rows.cur) == 0 {
		t.Fatal("no row was shared")
	}
}
