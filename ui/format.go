package ui

import (
	"bytes"
	"fmt"
	"strings"
	"time"

	"github.com/charmbracelet/x/ansi"
)

// fit makes plain text exactly w cells wide: truncated with "…" or padded
// with spaces. s must already be sanitised.
func fit(s string, w int) string {
	if w <= 0 {
		return ""
	}
	text, tail, pad := fitParts(s, w)
	return text + tail + spaces(pad)
}

// writeFit writes fit(s, w) to b, without making the padded copy.
func writeFit(b *bytes.Buffer, s string, w int) {
	if w <= 0 {
		return
	}
	text, tail, pad := fitParts(s, w)
	b.WriteString(text)
	b.WriteString(tail)
	b.WriteString(spaces(pad))
}

// fitParts is fit(s, w) (w > 0) in the parts it is made of, so that
// neither fit nor writeFit copies what it need not: the text, then "…"
// when it was cut, then pad spaces.
func fitParts(s string, w int) (text, tail string, pad int) {
	if isPrintableASCII(s) { // most cells: one byte, one cell
		if len(s) > w {
			return s[:w-1], "…", 0
		}
		return s, "", w - len(s)
	}
	if sw := textWidth(s); sw <= w {
		return s, "", w - sw
	}
	return fitLine(s, w), "", 0
}

func isPrintableASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c > 0x7e {
			return false
		}
	}
	return true
}

// blanks are enough spaces to pad a line of the widest usual terminal.
var blanks = strings.Repeat(" ", 512)

// spaces is n spaces, without allocating for the usual widths.
func spaces(n int) string {
	if n <= len(blanks) {
		return blanks[:max(0, n)]
	}
	return strings.Repeat(" ", n)
}

// padRight pads plain text to w cells (never truncates).
func padRight(s string, w int) string {
	if n := w - textWidth(s); n > 0 {
		return s + spaces(n)
	}
	return s
}

// fitLine makes a styled line exactly w cells wide, cutting it with "…"
// when it is too long.
func fitLine(s string, w int) string {
	sw := textWidth(s)
	if sw > w {
		s = ansi.Truncate(s, w, "…")
		sw = textWidth(s)
	}
	if sw < w {
		s += spaces(w - sw)
	}
	return s
}

// spread puts left and right on one line of w cells, right-aligned right,
// at least a space apart; when both do not fit, left is cut first.
func spread(left, right string, w int) string {
	if right == "" {
		return fitLine(left, w)
	}
	rw := textWidth(right)
	if rw+1 >= w {
		return fitLine(right, w)
	}
	lw := w - rw - 1
	if sw := textWidth(left); sw <= lw {
		return left + spaces(lw-sw) + " " + right // fitLine's padding, in the one allocation
	}
	return fitLine(left, lw) + " " + right
}

// fits reports whether left and right fit on a line of w cells together.
func fits(left, right string, w int) bool {
	return textWidth(left)+textWidth(right)+1 <= w
}

// TelephonyLabel names a telephonyStatus in a word or two.
func TelephonyLabel(s string) string {
	switch s {
	case "NoCall":
		return "idle"
	case "Ringing":
		return "ringing"
	case "CallConnected":
		return "connected"
	case "OnHold":
		return "on hold"
	case "ParkedCall":
		return "parked"
	case "":
		return "–"
	}
	return s
}

// plural counts a noun: "1 match", "2 matches".
func plural(n int, one, many string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, one)
	}
	return fmt.Sprintf("%d %s", n, many)
}

// formatSpan says a long span as coarsely as the header needs: minutes,
// then hours, then days.
func formatSpan(d time.Duration) string {
	switch {
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d/time.Minute))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh", int(d/time.Hour))
	}
	return fmt.Sprintf("%dd", int(d/(24*time.Hour)))
}

// nextSpanChange is how long until formatSpan(d) reads differently.
func nextSpanChange(d time.Duration) time.Duration {
	switch {
	case d < time.Hour:
		return time.Minute - d%time.Minute
	case d < 48*time.Hour:
		return time.Hour - d%time.Hour
	}
	return 24*time.Hour - d%(24*time.Hour)
}
