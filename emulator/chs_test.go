package emulator

import (
	"encoding/json"
	"slices"
	"testing"
	"time"
)

// presenceFields decodes a presence body into its raw fields, so a test
// can tell an absent field from a zero one.
func presenceFields(t *testing.T, b []byte) map[string]any {
	t.Helper()
	var m map[string]any
	mustJSON(t, b, &m)
	return m
}

func TestCHSAccountPresenceHasPersonalDNDAndAgentStateNotDndStatus(t *testing.T) {
	f := newRESTFixture(t, Config{CHS: true})
	me := acct + "/extension/~/presence"

	_, body := call(t, f.e, f.agent, "GET", me, nil)
	got := presenceFields(t, body)
	if _, ok := got["dndStatus"]; ok {
		t.Fatalf("dndStatus does not apply to User extensions on a CHS account: %s", body)
	}
	if got["dndStatusPersonal"] != DNDTakeAll || got["acceptCallQueueCalls"] != true {
		t.Fatalf("a queue agent at their desk: want dndStatusPersonal TakeAllCalls, acceptCallQueueCalls true: %s", body)
	}
	var queueExt *Extension
	for _, x := range f.e.p.dir.Extensions {
		if x.Type == TypeDepartment {
			queueExt = x
			break
		}
	}
	_, body = call(t, f.e, f.agent, "GET", acct+"/extension/"+queueExt.IDString()+"/presence", nil)
	if q := presenceFields(t, body); q["presenceStatus"] != StatusOffline || q["dndStatusPersonal"] != nil || q["acceptCallQueueCalls"] != nil {
		t.Fatalf("a call queue's presence is Offline only, CHS or not: %s", body)
	}

	resp, body := call(t, f.e, f.agent, "PUT", me, map[string]any{"dndStatus": DNDNoCalls})
	wantError(t, "PUT dndStatus on a CHS account", resp, body, 400, "CMN-101", "dndStatus")

	_, sink := f.capture(t, f.admin, acct+"/extension/"+f.ag.IDString()+"/presence", acct+"/presence")
	resp, body = call(t, f.e, f.agent, "PUT", me, map[string]any{"dndStatusPersonal": DNDNoCalls})
	got = presenceFields(t, body)
	if resp.StatusCode != 200 || got["dndStatusPersonal"] != DNDNoCalls || got["presenceStatus"] != StatusBusy {
		t.Fatalf("personal DND: want 200, DoNotAcceptAnyCalls, Busy: %d %s", resp.StatusCode, body)
	}
	notes := f.delivered(sink)
	if len(notes) != 1 {
		t.Fatalf("one notification for one change, got %d", len(notes))
	}
	nb := notes[0].envelope["body"].(map[string]any)
	if nb["dndStatusPersonal"] != DNDNoCalls || nb["acceptCallQueueCalls"] != true || nb["presenceStatus"] != StatusBusy {
		t.Fatalf("the notification carries the CHS fields: %v", nb)
	}
	if _, ok := nb["dndStatus"]; ok {
		t.Fatalf("the notification carries dndStatus: %v", nb)
	}

	// Full personal DND takes the agent out of every queue; so does the agent state off.
	acceptQueueCalls := func() []bool {
		var out []bool
		for _, q := range f.ag.Queues {
			var qp struct {
				Records []struct {
					Member           struct{ ID string }
					AcceptQueueCalls bool `json:"acceptQueueCalls"`
				}
			}
			f.get(t, f.admin, acct+"/call-queues/"+q.Ext.IDString()+"/presence", &qp)
			for _, r := range qp.Records {
				if r.Member.ID == f.ag.IDString() {
					out = append(out, r.AcceptQueueCalls)
				}
			}
		}
		return out
	}
	if a := acceptQueueCalls(); slices.Contains(a, true) || len(a) != len(f.ag.Queues) {
		t.Fatalf("in personal DND, acceptQueueCalls per queue = %v; want all false", a)
	}
	call(t, f.e, f.agent, "PUT", me, map[string]any{"dndStatusPersonal": DNDTakeAll, "acceptCallQueueCalls": false})
	if a := acceptQueueCalls(); slices.Contains(a, true) {
		t.Fatalf("with acceptCallQueueCalls false, acceptQueueCalls = %v; want all false", a)
	}
	_, body = call(t, f.e, f.agent, "PUT", me, map[string]any{"acceptCallQueueCalls": true})
	if a := acceptQueueCalls(); slices.Contains(a, false) {
		t.Fatalf("with acceptCallQueueCalls true, acceptQueueCalls = %v; want all true", a)
	}
	if got = presenceFields(t, body); got["presenceStatus"] != StatusAvailable {
		t.Fatalf("back at the desk: %s", body)
	}

	// Account presence and batch presence carry the fields too.
	var all struct {
		Records []map[string]any `json:"records"`
	}
	f.get(t, f.admin, acct+"/presence?perPage=1000", &all)
	users := 0
	for _, r := range all.Records {
		if _, ok := r["userStatus"]; !ok {
			continue // not a User extension
		}
		users++
		if _, ok := r["dndStatus"]; ok || r["dndStatusPersonal"] == nil || r["acceptCallQueueCalls"] == nil {
			t.Fatalf("account presence record on a CHS account: %v", r)
		}
	}
	if users != 40 {
		t.Fatalf("account presence listed %d users, want 40", users)
	}

	// Unified presence maps onto the CHS fields.
	call(t, f.e, f.agent, "PATCH", acct+"/extension/~/unified-presence", map[string]any{"telephony": map[string]any{"availability": "DoNotAcceptQueueCalls"}})
	if p := f.truthOf(t, f.ag).Presence; p.DNDStatusPersonal != DNDTakeAll || p.AcceptCallQueue == nil || *p.AcceptCallQueue {
		t.Fatalf("unified DoNotAcceptQueueCalls on CHS: %+v", p)
	}
	var u unifiedPresenceJSON
	f.get(t, f.agent, acct+"/extension/~/unified-presence", &u)
	if u.Telephony == nil || u.Telephony.Availability != "DoNotAcceptQueueCalls" {
		t.Fatalf("unified presence reads the agent state back: %+v", u.Telephony)
	}
}

func TestAccountWithoutCHSChecksAndIgnoresTheCHSFields(t *testing.T) {
	f := newRESTFixture(t, Config{})
	before := f.truthOf(t, f.ag).Presence
	resp, body := call(t, f.e, f.agent, "PUT", acct+"/extension/~/presence",
		map[string]any{"dndStatusPersonal": DNDNoCalls, "acceptCallQueueCalls": false})
	got := presenceFields(t, body)
	if resp.StatusCode != 200 || got["dndStatus"] != before.DNDStatus || got["dndStatusPersonal"] != nil || got["acceptCallQueueCalls"] != nil {
		t.Fatalf("a non-CHS account must keep dndStatus and not show CHS fields: %d %s", resp.StatusCode, body)
	}
	// The control API says so rather than ignoring them.
	resp, body = control(t, f.e, "PUT", "/_emulator/extensions/"+f.ag.IDString()+"/presence", `{"acceptCallQueueCalls":false}`)
	wantControlError(t, "CHS field on a non-CHS account", resp, body, 400)
}

func TestCHSDirectoryKeepsWhatEachPersonsDNDMeant(t *testing.T) {
	cfg := Config{Users: 300, Queues: 6, Seed: 5}.withDefaults()
	plain := generateDirectory(cfg)
	cfg.CHS = true
	chs := generateDirectory(cfg)
	var dnd, offQueues int
	for i, e := range chs.Extensions {
		pe, ce := &plain.Extensions[i].Presence, &e.Presence
		if plain.Extensions[i].ID != e.ID || plain.Extensions[i].Name != e.Name {
			t.Fatalf("CHS must not change the people: %s vs %s", plain.Extensions[i].Name, e.Name)
		}
		if e.Type != TypeUser {
			if ce.CHS {
				t.Fatalf("%s is a %s: CHS presence is for User extensions", e.Name, e.Type)
			}
			continue
		}
		if !ce.CHS || ce.DNDStatus != "" {
			t.Fatalf("%s: want CHS presence without dndStatus, got %+v", e.Name, ce)
		}
		if (pe.DNDStatus == DNDNoCalls) != (ce.DNDPersonal == DNDNoCalls) {
			t.Fatalf("%s: dndStatus %s became dndStatusPersonal %s", e.Name, pe.DNDStatus, ce.DNDPersonal)
		}
		if pe.AcceptsQueueCalls() != ce.AcceptsQueueCalls() && len(e.Queues) > 0 {
			t.Fatalf("%s: taking queue calls changed: %v -> %v", e.Name, pe.AcceptsQueueCalls(), ce.AcceptsQueueCalls())
		}
		if ce.DNDPersonal == DNDNoCalls {
			dnd++
		}
		if len(e.Queues) > 0 && !ce.AcceptCQ {
			offQueues++
		}
	}
	if dnd == 0 || offQueues == 0 {
		t.Fatalf("the account should have people in personal DND (%d) and agents off (%d)", dnd, offQueues)
	}
}

func TestCHSRoutingFollowsTheAgentStateAndPersonalDND(t *testing.T) {
	f := newFloor(t, Config{CHS: true})
	m := &f.cc.model
	m.inboundPerSec, m.outboundPerSec, m.internalPerSec, m.statusPerSec, m.warmShare = 0, 0, 0, 0, 0
	m.answerQueue, m.answerFree = 0, 1 // queue calls ring on, so each ring shows where routing sent it
	m.queueRing = time.Hour
	m.queueRetry = span{5 * time.Second, 5 * time.Second}
	m.queuePatience = span{time.Hour, time.Hour}
	f.step(0)

	q := f.p.dir.Queues[0]
	mem := f.membersOf(q, 3)
	off, dnd, on := mem[0], mem[1], mem[2]
	f.onlyMembers(q, off, dnd, on)
	f.set(off, PresenceUpdate{AcceptCallQueueCalls: ptr(false)})
	f.set(dnd, PresenceUpdate{DNDStatusPersonal: ptr(DNDNoCalls)})
	f.setIdleSince(off, simT0.Add(-3*time.Hour)) // the longest idle first, so only the rules keep them out
	f.setIdleSince(dnd, simT0.Add(-2*time.Hour))
	f.setIdleSince(on, simT0.Add(-time.Hour))

	f.queueCall(q)
	if got := f.ringingOn(off, dnd, on); !slices.Equal(got, []*Extension{on}) {
		t.Fatalf("queue call rang %v; want only the agent taking queue calls", names(got))
	}
	f.queueCall(q)
	f.run(10 * time.Second)
	if got := f.ringingOn(off, dnd); len(got) != 0 {
		t.Fatalf("a waiting caller rang %v; the agent state off and personal DND take no queue calls", names(got))
	}
	f.set(off, PresenceUpdate{AcceptCallQueueCalls: ptr(true)})
	f.run(10 * time.Second)
	if got := f.ringingOn(off, dnd); !slices.Equal(got, []*Extension{off}) {
		t.Fatalf("after acceptCallQueueCalls true the waiting caller rang %v; want %s", names(got), off.Name)
	}

	vm := f.stats().Voicemails
	f.directCall(dnd)
	if n := len(f.legs(dnd)); n != 0 || f.stats().Voicemails != vm+1 {
		t.Fatalf("a direct call to personal DND must go to voicemail (%d legs)", n)
	}
}

func TestCHSSimulationKeepsPresenceValid(t *testing.T) {
	// Spells away (DND, leaving the queues, coming back) run through the
	// CHS fields: an hour of traffic must never leave dndStatus on a User.
	f := newFloor(t, Config{CHS: true, Users: 60, CallsPerMinute: 60})
	f.step(0)
	f.run(time.Hour)
	f.p.mu.Lock()
	defer f.p.mu.Unlock()
	personal, off := 0, 0
	for _, e := range f.p.dir.Extensions {
		if e.Type != TypeUser {
			continue
		}
		p := &e.Presence
		if p.DNDStatus != "" || !oneOf(p.DNDPersonal, DNDTakeAll, DNDNoCalls) {
			t.Fatalf("%s: %+v", e.Name, p)
		}
		if p.DNDPersonal == DNDNoCalls {
			personal++
		}
		if !p.AcceptCQ && len(e.Queues) > 0 {
			off++
		}
	}
	if f.p.stats.Sim.StatusChanges == 0 {
		t.Fatal("no status changes in an hour")
	}
	b, _ := json.Marshal(map[string]int{"personalDND": personal, "agentsOff": off})
	t.Logf("after an hour: %s", b)
}
