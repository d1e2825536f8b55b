package emulator

import (
	"encoding/json"
	"reflect"
	"slices"
	"strconv"
	"testing"
	"time"
)

// notes returns what sink got so far as (event, body) pairs.
func (f *restFixture) notes(sink *captureSink) []note {
	var out []note
	for _, c := range f.delivered(sink) {
		b, _ := json.Marshal(c.envelope["body"])
		out = append(out, note{event: c.envelope["event"].(string), body: string(b)})
	}
	return out
}

type note struct{ event, body string }

// is reports whether the note's body is the JSON want (key order aside).
func (n note) is(want string) bool {
	var a, b any
	if json.Unmarshal([]byte(n.body), &a) != nil || json.Unmarshal([]byte(want), &b) != nil {
		return false
	}
	return reflect.DeepEqual(a, b)
}

// listed reports whether the extension list (every page, every status)
// holds id, and with which status.
func (f *restFixture) listed(t *testing.T, id int64, query string) (string, bool) {
	t.Helper()
	var list struct {
		Records []struct {
			ID     int64  `json:"id"`
			Status string `json:"status"`
		} `json:"records"`
	}
	f.get(t, f.admin, acct+"/extension?perPage=1000"+query, &list)
	for _, r := range list.Records {
		if r.ID == id {
			return r.Status, true
		}
	}
	return "", false
}

func addUser(t *testing.T, e *Emulator, body string) AddedUser {
	t.Helper()
	resp, b := control(t, e, "POST", "/_emulator/extensions", body)
	if resp.StatusCode != 201 {
		t.Fatalf("add user %s: %d %s", body, resp.StatusCode, b)
	}
	var a AddedUser
	mustJSON(t, b, &a)
	return a
}

func TestAddedUserJoinsTheDirectoryAndIsAnnounced(t *testing.T) {
	f := newRESTFixture(t, Config{})
	e := f.e
	_, sink := f.capture(t, f.agent, acct+"/extension")
	maxID := int64(0)
	for _, x := range e.p.dir.Extensions {
		maxID = max(maxID, x.ID)
	}

	a := addUser(t, e, "")
	id, _ := strconv.ParseInt(a.ID, 10, 64)
	if a.Name == "" || a.ExtensionNumber != "141" || id <= maxID || a.Department == "" || a.Email == "" {
		t.Fatalf("a generated user: %+v (ids so far up to %d); want the next number after 140 and a new id", a, maxID)
	}
	if status, ok := f.listed(t, id, "&type=User&status=Enabled"); !ok || status != "Enabled" {
		t.Fatalf("the new user is not in the extension list")
	}
	var me struct {
		Name    string `json:"name"`
		Contact struct {
			Department string `json:"department"`
			Email      string `json:"email"`
		} `json:"contact"`
	}
	f.get(t, f.agent, acct+"/extension/"+a.ID, &me)
	if me.Name != a.Name || me.Contact.Department != a.Department || me.Contact.Email != a.Email {
		t.Fatalf("GET the new extension: %+v, added %+v", me, a)
	}
	var pres presenceJSON
	f.get(t, f.agent, acct+"/extension/"+a.ID+"/presence", &pres)
	if pres.PresenceStatus != StatusAvailable || pres.DNDStatus != DNDTakeAll {
		t.Fatalf("a new user starts at their desk: %+v", pres)
	}
	got := f.notes(sink)
	want := `{"extensions":[{"extensionId":"` + a.ID + `","eventType":"Create"}]}`
	if len(got) != 1 || !got[0].is(want) || got[0].event != "/restapi/v1.0/account/"+strconv.FormatInt(e.p.dir.AccountID, 10)+"/extension" {
		t.Fatalf("extension list events: %+v; want one %s", got, want)
	}

	// A department with a queue of its name joins that queue; queueIds says otherwise.
	support := e.p.dir.Queues[2]
	if support.Ext.Name != "Support" {
		t.Fatalf("queue 3 is %q", support.Ext.Name)
	}
	s := addUser(t, e, `{"name":"Ada Lovelace","department":"Support","extensionNumber":"777"}`)
	if s.Name != "Ada Lovelace" || s.ExtensionNumber != "777" || !slices.Equal(s.QueueIDs, []string{support.Ext.IDString()}) ||
		s.Email != "ada.lovelace@"+e.p.dir.Domain {
		t.Fatalf("a Support hire: %+v", s)
	}
	var members struct {
		Records []struct {
			ID int64 `json:"id"`
		} `json:"records"`
	}
	f.get(t, f.agent, acct+"/call-queues/"+support.Ext.IDString()+"/members?perPage=1000", &members)
	sid, _ := strconv.ParseInt(s.ID, 10, 64)
	if !slices.ContainsFunc(members.Records, func(r struct {
		ID int64 `json:"id"`
	}) bool {
		return r.ID == sid
	}) {
		t.Fatalf("the Support hire is not a member of the Support queue")
	}
	if n := addUser(t, e, `{"department":"Support","queueIds":[]}`); len(n.QueueIDs) != 0 {
		t.Fatalf("queueIds [] must join no queue: %+v", n)
	}

	for _, bad := range []struct {
		body   string
		status int
	}{
		{`{"extensionNumber":"777"}`, 409},
		{`{"extensionNumber":"12a"}`, 400},
		{`{"extensionNumber":"0123"}`, 400},
		{`{"queueIds":["424242"]}`, 400},
		{`{"nickname":"Bob"}`, 400},
	} {
		resp, body := control(t, e, "POST", "/_emulator/extensions", bad.body)
		wantControlError(t, "add "+bad.body, resp, body, bad.status)
	}
}

func TestSpecShapeExtensionListEvent(t *testing.T) {
	f := newRESTFixture(t, Config{ExtensionEventShape: "spec"})
	_, sink := f.capture(t, f.agent, acct+"/extension")
	a := addUser(t, f.e, `{}`)
	got := f.notes(sink)
	want := `{"eventType":"Create","extensionId":"` + a.ID + `","ownerId":"` + f.ag.IDString() + `"}`
	if len(got) != 1 || !got[0].is(want) {
		t.Fatalf("spec-shaped extension list event: %+v; want %s", got, want)
	}
}

func TestLeaverIsGoneFromListPresenceQueuesAndListsAndTheirCallsEnd(t *testing.T) {
	f := newRESTFixture(t, Config{})
	e, p := f.e, f.e.p
	var leaver, peer *Extension
	for _, x := range p.dir.Extensions {
		if x.Type == TypeUser && len(x.Queues) > 0 && !p.dir.credentialed(x) {
			if leaver == nil {
				leaver = x
			} else if peer == nil && !slices.Contains(leaver.Queues, x.Queues[0]) {
				peer = x
			}
		}
	}
	queues := slices.Clone(leaver.Queues)
	token := f.loginAs(t, leaver)
	// The leaver is on a call with a colleague (one telephony session) and
	// on the receptionist's favorites.
	p.Mutate(func(tx *Tx) {
		out := p.NewLeg("", "Outbound")
		out.Status, out.From, out.To = TelConnected, leaver.Number, peer.Number
		in := p.NewLeg(out.TelephonySessionID, "Inbound")
		in.Status, in.From, in.To = TelConnected, leaver.Number, peer.Number
		tx.AddLeg(leaver, out)
		tx.AddLeg(peer, in)
	})
	control(t, e, "PUT", "/_emulator/extensions/"+f.rec.IDString()+"/favorites", `{"extensionIds":["`+leaver.IDString()+`","`+peer.IDString()+`"]}`)

	_, listSink := f.capture(t, f.agent, acct+"/extension")
	_, infoSink := f.capture(t, f.admin, acct+"/extension/"+leaver.IDString(), acct+"/extension/~/favorite")
	_, presSink := f.capture(t, f.admin, acct+"/presence?detailedTelephonyState=true")
	// An admin watching the leaver's favorites hears no more of them after.
	_, theirFavs := f.capture(t, f.admin, acct+"/extension/"+leaver.IDString()+"/favorite/presence")
	p.mu.Lock()
	favOfLeaver := p.watchList(leaver, favoritesList).exts[0]
	p.mu.Unlock()

	resp, body := control(t, e, "DELETE", "/_emulator/extensions/"+leaver.IDString(), "")
	if resp.StatusCode != 204 {
		t.Fatalf("delete: %d %s", resp.StatusCode, body)
	}

	resp, body = call(t, e, f.agent, "GET", acct+"/extension/"+leaver.IDString(), nil)
	wantError(t, "GET a deleted extension", resp, body, 404, "CMN-102", "extensionId")
	resp, body = call(t, e, f.agent, "GET", acct+"/extension/"+leaver.IDString()+"/presence", nil)
	wantError(t, "presence of a deleted extension", resp, body, 404, "CMN-102", "extensionId")
	if _, ok := f.listed(t, leaver.ID, ""); ok {
		t.Fatal("a deleted extension is still listed")
	}
	for _, q := range queues {
		var qp struct {
			Records []struct{ Member struct{ ID string } }
		}
		f.get(t, f.admin, acct+"/call-queues/"+q.Ext.IDString()+"/presence", &qp)
		for _, r := range qp.Records {
			if r.Member.ID == leaver.IDString() {
				t.Fatalf("the leaver is still in queue %s", q.Ext.Name)
			}
		}
	}
	for _, te := range e.Truth().Extensions {
		if te.ID == leaver.IDString() {
			t.Fatal("the leaver is still in the truth")
		}
	}
	if legs := f.truthOf(t, peer).Presence.ActiveCalls; len(legs) != 0 {
		t.Fatalf("the colleague's side of the call must end too: %+v", legs)
	}
	if resp, body = call(t, e, token, "GET", acct+"/extension/~", nil); resp.StatusCode != 401 || errorCode(t, body) != "OAU-213" {
		t.Fatalf("the leaver's sessions end: %d %s", resp.StatusCode, body)
	}

	// Presence first (their calls end), then the directory events.
	pres := f.notes(presSink)
	if len(pres) != 2 {
		t.Fatalf("want the leaver's and the colleague's calls to end in 2 notifications, got %+v", pres)
	}
	for _, n := range pres {
		var b presenceJSON
		mustJSON(t, []byte(n.body), &b)
		if b.TelephonyStatus != TelNoCall || len(b.ActiveCalls) != 1 || b.ActiveCalls[0].TerminationType != "final" {
			t.Fatalf("a call ended: %s", n.body)
		}
	}
	if got := f.notes(listSink); len(got) != 1 || !got[0].is(`{"extensions":[{"extensionId":"`+leaver.IDString()+`","eventType":"Delete"}]}`) {
		t.Fatalf("extension list events: %+v", got)
	}
	info := f.notes(infoSink)
	wantInfo := `{"extensionId":"` + leaver.IDString() + `","eventType":"Delete","ownerId":"` + f.rec.IDString() + `"}`
	wantFav := `{"extensionId":"` + f.rec.IDString() + `","ownerId":"` + f.rec.IDString() + `"}`
	if len(info) != 2 || !info[0].is(wantInfo) || !info[1].is(wantFav) {
		t.Fatalf("info and favorites events: %+v; want %s then %s", info, wantInfo, wantFav)
	}
	var favs favoriteListJSON
	f.get(t, f.admin, acct+"/extension/~/favorite", &favs)
	if len(favs.Records) != 1 || favs.Records[0].ExtensionID != peer.IDString() {
		t.Fatalf("the receptionist's favorites after the leaver left: %+v", favs.Records)
	}

	if err := e.SetPresence(favOfLeaver.ID, PresenceUpdate{Message: ptr("still here")}); err != nil {
		t.Fatal(err)
	}
	if n := f.notes(theirFavs); len(n) != 0 {
		t.Fatalf("the leaver's favorites are still watched: %+v", n)
	}

	resp, body = control(t, e, "DELETE", "/_emulator/extensions/"+leaver.IDString(), "")
	wantControlError(t, "delete twice", resp, body, 404)
	resp, body = control(t, e, "DELETE", "/_emulator/extensions/"+f.rec.IDString(), "")
	wantControlError(t, "delete the receptionist", resp, body, 409)
	resp, body = control(t, e, "DELETE", "/_emulator/extensions/"+queues[0].Ext.IDString(), "")
	wantControlError(t, "delete a queue", resp, body, 400)
	resp, body = control(t, e, "DELETE", "/_emulator/extensions/"+peer.IDString()+"?disable=maybe", "")
	wantControlError(t, "disable=maybe", resp, body, 400)
}

func TestDisabledUserStaysListedOfflineInNoQueue(t *testing.T) {
	f := newRESTFixture(t, Config{})
	e := f.e
	var who *Extension
	for _, x := range e.p.dir.Extensions {
		if x.Type == TypeUser && len(x.Queues) > 0 && !e.p.dir.credentialed(x) {
			who = x
			break
		}
	}
	_, sink := f.capture(t, f.agent, acct+"/extension", acct+"/extension/"+who.IDString())
	resp, body := control(t, e, "DELETE", "/_emulator/extensions/"+who.IDString()+"?disable=true", "")
	if resp.StatusCode != 204 {
		t.Fatalf("disable: %d %s", resp.StatusCode, body)
	}
	if _, ok := f.listed(t, who.ID, "&status=Enabled"); ok {
		t.Fatal("a disabled user is listed under status=Enabled")
	}
	if status, ok := f.listed(t, who.ID, ""); !ok || status != "Disabled" {
		t.Fatalf("a disabled user is listed with status %q (%v), want Disabled", status, ok)
	}
	var pres presenceJSON
	f.get(t, f.admin, acct+"/extension/"+who.IDString()+"/presence", &pres)
	if pres.PresenceStatus != StatusOffline || pres.UserStatus != StatusOffline {
		t.Fatalf("a disabled user is Offline: %+v", pres)
	}
	var queues struct {
		Records []any `json:"records"`
	}
	f.get(t, f.admin, acct+"/call-queues?memberExtensionId="+who.IDString(), &queues)
	if len(queues.Records) != 0 {
		t.Fatalf("a disabled user is in %d queues", len(queues.Records))
	}
	got := f.notes(sink)
	wantList := `{"extensions":[{"extensionId":"` + who.IDString() + `","eventType":"Update","hints":["ExtensionInfo"]}]}`
	wantInfo := `{"extensionId":"` + who.IDString() + `","eventType":"Update","hints":["ExtensionInfo"],"ownerId":"` + f.ag.IDString() + `"}`
	if len(got) != 2 || !got[0].is(wantList) || !got[1].is(wantInfo) {
		t.Fatalf("disable events: %+v", got)
	}
	resp, body = control(t, e, "POST", "/_emulator/extensions/"+who.IDString()+"/calls", `{}`)
	wantControlError(t, "a call to a disabled user", resp, body, 400)
	resp, body = control(t, e, "DELETE", "/_emulator/extensions/"+who.IDString(), "")
	wantControlError(t, "delete a disabled user", resp, body, 409)
}

func TestRenameIsAnnouncedToListAndInfoSubscribers(t *testing.T) {
	f := newRESTFixture(t, Config{})
	target := f.userOutsideQueues(t)
	_, sink := f.capture(t, f.agent, acct+"/extension", acct+"/extension/"+target.IDString())
	resp, body := control(t, f.e, "PUT", "/_emulator/extensions/"+target.IDString()+"/name", `{"name":"Grace Hopper"}`)
	if resp.StatusCode != 200 {
		t.Fatalf("rename: %d %s", resp.StatusCode, body)
	}
	var me struct {
		Name    string `json:"name"`
		Contact struct{ FirstName, LastName string }
	}
	f.get(t, f.agent, acct+"/extension/"+target.IDString(), &me)
	if me.Name != "Grace Hopper" || me.Contact.FirstName != "Grace" || me.Contact.LastName != "Hopper" {
		t.Fatalf("after the rename: %+v", me)
	}
	got := f.notes(sink)
	if len(got) != 2 || !got[0].is(`{"extensions":[{"extensionId":"`+target.IDString()+`","eventType":"Update","hints":["ExtensionInfo"]}]}`) {
		t.Fatalf("rename events: %+v", got)
	}
}

func TestDirectoryFiltersNeedTheirPermissions(t *testing.T) {
	f := newRESTFixture(t, Config{})
	p := f.e.p
	tok := loginScoped(t, f.e, f.e.creds.Agents[0].JWT, "ReadPresence WebSocket")
	p.mu.Lock()
	sess, _ := p.sessionForAccess(tok)
	fs, dis, err := p.hub.parseFilters(sess.ext, sess.id, []string{
		acct + "/extension",
		acct + "/extension/~",
		acct + "/extension/~/favorite",
		acct + "/extension/~/favorite/presence",
		acct + "/extension/~/presence/line",
		acct + "/extension/" + f.rec.IDString() + "/presence/line/presence",
		acct + "/extension/424242",
	})
	p.mu.Unlock()
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	reasons := map[string]string{}
	for _, d := range dis {
		reasons[d.Filter] = d.Reason
	}
	accountID := strconv.FormatInt(p.dir.AccountID, 10)
	me := "/restapi/v1.0/account/" + accountID + "/extension/" + f.ag.IDString()
	want := map[string]string{
		"/restapi/v1.0/account/" + accountID + "/extension": "CMN-401",
		me:               "CMN-401",
		me + "/favorite": "CMN-401",
		"/restapi/v1.0/account/" + accountID + "/extension/" + f.rec.IDString() + "/presence/line/presence": "CMN-404",
		"/restapi/v1.0/account/" + accountID + "/extension/424242":                                          "SUB-408",
	}
	for filter, reason := range want {
		if reasons[filter] != reason {
			t.Errorf("%s: disabled for %q, want %q (all: %v)", filter, reasons[filter], reason, reasons)
		}
	}
	if len(fs) != 2 || fs[0].Expanded != me+"/favorite/presence" || fs[1].Expanded != me+"/presence/line" {
		t.Fatalf("granted filters: %+v", fs)
	}

	// With every scope, an unknown extension is SUB-408.
	full := loginScoped(t, f.e, f.e.creds.Agents[0].JWT, "")
	p.mu.Lock()
	fullSess, _ := p.sessionForAccess(full)
	_, dis, _ = p.hub.parseFilters(f.ag, fullSess.id, []string{acct + "/extension/424242", acct + "/extension"})
	p.mu.Unlock()
	if len(dis) != 1 || dis[0].Reason != "SUB-408" {
		t.Fatalf("unknown extension: %+v", dis)
	}
}

func TestSimulationCopesWithPeopleJoiningAndLeaving(t *testing.T) {
	f := newFloor(t, Config{Users: 60, Queues: 4, CallsPerMinute: 60})
	f.step(0)
	f.run(10 * time.Minute)

	// Five people leave, busy or not, and three join the queues.
	var leavers []*Extension
	leftAt := map[*Extension]int64{}
	for _, u := range slices.Clone(f.cc.users) {
		if len(leavers) < 5 && !u.credentialed && (len(u.ext.Presence.Legs) > 0 || len(leavers) >= 3) {
			leavers = append(leavers, u.ext)
		}
	}
	var joiners []*Extension
	f.p.Mutate(func(tx *Tx) {
		for _, l := range leavers {
			if err := tx.removeUser(l.ID, false); err != nil {
				t.Fatalf("remove %s: %v", l.Name, err)
			}
		}
		for _, q := range f.p.dir.Queues[:3] {
			ids := []string{q.Ext.IDString()}
			ext, err := tx.addUser(NewUser{QueueIDs: &ids})
			if err != nil {
				t.Fatal(err)
			}
			joiners = append(joiners, ext)
		}
	})
	for _, l := range leavers {
		if len(l.Presence.Legs) != 0 {
			t.Fatalf("%s left with %d calls up", l.Name, len(l.Presence.Legs))
		}
		leftAt[l] = l.Presence.Sequence
	}
	ringsBefore := f.stats().AgentRings

	f.run(time.Hour)

	f.p.mu.Lock()
	defer f.p.mu.Unlock()
	for _, l := range leavers {
		if l.Presence.Sequence != leftAt[l] || len(l.Presence.Legs) != 0 {
			t.Errorf("%s changed after leaving: sequence %d -> %d, %d calls", l.Name, leftAt[l], l.Presence.Sequence, len(l.Presence.Legs))
		}
		if f.cc.people[l] != nil {
			t.Errorf("%s is still on the floor", l.Name)
		}
	}
	took := 0
	for _, j := range joiners {
		if j.Presence.Sequence > 0 {
			took++
		}
	}
	if took == 0 {
		t.Error("in an hour none of the three new agents took a call or changed status")
	}
	// Every call still up is on someone in the directory, and no leg
	// shares a session with a leaver's.
	for _, e := range f.p.dir.Extensions {
		for _, leg := range e.Presence.Legs {
			if c := f.cc.calls[leg]; c != nil && (c.who != nil && c.who.removed || c.peer != nil && c.peer.removed) {
				t.Errorf("%s has a call with a leaver", e.Name)
			}
		}
	}
	if f.p.stats.Sim.AgentRings <= ringsBefore {
		t.Error("queue calls stopped ringing after the directory changed")
	}
}

// TestDirectoryChangesUnderLiveTraffic adds and removes people while the
// simulation runs on its own goroutine (run it with -race).
func TestDirectoryChangesUnderLiveTraffic(t *testing.T) {
	e := startEmu(t, Config{Users: 40, CallsPerMinute: 2400})
	gone := map[string]bool{}
	for i := 0; i < 6; i++ {
		a := addUser(t, e, `{"department":"Sales"}`)
		var victim *Extension
		e.p.mu.Lock()
		for _, x := range e.p.dir.Extensions {
			if x.Type == TypeUser && !e.p.dir.credentialed(x) && x.IDString() != a.ID && len(x.Presence.Legs) > 0 {
				victim = x
				break
			}
		}
		e.p.mu.Unlock()
		if victim == nil {
			continue
		}
		if resp, body := control(t, e, "DELETE", "/_emulator/extensions/"+victim.IDString(), ""); resp.StatusCode != 204 {
			t.Fatalf("delete: %d %s", resp.StatusCode, body)
		}
		gone[victim.IDString()] = true
		offered := e.Stats().Sim.CallsOffered
		waitFor(t, 5*time.Second, "more simulated calls", func() bool { return e.Stats().Sim.CallsOffered > offered+1 })
	}
	if len(gone) == 0 {
		t.Fatal("nobody was on a call to remove")
	}
	for _, te := range e.Truth().Extensions {
		if gone[te.ID] {
			t.Fatalf("%s left but is in the truth", te.Name)
		}
	}
}

// TestDirectoryEventsOverTheWebSocket subscribes to the extension list
// over the gateway, as a client does, and sees a join and a leave.
func TestDirectoryEventsOverTheWebSocket(t *testing.T) {
	fx := newWSFixture(t, Config{})
	c, _ := fx.connect(t, "")
	fr := c.request(t, "POST", subscriptionPath, map[string]any{
		"eventFilters": []string{"/restapi/v1.0/account/~/extension", "/restapi/v1.0/account/~/extension/~"},
		"deliveryMode": map[string]any{"transportType": "WebSocket"},
	})
	if fr.Header.Status != 200 {
		t.Fatalf("subscribe: %s", fr.Raw)
	}
	a := addUser(t, fx.e, `{"name":"Ada Lovelace"}`)
	control(t, fx.e, "DELETE", "/_emulator/extensions/"+a.ID, "")
	for _, want := range []string{"Create", "Delete"} {
		n := c.expect(t, typeNotification).bodyMap(t)["body"].(map[string]any)
		ext := n["extensions"].([]any)[0].(map[string]any)
		if ext["extensionId"] != a.ID || ext["eventType"] != want {
			t.Fatalf("want %s of %s, got %v", want, a.ID, n)
		}
	}
}
