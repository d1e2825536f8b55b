package state

import (
	"time"
)

// Intent keys: what the user is changing.
const (
	IntentStatus  = "status"  // Available, Busy, Invisible or DND
	IntentQueues  = "queues"  // accept or reject: global queue availability
	IntentMessage = "message" // the status message
)

// IntentQueue is the key of my availability in one queue.
func IntentQueue(q ID) string { return "queue:" + string(q) }

// IntentMember is the key of a member's availability in a queue (admins).
func IntentMember(q, m ID) string { return "member:" + string(q) + ":" + string(m) }

// My statuses, as RingCentral's own apps name their four buttons.
const (
	StatusAvailable = "Available"
	StatusBusy      = "Busy"
	StatusInvisible = "Invisible"
	StatusDND       = "DND"
)

// failedShown is how long a failed write stays visible.
const failedShown = 10 * time.Second

// Write is a change the user asked for: pending until the server confirms
// it, or failed (rolled back) with the error.
type Write struct {
	Key    string
	Value  string // the choice, as shown
	Since  time.Time
	Failed bool
	Err    string

	slot    string
	gen     uint64 // bumped by every new choice
	sentGen uint64 // the gen last sent successfully
	inGen   uint64 // the gen of the request in flight (0: none)
	confirm func(m *Mirror) bool
}

// Pending reports whether the write still waits for the server.
func (w Write) Pending() bool { return !w.Failed }

// recordIntent stores the user's latest choice for key.
func (m *Mirror) recordIntent(key, value, slot string, confirm func(m *Mirror) bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	w := m.writes[key]
	fresh := w == nil || w.Failed
	if w == nil {
		w = &Write{Key: key}
		m.writes[key] = w
	}
	m.genCounter++
	w.Value, w.slot, w.confirm = value, slot, confirm
	w.gen = m.genCounter
	w.Since, w.Failed, w.Err = m.now(), false, ""
	if fresh && confirm(m) && w.inGen == 0 {
		// Already so on the server and nothing earlier on its way: no request.
		delete(m.writes, key)
	}
	m.touch("")
}

// unsent returns the writes of slot whose latest choice has not been
// sent, and marks them in flight.
func (m *Mirror) unsent(slot string) []Write {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []Write
	for _, w := range m.writes {
		if w.slot == slot && !w.Failed && w.gen != w.sentGen && w.inGen == 0 {
			w.inGen = w.gen
			out = append(out, *w)
		}
	}
	return out
}

// sent records the outcome of a request that carried batch.
func (m *Mirror) sent(batch []Write, err error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, b := range batch {
		w := m.writes[b.Key]
		if w == nil || w.inGen != b.gen {
			continue
		}
		w.inGen = 0
		if w.gen != b.gen {
			continue // a newer choice follows; this one's fate no longer matters
		}
		if err != nil {
			w.Failed, w.Err, w.Since = true, oneLine(err.Error()), m.now()
			continue
		}
		w.sentGen = b.gen
		if w.confirm(m) {
			delete(m.writes, b.Key)
		}
	}
	m.touch("")
}

// stillPending returns the writes of batch that wait for confirmation.
func (m *Mirror) stillPending(batch []Write) []Write {
	m.mu.RLock()
	defer m.mu.RUnlock()
	var out []Write
	for _, b := range batch {
		if w := m.writes[b.Key]; w != nil && w.gen == b.gen && !w.Failed {
			out = append(out, *w)
		}
	}
	return out
}

// unconfirmed fails writes the server answered but a fresh read shows
// were not applied.
func (m *Mirror) unconfirmed(batch []Write) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, b := range batch {
		if w := m.writes[b.Key]; w != nil && w.gen == b.gen && !w.confirm(m) {
			w.Failed, w.Err, w.Since = true, "the server did not apply the change", m.now()
		}
	}
	m.touch("")
}

// confirmWrites drops pending writes the mirror now agrees with; the
// mirror lock is held.
func (m *Mirror) confirmWrites(*Entry) { m.confirmAll() }

func (m *Mirror) confirmQueueWrites() { m.confirmAll() }

func (m *Mirror) confirmAll() {
	for k, w := range m.writes {
		if !w.Failed && w.inGen == 0 && w.sentGen == w.gen && w.confirm(m) {
			delete(m.writes, k)
			m.touch("")
		}
	}
}

// Writes returns the pending writes and the recently failed ones.
func (m *Mirror) Writes() map[string]Write {
	m.mu.RLock()
	defer m.mu.RUnlock()
	out := make(map[string]Write, len(m.writes))
	now := m.now()
	for k, w := range m.writes {
		if w.Failed && now.Sub(w.Since) > failedShown {
			continue
		}
		out[k] = *w
	}
	return out
}

// entryLocked returns the entry of id (mirror lock held).
func (m *Mirror) entryLocked(id ID) *Entry {
	if i, ok := m.index[id]; ok {
		return &m.entries[i]
	}
	return nil
}

// queueAcceptLocked reports member's availability in queue q.
func (m *Mirror) queueAcceptLocked(q, member ID) (bool, bool) {
	qi, ok := m.qindex[q]
	if !ok {
		return false, false
	}
	v, ok := m.queues[qi].Accept[member]
	return v, ok
}

// MyStatus is my status as the user should see it: the latest choice while
// it is pending, otherwise the server's (Available, Busy, Invisible, DND).
func (m *Mirror) MyStatus() (status string, pending bool) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	if w := m.writes[IntentStatus]; w != nil && !w.Failed {
		return w.Value, true
	}
	e := m.entryLocked(m.me)
	if e == nil || !e.Known {
		return "", false
	}
	return StatusOf(e), false
}

// StatusOf maps presence onto the four statuses RingCentral's apps show
// (rc-api.md §4.4): DND, else Invisible, else Busy, else Available.
func StatusOf(e *Entry) string {
	switch {
	case e.DNDStatus == dndNoCalls:
		return StatusDND
	case e.UserStatus == "Offline":
		return StatusInvisible
	case e.UserStatus == "Busy":
		return StatusBusy
	}
	return StatusAvailable
}
