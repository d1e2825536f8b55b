package ui

import (
	"strings"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"
)

// helpSection is a titled group of live keys.
type helpSection struct {
	title string
	keys  []key.Binding
}

// helpSections lists the keys live in the grid right now, by purpose.
func (m *Model) helpSections() []helpSection {
	k := m.c.Keys
	out := []helpSection{
		// Page and ends go in pairs: one line each.
		{"Move", enabled(k.Up, k.Down, pair(k.PageUp, k.PageDown, "page up/down"), pair(k.Home, k.End, "first/last"), k.Jump)},
		{"Show", enabled(k.Detail, k.Focus, k.Filter, k.Quick, k.Sort, k.Group, k.Queues, k.Back, k.Help, k.Quit)},
		{"People", enabled(k.Pin, k.Watch)},
		{"Change (sent to the server)", enabled(k.Available, k.Busy, k.Invisible, k.DND, k.Message, k.QueueCalls, k.Toggle)},
		{"My calls (sent to the phone system)", enabled(k.Answer, k.Hold, k.Transfer, k.Voicemail, k.Dial, k.Park, k.HangUp, k.Pickup)},
	}
	kept := out[:0]
	for _, s := range out {
		if len(s.keys) > 0 {
			kept = append(kept, s)
		}
	}
	return kept
}

// helpMarks explains the marks on screen.
var helpMarks = [][2]string{
	{"›", "the selected row"},
	{"*", "changed just now (beside the state)"},
	{"★ ⚑", "pinned to the top, waited for"},
	{"~", "may be out of date"},
	{"← →", "inbound, outbound call"},
	{"Q", "a call from a queue (its name when wide)"},
	{"+1", "one more call besides the one shown"},
	{"on off", "in queue: taking its calls or not"},
	{"?", "in queue: not known yet"},
	{"–", "not known yet"},
}

// pair shows two bindings that are live together as one help line.
func pair(a, b key.Binding, desc string) key.Binding {
	p := key.NewBinding(key.WithKeys(append(a.Keys(), b.Keys()...)...), key.WithHelp(a.Help().Key+"/"+b.Help().Key, desc))
	p.SetEnabled(a.Enabled() && b.Enabled())
	return p
}

// renderHelp lists the live keys in balanced columns (as many as the width
// holds), and what the marks on screen mean, as lines w cells wide; the
// help pane scrolls through them.
func renderHelp(st *Styles, sections []helpSection, readOnly bool, notes []string, w int) []string {
	const colW = 38
	var blocks [][]string
	for _, s := range sections {
		block := []string{st.Bold.wrap(s.title)}
		for _, b := range s.keys {
			block = append(block, "  "+st.Key.wrap(padRight(b.Help().Key, 9))+" "+b.Help().Desc)
		}
		blocks = append(blocks, block)
	}
	marks := []string{st.Bold.wrap("Marks")}
	for _, mk := range helpMarks {
		marks = append(marks, "  "+st.Key.wrap(padRight(mk[0], 9))+" "+mk[1])
	}
	blocks = append(blocks, marks)
	total := 0
	for _, b := range blocks {
		total += len(b) + 1
	}
	cols := max(1, min(len(blocks), (w-1)/colW))
	target := (total + cols - 1) / cols
	var columns [][]string
	var col []string
	for _, b := range blocks {
		if len(col) > 0 && len(col)+len(b) > target && len(columns) < cols-1 {
			columns = append(columns, col)
			col = nil
		}
		if len(col) > 0 {
			col = append(col, "")
		}
		col = append(col, b...)
	}
	columns = append(columns, col)
	var lines []string
	rows := 0
	for _, c := range columns {
		rows = max(rows, len(c))
	}
	cw := (w - 1) / len(columns)
	for r := 0; r < rows; r++ {
		var b strings.Builder
		b.WriteByte(' ')
		for _, c := range columns {
			cell := ""
			if r < len(c) {
				cell = c[r]
			}
			b.WriteString(fitLine(cell, cw))
		}
		lines = append(lines, fitLine(b.String(), w))
	}
	note := "Changes say “saving…” until the server confirms."
	if readOnly {
		note = "Keys that would change the server are hidden (--readonly)."
	}
	lines = append(lines, fit("", w), fitLine(" "+st.Faint.wrap(note), w))
	for _, n := range notes {
		if n != "" {
			lines = append(lines, fitLine(" "+st.Faint.wrap(n), w))
		}
	}
	return lines
}

// footerKeys appends the most useful live keys for the footer, by mode,
// to keys.
func (m *Model) footerKeys(keys []key.Binding) []key.Binding {
	k := m.c.Keys
	switch {
	case m.help:
		return append(keys, key.NewBinding(key.WithKeys("↑↓"), key.WithHelp("↑↓ pgup pgdn", "scroll")),
			key.NewBinding(key.WithKeys("any"), key.WithHelp("any other key", "closes help")))
	case m.pane == paneDetail && m.paneFocus:
		return appendEnabled(keys, k.Up, k.Down, k.Focus, k.Back, k.Help, k.Quit)
	case m.mode == modeFilter:
		return appendEnabled(keys, k.Accept, k.Cancel, k.Up, k.Down)
	case m.mode == modeMessage:
		return appendEnabled(keys, k.Accept, k.Cancel)
	case m.mode == modeSort:
		return appendEnabled(keys, k.SortBy, k.Cancel)
	case m.mode == modeConfirm:
		return appendEnabled(keys, k.Yes, k.No)
	case m.mode == modeNumber:
		return appendEnabled(keys, k.Accept, k.Cancel)
	case m.pane == paneQueues:
		return appendEnabled(keys, k.Up, k.Down, k.Toggle, k.Back, k.Help, k.Quit)
	}
	return appendEnabled(keys, k.Answer, k.Transfer, k.Pickup, k.Help, k.Quit, k.Filter, k.Quick, k.Sort, k.Group, k.Detail, k.Focus,
		k.Queues, k.Toggle)
}

// footer is one line of live keys, cut with "…" when too long. It is
// drawn again only when the width or the keys' help change: the keys are
// gathered each frame into scratch and compared with those drawn.
func (m *Model) footer(w int) string {
	keys := m.footerKeys(m.footerScratch[:0])
	m.footerScratch = keys[:0]
	if m.footerLine != "" && m.footerW == w && sameHelp(keys, m.footerHelp) {
		return m.footerLine
	}
	h := help.New()
	h.Styles = help.Styles{
		ShortKey:       lipgloss.NewStyle().Bold(true),
		ShortDesc:      lipgloss.NewStyle(),
		ShortSeparator: lipgloss.NewStyle().Faint(true),
		Ellipsis:       lipgloss.NewStyle().Faint(true),
	}
	h.ShortSeparator = "  "
	h.SetWidth(w - 1)
	line := " " + h.ShortHelpView(keys)
	if textWidth(line) > w {
		line = ansi.Truncate(line, w, "…")
	}
	m.footerHelp = m.footerHelp[:0]
	for _, k := range keys {
		m.footerHelp = append(m.footerHelp, k.Help())
	}
	m.footerW, m.footerLine = w, fitLine(line, w)
	return m.footerLine
}

// sameHelp reports whether keys show exactly the help texts drawn.
func sameHelp(keys []key.Binding, drawn []key.Help) bool {
	if len(keys) != len(drawn) {
		return false
	}
	for i := range keys {
		if keys[i].Help() != drawn[i] {
			return false
		}
	}
	return true
}
