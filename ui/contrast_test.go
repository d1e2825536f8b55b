package ui

import (
	"math"
	"regexp"
	"strconv"
	"testing"

	"github.com/charmbracelet/colorprofile"

	"github.com/rchud/rchud/state"
)

// sgrColor extracts a truecolor foreground (38) or background (48) from
// an SGR sequence.
func sgrColor(seq string, which int) ([3]float64, bool) {
	m := regexp.MustCompile(strconv.Itoa(which) + `;2;(\d+);(\d+);(\d+)`).FindStringSubmatch(seq)
	if m == nil {
		return [3]float64{}, false
	}
	var c [3]float64
	for i := range c {
		v, _ := strconv.Atoi(m[i+1])
		c[i] = float64(v)
	}
	return c, true
}

// contrast is the WCAG 2 contrast ratio of two sRGB colours.
func contrast(a, b [3]float64) float64 {
	lum := func(c [3]float64) float64 {
		var l [3]float64
		for i, v := range c {
			v /= 255
			if v <= 0.03928 {
				l[i] = v / 12.92
			} else {
				l[i] = math.Pow((v+0.055)/1.055, 2.4)
			}
		}
		return 0.2126*l[0] + 0.7152*l[1] + 0.0722*l[2]
	}
	x, y := lum(a), lum(b)
	return (math.Max(x, y) + 0.05) / (math.Min(x, y) + 0.05)
}

// TestPaletteIsReadableOnLightAndDark checks every truecolor pair the HUD
// draws: badges (their own background) at least 3:1, the coloured texts
// and the changed-row highlight at least 4.5:1 against the terminal's
// background or default text, on a light and on a dark terminal.
func TestPaletteIsReadableOnLightAndDark(t *testing.T) {
	white, black := [3]float64{255, 255, 255}, [3]float64{0, 0, 0}
	for _, dark := range []bool{false, true} {
		s := NewStyles(colorprofile.TrueColor, dark)
		bg := white
		if dark {
			bg = black
		}
		for a := state.Available; a < state.NoPresence; a++ {
			pre := s.badgePaint[a].pre
			b, okb := sgrColor(pre, 48)
			f, okf := sgrColor(pre, 38)
			if !okb || !okf {
				t.Fatalf("badge %v has no truecolor pair: %q", a, pre)
			}
			if r := contrast(b, f); r < 3 {
				t.Errorf("dark=%v: badge %v contrast %.2f", dark, a, r)
			}
		}
		for name, p := range map[string]paint{"error": s.Error, "pending": s.Pending, "ok": s.OK, "alarm": s.alarm[1]} {
			f, ok := sgrColor(p.pre, 38)
			if !ok {
				t.Fatalf("%s has no colour: %q", name, p.pre)
			}
			if r := contrast(f, bg); r < 4.5 {
				t.Errorf("dark=%v: %s text contrast %.2f on the terminal background", dark, name, r)
			}
		}
		// The just-changed mark is the terminal's own text colour, bold:
		// whatever the background, it reads as well as any text.
		if _, ok := sgrColor(s.Changed.pre, 38); ok || s.Changed.pre != "\x1b[1m" {
			t.Errorf("dark=%v: the changed mark must be bold default text: %q", dark, s.Changed.pre)
		}
	}
}
