package ui

import (
	"unicode/utf8"

	"github.com/charmbracelet/x/ansi"
)

// textWidth is ansi.StringWidth, fast for what the HUD draws: text in the
// scripts and symbols of narrowRunes, styled with CSI sequences. Anything
// else (a wide or combining character, an emoji, another escape) is
// measured by ansi.StringWidth, so the answer is always the same as its.
func textWidth(s string) int {
	w := 0
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == 0x1b:
			// CSI: ESC [ parameter bytes, then intermediate bytes, then a
			// final byte (ECMA-48); any other order is measured by ansi.
			if i+1 >= len(s) || s[i+1] != '[' {
				return ansi.StringWidth(s)
			}
			j := i + 2
			inter := false
			for j < len(s) && (s[j] < 0x40 || s[j] > 0x7e) {
				switch b := s[j]; {
				case b >= 0x30 && b <= 0x3f && !inter: // a parameter byte
				case b >= 0x20 && b <= 0x2f: // an intermediate byte
					inter = true
				default:
					return ansi.StringWidth(s)
				}
				j++
			}
			if j >= len(s) {
				return ansi.StringWidth(s)
			}
			i = j + 1
		case c >= 0x20 && c < 0x7f:
			w++
			i++
		case c < 0x80:
			return ansi.StringWidth(s) // a control character
		default:
			r, n := utf8.DecodeRuneInString(s[i:])
			if !narrowRune(r) {
				return ansi.StringWidth(s)
			}
			w++
			i += n
		}
	}
	return w
}

// narrowRunes are ranges of characters one cell wide that never join the
// next one into a grapheme cluster (TestTextWidthIsStringWidth checks
// every one of them against ansi.StringWidth).
var narrowRunes = [][2]rune{
	{0xa1, 0xac},     // Latin-1 punctuation and signs (not the soft hyphen)
	{0xae, 0x2ff},    // Latin letters, IPA, spacing modifiers
	{0x391, 0x3c9},   // Greek letters
	{0x410, 0x44f},   // Cyrillic letters
	{0x2010, 0x2027}, // dashes, quotes, bullets, the ellipsis
	{0x2030, 0x205e}, // per mille, primes, angle quotes (›)
	{0x2190, 0x21ff}, // arrows
	{0x2500, 0x25fc}, // box drawing, blocks, geometric shapes (▲ ▾)
}

func narrowRune(r rune) bool {
	for _, g := range narrowRunes {
		if r >= g[0] && r <= g[1] {
			return true
		}
	}
	return false
}
