package ui

import (
	"fmt"
	"slices"
	"strings"

	tea "charm.land/bubbletea/v2"

	"github.com/rchud/rchud/state"
)

// View draws the HUD full screen.
func (m *Model) View() tea.View {
	v := tea.NewView(m.Render())
	v.AltScreen = true
	v.WindowTitle = "rchud"
	return v
}

// Render draws the screen: exactly Height lines of exactly Width cells,
// from the snapshot taken in Update and only the rows on screen.
func (m *Model) Render() string { return strings.Join(m.RenderLines(), "\n") }

// RenderLines is the screen as Render draws it, one string per line.
func (m *Model) RenderLines() []string {
	w, h := m.c.Width, m.c.Height
	if w <= 0 || h <= 0 {
		return nil
	}
	if w < MinWidth || h < MinHeight {
		return tooSmall(w, h)
	}
	lines := make([]string, 0, h)
	lines = append(lines, m.titleLine(w), m.countsLine(w), m.youLine(w), m.viewLine(w))
	lines = append(lines, m.callStrip(w, m.stripHeight())...)
	if m.boardHeight() > 0 {
		lines = append(lines, m.queueBoard(w))
	}
	lines = append(lines, m.body(m.geom(), w)...)
	lines = append(lines, m.footer(w))
	return lines
}

// tooSmall is the whole screen below the minimum size.
func tooSmall(w, h int) []string {
	lines := make([]string, h)
	msg := []string{
		fmt.Sprintf("terminal too small: %dx%d, need %dx%d", w, h, MinWidth, MinHeight),
		"enlarge the window, or press q to quit",
	}
	for i := range lines {
		s := ""
		if i < len(msg) {
			s = msg[i]
		}
		lines[i] = fit(s, w)
	}
	return lines
}

// body is everything between the header and the footer.
func (m *Model) body(g geometry, w int) []string {
	st := m.c.Styles
	if m.help {
		title := fitLine(st.Bold.wrap(" Keys live now")+st.Faint.wrap(" · ↑↓ pgup pgdn scroll · any other key closes"), w)
		if g.bodyH <= 1 {
			return padLines([]string{title}, w, g.bodyH)
		}
		return append([]string{title}, m.helpScroll.view(st, renderHelp(st, m.helpSections(), m.c.ReadOnly, []string{m.noCallsReason()}, w), w, g.bodyH-1, "↓ to read on")...)
	}
	grid := m.renderGrid(g.gridW, g.gridH)
	if m.pane == paneNone {
		return grid
	}
	if g.paneBesideGrid {
		pane := m.renderPane(g.paneW, g.bodyH)
		sep := st.Faint.wrap("│")
		out := make([]string, g.bodyH)
		for i := range out {
			out[i] = grid[i] + sep + pane[i]
		}
		return out
	}
	name := map[pane]string{paneDetail: " details ", paneQueues: " my queues ", paneParked: " parked calls "}[m.pane]
	rule := st.Faint.wrap("──" + name + strings.Repeat("─", max(0, w-2-len(name))))
	out := append(slices.Clip(grid), fitLine(rule, w)) // grid is scratch: never append in place
	return append(out, m.renderPane(w, g.paneH-1)...)
}

func (m *Model) renderPane(w, h int) []string {
	if h <= 0 {
		return nil
	}
	st := m.c.Styles
	if m.pane == paneParked {
		return m.renderParked(w, h, !m.geom().paneBesideGrid)
	}
	if m.pane == paneQueues {
		me := &m.frame.Me
		global := "All queue calls: " + onOff(m.acceptingQueueCalls())
		if wq := me.QueueCallsWrite; wq != nil {
			global = "All queue calls: " + writeText(st, wq, onOff(wq.Accept))
		}
		if m.inDND() {
			global = "All queue calls: off while in DND"
		} else if m.c.Keys.QueueCalls.Enabled() {
			global += " (" + st.Key.wrap("c") + " toggles)"
		}
		return m.queues.render(st, me.Admin, m.c.ReadOnly, global, !m.geom().paneBesideGrid, m.queueBacklogText, w, h)
	}
	hint := "tab to scroll"
	if m.paneFocus {
		hint = "↓ scrolls · tab back to the list"
	}
	return m.detailScroll.view(st, renderDetail(st, m.frame.Detail, m.deviceLabel(), m.c.Now(), w), w, h, hint)
}

// renderGrid draws the column header and the rows on screen, in exactly
// w x h cells.
func (m *Model) renderGrid(w, h int) []string {
	st := m.c.Styles
	f := m.frame
	lay := m.layout
	if lay.width != w || lay.inQueue != (f.Query.By == state.GroupQueue) {
		lay = newLayout(w, f.Query.By == state.GroupQueue)
	}
	// The grid's lines are scratch, kept from frame to frame: body copies
	// them into the screen's lines before the next frame draws.
	lines := m.gridLines[:0]
	defer func() { m.gridLines = lines[:0] }()
	hk := colHeadKey{lay.width, lay.inQueue, f.Query.Sort, f.Query.Desc, st}
	lines = append(lines, m.colHead.get(hk, func() string { return renderColumnHeader(st, lay, f.Query.Sort, f.Query.Desc) }))
	now := m.c.Now()
	b := &m.rowBuf
	// A row is drawn again only when it changed: its entry (immutable, so
	// a pointer says it), its marks, the layout, or the second on a
	// running clock it shows. Under load most rows on screen are the same
	// from one frame to the next.
	// The rows drawn last frame are looked up while this frame's are
	// written into the slice of the frame before (two slices in turn).
	prev := m.rowCache
	rows := m.rowSpare[:0]
	defer func() { m.rowCache, m.rowSpare = rows, prev }()
	shared := m.opts.Shared // other viewers' rows (rchud serve), or nil
	top := f.Top
	if f.Sticky != nil {
		// The group of the rows on screen stays on the first line.
		lines = append(lines, renderGroupHeader(st, f.Sticky, w, st.Faint.wrap("(continued) "), m.groupBacklog(f.Sticky)))
	}
	for i, l := range f.Visible() {
		if len(lines) == h {
			break
		}
		if l.Header {
			lines = append(lines, renderGroupHeader(st, l.Group, w, "", m.groupBacklog(l.Group)))
			continue
		}
		flags := 0
		if top+i == f.Sel {
			flags |= rowSelected
		}
		if l.Stale {
			flags |= rowStale
		}
		if m.changed(l.Entry, now) {
			flags |= rowChanged
		}
		mk := rowMarks{pinned: slices.Contains(f.Query.Pinned, l.Entry.ID), watched: slices.Contains(m.watched, l.Entry.ID),
			alarm: alarmLevel(l.Entry, now, m.opts.RingAlarm, m.opts.HoldAlarm)}
		k := rowKey{entry: l.Entry, flags: flags, me: l.Me, inQueue: cellKey(l), lay: lay.width, queueCol: lay.inQueue, styles: st, marks: mk}
		if ticks(l.Entry) {
			k.second = now.Unix()
		}
		row, ok := findRow(prev, len(rows), k)
		if !ok && shared != nil {
			row, ok = shared.rows.get(k)
		}
		if !ok {
			b.Reset()
			renderRow(b, st, lay, &l, flags, mk, now)
			row = b.String()
			if shared != nil {
				shared.rows.put(k, row)
			}
		}
		rows = append(rows, drawnRow{k, row})
		lines = append(lines, row)
	}
	if f.Lines == 0 && len(lines) < h {
		lines = append(lines, fitLine(st.Faint.wrap("  "+m.emptyText()), w))
	}
	lines = padLines(lines, w, h)
	return lines
}

// emptyText says why the grid has no rows.
func (m *Model) emptyText() string {
	switch {
	case m.frame.Directory == 0:
		return "Signing in and loading the directory…"
	case m.query.Text != "":
		return "No one matches “" + state.Sanitize(m.query.Text) + "” (esc clears the filter)"
	case m.quick != 0:
		return "No one " + quickFilters[m.quick].name + " right now (f for the next filter, esc for everyone)"
	}
	return "No one to show"
}

// colHeadKey is what the column header depends on.
type colHeadKey struct {
	width   int
	inQueue bool
	sort    state.Column
	desc    bool
	styles  *Styles
}

// drawnRow is a row on screen and what it was drawn from.
type drawnRow struct {
	key rowKey
	row string
}

// findRow finds the row drawn last frame for k: at the same place on
// screen (most rows stay put), or anywhere (a row moved as the order
// changed); the screen holds few enough rows to look through.
func findRow(prev []drawnRow, at int, k rowKey) (string, bool) {
	if at < len(prev) && prev[at].key == k {
		return prev[at].row, true
	}
	for i := range prev {
		if prev[i].key == k {
			return prev[i].row, true
		}
	}
	return "", false
}

// rowKey is everything a drawn row depends on.
type rowKey struct {
	entry   *state.Entry
	flags   int
	me      bool
	inQueue queueCellKey
	lay     int
	// queueCol: the layout has the IN QUEUE column (grouped by queue).
	queueCol bool
	styles   *Styles
	marks    rowMarks
	second   int64 // the clock, for rows that show a running time
}

// queueCellKey is a row's IN QUEUE cell as drawn.
type queueCellKey struct {
	show, known, accept, writing, failed, choice bool
}

func cellKey(l state.Line) queueCellKey {
	c := l.InQueue
	k := queueCellKey{show: l.Group.Key != "", known: c.Known, accept: c.Accept}
	if w := c.Write; w != nil {
		k.writing, k.failed, k.choice = true, w.Failed, w.Accept
	}
	return k
}

// ticks reports whether a row shows a running time.
func ticks(e *state.Entry) bool { return !stateSince(e).IsZero() || len(e.Calls) > 0 }
