package state

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/charmbracelet/x/ansi"
)

// hostile is a corpus of strings a malicious or broken server could send
// as a name, a status message or a caller ID.
var hostile = []string{
	"\x1b[31mred\x1b[0m",
	"\x1b]0;pwned title\x07Alice",
	"\x1b]52;c;ZWNobyBoaQ==\x07clip",
	"\x1b]8;;https://evil.example\x1b\\link\x1b]8;;\x1b\\",
	"\x1bP1$r0m\x1b\\dcs",
	"\x1b_apc payload\x1b\\apc",
	"\x1b^pm payload\x1b\\pm",
	"\x1bXsos\x1b\\sos",
	"\u009b31mc1csi",
	"\u009d0;title\u009cc1osc",
	"bell\x07 back\x08space carriage\rreturn del\x7f",
	"new\nline\ttab",
	"\u202eevil\u202c right-to-left override",
	"\u2066isolate\u2069 \u200bzero\u200cwidth\u200d\ufeffbom",
	"\x1b[2J\x1b[Hclear screen",
	"\x1b[999C\x1b[999Bmove",
	"\x1b[?1049lexit alt screen",
	"\x1bc reset",
	"unterminated \x1b]0;title",
	"\xff\xfeinvalid utf8 \xc3",
	strings.Repeat("A", 10000),
	strings.Repeat("\x1b[1m", 1000) + "bold",
	"\u2028line sep\u2029para sep",
	"Zoë Ñuño 王伟 محمد",
}

func TestSanitizeRemovesEveryControlSequence(t *testing.T) {
	for _, in := range hostile {
		out := Sanitize(in)
		if !utf8.ValidString(out) {
			t.Errorf("%q: invalid UTF-8 out: %q", in, out)
		}
		if ansi.Strip(out) != out {
			t.Errorf("%q: escape sequence left: %q", in, out)
		}
		for _, r := range out {
			if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || r == 0x7f {
				t.Errorf("%q: control or format rune %U left in %q", in, r, out)
			}
		}
		if n := utf8.RuneCountInString(out); n > MaxTextRunes+1 {
			t.Errorf("%q: %d runes, over the cap", in[:min(len(in), 20)], n)
		}
		if strings.Contains(out, "  ") || strings.HasPrefix(out, " ") || strings.HasSuffix(out, " ") {
			t.Errorf("%q: uncollapsed spaces in %q", in, out)
		}
	}
}

func TestSanitizeKeepsText(t *testing.T) {
	cases := map[string]string{
		"Maria García":                              "Maria García",
		"\x1b[31mred\x1b[0m":                        "red",
		"\x1b]0;pwned title\x07Alice":               "Alice",
		"new\nline\ttab":                            "new line tab",
		"\u202eevil\u202c right-to-left":            "evil right-to-left",
		"  padded  ":                                "padded",
		"Zoë Ñuño 王伟 محمد":                          "Zoë Ñuño 王伟 محمد",
		"Out to lunch, back at 1:30":                "Out to lunch, back at 1:30",
		"\x1b]8;;https://x\x1b\\link\x1b]8;;\x1b\\": "link",
	}
	for in, want := range cases {
		if got := Sanitize(in); got != want {
			t.Errorf("Sanitize(%q) = %q, want %q", in, got, want)
		}
	}
	if got := Sanitize(strings.Repeat("é", 500)); !strings.HasSuffix(got, "…") || utf8.RuneCountInString(got) != MaxTextRunes+1 {
		t.Errorf("long text must be capped with an ellipsis")
	}
}

func FuzzSanitize(f *testing.F) {
	for _, s := range hostile {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		out := Sanitize(in)
		if ansi.Strip(out) != out || !utf8.ValidString(out) {
			t.Fatalf("unsafe output %q for %q", out, in)
		}
		for _, r := range out {
			if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
				t.Fatalf("control rune %U in %q", r, out)
			}
		}
		if Sanitize(out) != out {
			t.Fatalf("not idempotent: %q -> %q", out, Sanitize(out))
		}
	})
}
