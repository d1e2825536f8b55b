// Package ui is the HUD: a Bubble Tea program that draws the live mirror
// as a keyboard-driven grid, and sends my status and queue changes.
package ui

import (
	"fmt"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"

	"github.com/rchud/rchud/state"
)

// Writer sends my changes: a *state.Writer, or a fake in tests. Each call
// only records the choice and returns; the mirror shows it pending until
// the server confirms it.
type Writer interface {
	SetStatus(status string) error
	SetMessage(msg string) error
	SetAcceptQueueCalls(accept bool) error
	SetMyQueue(q state.ID, accept bool) error
	SetMember(q, member state.ID, accept bool) error
}

// Options configure the HUD.
type Options struct {
	Mirror *state.Mirror
	// Writer blocks until signed in and returns the writer; it runs in a
	// tea.Cmd. Nil when there is none (tests set it with SetWriter).
	Writer func() (Writer, error)
	// Account names the account in the header: the server, or the demo.
	Account  string
	ReadOnly bool
	Profile  colorprofile.Profile
	// Now is the clock (nil: time.Now).
	Now func() time.Time
}

type mode int

const (
	modeGrid mode = iota
	modeFilter
	modeSort
	modeMessage
	modeConfirm
)

type pane int

const (
	paneNone pane = iota
	paneDetail
	paneQueues
)

// ChangesMsg carries what changed in the mirror since the last one; the
// pump sends at most one a frame.
type ChangesMsg state.ChangeSet

// FatalMsg ends the HUD with an error (the sync could not go on).
type FatalMsg struct{ Err error }

type writerMsg struct {
	w   Writer
	err error
}

// writeDoneMsg is the immediate answer of a write: only a refusal before
// sending (the server's answer arrives through the mirror).
type writeDoneMsg struct {
	what string
	err  error
}

type tickMsg struct{ at time.Time }

type reprojectMsg struct{}

// confirmation is a question asked before a supervisor's change.
type confirmation struct {
	question string
	yes      func() tea.Cmd
}

const (
	highlightFor = 3 * time.Second         // a changed row stays marked
	digitsFor    = 1500 * time.Millisecond // the jump buffer is forgotten
	flashFor     = 5 * time.Second
	// maxProjectEvery bounds how stale the order may get under a storm of
	// changes at large N; visible rows are re-read on every message anyway.
	maxProjectEvery = 250 * time.Millisecond
)

// Model is the root model of the HUD.
type Model struct {
	c      Common
	mirror *state.Mirror
	opts   Options
	writer Writer
	// early holds writes asked for before the writer arrived, so no key
	// pressed in the first instant is lost; writerGone ends the wait.
	early      []earlyWrite
	writerGone bool

	mode    mode
	pane    pane
	help    bool
	query   state.Query
	quick   int
	filter  lineInput
	msgEdit lineInput
	confirm confirmation
	queues  queuePane

	grid   grid
	layout layout

	counts      map[state.Availability]int
	projectedAt time.Time
	projCost    time.Duration
	projWanted  bool
	projTimer   bool

	digits   string
	digitsAt time.Time
	digitsOK bool // whether what was typed matches an extension in view
	flash    string
	flashErr bool
	flashAt  time.Time

	loadedAt time.Time
	tickAt   time.Time
	timer    func(time.Duration, func(time.Time) tea.Msg) tea.Cmd // tea.Tick; tests stub it
	quitting bool
	fatal    error

	snap snapshot
}

// snapshot is what View draws, read from the mirror in Update: View never
// touches the mirror and never does work proportional to the directory.
type snapshot struct {
	health   state.Health
	writes   map[string]state.Write
	meID     state.ID
	admin    bool
	me       state.Entry
	meOK     bool
	lines    []gridLine
	anyStale bool
	detail   detailData
	ticking  bool // something on screen counts seconds
}

// New makes the HUD's model.
func New(o Options) *Model {
	if o.Now == nil {
		o.Now = time.Now
	}
	m := &Model{
		c: Common{
			Styles:   NewStyles(o.Profile, true),
			Keys:     NewKeyMap(o.ReadOnly),
			ReadOnly: o.ReadOnly,
			Now:      o.Now,
		},
		mirror: o.Mirror,
		opts:   o,
		query:  state.Query{Sort: state.ColName},
		grid:   grid{sel: -1, height: 1},
		counts: map[state.Availability]int{},
		timer:  tea.Tick,
	}
	m.reproject()
	m.refresh()
	m.updateKeys()
	return m
}

// SetWriter installs the writer directly (tests).
func (m *Model) SetWriter(w Writer) {
	m.writer = w
	m.refresh()
	m.updateKeys()
}

// Err is why the HUD ended, when it was not the user quitting.
func (m *Model) Err() error { return m.fatal }

// Init asks the terminal for its background and waits for the writer.
func (m *Model) Init() tea.Cmd {
	cmds := []tea.Cmd{tea.RequestBackgroundColor}
	if m.opts.Writer != nil && m.writer == nil {
		get := m.opts.Writer
		cmds = append(cmds, func() tea.Msg {
			w, err := get()
			return writerMsg{w, err}
		})
	}
	return tea.Batch(cmds...)
}

// Update handles a message; I/O only ever happens in the returned Cmds.
func (m *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	if m.quitting {
		return m, nil
	}
	var cmds []tea.Cmd
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.c.Width, m.c.Height = msg.Width, msg.Height
		m.resize()
	case tea.ColorProfileMsg:
		if msg.Profile != m.c.Styles.Profile {
			m.c.Styles = NewStyles(msg.Profile, m.c.Styles.Dark)
		}
	case tea.BackgroundColorMsg:
		if dark := msg.IsDark(); dark != m.c.Styles.Dark {
			m.c.Styles = NewStyles(m.c.Styles.Profile, dark)
		}
	case ChangesMsg:
		cmds = append(cmds, m.onChanges())
	case reprojectMsg:
		m.projTimer = false
		if m.projWanted {
			m.reproject()
		}
	case tickMsg:
		if msg.at.Equal(m.tickAt) {
			m.tickAt = time.Time{}
		}
	case writerMsg:
		if msg.err != nil || msg.w == nil {
			m.writerGone, m.early = true, nil
			break
		}
		m.writer = msg.w
		var cmds []tea.Cmd
		for _, e := range m.early {
			cmds = append(cmds, m.send(e.what, e.f))
		}
		m.early = nil
		m.updateKeys()
		return m, tea.Batch(cmds...)
	case writeDoneMsg:
		if msg.err != nil {
			m.setFlash(msg.what+": "+Sanitize(msg.err.Error()), true)
		}
	case FatalMsg:
		m.fatal = msg.Err
		m.quitting = true
		return m, tea.Quit
	case tea.PasteMsg:
		m.onPaste(msg.Content)
	case tea.KeyPressMsg:
		cmds = append(cmds, m.onKey(msg))
		if m.quitting {
			return m, tea.Quit
		}
	}
	m.expire()
	m.refresh()
	m.updateKeys()
	cmds = append(cmds, m.schedule())
	return m, tea.Batch(cmds...)
}

// geometry is where things go for the current size and panes.
type geometry struct {
	bodyH          int
	gridW, gridH   int // gridH counts the column header
	paneW, paneH   int
	paneX, paneY   int
	paneBesideGrid bool
}

// geom lays the body out: the side pane beside the grid when the terminal
// is wide, below it when narrow.
func (m *Model) geom() geometry {
	w, h := m.c.Width, m.c.Height
	g := geometry{bodyH: max(0, h-headerHeight-1), gridW: w}
	g.gridH = g.bodyH
	if m.pane == paneNone {
		return g
	}
	if w >= 120 {
		g.paneBesideGrid = true
		g.paneW = min(64, max(44, w*2/5))
		g.gridW = w - g.paneW - 1
		g.paneH = g.bodyH
		return g
	}
	g.paneW = w
	g.paneH = max(3, g.bodyH/2)
	g.gridH = max(2, g.bodyH-g.paneH)
	g.paneH = g.bodyH - g.gridH
	return g
}

func (m *Model) resize() {
	g := m.geom()
	if m.layout.width != g.gridW || m.layout.inQueue != (m.query.By == state.GroupQueue) {
		m.layout = newLayout(g.gridW, m.query.By == state.GroupQueue)
	}
	m.grid.setHeight(g.gridH - 1)
}

// onChanges reprojects, at once while that is cheap, else at most every
// few times its cost (and never later than maxProjectEvery).
func (m *Model) onChanges() tea.Cmd {
	m.projWanted = true
	every := min(maxProjectEvery, 8*m.projCost)
	since := time.Since(m.projectedAt)
	if since >= every {
		m.reproject()
		return nil
	}
	if m.projTimer {
		return nil
	}
	m.projTimer = true
	return m.timer(every-since, func(time.Time) tea.Msg { return reprojectMsg{} })
}

// rearrange reprojects after the user changed the filter, the order or
// the grouping, and brings the selection's group header into view.
func (m *Model) rearrange() {
	m.reproject()
	m.grid.reveal()
}

// reproject recomputes the rows and their order, and the counts.
func (m *Model) reproject() {
	start := time.Now()
	m.grid.setProjection(m.mirror.Project(m.query), m.query.By != state.GroupNone)
	m.counts = m.mirror.Counts()
	delete(m.counts, state.NoPresence)
	m.projectedAt = time.Now()
	m.projCost = m.projectedAt.Sub(start)
	m.projWanted = false
	m.resize()
}

// refresh reads what View draws from the mirror: health, my entry, my
// writes, and only the rows on screen.
func (m *Model) refresh() {
	now := m.c.Now()
	s := &m.snap
	s.health = m.mirror.Health()
	if s.health.Loaded && m.loadedAt.IsZero() {
		m.loadedAt = now
	}
	s.writes = m.mirror.Writes()
	s.meID, s.admin = m.mirror.Me()
	s.me, s.meOK = state.Entry{}, false
	if s.meID != "" {
		s.me, s.meOK = m.mirror.Get(s.meID)
	}
	s.ticking = false
	for _, w := range s.writes {
		if w.Failed {
			s.ticking = true // a failure shows for a while, then goes
		}
	}
	if s.health.Conn == state.ConnRecovering {
		s.ticking = true // rows turn stale, then the link reads offline
	}

	win := m.grid.window()
	ids := make([]state.ID, 0, len(win))
	for _, ref := range win {
		if ref.row >= 0 {
			ids = append(ids, m.grid.id(ref))
		}
	}
	rows := m.mirror.Rows(ids)
	queues := map[state.ID]state.Queue{}
	s.lines = s.lines[:0]
	s.anyStale = false
	k := 0
	for _, ref := range win {
		g := &m.grid.proj.Groups[ref.group]
		if ref.row < 0 {
			s.lines = append(s.lines, gridLine{header: true, group: g})
			continue
		}
		id := m.grid.id(ref)
		if k >= len(rows) || rows[k].ID != id {
			continue // gone since the projection; the next one drops it
		}
		gl := gridLine{group: g, row: rows[k], me: id == s.meID}
		k++
		line := m.grid.lineOf(ref.group, ref.row)
		if line == m.grid.sel {
			gl.flags |= rowSelected
		}
		if gl.row.Stale {
			gl.flags |= rowStale
			s.anyStale = true
		}
		if !m.loadedAt.IsZero() && gl.row.Changed.After(m.loadedAt) && now.Sub(gl.row.Changed) < highlightFor {
			gl.flags |= rowChanged
		}
		if !gl.row.AvailSince.IsZero() || len(gl.row.Calls) > 0 {
			s.ticking = true
		}
		if m.query.By == state.GroupQueue && g.Key != "" {
			q, ok := queues[g.Key]
			if !ok {
				q, _ = m.mirror.Queue(g.Key)
				queues[g.Key] = q
			}
			gl.inQueue = m.memberCell(q, id)
		}
		s.lines = append(s.lines, gl)
	}

	s.detail = detailData{}
	if m.pane == paneDetail {
		if id, _, ok := m.grid.selected(); ok {
			if rs := m.mirror.Rows([]state.ID{id}); len(rs) == 1 {
				r := rs[0]
				s.detail = detailData{ok: true, row: r, me: id == s.meID,
					queues: myQueueItems(m.mirror, id, r.Queues, s.writes)}
				if !r.AvailSince.IsZero() || !r.TelSince.IsZero() || len(r.Calls) > 0 {
					s.ticking = true
				}
			}
		}
	}
	if m.pane == paneQueues {
		var mine []state.ID
		if s.meOK {
			mine = s.me.Queues
		}
		m.queues.items = myQueueItems(m.mirror, s.meID, mine, s.writes)
		m.queues.move(0)
	}
}

// memberCell is a member's availability in a queue, for the IN QUEUE
// column: on, off, ? (unknown), a pending choice (→off…) or a failed one
// (✗on: the error is in the detail pane and the flash).
func (m *Model) memberCell(q state.Queue, id state.ID) string {
	accept, known := q.Accept[id]
	cell := "?"
	if known {
		cell = map[bool]string{true: "on", false: "off"}[accept]
	}
	w, ok := m.snap.writes[state.IntentMember(q.ID, id)]
	if !ok && id == m.snap.meID {
		w, ok = m.snap.writes[state.IntentQueue(q.ID)]
	}
	switch {
	case ok && w.Failed:
		return "✗ " + cell
	case ok:
		return "→" + map[string]string{"accept": "on", "reject": "off"}[w.Value] + "…"
	}
	return cell
}

// expire forgets the jump buffer and flashes whose time is up.
func (m *Model) expire() {
	now := m.c.Now()
	if m.digits != "" && now.Sub(m.digitsAt) >= digitsFor {
		m.digits = ""
	}
	if m.flash != "" && now.Sub(m.flashAt) >= flashFor {
		m.flash = ""
	}
}

func (m *Model) setFlash(s string, isErr bool) {
	m.flash, m.flashErr, m.flashAt = s, isErr, m.c.Now()
}

// schedule asks for one tick at the next moment something on screen will
// read differently; nothing at all when nothing will.
func (m *Model) schedule() tea.Cmd {
	now := m.c.Now()
	var next time.Time
	at := func(t time.Time) {
		if t.After(now) && (next.IsZero() || t.Before(next)) {
			next = t
		}
	}
	s := &m.snap
	if s.ticking {
		at(now.Truncate(time.Second).Add(time.Second))
	}
	if !s.health.LastEvent.IsZero() {
		at(now.Add(nextAgeChange(now.Sub(s.health.LastEvent))))
	}
	for _, gl := range s.lines {
		if gl.flags&rowChanged != 0 {
			at(gl.row.Changed.Add(highlightFor))
		}
	}
	if m.digits != "" {
		at(m.digitsAt.Add(digitsFor))
	}
	if m.flash != "" {
		at(m.flashAt.Add(flashFor))
	}
	if next.IsZero() || (!m.tickAt.IsZero() && !next.Before(m.tickAt) && m.tickAt.After(now)) {
		return nil
	}
	m.tickAt = next
	return m.timer(next.Sub(now), func(time.Time) tea.Msg { return tickMsg{at: next} })
}

// updateKeys enables exactly the keys that do something now, so help and
// the footer list only those.
func (m *Model) updateKeys() {
	k := m.c.Keys
	switch m.mode {
	case modeFilter:
		k.only(&k.Accept, &k.Cancel, &k.Type, &k.Up, &k.Down)
		k.Accept.SetHelp("enter", "keep filter")
		k.Cancel.SetHelp("esc", "clear filter")
		return
	case modeMessage:
		k.only(&k.Accept, &k.Cancel, &k.Type)
		k.Accept.SetHelp("enter", "save message")
		k.Cancel.SetHelp("esc", "cancel")
		return
	case modeSort:
		k.only(&k.SortBy, &k.Cancel)
		k.Cancel.SetHelp("esc", "cancel")
		return
	case modeConfirm:
		k.only(&k.Yes, &k.No)
		return
	}
	s := &m.snap
	rows := m.grid.rows() > 0
	// The writer is here, or on its way (writes wait for it in m.early).
	signed := (m.writer != nil || m.opts.Writer != nil && !m.writerGone) && s.meOK
	live := []*key.Binding{&k.Filter, &k.Quick, &k.Sort, &k.Group, &k.Help, &k.Quit}
	if rows {
		live = append(live, &k.Up, &k.Down, &k.PageUp, &k.PageDown, &k.Home, &k.End, &k.Detail, &k.Jump)
	}
	if m.digits != "" || m.pane != paneNone || m.query.Text != "" || m.quick != 0 {
		live = append(live, &k.Back)
	}
	if signed {
		live = append(live, &k.Available, &k.Busy, &k.Invisible, &k.DND, &k.Message)
		if !m.inDND() {
			live = append(live, &k.QueueCalls)
		}
	}
	if s.meOK && len(s.me.Queues) > 0 || m.pane == paneQueues {
		live = append(live, &k.Queues)
	}
	if signed && m.toggleTarget() != "" {
		live = append(live, &k.Toggle)
	}
	k.only(live...)
	if m.pane == paneDetail {
		k.Detail.SetHelp("enter", "hide details")
	} else {
		k.Detail.SetHelp("enter", "details")
	}
	if m.pane == paneQueues {
		k.Queues.SetHelp("p", "close my queues")
		k.Back.SetHelp("esc", "close my queues")
	} else {
		k.Queues.SetHelp("p", "my queues")
		k.Back.SetHelp("esc", "back")
	}
	k.Accept.SetHelp("enter", "done")
	k.QueueCalls.SetHelp("c", map[bool]string{true: "stop queue calls", false: "accept queue calls"}[m.acceptingQueueCalls()])
	if t := m.toggleTarget(); t != "" {
		k.Toggle.SetHelp("space", t)
	}
}

// toggleTarget says what space would toggle now, or "" when nothing: my
// availability in the queue under the cursor of my queues, or (for a
// supervisor) the selected member's in the queue whose group it is in.
func (m *Model) toggleTarget() string {
	s := &m.snap
	if m.pane == paneQueues {
		q, ok := m.queues.selected()
		if ok && lockReason(q, s.admin, m.c.ReadOnly) == "" {
			return "toggle this queue"
		}
		return ""
	}
	if !s.admin || m.query.By != state.GroupQueue {
		return ""
	}
	if _, g, ok := m.grid.selected(); ok && g.Key != "" {
		return "toggle member in queue"
	}
	return ""
}

// onKey handles a key press in the current mode.
func (m *Model) onKey(msg tea.KeyPressMsg) tea.Cmd {
	k := m.c.Keys
	if msg.String() == "ctrl+c" {
		m.quitting = true
		return nil
	}
	if m.help {
		m.help = false // any key closes help
		return nil
	}
	switch m.mode {
	case modeFilter:
		return m.keyFilter(msg)
	case modeMessage:
		return m.keyMessage(msg)
	case modeSort:
		return m.keySort(msg)
	case modeConfirm:
		switch {
		case key.Matches(msg, k.Yes):
			m.mode = modeGrid
			return m.confirm.yes()
		case key.Matches(msg, k.No):
			m.mode = modeGrid
			m.setFlash("nothing changed", false)
		}
		return nil
	}
	if m.pane == paneQueues {
		switch {
		case key.Matches(msg, k.Up):
			m.queues.move(-1)
			return nil
		case key.Matches(msg, k.Down):
			m.queues.move(1)
			return nil
		case key.Matches(msg, k.Toggle):
			return m.toggleMyQueue()
		}
	}
	switch {
	case key.Matches(msg, k.Quit):
		m.quitting = true
	case key.Matches(msg, k.Help):
		m.help = true
	case key.Matches(msg, k.Up):
		m.grid.move(-1)
	case key.Matches(msg, k.Down):
		m.grid.move(1)
	case key.Matches(msg, k.PageUp):
		m.grid.move(-m.grid.height)
	case key.Matches(msg, k.PageDown):
		m.grid.move(m.grid.height)
	case key.Matches(msg, k.Home):
		m.grid.first()
	case key.Matches(msg, k.End):
		m.grid.last()
	case key.Matches(msg, k.Detail):
		m.togglePane(paneDetail)
	case key.Matches(msg, k.Queues):
		m.togglePane(paneQueues)
	case key.Matches(msg, k.Filter):
		m.mode = modeFilter
		m.filter = newInput(m.query.Text, 0)
	case key.Matches(msg, k.Quick):
		m.quick = (m.quick + 1) % len(quickFilters)
		m.query.States, m.query.Stale = quickFilters[m.quick].states, quickFilters[m.quick].stale
		m.rearrange()
	case key.Matches(msg, k.Sort):
		m.mode = modeSort
	case key.Matches(msg, k.Group):
		m.query.By = (m.query.By + 1) % (state.GroupDepartment + 1)
		m.rearrange()
	case key.Matches(msg, k.Jump):
		m.jump(msg.String())
	case key.Matches(msg, k.Back):
		m.back()
	case key.Matches(msg, k.Available):
		return m.setStatus(state.StatusAvailable)
	case key.Matches(msg, k.Busy):
		return m.setStatus(state.StatusBusy)
	case key.Matches(msg, k.Invisible):
		return m.setStatus(state.StatusInvisible)
	case key.Matches(msg, k.DND):
		return m.setStatus(state.StatusDND)
	case key.Matches(msg, k.Message):
		m.mode = modeMessage
		msg := m.snap.me.Message
		if w, ok := m.snap.writes[state.IntentMessage]; ok && !w.Failed {
			msg = w.Value
		}
		m.msgEdit = newInput(msg, state.MaxMessage)
	case key.Matches(msg, k.QueueCalls):
		accept := !m.acceptingQueueCalls()
		return m.send("queue calls", func(w Writer) error { return w.SetAcceptQueueCalls(accept) })
	case key.Matches(msg, k.Toggle):
		m.askToggleMember()
	}
	return nil
}

func (m *Model) togglePane(p pane) {
	if m.pane == p {
		m.pane = paneNone
	} else {
		m.pane = p
		m.queues.sel = 0
	}
	m.resize()
}

// back backs out of one thing: the jump buffer, a pane, the text filter,
// the quick filter.
func (m *Model) back() {
	switch {
	case m.digits != "":
		m.digits = ""
	case m.pane != paneNone:
		m.togglePane(m.pane)
	case m.query.Text != "":
		m.query.Text = ""
		m.rearrange()
	case m.quick != 0:
		m.quick = 0
		m.query.States, m.query.Stale = nil, false
		m.rearrange()
	}
}

func (m *Model) keyFilter(msg tea.KeyPressMsg) tea.Cmd {
	k := m.c.Keys
	switch {
	case key.Matches(msg, k.Accept):
		m.mode = modeGrid
		return nil
	case key.Matches(msg, k.Cancel):
		m.mode = modeGrid
		m.query.Text = ""
		m.rearrange()
		return nil
	case key.Matches(msg, k.Up):
		if msg.String() == "up" {
			m.grid.move(-1)
			return nil
		}
	case key.Matches(msg, k.Down):
		if msg.String() == "down" {
			m.grid.move(1)
			return nil
		}
	}
	if m.filter.handle(msg) && m.filter.Value() != m.query.Text {
		m.query.Text = m.filter.Value()
		m.rearrange()
	}
	return nil
}

func (m *Model) keyMessage(msg tea.KeyPressMsg) tea.Cmd {
	k := m.c.Keys
	switch {
	case key.Matches(msg, k.Accept):
		m.mode = modeGrid
		text := strings.TrimSpace(m.msgEdit.Value())
		return m.send("message", func(w Writer) error { return w.SetMessage(text) })
	case key.Matches(msg, k.Cancel):
		m.mode = modeGrid
		return nil
	}
	m.msgEdit.handle(msg)
	return nil
}

func (m *Model) keySort(msg tea.KeyPressMsg) tea.Cmd {
	k := m.c.Keys
	if key.Matches(msg, k.Cancel) {
		m.mode = modeGrid
		return nil
	}
	if !key.Matches(msg, k.SortBy) {
		return nil
	}
	for _, c := range sortColumns() {
		if c.letter == msg.String() {
			if m.query.Sort == c.sort {
				m.query.Desc = !m.query.Desc
			} else {
				m.query.Sort, m.query.Desc = c.sort, false
			}
		}
	}
	m.mode = modeGrid
	m.rearrange()
	return nil
}

func (m *Model) onPaste(s string) {
	switch m.mode {
	case modeFilter:
		m.filter.insert(s)
		if m.filter.Value() != m.query.Text {
			m.query.Text = m.filter.Value()
			m.rearrange()
		}
	case modeMessage:
		m.msgEdit.insert(s) // the counter shows when the limit cut it
	}
}

// jump adds a digit to the buffer and selects the extension whose number
// is what was typed, else the lowest that starts with it.
func (m *Model) jump(d string) {
	m.digits += d
	m.digitsAt = m.c.Now()
	bestLine, bestNum := -1, ""
	better := func(num string) bool {
		switch {
		case bestLine < 0:
			return true
		case bestNum == m.digits:
			return false
		case num == m.digits:
			return true
		}
		return state.CompareNumbers(num, bestNum) < 0
	}
	for gi, g := range m.grid.proj.Groups {
		if k, num := m.mirror.FindNumber(g.IDs, m.digits); k >= 0 && better(num) {
			bestLine, bestNum = m.grid.lineOf(gi, k), num
		}
	}
	m.digitsOK = bestLine >= 0
	if m.digitsOK {
		m.grid.selectLine(bestLine)
	}
}

// earlyWrite is a write asked for before the writer arrived.
type earlyWrite struct {
	what string
	f    func(Writer) error
}

// send runs a write in a Cmd; the mirror shows it pending from then on.
func (m *Model) send(what string, f func(Writer) error) tea.Cmd {
	w := m.writer
	if w == nil {
		if m.opts.Writer != nil && !m.writerGone {
			m.early = append(m.early, earlyWrite{what, f})
		}
		return nil
	}
	return func() tea.Msg { return writeDoneMsg{what: what, err: f(w)} }
}

func (m *Model) setStatus(s string) tea.Cmd {
	return m.send("status", func(w Writer) error { return w.SetStatus(s) })
}

// toggleMyQueue flips my availability in the queue under the cursor; a
// supervisor changes a locked queue as a supervisor.
func (m *Model) toggleMyQueue() tea.Cmd {
	q, ok := m.queues.selected()
	if !ok {
		return nil
	}
	if why := lockReason(q, m.snap.admin, m.c.ReadOnly); why != "" {
		m.setFlash(Sanitize(q.Name)+": "+why, true)
		return nil
	}
	accept, _ := q.shown()
	me := m.snap.meID
	if !q.Editable {
		return m.send("queue", func(w Writer) error { return w.SetMember(q.ID, me, !accept) })
	}
	return m.send("queue", func(w Writer) error { return w.SetMyQueue(q.ID, !accept) })
}

// askToggleMember asks a supervisor to confirm changing the selected
// member's availability in the queue of its group.
func (m *Model) askToggleMember() {
	id, g, ok := m.grid.selected()
	if !ok || g.Key == "" {
		return
	}
	q, ok := m.mirror.Queue(g.Key)
	if !ok {
		return
	}
	e, _ := m.mirror.Get(id)
	accept, known := q.Accept[id]
	if w, ok := m.snap.writes[state.IntentMember(q.ID, id)]; ok && !w.Failed {
		accept, known = w.Value == "accept", true
	}
	if !known {
		m.setFlash("availability of "+Sanitize(e.Name)+" in "+Sanitize(q.Name)+" is not known yet", true)
		return
	}
	to := map[bool]string{true: "available", false: "unavailable"}[!accept]
	qid := q.ID
	m.confirm = confirmation{
		question: fmt.Sprintf("Make %s %s in %s?", Sanitize(e.Name), to, Sanitize(q.Name)),
		yes: func() tea.Cmd {
			return m.send("member", func(w Writer) error { return w.SetMember(qid, id, !accept) })
		},
	}
	m.mode = modeConfirm
}
