package state

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"
)

// CallControl carries call actions to the phone system (RingCentral's
// Call Control API, through rc). Do returns what the server gave back
// worth showing (a park orbit) or the error; Reason turns an error into a
// few plain words for the screen.
type CallControl interface {
	Do(ctx context.Context, r CallRequest, device string) (result string, err error)
	Reason(err error) string
}

// Caller sends call actions for one person: each is recorded pending at
// once and shows on their desk until the server's telephony state shows
// it done or it fails. Unlike presence writes, call actions are never
// retried or folded: a transfer sent twice could move a call twice.
type Caller struct {
	m   *Mirror
	cc  CallControl
	log *slog.Logger
	ext ID // "": the signed-in user
	// device is the phone to answer on ("": the one the sync chose for
	// the signed-in user).
	device string
	d      *callerDone
}

type callerDone struct {
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
	// Timeout bounds one request.
	timeout time.Duration
}

// NewCaller makes the call actor of the signed-in user. Its requests
// outlive ctx by Close's grace, so an action asked for just before
// quitting still reaches the server.
func NewCaller(ctx context.Context, m *Mirror, cc CallControl, log *slog.Logger) *Caller {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	cctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	return &Caller{m: m, cc: cc, log: log, d: &callerDone{ctx: cctx, cancel: cancel, timeout: 15 * time.Second}}
}

// For is the call actor for ext (a hub acting for a viewer), answering on
// the device with id device.
func (c *Caller) For(ext ID, device string) *Caller {
	cp := *c
	cp.ext, cp.device = ext, device
	return &cp
}

// Close waits up to grace for the requests in flight, then cancels them.
func (c *Caller) Close(grace time.Duration) {
	drain(&c.d.wg, grace, c.d.cancel)
}

// ErrNoCallControl is returned when call actions are not possible.
var ErrNoCallControl = errors.New("call actions are not available")

// Act asks for a call action. It returns at once: the desk shows it
// pending, then done or failed.
func (c *Caller) Act(r CallRequest) error {
	by := c.ext
	if by == "" {
		by, _ = c.m.Me()
	}
	if by == "" {
		return ErrNotSignedIn
	}
	c.m.mu.Lock()
	ok, why, device := c.m.desk.control, c.m.desk.why, c.m.desk.deviceID
	c.m.mu.Unlock()
	if c.ext != "" {
		device = c.device // a viewer's own phone, never the hub's
		if device == "" && (r.Kind == ActAnswer || r.Kind == ActPickup) {
			return errors.New("your phone is not known yet")
		}
	}
	if !ok {
		if why != "" {
			return fmt.Errorf("%w: %s", ErrNoCallControl, why)
		}
		return ErrNoCallControl
	}
	if r.Call.Session == "" || r.Call.Party == "" {
		return errors.New("the call has no telephony session to act on")
	}
	if (r.Kind == ActTransfer || r.Kind == ActVoicemail) && r.To.Ext == "" && r.To.Number == "" {
		return errors.New("a transfer needs a colleague or a number")
	}
	a := c.m.beginCall(by, r)
	c.d.wg.Add(1)
	go func() {
		defer c.d.wg.Done()
		ctx, cancel := context.WithTimeout(c.d.ctx, c.d.timeout)
		defer cancel()
		result, err := c.cc.Do(ctx, r, device)
		msg := ""
		if err != nil {
			msg = c.cc.Reason(err)
			c.log.Info("call action failed", "action", r.Kind.Verb(), "session", r.Call.Session, "err", err)
		} else {
			c.log.Info("call action accepted", "action", r.Kind.Verb(), "session", r.Call.Session)
		}
		c.m.callAnswered(a.Seq, result, msg)
	}()
	return nil
}
