package ui

import (
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"
)

// TestTextWidthIsStringWidth: the fast width is ansi.StringWidth's, for
// every narrow rune alone and for random styled text mixing them with
// what the fast path hands over (wide, combining, emoji, other escapes).
func TestTextWidthIsStringWidth(t *testing.T) {
	var narrow []rune
	for _, g := range narrowRunes {
		for r := g[0]; r <= g[1]; r++ {
			if w := ansi.StringWidth(string(r)); w != 1 {
				t.Errorf("U+%04X is %d cells wide, not 1: take it out of narrowRunes", r, w)
			}
			narrow = append(narrow, r)
		}
	}
	others := []string{"日", "é", "e\u0301", "👍", "❤\ufe0f", "\u200b", "\x1b]8;;http://x\x1b\\", "\x1b(B", "\t", "\x7f",
		"\u00ad", "★", "⚑", "\x1b[", "\x1b[38;2;1;2;3m", "\x1b[0m", "\x1b[1;4:3m", "ˉ", "\U0001F1FA\U0001F1F8"}
	seed := rand.Uint64()
	rng := rand.New(rand.NewPCG(seed, 1))
	for i := range 20000 {
		var b strings.Builder
		for range rng.IntN(30) {
			switch rng.IntN(6) {
			case 0:
				b.WriteString(others[rng.IntN(len(others))])
			case 1:
				b.WriteString("\x1b[1;38;5;" + string(rune('0'+rng.IntN(10))) + "m")
			case 2:
				b.WriteByte(byte(0x20 + rng.IntN(0x5f)))
			default:
				b.WriteRune(narrow[rng.IntN(len(narrow))])
			}
		}
		s := b.String()
		if got, want := textWidth(s), ansi.StringWidth(s); got != want {
			t.Fatalf("seed %d, case %d: textWidth(%q) = %d, ansi.StringWidth = %d", seed, i, s, got, want)
		}
	}
}

func BenchmarkTextWidthHeaderLine(b *testing.B) {
	s := "\x1b[1m rchud\x1b[0m · Bluebird Logistics · Anastasia Sanchez (ext 101) · supervisor     \x1b[32mlive\x1b[0m ▲ › …"
	b.Run("textWidth", func(b *testing.B) {
		for range b.N {
			textWidth(s)
		}
	})
	b.Run("ansi.StringWidth", func(b *testing.B) {
		for range b.N {
			ansi.StringWidth(s)
		}
	})
}
