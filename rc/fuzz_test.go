package rc

import (
	"bytes"
	"encoding/json"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"
)

// Seeds shared by the targets; the committed corpora in testdata/fuzz add
// the hostile shapes (not JSON, wrong types, huge frames, invalid UTF-8,
// deep nesting).
var frameSeeds = []string{
	`[{"type":"ConnectionDetails","messageId":"1","status":200,"wsc":{"token":"t","sequence":1},"headers":{"RCRequestId":"1"}},{"creationTime":"2020-09-07T21:50:02.737+0000","recoveryBufferSize":100,"recoveryTimeout":180,"idleTimeout":1800,"absoluteTimeout":86400}]`,
	`[{"type":"ServerNotification","messageId":"u","status":200,"wsc":{"token":"t","sequence":2}},{"uuid":"u","event":"/restapi/v1.0/account/1/extension/2/presence","timestamp":"2023-04-18T20:25:24.611Z","subscriptionId":"s","ownerId":"2","body":{"extensionId":"2","telephonyStatus":"NoCall","sequence":5}}]`,
	`[{"type":"ClientRequest","messageId":"m","status":200,"headers":{"X-Rate-Limit-Remaining":"3"}},{"id":"s","eventFilters":["/a"]}]`,
	`[{"type":"Heartbeat","messageId":"h"}]`,
	`[{"type":"Error"},{"errorCode":"WSG-902","message":"Idle timeout expired"}]`,
	`[{"type":"ClientRequest","messageId":"x","status":207},--Boundary_1\r\nContent-Type: application/json\r\n\r\n{}\r\n--Boundary_1--]`,
	`not json`, `[]`, `{}`, `[1]`, `[{"type":5}]`, `[{"type":"x","wsc":{"sequence":"NaN"}}]`,
}

func FuzzDecodeFrame(f *testing.F) {
	for _, s := range frameSeeds {
		f.Add([]byte(s))
	}
	for _, s := range realisticFrames() {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		fr, err := decodeFrame(data)
		if err == nil && fr.header.Type == "" {
			t.Fatalf("accepted a frame without a type")
		}
		checkFrameAgainstParts(t, data)
		checkFastFrame(t, data) // the hand-written path: what encoding/json makes, or declined
	})
}

// checkFrameAgainstParts holds the one-pass decoder to what decoding the
// whole array, then each part, accepted, and to what it read from it.
func checkFrameAgainstParts(t testing.TB, data []byte) {
	t.Helper()
	fr, err := decodeFrame(data)
	if bytes.Count(data, []byte("["))+bytes.Count(data, []byte("{")) > 9000 {
		return // near encoding/json's depth limit the outer array's level counts
	}
	ref, refErr := decodeFrameInParts(data)
	if (err == nil) != (refErr == nil) {
		t.Fatalf("%q: one pass: %v, in parts: %v", data, err, refErr)
	}
	if err != nil {
		return
	}
	want := ref.header
	if want.Type == frameServerNotification {
		want.Headers = nil // a notification's headers are not decoded (frameHeader.Headers)
	}
	if !reflect.DeepEqual(fr.header, want) {
		t.Fatalf("%q: header %+v, in parts %+v", data, fr.header, ref.header)
	}
	if fr.header.Type != frameServerNotification {
		if !bytes.Equal(fr.body, ref.body) || fr.note != nil {
			t.Fatalf("%q: body %q, in parts %q", data, fr.body, ref.body)
		}
		return
	}
	var old struct {
		Notification
		Body json.RawMessage `json:"body"`
	}
	oldOK := ref.body != nil && json.Unmarshal(ref.body, &old) == nil && old.UUID != ""
	if oldOK != (fr.note != nil) {
		t.Fatalf("%q: notification decoded: %v, in parts: %v", data, fr.note != nil, oldOK)
	}
	if !oldOK {
		return
	}
	n := fr.note
	if n.UUID != old.UUID || n.Event != old.Event || !n.Timestamp.Equal(old.Timestamp.Time) || n.SubscriptionID != old.SubscriptionID || n.OwnerID != old.OwnerID {
		t.Fatalf("%q: envelope %+v, in parts %+v", data, n, old.Notification)
	}
	if p, err := n.Presence(); err == nil {
		var q Presence
		if err := json.Unmarshal(old.Body, &q); err != nil || !reflect.DeepEqual(p, q) {
			t.Fatalf("%q: presence %+v, in parts %+v (%v)", data, p, q, err)
		}
	}
}

// decodeFrameInParts is how frames were decoded before the one pass: the
// array into raw parts, then the header, keeping the body raw.
func decodeFrameInParts(data []byte) (frame, error) {
	var parts []json.RawMessage
	if err := json.Unmarshal(data, &parts); err != nil || len(parts) == 0 || len(parts) > 2 {
		return frame{}, errBadFrame
	}
	var f frame
	if err := json.Unmarshal(parts[0], &f.header); err != nil || f.header.Type == "" {
		return frame{}, errBadFrame
	}
	if len(parts) == 2 && !bytes.Equal(bytes.TrimSpace(parts[1]), []byte("null")) {
		f.body = parts[1]
	}
	return f, nil
}

func FuzzNotification(f *testing.F) {
	f.Add("/restapi/v1.0/account/1/extension/2/presence?detailedTelephonyState=true",
		`{"extensionId":2,"sequence":9,"activeCalls":[{"id":"c","startTime":"2019-09-05T06:13:35.305+0000"}],"totalActiveCalls":1}`)
	f.Add("/restapi/v1.0/account/1/call-queues/7/presence", `{"records":[{"member":{"id":"5"},"acceptCurrentQueueCalls":true}]}`)
	f.Add("/restapi/v1.0/account/1/extension/5/presence", `{"extensionId":"5","callQueueId":"7","acceptCalls":false}`)
	f.Add("", `{"sequence":"x","message":7,"activeCalls":{}}`)
	f.Add("/restapi/v1.0/account/1/telephony/sessions", `{"sequence":4,"telephonySessionId":"s-1","eventTime":"x","accountId":1,"parties":[{"id":"p-1","status":{"code":"Parked","parkData":"*801"},"park":{"id":801}}]}`)
	f.Fuzz(func(t *testing.T, event, body string) {
		// The envelope as the gateway sends it, decoded as the reader does.
		n, err := ParseNotification(envelopeJSON(event, body))
		if err != nil {
			return
		}
		if k, q := kindByRegexp(n.Event); n.Kind() != k || (k == KindQueuePresence && n.queue != q) {
			t.Fatalf("kind %d queue %q, the regexps say %d %q", n.Kind(), n.queue, k, q)
		}
		if p, err := n.Presence(); err == nil {
			_ = p.Who()
		}
		if s, err := n.TelephonySession(); err == nil && s.ID == "" {
			t.Fatalf("a telephony session without an id: %+v", s)
		}
		changes, err := n.QueuePresence()
		if err == nil {
			for _, c := range changes {
				if c.QueueID == "" {
					t.Fatalf("a queue change without a queue: %+v", c)
				}
			}
		}
	})
}

func FuzzParseBatch(f *testing.F) {
	ok := "--Boundary_1_2_3\r\nContent-Type: application/json\r\n\r\n{\"response\":[{\"status\":200},{\"status\":404}]}\r\n" +
		"--Boundary_1_2_3\r\nContent-Type: application/json\r\n\r\n{\"extension\":{\"id\":1},\"presenceStatus\":\"Available\"}\r\n" +
		"--Boundary_1_2_3\r\nContent-Type: application/json\r\n\r\n{\"errorCode\":\"CMN-102\"}\r\n--Boundary_1_2_3--\r\n"
	f.Add("multipart/mixed; boundary=Boundary_1_2_3", ok)
	f.Add("multipart/mixed; boundary=Boundary_1_2_3", strings.ReplaceAll(ok, "\r\n", "\n"))
	f.Add("application/vnd.ringcentral.multipart+json", `[{"status":200,"body":{}},{"status":404,"body":{"errorCode":"CMN-102"}}]`)
	f.Add("multipart/mixed; boundary=x", "--x\r\n\r\nnot json\r\n--x--")
	f.Add("text/plain", "")
	f.Fuzz(func(t *testing.T, contentType, body string) {
		res, err := parseBatch(contentType, []byte(body))
		if err == nil && len(res) > maxParts {
			t.Fatalf("%d parts accepted", len(res))
		}
	})
}

func FuzzRESTDecoders(f *testing.F) {
	f.Add(`{"records":[{"id":1,"extensionNumber":"101","name":"A","contact":{"email":"a@b"}}],"navigation":{"nextPage":{"uri":"http://x"}}}`)
	f.Add(`{"access_token":"x","expires_in":3600,"owner_id":12}`)
	f.Add(`{"errorCode":"CMN-102","message":"m","errors":[{"errorCode":"CMN-102","parameterName":"extensionId"}]}`)
	f.Add(`{"error":"invalid_grant","error_description":"d"}`)
	f.Add(`{"errorCode":"CMN\n102","error":"bad\r\ngrant","message":"two\nlines"}`)
	f.Add(`{"records":[{"callQueue":{"id":5,"editableMemberStatus":"yes"},"acceptCalls":1}]}`)
	f.Fuzz(func(t *testing.T, body string) {
		b := []byte(body)
		var ext page[Extension]
		_ = json.Unmarshal(b, &ext)
		var p Presence
		_ = json.Unmarshal(b, &p)
		var ti TokenInfo
		_ = json.Unmarshal(b, &ti)
		var my struct{ Records []MyQueuePresence }
		_ = json.Unmarshal(b, &my)
		var cd ConnectionDetails
		_ = json.Unmarshal(b, &cd)
		ae := decodeAPIError(&http.Response{StatusCode: 400, Header: http.Header{"Retry-After": {body}}}, b)
		if ae.Status != 400 || strings.ContainsAny(ae.Error(), "\n\r") {
			t.Fatalf("bad APIError %q", ae.Error())
		}
	})
}

// FuzzIDAndTime holds the fast paths of ID and Time to what decoding the
// literal with encoding/json first gives.
func FuzzIDAndTime(f *testing.F) {
	for _, s := range []string{`"62264425016"`, `62264425016`, `null`, `"a\u0062c"`, `"é"`, "\"\xff\"", `007`, `-1`, `1e3`, `true`, `{}`,
		`"2019-09-05T06:13:35.305+0000"`, `"2016-02-18T09:37:24.597Z"`, `" 2016-02-18T09:37:24Z "`, `"\u0032016-02-18T09:37:24Z"`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if !json.Valid(b) {
			return // the decoder never hands a method invalid JSON
		}
		var id ID
		err := id.UnmarshalJSON(b)
		var want ID
		var s string
		var n json.Number
		var wantErr bool
		switch {
		case string(bytes.TrimSpace(b)) == "null":
		case json.Unmarshal(b, &s) == nil:
			want = ID(s)
		case json.Unmarshal(b, &n) == nil:
			want = ID(n.String())
		default:
			wantErr = true
		}
		if (err != nil) != wantErr || (err == nil && id != want) {
			t.Fatalf("%q: id %q (%v), want %q (error %v)", b, id, err, want, wantErr)
		}
		var tm Time
		if err := tm.UnmarshalJSON(b); err != nil {
			t.Fatalf("%q: Time never fails: %v", b, err)
		}
		var wantTime time.Time
		if json.Unmarshal(b, &s) == nil {
			wantTime = ParseTime(s)
		}
		if !tm.Equal(wantTime) {
			t.Fatalf("%q: time %v, want %v", b, tm.Time, wantTime)
		}
	})
}
