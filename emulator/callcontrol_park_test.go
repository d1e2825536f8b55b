package emulator

import (
	"slices"
	"testing"
)

func TestParkAndPickUp(t *testing.T) {
	f := newRESTFixture(t, Config{})
	ref := f.ringVia(t, f.rec, "")
	tsid, pid := ref.TelephonySessionID, ref.PartyID
	resp, b := f.act(t, f.admin, tsid, pid, "park", nil)
	wantError(t, "park a ringing call", resp, b, 409, "InvalidPartyState", "")
	f.mustAct(t, f.admin, tsid, pid, "answer", map[string]any{"deviceId": f.desk(f.rec)}, 200)

	p := f.mustAct(t, f.admin, tsid, pid, "park", nil, 201)
	if p.Status.Code != PartyParked || p.Status.ParkData != "*801" || p.Park == nil || p.Park.ID != "801" {
		t.Fatalf("parked party: %+v", p)
	}
	if c := f.callsOf(t, f.rec); len(c) != 1 || c[0].TelephonyStatus != TelParked {
		t.Fatalf("a parked call shows as ParkedCall on whoever parked it: %+v", c)
	}
	parked := f.e.Telephony().Parked
	if len(parked) != 1 || parked[0].Orbit != "*801" || parked[0].PartyID != pid || parked[0].ParkedBy != f.rec.IDString() || parked[0].CallerNumber != "+14155550142" {
		t.Fatalf("parked calls: %+v", parked)
	}
	// The next park takes the next orbit.
	other := f.ringVia(t, f.rec, `{"callerNumber":"+12125550177"}`)
	f.mustAct(t, f.admin, other.TelephonySessionID, other.PartyID, "answer", map[string]any{"deviceId": f.desk(f.rec)}, 200)
	if p := f.mustAct(t, f.admin, other.TelephonySessionID, other.PartyID, "park", nil, 201); p.Status.ParkData != "*802" {
		t.Fatalf("second park: %+v", p)
	}

	// Anyone may see and pick up a parked call, on their own device only.
	resp, b = f.act(t, f.agent, tsid, pid, "pickup", map[string]any{"deviceId": f.desk(f.rec)})
	wantError(t, "pick up on another's phone", resp, b, 403, "CMN-404", "")
	resp, b = f.act(t, f.agent, tsid, pid, "pickup", map[string]any{"deviceId": "42"})
	wantError(t, "pick up on no phone", resp, b, 400, "CMN-101", "deviceId")
	np := f.mustAct(t, f.agent, tsid, pid, "pickup", map[string]any{"deviceId": f.desk(f.ag)}, 201)
	if np.ID == pid || np.Status.Code != PartyAnswered || np.To.DeviceID != f.desk(f.ag) || np.To.ExtensionID != f.ag.IDString() ||
		np.From.PhoneNumber != "+14155550142" || np.From.Name != "Globex Corp" {
		t.Fatalf("the picker's party: %+v", np)
	}
	if c := f.callsOf(t, f.rec); len(c) != 1 || c[0].TelephonySessionID == tsid {
		t.Fatalf("the parker's leg must end on pickup: %+v", c)
	}
	if c := f.callsOf(t, f.ag); len(c) != 1 || c[0].TelephonySessionID != tsid || c[0].TelephonyStatus != TelConnected {
		t.Fatalf("the picker's leg: %+v", c)
	}
	resp, b = call(t, f.e, f.admin, "GET", partyPath(tsid, pid), nil)
	wantError(t, "the picked-up party", resp, b, 404, "CMN-102", "partyId")
	if parked := f.e.Telephony().Parked; len(parked) != 1 || parked[0].Orbit != "*802" {
		t.Fatalf("*801 is free again: %+v", parked)
	}
	// A call ringing a colleague cannot be picked up through the API: the
	// SPEC's pickup is for parked calls.
	ring := f.ringVia(t, f.rec, "")
	resp, b = f.act(t, f.admin, ring.TelephonySessionID, ring.PartyID, "pickup", map[string]any{"deviceId": f.desk(f.rec)})
	wantError(t, "directed pickup of a ringing call", resp, b, 409, "InvalidPartyState", "")
}

func TestTransferToAParkLocationAndParkedCallsFromTheControlAPI(t *testing.T) {
	f := newRESTFixture(t, Config{})
	var loc *Extension
	for _, e := range f.e.p.dir.Extensions {
		if e.Type == TypeParkLocation {
			loc = e
			break
		}
	}
	ref := f.ringVia(t, f.rec, "")
	f.mustAct(t, f.admin, ref.TelephonySessionID, ref.PartyID, "answer", map[string]any{"deviceId": f.desk(f.rec)}, 200)
	p := f.mustAct(t, f.admin, ref.TelephonySessionID, ref.PartyID, "transfer", map[string]any{"parkOrbit": loc.IDString()}, 200)
	if p.Status.Code != PartyParked || p.Park == nil || p.Park.ID != loc.IDString() || p.Status.ParkData != "" {
		t.Fatalf("parked at a park location: %+v", p)
	}
	resp, body := control(t, f.e, "POST", "/_emulator/telephony/parked", `{"orbit":"*833","callerNumber":"+12125550177","callerName":"Zoë","parkedBy":"`+f.ag.IDString()+`"}`)
	if resp.StatusCode != 201 {
		t.Fatalf("control parked call: %d %s", resp.StatusCode, body)
	}
	var made CallRef
	mustJSON(t, body, &made)
	resp, body = control(t, f.e, "POST", "/_emulator/telephony/parked", `{"orbit":"*833"}`)
	wantControlError(t, "a taken orbit", resp, body, 400)
	parked := f.e.Telephony().Parked
	if len(parked) != 2 || parked[0].Orbit != "*833" || parked[0].ParkedBy != f.ag.IDString() || parked[0].PartyID != made.PartyID ||
		parked[1].Orbit != loc.Number || parked[1].ParkLocationID != loc.IDString() {
		t.Fatalf("parked calls: %+v", parked)
	}
	if c := f.callsOf(t, f.ag); len(c) != 1 || c[0].TelephonyStatus != TelParked {
		t.Fatalf("the control API's parked call is on the parker's presence: %+v", c)
	}
	np := f.mustAct(t, f.admin, made.TelephonySessionID, made.PartyID, "pickup", map[string]any{"deviceId": f.desk(f.rec)}, 201)
	if np.From.Name != "Zoë" || np.Status.Code != PartyAnswered {
		t.Fatalf("picked up: %+v", np)
	}
}

func TestIgnoreAndForward(t *testing.T) {
	f := newRESTFixture(t, Config{})
	q := f.ag.Queues[0]
	ref := f.ringVia(t, f.ag, `{"callerNumber":"+14155550142","queueId":"`+q.Ext.IDString()+`"}`)
	backlogOf := func() QueueBacklog {
		for _, qb := range f.e.Backlog().Queues {
			if qb.ID == q.Ext.IDString() {
				return qb
			}
		}
		t.Fatal("no backlog for the queue")
		return QueueBacklog{}
	}
	if qb := backlogOf(); qb.WaitingNow != 1 || qb.Waiting[0].RingingExtensionID != f.ag.IDString() {
		t.Fatalf("a queue call ringing an agent is still waiting in the queue: %+v", qb)
	}
	calls := f.callsOf(t, f.ag)
	if len(calls) != 1 || !calls[0].QueueCall || calls[0].CallInfo == nil || calls[0].CallInfo.Primary.Value != q.Ext.Name || calls[0].ToName != q.Ext.Name {
		t.Fatalf("the agent's queue call in presence: %+v", calls)
	}
	resp, b := f.act(t, f.agent, ref.TelephonySessionID, ref.PartyID, "ignore", map[string]any{"deviceId": f.desk(f.rec)})
	wantError(t, "ignore on another's phone", resp, b, 400, "CMN-101", "deviceId")
	if resp, b := f.act(t, f.agent, ref.TelephonySessionID, ref.PartyID, "ignore", map[string]any{"deviceId": f.desk(f.ag)}); resp.StatusCode != 204 || len(b) != 0 {
		t.Fatalf("ignore: %d %s", resp.StatusCode, b)
	}
	if qb := backlogOf(); qb.WaitingNow != 1 || qb.Waiting[0].RingingExtensionID != "" || len(f.callsOf(t, f.ag)) != 0 {
		t.Fatalf("an ignored call waits in the queue again: %+v", qb)
	}

	// A direct call cannot be ignored (it is no queue call); it can be
	// forwarded before it is answered, but not after.
	direct := f.ringVia(t, f.ag, "")
	resp, b = f.act(t, f.agent, direct.TelephonySessionID, direct.PartyID, "ignore", map[string]any{"deviceId": f.desk(f.ag)})
	wantError(t, "ignore a direct call", resp, b, 409, "InvalidPartyState", "")
	resp, b = f.act(t, f.agent, direct.TelephonySessionID, direct.PartyID, "forward", map[string]any{"parkOrbit": "*801"})
	wantError(t, "forward to a park orbit", resp, b, 400, "CMN-101", "parkOrbit")
	p := f.mustAct(t, f.agent, direct.TelephonySessionID, direct.PartyID, "forward", map[string]any{"extensionNumber": f.rec.Number}, 200)
	if p.Status.Code != PartyDisconnected || p.Status.Reason != ReasonBlindTransfer {
		t.Fatalf("the forwarding party: %+v", p)
	}
	if c := f.callsOf(t, f.rec); len(c) != 1 || c[0].TelephonyStatus != TelRinging || c[0].TelephonySessionID != direct.TelephonySessionID {
		t.Fatalf("forwarded call rings the receptionist: %+v", c)
	}
	mine, _ := f.session(t, f.admin, direct.TelephonySessionID).partyOf(f.rec)
	f.mustAct(t, f.admin, direct.TelephonySessionID, mine.ID, "answer", map[string]any{"deviceId": f.desk(f.rec)}, 200)
	resp, b = f.act(t, f.admin, direct.TelephonySessionID, mine.ID, "forward", map[string]any{"extensionNumber": f.ag.Number})
	wantError(t, "forward an answered call", resp, b, 409, "InvalidPartyState", "")

	// Forwarding the waiting queue call's agent elsewhere takes it out of
	// the queue: neither answered nor abandoned.
	ring := f.ringVia(t, f.ag, `{"queueId":"`+q.Ext.IDString()+`"}`)
	f.mustAct(t, f.agent, ring.TelephonySessionID, ring.PartyID, "forward", map[string]any{"voicemail": f.ag.IDString()}, 200)
	if qb := backlogOf(); qb.WaitingNow != 1 || qb.AnsweredToday != 0 || qb.AbandonedToday != 0 {
		t.Fatalf("after forwarding a queue call: %+v", qb)
	}
}

func TestQueueBacklogTruth(t *testing.T) {
	f := newRESTFixture(t, Config{})
	q := f.e.p.dir.Queues[2]
	post := func(number string) CallRef {
		resp, b := control(t, f.e, "POST", "/_emulator/queues/"+q.Ext.IDString()+"/calls", `{"callerNumber":"`+number+`","callerName":"Caller `+number[len(number)-2:]+`"}`)
		if resp.StatusCode != 201 {
			t.Fatalf("queue call: %d %s", resp.StatusCode, b)
		}
		var ref CallRef
		mustJSON(t, b, &ref)
		return ref
	}
	first, second := post("+14155550101"), post("+14155550102")
	var bl Backlog
	resp, body := control(t, f.e, "GET", "/_emulator/queues/backlog", "")
	mustJSON(t, body, &bl)
	i := slices.IndexFunc(bl.Queues, func(x QueueBacklog) bool { return x.ID == q.Ext.IDString() })
	qb := bl.Queues[i]
	if resp.StatusCode != 200 || bl.Day == "" || len(bl.Queues) != len(f.e.p.dir.Queues) || qb.WaitingNow != 2 ||
		qb.Waiting[0].TelephonySessionID != first.TelephonySessionID || qb.Waiting[1].CallerNumber != "+14155550102" ||
		qb.LongestWaitStart != qb.Waiting[0].WaitStart || qb.Waiting[0].PartyID != first.PartyID {
		t.Fatalf("backlog: %+v", qb)
	}
	// The session shows the same: the caller connected to the queue, the
	// queue's party Proceeding on the queue's extension.
	s := f.session(t, f.admin, first.TelephonySessionID)
	qp, ok := s.partyOf(q.Ext)
	caller, _ := s.partyOf(nil)
	if !ok || qp.ID != first.PartyID || qp.Status.Code != PartyProceeding || qp.To.Name != q.Ext.Name ||
		caller.Status.Code != PartyAnswered || caller.ID != first.CallerPartyID {
		t.Fatalf("the waiting session: %+v", s)
	}
	// A hang-up before any agent answered is abandoned; the queue's party
	// can be dropped by an admin too.
	if resp, b := call(t, f.e, f.admin, "DELETE", sessPath(first.TelephonySessionID), nil); resp.StatusCode != 204 {
		t.Fatalf("drop: %d %s", resp.StatusCode, b)
	}
	// An agent answering takes the call out of the queue: answered.
	ref := f.ringVia(t, f.ag, `{"queueId":"`+q.Ext.IDString()+`"}`)
	f.mustAct(t, f.agent, ref.TelephonySessionID, ref.PartyID, "answer", map[string]any{"deviceId": f.desk(f.ag)}, 200)
	s = f.session(t, f.agent, ref.TelephonySessionID)
	if _, stillThere := s.partyOf(q.Ext); stillThere {
		t.Fatalf("the queue's party leaves when an agent answers: %+v", s)
	}
	qb = f.e.Backlog().Queues[i]
	if qb.WaitingNow != 1 || qb.Waiting[0].TelephonySessionID != second.TelephonySessionID || qb.AnsweredToday != 1 || qb.AbandonedToday != 1 {
		t.Fatalf("backlog after one drop and one answer: %+v", qb)
	}
	resp, body = control(t, f.e, "POST", "/_emulator/queues/424242/calls", `{}`)
	wantControlError(t, "unknown queue", resp, body, 404)
	resp, body = control(t, f.e, "POST", "/_emulator/queues/"+q.Ext.IDString()+"/calls", `{"caller":"x"}`)
	wantControlError(t, "unknown field", resp, body, 400)
}

func TestCallControlFaultRules(t *testing.T) {
	f := newRESTFixture(t, Config{})
	ref := f.ringVia(t, f.rec, "")
	f.mustAct(t, f.admin, ref.TelephonySessionID, ref.PartyID, "answer", map[string]any{"deviceId": f.desk(f.rec)}, 200)
	resp, body := control(t, f.e, "PUT", "/_emulator/telephony/faults", `{"rules":[{"action":"transfer","status":409,"count":1},{"action":"transfer","status":503,"count":1}]}`)
	if resp.StatusCode != 200 || len(f.e.CallControlFaults()) != 2 {
		t.Fatalf("PUT telephony faults: %d %s", resp.StatusCode, body)
	}
	target := map[string]any{"extensionNumber": f.ag.Number}
	resp, b := f.act(t, f.admin, ref.TelephonySessionID, ref.PartyID, "transfer", target)
	wantError(t, "first transfer", resp, b, 409, "InvalidPartyState", "")
	resp, b = f.act(t, f.admin, ref.TelephonySessionID, ref.PartyID, "transfer", target)
	wantError(t, "second transfer", resp, b, 503, "CMN-201", "")
	if c := f.callsOf(t, f.rec); len(c) != 1 || c[0].TelephonyStatus != TelConnected {
		t.Fatalf("a faulted transfer changes nothing: %+v", c)
	}
	f.mustAct(t, f.admin, ref.TelephonySessionID, ref.PartyID, "transfer", target, 200)
	_, body = control(t, f.e, "GET", "/_emulator/telephony/faults", "")
	if string(body) != `{"rules":[]}` {
		t.Fatalf("the rules are used up: %s", body)
	}
	resp, body = control(t, f.e, "PUT", "/_emulator/telephony/faults", `{"rules":[{"action":"teleport","status":409}]}`)
	wantControlError(t, "unknown action", resp, body, 400)
	resp, body = control(t, f.e, "PUT", "/_emulator/telephony/faults", `{"rules":[{"action":"park","status":200}]}`)
	wantControlError(t, "a success status", resp, body, 400)
}

func TestDevices(t *testing.T) {
	f := newRESTFixture(t, Config{})
	var list struct {
		Records []struct {
			ID        string `json:"id"`
			Type      string `json:"type"`
			Extension struct {
				ID int64 `json:"id"`
			} `json:"extension"`
			PhoneLines []struct {
				PhoneInfo struct {
					PhoneNumber string `json:"phoneNumber"`
				} `json:"phoneInfo"`
			} `json:"phoneLines"`
		} `json:"records"`
		Paging struct {
			TotalElements int `json:"totalElements"`
		} `json:"paging"`
	}
	f.get(t, f.agent, acct+"/extension/~/device", &list)
	if len(list.Records) != 2 || list.Records[0].Type != DeviceHardPhone || list.Records[1].Type != DeviceSoftPhone ||
		list.Records[0].ID != f.desk(f.ag) || list.Records[0].Extension.ID != f.ag.ID || list.Records[0].PhoneLines[0].PhoneInfo.PhoneNumber != f.ag.Phone {
		t.Fatalf("the agent's devices: %+v", list)
	}
	f.get(t, f.admin, acct+"/extension/"+f.ag.IDString()+"/device?type=SoftPhone", &list)
	if len(list.Records) != 1 || list.Records[0].Type != DeviceSoftPhone || list.Paging.TotalElements != 1 {
		t.Fatalf("an admin reads the agent's softphone: %+v", list)
	}
	f.get(t, f.admin, acct+"/extension/"+f.e.p.dir.Queues[0].Ext.IDString()+"/device", &list)
	if len(list.Records) != 0 {
		t.Fatalf("a queue has no phones: %+v", list)
	}
	resp, b := call(t, f.e, f.agent, "GET", acct+"/extension/"+f.rec.IDString()+"/device", nil)
	wantError(t, "another user's devices", resp, b, 403, "CMN-404", "")
	resp, b = call(t, f.e, f.agent, "GET", acct+"/extension/~/device?type=Toaster", nil)
	wantError(t, "unknown device type", resp, b, 400, "CMN-101", "type")
	// Every user's phones have ids of their own.
	seen := map[string]bool{}
	for _, e := range f.e.p.dir.Extensions {
		for _, d := range f.e.p.Devices(e) {
			if seen[d.ID] || f.e.p.dir.ByID[mustInt(t, d.ID)] != nil {
				t.Fatalf("device id %s is not unique", d.ID)
			}
			seen[d.ID] = true
			if back, ok := f.e.p.deviceByID(d.ID); !ok || back != d {
				t.Fatalf("device %s does not resolve back", d.ID)
			}
		}
	}
}
