package emulator

import (
	"net/http"
	"strings"
	"testing"
)

type queueList struct {
	Records []struct {
		URI             string `json:"uri"`
		ID              string `json:"id"`
		ExtensionNumber string `json:"extensionNumber"`
		Name            string `json:"name"`
		Site            struct {
			ID   string `json:"id"`
			Name string `json:"name"`
		} `json:"site"`
	} `json:"records"`
	Paging struct {
		TotalElements int `json:"totalElements"`
	} `json:"paging"`
}

func (ql queueList) ids() []string {
	var out []string
	for _, r := range ql.Records {
		out = append(out, r.ID)
	}
	return out
}

func queueIDs(qs []*Queue) []string {
	var out []string
	for _, q := range qs {
		out = append(out, q.Ext.IDString())
	}
	return out
}

func TestListAndReadCallQueues(t *testing.T) {
	f := newRESTFixture(t, Config{})
	var all queueList
	f.get(t, f.agent, acct+"/call-queues", &all)
	if got, want := strings.Join(all.ids(), ","), strings.Join(queueIDs(f.e.p.dir.Queues), ","); got != want {
		t.Fatalf("queues %s, want %s", got, want)
	}
	if r := all.Records[0]; r.Name == "" || r.Site.ID == "" || r.Site.Name == "" || !strings.HasPrefix(r.URI, f.e.URL()) {
		t.Fatalf("queue record: %+v", r)
	}
	var mine queueList
	f.get(t, f.agent, acct+"/call-queues?memberExtensionId="+f.ag.IDString(), &mine)
	if got, want := strings.Join(mine.ids(), ","), strings.Join(queueIDs(f.ag.Queues), ","); got != want || mine.Paging.TotalElements != len(f.ag.Queues) {
		t.Fatalf("memberExtensionId: %s, want %s", got, want)
	}
	f.get(t, f.agent, acct+"/call-queues?memberExtensionId=~", &mine)
	if len(mine.Records) != len(f.ag.Queues) {
		t.Fatalf("memberExtensionId=~ must mean the caller")
	}
	f.get(t, f.agent, acct+"/call-queues?memberExtensionId=77", &mine)
	if len(mine.Records) != 0 {
		t.Fatalf("an unknown member is in no queue")
	}
	resp, body := call(t, f.e, f.agent, "GET", acct+"/call-queues?memberExtensionId=bob", nil)
	wantError(t, "memberExtensionId=bob", resp, body, 400, "CMN-101", "memberExtensionId")
	resp, body = call(t, f.e, f.agent, "GET", acct+"/call-queues?perPage=1001", nil)
	wantError(t, "perPage=1001", resp, body, 400, "CMN-101", "perPage")

	q := f.e.p.dir.Queues[3]
	var details struct {
		ID                   string `json:"id"`
		EditableMemberStatus *bool  `json:"editableMemberStatus"`
		ServiceLevelSettings struct {
			SLAGoal             int `json:"slaGoal"`
			SLAThresholdSeconds int `json:"slaThresholdSeconds"`
		} `json:"serviceLevelSettings"`
	}
	f.get(t, f.agent, acct+"/call-queues/"+q.Ext.IDString(), &details)
	if details.ID != q.Ext.IDString() || details.EditableMemberStatus == nil || *details.EditableMemberStatus != q.EditableMemberStatus ||
		details.ServiceLevelSettings.SLAGoal != q.SLAGoal {
		t.Fatalf("queue details: %+v", details)
	}
	for _, id := range []string{"42", "x", f.ag.IDString()} {
		resp, body := call(t, f.e, f.agent, "GET", acct+"/call-queues/"+id, nil)
		wantError(t, "queue "+id, resp, body, 404, "CMN-102", "groupId")
	}
}

func TestUpdateCallQueueIsForAdmins(t *testing.T) {
	f := newRESTFixture(t, Config{})
	q := f.e.p.dir.Queues[0]
	path := acct + "/call-queues/" + q.Ext.IDString()
	resp, body := call(t, f.e, f.agent, "PUT", path, map[string]any{"editableMemberStatus": false})
	wantError(t, "agent PUT queue", resp, body, 403, "CMN-408", "EditUserInfo")
	resp, body = call(t, f.e, f.admin, "PUT", path, map[string]any{"editableMemberStatus": false, "serviceLevelSettings": map[string]any{"slaGoal": 90}})
	if resp.StatusCode != 200 || !strings.Contains(string(body), `"editableMemberStatus":false`) || !strings.Contains(string(body), `"slaGoal":90`) {
		t.Fatalf("admin PUT queue: %d %s", resp.StatusCode, body)
	}
	if f.e.Truth().Queues[0].EditableMemberStatus {
		t.Fatal("editableMemberStatus not stored")
	}
	resp, body = call(t, f.e, f.admin, "PUT", path, map[string]any{"editableMemberStatus": "no"})
	wantError(t, "wrong type", resp, body, 400, "CMN-101", "editableMemberStatus")
	resp, body = call(t, f.e, f.admin, "PUT", path, map[string]any{"serviceLevelSettings": map[string]any{"slaGoal": 101}})
	wantError(t, "slaGoal 101", resp, body, 400, "CMN-101", "serviceLevelSettings.slaGoal")
}

func TestCallQueueMembersPage(t *testing.T) {
	f := newRESTFixture(t, Config{})
	q := f.e.p.dir.Queues[0]
	var got []string
	next := acct + "/call-queues/" + q.Ext.IDString() + "/members?perPage=2"
	for n := 0; next != ""; n++ {
		var pg struct {
			Records []struct {
				ID              int64  `json:"id"`
				URI             string `json:"uri"`
				ExtensionNumber string `json:"extensionNumber"`
			} `json:"records"`
			Navigation map[string]navLink `json:"navigation"`
		}
		f.get(t, f.agent, next, &pg)
		for _, r := range pg.Records {
			ext := f.e.p.dir.ByID[r.ID]
			if ext == nil || r.ExtensionNumber != ext.Number || r.URI != f.e.p.extensionURI(ext) {
				t.Fatalf("member record %+v", r)
			}
			got = append(got, ext.IDString())
		}
		next = pg.Navigation["nextPage"].URI
		if n > len(q.Members) {
			t.Fatal("nextPage never ends")
		}
	}
	var want []string
	for _, m := range q.Members {
		want = append(want, m.IDString())
	}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("members %v, want %v", got, want)
	}
}

// queuePresenceRecords is CallQueuePresence as tests read it.
type queuePresenceRecords struct {
	Records []struct {
		Member struct {
			ID              string `json:"id"`
			Name            string `json:"name"`
			ExtensionNumber string `json:"extensionNumber"`
		} `json:"member"`
		AcceptQueueCalls        bool `json:"acceptQueueCalls"`
		AcceptCurrentQueueCalls bool `json:"acceptCurrentQueueCalls"`
	} `json:"records"`
}

func (r queuePresenceRecords) of(id string) (queue, current bool, found bool) {
	for _, x := range r.Records {
		if x.Member.ID == id {
			return x.AcceptQueueCalls, x.AcceptCurrentQueueCalls, true
		}
	}
	return false, false, false
}

func TestCallQueuePresence(t *testing.T) {
	f := newRESTFixture(t, Config{})
	q := f.ag.Queues[0]
	path := acct + "/call-queues/" + q.Ext.IDString() + "/presence"
	_, sink := f.capture(t, f.admin, path)

	if err := f.e.SetPresence(f.ag.ID, PresenceUpdate{DNDStatus: ptr(DNDNoDepartment)}); err != nil {
		t.Fatal(err)
	}
	var got queuePresenceRecords
	f.get(t, f.agent, path, &got)
	if len(got.Records) != len(q.Members) {
		t.Fatalf("want every member, got %d of %d", len(got.Records), len(q.Members))
	}
	if queueCalls, _, ok := got.of(f.ag.IDString()); !ok || queueCalls {
		t.Fatalf("acceptQueueCalls must follow DoNotAcceptDepartmentCalls: %+v", got)
	}

	resp, body := call(t, f.e, f.agent, "PUT", path, map[string]any{"records": []any{map[string]any{"member": map[string]any{"id": f.ag.IDString()}, "acceptCurrentQueueCalls": false}}})
	wantError(t, "agent PUT queue presence", resp, body, 403, "CMN-408", "EditCallQueuePresence")

	// The admin turns the agent off in this queue; a bare integer id is accepted too.
	resp, body = call(t, f.e, f.admin, "PUT", path, map[string]any{"records": []any{
		map[string]any{"member": map[string]any{"id": f.ag.ID}, "acceptCurrentQueueCalls": false},
	}})
	mustJSON(t, body, &got)
	if _, current, _ := got.of(f.ag.IDString()); resp.StatusCode != 200 || current {
		t.Fatalf("admin PUT: %d %s", resp.StatusCode, body)
	}
	if f.e.Truth().Queues[indexOfQueue(f.e, q)].Members[f.ag.IDString()] {
		t.Fatal("the truth still has the agent accepting calls")
	}
	n := len(f.delivered(sink))
	if n != 1 {
		t.Fatalf("the queue presence subscriber must get one notification, got %d", n)
	}
	rec := f.delivered(sink)[0].envelope["body"].(map[string]any)["records"].([]any)[0].(map[string]any)
	if rec["member"].(map[string]any)["id"] != f.ag.IDString() || rec["acceptCurrentQueueCalls"] != false {
		t.Fatalf("queue notification: %v", rec)
	}

	outsider := f.userOutsideQueues(t)
	for _, c := range []struct {
		name  string
		body  any
		param string
	}{
		{"non-member", map[string]any{"records": []any{
			map[string]any{"member": map[string]any{"id": f.ag.IDString()}, "acceptCurrentQueueCalls": true},
			map[string]any{"member": map[string]any{"id": outsider.IDString()}, "acceptCurrentQueueCalls": true},
		}}, "records.member.id"},
		{"missing id", map[string]any{"records": []any{map[string]any{"acceptCurrentQueueCalls": true}}}, "records.member.id"},
		{"object id", map[string]any{"records": []any{map[string]any{"member": map[string]any{"id": map[string]any{}}, "acceptCurrentQueueCalls": true}}}, "records.member.id"},
		{"missing flag", map[string]any{"records": []any{map[string]any{"member": map[string]any{"id": f.ag.IDString()}}}}, "records.acceptCurrentQueueCalls"},
		{"wrong type", map[string]any{"records": "all"}, "records"},
	} {
		resp, body := call(t, f.e, f.admin, "PUT", path, c.body)
		wantError(t, c.name, resp, body, 400, "CMN-101", c.param)
	}
	if f.e.Truth().Queues[indexOfQueue(f.e, q)].Members[f.ag.IDString()] || len(f.delivered(sink)) != 1 {
		t.Fatal("a refused PUT must change nothing, not even its valid records")
	}
	resp, body = call(t, f.e, f.admin, "PUT", acct+"/call-queues/1/presence", map[string]any{"records": []any{}})
	wantError(t, "unknown queue", resp, body, 404, "CMN-102", "groupId")
}

func indexOfQueue(e *Emulator, q *Queue) int {
	for i, x := range e.p.dir.Queues {
		if x == q {
			return i
		}
	}
	return -1
}

// myQueues is ExtensionCallQueuePresenceList as tests read it.
type myQueues struct {
	Records []struct {
		CallQueue struct {
			ID                   string `json:"id"`
			Name                 string `json:"name"`
			ExtensionNumber      string `json:"extensionNumber"`
			EditableMemberStatus bool   `json:"editableMemberStatus"`
		} `json:"callQueue"`
		AcceptCalls bool `json:"acceptCalls"`
	} `json:"records"`
}

func TestExtensionCallQueuePresence(t *testing.T) {
	f := newRESTFixture(t, Config{})
	editable, locked := f.agentQueues(t)
	path := acct + "/extension/~/call-queue-presence"
	var mine myQueues
	f.get(t, f.agent, path, &mine)
	if len(mine.Records) != len(f.ag.Queues) {
		t.Fatalf("want all %d queues, got %d", len(f.ag.Queues), len(mine.Records))
	}
	f.get(t, f.agent, path+"?editableMemberStatus=true", &mine)
	for _, r := range mine.Records {
		if !r.CallQueue.EditableMemberStatus || r.CallQueue.ID == locked.Ext.IDString() {
			t.Fatalf("editableMemberStatus=true returned a locked queue: %+v", r)
		}
	}
	toggle := func(q *Queue, accept bool) map[string]any {
		return map[string]any{"records": []any{map[string]any{"callQueue": map[string]any{"id": q.Ext.IDString()}, "acceptCalls": accept}}}
	}
	resp, body := call(t, f.e, f.agent, "PUT", path, toggle(editable, false))
	mustJSON(t, body, &mine)
	if resp.StatusCode != 200 || len(mine.Records) != len(f.ag.Queues) || f.e.Truth().Queues[indexOfQueue(f.e, editable)].Members[f.ag.IDString()] {
		t.Fatalf("own toggle in an editable queue: %d %s", resp.StatusCode, body)
	}
	resp, body = call(t, f.e, f.agent, "PUT", path, toggle(locked, false))
	wantError(t, "own toggle in a locked queue", resp, body, 403, "CMN-408", "EditCallQueuePresence")
	other := acct + "/extension/" + f.ag.IDString() + "/call-queue-presence"
	resp, body = call(t, f.e, f.admin, "PUT", other, toggle(locked, false))
	if resp.StatusCode != 200 || f.e.Truth().Queues[indexOfQueue(f.e, locked)].Members[f.ag.IDString()] {
		t.Fatalf("an admin may change an agent's locked queue: %d %s", resp.StatusCode, body)
	}
	recPath := acct + "/extension/" + f.rec.IDString() + "/call-queue-presence"
	resp, body = call(t, f.e, f.agent, "PUT", recPath, toggle(f.rec.Queues[0], false))
	wantError(t, "agent changes another's queues", resp, body, 403, "CMN-404", "")
	resp, body = call(t, f.e, f.agent, "GET", recPath, nil)
	wantError(t, "agent reads another's queues", resp, body, 403, "CMN-404", "")
	var notMine *Queue
	for _, q := range f.e.p.dir.Queues {
		if !q.IsMember(f.ag.ID) {
			notMine = q
		}
	}
	resp, body = call(t, f.e, f.agent, "PUT", path, toggle(notMine, true))
	wantError(t, "a queue the agent is not in", resp, body, 400, "CMN-101", "records.callQueue.id")
	resp, body = call(t, f.e, f.agent, "PUT", path, map[string]any{"records": []any{map[string]any{"callQueue": map[string]any{"id": editable.Ext.IDString()}}}})
	wantError(t, "no acceptCalls", resp, body, 400, "CMN-101", "records.acceptCalls")
	resp, body = call(t, f.e, f.agent, "GET", path+"?editableMemberStatus=maybe", nil)
	wantError(t, "bad boolean", resp, body, 400, "CMN-101", "editableMemberStatus")
	req, _ := http.NewRequest("PUT", f.e.URL()+path, strings.NewReader("{"))
	req.Header.Set("Authorization", "Bearer "+f.agent)
	resp, body = do(t, req)
	wantError(t, "malformed", resp, body, 400, "CMN-103", "")
}
