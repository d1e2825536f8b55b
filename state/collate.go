package state

import (
	"strings"

	"golang.org/x/text/collate"
	"golang.org/x/text/language"
)

// collator turns names into sort keys the way people expect them ordered
// in their language: "Émile" with the Es, "João" before "Joshua", case
// ignored. A collate.Collator is not safe for concurrent use: the mirror
// uses it under its lock only.
type collator struct {
	c   *collate.Collator
	buf collate.Buffer
}

// newCollator makes a collator for a locale name as LANG spells it
// ("de_DE.UTF-8", "sv_SE", "C"); English when it names no language.
func newCollator(locale string) *collator {
	return &collator{c: collate.New(localeTag(locale), collate.IgnoreCase, collate.Loose)}
}

// localeTag reads a POSIX locale name into a language tag.
func localeTag(locale string) language.Tag {
	if i := strings.IndexAny(locale, ".@"); i >= 0 {
		locale = locale[:i]
	}
	locale = strings.ReplaceAll(locale, "_", "-")
	if locale == "" || locale == "C" || locale == "POSIX" {
		return language.English
	}
	tag, err := language.Parse(locale)
	if err != nil || tag == language.Und {
		return language.English
	}
	return tag
}

// key is s's sort key: comparing keys bytewise orders the strings.
func (c *collator) key(s string) string {
	if s == "" {
		return ""
	}
	k := string(c.c.KeyFromString(&c.buf, s))
	c.buf.Reset()
	return k
}
