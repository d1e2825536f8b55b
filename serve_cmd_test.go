package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	gossh "golang.org/x/crypto/ssh"

	"github.com/rchud/rchud/emulator"
)

// sshViewer is a user of `rchud serve` with a terminal, keeping the bytes
// it is sent.
type sshViewer struct {
	conn *gossh.Client
	mu   sync.Mutex
	out  bytes.Buffer
	done chan struct{}
}

func (v *sshViewer) String() string {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.out.String()
}

func (v *sshViewer) Write(p []byte) (int, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.out.Write(p)
}

func dialServe(t *testing.T, addr string, key gossh.Signer) *sshViewer {
	t.Helper()
	conn, err := gossh.Dial("tcp", addr, &gossh.ClientConfig{User: "frontdesk", Auth: []gossh.AuthMethod{gossh.PublicKeys(key)},
		HostKeyCallback: gossh.InsecureIgnoreHostKey(), Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	s, err := conn.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	v := &sshViewer{conn: conn, done: make(chan struct{})}
	s.Stdout = v
	if err := s.RequestPty("xterm-256color", 30, 100, nil); err != nil {
		t.Fatal(err)
	}
	if err := s.Shell(); err != nil {
		t.Fatal(err)
	}
	go func() {
		defer close(v.done)
		_ = s.Wait()
	}()
	t.Cleanup(func() { conn.Close() })
	return v
}

func newKey(t *testing.T) gossh.Signer {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	s, err := gossh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func waitUntil(t *testing.T, within time.Duration, cond func() bool, what func() string) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("after %v: %s", within, what())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestServeOneConnectionForEveryViewer: three SSH users share one OAuth
// session and one subscription; on SIGINT each is told the hub is going,
// and the hub deletes its subscription and revokes its session.
func TestServeOneConnectionForEveryViewer(t *testing.T) {
	e, err := emulator.Start(emulator.Config{Users: 40, Queues: 2, Agents: 2, Seed: 9, CallsPerMinute: 0}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	cr := e.Credentials()
	env := map[string]string{"RC_SERVER_URL": cr.ServerURL, "RC_APP_CLIENT_ID": cr.ClientID,
		"RC_APP_CLIENT_SECRET": cr.ClientSecret, "RC_USER_JWT": cr.UserJWT}
	dir := t.TempDir()
	keys := []gossh.Signer{newKey(t), newKey(t), newKey(t)}
	var users strings.Builder
	for i, k := range keys {
		number := []string{cr.Receptionist.ExtensionNumber, cr.Agents[0].ExtensionNumber, cr.Agents[1].ExtensionNumber}[i]
		fmt.Fprintf(&users, "[[user]]\nkey = %q\nextension = %q\nrole = \"agent\"\n",
			strings.TrimSpace(string(gossh.MarshalAuthorizedKey(k.PublicKey()))), number)
	}
	if err := os.WriteFile(filepath.Join(dir, "users.toml"), []byte(users.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	audit := filepath.Join(dir, "audit.log")

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stdout, stderr syncBuffer
	code := make(chan int, 1)
	go func() {
		code <- runServe(ctx, []string{"--listen", "127.0.0.1:0", "--users", filepath.Join(dir, "users.toml"),
			"--host-key", filepath.Join(dir, "host_key"), "--audit", audit, "--env-file", ""}, &stdout, &stderr,
			func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	}()
	addrRE := regexp.MustCompile(`on (127\.0\.0\.1:\d+) \(host key SHA256:`)
	waitUntil(t, 10*time.Second, func() bool { return addrRE.MatchString(stderr.String()) },
		func() string { return "no listening line: " + stderr.String() })
	addr := addrRE.FindStringSubmatch(stderr.String())[1]

	var viewers []*sshViewer
	for _, k := range keys {
		viewers = append(viewers, dialServe(t, addr, k))
	}
	readAudit := func() string { b, _ := os.ReadFile(audit); return string(b) }
	waitUntil(t, 15*time.Second, func() bool { return strings.Count(readAudit(), "action=connect result=ok") == 3 },
		func() string { return "not every viewer got the HUD:\n" + readAudit() })

	live := 0
	for _, s := range e.Sessions() {
		if !s.Revoked {
			live++
		}
	}
	sockets := 0
	for _, r := range e.Requests() {
		if r.Via == "ws-upgrade" {
			sockets++
		}
	}
	if live != 1 || len(e.Subscriptions()) != 1 || sockets != 1 {
		t.Fatalf("%d live OAuth sessions, %d WebSockets and %d subscriptions for three viewers, want one of each",
			live, sockets, len(e.Subscriptions()))
	}

	cancel() // SIGINT
	select {
	case c := <-code:
		if c != exitOK {
			t.Fatalf("exit %d: %s", c, stderr.String())
		}
	case <-time.After(20 * time.Second):
		t.Fatalf("rchud serve did not stop")
	}
	for i, v := range viewers {
		select {
		case <-v.done:
		case <-time.After(5 * time.Second):
			t.Fatalf("viewer %d is still connected", i)
		}
		if !strings.Contains(v.String(), "rchud: the hub is shutting down") {
			t.Errorf("viewer %d was not told the hub is going: %q", i, v.String()[max(0, len(v.String())-200):])
		}
	}
	if found := e.FindSecrets(readAudit() + stderr.String() + stdout.String()); len(found) > 0 {
		t.Errorf("secrets in the audit log or the output: %v", found)
	}
	if n := len(e.Subscriptions()); n != 0 {
		t.Errorf("%d subscriptions left after shutdown", n)
	}
	for _, s := range e.Sessions() {
		if !s.Revoked {
			t.Errorf("session %s was not revoked", s.ID)
		}
	}
}

func TestServeRefusesAWorldReadableUsersFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "users.toml")
	if err := os.WriteFile(path, []byte(""), 0o644); err != nil {
		t.Fatal(err)
	}
	var out, errOut syncBuffer
	code := run(context.Background(), []string{"serve", "--demo", "--listen", "127.0.0.1:0", "--users", path,
		"--host-key", filepath.Join(dir, "host_key")}, &out, &errOut)
	if code != exitUsage || strings.Count(errOut.String(), "\n") != 1 || !strings.Contains(errOut.String(), "chmod 600") {
		t.Fatalf("exit %d, stderr %q: want one line asking for chmod 600", code, errOut.String())
	}
}

// TestServeDemoLetsInTheUsersOwnKeys: `rchud serve --demo` is one command:
// the user's ~/.ssh/id_*.pub keys connect as the demo's receptionist.
func TestServeDemoLetsInTheUsersOwnKeys(t *testing.T) {
	home := t.TempDir()
	key := newKey(t)
	if err := os.MkdirAll(filepath.Join(home, ".ssh"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(home, ".ssh", "id_ed25519.pub"), gossh.MarshalAuthorizedKey(key.PublicKey()), 0o644); err != nil {
		t.Fatal(err)
	}
	serveHomeDir = home
	defer func() { serveHomeDir = "" }()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stdout, stderr syncBuffer
	code := make(chan int, 1)
	go func() {
		code <- runServe(ctx, []string{"--demo", "--listen", "127.0.0.1:0", "--host-key", filepath.Join(home, "host_key")},
			&stdout, &stderr, func(string) (string, bool) { return "", false })
	}()
	addrRE := regexp.MustCompile(`on (127\.0\.0\.1:\d+) \(host key SHA256:.*connect with: ssh -p \d+ 127\.0\.0\.1\n`)
	waitUntil(t, 10*time.Second, func() bool { return addrRE.MatchString(stderr.String()) },
		func() string { return "no listening line: " + stderr.String() })
	dialServe(t, addrRE.FindStringSubmatch(stderr.String())[1], key)
	waitUntil(t, 15*time.Second, func() bool { return strings.Contains(stdout.String(), "role=supervisor action=connect result=ok") },
		func() string { return "the demo did not let the key in; audit:\n" + stdout.String() })
	cancel()
	if c := <-code; c != exitOK {
		t.Fatalf("exit %d: %s", c, stderr.String())
	}
}
