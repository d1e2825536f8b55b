package main

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"

	"github.com/rchud/rchud/emulator"
)

// TestSoakShutdownUnderLoad is issue 5's scenario 8: SIGINT (the signal
// context ending) while notifications pour in. The subscription is deleted
// and the socket closed within 2 s, the session revoked, the terminal
// restored, and the exit status is 0.
func TestSoakShutdownUnderLoad(t *testing.T) {
	var stopped time.Time
	var mu sync.Mutex
	type after struct {
		subs, active int
		at           time.Time
	}
	afterCh := make(chan after, 1)
	_, emus := fakeTerminal(t, 120, 30, func(e *emulator.Emulator) {
		subs := subscriptionsLeft(t, e)
		// The client's close frame and FIN are on the wire when run
		// returns; the gateway counts the socket until it has read them.
		// Wait for that, up to 2 s after the signal.
		mu.Lock()
		deadline := stopped.Add(2 * time.Second)
		mu.Unlock()
		active := e.Stats().Gateway.Active
		for active != 0 && time.Now().Before(deadline) {
			time.Sleep(5 * time.Millisecond)
			active = e.Stats().Gateway.Active
		}
		afterCh <- after{subs: subs, active: active, at: time.Now()}
	})
	ctx, interrupt := context.WithCancel(context.Background())
	defer interrupt()
	var out, errOut syncBuffer
	done := make(chan int, 1)
	go func() { done <- run(ctx, []string{"--demo", "--color", "none"}, &out, &errOut) }()
	var e *emulator.Emulator
	select {
	case e = <-emus:
	case code := <-done:
		t.Fatalf("exit %d before the demo started: %q", code, errOut.String())
	case <-time.After(10 * time.Second):
		t.Fatalf("the demo did not start")
	}
	deadline := time.Now().Add(10 * time.Second)
	for drawn := ""; !strings.Contains(drawn, "live"); drawn = ansi.Strip(out.String()) {
		if time.Now().After(deadline) {
			t.Fatalf("no live grid within 10 s")
		}
		time.Sleep(10 * time.Millisecond)
	}
	// Load: 200 presence changes a second on top of the call centre.
	var users []int64
	for _, x := range e.Truth().Extensions {
		if x.Type == "User" {
			id, _ := strconv.ParseInt(x.ID, 10, 64)
			users = append(users, id)
		}
	}
	stopLoad := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		for n := 0; ; n++ {
			select {
			case <-stopLoad:
				return
			case <-tick.C:
			}
			msg := "load " + strconv.Itoa(n)
			_ = e.SetPresence(users[n%len(users)], emulator.PresenceUpdate{Message: &msg})
		}
	}()
	defer func() {
		close(stopLoad)
		wg.Wait()
	}()
	before := e.Stats().Notifications
	for e.Stats().Notifications-before < 400 {
		time.Sleep(10 * time.Millisecond)
	}
	mu.Lock()
	stopped = time.Now()
	mu.Unlock()
	interrupt() // SIGINT: main's signal.NotifyContext ends the context
	var code int
	select {
	case code = <-done:
	case <-time.After(10 * time.Second):
		t.Fatalf("SIGINT did not stop the HUD")
	}
	a := <-afterCh
	var revoked time.Time
	for _, r := range e.Requests() {
		if r.Method == "POST" && r.Path == "/restapi/oauth/revoke" && r.Time.After(stopped) {
			revoked = r.Time
			break
		}
	}
	took := a.at.Sub(stopped)
	t.Logf("SIGINT under load: subscription deleted, socket closed and session revoked within %v (revoked %v after the signal), %d subscription(s) left, %d socket(s) open",
		took.Round(time.Millisecond), revoked.Sub(stopped).Round(time.Millisecond), a.subs, a.active)
	switch {
	case code != exitOK:
		t.Fatalf("exit %d, stderr %q", code, errOut.String())
	case a.subs != 0 || a.active != 0:
		t.Fatalf("after SIGINT: %d subscription(s) and %d socket(s) left", a.subs, a.active)
	case revoked.IsZero():
		t.Fatalf("the session was not revoked")
	case revoked.Sub(stopped) > 2*time.Second:
		t.Fatalf("the subscription, socket and session took %v to close, over 2 s", revoked.Sub(stopped))
	case !strings.Contains(out.String(), "\x1b[?1049l"):
		t.Fatalf("the terminal was not restored (alternate screen left on)")
	}
}
