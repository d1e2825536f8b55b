package emulator

import (
	"encoding/json"
	"slices"
	"strconv"
	"testing"
)

func TestTelephonySessionFiltersAndWhoSeesWhat(t *testing.T) {
	f := newRESTFixture(t, Config{})
	acc := strconv.FormatInt(f.e.p.dir.AccountID, 10)
	f.e.p.mu.Lock()
	sess, _ := f.e.p.sessionForAccess(f.agent)
	sub, ae := f.e.p.hub.create(sess, []string{
		acct + "/telephony/sessions",
		acct + "/extension/~/telephony/sessions",
		acct + "/extension/" + f.rec.IDString() + "/telephony/sessions",
	}, &captureSink{})
	f.e.p.mu.Unlock()
	if ae != nil {
		t.Fatal(ae)
	}
	info := f.e.p.hub.info(sub)
	if !slices.Equal(info.EventFilters, []string{"/restapi/v1.0/account/" + acc + "/extension/" + f.ag.IDString() + "/telephony/sessions"}) {
		t.Fatalf("the agent keeps only their own filter, ~ expanded: %v", info.EventFilters)
	}
	reasons := []string{info.DisabledFilters[0].Reason, info.DisabledFilters[1].Reason}
	if len(info.DisabledFilters) != 2 || !slices.Equal(reasons, []string{"CMN-402", "CMN-404"}) {
		t.Fatalf("account-wide needs an admin, another's sessions are not the agent's: %+v", info.DisabledFilters)
	}

	// The receptionist (an admin) may watch the agent's sessions; the
	// agent's own filter sees only the agent's parties.
	_, recSink := f.capture(t, f.admin, acct+"/extension/"+f.ag.IDString()+"/telephony/sessions")
	_, agSink := f.capture(t, f.agent, acct+"/extension/~/telephony/sessions")
	_, allSink := f.capture(t, f.admin, acct+"/telephony/sessions", acct+"/extension/~/telephony/sessions")
	ref := f.ringVia(t, f.rec, "")
	f.mustAct(t, f.admin, ref.TelephonySessionID, ref.PartyID, "answer", map[string]any{"deviceId": f.desk(f.rec)}, 200)
	f.mustAct(t, f.admin, ref.TelephonySessionID, ref.PartyID, "transfer", map[string]any{"extensionId": f.ag.IDString()}, 200)

	for name, sink := range map[string]*captureSink{"the admin on the agent": recSink, "the agent on themselves": agSink} {
		evs := f.sessionEvents(t, sink)
		if got := statusesOf(evs, evs[0].body.Parties[0].ID); !slices.Equal(got, []string{PartySetup, PartyProceeding}) || len(evs) != 2 {
			t.Fatalf("%s: %d events, the agent's party went %v", name, len(evs), got)
		}
	}
	// A subscription with both the account-wide filter and its own gets
	// each event once, under the most specific filter.
	evs := f.sessionEvents(t, allSink)
	seen := map[int64]bool{}
	for _, ev := range evs {
		if seen[ev.body.Sequence] {
			t.Fatalf("event %d delivered twice", ev.body.Sequence)
		}
		seen[ev.body.Sequence] = true
		if p := ev.body.Parties[0]; p.ExtensionID == f.rec.IDString() && ev.event != "/restapi/v1.0/account/"+acc+"/extension/"+f.rec.IDString()+"/telephony/sessions" {
			t.Fatalf("the receptionist's own party came as %s", ev.event)
		}
	}
	if len(evs) < 8 {
		t.Fatalf("only %d events on the account", len(evs))
	}
}

func TestTelephonySessionEventsOverTheWebSocket(t *testing.T) {
	fx := newWSFixture(t, Config{})
	c, _ := fx.connect(t, "")
	f := c.request(t, "POST", subscriptionPath, map[string]any{
		"eventFilters": []string{"/restapi/v1.0/account/~/telephony/sessions", "/restapi/v1.0/account/~/extension/~/presence?detailedTelephonyState=true"},
		"deliveryMode": map[string]any{"transportType": "WebSocket"},
	})
	if f.Header.Status != 200 {
		t.Fatalf("subscribe: %s", f.Raw)
	}
	subID, _ := f.bodyMap(t)["id"].(string)
	ref, err := fx.e.RingingCall(fx.extID, CallerInfo{Number: "+14155550142", Name: "Globex Corp"}, RingOptions{MainLine: true})
	if err != nil {
		t.Fatal(err)
	}
	// Caller Setup, the receptionist's party Setup and Proceeding, the
	// caller Proceeding, and the presence change: five notifications.
	var parties []string
	presence := 0
	for range 5 {
		fr := c.expect(t, typeNotification)
		n := fr.notification(t)
		if n.SubscriptionID != subID {
			t.Fatalf("notification for subscription %s", n.SubscriptionID)
		}
		var body struct {
			TelephonySessionID string `json:"telephonySessionId"`
			Parties            []struct {
				ID     string `json:"id"`
				Status struct {
					Code string `json:"code"`
				} `json:"status"`
			} `json:"parties"`
			ActiveCalls []activeCall `json:"activeCalls"`
		}
		var env struct {
			Body json.RawMessage `json:"body"`
		}
		mustJSON(t, fr.Body, &env)
		mustJSON(t, env.Body, &body)
		if len(body.ActiveCalls) == 1 {
			presence++
			if body.ActiveCalls[0].PartyID != ref.PartyID || body.ActiveCalls[0].TelephonySessionID != ref.TelephonySessionID {
				t.Fatalf("presence names another party: %+v", body.ActiveCalls[0])
			}
			continue
		}
		if body.TelephonySessionID != ref.TelephonySessionID {
			t.Fatalf("event for session %s", body.TelephonySessionID)
		}
		parties = append(parties, body.Parties[0].ID+" "+body.Parties[0].Status.Code)
	}
	want := []string{ref.CallerPartyID + " Setup", ref.PartyID + " Setup", ref.PartyID + " Proceeding", ref.CallerPartyID + " Proceeding"}
	if presence != 1 || !slices.Equal(parties, want) {
		t.Fatalf("telephony events %v (want %v), %d presence", parties, want, presence)
	}
}
