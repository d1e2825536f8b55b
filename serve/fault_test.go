package serve

import (
	"fmt"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rchud/rchud/emulator"
	"github.com/rchud/rchud/state"
)

// views are the sessions' views of the mirror.
func (s *Server) views() []*state.View {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []*state.View
	for v := range s.sessions {
		v.mu.Lock()
		if v.view != nil {
			out = append(out, v.view)
		}
		v.mu.Unlock()
	}
	return out
}

// viewDiffs lists where a view's latest frame differs from the truth.
func viewDiffs(f *state.Frame, truth map[string]emulator.TruthExtension) []string {
	var out []string
	if f.Health.Conn != state.ConnLive {
		out = append(out, "health "+f.Health.Conn.String())
	}
	for _, l := range f.Window {
		if l.Header {
			continue
		}
		x, ok := truth[string(l.Entry.ID)]
		if !ok || x.Type != "User" {
			continue
		}
		p := x.Presence
		msg := ""
		if p.Message != nil {
			msg = state.Sanitize(*p.Message)
		}
		got := []string{l.Entry.UserStatus, string(l.Entry.DNDStatus), l.Entry.TelephonyStatus, l.Entry.Message, strconv.Itoa(len(l.Entry.Calls))}
		want := []string{p.UserStatus, p.DNDStatus, p.TelephonyStatus, msg, strconv.Itoa(len(p.ActiveCalls))}
		if strings.Join(got, "|") != strings.Join(want, "|") {
			out = append(out, fmt.Sprintf("%s: %v, truth %v", x.ExtensionNumber, got, want))
		}
	}
	return out
}

// TestFiftyViewersConvergeAfterTheLinkDropsAndHalfOpens: with 50 viewers
// attached and calls flowing, the hub's link to RingCentral drops, then
// goes half-open, then recovers; every viewer's screen ends equal to the
// truth, and every client is still being drawn.
func TestFiftyViewersConvergeAfterTheLinkDropsAndHalfOpens(t *testing.T) {
	viewers := 50
	var users []testUser
	for range viewers {
		users = append(users, newUser(t, "admin", Viewer))
	}
	h := startHub(t, hubConfig{users: users, fast: true, emu: emulator.Config{Users: 80, CallsPerMinute: 240}})
	var clients []*client
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, u := range users {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := h.open(u, clientOpts{w: 80, h: 24})
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			clients = append(clients, c)
			mu.Unlock()
		}()
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	eventually(t, 20*time.Second, func() bool { return len(h.srv.views()) == viewers },
		func() string { return fmt.Sprintf("%d of %d viewers have a view", len(h.srv.views()), viewers) })
	health := func() state.Conn { return h.m.Health().Conn }
	waitConn := func(want func(state.Conn) bool, what string) {
		eventually(t, 20*time.Second, func() bool { return want(health()) }, func() string { return "the link is " + health().String() + ", want " + what })
	}

	upgrades := func() int {
		n := 0
		for _, r := range h.e.Requests() {
			if r.Via == "ws-upgrade" {
				n++
			}
		}
		return n
	}
	before := upgrades()
	h.e.DropConnections() // the hub reconnects at once: the drop shows as a new WebSocket
	eventually(t, 20*time.Second, func() bool { return upgrades() > before && health() == state.ConnLive },
		func() string { return "no reconnection after the drop; the link is " + health().String() })
	h.e.SetFaults(emulator.Faults{HalfOpen: true})
	waitConn(func(c state.Conn) bool { return c != state.ConnLive }, "not live while half-open")
	h.e.SetFaults(emulator.Faults{})
	waitConn(func(c state.Conn) bool { return c == state.ConnLive }, "live again")

	h.e.Pause()
	truth := func() map[string]emulator.TruthExtension {
		m := map[string]emulator.TruthExtension{}
		for _, x := range h.e.Truth().Extensions {
			m[x.ID] = x
		}
		return m
	}
	var diffs []string
	eventually(t, 20*time.Second, func() bool {
		tr := truth()
		diffs = nil
		for i, v := range h.srv.views() {
			for _, d := range viewDiffs(v.Latest(), tr) {
				diffs = append(diffs, fmt.Sprintf("viewer %d: %s", i, d))
			}
		}
		return len(diffs) == 0
	}, func() string { return fmt.Sprintf("%d differences, first %v", len(diffs), diffs[:min(5, len(diffs))]) })

	// And every client is still drawn: a change now reaches each screen.
	marker := "all fifty converged"
	h.setMessage(h.number("admin"), marker)
	for _, c := range clients {
		c.waitFor(marker, 20*time.Second)
	}
	h.stop()
	for _, c := range clients {
		c.waitEnd(5 * time.Second)
	}
	t.Logf("%d goroutines at the end", runtime.NumGoroutine())
}
