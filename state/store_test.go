package state

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	"unsafe"

	"github.com/rchud/rchud/rc"
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

// TestStoreSharesDirectoryWords: extensions of one department and site
// keep one copy of its name, of the site's and of their type, and one
// collation key of the department, which reads as the collator's own; the
// texts are sanitised as before.
func TestStoreSharesDirectoryWords(t *testing.T) {
	same := func(x, y string) bool { return len(x) > 0 && unsafe.StringData(x) == unsafe.StringData(y) }
	s := newStore(time.Now, newCollator("en_US"))
	exts := make([]rc.Extension, 3)
	for i := range exts {
		x := &exts[i]
		x.ID, x.ExtensionNumber, x.Name = rc.ID(strconv.Itoa(i+1)), strconv.Itoa(101+i), "Person "+strconv.Itoa(i)
		x.Type, x.Contact.Department, x.Site.Name = strings.Clone("User"), strings.Clone("Sales\x1b[31m"), strings.Clone("Head Office")
	}
	exts[2].Contact.Department = strings.Clone("Support")
	s.addExtensions(exts)
	a, b, c := s.entry("1"), s.entry("2"), s.entry("3")
	if a.Department != "Sales" || a.Site != "Head Office" || a.Type != "User" || c.Department != "Support" {
		t.Fatalf("read: %+v", a)
	}
	if !same(a.Department, b.Department) || !same(a.Site, b.Site) || !same(a.Type, c.Type) || !same(a.deptKey, b.deptKey) {
		t.Fatal("a department, site or type kept twice")
	}
	if a.deptKey != s.col.key("Sales") || c.deptKey != s.col.key("Support") || a.deptKey == c.deptKey {
		t.Fatal("a department's key is not the collator's")
	}
	// A directory reload reads the same.
	s.addExtensions(exts[:1])
	if e := s.entry("1"); e.Department != "Sales" || e.deptKey != a.deptKey {
		t.Fatalf("reloaded: %+v", e)
	}
}

// TestStoreCallsKeepTheEntrysOwnTexts: a call to the person names them
// with the entry's own name and number, and a call they place the same,
// rather than copies from every event; the call reads as it came.
func TestStoreCallsKeepTheEntrysOwnTexts(t *testing.T) {
	same := func(x, y string) bool { return len(x) > 0 && unsafe.StringData(x) == unsafe.StringData(y) }
	m, c := testMirror(t, 3)
	in := rc.ActiveCall{ID: "c-1", Direction: "Inbound", From: "+14155550142", FromName: "Globex", To: "102", ToName: "Adam Baker",
		TelephonyStatus: "Ringing", TelephonySessionID: "s-1", PartyID: "p-1"}
	out := rc.ActiveCall{ID: "c-2", Direction: "Outbound", From: "102", FromName: "Adam Baker", To: "+14155550199", ToName: "Initech",
		TelephonyStatus: "CallConnected", TelephonySessionID: "s-2", PartyID: "p-2"}
	m.ApplyEvent(decodedPresenceP(rc.Presence{ExtensionID: "2", ActiveCalls: []rc.ActiveCall{in, out}}), c.Now(), true)
	e, _ := m.Get("2")
	if len(e.Calls) != 2 {
		t.Fatalf("calls: %+v", e.Calls)
	}
	a, b := e.Calls[0], e.Calls[1]
	if a.To != "102" || a.ToName != "Adam Baker" || a.From != in.From || a.FromName != in.FromName ||
		b.From != "102" || b.FromName != "Adam Baker" || b.To != out.To || b.ToName != out.ToName {
		t.Fatalf("the calls read otherwise: %+v", e.Calls)
	}
	if !same(a.To, e.Number) || !same(a.ToName, e.Name) || !same(b.From, e.Number) || !same(b.FromName, e.Name) {
		t.Fatal("the entry's name or number kept again")
	}
}

// TestCallWords: a call's direction and status read back as they were
// set, the API's words and others alike, each word one code; a table full
// reads a new word as Unknown and the words it had as before.
func TestCallWords(t *testing.T) {
	for _, w := range append(slices.Clone(knownCallWords), "Proceeding", "Conferencing", "Inbound") {
		var c Call
		c.SetDirection(w)
		c.SetStatus(w)
		if c.Direction() != w || c.Status() != w || codeCallWord(w) != c.status || codeCallWord(strings.Clone(w)) != c.dir {
			t.Fatalf("%q reads %q, %q", w, c.Direction(), c.Status())
		}
	}
	var c Call
	c.SetDirection("Outbound")
	c.SetStatus("Ringing")
	if c.Inbound() || !c.Dialling() || c.State() != "Dialling" {
		t.Fatalf("a call placed: %+v", c)
	}
	c.SetStatus("Conferencing")
	if c.State() != "Conferencing" || callRank(&c) != -1 {
		t.Fatalf("an odd status: %q", c.State())
	}
	tab := newCallWordTable(len(knownCallWords) + 1)
	a := tab.codeOf("Odd")
	if b := tab.codeOf("Odder"); tab.word(a) != "Odd" || tab.word(b) != unknownCallWord || tab.codeOf("Odd") != a {
		t.Fatal("a full table")
	}
}

// A filter finds a person by what their presence says, in any case: the
// availability, the statuses, the message and the other end of a call
// (its name or number), each a field of its own.
func TestFilterMatchesPresenceFields(t *testing.T) {
	e := &Entry{Availability: OnCall, UserStatus: "Busy", DNDStatus: DoNotDisturb, Message: "Back at TWO"}
	var c Call
	c.SetDirection("Inbound")
	c.From, c.FromName = "+14155550142", "Globex Corp"
	e.Calls = []Call{c}
	refreshKeys(e)
	for text, want := range map[string]bool{
		"on a call":                      strings.Contains(strings.ToLower(OnCall.String()), "on a call"),
		strings.ToLower(OnCall.String()): true,
		"busy":                           true,
		"donotacceptany":                 true,
		"back at two":                    true,
		"globex":                         true,
		"5550142":                        true,
		"corp+1415":                      false, // across two fields
		"initech":                        false,
	} {
		if got := matches(e, text); got != want {
			t.Errorf("matches(%q) = %v, want %v", text, got, want)
		}
	}
}

// The store's parkers are exactly the entries with a parked call on their
// presence, in directory order, through random changes of people's calls
// and people leaving the directory (the parked calls are listed from them,
// not from every entry).
func TestStoreParkersFollowTheEntries(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	s := newStore(time.Now, newCollator("en_US"))
	var exts []rc.Extension
	for i := range 60 {
		exts = append(exts, rc.Extension{ID: rc.ID(fmt.Sprint(1000 + i)), ExtensionNumber: fmt.Sprint(100 + i), Name: fmt.Sprint("P", i), Type: TypeUser})
	}
	s.addExtensions(exts)
	words := []string{"CallConnected", "OnHold", "ParkedCall", "Ringing"}
	for step := range 2000 {
		if r.IntN(50) == 0 && len(s.entries) > 1 {
			s.remove(s.entries[r.IntN(len(s.entries))].ID)
		} else {
			i := r.IntN(len(s.entries))
			n := *s.entries[i]
			n.Calls = nil
			for range r.IntN(3) {
				var c Call
				c.SetStatus(words[r.IntN(len(words))])
				c.PartyID = fmt.Sprint("p-", step)
				n.Calls = append(n.Calls, c)
			}
			s.put(i, &n)
		}
		var want []*Entry
		for _, e := range s.entries {
			if slices.ContainsFunc(e.Calls, func(c Call) bool { return c.Status() == "ParkedCall" }) {
				want = append(want, e)
			}
		}
		if got := s.parkedEntries(); !slices.Equal(got, want) {
			t.Fatalf("step %d: %d parkers listed, %d entries have a parked call", step, len(got), len(want))
		}
	}
}
