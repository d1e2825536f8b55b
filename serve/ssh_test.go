package serve

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

func TestUnknownKeyIsRefusedAtTheHandshake(t *testing.T) {
	known := newUser(t, "admin", Agent)
	h := startHub(t, hubConfig{users: []testUser{known}})
	stranger := newUser(t, "admin", Supervisor)
	if c, err := h.dial(stranger); err == nil {
		c.Close()
		t.Fatalf("a key not in the users file connected")
	} else if !strings.Contains(err.Error(), "unable to authenticate") {
		t.Fatalf("refused with %v, want an authentication failure", err)
	}
	if !strings.Contains(h.audit.String(), "key="+stranger.fingerprint()+" action=connect result=\"refused: key not in the users file\"") {
		t.Fatalf("the refusal is not in the audit log:\n%s", h.audit)
	}
	c := h.connect(known, clientOpts{})
	c.waitFor("shown · sort", 10*time.Second)
	c.close()
}

// randomKeys is a sequence of n keys a user might type, quitting aside.
func randomKeys(r *rand.Rand, n int) string {
	keys := []string{" ", "\r", "\x1b", "\t", "\x1b[A", "\x1b[B", "\x1b[5~", "\x1b[6~", "\x1b[H", "\x1b[F", "\x7f",
		"y", "Y", "n", "*", "/", "?", "a", "b", "i", "d", "m", "c", "p", "g", "s", "f", "w", "j", "k", "e", "t", "u"}
	for c := 'A'; c <= 'Z'; c++ {
		keys = append(keys, string(c))
	}
	for c := '0'; c <= '9'; c++ {
		keys = append(keys, string(c))
	}
	var b strings.Builder
	for range n {
		b.WriteString(keys[r.IntN(len(keys))])
	}
	return b.String()
}

// typeRandomly types random keys and waits until the HUD has taken them
// all (a filter typed last shows), and the audit log has the outcome of
// every change sent.
func typeRandomly(t *testing.T, h *hub, c *client, r *rand.Rand, n int) {
	t.Helper()
	token := fmt.Sprintf("ZQ%dX", r.IntN(1e6))
	c.keys(randomKeys(r, n))
	// Leave any prompt, editor, pane or help, then filter for the token.
	// Each Esc goes alone: Esc and the bytes right after it can read as
	// one key (alt+key, or a function key's sequence), as from a person.
	for _, k := range []string{"\x1b", "\x1b", "n", "\x1b"} {
		time.Sleep(30 * time.Millisecond)
		c.keys(k)
	}
	time.Sleep(30 * time.Millisecond)
	c.keys("/" + token)
	c.waitFor(token, 15*time.Second)
	c.keys("\x1b")
	eventually(t, 15*time.Second, func() bool {
		a := h.audit.String()
		return strings.Count(a, "result=sent") == strings.Count(a, "result=confirmed")+strings.Count(a, "result=\"failed")+
			strings.Count(a, "result=\"superseded")+strings.Count(a, "result=\"not confirmed")
	}, func() string { return "changes without an outcome in the audit log:\n" + h.audit.String() })
}

func TestViewerChangesNothingWhateverTheyType(t *testing.T) {
	v := newUser(t, "agent0", Viewer)
	h := startHub(t, hubConfig{users: []testUser{v}})
	r := testRand(t)
	c := h.connect(v, clientOpts{})
	c.waitFor("shown · sort", 10*time.Second)
	before := len(puts(h.e))
	for range 3 {
		typeRandomly(t, h, c, r, 300)
	}
	if p := puts(h.e); len(p) != before {
		t.Fatalf("a viewer's keys changed the server: %v", p[before:])
	}
	c.close()
}

func TestAgentActsOnlyOnTheirOwnExtension(t *testing.T) {
	a := newUser(t, "agent0", Agent)
	h := startHub(t, hubConfig{users: []testUser{a}})
	own := h.ext(h.number("agent0"))
	allowed := map[string]bool{
		"/restapi/v1.0/account/~/extension/" + own + "/presence":            true,
		"/restapi/v1.0/account/~/extension/" + own + "/call-queue-presence": true,
	}
	r := testRand(t)
	c := h.connect(a, clientOpts{})
	c.waitFor("shown · sort", 10*time.Second)
	for range 3 {
		typeRandomly(t, h, c, r, 300)
	}
	p := puts(h.e)
	for _, path := range p {
		if !allowed[path] {
			t.Fatalf("an agent's keys sent PUT %s (own extension %s); all PUTs: %v", path, own, p)
		}
	}
	t.Logf("%d PUTs, all on the agent's own extension", len(p))
	if found := h.e.FindSecrets(h.audit.String()); len(found) > 0 {
		t.Fatalf("the audit log holds secrets: %v", found)
	}
	if n := strings.Count(h.audit.String(), "result=sent"); n < len(p) {
		t.Fatalf("%d PUTs but %d changes in the audit log", len(p), n)
	}
}

func TestAViewerDemotedMidSessionIsRefusedByTheHub(t *testing.T) {
	// The HUD was opened as an agent and still offers the keys: only the
	// hub's guard stands between them and the server.
	a := newUser(t, "agent0", Agent)
	h := startHub(t, hubConfig{users: []testUser{a}})
	c := h.connect(a, clientOpts{})
	c.waitFor("shown · sort", 10*time.Second)
	demoted := a
	demoted.role = Viewer
	writeUsers(t, h.usersPath, func() testUser { d := demoted; d.number = h.number("agent0"); return d }())
	eventually(t, 5*time.Second, func() bool { return strings.Contains(h.audit.String(), "action=role value=viewer result=changed") },
		func() string { return "the role change was not taken:\n" + h.audit.String() })
	before := len(puts(h.e))
	c.keys("b")
	eventually(t, 5*time.Second, func() bool {
		return strings.Contains(h.audit.String(), "action=status value=Busy result=\"refused: your role (viewer) may not change your status\"")
	}, func() string { return "no refusal in the audit log:\n" + h.audit.String() })
	c.waitFor("your role (viewer) may not change your status", 5*time.Second)
	r := testRand(t)
	typeRandomly(t, h, c, r, 300)
	if p := puts(h.e); len(p) != before {
		t.Fatalf("a demoted viewer changed the server: %v", p[before:])
	}
	c.close()
}

func TestEachSessionHasItsOwnColours(t *testing.T) {
	a, b := newUser(t, "agent0", Viewer), newUser(t, "agent1", Viewer)
	h := startHub(t, hubConfig{users: []testUser{a, b}})
	colour := h.connect(a, clientOpts{term: "xterm-256color"})
	plain := h.connect(b, clientOpts{term: "xterm-256color", env: map[string]string{"NO_COLOR": "1"}})
	colour.waitFor("shown · sort", 10*time.Second)
	plain.waitFor("shown · sort", 10*time.Second)
	if !strings.Contains(colour.rawOutput(), "\x1b[38;5;") {
		t.Errorf("a 256-colour terminal got no 256 colours")
	}
	if strings.Contains(plain.rawOutput(), "\x1b[38;") || strings.Contains(plain.rawOutput(), ";48;5;") {
		t.Errorf("a session with NO_COLOR got colours")
	}
}

func TestSupervisorTogglesAMember(t *testing.T) {
	s := newUser(t, "agent1", Supervisor)
	h := startHub(t, hubConfig{users: []testUser{s}})
	c := h.connect(s, clientOpts{w: 140, h: 40})
	c.waitFor("shown · sort", 10*time.Second)
	c.keys("g") // group by queue
	c.waitFor("by queue", 5*time.Second)
	c.keys("\x1b[H") // home: the first member of the first queue
	c.waitFor("toggle member", 5*time.Second)
	c.keys(" ")
	c.waitFor("Make ", 5*time.Second)
	c.keys("y")
	eventually(t, 10*time.Second, func() bool {
		return strings.Contains(h.audit.String(), "action=member") && strings.Contains(h.audit.String(), "result=confirmed")
	}, func() string { return "no confirmed member change in the audit log:\n" + h.audit.String() })
	found := false
	for _, p := range puts(h.e) {
		found = found || strings.HasPrefix(p, "/restapi/v1.0/account/~/call-queues/") && strings.HasSuffix(p, "/presence")
	}
	if !found {
		t.Fatalf("no PUT of a queue's presence: %v", puts(h.e))
	}
	c.close()
}
