package main

import (
	"bytes"
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer is a bytes.Buffer safe for a writer and a reader goroutine.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestEmulatorCommandPrintsSourceableCredentials(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	var out, errOut syncBuffer
	done := make(chan int)
	go func() {
		done <- run(ctx, []string{"emulator", "--listen", "127.0.0.1:0", "--extensions", "30", "--queues", "3",
			"--calls-per-minute", "0", "--seed", "5", "--agents", "2"}, &out, &errOut)
	}()
	deadline := time.Now().Add(10 * time.Second)
	for strings.Count(out.String(), "\n") < 6 {
		if time.Now().After(deadline) {
			t.Fatalf("emulator printed %q, stderr %q", out.String(), errOut.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	wantKeys := []string{"RC_SERVER_URL", "RC_APP_CLIENT_ID", "RC_APP_CLIENT_SECRET", "RC_USER_JWT"}
	env := map[string]string{}
	for i, l := range lines {
		k, v, ok := strings.Cut(l, "=")
		if !ok || v == "" {
			t.Fatalf("line %d is not KEY=value: %q", i, l)
		}
		if i < 4 && k != wantKeys[i] {
			t.Fatalf("line %d is %s, want %s first", i, k, wantKeys[i])
		}
		env[k] = v
	}
	agents := 0
	for k := range env {
		if regexp.MustCompile(`^RC_AGENT_JWT_\d+$`).MatchString(k) {
			agents++
		}
	}
	if agents != 2 {
		t.Fatalf("want 2 RC_AGENT_JWT_<ext> lines, got %d in %v", agents, lines)
	}
	if !regexp.MustCompile(`^http://127\.0\.0\.1:\d+$`).MatchString(env["RC_SERVER_URL"]) {
		t.Fatalf("RC_SERVER_URL %q", env["RC_SERVER_URL"])
	}
	// The printed credentials log in.
	form := url.Values{"grant_type": {"urn:ietf:params:oauth:grant-type:jwt-bearer"}, "assertion": {env["RC_USER_JWT"]}}
	req, _ := http.NewRequest("POST", env["RC_SERVER_URL"]+"/restapi/oauth/token", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(env["RC_APP_CLIENT_ID"], env["RC_APP_CLIENT_SECRET"])
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("login with printed credentials: %d", resp.StatusCode)
	}
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("exit %d after interrupt, stderr %q", code, errOut.String())
		}
	case <-time.After(5 * time.Second):
		t.Fatalf("emulator did not stop after interrupt")
	}
}

func TestEmulatorCommandRejectsBadFlags(t *testing.T) {
	cases := [][]string{
		{"emulator", "--bogus"},
		{"emulator", "--extensions", "many"},
		{"emulator", "--listen", "0.0.0.0:0"},
		{"emulator", "--extensions", "1"},
		{"emulator", "--rate-limits", "light=fast"},
		{"emulator", "extra"},
		{"frobnicate"},
	}
	for _, args := range cases {
		var out, errOut syncBuffer
		code := run(context.Background(), args, &out, &errOut)
		msg := errOut.String()
		if code != 2 || strings.Count(msg, "\n") != 1 || !strings.HasPrefix(msg, "rchud") {
			t.Errorf("%v: exit %d, stderr %q; want exit 2 and one line", args, code, msg)
		}
		if out.String() != "" {
			t.Errorf("%v: printed to stdout: %q", args, out.String())
		}
	}
}
