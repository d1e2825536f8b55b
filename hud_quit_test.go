package main

import (
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"

	"github.com/rchud/rchud/emulator"
)

// hudAgainst runs the HUD (not the demo) against e on a fake terminal and
// returns its keys, its screen and its exit code's channel.
func hudAgainst(t *testing.T, e *emulator.Emulator) (keys func(string), screen func() string, done <-chan int, errOut *syncBuffer) {
	t.Helper()
	for k, v := range envFor(e) {
		t.Setenv(k, v)
	}
	in, _ := fakeTerminal(t, 100, 30, nil)
	var out syncBuffer
	errOut = &syncBuffer{}
	ch := make(chan int, 1)
	go func() { ch <- run(t.Context(), []string{"--env-file", "", "--color", "none"}, &out, errOut) }()
	return func(k string) {
			if _, err := in.Write([]byte(k)); err != nil {
				t.Fatal(err)
			}
		}, func() string { return ansi.Strip(out.String()) },
		ch, errOut
}

func waitScreen(t *testing.T, screen func() string, done <-chan int, errOut *syncBuffer, what string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(screen(), what) {
		select {
		case code := <-done:
			t.Fatalf("exit %d before showing %q: %s", code, what, errOut.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("%q not shown within 10 s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestHUDQuitsPromptlyWhileSigningIn (issue 10, item 4): the server never
// answers the sign-in; q still ends the HUD within 2 s.
func TestHUDQuitsPromptlyWhileSigningIn(t *testing.T) {
	privateCache(t)
	e, err := emulator.Start(emulator.Config{Users: 10, Queues: 1, Seed: 3, Faults: emulator.Faults{Unresponsive: true}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	keys, screen, done, errOut := hudAgainst(t, e)
	waitScreen(t, screen, done, errOut, "signing in")
	for e.Stats().Hanging == 0 { // the token request is at the server, unanswered
		time.Sleep(5 * time.Millisecond)
	}
	keys("q")
	start := time.Now()
	select {
	case code := <-done:
		t.Logf("exit %d %v after q", code, time.Since(start).Round(time.Millisecond))
		if time.Since(start) > 2*time.Second {
			t.Fatalf("q took %v", time.Since(start))
		}
	case <-time.After(5 * time.Second):
		t.Fatalf("q did not end the HUD within 5 s")
	}
}

// TestHUDKeepsItsSessionForTheNextStart (issue 10, item 2): quitting the
// HUD deletes its subscription but keeps the OAuth session, and the next
// start (a snapshot here) spends no Auth request.
func TestHUDKeepsItsSessionForTheNextStart(t *testing.T) {
	privateCache(t)
	e, err := emulator.Start(emulator.Config{Users: 20, Queues: 1, Seed: 3, CallsPerMinute: 0}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	keys, screen, done, errOut := hudAgainst(t, e)
	waitScreen(t, screen, done, errOut, "live")
	keys("q")
	select {
	case code := <-done:
		if code != exitOK {
			t.Fatalf("exit %d: %s", code, errOut.String())
		}
	case <-time.After(5 * time.Second):
		t.Fatalf("q did not quit")
	}
	if e.Stats().Revocations != 0 {
		t.Fatalf("the HUD revoked its cached session")
	}
	if n := len(e.Subscriptions()); n != 0 {
		t.Fatalf("%d subscriptions left", n)
	}
	auth := e.Stats().Requests[emulator.Auth]
	if code, _, msg, _ := snapshotIn(t, e); code != exitOK {
		t.Fatalf("snapshot after the HUD: exit %d %s", code, msg)
	}
	if n := e.Stats().Requests[emulator.Auth] - auth; n != 0 || e.Stats().JWTGrants != 1 {
		t.Fatalf("the next start spent %d Auth requests (%d JWT grants in all)", n, e.Stats().JWTGrants)
	}
}

// TestSignalsEndTheProcessPromptly (issue 10, item 4): the real rchud
// process, waiting for a server that never answers, ends within 2 s of
// SIGHUP, SIGTERM or SIGINT.
func TestSignalsEndTheProcessPromptly(t *testing.T) {
	e, err := emulator.Start(emulator.Config{Users: 5, Queues: 1, Seed: 3, Faults: emulator.Faults{Unresponsive: true}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	for _, sig := range []syscall.Signal{syscall.SIGHUP, syscall.SIGTERM, syscall.SIGINT} {
		hanging := e.Stats().Hanging
		cmd := exec.Command(os.Args[0], "snapshot", "--env-file", "")
		cmd.Env = append(os.Environ(), "RCHUD_TEST_MAIN=1", "XDG_CACHE_HOME="+t.TempDir(), "HOME="+t.TempDir(), "GORACE=atexit_sleep_ms=0")
		for k, v := range envFor(e) {
			cmd.Env = append(cmd.Env, k+"="+v)
		}
		var stderr syncBuffer
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(10 * time.Second)
		for e.Stats().Hanging <= hanging {
			if time.Now().After(deadline) {
				cmd.Process.Kill()
				t.Fatalf("the sign-in never reached the server")
			}
			time.Sleep(5 * time.Millisecond)
		}
		start := time.Now()
		if err := cmd.Process.Signal(sig); err != nil {
			t.Fatal(err)
		}
		exited := make(chan error, 1)
		go func() { exited <- cmd.Wait() }()
		select {
		case <-exited:
			took := time.Since(start)
			t.Logf("%v: exit %d after %v: %s", sig, cmd.ProcessState.ExitCode(), took.Round(time.Millisecond), strings.TrimSpace(stderr.String()))
			if took > 2*time.Second || !strings.Contains(stderr.String(), "interrupted") {
				t.Fatalf("%v: %v, %q", sig, took, stderr.String())
			}
		case <-time.After(5 * time.Second):
			cmd.Process.Kill()
			t.Fatalf("%v did not end rchud within 5 s", sig)
		}
	}
}
