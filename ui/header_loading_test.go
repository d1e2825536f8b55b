package ui

import (
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"
	"github.com/rchud/rchud/state"
)

// TestHeaderSaysWhatIsStillLoading (issue 12): once the rows on screen
// are in, the header reads live and says what is still loading and how
// long RingCentral's rate makes it take; before, it says it is loading.
func TestHeaderSaysWhatIsStillLoading(t *testing.T) {
	now := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	presence := func(done, total int, left time.Duration) state.Progress {
		p := state.Progress{What: "presence", Done: done, Total: total}
		if left > 0 {
			p.Until = now.Add(left)
		}
		return p
	}
	for _, c := range []struct {
		h    state.Health
		want string
	}{
		{state.Health{Conn: state.ConnLive, Loading: []state.Progress{presence(31, 10000, 0)}}, "loading presence…"},
		{state.Health{Conn: state.ConnLive, ScreenLoaded: true, Loading: []state.Progress{presence(2310, 10000, 5*time.Minute+10*time.Second)}},
			"live · presence: 2,310 of 10,000 · about 5 min left at RingCentral's rate"},
		{state.Health{Conn: state.ConnLive, ScreenLoaded: true, Loading: []state.Progress{presence(9000, 10000, 42*time.Second)}},
			"live · presence: 9,000 of 10,000 · about 50 s left at RingCentral's rate"}, // rounded up: never more hopeful
		{state.Health{Conn: state.ConnLive, ScreenLoaded: true, Loading: []state.Progress{presence(9990, 10000, 2*time.Second)}},
			"live · presence: 9,990 of 10,000"},
		{state.Health{Conn: state.ConnLive, ScreenLoaded: true, Loading: []state.Progress{
			{What: "directory", Done: 35000, Total: 100000, Until: now.Add(2 * time.Minute)}, presence(30, 35000, 4*time.Minute)}},
			"live · directory: 35,000 of 100,000 · presence: 30 of 35,000 · about 4 min left at RingCentral's rate"},
		{state.Health{Conn: state.ConnLive, ScreenLoaded: true, Loaded: true}, "live"},
		{state.Health{Conn: state.ConnLive, Loaded: true}, "live"},
	} {
		if got := connText(c.h, true, now); got != c.want {
			t.Errorf("%+v:\n got %q\nwant %q", c.h, got, c.want)
		}
	}
}

// TestHeaderLoadingWordsFitANarrowTerminal: at 80 columns the header still
// says how far the load is and how long it has left, shorter, not cut.
func TestHeaderLoadingWordsFitANarrowTerminal(t *testing.T) {
	f := newFixture(t, testPeople, false)
	f.m.SetPresenceDue(f.clock.Now().Add(8 * time.Minute))
	for _, c := range []struct {
		w    int
		want string
	}{
		{120, "live · presence: 139 of 10,000 · about 8 min left at RingCentral's rate "},
		{80, "live · presence: 139 of 10,000 · about 8 min left "},
		{60, "live · presence 139/10,000 · ~8 min "},
	} {
		h := newHUDWith(t, f, Options{}, c.w, 24)
		h.m.frame.Health.Conn, h.m.frame.Health.ScreenLoaded = state.ConnLive, true
		h.m.frame.Health.Loading = []state.Progress{{What: "presence", Done: 139, Total: 10000, Until: f.clock.Now().Add(8 * time.Minute)}}
		h.m.frame.Health.LastEvent = f.clock.Now()
		line := h.m.titleLine(c.w)
		if !strings.HasSuffix(ansi.Strip(line), c.want) {
			t.Errorf("%d columns: %q, want it to say %q whole", c.w, line, c.want)
		}
	}
}
