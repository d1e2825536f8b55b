package ui

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/rchud/rchud/state"
)

// The queue board (one line of every queue's waiting callers, which a
// supervisor leaves on screen), the backlog in the queue group headers and
// the p pane, and the pane of parked calls.

// backlogOf finds queue q's backlog in the frame (nil: none known).
func (m *Model) backlogOf(q state.ID) *state.Backlog {
	d := m.frame.Desk
	if d == nil {
		return nil
	}
	for i := range d.Backlogs {
		if b := &d.Backlogs[i]; b.Queue == q && b.Known {
			return b
		}
	}
	return nil
}

// backlogsKnown reports whether the frame knows the queues' backlogs.
func (m *Model) backlogsKnown() bool {
	d := m.frame.Desk
	return d != nil && len(d.Backlogs) > 0 && d.Backlogs[0].Known
}

// longestWait is how long the first caller of b has waited (0: none).
func longestWait(b *state.Backlog, now time.Time) time.Duration {
	if b.WaitingNow == 0 || len(b.Waiting) == 0 {
		return 0
	}
	return now.Sub(b.Waiting[0].Since)
}

// waitLevel is how loud a queue's wait is: past the wait alarm amber (1),
// twice that red (2), like FOP2's queue alarm.
func (m *Model) waitLevel(b *state.Backlog, now time.Time) int {
	d, limit := longestWait(b, now), m.opts.WaitAlarm
	switch {
	case b.WaitingNow == 0 || d < limit:
		return 0
	case d < 2*limit:
		return 1
	}
	return 2
}

// waitingText tells a queue's waiting callers: "3 waiting 2:14", painted
// by the alarm; "none waiting" when none.
func (m *Model) waitingText(b *state.Backlog, now time.Time) string {
	if b.WaitingNow == 0 {
		return "none waiting"
	}
	s := fmt.Sprintf("%d waiting %s", b.WaitingNow, state.FormatDuration(longestWait(b, now)))
	if lvl := m.waitLevel(b, now); lvl > 0 {
		return m.c.Styles.alarm[lvl].wrap(s)
	}
	return s
}

// countsSince tells answered and abandoned calls and since when they are
// counted (a lower bound after a gap).
func countsSince(b *state.Backlog, answered, abandoned int, now time.Time) string {
	s := fmt.Sprintf("%d answered · %d abandoned", answered, abandoned)
	if b.LowerBound {
		s = fmt.Sprintf("≥%d answered · ≥%d abandoned", answered, abandoned)
	}
	if !b.CountingSince.IsZero() {
		s += " since " + b.CountingSince.In(now.Location()).Format("15:04")
	}
	return s
}

// boardHeight is the queue board's lines: one while it is on and the
// backlogs are known.
func (m *Model) boardHeight() int {
	if !m.board || m.help || !m.backlogsKnown() || m.c.Height-headerHeight-1-m.stripHeight() < 8 {
		return 0
	}
	return 1
}

// queueBoard is one line: every queue with callers waiting, the longest
// wait first, then today's totals.
func (m *Model) queueBoard(w int) string {
	st := m.c.Styles
	now := m.c.Now()
	d := m.frame.Desk
	// The backlogs are rebuilt at most twice a second and the line shows
	// whole seconds: drawn again only when either changed (or the width,
	// the palette). Twenty queues make a long line to cut.
	k := boardKey{w: w, st: st, sec: now.Unix(), n: len(d.Backlogs)}
	if len(d.Backlogs) > 0 {
		k.first = &d.Backlogs[0]
	}
	return m.boardLine.get(k, func() string { return m.drawQueueBoard(d, st, now, w) })
}

// boardKey is what the queue board's line depends on: the backlogs (a
// new list when the mirror rebuilt them), the second, width and palette.
type boardKey struct {
	first *state.Backlog
	n     int
	sec   int64
	w     int
	st    *Styles
}

func (m *Model) drawQueueBoard(d *state.Desk, st *Styles, now time.Time, w int) string {
	bs := slices.Clone(d.Backlogs)
	slices.SortStableFunc(bs, func(a, b state.Backlog) int {
		return cmp.Compare(longestWait(&b, now), longestWait(&a, now))
	})
	answered, abandoned, waiting := 0, 0, 0
	var parts []string
	for i := range bs {
		b := &bs[i]
		answered += b.Answered
		abandoned += b.Abandoned
		waiting += b.WaitingNow
		if b.WaitingNow > 0 {
			parts = append(parts, b.Name+" "+m.waitingText(b, now))
		}
	}
	left := st.Bold.wrap(" Queues ")
	if waiting == 0 {
		left += "no one waiting"
	} else {
		left += strings.Join(parts, " · ")
	}
	right := st.Faint.wrap(countsSince(&bs[0], answered, abandoned, now)) + " "
	if !fits(left, right, w) {
		return fitLine(left, w)
	}
	return spread(left, right, w)
}

// parkedPane lists the parked calls: orbit, caller, who parked it, for
// how long; u picks the selected one up.
type parkedPane struct{ sel int }

func (p *parkedPane) move(n, count int) {
	p.sel = min(max(0, p.sel+n), max(0, count-1))
}

// selectedParked is the parked call under the cursor.
func (m *Model) selectedParked() (state.ParkedCall, bool) {
	d := m.frame.Desk
	if d == nil || m.parked.sel >= len(d.Parked) {
		return state.ParkedCall{}, false
	}
	return d.Parked[m.parked.sel], true
}

// renderParked draws the pane of parked calls in exactly w x h cells.
func (m *Model) renderParked(w, h int, titled bool) []string {
	st := m.c.Styles
	now := m.c.Now()
	var lines []string
	add := func(s string) { lines = append(lines, fitLine(s, w)) }
	if !titled {
		add(st.Bold.wrap(" Parked calls"))
	}
	d := m.frame.Desk
	if d == nil || len(d.Parked) == 0 {
		add(st.Faint.wrap(" No call is parked."))
		if d != nil && d.BacklogWhy != "" {
			add(st.Faint.wrap(" Only calls you parked show here;"))
			add(st.Faint.wrap(" " + d.BacklogWhy + "."))
		}
		return padLines(lines, w, h)
	}
	m.parked.move(0, len(d.Parked))
	start := max(0, m.parked.sel-(h-len(lines))+1)
	for i := start; i < len(d.Parked); i++ {
		pc := &d.Parked[i]
		caller := pc.Caller
		if caller == "" {
			caller = pc.CallerNumber
		} else if pc.CallerNumber != "" {
			caller += " " + pc.CallerNumber
		}
		orbit := pc.Orbit
		if pc.Location != "" {
			orbit = pc.LocationName
		}
		line := fmt.Sprintf("  %-6s %s · by %s · %s", orbit, caller, orName(pc.ParkedByName), state.FormatDuration(now.Sub(pc.Since)))
		if i == m.parked.sel {
			line = st.row[rowSelected].wrap(fit("›"+line[1:], w))
		}
		add(line)
	}
	return padLines(lines, w, h)
}

// groupBacklog is a queue group's waiting callers, for its header ("" when
// not a queue, or not known).
func (m *Model) groupBacklog(g *state.Heading) string {
	if !g.Queue {
		return ""
	}
	b := m.backlogOf(g.Key)
	if b == nil {
		return ""
	}
	return m.waitingText(b, m.c.Now())
}

// queueBacklogText is queue q's waiting callers and its counts, for the
// p pane ("" when not known).
func (m *Model) queueBacklogText(q state.ID) (waiting, counts string) {
	b := m.backlogOf(q)
	if b == nil {
		return "", ""
	}
	now := m.c.Now()
	return m.waitingText(b, now), countsSince(b, b.Answered, b.Abandoned, now)
}
