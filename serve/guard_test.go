package serve

import (
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rchud/rchud/state"
	"github.com/rchud/rchud/ui"
)

// fakeActor records the calls that got past the guard.
type fakeActor struct {
	mu    sync.Mutex
	calls []string
}

func (f *fakeActor) add(s string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, s)
	return nil
}
func (f *fakeActor) SetStatus(s state.Status) error   { return f.add("status " + string(s)) }
func (f *fakeActor) SetMessage(m string) error        { return f.add("message " + m) }
func (f *fakeActor) SetAcceptQueueCalls(a bool) error { return f.add(fmt.Sprint("queue-calls ", a)) }
func (f *fakeActor) SetMyQueue(q state.ID, a bool) error {
	return f.add(fmt.Sprint("my-queue ", q, " ", a))
}
func (f *fakeActor) SetMember(q, m state.ID, a bool) error {
	return f.add(fmt.Sprint("member ", q, " ", m, " ", a))
}

// noWrites is a mirror with nothing in flight: every change is confirmed.
type noWrites struct{}

func (noWrites) Write(state.Target) (state.Write, bool) { return state.Write{}, false }

func newTestGuard(t *testing.T, role Role) (*Guard, *fakeActor, *syncBuffer) {
	u := newUser(t, "101", role)
	var p atomic.Pointer[User]
	p.Store(&User{Key: u.signer.PublicKey(), Fingerprint: u.fingerprint(), Extension: "101", Role: role})
	out := &syncBuffer{}
	a := NewAudit(out, func() time.Time { return time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC) })
	f := &fakeActor{}
	s := newSettler(noWrites{}, a, time.Millisecond, time.Second)
	t.Cleanup(func() { s.close(time.Second) })
	return &Guard{user: &p, ext: "9001", actor: f, audit: a, settle: s}, f, out
}

// everything asks for every kind of change.
func everything(g *Guard) []error {
	return []error{
		g.SetStatus(state.StatusBusy), g.SetStatus(state.StatusDND), g.SetMessage("at lunch"),
		g.SetAcceptQueueCalls(false), g.SetMyQueue("77", true), g.SetMember("77", "9002", false),
	}
}

func TestGuardEnforcesTheRoleOnEveryCall(t *testing.T) {
	want := map[Role][]bool{ // per call of everything: allowed?
		Viewer:     {false, false, false, false, false, false},
		Agent:      {true, true, true, true, true, false},
		Frontdesk:  {true, true, true, true, true, false},
		Supervisor: {true, true, true, true, true, true},
	}
	for role, allowed := range want {
		t.Run(string(role), func(t *testing.T) {
			g, f, out := newTestGuard(t, role)
			errs := everything(g)
			n := 0
			for i, err := range errs {
				if (err == nil) != allowed[i] {
					t.Errorf("call %d: err %v, allowed %v", i, err, allowed[i])
				}
				if allowed[i] {
					n++
				}
			}
			if len(f.calls) != n {
				t.Errorf("%d calls reached the writer, want %d: %v", len(f.calls), n, f.calls)
			}
			g.settle.close(time.Second)
			lines := strings.Split(strings.TrimSpace(out.String()), "\n")
			refused, sent, confirmed := 0, 0, 0
			for _, l := range lines {
				switch {
				case strings.Contains(l, "result=\"refused: your role ("+string(role)+") may not"):
					refused++
				case strings.HasSuffix(l, "result=sent"):
					sent++
				case strings.HasSuffix(l, "result=confirmed"):
					confirmed++
				default:
					t.Errorf("unexpected audit line %q", l)
				}
				if !strings.HasPrefix(l, "time=2026-01-02T03:04:05.000Z key=SHA256:") || !strings.Contains(l, " ext=101 role="+string(role)+" action=") {
					t.Errorf("audit line without time, key, extension, role and action: %q", l)
				}
			}
			if refused != len(errs)-n || sent != n || confirmed != n {
				t.Errorf("audit: %d refused, %d sent, %d confirmed; want %d, %d, %d:\n%s", refused, sent, confirmed, len(errs)-n, n, n, out)
			}
		})
	}
}

func TestGuardAppliesARoleChangeToTheNextCall(t *testing.T) {
	g, f, _ := newTestGuard(t, Agent)
	if err := g.SetStatus(state.StatusBusy); err != nil {
		t.Fatal(err)
	}
	u := *g.user.Load()
	u.Role = Viewer
	g.user.Store(&u)
	if err := g.SetStatus(state.StatusAvailable); err == nil {
		t.Fatalf("a viewer changed their status")
	}
	g.user.Store(&User{Fingerprint: u.Fingerprint, Extension: u.Extension}) // the key was removed
	if err := g.SetStatus(state.StatusAvailable); err != ErrKeyRemoved {
		t.Fatalf("a removed key: %v", err)
	}
	if len(f.calls) != 1 {
		t.Fatalf("calls %v, want only the first", f.calls)
	}
}

func TestGuardNeverActsAsTheHub(t *testing.T) {
	g, f, _ := newTestGuard(t, Supervisor)
	g.ext = "" // "" is the hub's own user to a state.Writer
	for _, err := range everything(g) {
		if err == nil {
			t.Fatalf("a change went out with no extension")
		}
	}
	if len(f.calls) > 0 {
		t.Fatalf("calls %v", f.calls)
	}
}

func TestAuditQuotesWhatUsersType(t *testing.T) {
	out := &syncBuffer{}
	a := NewAudit(out, func() time.Time { return time.Unix(0, 0) })
	a.Log(Record{Key: "SHA256:x", Ext: "101", Role: Agent, Action: "message", Value: "a=b \"c\"\nresult=confirmed\x1b[2J", Result: "sent"})
	got := out.String()
	if strings.Count(got, "\n") != 1 || strings.Count(got, "result=") != 2 || !strings.HasSuffix(got, " result=sent\n") {
		t.Fatalf("a typed message forged a field or a line: %q", got)
	}
	if strings.Contains(got, "\x1b") {
		t.Fatalf("an escape sequence reached the audit log: %q", got)
	}
}

// fakeCalls records the call actions that got past the guard.
type fakeCalls struct {
	mu     sync.Mutex
	device string
	got    []state.CallRequest
}

func (f *fakeCalls) Act(r state.CallRequest) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.got = append(f.got, r)
	return nil
}

func TestGuardActsOnCallsForTheFrontDeskOnly(t *testing.T) {
	for _, role := range []Role{Viewer, Agent, Supervisor, Frontdesk} {
		g, _, out := newTestGuard(t, role)
		fc := &fakeCalls{}
		phones := 0
		g.calls = func(device string) ui.CallActor { fc.device = device; return fc }
		g.phone = func() (string, string, error) { phones++; return "dev-9001", "Desk phone", nil }
		mine := state.CallRequest{Kind: state.ActAnswer, Call: state.CallRef{Session: "s", Party: "p", Ext: "9001"}}
		theirs := state.CallRequest{Kind: state.ActTransfer, Call: state.CallRef{Session: "s2", Party: "p2", Ext: "9002"}, To: state.TransferTo{Ext: "9003"}}
		parked := state.CallRequest{Kind: state.ActPickup, Call: state.CallRef{Session: "s3", Party: "p3", Ext: "9002"}}
		errMine, errTheirs, errParked := g.Act(mine), g.Act(theirs), g.Act(parked)
		if role != Frontdesk {
			if errMine == nil || errParked == nil || len(fc.got) > 0 {
				t.Fatalf("%s acted on calls: %v %v %+v", role, errMine, errParked, fc.got)
			}
			continue
		}
		if errMine != nil || errParked != nil || errTheirs == nil {
			t.Fatalf("front desk: own %v, someone else's %v, pickup %v", errMine, errTheirs, errParked)
		}
		if len(fc.got) != 2 || fc.device != "dev-9001" || phones != 1 {
			t.Fatalf("front desk: sent %+v on %q, phone read %d times", fc.got, fc.device, phones)
		}
		log := out.String()
		for _, want := range []string{"action=call-answer value=s result=sent", "action=call-transfer", "refused: you may act only on your own calls", "action=call-pickup value=s3 result=sent"} {
			if !strings.Contains(log, want) {
				t.Fatalf("audit lacks %q:\n%s", want, log)
			}
		}
	}
}
