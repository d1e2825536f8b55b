package rc

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// checkFastFrame holds the hand-written decoder to encoding/json: when it
// takes a frame, the frame and everything read from it must be what
// decodeFrameRef makes of the same bytes, and must not share the bytes
// (the caller may reuse them). It reports whether the fast path took it.
func checkFastFrame(t testing.TB, data []byte) bool {
	t.Helper()
	in := bytes.Clone(data)
	fast, ok := fastDecodeFrame(in)
	if !ok {
		return false
	}
	for i := range in { // nothing decoded may alias the input
		in[i] = 'x'
	}
	ref, err := decodeFrameRef(data)
	if err != nil {
		t.Fatalf("%q: the fast path took a frame the reference refuses: %v", data, err)
	}
	if !reflect.DeepEqual(fast, ref) {
		t.Fatalf("%q:\nfast %s\nref  %s", data, dumpFrame(fast), dumpFrame(ref))
	}
	if (fast.note == nil) != (ref.note == nil) {
		t.Fatalf("%q: note %v, reference %v", data, fast.note != nil, ref.note != nil)
	}
	if fast.note == nil {
		return true
	}
	same := func(what string, a, b any, errA, errB error) {
		t.Helper()
		if !reflect.DeepEqual(a, b) || fmt.Sprint(errA) != fmt.Sprint(errB) {
			t.Fatalf("%q: %s %+v (%v), reference %+v (%v)", data, what, a, errA, b, errB)
		}
	}
	f, r := fast.note, ref.note
	same("kind", f.Kind(), r.Kind(), nil, nil)
	p1, e1 := f.Presence()
	p2, e2 := r.Presence()
	same("presence", p1, p2, e1, e2)
	q1, e1 := f.QueuePresence()
	q2, e2 := r.QueuePresence()
	same("queue presence", q1, q2, e1, e2)
	s1, e1 := f.TelephonySession()
	s2, e2 := r.TelephonySession()
	same("telephony session", s1, s2, e1, e2)
	c1, e1 := f.ExtensionChanges()
	c2, e2 := r.ExtensionChanges()
	same("extension changes", c1, c2, e1, e2)
	return true
}

func dumpFrame(f frame) string {
	s := fmt.Sprintf("%+v body=%q", f.header, f.body)
	if f.header.WSC != nil {
		s += fmt.Sprintf(" wsc=%+v", *f.header.WSC)
	}
	if n := f.note; n != nil {
		s += fmt.Sprintf(" note=%+v", *n)
		if n.body != nil {
			b, _ := json.Marshal(n.body)
			s += " body=" + string(b)
		}
	}
	return s
}

// realisticFrames are frames as the gateway and the emulator send them:
// the fast path must take every one (else the differential test could
// pass with a fast path that never runs).
func realisticFrames() []string {
	return []string{
		detailedPresenceFrame,
		telephonySessionFrame,
		frameSeeds[1],
		frameSeeds[3],
		// header only, null body
		`[{"type":"Heartbeat","messageId":"h"}]`,
		`[{"type":"ServerNotification","messageId":"m","status":200,"wsc":{"token":"t","sequence":3}},null]`,
		// a simple presence filter, and a CHS one
		`[{"type":"ServerNotification","messageId":"u1","status":200,"headers":{"Content-Type":"application/json","RCRequestId":"r"},"wsc":{"token":"t","sequence":9}},` +
			`{"uuid":"u1","event":"/restapi/v1.0/account/809646016/extension/62264425016/presence","timestamp":"2026-03-02T14:07:31.482Z","subscriptionId":"s","ownerId":"62264425001",` +
			`"body":{"extensionId":"62264425016","telephonyStatus":"NoCall","sequence":12,"presenceStatus":"Available","userStatus":"Available","dndStatus":"TakeAllCalls","meetingStatus":"Disconnected","allowSeeMyPresence":true,"ringOnMonitoredCall":false,"pickUpCallsOnHold":false}}]`,
		`[{"type":"ServerNotification","messageId":"u2","status":200,"wsc":{"token":"t","sequence":10}},` +
			`{"uuid":"u2","event":"/restapi/v1.0/account/~/extension/62264425017/presence","timestamp":"2019-09-05T06:13:35.305+0000","subscriptionId":"s","ownerId":62264425001,` +
			`"body":{"extension":{"uri":"https://x/ext/62264425017","id":62264425017,"extensionNumber":"1017"},"extensionId":62264425017,"sequence":3,"userStatus":"Busy","dndStatusPersonal":"DoNotAcceptAnyCalls","acceptCallQueueCalls":false,"message":"caf\u00e9 at 3 \u2615","telephonyStatus":"Ringing","activeCalls":[],"totalActiveCalls":0}}]`,
		// queue presence, DOCS and SPEC shapes
		`[{"type":"ServerNotification","messageId":"u3","status":200,"wsc":{"token":"t","sequence":11}},` +
			`{"uuid":"u3","event":"/restapi/v1.0/account/809646016/call-queues/62264425003/presence","timestamp":"2026-03-02T14:07:31.482Z","subscriptionId":"s","ownerId":"62264425001",` +
			`"body":{"records":[{"member":{"id":"62264425016","name":"Ana","extensionNumber":"1016"},"acceptQueueCalls":true,"acceptCurrentQueueCalls":false},{"member":{"id":62264425017},"acceptCurrentQueueCalls":true}]}}]`,
		`[{"type":"ServerNotification","messageId":"u4","status":200,"wsc":{"token":"t","sequence":12}},` +
			`{"uuid":"u4","event":"/restapi/v1.0/account/809646016/extension/62264425016/presence","timestamp":"2026-03-02T14:07:31.482Z","subscriptionId":"s","ownerId":"62264425001",` +
			`"body":{"extensionId":"62264425016","callQueueId":"62264425003","acceptCalls":true}}]`,
		// directory events, DOCS and SPEC shapes
		`[{"type":"ServerNotification","messageId":"u5","status":200,"wsc":{"token":"t","sequence":13}},` +
			`{"uuid":"u5","event":"/restapi/v1.0/account/809646016/extension","timestamp":"2026-03-02T14:07:31.482Z","subscriptionId":"s","ownerId":"62264425001",` +
			`"body":{"extensions":[{"extensionId":"62264425099","eventType":"Create"},{"extensionId":62264425016,"eventType":"Update","hints":["CompanyNumbers","AccountStatus"]}]}}]`,
		`[{"type":"ServerNotification","messageId":"u6","status":200,"wsc":{"token":"t","sequence":14}},` +
			`{"uuid":"u6","event":"/restapi/v1.0/account/809646016/extension/62264425016","timestamp":"2026-03-02T14:07:31.482Z","subscriptionId":"s","ownerId":"62264425001",` +
			`"body":{"extensionId":"62264425016","eventType":"Delete"}}]`,
		// telephony: parked (park id a number), gone with a peer, a party outside the account
		`[{"type":"ServerNotification","messageId":"u7","status":200,"wsc":{"token":"t","sequence":15}},` +
			`{"uuid":"u7","event":"/restapi/v1.0/account/809646016/telephony/sessions","timestamp":"2026-03-02T14:07:31.482Z","subscriptionId":"s","ownerId":"62264425001",` +
			`"body":{"sequence":9,"sessionId":"17133704004","telephonySessionId":"s-1","serverId":"10.13.22.81.TAM","eventTime":"2026-03-02T14:07:31.479Z","accountId":809646016,"parties":[` +
			`{"accountId":"809646016","extensionId":"62264425016","id":"p-1","direction":"Outbound","to":{"phoneNumber":"*801"},"from":{"phoneNumber":"+18445810019","name":"Ana Ruiz","extensionId":"62264425016","deviceId":"802398808016"},` +
			`"owner":{"accountId":"809646016","extensionId":"62264425016"},"status":{"code":"Parked","reason":"CallPark","parkData":"*801","rcc":false},"park":{"id":801},"missedCall":false,"standAlone":false,"muted":false},` +
			`{"id":"p-2","direction":"Inbound","to":{"phoneNumber":"+18445810019"},"from":{"phoneNumber":"+18775380038","name":"John Wang"},` +
			`"status":{"code":"Gone","reason":"BlindTransfer","description":"moved","peerId":{"sessionId":"1","telephonySessionId":"s-2","partyId":"p-9"}},"park":{},"missedCall":true,"standAlone":true,"muted":true}],` +
			`"origin":{"type":"RingOut"}}}]`,
		// DOCS code-samples/events/account-telephony-sessions.json (see
		// TestTelephonySessionNotificationFromTheDocsSample): numeric ids, a
		// +0000 time, an unknown nested mobilePickupData
		`[{"type":"ServerNotification","messageId":"u8","status":200,"wsc":{"token":"t","sequence":16}},` +
			`{"uuid":"u8","event":"/restapi/v1.0/account/400144452008/extension/400144455008/telephony/sessions","timestamp":"2018-06-05T00:14:50.147+0000","subscriptionId":"s","ownerId":"400144455008",` +
			`"body":{"sequence":5,"sessionId":"402936341008","telephonySessionId":"Y3MxNzE4NDE5MDM0MzQwMTgzODRAMTAuNjIuMjUuMTEx",
		"serverId":"10.62.25.111.TAM","eventTime":"2018-06-05T00:14:50.147+0000","accountId":400144452008,
		"parties":[{"extensionId":"400144455008","id":"cs171841903434018384-2","direction":"Inbound",
		"to":{"phoneNumber":"102","name":"Tom Sawyer","extensionId":"400144455008"},
		"from":{"phoneNumber":"103","name":"TheCat Jerry","extensionId":400144457008},
		"status":{"code":"Proceeding","mobilePickupData":{"ccMailboxes":["400144455008"]}},"park":{},
		"missedCall":false,"standAlone":false,"muted":false}],"origin":{"type":"Call"},"extensionId":"400144455008"}}]`,
		// what json.Marshal escapes (the emulator's event path: & as
		// \u0026), a quoted message, and sipData at the SIP detail level
		`[{"type":"ServerNotification","messageId":"u9","status":200,"wsc":{"token":"t","sequence":17}},` +
			`{"uuid":"u9","event":"/restapi/v1.0/account/1/extension/2/presence?detailedTelephonyState=true\u0026sipData=true","timestamp":"2026-03-02T14:07:31.482Z","subscriptionId":"s","ownerId":"2",` +
			`"body":{"extensionId":"2","sequence":6,"message":"\"On a call\" \u2014 back at 3","activeCalls":[{"id":"c1","direction":"Inbound","queueCall":false,"from":"+18775380038",` +
			`"startTime":"2026-03-02T14:01:12.322Z","telephonyStatus":"Ringing","sipData":{"callId":"s@10.13.22.81","toTag":"to-p","fromTag":"from-c1","remoteUri":"sip:+18775380038@sip.ringcentral.com","localUri":"sip:1016@sip.ringcentral.com"},` +
			`"sessionId":"1","telephonySessionId":"s-1","partyId":"p-1","callInfo":{"primary":{"type":"QueueName","value":"Support"},"additional":{"type":"CallerIdName","value":"John"}}}],"totalActiveCalls":1}}]`,
	}
}

func TestFastFrameTakesRealisticFrames(t *testing.T) {
	for _, s := range realisticFrames() {
		if !checkFastFrame(t, []byte(s)) {
			t.Errorf("the fast path declined a frame as the gateway sends it: %s", s)
		}
	}
}

// TestFastFrameAgreesWithReference mutates realistic frames (fields
// dropped, reordered, repeated, keys in another case, escapes, non-ASCII
// and invalid UTF-8, ids as numbers and numbers as strings, nulls, wrong
// types, unknown nested fields, odd numbers and times, spacing, damage)
// and holds the fast path to the reference on each. A few thousand cases
// by default; with -soak, as long as it says.
func TestFastFrameAgreesWithReference(t *testing.T) {
	r := testRand(t)
	bases := realisticFrames()
	var trees []*jnode
	for _, s := range bases {
		trees = append(trees, parseJNode(t, s))
	}
	deadline := time.Now().Add(*soak)
	var cases, taken, unmutated, unmutatedTaken int
	for i := 0; i < 4000 || time.Now().Before(deadline); i++ {
		var data []byte
		switch k := r.IntN(10); {
		case k == 0:
			data = randomFrame(r) // the one-pass test's generator
		default:
			tr := trees[r.IntN(len(trees))].clone()
			mutations := r.IntN(4)
			for range mutations {
				mutate(r, tr, 0)
			}
			data = tr.encode(r, mutations > 0)
			if r.IntN(12) == 0 {
				data = damage(r, data)
				mutations++
			}
			if mutations == 0 {
				unmutated++
			}
			if checkFastFrame(t, data) {
				taken++
				if mutations == 0 {
					unmutatedTaken++
				}
			}
			cases++
			continue
		}
		if checkFastFrame(t, data) {
			taken++
		}
		cases++
	}
	t.Logf("%d frames, %d taken by the fast path; unmutated %d/%d", cases, taken, unmutatedTaken, unmutated)
	if unmutatedTaken != unmutated {
		t.Fatalf("the fast path declined %d unmutated frames", unmutated-unmutatedTaken)
	}
	if taken < cases/4 {
		t.Fatalf("the fast path took only %d of %d frames", taken, cases)
	}
}

// jnode is a JSON value that keeps its members' order, so that tests can
// rearrange a frame and write it back with any spelling JSON allows.
type jnode struct {
	kind byte // 'o' object, 'a' array, 's' string, 'n' number, 'l' literal, 'r' raw JSON text
	keys []string
	kids []*jnode
	text string // a string's value, a number's or literal's text
}

func parseJNode(t testing.TB, s string) *jnode {
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	var read func() *jnode
	read = func() *jnode {
		tok, err := dec.Token()
		if err != nil {
			t.Fatalf("%s: %v", s, err)
		}
		switch v := tok.(type) {
		case json.Delim:
			n := &jnode{kind: 'a'}
			if v == '{' {
				n.kind = 'o'
			}
			for dec.More() {
				if n.kind == 'o' {
					k, _ := dec.Token()
					n.keys = append(n.keys, k.(string))
				}
				n.kids = append(n.kids, read())
			}
			_, _ = dec.Token()
			return n
		case string:
			return &jnode{kind: 's', text: v}
		case json.Number:
			return &jnode{kind: 'n', text: v.String()}
		case bool:
			return &jnode{kind: 'l', text: strconv.FormatBool(v)}
		default:
			return &jnode{kind: 'l', text: "null"}
		}
	}
	return read()
}

func (n *jnode) clone() *jnode {
	c := *n
	c.keys = append([]string(nil), n.keys...)
	c.kids = make([]*jnode, len(n.kids))
	for i, k := range n.kids {
		c.kids[i] = k.clone()
	}
	return &c
}

// encode writes the value; with odd set, with random spacing and escapes.
func (n *jnode) encode(r *rand.Rand, odd bool) []byte {
	var b bytes.Buffer
	n.write(&b, r, odd)
	return b.Bytes()
}

func (n *jnode) write(b *bytes.Buffer, r *rand.Rand, odd bool) {
	space := func() {
		if odd && r.IntN(6) == 0 {
			b.WriteString([]string{" ", "\t", "\r\n", "  \n "}[r.IntN(4)])
		}
	}
	space()
	switch n.kind {
	case 'o', 'a':
		open, end := "[", "]"
		if n.kind == 'o' {
			open, end = "{", "}"
		}
		b.WriteString(open)
		for i, k := range n.kids {
			if i > 0 {
				b.WriteByte(',')
			}
			if n.kind == 'o' {
				space()
				writeJSONString(b, n.keys[i], r, odd)
				space()
				b.WriteByte(':')
			}
			k.write(b, r, odd)
		}
		space()
		b.WriteString(end)
	case 's':
		writeJSONString(b, n.text, r, odd)
	default: // numbers, literals, raw text
		b.WriteString(n.text)
	}
	space()
}

// writeJSONString quotes s; with odd set it escapes characters at random
// (\uXXXX, surrogate pairs, the short forms), else only what must be.
// Invalid UTF-8 in s is written raw.
func writeJSONString(b *bytes.Buffer, s string, r *rand.Rand, odd bool) {
	escapeAll := odd && r.IntN(10) == 0
	b.WriteByte('"')
	for i := 0; i < len(s); {
		c, size := utf8.DecodeRuneInString(s[i:])
		raw := s[i : i+size]
		i += size
		switch {
		case c == utf8.RuneError && size == 1:
			b.WriteString(raw)
		case c == '"' || c == '\\':
			b.WriteString(`\` + raw)
		case c < 0x20:
			fmt.Fprintf(b, `\u%04x`, c)
		case escapeAll || odd && r.IntN(40) == 0:
			switch {
			case c == '/' && r.IntN(2) == 0:
				b.WriteString(`\/`)
			case c > 0xFFFF:
				c -= 0x10000
				fmt.Fprintf(b, `\u%04X\u%04x`, 0xD800+(c>>10), 0xDC00+(c&0x3FF))
			default:
				fmt.Fprintf(b, `\u%04x`, c)
			}
		default:
			b.WriteString(raw)
		}
	}
	b.WriteByte('"')
}

// oddStrings are string values that exercise unescaping and UTF-8.
var oddStrings = []string{
	"", " ", "café ☎", "😀 emoji", "\xff\xfe bad", "a\x00b", "tab\there", "new\nline", `quote " and \ backslash`,
	"\xed\xa0\x80", "\u2028", "<&>", "Inbound", "Busy", "NoCall", "Answered", "62264425016", "007", "-1",
	"2019-09-05T06:13:35.305+0000", " 2016-02-18T09:37:24Z ", "2016-02-18T09:37:24.597", "soon", "\uFFFD",
}

// oddValues are raw JSON values that exercise types and numbers.
var oddValues = []string{
	`null`, `true`, `false`, `0`, `-0`, `5`, `-5`, `1.5`, `1e3`, `1E-2`, `-0.0e+0`, `62264425016`, `123456789012345678`,
	`1234567890123456789`, `99999999999999999999`, `{}`, `[]`, `[null]`, `[{}]`, `{"x":[1,{"y":null}],"z":"\u00e9"}`,
	`"x"`, `"\ud83d\ude00"`, `"\ud83d"`, `"\ude00\ud83d"`, `"\ud83dx"`, `"\u0041\u00e9\/"`, `[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]`,
	strings.Repeat("[", 70) + strings.Repeat("]", 70), `{"a":{"b":{"c":{"d":{"e":{"f":{"g":{}}}}}}}}`,
}

// Raw values for oddFor, by the kind of value they replace: strings with
// escapes (lone and broken surrogates among them) and invalid ones,
// numbers of every form, literals.
var (
	oddRawStrings = []string{
		`"\ud83d"`, `"a\udc00b"`, `"\ud83d\ude00"`, `"\ud83d\u0041"`, `"\ud83d\n"`, `"\ud800\udbff"`, `"x\ud83d"`,
		`"\u00e9\/\b\f\n\r\t"`, `"\"q\""`, "\"\xff\"", "\"\xc3\"", `"\u0000"`, `"62264425\u0030"`, `"\u004e\u006fCall"`,
		`"\x"`, `"\u12"`, "\"tab\there\"", `"unterminated`, `"\uD83D\uDE00"`, `"\uDFFF"`, "\"\x1f\"", "\"\x7f\"",
	}
	oddRawNumbers = []string{
		`0`, `-0`, `-5`, `7`, `1.5`, `1e3`, `1E-2`, `-0.0e+0`, `123456789012345678`, `-123456789012345678`,
		`1234567890123456789`, `-9223372036854775808`, `9999999999999999999`, `99999999999999999999`, `01`, `-`, `1.`, `.5`, `1e`, `+1`, `"5"`, `"-1"`,
	}
	oddRawLiterals = []string{`true`, `false`, `null`, `nul`, `True`, `"true"`, `0`, `1`, `{}`, `[]`}
)

func raw(text string) *jnode { return &jnode{kind: 'r', text: text} }

// oddFor is a value to put where old was: mostly one of the same kind.
func oddFor(r *rand.Rand, old *jnode) *jnode {
	if r.IntN(4) == 0 {
		return raw(oddValues[r.IntN(len(oddValues))])
	}
	switch old.kind {
	case 's':
		if r.IntN(2) == 0 {
			return &jnode{kind: 's', text: oddStrings[r.IntN(len(oddStrings))]}
		}
		return raw(oddRawStrings[r.IntN(len(oddRawStrings))])
	case 'n':
		return raw(oddRawNumbers[r.IntN(len(oddRawNumbers))])
	case 'l':
		return raw(oddRawLiterals[r.IntN(len(oddRawLiterals))])
	}
	return raw(oddValues[r.IntN(len(oddValues))])
}

// mutate changes one thing somewhere in n.
func mutate(r *rand.Rand, n *jnode, depth int) {
	// Go down to a random container most of the time.
	if len(n.kids) > 0 && (depth == 0 || r.IntN(3) > 0) {
		i := r.IntN(len(n.kids))
		if c := n.kids[i]; (c.kind == 'o' || c.kind == 'a') && r.IntN(4) > 0 {
			mutate(r, c, depth+1)
			return
		}
	}
	if len(n.kids) == 0 {
		if n.kind == 'o' {
			n.keys = append(n.keys, "unknownField")
			n.kids = append(n.kids, &jnode{kind: 'n', text: "1"})
		}
		return
	}
	i := r.IntN(len(n.kids))
	switch r.IntN(14) {
	case 0: // drop
		n.kids = append(n.kids[:i], n.kids[i+1:]...)
		if n.kind == 'o' {
			n.keys = append(n.keys[:i], n.keys[i+1:]...)
		}
	case 1: // reorder
		j := r.IntN(len(n.kids))
		n.kids[i], n.kids[j] = n.kids[j], n.kids[i]
		if n.kind == 'o' {
			n.keys[i], n.keys[j] = n.keys[j], n.keys[i]
		}
	case 2: // repeat, with the same or another value
		c := n.kids[i].clone()
		if r.IntN(2) == 0 {
			c = oddFor(r, c)
		}
		n.kids = append(n.kids, c)
		if n.kind == 'o' {
			n.keys = append(n.keys, n.keys[i])
		}
	case 3: // a key in another case, or with a letter that folds to ASCII
		if n.kind == 'o' {
			k := n.keys[i]
			switch r.IntN(4) {
			case 0:
				k = strings.ToUpper(k)
			case 1:
				if k != "" {
					k = strings.ToUpper(k[:1]) + k[1:]
				}
			case 2:
				k = strings.Replace(strings.Replace(k, "k", "\u212a", 1), "s", "\u017f", 1)
			default:
				k += "x"
			}
			n.keys[i] = k
		}
	case 4, 5: // an odd string
		n.kids[i] = &jnode{kind: 's', text: oddStrings[r.IntN(len(oddStrings))]}
	case 6, 7: // an odd value, mostly of the same kind
		n.kids[i] = oddFor(r, n.kids[i])
	case 8: // a string of digits as a number, a number as a string
		switch c := n.kids[i]; c.kind {
		case 's':
			if digits([]byte(c.text)) {
				c.kind = 'n'
			}
		case 'n':
			c.kind = 's'
		}
	case 9: // null
		n.kids[i] = &jnode{kind: 'l', text: "null"}
	case 10: // an unknown field with something nested
		if n.kind == 'o' {
			n.keys = append(n.keys, []string{"sipData", "x-extra", "", "uri", "ext\u00e9"}[r.IntN(5)])
			n.kids = append(n.kids, raw(oddValues[r.IntN(len(oddValues))]))
		}
	case 11: // an escape-only change in a string value
		if c := n.kids[i]; c.kind == 's' {
			c.text += []string{"\u00e9", "\\", "\"", "/", "\U0001F600"}[r.IntN(5)]
		}
	case 12: // a whole container replaced by its wrong kind
		switch n.kids[i].kind {
		case 'o':
			n.kids[i] = &jnode{kind: 'a', kids: n.kids[i].kids}
		case 'a':
			n.kids[i] = &jnode{kind: 'o'}
		}
	default: // empty a container
		if c := n.kids[i]; c.kind == 'o' || c.kind == 'a' {
			c.kids, c.keys = nil, nil
		}
	}
}
