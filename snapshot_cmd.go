package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/charmbracelet/x/ansi"

	"github.com/rchud/rchud/rc"
	"github.com/rchud/rchud/state"
)

// runSnapshot implements `rchud snapshot`: connect like the HUD, load
// everything, optionally stay live a while, then print the mirror. Without
// --watch it is REST only: no WebSocket, no subscription. --timeout bounds
// everything before printing (sign-in, rate-limit waits, loading), and the
// exit code and line name what held it up. It never exits 0 with rows it
// knows may be out of date.
func runSnapshot(ctx context.Context, args []string, stdout, stderr io.Writer, lookup func(string) (string, bool)) int {
	const cmd = "rchud snapshot"
	fs := flag.NewFlagSet(cmd, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var sf sessionFlags
	sf.bind(fs)
	watch := fs.Duration("watch", 0, "stay live this long after loading (e.g. 30s) before printing")
	asJSON := fs.Bool("json", false, "print JSON: the extensions, every call queue's backlog and the parked calls")
	asCSV := fs.Bool("csv", false, "print CSV")
	timeout := fs.Duration("timeout", 2*time.Minute, "give up if signing in and loading take longer than this")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fs.SetOutput(stdout)
			fmt.Fprintln(stdout, "Usage: rchud snapshot [flags]")
			fs.PrintDefaults()
			return exitOK
		}
		return fail(stderr, cmd, err, exitUsage)
	}
	if fs.NArg() > 0 {
		return fail(stderr, cmd, fmt.Errorf("unexpected argument %q", fs.Arg(0)), exitUsage)
	}
	if *asJSON && *asCSV {
		return fail(stderr, cmd, errors.New("--json and --csv are exclusive"), exitUsage)
	}
	if *watch < 0 || *timeout <= 0 {
		return fail(stderr, cmd, errors.New("--watch and --timeout must be positive durations"), exitUsage)
	}
	sess, err := sf.open(lookup)
	if err != nil {
		return fail(stderr, cmd, err, exitUsage)
	}
	defer sess.close()

	acct := sess.account(lookupOr(lookup, "LANG"), *watch == 0, "")
	m, sync := acct.mirror, acct.sync
	runCtx, cancel := context.WithCancel(ctx)
	done := acct.run(runCtx)
	stop := func() error {
		cancel()
		return <-done
	}

	deadline := time.NewTimer(*timeout)
	defer deadline.Stop()
	select {
	case <-sync.Ready():
	case err := <-done:
		cancel()
		if err == nil {
			err = errors.New("stopped before loading")
		}
		return fail(stderr, cmd, err, exitCode(err))
	case <-sync.Failed():
		err := sync.Err()
		stop()
		return fail(stderr, cmd, err, exitCode(err))
	case <-deadline.C:
		// What the load was waiting for when time ran out: a rate limit, a
		// server that does not answer, a failure being retried.
		cause := stop()
		if !telling(cause) {
			cause = sync.Err()
		}
		if !telling(cause) {
			return fail(stderr, cmd, fmt.Errorf("presence did not load within %v", *timeout), exitFailure)
		}
		return fail(stderr, cmd, fmt.Errorf("presence did not load within %v: %w", *timeout, cause), exitCode(cause))
	case <-ctx.Done():
		stop()
		return fail(stderr, cmd, errors.New("interrupted"), exitFailure)
	}
	if *asJSON && *watch == 0 {
		// The calls live now, for the queues and parked calls (a watching
		// sync reads them itself). Not reading them is said, not fatal.
		cctx, done := context.WithTimeout(ctx, min(*timeout, 30*time.Second))
		if err := sync.LoadCalls(cctx); err != nil {
			sess.log.Info("calls not read", "err", err)
			m.SetCallsAccountWide(false, "the calls could not be read: "+err.Error())
		}
		done()
	}
	if *watch > 0 {
		t := time.NewTimer(*watch)
		select {
		case <-t.C:
		case <-sync.Failed():
		case <-ctx.Done():
		}
		t.Stop()
	}
	rows := m.Project(state.Query{All: true, Sort: state.ColNumber})
	var ids []state.ID
	for _, g := range rows.Groups {
		ids = append(ids, g.IDs...)
	}
	out := m.Rows(ids)
	health := m.Health()
	problem := sync.Err()
	_ = stop()
	if problem != nil {
		return fail(stderr, cmd, problem, exitCode(problem))
	}
	// A link down when printing may have missed anything since it went:
	// every row is then out of date, grace or not.
	down := *watch > 0 && health.Conn != state.ConnLive
	stale := 0
	for i := range out {
		if down {
			out[i].Stale = true
		}
		if out[i].Stale {
			stale++
		}
	}
	switch {
	case *asJSON:
		parked, backlogs, why := m.CallsNow()
		err = writeSnapshotJSON(stdout, out, parked, backlogs, why)
	case *asCSV:
		err = writeSnapshotCSV(stdout, out)
	default:
		err = writeSnapshotTable(stdout, out, time.Now())
	}
	if err != nil {
		return fail(stderr, cmd, err, exitFailure)
	}
	if stale > 0 {
		why := "the link to RingCentral was not live"
		if !health.Down.IsZero() {
			why += " (down since " + health.Down.Local().Format("15:04:05") + ")"
		}
		if health.Err != "" {
			why += ": " + health.Err
		}
		return fail(stderr, cmd, fmt.Errorf("%d of %d rows may be out of date: %s", stale, len(out), why), exitStale)
	}
	return exitOK
}

// telling reports an error that says why the load was held up: not the
// bare end of its context.
func telling(err error) bool {
	return err != nil && (!errors.Is(err, context.Canceled) || errors.Is(err, rc.ErrRateLimited) || errors.Is(err, rc.ErrUnreachable))
}

// snapshotCall is one active call in the JSON output.
type snapshotCall struct {
	ID        string `json:"id"`
	Direction string `json:"direction"`
	From      string `json:"from,omitempty"`
	FromName  string `json:"fromName,omitempty"`
	To        string `json:"to,omitempty"`
	ToName    string `json:"toName,omitempty"`
	Status    string `json:"telephonyStatus"`
	State     string `json:"state"`
	StartTime string `json:"startTime,omitempty"`
	QueueCall bool   `json:"queueCall"`
	QueueName string `json:"queueName,omitempty"`
	// The call's telephony session and this person's party in it: what
	// Call Control acts on.
	TelephonySessionID string `json:"telephonySessionId,omitempty"`
	PartyID            string `json:"partyId,omitempty"`
}

// snapshotRow is one extension in the JSON output.
type snapshotRow struct {
	ID              string         `json:"id"`
	ExtensionNumber string         `json:"extensionNumber"`
	Name            string         `json:"name"`
	Type            string         `json:"type"`
	Department      string         `json:"department,omitempty"`
	PresenceStatus  string         `json:"presenceStatus"`
	UserStatus      string         `json:"userStatus"`
	DNDStatus       string         `json:"dndStatus"`
	TelephonyStatus string         `json:"telephonyStatus"`
	Message         string         `json:"message"`
	ActiveCalls     []snapshotCall `json:"activeCalls"`
	Availability    string         `json:"availability"`
	Since           *string        `json:"since"`
	Stale           bool           `json:"stale"`
}

func toSnapshotRow(r state.Row) snapshotRow {
	out := snapshotRow{
		ID: string(r.ID), ExtensionNumber: r.Number, Name: r.Name, Type: r.Type, Department: r.Department,
		PresenceStatus: r.PresenceStatus, UserStatus: r.UserStatus, DNDStatus: string(r.DNDStatus),
		TelephonyStatus: r.TelephonyStatus, Message: r.Message, Availability: r.Availability.String(),
		Stale: r.Stale, ActiveCalls: []snapshotCall{},
	}
	if !r.AvailSince.IsZero() {
		s := r.AvailSince.UTC().Format(time.RFC3339)
		out.Since = &s
	}
	for _, c := range r.Calls {
		sc := snapshotCall{ID: c.ID, Direction: c.Direction(), From: c.From, FromName: c.FromName, To: c.To, ToName: c.ToName,
			Status: c.Status(), State: c.State(), QueueCall: c.Queue, QueueName: c.QueueName,
			TelephonySessionID: c.SessionID, PartyID: c.PartyID}
		if !c.Start.IsZero() {
			sc.StartTime = c.Start.UTC().Format(time.RFC3339)
		}
		out.ActiveCalls = append(out.ActiveCalls, sc)
	}
	return out
}

// snapshotJSON is what --json prints.
type snapshotJSON struct {
	Extensions []snapshotRow    `json:"extensions"`
	Queues     []snapshotQueue  `json:"queues"`
	Parked     []snapshotParked `json:"parked"`
	// QueuesUnknown says why the queues' backlogs are not known (an agent
	// sees only their own calls); absent when they are.
	QueuesUnknown string `json:"queuesUnknown,omitempty"`
}

type snapshotQueue struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	// WaitingNow counts the callers waiting; Waiting lists them, longest
	// waiting first.
	WaitingNow       int             `json:"waitingNow"`
	LongestWaitSince string          `json:"longestWaitSince,omitempty"`
	Waiting          []snapshotWaits `json:"waiting"`
	// Answered and Abandoned count since CountingSince (a snapshot's own
	// start without --watch: zero, not the day's totals).
	Answered      int    `json:"answered"`
	Abandoned     int    `json:"abandoned"`
	CountingSince string `json:"countingSince,omitempty"`
	LowerBound    bool   `json:"lowerBound"`
}

type snapshotWaits struct {
	TelephonySessionID string `json:"telephonySessionId"`
	PartyID            string `json:"partyId"`
	Caller             string `json:"caller,omitempty"`
	CallerNumber       string `json:"callerNumber,omitempty"`
	Since              string `json:"since"`
}

type snapshotParked struct {
	Orbit              string `json:"orbit,omitempty"`
	TelephonySessionID string `json:"telephonySessionId"`
	PartyID            string `json:"partyId"`
	Caller             string `json:"caller,omitempty"`
	CallerNumber       string `json:"callerNumber,omitempty"`
	ParkedBy           string `json:"parkedBy"`
	ParkedByName       string `json:"parkedByName,omitempty"`
	Since              string `json:"since,omitempty"`
}

func rfc3339(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// writeSnapshotJSON prints the extensions, the queues' backlogs and the
// parked calls. encoding/json escapes every control character, so network
// strings go out as data, not terminal commands.
func writeSnapshotJSON(w io.Writer, rows []state.Row, parked []state.ParkedCall, backlogs []state.Backlog, why string) error {
	out := snapshotJSON{Extensions: make([]snapshotRow, len(rows)), Queues: []snapshotQueue{}, Parked: []snapshotParked{}}
	for i, r := range rows {
		out.Extensions[i] = toSnapshotRow(r)
	}
	known := len(backlogs) > 0 && backlogs[0].Known
	if !known {
		out.QueuesUnknown = why
	}
	for _, b := range backlogs {
		if !b.Known {
			continue
		}
		q := snapshotQueue{ID: string(b.Queue), Name: b.Name, WaitingNow: len(b.Waiting), Waiting: []snapshotWaits{},
			Answered: b.Answered, Abandoned: b.Abandoned, CountingSince: rfc3339(b.CountingSince), LowerBound: b.LowerBound}
		for i, wt := range b.Waiting {
			if i == 0 {
				q.LongestWaitSince = rfc3339(wt.Since)
			}
			q.Waiting = append(q.Waiting, snapshotWaits{TelephonySessionID: wt.Session, PartyID: wt.Party, Caller: wt.Caller,
				CallerNumber: wt.CallerNumber, Since: rfc3339(wt.Since)})
		}
		out.Queues = append(out.Queues, q)
	}
	for _, p := range parked {
		out.Parked = append(out.Parked, snapshotParked{Orbit: p.Orbit, TelephonySessionID: p.Session, PartyID: p.Party,
			Caller: p.Caller, CallerNumber: p.CallerNumber, ParkedBy: string(p.ParkedBy), ParkedByName: p.ParkedByName,
			Since: rfc3339(p.Since)})
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

// writeSnapshotCSV prints one line per extension, text sanitised.
func writeSnapshotCSV(w io.Writer, rows []state.Row) error {
	cw := csv.NewWriter(w)
	_ = cw.Write([]string{"id", "extensionNumber", "name", "type", "department", "availability", "presenceStatus", "userStatus",
		"dndStatus", "telephonyStatus", "message", "since", "stale", "activeCalls", "callState", "callWith", "callQueue", "callStart"})
	for _, r := range rows {
		s := toSnapshotRow(r)
		since := ""
		if s.Since != nil {
			since = *s.Since
		}
		// The call columns are the call the badge shows, when there is one.
		var callState, callWith, callQueue, callStart string
		if c := r.PrimaryCall(); c != nil {
			callState, callWith, callQueue = c.State(), state.Sanitize(c.Who()), state.Sanitize(c.QueueName)
			callStart = rfc3339(c.Start)
		}
		_ = cw.Write([]string{s.ID, state.Sanitize(s.ExtensionNumber), state.Sanitize(s.Name), s.Type, state.Sanitize(s.Department),
			s.Availability, s.PresenceStatus, s.UserStatus, s.DNDStatus, s.TelephonyStatus, state.Sanitize(s.Message), since,
			fmt.Sprint(s.Stale), fmt.Sprint(len(s.ActiveCalls)), callState, callWith, callQueue, callStart})
	}
	cw.Flush()
	return cw.Error()
}

// writeSnapshotTable prints an aligned table, text sanitised and widths
// measured in terminal cells.
func writeSnapshotTable(w io.Writer, rows []state.Row, now time.Time) error {
	header := []string{"EXT", "NAME", "AVAILABILITY", "SINCE", "DND", "STATUS", "CALL"}
	table := [][]string{header}
	for _, r := range rows {
		since := "–"
		if !r.AvailSince.IsZero() {
			since = state.FormatDuration(now.Sub(r.AvailSince))
		}
		avail := r.Availability.String()
		if r.Stale {
			avail += " (stale)"
		}
		status := r.UserStatus
		if msg := state.Sanitize(r.Message); msg != "" {
			status += ": " + msg
		}
		call := ""
		if len(r.Calls) > 0 {
			c := r.Calls[0]
			name, num := c.Party()
			who := state.Sanitize(name)
			if who == "" {
				who = state.Sanitize(num)
			}
			arrow := "←"
			if c.Direction() == "Outbound" {
				arrow = "→"
			}
			call = fmt.Sprintf("%s %s %s", arrow, who, state.FormatDuration(now.Sub(c.Start)))
			if len(r.Calls) > 1 {
				call += fmt.Sprintf(" (+%d)", len(r.Calls)-1)
			}
		}
		table = append(table, []string{state.Sanitize(r.Number), state.Sanitize(r.Name), avail, since, r.DNDStatus.Label(), state.Sanitize(status), call})
	}
	widths := make([]int, len(header))
	for _, row := range table {
		for i, cell := range row {
			widths[i] = max(widths[i], min(ansi.StringWidth(cell), 40))
		}
	}
	var b strings.Builder
	for _, row := range table {
		for i, cell := range row {
			cell = ansi.Truncate(cell, widths[i], "…")
			b.WriteString(cell)
			if i < len(row)-1 {
				b.WriteString(strings.Repeat(" ", widths[i]-ansi.StringWidth(cell)+2))
			}
		}
		b.WriteString("\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}
