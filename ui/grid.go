package ui

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/charmbracelet/x/ansi"

	"github.com/rchud/rchud/state"
)

// grid is the virtualised list: the projection (ids only), the selection
// (kept by extension id and group, never by row index), and the window of
// lines on screen. Only the window is ever read from the mirror or drawn.
type grid struct {
	proj    state.Projection
	grouped bool
	starts  []int // first line of each group (its header when grouped)
	lines   int
	sel     int // selected line, always a row; -1 when there are no rows
	selID   state.ID
	selKey  state.ID // group key of the selection
	top     int
	height  int // rows on screen
}

// lineRef is a line of the list: a group header (row < 0) or a row.
type lineRef struct{ group, row int }

func (g *grid) headerLines() int {
	if g.grouped {
		return 1
	}
	return 0
}

// at maps a line to its group and row.
func (g *grid) at(line int) lineRef {
	gi := sort.Search(len(g.starts), func(i int) bool { return g.starts[i] > line }) - 1
	return lineRef{gi, line - g.starts[gi] - g.headerLines()}
}

// lineOf is the line of row r of group gi.
func (g *grid) lineOf(gi, r int) int { return g.starts[gi] + g.headerLines() + r }

func (g *grid) id(ref lineRef) state.ID { return g.proj.Groups[ref.group].IDs[ref.row] }

// rows is the number of rows (a person in two groups counts twice).
func (g *grid) rows() int { return g.lines - len(g.starts)*g.headerLines() }

// selected returns the selected extension and its group.
func (g *grid) selected() (id state.ID, group *state.Group, ok bool) {
	if g.sel < 0 {
		return "", nil, false
	}
	ref := g.at(g.sel)
	return g.id(ref), &g.proj.Groups[ref.group], true
}

// setProjection installs a new projection and finds the same person again
// (in the same group if still there), keeping them at the same place on
// screen when possible.
func (g *grid) setProjection(p state.Projection, grouped bool) {
	offset := g.sel - g.top
	oldSel := g.sel
	g.grouped = grouped
	g.proj = p
	if grouped {
		// A group is drawn only with rows under it.
		g.proj.Groups = make([]state.Group, 0, len(p.Groups))
		for _, gr := range p.Groups {
			if len(gr.IDs) > 0 {
				g.proj.Groups = append(g.proj.Groups, gr)
			}
		}
	}
	g.starts = g.starts[:0]
	line := 0
	for _, gr := range g.proj.Groups {
		g.starts = append(g.starts, line)
		line += g.headerLines() + len(gr.IDs)
	}
	g.lines = line
	if g.rows() == 0 {
		g.sel, g.top = -1, 0
		return
	}
	g.sel = g.find(g.selKey, g.selID, oldSel)
	g.top = g.sel - max(0, offset)
	g.remember()
	g.clamp()
}

// reveal starts the window at a group header, so a new grouping or order
// opens with its context: the header of the top row's group when the
// selection still shows, else the selection's own.
func (g *grid) reveal() {
	if g.sel < 0 || !g.grouped || g.lines <= g.height {
		return
	}
	for _, header := range []int{g.starts[g.at(g.top).group], g.starts[g.at(g.sel).group]} {
		if header <= g.top && g.sel-header < g.height {
			g.top = header
			return
		}
	}
	g.top = g.starts[g.at(g.sel).group] + 1 // the header is too far: start under it
	g.clamp()
}

// find returns the line of id in group key, else of id anywhere, else the
// row nearest the old line.
func (g *grid) find(key, id state.ID, old int) int {
	if id != "" {
		any := -1
		for gi, gr := range g.proj.Groups {
			if r := slices.Index(gr.IDs, id); r >= 0 {
				if gr.Key == key {
					return g.lineOf(gi, r)
				}
				if any < 0 {
					any = g.lineOf(gi, r)
				}
			}
		}
		if any >= 0 {
			return any
		}
	}
	return g.rowNear(max(0, old))
}

// rowNear is the row line at or after l (else before it).
func (g *grid) rowNear(l int) int {
	l = min(max(0, l), g.lines-1)
	if g.at(l).row < 0 {
		if l+1 < g.lines {
			return l + 1
		}
		return l - 1
	}
	return l
}

func (g *grid) remember() {
	if g.sel < 0 {
		return
	}
	ref := g.at(g.sel)
	g.selID, g.selKey = g.id(ref), g.proj.Groups[ref.group].Key
}

func (g *grid) setHeight(h int) {
	g.height = max(1, h)
	g.clamp()
}

// clamp keeps the window inside the list and the selection inside the
// window, with a group's header above its first row.
func (g *grid) clamp() {
	if g.sel >= 0 {
		if g.sel >= g.top+g.height {
			g.top = g.sel - g.height + 1
		}
		if g.sel < g.top {
			g.top = g.sel
		}
		if g.grouped && g.top == g.sel && g.at(g.sel).row == 0 && g.height > 1 {
			g.top--
		}
	}
	g.top = max(0, min(g.top, g.lines-g.height))
}

// move moves the selection by n rows, skipping group headers.
func (g *grid) move(n int) {
	if g.sel < 0 {
		return
	}
	l := g.sel
	for step := 0; step < abs(n); step++ {
		next := l + sign(n)
		if next >= 0 && next < g.lines && g.at(next).row < 0 {
			next += sign(n)
		}
		if next < 0 || next >= g.lines {
			break
		}
		l = next
	}
	g.selectLine(l)
}

func (g *grid) first() { g.selectLine(g.headerLines()) }
func (g *grid) last()  { g.selectLine(g.lines - 1) }

func (g *grid) selectLine(l int) {
	if g.rows() == 0 {
		return
	}
	g.sel = g.rowNear(l)
	g.remember()
	g.clamp()
}

// window lists the lines on screen.
func (g *grid) window() []lineRef {
	end := min(g.lines, g.top+g.height)
	out := make([]lineRef, 0, max(0, end-g.top))
	for l := g.top; l < end; l++ {
		out = append(out, g.at(l))
	}
	return out
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

func sign(n int) int {
	if n < 0 {
		return -1
	}
	return 1
}

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

// gridLine is one line on screen, read from the mirror in Update.
type gridLine struct {
	header  bool
	group   *state.Group
	row     state.Row
	flags   int
	me      bool
	inQueue string // the IN QUEUE cell, when grouped by queue
}

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
func renderGroupHeader(st *Styles, g *state.Group, w int, hint string) string {
	title := Sanitize(g.Title)
	if title == "" {
		title = "(no name)"
	}
	text := fmt.Sprintf("▾ %s · %d", title, len(g.IDs))
	if c := countsText(g.Counts, false); c != "" {
		text += " · " + c
	}
	return spread(st.Group.wrap(fit(text, max(0, w-ansi.StringWidth(hint)))), hint, w)
}

// renderRow draws one extension on one line of exactly lay.width cells.
func renderRow(b *strings.Builder, st *Styles, lay layout, gl *gridLine, now time.Time) {
	r := &gl.row
	p := st.row[gl.flags&(rowFlags-1)]
	b.WriteString(p.pre)
	mark := " "
	if gl.flags&rowSelected != 0 {
		mark = "›"
	}
	b.WriteString(mark)
	switch {
	case r.Stale:
		b.WriteByte('~')
	case gl.flags&rowChanged != 0:
		b.WriteByte('*')
	default:
		b.WriteByte(' ')
	}
	for i, c := range lay.cols {
		if i > 0 {
			b.WriteByte(' ')
		}
		if c.spec.id == colState && c.w < BadgeWidth {
			b.WriteString(fit(BadgeLabel(r.Availability), c.w))
			continue
		}
		if c.spec.id == colState {
			b.WriteString(p.post)
			b.WriteString(st.Badge(r.Availability))
			b.WriteString(strings.Repeat(" ", max(0, c.w-BadgeWidth)))
			b.WriteString(p.pre)
			continue
		}
		b.WriteString(cellText(c, gl, now))
	}
	b.WriteString(p.post)
}

// cellText is a cell's sanitised text, exactly c.w cells wide.
func cellText(c placed, gl *gridLine, now time.Time) string {
	r := &gl.row
	switch c.spec.id {
	case colName:
		name := Sanitize(r.Name)
		if name == "" {
			name = "(no name)"
		}
		if gl.me {
			return fitWithSuffix(name, " (you)", c.w)
		}
		return fit(name, c.w)
	case colExt:
		return fit(Sanitize(r.Number), c.w)
	case colInQueue:
		return fit(gl.inQueue, c.w)
	case colSince:
		if r.AvailSince.IsZero() || !r.Known {
			return fit("–", c.w)
		}
		return fit(FormatDuration(now.Sub(r.AvailSince)), c.w)
	case colCall:
		return callCell(r, now, c.w)
	case colStatus:
		return fit(statusText(r), c.w)
	case colDND:
		if !r.Known {
			return fit("", c.w)
		}
		return fit(DNDLabel(r.DNDStatus), c.w)
	case colPhone:
		if !r.Known {
			return fit("", c.w)
		}
		return fit(TelephonyLabel(r.TelephonyStatus), c.w)
	case colDept:
		return fit(Sanitize(r.Department), c.w)
	}
	return fit("", c.w)
}

// fitWithSuffix keeps a suffix visible by cutting the text before it.
func fitWithSuffix(s, suffix string, w int) string {
	sw := ansi.StringWidth(suffix)
	if w <= sw+1 {
		return fit(s+suffix, w)
	}
	if ansi.StringWidth(s)+sw > w {
		s = ansi.Truncate(s, w-sw, "…")
	}
	return fit(s+suffix, w)
}

// statusText is the user status and the message.
func statusText(r *state.Row) string {
	if !r.Known {
		return ""
	}
	s := Sanitize(r.UserStatus)
	if msg := Sanitize(r.Message); msg != "" {
		if s != "" {
			s += ": "
		}
		s += msg
	}
	return s
}

// primaryCall is the call that matters most: ringing, then talking, then
// on hold, then parked.
func primaryCall(calls []state.Call) *state.Call {
	rank := map[string]int{"Ringing": 0, "CallConnected": 1, "OnHold": 2, "ParkedCall": 3}
	best := &calls[0]
	for i := range calls {
		ri, ok := rank[calls[i].Status]
		rb, okb := rank[best.Status]
		if ok && (!okb || ri < rb) {
			best = &calls[i]
		}
	}
	return best
}

// callWho is the other party: a name, else a number.
func callWho(c *state.Call) string {
	name, num := c.Party()
	who := Sanitize(name)
	if who == "" {
		who = Sanitize(num)
	}
	if who == "" {
		who = "unknown caller"
	}
	return who
}

// callArrow marks the direction: ← inbound, → outbound.
func callArrow(c *state.Call) string {
	if c.Direction == "Outbound" {
		return "→"
	}
	return "←"
}

// callCell is the active call: direction, other party, running duration,
// Q for a queue call, +n for more calls.
func callCell(r *state.Row, now time.Time, w int) string {
	if len(r.Calls) == 0 {
		if r.CallsUnsure {
			return fit("…", w)
		}
		return fit("", w)
	}
	c := primaryCall(r.Calls)
	wide := w >= 26
	right := ""
	if !c.Start.IsZero() {
		right = FormatDuration(now.Sub(c.Start))
	}
	if c.Queue {
		right = map[bool]string{false: "Q ", true: "queue "}[wide] + right
	}
	if more := max(len(r.Calls), r.TotalCalls) - 1; more > 0 {
		calls := map[bool]string{false: "", true: map[bool]string{false: " calls", true: " call"}[more == 1]}[wide]
		right = fmt.Sprintf("+%d%s %s", more, calls, right)
	}
	left := callArrow(c) + " " + callWho(c)
	rw := ansi.StringWidth(right)
	if rw+2 > w {
		return fit(left, w)
	}
	return fit(left, w-rw-1) + " " + right
}
