package emulator

import (
	"math/rand/v2"
	"slices"
	"strings"
)

// What a user chose to watch: their favorites (SPEC listFavoriteContacts)
// and their monitored lines, the "Presence → Appearance" list of BLF
// lines (GET .../extension/{id}/presence/line; not in the current public
// SPEC, see rest_watchlists.go). Each user's lists are seeded on first use
// from the seed and the user's id, so they do not depend on who asked
// first: a handful of colleagues from the same department and queue mates.

// listKind tells favorites from monitored lines.
type listKind uint8

const (
	favoritesList listKind = iota
	linesList
)

// watchList is one user's favorites or monitored lines. Guarded by
// Platform.mu.
type watchList struct {
	owner *Extension
	kind  listKind
	exts  []*Extension
	// favIDs are the favorite records' ids, one per entry of exts.
	favIDs []int64
	// seq numbers the monitored-lines list notifications.
	seq int64
}

// has reports whether ext is on the list.
func (l *watchList) has(ext *Extension) bool { return slices.Contains(l.exts, ext) }

// watchLists holds the lists materialised so far. Guarded by Platform.mu.
type watchLists struct {
	lists     map[listKey]*watchList
	nextFavID int64
}

type listKey struct {
	owner *Extension
	kind  listKind
}

// Seeded list sizes, and the most favorites a user may keep.
const (
	seededFavorites = 5
	seededLines     = 6
	maxFavorites    = 100
)

// watchList returns owner's list of kind, seeding it on first use.
func (p *Platform) watchList(owner *Extension, kind listKind) *watchList {
	w := &p.lists
	if w.lists == nil {
		w.lists = map[listKey]*watchList{}
		w.nextFavID = p.dir.AccountID/1000*100 + 1
	}
	key := listKey{owner, kind}
	if l, ok := w.lists[key]; ok {
		return l
	}
	l := &watchList{owner: owner, kind: kind}
	p.setList(l, p.seedList(owner, kind))
	w.lists[key] = l
	return l
}

// setList replaces l's entries, keeping the favorite record id of anyone
// who stays; it reports whether anything changed.
func (p *Platform) setList(l *watchList, exts []*Extension) bool {
	if slices.Equal(l.exts, exts) {
		return false
	}
	if l.kind == favoritesList {
		ids := make([]int64, len(exts))
		for i, e := range exts {
			if j := slices.Index(l.exts, e); j >= 0 {
				ids[i] = l.favIDs[j]
			} else {
				ids[i] = p.lists.nextFavID
				p.lists.nextFavID++
			}
		}
		l.favIDs = ids
	}
	l.exts = exts
	return true
}

// seedList picks owner's colleagues: favorites lean to the department,
// monitored lines to queue mates (the people one covers for), ordered by
// extension number.
func (p *Platform) seedList(owner *Extension, kind listKind) []*Extension {
	if owner.Type != TypeUser {
		return nil
	}
	r := rand.New(rand.NewPCG(uint64(p.cfg.Seed), uint64(owner.ID)<<1|uint64(kind)))
	colleague := func(e *Extension) bool { return e != owner && e.Type == TypeUser && e.Status == "Enabled" }
	var dept, mates []*Extension
	for _, e := range p.dir.Extensions {
		if colleague(e) && e.Department == owner.Department {
			dept = append(dept, e)
		}
	}
	for _, q := range owner.Queues {
		for _, m := range q.Members {
			if colleague(m) && !slices.Contains(mates, m) {
				mates = append(mates, m)
			}
		}
	}
	r.Shuffle(len(dept), func(i, j int) { dept[i], dept[j] = dept[j], dept[i] })
	r.Shuffle(len(mates), func(i, j int) { mates[i], mates[j] = mates[j], mates[i] })
	first, second, size, firstShare := dept, mates, seededFavorites, 3
	if kind == linesList {
		first, second, size, firstShare = mates, dept, seededLines, 4
	}
	var out []*Extension
	take := func(from []*Extension, n int) {
		for _, e := range from {
			if len(out) >= size || n == 0 {
				return
			}
			if !slices.Contains(out, e) {
				out = append(out, e)
				n--
			}
		}
	}
	take(first, firstShare)
	take(second, size)
	take(first, size)
	sortByNumber(out)
	return out
}

// sortByNumber orders extensions as the directory lists them.
func sortByNumber(exts []*Extension) {
	slices.SortStableFunc(exts, func(a, b *Extension) int {
		if len(a.Number) != len(b.Number) {
			return len(a.Number) - len(b.Number)
		}
		return strings.Compare(a.Number, b.Number)
	})
}

// listsWithout drops ext from every list it is on, and its own lists, in
// tx: the owners' list notifications go out when tx commits.
func (tx *Tx) listsWithout(ext *Extension) {
	p := tx.p
	for key, l := range p.lists.lists {
		if key.owner == ext {
			// Whoever watched the leaver's own lists (an admin) hears no more.
			l.exts, l.favIDs = nil, nil
			p.hub.rewatch(ext)
			delete(p.lists.lists, key)
			continue
		}
		if i := slices.Index(l.exts, ext); i >= 0 {
			p.setList(l, slices.Delete(slices.Clone(l.exts), i, i+1))
			tx.listChanged(l)
		}
	}
}

// setWatchList replaces a list in tx (REST PUT, control API).
func (tx *Tx) setWatchList(l *watchList, exts []*Extension) {
	if tx.p.setList(l, exts) {
		tx.listChanged(l)
	}
}

func (tx *Tx) listChanged(l *watchList) {
	if !slices.Contains(tx.listEv, l) {
		tx.listEv = append(tx.listEv, l)
	}
}
