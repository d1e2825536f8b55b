package rc

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rchud/rchud/emulator"
)

// callFixture is an emulator with no simulated traffic, the receptionist
// (an admin) and an agent signed in.
type callFixture struct {
	e           *emulator.Emulator
	rec, agent  *Client
	recID, agID ID
}

func newCallFixture(t *testing.T, cfg emulator.Config, opts Options) *callFixture {
	t.Helper()
	if cfg.RateLimits == nil {
		cfg.RateLimitsOff = true
	}
	e := startEmulator(t, cfg)
	f := &callFixture{e: e, rec: clientFor(e, -1, opts), agent: clientFor(e, 0, opts)}
	var err error
	if f.recID, err = f.rec.Login(context.Background()); err != nil {
		t.Fatal(err)
	}
	if f.agID, err = f.agent.Login(context.Background()); err != nil {
		t.Fatal(err)
	}
	return f
}

// ring has an outside caller ring ext (through queue q, if set).
func (f *callFixture) ring(t *testing.T, ext ID, queue string) emulator.CallRef {
	t.Helper()
	ref, err := f.e.RingingCall(ext.Int64(), emulator.CallerInfo{Number: "+14155550142", Name: "Globex Corp"}, emulator.RingOptions{QueueID: queue})
	if err != nil {
		t.Fatal(err)
	}
	return ref
}

// desk is ext's desk phone, read with Devices.
func (f *callFixture) desk(t *testing.T, c *Client) Device {
	t.Helper()
	ds, err := c.Devices(context.Background(), "~")
	if err != nil || len(ds) == 0 {
		t.Fatalf("devices: %v %+v", err, ds)
	}
	return ds[0]
}

// sent counts the requests whose path ends with suffix.
func (f *callFixture) sent(method, suffix string) int {
	n := 0
	for _, r := range f.e.Requests() {
		if r.Method == method && strings.HasSuffix(r.Path, suffix) {
			n++
		}
	}
	return n
}

func (f *callFixture) queueOf(t *testing.T) string {
	t.Helper()
	for _, q := range f.e.Truth().Queues {
		if _, ok := q.Members[string(f.agID)]; ok {
			return q.ID
		}
	}
	t.Fatal("the agent is in no queue")
	return ""
}

func TestEveryCallControlActionAgainstTheEmulator(t *testing.T) {
	f := newCallFixture(t, emulator.Config{}, Options{})
	ctx := context.Background()
	devs, err := f.rec.Devices(ctx, "~")
	if err != nil || len(devs) != 2 || devs[0].Type != "HardPhone" || devs[1].Type != "SoftPhone" || devs[0].ID == "" ||
		devs[0].Phone == "" || devs[0].Name == "" || devs[0].Status != "Online" {
		t.Fatalf("the receptionist's devices: %v %+v", err, devs)
	}
	recDesk, agDesk := devs[0], f.desk(t, f.agent)

	// Read the session a ringing call is.
	ref := f.ring(t, f.recID, "")
	s, err := f.rec.TelephonySession(ctx, ref.TelephonySessionID)
	if err != nil || s.ID != ref.TelephonySessionID || s.CreationTime.IsZero() || s.Origin.Type != "Call" || len(s.Parties) != 2 {
		t.Fatalf("session: %v %+v", err, s)
	}
	var mine *CallParty
	for i := range s.Parties {
		if s.Parties[i].ID == ref.PartyID {
			mine = &s.Parties[i]
		}
	}
	if mine == nil || mine.Extension() != f.recID || mine.Status.Code != PartyProceeding || mine.Direction != "Inbound" ||
		mine.From.PhoneNumber != "+14155550142" || mine.From.Name != "Globex Corp" || !mine.Live() {
		t.Fatalf("the receptionist's party: %+v", mine)
	}

	// Answer, hold, unhold, park; the agent picks up; transfer to the
	// receptionist, who forwards it to the agent's voicemail.
	tsid := ref.TelephonySessionID
	p, err := f.rec.Answer(ctx, tsid, ref.PartyID, recDesk.ID)
	if err != nil || p.Status.Code != PartyAnswered || string(p.To.DeviceID) != recDesk.ID {
		t.Fatalf("answer: %v %+v", err, p)
	}
	if p, err = f.rec.Hold(ctx, tsid, ref.PartyID); err != nil || p.Status.Code != PartyHold {
		t.Fatalf("hold: %v %+v", err, p)
	}
	if p, err = f.rec.Unhold(ctx, tsid, ref.PartyID); err != nil || p.Status.Code != PartyAnswered {
		t.Fatalf("unhold: %v %+v", err, p)
	}
	if p, err = f.rec.Park(ctx, tsid, ref.PartyID); err != nil || p.Status.Code != PartyParked || !strings.HasPrefix(p.Status.ParkData, "*8") || p.Park.ID == "" {
		t.Fatalf("park: %v %+v", err, p)
	}
	picked, err := f.agent.Pickup(ctx, tsid, ref.PartyID, agDesk.ID)
	if err != nil || picked.Status.Code != PartyAnswered || picked.Extension() != f.agID || picked.ID == ref.PartyID {
		t.Fatalf("pickup: %v %+v", err, picked)
	}
	var recNumber string
	for _, x := range f.e.Truth().Extensions {
		if x.ID == string(f.recID) {
			recNumber = x.ExtensionNumber
		}
	}
	gone, err := f.agent.Transfer(ctx, tsid, picked.ID, TransferTarget{ExtensionNumber: recNumber})
	if err != nil || gone.Status.Code != PartyDisconnected || gone.Status.Reason != ReasonBlindTransfer || gone.Live() {
		t.Fatalf("transfer: %v %+v", err, gone)
	}
	s, err = f.rec.TelephonySession(ctx, tsid)
	if err != nil {
		t.Fatal(err)
	}
	var ringing CallParty
	for _, pt := range s.Parties {
		if pt.Extension() == f.recID && pt.Status.Code == PartyProceeding {
			ringing = pt
		}
	}
	if ringing.ID == "" {
		t.Fatalf("the transfer does not ring the receptionist: %+v", s.Parties)
	}
	if _, err := f.rec.Forward(ctx, tsid, ringing.ID, ForwardTarget{Voicemail: string(f.agID)}); err != nil {
		t.Fatalf("forward: %v", err)
	}

	// Hang up; drop; ignore a queue call ringing the agent.
	ref = f.ring(t, f.recID, "")
	if err := f.rec.HangUp(ctx, ref.TelephonySessionID, ref.PartyID); err != nil {
		t.Fatalf("hang up: %v", err)
	}
	ref = f.ring(t, f.recID, "")
	if err := f.rec.Drop(ctx, ref.TelephonySessionID); err != nil {
		t.Fatalf("drop: %v", err)
	}
	for _, id := range []string{ref.TelephonySessionID} {
		if _, err := f.rec.TelephonySession(ctx, id); !IsStatus(err, 404) {
			t.Fatalf("a dropped session must be gone: %v", err)
		}
	}
	q := f.queueOf(t)
	ref = f.ring(t, f.agID, q)
	if err := f.agent.Ignore(ctx, ref.TelephonySessionID, ref.PartyID, agDesk.ID); err != nil {
		t.Fatalf("ignore: %v", err)
	}
	backlog := f.e.Backlog()
	for _, qb := range backlog.Queues {
		if qb.ID == q && (len(qb.Waiting) != 1 || qb.Waiting[0].TelephonySessionID != ref.TelephonySessionID || qb.Waiting[0].RingingExtensionID != "") {
			t.Fatalf("an ignored queue call waits for the next agent: %+v", qb)
		}
	}

	// A target with no field, or two, is refused before anything is sent.
	before := len(f.e.Requests())
	for _, tg := range []TransferTarget{{}, {ExtensionNumber: "101", PhoneNumber: "+14155550100"}, {Voicemail: "  "}} {
		if _, err := f.rec.Transfer(ctx, tsid, "p-1", tg); !errors.Is(err, ErrTarget) || CallControlError(err) == "" {
			t.Fatalf("transfer to %+v: %v", tg, err)
		}
	}
	if _, err := f.rec.Forward(ctx, tsid, "p-1", ForwardTarget{ExtensionID: "1", Voicemail: "2"}); !errors.Is(err, ErrTarget) {
		t.Fatalf("forward to two targets: %v", err)
	}
	if _, err := f.rec.Hold(ctx, "", "p-1"); err == nil {
		t.Fatal("an action without a session")
	}
	if n := len(f.e.Requests()); n != before {
		t.Fatalf("%d requests sent for refused targets", n-before)
	}
}

func TestCallControlErrorsAreTypedAndNeverRetried(t *testing.T) {
	f := newCallFixture(t, emulator.Config{}, Options{})
	ctx := context.Background()
	recDesk, agDesk := f.desk(t, f.rec), f.desk(t, f.agent)
	ref := f.ring(t, f.recID, "")
	tsid, pid := ref.TelephonySessionID, ref.PartyID

	check := func(what string, err error, status int, code, says string) {
		t.Helper()
		var ae *APIError
		if !errors.As(err, &ae) || ae.Status != status || code != "" && ae.Code != code || ae.Message == "" || strings.ContainsAny(ae.Message, "\n\x1b") {
			t.Fatalf("%s: want %d %s, got %v", what, status, code, err)
		}
		if got := CallControlError(err); !strings.Contains(got, says) {
			t.Fatalf("%s: CallControlError says %q, want it to say %q", what, got, says)
		}
	}
	// 409: a ringing call cannot be held, and the refusal is not retried.
	_, err := f.rec.Hold(ctx, tsid, pid)
	check("hold a ringing call", err, 409, "", "no longer ringing/answered")
	if n := f.sent("POST", "/"+pid+"/hold"); n != 1 {
		t.Fatalf("a 409 was sent %d times", n)
	}
	// 400: answering on someone else's phone.
	_, err = f.rec.Answer(ctx, tsid, pid, agDesk.ID)
	check("answer on another's phone", err, 400, "CMN-101", "invalid deviceId")
	// 404 for a session the agent has no part in; 403 for a party of the
	// agent's call that is not the agent's.
	_, err = f.agent.Answer(ctx, tsid, pid, agDesk.ID)
	check("the agent answers the receptionist's call", err, 404, "CMN-102", "the caller hung up")
	theirs := f.ring(t, f.agID, "")
	_, err = f.agent.Hold(ctx, theirs.TelephonySessionID, theirs.CallerPartyID)
	check("the agent holds the caller's party", err, 403, "CMN-404", "someone else's call")
	// A 409 the platform is told to give, twice: one request, one refusal.
	if err := f.e.SetCallControlFaults([]emulator.CallControlFault{{Action: "answer", Status: 409, Count: 2}}); err != nil {
		t.Fatal(err)
	}
	_, err = f.rec.Answer(ctx, tsid, pid, recDesk.ID)
	check("a 409 fault", err, 409, "InvalidPartyState", "no longer ringing/answered")
	if left := f.e.CallControlFaults(); len(left) != 1 || left[0].Count != 1 {
		t.Fatalf("the 409 was retried: faults left %+v", left)
	}
	// 503 and 500 are surfaced, not retried: the action may have happened.
	for _, status := range []int{503, 500} {
		if err := f.e.SetCallControlFaults([]emulator.CallControlFault{{Action: "answer", Status: status, Count: 1}}); err != nil {
			t.Fatal(err)
		}
		n := f.sent("POST", "/"+pid+"/answer")
		_, err = f.rec.Answer(ctx, tsid, pid, recDesk.ID)
		say := map[int]string{503: "unavailable", 500: "may or may not"}[status]
		check("a "+strconv.Itoa(status), err, status, "", say)
		if got := f.sent("POST", "/"+pid+"/answer") - n; got != 1 {
			t.Fatalf("a %d was sent %d times", status, got)
		}
	}
	f.e.SetCallControlFaults(nil)
	if _, err := f.rec.Answer(ctx, tsid, pid, recDesk.ID); err != nil {
		t.Fatalf("answer once the faults are gone: %v", err)
	}
	// 404: the caller hung up.
	if err := f.rec.HangUp(ctx, tsid, pid); err != nil {
		t.Fatal(err)
	}
	_, err = f.rec.Transfer(ctx, tsid, pid, TransferTarget{ExtensionID: string(f.agID)})
	check("transfer after the caller hung up", err, 404, "CMN-102", "the caller hung up")
	err = f.rec.HangUp(ctx, tsid, pid)
	check("hang up twice", err, 404, "CMN-102", "the caller hung up")

	// 403 CMN-401: the app lacks CallControl.
	var perms emulator.Permissions
	if err := perms.DenyScope("CallControl"); err != nil {
		t.Fatal(err)
	}
	if err := f.e.SetPermissions(perms); err != nil {
		t.Fatal(err)
	}
	ref = f.ring(t, f.recID, "")
	_, err = f.rec.Answer(ctx, ref.TelephonySessionID, ref.PartyID, recDesk.ID)
	check("no CallControl", err, 403, "CMN-401", "no permission: the app needs CallControl")
	_, err = f.rec.TelephonySession(ctx, ref.TelephonySessionID)
	check("read without CallControl", err, 403, "CMN-401", "CallControl")
}

func TestCallControlRetriesAShort429AndFailsFastOnALongOne(t *testing.T) {
	clock := &testClock{t: time.Now()}
	f := newCallFixture(t, emulator.Config{Now: clock.Now}, Options{Now: clock.Now})
	ctx := context.Background()
	recDesk := f.desk(t, f.rec)
	ref := f.ring(t, f.recID, "")
	path := "/restapi/v1.0/account/~/telephony/sessions/" + ref.TelephonySessionID + "/parties/" + ref.PartyID
	suffix := "/" + ref.PartyID + "/answer"

	// A 429 was not executed: after its 1 s penalty the answer goes again.
	f.e.SetFaults(emulator.Faults{Rules: []emulator.FaultRule{{Method: "POST", PathPrefix: path + "/answer", Status: 429, RetryAfter: 1, Count: 1}}})
	done := make(chan error, 1)
	go func() {
		_, err := f.rec.Answer(ctx, ref.TelephonySessionID, ref.PartyID, recDesk.ID)
		done <- err
	}()
	waitUntil(t, func() bool { return !f.rec.gov.penalized(Light).IsZero() })
	if n := f.sent("POST", suffix); n != 1 {
		t.Fatalf("%d answers inside the penalty", n)
	}
	clock.Advance(time.Second)
	f.rec.gov.wakeWaiters()
	if err := <-done; err != nil {
		t.Fatalf("the answer after a short 429: %v", err)
	}
	if n := f.sent("POST", suffix); n != 2 {
		t.Fatalf("%d answers, want the refused one and its retry", n)
	}

	// A long penalty: the action fails at once, and the next one is not
	// even sent while the penalty lasts.
	f.e.SetFaults(emulator.Faults{Rules: []emulator.FaultRule{{Method: "POST", PathPrefix: path + "/hold", Status: 429, RetryAfter: 30, Count: 1}}})
	_, err := f.rec.Hold(ctx, ref.TelephonySessionID, ref.PartyID)
	var ae *APIError
	if !errors.As(err, &ae) || ae.Status != 429 || ae.RetryAfter != 30*time.Second || CallControlError(err) != "too many requests: try again in 30s" {
		t.Fatalf("a long 429: %v (%q)", err, CallControlError(err))
	}
	before := len(f.e.Requests())
	if _, err := f.rec.Hold(ctx, ref.TelephonySessionID, ref.PartyID); !IsStatus(err, 429) {
		t.Fatalf("inside a long penalty: %v", err)
	}
	if n := len(f.e.Requests()); n != before {
		t.Fatalf("%d requests sent inside a 30 s penalty", n-before)
	}
	if n := f.sent("POST", "/"+ref.PartyID+"/hold"); n != 1 {
		t.Fatalf("the long 429 was retried: %d holds", n)
	}
}

func TestCallControlErrorTextIsSanitised(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.URL.Path == "/restapi/oauth/token" {
			_, _ = w.Write([]byte(`{"access_token":"a","token_type":"bearer","expires_in":3600,"refresh_token":"r","refresh_token_expires_in":86400,"owner_id":"1"}`))
			return
		}
		w.WriteHeader(409)
		_, _ = w.Write([]byte(`{"errors":[{"errorCode":"TAS-\u001b[31m409","message":"Party\n is \u001b]0;pwned\u0007 busy\u202e` + strings.Repeat("x", 500) + `"}]}`))
	}))
	defer srv.Close()
	c := New(Config{ServerURL: srv.URL, ClientID: "id", ClientSecret: "s", JWT: "j"}, Options{})
	_, err := c.Hold(context.Background(), "s-1", "p-1")
	var ae *APIError
	if !errors.As(err, &ae) || ae.Status != 409 {
		t.Fatalf("hold: %v", err)
	}
	if strings.ContainsAny(ae.Message+ae.Code, "\x1b\x07\n\u202e") || !strings.HasPrefix(ae.Message, "Party is busyxxx") || len([]rune(ae.Message)) > 201 || ae.Code != "TAS-409" {
		t.Fatalf("unsafe or unbounded text: code %q message %q", ae.Code, ae.Message)
	}
	if s := CallControlError(err); s != "the call is no longer ringing/answered" {
		t.Fatalf("CallControlError: %q", s)
	}
}

func TestCallControlErrorSaysWhatHappened(t *testing.T) {
	for _, c := range []struct {
		err  error
		want string
	}{
		{nil, ""},
		{&APIError{Status: 404, Code: "CMN-102"}, "the caller hung up"},
		{&APIError{Status: 409}, "the call is no longer ringing/answered"},
		{&APIError{Status: 403, Code: "CMN-401", PermissionName: "CallControl"}, "no permission: the app needs CallControl"},
		{&APIError{Status: 403, Code: "CMN-408", PermissionName: "ReadCallLog"}, "no permission: your user needs ReadCallLog"},
		{&APIError{Status: 403, Code: "CMN-402"}, "not allowed: it needs an administrator"},
		{&APIError{Status: 400, ParameterName: "deviceId"}, "refused: invalid deviceId"},
		{&APIError{Status: 400, ParameterName: "body"}, "refused: the request was invalid"},
		{&APIError{Status: 415}, "refused: the request was not understood"},
		{&APIError{Status: 429, RetryAfter: 1500 * time.Millisecond}, "too many requests: try again in 2s"},
		{&APIError{Status: 503}, "RingCentral is unavailable: try again"},
		{&APIError{Status: 502}, "RingCentral failed: the call may or may not have changed"},
		{&APIError{Status: 401}, "signed out: sign in again"},
		{ErrTarget, "choose one target to send the call to"},
		{context.DeadlineExceeded, "timed out: the call may or may not have changed"},
		{&netError{op: "POST /x", err: errors.New("connection reset")}, "RingCentral could not be reached: the call may not have changed"},
	} {
		if got := CallControlError(c.err); got != c.want {
			t.Errorf("%v: %q, want %q", c.err, got, c.want)
		}
	}
}

func TestTelephonySessionEventsArriveDecoded(t *testing.T) {
	f := newCallFixture(t, emulator.Config{}, Options{})
	account := f.rec.Stream([]string{TelephonySessionsFilter("")}, fastStream)
	own := f.agent.Stream([]string{TelephonySessionsFilter(f.agID)}, fastStream)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		own.Close(ctx)
		account.Close(ctx)
		noStreamGoroutines(t)
	})
	pa, po := probe(t, account), probe(t, own)
	pa.next(5*time.Second, "live", isLive)
	po.next(5*time.Second, "live", isLive)

	ref := f.ring(t, f.agID, f.queueOf(t))
	party := func(pid, code string) func(StreamEvent) bool {
		return func(ev StreamEvent) bool {
			if ev.Notification == nil || ev.Notification.Kind() != KindTelephonySession {
				return false
			}
			s, err := ev.Notification.TelephonySession()
			return err == nil && len(s.Parties) == 1 && s.Parties[0].ID == pid && s.Parties[0].Status.Code == code
		}
	}
	ev := po.next(5*time.Second, "the agent's ringing party", party(ref.PartyID, PartyProceeding))
	s, _ := ev.Notification.TelephonySession()
	p := s.Parties[0]
	if s.ID != ref.TelephonySessionID || s.SessionID == "" || s.Sequence < 1 || s.EventTime.IsZero() || s.ServerID == "" ||
		s.AccountID == "" || s.ExtensionID != string(f.agID) || s.Origin.Type != "Call" ||
		p.Extension() != f.agID || !p.QueueCall || p.QueueName() == "" || p.From.PhoneNumber != "+14155550142" || p.Direction != "Inbound" {
		t.Fatalf("the agent's event: %+v", s)
	}
	// The account filter carries the caller's party and the queue's too.
	pa.next(5*time.Second, "the caller's party", party(ref.CallerPartyID, PartyAnswered))
	ev = pa.next(5*time.Second, "the agent's party", party(ref.PartyID, PartyProceeding))
	if s2, _ := ev.Notification.TelephonySession(); s2.Sequence != s.Sequence {
		t.Fatalf("one event, two sequences: %d and %d", s.Sequence, s2.Sequence)
	}
}

func TestTelephonySessionNotificationFromTheDocsSample(t *testing.T) {
	// After DOCS code-samples/events/account-telephony-sessions.json, with
	// a numeric accountId and a +0000 eventTime (rc-api.md §3.1, §7).
	n := mustNotification(t, "/restapi/v1.0/account/400144452008/extension/400144455008/telephony/sessions",
		`{"sequence":5,"sessionId":"402936341008","telephonySessionId":"Y3MxNzE4NDE5MDM0MzQwMTgzODRAMTAuNjIuMjUuMTEx",
		"serverId":"10.62.25.111.TAM","eventTime":"2018-06-05T00:14:50.147+0000","accountId":400144452008,
		"parties":[{"extensionId":"400144455008","id":"cs171841903434018384-2","direction":"Inbound",
		"to":{"phoneNumber":"102","name":"Tom Sawyer","extensionId":"400144455008"},
		"from":{"phoneNumber":"103","name":"TheCat Jerry","extensionId":400144457008},
		"status":{"code":"Proceeding","mobilePickupData":{"ccMailboxes":["400144455008"]}},"park":{},
		"missedCall":false,"standAlone":false,"muted":false}],"origin":{"type":"Call"},"extensionId":"400144455008"}`)
	if n.Kind() != KindTelephonySession {
		t.Fatalf("kind %d", n.Kind())
	}
	s, err := n.TelephonySession()
	if err != nil || s.ID != "Y3MxNzE4NDE5MDM0MzQwMTgzODRAMTAuNjIuMjUuMTEx" || s.Sequence != 5 || s.SessionID != "402936341008" ||
		s.AccountID != "400144452008" || s.ExtensionID != "400144455008" || s.EventTime.UnixMilli() != 1528157690147 || len(s.Parties) != 1 {
		t.Fatalf("session: %v %+v", err, s)
	}
	p := s.Parties[0]
	if p.ID != "cs171841903434018384-2" || p.From.ExtensionID != "400144457008" || p.Status.Code != PartyProceeding || p.Park.ID != "" || p.QueueName() != "" {
		t.Fatalf("party: %+v", p)
	}
	if _, err := n.Presence(); err != nil {
		t.Fatalf("the body decodes once, for every reader: %v", err)
	}
	// A presence body is not a session.
	pn := mustNotification(t, "/restapi/v1.0/account/~/presence", `{"extensionId":"1","sequence":3,"telephonyStatus":"Ringing"}`)
	if pn.Kind() != KindPresence {
		t.Fatalf("presence kind %d", pn.Kind())
	}
	if _, err := pn.TelephonySession(); err == nil {
		t.Fatal("a presence body read as a telephony session")
	}
	for event, want := range map[string]NotificationKind{
		"/restapi/v1.0/account/~/telephony/sessions":                               KindTelephonySession,
		"/restapi/v1.0/account/1/extension/2/telephony/sessions?x=1":               KindTelephonySession,
		"/restapi/v1.0/account/1/extension/2/telephony/sessions/s-1":               KindOther,
		"/restapi/v1.0/account/1/extension/2/telephony/sessionsx":                  KindOther,
		"/restapi/v1.0/account/1/extension/2/presence?detailedTelephonyState=true": KindPresence,
	} {
		if k, _ := kindOf(event); k != want {
			t.Errorf("%s: kind %d, want %d", event, k, want)
		}
	}
}

func TestActiveCallsReadWaitingAndParkedCalls(t *testing.T) {
	f := newCallFixture(t, emulator.Config{}, Options{})
	ctx := context.Background()
	q := f.queueOf(t)
	qid, _ := strconv.ParseInt(q, 10, 64)
	waiting, err := f.e.QueueCall(qid, emulator.CallerInfo{Number: "+14155550100", Name: "Waiting Wanda"})
	if err != nil {
		t.Fatal(err)
	}
	parked, err := f.e.ParkedCall("*811", emulator.CallerInfo{Number: "+14155550101"}, f.recID.Int64())
	if err != nil {
		t.Fatal(err)
	}
	ringing := f.ring(t, f.agID, "")
	var all []CallLogRecord
	pages := 0
	err = f.rec.ActiveCalls(ctx, "", func(rs []CallLogRecord) error {
		pages++
		all = append(all, rs...)
		return nil
	})
	if err != nil || pages != 1 || len(all) != 3 {
		t.Fatalf("company active calls: %v, %d pages, %+v", err, pages, all)
	}
	byID := map[string]CallLogRecord{}
	for _, r := range all {
		byID[r.TelephonySessionID] = r
		if r.Result != ResultInProgress || r.StartTime.IsZero() || r.SessionID == "" || len(r.Legs) == 0 {
			t.Fatalf("record: %+v", r)
		}
	}
	leg := func(r CallLogRecord, pid string) CallLogLeg {
		for _, l := range r.Legs {
			if l.PartyID == pid {
				return l
			}
		}
		t.Fatalf("no leg %s in %+v", pid, r)
		return CallLogLeg{}
	}
	w := byID[waiting.TelephonySessionID]
	if l := leg(w, waiting.PartyID); w.To.ExtensionID != ID(q) || l.LegType != "Hunting" || l.Extension == nil || l.Extension.ID != ID(q) ||
		l.From.Name != "Waiting Wanda" || l.StartTime.IsZero() {
		t.Fatalf("the waiting call: %+v", w)
	}
	if l := leg(byID[parked.TelephonySessionID], parked.PartyID); l.LegType != "CallPark" || l.To.PhoneNumber != "*811" ||
		l.Extension == nil || l.Extension.ID != f.recID {
		t.Fatalf("the parked call: %+v", l)
	}
	var own []CallLogRecord
	if err := f.agent.ActiveCalls(ctx, f.agID, func(rs []CallLogRecord) error { own = append(own, rs...); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(own) != 1 || own[0].TelephonySessionID != ringing.TelephonySessionID || own[0].PartyID != ringing.PartyID || len(own[0].Legs) != 1 {
		t.Fatalf("the agent's own active calls: %+v", own)
	}
	err = f.agent.ActiveCalls(ctx, "", func([]CallLogRecord) error { return nil })
	if ae := (*APIError)(nil); !errors.As(err, &ae) || ae.Status != 403 || ae.PermissionName != "ReadCompanyCallLog" {
		t.Fatalf("an agent reads the company's active calls: %v", err)
	}
}

func TestCallControlHealsA401Once(t *testing.T) {
	server := &testClock{t: time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)}
	client := &testClock{t: server.Now()}
	f := newCallFixture(t, emulator.Config{Now: server.Now, AccessTTL: 10 * time.Minute}, Options{Now: client.Now})
	ctx := context.Background()
	recDesk := f.desk(t, f.rec)
	ref := f.ring(t, f.recID, "")
	server.Advance(11 * time.Minute) // the server's token expired; the client does not know
	before := f.e.Stats()
	if _, err := f.rec.Answer(ctx, ref.TelephonySessionID, ref.PartyID, recDesk.ID); err != nil {
		t.Fatalf("a 401 was not executed: one refresh and the answer again: %v", err)
	}
	if n := f.e.Stats().RefreshRequests - before.RefreshRequests; n != 1 {
		t.Fatalf("%d refreshes after one 401", n)
	}
	if n := f.sent("POST", "/"+ref.PartyID+"/answer"); n != 2 {
		t.Fatalf("%d answers, want the refused one and its retry", n)
	}
}

func TestCallControlRetriesOnlyWhatNeverLeft(t *testing.T) {
	signedIn := func(url string) *Client {
		c := New(Config{ServerURL: url, ClientID: "id", ClientSecret: "s", JWT: "j"}, Options{RetryBase: time.Millisecond})
		c.tok = &token{access: "a", ttl: time.Hour, expiry: time.Now().Add(time.Hour), refreshExpiry: time.Now().Add(24 * time.Hour)}
		return c
	}
	// The server reads the transfer, then the connection drops: the
	// transfer may have happened, so it is not sent again.
	var got atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got.Add(1)
		conn, _, err := w.(http.Hijacker).Hijack()
		if err == nil {
			conn.Close()
		}
	}))
	defer srv.Close()
	_, err := signedIn(srv.URL).Transfer(context.Background(), "s-1", "p-1", TransferTarget{ExtensionNumber: "102"})
	if !errors.Is(err, ErrUnreachable) || got.Load() != 1 {
		t.Fatalf("a transfer cut off after it was sent: %v, sent %d times", err, got.Load())
	}
	// Nothing listens: the request never left, so trying again is safe.
	dead := httptest.NewServer(http.NotFoundHandler())
	url := dead.URL
	dead.Close()
	_, err = signedIn(url).Hold(context.Background(), "s-1", "p-1")
	if !errors.Is(err, ErrUnreachable) || CallControlError(err) != "RingCentral could not be reached: the call may not have changed" {
		t.Fatalf("a refused connection: %v", err)
	}
}
