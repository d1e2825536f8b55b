package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/rchud/rchud/emulator"
)

// snapshotIn runs `rchud snapshot args` against e and returns the exit
// code, stdout, stderr and how long it took.
func snapshotIn(t *testing.T, e *emulator.Emulator, args ...string) (int, string, string, time.Duration) {
	t.Helper()
	var out, errOut syncBuffer
	start := time.Now()
	code := runSnapshot(context.Background(), append(args, "--env-file", ""), &out, &errOut, envOf(envFor(e)))
	return code, out.String(), errOut.String(), time.Since(start)
}

func oneLine(t *testing.T, e *emulator.Emulator, msg string) {
	t.Helper()
	if strings.Count(msg, "\n") != 1 || !strings.HasPrefix(msg, "rchud snapshot: ") {
		t.Fatalf("want one line on stderr, got %q", msg)
	}
	if found := e.FindSecrets(msg); len(found) > 0 {
		t.Fatalf("the line shows a secret (%v): %q", found, msg)
	}
}

// TestSnapshotTimeoutNamesTheCause (issue 10): --timeout bounds the whole
// run, sign-in and rate-limit waits included, and the line and exit code
// say what held it up.
func TestSnapshotTimeoutNamesTheCause(t *testing.T) {
	t.Run("a sign-in nobody answers", func(t *testing.T) {
		privateCache(t)
		e, err := emulator.Start(emulator.Config{Users: 5, Queues: 1, Seed: 4, CallsPerMinute: 0, Faults: emulator.Faults{
			OAuthRules: []emulator.OAuthFaultRule{{Endpoint: "token", Response: "hang"}}}}, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer e.Close()
		code, out, msg, took := snapshotIn(t, e, "--timeout", "500ms")
		t.Logf("exit %d after %v: %s", code, took.Round(time.Millisecond), strings.TrimSpace(msg))
		oneLine(t, e, msg)
		if code != exitUnreachable || !strings.Contains(msg, "no answer") || took > 2*time.Second || out != "" {
			t.Fatalf("exit %d after %v: %q", code, took, msg)
		}
	})
	t.Run("a rate limit", func(t *testing.T) {
		privateCache(t)
		e, err := emulator.Start(emulator.Config{Users: 5, Queues: 1, Seed: 4, CallsPerMinute: 0, Faults: emulator.Faults{
			Rules: []emulator.FaultRule{{Method: "GET", PathPrefix: "/restapi/v1.0/account/~/presence", Status: 429, RetryAfter: 60, Count: 1}}}}, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer e.Close()
		code, out, msg, took := snapshotIn(t, e, "--timeout", "1s")
		t.Logf("exit %d after %v: %s", code, took.Round(time.Millisecond), strings.TrimSpace(msg))
		oneLine(t, e, msg)
		if code != exitRateLimited || !strings.Contains(msg, "Heavy rate limit") || took > 2500*time.Millisecond || out != "" {
			t.Fatalf("exit %d after %v: %q", code, took, msg)
		}
	})
}

// TestSnapshotSaysWhichPermissionIsMissing (issue 10, item 3): a missing
// permission ends the snapshot at once with exit 5 and a line saying what
// to do, never exit 0 with rows it knows are stale.
func TestSnapshotSaysWhichPermissionIsMissing(t *testing.T) {
	privateCache(t)
	start := func(deny ...string) *emulator.Emulator {
		var perms emulator.Permissions
		for _, s := range deny {
			if err := perms.DenyScope(s); err != nil {
				t.Fatal(err)
			}
		}
		e, err := emulator.Start(emulator.Config{Users: 10, Queues: 1, Seed: 4, CallsPerMinute: 0, Permissions: perms}, nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { e.Close() })
		return e
	}
	e := start("ReadPresence", "EditPresence")
	code, out, msg, took := snapshotIn(t, e, "--timeout", "30s")
	t.Logf("no ReadPresence: exit %d after %v: %s", code, took.Round(time.Millisecond), strings.TrimSpace(msg))
	oneLine(t, e, msg)
	if code != exitPermission || !strings.Contains(msg, "ReadPresence") || !strings.Contains(msg, "developer console") || took > 3*time.Second || out != "" {
		t.Fatalf("exit %d after %v: %q", code, took, msg)
	}

	e = start(emulator.ScopeWebSocketSubscriptions)
	code, out, msg, took = snapshotIn(t, e, "--watch", "1s", "--timeout", "30s")
	t.Logf("no WebSocket, watching: exit %d after %v: %s", code, took.Round(time.Millisecond), strings.TrimSpace(msg))
	oneLine(t, e, msg)
	if code != exitPermission || !strings.Contains(msg, "WebSocket") || out != "" {
		t.Fatalf("exit %d: %q", code, msg)
	}
	// A one-shot needs no WebSocket.
	if code, out, msg, _ = snapshotIn(t, e, "--json"); code != exitOK || !strings.HasPrefix(out, "{") {
		t.Fatalf("a one-shot without the WebSocket permission: exit %d %q", code, msg)
	}
}

// TestWatchedSnapshotWithStaleRowsIsNotASuccess: the link is lost while
// watching and cannot come back: the rows are printed, marked stale, and
// the exit code says so.
func TestWatchedSnapshotWithStaleRowsIsNotASuccess(t *testing.T) {
	privateCache(t)
	e, err := emulator.Start(emulator.Config{Users: 10, Queues: 1, Seed: 4, CallsPerMinute: 0}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	go func() {
		for len(e.Subscriptions()) == 0 {
			time.Sleep(5 * time.Millisecond)
		}
		e.SetFaults(emulator.Faults{RefuseUpgrades: true})
		e.DropConnections()
	}()
	code, out, msg, _ := snapshotIn(t, e, "--json", "--watch", "1s")
	t.Logf("exit %d: %s", code, strings.TrimSpace(msg))
	oneLine(t, e, msg)
	rows, err := snapshotRows(out)
	if err != nil || len(rows) == 0 {
		t.Fatalf("the rows must be printed: %v", err)
	}
	stale := 0
	for _, r := range rows {
		if r["stale"] == true {
			stale++
		}
	}
	if code != exitStale || stale != len(rows) || !strings.Contains(msg, "may be out of date") {
		t.Fatalf("exit %d, %d of %d rows stale: %q", code, stale, len(rows), msg)
	}
}
