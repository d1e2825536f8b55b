package state

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/charmbracelet/x/ansi"
)

// MaxTextRunes bounds any string from the network once sanitised.
const MaxTextRunes = 200

// Sanitize makes a string from the network (a name, a status message, a
// caller ID) safe to put on a terminal: invalid UTF-8 is replaced, every
// escape sequence (CSI, OSC, DCS, APC, PM, SOS) is removed whole, then
// every remaining control character (C0, DEL, C1) and format character
// (bidi overrides and isolates, zero-width characters, BOM) is dropped,
// line and tab breaks become spaces, runs of spaces collapse, and the
// result is capped at MaxTextRunes. Widths must be measured on the result.
func Sanitize(s string) string {
	if isPlainASCII(s) && len(s) <= MaxTextRunes && !strings.Contains(s, "  ") {
		return strings.TrimSpace(s)
	}
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	s = ansi.Strip(s)
	var b strings.Builder
	b.Grow(len(s))
	n, space := 0, false
	for _, r := range s {
		switch {
		case r == '\t' || r == '\n' || r == '\r' || r == '\v' || r == '\f' ||
			unicode.Is(unicode.Zl, r) || unicode.Is(unicode.Zp, r) || (unicode.IsSpace(r) && r != ' '):
			r = ' '
		case unicode.IsControl(r) || unicode.Is(unicode.Cf, r):
			continue
		case unicode.Is(unicode.Co, r) || unicode.Is(unicode.Cs, r) || !unicode.IsPrint(r) && r != ' ':
			continue
		}
		if r == ' ' {
			if space || n == 0 {
				continue
			}
			space = true
		} else {
			space = false
		}
		if n == MaxTextRunes {
			b.WriteString("…")
			break
		}
		b.WriteRune(r)
		n++
	}
	return strings.TrimRight(b.String(), " ")
}

func isPlainASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c > 0x7e {
			return false
		}
	}
	return true
}
