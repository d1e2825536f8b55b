package state

import (
	"cmp"
	"math"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Column is a sortable grid column.
type Column int

// Columns.
const (
	ColName Column = iota
	ColNumber
	ColAvailability
	ColTelephony
	ColDND
	ColStatus // user status and message
	ColSince  // time in state
	ColCall   // the active call
	ColDepartment
)

// GroupBy selects grouping.
type GroupBy int

// Groupings.
const (
	GroupNone GroupBy = iota
	GroupQueue
	GroupDepartment
)

// Query is what the grid asks of the mirror.
type Query struct {
	// Text matches, case-insensitively, name, number, department,
	// availability, status, message and the callers of active calls.
	Text string
	// States keeps only these availabilities (none: all).
	States []Availability
	// All includes extensions without presence (queues, IVR, park).
	All bool
	// Stale keeps only the extensions that may be out of date.
	Stale bool
	Sort  Column
	Desc  bool
	By    GroupBy
}

// Group is one section of a projection.
type Group struct {
	Key    ID
	Title  string
	IDs    []ID
	Counts map[Availability]int
}

// Projection is the rows a query selects, in order, in groups (one
// untitled group when not grouping).
type Projection struct {
	Groups []Group
	Total  int
}

// Project filters, sorts and groups the extensions. Sorting is stable and
// ties go by extension number, so rows never jump among equals.
func (m *Mirror) Project(q Query) Projection {
	m.mu.RLock()
	defer m.mu.RUnlock()
	text := strings.ToLower(strings.TrimSpace(q.Text))
	var states [NoPresence + 1]bool
	for _, s := range q.States {
		if s >= 0 && s <= NoPresence {
			states[s] = true
		}
	}
	idx := make([]int, 0, len(m.entries))
	for i := range m.entries {
		e := &m.entries[i]
		if !q.All && e.Type != TypeUser {
			continue
		}
		if len(q.States) > 0 && !states[e.Availability] {
			continue
		}
		if text != "" && !matches(e, text) {
			continue
		}
		if q.Stale && !m.staleLocked(e) {
			continue
		}
		idx = append(idx, i)
	}
	m.sortIndices(idx, q.Sort, q.Desc)

	var p Projection
	p.Total = len(idx)
	switch q.By {
	case GroupNone:
		g := Group{IDs: make([]ID, len(idx)), Counts: map[Availability]int{}}
		for k, i := range idx {
			g.IDs[k] = m.entries[i].ID
			g.Counts[m.entries[i].Availability]++
		}
		p.Groups = []Group{g}
	case GroupQueue:
		p.Groups = m.groupBy(idx, func(e *Entry) []string { return idsToStrings(e.Queues) }, func(k string) string {
			if qi, ok := m.qindex[ID(k)]; ok {
				return m.queues[qi].Name
			}
			return k
		}, "Not in a queue")
	case GroupDepartment:
		p.Groups = m.groupBy(idx, func(e *Entry) []string {
			if e.Department == "" {
				return nil
			}
			return []string{e.Department}
		}, func(k string) string { return k }, "No department")
	}
	return p
}

func idsToStrings(ids []ID) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = string(id)
	}
	return out
}

// groupBy puts each row in every group keyFn names (or the rest group),
// groups ordered by title, rows in the projection's order.
func (m *Mirror) groupBy(idx []int, keyFn func(*Entry) []string, title func(string) string, rest string) []Group {
	byKey := map[string]*Group{}
	var order []*Group
	get := func(key, t string) *Group {
		g := byKey[key]
		if g == nil {
			g = &Group{Key: ID(key), Title: t, Counts: map[Availability]int{}}
			byKey[key] = g
			order = append(order, g)
		}
		return g
	}
	for _, i := range idx {
		e := &m.entries[i]
		keys := keyFn(e)
		if len(keys) == 0 {
			keys = []string{"\xff"}
		}
		for _, k := range keys {
			t := rest
			if k != "\xff" {
				t = title(k)
			}
			g := get(k, t)
			g.IDs = append(g.IDs, e.ID)
			g.Counts[e.Availability]++
		}
	}
	slices.SortStableFunc(order, func(a, b *Group) int {
		if (a.Key == "\xff") != (b.Key == "\xff") {
			if a.Key == "\xff" {
				return 1
			}
			return -1
		}
		return compareFold(a.Title, b.Title)
	})
	out := make([]Group, len(order))
	for i, g := range order {
		if g.Key == "\xff" {
			g.Key = ""
		}
		out[i] = *g
	}
	return out
}

// matches reports whether e contains text anywhere a receptionist would
// look.
func matches(e *Entry, text string) bool {
	if strings.Contains(e.search, text) {
		return true
	}
	if strings.Contains(strings.ToLower(e.Availability.String()), text) ||
		strings.Contains(strings.ToLower(e.Message), text) ||
		strings.Contains(strings.ToLower(e.UserStatus), text) ||
		strings.Contains(strings.ToLower(e.DNDStatus), text) {
		return true
	}
	for _, c := range e.Calls {
		name, num := c.Party()
		if strings.Contains(strings.ToLower(name), text) || strings.Contains(num, text) {
			return true
		}
	}
	return false
}

// compareFold orders a and b as cmp.Compare(strings.ToLower(a),
// strings.ToLower(b)) would, without allocating: sorting 100k names by
// lowered copies cost half a second a projection.
func compareFold(a, b string) int {
	for a != "" && b != "" {
		ca, cb := a[0], b[0]
		if ca < utf8.RuneSelf && cb < utf8.RuneSelf {
			if 'A' <= ca && ca <= 'Z' {
				ca += 'a' - 'A'
			}
			if 'A' <= cb && cb <= 'Z' {
				cb += 'a' - 'A'
			}
			if ca != cb {
				return cmp.Compare(ca, cb)
			}
			a, b = a[1:], b[1:]
			continue
		}
		ra, na := utf8.DecodeRuneInString(a)
		rb, nb := utf8.DecodeRuneInString(b)
		// Lowered runes compare as their UTF-8 encodings do.
		if la, lb := unicode.ToLower(ra), unicode.ToLower(rb); la != lb {
			return cmp.Compare(la, lb)
		}
		a, b = a[na:], b[nb:]
	}
	return cmp.Compare(len(a), len(b))
}

// compareNumbers orders extension numbers numerically (shorter first).
func compareNumbers(a, b string) int {
	if len(a) != len(b) {
		return cmp.Compare(len(a), len(b))
	}
	return strings.Compare(a, b)
}

// sortKey is one row's sort key, copied out of its entry so the sort
// compares within a compact array instead of chasing large entries, and
// swaps 4-byte positions instead of keys.
type sortKey struct {
	s   string // text key
	n   int64  // enum or time key (unknown time: last)
	num string // extension number: the tie-break
	nk  uint64 // the number packed as numberKey, when every one packs
	i   int    // index in directory order: the last tie-break
}

// numberKey packs an extension number of up to 16 digits so that integer
// order is compareNumbers' order (length first, then digits).
func numberKey(s string) (uint64, bool) {
	if len(s) > 16 {
		return 0, false
	}
	var v uint64
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + uint64(c-'0')
	}
	return uint64(len(s))<<56 | v, true
}

// timeKey orders times as compareSince does: unknown (zero) last. Times
// from the server fall well inside UnixNano's years 1678 to 2262.
func timeKey(t time.Time) int64 {
	if t.IsZero() {
		return math.MaxInt64
	}
	return t.UnixNano()
}

// sortIndices orders entry indices by column; ties by extension number,
// then directory order, which is exactly the order a stable sort of idx
// (in directory order) would give. desc reverses the column order but
// never the tie-break.
func (m *Mirror) sortIndices(idx []int, col Column, desc bool) {
	keys := make([]sortKey, len(idx))
	packed := true
	for k, i := range idx {
		e := &m.entries[i]
		sk := sortKey{num: e.Number, i: i}
		if packed {
			sk.nk, packed = numberKey(e.Number)
		}
		switch col {
		case ColName:
			sk.s = e.nameKey
		case ColAvailability:
			sk.n = int64(e.Availability)
		case ColTelephony:
			sk.s = e.TelephonyStatus
		case ColDND:
			sk.s = e.DNDStatus
		case ColStatus:
			sk.s = e.UserStatus
		case ColSince:
			sk.n = timeKey(e.AvailSince)
		case ColCall:
			sk.n = timeKey(firstCallStart(e))
		case ColDepartment:
			sk.s = e.deptKey
		}
		keys[k] = sk
	}
	number := func(x, y *sortKey) int {
		if packed {
			return cmp.Compare(x.nk, y.nk)
		}
		return compareNumbers(x.num, y.num)
	}
	order := make([]int32, len(keys))
	for k := range order {
		order[k] = int32(k)
	}
	slices.SortFunc(order, func(a, b int32) int {
		x, y := &keys[a], &keys[b]
		var c int
		switch col {
		case ColNumber:
			c = number(x, y)
		case ColAvailability, ColSince, ColCall:
			c = cmp.Compare(x.n, y.n)
		default:
			c = strings.Compare(x.s, y.s)
			if c == 0 && col == ColStatus {
				c = compareFold(m.entries[x.i].Message, m.entries[y.i].Message)
			}
		}
		if desc {
			c = -c
		}
		if c != 0 {
			return c
		}
		if c := number(x, y); c != 0 {
			return c
		}
		return cmp.Compare(x.i, y.i)
	})
	for k, o := range order {
		idx[k] = keys[o].i
	}
}

// compareSince orders the longest in state first; unknown goes last.
func compareSince(a, b time.Time) int {
	switch {
	case a.IsZero() && b.IsZero():
		return 0
	case a.IsZero():
		return 1
	case b.IsZero():
		return -1
	}
	return a.Compare(b)
}

func firstCallStart(e *Entry) time.Time {
	if len(e.Calls) == 0 {
		return time.Time{}
	}
	t := e.Calls[0].Start
	for _, c := range e.Calls[1:] {
		if c.Start.Before(t) {
			t = c.Start
		}
	}
	return t
}

// FindNumber looks in ids for the extension whose number is prefix, else
// the lowest number that starts with prefix (typing digits jumps there).
// It returns its position in ids and its number, or -1.
func (m *Mirror) FindNumber(ids []ID, prefix string) (int, string) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	best, bestNum := -1, ""
	for k, id := range ids {
		i, ok := m.index[id]
		if !ok {
			continue
		}
		num := m.entries[i].Number
		if !strings.HasPrefix(num, prefix) {
			continue
		}
		if num == prefix {
			return k, num
		}
		if best < 0 || compareNumbers(num, bestNum) < 0 {
			best, bestNum = k, num
		}
	}
	return best, bestNum
}

// CompareNumbers orders extension numbers as the grid does: shorter first,
// then digit by digit.
func CompareNumbers(a, b string) int { return compareNumbers(a, b) }
