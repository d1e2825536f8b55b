package rc

import (
	"encoding/json"
	"fmt"
	"regexp"
	"testing"
)

// envelopeJSON wraps a body in a notification envelope for event.
func envelopeJSON(event, body string) []byte {
	ev, _ := json.Marshal(event)
	return []byte(`{"uuid":"u-1","event":` + string(ev) + `,"timestamp":"2026-01-01T00:00:00.000Z","subscriptionId":"s","ownerId":"1","body":` + body + `}`)
}

// mustNotification decodes a notification the way the stream does.
func mustNotification(t *testing.T, event, body string) *Notification {
	t.Helper()
	n, err := ParseNotification(envelopeJSON(event, body))
	if err != nil {
		t.Fatalf("parse %s %s: %v", event, body, err)
	}
	return n
}

func TestNotificationEnvelopeAndBodyDecodeTogether(t *testing.T) {
	n := mustNotification(t, "/restapi/v1.0/account/1/extension/2/presence?detailedTelephonyState=true",
		`{"extensionId":2,"sequence":9,"userStatus":"Busy","activeCalls":[{"id":"c","startTime":"2019-09-05T06:13:35.305+0000"}],"totalActiveCalls":1}`)
	if n.UUID != "u-1" || n.SubscriptionID != "s" || n.OwnerID != "1" || n.Timestamp.IsZero() || n.Kind() != KindPresence {
		t.Fatalf("envelope: %+v", n)
	}
	p, err := n.Presence()
	if err != nil || p.Who() != "2" || *p.Sequence != 9 || *p.UserStatus != "Busy" || len(p.ActiveCalls) != 1 ||
		p.ActiveCalls[0].StartTime.IsZero() || p.DNDStatus != nil {
		t.Fatalf("body: %+v %v", p, err)
	}
}

func TestNotificationBodyThatDoesNotFitKeepsTheEnvelope(t *testing.T) {
	// A body whose values do not fit the types the client reads: the
	// notification still arrives, and only reading its body fails.
	for _, body := range []string{`{"sequence":"x"}`, `{"extensionId":true}`, `{"records":{}}`, `[]`, `"text"`} {
		n, err := ParseNotification(envelopeJSON("/restapi/v1.0/account/1/extension/2/presence", body))
		if err != nil || n.UUID != "u-1" || n.Kind() != KindPresence {
			t.Fatalf("%s: envelope lost: %+v %v", body, n, err)
		}
		if _, err := n.Presence(); err == nil {
			t.Errorf("%s: Presence must fail", body)
		}
		if _, err := n.QueuePresence(); err == nil {
			t.Errorf("%s: QueuePresence must fail", body)
		}
	}
	for _, body := range []string{`null`, ``} {
		raw := `{"uuid":"u","event":"/presence","body":` + body + `}`
		if body == "" {
			raw = `{"uuid":"u","event":"/presence"}`
		}
		n, err := ParseNotification([]byte(raw))
		if err != nil {
			t.Fatalf("%s: %v", raw, err)
		}
		if _, err := n.Presence(); err == nil {
			t.Errorf("%s: a notification without a body has no presence", raw)
		}
	}
	for _, bad := range []string{`{"uuid":7,"body":{}}`, `{"uuid":"u","ownerId":true}`, `{"event":"/presence","body":{}}`, `[]`, `{"uuid":"u"`, `{"uuid":"u"} {}`} {
		if n, err := ParseNotification([]byte(bad)); err == nil {
			t.Errorf("%s accepted: %+v", bad, n)
		}
	}
}

// The event-path patterns Kind stood for when it used regexps.
var (
	sessionsPath      = regexp.MustCompile(`/telephony/sessions(\?|$)`)
	queuePresencePath = regexp.MustCompile(`/call-queues/([^/?]+)/presence(\?|$)`)
	presencePath      = regexp.MustCompile(`/presence(\?|$)`)
)

// kindByRegexp is the oracle kindOf must agree with on event paths.
func kindByRegexp(event string) (NotificationKind, ID) {
	if sessionsPath.MatchString(event) {
		return KindTelephonySession, ""
	}
	if m := queuePresencePath.FindStringSubmatch(event); m != nil {
		return KindQueuePresence, ID(m[1])
	}
	if presencePath.MatchString(event) {
		return KindPresence, ""
	}
	return KindOther, ""
}

func TestKindMatchesEventPathsLoosely(t *testing.T) {
	for _, c := range []struct {
		event string
		kind  NotificationKind
		queue ID
	}{
		{"/restapi/v1.0/account/~/extension/1/presence?detailedTelephonyState=true", KindPresence, ""},
		{"/restapi/v1.0/account/809646016/presence?detailedTelephonyState=true&sipData=true", KindPresence, ""},
		{"/restapi/v1.0/account/~/extension/6610372004/presence", KindPresence, ""},
		{"/restapi/v1.0/account/1/call-queues/77/presence", KindQueuePresence, "77"},
		{"/restapi/v1.0/account/1/call-queues/77/presence?x=1", KindQueuePresence, "77"},
		{"/restapi/v1.0/account/1/call-queues//presence", KindPresence, ""},
		{"/restapi/v1.0/account/1/call-queues/7/8/presence", KindPresence, ""},
		{"/call-queues/1/x/call-queues/2/presence", KindQueuePresence, "2"},
		{"/restapi/v1.0/account/~/extension/1/presence/line", KindOther, ""},
		{"/restapi/v1.0/account/~/extension/1/message-store", KindOther, ""},
		{"/restapi/v1.0/account/~/extension/1/presencex", KindOther, ""},
		{"", KindOther, ""},
	} {
		kind, queue := kindOf(c.event)
		if kind != c.kind || queue != c.queue {
			t.Errorf("%q: kind %d queue %q, want %d %q", c.event, kind, queue, c.kind, c.queue)
		}
		if k, q := kindByRegexp(c.event); k != kind || q != queue {
			t.Errorf("%q: the regexps say %d %q", c.event, k, q)
		}
	}
}

func TestExtensionListEventsInBothShapes(t *testing.T) {
	for _, tc := range []struct {
		name, event, body string
		want              []ExtensionChange
	}{
		{"docs list", "/restapi/v1.0/account/9/extension", `{"extensions":[{"extensionId":"12","eventType":"Create","hints":["CompanyNumbers"]},{"extensionId":"13","eventType":"Delete"}]}`,
			[]ExtensionChange{{ExtensionID: "12", EventType: "Create", Hints: []string{"CompanyNumbers"}}, {ExtensionID: "13", EventType: "Delete"}}},
		{"spec list", "/restapi/v1.0/account/9/extension?foo=1", `{"extensionId":"14","eventType":"Update","ownerId":"1"}`,
			[]ExtensionChange{{ExtensionID: "14", EventType: "Update"}}},
		{"info", "/restapi/v1.0/account/9/extension/15", `{"extensionId":"15","eventType":"Update"}`,
			[]ExtensionChange{{ExtensionID: "15", EventType: "Update"}}},
	} {
		n, err := ParseNotification([]byte(`{"uuid":"u","event":"` + tc.event + `","body":` + tc.body + `}`))
		if err != nil || n.Kind() != KindExtensionList {
			t.Fatalf("%s: kind %v, %v", tc.name, n.Kind(), err)
		}
		got, err := n.ExtensionChanges()
		if err != nil || fmt.Sprint(got) != fmt.Sprint(tc.want) {
			t.Fatalf("%s: %+v, %v; want %+v", tc.name, got, err, tc.want)
		}
	}
	for _, event := range []string{"/restapi/v1.0/account/9/extension/15/presence", "/restapi/v1.0/account/9/extension/15/telephony/sessions",
		"/restapi/v1.0/account/9/extension/15/favorite", "/restapi/v1.0/account/9/call-queues/3/presence"} {
		if kind, _ := kindOf(event); kind == KindExtensionList {
			t.Fatalf("%s is no directory event", event)
		}
	}
}
