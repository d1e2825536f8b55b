package ui

import (
	"fmt"
	"strings"
	"time"

	"github.com/charmbracelet/x/ansi"
)

// FormatDuration renders a time in state or a call duration compactly:
// 0:42, 12:05, 1h02m, 2d03h.
func FormatDuration(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	s := int64(d / time.Second)
	switch {
	case s < 3600:
		return fmt.Sprintf("%d:%02d", s/60, s%60)
	case s < 86400:
		return fmt.Sprintf("%dh%02dm", s/3600, s%3600/60)
	}
	return fmt.Sprintf("%dd%02dh", s/86400, s%86400/3600)
}

// fit makes plain text exactly w cells wide: truncated with "…" or padded
// with spaces. s must already be sanitised.
func fit(s string, w int) string {
	if w <= 0 {
		return ""
	}
	if isPrintableASCII(s) { // most cells: one byte, one cell
		if len(s) > w {
			return s[:w-1] + "…"
		}
		return s + spaces(w-len(s))
	}
	return fitLine(s, w)
}

func isPrintableASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c > 0x7e {
			return false
		}
	}
	return true
}

const blanks = "                                                                                                    "

// spaces is n spaces, without allocating for the usual widths.
func spaces(n int) string {
	if n <= len(blanks) {
		return blanks[:max(0, n)]
	}
	return strings.Repeat(" ", n)
}

// padRight pads plain text to w cells (never truncates).
func padRight(s string, w int) string {
	if n := w - ansi.StringWidth(s); n > 0 {
		return s + spaces(n)
	}
	return s
}

// fitLine makes a styled line exactly w cells wide, cutting it with "…"
// when it is too long.
func fitLine(s string, w int) string {
	sw := ansi.StringWidth(s)
	if sw > w {
		s = ansi.Truncate(s, w, "…")
		sw = ansi.StringWidth(s)
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
	rw := ansi.StringWidth(right)
	if rw+1 >= w {
		return fitLine(right, w)
	}
	return fitLine(left, w-rw-1) + " " + right
}

// fits reports whether left and right fit on a line of w cells together.
func fits(left, right string, w int) bool {
	return ansi.StringWidth(left)+ansi.StringWidth(right)+1 <= w
}

// DNDLabel names a dndStatus in a few words.
func DNDLabel(s string) string {
	switch s {
	case "TakeAllCalls":
		return "all calls"
	case "DoNotAcceptDepartmentCalls":
		return "no queue calls"
	case "TakeDepartmentCallsOnly":
		return "queue only"
	case "DoNotAcceptAnyCalls":
		return "DND"
	case "":
		return "–"
	}
	return Sanitize(s)
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
	return Sanitize(s)
}

// formatAge says how long ago something was, as coarsely as the screen
// needs: seconds for a minute, then minutes, then hours.
func formatAge(d time.Duration) string {
	switch {
	case d < time.Second:
		return "just now"
	case d < time.Minute:
		return fmt.Sprintf("%ds ago", int(d/time.Second))
	case d < time.Hour:
		return fmt.Sprintf("%dm ago", int(d/time.Minute))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh ago", int(d/time.Hour))
	}
	return fmt.Sprintf("%dd ago", int(d/(24*time.Hour)))
}

// nextAgeChange is how long until formatAge(d) reads differently.
func nextAgeChange(d time.Duration) time.Duration {
	switch {
	case d < time.Second:
		return time.Second - d
	case d < time.Minute:
		return time.Second - d%time.Second
	case d < time.Hour:
		return time.Minute - d%time.Minute
	}
	return time.Hour - d%time.Hour
}
