package state

import (
	"cmp"
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
	All  bool
	Sort Column
	Desc bool
	By   GroupBy
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
		idx = append(idx, i)
	}
	less := m.comparator(q.Sort, q.Desc)
	slices.SortStableFunc(idx, less)

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

// compareNumbers orders extension numbers numerically (shorter first).
func compareNumbers(a, b string) int {
	if len(a) != len(b) {
		return cmp.Compare(len(a), len(b))
	}
	return strings.Compare(a, b)
}

// comparator orders entry indices by column; ties by extension number.
// desc reverses the column order but never the tie-break.
func (m *Mirror) comparator(col Column, desc bool) func(a, b int) int {
	key := func(x, y *Entry) int {
		switch col {
		case ColName:
			return cmp.Compare(strings.ToLower(x.Name), strings.ToLower(y.Name))
		case ColNumber:
			return compareNumbers(x.Number, y.Number)
		case ColAvailability:
			return cmp.Compare(x.Availability, y.Availability)
		case ColTelephony:
			return cmp.Compare(x.TelephonyStatus, y.TelephonyStatus)
		case ColDND:
			return cmp.Compare(x.DNDStatus, y.DNDStatus)
		case ColStatus:
			if c := cmp.Compare(x.UserStatus, y.UserStatus); c != 0 {
				return c
			}
			return cmp.Compare(strings.ToLower(x.Message), strings.ToLower(y.Message))
		case ColSince:
			return compareSince(x.AvailSince, y.AvailSince)
		case ColCall:
			return compareSince(firstCallStart(x), firstCallStart(y))
		case ColDepartment:
			return cmp.Compare(strings.ToLower(x.Department), strings.ToLower(y.Department))
		}
		return 0
	}
	return func(a, b int) int {
		x, y := &m.entries[a], &m.entries[b]
		c := key(x, y)
		if desc {
			c = -c
		}
		if c != 0 {
			return c
		}
		return compareNumbers(x.Number, y.Number)
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
