package state

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/rchud/rchud/emulator"
	"github.com/rchud/rchud/rc"
)

// The HUD's stream follows the call queues' parties and the user's own
// (callFilters), not every party of the account, while the calls it lists
// at start are every call of the account, with every leg. A party no event
// will ever end (a caller's, an agent's, a call between two other people)
// must not be kept: it stayed in its call after the call ended, a ghost
// session the screen's parked calls could show and the tracker never
// forgot (a third of its memory at 10,000 people). Through the real sync
// loop, every session the tracker keeps is a call in progress on the
// emulator, and every call in progress with a party the stream follows is
// kept, and every queue's waiting callers are the emulator's.
func TestSoakCallsKeepOnlyWhatTheStreamFollows(t *testing.T) {
	r := testRand(t)
	seed := int64(r.Uint64()>>2) + 1
	run := soakLen(4 * time.Second)
	e := startBusyFloor(t, seed)

	cr := e.Credentials()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	cl := rc.New(rc.Config{ServerURL: cr.ServerURL, ClientID: cr.ClientID, ClientSecret: cr.ClientSecret, JWT: cr.UserJWT}, rc.Options{Logger: quiet})
	m := NewMirror(nil)
	s := NewSync(cl, m, SyncOptions{Logger: quiet})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go m.Run(ctx)
	go func() { done <- s.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Errorf("the sync loop did not end within 10 s of its context")
		}
	})
	callsWait(t, 30*time.Second, "the calls in progress to be listed", func() bool {
		m.mu.RLock()
		defer m.mu.RUnlock()
		return m.calls.listed
	})
	m.mu.RLock()
	follow, listedAt := m.calls.follow, len(m.calls.sessions)
	m.mu.RUnlock()
	if follow != FollowQueues {
		t.Fatalf("an admin with %d queues follows %d, want the queues' parties and the user's (%d)", len(e.Truth().Queues), follow, FollowQueues)
	}

	queues := map[string]bool{}
	for _, q := range e.Truth().Queues {
		queues[q.ID] = true
	}
	me := cr.Receptionist.ExtensionID
	followed := func(ts truthSession) bool {
		return slices.ContainsFunc(ts.Parties, func(p truthParty) bool {
			live := p.Status.Code != emulator.PartyDisconnected && p.Status.Code != emulator.PartyGone
			return live && (queues[p.ExtensionID] || p.ExtensionID == me)
		})
	}
	end := time.Now().Add(run)
	checks := 0
	for checks < 3 || time.Now().Before(end) {
		timer := time.NewTimer(300*time.Millisecond + time.Duration(r.IntN(300))*time.Millisecond)
		<-timer.C // let the floor run
		e.Pause()
		var tel truthTelephony
		controlGet(t, e, "/_emulator/telephony", &tel)
		var b emulator.Backlog
		controlGet(t, e, "/_emulator/queues/backlog", &b)
		live, want := map[string]bool{}, map[string]bool{}
		for _, ts := range tel.Sessions {
			live[ts.ID] = true
			if followed(ts) {
				want[ts.ID] = true
			}
		}
		var diff string
		ok := func() bool {
			m.mu.RLock()
			defer m.mu.RUnlock()
			diff = ""
			for id := range m.calls.sessions {
				if !live[id] {
					diff = fmt.Sprintf("the tracker keeps %s, a call the emulator has ended", id)
					return false
				}
			}
			for id := range want {
				if m.calls.sessions[id] == nil {
					diff = fmt.Sprintf("the tracker misses %s, a call in progress with a party it follows", id)
					return false
				}
			}
			// Every queue's waiting callers: the same calls, since the
			// same time, the longest waiting first (callers who came in
			// the same millisecond in either order).
			for _, q := range b.Queues {
				got, known := m.calls.Backlog(ID(q.ID))
				if !known || !got.Known {
					diff = fmt.Sprintf("queue %s: backlog not known: %+v", q.Name, got)
					return false
				}
				if len(got.Waiting) != len(q.Waiting) {
					diff = fmt.Sprintf("queue %s: %d waiting, the emulator says %d", q.Name, len(got.Waiting), len(q.Waiting))
					return false
				}
				byCall := map[string]emulator.WaitingCall{}
				for _, tw := range q.Waiting {
					byCall[tw.TelephonySessionID+"/"+tw.PartyID] = tw
				}
				for i, w := range got.Waiting {
					tw, ok := byCall[w.Session+"/"+w.Party]
					if !ok || !within(w.Since, rc.ParseTime(tw.WaitStart), time.Second) {
						diff = fmt.Sprintf("queue %s: %s/%s waits since %v only for the tracker, or since another time (%+v)", q.Name, w.Session, w.Party, w.Since, tw)
						return false
					}
					if i > 0 && w.Since.Before(got.Waiting[i-1].Since) {
						diff = fmt.Sprintf("queue %s: waiter %d waits longer than the one before it", q.Name, i)
						return false
					}
				}
			}
			return true
		}
		deadline := time.Now().Add(10 * time.Second)
		for !ok() {
			if time.Now().After(deadline) {
				t.Fatalf("check %d (%d sessions live, %d followed): %s", checks+1, len(live), len(want), diff)
			}
			time.Sleep(5 * time.Millisecond)
		}
		e.Resume()
		checks++
	}
	t.Logf("%d checks over %v; %d sessions kept when the list was read", checks, run, listedAt)
}

// Following the queues' parties and the receptionist's own, the list of
// calls in progress gives only those: the waiting caller's queue party
// and the receptionist's parked call, not the callers' legs nor the
// agent's. So when the queue's party leaves (its event comes), its
// session is over, and a call of others (the agent's, s-talk) is not kept
// at all; following everything, the same list keeps every leg.
func TestCallsBootstrapKeepsOnlyFollowedLegs(t *testing.T) {
	for _, f := range []Follow{FollowAll, FollowQueues, FollowMe} {
		c := newTracker()
		c.SetMe(recR)
		c.SetFollow(f)
		c.Bootstrap(bootstrapRecords(), at(0))
		parties := map[string]int{}
		for id, s := range c.sessions {
			parties[id] = len(s.parties)
		}
		want := map[Follow]map[string]int{
			FollowAll:    {"s-wait": 2, "s-park": 2, "s-talk": 2},
			FollowQueues: {"s-wait": 1, "s-park": 1},
			FollowMe:     {"s-park": 1},
		}[f]
		if !maps.Equal(parties, want) {
			t.Fatalf("follow %d: parties by session %v, want %v", f, parties, want)
		}
		if f != FollowQueues {
			continue
		}
		if need := c.Need(); len(need) != 0 {
			t.Fatalf("sessions to read %v: nothing followed is a guess", need)
		}
		s := script(c, "s-wait")
		s.send(5, caller(pt("p-2", queueQ, "Inbound", rc.PartyDisconnected, "")))
		if c.sessions["s-wait"] != nil {
			t.Fatal("the waiting caller's session outlived its queue party")
		}
		// An agent's event (were it delivered) is not taken either.
		if script(c, "s-other").send(6, pt("p-3", agentA, "Inbound", rc.PartyAnswered, "")) || c.sessions["s-other"] != nil {
			t.Fatal("a party the stream does not follow was kept")
		}
	}
}
