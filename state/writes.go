package state

import (
	"time"
)

// WriteKind is what a write changes.
type WriteKind int

// Write kinds.
const (
	// WriteStatus is a person's status: Available, Busy, Invisible or DND.
	WriteStatus WriteKind = iota
	// WriteMessage is a person's status message.
	WriteMessage
	// WriteQueueCalls is a person's global queue availability (dndStatus
	// TakeAllCalls or DoNotAcceptDepartmentCalls).
	WriteQueueCalls
	// WriteMyQueue is a person's availability in one queue, set through
	// their own call-queue presence (queues whose members may edit it).
	WriteMyQueue
	// WriteMember is a member's availability in a queue, set as a
	// supervisor through the queue's presence.
	WriteMember
)

// Target names what a write changes: its kind, whose, and which queue.
type Target struct {
	Kind  WriteKind
	Ext   ID
	Queue ID
}

// slotKind is which request carries a write.
type slotKind int

const (
	slotPresence slotKind = iota // PUT extension presence
	slotMyQueue                  // PUT extension call-queue presence
	slotMember                   // PUT call-queue presence
)

// slot is one request target: at most one request per slot is in flight.
type slot struct {
	kind       slotKind
	ext, queue ID
}

func (t Target) slot() slot {
	switch t.Kind {
	case WriteMyQueue:
		return slot{slotMyQueue, t.Ext, t.Queue}
	case WriteMember:
		return slot{slotMember, t.Ext, t.Queue}
	}
	return slot{kind: slotPresence, ext: t.Ext}
}

// failedShown is how long a failed write stays visible.
const failedShown = 10 * time.Second

// Write is a change the user asked for: pending until the server confirms
// it, or failed (rolled back) with the error.
type Write struct {
	Target
	// The choice: Status for WriteStatus, Message for WriteMessage, Accept
	// for the queue kinds.
	Status  Status
	Message string
	Accept  bool

	Since  time.Time
	Failed bool
	Err    string // one line, sanitised
	// Retrying is why the request is being sent again ("" when it is not).
	Retrying string

	gen     uint64 // bumped by every new choice
	sentGen uint64 // the gen last sent successfully
	inGen   uint64 // the gen of the request in flight (0: none)
}

// Pending reports whether the write still waits for the server.
func (w Write) Pending() bool { return !w.Failed }

// confirmed reports whether the server's state (in s) is the choice.
func (w *Write) confirmed(s *store) bool {
	switch w.Kind {
	case WriteMyQueue, WriteMember:
		v, ok := s.queueAccept(w.Queue, w.Ext)
		return ok && v == w.Accept
	}
	e := s.entry(w.Ext)
	if e == nil {
		return false
	}
	switch w.Kind {
	case WriteStatus:
		if w.Status == StatusDND {
			return e.DNDStatus == DoNotDisturb
		}
		return e.UserStatus == w.Status.userStatus() && e.DNDStatus != DoNotDisturb
	case WriteMessage:
		return e.Message == Sanitize(w.Message)
	case WriteQueueCalls:
		if e.CHS {
			return e.QueueOff != w.Accept
		}
		if w.Accept {
			return e.DNDStatus == TakeAllCalls
		}
		return e.DNDStatus == NoQueueCalls
	}
	return false
}

// writeBook holds the user's changes in flight. The Mirror's lock guards
// it.
type writeBook struct {
	writes map[Target]*Write
	gen    uint64
}

func newWriteBook() writeBook { return writeBook{writes: map[Target]*Write{}} }

// record stores the latest choice for its target; it reports false when
// nothing need be sent (already so on the server, nothing on its way).
func (b *writeBook) record(choice Write, s *store, now time.Time) bool {
	w := b.writes[choice.Target]
	fresh := w == nil || w.Failed
	if w == nil {
		w = &Write{Target: choice.Target}
		b.writes[choice.Target] = w
	}
	b.gen++
	w.Status, w.Message, w.Accept = choice.Status, choice.Message, choice.Accept
	w.gen = b.gen
	w.Since, w.Failed, w.Err, w.Retrying = now, false, "", ""
	if fresh && w.confirmed(s) && w.inGen == 0 {
		delete(b.writes, choice.Target)
		return false
	}
	return true
}

// unsent returns the writes of sl whose latest choice has not been sent,
// and marks them in flight.
func (b *writeBook) unsent(sl slot) []Write {
	var out []Write
	for _, w := range b.writes {
		if w.slot() == sl && !w.Failed && w.gen != w.sentGen && w.inGen == 0 {
			w.inGen = w.gen
			out = append(out, *w)
		}
	}
	return out
}

// sent records the outcome of a request that carried batch.
func (b *writeBook) sent(batch []Write, err error, s *store, now time.Time) {
	for _, sb := range batch {
		w := b.writes[sb.Target]
		if w == nil || w.inGen != sb.gen {
			continue
		}
		w.inGen, w.Retrying = 0, ""
		if w.gen != sb.gen {
			continue // a newer choice follows; this one's fate no longer matters
		}
		if err != nil {
			w.Failed, w.Err, w.Since = true, oneLine(err.Error()), now
			continue
		}
		w.sentGen = sb.gen
		if w.confirmed(s) {
			delete(b.writes, sb.Target)
		}
	}
}

// stillPending returns the writes of batch that wait for confirmation.
func (b *writeBook) stillPending(batch []Write) []Write {
	var out []Write
	for _, sb := range batch {
		if w := b.writes[sb.Target]; w != nil && w.gen == sb.gen && !w.Failed {
			out = append(out, *w)
		}
	}
	return out
}

// unconfirmed fails writes the server answered but a fresh read shows
// were not applied.
func (b *writeBook) unconfirmed(batch []Write, s *store, now time.Time) {
	for _, sb := range batch {
		if w := b.writes[sb.Target]; w != nil && w.gen == sb.gen && !w.confirmed(s) {
			w.Failed, w.Err, w.Since = true, "the server did not apply the change", now
		}
	}
}

// confirmAll drops the sent writes the server now agrees with; it reports
// whether any went.
func (b *writeBook) confirmAll(s *store) bool {
	any := false
	for k, w := range b.writes {
		if !w.Failed && w.inGen == 0 && w.sentGen == w.gen && w.confirmed(s) {
			delete(b.writes, k)
			any = true
		}
	}
	return any
}

// forget drops the writes for ext (who left the directory).
func (b *writeBook) forget(ext ID) {
	for t := range b.writes {
		if t.Ext == ext {
			delete(b.writes, t)
		}
	}
}

// shown returns the write of t as it should show at now: pending, or
// failed within failedShown.
func (b *writeBook) shown(t Target, now time.Time) (Write, bool) {
	w := b.writes[t]
	if w == nil || w.Failed && now.Sub(w.Since) > failedShown {
		return Write{}, false
	}
	return *w, true
}

// nextChange is when a failed write will stop showing (zero: none).
func (b *writeBook) nextChange(now time.Time) time.Time {
	var next time.Time
	for _, w := range b.writes {
		if t := w.Since.Add(failedShown); w.Failed && t.After(now) && (next.IsZero() || t.Before(next)) {
			next = t
		}
	}
	return next
}
