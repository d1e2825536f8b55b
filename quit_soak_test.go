package main

import (
	"math/rand/v2"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rchud/rchud/emulator"
)

// quitWait is something rchud may be waiting for when told to quit.
type quitWait struct {
	name string
	cfg  emulator.Config
	args []string // snapshot's
	// then, once rchud is running, brings the wait about and reports
	// when it is reached.
	then func(e *emulator.Emulator) bool
}

func requested(e *emulator.Emulator, ok func(emulator.RequestRecord) bool) bool {
	for _, r := range e.Requests() {
		if ok(r) {
			return true
		}
	}
	return false
}

var quitWaits = []quitWait{
	{name: "a sign-in nobody answers", cfg: emulator.Config{Faults: emulator.Faults{
		OAuthRules: []emulator.OAuthFaultRule{{Endpoint: "token", Response: "hang"}}}},
		then: func(e *emulator.Emulator) bool { return e.Stats().Hanging > 0 }},
	{name: "a server that answers nothing", cfg: emulator.Config{Faults: emulator.Faults{Unresponsive: true}},
		then: func(e *emulator.Emulator) bool { return e.Stats().Hanging > 0 }},
	{name: "a sign-in backing off after 503s", cfg: emulator.Config{Faults: emulator.Faults{
		OAuthRules: []emulator.OAuthFaultRule{{Endpoint: "token", Response: "503"}}}},
		then: func(e *emulator.Emulator) bool {
			return requested(e, func(r emulator.RequestRecord) bool { return r.Status == 503 })
		}},
	{name: "a rate limit's penalty", cfg: emulator.Config{Faults: emulator.Faults{
		Rules: []emulator.FaultRule{{Method: "GET", PathPrefix: "/restapi/v1.0/account/~/presence", Status: 429, RetryAfter: 60}}}},
		then: func(e *emulator.Emulator) bool {
			return requested(e, func(r emulator.RequestRecord) bool { return r.Status == 429 })
		}},
	{name: "a live link that goes silent", args: []string{"--watch", "10m"},
		then: func(e *emulator.Emulator) bool {
			loaded := requested(e, func(r emulator.RequestRecord) bool {
				return strings.HasSuffix(r.Path, "/account/~/presence") && r.Status == 200
			})
			if len(e.Subscriptions()) == 0 || !loaded {
				return false
			}
			e.SetFaults(emulator.Faults{Unresponsive: true, HalfOpen: true}) // the DELETE will get no answer
			return true
		}},
}

// waitFor polls cond for up to 10 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s not reached within 10 s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// quitSnapshot runs the real rchud snapshot in a child process, brings
// w's wait about, signals it and returns how long it took to end.
func quitSnapshot(t *testing.T, w quitWait, sig syscall.Signal) time.Duration {
	t.Helper()
	cfg := w.cfg
	cfg.Users, cfg.Queues, cfg.Seed = 10, 1, 3
	e, err := emulator.Start(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	cmd := exec.Command(os.Args[0], append([]string{"snapshot", "--env-file", ""}, w.args...)...)
	// GORACE: under -race a process exiting 0 sleeps a second for late
	// race reports; that second is the race detector's, not rchud's.
	cmd.Env = append(os.Environ(), "RCHUD_TEST_MAIN=1", "XDG_CACHE_HOME="+t.TempDir(), "HOME="+t.TempDir(), "GORACE=atexit_sleep_ms=0")
	for k, v := range envFor(e) {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	var stderr syncBuffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	defer func() {
		select {
		case <-exited:
		default:
			cmd.Process.Kill()
			<-exited
		}
	}()
	waitFor(t, w.name, func() bool { return w.then(e) })
	start := time.Now()
	if err := cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
	select {
	case <-exited:
	case <-time.After(5 * time.Second):
		t.Fatalf("%s, %v: still running 5 s later", w.name, sig)
	}
	took := time.Since(start)
	// Interrupted while loading; a watch cut short prints what it has
	// (with a line and exit 7 if the link is known to be down).
	msg := stderr.String()
	if w.args == nil && (strings.Count(msg, "\n") != 1 || !strings.Contains(msg, "interrupted")) || strings.Count(msg, "\n") > 1 {
		t.Fatalf("%s, %v: stderr %q", w.name, sig, msg)
	}
	return took
}

// quitHUD runs the HUD against an emulator with w's wait, presses q and
// returns how long it took to end.
func quitHUD(t *testing.T, w quitWait) (took time.Duration) {
	t.Helper()
	t.Run("hud", func(t *testing.T) {
		cfg := w.cfg
		cfg.Users, cfg.Queues, cfg.Seed = 10, 1, 3
		e, err := emulator.Start(cfg, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer e.Close()
		privateCache(t)
		keys, _, done, errOut := hudAgainst(t, e)
		waitFor(t, w.name, func() bool { return w.then(e) })
		start := time.Now()
		keys("q")
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Fatalf("%s: q did not end the HUD within 5 s (%s)", w.name, errOut.String())
		}
		took = time.Since(start)
	})
	return took
}

// TestSoakPromptQuit is issue 10's quit scenario: whatever rchud waits
// for (a sign-in nobody answers, a server that answers nothing, a sign-in
// backing off, a rate limit's penalty, a live link gone silent), q in the
// HUD and SIGHUP, SIGTERM or SIGINT to the real process end it within 2 s,
// the clean-up sent if it can be and skipped if it cannot. The short run
// tries each wait once with each way to quit; -soak keeps drawing waits
// and ways at random for that long.
func TestSoakPromptQuit(t *testing.T) {
	signals := []syscall.Signal{syscall.SIGHUP, syscall.SIGTERM, syscall.SIGINT}
	var worst time.Duration
	var worstWhat string
	runs := 0
	try := func(w quitWait, how int) {
		var took time.Duration
		what := w.name + ", "
		if how == len(signals) {
			took, what = quitHUD(t, w), what+"q"
		} else {
			took, what = quitSnapshot(t, w, signals[how]), what+signals[how].String()
		}
		runs++
		if took > worst {
			worst, worstWhat = took, what
		}
		if took > 2*time.Second {
			t.Errorf("%s: ended %v after", what, took)
		}
	}
	if *soakFor == 0 {
		for i, w := range quitWaits {
			try(w, i%(len(signals)+1))
		}
		try(quitWaits[len(quitWaits)-1], len(signals)) // q with the link gone silent
	} else {
		seed := rand.Uint64()
		t.Logf("seed %d", seed)
		r := rand.New(rand.NewPCG(seed, 1))
		for start := time.Now(); time.Since(start) < *soakFor; {
			try(quitWaits[r.IntN(len(quitWaits))], r.IntN(len(signals)+1))
		}
	}
	t.Logf("%d quits, the slowest %v (%s)", runs, worst.Round(time.Millisecond), worstWhat)
}
