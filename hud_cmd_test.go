package main

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"

	"github.com/rchud/rchud/emulator"
	"github.com/rchud/rchud/rc"
)

// fakeTerminal makes the HUD read keys from a pipe and draw at a size;
// after runs once the HUD has shut down, before the demo closes.
func fakeTerminal(t *testing.T, w, h int, after func(*emulator.Emulator)) (keys io.Writer, emu <-chan *emulator.Emulator) {
	t.Helper()
	pr, pw := io.Pipe()
	ch := make(chan *emulator.Emulator, 1)
	hudTerminal = &hudTest{in: pr, width: w, height: h, demo: func(e *emulator.Emulator) { ch <- e }, after: after}
	t.Cleanup(func() {
		hudTerminal = nil
		pw.Close()
	})
	return pw, ch
}

// subscriptionsLeft signs in again as the receptionist after the HUD has
// quit and counts the subscriptions the user and app still hold.
func subscriptionsLeft(t *testing.T, e *emulator.Emulator) int {
	cr := e.Credentials()
	c := rc.New(rc.Config{ServerURL: cr.ServerURL, ClientID: cr.ClientID, ClientSecret: cr.ClientSecret, JWT: cr.UserJWT},
		rc.Options{Retries: 1})
	defer c.Revoke(context.Background())
	subs, err := c.ListSubscriptions(context.Background())
	if err != nil {
		t.Error(err)
	}
	return len(subs)
}

func TestHUDRejectsBadFlagsWithOneLine(t *testing.T) {
	empty := emptyEnvFile(t)
	cases := [][]string{
		{"--color", "purple"},
		{"--bogus"},
		{"--demo", "extra"},
		{"--demo", "--as", "boss"},
		{"--as", "agent", "--env-file", empty},
		{"--env-file", "/nonexistent"}, // a named .env that is not there
		{"--env-file", empty},          // no credentials anywhere
	}
	fakeTerminal(t, 80, 24, nil)
	for _, args := range cases {
		var out, errOut syncBuffer
		code := run(context.Background(), args, &out, &errOut)
		msg := errOut.String()
		if code != exitUsage || strings.Count(msg, "\n") != 1 || !strings.HasPrefix(msg, "rchud: ") {
			t.Errorf("%v: exit %d, stderr %q; want exit 2 and one line", args, code, msg)
		}
		if out.String() != "" {
			t.Errorf("%v: drew on the terminal: %q", args, out.String())
		}
	}
}

func TestHUDNeedsATerminal(t *testing.T) {
	var out, errOut syncBuffer
	code := run(context.Background(), []string{"--demo"}, &out, &errOut)
	if code != exitUsage || !strings.Contains(errOut.String(), "needs a terminal") {
		t.Fatalf("exit %d, stderr %q", code, errOut.String())
	}
}

// TestHUDDemoQuitsCleanly runs rchud --demo on a fake terminal until it
// shows the live grid, presses q, and checks what quitting cleanly means:
// exit 0, the terminal given back, the subscription deleted, the session
// revoked.
func TestHUDDemoQuitsCleanly(t *testing.T) {
	// Signed in again as the same user and app after the HUD quit: no
	// subscription may be left behind.
	subsLeft := make(chan int, 1)
	keys, emus := fakeTerminal(t, 100, 30, func(e *emulator.Emulator) {
		subsLeft <- subscriptionsLeft(t, e)
	})
	var out, errOut syncBuffer
	done := make(chan int, 1)
	go func() { done <- run(context.Background(), []string{"--demo", "--color", "none"}, &out, &errOut) }()
	var e *emulator.Emulator
	select {
	case e = <-emus:
	case code := <-done:
		t.Fatalf("exit %d before the demo started: %q", code, errOut.String())
	case <-time.After(10 * time.Second):
		t.Fatalf("the demo did not start")
	}
	deadline := time.Now().Add(10 * time.Second)
	for drawn := ""; !strings.Contains(drawn, "a b i d status") || !strings.Contains(drawn, "live"); drawn = ansi.Strip(out.String()) {
		if time.Now().After(deadline) {
			t.Fatalf("no live grid within 10 s; drew %q", out.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	if _, err := keys.Write([]byte("q")); err != nil {
		t.Fatal(err)
	}
	select {
	case code := <-done:
		if code != exitOK {
			t.Fatalf("exit %d after q, stderr %q", code, errOut.String())
		}
	case <-time.After(15 * time.Second):
		t.Fatalf("q did not quit")
	}
	if errOut.String() != "" {
		t.Fatalf("wrote to stderr: %q", errOut.String())
	}
	if !strings.Contains(out.String(), "\x1b[?1049l") {
		t.Fatalf("the alternate screen was not left")
	}
	revoked := false
	for _, r := range e.Requests() {
		revoked = revoked || (r.Method == "POST" && r.Path == "/restapi/oauth/revoke")
	}
	if !revoked {
		t.Fatalf("quitting must revoke the session")
	}
	if n := <-subsLeft; n != 0 {
		t.Fatalf("quitting left %d subscription(s) behind", n)
	}
}

// TestHUDExitsThreeWhenTheCredentialsAreRefused signs in with a JWT the
// server refuses: one line on stderr, exit 3, the terminal given back.
func TestHUDExitsThreeWhenTheCredentialsAreRefused(t *testing.T) {
	e, err := emulator.Start(emulator.Config{Users: 10, Queues: 1, Seed: 3}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	cr := e.Credentials()
	t.Setenv("RC_SERVER_URL", cr.ServerURL)
	t.Setenv("RC_APP_CLIENT_ID", cr.ClientID)
	t.Setenv("RC_APP_CLIENT_SECRET", cr.ClientSecret)
	t.Setenv("RC_USER_JWT", "not-a-jwt")
	fakeTerminal(t, 80, 24, nil)
	var out, errOut syncBuffer
	done := make(chan int, 1)
	go func() { done <- run(context.Background(), []string{"--env-file", emptyEnvFile(t)}, &out, &errOut) }()
	select {
	case code := <-done:
		msg := errOut.String()
		t.Logf("stderr: %s", msg)
		if code != exitAuth || strings.Count(msg, "\n") != 1 || strings.Contains(msg, "not-a-jwt") {
			t.Fatalf("exit %d, stderr %q: want 3 and one line without the credential", code, msg)
		}
	case <-time.After(20 * time.Second):
		t.Fatalf("a refused sign-in did not end the HUD")
	}
	if !strings.Contains(out.String(), "\x1b[?1049l") {
		t.Fatalf("the alternate screen was not left")
	}
}

// emptyEnvFile is a .env with nothing in it, so a test sees only the
// environment it set and never a developer's own .env.
func emptyEnvFile(t *testing.T) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "empty.env")
	if err := os.WriteFile(p, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}
