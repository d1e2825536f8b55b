package state

import (
	"cmp"
	"math"
	"slices"
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
	// Pinned come first, in every group, in the order of the sort.
	Pinned []ID
}

// pinSet is the query's pinned extensions as a set.
func (q *Query) pinSet() map[ID]bool {
	if len(q.Pinned) == 0 {
		return nil
	}
	out := make(map[ID]bool, len(q.Pinned))
	for _, id := range q.Pinned {
		out[id] = true
	}
	return out
}

// Group is one section of a projection.
type Group struct {
	Key    ID
	Title  string
	IDs    []ID
	Counts Counts
	// CanTake counts, for a queue, the members who could take one of its
	// calls now (CanTakeQueueCall).
	CanTake int
}

// Projection is the rows a query selects, in order, in groups (one
// untitled group when not grouping).
type Projection struct {
	Groups []Group
	Total  int
}

// Project filters, sorts and groups every extension from scratch. It is
// the reference the incremental views are checked against (and what a
// one-shot snapshot prints): views never call it. Ties go by extension
// number, then directory order, so rows never jump among equals.
func (m *Mirror) Project(q Query) Projection {
	m.mu.Lock()
	defer m.mu.Unlock()
	s := &m.store
	now := m.now()
	ix := newIndex(q) // for its filter only
	pins := q.pinSet()
	idx := make([]int32, 0, len(s.entries))
	keys := make([]sortKey, len(s.entries))
	for i, e := range s.entries {
		if !ix.includes(e, m.link.stale(e, now, m.jn.reloading)) {
			continue
		}
		keys[i] = keyOf(e, q.Sort, pins)
		idx = append(idx, int32(i))
	}
	slices.SortFunc(idx, func(a, b int32) int { return compareKeys(&keys[a], &keys[b], q.Sort, q.Desc, a, b) })

	var p Projection
	p.Total = len(idx)
	switch q.By {
	case GroupNone:
		g := Group{IDs: make([]ID, len(idx))}
		for k, i := range idx {
			g.IDs[k] = s.entries[i].ID
			g.Counts[s.entries[i].Availability]++
		}
		p.Groups = []Group{g}
	case GroupQueue:
		p.Groups = m.groupBy(idx, func(e *Entry) []string { return idsToStrings(e.Queues) }, func(k string) string {
			if q := s.queue(ID(k)); q != nil {
				return q.Name
			}
			return k
		}, "Not in a queue", true)
	case GroupDepartment:
		p.Groups = m.groupBy(idx, func(e *Entry) []string {
			if e.Department == "" {
				return nil
			}
			return []string{e.Department}
		}, func(k string) string { return k }, "No department", false)
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
// groups ordered by title as people expect, rows in the projection's
// order.
func (m *Mirror) groupBy(idx []int32, keyFn func(*Entry) []string, title func(string) string, rest string, byQueue bool) []Group {
	byKey := map[string]*Group{}
	titleKeys := map[string]string{}
	var order []*Group
	get := func(key, t string) *Group {
		g := byKey[key]
		if g == nil {
			g = &Group{Key: ID(key), Title: t}
			byKey[key] = g
			titleKeys[key] = m.store.col.key(t)
			order = append(order, g)
		}
		return g
	}
	for _, i := range idx {
		e := m.store.entries[i]
		keys := keyFn(e)
		if len(keys) == 0 {
			keys = []string{restKey}
		}
		for _, k := range keys {
			t := rest
			if k != restKey {
				t = title(k)
			}
			g := get(k, t)
			g.IDs = append(g.IDs, e.ID)
			g.Counts[e.Availability]++
			if byQueue && k != restKey && CanTakeQueueCall(e, m.store.queue(ID(k))) {
				g.CanTake++
			}
		}
	}
	slices.SortStableFunc(order, func(a, b *Group) int {
		if (a.Key == restKey) != (b.Key == restKey) {
			if a.Key == restKey {
				return 1
			}
			return -1
		}
		if c := cmp.Compare(titleKeys[string(a.Key)], titleKeys[string(b.Key)]); c != 0 {
			return c
		}
		return cmp.Compare(a.Key, b.Key)
	})
	out := make([]Group, len(order))
	for i, g := range order {
		if g.Key == restKey {
			g.Key = ""
		}
		out[i] = *g
	}
	return out
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
