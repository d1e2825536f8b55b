package serve

import (
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rchud/rchud/state"
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
