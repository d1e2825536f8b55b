package state

import (
	"slices"
)

// journal keeps what arrives while a snapshot is being fetched, so that a
// snapshot older than some events never wins over them. It keeps, per
// extension, the events merged into one body (the newest value of each
// field, by sequence), not a log: it is bounded by the number of
// extensions however long a reload takes. The Mirror's lock guards it.
type journal struct {
	reloading bool
	// pending is, per extension, the events since its reload or fetch
	// began, merged.
	pending map[ID]*update
	done    map[ID]bool // reloaded in the running reload
	// donePeople counts the people (Users) among done.
	donePeople int
	fetch      map[ID]bool // presence must be fetched (activeCalls incomplete)
	fetching   map[ID]bool // a fetch is in flight

	// queue events since a queue's fetch began: queue → member → accept.
	queues map[ID]map[ID]bool
}

// forget drops everything kept for id (it left the directory).
func (j *journal) forget(id ID) {
	delete(j.pending, id)
	delete(j.done, id)
	delete(j.fetch, id)
	delete(j.fetching, id)
	for _, members := range j.queues {
		delete(members, id)
	}
}

func newJournal() journal {
	return journal{pending: map[ID]*update{}, done: map[ID]bool{}, fetch: map[ID]bool{},
		fetching: map[ID]bool{}, queues: map[ID]map[ID]bool{}}
}

// record keeps an event for id when a snapshot of id is on its way.
func (j *journal) record(id ID, u *update) {
	if !(j.reloading && !j.done[id]) && !j.fetching[id] {
		return
	}
	dst := j.pending[id]
	if dst == nil {
		dst = &update{}
		j.pending[id] = dst
	}
	dst.overlay(u)
}

// take returns and forgets what was kept for id, and marks id reloaded;
// person: id is a person (counted in donePeople).
func (j *journal) take(id ID, person bool) *update {
	p := j.pending[id]
	delete(j.pending, id)
	delete(j.fetching, id)
	if j.reloading && !j.done[id] {
		j.done[id] = true
		if person {
			j.donePeople++
		}
	}
	return p
}

// startReload begins logging every extension's events. Every reload
// starts afresh: what an earlier one loaded may have changed unseen since
// (the reason for this one).
func (j *journal) startReload() {
	j.reloading = true
	j.done = map[ID]bool{}
	j.donePeople = 0
}

// waiting reports whether a snapshot of id is on its way (and its events
// are kept for it).
func (j *journal) waiting(id ID) bool { return j.reloading && !j.done[id] || j.fetching[id] }

// loaded reports whether the running reload has loaded id (and a later
// snapshot, maybe older than the events since, must not replace it).
func (j *journal) loaded(id ID) bool { return j.reloading && j.done[id] && !j.fetching[id] }

// finishReload stops logging; what was kept for extensions not reloaded
// and not being fetched is dropped.
func (j *journal) finishReload() {
	j.reloading = false
	for id := range j.pending {
		if !j.fetching[id] {
			delete(j.pending, id)
		}
	}
	j.done = map[ID]bool{}
	j.donePeople = 0
}

// takeFetches returns up to max extensions to fetch, now in flight.
func (j *journal) takeFetches(max int) []ID {
	var out []ID
	for id := range j.fetch {
		if j.fetching[id] {
			continue
		}
		out = append(out, id)
		if len(out) == max {
			break
		}
	}
	slices.Sort(out)
	j.beginFetch(out)
	return out
}

func (j *journal) beginFetch(ids []ID) {
	for _, id := range ids {
		delete(j.fetch, id)
		j.fetching[id] = true
	}
}

// fetchFailed puts ids back to be fetched again later.
func (j *journal) fetchFailed(ids []ID) {
	for _, id := range ids {
		delete(j.fetching, id)
		j.fetch[id] = true
		if !j.reloading {
			delete(j.pending, id)
		}
	}
}

// startQueueFetch keeps a queue's events until its snapshot is applied.
func (j *journal) startQueueFetch(q ID) {
	if j.queues[q] == nil {
		j.queues[q] = map[ID]bool{}
	}
}

// recordQueue keeps a member change for a queue being fetched.
func (j *journal) recordQueue(q, member ID, accept bool) {
	if kept := j.queues[q]; kept != nil {
		kept[member] = accept
	}
}

// takeQueue returns and forgets what was kept for queue q.
func (j *journal) takeQueue(q ID) map[ID]bool {
	kept := j.queues[q]
	delete(j.queues, q)
	return kept
}
