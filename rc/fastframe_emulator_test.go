package rc

import (
	"testing"
	"time"
	"unsafe"

	"github.com/rchud/rchud/emulator"
)

// TestEmulatorNotificationsTakeTheFastPath streams the emulator's
// presence, telephony session and directory events under simulated calls
// and checks that the hand-written path decoded them: a notification it
// decoded points at the interned values, which encoding/json never does.
func TestEmulatorNotificationsTakeTheFastPath(t *testing.T) {
	e := startEmulator(t, emulator.Config{RateLimitsOff: true, Users: 30, Queues: 2, CallsPerMinute: 1200})
	filters := []string{accountFilter, TelephonySessionsFilter(""), ExtensionListFilter}
	s := clientFor(e, -1, Options{}).Stream(filters, fastStream)
	t.Cleanup(func() { closeStream(t, s) })
	p := probe(t, s)
	p.next(5*time.Second, "live", isLive)
	id, _ := someUser(e, 0)
	setMessage(t, e, id, "at the desk")

	isInterned := func(v string) bool {
		ip := interned[v]
		return ip != nil && unsafe.StringData(*ip) == unsafe.StringData(v)
	}
	counts := map[NotificationKind][2]int{} // fast, not fast
	deadline := time.After(4 * time.Second)
	for n := 0; n < 400; {
		var ev StreamEvent
		select {
		case ev = <-p.events:
		case <-deadline:
			n = 400
			continue
		}
		note := ev.Notification
		if note == nil {
			continue
		}
		n++
		fast, known := false, true
		switch note.Kind() {
		case KindPresence:
			pr, err := note.Presence()
			switch {
			case err != nil:
				known = false
			case pr.TelephonyStatus != nil:
				fast = pr.TelephonyStatus == interned[*pr.TelephonyStatus]
			case pr.UserStatus != nil:
				fast = pr.UserStatus == interned[*pr.UserStatus]
			default:
				known = false
			}
		case KindTelephonySession:
			ts, err := note.TelephonySession()
			if err != nil || len(ts.Parties) == 0 {
				known = false
				break
			}
			fast = isInterned(ts.Parties[0].Status.Code)
		default:
			known = false
		}
		if !known {
			continue
		}
		c := counts[note.Kind()]
		if fast {
			c[0]++
		} else {
			c[1]++
			t.Errorf("kind %d notification %s decoded by encoding/json", note.Kind(), note.UUID)
		}
		counts[note.Kind()] = c
	}
	t.Logf("presence: %d fast, %d not; telephony: %d fast, %d not", counts[KindPresence][0], counts[KindPresence][1],
		counts[KindTelephonySession][0], counts[KindTelephonySession][1])
	if counts[KindPresence][0] == 0 || counts[KindTelephonySession][0] == 0 {
		t.Fatalf("too few notifications to judge: %v", counts)
	}
}
