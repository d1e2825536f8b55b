package ui

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/rchud/rchud/state"
)

// headerHeight is the lines above the grid: title, counts, you, view.
const headerHeight = 4

// countOrder is the order counts are told in.
var countOrder = []state.Availability{state.Available, state.Ringing, state.Dialling, state.OnCall, state.OnHold, state.Parked,
	state.Busy, state.DND, state.Offline, state.Unknown}

var countWords = map[state.Availability]string{
	state.Available: "available", state.Ringing: "ringing", state.Dialling: "dialling", state.OnCall: "on a call", state.OnHold: "on hold",
	state.Parked: "parked", state.Busy: "busy", state.DND: "DND", state.Offline: "offline", state.Unknown: "unknown",
}

// countsText tells counts by availability ("5 available · 3 on a call").
func countsText(counts *state.Counts) string {
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

// quietAfter is how long without any event before the header says so.
const quietAfter = time.Minute

// connText tells the connection state, never more hopeful than it is.
func connText(h state.Health, signedIn bool, now time.Time) string {
	return connTextAt(h, signedIn, now, 0)
}

// connTextAt is connText with the loading words said shorter for a
// narrow terminal (short 1 or 2; loadingText).
func connTextAt(h state.Health, signedIn bool, now time.Time, short int) string {
	clock := func(t time.Time) string { return clockAt(t, now) }
	var s string
	switch {
	case h.Conn == state.ConnConnecting && !signedIn:
		s = "signing in…"
	case h.Conn == state.ConnConnecting:
		s = "connecting…" + loadingText(h.Loading, now, short)
	case !h.Loaded && !h.ScreenLoaded && (h.Conn == state.ConnLive || h.Conn == state.ConnResyncing):
		s = "loading presence…"
	case h.Conn == state.ConnLive:
		s = "live" + loadingText(h.Loading, now, short)
	case h.Conn == state.ConnRecovering:
		s = "recovering… (link lost " + clock(h.Down) + ")"
	case h.Conn == state.ConnResyncing:
		s = "resyncing: " + h.Resync + loadingText(h.Loading, now, short)
	case h.Conn == state.ConnOffline:
		s = "offline since " + clock(h.Down)
	case h.Conn == state.ConnClosed:
		s = "closed"
	}
	switch {
	case h.Problem != "": // what retrying cannot mend, and what to do
		s += ": " + h.Problem
	case h.Wait != "" && h.Conn == state.ConnConnecting:
		s += " " + h.Wait + retryIn(h.WaitUntil, now)
	case h.Err != "" && h.Conn != state.ConnLive && h.Conn != state.ConnResyncing:
		s += ": " + h.Err + retryIn(h.Retry, now)
	case h.Conn == state.ConnRecovering || h.Conn == state.ConnOffline:
		s += retryIn(h.Retry, now)
	}
	return s
}

// loadingText tells what is still loading and how long RingCentral's rate
// makes it take (" · presence: 2,310 of 10,000 · about 5 min left at
// RingCentral's rate"); "" when nothing is. Shorter for a narrow terminal:
// short 1 leaves out the reason (" · presence: 2,310 of 10,000 · about 5
// min left"), short 2 the words (" · presence 2,310/10,000 · ~5 min").
func loadingText(ps []state.Progress, now time.Time, short int) string {
	var b strings.Builder
	var until time.Time
	for _, p := range ps {
		if short >= 2 {
			b.WriteString(" · " + p.What + " " + thousands(p.Done) + "/" + thousands(p.Total))
		} else {
			b.WriteString(" · " + p.What + ": " + thousands(p.Done) + " of " + thousands(p.Total))
		}
		if p.Until.After(until) {
			until = p.Until
		}
	}
	var n int
	unit := ""
	switch d := until.Sub(now); {
	case len(ps) == 0, until.IsZero(), d < 5*time.Second:
		return b.String()
	case d < 90*time.Second:
		n, unit = int((d+9*time.Second)/(10*time.Second))*10, "s"
	default:
		n, unit = int((d+30*time.Second)/time.Minute), "min"
	}
	switch short {
	case 0:
		fmt.Fprintf(&b, " · about %d %s left at RingCentral's rate", n, unit)
	case 1:
		fmt.Fprintf(&b, " · about %d %s left", n, unit)
	default:
		fmt.Fprintf(&b, " · ~%d %s", n, unit)
	}
	return b.String()
}

// thousands writes n with a comma every three digits (10,000).
func thousands(n int) string {
	if n < 0 {
		return "-" + thousands(-n)
	}
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// retryIn counts down to the next attempt (", retrying in 42 s"); "" when
// none is due.
func retryIn(at, now time.Time) string {
	if at.IsZero() || !at.After(now) {
		return ""
	}
	d := at.Sub(now)
	if d < time.Minute {
		return fmt.Sprintf(", retrying in %d s", int((d+time.Second-1)/time.Second))
	}
	return fmt.Sprintf(", retrying in %d min", int((d+time.Minute-1)/time.Minute))
}

// quietText tells a long silence ("quiet 5m"), or "" while events flow.
func quietText(h state.Health, now time.Time) string {
	switch {
	case h.LastEvent.IsZero() && h.Loaded:
		return "no events yet"
	case h.LastEvent.IsZero():
		return ""
	case now.Sub(h.LastEvent) >= quietAfter:
		return "quiet " + formatSpan(now.Sub(h.LastEvent))
	}
	return ""
}

// staleReason says why rows may be out of date.
func staleReason(h state.Health, now time.Time) string {
	switch h.Conn {
	case state.ConnRecovering, state.ConnOffline:
		return "link down since " + clockAt(h.Down, now)
	case state.ConnResyncing:
		return "reloading: " + h.Resync
	}
	return "events were missed; reloading"
}

// cachedLine is a header line drawn and the key it was drawn for: it is
// drawn again only when something it shows changed, not on every frame.
type cachedLine[K comparable] struct {
	key  K
	line string
	ok   bool
}

// get returns the line drawn for k, drawing it when k changed.
func (c *cachedLine[K]) get(k K, draw func() string) string {
	if !c.ok || c.key != k {
		c.key, c.line, c.ok = k, draw(), true
	}
	return c.line
}

// titleKey is everything the title line shows: the width, the styles, who
// I am, the account, the link's health (but LastEvent, which changes with
// every event, in its place the silence it makes), and the clock while
// the line counts down (a retry, a wait, the time a load has left). The
// loading progress, a slice, is compared apart (titleLoading).
type titleKey struct {
	w                    int
	styles               *Styles
	readOnly             bool
	account, company     string
	me                   *state.Entry
	admin, signedIn      bool
	conn                 state.Conn
	loaded, screenLoaded bool
	resync, problem      string
	wait, err            string
	down, retry, until   time.Time
	quiet                string
	zone                 *time.Location // the clock's zone (clockAt)
	now                  time.Time      // zero unless the line counts down
}

// titleLine is the bar on top: account, me, connection, long silences.
func (m *Model) titleLine(w int) string {
	f := m.frame
	h := &f.Health
	now := m.c.Now()
	k := titleKey{w: w, styles: m.c.Styles, readOnly: m.c.ReadOnly, account: m.opts.Account, company: f.Company,
		me: f.Me.Entry, admin: f.Me.Admin, signedIn: f.Me.ID != "", conn: h.Conn, loaded: h.Loaded,
		screenLoaded: h.ScreenLoaded, resync: h.Resync, problem: h.Problem, wait: h.Wait, err: h.Err, down: h.Down,
		retry: h.Retry, until: h.WaitUntil, quiet: quietText(*h, now), zone: now.Location()}
	timed := !h.Retry.IsZero() || !h.WaitUntil.IsZero()
	for _, p := range h.Loading {
		timed = timed || !p.Until.IsZero()
	}
	if timed {
		k.now = now
	}
	if !slices.Equal(m.titleLoading, h.Loading) {
		m.title.ok = false
		m.titleLoading = append(m.titleLoading[:0], h.Loading...)
	}
	return m.title.get(k, func() string { return m.drawTitleLine(w, now) })
}

// drawTitleLine draws the title line at now.
func (m *Model) drawTitleLine(w int, now time.Time) string {
	f := m.frame
	me := &f.Me
	who := ""
	switch {
	case me.Entry != nil:
		who = me.Entry.Name + " (ext " + me.Entry.Number + ")"
		if me.Admin {
			who += " · supervisor"
		}
	case me.ID != "":
		who = "signed in"
	}
	if m.c.ReadOnly {
		who += " · read-only"
	}
	right := connText(f.Health, me.ID != "", now)
	quiet := ""
	if q := quietText(f.Health, now); q != "" {
		quiet = " · " + q
	}
	right += quiet
	right += " "
	for short := 1; short <= 2 && textWidth(right) > w*2/3 && len(f.Health.Loading) > 0; short++ {
		right = connTextAt(f.Health, me.ID != "", now, short) + quiet + " "
	}
	if textWidth(right) > w*2/3 {
		right = fit(right, w*2/3)
	}
	account := state.Sanitize(m.opts.Account)
	if f.Company != "" {
		account = f.Company // the company says which account at a glance; the server is in the log
	}
	left := " rchud · " + account + " · " + who
	if !fits(left, right, w) {
		left = " rchud · " + who // the account goes first when narrow
	}
	return m.c.Styles.Title.wrap(spread(left, right, w))
}

var shortCountWords = map[state.Availability]string{
	state.Available: "free", state.Ringing: "ring", state.Dialling: "dial", state.OnCall: "call", state.OnHold: "hold",
	state.Parked: "park", state.Busy: "busy", state.DND: "DND", state.Offline: "off", state.Unknown: "?",
}

// countsKey is everything the counts line shows; why rows are stale
// (staleReason) only while some are.
type countsKey struct {
	w        int
	styles   *Styles
	counts   state.Counts
	loaded   bool
	stale    bool
	conn     state.Conn
	down     time.Time
	resync   string
	zone     *time.Location
	disabled int
}

// countsLine tells how many people are in each state, and why rows are
// stale when some on screen are.
func (m *Model) countsLine(w int) string {
	f := m.frame
	anyStale := m.anyStale()
	k := countsKey{w: w, styles: m.c.Styles, counts: f.Counts, loaded: f.Health.Loaded, stale: anyStale,
		disabled: len(f.Health.Disabled)}
	if anyStale {
		k.conn, k.down, k.resync, k.zone = f.Health.Conn, f.Health.Down, f.Health.Resync, m.c.Now().Location()
	}
	return m.counts.get(k, func() string { return m.drawCountsLine(w, anyStale) })
}

// drawCountsLine draws the counts line.
func (m *Model) drawCountsLine(w int, anyStale bool) string {
	st := m.c.Styles
	f := m.frame
	people := f.Counts.People()
	counts := func(words map[state.Availability]string, sep string) string {
		var b strings.Builder
		b.WriteByte(' ')
		for _, a := range countOrder {
			if n := f.Counts[a]; n > 0 {
				word := words[a]
				if a == state.Unknown && !f.Health.Loaded {
					word = "loading"
				}
				// The number bold, the word plain: the colours are the
				// badges' (each carries its word); a count that changes
				// costs the terminal its digits, not a repainted chip.
				b.WriteString(" " + st.Bold.wrap(strconv.Itoa(n)) + " " + word + " ")
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
	case anyStale:
		right = st.Error.wrap("~ stale: "+staleReason(f.Health, m.c.Now())) + " "
	case len(f.Health.Disabled) > 0:
		right = st.Error.wrap(fmt.Sprintf("%d presence filter(s) not granted", len(f.Health.Disabled))) + " "
	default:
		right = fmt.Sprintf("%d people ", people)
	}
	left := counts(countWords, " ")
	if !fits(left, right, w) {
		left = counts(shortCountWords, "")
	}
	if !fits(left, right, w) && !anyStale {
		right = ""
	}
	return spread(left, right, w)
}

// anyStale reports whether a row on screen may be out of date.
func (m *Model) anyStale() bool {
	for _, l := range m.frame.Visible() {
		if l.Stale {
			return true
		}
	}
	return false
}

// writeText shows a write in place: the choice while pending, the error
// once failed.
func writeText(st *Styles, w *state.Write, choice string) string {
	if w.Failed {
		return st.Error.wrap("✗ " + choice + " failed: " + w.Err)
	}
	if w.Retrying != "" {
		return st.Pending.wrap("→ " + choice + " (retrying: " + w.Retrying + ")")
	}
	return st.Pending.wrap("→ " + choice + " (saving…)")
}

// youKey is everything the You line shows. Entries and writes are never
// changed once in a frame, so their pointers say whether they did.
type youKey struct {
	w                          int
	styles                     *Styles
	readOnly                   bool
	me                         *state.Entry
	inDND                      bool
	status, message, queueCall *state.Write
	keys                       [3]bool // Available, Message and QueueCalls enabled
}

// youLine is my own status and how to change it: the keys are always on
// screen, so a newcomer finds them without help.
func (m *Model) youLine(w int) string {
	me, k := &m.frame.Me, m.c.Keys
	key := youKey{w: w, styles: m.c.Styles, readOnly: m.c.ReadOnly, me: me.Entry, inDND: me.InDND, status: me.StatusWrite,
		message: me.MessageWrite, queueCall: me.QueueCallsWrite,
		keys: [3]bool{k.Available.Enabled(), k.Message.Enabled(), k.QueueCalls.Enabled()}}
	return m.you.get(key, func() string { return m.drawYouLine(w) })
}

// drawYouLine draws the You line.
func (m *Model) drawYouLine(w int) string {
	st := m.c.Styles
	me := &m.frame.Me
	if !me.Known() {
		return fitLine(" You: "+st.Faint.wrap("signing in…"), w)
	}
	e := me.Entry
	var b strings.Builder
	b.WriteString(" You ")
	b.WriteString(st.shortBadge(e.Availability))
	switch ws := me.StatusWrite; {
	case ws != nil:
		b.WriteString(" " + writeText(st, ws, string(ws.Status)))
	case string(e.Status()) != BadgeLabel(e.Availability):
		b.WriteString(" status " + string(e.Status())) // e.g. on a call, and Busy for after it
	}
	if wm := me.MessageWrite; wm != nil {
		b.WriteString(" · " + writeText(st, wm, "“"+state.Sanitize(wm.Message)+"”"))
	} else if e.Message != "" {
		b.WriteString(" · “" + e.Message + "”")
	}
	queue := "queue calls off"
	switch {
	case me.InDND:
		queue = "queue calls off in DND"
	case e.AcceptsQueueCalls():
		queue = "queue calls on"
	}
	if wq := me.QueueCallsWrite; wq != nil {
		queue = writeText(st, wq, "queue calls "+onOff(wq.Accept))
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
	{name: "on a call", states: []state.Availability{state.Ringing, state.Dialling, state.OnCall, state.OnHold, state.Parked}},
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
		tail := fmt.Sprintf("  %s  %s keep · %s clear ", plural(m.frame.Shown, "match", "matches"), st.Key.wrap("enter"), st.Key.wrap("esc"))
		room := w - textWidth(label) - textWidth(tail)
		if room < 10 {
			tail = ""
			room = w - textWidth(label)
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
		room := w - textWidth(label) - textWidth(tail)
		if room < 10 {
			tail = "  " + count + " "
			room = w - textWidth(label) - textWidth(tail)
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
	case modeNumber:
		return m.numberPrompt(w)
	}
	k := viewKey{w: w, styles: st, shown: m.frame.Shown, people: m.frame.Counts.People(), quick: m.quick, text: m.query.Text,
		sort: m.query.Sort, desc: m.query.Desc, by: m.query.By, admin: m.frame.Me.Admin, digits: m.digits, found: m.digitsFound(),
		flash: m.flash, flashErr: m.flashErr}
	return m.viewLn.get(k, func() string { return m.drawViewLine(w) })
}

// viewKey is everything the view line shows in the grid.
type viewKey struct {
	w             int
	styles        *Styles
	shown, people int
	quick         int
	text          string
	sort          state.Column
	desc          bool
	by            state.GroupBy
	admin         bool
	digits        string
	found         bool
	flash         string
	flashErr      bool
}

// drawViewLine draws the view line in the grid: what it shows and how.
func (m *Model) drawViewLine(w int) string {
	st := m.c.Styles
	var parts []string
	parts = append(parts, fmt.Sprintf("%d of %d shown", m.frame.Shown, m.frame.Counts.People()))
	if m.quick > 0 {
		parts = append(parts, "only "+quickFilters[m.quick].name)
	}
	if m.query.Text != "" {
		parts = append(parts, "filter “"+state.Sanitize(m.query.Text)+"”")
	}
	arrow := map[bool]string{false: "▲", true: "▼"}[m.query.Desc]
	parts = append(parts, "sort "+strings.ToLower(columnBySort(m.query.Sort).title)+" "+arrow)
	if m.query.By != state.GroupNone {
		parts = append(parts, "by "+groupNames[m.query.By])
		if m.query.By == state.GroupQueue && !m.frame.Me.Admin {
			// RingCentral tells others' availability in a queue to admins only.
			parts = append(parts, "in queue: yours only (admins see everyone's)")
		}
	}
	left := " " + strings.Join(parts, " · ")
	var right string
	switch {
	case m.digits != "" && m.digitsFound():
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
		if textWidth(right) > w-10 {
			right = fitLine(right, w-10)
		}
	}
	return spread(st.Faint.wrap(left), right, w)
}
