package state

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
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
	running map[slot]bool
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
		ConfirmAfter: 8 * time.Second, MinInterval: 500 * time.Millisecond, running: map[slot]bool{}}
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
	drain(&w.wg, grace, w.cancel)
}

// ErrNotSignedIn is returned before the sync has signed in.
var ErrNotSignedIn = errors.New("not signed in yet")

// MaxMessage is the longest status message RingCentral accepts.
const MaxMessage = 75

// Actor makes changes for one person: the signed-in user's own (the
// HUD), or a viewer's (a hub that serves many). Each call only records the
// choice and returns; the change shows pending until the server confirms
// it.
type Actor struct {
	w   *Writer
	ext ID // "": the signed-in user
}

// Me is the actor for the signed-in user.
func (w *Writer) Me() Actor { return Actor{w: w} }

// For is the actor for ext.
func (w *Writer) For(ext ID) Actor { return Actor{w: w, ext: ext} }

func (a Actor) who() (ID, error) {
	if a.ext != "" {
		return a.ext, nil
	}
	me, _ := a.w.m.Me()
	if me == "" {
		return "", ErrNotSignedIn
	}
	return me, nil
}

// SetStatus sets the status: Available, Busy, Invisible or DND.
func (a Actor) SetStatus(s Status) error {
	switch s {
	case StatusAvailable, StatusBusy, StatusInvisible, StatusDND:
	default:
		return fmt.Errorf("unknown status %q", s)
	}
	ext, err := a.who()
	if err != nil {
		return err
	}
	a.w.record(Write{Target: Target{Kind: WriteStatus, Ext: ext}, Status: s})
	return nil
}

// SetMessage sets the status message (at most MaxMessage characters).
func (a Actor) SetMessage(msg string) error {
	if n := len([]rune(msg)); n > MaxMessage {
		return fmt.Errorf("the message is %d characters, at most %d", n, MaxMessage)
	}
	ext, err := a.who()
	if err != nil {
		return err
	}
	a.w.record(Write{Target: Target{Kind: WriteMessage, Ext: ext}, Message: msg})
	return nil
}

// SetAcceptQueueCalls sets the global queue availability (dndStatus
// TakeAllCalls or DoNotAcceptDepartmentCalls; rc-api.md §4.4).
func (a Actor) SetAcceptQueueCalls(accept bool) error {
	ext, err := a.who()
	if err != nil {
		return err
	}
	a.w.record(Write{Target: Target{Kind: WriteQueueCalls, Ext: ext}, Accept: accept})
	return nil
}

// SetMyQueue sets the availability in one queue whose members may change
// their own.
func (a Actor) SetMyQueue(q ID, accept bool) error {
	ext, err := a.who()
	if err != nil {
		return err
	}
	a.w.record(Write{Target: Target{Kind: WriteMyQueue, Ext: ext, Queue: q}, Accept: accept})
	return nil
}

// SetMember sets a member's availability in a queue, as a supervisor.
func (a Actor) SetMember(q, member ID, accept bool) error {
	a.w.record(Write{Target: Target{Kind: WriteMember, Ext: member, Queue: q}, Accept: accept})
	return nil
}

// record stores a choice and makes sure its slot's sender runs.
func (w *Writer) record(choice Write) {
	if w.m.recordWrite(choice) {
		w.kick(choice.slot())
	}
}

// kick starts the slot's sender unless it is running; it picks up the
// latest choices itself.
func (w *Writer) kick(sl slot) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.running[sl] {
		return
	}
	select {
	case <-w.stop:
		return // shutting down: the change stays pending, visibly
	default:
	}
	w.running[sl] = true
	w.wg.Add(1)
	go w.loop(sl)
}

func (w *Writer) loop(sl slot) {
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
		batch := w.m.unsent(sl)
		if len(batch) == 0 {
			w.running[sl] = false
			w.mu.Unlock()
			return
		}
		w.mu.Unlock()
		last = time.Now()
		err := w.send(sl, batch)
		if err != nil {
			w.log.Info("write failed", "target", sl.kind, "err", err)
		}
		w.m.sent(batch, err)
		if err == nil {
			w.wg.Add(1)
			go w.confirmLater(sl, batch)
		}
	}
}

// send turns a slot's pending choices into one request.
func (w *Writer) send(sl slot, batch []Write) error {
	// A change someone is looking at fails fast, and says it is being
	// retried as soon as it is (six retries on a 503 took 27 s to tell).
	ctx := rc.WithRetryNotice(w.ctx, userRetries, func(err error) { w.m.retrying(batch, err) })
	switch sl.kind {
	case slotPresence:
		_, err := w.c.PutPresence(ctx, rc.ID(sl.ext), w.presenceBody(sl.ext, batch))
		return err
	case slotMyQueue:
		_, err := w.c.PutMyQueuePresence(ctx, rc.ID(sl.ext), map[rc.ID]bool{rc.ID(sl.queue): batch[len(batch)-1].Accept})
		return err
	case slotMember:
		_, err := w.c.PutQueuePresence(ctx, rc.ID(sl.queue), map[rc.ID]bool{rc.ID(sl.ext): batch[len(batch)-1].Accept})
		return err
	}
	return fmt.Errorf("unknown write target %v", sl.kind)
}

// presenceBody builds the presence PUT for ext's pending choices, the way
// RingCentral's own apps map their buttons (rc-api.md §4.4): a status
// keeps the queue choice, DND sets DoNotAcceptAnyCalls.
func (w *Writer) presenceBody(ext ID, batch []Write) rc.PresenceUpdate {
	var u rc.PresenceUpdate
	var status, queues *Write
	for i := range batch {
		switch b := &batch[i]; b.Kind {
		case WriteMessage:
			msg := b.Message
			u.Message = &msg
		case WriteStatus:
			status = b
		case WriteQueueCalls:
			queues = b
		}
	}
	// The other choices of the slot still pending shape the body too.
	if status == nil {
		if p, ok := w.m.Write(Target{Kind: WriteStatus, Ext: ext}); ok && p.Pending() {
			status = &p
		}
	}
	if queues == nil {
		if p, ok := w.m.Write(Target{Kind: WriteQueueCalls, Ext: ext}); ok && p.Pending() {
			queues = &p
		}
	}
	if w.m.chs(ext) {
		return chsBody(u, status, queues)
	}
	var dnd DNDStatus
	switch {
	case queues != nil && queues.Accept:
		dnd = TakeAllCalls
	case queues != nil:
		dnd = NoQueueCalls
	}
	if status != nil {
		switch status.Status {
		case StatusDND:
			dnd = DoNotDisturb
		default:
			us := status.Status.userStatus()
			u.UserStatus = &us
			if dnd == "" {
				dnd = w.m.restingDND(ext)
			}
		}
	}
	if dnd != "" {
		d := string(dnd)
		u.DNDStatus = &d
	}
	return u
}

// chsBody is the presence PUT on a CHS account, where a User's DND is
// dndStatusPersonal and their queue availability acceptCallQueueCalls (a
// dndStatus would be refused): the two choices are independent, so each
// sends only its own field.
func chsBody(u rc.PresenceUpdate, status, queues *Write) rc.PresenceUpdate {
	if queues != nil {
		accept := queues.Accept
		u.AcceptCallQueueCalls = &accept
	}
	if status != nil {
		personal := string(TakeAllCalls)
		if status.Status == StatusDND {
			personal = string(DoNotDisturb)
		} else {
			us := status.Status.userStatus()
			u.UserStatus = &us
		}
		u.DNDStatusPersonal = &personal
	}
	return u
}

// confirmLater reads the state back when no notification has confirmed
// the batch in time, and fails what the server did not apply.
func (w *Writer) confirmLater(sl slot, batch []Write) {
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
	ctx := w.ctx
	var err error
	switch sl.kind {
	case slotPresence:
		w.m.BeginFetch([]ID{sl.ext})
		var p rc.Presence
		if p, err = w.c.ExtensionPresence(ctx, rc.ID(sl.ext), true); err == nil {
			w.m.ApplySnapshot([]rc.Presence{p}, true)
		} else {
			w.m.FetchFailed([]ID{sl.ext})
		}
	case slotMyQueue:
		var recs []rc.MyQueuePresence
		if recs, err = w.c.MyQueuePresence(ctx, rc.ID(sl.ext)); err == nil {
			w.m.ApplyMyQueues(sl.ext, recs)
		}
	case slotMember:
		w.m.StartQueueFetch(sl.queue)
		var recs []rc.QueueMemberPresence
		if recs, err = w.c.QueuePresence(ctx, rc.ID(sl.queue)); err == nil {
			w.m.ApplyQueueSnapshot(sl.queue, queueAccept(recs))
		}
	}
	if err != nil {
		w.log.Info("could not read back a write", "target", sl.kind, "err", err)
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

// The mirror's side of the writes.

// recordWrite stores the user's latest choice; it reports whether a
// request must go.
func (m *Mirror) recordWrite(choice Write) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	ok := m.wr.record(choice, &m.store, m.now())
	m.touch(choice.Ext)
	return ok
}

func (m *Mirror) unsent(sl slot) []Write {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.wr.unsent(sl)
}

// userRetries bounds the retries of a user's change.
const userRetries = 2

// retrying marks the writes of batch as being retried after err.
func (m *Mirror) retrying(batch []Write, err error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, b := range batch {
		if w := m.wr.writes[b.Target]; w != nil && w.inGen == b.gen && !w.Failed {
			w.Retrying = oneLine(err.Error())
			m.touch(b.Ext)
		}
	}
}

func (m *Mirror) sent(batch []Write, err error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.wr.sent(batch, err, &m.store, m.now())
	for _, b := range batch {
		m.touch(b.Ext)
	}
}

func (m *Mirror) stillPending(batch []Write) []Write {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.wr.stillPending(batch)
}

func (m *Mirror) unconfirmed(batch []Write) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.wr.unconfirmed(batch, &m.store, m.now())
	for _, b := range batch {
		m.touch(b.Ext)
	}
}

// chs reports whether ext is on a CHS account, as its presence says.
func (m *Mirror) chs(ext ID) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	e := m.store.entry(ext)
	return e != nil && e.CHS
}

func (m *Mirror) restingDND(ext ID) DNDStatus {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.store.restingDND(ext)
}

// drain waits up to grace for the requests in wg, then cancels those
// still in flight and waits for them to end.
func drain(wg *sync.WaitGroup, grace time.Duration, cancel func()) {
	done := make(chan struct{})
	go func() {
		wg.Wait()
		close(done)
	}()
	t := time.NewTimer(grace)
	defer t.Stop()
	select {
	case <-done:
	case <-t.C:
	}
	cancel()
	<-done
}
