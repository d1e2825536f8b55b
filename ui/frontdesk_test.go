package ui

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/exp/teatest/v2"

	"github.com/rchud/rchud/emulator"
	"github.com/rchud/rchud/rc"
	"github.com/rchud/rchud/state"
)

// TestFlowFrontDesk is the receptionist's job end to end, against the
// emulator: a queue call rings her, she answers it, finds a colleague with
// /, transfers it with t, and the emulator's ground truth has the caller
// talking to that colleague; then she parks a call with o and picks it up
// again from the parked calls with P and u.
func TestFlowFrontDesk(t *testing.T) {
	d := startDemo(t, false, false, 60)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	caller := state.NewCaller(ctx, d.m, state.NewCallControl(d.c, d.m), nil)
	defer caller.Close(time.Second)
	o := &observed{Model: newModel(t, d.m, Options{Account: "demo", Profile: colorprofile.ANSI256, Caller: caller})}
	tm := teatest.NewTestModel(t, o, teatest.WithInitialTermSize(130, 34),
		teatest.WithProgramOptions(tea.WithColorProfile(colorprofile.ANSI256)))
	go d.m.Run(ctx)
	go Pump(ctx, o.view, tm.Send)
	wait := func(what string, cond func(frame string) bool) {
		t.Helper()
		waitFor(t, 15*time.Second, what, func() bool { return cond(o.last()) })
	}
	me := d.e.Credentials().Receptionist.ExtensionID
	myID, _ := strconv.ParseInt(me, 10, 64)
	queue := d.e.Truth().Queues[0]
	wait("the live grid with the queue board", func(f string) bool {
		return strings.Contains(f, "live") && strings.Contains(f, "Queues no one waiting")
	})

	// A queue call rings her: the strip shows it with its queue and r.
	if _, err := d.e.RingingCall(myID, emulator.CallerInfo{Number: "+14155550100", Name: "Acme Supply"},
		emulator.RingOptions{QueueID: queue.ID}); err != nil {
		t.Fatal(err)
	}
	wait("the ringing call in my strip", func(f string) bool {
		return strings.Contains(f, "← Acme Supply +14155550100 via "+queue.Name+" · Ringing") && strings.Contains(f, "r answer")
	})
	tm.Type("r")
	wait("answered", func(f string) bool {
		return strings.Contains(f, "Acme Supply +14155550100 via "+queue.Name+" · On call")
	})

	// She finds a free colleague and transfers the caller to them.
	var colleague emulator.TruthExtension
	for _, x := range d.users() {
		if x.ID != me && x.Presence.UserStatus == "Available" && x.Presence.DNDStatus == "TakeAllCalls" && len(x.Presence.ActiveCalls) == 0 {
			colleague = x
			break
		}
	}
	tm.Type("/" + colleague.Name)
	tm.Send(tea.KeyPressMsg{Code: tea.KeyEnter})
	wait("the colleague found", func(f string) bool { return strings.Contains(f, "1 of 60 shown") })
	tm.Type("t")
	wait("the question", func(f string) bool {
		return strings.Contains(f, "Transfer ← Acme Supply (") && strings.Contains(f, "to "+colleague.Name+", ext "+colleague.ExtensionNumber+", Available? y/n")
	})
	tm.Type("y")
	wait("the transfer confirmed", func(f string) bool {
		return strings.Contains(f, "✓ transferred to "+colleague.Name+", ext "+colleague.ExtensionNumber)
	})
	// Their phone rings; they answer it on their desk phone.
	var session, party string
	waitFor(t, 5*time.Second, "the colleague ringing in the emulator", func() bool {
		for _, s := range d.e.Telephony().Sessions {
			for _, p := range s.Parties {
				if p.ExtensionID == colleague.ID && p.Status.Code == "Proceeding" && p.From.Name == "Acme Supply" {
					session, party = s.ID, p.ID
					return true
				}
			}
		}
		return false
	})
	devices, err := d.c.Devices(ctx, rc.ID(colleague.ID))
	if err != nil || len(devices) == 0 {
		t.Fatalf("the colleague's phones: %v %v", devices, err)
	}
	if _, err := d.c.Answer(ctx, session, party, devices[0].ID); err != nil {
		t.Fatal(err)
	}
	connected := func() bool {
		for _, s := range d.e.Telephony().Sessions {
			if s.ID != session {
				continue
			}
			var callerTalks, colleagueTalks, mine bool
			for _, p := range s.Parties {
				switch {
				case p.ExtensionID == colleague.ID:
					colleagueTalks = p.Status.Code == "Answered"
				case p.ExtensionID == me:
					mine = true
				case p.ExtensionID == "" && p.From.Name == "Acme Supply" && p.Direction == "Outbound":
					callerTalks = p.Status.Code == "Answered"
				}
			}
			return callerTalks && colleagueTalks && !mine
		}
		return false
	}
	waitFor(t, 5*time.Second, "the caller connected to the colleague and not to me", connected)
	wait("the colleague on the call on screen", func(f string) bool {
		return strings.Contains(f, colleague.Name) && strings.Contains(f, "← Acme Supply")
	})
	tm.Send(tea.KeyPressMsg{Code: tea.KeyEscape})

	// Park and pick up.
	if _, err := d.e.RingingCall(myID, emulator.CallerInfo{Number: "+13125550111", Name: "Globex"}, emulator.RingOptions{MainLine: true}); err != nil {
		t.Fatal(err)
	}
	wait("the second call ringing", func(f string) bool {
		return strings.Contains(f, "← Globex +13125550111") && strings.Contains(f, "r answer")
	})
	tm.Type("r")
	wait("the second call answered", func(f string) bool { return strings.Contains(f, "Globex +13125550111 · On call") })
	tm.Type("o")
	wait("parked, with its orbit", func(f string) bool { return strings.Contains(f, "✓ parked at *8") })
	if p := d.e.Telephony().Parked; len(p) != 1 || p[0].CallerName != "Globex" {
		t.Fatalf("the emulator's parked calls: %+v", p)
	}
	tm.Type("P")
	wait("the parked calls pane", func(f string) bool {
		return strings.Contains(f, "Parked calls") && strings.Contains(f, "Globex +13125550111 · by ")
	})
	tm.Type("u")
	wait("picked up", func(f string) bool {
		return strings.Contains(f, "✓ picked up") && strings.Contains(f, "Globex +13125550111 · On call")
	})
	if p := d.e.Telephony().Parked; len(p) != 0 {
		t.Fatalf("still parked after the pickup: %+v", p)
	}
	tm.Type("q")
	tm.WaitFinished(t, teatest.WithFinalTimeout(5*time.Second))
}
