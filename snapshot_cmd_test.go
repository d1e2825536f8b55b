package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"strings"
	"testing"

	"github.com/rchud/rchud/emulator"
)

func envOf(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) {
		v, ok := m[k]
		return v, ok
	}
}

func TestSnapshotPrintsEveryExtension(t *testing.T) {
	e, err := emulator.Start(emulator.Config{Users: 25, Queues: 2, Seed: 4, CallsPerMinute: 0}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	cr := e.Credentials()
	env := envOf(map[string]string{"RC_SERVER_URL": cr.ServerURL, "RC_APP_CLIENT_ID": cr.ClientID,
		"RC_APP_CLIENT_SECRET": cr.ClientSecret, "RC_USER_JWT": cr.UserJWT})

	var out, errOut syncBuffer
	if code := runSnapshot(context.Background(), []string{"--json", "--env-file", ""}, &out, &errOut, env); code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	var rows []map[string]any
	if err := json.Unmarshal([]byte(out.String()), &rows); err != nil {
		t.Fatalf("not a JSON array: %v", err)
	}
	truth := e.Truth()
	if len(rows) != len(truth.Extensions) {
		t.Fatalf("%d rows for %d extensions", len(rows), len(truth.Extensions))
	}
	byID := map[string]map[string]any{}
	for _, r := range rows {
		for _, k := range []string{"id", "extensionNumber", "name", "type", "presenceStatus", "userStatus", "dndStatus",
			"telephonyStatus", "message", "activeCalls", "availability", "since", "stale"} {
			if _, ok := r[k]; !ok {
				t.Fatalf("row lacks %s: %v", k, r)
			}
		}
		byID[r["id"].(string)] = r
	}
	for _, x := range truth.Extensions {
		r := byID[x.ID]
		if r == nil || r["name"] != x.Name {
			t.Fatalf("%s missing or misnamed: %v", x.ID, r)
		}
		if x.Type == "User" && (r["userStatus"] != x.Presence.UserStatus || r["stale"] != false) {
			t.Fatalf("%s: %v vs truth %s", x.Name, r, x.Presence.UserStatus)
		}
	}

	out = syncBuffer{}
	if code := runSnapshot(context.Background(), []string{"--csv", "--env-file", ""}, &out, &errOut, env); code != exitOK {
		t.Fatalf("csv: exit %d", code)
	}
	recs, err := csv.NewReader(strings.NewReader(out.String())).ReadAll()
	if err != nil || len(recs) != len(truth.Extensions)+1 {
		t.Fatalf("csv: %d records (%v)", len(recs), err)
	}
}

func TestSnapshotExitCodes(t *testing.T) {
	e, err := emulator.Start(emulator.Config{Users: 5, Queues: 1, Seed: 4, CallsPerMinute: 0}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	cr := e.Credentials()
	good := map[string]string{"RC_SERVER_URL": cr.ServerURL, "RC_APP_CLIENT_ID": cr.ClientID,
		"RC_APP_CLIENT_SECRET": cr.ClientSecret, "RC_USER_JWT": cr.UserJWT}
	with := func(k, v string) map[string]string {
		m := map[string]string{}
		for a, b := range good {
			m[a] = b
		}
		m[k] = v
		return m
	}
	for _, c := range []struct {
		name string
		args []string
		env  map[string]string
		code int
	}{
		{"both formats", []string{"--json", "--csv"}, good, exitUsage},
		{"bad flag", []string{"--bogus"}, good, exitUsage},
		{"no credentials", nil, map[string]string{}, exitUsage},
		{"refused JWT", nil, with("RC_USER_JWT", "eyJ.bad.jwt"), exitAuth},
		{"refused secret", nil, with("RC_APP_CLIENT_SECRET", "wrong-secret-123"), exitAuth},
		{"unreachable", nil, with("RC_SERVER_URL", "http://127.0.0.1:1"), exitUnreachable},
	} {
		var out, errOut syncBuffer
		code := runSnapshot(context.Background(), append(c.args, "--env-file", ""), &out, &errOut, envOf(c.env))
		msg := errOut.String()
		if code != c.code || strings.Count(msg, "\n") != 1 || !strings.HasPrefix(msg, "rchud snapshot: ") {
			t.Errorf("%s: exit %d, stderr %q; want exit %d and one line", c.name, code, msg, c.code)
		}
		if found := e.FindSecrets(msg); len(found) > 0 || strings.Contains(msg, "wrong-secret-123") {
			t.Errorf("%s: the error shows a secret (%v): %q", c.name, found, msg)
		}
		if out.String() != "" {
			t.Errorf("%s: printed %q", c.name, out.String())
		}
	}
}
