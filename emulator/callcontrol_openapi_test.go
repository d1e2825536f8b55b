package emulator

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"
)

// uncoverableTelephony are statuses the Call Control operations declare
// that the emulator never gives, with the reason.
var uncoverableTelephony = map[string]string{
	"readCallSessionStatus 400": "a GET with only path ids has nothing to be invalid; an unknown id is 404",
	"readCallSessionStatus 415": "a GET has no body",
	"readCallPartyStatus 400":   "a GET with only path ids has nothing to be invalid; an unknown id is 404",
	"readCallPartyStatus 415":   "a GET has no body",
	"deleteCallSession 400":     "the drop takes no body and no parameter",
	"callParkParty 400":         "a park takes no body",
}

func TestCallControlMatchesTheOpenAPISpec(t *testing.T) {
	f := newRESTFixture(t, Config{})
	sc := newSpecChecker(t, f)
	e := f.e
	admin, agent := f.admin, f.agent
	noCallControl := func(on bool) {
		e.p.mu.Lock()
		e.p.cfg.NoCallControl = on
		e.p.mu.Unlock()
	}
	answer := map[string]any{"deviceId": f.desk(f.rec)}

	// A call to the receptionist, answered, held, unheld, parked, picked
	// up by the agent, and hung up; then the errors of each step.
	ref := f.ringVia(t, f.rec, "")
	tsid, pid := ref.TelephonySessionID, ref.PartyID
	sess, party := sessPath(tsid), partyPath(tsid, pid)
	for _, x := range []exchange{
		{"GET", sess, admin, nil, "", 200},
		{"GET", party, admin, nil, "", 200},
		{"POST", party + "/hold", admin, nil, "", 409},
		{"POST", party + "/answer", admin, map[string]any{"deviceId": f.desk(f.ag)}, "", 400},
		{"POST", party + "/answer", admin, answer, "", 200},
		{"POST", party + "/answer", admin, answer, "", 409},
		{"POST", party + "/unhold", admin, nil, "", 409},
		{"POST", party + "/hold", admin, map[string]any{"proto": "RC"}, "", 200},
		{"POST", party + "/unhold", admin, nil, "", 200},
		{"POST", party + "/forward", admin, map[string]any{"voicemail": f.ag.IDString()}, "", 409},
		{"POST", party + "/forward", admin, map[string]any{}, "", 400},
		{"POST", party + "/pickup", admin, answer, "", 409},
		{"POST", party + "/transfer", admin, map[string]any{"extensionNumber": f.ag.Number, "extensionId": f.ag.IDString()}, "", 400},
		{"POST", party + "/park", admin, nil, "", 201},
		{"POST", party + "/park", admin, nil, "", 409},
		{"POST", party + "/transfer", admin, map[string]any{"extensionNumber": f.ag.Number}, "", 409},
		{"POST", party + "/pickup", agent, map[string]any{"deviceId": "1"}, "", 400},
		{"POST", party + "/pickup", agent, map[string]any{"deviceId": f.desk(f.rec)}, "", 403},
		{"POST", party + "/pickup", agent, map[string]any{"deviceId": f.desk(f.ag)}, "", 201},
		{"GET", party, admin, nil, "", 404},
		{"POST", party + "/hold", admin, nil, "", 404},
		{"POST", party + "/unhold", admin, nil, "", 404},
		{"POST", party + "/answer", admin, answer, "", 404},
		{"POST", party + "/transfer", admin, map[string]any{"extensionNumber": f.ag.Number}, "", 404},
		{"POST", party + "/forward", admin, map[string]any{"extensionNumber": f.ag.Number}, "", 404},
		{"POST", party + "/park", admin, nil, "", 404},
		{"POST", party + "/pickup", admin, answer, "", 404},
		{"POST", party + "/ignore", admin, answer, "", 404},
		{"DELETE", party, admin, nil, "", 404},
	} {
		sc.do(x)
	}
	picked := f.session(t, admin, tsid)
	ap, _ := picked.partyOf(f.ag)
	caller, _ := picked.partyOf(nil)
	aparty := partyPath(tsid, ap.ID)
	for _, x := range []exchange{
		{"POST", partyPath(tsid, caller.ID) + "/hold", agent, nil, "", 403},
		{"POST", aparty + "/transfer", agent, map[string]any{"phoneNumber": "+442071838750"}, "", 200},
	} {
		sc.do(x)
	}

	// Ignore and forward of a queue call ringing the agent; hang up; drop.
	q := f.ag.Queues[0]
	ring := f.ringVia(t, f.ag, `{"queueId":"`+q.Ext.IDString()+`"}`)
	rp := partyPath(ring.TelephonySessionID, ring.PartyID)
	for _, x := range []exchange{
		{"POST", rp + "/ignore", agent, map[string]any{}, "", 400},
		{"POST", rp + "/ignore", agent, map[string]any{"deviceId": f.desk(f.ag)}, "", 204},
		{"DELETE", sessPath(ring.TelephonySessionID), agent, nil, "", 403}, // no longer in it
		{"DELETE", sessPath(ring.TelephonySessionID), admin, nil, "", 204},
		{"DELETE", sessPath(ring.TelephonySessionID), admin, nil, "", 404},
		{"GET", sessPath(ring.TelephonySessionID), admin, nil, "", 404},
	} {
		sc.do(x)
	}
	ring = f.ringVia(t, f.ag, "")
	rp = partyPath(ring.TelephonySessionID, ring.PartyID)
	for _, x := range []exchange{
		{"POST", rp + "/forward", agent, map[string]any{"extensionNumber": f.rec.Number}, "", 200},
	} {
		sc.do(x)
	}
	ring = f.ringVia(t, f.ag, "")
	rp = partyPath(ring.TelephonySessionID, ring.PartyID)
	for _, x := range []exchange{
		{"DELETE", rp, agent, map[string]any{"keepConferenceAlive": "maybe"}, "", 400},
		{"DELETE", rp, agent, map[string]any{"keepConferenceAlive": false}, "", 204},
	} {
		sc.do(x)
	}

	// 403 without the permission, 415 for a body that is not JSON, 503
	// from a fault rule, on every operation that declares them.
	ring = f.ringVia(t, f.ag, "")
	rs, rp := sessPath(ring.TelephonySessionID), partyPath(ring.TelephonySessionID, ring.PartyID)
	dev := map[string]any{"deviceId": f.desk(f.ag)}
	ops := []exchange{
		{"GET", rs, agent, nil, "", 0},
		{"DELETE", rs, agent, nil, "", 0},
		{"GET", rp, agent, nil, "", 0},
		{"DELETE", rp, agent, nil, "", 0},
		{"POST", rp + "/answer", agent, dev, "", 0},
		{"POST", rp + "/hold", agent, nil, "", 0},
		{"POST", rp + "/unhold", agent, nil, "", 0},
		{"POST", rp + "/transfer", agent, map[string]any{"extensionNumber": f.rec.Number}, "", 0},
		{"POST", rp + "/forward", agent, map[string]any{"extensionNumber": f.rec.Number}, "", 0},
		{"POST", rp + "/park", agent, nil, "", 0},
		{"POST", rp + "/pickup", agent, dev, "", 0},
		{"POST", rp + "/ignore", agent, dev, "", 0},
	}
	noCallControl(true)
	for _, x := range ops {
		x.status = 403
		sc.do(x)
	}
	noCallControl(false)
	for _, x := range ops {
		if x.method == "GET" {
			continue
		}
		sc.f415(x)
	}
	e.SetFaults(Faults{Rules: []FaultRule{{PathPrefix: "/restapi/v1.0/account/~/telephony", Status: 503}}})
	for _, x := range ops {
		x.status = 503
		sc.do(x)
	}
	e.SetFaults(Faults{})

	// Devices.
	for _, x := range []exchange{
		{"GET", acct + "/extension/~/device?type=HardPhone&linePooling=Host&feature=Intercom&lineType=Standalone", agent, nil, "", 200},
		{"GET", acct + "/extension/" + f.ag.IDString() + "/device?perPage=1&page=2", admin, nil, "", 200},
	} {
		sc.do(x)
	}
	sc.requireCoverageOf(telephonyRoutes(), uncoverableTelephony)

	// Every route is in the throttling group the spec names.
	for _, rt := range telephonyRoutes() {
		method, path, _ := strings.Cut(rt.pattern, " ")
		op := sc.doc.Paths.Find(path).GetOperation(method)
		if g, _ := op.Extensions["x-throttling-group"].(string); g != string(rt.group) {
			t.Errorf("%s is in group %s, the spec says %q", rt.pattern, rt.group, g)
		}
	}
}

// f415 sends x with a form body and expects 415.
func (sc *specChecker) f415(x exchange) {
	sc.t.Helper()
	req, _ := http.NewRequest(x.method, sc.f.e.URL()+x.path, strings.NewReader("a=b"))
	req.Header.Set("Authorization", "Bearer "+x.token)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, body := do(sc.t, req)
	if resp.StatusCode != 415 {
		sc.t.Fatalf("%s %s with a form body: %d %s", x.method, x.path, resp.StatusCode, body)
	}
	// Record it against the operation, validated like any other answer.
	x.status, x.body = 415, nil
	sc.validate(x, req, []byte("a=b"), resp, body)
}

// TestTelephonyEventsMatchTheOpenAPISpec validates the telephony session
// events of a call's whole life against the spec's event schemas.
func TestTelephonyEventsMatchTheOpenAPISpec(t *testing.T) {
	f := newRESTFixture(t, Config{})
	sc := newSpecChecker(t, f)
	_, account := f.capture(t, f.admin, acct+"/telephony/sessions")
	_, own := f.capture(t, f.agent, acct+"/extension/~/telephony/sessions")

	q := f.ag.Queues[0]
	ring := f.ringVia(t, f.ag, `{"callerNumber":"+14155550142","callerName":"Globex Corp","queueId":"`+q.Ext.IDString()+`"}`)
	f.mustAct(t, f.agent, ring.TelephonySessionID, ring.PartyID, "answer", map[string]any{"deviceId": f.desk(f.ag)}, 200)
	f.mustAct(t, f.agent, ring.TelephonySessionID, ring.PartyID, "hold", nil, 200)
	f.mustAct(t, f.agent, ring.TelephonySessionID, ring.PartyID, "park", nil, 201)
	f.mustAct(t, f.admin, ring.TelephonySessionID, ring.PartyID, "pickup", map[string]any{"deviceId": f.desk(f.rec)}, 201)
	mine, _ := f.session(t, f.admin, ring.TelephonySessionID).partyOf(f.rec)
	f.mustAct(t, f.admin, ring.TelephonySessionID, mine.ID, "transfer", map[string]any{"voicemail": f.ag.IDString()}, 200)

	got := f.delivered(account)
	if len(got) < 12 {
		t.Fatalf("only %d account-wide events", len(got))
	}
	check := func(what, envelopeSchema string, cs []captured) {
		for i, c := range cs {
			env, _ := json.Marshal(c.envelope)
			body, _ := json.Marshal(c.envelope["body"])
			sc.visit(what+" envelope "+strconv.Itoa(i), envelopeSchema, env)
			sc.visit(what+" body "+strconv.Itoa(i), "TelephonySessionsEventBody", body)
		}
	}
	check("account", "AccountTelephonySessionsEvent", got)
	mineOnly := f.delivered(own)
	check("extension", "ExtensionTelephonySessionsEvent", mineOnly)
	// The agent's own filter carries only the agent's parties.
	evs := f.sessionEvents(t, own)
	if len(evs) == 0 {
		t.Fatal("no events on the agent's own filter")
	}
	for _, ev := range evs {
		if p := ev.body.Parties[0]; p.ExtensionID != f.ag.IDString() || ev.event != "/restapi/v1.0/account/"+itoa(f.e.p.dir.AccountID)+"/extension/"+f.ag.IDString()+"/telephony/sessions" {
			t.Fatalf("the agent's filter delivered %s for party %+v", ev.event, p)
		}
	}
	// The agent's party of a queue call names the queue.
	first := evs[0].body.Parties[0]
	if !first.QueueCall || first.UICallInfo == nil || first.UICallInfo.Primary.Type != "QueueName" || first.UICallInfo.Primary.Value != q.Ext.Name {
		t.Fatalf("a queue call's agent party: %+v", first)
	}
}
