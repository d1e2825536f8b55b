package main

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/rchud/rchud/emulator"
	"github.com/rchud/rchud/rc"
)

// TestLogoutEndsTheSavedSession: after a snapshot has saved its session,
// rchud logout revokes it at RingCentral and removes the cache; a second
// logout finds nothing to end.
func TestLogoutEndsTheSavedSession(t *testing.T) {
	privateCache(t)
	e, err := emulator.Start(emulator.Config{Users: 5, Queues: 1, Seed: 4, CallsPerMinute: 0}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	if code, _, msg, _ := snapshotIn(t, e); code != exitOK {
		t.Fatalf("snapshot: exit %d %s", code, msg)
	}
	cr := e.Credentials()
	cache, err := openSessionCache(rc.Config{ServerURL: cr.ServerURL, ClientID: cr.ClientID, ClientSecret: cr.ClientSecret, JWT: cr.UserJWT}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(cache.path); err != nil {
		t.Fatalf("the snapshot saved no session: %v", err)
	}
	logout := func() (int, string, string) {
		var out, errOut syncBuffer
		code := run(context.Background(), []string{"logout", "--env-file", ""}, &out, &errOut)
		return code, out.String(), errOut.String()
	}
	for k, v := range envFor(e) {
		t.Setenv(k, v)
	}
	code, out, msg := logout()
	if code != exitOK || !strings.Contains(out, "signed out") || msg != "" {
		t.Fatalf("logout: exit %d, %q, %q", code, out, msg)
	}
	if s := e.Sessions(); len(s) != 1 || !s[0].Revoked {
		t.Fatalf("the session must be revoked: %+v", s)
	}
	if _, err := os.Stat(cache.path); !os.IsNotExist(err) {
		t.Fatalf("the cache is still there")
	}
	if code, out, _ := logout(); code != exitOK || !strings.Contains(out, "no saved session") {
		t.Fatalf("a second logout: exit %d %q", code, out)
	}
}
