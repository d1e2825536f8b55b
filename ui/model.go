// Package ui is the HUD: a Bubble Tea program that draws the frames its
// live view of the account publishes, as a keyboard-driven grid, and sends
// my status and queue changes. It never reads the mirror: every screen is
// drawn from the last frame it was given, and every change of what to show
// (filter, order, grouping, scrolling) goes back to the view as a command.
package ui

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"

	"github.com/rchud/rchud/state"
)

// Viewer is the HUD's live view of the account (a *state.View).
type Viewer interface {
	// Apply applies view operations as operation number seq, in order,
	// and returns the newest frame.
	Apply(seq uint64, ops ...state.Op) *state.Frame
	// Frames delivers the newest frame whenever what it shows changes.
	Frames() <-chan *state.Frame
	// Latest is the newest frame.
	Latest() *state.Frame
}

// Writer makes my changes (a state.Actor, or a fake in tests). Each call
// only records the choice and returns; the frames show it pending until
// the server confirms it.
type Writer interface {
	SetStatus(s state.Status) error
	SetMessage(msg string) error
	SetAcceptQueueCalls(accept bool) error
	SetMyQueue(q state.ID, accept bool) error
	SetMember(q, member state.ID, accept bool) error
}

// Options configure the HUD.
type Options struct {
	View Viewer
	// Writer blocks until signed in and returns the writer; it runs in a
	// tea.Cmd. Nil when there is none (tests set it with SetWriter).
	Writer func() (Writer, error)
	// Caller makes call actions (nil: no call keys).
	Caller CallActor
	// People keeps the pins and watches across restarts (nil: not kept).
	People People
	// RingAlarm and HoldAlarm turn a row's time amber when someone has
	// been ringing or on hold this long, and red at twice that (0: the
	// defaults, 20 s and 60 s).
	RingAlarm, HoldAlarm time.Duration
	// WaitAlarm turns a queue's waiting count amber when its longest
	// caller has waited this long, and red at twice that (0: 60 s).
	WaitAlarm time.Duration
	// Account names the account in the header: the server, or the demo.
	Account  string
	ReadOnly bool
	Profile  colorprofile.Profile
	// Now is the clock (nil: time.Now).
	Now func() time.Time
	// Tick makes the HUD's timer commands (nil: tea.Tick). A host that
	// runs many HUDs (rchud serve) gives one that ends with the session,
	// so no timer outlives its program.
	Tick func(time.Duration, func(time.Time) tea.Msg) tea.Cmd
	// Shared, when set, is where HUDs on the same mirror find the rows
	// another has drawn (rchud serve); nil draws alone.
	Shared *Shared
}

type mode int

const (
	modeGrid mode = iota
	modeFilter
	modeSort
	modeMessage
	modeConfirm
	modeNumber // the number a call is transferred to
)

type pane int

const (
	paneNone pane = iota
	paneDetail
	paneQueues
	paneParked
)

// FrameMsg carries a frame of the view: the pump's, or the answer to a
// view operation.
type FrameMsg struct{ Frame *state.Frame }

// FatalMsg ends the HUD with an error (the sync could not go on).
type FatalMsg struct{ Err error }

type writerMsg struct {
	w   Writer
	err error
}

// writeDoneMsg is the immediate answer of a write: only a refusal before
// sending (the server's answer arrives through the frames).
type writeDoneMsg struct {
	what string
	err  error
}

type tickMsg struct{ at time.Time }

// confirmation is a question asked before a supervisor's change.
type confirmation struct {
	question string
	yes      func() tea.Cmd
}

const (
	highlightFor = 3 * time.Second         // a changed row stays marked
	digitsFor    = 1500 * time.Millisecond // the jump buffer is forgotten
	flashFor     = 5 * time.Second
)

// Model is the root model of the HUD.
type Model struct {
	c    Common
	view Viewer
	opts Options
	// frame is the newest frame; ops numbers the view operations sent.
	frame *state.Frame
	ops   uint64

	writer Writer
	// early holds writes asked for before the writer arrived, so no key
	// pressed in the first instant is lost; writerGone ends the wait.
	early      []earlyWrite
	writerGone bool

	mode mode
	pane pane
	// paneFocus: the keys scroll the detail pane instead of moving the
	// selection (tab).
	paneFocus    bool
	help         bool
	helpScroll   scroll
	detailScroll scroll
	detailOf     state.ID    // whose details the detail pane scrolled
	query        state.Query // what the view is asked to show
	quick        int
	filter       lineInput
	msgEdit      lineInput
	number       lineInput
	confirm      confirmation
	queues       queuePane
	parked       parkedPane
	// board shows the queue board; boardSet: the user chose (else it is
	// on for supervisors once the backlogs are known).
	board, boardSet bool

	layout layout
	listH  int // the list's lines on screen, as last told to the view
	// rowCache holds the rows drawn last, to draw again only what changed;
	// rowSpare is the slice of the frame before, to draw the next into.
	rowCache, rowSpare []drawnRow
	// gridLines is renderGrid's scratch for its lines, rowBuf for a row.
	gridLines []string
	rowBuf    bytes.Buffer
	// boardLine is the queue board's line drawn last.
	boardLine cachedLine[boardKey]
	// The header's lines drawn last (header.go), each with what it shows;
	// titleLoading is the loading progress the title was drawn with.
	title        cachedLine[titleKey]
	titleLoading []state.Progress
	counts       cachedLine[countsKey]
	you          cachedLine[youKey]
	viewLn       cachedLine[viewKey]
	// colHead is the column header drawn last.
	colHead cachedLine[colHeadKey]
	// footerLine is the footer drawn last, for the width footerW and keys
	// with the help footerHelp; the keys change with a mode, not a frame.
	// footerScratch gathers the live keys each frame.
	footerLine    string
	footerW       int
	footerHelp    []key.Help
	footerScratch []key.Binding

	// watched are the people the user waits for; alertSeen the last
	// alert told; notify how the terminal shows a notification.
	watched   []state.ID
	alertSeen uint64
	notify    notifier

	digits   string
	digitsAt time.Time
	flash    string
	flashErr bool
	flashAt  time.Time

	loadedAt time.Time
	tickAt   time.Time
	timer    func(time.Duration, func(time.Time) tea.Msg) tea.Cmd // tea.Tick; tests stub it
	quitting bool
	fatal    error
}

// New makes the HUD's model.
func New(o Options) *Model {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.RingAlarm <= 0 {
		o.RingAlarm = 20 * time.Second
	}
	if o.WaitAlarm <= 0 {
		o.WaitAlarm = time.Minute
	}
	if o.HoldAlarm <= 0 {
		o.HoldAlarm = time.Minute
	}
	m := &Model{
		c: Common{
			Styles:   stylesFor(o.Profile, true),
			Keys:     NewKeyMap(o.ReadOnly),
			ReadOnly: o.ReadOnly,
			Now:      o.Now,
		},
		view:         o.View,
		opts:         o,
		frame:        o.View.Latest(),
		timer:        tea.Tick,
		helpScroll:   newScroll(),
		detailScroll: newScroll(),
	}
	if o.Tick != nil {
		m.timer = o.Tick
	}
	m.query = m.frame.Query
	m.alertSeen = lastAlert(m.frame)
	m.onFrame()
	m.updateKeys()
	return m
}

// SetWriter installs the writer directly (tests).
func (m *Model) SetWriter(w Writer) {
	m.writer = w
	m.updateKeys()
}

// Err is why the HUD ended, when it was not the user quitting.
func (m *Model) Err() error { return m.fatal }

// lastAlert is the number of a frame's newest alert.
func lastAlert(f *state.Frame) uint64 {
	if n := len(f.Alerts); n > 0 {
		return f.Alerts[n-1].Seq
	}
	return 0
}

// Init asks the terminal for its background, loads the pins and watches,
// and waits for the writer.
func (m *Model) Init() tea.Cmd {
	cmds := []tea.Cmd{tea.RequestBackgroundColor, m.loadPeople()}
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
		cmds = append(cmds, m.resize())
	case tea.ColorProfileMsg:
		if msg.Profile != m.c.Styles.Profile {
			m.c.Styles = stylesFor(msg.Profile, m.c.Styles.Dark)
		}
	case tea.BackgroundColorMsg:
		if dark := msg.IsDark(); dark != m.c.Styles.Dark {
			m.c.Styles = stylesFor(m.c.Styles.Profile, dark)
		}
	case FrameMsg:
		if msg.Frame != nil && msg.Frame.Seq > m.frame.Seq {
			m.frame = msg.Frame
			m.onFrame()
			cmds = append(cmds, m.onAlerts(), m.resize()) // the strip of my calls comes and goes
		}
	case tea.EnvMsg:
		m.notify = notifierFor(msg)
	case peopleMsg:
		if msg.err != nil {
			m.setFlash("pins and watches not loaded: "+state.Sanitize(msg.err.Error()), true)
			break
		}
		m.query.Pinned, m.watched = msg.pinned, msg.watched
		cmds = append(cmds, m.rearrange(), m.do(state.SetWatched(m.watched)))
	case savedMsg:
		if msg.err != nil {
			m.setFlash("pins and watches not saved: "+state.Sanitize(msg.err.Error()), true)
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
			m.setFlash(msg.what+": "+state.Sanitize(msg.err.Error()), true)
		}
	case callDoneMsg:
		if msg.err != nil {
			m.setFlash(msg.what+": "+state.Sanitize(msg.err.Error()), true)
		}
	case FatalMsg:
		m.fatal = msg.Err
		m.quitting = true
		return m, tea.Quit
	case tea.PasteMsg:
		cmds = append(cmds, m.onPaste(msg.Content))
	case tea.KeyPressMsg:
		if msg.String() == "ctrl+z" {
			return m, tea.Suspend // fg brings the HUD back as it was
		}
		// Esc and a key typed right after it reach us as one alt+key; the
		// HUD binds no alt key (but alt+backspace in an editor), so it is
		// what the user typed: Esc, then the key.
		if msg.Mod.Contains(tea.ModAlt) && !(msg.Code == tea.KeyBackspace && (m.mode == modeFilter || m.mode == modeMessage)) {
			cmds = append(cmds, m.onKey(tea.KeyPressMsg{Code: tea.KeyEscape}))
			msg.Mod &^= tea.ModAlt
		}
		cmds = append(cmds, m.onKey(msg))
		if m.quitting {
			return m, tea.Quit
		}
	}
	m.expire()
	m.updateKeys()
	cmds = append(cmds, m.schedule())
	return m, tea.Batch(cmds...)
}

// onFrame takes in a new frame.
func (m *Model) onFrame() {
	f := m.frame
	if f.Health.Loaded && m.loadedAt.IsZero() {
		m.loadedAt = m.c.Now()
	}
	m.queues.items = f.Me.Queues
	m.queues.move(0)
	if !m.boardSet && m.backlogsKnown() {
		m.board = f.Me.Admin
	}
	if d := f.Detail; d != nil && d.Entry.ID != m.detailOf {
		m.detailOf = d.Entry.ID
		m.detailScroll.top() // someone else's details start at their top
	}
}

// do sends view operations to the view in a command; its answer is the
// frame that shows them.
func (m *Model) do(ops ...state.Op) tea.Cmd {
	m.ops++
	seq, v := m.ops, m.view
	return func() tea.Msg { return FrameMsg{Frame: v.Apply(seq, ops...)} }
}

// geometry is where things go for the current size and panes.
type geometry struct {
	bodyH          int
	gridW, gridH   int // gridH counts the column header
	paneW, paneH   int
	paneBesideGrid bool
}

// geom lays the body out: the side pane beside the grid when the terminal
// is wide, below it when narrow.
func (m *Model) geom() geometry {
	w, h := m.c.Width, m.c.Height
	g := geometry{bodyH: max(0, h-headerHeight-1-m.stripHeight()-m.boardHeight()), gridW: w}
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

// resize fits the columns to the width and tells the view how many lines
// the list has.
func (m *Model) resize() tea.Cmd {
	g := m.geom()
	if m.layout.width != g.gridW || m.layout.inQueue != (m.query.By == state.GroupQueue) {
		m.layout = newLayout(g.gridW, m.query.By == state.GroupQueue)
	}
	if h := max(1, g.gridH-1); h != m.listH {
		m.listH = h
		return m.do(state.Resize(h))
	}
	return nil
}

// rearrange asks the view for what the user now wants shown.
func (m *Model) rearrange() tea.Cmd {
	return tea.Batch(m.do(state.SetQuery(m.query)), m.resize())
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

// changed reports whether a row's entry changed a moment ago (after the
// first load, so a fresh screen is not all marks).
func (m *Model) changed(e *state.Entry, now time.Time) bool {
	return !m.loadedAt.IsZero() && e.Changed.After(m.loadedAt) && now.Sub(e.Changed) < highlightFor
}

// schedule asks for one tick at the next moment something on screen will
// read differently; nothing at all when nothing will. (What changes
// without an event on the mirror's side, a link turning stale, arrives as
// a frame.)
func (m *Model) schedule() tea.Cmd {
	now := m.c.Now()
	var next time.Time
	at := func(t time.Time) {
		if t.After(now) && (next.IsZero() || t.Before(next)) {
			next = t
		}
	}
	second := now.Truncate(time.Second).Add(time.Second)
	for _, l := range m.frame.Visible() {
		if l.Header {
			continue
		}
		if ticks(l.Entry) {
			at(second)
		}
		if m.changed(l.Entry, now) {
			at(l.Entry.Changed.Add(highlightFor))
		}
	}
	if d := m.frame.Detail; m.pane == paneDetail && d != nil && (ticks(d.Entry) || !d.Entry.TelSince.IsZero()) {
		at(second)
	}
	if e := m.frame.Me.Entry; e != nil && len(e.Calls) > 0 {
		at(second)
	}
	if d := m.frame.Desk; d != nil && (len(d.Calls) > 0 || len(d.Others) > 0) {
		at(second)
	}
	if h := m.frame.Health; h.Retry.After(now) || h.WaitUntil.After(now) {
		at(second) // the header counts down
	}
	if last := m.frame.Health.LastEvent; !last.IsZero() {
		if quiet := now.Sub(last); quiet < quietAfter {
			at(last.Add(quietAfter))
		} else {
			at(now.Add(nextSpanChange(quiet)))
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

// inDND reports whether I am (or am about to be) in DND, when queue
// calls cannot be turned on.
func (m *Model) inDND() bool { return m.frame.Me.InDND }

// acceptingQueueCalls is my global queue availability as shown.
func (m *Model) acceptingQueueCalls() bool { return m.frame.Me.QueueCalls }

// digitsFound reports whether the digits typed lead to an extension in
// view (until the view has answered, they are taken to).
func (m *Model) digitsFound() bool {
	j := m.frame.Jump
	return j == nil || j.Prefix != m.digits || j.Found
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
	case modeNumber:
		k.only(&k.Accept, &k.Cancel, &k.Type)
		k.Accept.SetHelp("enter", "transfer")
		k.Cancel.SetHelp("esc", "cancel")
		return
	}
	me := &m.frame.Me
	rows := m.frame.Rows()
	// The writer is here, or on its way (writes wait for it in m.early).
	signed := (m.writer != nil || m.opts.Writer != nil && !m.writerGone) && me.Known()
	var buf [48]*key.Binding // more than all the keys: live stays off the heap
	live := append(buf[:0], &k.Filter, &k.Quick, &k.Sort, &k.Group, &k.Help, &k.Quit)
	if rows {
		live = append(live, &k.Up, &k.Down, &k.PageUp, &k.PageDown, &k.Home, &k.End, &k.Detail, &k.Jump, &k.Pin, &k.Watch)
	}
	if m.digits != "" || m.pane != paneNone || m.query.Text != "" || m.quick != 0 {
		live = append(live, &k.Back)
	}
	if m.pane == paneDetail {
		live = append(live, &k.Focus)
	}
	if m.backlogsKnown() {
		live = append(live, &k.Board)
	}
	if m.frame.Desk != nil && (m.callKeysLive() || len(m.frame.Desk.Parked) > 0 || m.frame.Desk.BacklogWhy != "") || m.pane == paneParked {
		live = append(live, &k.Parked)
	}
	if signed {
		live = append(live, &k.Available, &k.Busy, &k.Invisible, &k.DND, &k.Message)
		if !m.inDND() {
			live = append(live, &k.QueueCalls)
		}
	}
	if me.Entry != nil && len(me.Entry.Queues) > 0 || m.pane == paneQueues {
		live = append(live, &k.Queues)
	}
	if signed && m.toggleTarget() != "" {
		live = append(live, &k.Toggle)
	}
	live = m.callKeys(live)
	k.only(live...)
	if m.pane == paneDetail {
		k.Detail.SetHelp("enter", "hide details")
	} else {
		k.Detail.SetHelp("enter", "details")
	}
	if m.paneFocus {
		k.Focus.SetHelp("tab", "back to the list")
		k.Up.SetHelp("↑/k", "scroll up")
		k.Down.SetHelp("↓/j", "scroll down")
		k.Back.SetHelp("esc", "back to the list")
	} else {
		k.Focus.SetHelp("tab", "scroll details")
		k.Up.SetHelp("↑/k", "up")
		k.Down.SetHelp("↓/j", "down")
	}
	if m.pane == paneQueues {
		k.Queues.SetHelp("p", "close my queues")
		k.Back.SetHelp("esc", "close my queues")
	} else {
		k.Queues.SetHelp("p", "my queues")
		k.Back.SetHelp("esc", "back")
	}
	k.Parked.SetHelp("P", map[bool]string{true: "close parked calls", false: "parked calls"}[m.pane == paneParked])
	k.Board.SetHelp("Q", map[bool]string{true: "hide the queue board", false: "queue board"}[m.board])
	k.Accept.SetHelp("enter", "done")
	k.QueueCalls.SetHelp("c", map[bool]string{true: "stop queue calls", false: "accept queue calls"}[m.acceptingQueueCalls()])
	if l, ok := m.frame.Selected(); ok {
		k.Pin.SetHelp("*", map[bool]string{true: "unpin", false: "pin to the top"}[slices.Contains(m.query.Pinned, l.Entry.ID)])
		k.Watch.SetHelp("w", map[bool]string{true: "stop waiting", false: "tell me when free"}[slices.Contains(m.watched, l.Entry.ID)])
	}
	if t := m.toggleTarget(); t != "" {
		k.Toggle.SetHelp("space", t)
	}
}

// toggleTarget says what space would toggle now, or "" when nothing: my
// availability in the queue under the cursor of my queues, or (for a
// supervisor) the selected member's in the queue whose group it is in.
func (m *Model) toggleTarget() string {
	if m.pane == paneQueues {
		q, ok := m.queues.selected()
		if ok && lockReason(q, m.frame.Me.Admin, m.c.ReadOnly) == "" {
			return "toggle this queue"
		}
		return ""
	}
	if !m.frame.Me.Admin || m.frame.Query.By != state.GroupQueue {
		return ""
	}
	if l, ok := m.frame.Selected(); ok && l.Group.Key != "" {
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
		switch {
		case key.Matches(msg, k.Up):
			m.helpScroll.by(-1)
		case key.Matches(msg, k.Down):
			m.helpScroll.by(1)
		case key.Matches(msg, k.PageUp):
			m.helpScroll.page(-1)
		case key.Matches(msg, k.PageDown):
			m.helpScroll.page(1)
		case key.Matches(msg, k.Home):
			m.helpScroll.top()
		case key.Matches(msg, k.End):
			m.helpScroll.bottom()
		default:
			m.help = false // any other key closes help
		}
		return nil
	}
	switch m.mode {
	case modeFilter:
		return m.keyFilter(msg)
	case modeMessage:
		return m.keyMessage(msg)
	case modeSort:
		return m.keySort(msg)
	case modeNumber:
		return m.keyNumber(msg)
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
	if m.pane == paneDetail && m.paneFocus {
		switch {
		case key.Matches(msg, k.Up):
			m.detailScroll.by(-1)
			return nil
		case key.Matches(msg, k.Down):
			m.detailScroll.by(1)
			return nil
		case key.Matches(msg, k.PageUp):
			m.detailScroll.page(-1)
			return nil
		case key.Matches(msg, k.PageDown):
			m.detailScroll.page(1)
			return nil
		case key.Matches(msg, k.Home):
			m.detailScroll.top()
			return nil
		case key.Matches(msg, k.End):
			m.detailScroll.bottom()
			return nil
		case key.Matches(msg, k.Focus), key.Matches(msg, k.Back):
			m.paneFocus = false
			return nil
		}
	}
	if m.pane == paneParked {
		n := 0
		if d := m.frame.Desk; d != nil {
			n = len(d.Parked)
		}
		switch {
		case key.Matches(msg, k.Up):
			m.parked.move(-1, n)
			return nil
		case key.Matches(msg, k.Down):
			m.parked.move(1, n)
			return nil
		}
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
	if cmd, ok := m.onCallKey(msg); ok {
		return cmd
	}
	switch {
	case key.Matches(msg, k.Quit):
		m.quitting = true
	case key.Matches(msg, k.Help):
		m.help = true
		m.helpScroll.top()
	case key.Matches(msg, k.Focus):
		m.paneFocus = m.pane == paneDetail
	case key.Matches(msg, k.Up):
		return m.do(state.MoveBy(-1))
	case key.Matches(msg, k.Down):
		return m.do(state.MoveBy(1))
	case key.Matches(msg, k.PageUp):
		return m.do(state.PageBy(-1))
	case key.Matches(msg, k.PageDown):
		return m.do(state.PageBy(1))
	case key.Matches(msg, k.Home):
		return m.do(state.First())
	case key.Matches(msg, k.End):
		return m.do(state.Last())
	case key.Matches(msg, k.Detail):
		return m.togglePane(paneDetail)
	case key.Matches(msg, k.Queues):
		return m.togglePane(paneQueues)
	case key.Matches(msg, k.Parked):
		return m.togglePane(paneParked)
	case key.Matches(msg, k.Board):
		m.board, m.boardSet = !m.board, true
		return m.resize()
	case key.Matches(msg, k.Filter):
		m.mode = modeFilter
		m.filter = newInput(m.query.Text, 0)
	case key.Matches(msg, k.Quick):
		m.quick = (m.quick + 1) % len(quickFilters)
		m.query.States, m.query.Stale = quickFilters[m.quick].states, quickFilters[m.quick].stale
		return m.rearrange()
	case key.Matches(msg, k.Sort):
		m.mode = modeSort
	case key.Matches(msg, k.Group):
		m.query.By = (m.query.By + 1) % (state.GroupDepartment + 1)
		return m.rearrange()
	case key.Matches(msg, k.Jump):
		m.digits += msg.String()
		m.digitsAt = m.c.Now()
		return m.do(state.JumpTo(m.digits))
	case key.Matches(msg, k.Back):
		return m.back()
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
		msg := ""
		if e := m.frame.Me.Entry; e != nil {
			msg = e.Message
		}
		if w := m.frame.Me.MessageWrite; w != nil && w.Pending() {
			msg = w.Message
		}
		m.msgEdit = newInput(msg, state.MaxMessage)
	case key.Matches(msg, k.QueueCalls):
		accept := !m.acceptingQueueCalls()
		return m.send("queue calls", func(w Writer) error { return w.SetAcceptQueueCalls(accept) })
	case key.Matches(msg, k.Toggle):
		m.askToggleMember()
	case key.Matches(msg, k.Pin):
		return m.togglePin()
	case key.Matches(msg, k.Watch):
		return m.toggleWatch()
	}
	return nil
}

func (m *Model) togglePane(p pane) tea.Cmd {
	m.paneFocus = false
	if m.pane == p {
		m.pane = paneNone
	} else {
		m.pane = p
		m.queues.sel = 0
	}
	return tea.Batch(m.do(state.ShowDetail(m.pane == paneDetail)), m.resize())
}

// back backs out of one thing: the jump buffer, a pane, the text filter,
// the quick filter.
func (m *Model) back() tea.Cmd {
	switch {
	case m.digits != "":
		m.digits = ""
		return m.do(state.JumpTo(""))
	case m.pane != paneNone:
		return m.togglePane(m.pane)
	case m.query.Text != "":
		m.query.Text = ""
		return m.rearrange()
	case m.quick != 0:
		m.quick = 0
		m.query.States, m.query.Stale = nil, false
		return m.rearrange()
	}
	return nil
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
		return m.rearrange()
	case key.Matches(msg, k.Up):
		if msg.String() == "up" {
			return m.do(state.MoveBy(-1))
		}
	case key.Matches(msg, k.Down):
		if msg.String() == "down" {
			return m.do(state.MoveBy(1))
		}
	}
	if m.filter.handle(msg) && m.filter.Value() != m.query.Text {
		m.query.Text = m.filter.Value()
		return m.rearrange()
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
	return m.rearrange()
}

func (m *Model) onPaste(s string) tea.Cmd {
	switch m.mode {
	case modeFilter:
		m.filter.insert(s)
		if m.filter.Value() != m.query.Text {
			m.query.Text = m.filter.Value()
			return m.rearrange()
		}
	case modeMessage:
		m.msgEdit.insert(s) // the counter shows when the limit cut it
	case modeNumber:
		m.number.insert(s)
	}
	return nil
}

// earlyWrite is a write asked for before the writer arrived.
type earlyWrite struct {
	what string
	f    func(Writer) error
}

// send runs a write in a Cmd; the frames show it pending from then on.
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

func (m *Model) setStatus(s state.Status) tea.Cmd {
	return m.send("status", func(w Writer) error { return w.SetStatus(s) })
}

// toggleMyQueue flips my availability in the queue under the cursor; a
// supervisor changes a locked queue as a supervisor.
func (m *Model) toggleMyQueue() tea.Cmd {
	q, ok := m.queues.selected()
	if !ok {
		return nil
	}
	if why := lockReason(q, m.frame.Me.Admin, m.c.ReadOnly); why != "" {
		m.setFlash(q.Name+": "+why, true)
		return nil
	}
	accept, _ := q.Shown()
	me := m.frame.Me.ID
	if !q.Editable {
		return m.send("queue", func(w Writer) error { return w.SetMember(q.ID, me, !accept) })
	}
	return m.send("queue", func(w Writer) error { return w.SetMyQueue(q.ID, !accept) })
}

// askToggleMember asks a supervisor to confirm changing the selected
// member's availability in the queue of its group.
func (m *Model) askToggleMember() {
	l, ok := m.frame.Selected()
	if !ok || l.Group.Key == "" {
		return
	}
	e, q := l.Entry, l.Group
	accept, known := l.InQueue.Shown()
	if !known {
		m.setFlash("availability of "+e.Name+" in "+q.Title+" is not known yet", true)
		return
	}
	to := map[bool]string{true: "available", false: "unavailable"}[!accept]
	qid, id := q.Key, e.ID
	m.confirm = confirmation{
		question: fmt.Sprintf("Make %s %s in %s?", e.Name, to, q.Title),
		yes: func() tea.Cmd {
			return m.send("member", func(w Writer) error { return w.SetMember(qid, id, !accept) })
		},
	}
	m.mode = modeConfirm
}
