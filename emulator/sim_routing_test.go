package emulator

import (
	"slices"
	"testing"
	"time"
)

func TestQueueCallsSkipFullDNDAndDirectCallsGoToVoicemail(t *testing.T) {
	f := newQuietFloor(t)
	q := f.p.dir.Queues[0]
	m := f.membersOf(q, 2)
	dnd, free := m[0], m[1]
	f.onlyMembers(q, dnd, free)
	f.set(dnd, PresenceUpdate{DNDStatus: ptr(DNDNoCalls)})
	f.setIdleSince(dnd, simT0.Add(-time.Hour)) // longest idle, so only the rule keeps calls off them

	f.queueCall(q)
	if got := f.ringingOn(dnd, free); !slices.Equal(got, []*Extension{free}) {
		t.Fatalf("queue call rang %v; want only the member taking calls", names(got))
	}
	// With the only other member busy, the next caller waits rather than ringing DND.
	f.queueCall(q)
	f.run(30 * time.Second)
	if n := len(f.legs(dnd)); n != 0 {
		t.Fatalf("a DoNotAcceptAnyCalls member got %d queue call legs", n)
	}

	seq := dnd.Presence.Sequence
	vm := f.stats().Voicemails
	f.directCall(dnd)
	f.run(30 * time.Second)
	if n := len(f.legs(dnd)); n != 0 || dnd.Presence.Sequence != seq {
		t.Fatalf("a direct call rang a DoNotAcceptAnyCalls user (%d legs, sequence %d -> %d)", n, seq, dnd.Presence.Sequence)
	}
	if got := f.stats().Voicemails; got != vm+1 {
		t.Fatalf("voicemails %d -> %d; want one more", vm, got)
	}
}

func TestDepartmentDNDTakesDirectCallsButNoQueueCalls(t *testing.T) {
	f := newQuietFloor(t)
	q := f.p.dir.Queues[0]
	m := f.membersOf(q, 1)[0]
	f.onlyMembers(q, m)
	f.set(m, PresenceUpdate{DNDStatus: ptr(DNDNoDepartment)})

	c := f.queueCall(q)
	f.run(20 * time.Second)
	if n := len(f.legs(m)); n != 0 || c.state != callWaiting {
		t.Fatalf("DoNotAcceptDepartmentCalls member got a queue call (%d legs, caller state %d)", n, c.state)
	}
	f.directCall(m)
	legs := f.legs(m)
	if len(legs) != 1 || legs[0].Status != TelRinging || legs[0].QueueCall {
		t.Fatalf("direct call to a DoNotAcceptDepartmentCalls user: legs %+v; want one ringing direct call", legs)
	}
	f.step(3 * time.Second)
	if l := f.legs(m); len(l) != 1 || l[0].Status != TelConnected {
		t.Fatalf("direct call not answered: %+v", l)
	}
	if c.state != callWaiting {
		t.Fatalf("while on a direct call the member still gets no queue call; caller state %d", c.state)
	}
}

func TestQueueAvailabilityOffExcludesFromThatQueueOnly(t *testing.T) {
	f := newQuietFloor(t)
	a := f.p.dir.Agents[0] // agents are in at least two queues
	q1, q2 := a.Queues[0], a.Queues[1]
	f.onlyMembers(q1, a)
	f.onlyMembers(q2, a)
	f.p.Mutate(func(tx *Tx) { tx.SetQueueAccept(q1, a, false) })
	f.setIdleSince(a, simT0.Add(-time.Hour)) // first in line but for the rule

	f.queueCall(q1)
	f.run(20 * time.Second)
	if n := len(f.legs(a)); n != 0 {
		t.Fatalf("member unavailable in %s got its call", q1.Ext.Name)
	}
	f.queueCall(q2)
	legs := f.legs(a)
	if len(legs) != 1 || legs[0].Queue != q2 || !legs[0].QueueCall || legs[0].Status != TelRinging {
		t.Fatalf("member available in %s did not get its call: %+v", q2.Ext.Name, legs)
	}
}

func TestBusyAndInvisibleMembersGetNoQueueCalls(t *testing.T) {
	f := newQuietFloor(t)
	q := f.p.dir.Queues[1]
	m := f.membersOf(q, 2)
	busy, invisible := m[0], m[1]
	f.onlyMembers(q, busy, invisible)
	f.set(busy, PresenceUpdate{UserStatus: ptr(StatusBusy)})
	f.set(invisible, PresenceUpdate{UserStatus: ptr(StatusOffline)})

	c := f.queueCall(q)
	f.run(40 * time.Second)
	if got := len(f.legs(busy)) + len(f.legs(invisible)); got != 0 || c.state != callWaiting {
		t.Fatalf("Busy or Offline members got %d queue call legs; caller state %d", got, c.state)
	}
}

func TestLongestIdleMemberGetsTheCall(t *testing.T) {
	f := newQuietFloor(t)
	q := f.p.dir.Queues[0]
	m := f.membersOf(q, 3)
	f.onlyMembers(q, m...)
	f.setIdleSince(m[0], simT0.Add(-2*time.Minute))
	f.setIdleSince(m[1], simT0.Add(-9*time.Minute)) // longest idle
	f.setIdleSince(m[2], simT0.Add(-5*time.Minute))

	f.queueCall(q)
	if got := f.ringingOn(m...); !slices.Equal(got, []*Extension{m[1]}) {
		t.Fatalf("rang %v; want the longest idle, %s", names(got), m[1].Name)
	}
	f.step(10 * time.Second)
	f.queueCall(q)
	if got := f.ringingOn(m[0], m[2]); !slices.Equal(got, []*Extension{m[2]}) {
		t.Fatalf("second call rang %v; want %s next", names(got), m[2].Name)
	}
	// Both calls are answered after 3 s and last a minute, so m[1] hangs up
	// at 63 s and m[2] at 73 s. Idle time counts from the last call's end:
	// m[0], idle since before the test, is first in line, then m[1].
	f.run(64 * time.Second)
	if n := len(f.legs(m[1])) + len(f.legs(m[2])); n != 0 {
		t.Fatalf("calls should have ended, %d legs left", n)
	}
	f.queueCall(q)
	if got := f.ringingOn(m...); !slices.Equal(got, []*Extension{m[0]}) {
		t.Fatalf("third call rang %v; want %s", names(got), m[0].Name)
	}
	f.queueCall(q)
	if got := f.ringingOn(m[1], m[2]); !slices.Equal(got, []*Extension{m[1]}) {
		t.Fatalf("fourth call rang %v; want %s, whose call ended first", names(got), m[1].Name)
	}
}

func TestUnansweredQueueCallGoesToTheNextAgent(t *testing.T) {
	f := newQuietFloor(t)
	f.cc.model.answerQueue = 0
	q := f.p.dir.Queues[0]
	m := f.membersOf(q, 2)
	f.onlyMembers(q, m...)
	f.setIdleSince(m[0], simT0.Add(-time.Hour))

	c := f.queueCall(q)
	if got := f.ringingOn(m...); !slices.Equal(got, []*Extension{m[0]}) {
		t.Fatalf("rang %v; want %s", names(got), m[0].Name)
	}
	tsid := f.legs(m[0])[0].TelephonySessionID
	f.step(f.cc.model.queueRing)
	if got := f.ringingOn(m...); !slices.Equal(got, []*Extension{m[1]}) {
		t.Fatalf("after ringing out, rang %v; want the next agent %s", names(got), m[1].Name)
	}
	if l := f.legs(m[1])[0]; l.TelephonySessionID != tsid || l.From != c.party.number {
		t.Fatalf("the next agent's leg is not the same call: %+v", l)
	}
	if got := f.stats().AgentRings; got != 2 {
		t.Fatalf("agent rings %d, want 2", got)
	}
}

func TestWaitingCallerReachesAMemberWhoBecomesAvailable(t *testing.T) {
	f := newQuietFloor(t)
	q := f.p.dir.Queues[0]
	m := f.membersOf(q, 1)[0]
	f.onlyMembers(q, m)
	f.set(m, PresenceUpdate{UserStatus: ptr(StatusBusy), Message: ptr("Back in 15")})

	c := f.queueCall(q)
	f.run(20 * time.Second)
	if c.state != callWaiting || len(f.legs(m)) != 0 {
		t.Fatalf("caller should wait while the only member is Busy")
	}
	// A client's PUT makes the member Available: the queue offers the
	// waiting caller at its next retry, a few seconds later.
	f.set(m, PresenceUpdate{UserStatus: ptr(StatusAvailable), Message: ptr("")})
	f.step(f.cc.model.queueRetry.hi)
	legs := f.legs(m)
	if len(legs) != 1 || legs[0].Status != TelRinging || legs[0].From != c.party.number {
		t.Fatalf("waiting caller not delivered to the member who became available: %+v", legs)
	}
	if got := f.stats().CallsAbandoned; got != 0 {
		t.Fatalf("abandoned %d, want 0", got)
	}
}

func TestWaitingCallerAbandons(t *testing.T) {
	f := newQuietFloor(t)
	q := f.p.dir.Queues[0]
	f.onlyMembers(q)
	before := f.p.Truth()

	c := f.queueCall(q)
	f.run(f.cc.model.queuePatience.hi + 10*time.Second)
	if c.state != callEnded || f.stats().CallsAbandoned != 1 {
		t.Fatalf("caller with nobody to answer should abandon: state %d, abandoned %d", c.state, f.stats().CallsAbandoned)
	}
	if first := f.line(q).firstWaiting(); first != nil {
		t.Fatalf("abandoned caller still in the queue")
	}
	after := f.p.Truth()
	for i := range before.Extensions {
		if before.Extensions[i].Sequence != after.Extensions[i].Sequence {
			t.Fatalf("a caller waiting in a queue is invisible in presence, but %s changed", after.Extensions[i].Name)
		}
	}
}

func TestClientWriteUpdatesRoutingAtOnce(t *testing.T) {
	f := newQuietFloor(t)
	q := f.p.dir.Queues[0]
	m := f.membersOf(q, 1)[0]
	f.onlyMembers(q, m)
	seat := f.cc.people[m].seats[slices.IndexFunc(f.cc.people[m].seats, func(s *seat) bool { return s.line.q == q })]
	if seat.pos < 0 {
		t.Fatalf("member at their desk is not in the idle line")
	}
	f.set(m, PresenceUpdate{DNDStatus: ptr(DNDNoCalls)})
	if seat.pos >= 0 {
		t.Fatalf("a DND write did not take the member out of the idle line")
	}
	f.set(m, PresenceUpdate{DNDStatus: ptr(DNDTakeAll)})
	f.p.Mutate(func(tx *Tx) { tx.SetQueueAccept(q, m, false) })
	if seat.pos >= 0 {
		t.Fatalf("a queue availability write did not take the member out of the idle line")
	}
}

func names(exts []*Extension) []string {
	out := make([]string, len(exts))
	for i, e := range exts {
		out[i] = e.Name
	}
	return out
}

// A RingCentral call queue holds at most maxCallers callers (25, the
// schema's maximum); the next caller gets the queue's maxCallersAction,
// its voicemail by default, and the queue takes callers again once one
// leaves. Without the cap a floor busier than its agents piled up
// thousands of callers no RingCentral queue can hold.
func TestFullQueueSendsTheNextCallerToItsVoicemail(t *testing.T) {
	f := newQuietFloor(t)
	q := f.p.dir.Queues[0]
	f.onlyMembers(q) // nobody answers: every caller waits
	var calls []*phoneCall
	for range DefaultQueueMaxCallers + 2 {
		calls = append(calls, f.queueCall(q))
		f.step(time.Second)
	}
	waiting := func() int {
		for _, b := range f.p.tel.backlog(f.now).Queues {
			if b.ID == q.Ext.IDString() {
				return b.WaitingNow
			}
		}
		t.Fatalf("no backlog for %s", q.Ext.Name)
		return 0
	}
	if n := waiting(); n != DefaultQueueMaxCallers {
		t.Fatalf("%d callers wait in the queue, want its %d", n, DefaultQueueMaxCallers)
	}
	if got := f.stats().QueueFull; got != 2 {
		t.Fatalf("%d callers found the queue full, want 2", got)
	}
	for _, c := range calls[DefaultQueueMaxCallers:] {
		vm := c.sess.Parties[len(c.sess.Parties)-1]
		if c.sess.waiting() || vm.Ext != q.Ext || vm.Status != PartyVoiceMail {
			t.Fatalf("a caller beyond the queue's %d: waiting %v, last party on %s in %s; want the queue's voicemail",
				DefaultQueueMaxCallers, c.sess.waiting(), vm.Ext.Name, vm.Status)
		}
	}
	// The first caller hangs up: the next one waits again.
	f.act(func() { f.cc.abandoned(calls[0]) })
	c := f.queueCall(q)
	if !c.sess.waiting() || waiting() != DefaultQueueMaxCallers {
		t.Fatalf("with a place free the caller should wait: waiting %v, %d in the queue", c.sess.waiting(), waiting())
	}
}
