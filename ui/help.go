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
		{"Move", enabled(k.Up, k.Down, k.PageUp, k.PageDown, k.Home, k.End, k.Jump)},
		{"Show", enabled(k.Detail, k.Filter, k.Quick, k.Sort, k.Group, k.Queues, k.Back)},
		{"Change (sent to the server)", enabled(k.Available, k.Busy, k.Invisible, k.DND, k.Message, k.QueueCalls, k.Toggle)},
		{"General", enabled(k.Help, k.Quit)},
	}
	kept := out[:0]
	for _, s := range out {
		if len(s.keys) > 0 {
			kept = append(kept, s)
		}
	}
	return kept
}

// renderHelp draws the live keys in columns, in exactly w x h cells.
func renderHelp(st *Styles, sections []helpSection, readOnly bool, w, h int) []string {
	const colW = 38
	var blocks [][]string
	for _, s := range sections {
		block := []string{st.Bold.wrap(s.title)}
		for _, b := range s.keys {
			block = append(block, "  "+st.Key.wrap(padRight(b.Help().Key, 7))+" "+b.Help().Desc)
		}
		blocks = append(blocks, append(block, ""))
	}
	foot := []string{"Keys that would change the server are hidden (--readonly)."}
	if !readOnly {
		foot = []string{"Changes show “saving…” until the server confirms them."}
	}
	foot = append(foot, "Any key closes this help.")
	cols := max(1, min(len(blocks), (w-2)/colW))
	var columns [][]string
	per := (len(blocks) + cols - 1) / cols
	for i := 0; i < len(blocks); i += per {
		var col []string
		for _, b := range blocks[i:min(len(blocks), i+per)] {
			col = append(col, b...)
		}
		columns = append(columns, col)
	}
	var lines []string
	lines = append(lines, fitLine(st.Bold.wrap(" Keys live now"), w), fit("", w))
	rows := 0
	for _, c := range columns {
		rows = max(rows, len(c))
	}
	cw := (w - 1) / max(1, len(columns))
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
	for _, f := range foot {
		lines = append(lines, fitLine(" "+st.Faint.wrap(f), w))
	}
	return padLines(lines, w, h)
}

// footerKeys are the most useful live keys for the footer, by mode.
func (m *Model) footerKeys() []key.Binding {
	k := m.c.Keys
	switch {
	case m.help:
		return []key.Binding{key.NewBinding(key.WithKeys("any"), key.WithHelp("any key", "closes help"))}
	case m.mode == modeFilter:
		return enabled(k.Accept, k.Cancel, k.Up, k.Down)
	case m.mode == modeMessage:
		return enabled(k.Accept, k.Cancel)
	case m.mode == modeSort:
		return enabled(k.SortBy, k.Cancel)
	case m.mode == modeConfirm:
		return enabled(k.Yes, k.No)
	case m.pane == paneQueues:
		return enabled(k.Up, k.Down, k.Toggle, k.Back, k.Help, k.Quit)
	}
	return enabled(k.Help, k.Quit, k.Filter, k.Quick, k.Sort, k.Group, k.Detail, k.Queues, k.Toggle)
}

// footer is one line of live keys, cut with "…" when too long.
func (m *Model) footer(w int) string {
	st := m.c.Styles
	h := help.New()
	h.Styles = help.Styles{
		ShortKey:       lipgloss.NewStyle().Bold(true),
		ShortDesc:      lipgloss.NewStyle(),
		ShortSeparator: lipgloss.NewStyle().Faint(true),
		Ellipsis:       lipgloss.NewStyle().Faint(true),
	}
	h.ShortSeparator = "  "
	h.SetWidth(w - 1)
	line := " " + h.ShortHelpView(m.footerKeys())
	if ansi.StringWidth(line) > w {
		line = ansi.Truncate(line, w, "…")
	}
	_ = st
	return fitLine(line, w)
}
