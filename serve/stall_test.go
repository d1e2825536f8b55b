package serve

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rchud/rchud/emulator"
)

// stalledFor is how long the hub has been blocked writing to u's session.
func (s *Server) stalledFor(fingerprint string) time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	var d time.Duration
	for v := range s.sessions {
		if v.user.Load().Fingerprint == fingerprint {
			d = max(d, v.out.stalledFor(time.Now()))
		}
	}
	return d
}

// setMessage changes an extension's status message on the server.
func (h *hub) setMessage(number, msg string) {
	h.t.Helper()
	id, _ := strconv.ParseInt(h.ext(number), 10, 64)
	if err := h.e.SetPresence(id, emulator.PresenceUpdate{Message: &msg}); err != nil {
		h.t.Fatal(err)
	}
}

// TestAFrozenClientDelaysNoOtherViewer: a client whose machine froze
// (it reads nothing from the network) soon blocks the hub's writes to it;
// the mirror and every other viewer carry on, and shutting down does not
// wait on it.
func TestAFrozenClientDelaysNoOtherViewer(t *testing.T) {
	good, frozen := newUser(t, "agent0", Viewer), newUser(t, "agent1", Viewer)
	h := startHub(t, hubConfig{users: []testUser{good, frozen}, emu: emulator.Config{Users: 300},
		opts: Options{FPS: 120, StallTimeout: 3 * time.Second}})
	cg := h.connect(good, clientOpts{})
	cg.waitFor("shown · sort", 10*time.Second)
	cf := h.connect(frozen, clientOpts{w: 300, h: 200, freeze: true})
	// Resize only once the hub has the session: charm.land/ssh v0.4.3
	// writes the PTY's size on a window change without a lock, racing the
	// handler's one read of it as the session starts (the size itself
	// then comes on the window channel, so a real client loses nothing).
	for deadline := time.Now().Add(10 * time.Second); !strings.Contains(h.audit.String(), "key="+frozen.fingerprint()+" ext="); {
		if time.Now().After(deadline) {
			t.Fatalf("the frozen client's session never started")
		}
		time.Sleep(5 * time.Millisecond) // polling a condition with a deadline
	}
	// Every resize redraws the whole screen: a few fill the network's
	// buffers, and the hub's next write blocks.
	start := time.Now()
	for i := 0; h.srv.stalledFor(frozen.fingerprint()) < 200*time.Millisecond; i++ {
		if time.Since(start) > 20*time.Second {
			t.Fatalf("the frozen client never blocked the hub's writes")
		}
		if err := cf.sess.WindowChange(200-50*(i%2), 300-50*(i%2)); err != nil {
			t.Fatal(err)
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Logf("the hub's writes blocked after %v", time.Since(start).Round(time.Millisecond))
	defer func() {
		if t.Failed() {
			t.Logf("audit:\n%s", h.audit)
		}
	}()
	for i := range 10 {
		marker := fmt.Sprintf("marker %d while frozen", i)
		h.setMessage(h.number("agent0"), marker)
		cg.waitFor(marker, 8*time.Second)
	}
	if d := h.srv.stalledFor(frozen.fingerprint()); d == 0 {
		t.Fatalf("the frozen client's session was unblocked during the test")
	}
	// After the stall timeout its connection is closed, and only the good
	// session is left.
	eventually(t, 10*time.Second, func() bool { return h.srv.Sessions() == 1 },
		func() string { return fmt.Sprintf("%d sessions: the frozen one was not ended", h.srv.Sessions()) })
	cg.keys("j") // the good one carries on
	h.setMessage(h.number("agent0"), "after the frozen one went")
	cg.waitFor("after the frozen one went", 5*time.Second)
}
