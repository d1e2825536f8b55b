package main

import (
	"bytes"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rchud/rchud/rc"
)

// testCache opens a session cache in a temporary directory, logging into
// the returned buffer.
func testCache(t *testing.T, cfg rc.Config) (*sessionCache, *bytes.Buffer, string) {
	t.Helper()
	base := t.TempDir()
	was := userCacheDir
	userCacheDir = func() (string, error) { return base, nil }
	t.Cleanup(func() { userCacheDir = was })
	var log bytes.Buffer
	c, err := openSessionCache(cfg, slog.New(slog.NewTextHandler(&log, nil)))
	if err != nil {
		t.Fatal(err)
	}
	return c, &log, base
}

var cacheCfg = rc.Config{ServerURL: "https://platform.example", ClientID: "app-id-1", ClientSecret: "s3cret-app", JWT: "eyJhbGciOi.secret-jwt.sig"}

func savedSession() rc.Session {
	now := time.Now().Truncate(time.Millisecond)
	return rc.Session{AccessToken: "access-1", AccessExpiry: now.Add(time.Hour), AccessTTL: time.Hour,
		RefreshToken: "refresh-1", RefreshExpiry: now.Add(7 * 24 * time.Hour), Owner: "101", SessionID: "s-1",
		Budget: rc.Budget{rc.Heavy: {Limit: 10, Window: time.Minute, Sent: []time.Time{now.Add(-time.Second), now}}}}
}

// TestSessionCacheFilePolicy: the file is private and atomic, keeps what
// the next start needs, and never the JWT or the app secret.
func TestSessionCacheFilePolicy(t *testing.T) {
	c, _, base := testCache(t, cacheCfg)
	if _, err := c.Load(); err != rc.ErrNoSession {
		t.Fatalf("an empty cache: %v", err)
	}
	in := savedSession()
	if err := c.Save(in); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(base, "rchud")
	if fi, _ := os.Stat(dir); fi.Mode().Perm() != 0o700 {
		t.Fatalf("directory mode %04o", fi.Mode().Perm())
	}
	fi, err := os.Stat(c.path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("file mode %v (%v)", fi.Mode(), err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Fatalf("the directory holds %d entries; a temporary file was left?", len(entries))
	}
	raw, _ := os.ReadFile(c.path)
	for _, secret := range []string{cacheCfg.JWT, cacheCfg.ClientSecret, "secret-jwt"} {
		if bytes.Contains(raw, []byte(secret)) {
			t.Fatalf("the cache holds a credential: %s", raw)
		}
	}
	out, err := c.Load()
	if err != nil || out.AccessToken != in.AccessToken || out.RefreshToken != in.RefreshToken || out.Owner != in.Owner ||
		!out.AccessExpiry.Equal(in.AccessExpiry) || out.AccessTTL != time.Hour || len(out.Budget[rc.Heavy].Sent) != 2 ||
		out.Budget[rc.Heavy].Limit != 10 || out.Budget[rc.Heavy].Window != time.Minute {
		t.Fatalf("round trip: %+v (%v)", out, err)
	}
	// A second save keeps the requests another process recorded.
	other := savedSession()
	other.Budget = rc.Budget{rc.Heavy: {Sent: []time.Time{time.Now().Add(-2 * time.Second)}}}
	if err := c.Save(other); err != nil {
		t.Fatal(err)
	}
	if out, _ := c.Load(); len(out.Budget[rc.Heavy].Sent) != 3 {
		t.Fatalf("the merged budget has %d requests, want 3", len(out.Budget[rc.Heavy].Sent))
	}
	if err := c.Clear(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(c.path); !os.IsNotExist(err) {
		t.Fatalf("Clear left the file")
	}
}

// TestSessionCacheIsForItsCredentialsOnly: another JWT, app or server
// finds nothing.
func TestSessionCacheIsForItsCredentialsOnly(t *testing.T) {
	c, log, _ := testCache(t, cacheCfg)
	if err := c.Save(savedSession()); err != nil {
		t.Fatal(err)
	}
	for _, other := range []rc.Config{
		{ServerURL: cacheCfg.ServerURL, ClientID: cacheCfg.ClientID, ClientSecret: cacheCfg.ClientSecret, JWT: "another-jwt"},
		{ServerURL: cacheCfg.ServerURL, ClientID: "another-app", ClientSecret: cacheCfg.ClientSecret, JWT: cacheCfg.JWT},
		{ServerURL: "https://sandbox.example", ClientID: cacheCfg.ClientID, ClientSecret: cacheCfg.ClientSecret, JWT: cacheCfg.JWT},
	} {
		oc, err := openSessionCache(other, c.log)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := oc.Load(); err != rc.ErrNoSession {
			t.Fatalf("%v found the cache of other credentials (%v)", other, err)
		}
		// Even a file of the same name (a hash prefix shared) is checked.
		oc.path = c.path
		if _, err := oc.Load(); err != rc.ErrNoSession || !strings.Contains(log.String(), "other credentials") {
			t.Fatalf("a file keyed for other credentials was used (%v); log %q", err, log.String())
		}
	}
}

// TestSessionCacheRefusesALooseFileAndRepairsALooseDirectory: a file others
// could read is not used (its tokens may have leaked) and is removed; a
// directory others could read is made private again. The log says which.
func TestSessionCacheRefusesALooseFileAndRepairsALooseDirectory(t *testing.T) {
	c, log, base := testCache(t, cacheCfg)
	if err := c.Save(savedSession()); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(c.path, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Load(); err != rc.ErrNoSession {
		t.Fatalf("a file others can read was used: %v", err)
	}
	if _, err := os.Stat(c.path); !os.IsNotExist(err) || !strings.Contains(log.String(), "not used, removed") {
		t.Fatalf("the loose file must be removed and the log say so: %v %q", err, log.String())
	}
	dir := filepath.Join(base, "rchud")
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := c.Save(savedSession()); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(dir); fi.Mode().Perm() != 0o700 || !strings.Contains(log.String(), "repaired to 0700") {
		t.Fatalf("the directory is %04o; log %q", fi.Mode().Perm(), log.String())
	}
	// A symlink in the file's place is not followed.
	target := filepath.Join(base, "elsewhere.json")
	raw, _ := os.ReadFile(c.path)
	os.WriteFile(target, raw, 0o600)
	os.Remove(c.path)
	if err := os.Symlink(target, c.path); err != nil {
		t.Skip("no symlinks here")
	}
	if _, err := c.Load(); err != rc.ErrNoSession {
		t.Fatalf("a symlink was followed: %v", err)
	}
}
