package state

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/rchud/rchud/rc"
)

// fakeControl answers call actions as told, and records them.
type fakeControl struct {
	mu    sync.Mutex
	asked []CallRequest
	err   error
	res   string
	gate  chan struct{} // when set, Do waits for it
}

func (f *fakeControl) Do(ctx context.Context, r CallRequest, device string) (string, error) {
	if f.gate != nil {
		select {
		case <-f.gate:
		case <-ctx.Done():
			return "", ctx.Err()
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.asked = append(f.asked, r)
	return f.res, f.err
}

func (f *fakeControl) Reason(err error) string { return "because: " + err.Error() }

// deskOf publishes and returns the viewer's desk.
func deskOf(m *Mirror, v *View) *Desk {
	m.Publish()
	return v.Latest().Desk
}

// waitAction waits until the viewer's action on party reaches st.
func waitAction(t *testing.T, m *Mirror, v *View, party string, st ActionState) CallAction {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		d := deskOf(m, v)
		for _, c := range d.Calls {
			if c.Action != nil && c.Action.Call.Party == party && c.Action.State == st {
				return *c.Action
			}
		}
		for _, a := range d.Others {
			if a.Call.Party == party && a.State == st {
				return a
			}
		}
		time.Sleep(time.Millisecond)
	}
	t.Fatalf("the action on %s never reached state %d: %+v", party, st, deskOf(m, v))
	return CallAction{}
}

const ringingMe = `{"extensionId":"1","sequence":%d,"telephonyStatus":"%s","totalActiveCalls":1,
	"activeCalls":[{"id":"c1","direction":"Inbound","from":"+14155550100","fromName":"Acme Supply","telephonyStatus":"%s",
	"startTime":"2026-05-04T08:59:50.000+0000","telephonySessionId":"s1","partyId":"p1"}]}`

func TestCallActionsArePendingUntilTheServerShowsThemDone(t *testing.T) {
	m, clk := testMirror(t, 3)
	m.ApplySnapshot([]rc.Presence{*ev(t, `{"extension":{"id":1},"userStatus":"Available","dndStatus":"TakeAllCalls","telephonyStatus":"NoCall"}`)}, true)
	v := m.NewView(ViewOptions{Height: 10})
	defer v.Close()
	fc := &fakeControl{gate: make(chan struct{})}
	c := NewCaller(context.Background(), m, fc, nil)
	defer c.Close(time.Second)

	m.ApplyEvent(ev(t, fmt.Sprintf(ringingMe, 1, "Ringing", "Ringing")), clk.Now(), true)
	call := deskOf(m, v).Calls[0]
	if err := c.Act(CallRequest{Kind: ActAnswer, Call: call.Ref(), Caller: "Acme Supply"}); !errors.Is(err, ErrNoCallControl) {
		t.Fatalf("without call control an action must be refused before sending: %v", err)
	}
	m.SetCallControl(true, "", "11", "Desk phone")
	if err := c.Act(CallRequest{Kind: ActAnswer, Call: call.Ref(), Caller: "Acme Supply"}); err != nil {
		t.Fatal(err)
	}
	if a := deskOf(m, v).Calls[0].Action; a == nil || a.State != ActionPending || a.Kind != ActAnswer {
		t.Fatalf("the answer must show pending on the call at once: %+v", a)
	}
	close(fc.gate)
	waitAction(t, m, v, "p1", ActionSent) // accepted, not yet shown by the server
	m.ApplyEvent(ev(t, fmt.Sprintf(ringingMe, 2, "CallConnected", "CallConnected")), clk.Now(), true)
	waitAction(t, m, v, "p1", ActionDone)
	if fc.asked[0].Kind != ActAnswer || fc.asked[0].Call.Party != "p1" {
		t.Fatalf("sent %+v", fc.asked)
	}
	// A done action leaves the screen after a while.
	clk.Advance(actionShown + time.Second)
	if d := deskOf(m, v); d.Calls[0].Action != nil || len(d.Others) != 0 {
		t.Fatalf("a finished action must not stay: %+v", d)
	}

	// A transfer: the call leaves my calls, the action stays where it was.
	if err := c.Act(CallRequest{Kind: ActTransfer, Call: call.Ref(), Caller: "Acme Supply", Target: "Bob Stone, ext 214", To: TransferTo{Ext: "2"}}); err != nil {
		t.Fatal(err)
	}
	waitAction(t, m, v, "p1", ActionSent)
	m.ApplyEvent(ev(t, `{"extensionId":"1","sequence":3,"telephonyStatus":"NoCall","totalActiveCalls":0,"activeCalls":[]}`), clk.Now(), true)
	if a := waitAction(t, m, v, "p1", ActionDone); a.Target != "Bob Stone, ext 214" {
		t.Fatalf("done transfer %+v", a)
	}

	// A refusal shows its reason; an accepted action the server never
	// shows done says so.
	m.ApplyEvent(ev(t, fmt.Sprintf(ringingMe, 4, "CallConnected", "CallConnected")), clk.Now(), true)
	fc.err = errors.New("409")
	if err := c.Act(CallRequest{Kind: ActPark, Call: call.Ref()}); err != nil {
		t.Fatal(err)
	}
	if a := waitAction(t, m, v, "p1", ActionFailed); a.Err != "because: 409" {
		t.Fatalf("failed park %+v", a)
	}
	fc.err = nil
	if err := c.Act(CallRequest{Kind: ActHold, Call: call.Ref()}); err != nil {
		t.Fatal(err)
	}
	waitAction(t, m, v, "p1", ActionSent)
	clk.Advance(actionConfirmWithin)
	if a := waitAction(t, m, v, "p1", ActionFailed); a.Err == "" {
		t.Fatalf("an unconfirmed hold must say so: %+v", a)
	}
}
