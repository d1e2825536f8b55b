package emulator

import (
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
)

// activeCallsResp is CallLogResponse, the part the tests read.
type activeCallsResp struct {
	Records []activeRecord `json:"records"`
	Paging  struct {
		Page          int `json:"page"`
		PerPage       int `json:"perPage"`
		TotalElements int `json:"totalElements"`
	} `json:"paging"`
	Navigation struct {
		NextPage *struct {
			URI string `json:"uri"`
		} `json:"nextPage"`
	} `json:"navigation"`
}

type logParty struct {
	PhoneNumber     string `json:"phoneNumber"`
	ExtensionNumber string `json:"extensionNumber"`
	ExtensionID     string `json:"extensionId"`
	Name            string `json:"name"`
}

type activeLeg struct {
	TelephonySessionID string   `json:"telephonySessionId"`
	PartyID            string   `json:"partyId"`
	LegType            string   `json:"legType"`
	Action             string   `json:"action"`
	Direction          string   `json:"direction"`
	Result             string   `json:"result"`
	StartTime          string   `json:"startTime"`
	From               logParty `json:"from"`
	To                 logParty `json:"to"`
	Extension          *struct {
		ID int64 `json:"id"`
	} `json:"extension"`
}

type activeRecord struct {
	activeLeg
	ID        string      `json:"id"`
	URI       string      `json:"uri"`
	SessionID string      `json:"sessionId"`
	Type      string      `json:"type"`
	Legs      []activeLeg `json:"legs"`
}

func (r activeRecord) leg(pid string) (activeLeg, bool) {
	for _, l := range r.Legs {
		if l.PartyID == pid {
			return l, true
		}
	}
	return activeLeg{}, false
}

// busyAccount makes one of each kind of live call: a caller waiting in a
// queue, a universal park, a Park Location park, a queue call ringing the
// agent and the receptionist dialling out.
type busyAccount struct {
	waiting, parked, atLocation, ringing CallRef
	loc                                  *Extension
	queue                                *Queue
}

func newBusyAccount(t *testing.T, f *restFixture) busyAccount {
	t.Helper()
	var b busyAccount
	for _, x := range f.e.p.dir.Extensions {
		if x.Type == TypeParkLocation {
			b.loc = x
		}
	}
	b.queue = f.ag.Queues[0]
	qid := b.queue.Ext.IDString()
	mk := func(path, body string) CallRef {
		resp, out := control(t, f.e, "POST", path, body)
		if resp.StatusCode != http.StatusCreated {
			t.Fatalf("POST %s: %d %s", path, resp.StatusCode, out)
		}
		var ref CallRef
		mustJSON(t, out, &ref)
		return ref
	}
	b.waiting = mk("/_emulator/queues/"+qid+"/calls", `{"callerNumber":"+14155550100","callerName":"Waiting Wanda"}`)
	f.e.p.mu.Lock()
	f.e.p.tel.sessions[b.waiting.TelephonySessionID].WaitStart = f.e.p.now().Add(-42 * time.Second)
	f.e.p.mu.Unlock()
	b.parked = mk("/_emulator/telephony/parked", `{"orbit":"*805","callerNumber":"+14155550101","callerName":"Parked Pete"}`)
	b.atLocation = mk("/_emulator/telephony/parked", `{"orbit":"`+b.loc.IDString()+`","callerNumber":"+14155550102"}`)
	b.ringing = f.ringVia(t, f.ag, `{"callerNumber":"+14155550103","queueId":"`+qid+`"}`)
	resp, out := control(t, f.e, "POST", "/_emulator/extensions/"+f.rec.IDString()+"/calls", `{"direction":"Outbound","to":"+442071838750","toName":"London Office"}`)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("outbound call: %d %s", resp.StatusCode, out)
	}
	return b
}

func TestActiveCallsMatchTheOpenAPISpec(t *testing.T) {
	f := newRESTFixture(t, Config{})
	sc := newSpecChecker(t, f)
	newBusyAccount(t, f)
	admin, agent := f.admin, f.agent
	for _, x := range []exchange{
		{"GET", acct + "/active-calls?view=Detailed", admin, nil, "", 200},
		{"GET", acct + "/active-calls?view=Simple&perPage=2&page=2", admin, nil, "", 200},
		{"GET", acct + "/active-calls?direction=Inbound&direction=Outbound&type=Voice&transport=PSTN&perPage=1000", admin, nil, "", 200},
		{"GET", acct + "/active-calls?conferenceType=Meetings&page=9", admin, nil, "", 200},
		{"GET", acct + "/active-calls?view=Fancy", admin, nil, "", 400},
		{"GET", acct + "/active-calls?page=0", admin, nil, "", 400},
		{"GET", acct + "/active-calls", agent, nil, "", 403},
		{"GET", "/restapi/v1.0/account/4242/active-calls", admin, nil, "", 404},
		{"GET", acct + "/extension/~/active-calls?view=Detailed", agent, nil, "", 200},
		{"GET", acct + "/extension/" + f.ag.IDString() + "/active-calls?view=Detailed&direction=Inbound", admin, nil, "", 200},
		{"GET", acct + "/extension/~/active-calls?type=Telegram", agent, nil, "", 400},
		{"GET", acct + "/extension/" + f.rec.IDString() + "/active-calls", agent, nil, "", 403},
		{"GET", acct + "/extension/424242/active-calls", admin, nil, "", 404},
	} {
		sc.do(x)
	}
	f.e.SetFaults(Faults{Rules: []FaultRule{{PathPrefix: "/restapi/v1.0/account/~/", Status: 503}}})
	sc.do(exchange{"GET", acct + "/active-calls", admin, nil, "", 503})
	sc.do(exchange{"GET", acct + "/extension/~/active-calls", agent, nil, "", 503})
	f.e.SetFaults(Faults{})
	sc.requireCoverageOf(activeCallRoutes(), nil)

	for _, rt := range activeCallRoutes() {
		method, path, _ := strings.Cut(rt.pattern, " ")
		op := sc.doc.Paths.Find(path).GetOperation(method)
		if g, _ := op.Extensions["x-throttling-group"].(string); g != string(rt.group) {
			t.Errorf("%s is in group %s, the spec says %q", rt.pattern, rt.group, g)
		}
	}
}

func TestActiveCallsShowWaitingParkedAndRingingCalls(t *testing.T) {
	f := newRESTFixture(t, Config{})
	b := newBusyAccount(t, f)
	var all activeCallsResp
	f.get(t, f.admin, acct+"/active-calls?view=Detailed", &all)
	truth := f.e.Telephony()
	if len(all.Records) != len(truth.Sessions) || len(all.Records) != 5 {
		t.Fatalf("%d records for %d live sessions", len(all.Records), len(truth.Sessions))
	}
	byTSID := map[string]activeRecord{}
	for i, r := range all.Records {
		byTSID[r.TelephonySessionID] = r
		if r.Result != "In Progress" || r.Type != "Voice" || r.ID == "" || !strings.HasSuffix(r.URI, "/call-log/"+r.ID) || r.SessionID == "" || len(r.Legs) == 0 {
			t.Fatalf("record %d: %+v", i, r)
		}
		if i > 0 && r.StartTime > all.Records[i-1].StartTime {
			t.Fatalf("records are not newest first: %s after %s", r.StartTime, all.Records[i-1].StartTime)
		}
		for _, l := range r.Legs {
			if l.Result != "In Progress" || l.TelephonySessionID != r.TelephonySessionID || l.StartTime == "" {
				t.Fatalf("leg of %s: %+v", r.TelephonySessionID, l)
			}
		}
	}
	for _, s := range truth.Sessions {
		r, ok := byTSID[s.ID]
		if !ok || r.SessionID != s.SessionID || len(r.Legs) != len(s.Parties) {
			t.Fatalf("session %s (%d parties) as a record: %+v", s.ID, len(s.Parties), r)
		}
	}

	// The waiting caller: to names the queue, and its leg says since when.
	qid := b.queue.Ext.IDString()
	w := byTSID[b.waiting.TelephonySessionID]
	ql, ok := w.leg(b.waiting.PartyID)
	backlog := f.e.Backlog()
	var waitStart string
	for _, q := range backlog.Queues {
		if q.ID == qid {
			for _, wc := range q.Waiting {
				if wc.TelephonySessionID == b.waiting.TelephonySessionID {
					waitStart = wc.WaitStart
				}
			}
		}
	}
	if w.Direction != "Inbound" || w.To.ExtensionID != qid || w.From.PhoneNumber != "+14155550100" ||
		!ok || ql.LegType != "Hunting" || ql.Extension == nil || itoa(ql.Extension.ID) != qid || ql.StartTime != waitStart ||
		ql.From.Name != "Waiting Wanda" || waitStart == "" || ql.StartTime >= w.StartTime {
		t.Fatalf("waiting call (wait start %s): %+v", waitStart, w)
	}
	// Parked: the orbit, or the Park Location, and since when.
	var since string
	for _, pc := range truth.Parked {
		if pc.PartyID == b.parked.PartyID {
			since = pc.Since
		}
	}
	pl, ok := byTSID[b.parked.TelephonySessionID].leg(b.parked.PartyID)
	if !ok || pl.LegType != "CallPark" || pl.Action != "Call Park" || pl.To.PhoneNumber != "*805" || pl.StartTime != since ||
		pl.From.PhoneNumber != "+14155550101" || pl.Extension == nil || pl.Extension.ID != f.rec.ID {
		t.Fatalf("parked leg (since %s): %+v", since, pl)
	}
	ll, ok := byTSID[b.atLocation.TelephonySessionID].leg(b.atLocation.PartyID)
	if !ok || ll.LegType != "ParkLocation" || ll.To.ExtensionID != b.loc.IDString() || ll.To.ExtensionNumber != b.loc.Number {
		t.Fatalf("Park Location leg: %+v", ll)
	}
	// A queue call ringing the agent: the agent's leg and the queue's.
	rr := byTSID[b.ringing.TelephonySessionID]
	al, ok := rr.leg(b.ringing.PartyID)
	if !ok || al.LegType != "Accept" || al.Extension == nil || al.Extension.ID != f.ag.ID || al.To.ExtensionNumber != "" && al.To.ExtensionID != f.ag.IDString() {
		t.Fatalf("the agent's leg: %+v", al)
	}
	if !slices.ContainsFunc(rr.Legs, func(l activeLeg) bool { return l.LegType == "Hunting" }) || !slices.ContainsFunc(rr.Legs, func(l activeLeg) bool { return l.LegType == "PstnToSip" }) {
		t.Fatalf("the ringing queue call's legs: %+v", rr.Legs)
	}

	// The agent's own list: only the agent's call, only the agent's leg;
	// an admin reads the same.
	var mine, theirs activeCallsResp
	f.get(t, f.agent, acct+"/extension/~/active-calls?view=Detailed", &mine)
	f.get(t, f.admin, acct+"/extension/"+f.ag.IDString()+"/active-calls?view=Detailed", &theirs)
	if len(mine.Records) != 1 || mine.Records[0].TelephonySessionID != b.ringing.TelephonySessionID || mine.Records[0].PartyID != b.ringing.PartyID ||
		len(mine.Records[0].Legs) != 1 || mine.Records[0].Legs[0].PartyID != b.ringing.PartyID || !strings.Contains(mine.Records[0].URI, "/extension/"+f.ag.IDString()+"/call-log/") {
		t.Fatalf("the agent's active calls: %+v", mine)
	}
	if len(theirs.Records) != 1 || theirs.Records[0].ID != mine.Records[0].ID {
		t.Fatalf("the admin's view of the agent's active calls: %+v", theirs)
	}

	// Filters and paging.
	var out, simple activeCallsResp
	f.get(t, f.admin, acct+"/active-calls?direction=Outbound", &out)
	if len(out.Records) != 1 || out.Records[0].Direction != "Outbound" || out.Records[0].From.ExtensionID != f.rec.IDString() {
		t.Fatalf("outbound calls: %+v", out)
	}
	f.get(t, f.admin, acct+"/active-calls?perPage=2", &simple)
	if len(simple.Records) != 2 || simple.Paging.TotalElements != 5 || simple.Navigation.NextPage == nil || simple.Records[0].Legs != nil {
		t.Fatalf("Simple, two a page: %+v", simple)
	}
	f.get(t, f.admin, acct+"/active-calls?type=Fax", &out)
	if len(out.Records) != 0 {
		t.Fatalf("no fax is in progress: %+v", out)
	}
	f.get(t, f.admin, acct+"/active-calls?perPage=5000", &out)
	if out.Paging.PerPage != 1000 || len(out.Records) != 5 {
		t.Fatalf("perPage above 1000 is 1000: %+v", out.Paging)
	}

	// Permissions: the company list is for admins; the app needs
	// ReadCallLog, the user ReadCallLog.
	resp, body := call(t, f.e, f.agent, "GET", acct+"/active-calls", nil)
	wantError(t, "an agent reads the company's active calls", resp, body, 403, "CMN-408", PermReadCompanyCallLog)
	if err := f.e.SetPermissions(Permissions{Users: []UserPermissions{{Extension: f.ag.Number, Deny: []string{PermReadCallLog}}}}); err != nil {
		t.Fatal(err)
	}
	resp, body = call(t, f.e, f.agent, "GET", acct+"/extension/~/active-calls", nil)
	wantError(t, "an agent without ReadCallLog", resp, body, 403, "CMN-408", PermReadCallLog)
	var p Permissions
	if err := p.DenyScope(ScopeReadCallLog); err != nil {
		t.Fatal(err)
	}
	if err := f.e.SetPermissions(p); err != nil {
		t.Fatal(err)
	}
	resp, body = call(t, f.e, f.admin, "GET", acct+"/active-calls", nil)
	wantError(t, "an app without ReadCallLog", resp, body, 403, "CMN-401", "ReadCallLog")
}
