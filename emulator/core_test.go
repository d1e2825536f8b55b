package emulator

import (
	"reflect"
	"slices"
	"strconv"
	"testing"
	"time"
)

func TestDirectoryIsDeterministicAndConsistent(t *testing.T) {
	cfg := Config{Users: 300, Queues: 6, Agents: 3, Seed: 42}.withDefaults()
	a, b := generateDirectory(cfg), generateDirectory(cfg)
	if len(a.Extensions) != 300+6+4 {
		t.Fatalf("got %d extensions, want 310", len(a.Extensions))
	}
	for i := range a.Extensions {
		x, y := a.Extensions[i], b.Extensions[i]
		if x.ID != y.ID || x.Name != y.Name || x.Number != y.Number || !reflect.DeepEqual(x.Presence, y.Presence) {
			t.Fatalf("extension %d differs between two runs with one seed: %+v vs %+v", i, x, y)
		}
	}
	other := generateDirectory(Config{Users: 300, Queues: 6, Agents: 3, Seed: 43}.withDefaults())
	if other.AccountID == a.AccountID && other.Extensions[5].Name == a.Extensions[5].Name {
		t.Fatalf("a different seed gave the same account")
	}
	if a.Receptionist.ID != a.AccountID || a.Receptionist.Number != "101" || !a.Receptionist.Admin {
		t.Fatalf("receptionist must be ext 101, an admin, with the account id: %+v", a.Receptionist)
	}
	if len(a.Receptionist.Queues) == 0 {
		t.Fatalf("receptionist should be in a queue")
	}
	numbers := map[string]bool{}
	for _, e := range a.Extensions {
		if numbers[e.Number] {
			t.Fatalf("duplicate extension number %s", e.Number)
		}
		numbers[e.Number] = true
		if e.Type == TypeUser && len(e.Queues) == 0 && e.Presence.DNDStatus == DNDNoDepartment {
			t.Fatalf("%s is in no queue but has DoNotAcceptDepartmentCalls", e.Name)
		}
	}
	if len(a.Agents) != 3 {
		t.Fatalf("want 3 agents, got %d", len(a.Agents))
	}
	for _, ag := range a.Agents {
		if ag.Admin || len(ag.Queues) < 2 {
			t.Fatalf("agent %s: admin=%v queues=%d; want a non-admin in 2+ queues", ag.Name, ag.Admin, len(ag.Queues))
		}
		locked := slices.ContainsFunc(ag.Queues, func(q *Queue) bool { return !q.EditableMemberStatus })
		if !locked {
			t.Fatalf("agent %s should be in a queue members cannot edit", ag.Name)
		}
	}
	// Extension list order is by number.
	for i := 1; i < len(a.Extensions); i++ {
		p, q := a.Extensions[i-1].Number, a.Extensions[i].Number
		pn, _ := strconv.Atoi(p)
		qn, _ := strconv.Atoi(q)
		if pn >= qn {
			t.Fatalf("extensions not ordered by number: %s before %s", p, q)
		}
	}
}

func TestNumberPlanNeverCollides(t *testing.T) {
	for _, n := range []int{2, 120, 599, 600, 5999, 6000, 10000, 100000} {
		u, q, o := numberPlan(n)
		if u+n-1 >= q || q >= o {
			t.Errorf("users=%d: users %d..%d, queues from %d, others from %d overlap", n, u, u+n-1, q, o)
		}
	}
}

func newTestPlatform(t *testing.T) *Platform {
	t.Helper()
	cfg := Config{Users: 20, Queues: 2, Seed: 3}.withDefaults()
	var fb faultBox
	p := newPlatform(cfg, &fb)
	p.base = "http://127.0.0.1:1"
	return p
}

func subscribe(t *testing.T, p *Platform, owner *Extension, filters ...string) (*Subscription, *captureSink) {
	t.Helper()
	s := &captureSink{}
	p.mu.Lock()
	defer p.mu.Unlock()
	sub, err := p.hub.create(&oauthSession{id: "s1", ext: owner, clientID: "app"}, filters, s)
	if err != nil {
		t.Fatalf("subscribe %v: %v", filters, err)
	}
	return sub, s
}

func TestTxBumpsSequenceOncePerChangedExtension(t *testing.T) {
	p := newTestPlatform(t)
	alice := p.dir.Extensions[3]
	_, sink := subscribe(t, p, p.dir.Receptionist, "/restapi/v1.0/account/~/presence?detailedTelephonyState=true")
	start := alice.Presence.Sequence

	busy, msg := StatusBusy, "At lunch"
	p.Mutate(func(tx *Tx) {
		_ = tx.ApplyPresence(alice, PresenceUpdate{UserStatus: &busy})
		_ = tx.ApplyPresence(alice, PresenceUpdate{Message: &msg})
	})
	if alice.Presence.Sequence != start+1 {
		t.Fatalf("two edits in one Tx must be one change: sequence %d -> %d", start, alice.Presence.Sequence)
	}
	if len(sink.got) != 1 {
		t.Fatalf("want 1 notification, got %d", len(sink.got))
	}
	// A no-op change emits nothing.
	p.Mutate(func(tx *Tx) { _ = tx.ApplyPresence(alice, PresenceUpdate{UserStatus: &busy}) })
	if alice.Presence.Sequence != start+1 || len(sink.got) != 1 {
		t.Fatalf("a no-op change bumped the sequence or notified")
	}
	body := sink.got[0].envelope["body"].(map[string]any)
	if body["userStatus"] != "Busy" || body["message"] != "At lunch" || body["sequence"] != float64(start+1) {
		t.Fatalf("body does not carry the change: %v", body)
	}
	if body["extensionId"] != alice.IDString() || body["totalActiveCalls"] != float64(0) {
		t.Fatalf("detailed body misses extensionId or totalActiveCalls: %v", body)
	}
	env := sink.got[0].envelope
	for _, k := range []string{"uuid", "event", "timestamp", "subscriptionId", "ownerId"} {
		if env[k] == nil || env[k] == "" {
			t.Fatalf("envelope lacks %s: %v", k, env)
		}
	}
}

func TestCallLegsAndEndedCallsInDetailedBodies(t *testing.T) {
	p := newTestPlatform(t)
	bob := p.dir.Extensions[4]
	_, sink := subscribe(t, p, p.dir.Receptionist,
		"/restapi/v1.0/account/~/extension/"+bob.IDString()+"/presence",
		"/restapi/v1.0/account/~/extension/"+bob.IDString()+"/presence?detailedTelephonyState=true")
	var leg *Leg
	p.Mutate(func(tx *Tx) {
		leg = p.NewLeg("", "Inbound")
		leg.From, leg.FromName, leg.To, leg.ToName, leg.Status = "+16505550101", "Globex Corp", bob.Number, bob.Name, TelRinging
		tx.AddLeg(bob, leg)
	})
	p.Mutate(func(tx *Tx) { tx.SetLegStatus(bob, leg, TelConnected) })
	p.Mutate(func(tx *Tx) { tx.EndLeg(bob, leg) })
	if len(sink.got) != 3 {
		t.Fatalf("want 3 notifications (detailed wins over simple, one each), got %d", len(sink.got))
	}
	wantTel := []string{TelRinging, TelConnected, TelNoCall}
	for i, c := range sink.got {
		body := c.envelope["body"].(map[string]any)
		if body["telephonyStatus"] != wantTel[i] {
			t.Fatalf("notification %d: telephonyStatus %v, want %s", i, body["telephonyStatus"], wantTel[i])
		}
		calls, _ := body["activeCalls"].([]any)
		if len(calls) != 1 {
			t.Fatalf("notification %d: want 1 active call entry, got %v", i, body["activeCalls"])
		}
		call := calls[0].(map[string]any)
		if i == 2 && (call["telephonyStatus"] != TelNoCall || call["terminationType"] != "final") {
			t.Fatalf("ended call must be NoCall/final: %v", call)
		}
		if c.envelope["event"] != "/restapi/v1.0/account/"+strconv.FormatInt(p.dir.AccountID, 10)+"/extension/"+bob.IDString()+"/presence?detailedTelephonyState=true" {
			t.Fatalf("event is the detailed filter with ids expanded, got %v", c.envelope["event"])
		}
	}
	if tot := sink.got[2].envelope["body"].(map[string]any)["totalActiveCalls"]; tot != float64(0) {
		t.Fatalf("after the end totalActiveCalls = %v, want 0", tot)
	}
}

func TestActiveCallsCappedAtSeven(t *testing.T) {
	p := newTestPlatform(t)
	carol := p.dir.Extensions[5]
	_, sink := subscribe(t, p, p.dir.Receptionist, "/restapi/v1.0/account/~/presence?detailedTelephonyState=true")
	p.Mutate(func(tx *Tx) {
		for i := 0; i < 9; i++ {
			l := p.NewLeg("", "Inbound")
			l.Status = TelOnHold
			tx.AddLeg(carol, l)
		}
	})
	body := sink.got[0].envelope["body"].(map[string]any)
	if n := len(body["activeCalls"].([]any)); n != 7 || body["totalActiveCalls"] != float64(9) {
		t.Fatalf("want 7 inline calls of 9 total, got %d of %v", n, body["totalActiveCalls"])
	}
}

func TestPartialBodiesFault(t *testing.T) {
	p := newTestPlatform(t)
	dave := p.dir.Extensions[6]
	_, sink := subscribe(t, p, p.dir.Receptionist, "/restapi/v1.0/account/~/extension/"+dave.IDString()+"/presence")
	p.faults.set(Faults{PartialBodies: true})
	msg := "Back at 3"
	p.Mutate(func(tx *Tx) { _ = tx.ApplyPresence(dave, PresenceUpdate{Message: &msg}) })
	body := sink.got[0].envelope["body"].(map[string]any)
	if body["message"] != msg || body["extensionId"] != dave.IDString() || body["sequence"] == nil {
		t.Fatalf("partial body lacks the change or its keys: %v", body)
	}
	for _, k := range []string{"userStatus", "dndStatus", "telephonyStatus"} {
		if _, ok := body[k]; ok {
			t.Fatalf("partial body carries unchanged %s: %v", k, body)
		}
	}
}

func TestFilterPermissionsAndExpansion(t *testing.T) {
	p := newTestPlatform(t)
	agent := p.dir.Agents[0]
	queue := p.dir.Queues[0]
	p.mu.Lock()
	defer p.mu.Unlock()
	sess := &oauthSession{id: "s", ext: agent, clientID: "app"}
	sub, err := p.hub.create(sess, []string{
		"/restapi/v1.0/account/~/presence?detailedTelephonyState=true",
		"/restapi/v1.0/account/~/extension/~/presence?detailedTelephonyState=true",
		"/restapi/v1.0/account/~/call-queues/" + queue.Ext.IDString() + "/presence",
	}, &captureSink{})
	if err != nil {
		t.Fatal(err)
	}
	info := p.hub.info(sub)
	acc := strconv.FormatInt(p.dir.AccountID, 10)
	want := []string{
		"/restapi/v1.0/account/" + acc + "/extension/" + agent.IDString() + "/presence?detailedTelephonyState=true",
		"/restapi/v1.0/account/" + acc + "/call-queues/" + queue.Ext.IDString() + "/presence",
	}
	if !reflect.DeepEqual(info.EventFilters, want) {
		t.Fatalf("eventFilters = %v, want %v", info.EventFilters, want)
	}
	if len(info.DisabledFilters) != 1 || info.DisabledFilters[0].Reason != "CMN-408" {
		t.Fatalf("an agent's account presence filter must be disabled: %+v", info.DisabledFilters)
	}
	if _, err := p.hub.create(sess, []string{"/restapi/v1.0/account/~/presence"}, &captureSink{}); err == nil || err.Status != 403 {
		t.Fatalf("only forbidden filters must be refused with 403, got %v", err)
	}
	if _, err := p.hub.create(sess, []string{"/restapi/v1.0/nonsense"}, &captureSink{}); err == nil || err.Code != "SUB-508" {
		t.Fatalf("invalid filter must give SUB-508, got %v", err)
	}
}

func TestSubscriptionCap(t *testing.T) {
	p := newTestPlatform(t)
	p.mu.Lock()
	defer p.mu.Unlock()
	sess := &oauthSession{id: "s", ext: p.dir.Receptionist, clientID: "app"}
	for i := 0; i < 30; i++ {
		if _, err := p.hub.create(sess, []string{"/restapi/v1.0/account/~/presence"}, &captureSink{}); err != nil {
			t.Fatalf("subscription %d: %v", i+1, err)
		}
	}
	if _, err := p.hub.create(sess, []string{"/restapi/v1.0/account/~/presence"}, &captureSink{}); err == nil || err.Code != "SUB-505" {
		t.Fatalf("31st subscription: want SUB-505, got %v", err)
	}
}

func TestLimiterPenaltyRestartsOnEveryRequest(t *testing.T) {
	l := newLimiter(map[Group]RateLimit{
		Heavy: {Limit: 2, Window: 10 * time.Second, Penalty: 5 * time.Second},
		Light: {Limit: 50, Window: time.Minute, Penalty: time.Minute},
	}, false)
	k := rateKey{user: 1, client: "c", group: Heavy}
	t0 := time.Unix(1000, 0)
	if r := l.take(k, t0); !r.Allowed || r.Remaining != 1 {
		t.Fatalf("first: %+v", r)
	}
	if r := l.take(k, t0.Add(time.Second)); !r.Allowed || r.Remaining != 0 {
		t.Fatalf("second: %+v", r)
	}
	if r := l.take(k, t0.Add(2*time.Second)); r.Allowed || r.RetryAfter != 5*time.Second {
		t.Fatalf("third must be refused with a 5 s penalty: %+v", r)
	}
	// A request 4 s into the penalty restarts it: 8 s later is still inside.
	if r := l.take(k, t0.Add(6*time.Second)); r.Allowed {
		t.Fatalf("request during the penalty allowed")
	}
	if r := l.take(k, t0.Add(10*time.Second)); r.Allowed {
		t.Fatalf("the penalty should have restarted at 6 s and run to 11 s")
	}
	if r := l.take(k, t0.Add(16*time.Second)); !r.Allowed {
		t.Fatalf("after a quiet penalty the request must pass: %+v", r)
	}
	// Other groups are unaffected.
	if r := l.take(rateKey{user: 1, client: "c", group: Light}, t0.Add(7*time.Second)); !r.Allowed {
		t.Fatalf("the Light group was blocked by Heavy's penalty")
	}
}
