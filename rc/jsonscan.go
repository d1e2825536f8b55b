package rc

import (
	"strings"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
	"unsafe"
)

// scanner reads JSON for the hand-written frame decoder (fastframe.go). It
// validates everything it reads, what it skips included, by the grammar
// encoding/json's own scanner applies, and gives up (bad) on anything
// invalid or anything whose meaning under encoding/json it does not
// reproduce exactly; the caller then lets encoding/json decode the frame.
// It never reports an error of its own: bad only means "not mine".
//
// Once bad, every method returns a zero value and the position is at the
// end, so the decoders' loops end without checking at every step.
type scanner struct {
	// data is the frame: the reader's buffer, reused for the next frame,
	// so no string that outlives the decode may point into it.
	data []byte
	// kept holds the text of the strings the decoded frame carries
	// (keep): several strings share one allocation, and only their text
	// is copied, not the whole frame (see fastframe.go on what a string
	// kept after the frame keeps alive).
	kept  []byte
	i     int
	depth int
	bad   bool
}

// maxScanDepth bounds nesting. The typed shapes are at most 6 deep; a
// deeper frame is left to encoding/json (limit 10000) rather than recursed
// into here.
const maxScanDepth = 64

func (s *scanner) fail() {
	s.bad = true
	s.i = len(s.data)
}

func (s *scanner) ws() {
	for s.i < len(s.data) && isSpace(s.data[s.i]) {
		s.i++
	}
}

// peek returns the next byte after whitespace, 0 at the end.
func (s *scanner) peek() byte {
	s.ws()
	if s.i < len(s.data) {
		return s.data[s.i]
	}
	return 0
}

// consume reads byte c, after whitespace.
func (s *scanner) consume(c byte) bool {
	if s.peek() != c {
		s.fail()
		return false
	}
	s.i++
	return true
}

// null consumes a null literal if one is next.
func (s *scanner) null() bool {
	if s.peek() != 'n' {
		return false
	}
	s.literal("null")
	return true
}

func (s *scanner) literal(lit string) {
	if len(s.data)-s.i < len(lit) || string(s.data[s.i:s.i+len(lit)]) != lit {
		s.fail()
		return
	}
	s.i += len(lit)
}

// enter consumes the opening bracket of an object or array.
func (s *scanner) enter(open byte) bool {
	if !s.consume(open) {
		return false
	}
	if s.depth++; s.depth > maxScanDepth {
		s.fail()
		return false
	}
	return true
}

// nextKey moves to the next member of the object entered: it returns the
// member's key (decoded as encoding/json decodes keys) with the colon
// consumed, or false at the closing brace. first is the loop's state.
func (s *scanner) nextKey(first *bool) (string, bool) {
	c := s.peek()
	switch {
	case c == '}':
		s.i++
		s.depth--
		return "", false
	case *first:
		*first = false
	case c == ',':
		s.i++
	default:
		s.fail()
		return "", false
	}
	if s.peek() != '"' {
		s.fail()
		return "", false
	}
	k := s.transient()
	if !s.consume(':') {
		return "", false
	}
	return k, true
}

// more is nextKey for loops: `for first, k := true, ""; s.more(&first, &k); {`.
// The key may point into data: compare it, never keep it.
func (s *scanner) more(first *bool, key *string) bool {
	k, ok := s.nextKey(first)
	*key = k
	return ok && !s.bad
}

// nextElem moves to the next element of the array entered, false at the
// closing bracket.
func (s *scanner) nextElem(first *bool) bool {
	c := s.peek()
	switch {
	case c == ']':
		s.i++
		s.depth--
		return false
	case *first:
		*first = false
	case c == ',':
		s.i++
	default:
		s.fail()
		return false
	}
	return !s.bad
}

// str reads a string as encoding/json decodes it into a Go string, for
// the decoded frame to keep: see text and keep.
func (s *scanner) str() string {
	start, end, dec, plain := s.text()
	if !plain {
		return dec
	}
	return s.keep(start, end)
}

// transient reads a string that is only looked at while decoding (a key,
// a time): its text is not copied out of data, so it must not be kept.
func (s *scanner) transient() string {
	start, end, dec, plain := s.text()
	if !plain || start == end {
		return dec
	}
	return unsafe.String(&s.data[start], end-start)
}

// text reads a string as encoding/json decodes it into a Go string:
// plain, its text is data[start:end] as is (no escapes, valid UTF-8);
// else dec is the text unescaped with invalid UTF-8 replaced by U+FFFD,
// a new string ("" once bad).
func (s *scanner) text() (start, end int, dec string, plain bool) {
	if s.peek() != '"' {
		s.fail()
		return 0, 0, "", false
	}
	start = s.i + 1
	i := start
	for i < len(s.data) && !strStop[s.data[i]] {
		i++
	}
	switch {
	case i == len(s.data):
		s.fail()
		return 0, 0, "", false
	case s.data[i] == '"':
		s.i = i + 1
		return start, i, "", true
	case s.data[i] < 0x20:
		s.fail()
		return 0, 0, "", false
	}
	// An escape or a non-ASCII byte.
	end, escaped := s.strEnd(start)
	if s.bad {
		return 0, 0, "", false
	}
	raw := s.data[start:end]
	s.i = end + 1
	if !escaped && utf8.Valid(raw) {
		return start, end, "", true
	}
	return 0, 0, unquote(raw), false
}

// keep copies data[start:end] into kept and returns it as a string. A
// new block of kept is sized for the share of what is left of the frame
// that notifications carry as strings (about a third; the rest is keys,
// punctuation, numbers, times and interned words), so most frames take
// one block, smaller than the frame. Text already in kept is never
// written again: the strings handed out stay as they were.
func (s *scanner) keep(start, end int) string {
	n := end - start
	if n == 0 {
		return "" // no reference into kept for nothing
	}
	if cap(s.kept)-len(s.kept) < n {
		s.kept = make([]byte, 0, max(n, keptBlock(len(s.data)-start)))
	}
	at := len(s.kept)
	s.kept = append(s.kept, s.data[start:end]...)
	return unsafe.String(&s.kept[at], n)
}

// keptBlock is the size of a new block of kept when rest bytes of the
// frame are left to read.
func keptBlock(rest int) int { return max(rest*2/5, 64) }

// strStop marks the bytes that end str's plain run: the quote, the
// backslash, control bytes and non-ASCII.
var strStop = func() (t [256]bool) {
	for c := range 256 {
		t[c] = c == '"' || c == '\\' || c < 0x20 || c >= utf8.RuneSelf
	}
	return t
}()

// strEnd finds the closing quote of the string starting at start,
// validating escapes and control bytes as encoding/json's scanner does
// (it does not check UTF-8).
func (s *scanner) strEnd(start int) (end int, escaped bool) {
	for i := start; i < len(s.data); i++ {
		switch c := s.data[i]; {
		case c == '"':
			return i, escaped
		case c == '\\':
			escaped = true
			if i+1 >= len(s.data) {
				s.fail()
				return 0, false
			}
			i++
			switch s.data[i] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			case 'u':
				if i+4 >= len(s.data) {
					s.fail()
					return 0, false
				}
				for _, h := range s.data[i+1 : i+5] {
					if hexVal(h) < 0 {
						s.fail()
						return 0, false
					}
				}
				i += 4
			default:
				s.fail()
				return 0, false
			}
		case c < 0x20:
			s.fail()
			return 0, false
		}
	}
	s.fail()
	return 0, false
}

func hexVal(c byte) rune {
	switch {
	case '0' <= c && c <= '9':
		return rune(c - '0')
	case 'a' <= c && c <= 'f':
		return rune(c-'a') + 10
	case 'A' <= c && c <= 'F':
		return rune(c-'A') + 10
	}
	return -1
}

func hex4(b []byte) rune {
	return hexVal(b[0])<<12 | hexVal(b[1])<<8 | hexVal(b[2])<<4 | hexVal(b[3])
}

// unquote is encoding/json's unquoteBytes on the inside of a string
// already validated by strEnd: escapes decoded, a \u surrogate pair
// joined, a lone or broken surrogate and each invalid UTF-8 byte
// replaced by U+FFFD.
func unquote(raw []byte) string {
	b := make([]byte, 0, len(raw)+2*utf8.UTFMax)
	for r := 0; r < len(raw); {
		c := raw[r]
		switch {
		case c == '\\':
			switch e := raw[r+1]; e {
			case 'b':
				b = append(b, '\b')
			case 'f':
				b = append(b, '\f')
			case 'n':
				b = append(b, '\n')
			case 'r':
				b = append(b, '\r')
			case 't':
				b = append(b, '\t')
			case 'u':
				rr := hex4(raw[r+2 : r+6])
				r += 6
				if utf16.IsSurrogate(rr) {
					if r+6 <= len(raw) && raw[r] == '\\' && raw[r+1] == 'u' {
						if dec := utf16.DecodeRune(rr, hex4(raw[r+2:r+6])); dec != unicode.ReplacementChar {
							r += 6
							b = utf8.AppendRune(b, dec)
							continue
						}
					}
					rr = unicode.ReplacementChar
				}
				b = utf8.AppendRune(b, rr)
				continue
			default: // " \ /
				b = append(b, e)
			}
			r += 2
		case c < utf8.RuneSelf:
			b = append(b, c)
			r++
		default:
			rr, size := utf8.DecodeRune(raw[r:])
			r += size
			b = utf8.AppendRune(b, rr)
		}
	}
	return string(b)
}

// number reads a number by the JSON grammar: its text is data[start:end].
func (s *scanner) number() (start, end int) {
	s.ws()
	d := s.data
	start = s.i
	i := start
	if i < len(d) && d[i] == '-' {
		i++
	}
	switch {
	case i < len(d) && d[i] == '0':
		i++
	case i < len(d) && '1' <= d[i] && d[i] <= '9':
		for i++; i < len(d) && isDigit(d[i]); i++ {
		}
	default:
		s.fail()
		return 0, 0
	}
	if i < len(d) && d[i] == '.' {
		i++
		if i == len(d) || !isDigit(d[i]) {
			s.fail()
			return 0, 0
		}
		for ; i < len(d) && isDigit(d[i]); i++ {
		}
	}
	if i < len(d) && (d[i] == 'e' || d[i] == 'E') {
		i++
		if i < len(d) && (d[i] == '+' || d[i] == '-') {
			i++
		}
		if i == len(d) || !isDigit(d[i]) {
			s.fail()
			return 0, 0
		}
		for ; i < len(d) && isDigit(d[i]); i++ {
		}
	}
	s.i = i
	return start, i
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// integer reads a number into an int64 field. Only a plain integer of at
// most 18 digits is taken: a fraction or exponent is a type error to
// encoding/json, and 19 digits may overflow; both are left to it.
func (s *scanner) integer() int64 {
	start, end := s.number()
	lit := s.data[start:end]
	digits := lit
	if len(digits) > 0 && digits[0] == '-' {
		digits = digits[1:]
	}
	if s.bad || len(digits) > 18 {
		s.fail()
		return 0
	}
	var n int64
	for _, c := range digits {
		if !isDigit(c) {
			s.fail()
			return 0
		}
		n = n*10 + int64(c-'0')
	}
	if len(digits) < len(lit) {
		n = -n
	}
	return n
}

// boolean reads true or false.
func (s *scanner) boolean() bool {
	switch s.peek() {
	case 't':
		s.literal("true")
		return true
	case 'f':
		s.literal("false")
		return false
	}
	s.fail()
	return false
}

// skip reads and validates any value.
func (s *scanner) skip() {
	switch c := s.peek(); c {
	case '"':
		if end, _ := s.strEnd(s.i + 1); !s.bad {
			s.i = end + 1
		}
	case '{':
		if !s.enter('{') {
			return
		}
		for first, k := true, ""; s.more(&first, &k); {
			s.skip()
		}
	case '[':
		if !s.enter('[') {
			return
		}
		for first := true; s.nextElem(&first); {
			s.skip()
		}
	case 't':
		s.literal("true")
	case 'f':
		s.literal("false")
	case 'n':
		s.literal("null")
	default:
		s.number()
	}
}

// unknown skips the value of a key the type has no field for. encoding/json
// would fill a field whose name matches the key case-insensitively ("UUID"
// fills UUID), folding non-ASCII letters too (the Kelvin sign matches k):
// such keys are not this decoder's.
func (s *scanner) unknown(key string, fields []string) {
	for i := 0; i < len(key); i++ {
		if key[i] >= utf8.RuneSelf {
			s.fail()
			return
		}
	}
	for _, f := range fields {
		if len(f) == len(key) && strings.EqualFold(f, key) { // ASCII: folding keeps the length
			s.fail()
			return
		}
	}
	s.skip()
}

// take is the start of every known field's value: false, with the
// scanner failed, if the object had the key already (encoding/json would
// decode into what the first value left, which is not replicated), and
// false, with the null consumed, for null, which leaves the still zero
// field zero under encoding/json whatever its type (a nil pointer, slice
// or map; an unchanged value; ID and Time decode null to their zero).
func (s *scanner) take(seen *uint64, bit uint) bool {
	if *seen&(1<<bit) != 0 {
		s.fail()
		return false
	}
	*seen |= 1 << bit
	return !s.null() && !s.bad
}
