package rc

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestIDAcceptsStringsAndNumbers(t *testing.T) {
	var v struct {
		A, B, C ID
	}
	if err := json.Unmarshal([]byte(`{"A":"62264425016","B":62264425016,"C":null}`), &v); err != nil {
		t.Fatal(err)
	}
	if v.A != "62264425016" || v.B != "62264425016" || v.C != "" {
		t.Fatalf("got %+v", v)
	}
	if err := json.Unmarshal([]byte(`{"A":true}`), &v); err == nil {
		t.Fatalf("a boolean id must be an error")
	}
}

func TestTimeAcceptsRingCentralForms(t *testing.T) {
	want := time.Date(2019, 9, 5, 6, 13, 35, 305e6, time.UTC)
	for _, s := range []string{"2019-09-05T06:13:35.305Z", "2019-09-05T06:13:35.305+0000", "2019-09-05T08:13:35.305+02:00"} {
		if got := ParseTime(s); !got.Equal(want) {
			t.Errorf("%s parsed as %v", s, got)
		}
	}
	var v struct{ T Time }
	if err := json.Unmarshal([]byte(`{"T":"yesterday"}`), &v); err != nil || !v.T.IsZero() {
		t.Fatalf("an unparseable time must decode to zero without failing: %v %v", v.T, err)
	}
}

func TestPresenceKeepsAbsentFieldsNil(t *testing.T) {
	var p Presence
	if err := json.Unmarshal([]byte(`{"extensionId":"1","sequence":7,"message":"","dndStatus":"SomeFutureValue","newField":1}`), &p); err != nil {
		t.Fatal(err)
	}
	if p.UserStatus != nil || p.TelephonyStatus != nil || p.ActiveCalls != nil {
		t.Fatalf("absent fields must stay nil: %+v", p)
	}
	if p.Message == nil || *p.Message != "" || *p.Sequence != 7 || *p.DNDStatus != "SomeFutureValue" || p.Who() != "1" {
		t.Fatalf("present fields lost: %+v", p)
	}
	var q Presence
	_ = json.Unmarshal([]byte(`{"extension":{"id":5},"activeCalls":[]}`), &q)
	if q.Who() != "5" || q.ActiveCalls == nil {
		t.Fatalf("an empty activeCalls must be present-but-empty and the id taken from extension: %+v", q)
	}
}

func TestParseBatchLFAndCRLF(t *testing.T) {
	body := "--Boundary_1_2_3\n" +
		"Content-Type: application/json\n\n" +
		`{"response":[{"href":"x","status":200},{"href":"y","status":404}]}` + "\n" +
		"--Boundary_1_2_3\n" +
		"Content-Type: application/json\n\n" +
		`{"extension":{"id":1},"presenceStatus":"Available"}` + "\n" +
		"--Boundary_1_2_3\n" +
		"Content-Type: application/json\n\n" +
		`{"errorCode":"CMN-102","message":"Resource for parameter [extensionId] is not found","errors":[{"errorCode":"CMN-102","message":"not found"}]}` + "\n" +
		"--Boundary_1_2_3--\n"
	for name, b := range map[string]string{"LF": body, "CRLF": strings.ReplaceAll(body, "\n", "\r\n")} {
		res, err := parseBatch("multipart/mixed; boundary=Boundary_1_2_3", []byte(b))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if len(res) != 2 || res[0].Err != nil || *res[0].Presence.PresenceStatus != "Available" {
			t.Fatalf("%s: first part wrong: %+v", name, res)
		}
		var ae *APIError
		if !errors.As(res[1].Err, &ae) || ae.Status != 404 || ae.Code != "CMN-102" {
			t.Fatalf("%s: second part should be a 404 CMN-102, got %v", name, res[1].Err)
		}
	}
	js := `[{"resourceId":"1","status":200,"body":{"presenceStatus":"Busy"}},{"resourceId":"2","status":404,"body":{"errorCode":"CMN-102"}}]`
	res, err := parseBatch("application/vnd.ringcentral.multipart+json", []byte(js))
	if err != nil || len(res) != 2 || *res[0].Presence.PresenceStatus != "Busy" || res[1].Err == nil {
		t.Fatalf("JSON batch form: %+v %v", res, err)
	}
	for _, bad := range []string{"", "--Boundary_1_2_3--", "garbage"} {
		if _, err := parseBatch("multipart/mixed; boundary=Boundary_1_2_3", []byte(bad)); err == nil {
			t.Fatalf("%q accepted", bad)
		}
	}
	if _, err := parseBatch("text/html", []byte("<html>")); err == nil {
		t.Fatalf("a non-multipart batch answer must be an error")
	}
}

func TestDecodeFrame(t *testing.T) {
	f, err := decodeFrame([]byte(`[{"type":"ServerNotification","messageId":"1","status":200,"wsc":{"token":"t","sequence":4}},{"uuid":"u","body":{"extensionId":5}}]`))
	if err != nil || f.header.Type != "ServerNotification" || f.header.WSC.Sequence != 4 || f.note == nil || f.note.UUID != "u" {
		t.Fatalf("got %+v %v", f, err)
	}
	if p, err := f.note.Presence(); err != nil || p.Who() != "5" {
		t.Fatalf("the notification's body is decoded with the frame: %+v %v", p, err)
	}
	f, err = decodeFrame([]byte(" [ {\"type\":\"ClientRequest\",\"messageId\":\"m\",\"status\":200} ,\n {\"id\":\"s\"} ]\n"))
	if err != nil || f.header.MessageID != "m" || string(f.body) != `{"id":"s"}` || f.note != nil {
		t.Fatalf("other frames keep their raw body: %+v %v", f, err)
	}
	// A notification frame whose body is JSON but no envelope still counts
	// for its wsc; one that is not JSON is rejected whole.
	if f, err := decodeFrame([]byte(`[{"type":"ServerNotification","wsc":{"token":"t","sequence":5}},{"uuid":7}]`)); err != nil || f.note != nil || f.header.WSC == nil {
		t.Fatalf("a notification without an envelope: %+v %v", f, err)
	}
	if _, err := decodeFrame([]byte(`[{"type":"ServerNotification"},{"uuid":"u",}]`)); err == nil {
		t.Fatalf("a notification that is not JSON was accepted")
	}
	if f, err := decodeFrame([]byte(`[{"type":"Heartbeat","messageId":"x"}]`)); err != nil || f.body != nil {
		t.Fatalf("header-only frame: %+v %v", f, err)
	}
	for _, bad := range []string{``, `{}`, `[]`, `[1,2]`, `[{"type":""}]`, `[{},{},{}]`, `not json`, `[{"type":"x"},{`,
		`[{"type":"x"},{},{}]`, `[{"type":"x"}]]`, `[{"type":"x"}] x`, `[{"type":"x"},]`, `[{"type":"x"} {}]`, `[{"type":"x"},1 2]`,
		`[{"type":"x","a":"}"}`, `[{"type":"x"},{"a":"\u00"}]`, `[{"type":"ServerNotification"},{"uuid":"u"},{}]`} {
		if _, err := decodeFrame([]byte(bad)); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestQueuePresenceBothShapes(t *testing.T) {
	docs := mustNotification(t, "/restapi/v1.0/account/1/call-queues/77/presence",
		`{"records":[{"member":{"id":"5"},"acceptCurrentQueueCalls":false},{"member":{"id":6},"acceptCurrentQueueCalls":true}]}`)
	got, err := docs.QueuePresence()
	if err != nil || len(got) != 2 || got[0] != (QueueMemberChange{"77", "5", false}) || got[1] != (QueueMemberChange{"77", "6", true}) {
		t.Fatalf("docs shape: %+v %v", got, err)
	}
	spec := mustNotification(t, "/restapi/v1.0/account/1/extension/5/presence", `{"extensionId":"5","callQueueId":"77","acceptCalls":true}`)
	got, err = spec.QueuePresence()
	if err != nil || len(got) != 1 || got[0] != (QueueMemberChange{"77", "5", true}) {
		t.Fatalf("spec shape: %+v %v", got, err)
	}
	if docs.Kind() != KindQueuePresence {
		t.Fatalf("queue presence kind")
	}
	acct := Notification{Event: "/restapi/v1.0/account/~/extension/1/presence?detailedTelephonyState=true"}
	if acct.Kind() != KindPresence {
		t.Fatalf("presence kind")
	}
	if (&Notification{Event: "/restapi/v1.0/account/~/extension/1/message-store"}).Kind() != KindOther {
		t.Fatalf("other kind")
	}
}

// testClock is a settable clock.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func TestSeqTrackerKeepsTheLastContiguousFrame(t *testing.T) {
	clock := &testClock{t: time.Unix(100, 0)}
	tr := seqTracker{timeout: 5 * time.Second, now: clock.Now}
	tr.reset(wsc{Token: "t1", Sequence: 1}, false)
	for _, s := range []int64{2, 3, 5, 6} { // 4 is delayed
		if tr.saw(wsc{Token: "t" + string(rune('0'+s)), Sequence: s}) {
			t.Fatalf("a fresh hole reported as a loss")
		}
	}
	if w := tr.recovery(); w.Sequence != 3 {
		t.Fatalf("recovery must name the last frame before the hole, got %d", w.Sequence)
	}
	tr.saw(wsc{Token: "t4", Sequence: 4})
	if w := tr.recovery(); w.Sequence != 6 || w.Token != "t6" {
		t.Fatalf("the delayed frame should close the hole: %+v", w)
	}
	tr.saw(wsc{Token: "t9", Sequence: 9})
	clock.Advance(4 * time.Second)
	if tr.expire() {
		t.Fatalf("hole reported before the timeout")
	}
	// A steady trickle of new holes, each closed in time, is not a loss:
	// only the age of the oldest waiting frame counts.
	tr.saw(wsc{Token: "t7", Sequence: 7})
	tr.saw(wsc{Token: "t8", Sequence: 8})
	tr.saw(wsc{Token: "t11", Sequence: 11})
	clock.Advance(4 * time.Second)
	if tr.expire() {
		t.Fatalf("a hole closed in time, then a new 4 s old one, reported as a loss")
	}
	clock.Advance(2 * time.Second)
	if !tr.expire() {
		t.Fatalf("a lasting hole must be reported")
	}
	if w := tr.recovery(); w.Sequence != 11 {
		t.Fatalf("after a reported loss recovery moves past the hole, got %d", w.Sequence)
	}
	if tr.saw(wsc{Token: "t11", Sequence: 11}) || tr.saw(wsc{Token: "t2", Sequence: 2}) {
		t.Fatalf("duplicates and old frames are not holes")
	}
	// After a recovery the replay is in order: a first frame past the next
	// sequence is a loss at once.
	tr.reset(wsc{Token: "r20", Sequence: 20}, true)
	if !tr.saw(wsc{Token: "r25", Sequence: 25}) {
		t.Fatalf("a replay starting past the hole must be reported at once")
	}
	tr.reset(wsc{Token: "r20", Sequence: 20}, true)
	if tr.saw(wsc{Token: "r21", Sequence: 21}) || tr.saw(wsc{Token: "r23", Sequence: 23}) {
		t.Fatalf("an in-order replay start is not a loss; later holes wait for the timeout")
	}
}

func TestGovernorWaitsForBudgetAndPenalty(t *testing.T) {
	clock := &testClock{t: time.Unix(1000, 0)}
	g := newGovernor(clock.Now, nil)
	h := http.Header{}
	h.Set("X-Rate-Limit-Limit", "3")
	h.Set("X-Rate-Limit-Remaining", "2")
	h.Set("X-Rate-Limit-Window", "10")
	g.observe(Heavy, h)
	ctx := context.Background()
	// The server said 2 remain: 2 go now, the third waits for the window.
	for i := 0; i < 2; i++ {
		if d := g.waitLocked(Heavy, prioBackground); d != 0 {
			t.Fatalf("request %d should go now, wait %v", i, d)
		}
		sl, err := g.acquire(ctx, Heavy, prioBackground)
		if err != nil {
			t.Fatal(err)
		}
		sl.sent()
		clock.Advance(time.Second)
	}
	if d := g.waitLocked(Heavy, prioBackground); d < 7*time.Second || d > 9*time.Second+windowGuard {
		t.Fatalf("the 3rd request must wait for the first to leave the window, got %v", d)
	}
	clock.Advance(9 * time.Second)
	if d := g.waitLocked(Heavy, prioBackground); d != 0 {
		t.Fatalf("after the window the request goes, wait %v", d)
	}
	g.penalize(Medium, 60*time.Second)
	if d := g.waitLocked(Medium, prioUser); d != 60*time.Second {
		t.Fatalf("penalty wait %v", d)
	}
	if !g.penalized(Medium).Equal(clock.Now().Add(60 * time.Second)) {
		t.Fatalf("penalized() wrong")
	}
	if d := g.waitLocked(Light, prioUser); d != 0 {
		t.Fatalf("a penalty in Medium must not hold Light, wait %v", d)
	}
	// Background work leaves slots for the user's actions.
	h.Set("X-Rate-Limit-Limit", "5")
	h.Set("X-Rate-Limit-Remaining", "5")
	g.observe(Light, h)
	for i := 0; i < 4; i++ {
		sl, _ := g.acquire(ctx, Light, prioBackground)
		sl.sent()
	}
	if g.waitLocked(Light, prioBackground) == 0 || g.waitLocked(Light, prioUser) != 0 {
		t.Fatalf("background must stop at limit-%d while foreground still goes", backgroundReserve(Light, 5))
	}
	cctx, cancel := context.WithTimeout(ctx, time.Millisecond)
	defer cancel()
	_, err := g.acquire(cctx, Medium, prioUser)
	var rl *RateLimitError
	if !errors.Is(err, context.DeadlineExceeded) || !errors.Is(err, ErrRateLimited) || !errors.As(err, &rl) || rl.Group != Medium {
		t.Fatalf("a wait cut short must say it was the Medium rate limit and keep the context error, got %v", err)
	}
}

// TestGovernorStampsASlotWhenTheRequestLeaves: a request that takes its
// slot, then waits 30 s (for a token renewal) before it leaves, is counted
// by the server from when it leaves; the governor must count it from then
// too, or it frees the slot 30 s early and the next request trips a 429.
func TestGovernorStampsASlotWhenTheRequestLeaves(t *testing.T) {
	clock := &testClock{t: time.Unix(1000, 0)}
	g := newGovernor(clock.Now, nil)
	h := http.Header{}
	h.Set("X-Rate-Limit-Limit", "1")
	h.Set("X-Rate-Limit-Remaining", "1")
	h.Set("X-Rate-Limit-Window", "60")
	g.observe(Heavy, h)
	sl, err := g.acquire(context.Background(), Heavy, prioBackground)
	if err != nil {
		t.Fatal(err)
	}
	if g.waitLocked(Heavy, prioBackground) == 0 {
		t.Fatalf("a slot taken and not yet sent must count")
	}
	clock.Advance(30 * time.Second) // held up before it leaves
	sl.sent()
	clock.Advance(40 * time.Second) // 70 s after taking, 40 s after leaving
	if d := g.waitLocked(Heavy, prioBackground); d < 20*time.Second {
		t.Fatalf("the request left 40 s ago, inside the server's 60 s window: the next must wait about 20 s, not %v", d)
	}
	// A slot freed unsent counts for nothing.
	clock.Advance(21 * time.Second)
	sl2, _ := g.acquire(context.Background(), Heavy, prioBackground)
	sl2.cancel()
	if d := g.waitLocked(Heavy, prioBackground); d != 0 {
		t.Fatalf("a cancelled slot still counts: wait %v", d)
	}
}

// TestGovernorKeepsRoomForSignInAndCleanUp: of RingCentral's 5 Auth
// requests a minute rchud uses at most 4 (the user's own sign-in elsewhere
// always has room), and of 40 Medium ones everything but the exit's
// subscription DELETE leaves one.
func TestGovernorKeepsRoomForSignInAndCleanUp(t *testing.T) {
	clock := &testClock{t: time.Unix(1000, 0)}
	g := newGovernor(clock.Now, nil)
	ctx := context.Background()
	take := func(grp Group, prio priority) int {
		n := 0
		for g.waitLocked(grp, prio) == 0 {
			sl, _ := g.acquire(ctx, grp, prio)
			sl.sent()
			n++
		}
		return n
	}
	if n := take(Auth, prioBackground); n != 3 {
		t.Fatalf("WebSocket tokens may take 3 of the 5 Auth slots, took %d", n)
	}
	if n := take(Auth, prioUser); n != 1 {
		t.Fatalf("a token renewal finds the 4th, took %d", n)
	}
	if n := take(Auth, prioFinal); n != 0 {
		t.Fatalf("the 5th Auth slot is never used, took %d", n)
	}
	if n := take(Medium, prioUser); n != 39 {
		t.Fatalf("the user's writes may take 39 of 40 Medium slots, took %d", n)
	}
	if n := take(Medium, prioFinal); n != 1 {
		t.Fatalf("the exit's DELETE finds the last Medium slot, took %d", n)
	}
}

// TestGovernorHandsItsBudgetOn: what one process spent is what the next
// process's governor starts from.
func TestGovernorHandsItsBudgetOn(t *testing.T) {
	clock := &testClock{t: time.Unix(1000, 0)}
	first := newGovernor(clock.Now, nil)
	for i := 0; i < 10; i++ {
		sl, _ := first.acquire(context.Background(), Heavy, prioBackground)
		sl.sent()
		clock.Advance(time.Second)
	}
	first.penalize(Medium, 30*time.Second)
	saved := first.export()
	next := newGovernor(clock.Now, nil)
	next.absorb(saved)
	next.absorb(saved) // the same requests, read twice, count once
	if d := next.waitLocked(Heavy, prioBackground); d < 49*time.Second || d > 51*time.Second+windowGuard {
		t.Fatalf("the 11th Heavy request of the minute must wait for the first to leave the window: %v", d)
	}
	if d := next.waitLocked(Medium, prioUser); d != 30*time.Second {
		t.Fatalf("the penalty must carry over: %v", d)
	}
	clock.Advance(52 * time.Second)
	if d := next.waitLocked(Heavy, prioBackground); d != 0 {
		t.Fatalf("once the first has left the window, one more goes: %v", d)
	}
}

// TestBackoffHasFullJitter: delays are spread over [0, cap], not bunched
// in its upper half, and the cap doubles up to the maximum.
func TestBackoffHasFullJitter(t *testing.T) {
	base, most := time.Second, 60*time.Second
	for attempt, cap := range []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 16 * time.Second, 32 * time.Second, 60 * time.Second, 60 * time.Second} {
		low, high := cap, time.Duration(0)
		for i := 0; i < 2000; i++ {
			d := fullJitter(base, most, attempt)
			if d < 0 || d > cap {
				t.Fatalf("attempt %d: %v outside [0, %v]", attempt, d, cap)
			}
			low, high = min(low, d), max(high, d)
		}
		if low > cap/10 || high < cap*9/10 {
			t.Fatalf("attempt %d: delays span only [%v, %v] of [0, %v]: not full jitter", attempt, low, high, cap)
		}
	}
}

func TestLoadConfig(t *testing.T) {
	dir := t.TempDir()
	env := filepath.Join(dir, ".env")
	os.WriteFile(env, []byte("# creds\nexport RC_APP_CLIENT_ID=abc\nRC_APP_CLIENT_SECRET=\"s3cr3t\"\nRC_USER_JWT='j.w.t' # mine\nRC_SERVER_URL=sandbox\n"), 0o600)
	none := func(string) (string, bool) { return "", false }
	c, err := LoadConfig(none, env)
	if err != nil {
		t.Fatal(err)
	}
	if c.ClientID != "abc" || c.ClientSecret != "s3cr3t" || c.JWT != "j.w.t" || c.ServerURL != SandboxURL {
		t.Fatalf("got %+v", c)
	}
	if strings.Contains(c.String(), "s3cr3t") || strings.Contains(c.String(), "j.w.t") {
		t.Fatalf("Config.String leaks a secret: %s", c)
	}
	envWins := func(k string) (string, bool) {
		if k == EnvServerURL {
			return "http://127.0.0.1:9/", true
		}
		return "", false
	}
	if c, _ := LoadConfig(envWins, env); c.ServerURL != "http://127.0.0.1:9" {
		t.Fatalf("the environment must win over .env: %s", c.ServerURL)
	}
	if _, err := LoadConfig(none, filepath.Join(dir, "missing")); err == nil || !strings.Contains(err.Error(), "RC_APP_CLIENT_ID") {
		t.Fatalf("missing credentials: %v", err)
	}
	os.WriteFile(env, []byte("RC_USER_JWT s3cr3t-line\n"), 0o600)
	if _, err := LoadConfig(none, env); err == nil || strings.Contains(err.Error(), "s3cr3t") {
		t.Fatalf("a malformed line must be an error that does not echo it: %v", err)
	}
	bad := func(k string) (string, bool) {
		m := map[string]string{EnvServerURL: "ftp://x", EnvClientID: "a", EnvClientSecret: "b", EnvJWT: "c"}
		v, ok := m[k]
		return v, ok
	}
	if _, err := LoadConfig(bad, ""); err == nil {
		t.Fatalf("an ftp server URL must be refused")
	}
}

func TestEnvFileNiggles(t *testing.T) {
	dir := t.TempDir()
	none := func(string) (string, bool) { return "", false }
	// A byte order mark before the first key (Notepad's UTF-8).
	bom := filepath.Join(dir, "bom.env")
	os.WriteFile(bom, []byte("\ufeffRC_SERVER_URL=sandbox\nRC_APP_CLIENT_ID=a\nRC_APP_CLIENT_SECRET=b\nRC_USER_JWT=c\n"), 0o600)
	if c, err := LoadConfigFrom(none, bom, true); err != nil || c.ServerURL != SandboxURL {
		t.Fatalf("a .env with a BOM: %+v %v", c, err)
	}
	// A file named and missing is said; the default .env missing is not.
	if _, err := LoadConfigFrom(none, filepath.Join(dir, "nope.env"), true); err == nil || err.Error() != "--env-file "+filepath.Join(dir, "nope.env")+": no such file" {
		t.Fatalf("a missing --env-file: %v", err)
	}
	if _, err := LoadConfigFrom(none, filepath.Join(dir, "nope.env"), false); err == nil || !strings.Contains(err.Error(), "missing RC_APP_CLIENT_ID") {
		t.Fatalf("a missing default .env: %v", err)
	}
	// A directory is said once, plainly.
	if _, err := LoadConfigFrom(none, dir, true); err == nil || err.Error() != dir+" is a directory, not a .env file" {
		t.Fatalf("a directory: %v", err)
	}
}

func TestAnAnswerThatIsNotRingCentralSaysSo(t *testing.T) {
	e := decodeAPIError(&http.Response{StatusCode: 501, Header: http.Header{}}, []byte("<html>Not Implemented</html>"))
	if !strings.Contains(e.Error(), "is RC_SERVER_URL a RingCentral server?") {
		t.Fatalf("%q", e.Error())
	}
	rcErr := decodeAPIError(&http.Response{StatusCode: 404, Header: http.Header{}}, []byte(`{"errorCode":"CMN-102","message":"Resource not found","errors":[{"errorCode":"CMN-102","message":"Resource not found"}]}`))
	if strings.Contains(rcErr.Error(), "RingCentral server?") {
		t.Fatalf("a RingCentral 404 is RingCentral's: %q", rcErr.Error())
	}
}

// The uuids a stream has seen are kept compact (never the decoded string,
// a piece of its frame), and one is a duplicate exactly when its text is.
func TestSeenSetKeepsUUIDsExactly(t *testing.T) {
	var s seenSet
	ids := []string{
		"6a1b3f0e-5d2c-4f7a-9e8b-1c2d3e4f5a6b",
		"6a1b3f0e-5d2c-4f7a-9e8b-1c2d3e4f5a6c", // one digit apart
		"6A1B3F0E-5D2C-4F7A-9E8B-1C2D3E4F5A6B", // another text: not a duplicate
		"00000000-0000-0000-0000-000000000000",
		"not-a-uuid", "",
		"6a1b3f0e-5d2c-4f7a-9e8b-1c2d3e4f5a6g", // not hex
	}
	for _, id := range ids {
		if !s.add(id) {
			t.Fatalf("%q taken for a duplicate", id)
		}
	}
	for _, id := range ids {
		if s.add(strings.Clone(id)) {
			t.Fatalf("%q seen again not taken for a duplicate", id)
		}
	}
	if _, ok := uuidKey(ids[0]); !ok {
		t.Fatalf("a canonical uuid not kept as its bytes")
	}
	// The ring forgets the oldest: after 20,000 others, the first is new again.
	for i := range 20000 {
		s.add(fmt.Sprintf("%08x-0000-4000-8000-000000000000", i+1))
	}
	if !s.add(ids[0]) {
		t.Fatal("the oldest uuid is still remembered after the ring went round")
	}
}

// The seen set answers exactly as a plain model of the last seenRing
// uuids would, over a long run of new uuids, repeats of recent and of
// forgotten ones, and texts that are not uuids (the index's deletions
// move keys back within their probe runs: a mistake there forgets or
// invents a duplicate).
func TestSeenSetAgreesWithAModel(t *testing.T) {
	r := testRand(t)
	var s seenSet
	var order []string
	model := map[string]int{} // uuid -> times in the window
	var ids []string
	fresh := func() string {
		if r.IntN(20) == 0 {
			return fmt.Sprintf("text-%d", len(ids))
		}
		var b [16]byte
		for i := range b {
			b[i] = byte(r.Uint32())
		}
		if r.IntN(4) == 0 { // keys that collide in the index's home slot
			b[15], b[7] = b[8]^b[0], 0
		}
		return fmt.Sprintf("%x-%x-%x-%x-%x", b[:4], b[4:6], b[6:8], b[8:10], b[10:])
	}
	steps := 120000
	if testing.Short() {
		steps = 60000
	}
	for step := range steps {
		var id string
		switch x := r.IntN(10); {
		case x < 7 || len(ids) == 0:
			id = fresh()
			ids = append(ids, id)
		case x < 9:
			id = ids[max(0, len(ids)-1-r.IntN(seenRing/2))] // recent
		default:
			id = ids[r.IntN(len(ids))] // anywhere
		}
		want := model[id] == 0
		if got := s.add(id); got != want {
			t.Fatalf("step %d: add(%q) = %v, the model says %v", step, id, got, want)
		}
		if !want {
			continue
		}
		order = append(order, id)
		model[id]++
		if len(order) > seenRing {
			old := order[len(order)-seenRing-1]
			if model[old]--; model[old] == 0 {
				delete(model, old)
			}
		}
	}
}

// TestDecodeFrameHeaders: a ClientRequest answer's headers reach the
// rate-limit governor whichever path decodes it; a notification's are not
// decoded, but a frame whose headers encoding/json refuses is refused
// whether the type comes before or after them.
func TestDecodeFrameHeaders(t *testing.T) {
	want := map[string]string{"X-Rate-Limit-Remaining": "3", "X-Rate-Limit-Window": "60", "Empty": ""}
	for _, s := range []string{
		`[{"type":"ClientRequest","messageId":"m","status":204,"headers":{"X-Rate-Limit-Remaining":"3","X-Rate-Limit-Window":"60","Empty":null}}]`,
		`[{"headers":{"X-Rate-Limit-Remaining":"3","X-Rate-Limit-Window":"60","Empty":null},"type":"ClientRequest","messageId":"m","status":200},{"id":"s"}]`,
	} {
		f, err := decodeFrame([]byte(s))
		if err != nil || !reflect.DeepEqual(f.header.Headers, want) {
			t.Errorf("%s: headers %v (%v), want %v", s, f.header.Headers, err, want)
		}
	}
	const note = `{"uuid":"u","event":"/restapi/v1.0/account/1/extension/2/presence","body":{"extensionId":"2"}}`
	for _, head := range []string{
		`{"type":"ServerNotification","headers":{"RCRequestId":"r"}}`,
		`{"headers":{"RCRequestId":"r"},"type":"ServerNotification"}`,
	} {
		f, err := decodeFrame([]byte(`[` + head + `,` + note + `]`))
		if err != nil || f.note == nil || f.header.Headers != nil {
			t.Errorf("%s: headers %v, note %v (%v)", head, f.header.Headers, f.note != nil, err)
		}
	}
	for _, head := range []string{
		`{"type":"ServerNotification","headers":{"RCRequestId":5}}`,
		`{"headers":{"RCRequestId":5},"type":"ServerNotification"}`,
		`{"type":"ServerNotification","headers":["r"]}`,
	} {
		if _, err := decodeFrame([]byte(`[` + head + `,` + note + `]`)); err == nil {
			t.Errorf("%s: accepted headers encoding/json refuses", head)
		}
	}
}
