package state

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/rchud/rchud/rc"
)

// Writer sends the user's changes: at most one request in flight per
// target, the latest choice always sent last, each change pending until
// the server's notification (or, failing that, a fresh read) confirms it.
type Writer struct {
	m      *Mirror
	c      *rc.Client
	log    *slog.Logger
	ctx    context.Context // requests; outlives the caller's ctx by a grace
	cancel context.CancelFunc
	stop   chan struct{} // closed by Close: no more read-backs
	// ConfirmAfter is how long to wait for a notification before reading
	// the state back.
	ConfirmAfter time.Duration
	// MinInterval spaces requests to one target: the first change goes at
	// once, rapid changes after it fold into one request carrying the
	// latest choice (a presence PUT costs one of 40 Medium requests a minute).
	MinInterval time.Duration

	mu      sync.Mutex
	running map[string]bool
	wg      sync.WaitGroup
}

// NewWriter makes a writer. Its requests are not cancelled with ctx: Close
// gives the ones in flight a grace period, so a change made just before
// quitting still reaches the server.
func NewWriter(ctx context.Context, m *Mirror, c *rc.Client, log *slog.Logger) *Writer {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	wctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	return &Writer{m: m, c: c, log: log, ctx: wctx, cancel: cancel, stop: make(chan struct{}),
		ConfirmAfter: 8 * time.Second, MinInterval: 500 * time.Millisecond, running: map[string]bool{}}
}

// Close waits up to grace for the requests in flight, then cancels them.
func (w *Writer) Close(grace time.Duration) {
	w.mu.Lock()
	select {
	case <-w.stop:
	default:
		close(w.stop)
	}
	w.mu.Unlock()
	done := make(chan struct{})
	go func() {
		w.wg.Wait()
		close(done)
	}()
	t := time.NewTimer(grace)
	defer t.Stop()
	select {
	case <-done:
	case <-t.C:
	}
	w.cancel()
	<-done
}

const (
	dndTakeAll      = "TakeAllCalls"
	dndNoDepartment = "DoNotAcceptDepartmentCalls"
	dndNoCalls      = "DoNotAcceptAnyCalls"
)

// ErrNotSignedIn is returned before the sync has signed in.
var ErrNotSignedIn = errors.New("not signed in yet")

// SetStatus sets my status: Available, Busy, Invisible or DND.
func (w *Writer) SetStatus(status string) error {
	me, _ := w.m.Me()
	if me == "" {
		return ErrNotSignedIn
	}
	user := map[string]string{StatusAvailable: "Available", StatusBusy: "Busy", StatusInvisible: "Offline"}
	var confirm func(m *Mirror) bool
	switch status {
	case StatusDND:
		confirm = func(m *Mirror) bool {
			e := m.entryLocked(me)
			return e != nil && e.DNDStatus == dndNoCalls
		}
	case StatusAvailable, StatusBusy, StatusInvisible:
		want := user[status]
		confirm = func(m *Mirror) bool {
			e := m.entryLocked(me)
			return e != nil && e.UserStatus == want && e.DNDStatus != dndNoCalls
		}
	default:
		return fmt.Errorf("unknown status %q", status)
	}
	w.m.recordIntent(IntentStatus, status, "presence", confirm)
	w.kick("presence")
	return nil
}

// SetMessage sets my status message (at most 75 characters).
func (w *Writer) SetMessage(msg string) error {
	me, _ := w.m.Me()
	if me == "" {
		return ErrNotSignedIn
	}
	if n := len([]rune(msg)); n > MaxMessage {
		return fmt.Errorf("the message is %d characters, at most %d", n, MaxMessage)
	}
	w.m.recordIntent(IntentMessage, msg, "presence", func(m *Mirror) bool {
		e := m.entryLocked(me)
		return e != nil && e.Message == msg
	})
	w.kick("presence")
	return nil
}

// MaxMessage is the longest status message RingCentral accepts.
const MaxMessage = 75

// SetAcceptQueueCalls sets my global queue availability (dndStatus
// TakeAllCalls or DoNotAcceptDepartmentCalls; rc-api.md §4.4).
func (w *Writer) SetAcceptQueueCalls(accept bool) error {
	me, _ := w.m.Me()
	if me == "" {
		return ErrNotSignedIn
	}
	want, value := dndNoDepartment, "reject"
	if accept {
		want, value = dndTakeAll, "accept"
	}
	w.m.recordIntent(IntentQueues, value, "presence", func(m *Mirror) bool {
		e := m.entryLocked(me)
		return e != nil && e.DNDStatus == want
	})
	w.kick("presence")
	return nil
}

// SetMyQueue sets my availability in one queue.
func (w *Writer) SetMyQueue(q ID, accept bool) error {
	me, _ := w.m.Me()
	if me == "" {
		return ErrNotSignedIn
	}
	w.m.recordIntent(IntentQueue(q), onOff(accept), "myqueue:"+string(q), func(m *Mirror) bool {
		v, ok := m.queueAcceptLocked(q, me)
		return ok && v == accept
	})
	w.kick("myqueue:" + string(q))
	return nil
}

// SetMember sets a member's availability in a queue (admins).
func (w *Writer) SetMember(q, member ID, accept bool) error {
	key := IntentMember(q, member)
	w.m.recordIntent(key, onOff(accept), key, func(m *Mirror) bool {
		v, ok := m.queueAcceptLocked(q, member)
		return ok && v == accept
	})
	w.kick(key)
	return nil
}

func onOff(b bool) string {
	if b {
		return "accept"
	}
	return "reject"
}

// kick starts the slot's sender unless it is running; it picks up the
// latest choices itself.
func (w *Writer) kick(slot string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.running[slot] {
		return
	}
	select {
	case <-w.stop:
		return // shutting down: the change stays pending, visibly
	default:
	}
	w.running[slot] = true
	w.wg.Add(1)
	go w.loop(slot)
}

func (w *Writer) loop(slot string) {
	defer w.wg.Done()
	var last time.Time
	for {
		if wait := w.MinInterval - time.Since(last); !last.IsZero() && wait > 0 {
			t := time.NewTimer(wait)
			select {
			case <-t.C:
			case <-w.stop: // quitting: send the last choice now
				t.Stop()
			}
		}
		w.mu.Lock()
		batch := w.m.unsent(slot)
		if len(batch) == 0 {
			w.running[slot] = false
			w.mu.Unlock()
			return
		}
		w.mu.Unlock()
		last = time.Now()
		err := w.send(slot, batch)
		if err != nil {
			w.log.Info("write failed", "target", slot, "err", err)
		}
		w.m.sent(batch, err)
		if err == nil {
			w.wg.Add(1)
			go w.confirmLater(slot, batch)
		}
	}
}

// send turns a slot's pending choices into one request.
func (w *Writer) send(slot string, batch []Write) error {
	ctx := w.ctx
	me, _ := w.m.Me()
	values := map[string]string{}
	for _, b := range batch {
		values[b.Key] = b.Value
	}
	switch {
	case slot == "presence":
		_, err := w.c.PutPresence(ctx, rc.ID(me), w.presenceBody(values))
		return err
	case strings.HasPrefix(slot, "myqueue:"):
		q := ID(strings.TrimPrefix(slot, "myqueue:"))
		_, err := w.c.PutMyQueuePresence(ctx, rc.ID(me), map[rc.ID]bool{rc.ID(q): values[IntentQueue(q)] == "accept"})
		return err
	case strings.HasPrefix(slot, "member:"):
		parts := strings.SplitN(strings.TrimPrefix(slot, "member:"), ":", 2)
		_, err := w.c.PutQueuePresence(ctx, rc.ID(parts[0]), map[rc.ID]bool{rc.ID(parts[1]): values[slot] == "accept"})
		return err
	}
	return fmt.Errorf("unknown write target %q", slot)
}

// presenceBody builds the presence PUT for my pending choices, the way
// RingCentral's own apps map their buttons (rc-api.md §4.4): a status
// keeps my queue choice, DND sets DoNotAcceptAnyCalls.
func (w *Writer) presenceBody(values map[string]string) rc.PresenceUpdate {
	var u rc.PresenceUpdate
	status, hasStatus := values[IntentStatus]
	queues, hasQueues := values[IntentQueues]
	if msg, ok := values[IntentMessage]; ok {
		u.Message = &msg
	}
	// The other intents of the slot still pending shape the body too.
	pending := w.m.Writes()
	if !hasStatus {
		if p, ok := pending[IntentStatus]; ok && !p.Failed {
			status, hasStatus = p.Value, true
		}
	}
	if !hasQueues {
		if p, ok := pending[IntentQueues]; ok && !p.Failed {
			queues, hasQueues = p.Value, true
		}
	}
	dnd := ""
	switch {
	case hasQueues && queues == "accept":
		dnd = dndTakeAll
	case hasQueues:
		dnd = dndNoDepartment
	}
	switch status {
	case StatusDND:
		dnd = dndNoCalls
	case StatusAvailable, StatusBusy, StatusInvisible:
		us := map[string]string{StatusAvailable: "Available", StatusBusy: "Busy", StatusInvisible: "Offline"}[status]
		u.UserStatus = &us
		if dnd == "" {
			dnd = w.m.restingDND()
		}
	}
	if dnd != "" {
		u.DNDStatus = &dnd
	}
	return u
}

// restingDND is the dndStatus to leave DND with: the current one unless it
// is DND, else the last one before DND, else TakeAllCalls.
func (m *Mirror) restingDND() string {
	m.mu.RLock()
	defer m.mu.RUnlock()
	if e := m.entryLocked(m.me); e != nil && (e.DNDStatus == dndTakeAll || e.DNDStatus == dndNoDepartment) {
		return e.DNDStatus
	}
	if m.lastNonDND != "" {
		return m.lastNonDND
	}
	return dndTakeAll
}

// confirmLater reads the state back when no notification has confirmed
// the batch in time, and fails what the server did not apply.
func (w *Writer) confirmLater(slot string, batch []Write) {
	defer w.wg.Done()
	t := time.NewTimer(w.ConfirmAfter)
	defer t.Stop()
	select {
	case <-w.stop:
		return
	case <-t.C:
	}
	left := w.m.stillPending(batch)
	if len(left) == 0 {
		return
	}
	me, _ := w.m.Me()
	ctx := w.ctx
	var err error
	switch {
	case slot == "presence":
		w.m.BeginFetch([]ID{me})
		var p rc.Presence
		if p, err = w.c.ExtensionPresence(ctx, rc.ID(me), true); err == nil {
			w.m.ApplySnapshot([]rc.Presence{p}, true)
		} else {
			w.m.FetchFailed([]ID{me})
		}
	case strings.HasPrefix(slot, "myqueue:"):
		var recs []rc.MyQueuePresence
		if recs, err = w.c.MyQueuePresence(ctx, rc.ID(me)); err == nil {
			w.m.ApplyMyQueues(me, recs)
		}
	case strings.HasPrefix(slot, "member:"):
		q := ID(strings.SplitN(strings.TrimPrefix(slot, "member:"), ":", 2)[0])
		w.m.StartQueueFetch(q)
		var recs []rc.QueueMemberPresence
		if recs, err = w.c.QueuePresence(ctx, rc.ID(q)); err == nil {
			w.m.ApplyQueueSnapshot(q, queueAccept(recs))
		}
	}
	if err != nil {
		w.log.Info("could not read back a write", "target", slot, "err", err)
		return
	}
	w.m.unconfirmed(w.m.stillPending(left))
}

// queueAccept turns a queue's presence records into member → accept.
func queueAccept(recs []rc.QueueMemberPresence) map[ID]bool {
	out := map[ID]bool{}
	for _, r := range recs {
		if r.AcceptCurrentQueueCalls != nil {
			out[ID(r.Member.ID)] = *r.AcceptCurrentQueueCalls
		}
	}
	return out
}

// ApplyMyQueues records my availability in each of my queues from REST,
// with each queue's editableMemberStatus.
func (m *Mirror) ApplyMyQueues(me ID, recs []rc.MyQueuePresence) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, r := range recs {
		qi, ok := m.qindex[ID(r.CallQueue.ID)]
		if !ok {
			continue
		}
		q := &m.queues[qi]
		q.EditableMemberStatus = r.CallQueue.EditableMemberStatus
		q.Accept[me] = r.AcceptCalls
	}
	m.confirmQueueWrites()
	m.touch("")
}
