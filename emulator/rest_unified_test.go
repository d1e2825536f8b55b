package emulator

import (
	"strings"
	"testing"
)

type unified struct {
	Status string `json:"status"`
	Glip   *struct {
		Status       string `json:"status"`
		Visibility   string `json:"visibility"`
		Availability string `json:"availability"`
	} `json:"glip"`
	Telephony *struct {
		Status       string `json:"status"`
		Visibility   string `json:"visibility"`
		Availability string `json:"availability"`
	} `json:"telephony"`
	Meeting *struct {
		Status string `json:"status"`
	} `json:"meeting"`
}

func TestUnifiedPresenceStatusDerivation(t *testing.T) {
	f := newRESTFixture(t, Config{})
	path := acct + "/extension/" + f.ag.IDString() + "/unified-presence"
	set := func(u PresenceUpdate) {
		t.Helper()
		if err := f.e.SetPresence(f.ag.ID, u); err != nil {
			t.Fatal(err)
		}
	}
	set(PresenceUpdate{UserStatus: ptr(StatusAvailable), DNDStatus: ptr(DNDTakeAll), MeetingStatus: ptr(MeetingDisconnected)})
	cases := []struct {
		name  string
		apply func()
		want  string
	}{
		{"available", func() {}, "Available"},
		{"busy", func() { set(PresenceUpdate{UserStatus: ptr(StatusBusy)}) }, "Busy"},
		{"offline wins over busy", func() { set(PresenceUpdate{UserStatus: ptr(StatusOffline)}) }, "Offline"},
		{"DND wins over offline", func() { set(PresenceUpdate{DNDStatus: ptr(DNDNoCalls)}) }, "DND"},
		{"on a call is busy", func() {
			set(PresenceUpdate{UserStatus: ptr(StatusAvailable), DNDStatus: ptr(DNDTakeAll)})
			f.startCall(f.ag, TelRinging)
		}, "Busy"},
	}
	for _, c := range cases {
		c.apply()
		var u unified
		f.get(t, f.admin, path, &u)
		if u.Status != c.want {
			t.Fatalf("%s: status %q, want %q", c.name, u.Status, c.want)
		}
	}
	var u unified
	f.get(t, f.admin, path, &u)
	if u.Telephony == nil || u.Telephony.Status != TelRinging || u.Telephony.Visibility != "" || u.Glip.Visibility != "" {
		t.Fatalf("another user's unified presence: telephony status and no visibility expected: %+v %+v", u.Telephony, u.Glip)
	}
	f.get(t, f.agent, acct+"/extension/~/unified-presence", &u)
	if u.Glip.Visibility != "Visible" || u.Telephony.Visibility != "Visible" || u.Meeting.Status != "NoMeeting" {
		t.Fatalf("own unified presence shows visibility: %+v %+v", u.Glip, u.Telephony)
	}
	u = unified{}
	f.get(t, f.agent, acct+"/extension/"+f.e.p.dir.Queues[0].Ext.IDString()+"/unified-presence", &u)
	if u.Status != StatusOffline || u.Glip != nil {
		t.Fatalf("a call queue is Offline and nothing more: %+v", u)
	}
}

func TestUnifiedPresencePatchMapsOntoPresence(t *testing.T) {
	f := newRESTFixture(t, Config{})
	path := acct + "/extension/~/unified-presence"
	patch := func(body any) unified {
		t.Helper()
		resp, b := call(t, f.e, f.agent, "PATCH", path, body)
		if resp.StatusCode != 200 {
			t.Fatalf("PATCH %v: %d %s", body, resp.StatusCode, b)
		}
		var u unified
		mustJSON(t, b, &u)
		return u
	}
	u := patch(map[string]any{"glip": map[string]any{"visibility": "Invisible"}})
	if p := f.truthOf(t, f.ag).Presence; p.UserStatus != StatusOffline || u.Glip.Visibility != "Invisible" || u.Status != "Offline" {
		t.Fatalf("Invisible must set userStatus Offline: %s %+v", p.UserStatus, u)
	}
	patch(map[string]any{"glip": map[string]any{"visibility": "Visible"}})
	if p := f.truthOf(t, f.ag).Presence; p.UserStatus != StatusAvailable {
		t.Fatalf("Visible after Offline must set Available, got %s", p.UserStatus)
	}
	if err := f.e.SetPresence(f.ag.ID, PresenceUpdate{UserStatus: ptr(StatusBusy)}); err != nil {
		t.Fatal(err)
	}
	patch(map[string]any{"glip": map[string]any{"visibility": "Visible"}})
	if p := f.truthOf(t, f.ag).Presence; p.UserStatus != StatusBusy {
		t.Fatalf("Visible must leave Busy alone, got %s", p.UserStatus)
	}
	u = patch(map[string]any{"glip": map[string]any{"availability": "DND"}})
	if u.Glip.Availability != "DND" || u.Status == "DND" {
		t.Fatalf("glip DND is glip's own: %+v status %s", u.Glip, u.Status)
	}
	u = patch(map[string]any{"telephony": map[string]any{"availability": "DoNotAcceptQueueCalls"}})
	if p := f.truthOf(t, f.ag).Presence; p.DNDStatus != DNDNoDepartment || u.Telephony.Availability != "DoNotAcceptQueueCalls" {
		t.Fatalf("DoNotAcceptQueueCalls must be DoNotAcceptDepartmentCalls: %s %+v", p.DNDStatus, u.Telephony)
	}
	u = patch(map[string]any{"telephony": map[string]any{"availability": "DoNotAcceptAnyCalls"}})
	if p := f.truthOf(t, f.ag).Presence; p.DNDStatus != DNDNoCalls || u.Status != "DND" {
		t.Fatalf("DoNotAcceptAnyCalls: %s %+v", p.DNDStatus, u)
	}

	for _, c := range []struct {
		name  string
		body  any
		param string
	}{
		{"bad visibility", map[string]any{"glip": map[string]any{"visibility": "Hidden"}}, "glip.visibility"},
		{"bad glip availability", map[string]any{"glip": map[string]any{"availability": "Away"}}, "glip.availability"},
		{"legacy dnd name", map[string]any{"telephony": map[string]any{"availability": "DoNotAcceptDepartmentCalls"}}, "telephony.availability"},
		{"wrong type", map[string]any{"glip": "Invisible"}, "glip"},
	} {
		resp, body := call(t, f.e, f.agent, "PATCH", path, c.body)
		wantError(t, c.name, resp, body, 400, "CMN-101", c.param)
	}
	loner := f.userOutsideQueues(t)
	if err := f.e.SetPresence(loner.ID, PresenceUpdate{DNDStatus: ptr(DNDTakeAll)}); err != nil {
		t.Fatal(err)
	}
	resp, body := call(t, f.e, f.admin, "PATCH", acct+"/extension/"+loner.IDString()+"/unified-presence", map[string]any{})
	wantError(t, "admin PATCHes another user", resp, body, 403, "CMN-404", "")

	// A user in no queue cannot refuse queue calls.
	resp, body = call(t, f.e, f.loginAs(t, loner), "PATCH", path, map[string]any{"telephony": map[string]any{"availability": "DoNotAcceptQueueCalls"}})
	wantError(t, "queue DND outside queues", resp, body, 400, "CMN-101", "telephony.availability")
}

func TestUnifiedPresenceBatch(t *testing.T) {
	f := newRESTFixture(t, Config{})
	ids := []string{f.rec.IDString(), "5", f.ag.IDString()}
	resp, body := call(t, f.e, f.admin, "GET", acct+"/extension/"+strings.Join(ids, ",")+"/unified-presence", nil)
	var arr []struct {
		ResourceID string         `json:"resourceId"`
		Status     int            `json:"status"`
		Body       map[string]any `json:"body"`
	}
	mustJSON(t, body, &arr)
	if resp.StatusCode != 207 || len(arr) != 3 {
		t.Fatalf("batch: %d %s", resp.StatusCode, body)
	}
	for i, id := range ids {
		if arr[i].ResourceID != id {
			t.Fatalf("entry %d is %s, want %s (request order)", i, arr[i].ResourceID, id)
		}
	}
	if arr[0].Status != 200 || arr[0].Body["status"] == nil || arr[1].Status != 404 || arr[1].Body["errorCode"] != "CMN-102" || arr[2].Status != 200 {
		t.Fatalf("batch entries: %s", body)
	}
	many := strings.Repeat(f.ag.IDString()+",", 30) + f.ag.IDString()
	resp, body = call(t, f.e, f.admin, "GET", acct+"/extension/"+many+"/unified-presence", nil)
	wantError(t, "31 ids", resp, body, 400, "CMN-106", "")
}
