package serve

import (
	"errors"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rchud/rchud/state"
	"github.com/rchud/rchud/ui"
)

// Guard is the HUD's writer for one SSH session: it acts on the viewer's
// own extension only (a member's queue availability for a supervisor),
// checks the viewer's role on every call, and writes each call to the
// audit log. It is where the hub's rules are enforced: the HUD hides keys
// a role lacks, but nothing it sends gets past Guard unchecked.
type Guard struct {
	user   *atomic.Pointer[User] // the session's user as the users file now says
	ext    state.ID              // the viewer's extension (never "": that is the hub's own)
	actor  ui.Writer             // state.Writer.For(ext)
	audit  *Audit
	settle *settler
	// calls acts on the viewer's calls on their own phone, once phone has
	// found it (nil: no call actions).
	calls func(device string) ui.CallActor
	phone func() (id, label string, err error)
	mu    sync.Mutex
	mine  ui.CallActor
}

var (
	_ ui.Writer    = (*Guard)(nil)
	_ ui.CallActor = (*Guard)(nil)
)

// ErrKeyRemoved is the refusal once the session's key has left the users
// file (the session is ending).
var ErrKeyRemoved = errors.New("your key is no longer in the users file")

// SetStatus sets the viewer's status (DND is its own action).
func (g *Guard) SetStatus(s state.Status) error {
	a := ActionStatus
	if s == state.StatusDND {
		a = ActionDND
	}
	return g.do(a, string(s), change{Target: state.Target{Kind: state.WriteStatus, Ext: g.ext}, status: s},
		func() error { return g.actor.SetStatus(s) })
}

// SetMessage sets the viewer's status message.
func (g *Guard) SetMessage(msg string) error {
	return g.do(ActionMessage, strconv.Quote(msg), change{Target: state.Target{Kind: state.WriteMessage, Ext: g.ext}, message: msg},
		func() error { return g.actor.SetMessage(msg) })
}

// SetAcceptQueueCalls sets the viewer's global queue availability.
func (g *Guard) SetAcceptQueueCalls(accept bool) error {
	return g.do(ActionQueueCalls, onOff(accept), change{Target: state.Target{Kind: state.WriteQueueCalls, Ext: g.ext}, accept: accept},
		func() error { return g.actor.SetAcceptQueueCalls(accept) })
}

// SetMyQueue sets the viewer's availability in one queue.
func (g *Guard) SetMyQueue(q state.ID, accept bool) error {
	return g.do(ActionMyQueue, fmt.Sprintf("queue=%s %s", q, onOff(accept)),
		change{Target: state.Target{Kind: state.WriteMyQueue, Ext: g.ext, Queue: q}, accept: accept},
		func() error { return g.actor.SetMyQueue(q, accept) })
}

// SetMember sets a member's availability in a queue (a supervisor's).
func (g *Guard) SetMember(q, member state.ID, accept bool) error {
	return g.do(ActionMember, fmt.Sprintf("queue=%s member=%s %s", q, member, onOff(accept)),
		change{Target: state.Target{Kind: state.WriteMember, Ext: member, Queue: q}, accept: accept},
		func() error { return g.actor.SetMember(q, member, accept) })
}

func onOff(accept bool) string {
	if accept {
		return "accept"
	}
	return "decline"
}

// do checks the role for a, logs the call, and makes the change.
func (g *Guard) do(a Action, value string, c change, f func() error) error {
	rec, err := g.admit(a, value, describe(a))
	if err == nil {
		err = f()
	}
	if err != nil {
		return g.refused(rec, err)
	}
	rec.Result = "sent"
	g.audit.Log(rec)
	g.settle.watch(c, rec)
	return nil
}

// admit checks that the viewer's role allows a (may says what a does, for
// the refusal) and that they have an extension to act on; rec is the
// audit record of the action, to complete.
func (g *Guard) admit(a Action, value, may string) (Record, error) {
	u := g.user.Load()
	rec := Record{Key: u.Fingerprint, Ext: u.Extension, Role: u.Role, Action: string(a), Value: value}
	switch {
	case u.Role == "":
		return rec, ErrKeyRemoved
	case !Allows(u.Role, a):
		return rec, fmt.Errorf("your role (%s) may not %s", u.Role, may)
	case g.ext == "":
		return rec, errors.New("your extension is not known") // never act as the hub's own user
	}
	return rec, nil
}

// refused logs rec as refused for err, and returns err.
func (g *Guard) refused(rec Record, err error) error {
	rec.Result = "refused: " + err.Error()
	g.audit.Log(rec)
	return err
}

// change is a write asked for, to recognise it among the mirror's writes.
type change struct {
	state.Target
	status  state.Status
	message string
	accept  bool
}

func (c change) sameChoice(w state.Write) bool {
	switch c.Kind {
	case state.WriteStatus:
		return w.Status == c.status
	case state.WriteMessage:
		return w.Message == c.message
	}
	return w.Accept == c.accept
}

// Writes is the mirror's record of changes in flight (a *state.Mirror).
type Writes interface {
	Write(t state.Target) (state.Write, bool)
}

// settler follows each change to the server's answer and logs it: the
// change completes and is logged even when its session has ended. It is
// the hub's, and Close waits for it.
type settler struct {
	writes Writes
	audit  *Audit
	every  time.Duration // how often a change in flight is looked at
	within time.Duration // how long the server has to answer
	wg     sync.WaitGroup
	stop   chan struct{}
	once   sync.Once
}

func newSettler(w Writes, a *Audit, every, within time.Duration) *settler {
	return &settler{writes: w, audit: a, every: every, within: within, stop: make(chan struct{})}
}

// watch logs c's outcome once the mirror has it.
func (s *settler) watch(c change, rec Record) {
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		rec.Result = s.outcome(c)
		s.audit.Log(rec)
	}()
}

func (s *settler) outcome(c change) string {
	t := time.NewTicker(s.every)
	defer t.Stop()
	deadline := time.NewTimer(s.within)
	defer deadline.Stop()
	for {
		w, ok := s.writes.Write(c.Target)
		switch {
		case !ok:
			return "confirmed"
		case !c.sameChoice(w):
			return "superseded by a newer change"
		case w.Failed:
			return "failed: " + w.Err
		}
		select {
		case <-t.C:
		case <-deadline.C:
			return fmt.Sprintf("not confirmed within %s", s.within)
		case <-s.stop:
			return "not confirmed before the hub stopped"
		}
	}
}

// close waits up to grace for the outcomes still awaited, then logs them
// as unknown.
func (s *settler) close(grace time.Duration) {
	done := make(chan struct{})
	go func() {
		s.wg.Wait()
		close(done)
	}()
	t := time.NewTimer(grace)
	defer t.Stop()
	select {
	case <-done:
		return
	case <-t.C:
	}
	s.once.Do(func() { close(s.stop) })
	<-done
}

// callAction is the role action of a call action.
func callAction(k state.CallActionKind) Action {
	switch k {
	case state.ActAnswer:
		return ActionAnswer
	case state.ActHold:
		return ActionHold
	case state.ActUnhold:
		return ActionUnhold
	case state.ActPark:
		return ActionPark
	case state.ActPickup:
		return ActionPickup
	case state.ActHangUp:
		return ActionHangup
	}
	return ActionTransfer // a transfer, to a colleague, their voicemail or a number
}

// Act makes a call action for the viewer (ui.CallActor): the front desk
// role only, on the viewer's own calls (a pickup takes someone else's
// parked or ringing call onto the viewer's phone), logged like any other.
func (g *Guard) Act(r state.CallRequest) error {
	a := callAction(r.Kind)
	value := r.Call.Session
	if r.Target != "" {
		value += " to " + r.Target
	}
	rec, err := g.admit(a, value, "act on calls")
	switch {
	case err != nil:
	case g.calls == nil:
		err = errors.New("call actions are not available")
	case r.Kind != state.ActPickup && r.Call.Ext != g.ext:
		err = errors.New("you may act only on your own calls")
	}
	var actor ui.CallActor
	if err == nil {
		actor, err = g.callActor()
	}
	if err == nil {
		err = actor.Act(r)
	}
	if err != nil {
		return g.refused(rec, err)
	}
	rec.Result = "sent"
	g.audit.Log(rec)
	return nil
}

// callActor is the viewer's call actor, on their own phone, found the
// first time it is needed (a Light request, so a crowd of viewers who
// never act on a call costs none).
func (g *Guard) callActor() (ui.CallActor, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.mine != nil {
		return g.mine, nil
	}
	id, _, err := g.phone()
	if err != nil {
		return nil, fmt.Errorf("your phone is not known: %w", err)
	}
	g.mine = g.calls(id)
	return g.mine, nil
}
