package state

import (
	"slices"
	"time"
)

// The front desk: the viewer's own calls, and the call actions they asked
// for (answer, hold, transfer, park, pick up, hang up), each pending until
// the server's telephony state shows it done, or failed with a reason.

// CallActionKind is what a call action does.
type CallActionKind int

// Call actions.
const (
	ActAnswer CallActionKind = iota
	ActHold
	ActUnhold
	ActTransfer  // blind transfer to a colleague or a number
	ActVoicemail // to a colleague's voicemail
	ActPark
	ActPickup // a parked call, or a colleague's ringing call, on my phone
	ActHangUp
)

var actionWords = [...][3]string{
	// doing, done, verb
	ActAnswer:    {"answering", "answered", "answer"},
	ActHold:      {"holding", "on hold", "hold"},
	ActUnhold:    {"resuming", "resumed", "resume"},
	ActTransfer:  {"transferring", "transferred", "transfer"},
	ActVoicemail: {"sending to voicemail", "sent to voicemail", "send to voicemail"},
	ActPark:      {"parking", "parked", "park"},
	ActPickup:    {"picking up", "picked up", "pick up"},
	ActHangUp:    {"hanging up", "hung up", "hang up"},
}

// Doing is the action in progress, in a few words ("transferring").
func (k CallActionKind) Doing() string { return actionWords[k][0] }

// Done is the action done ("transferred").
func (k CallActionKind) Done() string { return actionWords[k][1] }

// Verb is the action asked for ("transfer").
func (k CallActionKind) Verb() string { return actionWords[k][2] }

// CallRef names one party of one call: the call acted on.
type CallRef struct {
	Session string // telephonySessionId
	Party   string // partyId
	Ext     ID     // whose party
}

// ActionState is how far a call action has got.
type ActionState int

// Action states.
const (
	// ActionPending: asked for, the request not answered yet.
	ActionPending ActionState = iota
	// ActionSent: the server accepted it; its telephony state has not
	// shown it done yet.
	ActionSent
	// ActionDone: the server's state shows it done.
	ActionDone
	// ActionFailed: refused, or never shown done; Err says why.
	ActionFailed
)

// CallAction is a call action the viewer asked for.
type CallAction struct {
	Seq  uint64
	Kind CallActionKind
	// By is whose action it is (the viewer's extension).
	By   ID
	Call CallRef
	// Caller is whom the call is with, and Target where it goes ("Bob
	// Stone, ext 214", "+14155550100", a voicemail box), as shown.
	Caller, Target string
	State          ActionState
	// Result is what the server gave back (the park orbit).
	Result string
	Err    string
	// At is when the action was asked for, Since when it last changed state.
	At, Since time.Time
}

// Live reports an action still on its way.
func (a *CallAction) Live() bool { return a.State == ActionPending || a.State == ActionSent }

// actionShown is how long a finished action stays on screen.
const actionShown = 6 * time.Second

// actionConfirmWithin is how long an accepted action may wait for the
// server's state to show it before the screen says it was not confirmed.
const actionConfirmWithin = 10 * time.Second

// MyCall is one of the viewer's calls, with the action on it, if any.
type MyCall struct {
	Call
	Ext ID
	// Action is the newest action on this call still showing (nil: none).
	Action *CallAction
}

// Ref names the call's party.
func (c *MyCall) Ref() CallRef { return CallRef{Session: c.SessionID, Party: c.PartyID, Ext: c.Ext} }

// Desk is the front desk as one viewer sees it: whether they may act on
// calls, their calls, and the actions they asked for.
type Desk struct {
	// Version changes whenever the calls and actions of the viewer do;
	// CallsVersion whenever the parked calls and backlogs do.
	Version, CallsVersion uint64
	// CallControl reports that call actions are possible; when not, Why
	// says why ("the app lacks the CallControl permission").
	CallControl bool
	Why         string
	// Device is the phone calls are answered and picked up on.
	Device string
	// Calls are the viewer's calls, the one their badge shows first.
	Calls []MyCall
	// Parked are the account's parked calls, oldest first, as far as the
	// viewer can see them.
	Parked []ParkedCall
	// Backlogs are every call queue's backlog; BacklogWhy says why they
	// are not known when they are not.
	Backlogs   []Backlog
	BacklogWhy string
	// Others are the actions on no call listed, the newest first: finished
	// ones whose call is no longer the viewer's (a transfer, a park, a
	// hang-up), and pickups of calls not theirs yet.
	Others []CallAction
}

// deskBook holds the call actions in flight and just finished, and what
// the sync learnt of call control. The Mirror's lock guards it.
type deskBook struct {
	seq     uint64
	version uint64
	actions []*CallAction
	control bool
	why     string
	device  string
	// deviceID is the device's id, which answers and pickups name.
	deviceID string
	// backlogWhy says why queue backlogs are not known ("" when they are).
	backlogWhy string
}

// begin records a new action, pending.
func (b *deskBook) begin(a CallAction, now time.Time) CallAction {
	b.seq++
	b.version++
	a.Seq, a.State, a.At, a.Since = b.seq, ActionPending, now, now
	// A newer action on the same call replaces an older one finished.
	b.actions = slices.DeleteFunc(b.actions, func(o *CallAction) bool { return o.Call == a.Call && !o.Live() })
	b.actions = append(b.actions, &a)
	return a
}

func (b *deskBook) find(seq uint64) *CallAction {
	for _, a := range b.actions {
		if a.Seq == seq {
			return a
		}
	}
	return nil
}

// answered records the server's answer to action seq.
func (b *deskBook) answered(seq uint64, result string, err string, now time.Time) {
	a := b.find(seq)
	if a == nil || !a.Live() {
		return
	}
	b.version++
	a.Since = now
	if err != "" {
		a.State, a.Err = ActionFailed, err
		return
	}
	a.State, a.Result = ActionSent, result
}

// callsOf is what the server's state says of one person's calls: each
// party's status by party id, and the sessions they are connected in.
type callsOf struct {
	status    map[string]string // party id -> Ringing, CallConnected, OnHold, ParkedCall
	connected map[string]bool   // telephony session id -> a party of theirs talks in it
}

func callsOfEntry(e *Entry) callsOf {
	c := callsOf{status: map[string]string{}, connected: map[string]bool{}}
	if e == nil {
		return c
	}
	for i := range e.Calls {
		call := &e.Calls[i]
		if call.PartyID != "" {
			c.status[call.PartyID] = call.Status()
		}
		if call.Status() == "CallConnected" && call.SessionID != "" {
			c.connected[call.SessionID] = true
		}
	}
	return c
}

// done reports whether the server's state shows a accomplished.
func (a *CallAction) done(c callsOf) bool {
	st, has := c.status[a.Call.Party]
	switch a.Kind {
	case ActAnswer:
		return st == "CallConnected" || c.connected[a.Call.Session]
	case ActHold:
		return st == "OnHold"
	case ActUnhold:
		return st == "CallConnected"
	case ActTransfer, ActVoicemail, ActHangUp:
		return !has
	case ActPark:
		return !has || st == "ParkedCall"
	case ActPickup:
		return c.connected[a.Call.Session]
	}
	return false
}

// settle moves accepted actions the server's state now shows done, and
// fails those that waited too long; it reports whether any changed.
// callsFor gives the state of an actor's calls.
func (b *deskBook) settle(callsFor func(ID) callsOf, now time.Time) bool {
	changed := false
	seen := map[ID]callsOf{}
	for _, a := range b.actions {
		if a.State != ActionSent {
			continue
		}
		c, ok := seen[a.By]
		if !ok {
			c = callsFor(a.By)
			seen[a.By] = c
		}
		switch {
		case a.done(c):
			a.State, a.Since = ActionDone, now
			changed = true
		case now.Sub(a.Since) >= actionConfirmWithin:
			a.State, a.Since, a.Err = ActionFailed, now, "accepted, but the phone system has not shown it done"
			changed = true
		}
	}
	// Forget what has been shown long enough.
	n := len(b.actions)
	b.actions = slices.DeleteFunc(b.actions, func(a *CallAction) bool { return !a.Live() && now.Sub(a.Since) > actionShown })
	if changed || len(b.actions) != n {
		b.version++
		return true
	}
	return false
}

// nextChange is when an action will change with no event: one waiting
// for confirmation running out, or a finished one leaving the screen.
func (b *deskBook) nextChange(now time.Time) time.Time {
	var next time.Time
	for _, a := range b.actions {
		t := a.Since.Add(actionShown)
		switch a.State {
		case ActionPending:
			continue
		case ActionSent:
			t = a.Since.Add(actionConfirmWithin)
		}
		if t.After(now) && (next.IsZero() || t.Before(next)) {
			next = t
		}
	}
	return next
}

// desk builds the desk of viewer me from their entry and the calls
// tracked.
func (b *deskBook) desk(me ID, e *Entry, cv *callsView) *Desk {
	d := &Desk{Version: b.version, CallsVersion: cv.build, CallControl: b.control, Why: b.why, Device: b.device,
		Parked: cv.parked, Backlogs: cv.backlogs, BacklogWhy: b.backlogWhy}
	if e != nil {
		primary := e.PrimaryCall()
		for i := range e.Calls {
			c := &e.Calls[i]
			if c == primary {
				d.Calls = append([]MyCall{{Call: *c, Ext: e.ID}}, d.Calls...)
				continue
			}
			d.Calls = append(d.Calls, MyCall{Call: *c, Ext: e.ID})
		}
	}
	for _, a := range b.actions {
		if a.By != me {
			continue
		}
		placed := false
		for i := range d.Calls {
			if d.Calls[i].PartyID == a.Call.Party && a.Call.Party != "" {
				act := *a
				d.Calls[i].Action = &act
				placed = true
			}
		}
		if !placed && (a.State == ActionDone || a.State == ActionFailed || a.Kind == ActPickup) {
			d.Others = append([]CallAction{*a}, d.Others...) // the newest first
		}
	}
	return d
}

// CallRequest is a call action asked for.
type CallRequest struct {
	Kind CallActionKind
	Call CallRef
	// Caller and Target label the action on screen (see CallAction).
	Caller, Target string
	// To is where a transfer goes.
	To TransferTo
}

// TransferTo is a transfer's target: a colleague (by extension id, to
// them or to their voicemail), or a phone number.
type TransferTo struct {
	Ext    ID
	Number string
}

// SetCallControl records whether call actions are possible (and why not),
// and the device calls are answered on: its id and its name as shown.
func (m *Mirror) SetCallControl(ok bool, why, deviceID, device string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	d := &m.desk
	if d.control != ok || d.why != why || d.device != device || d.deviceID != deviceID {
		d.control, d.why, d.device, d.deviceID = ok, why, Sanitize(device), deviceID
		d.version++
		m.signal()
	}
}

// beginCall records a call action asked for by ext.
func (m *Mirror) beginCall(by ID, r CallRequest) CallAction {
	m.mu.Lock()
	defer m.mu.Unlock()
	a := m.desk.begin(CallAction{Kind: r.Kind, By: by, Call: r.Call, Caller: Sanitize(r.Caller), Target: Sanitize(r.Target)}, m.now())
	m.signal()
	return a
}

// callAnswered records the server's answer to a call action.
func (m *Mirror) callAnswered(seq uint64, result, err string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.desk.answered(seq, Sanitize(result), oneLine(err), m.now())
	m.desk.settle(m.callsOf, m.now())
	m.signal()
}

// callsOf is what the mirror knows of ext's calls (lock held).
func (m *Mirror) callsOf(ext ID) callsOf { return callsOfEntry(m.store.entry(ext)) }
