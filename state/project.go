package state

import (
	"cmp"
	"math"
	"slices"
	"strings"
	"time"
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
	// Ties go by the (unique) extension number, so the order is total: an
	// unstable sort gives the same stable result, faster.
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
		return cmp.Compare(strings.ToLower(a.Title), strings.ToLower(b.Title))
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
	return strings.Contains(e.search, text) || strings.Contains(e.dyn, text)
}

// compareNumbers orders extension numbers numerically (shorter first).
func compareNumbers(a, b string) int {
	if len(a) != len(b) {
		return cmp.Compare(len(a), len(b))
	}
	return strings.Compare(a, b)
}

// sortItem is an entry's sort key in a compact, contiguous array, so a
// sort over 100k entries does not chase pointers into the entries.
type sortItem struct {
	s   string // string key (name, message, ...)
	k   int64  // numeric key (availability, a time)
	n   int64  // extension number as a number, the tie-break
	num string // extension number, for the rare non-numeric one
	i   int32
}

// sortIndices orders entry indices by column; ties by extension number.
// desc reverses the column order but never the tie-break.
func (m *Mirror) sortIndices(idx []int, col Column, desc bool) {
	items := make([]sortItem, len(idx))
	for n, i := range idx {
		e := &m.entries[i]
		it := sortItem{n: e.numKey, num: e.Number, i: int32(i)}
		switch col {
		case ColName:
			it.s = e.nameKey
		case ColNumber:
		case ColAvailability:
			it.k = int64(e.Availability)
		case ColTelephony:
			it.s = e.TelephonyStatus
		case ColDND:
			it.s = e.DNDStatus
		case ColStatus:
			it.s = e.UserStatus + "\x00" + e.msgKey
		case ColSince:
			it.k = sinceKey(e.AvailSince)
		case ColCall:
			it.k = sinceKey(firstCallStart(e))
		case ColDepartment:
			it.s = e.deptKey
		}
		items[n] = it
	}
	sign := 1
	if desc {
		sign = -1
	}
	slices.SortFunc(items, func(a, b sortItem) int {
		c := strings.Compare(a.s, b.s)
		if c == 0 {
			c = cmp.Compare(a.k, b.k)
		}
		if c != 0 {
			return sign * c
		}
		c = cmp.Compare(a.n, b.n)
		if c == 0 {
			c = compareNumbers(a.num, b.num)
		}
		if col == ColNumber {
			return sign * c
		}
		return c
	})
	for n := range items {
		idx[n] = int(items[n].i)
	}
}

// sinceKey orders the longest in state first and unknown last.
func sinceKey(t time.Time) int64 {
	if t.IsZero() {
		return math.MaxInt64
	}
	return t.UnixNano()
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
