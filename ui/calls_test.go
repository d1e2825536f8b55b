package ui

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rchud/rchud/rc"
	"github.com/rchud/rchud/state"
)

// fakeCaller records the call actions the HUD asks for.
type fakeCaller struct {
	mu  sync.Mutex
	got []state.CallRequest
}

func (c *fakeCaller) Act(r state.CallRequest) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.got = append(c.got, r)
	return nil
}

func (c *fakeCaller) asked() []state.CallRequest {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]state.CallRequest(nil), c.got...)
}

// myCallEvent gives me (Omar Khan, id 1) one call from Acme Supply in
// status st, through the Support queue.
func myCallEvent(seq int, st string) string {
	tel := st
	return fmt.Sprintf(`{"sequence":%d,"telephonyStatus":%q,"totalActiveCalls":1,"activeCalls":[{"id":"c9","direction":"Inbound",
		"from":"+14155550100","fromName":"Acme Supply","to":"801","toName":"Support","telephonyStatus":%q,
		"startTime":"2026-05-04T08:59:18Z","queueCall":true,"telephonySessionId":"s-9","partyId":"p-9-2"}]}`, seq, tel, st)
}

func TestCallKeysActOnMyCalls(t *testing.T) {
	f := newFixture(t, testPeople, false)
	fc := &fakeCaller{}
	h := newHUDWith(t, f, Options{Caller: fc}, 120, 30)
	f.event(t, "1", myCallEvent(10, "Ringing"))
	h.changed()
	// Without the CallControl permission there are no call keys, and help
	// says why.
	f.m.SetCallControl(false, "the app lacks the CallControl permission", "", "")
	h.changed()
	h.wantScreen("← Acme Supply +14155550100 via Support · Ringing 0:42")
	h.press("r")
	if len(fc.asked()) != 0 {
		t.Fatalf("r answered without call control: %+v", fc.asked())
	}
	h.press("?")
	h.wantScreen("Call keys are hidden: the app lacks the CallControl permission.")
	h.press("esc")

	f.m.SetCallControl(true, "", "11", "Desk phone")
	h.changed()
	h.wantScreen("r answer my ringing call")
	h.press("r")
	if got := fc.asked(); len(got) != 1 || got[0].Kind != state.ActAnswer || got[0].Call.Party != "p-9-2" || got[0].Call.Session != "s-9" {
		t.Fatalf("r must answer my ringing call: %+v", got)
	}

	// Talking: t asks before transferring to the selected colleague.
	f.event(t, "1", myCallEvent(11, "CallConnected"))
	h.changed()
	h.selectName("Zoe Adams", "")
	h.press("t")
	h.wantScreen("Transfer ← Acme Supply (0:42) to Zoe Adams, ext 102, Busy? y/n")
	h.press("n")
	if len(fc.asked()) != 1 {
		t.Fatalf("n must not transfer: %+v", fc.asked())
	}
	h.press("t", "y")
	got := fc.asked()
	if last := got[len(got)-1]; last.Kind != state.ActTransfer || last.To.Ext != "2" || last.Target != "Zoe Adams, ext 102" {
		t.Fatalf("t y must transfer to Zoe Adams: %+v", last)
	}
	h.press("v", "y")
	if last := fc.asked()[len(fc.asked())-1]; last.Kind != state.ActVoicemail || last.To.Ext != "2" {
		t.Fatalf("v y must send to Zoe's voicemail: %+v", last)
	}
	// T takes a number, cleaned of its formatting.
	h.press("T")
	h.wantScreen("Transfer ← Acme Supply to number:")
	h.typeText("+1 (415) 555-0199")
	h.press("enter")
	if last := fc.asked()[len(fc.asked())-1]; last.Kind != state.ActTransfer || last.To.Number != "+14155550199" {
		t.Fatalf("T must transfer to the number typed: %+v", last)
	}
	h.press("T")
	h.typeText("call bob")
	h.press("enter")
	h.wantScreen("is not part of a phone number")
	h.press("esc")
	// h holds, o parks, x asks before hanging up.
	n := len(fc.asked())
	h.press("h", "o", "x", "y")
	kinds := []state.CallActionKind{}
	for _, r := range fc.asked()[n:] {
		kinds = append(kinds, r.Kind)
	}
	if fmt.Sprint(kinds) != fmt.Sprint([]state.CallActionKind{state.ActHold, state.ActPark, state.ActHangUp}) {
		t.Fatalf("h, o, x y sent %v", kinds)
	}
	// My details name the phone calls are answered on.
	h.selectName("Omar Khan", "")
	h.press("enter")
	h.wantScreen("answers on Desk phone")
	h.press("enter")
	// Read-only hides every call key, and help says so.
	ro := newHUDWith(t, f, Options{Caller: fc, ReadOnly: true}, 120, 30)
	ro.changed()
	n = len(fc.asked())
	ro.press("r", "h", "o", "x", "y")
	if len(fc.asked()) != n {
		t.Fatalf("--readonly must not act on calls: %+v", fc.asked()[n:])
	}
}

// transferControl is a phone system that accepts every action.
type transferControl struct{}

func (transferControl) Do(ctx context.Context, r state.CallRequest, device string) (string, error) {
	if r.Kind == state.ActPark {
		return "*801", nil
	}
	return "", nil
}
func (transferControl) Reason(err error) string { return err.Error() }

func TestCallActionsShowPendingThenDoneWhereTheCallWas(t *testing.T) {
	f := newFixture(t, testPeople, false)
	c := state.NewCaller(context.Background(), f.m, transferControl{}, nil)
	defer c.Close(time.Second)
	h := newHUDWith(t, f, Options{Caller: c}, 120, 30)
	f.m.SetCallControl(true, "", "11", "Desk phone")
	f.event(t, "1", myCallEvent(10, "CallConnected"))
	h.changed()
	h.selectName("Ben Ng", "")
	h.press("t", "y")
	// Pending at once, then accepted: still "transferring" until the
	// server's state shows the call gone.
	h.changed()
	h.wantScreen("→ transferring to Ben Ng, ext 1042…")
	deadline := time.Now().Add(5 * time.Second)
	for {
		h.changed()
		if a := h.m.frame.Desk.Calls[0].Action; a != nil && a.State == state.ActionSent {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the transfer was never accepted: %+v", h.m.frame.Desk)
		}
		time.Sleep(time.Millisecond)
	}
	h.wantScreen("→ transferring to Ben Ng, ext 1042…")
	f.event(t, "1", `{"sequence":11,"telephonyStatus":"NoCall","totalActiveCalls":0,"activeCalls":[]}`)
	h.changed()
	h.wantScreen("Acme Supply · ✓ transferred to Ben Ng, ext 1042")
	f.clock.Advance(10 * time.Second)
	h.changed()
	h.wantNoScreen("transferred")
}

// queueEvent is a telephony event of session s: party p of extension ext
// (a queue when ext is q1) in status code, from an outside caller.
func queueEvent(s, p string, seq int64, ext, code, reason string, at time.Time) rc.TelephonySession {
	party := rc.CallParty{ID: p, ExtensionID: rc.ID(ext), Direction: "Inbound",
		From: rc.CallEnd{PhoneNumber: "+14155550111", Name: "Waiting Wendy"}, To: rc.CallEnd{ExtensionID: "q1"}}
	party.Status.Code, party.Status.Reason = code, reason
	ev := rc.TelephonySession{ID: s, Sequence: seq, Parties: []rc.CallParty{party}}
	ev.EventTime = rc.Time{Time: at}
	return ev
}

func TestQueueBacklogOnTheBoardInHeadersAndInMyQueues(t *testing.T) {
	f := newFixture(t, testPeople, true)
	h := newHUDWith(t, f, Options{WaitAlarm: time.Minute}, 120, 30)
	h.wantNoScreen("Queues ")
	f.m.SetCallsAccountWide(true, "")
	h.changed()
	h.wantNoScreen("Queues ") // not before the calls in progress are read
	f.m.BootstrapCalls(nil, f.clock.Now())
	h.changed()
	h.wantScreen("Queues no one waiting")
	// A caller has waited 70 s: past the wait alarm.
	f.m.ApplyTelephony(queueEvent("s1", "p-q", 1, "q1", "Proceeding", "", epoch.Add(-70*time.Second)), epoch)
	f.clock.Advance(600 * time.Millisecond) // the board is built again at most twice a second
	h.changed()
	h.wantScreen("Queues Support 1 waiting 1:10")
	if !strings.Contains(h.m.Render(), h.m.c.Styles.alarm[1].wrap("1 waiting 1:10")) {
		t.Fatalf("a wait past --wait-alarm must be amber")
	}
	h.press("g") // by queue: the header tells the backlog too
	h.wantScreen("▾ Support · 3 · ")
	h.wantScreen("can take a call · 1 waiting 1:10")
	h.press("p")
	h.wantScreen("Support (801) · 1 waiting 1:10")
	h.wantScreen("0 answered · 0 abandoned since 09:00")
	h.press("p")
	// An agent answers: no one waits, one answered.
	f.m.ApplyTelephony(queueEvent("s1", "p-q", 2, "q1", "Disconnected", "AgentAnswered", epoch), epoch)
	f.clock.Advance(600 * time.Millisecond)
	h.changed()
	h.wantScreen("Queues no one waiting")
	h.wantScreen("1 answered · 0 abandoned")
	// Q hides the board; it stays hidden.
	h.press("Q")
	h.wantNoScreen("Queues no one waiting")
	h.changed()
	h.wantNoScreen("Queues no one waiting")
}

func TestAnAgentIsToldWhyTheBacklogIsMissing(t *testing.T) {
	f := newFixture(t, testPeople, false)
	h := newHUDWith(t, f, Options{}, 120, 30)
	f.m.SetCallsAccountWide(false, "waiting callers are seen by admins only")
	h.changed()
	h.wantNoScreen("Queues ")
	h.press("P")
	h.wantScreen("No call is parked.")
	h.wantScreen("Only calls you parked show here;")
	h.wantScreen("waiting callers are seen by admins only.")
}
