package ui

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/charmbracelet/x/ansi"

	"github.com/rchud/rchud/state"
)

// Columns.

type colID int

const (
	colName colID = iota
	colExt
	colState
	colInQueue
	colSince
	colCall
	colStatus
	colDND
	colPhone
	colDept
)

// colSpec is a grid column: its sort key and letter, its widths, and its
// priority (lower stays longer as the terminal narrows).
type colSpec struct {
	id        colID
	title     string
	sort      state.Column
	letter    string // in the sort chooser; "" when it cannot sort
	min, pref int
	flex      int // share of the width left after every column has its pref
	prio      int
}

var columns = []colSpec{
	{colName, "NAME", state.ColName, "n", 18, 20, 2, 0},
	{colExt, "EXT", state.ColNumber, "e", 4, 5, 0, 1},
	{colState, "STATE", state.ColAvailability, "a", BadgeWidth, BadgeWidth, 0, 0},
	{colInQueue, "IN QUEUE", 0, "", 8, 8, 0, 1},
	{colSince, "FOR", state.ColSince, "f", 6, 6, 0, 2},
	{colCall, "CALL", state.ColCall, "c", 16, 30, 1, 3},
	{colStatus, "STATUS", state.ColStatus, "u", 12, 30, 2, 4},
	{colDND, "DND", state.ColDND, "d", 9, 14, 0, 5},
	{colPhone, "PHONE", state.ColTelephony, "t", 9, 9, 0, 6},
	{colDept, "DEPT", state.ColDepartment, "p", 8, 16, 0, 7},
}

// sortColumns are the sortable columns in chooser order.
func sortColumns() []*colSpec {
	var out []*colSpec
	for i := range columns {
		if columns[i].letter != "" {
			out = append(out, &columns[i])
		}
	}
	return out
}

func sortLetters() []string {
	var out []string
	for _, c := range sortColumns() {
		out = append(out, c.letter)
	}
	return out
}

func columnBySort(s state.Column) *colSpec {
	for _, c := range sortColumns() {
		if c.sort == s {
			return c
		}
	}
	return &columns[0]
}

// gutter is the two cells left of every row: the selection mark and the
// changed (*) or stale (~) mark, which read even without colour.
const gutter = 2

type placed struct {
	spec *colSpec
	x, w int
}

// layout is the columns placed for one width.
type layout struct {
	width   int
	inQueue bool
	cols    []placed
}

// newLayout places columns by priority: each is taken when its minimum
// fits, then they grow to their preferred width by priority, and what is
// left goes to the flexible ones. Name and state never drop.
func newLayout(width int, inQueue bool) layout {
	lay := layout{width: width, inQueue: inQueue}
	specs := make([]*colSpec, 0, len(columns))
	for i := range columns {
		if columns[i].id != colInQueue || inQueue {
			specs = append(specs, &columns[i])
		}
	}
	byPrio := slices.Clone(specs)
	slices.SortStableFunc(byPrio, func(a, b *colSpec) int { return a.prio - b.prio })
	avail := width - gutter
	widths := map[colID]int{}
	used := 0 // with the spaces between columns
	for _, s := range byPrio {
		sep := min(1, len(widths))
		w := s.min
		if used+sep+w > avail {
			if s.prio != 0 {
				continue
			}
			w = max(1, avail-used-sep) // name and state shrink rather than drop
		}
		widths[s.id] = w
		used += sep + w
	}
	extra := avail - used
	for _, s := range byPrio {
		if w, ok := widths[s.id]; ok && extra > 0 && w < s.pref {
			g := min(extra, s.pref-w)
			widths[s.id] += g
			extra -= g
		}
	}
	flex := 0
	for _, s := range specs {
		if _, ok := widths[s.id]; ok {
			flex += s.flex
		}
	}
	if flex > 0 && extra > 0 {
		left := extra
		for _, s := range specs {
			if _, ok := widths[s.id]; ok && s.flex > 0 {
				g := extra * s.flex / flex
				widths[s.id] += g
				left -= g
			}
		}
		extra = left
	}
	x := gutter
	for _, s := range specs {
		w, ok := widths[s.id]
		if !ok {
			continue
		}
		if len(lay.cols) > 0 {
			x++
		}
		lay.cols = append(lay.cols, placed{spec: s, x: x, w: w})
		x += w
	}
	if n := len(lay.cols); n > 0 && extra > 0 {
		lay.cols[n-1].w += extra // the last column fills the line
	}
	return lay
}

func (lay layout) has(id colID) bool {
	for _, c := range lay.cols {
		if c.spec.id == id {
			return true
		}
	}
	return false
}

// Rows.

// renderColumnHeader draws the column titles, the sorted one marked.
func renderColumnHeader(st *Styles, lay layout, sortBy state.Column, desc bool) string {
	var b strings.Builder
	b.WriteString(strings.Repeat(" ", gutter))
	for i, c := range lay.cols {
		if i > 0 {
			b.WriteByte(' ')
		}
		title := c.spec.title
		if c.spec.letter != "" && c.spec.sort == sortBy {
			if desc {
				title += " ▼"
			} else {
				title += " ▲"
			}
		}
		b.WriteString(fit(title, c.w))
	}
	return st.ColumnHead.wrap(fitLine(b.String(), lay.width))
}

// renderGroupHeader draws a group's title and its counts.
func renderGroupHeader(st *Styles, g *state.Heading, w int, hint, backlog string) string {
	title := g.Title
	if title == "" {
		title = "(no name)"
	}
	text := fmt.Sprintf("▾ %s · %d", title, g.Rows)
	if g.Queue {
		// Only those available and taking this queue's calls can take one.
		text += fmt.Sprintf(" · %d can take a call", g.CanTake)
		if backlog != "" {
			text += " · " + backlog
		}
	}
	if c := countsText(&g.Counts); c != "" {
		text += " · " + c
	}
	return spread(st.Group.wrap(fit(text, max(0, w-textWidth(hint)))), hint, w)
}

// renderRow draws one extension on one line of exactly lay.width cells.
// A row that just changed is marked by one cell (a bright *) right after
// its badge: the terminal redraws only changed cells and everything
// between two changes on a line, so the mark beside the badge and the
// time in state costs a few bytes to set and to clear, not a repaint.
//
// b is scratch kept from row to row: the row is copied out of it once, at
// its exact size, instead of a builder grown several times per row.
func renderRow(b *bytes.Buffer, st *Styles, lay layout, l *state.Line, flags int, mk rowMarks, now time.Time) {
	e := l.Entry
	p := st.row[flags&(rowSelected|rowStale)]
	b.WriteString(p.pre)
	mark := " "
	if flags&rowSelected != 0 {
		mark = "›"
	}
	b.WriteString(mark)
	if l.Stale {
		b.WriteByte('~')
	} else {
		b.WriteByte(' ')
	}
	afterBadge := false
	for i, c := range lay.cols {
		switch {
		case afterBadge && flags&rowChanged != 0:
			b.WriteString(p.post)
			st.Changed.writeTo(b, "*")
			b.WriteString(p.pre)
		case i > 0:
			b.WriteByte(' ')
		}
		afterBadge = c.spec.id == colState
		if c.spec.id == colState && c.w < BadgeWidth {
			b.WriteString(fit(BadgeLabel(e.Availability), c.w))
			continue
		}
		if c.spec.id == colState {
			b.WriteString(p.post)
			b.WriteString(st.Badge(e.Availability))
			b.WriteString(spaces(c.w - BadgeWidth))
			b.WriteString(p.pre)
			continue
		}
		if c.spec.id == colSince && mk.alarm > 0 {
			// Ringing or on hold too long: the time turns amber, then red.
			b.WriteString(p.post)
			st.alarm[mk.alarm].open(b)
			writeCell(b, c, l, mk, now)
			st.alarm[mk.alarm].close(b)
			b.WriteString(p.pre)
			continue
		}
		writeCell(b, c, l, mk, now)
	}
	b.WriteString(p.post)
}

// cellText is a cell's text (the entry's strings are sanitised on their
// way into the mirror), and whether it is already exactly c.w cells wide;
// if not, writeFit fits it as it writes it, with no copy made to pad it.
func cellText(c placed, l *state.Line, mk rowMarks, now time.Time) (string, bool) {
	e := l.Entry
	switch c.spec.id {
	case colName:
		name := e.Name
		if name == "" {
			name = "(no name)"
		}
		suffix := ""
		if mk.pinned {
			suffix += "★"
		}
		if mk.watched {
			suffix += "⚑"
		}
		if l.Me {
			suffix += " (you)"
		}
		if suffix != "" {
			if suffix[0] != ' ' {
				suffix = " " + suffix
			}
			return fitWithSuffix(name, suffix, c.w), true
		}
		return name, false
	case colExt:
		return e.Number, false
	case colInQueue:
		if l.Group.Key == "" {
			return "", false // the rows in no queue
		}
		return inQueueCell(l.InQueue), false
	case colSince:
		since := stateSince(e)
		if since.IsZero() {
			return "–", false
		}
		return state.FormatDuration(now.Sub(since)), false
	case colCall:
		return callCell(e, now, c.w), true
	case colStatus:
		return statusCell(e), false
	case colDND:
		if !e.Known || !e.DNDStatus.Limits() {
			return "", false // taking every call is not news
		}
		return e.DNDStatus.Label(), false
	case colPhone:
		if !e.Known {
			return "", false
		}
		return TelephonyLabel(e.TelephonyStatus), false
	case colDept:
		return e.Department, false
	}
	return "", false
}

// writeCell writes a cell's text, exactly c.w cells wide.
func writeCell(b *bytes.Buffer, c placed, l *state.Line, mk rowMarks, now time.Time) {
	s, fitted := cellText(c, l, mk, now)
	if fitted {
		b.WriteString(s)
		return
	}
	writeFit(b, s, c.w)
}

// rowMarks is what a row shows besides its entry: pinned, waited for,
// and how loud its timer is (0, 1 amber, 2 red).
type rowMarks struct {
	pinned, watched bool
	alarm           int
}

// stateSince is since when someone is in the state their badge shows.
// Ringing, dialling or talking, it is when the call started, as the server
// says (it survives a restart, and a call answered stays one call); on
// hold or parked, when the change was seen (the server does not say), else
// the call's start; otherwise when the change was seen. The zero time is
// not known ("–").
func stateSince(e *state.Entry) time.Time {
	if !e.Known {
		return time.Time{}
	}
	c := e.PrimaryCall()
	switch e.Availability {
	case state.Ringing, state.Dialling, state.OnCall:
		if c != nil && !c.Start.IsZero() {
			return c.Start
		}
	case state.OnHold, state.Parked:
		if e.AvailSince.IsZero() && c != nil {
			return c.Start
		}
	}
	return e.AvailSince
}

// alarmLevel is how loud a row's timer is: ringing past ring or on hold
// past hold turns it amber (1), twice that red (2).
func alarmLevel(e *state.Entry, now time.Time, ring, hold time.Duration) int {
	var limit time.Duration
	switch e.Availability {
	case state.Ringing:
		limit = ring
	case state.OnHold:
		limit = hold
	default:
		return 0
	}
	since := stateSince(e)
	if since.IsZero() {
		return 0
	}
	switch d := now.Sub(since); {
	case d >= 2*limit:
		return 2
	case d >= limit:
		return 1
	}
	return 0
}

// statusCell is the status and the message, the message given the room:
// the status word shows only when the badge does not already say it
// ("Busy" after a call, "Available" under DND).
func statusCell(e *state.Entry) string {
	if !e.Known {
		return ""
	}
	word := e.UserStatus
	if word == BadgeLabel(e.Availability) || word == "Offline" && e.Availability == state.Offline {
		word = ""
	}
	switch {
	case e.Message == "":
		return word
	case word == "":
		return e.Message
	}
	return word + ": " + e.Message
}

// inQueueCell is a member's availability in a queue, for the IN QUEUE
// column: on, off, ? (unknown), a pending choice (→off…) or a failed one
// (✗on: the error is in the detail pane and the flash).
func inQueueCell(c state.QueueCell) string {
	cell := "?"
	if c.Known {
		cell = onOff(c.Accept)
	}
	if !c.Known && c.Write == nil {
		return "" // not known (only an admin sees everyone's): nothing to say
	}
	switch w := c.Write; {
	case w != nil && w.Failed:
		return "✗ " + cell
	case w != nil:
		return "→" + onOff(w.Accept) + "…"
	}
	return cell
}

func onOff(b bool) string {
	if b {
		return "on"
	}
	return "off"
}

// fitWithSuffix keeps a suffix visible by cutting the text before it.
func fitWithSuffix(s, suffix string, w int) string {
	sw := textWidth(suffix)
	if w <= sw+1 {
		return fit(s+suffix, w)
	}
	if textWidth(s)+sw > w {
		s = ansi.Truncate(s, w-sw, "…")
	}
	return fit(s+suffix, w)
}

// callArrow marks the direction: ← inbound, → outbound.
func callArrow(c *state.Call) string {
	if c.Inbound() {
		return "←"
	}
	return "→"
}

// callCell is the active call: direction, other party, running duration,
// Q for a queue call, +n for more calls.
func callCell(e *state.Entry, now time.Time, w int) string {
	c := e.PrimaryCall()
	if c == nil {
		if e.CallsUnsure {
			return fit("…", w)
		}
		return fit("", w)
	}
	wide := w >= 26
	right := ""
	if !c.Start.IsZero() {
		right = state.FormatDuration(now.Sub(c.Start))
	}
	if c.Queue {
		via := "Q"
		if wide && c.QueueName != "" {
			via = c.QueueName
		} else if wide {
			via = "queue"
		}
		right = via + " " + right
	}
	if ringing := e.RingingBehind(); ringing > 0 && wide {
		right = fmt.Sprintf("+%d ringing %s", ringing, right)
	} else if more := e.MoreCalls(); more > 0 {
		calls := map[bool]string{false: "", true: map[bool]string{false: " calls", true: " call"}[more == 1]}[wide]
		right = fmt.Sprintf("+%d%s %s", more, calls, right)
	}
	left := callArrow(c) + " " + c.Who()
	rw := textWidth(right)
	if rw+2 > w {
		return fit(left, w)
	}
	return fit(left, w-rw-1) + " " + right
}
