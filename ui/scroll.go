package ui

import (
	"fmt"
	"strings"

	"charm.land/bubbles/v2/viewport"
)

// scroll is a pane that scrolls: bubbles' viewport over lines already
// fitted to the pane's width.
type scroll struct {
	vp viewport.Model
}

func newScroll() scroll {
	vp := viewport.New()
	vp.MouseWheelEnabled = false
	return scroll{vp: vp}
}

// view shows content in exactly w x h cells from the scrolled position; when
// more is below, the last line says how much and how to get there.
func (s *scroll) view(st *Styles, content []string, w, h int, hint string) []string {
	if w <= 0 || h <= 0 {
		return nil
	}
	s.vp.SetWidth(w)
	s.vp.SetHeight(h)
	s.vp.SetContentLines(content)
	lines := strings.Split(s.vp.View(), "\n")
	out := make([]string, 0, h)
	for _, l := range lines {
		out = append(out, fitLine(l, w))
	}
	if below := s.below(len(content), h); below > 0 && len(out) == h {
		note := fmt.Sprintf(" ↓ %d more %s", below, map[bool]string{true: "line", false: "lines"}[below == 1])
		if hint != "" {
			note += " · " + hint
		}
		out[h-1] = fitLine(st.Faint.wrap(note), w)
	}
	return padLines(out, w, h)
}

// below is how many lines of n are under a view h lines high.
func (s *scroll) below(n, h int) int { return max(0, n-s.vp.YOffset()-h) }

// by scrolls by n lines (negative: up).
func (s *scroll) by(n int) {
	if n < 0 {
		s.vp.ScrollUp(-n)
	} else {
		s.vp.ScrollDown(n)
	}
}

// page scrolls by n screens.
func (s *scroll) page(n int) { s.by(n * max(1, s.vp.Height()-1)) }

func (s *scroll) top()    { s.vp.GotoTop() }
func (s *scroll) bottom() { s.vp.GotoBottom() }

// canScroll reports whether the last view had more than it could show.
func (s *scroll) canScroll() bool {
	return s.vp.TotalLineCount() > s.vp.Height()
}
