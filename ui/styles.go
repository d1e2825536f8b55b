package ui

import (
	"bytes"
	"image/color"
	"strconv"
	"strings"

	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/colorprofile"

	"github.com/rchud/rchud/state"
)

// paint is a style reduced to the escape sequences around a text, so rows
// are drawn by concatenation instead of a lipgloss render per cell.
type paint struct{ pre, post string }

func paintOf(st lipgloss.Style) paint {
	out := st.Render("X")
	i := strings.IndexByte(out, 'X')
	return paint{out[:i], out[i+1:]}
}

func (p paint) wrap(s string) string {
	if p.pre == "" {
		return s
	}
	return p.pre + s + p.post
}

// writeTo writes p.wrap(s) to b.
func (p paint) writeTo(b *bytes.Buffer, s string) {
	p.open(b)
	b.WriteString(s)
	p.close(b)
}

// open and close write what p.wrap puts before and after a text, for a
// text written to b between them.
func (p paint) open(b *bytes.Buffer) { b.WriteString(p.pre) }

func (p paint) close(b *bytes.Buffer) {
	if p.pre != "" {
		b.WriteString(p.post)
	}
}

// BadgeWidth is the width of an availability badge.
const BadgeWidth = 11

// Row flags select a row's paint.
const (
	rowSelected = 1 << iota
	rowChanged
	rowStale
	rowFlags
)

// Styles is the palette, built once per colour profile and background.
// Badges always carry their text: colour only helps.
type Styles struct {
	Profile colorprofile.Profile
	Dark    bool

	badge      [state.NoPresence + 1]string // rendered, BadgeWidth wide
	badgePaint [state.NoPresence + 1]paint

	row [rowFlags]paint // by row flags (selected and stale)

	// Changed paints the one-cell mark of a row that just changed.
	Changed paint
	// alarm paints a timer ringing or on hold too long: amber, then red.
	alarm [3]paint

	Title, Bold, Faint, ColumnHead, Group, Key, Error, Pending, OK, Cursor paint
}

var badgeLabels = [state.NoPresence + 1]string{
	state.Unknown:    "Unknown",
	state.Available:  "Available",
	state.Ringing:    "Ringing",
	state.Dialling:   "Dialling",
	state.OnCall:     "On call",
	state.OnHold:     "On hold",
	state.Parked:     "Parked",
	state.Busy:       "Busy",
	state.DND:        "DND",
	state.Offline:    "Offline",
	state.NoPresence: "–",
}

// BadgeLabel is the text of an availability badge.
func BadgeLabel(a state.Availability) string {
	if a < 0 || a > state.NoPresence {
		a = state.Unknown
	}
	return badgeLabels[a]
}

// NewStyles builds the palette for a colour profile and a dark or light
// background. Badges carry their own background, readable on either;
// everything else uses the terminal's own colours with bold, faint and
// reverse, which every profile but NoTTY keeps.
func NewStyles(p colorprofile.Profile, dark bool) *Styles {
	s := &Styles{Profile: p, Dark: dark}
	pick := lipgloss.Complete(p)
	ld := lipgloss.LightDark(dark)
	c := func(ansi, ansi256 int, hex string) color.Color {
		return pick(lipgloss.Color(strconv.Itoa(ansi)), lipgloss.Color(strconv.Itoa(ansi256)), lipgloss.Color(hex))
	}
	black, white := c(0, 16, "#000000"), c(15, 231, "#ffffff")
	type badge struct {
		bg, fg color.Color
		bold   bool
	}
	badges := [state.NoPresence + 1]badge{
		state.Available: {c(2, 40, "#3cb371"), black, false},
		state.Ringing:   {c(11, 220, "#ffc107"), black, true},
		state.Dialling:  {c(1, 160, "#d32f2f"), white, false},
		state.OnCall:    {c(1, 160, "#d32f2f"), white, false},
		state.OnHold:    {c(4, 33, "#1e88e5"), white, false},
		state.Parked:    {c(6, 37, "#00acc1"), black, false},
		state.Busy:      {c(3, 208, "#fb8c00"), black, false},
		state.DND:       {c(5, 91, "#8e24aa"), white, true},
		state.Offline:   {c(8, 242, "#757575"), white, false},
	}
	for a := state.Unknown; a <= state.NoPresence; a++ {
		st := lipgloss.NewStyle()
		b := badges[a]
		switch {
		case b.bg != nil:
			st = st.Background(b.bg).Foreground(b.fg).Bold(b.bold)
		default:
			st = st.Faint(true)
		}
		s.badgePaint[a] = paintOf(st)
		s.badge[a] = s.badgePaint[a].wrap(padRight(" "+badgeLabels[a], BadgeWidth))
	}

	// The mark is bold in the terminal's own colours: readable on any
	// background, and cheap to set and clear.
	s.Changed = paintOf(lipgloss.NewStyle().Bold(true))
	for f := range rowFlags {
		st := lipgloss.NewStyle()
		if f&rowStale != 0 {
			st = st.Faint(true)
		}
		if f&rowSelected != 0 {
			st = lipgloss.NewStyle().Reverse(true).Faint(f&rowStale != 0)
		}
		s.row[f] = paintOf(st)
	}

	s.Title = paintOf(lipgloss.NewStyle().Reverse(true).Bold(true))
	s.Bold = paintOf(lipgloss.NewStyle().Bold(true))
	s.Faint = paintOf(lipgloss.NewStyle().Faint(true))
	s.ColumnHead = paintOf(lipgloss.NewStyle().Bold(true).Underline(true))
	s.Group = paintOf(lipgloss.NewStyle().Bold(true))
	s.Key = paintOf(lipgloss.NewStyle().Bold(true))
	s.Cursor = paintOf(lipgloss.NewStyle().Reverse(true))
	s.Error = paintOf(lipgloss.NewStyle().Bold(true).Foreground(
		pick(lipgloss.Color("1"), lipgloss.Color(strconv.Itoa(pickInt(dark, 124, 203))), ld(lipgloss.Color("#c62828"), lipgloss.Color("#ff6b6b")))))
	s.Pending = paintOf(lipgloss.NewStyle().Italic(true).Foreground(
		pick(lipgloss.Color("3"), lipgloss.Color(strconv.Itoa(pickInt(dark, 94, 221))), ld(lipgloss.Color("#8d6e00"), lipgloss.Color("#ffd54f")))))
	s.alarm[1] = paintOf(lipgloss.NewStyle().Bold(true).Foreground(
		pick(lipgloss.Color("3"), lipgloss.Color(strconv.Itoa(pickInt(dark, 130, 214))), ld(lipgloss.Color("#a15c00"), lipgloss.Color("#ffb300")))))
	s.alarm[2] = paintOf(lipgloss.NewStyle().Bold(true).Reverse(true).Foreground(
		pick(lipgloss.Color("1"), lipgloss.Color(strconv.Itoa(pickInt(dark, 124, 203))), ld(lipgloss.Color("#c62828"), lipgloss.Color("#ff6b6b")))))
	s.OK = paintOf(lipgloss.NewStyle().Foreground(
		pick(lipgloss.Color("2"), lipgloss.Color(strconv.Itoa(pickInt(dark, 28, 77))), ld(lipgloss.Color("#2e7d32"), lipgloss.Color("#66bb6a")))))
	return s
}

// Badge is the rendered badge of an availability, BadgeWidth wide.
func (s *Styles) Badge(a state.Availability) string {
	if a < 0 || a > state.NoPresence {
		a = state.Unknown
	}
	return s.badge[a]
}

// shortBadge renders an availability's badge as wide as its label.
func (s *Styles) shortBadge(a state.Availability) string {
	if a < 0 || a > state.NoPresence {
		a = state.Unknown
	}
	return s.badgePaint[a].wrap(" " + badgeLabels[a] + " ")
}

func pickInt(dark bool, light, darkV int) int {
	if dark {
		return darkV
	}
	return light
}
