package ui

import (
	"strings"
	"unicode"
	"unicode/utf8"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
)

// lineInput is a one-line editor (the filter and my status message): a
// static cursor, no blinking, an optional limit in characters.
type lineInput struct {
	text  []rune
	pos   int
	limit int // 0: none
}

func newInput(s string, limit int) lineInput {
	in := lineInput{limit: limit}
	in.insert(s)
	return in
}

func (in *lineInput) Value() string { return string(in.text) }

func (in *lineInput) Len() int { return len(in.text) }

// insert adds text at the cursor, as typed or pasted: line breaks and
// tabs become spaces, other control characters are dropped, and whatever
// passes the limit is refused. It reports whether anything was cut.
func (in *lineInput) insert(s string) (cut bool) {
	var add []rune
	for _, r := range s {
		switch {
		case r == '\n' || r == '\r' || r == '\t':
			r = ' '
		case unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || !unicode.IsPrint(r) && r != ' ':
			continue
		}
		if in.limit > 0 && len(in.text)+len(add) >= in.limit {
			cut = true
			break
		}
		add = append(add, r)
	}
	in.text = append(in.text[:in.pos], append(add, in.text[in.pos:]...)...)
	in.pos += len(add)
	return cut
}

// handle edits on a key press; it reports whether the key was an edit.
func (in *lineInput) handle(msg tea.KeyPressMsg) bool {
	switch msg.String() {
	case "backspace", "ctrl+h":
		if in.pos > 0 {
			in.text = append(in.text[:in.pos-1], in.text[in.pos:]...)
			in.pos--
		}
	case "delete", "ctrl+d":
		if in.pos < len(in.text) {
			in.text = append(in.text[:in.pos], in.text[in.pos+1:]...)
		}
	case "left", "ctrl+b":
		in.pos = max(0, in.pos-1)
	case "right", "ctrl+f":
		in.pos = min(len(in.text), in.pos+1)
	case "home", "ctrl+a":
		in.pos = 0
	case "end", "ctrl+e":
		in.pos = len(in.text)
	case "ctrl+u":
		in.text = append([]rune(nil), in.text[in.pos:]...)
		in.pos = 0
	case "ctrl+k":
		in.text = in.text[:in.pos]
	case "ctrl+w", "alt+backspace":
		i := in.pos
		for i > 0 && in.text[i-1] == ' ' {
			i--
		}
		for i > 0 && in.text[i-1] != ' ' {
			i--
		}
		in.text = append(in.text[:i], in.text[in.pos:]...)
		in.pos = i
	case "space":
		in.insert(" ")
	default:
		if msg.Text == "" || msg.Mod.Contains(tea.ModCtrl) || msg.Mod.Contains(tea.ModAlt) {
			return false
		}
		in.insert(msg.Text)
	}
	return true
}

// view renders the text in w cells with a reverse-video cursor cell,
// scrolled so the cursor shows.
func (in *lineInput) view(w int, cursor paint) string {
	if w <= 0 {
		return ""
	}
	before := string(in.text[:in.pos])
	at, after := " ", ""
	if in.pos < len(in.text) {
		at, after = string(in.text[in.pos]), string(in.text[in.pos+1:])
	}
	// Keep the cursor in view: drop from the left while too wide.
	for textWidth(before)+textWidth(at) > w && before != "" {
		_, n := utf8.DecodeRuneInString(before)
		before = before[n:]
	}
	room := w - textWidth(before) - textWidth(at)
	if room < 0 {
		return fit("", w)
	}
	after = ansi.Truncate(after, room, "")
	s := before + cursor.wrap(at) + after
	return s + strings.Repeat(" ", max(0, room-textWidth(after)))
}
