package serve

import (
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/charmbracelet/x/ansi"
)

// vt is a small terminal emulator for the tests: enough of ECMA-48 and
// xterm to replay what Bubble Tea's renderer writes (cursor moves,
// erases, inserts and deletes, scroll regions, repeats) into a grid of
// cells, so a test reads the screen a user sees, not the byte stream.
type vt struct {
	w, h     int
	cells    [][]rune // 0: the right half of a wide rune
	x, y     int
	top, bot int // scroll region, inclusive
	saveX    int
	saveY    int
	last     rune
	pending  bool // the cursor is past the last column (deferred wrap)

	st     int // parser state: 0 text, 1 ESC, 2 CSI, 3 string, 4 ESC in a string, 5 one more byte
	params []byte
	utf    []byte
}

func newVT(w, h int) *vt {
	t := &vt{}
	t.resize(w, h)
	return t
}

func (t *vt) resize(w, h int) {
	cells := make([][]rune, h)
	for y := range cells {
		cells[y] = make([]rune, w)
		for x := range cells[y] {
			cells[y][x] = ' '
			if y < len(t.cells) && x < len(t.cells[y]) {
				cells[y][x] = t.cells[y][x]
			}
		}
	}
	t.cells, t.w, t.h = cells, w, h
	t.top, t.bot = 0, h-1
	t.x, t.y = min(t.x, w-1), min(t.y, h-1)
}

// String is the screen, a line per row, trailing spaces trimmed.
func (t *vt) String() string {
	var b strings.Builder
	for y, row := range t.cells {
		var line strings.Builder
		for _, r := range row {
			if r != 0 {
				line.WriteRune(r)
			}
		}
		b.WriteString(strings.TrimRight(line.String(), " "))
		if y < len(t.cells)-1 {
			b.WriteByte('\n')
		}
	}
	return b.String()
}

func (t *vt) Write(p []byte) {
	for _, c := range p {
		t.byte(c)
	}
}

func (t *vt) byte(c byte) {
	switch t.st {
	case 0:
		switch {
		case c == 0x1b:
			t.st, t.utf = 1, t.utf[:0]
		case c == '\r':
			t.x, t.pending = 0, false
		case c == '\n', c == 0x0b, c == 0x0c:
			t.lineFeed()
		case c == '\b':
			t.x, t.pending = max(0, t.x-1), false
		case c == '\t':
			t.x, t.pending = min(t.w-1, (t.x/8+1)*8), false
		case c < 0x20 || c == 0x7f:
		case c < 0x80:
			t.put(rune(c))
		default:
			t.utf = append(t.utf, c)
			if utf8.FullRune(t.utf) {
				r, _ := utf8.DecodeRune(t.utf)
				t.utf = t.utf[:0]
				t.put(r)
			}
		}
	case 1:
		t.st = 0
		switch c {
		case '[':
			t.st, t.params = 2, t.params[:0]
		case ']', 'P', '_', '^', 'X':
			t.st = 3
		case '(', ')', '*', '+', '#', '%', ' ':
			t.st = 5
		case '7':
			t.saveX, t.saveY = t.x, t.y
		case '8':
			t.x, t.y, t.pending = t.saveX, t.saveY, false
		case 'M': // reverse index
			if t.y == t.top {
				t.scrollDown(1)
			} else {
				t.y = max(0, t.y-1)
			}
		case 'D':
			t.lineFeed()
		case 'E':
			t.x = 0
			t.lineFeed()
		case 'c':
			t.resize(t.w, t.h)
			t.clear(0, 0, t.w, t.h)
			t.x, t.y = 0, 0
		}
	case 2:
		if c >= 0x40 && c <= 0x7e {
			t.st = 0
			t.csi(c)
		} else {
			t.params = append(t.params, c)
		}
	case 3:
		switch c {
		case 0x07:
			t.st = 0
		case 0x1b:
			t.st = 4
		}
	case 4:
		if c == '\\' {
			t.st = 0
		} else {
			t.st = 3
		}
	case 5:
		t.st = 0
	}
}

func (t *vt) put(r rune) {
	w := ansi.StringWidth(string(r))
	if w == 0 {
		return
	}
	if t.pending || t.x+w > t.w {
		t.x, t.pending = 0, false
		t.lineFeed()
	}
	t.cells[t.y][t.x] = r
	if w == 2 && t.x+1 < t.w {
		t.cells[t.y][t.x+1] = 0
	}
	t.last = r
	t.x += w
	if t.x >= t.w {
		t.x, t.pending = t.w-1, true
	}
}

func (t *vt) lineFeed() {
	t.pending = false
	if t.y == t.bot {
		t.scrollUp(1)
		return
	}
	t.y = min(t.h-1, t.y+1)
}

func (t *vt) blank() []rune {
	row := make([]rune, t.w)
	for i := range row {
		row[i] = ' '
	}
	return row
}

func (t *vt) scrollUp(n int) {
	for range min(n, t.bot-t.top+1) {
		copy(t.cells[t.top:t.bot], t.cells[t.top+1:t.bot+1])
		t.cells[t.bot] = t.blank()
	}
}

func (t *vt) scrollDown(n int) {
	for range min(n, t.bot-t.top+1) {
		copy(t.cells[t.top+1:t.bot+1], t.cells[t.top:t.bot])
		t.cells[t.top] = t.blank()
	}
}

func (t *vt) clear(x0, y0, x1, y1 int) { // [x0,x1) of rows [y0,y1)
	for y := max(0, y0); y < min(t.h, y1); y++ {
		for x := max(0, x0); x < min(t.w, x1); x++ {
			t.cells[y][x] = ' '
		}
	}
}

func (t *vt) csi(final byte) {
	priv := len(t.params) > 0 && (t.params[0] == '?' || t.params[0] == '>' || t.params[0] == '<' || t.params[0] == '=')
	var ps []int
	for _, f := range strings.Split(strings.TrimLeft(string(t.params), "?><="), ";") {
		f, _, _ = strings.Cut(f, ":")
		n, _ := strconv.Atoi(f)
		ps = append(ps, n)
	}
	arg := func(i, def int) int {
		if i < len(ps) && ps[i] > 0 {
			return ps[i]
		}
		return def
	}
	if priv {
		if (final == 'h' || final == 'l') && arg(0, 0) == 1049 { // alternate screen: a fresh one either way
			t.clear(0, 0, t.w, t.h)
		}
		return
	}
	t.pending = final == 'm' && t.pending
	switch final {
	case 'A':
		if t.y >= t.top {
			t.y = max(t.top, t.y-arg(0, 1))
		} else {
			t.y = max(0, t.y-arg(0, 1))
		}
	case 'B':
		if t.y <= t.bot {
			t.y = min(t.bot, t.y+arg(0, 1))
		} else {
			t.y = min(t.h-1, t.y+arg(0, 1))
		}
	case 'C':
		t.x = min(t.w-1, t.x+arg(0, 1))
	case 'D':
		t.x = max(0, t.x-arg(0, 1))
	case 'E':
		t.x, t.y = 0, min(t.bot, t.y+arg(0, 1))
	case 'F':
		t.x, t.y = 0, max(t.top, t.y-arg(0, 1))
	case 'G', '`':
		t.x = min(t.w-1, arg(0, 1)-1)
	case 'd':
		t.y = min(t.h-1, arg(0, 1)-1)
	case 'H', 'f':
		t.y, t.x = min(t.h-1, arg(0, 1)-1), min(t.w-1, arg(1, 1)-1)
	case 'J':
		switch arg(0, 0) {
		case 0:
			t.clear(t.x, t.y, t.w, t.y+1)
			t.clear(0, t.y+1, t.w, t.h)
		case 1:
			t.clear(0, 0, t.w, t.y)
			t.clear(0, t.y, t.x+1, t.y+1)
		default:
			t.clear(0, 0, t.w, t.h)
		}
	case 'K':
		switch arg(0, 0) {
		case 0:
			t.clear(t.x, t.y, t.w, t.y+1)
		case 1:
			t.clear(0, t.y, t.x+1, t.y+1)
		default:
			t.clear(0, t.y, t.w, t.y+1)
		}
	case 'X':
		t.clear(t.x, t.y, t.x+arg(0, 1), t.y+1)
	case '@':
		n := min(arg(0, 1), t.w-t.x)
		row := t.cells[t.y]
		copy(row[t.x+n:], row[t.x:t.w-n])
		t.clear(t.x, t.y, t.x+n, t.y+1)
	case 'P':
		n := min(arg(0, 1), t.w-t.x)
		row := t.cells[t.y]
		copy(row[t.x:], row[t.x+n:])
		t.clear(t.w-n, t.y, t.w, t.y+1)
	case 'L', 'M':
		if t.y < t.top || t.y > t.bot {
			return
		}
		top := t.top
		t.top = t.y
		if final == 'L' {
			t.scrollDown(arg(0, 1))
		} else {
			t.scrollUp(arg(0, 1))
		}
		t.top = top
		t.x = 0
	case 'S':
		t.scrollUp(arg(0, 1))
	case 'T':
		t.scrollDown(arg(0, 1))
	case 'r':
		t.top, t.bot = arg(0, 1)-1, min(t.h, arg(1, t.h))-1
		if t.top >= t.bot {
			t.top, t.bot = 0, t.h-1
		}
		t.x, t.y = 0, 0
	case 'b':
		for range arg(0, 1) {
			t.put(t.last)
		}
	case 's':
		t.saveX, t.saveY = t.x, t.y
	case 'u':
		t.x, t.y = t.saveX, t.saveY
	}
}
