package state

import (
	"cmp"
	"slices"
	"strings"
)

// sortKey is an entry's key for one ordering, in a compact array so that
// comparisons over 100k entries neither chase pointers nor allocate.
type sortKey struct {
	pin bool   // not pinned (pinned rows come first, whatever the order)
	s   string // string key (collated name, message, ...)
	k   int64  // numeric key (availability, a time)
	n   int64  // extension number as a number, the tie-break
	num string // extension number, for the rare non-numeric one
}

func keyOf(e *Entry, col Column, pins map[ID]bool) sortKey {
	k := sortKey{n: e.numKey, num: e.Number, pin: !pins[e.ID]}
	switch col {
	case ColName:
		k.s = e.nameKey
	case ColAvailability:
		k.k = int64(e.Availability)
	case ColTelephony:
		k.s = e.TelephonyStatus
	case ColDND:
		k.s = string(e.DNDStatus)
	case ColStatus:
		k.s = e.UserStatus + "\x00" + e.msgKey
	case ColSince:
		k.k = sinceKey(e.AvailSince)
	case ColCall:
		k.k = sinceKey(firstCallStart(e))
	case ColDepartment:
		k.s = e.deptKey
	}
	return k
}

// compareKeys orders by the column (reversed when desc), then by
// extension number (reversed only when sorting by number), then by
// position in the directory, so the order is total.
func compareKeys(a, b *sortKey, col Column, desc bool, ia, ib int32) int {
	if a.pin != b.pin {
		if b.pin {
			return -1
		}
		return 1
	}
	c := strings.Compare(a.s, b.s)
	if c == 0 {
		c = cmp.Compare(a.k, b.k)
	}
	if c != 0 {
		if desc {
			return -c
		}
		return c
	}
	c = cmp.Compare(a.n, b.n)
	if c == 0 {
		c = compareNumbers(a.num, b.num)
	}
	if c != 0 {
		if desc && col == ColNumber {
			return -c
		}
		return c
	}
	return cmp.Compare(ia, ib)
}

// restKey is the group of rows in no group ("Not in a queue").
const restKey = "\xff"

// igroup is one group of an index: its rows in order and their counts.
type igroup struct {
	key      string
	title    string
	titleKey string
	list     chunkList
	counts   Counts
	// canTake counts, in a queue's group, the members who could take one
	// of its calls now: available, taking queue calls, and available in
	// this queue.
	canTake int
}

// index is one query's rows, filtered, ordered and grouped, kept up to
// date incrementally: a change of one extension removes and re-inserts
// that extension's row only, and touches only the counts of its groups.
// Views with the same query share one index. The Mirror's lock guards it.
type index struct {
	q     Query
	text  string
	state [NoPresence + 1]bool
	pins  map[ID]bool
	refs  int

	keys []sortKey // by entry position: the key the row was inserted with
	was  []*Entry  // by entry position: the entry as inserted (nil: not in)

	groups map[string]*igroup
	order  []*igroup // by title, the rest last
	shown  int       // rows (an extension in two groups counts once)

	// phase is the staleness phase the index was built in (stale queries
	// rebuild when it changes).
	phase stalePhase
	// took lists, by entry position, the queue groups the entry is counted
	// in as able to take a call (grouping by queue only).
	took map[int32][]*igroup
}

// stalePhase is what makes rows stale all at once: rebuilding a query on
// staleness is needed when it changes.
type stalePhase struct {
	gap, down     int64
	graceOver     bool
	reloading     bool
	epoch, loaded uint64
}

func newIndex(q Query) *index {
	ix := &index{q: q, text: strings.ToLower(strings.TrimSpace(q.Text)), pins: q.pinSet()}
	for _, s := range q.States {
		if s >= 0 && s <= NoPresence {
			ix.state[s] = true
		}
	}
	return ix
}

// cmp orders two entry positions in this index.
func (ix *index) cmp(a, b int32) int {
	return compareKeys(&ix.keys[a], &ix.keys[b], ix.q.Sort, ix.q.Desc, a, b)
}

// includes reports whether the query selects e.
func (ix *index) includes(e *Entry, stale bool) bool {
	if !ix.q.All && e.Type != TypeUser {
		return false
	}
	if len(ix.q.States) > 0 && !ix.state[e.Availability] {
		return false
	}
	if ix.text != "" && !matches(e, ix.text) {
		return false
	}
	return !ix.q.Stale || stale
}

// groupKeys names the groups e belongs to (none: the rest group).
func (ix *index) groupKeys(e *Entry) []string {
	switch ix.q.By {
	case GroupQueue:
		out := make([]string, len(e.Queues))
		for i, q := range e.Queues {
			out[i] = string(q)
		}
		return out
	case GroupDepartment:
		if e.Department != "" {
			return []string{e.Department}
		}
	}
	return nil
}

// group returns the group of key, made (and placed in order) if new.
func (ix *index) group(key string, s *store) *igroup {
	if g := ix.groups[key]; g != nil {
		return g
	}
	g := &igroup{key: key, list: newChunkList()}
	switch {
	case ix.q.By == GroupNone:
	case key == restKey && ix.q.By == GroupQueue && !s.membersKnown():
		g.title = "Queue not known yet" // some queue's members are still loading
	case key == restKey && ix.q.By == GroupQueue:
		g.title = "Not in a queue"
	case key == restKey:
		g.title = "No department"
	case ix.q.By == GroupQueue:
		g.title = key
		if q := s.queue(ID(key)); q != nil {
			g.title = q.Name
		}
	default:
		g.title = key
	}
	g.titleKey = s.col.key(g.title)
	ix.groups[key] = g
	at, _ := slices.BinarySearchFunc(ix.order, g, compareGroups)
	ix.order = slices.Insert(ix.order, at, g)
	return g
}

// compareGroups orders groups by title, the rest group last.
func compareGroups(a, b *igroup) int {
	if (a.key == restKey) != (b.key == restKey) {
		if a.key == restKey {
			return 1
		}
		return -1
	}
	if c := strings.Compare(a.titleKey, b.titleKey); c != 0 {
		return c
	}
	return strings.Compare(a.key, b.key)
}

// rebuild recomputes everything from the store.
func (ix *index) rebuild(s *store, stale func(*Entry) bool, phase stalePhase) {
	n := len(s.entries)
	ix.keys = make([]sortKey, n)
	ix.was = make([]*Entry, n)
	ix.groups = map[string]*igroup{}
	ix.order = nil
	ix.shown = 0
	ix.phase = phase
	ix.took = map[int32][]*igroup{}
	members := map[*igroup][]int32{}
	for i, e := range s.entries {
		if !ix.includes(e, stale(e)) {
			continue
		}
		ix.keys[i] = keyOf(e, ix.q.Sort, ix.pins)
		ix.was[i] = e
		ix.shown++
		for _, g := range ix.groupsOf(e, s) {
			members[g] = append(members[g], int32(i))
			g.counts[e.Availability]++
			ix.count(int32(i), e, g, s)
		}
	}
	for g, rows := range members {
		slices.SortFunc(rows, ix.cmp)
		g.list.build(rows)
	}
}

// groupsOf returns the groups e belongs to, made if new.
func (ix *index) groupsOf(e *Entry, s *store) []*igroup {
	keys := ix.groupKeys(e)
	if len(keys) == 0 {
		keys = []string{restKey}
	}
	out := make([]*igroup, len(keys))
	for i, k := range keys {
		out[i] = ix.group(k, s)
	}
	return out
}

// update re-places the entry at position i: out with its old key, in
// with its new one. The entry's group keys only change with the directory
// (a structural change that rebuilds).
func (ix *index) update(i int, s *store, stale func(*Entry) bool) {
	if i >= len(ix.was) {
		// A new extension: a directory change the caller rebuilds for.
		return
	}
	e := s.entries[i]
	if old := ix.was[i]; old != nil && ix.stays(i, old, e, stale) {
		// Most changes (presence under a sort by name) leave a row where it
		// is: only the counts change.
		for _, g := range ix.took[int32(i)] {
			g.canTake--
		}
		delete(ix.took, int32(i))
		for _, g := range ix.groupsOf(e, s) {
			g.counts[old.Availability]--
			g.counts[e.Availability]++
			ix.count(int32(i), e, g, s)
		}
		ix.was[i] = e
		return
	}
	if old := ix.was[i]; old != nil {
		for _, g := range ix.groupsOf(old, s) {
			g.list.remove(int32(i), ix.cmp)
			g.counts[old.Availability]--
		}
		for _, g := range ix.took[int32(i)] {
			g.canTake--
		}
		delete(ix.took, int32(i))
		ix.was[i] = nil
		ix.shown--
	}
	if !ix.includes(e, stale(e)) {
		return
	}
	ix.keys[i] = keyOf(e, ix.q.Sort, ix.pins)
	ix.was[i] = e
	ix.shown++
	for _, g := range ix.groupsOf(e, s) {
		g.list.insert(int32(i), ix.cmp)
		g.counts[e.Availability]++
		ix.count(int32(i), e, g, s)
	}
}

// stays reports whether entry i, shown as old, is shown as e in the same
// place: still selected, with the same sort key and the same groups.
func (ix *index) stays(i int, old, e *Entry, stale func(*Entry) bool) bool {
	return ix.includes(e, stale(e)) && keyOf(e, ix.q.Sort, ix.pins) == ix.keys[i] &&
		slices.Equal(ix.groupKeys(old), ix.groupKeys(e))
}

// count counts e in queue group g as able to take a call when it is.
func (ix *index) count(i int32, e *Entry, g *igroup, s *store) {
	if ix.q.By != GroupQueue || g.key == restKey || !CanTakeQueueCall(e, s.queue(ID(g.key))) {
		return
	}
	g.canTake++
	ix.took[i] = append(ix.took[i], g)
}

// CanTakeQueueCall reports whether a member could take one of q's calls
// now: available (free, not in DND, not busy or away), taking queue calls,
// and available in q.
func CanTakeQueueCall(e *Entry, q *Queue) bool {
	if q == nil || e.Availability != Available || !e.AcceptsQueueCalls() {
		return false
	}
	accept, known := q.Accept[e.ID]
	return known && accept
}

// visible returns the groups drawn: every group when grouping (empty ones
// are not drawn), the one list otherwise.
func (ix *index) visible() []*igroup {
	if ix.q.By == GroupNone {
		if len(ix.order) == 0 {
			return nil
		}
		return ix.order
	}
	out := make([]*igroup, 0, len(ix.order))
	for _, g := range ix.order {
		if g.list.len() > 0 {
			out = append(out, g)
		}
	}
	return out
}

// matches reports whether e contains text anywhere a receptionist would
// look.
func matches(e *Entry, text string) bool {
	return strings.Contains(e.search, text) || dynMatches(e, text)
}

// compareNumbers orders extension numbers numerically (shorter first).
func compareNumbers(a, b string) int {
	if len(a) != len(b) {
		return cmp.Compare(len(a), len(b))
	}
	return strings.Compare(a, b)
}

// CompareNumbers orders extension numbers as the grid does: shorter first,
// then digit by digit.
func CompareNumbers(a, b string) int { return compareNumbers(a, b) }
