package rc

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
)

// TestDecodeFrameAgreesWithDecodingInParts runs the fuzz target's oracle
// over frames shaped like the gateway's, with random fields, types,
// spacing and damage, in every default run (the fuzzer runs only seeds).
func TestDecodeFrameAgreesWithDecodingInParts(t *testing.T) {
	r := testRand(t)
	for i := 0; i < 1000; i++ {
		checkFrameAgainstParts(t, randomFrame(r))
	}
}

func randomFrame(r *rand.Rand) []byte {
	types := []string{frameServerNotification, frameServerNotification, frameServerNotification, frameClientRequest, frameConnectionDetails, frameHeartbeat, frameError, ""}
	typ := types[r.IntN(len(types))]
	header := map[string]any{"type": typ, "messageId": "m-" + strconv.Itoa(r.IntN(100)), "status": 200}
	if r.IntN(2) == 0 {
		header["headers"] = map[string]any{"RCRequestId": "r", "Content-Type": "application/json"}
	}
	if r.IntN(2) == 0 {
		header["wsc"] = map[string]any{"token": "w", "sequence": r.IntN(1000)}
	}
	if r.IntN(20) == 0 {
		header["status"] = "200" // a wrong type
	}
	parts := []any{header}
	switch r.IntN(6) {
	case 0: // header only
	case 1:
		parts = append(parts, nil)
	default:
		if typ == frameServerNotification {
			parts = append(parts, randomEnvelope(r))
		} else {
			parts = append(parts, map[string]any{"id": "s", "status": "Active", "eventFilters": []string{"/a"}})
		}
	}
	b, _ := json.Marshal(parts)
	if r.IntN(2) == 0 { // spacing wherever JSON allows it
		var out bytes.Buffer
		_ = json.Indent(&out, b, strings.Repeat(" ", r.IntN(3)), []string{"", " ", "\t", "\r\n"}[r.IntN(4)])
		b = out.Bytes()
	}
	if r.IntN(4) == 0 { // damage
		b = damage(r, b)
	}
	return b
}

func randomEnvelope(r *rand.Rand) map[string]any {
	env := map[string]any{}
	for k, v := range map[string]any{
		"uuid": "u-" + strconv.Itoa(r.IntN(1e6)), "event": randomEvent(r), "timestamp": "2026-03-02T14:07:31.482Z",
		"subscriptionId": "s", "ownerId": randomID(r),
	} {
		if r.IntN(10) > 0 {
			env[k] = v
		}
	}
	if r.IntN(20) == 0 {
		env["uuid"] = 7
	}
	if r.IntN(10) > 0 {
		env["body"] = randomBody(r)
	}
	return env
}

func randomEvent(r *rand.Rand) string {
	return []string{
		"/restapi/v1.0/account/1/extension/2/presence?detailedTelephonyState=true",
		"/restapi/v1.0/account/~/presence",
		"/restapi/v1.0/account/1/call-queues/77/presence",
		"/restapi/v1.0/account/1/extension/2/telephony/sessions",
		"/restapi/v1.0/account/1/extension",
	}[r.IntN(5)]
}

func randomID(r *rand.Rand) any {
	switch r.IntN(8) {
	case 0:
		return 62264425016 + r.IntN(100)
	case 1:
		return true // a wrong type
	case 2:
		return "\u0036\u0032" + strconv.Itoa(r.IntN(100)) // escapes on the wire
	}
	return strconv.Itoa(62264425016 + r.IntN(100))
}

func randomBody(r *rand.Rand) any {
	if r.IntN(30) == 0 {
		return []any{1, "x"}
	}
	pick := func(vs ...any) any { return vs[r.IntN(len(vs))] }
	body := map[string]any{}
	fields := map[string]func() any{
		"extensionId":      func() any { return randomID(r) },
		"sequence":         func() any { return pick(r.IntN(5000), r.IntN(5000), "x") },
		"telephonyStatus":  func() any { return pick("NoCall", "Ringing", "CallConnected", "OnHold") },
		"presenceStatus":   func() any { return pick("Available", "Busy", "Offline") },
		"userStatus":       func() any { return pick("Available", "Busy", 5) },
		"dndStatus":        func() any { return pick("TakeAllCalls", "DoNotAcceptAnyCalls") },
		"message":          func() any { return pick("Back at 3", "", "caf\u00e9 \"quoted\" \\\\ \x01", nil) },
		"totalActiveCalls": func() any { return pick(0, 1, 2, "2") },
		"activeCalls": func() any {
			var calls []any
			for range r.IntN(3) {
				calls = append(calls, map[string]any{"id": "c" + strconv.Itoa(r.IntN(99)), "direction": "Inbound",
					"startTime": pick("2019-09-05T06:13:35.305+0000", "2026-03-02T14:07:31.482Z", "soon"), "queueCall": pick(true, false, "yes")})
			}
			return calls
		},
		"records": func() any {
			return []any{map[string]any{"member": map[string]any{"id": randomID(r)}, "acceptCurrentQueueCalls": pick(true, false)}}
		},
		"callQueueId": func() any { return randomID(r) },
		"acceptCalls": func() any { return pick(true, false, nil) },
		"parties": func() any {
			return []any{map[string]any{"extensionId": "2", "status": map[string]any{"code": "Answered"}}}
		},
	}
	for k, f := range fields {
		if r.IntN(2) == 0 {
			body[k] = f()
		}
	}
	return body
}

// damage breaks a frame the way a bad peer or a bug might.
func damage(r *rand.Rand, b []byte) []byte {
	if len(b) == 0 {
		return b
	}
	i := r.IntN(len(b))
	switch r.IntN(4) {
	case 0:
		return b[:i]
	case 1:
		return append(b[:i:i], b[i+1:]...)
	case 2:
		c := "{}[],:\"\\ 0a"[r.IntN(11)]
		return append(b[:i:i], append([]byte{c}, b[i:]...)...)
	default:
		return append(b, b[i:]...)
	}
}
