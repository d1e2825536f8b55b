package ui

import (
	"fmt"
	"strings"
	"time"

	"github.com/charmbracelet/x/ansi"

	"github.com/rchud/rchud/state"
)

// headerHeight is the lines above the grid: title, counts, you, view.
const headerHeight = 4

// countOrder is the order counts are told in.
var countOrder = []state.Availability{state.Available, state.Ringing, state.OnCall, state.OnHold, state.Parked,
	state.Busy, state.DND, state.Offline, state.Unknown}

var countWords = map[state.Availability]string{
	state.Available: "available", state.Ringing: "ringing", state.OnCall: "on a call", state.OnHold: "on hold",
	state.Parked: "parked", state.Busy: "busy", state.DND: "DND", state.Offline: "offline", state.Unknown: "unknown",
}

// countsText tells counts by availability ("5 available · 3 on a call").
func countsText(counts map[state.Availability]int, _ bool) string {
	var parts []string
	for _, a := range countOrder {
		if n := counts[a]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, countWords[a]))
		}
	}
	return strings.Join(parts, " · ")
}

// clockAt is a time of day in the zone of now (the HUD's clock).
func clockAt(t, now time.Time) string { return t.In(now.Location()).Format("15:04:05") }

// connText tells the connection state, never more hopeful than it is.
func connText(h state.Health, signedIn bool, now time.Time) string {
	clock := func(t time.Time) string { return clockAt(t, now) }
	var s string
	switch {
	case h.Conn == state.ConnConnecting && !signedIn:
		s = "signing in…"
	case h.Conn == state.ConnConnecting:
		s = "connecting…"
	case !h.Loaded && (h.Conn == state.ConnLive || h.Conn == state.ConnResyncing):
		s = "loading presence…"
	case h.Conn == state.ConnLive:
		s = "live"
	case h.Conn == state.ConnRecovering:
		s = "recovering… (link lost " + clock(h.Down) + ")"
	case h.Conn == state.ConnResyncing:
		s = "resyncing: " + Sanitize(h.Resync)
	case h.Conn == state.ConnOffline:
		s = "offline since " + clock(h.Down)
	case h.Conn == state.ConnClosed:
		s = "closed"
	}
	if h.Err != "" && h.Conn != state.ConnLive && h.Conn != state.ConnResyncing {
		s += ": " + Sanitize(h.Err)
	}
	return s
}

// staleReason says why rows may be out of date.
func staleReason(h state.Health, now time.Time) string {
	switch h.Conn {
	case state.ConnRecovering, state.ConnOffline:
		return "link down since " + clockAt(h.Down, now)
	case state.ConnResyncing:
		return "reloading: " + Sanitize(h.Resync)
	}
	return "events were missed; reloading"
}

// titleLine is the bar on top: account, me, connection, last event.
func (m *Model) titleLine(w int) string {
	s := &m.snap
	who := ""
	switch {
	case s.meOK:
		who = Sanitize(s.me.Name) + " (ext " + Sanitize(s.me.Number) + ")"
		if s.admin {
			who += " · supervisor"
		}
	case s.meID != "":
		who = "signed in"
	}
	if m.c.ReadOnly {
		who += " · read-only"
	}
	right := connText(s.health, s.meID != "", m.c.Now())
	if !s.health.LastEvent.IsZero() {
		right += " · last event " + formatAge(m.c.Now().Sub(s.health.LastEvent))
	} else if s.health.Loaded {
		right += " · no events yet"
	}
	right += " "
	if ansi.StringWidth(right) > w*2/3 {
		right = fit(right, w*2/3)
	}
	left := " rchud · " + Sanitize(m.opts.Account) + " · " + who
	if !fits(left, right, w) {
		left = " rchud · " + who // the account goes first when narrow
	}
	return m.c.Styles.Title.wrap(spread(left, right, w))
}

var shortCountWords = map[state.Availability]string{
	state.Available: "free", state.Ringing: "ring", state.OnCall: "call", state.OnHold: "hold",
	state.Parked: "park", state.Busy: "busy", state.DND: "DND", state.Offline: "off", state.Unknown: "?",
}

// countsLine tells how many people are in each state, and why rows are
// stale when some on screen are.
func (m *Model) countsLine(w int) string {
	st := m.c.Styles
	s := &m.snap
	people := 0
	for _, a := range countOrder {
		people += m.counts[a]
	}
	counts := func(words map[state.Availability]string, sep string) string {
		var b strings.Builder
		b.WriteByte(' ')
		for _, a := range countOrder {
			if n := m.counts[a]; n > 0 {
				word := words[a]
				if a == state.Unknown && !s.health.Loaded {
					word = "loading"
				}
				b.WriteString(st.badgePaint[a].wrap(fmt.Sprintf(" %d %s ", n, word)))
				b.WriteString(sep)
			}
		}
		if people == 0 {
			b.WriteString(st.Faint.wrap("no one yet"))
		}
		return b.String()
	}
	var right string
	switch {
	case s.anyStale:
		right = st.Error.wrap("~ stale: "+staleReason(s.health, m.c.Now())) + " "
	case len(s.health.Disabled) > 0:
		right = st.Error.wrap(fmt.Sprintf("%d presence filter(s) not granted", len(s.health.Disabled))) + " "
	default:
		right = fmt.Sprintf("%d people ", people)
	}
	left := counts(countWords, " ")
	if !fits(left, right, w) {
		left = counts(shortCountWords, "")
	}
	if !fits(left, right, w) && !s.anyStale {
		right = ""
	}
	return spread(left, right, w)
}

// myStatus is the status I chose, as RingCentral's four buttons name it.
func myStatus(e *state.Entry) string {
	if e.DNDStatus == "DoNotAcceptAnyCalls" {
		return state.StatusDND
	}
	switch e.UserStatus {
	case "Busy":
		return state.StatusBusy
	case "Offline":
		return state.StatusInvisible
	}
	return state.StatusAvailable
}

// inDND reports whether I am (or am about to be) in DND, when queue
// calls cannot be turned on.
func (m *Model) inDND() bool {
	s := &m.snap
	if w, ok := s.writes[state.IntentStatus]; ok && !w.Failed {
		return w.Value == state.StatusDND
	}
	return s.meOK && s.me.DNDStatus == "DoNotAcceptAnyCalls"
}

// acceptingQueueCalls is my global queue availability as shown: the
// pending choice, else the server's.
func (m *Model) acceptingQueueCalls() bool {
	s := &m.snap
	if w, ok := s.writes[state.IntentQueues]; ok && !w.Failed {
		return w.Value == "accept"
	}
	return s.meOK && s.me.AcceptsQueueCalls()
}

// pendingText shows a write in place: the choice while pending, the error
// once failed.
func pendingText(st *Styles, w state.Write, ok bool, settled string) string {
	switch {
	case !ok:
		return settled
	case w.Failed:
		return st.Error.wrap("✗ " + Sanitize(w.Value) + " failed: " + Sanitize(w.Err))
	}
	return st.Pending.wrap("→ " + Sanitize(w.Value) + " (saving…)")
}

// youLine is my own status and how to change it: the keys are always on
// screen, so a newcomer finds them without help.
func (m *Model) youLine(w int) string {
	st := m.c.Styles
	s := &m.snap
	if !s.meOK {
		return fitLine(" You: "+st.Faint.wrap("signing in…"), w)
	}
	var b strings.Builder
	b.WriteString(" You ")
	b.WriteString(st.shortBadge(s.me.Availability))
	mine := myStatus(&s.me)
	ws, writing := s.writes[state.IntentStatus]
	switch {
	case writing:
		b.WriteString(" " + pendingText(st, ws, true, ""))
	case mine != BadgeLabel(s.me.Availability):
		b.WriteString(" status " + mine) // e.g. on a call, and Busy for after it
	}
	if wm, ok := s.writes[state.IntentMessage]; ok {
		v := wm
		v.Value = "“" + wm.Value + "”"
		b.WriteString(" · " + pendingText(st, v, true, ""))
	} else if t := Sanitize(s.me.Message); t != "" {
		b.WriteString(" · “" + t + "”")
	}
	queue := "queue calls off"
	switch {
	case m.inDND():
		queue = "queue calls off in DND"
	case s.me.AcceptsQueueCalls():
		queue = "queue calls on"
	}
	if wq, ok := s.writes[state.IntentQueues]; ok {
		v := wq
		v.Value = "queue calls " + map[string]string{"accept": "on", "reject": "off"}[wq.Value]
		queue = pendingText(st, v, true, queue)
	}
	b.WriteString(" · " + queue)
	left := b.String()
	if m.c.ReadOnly {
		return spread(left, st.Faint.wrap("read-only")+" ", w)
	}
	k := m.c.Keys
	type hint struct {
		on   bool
		k, d string
	}
	hints := []hint{{k.Available.Enabled(), "a b i d", "status"}, {k.Message.Enabled(), "m", "message"},
		{k.QueueCalls.Enabled(), "c", "queue calls"}}
	// Drop hints from the right until they fit; the status keys go last.
	for n := len(hints); n > 0; n-- {
		var parts []string
		for _, h := range hints[:n] {
			if h.on {
				parts = append(parts, st.Key.wrap(h.k)+" "+h.d)
			}
		}
		right := strings.Join(parts, " · ") + " "
		if len(parts) == 0 {
			return fitLine(left, w)
		}
		if fits(left, right, w) || n == 1 {
			return spread(left, right, w)
		}
	}
	return fitLine(left, w)
}

// quickFilter is a state filter the f key cycles through.
type quickFilter struct {
	name   string
	states []state.Availability
	stale  bool
}

var quickFilters = []quickFilter{
	{name: "everyone"},
	{name: "available", states: []state.Availability{state.Available}},
	{name: "on a call", states: []state.Availability{state.Ringing, state.OnCall, state.OnHold, state.Parked}},
	{name: "ringing", states: []state.Availability{state.Ringing}},
	{name: "away", states: []state.Availability{state.Busy, state.DND, state.Offline}},
	{name: "stale", stale: true},
}

var groupNames = map[state.GroupBy]string{state.GroupNone: "none", state.GroupQueue: "queue", state.GroupDepartment: "department"}

// viewLine is the line above the grid: what the grid shows and how, or the
// prompt being answered.
func (m *Model) viewLine(w int) string {
	st := m.c.Styles
	switch m.mode {
	case modeFilter:
		label := " Filter: "
		tail := fmt.Sprintf("  %d match  %s keep · %s clear ", m.grid.proj.Total, st.Key.wrap("enter"), st.Key.wrap("esc"))
		room := w - ansi.StringWidth(label) - ansi.StringWidth(tail)
		if room < 10 {
			tail = ""
			room = w - ansi.StringWidth(label)
		}
		return fitLine(st.Bold.wrap(label)+m.filter.view(room, st.Cursor)+tail, w)
	case modeMessage:
		label := " My message: "
		n := m.msgEdit.Len()
		count := fmt.Sprintf("%d/%d", n, state.MaxMessage)
		if n >= state.MaxMessage {
			count = st.Error.wrap(count + " max")
		}
		tail := "  " + count + "  " + st.Key.wrap("enter") + " save · " + st.Key.wrap("esc") + " cancel "
		room := w - ansi.StringWidth(label) - ansi.StringWidth(tail)
		if room < 10 {
			tail = "  " + count + " "
			room = w - ansi.StringWidth(label) - ansi.StringWidth(tail)
		}
		return fitLine(st.Bold.wrap(label)+m.msgEdit.view(room, st.Cursor)+tail, w)
	case modeSort:
		var b strings.Builder
		b.WriteString(st.Bold.wrap(" Sort by:"))
		for _, c := range sortColumns() {
			name := strings.ToLower(c.title)
			if c.sort == m.query.Sort {
				name += map[bool]string{false: " ▲", true: " ▼"}[m.query.Desc]
			}
			b.WriteString(" " + st.Key.wrap(c.letter) + " " + name)
		}
		b.WriteString("  (again to reverse · esc)")
		return fitLine(b.String(), w)
	case modeConfirm:
		return fitLine(st.Bold.wrap(" "+m.confirm.question+" ")+st.Key.wrap("y")+"/"+st.Key.wrap("n"), w)
	}
	var parts []string
	people := 0
	for _, a := range countOrder {
		people += m.counts[a]
	}
	parts = append(parts, fmt.Sprintf("%d of %d shown", m.grid.proj.Total, people))
	if m.quick > 0 {
		parts = append(parts, "only "+quickFilters[m.quick].name)
	}
	if m.query.Text != "" {
		parts = append(parts, "filter “"+Sanitize(m.query.Text)+"”")
	}
	arrow := map[bool]string{false: "▲", true: "▼"}[m.query.Desc]
	parts = append(parts, "sort "+strings.ToLower(columnBySort(m.query.Sort).title)+" "+arrow)
	if m.query.By != state.GroupNone {
		parts = append(parts, "by "+groupNames[m.query.By])
	}
	left := " " + strings.Join(parts, " · ")
	var right string
	switch {
	case m.digits != "" && m.digitsOK:
		right = st.Bold.wrap("ext " + m.digits + "_")
	case m.digits != "":
		right = st.Error.wrap("ext " + m.digits + "_: no extension " + m.digits + "… in view")
	case m.flash != "" && m.flashErr:
		right = st.Error.wrap(m.flash)
	case m.flash != "":
		right = st.OK.wrap(m.flash)
	}
	if right != "" {
		right = "  " + right + " "
		if ansi.StringWidth(right) > w-10 {
			right = fitLine(right, w-10)
		}
	}
	return spread(st.Faint.wrap(left), right, w)
}
