package ui

import (
	"sync"

	"github.com/charmbracelet/colorprofile"
	uv "github.com/charmbracelet/ultraviolet"
)

// Shared is what many HUDs on one mirror (rchud serve) draw once for all
// of them: a row as text, and a line of text as the terminal's cells.
// Viewers of the same account see the same rows in the same layout, so
// under load the first viewer to draw a changed row pays for it and the
// rest find it; before this every viewer rendered and parsed every
// changed line itself, and that was most of the hub's work. A row's key
// holds everything it depends on (the entry, its marks, the layout, the
// palette, the second on its clock) and a line's is its text and width,
// so a viewer can only find what it would have drawn itself. Safe for
// concurrent use; each cache keeps about the lines of the last few
// frames of every distinct view.
type Shared struct {
	rows  genCache[rowKey, string]
	cells genCache[cellsKey, uv.Line]
}

// NewShared makes empty caches.
func NewShared() *Shared {
	return &Shared{rows: newGenCache[rowKey, string](sharedRows), cells: newGenCache[cellsKey, uv.Line](sharedLines)}
}

// How many rows and lines a generation of Shared holds: what the viewers
// draw in about a second (a few changed rows a frame, for each distinct
// size, palette and sort) before the older generation is dropped. A line
// of cells is large (a 200-column line is about 13 KB), so this bounds
// the hub's memory too: at most 2 x 384 lines, about 5 MB at 100 columns.
const (
	sharedRows  = 1024
	sharedLines = 384
)

// cellsKey is a line of text drawn width cells wide.
type cellsKey struct {
	text  string
	width int
}

// genCache is a map that forgets what has not been asked for in the last
// two generations: a lookup in the old generation moves the entry to the
// current one, and when the current one is full it becomes the old one.
type genCache[K comparable, V any] struct {
	mu        sync.Mutex
	cur, prev map[K]V
	limit     int
}

func newGenCache[K comparable, V any](limit int) genCache[K, V] {
	return genCache[K, V]{cur: make(map[K]V), limit: limit}
}

func (c *genCache[K, V]) get(k K) (V, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if v, ok := c.cur[k]; ok {
		return v, true
	}
	v, ok := c.prev[k]
	if ok {
		c.putLocked(k, v)
	}
	return v, ok
}

func (c *genCache[K, V]) put(k K, v V) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.putLocked(k, v)
}

func (c *genCache[K, V]) putLocked(k K, v V) {
	if len(c.cur) >= c.limit {
		c.prev, c.cur = c.cur, make(map[K]V, c.limit/2)
	}
	c.cur[k] = v
}

// styleSet is one palette per colour profile and background: a palette is
// never changed once built, so every model on the same terminal kind
// shares one (and Shared's rows, keyed by it, are found across viewers).
var styleSet sync.Map // styleKey -> *Styles

type styleKey struct {
	p    colorprofile.Profile
	dark bool
}

// stylesFor is NewStyles built once per profile and background.
func stylesFor(p colorprofile.Profile, dark bool) *Styles {
	k := styleKey{p, dark}
	if s, ok := styleSet.Load(k); ok {
		return s.(*Styles)
	}
	s, _ := styleSet.LoadOrStore(k, NewStyles(p, dark))
	return s.(*Styles)
}
