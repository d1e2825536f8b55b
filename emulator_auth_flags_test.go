package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestEmulatorAuthFlagsReachTheEmulator(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	var out, errOut syncBuffer
	done := make(chan int)
	go func() {
		done <- run(ctx, []string{"emulator", "--listen", "127.0.0.1:0", "--extensions", "20", "--queues", "2",
			"--calls-per-minute", "0", "--agents", "1",
			"--subscriptions-per-user", "4",
			"--app-scopes", "ReadAccounts,ReadPresence,EditPresence,WebSocketSubscriptions,CallControl",
			"--deny-scope", "CallControl", "--deny-user-permission", "101:ReadPresenceStatus",
			"--grant-user-permission", "101:ReadPresenceStatus", "--deny-user-permission", "101:ReadExtensions",
			"--oauth-fault", "token:refresh=invalid_grant,count=1", "--oauth-fault", "wstoken=429,retry-after=3",
		}, &out, &errOut)
	}()
	defer func() {
		cancel()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Errorf("emulator did not stop")
		}
	}()
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(out.String(), "RC_USER_JWT=") {
		if time.Now().After(deadline) {
			t.Fatalf("emulator printed %q, stderr %q", out.String(), errOut.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
	server, _, _ := strings.Cut(strings.TrimPrefix(out.String(), "RC_SERVER_URL="), "\n")
	get := func(path string, v any) {
		t.Helper()
		resp, err := http.Get(server + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if err := json.Unmarshal(b, v); err != nil {
			t.Fatalf("%s: %v: %s", path, err, b)
		}
	}
	var perm struct {
		AppScopes []string `json:"appScopes"`
		Users     []struct {
			ExtensionNumber string   `json:"extensionNumber"`
			Deny            []string `json:"deny"`
			Grant           []string `json:"grant"`
		} `json:"users"`
	}
	get("/_emulator/permissions", &perm)
	if !slices.Equal(perm.AppScopes, []string{"ReadAccounts", "ReadPresence", "EditPresence", "WebSocketSubscriptions"}) {
		t.Errorf("app scopes %v", perm.AppScopes)
	}
	// The later flag wins for one permission; the other stays denied.
	if len(perm.Users) != 1 || perm.Users[0].ExtensionNumber != "101" ||
		!slices.Equal(perm.Users[0].Deny, []string{"ReadExtensions"}) || !slices.Equal(perm.Users[0].Grant, []string{"ReadPresenceStatus"}) {
		t.Errorf("users %+v", perm.Users)
	}
	var faults struct {
		OAuthRules []struct {
			Endpoint, Grant, Response string
			Count, RetryAfter         int
		} `json:"oauthRules"`
	}
	get("/_emulator/faults", &faults)
	if len(faults.OAuthRules) != 2 || faults.OAuthRules[0].Grant != "refresh_token" || faults.OAuthRules[0].Count != 1 ||
		faults.OAuthRules[1].Endpoint != "wstoken" || faults.OAuthRules[1].RetryAfter != 3 {
		t.Errorf("oauth rules %+v", faults.OAuthRules)
	}
}

func TestEmulatorAuthFlagsRejectBadValues(t *testing.T) {
	for _, args := range [][]string{
		{"emulator", "--listen", "127.0.0.1:0", "--oauth-fault", "token=teapot"},
		{"emulator", "--listen", "127.0.0.1:0", "--deny-scope", "Telepathy"},
		{"emulator", "--listen", "127.0.0.1:0", "--app-scopes", "ReadAccounts,Nope"},
		{"emulator", "--listen", "127.0.0.1:0", "--deny-user-permission", "101"},
		{"emulator", "--listen", "127.0.0.1:0", "--deny-user-permission", "9999:ReadExtensions"},
		{"emulator", "--listen", "127.0.0.1:0", "--subscriptions-per-user", "-1"},
	} {
		var out, errOut syncBuffer
		code := run(context.Background(), args, &out, &errOut)
		msg := errOut.String()
		if code != 2 || strings.Count(msg, "\n") != 1 || !strings.HasPrefix(msg, "rchud emulator: ") {
			t.Errorf("%v: exit %d, stderr %q; want exit 2 and one line", args[3:], code, msg)
		}
		if out.String() != "" {
			t.Errorf("%v: printed to stdout: %q", args[3:], out.String())
		}
	}
}
