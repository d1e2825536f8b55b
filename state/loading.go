package state

import (
	"slices"
	"time"
)

// loadBook follows what is still loading, for the header: the directory,
// presence (counted by the journal), queue membership, and when each
// should be in at RingCentral's rate. The Mirror's lock guards it.
type loadBook struct {
	dir      Progress // Total 0: not loading
	queues   Progress // Total 0: not loading
	presence time.Time
	// wake is signalled (coalesced) when what the loader should load
	// next may have changed: a view scrolled, changed its query or its
	// watched people, the directory grew.
	wake chan struct{}
	// chosen are the people the signed-in user chose to watch (their
	// favourites and monitored lines), loaded early.
	chosen map[ID]bool
}

func newLoadBook() loadBook {
	return loadBook{wake: make(chan struct{}, 1), chosen: map[ID]bool{}}
}

// nudge wakes the loader (lock held or not).
func (l *loadBook) nudge() {
	select {
	case l.wake <- struct{}{}:
	default:
	}
}

// loading lists what is still loading (lock held).
func (m *Mirror) loading() []Progress {
	var out []Progress
	if d := m.load.dir; d.Total > 0 {
		out = append(out, d)
	}
	if m.jn.reloading {
		total := m.store.counts.People()
		if done := min(m.jn.donePeople, total); done < total {
			out = append(out, Progress{What: "presence", Done: done, Total: total, Until: m.load.presence})
		}
	}
	// Queue members, while they load: an admin's load reads them all, an
	// agent's when a viewer looks at them (else they follow presence,
	// unannounced).
	if q := m.load.queues; q.Total > 0 && q.Done < q.Total && (m.store.admin || m.queuesWantedLocked()) {
		out = append(out, q)
	}
	return out
}

// SetDirectoryLoading records how far the directory has loaded: done of
// total people, the rest due by until; total 0 when it is complete.
func (m *Mirror) SetDirectoryLoading(done, total int, until time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	p := Progress{What: "directory", Done: done, Total: total, Until: until}
	if total == 0 || done >= total {
		p = Progress{}
	}
	if p != m.load.dir {
		m.load.dir = p
		m.signal()
	}
}

// SetPresenceDue records when the presence still loading should be in at
// RingCentral's rate.
func (m *Mirror) SetPresenceDue(until time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if !until.Equal(m.load.presence) {
		m.load.presence = until
		m.signal()
	}
}

// SetQueuesLoading records how many queues' members have loaded, of total,
// the rest due by until.
func (m *Mirror) SetQueuesLoading(done, total int, until time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	p := Progress{What: "queue members", Done: done, Total: total, Until: until}
	if p != m.load.queues {
		m.load.queues = p
		m.signal()
	}
}

// SetScreenLoaded records that the first load has loaded what the screens
// show (Health.ScreenLoaded), and publishes it at once.
func (m *Mirror) SetScreenLoaded() {
	m.mu.Lock()
	defer m.mu.Unlock()
	if !m.link.h.ScreenLoaded {
		m.link.h.ScreenLoaded = true
		m.link.epoch++
		m.signal()
		m.publishLocked()
	}
}

// SetChosen records the people the signed-in user chose to watch: their
// favourites and monitored lines (RingCentral's "Presence → Appearance").
func (m *Mirror) SetChosen(ids []ID) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.load.chosen = make(map[ID]bool, len(ids))
	for _, id := range ids {
		m.load.chosen[id] = true
	}
	m.load.nudge()
}

// Chosen returns the people the signed-in user chose to watch (their
// favourites and monitored lines), by id.
func (m *Mirror) Chosen() []ID {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]ID, 0, len(m.load.chosen))
	for id := range m.load.chosen {
		out = append(out, id)
	}
	slices.Sort(out)
	return out
}
