package serve

import (
	"os"
	"strings"
	"testing"
	"time"
)

func TestARemovedKeyEndsItsSessionWithALineAndNoOther(t *testing.T) {
	a, b := newUser(t, "agent0", Agent), newUser(t, "agent1", Agent)
	h := startHub(t, hubConfig{users: []testUser{a, b}})
	ca, cb := h.connect(a, clientOpts{}), h.connect(b, clientOpts{})
	ca.waitFor("shown · sort", 10*time.Second)
	cb.waitFor("shown · sort", 10*time.Second)
	b.number = h.number("agent1")
	writeUsers(t, h.usersPath, b)
	ca.waitEnd(5 * time.Second)
	if !strings.Contains(ca.screen(), "rchud: your key is no longer in the users file; the session ends") {
		t.Fatalf("the removed key's session ended without saying why:\n%s", ca.screen())
	}
	cb.keys("b") // the other session is still there, and acts
	eventually(t, 5*time.Second, func() bool {
		return strings.Contains(h.audit.String(), "key="+b.fingerprint()+" ext="+b.number+" role=agent action=status value=Busy result=sent")
	}, func() string { return "the remaining session did not act:\n" + h.audit.String() })
	if _, err := h.dial(a); err == nil {
		t.Fatalf("the removed key connected again")
	}
}

func TestAUsersFileOpenToOthersIsNotTaken(t *testing.T) {
	a, b := newUser(t, "agent0", Agent), newUser(t, "agent1", Agent)
	h := startHub(t, hubConfig{users: []testUser{a}})
	ca := h.connect(a, clientOpts{})
	ca.waitFor("shown · sort", 10*time.Second)
	b.number = h.number("agent1")
	a.number = h.number("agent0")
	writeUsers(t, h.usersPath, b)
	if err := os.Chmod(h.usersPath, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := h.srv.Reload(); err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Fatalf("reload of a world-readable users file: %v", err)
	}
	if _, err := h.dial(b); err == nil {
		t.Fatalf("a key from the refused file connected")
	}
	ca.keys("b") // the old file is still in force
	eventually(t, 5*time.Second, func() bool { return strings.Contains(h.audit.String(), "action=status value=Busy result=sent") },
		func() string { return "the session lost its rights:\n" + h.audit.String() })
}

func TestLimitsRefuseWithALine(t *testing.T) {
	a, b, c := newUser(t, "agent0", Viewer), newUser(t, "agent1", Viewer), newUser(t, "admin", Viewer)
	h := startHub(t, hubConfig{users: []testUser{a, b, c}, opts: Options{MaxSessions: 2, MaxPerKey: 1}})
	ca := h.connect(a, clientOpts{})
	ca.waitFor("shown · sort", 10*time.Second)
	again := h.connect(a, clientOpts{})
	again.waitEnd(5 * time.Second)
	if !strings.Contains(again.screen(), "rchud: your key already has the most sessions open it may (1); close one first") {
		t.Fatalf("a second session of one key:\n%s", again.screen())
	}
	cb := h.connect(b, clientOpts{})
	cb.waitFor("shown · sort", 10*time.Second)
	cc := h.connect(c, clientOpts{})
	cc.waitEnd(5 * time.Second)
	if !strings.Contains(cc.screen(), "rchud: the hub already serves the most sessions it allows (2); try again later") {
		t.Fatalf("a third session:\n%s", cc.screen())
	}
	if !strings.Contains(h.audit.String(), "action=connect result=\"refused: the hub already serves") {
		t.Fatalf("the refusal is not in the audit log:\n%s", h.audit)
	}
	ca.close()
	eventually(t, 5*time.Second, func() bool { return h.srv.Sessions() == 1 }, func() string { return "the closed session still counts" })
	cc = h.connect(c, clientOpts{})
	cc.waitFor("shown · sort", 10*time.Second)
}

func TestAnIdleSessionEnds(t *testing.T) {
	a := newUser(t, "agent0", Viewer)
	h := startHub(t, hubConfig{users: []testUser{a}, opts: Options{IdleTimeout: 250 * time.Millisecond}})
	ca := h.connect(a, clientOpts{})
	ca.waitFor("shown · sort", 10*time.Second)
	start := time.Now()
	for time.Since(start) < 600*time.Millisecond { // typing keeps it open
		ca.keys("j")
		time.Sleep(50 * time.Millisecond)
		select {
		case <-ca.done:
			t.Fatalf("a session in use ended as idle:\n%s", ca.screen())
		default:
		}
	}
	ca.waitEnd(5 * time.Second)
	if !strings.Contains(ca.screen(), "rchud: no key pressed for 250ms; the session ends (connect again any time)") {
		t.Fatalf("the idle session ended without saying why:\n%s", ca.screen())
	}
}

func TestANonTerminalSessionIsToldToAskForOne(t *testing.T) {
	a := newUser(t, "agent0", Viewer)
	h := startHub(t, hubConfig{users: []testUser{a}})
	conn, err := h.dial(a)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	s, err := conn.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	out, err := s.CombinedOutput("")
	if err == nil || !strings.Contains(string(out), "rchud: the HUD needs a terminal: connect with ssh -t") {
		t.Fatalf("no terminal: %v, %q", err, out)
	}
}

func TestAChangeMadeJustBeforeLeavingCompletesAndIsLogged(t *testing.T) {
	a := newUser(t, "agent0", Agent)
	h := startHub(t, hubConfig{users: []testUser{a}})
	c := h.connect(a, clientOpts{})
	c.waitFor("shown · sort", 10*time.Second)
	c.keys("b")
	eventually(t, 5*time.Second, func() bool { return strings.Contains(h.audit.String(), "action=status value=Busy result=sent") },
		func() string { return "the change was not sent:\n" + h.audit.String() })
	c.conn.Close() // gone mid-write
	eventually(t, 10*time.Second, func() bool {
		return strings.Contains(h.audit.String(), "action=status value=Busy result=confirmed")
	}, func() string { return "the change's outcome was not logged:\n" + h.audit.String() })
	for _, x := range h.e.Truth().Extensions {
		if x.ExtensionNumber == h.number("agent0") && x.Presence.UserStatus != "Busy" {
			t.Fatalf("the server has %s, want Busy", x.Presence.UserStatus)
		}
	}
}
