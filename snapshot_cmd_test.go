package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"strconv"
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
	queue := e.Truth().Queues[0].ID
	qid, _ := strconv.ParseInt(queue, 10, 64)
	waiting, err := e.QueueCall(qid, emulator.CallerInfo{Number: "+14155550100", Name: "Acme Supply"})
	if err != nil {
		t.Fatal(err)
	}
	rec, _ := strconv.ParseInt(e.Credentials().Receptionist.ExtensionID, 10, 64)
	parked, err := e.ParkedCall("*801", emulator.CallerInfo{Number: "+14155550111", Name: "Globex"}, rec)
	if err != nil {
		t.Fatal(err)
	}
	cr := e.Credentials()
	env := envOf(map[string]string{"RC_SERVER_URL": cr.ServerURL, "RC_APP_CLIENT_ID": cr.ClientID,
		"RC_APP_CLIENT_SECRET": cr.ClientSecret, "RC_USER_JWT": cr.UserJWT})

	var out, errOut syncBuffer
	if code := runSnapshot(context.Background(), []string{"--json", "--env-file", ""}, &out, &errOut, env); code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	var doc struct {
		Extensions []map[string]any `json:"extensions"`
		Queues     []struct {
			ID               string           `json:"id"`
			WaitingNow       int              `json:"waitingNow"`
			LongestWaitSince string           `json:"longestWaitSince"`
			Waiting          []map[string]any `json:"waiting"`
		} `json:"queues"`
		Parked []map[string]any `json:"parked"`
	}
	if err := json.Unmarshal([]byte(out.String()), &doc); err != nil {
		t.Fatalf("not the snapshot's JSON: %v", err)
	}
	rows := doc.Extensions
	// The queue caller and the parked call made before the snapshot.
	if len(doc.Queues) != 2 {
		t.Fatalf("queues %+v", doc.Queues)
	}
	for _, q := range doc.Queues {
		if q.ID == queue && (q.WaitingNow != 1 || len(q.Waiting) != 1 || q.Waiting[0]["telephonySessionId"] != waiting.TelephonySessionID || q.LongestWaitSince == "") {
			t.Fatalf("the waiting caller is not in its queue: %+v", q)
		}
	}
	if len(doc.Parked) != 1 || doc.Parked[0]["orbit"] != "*801" || doc.Parked[0]["partyId"] != parked.PartyID {
		t.Fatalf("parked %+v", doc.Parked)
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
	// The CSV carries what the JSON does: the department, and the call.
	col := map[string]int{}
	for i, h := range recs[0] {
		col[h] = i
	}
	for _, h := range []string{"department", "callState", "callWith", "callQueue", "callStart"} {
		if _, ok := col[h]; !ok {
			t.Fatalf("csv lacks the %s column: %v", h, recs[0])
		}
	}
	for _, r := range recs[1:] {
		if r[col["id"]] == e.Credentials().Receptionist.ExtensionID && (r[col["callState"]] != "Parked" || r[col["callWith"]] != "Globex") {
			t.Fatalf("the receptionist's parked call is not in the csv: %v", r)
		}
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

// snapshotRows reads the extensions of --json's output.
func snapshotRows(out string) ([]map[string]any, error) {
	var doc struct {
		Extensions []map[string]any `json:"extensions"`
	}
	err := json.Unmarshal([]byte(out), &doc)
	return doc.Extensions, err
}
