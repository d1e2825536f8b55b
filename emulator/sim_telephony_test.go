package emulator

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
	"time"
)

// client runs a client's call-control action now, as a REST handler
// would: in one Tx, with the simulation told.
func (f *floor) client(fn func(tx *Tx, t *switchboard) *apiError) {
	f.t.Helper()
	var ae *apiError
	f.p.Mutate(func(tx *Tx) { ae = fn(tx, f.p.tel) })
	if ae != nil {
		f.t.Fatalf("client action: %v", ae)
	}
}

// partyOfLeg returns the party of ext's only call.
func (f *floor) onlyParty(ext *Extension) *callParty {
	f.t.Helper()
	f.p.mu.Lock()
	defer f.p.mu.Unlock()
	if n := len(ext.Presence.Legs); n != 1 {
		f.t.Fatalf("%s has %d calls, want 1", ext.Name, n)
	}
	return ext.Presence.Legs[0].party
}

// mainLineCall rings the receptionist from the main number now.
func (f *floor) mainLineCall() *phoneCall {
	c := &phoneCall{kind: mainLineCall, party: caller{number: "+14155550142", name: "Globex Corp"}, who: f.cc.people[f.p.dir.Receptionist]}
	f.cc.inject(f.now, c)
	f.step(0)
	return c
}

// simulated returns n users at their desks the simulation plays.
func (f *floor) simulated(n int) []*Extension {
	var out []*Extension
	for _, u := range f.cc.users {
		if !u.credentialed && len(out) < n {
			f.atDesk(u.ext)
			out = append(out, u.ext)
		}
	}
	return out
}

func TestSignedInReceptionistsCallsRingOutToVoicemail(t *testing.T) {
	f := newQuietFloor(t) // every simulated phone is answered after 3 s
	rec := f.p.dir.Receptionist
	f.cc.model.voicemailLength = span{30 * time.Second, 30 * time.Second}
	c := f.mainLineCall()
	pt := f.onlyParty(rec)
	f.step(f.cc.model.directRing - time.Second)
	if l := f.legs(rec); len(l) != 1 || l[0].Status != TelRinging {
		t.Fatalf("nobody answers for the signed-in receptionist: %+v", l)
	}
	f.step(time.Second)
	if l := f.legs(rec); len(l) != 0 || pt.Status != PartyDisconnected || pt.Reason != ReasonNoAnswer || !pt.Missed {
		t.Fatalf("after ringing out: legs %+v, party %s/%s", l, pt.Status, pt.Reason)
	}
	s := c.sess
	vm := s.Parties[len(s.Parties)-1]
	if vm.Status != PartyVoiceMail || vm.Ext != rec || f.stats().Voicemails != 1 {
		t.Fatalf("the caller should be leaving a message: %+v", vm)
	}
	f.step(30 * time.Second)
	if _, ok := f.p.tel.lookup(s.ID); ok || vm.Status != PartyDisconnected || s.Caller.Status != PartyDisconnected {
		t.Fatalf("after the message the call is over")
	}
}

func TestAnsweredByAClientTheSimulationOnlyPlaysTheCaller(t *testing.T) {
	f := newQuietFloor(t)
	m := &f.cc.model
	// Were the simulation to act for the receptionist it would hold,
	// transfer or park at once.
	m.holdChance, m.transferChance, m.mainLineTransfer, m.parkChance = 1, 1, 1, 1
	m.mainLineTalk = logNormal{median: 40 * time.Second, min: 40 * time.Second, max: 40 * time.Second}
	rec := f.p.dir.Receptionist
	c := f.mainLineCall()
	f.step(5 * time.Second)
	pt := f.onlyParty(rec)
	f.client(func(tx *Tx, t *switchboard) *apiError { return t.answer(tx, pt, f.p.DeskPhone(rec)) })
	if f.stats().CallsAnswered != 1 || !c.attended {
		t.Fatalf("an answer by a client counts and takes the call over")
	}
	for range 39 {
		f.step(time.Second)
		if l := f.legs(rec); len(l) != 1 || l[0].Status != TelConnected {
			t.Fatalf("the simulation acted for the receptionist: %+v", l)
		}
	}
	f.step(time.Second)
	if len(f.legs(rec)) != 0 || c.state != callEnded {
		t.Fatalf("the caller hangs up when their talk is over")
	}
}

func TestTransferredColleagueAnswersDeclinesOrLetsItRing(t *testing.T) {
	for _, c := range []struct {
		name           string
		answer, reject float64
		after          time.Duration
		want           string // the target's party status after
		reason         string
	}{
		{"answers", 1, 0, 3 * time.Second, PartyAnswered, ""},
		{"declines", 0, 1, 4 * time.Second, PartyDisconnected, ReasonRejected},
		{"rings out", 0, 0, 20 * time.Second, PartyDisconnected, ReasonNoAnswer},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := newQuietFloor(t)
			m := &f.cc.model
			m.answerFree, m.declineShare, m.declineDelay = c.answer, c.reject, span{4 * time.Second, 4 * time.Second}
			rec := f.p.dir.Receptionist
			colleague := f.simulated(1)[0]
			f.mainLineCall()
			pt := f.onlyParty(rec)
			f.client(func(tx *Tx, t *switchboard) *apiError { return t.answer(tx, pt, f.p.DeskPhone(rec)) })
			f.step(2 * time.Second)
			f.client(func(tx *Tx, t *switchboard) *apiError {
				return t.transfer(tx, pt, transferTarget{kind: toUser, ext: colleague})
			})
			if len(f.legs(rec)) != 0 || f.stats().CallsTransferred != 1 {
				t.Fatalf("the receptionist's leg must end on transfer")
			}
			target := f.onlyParty(colleague)
			f.step(c.after - time.Second)
			if target.Status != PartyProceeding {
				t.Fatalf("too early the target is %s", target.Status)
			}
			f.step(time.Second)
			if target.Status != c.want || target.Reason != c.reason {
				t.Fatalf("the colleague's party is %s/%s, want %s/%s", target.Status, target.Reason, c.want, c.reason)
			}
			if c.want == PartyDisconnected {
				if last := pt.sess.Parties[len(pt.sess.Parties)-1]; last.Status != PartyVoiceMail || last.Ext != colleague || f.stats().Voicemails != 1 {
					t.Fatalf("a call the colleague does not take goes to their voicemail: %+v", last)
				}
			}
		})
	}
}

func TestCallerHeldByAClientHangsUpInTheEnd(t *testing.T) {
	f := newQuietFloor(t)
	m := &f.cc.model
	m.holdPatience = span{2 * time.Minute, 2 * time.Minute}
	rec := f.p.dir.Receptionist
	f.mainLineCall()
	pt := f.onlyParty(rec)
	f.client(func(tx *Tx, t *switchboard) *apiError { return t.answer(tx, pt, f.p.DeskPhone(rec)) })
	f.client(func(tx *Tx, t *switchboard) *apiError { return t.hold(tx, pt) })
	f.step(2*time.Minute - time.Second)
	if pt.Status != PartyHold {
		t.Fatalf("the caller waits on hold: %s", pt.Status)
	}
	f.step(time.Second)
	if pt.Status != PartyDisconnected || len(f.legs(rec)) != 0 {
		t.Fatalf("left on hold too long, the caller hangs up: %s", pt.Status)
	}
}

func TestClientParkedCallIsPickedUpByAColleague(t *testing.T) {
	f := newQuietFloor(t)
	m := &f.cc.model
	m.parkTime, m.parkPickup = span{30 * time.Second, 30 * time.Second}, 1
	rec := f.p.dir.Receptionist
	f.simulated(len(f.cc.users))
	c := f.mainLineCall()
	pt := f.onlyParty(rec)
	f.client(func(tx *Tx, t *switchboard) *apiError { return t.answer(tx, pt, f.p.DeskPhone(rec)) })
	f.client(func(tx *Tx, t *switchboard) *apiError { return t.park(tx, pt, transferTarget{kind: toPark}) })
	if pt.Status != PartyParked || pt.ParkData != "*801" || f.legs(rec)[0].Status != TelParked {
		t.Fatalf("parked: %s %q", pt.Status, pt.ParkData)
	}
	f.step(30 * time.Second)
	if pt.Status != PartyDisconnected || pt.Reason != ReasonPickup || len(f.legs(rec)) != 0 {
		t.Fatalf("a colleague picks the parked call up: %s/%s", pt.Status, pt.Reason)
	}
	if c.who == nil || c.who.credentialed || f.legs(c.who.ext)[0].Status != TelConnected || len(f.p.tel.parkedCalls()) != 0 {
		t.Fatalf("the picker talks to the caller now")
	}
}

func TestQueueCallsCountAnsweredAndAbandonedToday(t *testing.T) {
	f := newQuietFloor(t)
	q := f.p.dir.Queues[0]
	f.onlyMembers(q)
	f.queueCall(q)
	f.step(10 * time.Second)
	bl := f.p.tel.backlog(f.now).Queues[0]
	if bl.WaitingNow != 1 || bl.Waiting[0].WaitStart != rcTime(simT0) {
		t.Fatalf("a caller with nobody to answer waits: %+v", bl)
	}
	f.run(f.cc.model.queuePatience.hi)
	bl = f.p.tel.backlog(f.now).Queues[0]
	if bl.WaitingNow != 0 || bl.AbandonedToday != 1 || bl.AnsweredToday != 0 {
		t.Fatalf("after the caller gave up: %+v", bl)
	}
	m := f.membersOf(q, 1)[0]
	f.atDesk(m)
	f.p.Mutate(func(tx *Tx) { tx.SetQueueAccept(q, m, true) })
	f.queueCall(q)
	f.step(3 * time.Second)
	bl = f.p.tel.backlog(f.now).Queues[0]
	if bl.WaitingNow != 0 || bl.AnsweredToday != 1 || bl.AbandonedToday != 1 {
		t.Fatalf("after an agent answered: %+v", bl)
	}
	// A new day starts the counts again.
	f.step(24 * time.Hour)
	if bl = f.p.tel.backlog(f.now).Queues[0]; bl.AnsweredToday != 0 || bl.AbandonedToday != 0 {
		t.Fatalf("a new day: %+v", bl)
	}
}

func TestControlMadeCallsAreDrivenBySimulation(t *testing.T) {
	f := newQuietFloor(t)
	q := f.p.dir.Queues[0]
	m := f.membersOf(q, 1)[0]
	f.onlyMembers(q, m)
	em := &Emulator{p: f.p}
	ref, err := em.QueueCall(q.Ext.ID, CallerInfo{Number: "+14155550199", Name: "Initech"})
	if err != nil {
		t.Fatal(err)
	}
	f.step(0)
	legs := f.legs(m)
	if len(legs) != 1 || legs[0].TelephonySessionID != ref.TelephonySessionID || legs[0].Status != TelRinging {
		t.Fatalf("the waiting caller is offered to the free member: %+v", legs)
	}
	f.step(3 * time.Second)
	if f.legs(m)[0].Status != TelConnected {
		t.Fatalf("and the member answers")
	}
	// A call ringing a simulated user is answered; one ringing the
	// receptionist is not.
	us := f.simulated(5)
	u := us[slices.IndexFunc(us, func(e *Extension) bool { return e != m })]
	r1, _ := em.RingingCall(u.ID, CallerInfo{}, RingOptions{})
	r2, _ := em.RingingCall(f.p.dir.Receptionist.ID, CallerInfo{}, RingOptions{MainLine: true})
	f.step(3 * time.Second)
	if f.legs(u)[0].Status != TelConnected || f.legs(f.p.dir.Receptionist)[0].Status != TelRinging {
		t.Fatalf("control calls: %+v / %+v (%s, %s)", f.legs(u), f.legs(f.p.dir.Receptionist), r1.PartyID, r2.PartyID)
	}
}

// checkTelephony asserts that presence and sessions tell one story: every
// leg is a live user party of a live session with the same ids and a
// matching status, every live user party has its leg, every parked party
// holds its orbit, every waiting session has its queue party live.
func checkTelephony(t *testing.T, p *Platform) {
	t.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	legs := 0
	for _, e := range p.dir.Extensions {
		for _, l := range e.Presence.Legs {
			legs++
			pt := l.party
			s, ok := p.tel.lookup(l.TelephonySessionID)
			if pt == nil || !ok || pt.sess != s || pt.Ext != e || !pt.live() || pt.ID != l.PartyID || s.LegacyID != l.SessionID || !slices.Contains(s.Parties, pt) {
				t.Fatalf("%s's leg %s is not a live party of a live session", e.Name, l.ID)
			}
			if want := partyStatusOf(l.Status); pt.Status != want {
				t.Fatalf("%s's leg is %s, its party %s (want %s)", e.Name, l.Status, pt.Status, want)
			}
		}
	}
	parties := 0
	for _, s := range p.tel.sessions {
		if len(s.live()) == 0 {
			t.Fatalf("session %s has nobody left but is still listed", s.ID)
		}
		for _, pt := range s.live() {
			if pt.leg != nil {
				parties++
				if !slices.Contains(pt.Ext.Presence.Legs, pt.leg) {
					t.Fatalf("a live party of %s has no leg in presence", pt.Ext.Name)
				}
			}
		}
		if s.QueueParty != nil && s.QueueParty.live() && s.Caller != nil && !s.Caller.live() {
			t.Fatalf("session %s waits in a queue without a caller", s.ID)
		}
	}
	if parties != legs {
		t.Fatalf("%d legs but %d live user parties", legs, parties)
	}
	for spot, pt := range p.tel.parked {
		if pt.Status != PartyParked || pt.spot != spot || !pt.live() {
			t.Fatalf("orbit %s holds a party in %s", spot, pt.Status)
		}
	}
}

func TestPresenceSessionsAndBacklogAgreeOnABusyFloor(t *testing.T) {
	seed := time.Now().UnixNano() % 1000
	t.Logf("seed %d", seed)
	f := newFloor(t, Config{Users: 60, Queues: 4, Seed: seed, CallsPerMinute: 60})
	sub, sink := subscribe(t, f.p, f.p.dir.Receptionist, "/restapi/v1.0/account/~/telephony/sessions")
	f.step(0)
	waitingSim := func() map[string]int {
		n := map[string]int{}
		f.p.mu.Lock()
		defer f.p.mu.Unlock()
		for _, line := range f.cc.lines {
			for _, c := range line.waiting[line.head:] {
				if c != nil && c.state == callWaiting {
					n[line.q.Ext.IDString()]++
				}
			}
		}
		for _, c := range f.cc.calls {
			if c.kind == queueCall && c.state == callRinging && c.sess.waiting() {
				n[c.line.q.Ext.IDString()]++
			}
		}
		return n
	}
	for minute := range 6 {
		f.run(time.Minute)
		checkTelephony(t, f.p)
		want := waitingSim()
		bl := func() Backlog { f.p.mu.Lock(); defer f.p.mu.Unlock(); return f.p.tel.backlog(f.now) }()
		abandoned := 0
		for _, qb := range bl.Queues {
			if qb.WaitingNow != want[qb.ID] {
				t.Fatalf("minute %d, %s: backlog says %d waiting, the simulation %d", minute, qb.Name, qb.WaitingNow, want[qb.ID])
			}
			abandoned += qb.AbandonedToday
		}
		if st := f.stats(); int64(abandoned) != st.CallsAbandoned {
			t.Fatalf("minute %d: %d abandoned in the backlog, %d by the simulation", minute, abandoned, st.CallsAbandoned)
		}
	}
	if st := f.stats(); st.QueueCalls < 100 || st.Voicemails == 0 || st.CallsTransferred == 0 {
		t.Fatalf("too little happened to prove much: %+v", st)
	}
	// Per session, event sequences rise one by one in the order sent.
	last := map[string]int64{}
	f.p.mu.Lock()
	got := slices.Clone(sink.got)
	f.p.mu.Unlock()
	for _, c := range got {
		var body struct {
			Sequence           int64  `json:"sequence"`
			TelephonySessionID string `json:"telephonySessionId"`
		}
		b, _ := json.Marshal(c.envelope["body"])
		mustJSON(t, b, &body)
		if body.Sequence != last[body.TelephonySessionID]+1 {
			t.Fatalf("session %s: sequence %d after %d", body.TelephonySessionID, body.Sequence, last[body.TelephonySessionID])
		}
		last[body.TelephonySessionID] = body.Sequence
	}
	if len(got) < 1000 || sub.ID == "" {
		t.Fatalf("only %d telephony events", len(got))
	}
}

func TestSameSeedGivesTheSameSessions(t *testing.T) {
	render := func(f *floor) string {
		f.p.mu.Lock()
		defer f.p.mu.Unlock()
		var out []any
		for _, s := range f.p.tel.ordered() {
			out = append(out, f.p.callSessionJSON(s))
		}
		b, _ := json.Marshal(out)
		return fmt.Sprintf("%s %v", b, f.p.tel.parkedCalls())
	}
	a, b := busyFloor(t, 9, 10*time.Minute), busyFloor(t, 9, 10*time.Minute)
	if ra, rb := render(a), render(b); ra != rb || len(ra) < 1000 {
		t.Fatalf("two runs with one seed have different sessions")
	}
	if !reflect.DeepEqual(a.p.tel.backlog(a.now), b.p.tel.backlog(b.now)) {
		t.Fatalf("two runs with one seed have different backlogs")
	}
}

func TestClientActionsOnABusyFloorKeepPresenceAndSessionsInStep(t *testing.T) {
	seed := time.Now().UnixNano() % 10000
	t.Logf("seed %d", seed)
	f := newFloor(t, Config{Users: 60, Queues: 3, Seed: seed, CallsPerMinute: 60})
	r := rand.New(rand.NewPCG(uint64(seed), 7))
	f.step(0)
	users := f.cc.users
	var loc *Extension
	for _, e := range f.p.dir.Extensions {
		if e.Type == TypeParkLocation {
			loc = e
		}
	}
	done := map[string]int{}
	for range 10 * 60 / 2 {
		f.step(2 * time.Second)
		f.p.mu.Lock()
		var live []*callParty
		for _, s := range f.p.tel.ordered() {
			live = append(live, s.live()...)
		}
		f.p.mu.Unlock()
		if len(live) == 0 {
			continue
		}
		pt := live[r.IntN(len(live))]
		for range 3 { // prefer users' parties, as a client would
			if pt.leg == nil {
				pt = live[r.IntN(len(live))]
			}
		}
		other := users[r.IntN(len(users))].ext
		targets := []transferTarget{
			{kind: toUser, ext: other}, {kind: toQueue, ext: f.p.dir.Queues[r.IntN(3)].Ext},
			{kind: toVoicemail, ext: other}, {kind: toOutside, number: "+442071838750"},
			{kind: toPark}, {kind: toPark, ext: loc},
		}
		tg := targets[r.IntN(len(targets))]
		// Mostly what a receptionist would do with a party in that state,
		// now and then anything at all (a 409 is fine then).
		all := []string{"answer", "hold", "unhold", "transfer", "forward", "park", "pickup", "ignore", "hangup"}
		sensible := map[string][]string{
			PartySetup: {"answer", "forward", "ignore"}, PartyProceeding: {"answer", "forward", "ignore", "hangup"},
			PartyAnswered: {"hold", "transfer", "park", "hangup"}, PartyHold: {"unhold", "transfer", "park"},
			PartyParked: {"pickup", "hangup"},
		}[pt.Status]
		action := all[r.IntN(len(all))]
		if len(sensible) > 0 && r.IntN(5) > 0 {
			action = sensible[r.IntN(len(sensible))]
		}
		var ae *apiError
		f.p.Mutate(func(tx *Tx) {
			t := f.p.tel
			if !pt.live() {
				return
			}
			switch action {
			case "answer":
				if pt.Ext != nil && pt.Ext.Type == TypeUser {
					ae = t.answer(tx, pt, f.p.DeskPhone(pt.Ext))
				}
			case "hold":
				ae = t.hold(tx, pt)
			case "unhold":
				ae = t.unhold(tx, pt)
			case "transfer":
				if tg.ext != pt.Ext {
					ae = t.transfer(tx, pt, tg)
				}
			case "forward":
				if tg.kind != toPark && tg.ext != pt.Ext {
					ae = t.forward(tx, pt, tg)
				}
			case "park":
				ae = t.park(tx, pt, transferTarget{kind: toPark})
			case "pickup":
				_, ae = t.pickup(tx, pt, f.p.DeskPhone(other))
			case "ignore":
				ae = t.ignore(tx, pt)
			case "hangup":
				t.drop(tx, pt.sess, pt)
			}
		})
		if ae == nil {
			done[action]++
		} else if ae.Status != 409 {
			t.Fatalf("%s on a %s party: %v", action, pt.Status, ae)
		}
		checkTelephony(t, f.p)
	}
	t.Logf("actions done: %v", done)
	for _, a := range []string{"answer", "hold", "transfer", "park", "hangup"} {
		if done[a] == 0 {
			t.Fatalf("no %s succeeded: %v", a, done)
		}
	}
}
