package state

import (
	"strconv"
	"testing"
)

// TestRestingDND: leaving DND goes back to the last dndStatus before it
// (TakeAllCalls or DoNotAcceptDepartmentCalls), which the entry keeps
// through every later change; an extension never seen out of DND, or
// removed and added again, leaves to TakeAllCalls.
func TestRestingDND(t *testing.T) {
	m, c := testMirror(t, 3)
	seq := 0
	set := func(id, dnd string) {
		seq++
		m.ApplyEvent(ev(t, `{"extensionId":"`+id+`","sequence":`+strconv.Itoa(seq)+`,"dndStatus":"`+dnd+`"}`), c.Now(), true)
	}
	rest := m.restingDND
	if got := rest("2"); got != TakeAllCalls {
		t.Fatalf("never seen: %q", got)
	}
	set("2", "DoNotAcceptAnyCalls")
	if got := rest("2"); got != TakeAllCalls {
		t.Fatalf("in DND from the start: %q", got)
	}
	set("2", "DoNotAcceptDepartmentCalls")
	if got := rest("2"); got != NoQueueCalls {
		t.Fatalf("not in DND: %q", got)
	}
	set("2", "DoNotAcceptAnyCalls")
	seq++
	m.ApplyEvent(ev(t, `{"extensionId":"2","sequence":`+strconv.Itoa(seq)+`,"userStatus":"Busy","message":"away"}`), c.Now(), true)
	if got := rest("2"); got != NoQueueCalls {
		t.Fatalf("back from DND: %q", got)
	}
	set("3", "TakeAllCalls")
	set("3", "DoNotAcceptAnyCalls")
	if got := rest("3"); got != TakeAllCalls {
		t.Fatalf("the other's: %q", got)
	}
	m.mu.Lock()
	m.store.remove("2")
	m.mu.Unlock()
	if got := rest("2"); got != TakeAllCalls {
		t.Fatalf("removed: %q", got)
	}
}
