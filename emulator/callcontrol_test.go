package emulator

import (
	"net/http"
	"slices"
	"testing"
)

func TestRingingCallIsASessionConsistentWithPresence(t *testing.T) {
	f := newRESTFixture(t, Config{})
	ref := f.ringVia(t, f.rec, `{"callerNumber":"+14155550142","callerName":"Globex Corp","mainLine":true}`)

	s := f.session(t, f.admin, ref.TelephonySessionID)
	if s.ID != ref.TelephonySessionID || s.Origin.Type != "Call" || len(s.Parties) != 2 || s.CreationTime == "" {
		t.Fatalf("session: %+v", s)
	}
	caller, _ := s.partyOf(nil)
	mine, ok := s.partyOf(f.rec)
	if !ok || mine.ID != ref.PartyID || mine.Direction != "Inbound" || mine.Status.Code != PartyProceeding ||
		mine.From.PhoneNumber != "+14155550142" || mine.From.Name != "Globex Corp" || mine.Owner == nil || mine.Owner.ExtensionID != f.rec.IDString() {
		t.Fatalf("the receptionist's party: %+v", mine)
	}
	if caller.ID != ref.CallerPartyID || caller.Direction != "Outbound" || caller.Status.Code != PartyProceeding ||
		caller.To.PhoneNumber != f.e.p.dir.MainNumber || caller.Owner != nil {
		t.Fatalf("the caller's party: %+v", caller)
	}
	// Presence shows the same call with the same ids.
	calls := f.callsOf(t, f.rec)
	if len(calls) != 1 || calls[0].TelephonySessionID != s.ID || calls[0].PartyID != mine.ID || calls[0].TelephonyStatus != TelRinging ||
		calls[0].ToName != f.e.p.dir.Company || calls[0].FromName != "Globex Corp" {
		t.Fatalf("presence activeCalls: %+v", calls)
	}
	var truth struct {
		Sessions []struct {
			sessionResp
			SessionID string `json:"sessionId"`
			Sequence  int64  `json:"sequence"`
			Waiting   bool   `json:"waiting"`
		} `json:"sessions"`
		Parked []ParkedCall `json:"parked"`
	}
	resp, body := control(t, f.e, "GET", "/_emulator/telephony", "")
	mustJSON(t, body, &truth)
	if resp.StatusCode != 200 || len(truth.Sessions) != 1 || truth.Parked == nil {
		t.Fatalf("GET /_emulator/telephony: %d %s", resp.StatusCode, body)
	}
	if got := truth.Sessions[0]; got.SessionID != calls[0].SessionID || got.ID != s.ID || got.Waiting || got.Sequence != 4 || len(got.Parties) != 2 {
		t.Fatalf("the control API's session (legacy id %s in presence): %+v", calls[0].SessionID, got)
	}
}

func TestAnswerHoldUnholdAndTheirConflicts(t *testing.T) {
	f := newRESTFixture(t, Config{})
	ref := f.ringVia(t, f.rec, "")
	tsid, pid := ref.TelephonySessionID, ref.PartyID

	// Only the owner's devices answer; a ringing party cannot be held.
	resp, b := f.act(t, f.admin, tsid, pid, "answer", map[string]any{"deviceId": f.desk(f.ag)})
	wantError(t, "answer on another's phone", resp, b, 400, "CMN-101", "deviceId")
	resp, b = f.act(t, f.admin, tsid, pid, "answer", map[string]any{})
	wantError(t, "answer without a device", resp, b, 400, "CMN-101", "deviceId")
	resp, b = f.act(t, f.admin, tsid, pid, "hold", nil)
	wantError(t, "hold while ringing", resp, b, 409, "InvalidPartyState", "")
	resp, b = f.act(t, f.admin, tsid, pid, "unhold", nil)
	wantError(t, "unhold while ringing", resp, b, 409, "InvalidPartyState", "")

	soft := f.e.p.Devices(f.rec)[1].ID
	p := f.mustAct(t, f.admin, tsid, pid, "answer", map[string]any{"deviceId": soft}, 200)
	if p.ID != pid || p.Status.Code != PartyAnswered || p.To.DeviceID != soft || p.To.ExtensionID != f.rec.IDString() {
		t.Fatalf("answered party: %+v", p)
	}
	if c := f.callsOf(t, f.rec); len(c) != 1 || c[0].TelephonyStatus != TelConnected {
		t.Fatalf("presence after answer: %+v", c)
	}
	if caller, _ := f.session(t, f.admin, tsid).partyOf(nil); caller.Status.Code != PartyAnswered {
		t.Fatalf("the caller is connected when the call is answered: %+v", caller)
	}
	resp, b = f.act(t, f.admin, tsid, pid, "answer", map[string]any{"deviceId": soft})
	wantError(t, "answer twice", resp, b, 409, "InvalidPartyState", "")
	resp, b = f.act(t, f.admin, tsid, pid, "unhold", nil)
	wantError(t, "unhold a connected call", resp, b, 409, "InvalidPartyState", "")

	if p := f.mustAct(t, f.admin, tsid, pid, "hold", map[string]any{"proto": "Auto"}, 200); p.Status.Code != PartyHold {
		t.Fatalf("held party: %+v", p)
	}
	if c := f.callsOf(t, f.rec); c[0].TelephonyStatus != TelOnHold {
		t.Fatalf("presence after hold: %+v", c)
	}
	resp, b = f.act(t, f.admin, tsid, pid, "hold", nil)
	wantError(t, "hold twice", resp, b, 409, "InvalidPartyState", "")
	resp, b = f.act(t, f.admin, tsid, pid, "hold", map[string]any{"proto": "Carrier pigeon"})
	wantError(t, "hold with a bad proto", resp, b, 400, "CMN-101", "proto")
	if p := f.mustAct(t, f.admin, tsid, pid, "unhold", nil, 200); p.Status.Code != PartyAnswered {
		t.Fatalf("unheld party: %+v", p)
	}
	if c := f.callsOf(t, f.rec); c[0].TelephonyStatus != TelConnected {
		t.Fatalf("presence after unhold: %+v", c)
	}
}

func TestAnsweringASecondCallHoldsTheFirst(t *testing.T) {
	f := newRESTFixture(t, Config{})
	a := f.ringVia(t, f.rec, "")
	f.mustAct(t, f.admin, a.TelephonySessionID, a.PartyID, "answer", map[string]any{"deviceId": f.desk(f.rec)}, 200)
	b := f.ringVia(t, f.rec, `{"callerNumber":"+12125550177"}`)
	f.mustAct(t, f.admin, b.TelephonySessionID, b.PartyID, "answer", map[string]any{"deviceId": f.desk(f.rec)}, 200)
	calls := f.callsOf(t, f.rec)
	if len(calls) != 2 || calls[0].TelephonyStatus != TelOnHold || calls[1].TelephonyStatus != TelConnected {
		t.Fatalf("answering a second call must hold the first: %+v", calls)
	}
	// Taking the first off hold holds the second.
	f.mustAct(t, f.admin, a.TelephonySessionID, a.PartyID, "unhold", nil, 200)
	calls = f.callsOf(t, f.rec)
	if calls[0].TelephonyStatus != TelConnected || calls[1].TelephonyStatus != TelOnHold {
		t.Fatalf("unhold must hold the other call: %+v", calls)
	}
}

func TestBlindTransferMovesTheCallerAndPresenceFollows(t *testing.T) {
	f := newRESTFixture(t, Config{})
	_, sink := f.capture(t, f.admin, acct+"/telephony/sessions")
	ref := f.ringVia(t, f.rec, "")
	tsid, pid := ref.TelephonySessionID, ref.PartyID
	f.mustAct(t, f.admin, tsid, pid, "answer", map[string]any{"deviceId": f.desk(f.rec)}, 200)

	p := f.mustAct(t, f.admin, tsid, pid, "transfer", map[string]any{"extensionNumber": f.ag.Number}, 200)
	if p.ID != pid || p.Status.Code != PartyDisconnected || p.Status.Reason != ReasonBlindTransfer {
		t.Fatalf("the transferring party: %+v", p)
	}
	// The receptionist's leg ends (NoCall/final in its last notification) ...
	if c := f.callsOf(t, f.rec); len(c) != 0 {
		t.Fatalf("the receptionist still has calls: %+v", c)
	}
	// ... and the caller rings the agent, in the same session.
	calls := f.callsOf(t, f.ag)
	if len(calls) != 1 || calls[0].TelephonySessionID != tsid || calls[0].TelephonyStatus != TelRinging ||
		calls[0].From != "+14155550142" || calls[0].FromName != "Globex Corp" || calls[0].PartyID == pid {
		t.Fatalf("the agent's call: %+v", calls)
	}
	s := f.session(t, f.admin, tsid)
	target, ok := s.partyOf(f.ag)
	if _, gone := s.partyOf(f.rec); gone || !ok || len(s.Parties) != 2 || target.ID != calls[0].PartyID || target.Status.Code != PartyProceeding {
		t.Fatalf("session after the transfer: %+v", s)
	}
	// The transferred party is gone: 404 for it, and the agent answers.
	resp, b := f.act(t, f.admin, tsid, pid, "hold", nil)
	wantError(t, "act on the transferred party", resp, b, 404, "CMN-102", "partyId")
	f.mustAct(t, f.agent, tsid, target.ID, "answer", map[string]any{"deviceId": f.desk(f.ag)}, 200)
	if c := f.callsOf(t, f.ag); c[0].TelephonyStatus != TelConnected {
		t.Fatalf("the agent's call after answer: %+v", c)
	}

	evs := f.sessionEvents(t, sink)
	if got, want := statusesOf(evs, pid), []string{PartySetup, PartyProceeding, PartyAnswered, PartyDisconnected}; !slices.Equal(got, want) {
		t.Fatalf("the receptionist's party went %v, want %v", got, want)
	}
	if got, want := statusesOf(evs, target.ID), []string{PartySetup, PartyProceeding, PartyAnswered}; !slices.Equal(got, want) {
		t.Fatalf("the agent's party went %v, want %v", got, want)
	}
	for i, ev := range evs {
		if ev.body.TelephonySessionID != tsid || ev.body.Sequence != int64(i+1) || len(ev.body.Parties) != 1 {
			t.Fatalf("event %d: session %s sequence %d with %d parties; want one party, sequence %d", i, ev.body.TelephonySessionID, ev.body.Sequence, len(ev.body.Parties), i+1)
		}
		p := ev.body.Parties[0]
		want := "/restapi/v1.0/account/" + itoa(f.e.p.dir.AccountID) + "/telephony/sessions"
		if p.ExtensionID != "" {
			want = "/restapi/v1.0/account/" + itoa(f.e.p.dir.AccountID) + "/extension/" + p.ExtensionID + "/telephony/sessions"
		}
		if ev.event != want {
			t.Fatalf("event %d names %q, want %q", i, ev.event, want)
		}
	}
}

func TestTransferTargetsAndBodies(t *testing.T) {
	f := newRESTFixture(t, Config{})
	answered := func() CallRef {
		ref := f.ringVia(t, f.rec, "")
		f.mustAct(t, f.admin, ref.TelephonySessionID, ref.PartyID, "answer", map[string]any{"deviceId": f.desk(f.rec)}, 200)
		return ref
	}
	ref := answered()
	tsid, pid := ref.TelephonySessionID, ref.PartyID
	for _, c := range []struct {
		name  string
		body  any
		param string
	}{
		{"no target", map[string]any{}, "body"},
		{"two targets", map[string]any{"extensionNumber": f.ag.Number, "voicemail": f.ag.IDString()}, "body"},
		{"unknown extension", map[string]any{"extensionNumber": "999999"}, "extensionNumber"},
		{"to oneself", map[string]any{"extensionId": f.rec.IDString()}, "extensionId"},
		{"voicemail of a queue", map[string]any{"voicemail": f.e.p.dir.Queues[0].Ext.IDString()}, "voicemail"},
		{"park orbit that is no park location", map[string]any{"parkOrbit": f.ag.IDString()}, "parkOrbit"},
		{"not a phone number", map[string]any{"phoneNumber": "call me"}, "phoneNumber"},
	} {
		resp, b := f.act(t, f.admin, tsid, pid, "transfer", c.body)
		wantError(t, c.name, resp, b, 400, "CMN-101", c.param)
	}
	resp, b := f.act(t, f.admin, tsid, pid, "transfer", "not an object")
	wantError(t, "a string body", resp, b, 400, "CMN-101", "body")

	// To a queue: the caller waits in it.
	q := f.e.p.dir.Queues[1]
	f.mustAct(t, f.admin, tsid, pid, "transfer", map[string]any{"extensionId": q.Ext.IDString()}, 200)
	bl := f.e.Backlog()
	qb := bl.Queues[slices.IndexFunc(bl.Queues, func(x QueueBacklog) bool { return x.ID == q.Ext.IDString() })]
	if qb.WaitingNow != 1 || qb.Waiting[0].TelephonySessionID != tsid || qb.Waiting[0].CallerNumber != "+14155550142" {
		t.Fatalf("transferred to %s, the backlog is %+v", q.Ext.Name, qb)
	}

	// To voicemail: with nobody to play the caller, the message ends the call.
	ref = answered()
	f.mustAct(t, f.admin, ref.TelephonySessionID, ref.PartyID, "transfer", map[string]any{"voicemail": f.ag.IDString()}, 200)
	if resp, _ := call(t, f.e, f.admin, "GET", sessPath(ref.TelephonySessionID), nil); resp.StatusCode != 404 {
		t.Fatalf("after voicemail the session should be over, got %d", resp.StatusCode)
	}

	// To an outside number (and to main*extension, which reaches the extension).
	ref = answered()
	f.mustAct(t, f.admin, ref.TelephonySessionID, ref.PartyID, "transfer", map[string]any{"phoneNumber": "+442071838750"}, 200)
	s := f.session(t, f.admin, ref.TelephonySessionID)
	out := s.Parties[len(s.Parties)-1]
	if out.To.PhoneNumber != "+442071838750" || out.Status.Code != PartyAnswered || out.ExtensionID != "" {
		t.Fatalf("transfer outside: %+v", s)
	}
	ref = answered()
	f.mustAct(t, f.admin, ref.TelephonySessionID, ref.PartyID, "transfer", map[string]any{"phoneNumber": f.e.p.dir.MainNumber + "*" + f.ag.Number}, 200)
	if _, ok := f.session(t, f.admin, ref.TelephonySessionID).partyOf(f.ag); !ok {
		t.Fatalf("main number * extension should ring the extension")
	}
}

func TestCallControlPermissionsAndGoneSessions(t *testing.T) {
	f := newRESTFixture(t, Config{})
	ref := f.ringVia(t, f.rec, "")
	tsid, pid := ref.TelephonySessionID, ref.PartyID
	// The agent has no party in the receptionist's call: it is not theirs to see.
	resp, b := call(t, f.e, f.agent, "GET", sessPath(tsid), nil)
	wantError(t, "another user's session", resp, b, 404, "CMN-102", "telephonySessionId")
	resp, b = call(t, f.e, f.admin, "GET", sessPath("s-0123456789abcdef0123456789abcdef"), nil)
	wantError(t, "unknown session", resp, b, 404, "CMN-102", "telephonySessionId")
	resp, b = call(t, f.e, f.admin, "GET", partyPath(tsid, "p-nope-1"), nil)
	wantError(t, "unknown party", resp, b, 404, "CMN-102", "partyId")

	// An agent in a call may not act on another user's party in it.
	f.mustAct(t, f.admin, tsid, pid, "answer", map[string]any{"deviceId": f.desk(f.rec)}, 200)
	f.mustAct(t, f.admin, tsid, pid, "transfer", map[string]any{"extensionId": f.ag.IDString()}, 200)
	s := f.session(t, f.agent, tsid)
	caller, _ := s.partyOf(nil)
	resp, b = f.act(t, f.agent, tsid, caller.ID, "hold", nil)
	wantError(t, "the agent acting on the caller's party", resp, b, 403, "CMN-404", "")

	// A media type that is not JSON.
	agentParty, _ := s.partyOf(f.ag)
	req, _ := http.NewRequest("POST", f.e.URL()+partyPath(tsid, agentParty.ID)+"/answer", stringsReader(`deviceId=1`))
	req.Header.Set("Authorization", "Bearer "+f.agent)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, b = do(t, req)
	wantError(t, "a form body", resp, b, 415, "CMN-104", "")

	// Hanging up ends the call for everyone; the session is then gone.
	if resp, b := call(t, f.e, f.agent, "DELETE", partyPath(tsid, agentParty.ID), nil); resp.StatusCode != 204 {
		t.Fatalf("hang up: %d %s", resp.StatusCode, b)
	}
	if c := f.callsOf(t, f.ag); len(c) != 0 {
		t.Fatalf("the agent's call is still up: %+v", c)
	}
	resp, b = call(t, f.e, f.agent, "GET", sessPath(tsid), nil)
	wantError(t, "the hung-up session", resp, b, 404, "CMN-102", "telephonySessionId")
	resp, b = f.act(t, f.agent, tsid, agentParty.ID, "hold", nil)
	wantError(t, "the hung-up party", resp, b, 404, "CMN-102", "telephonySessionId")

	// Without the CallControl permission every endpoint is 403 and the
	// session event filters are disabled.
	g := newRESTFixture(t, Config{NoCallControl: true})
	ref = g.ringVia(t, g.rec, "")
	resp, b = call(t, g.e, g.admin, "GET", sessPath(ref.TelephonySessionID), nil)
	wantError(t, "no CallControl", resp, b, 403, "CMN-401", "CallControl")
	resp, b = g.act(t, g.admin, ref.TelephonySessionID, ref.PartyID, "answer", map[string]any{"deviceId": g.desk(g.rec)})
	wantError(t, "no CallControl", resp, b, 403, "CMN-401", "CallControl")
	g.e.p.mu.Lock()
	sess, _ := g.e.p.sessionForAccess(g.admin)
	_, ae := g.e.p.hub.create(sess, []string{acct + "/telephony/sessions"}, &captureSink{})
	g.e.p.mu.Unlock()
	if ae == nil || ae.Status != 403 || ae.Code != "CMN-401" {
		t.Fatalf("a telephony session filter without CallControl: %v", ae)
	}
}

func TestDropSession(t *testing.T) {
	f := newRESTFixture(t, Config{})
	ref := f.ringVia(t, f.ag, "")
	if resp, b := call(t, f.e, f.agent, "DELETE", sessPath(ref.TelephonySessionID), nil); resp.StatusCode != 204 {
		t.Fatalf("drop: %d %s", resp.StatusCode, b)
	}
	if len(f.callsOf(t, f.ag)) != 0 || len(f.e.Telephony().Sessions) != 0 {
		t.Fatalf("the dropped call is still up")
	}
}
