package state

// The call tracker against the emulator's ground truth: a busy simulated
// call centre, the real rc client subscribed as the admin to the account's
// telephony sessions, a start from the active calls mid-day (callers
// already waiting and parked), and at many instants the same waiting
// callers, parked calls, people's calls and today's counts as the
// emulator. A short run by default; "go test ./state -run SoakCalls -soak
// 10m" for as long as you like.

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/rchud/rchud/emulator"
	"github.com/rchud/rchud/rc"
)

// truthParty, truthSession and truthTelephony are GET /_emulator/telephony.
type truthParty struct {
	ID          string `json:"id"`
	ExtensionID string `json:"extensionId"`
	Direction   string `json:"direction"`
	Status      struct {
		Code string `json:"code"`
	} `json:"status"`
}

type truthSession struct {
	ID        string       `json:"id"`
	Sequence  int64        `json:"sequence"`
	Waiting   bool         `json:"waiting"`
	Parties   []truthParty `json:"parties"`
	QueueID   string       `json:"queueId"`
	WaitStart string       `json:"waitStart"`
}

type truthTelephony struct {
	Sessions []truthSession        `json:"sessions"`
	Parked   []emulator.ParkedCall `json:"parked"`
}

// controlGet reads a control endpoint of the emulator.
func controlGet(t *testing.T, e *emulator.Emulator, path string, v any) {
	t.Helper()
	resp, err := http.Get(e.URL() + path)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: %d %s", path, resp.StatusCode, b)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
}

// callsWait polls cond until it holds, failing after d.
func callsWait(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", d, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// trackedClient is the real client feeding a tracker, as the mirror will.
type trackedClient struct {
	mu    sync.Mutex
	calls *Calls
	c     *rc.Client
	s     *rc.Stream
	done  chan struct{}
	gaps  int
}

func startTracked(t *testing.T, e *emulator.Emulator) *trackedClient {
	t.Helper()
	cr := e.Credentials()
	tc := &trackedClient{calls: NewCalls(), done: make(chan struct{}),
		c: rc.New(rc.Config{ServerURL: cr.ServerURL, ClientID: cr.ClientID, ClientSecret: cr.ClientSecret, JWT: cr.UserJWT}, rc.Options{})}
	ctx := context.Background()
	me, err := tc.c.Login(ctx)
	if err != nil {
		t.Fatal(err)
	}
	queues := map[ID]string{}
	for _, q := range e.Truth().Queues {
		queues[ID(q.ID)] = q.Name
	}
	tc.calls.SetMe(ID(me))
	tc.calls.SetAccountWide(true)
	tc.calls.SetQueues(queues)
	tc.s = tc.c.Stream([]string{rc.TelephonySessionsFilter("")}, rc.StreamOptions{ConnectTimeout: 5 * time.Second})
	live := make(chan struct{})
	go func() {
		defer close(tc.done)
		once := sync.OnceFunc(func() { close(live) })
		for ev := range tc.s.Events() {
			switch {
			case ev.Link != nil && ev.Link.State == rc.LinkLive:
				once()
			case ev.Resync != nil:
				tc.mu.Lock()
				tc.calls.Gap(time.Now())
				tc.gaps++
				tc.mu.Unlock()
			case ev.Notification != nil && ev.Notification.Kind() == rc.KindTelephonySession:
				s, err := ev.Notification.TelephonySession()
				if err != nil {
					t.Errorf("undecodable telephony event: %v", err)
					continue
				}
				tc.mu.Lock()
				tc.calls.Apply(s, time.Now())
				tc.mu.Unlock()
			}
		}
	}()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		tc.s.Close(ctx)
		<-tc.done
	})
	select {
	case <-live:
	case <-time.After(10 * time.Second):
		t.Fatal("the telephony subscription never went live")
	}
	return tc
}

// bootstrap reads the active calls, settles what presence can, and reads
// the sessions the tracker still needs, as the sync loop will. To try both
// ways, only some people's presence is used (skip says whose is not).
func (tc *trackedClient) bootstrap(t *testing.T, skip func() bool) (records, reads int) {
	t.Helper()
	ctx := context.Background()
	at := time.Now()
	var all []rc.CallLogRecord
	if err := tc.c.ActiveCalls(ctx, "", func(rs []rc.CallLogRecord) error { all = append(all, rs...); return nil }); err != nil {
		t.Fatal(err)
	}
	tc.mu.Lock()
	tc.calls.Bootstrap(all, at)
	tc.mu.Unlock()
	err := tc.c.AccountPresence(ctx, true, func(ps []rc.Presence) error {
		tc.mu.Lock()
		defer tc.mu.Unlock()
		for _, p := range ps {
			if !skip() {
				tc.calls.SettleFromPresence(ID(p.Who()), p.ActiveCalls, time.Now())
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	tc.mu.Lock()
	need := tc.calls.Need()
	tc.mu.Unlock()
	for _, id := range need {
		s, err := tc.c.TelephonySession(ctx, id)
		if rc.IsStatus(err, 404) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		tc.mu.Lock()
		tc.calls.AddSession(s, time.Now())
		tc.mu.Unlock()
	}
	return len(all), len(need)
}

// sessionSeq is the highest sequence applied to a live session (-1: not live).
func (c *Calls) sessionSeq(id string) int64 {
	s := c.sessions[id]
	if s == nil {
		return -1
	}
	var n int64
	for _, p := range s.parties {
		n = max(n, p.seq)
	}
	return n
}

// truthCheck compares the tracker with the emulator, paused.
type truthCheck struct {
	e        *emulator.Emulator
	tc       *trackedClient
	queues   map[string]bool
	baseline map[string][2]int // queue -> answered, abandoned when counting started
	day      string
	startSeq map[string]int64 // the sessions' sequences when the tracker started
}

func newTruthCheck(t *testing.T, e *emulator.Emulator, tc *trackedClient) *truthCheck {
	tk := &truthCheck{e: e, tc: tc, queues: map[string]bool{}, baseline: map[string][2]int{}, startSeq: map[string]int64{}}
	var b emulator.Backlog
	controlGet(t, e, "/_emulator/queues/backlog", &b)
	tk.day = b.Day
	for _, q := range b.Queues {
		tk.queues[q.ID] = true
		tk.baseline[q.ID] = [2]int{q.AnsweredToday, q.AbandonedToday}
	}
	var tel truthTelephony
	controlGet(t, e, "/_emulator/telephony", &tel)
	for _, s := range tel.Sessions {
		tk.startSeq[s.ID] = s.Sequence
	}
	return tk
}

func within(a, b time.Time, d time.Duration) bool { return a.Sub(b).Abs() <= d }

// check waits for the tracker to have every event the paused emulator
// sent, then compares. It returns the number of waiting callers, parked
// calls and people's calls compared.
func (tk *truthCheck) check(t *testing.T, when string) (waiting, parked, calls int) {
	t.Helper()
	var tel truthTelephony
	controlGet(t, tk.e, "/_emulator/telephony", &tel)
	var b emulator.Backlog
	controlGet(t, tk.e, "/_emulator/queues/backlog", &b)
	live := map[string]bool{}
	for _, s := range tel.Sessions {
		live[s.ID] = true
	}
	c := tk.tc.calls
	callsWait(t, 10*time.Second, when+": the tracker to catch up", func() bool {
		tk.tc.mu.Lock()
		defer tk.tc.mu.Unlock()
		for _, s := range tel.Sessions {
			got := c.sessionSeq(s.ID)
			if got != s.Sequence && !(got >= 0 && tk.startSeq[s.ID] == s.Sequence) {
				return false
			}
		}
		for id := range c.sessions {
			if !live[id] {
				return false
			}
		}
		return true
	})
	tk.tc.mu.Lock()
	defer tk.tc.mu.Unlock()
	fail := func(format string, args ...any) {
		t.Helper()
		t.Fatalf(when+": "+format, args...)
	}

	// Every queue's waiting callers: the same calls, since the same time.
	for _, q := range b.Queues {
		got, ok := c.Backlog(ID(q.ID))
		if !ok || !got.Known || got.LowerBound {
			fail("queue %s: %+v", q.Name, got)
		}
		if len(got.Waiting) != len(q.Waiting) {
			fail("queue %s: %d waiting, the emulator says %d:\n%+v\n%+v", q.Name, len(got.Waiting), len(q.Waiting), got.Waiting, q.Waiting)
		}
		want := map[string]emulator.WaitingCall{}
		for _, w := range q.Waiting {
			want[w.TelephonySessionID+"/"+w.PartyID] = w
		}
		for i, w := range got.Waiting {
			tw, ok := want[w.Session+"/"+w.Party]
			if !ok {
				fail("queue %s: %s/%s waits only for the tracker", q.Name, w.Session, w.Party)
			}
			if !within(w.Since, rc.ParseTime(tw.WaitStart), time.Second) || w.CallerNumber != tw.CallerNumber ||
				string(w.RingingExt) != tw.RingingExtensionID {
				fail("queue %s: waiter %+v, the emulator says %+v", q.Name, w, tw)
			}
			if i == 0 && !within(w.Since, rc.ParseTime(q.LongestWaitStart), time.Second) {
				fail("queue %s: longest wait since %v, the emulator says %s", q.Name, w.Since, q.LongestWaitStart)
			}
		}
		waiting += len(got.Waiting)
		if b.Day == tk.day {
			base := tk.baseline[q.ID]
			if got.Answered != q.AnsweredToday-base[0] || got.Abandoned != q.AbandonedToday-base[1] {
				fail("queue %s: answered %d abandoned %d, the emulator %d-%d and %d-%d", q.Name, got.Answered, got.Abandoned,
					q.AnsweredToday, base[0], q.AbandonedToday, base[1])
			}
		}
	}

	// Parked calls.
	gotParked := c.Parked()
	if len(gotParked) != len(tel.Parked) {
		fail("%d parked, the emulator says %d:\n%+v\n%+v", len(gotParked), len(tel.Parked), gotParked, tel.Parked)
	}
	byParty := map[string]emulator.ParkedCall{}
	for _, p := range tel.Parked {
		byParty[p.PartyID] = p
	}
	for _, p := range gotParked {
		tp, ok := byParty[p.Party]
		orbitOK := tp.ParkLocationID == "" && p.Orbit == tp.Orbit || tp.ParkLocationID != "" && string(p.Location) == tp.ParkLocationID
		if !ok || p.Session != tp.TelephonySessionID || !orbitOK || string(p.ParkedBy) != tp.ParkedBy || p.CallerNumber != tp.CallerNumber ||
			!within(p.Since, rc.ParseTime(tp.Since), time.Second) {
			fail("parked %+v, the emulator says %+v", p, tp)
		}
	}

	// Everyone's calls: each user's live party, in its state.
	want := map[ID][]string{}
	for _, s := range tel.Sessions {
		for _, p := range s.Parties {
			if p.ExtensionID == "" || tk.queues[p.ExtensionID] {
				continue
			}
			want[ID(p.ExtensionID)] = append(want[ID(p.ExtensionID)], s.ID+"/"+p.ID+"/"+truthState(p).String())
		}
	}
	exts := map[ID]bool{}
	for ext := range want {
		exts[ext] = true
	}
	for ext := range c.byExt {
		if !tk.queues[string(ext)] {
			exts[ext] = true
		}
	}
	for ext := range exts {
		var got []string
		for _, pc := range c.Of(ext) {
			if !pc.Known {
				fail("%s's call %s/%s is still a guess", ext, pc.Session, pc.Party)
			}
			got = append(got, pc.Session+"/"+pc.Party+"/"+pc.State.String())
		}
		w := want[ext]
		sort.Strings(got)
		sort.Strings(w)
		if !slices.Equal(got, w) {
			fail("%s's calls: %v, the emulator says %v", ext, got, w)
		}
		calls += len(got)
	}
	return waiting, len(gotParked), calls
}

// act works the switchboard while the floor is paused, as a supervisor
// might: answers a queue call ringing an agent (on the agent's desk phone)
// and drops a caller waiting in a queue, so answered and abandoned calls
// come in every run, however short.
func (tk *truthCheck) act(t *testing.T) (answered, dropped int) {
	t.Helper()
	ctx := context.Background()
	tk.tc.mu.Lock()
	var ring, wait *Waiter
	var party string
	for _, b := range tk.tc.calls.Backlogs() {
		for i := range b.Waiting {
			w := &b.Waiting[i]
			if w.RingingExt != "" && ring == nil {
				for _, pc := range tk.tc.calls.Of(w.RingingExt) {
					if pc.Session == w.Session && pc.State == CallRinging {
						ring, party = w, pc.Party
					}
				}
			}
			if w.RingingExt == "" && wait == nil {
				wait = w // one nobody is offered yet
			}
		}
	}
	tk.tc.mu.Unlock()
	if ring != nil {
		devs, err := tk.tc.c.Devices(ctx, rc.ID(ring.RingingExt))
		if err != nil || len(devs) == 0 {
			t.Fatalf("devices of %s: %v", ring.RingingExt, err)
		}
		if _, err := tk.tc.c.Answer(ctx, ring.Session, party, devs[0].ID); err != nil {
			t.Fatalf("answer %s/%s for %s: %v", ring.Session, party, ring.RingingExt, err)
		}
		answered++
	}
	if wait != nil {
		if err := tk.tc.c.Drop(ctx, wait.Session); err != nil {
			t.Fatalf("drop %s: %v", wait.Session, err)
		}
		dropped++
	}
	return answered, dropped
}

// truthState is the switchboard state of a party of the ground truth.
func truthState(p truthParty) CallState {
	switch p.Status.Code {
	case emulator.PartySetup, emulator.PartyProceeding:
		if p.Direction == "Outbound" {
			return CallDialling
		}
		return CallRinging
	case emulator.PartyHold:
		return CallHeld
	case emulator.PartyParked:
		return CallParked
	case emulator.PartyVoiceMail:
		return CallVoicemail
	}
	return CallConnected
}

// startBusyFloor starts a small call centre (200 people, 6 queues, 4,000
// calls a minute) and waits until more than 20 calls are in progress.
// Its rate limits are generous and the client learns them from the
// headers: a test's reads and actions need not wait out RingCentral's
// default budgets.
func startBusyFloor(t *testing.T, seed int64) *emulator.Emulator {
	t.Helper()
	limits := map[emulator.Group]emulator.RateLimit{}
	for _, g := range []emulator.Group{emulator.Light, emulator.Medium, emulator.Heavy} {
		limits[g] = emulator.RateLimit{Limit: 100000, Window: time.Minute, Penalty: time.Minute}
	}
	e, err := emulator.Start(emulator.Config{Users: 200, Queues: 6, Seed: seed, CallsPerMinute: 4000, RateLimits: limits}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	callsWait(t, 10*time.Second, "the floor to warm up", func() bool {
		var tel truthTelephony
		controlGet(t, e, "/_emulator/telephony", &tel)
		return len(tel.Sessions) > 20
	})
	return e
}

func TestSoakCallsMatchTheEmulatorsTruth(t *testing.T) {
	r := testRand(t)
	seed := int64(r.Uint64()>>2) + 1
	run := soakLen(3 * time.Second)
	// Mid-day: the floor is busy before the client starts; freeze it, and
	// have callers waiting and calls parked for sure.
	e := startBusyFloor(t, seed)
	e.Pause()
	truth := e.Truth()
	rec := e.Credentials().Receptionist.ExtensionID
	var loc string
	for _, x := range truth.Extensions {
		if x.Type == "ParkLocation" {
			loc = x.ID
		}
	}
	for i := 0; i < 3; i++ {
		q := truth.Queues[i%len(truth.Queues)]
		if _, err := e.QueueCall(rc.ID(q.ID).Int64(), emulator.CallerInfo{Number: fmt.Sprintf("+1415555%04d", i), Name: "Early \x1b[7mCaller"}); err != nil {
			t.Fatal(err)
		}
	}
	for _, orbit := range []string{"", loc} {
		if _, err := e.ParkedCall(orbit, emulator.CallerInfo{Number: "+14155559999"}, rc.ID(rec).Int64()); err != nil {
			t.Fatal(err)
		}
	}

	tc := startTracked(t, e)
	tk := newTruthCheck(t, e, tc)
	records, reads := tc.bootstrap(t, func() bool { return r.IntN(2) == 0 })
	w, p, n := tk.check(t, "at start")
	t.Logf("started from %d active calls (%d sessions read, the rest settled by presence): %d waiting, %d parked, %d people's calls", records, reads, w, p, n)
	if w < 3 || p < 2 {
		t.Fatalf("the start must see the callers waiting and the parked calls: %d waiting, %d parked", w, p)
	}

	e.Resume()
	end := time.Now().Add(run)
	checks, maxWaiting := 0, 0
	var acted [2]int
	for checks < 3 || time.Now().Before(end) {
		timer := time.NewTimer(200*time.Millisecond + time.Duration(r.IntN(300))*time.Millisecond)
		<-timer.C // let the floor run
		e.Pause()
		w, _, _ := tk.check(t, fmt.Sprintf("check %d", checks+1))
		maxWaiting = max(maxWaiting, w)
		a, d := tk.act(t)
		acted[0], acted[1] = acted[0]+a, acted[1]+d
		e.Resume()
		checks++
	}
	e.Pause()
	var b emulator.Backlog
	controlGet(t, e, "/_emulator/queues/backlog", &b)
	answered, abandoned := 0, 0
	for _, q := range b.Queues {
		answered += q.AnsweredToday - tk.baseline[q.ID][0]
		abandoned += q.AbandonedToday - tk.baseline[q.ID][1]
	}
	tk.check(t, "at the end")
	t.Logf("%d checks over %v: up to %d callers waiting; %d answered, %d abandoned (%d answered, %d dropped by the test); %d gaps",
		checks, run, maxWaiting, answered, abandoned, acted[0], acted[1], tc.gaps)
	if answered == 0 || abandoned == 0 || maxWaiting == 0 {
		t.Fatalf("the floor was too quiet to prove anything: %d answered, up to %d waiting", answered, maxWaiting)
	}
	if tc.gaps != 0 {
		t.Fatalf("%d gaps on a fault-free link", tc.gaps)
	}
}
