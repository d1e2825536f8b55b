package state

import "slices"

// chunkList is an ordered list of entry positions kept as a list of short
// sorted chunks: an insert or a removal moves at most a chunk's worth of
// memory, and finding a position walks the chunk lengths. At 100k rows
// and chunkMax 512 that is about 400 chunks; BenchmarkIndexUpdate
// compares it with one sorted slice (chunkMax = ∞).
type chunkList struct {
	chunks [][]int32
	n      int
	max    int
}

// chunkMax is the longest a chunk grows before it splits.
var chunkMax = 512

func newChunkList() chunkList { return chunkList{max: chunkMax} }

// cmpFn orders two entry positions (a total order).
type cmpFn func(a, b int32) int

func (l *chunkList) len() int { return l.n }

// build replaces the contents with sorted, which it keeps.
func (l *chunkList) build(sorted []int32) {
	l.chunks = l.chunks[:0]
	l.n = len(sorted)
	half := max(1, l.max/2)
	for len(sorted) > 0 {
		k := min(half, len(sorted))
		l.chunks = append(l.chunks, sorted[:k:k])
		sorted = sorted[k:]
	}
}

// find returns the chunk where x belongs: the first whose last element
// does not sort before x, else the last chunk.
func (l *chunkList) find(x int32, cmp cmpFn) int {
	c, _ := slices.BinarySearchFunc(l.chunks, x, func(ch []int32, x int32) int { return cmp(ch[len(ch)-1], x) })
	return min(c, len(l.chunks)-1)
}

// insert adds x in order.
func (l *chunkList) insert(x int32, cmp cmpFn) {
	if len(l.chunks) == 0 {
		l.chunks = append(l.chunks, []int32{x})
		l.n = 1
		return
	}
	c := l.find(x, cmp)
	ch := l.chunks[c]
	i, _ := slices.BinarySearchFunc(ch, x, cmp)
	ch = slices.Insert(ch, i, x)
	l.n++
	if len(ch) > l.max {
		half := len(ch) / 2
		left := slices.Clone(ch[:half])
		right := slices.Clone(ch[half:])
		l.chunks[c] = left
		l.chunks = slices.Insert(l.chunks, c+1, right)
		return
	}
	l.chunks[c] = ch
}

// remove deletes x; it reports whether x was there.
func (l *chunkList) remove(x int32, cmp cmpFn) bool {
	if len(l.chunks) == 0 {
		return false
	}
	c := l.find(x, cmp)
	ch := l.chunks[c]
	i, ok := slices.BinarySearchFunc(ch, x, cmp)
	if !ok {
		return false
	}
	ch = slices.Delete(ch, i, i+1)
	l.n--
	if len(ch) == 0 {
		l.chunks = slices.Delete(l.chunks, c, c+1)
		return true
	}
	l.chunks[c] = ch
	return true
}

// rank is x's position, or -1 when x is not in the list.
func (l *chunkList) rank(x int32, cmp cmpFn) int {
	if len(l.chunks) == 0 {
		return -1
	}
	c := l.find(x, cmp)
	i, ok := slices.BinarySearchFunc(l.chunks[c], x, cmp)
	if !ok {
		return -1
	}
	for _, ch := range l.chunks[:c] {
		i += len(ch)
	}
	return i
}

// at is the element at position pos (0 ≤ pos < len).
func (l *chunkList) at(pos int) int32 {
	for _, ch := range l.chunks {
		if pos < len(ch) {
			return ch[pos]
		}
		pos -= len(ch)
	}
	panic("chunkList: position out of range")
}

// each calls fn with the elements at positions [from, to), in order.
func (l *chunkList) each(from, to int, fn func(pos int, x int32)) {
	pos := 0
	for _, ch := range l.chunks {
		if pos+len(ch) <= from {
			pos += len(ch)
			continue
		}
		for i, x := range ch {
			if p := pos + i; p >= from {
				if p >= to {
					return
				}
				fn(p, x)
			}
		}
		pos += len(ch)
		if pos >= to {
			return
		}
	}
}

// all returns every element in order.
func (l *chunkList) all() []int32 {
	out := make([]int32, 0, l.n)
	for _, ch := range l.chunks {
		out = append(out, ch...)
	}
	return out
}
