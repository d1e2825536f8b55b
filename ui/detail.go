package ui

import (
	"fmt"
	"strings"
	"time"

	"github.com/rchud/rchud/state"
)

// queueState tells a member's availability in a queue, with a pending or
// failed change in place.
func queueState(st *Styles, q state.QueueCell) string {
	s := "unknown"
	if q.Known {
		s = onOff(q.Accept)
	}
	if w := q.Write; w != nil {
		return writeText(st, w, onOff(w.Accept))
	}
	return s
}

// renderDetail lists every presence field of the selected extension, its
// calls and its queues, as lines w cells wide (the pane scrolls them).
func renderDetail(st *Styles, d *state.Detail, device string, now time.Time, w int) []string {
	var lines []string
	add := func(s string) { lines = append(lines, fitLine(s, w)) }
	if d == nil {
		add(st.Faint.wrap(" nothing selected"))
		return lines
	}
	r := d.Entry
	title := r.Name
	if d.Me {
		title += " (you)"
	}
	add(st.Bold.wrap(" " + title + " · ext " + r.Number))
	since := func(t time.Time) string {
		if t.IsZero() {
			return " for –"
		}
		return " for " + state.FormatDuration(now.Sub(t))
	}
	var fields []field
	if !r.Known {
		fields = append(fields, field{"state", st.shortBadge(r.Availability) + " presence not loaded yet"})
	} else {
		fields = append(fields,
			field{"state", st.shortBadge(r.Availability) + since(r.AvailSince)},
			field{"phone", TelephonyLabel(r.TelephonyStatus) + since(r.TelSince)},
			field{"status", orDash(r.UserStatus)},
			field{"presence", orDash(r.PresenceStatus)},
			dndField(r),
			field{"meeting", meetingText(r.MeetingStatus)},
			field{"message", orDash(quoted(r.Message))})
	}
	// Two fields a line when there is room, one otherwise; the message
	// and the email always get a line of their own.
	half := (w - 1) / 2
	pairs := w >= 70
	long := func(f field) bool { return f.label == "message" || f.label == "email" }
	flow := func(fields []field) {
		for i := 0; i < len(fields); i++ {
			f := fields[i]
			cell := " " + st.Faint.wrap(fmt.Sprintf("%-10s", f.label)) + " " + f.value
			if pairs && !long(f) && i+1 < len(fields) && !long(fields[i+1]) {
				g := fields[i+1]
				add(fitLine(cell, half) + " " + st.Faint.wrap(fmt.Sprintf("%-10s", g.label)) + " " + g.value)
				i++
				continue
			}
			add(cell)
		}
	}
	if d.Stale {
		fields = append([]field{{"freshness", st.Error.wrap("~ stale: may be out of date")}}, fields...)
	}
	if d.Me && device != "" {
		fields = append(fields, field{"answers on", device}) // where r and u put calls
	}
	flow(fields)
	calls := fmt.Sprintf("Calls (%d)", len(r.Calls))
	if r.CallsUnsure {
		calls = fmt.Sprintf("Calls (%d, fetching the rest…)", max(r.TotalCalls, len(r.Calls)))
	}
	add(st.Bold.wrap(" " + calls))
	for i := range r.Calls {
		c := &r.Calls[i]
		name, num := c.Party()
		who := strings.TrimSpace(name + " " + num)
		if who == "" {
			who = "unknown caller"
		}
		add("  " + callArrow(c) + " " + strings.ToLower(orDash(c.Direction())) + " · " + who)
		line := "    " + TelephonyLabel(c.Status())
		if !c.Start.IsZero() {
			line += " " + state.FormatDuration(now.Sub(c.Start))
		}
		if c.Queue && c.QueueName != "" {
			line += " · queue call via " + c.QueueName
		} else if c.Queue {
			line += " · queue call"
		}
		add(line)
	}
	add(st.Bold.wrap(fmt.Sprintf(" Queues (%d)", len(d.Queues))))
	for _, q := range d.Queues {
		lock := ""
		if !q.Editable {
			lock = " · locked"
		}
		add("  " + q.Name + " (" + q.Number + ") " + queueState(st, q.QueueCell) + lock)
	}
	var who []field
	who = append(who, field{"department", orDash(r.Department)})
	if r.Site != "" {
		who = append(who, field{"site", r.Site})
	}
	if r.Email != "" {
		who = append(who, field{"email", r.Email})
	}
	if !r.Confirmed.IsZero() {
		who = append(who, field{"confirmed", clockAt(r.Confirmed, now)})
	}
	flow(who)
	return lines
}

// meetingText says whether someone is in a meeting ("–": not, or not
// known).
func meetingText(s string) string {
	if s == "Connected" {
		return "in a meeting"
	}
	return "–"
}

func orDash(s string) string {
	if s == "" {
		return "–"
	}
	return s
}

func quoted(s string) string {
	if s == "" {
		return ""
	}
	return "“" + s + "”"
}

// padLines makes exactly h lines of w cells: cut, with a mark when some
// did not fit, or padded with blank lines.
func padLines(lines []string, w, h int) []string {
	if len(lines) > h && h > 0 {
		more := len(lines) - h + 1
		lines = append(lines[:h-1], fit(fmt.Sprintf(" … %d more lines", more), w))
	}
	for len(lines) < h {
		lines = append(lines, fit("", w))
	}
	return lines[:h]
}

type field struct{ label, value string }

// dndField tells what calls someone takes. On a CHS account DND and queue
// calls are two separate switches, and the pane names both.
func dndField(e *state.Entry) field {
	if !e.CHS {
		return field{"DND", e.DNDStatus.Label()}
	}
	personal := "off"
	if e.PersonalDND() {
		personal = "on"
	}
	queue := "on"
	if e.QueueOff {
		queue = "off"
	}
	return field{"DND", "personal DND " + personal + " · queue calls " + queue}
}
