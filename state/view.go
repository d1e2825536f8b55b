package state

import (
	"slices"
	"sort"
	"strings"
	"sync"
	"time"
)

// View is one viewer's live view of the mirror: their query (filter, sort,
// grouping), the selection (kept by extension and group, never by row
// index, so a re-sort never moves the cursor to another person), the
// scroll window, and whose "me" it is. The mirror keeps it up to date as
// changes arrive and publishes a Frame whenever what the viewer sees
// changes. A View is safe for concurrent use.
type View struct {
	m  *Mirror
	ix *index

	me     ID     // whose view ("" : the signed-in user)
	device string // the viewer's phone, when not the signed-in user's
	height int
	margin int
	detail bool

	sel    int  // selected line, -1 when there are no rows
	moved  bool // the viewer has moved the selection
	selID  ID
	selKey string // the selection's group key
	top    int
	jump   *Jump

	// watched are the people the viewer waits for, each as last seen;
	// alerts the latest news of them (newest last).
	watched  map[ID]*Entry
	alerts   []Alert
	alertSeq uint64

	// Operations arrive from Bubble Tea commands, which run in any order:
	// they are numbered, held until their turn, and applied in order.
	applied uint64
	held    map[uint64][]Op

	seq    uint64
	last   *Frame
	out    chan *Frame
	closed bool

	// Scratch of build, written only by whoever builds (under the write
	// lock, or the read lock and pullMu): the window as built, and the
	// groups' headings of the last build and of this one.
	window                 []Line
	headings, headingsNext map[*igroup]*Heading

	// A pulled view (ViewOptions.Pull) builds its frame when its viewer
	// asks (Pull), not at every publish: due says something may have
	// changed since, ready tells the viewer so.
	pull   bool
	due    bool
	ready  chan struct{}
	pulled uint64     // the last frame Pull handed out
	pullMu sync.Mutex // one Pull at a time (they hold only the read lock)
}

// ViewOptions configure a new view.
type ViewOptions struct {
	Query  Query
	Height int
	// Me is whose view it is ("": the signed-in user).
	Me ID
	// Pull: the viewer takes frames at its own pace with Ready and Pull
	// instead of Frames. The mirror publishes up to 125 times a second;
	// a hub's viewer draws far fewer (rchud serve paces each one), and a
	// frame built for every publish was most of the hub's work in state.
	Pull bool
}

// NewView makes a view of the mirror; Close it when done.
func (m *Mirror) NewView(o ViewOptions) *View {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.publishLocked() // the new view starts from the mirror as it is now
	v := &View{m: m, me: o.Me, height: max(1, o.Height), sel: -1, held: map[uint64][]Op{}, out: make(chan *Frame, 1),
		headings: map[*igroup]*Heading{}, headingsNext: map[*igroup]*Heading{},
		pull: o.Pull, ready: make(chan struct{}, 1)}
	v.ix = m.acquireIndex(o.Query)
	m.views[v] = struct{}{}
	v.relocate()
	v.publishLocked(true)
	m.load.nudge()
	return v
}

// Close releases the view.
// SetDevice names the phone this view's viewer answers on (a hub's
// viewer: the mirror's is the signed-in user's).
func (v *View) SetDevice(label string) {
	v.m.mu.Lock()
	defer v.m.mu.Unlock()
	v.device = Sanitize(label)
	v.publishLocked(true)
}

func (v *View) Close() {
	v.m.mu.Lock()
	defer v.m.mu.Unlock()
	if v.closed {
		return
	}
	v.closed = true
	delete(v.m.views, v)
	v.m.releaseIndex(v.ix)
}

// Frames delivers the newest frame whenever what the view shows changes;
// a frame not yet taken is replaced by a newer one, never queued behind
// it.
func (v *View) Frames() <-chan *Frame { return v.out }

// Ready is signalled when a pulled view may have a new frame to Pull.
func (v *View) Ready() <-chan struct{} { return v.ready }

// Pull builds a pulled view's frame from the mirror as it is now when
// anything was published since the last, and returns the newest frame
// when Pull has not handed it out yet (else nil: nothing new to show).
//
// Pulls of different views build their frames side by side under the
// mirror's read lock (a hub's 200 viewers queued behind one another's
// builds on its one mutex: 89% of its lock waiting); a build only reads
// the mirror, and the view's own fields are written by its one puller
// (pullMu) or under the write lock.
func (v *View) Pull() *Frame {
	v.pullMu.Lock()
	defer v.pullMu.Unlock()
	v.m.mu.RLock()
	defer v.m.mu.RUnlock()
	if v.closed {
		return nil
	}
	if v.due {
		v.due = false
		v.buildShared()
	}
	if v.last == nil || v.last.Seq <= v.pulled {
		return nil
	}
	v.pulled = v.last.Seq
	return v.last
}

// Latest returns the newest frame.
func (v *View) Latest() *Frame {
	v.m.mu.Lock()
	defer v.m.mu.Unlock()
	return v.last
}

// Op is one change a viewer asks of their view.
type Op struct{ apply func(v *View) }

// MoveBy moves the selection by n rows, skipping group headers.
func MoveBy(n int) Op { return Op{func(v *View) { v.move(n) }} }

// PageBy moves the selection by n screens.
func PageBy(n int) Op { return Op{func(v *View) { v.move(n * v.height) }} }

// First selects the first row.
func First() Op { return Op{func(v *View) { v.selectLine(v.headerLines()) }} }

// Last selects the last row.
func Last() Op { return Op{func(v *View) { v.selectLine(v.layout().lines - 1) }} }

// SetQuery changes what the view shows and how, and opens the new order
// with its context (the selection's group header in view).
func SetQuery(q Query) Op {
	return Op{func(v *View) {
		if queryKey(q) == queryKey(v.ix.q) {
			return
		}
		old := v.ix
		v.ix = v.m.acquireIndex(q)
		v.m.releaseIndex(old)
		v.relocate()
		v.reveal()
	}}
}

// Resize sets how many lines the list has on screen.
func Resize(height int) Op {
	return Op{func(v *View) {
		v.height = max(1, height)
		v.clamp()
	}}
}

// ShowDetail asks for the selected extension's details in every frame.
func ShowDetail(on bool) Op { return Op{func(v *View) { v.detail = on }} }

// SetWatched sets the people the viewer waits for: when one becomes
// available, or their call ends, the frames carry an Alert.
func SetWatched(ids []ID) Op {
	return Op{func(v *View) {
		old := v.watched
		v.watched = make(map[ID]*Entry, len(ids))
		for _, id := range ids {
			v.watched[id] = old[id]
			if v.watched[id] == nil {
				v.watched[id] = v.m.store.entry(id)
			}
		}
	}}
}

// SetMe makes the view someone's own ("": the signed-in user's).
func SetMe(id ID) Op { return Op{func(v *View) { v.me = id }} }

// JumpTo selects the extension whose number is prefix, else the lowest
// number that starts with it; the frame's Jump says whether one was found.
// An empty prefix forgets the last jump.
func JumpTo(prefix string) Op {
	return Op{func(v *View) {
		if prefix == "" {
			v.jump = nil
			return
		}
		line := v.findNumber(prefix)
		v.jump = &Jump{Prefix: prefix, Found: line >= 0}
		if line >= 0 {
			v.selectLine(line)
		}
	}}
}

// Apply applies ops as operation number seq (1, 2, 3...) once every
// earlier operation has been applied (0: apply now, unordered), and
// returns the newest frame.
func (v *View) Apply(seq uint64, ops ...Op) *Frame {
	v.m.mu.Lock()
	defer v.m.mu.Unlock()
	if v.closed {
		return v.last
	}
	// The ops act on the mirror as it is now: bring every view up to date
	// first, so this frame is one consistent version.
	v.m.publishLocked()
	switch {
	case seq == 0:
		for _, op := range ops {
			op.apply(v)
		}
	case seq > v.applied:
		v.held[seq] = ops
		for {
			next, ok := v.held[v.applied+1]
			if !ok {
				break
			}
			delete(v.held, v.applied+1)
			v.applied++
			for _, op := range next {
				op.apply(v)
			}
		}
	}
	v.publishLocked(true)
	v.m.load.nudge() // what is on screen, or wanted, may be others now
	return v.last
}

// layout is where each visible group starts in the list.
type layout struct {
	groups  []*igroup
	starts  []int
	lines   int
	grouped bool
}

func (v *View) headerLines() int {
	if v.ix.q.By != GroupNone {
		return 1
	}
	return 0
}

func (v *View) layout() layout {
	lay := layout{groups: v.ix.visible(), grouped: v.ix.q.By != GroupNone}
	hdr := v.headerLines()
	lay.starts = make([]int, len(lay.groups))
	for i, g := range lay.groups {
		lay.starts[i] = lay.lines
		lay.lines += hdr + g.list.len()
	}
	return lay
}

// at maps a line to its group and its row in the group (-1: the header).
func (lay *layout) at(line int) (gi, row int) {
	gi = sort.Search(len(lay.starts), func(i int) bool { return lay.starts[i] > line }) - 1
	hdr := 0
	if lay.grouped {
		hdr = 1
	}
	return gi, line - lay.starts[gi] - hdr
}

func (lay *layout) lineOf(gi, row int) int {
	if lay.grouped {
		return lay.starts[gi] + 1 + row
	}
	return lay.starts[gi] + row
}

func (lay *layout) rows() int {
	if lay.grouped {
		return lay.lines - len(lay.groups)
	}
	return lay.lines
}

// relocate finds the selected person again after the list changed (in the
// same group if still there), keeping them at the same place on screen
// when possible.
func (v *View) relocate() {
	offset := v.sel - v.top
	old := v.sel
	lay := v.layout()
	if lay.rows() == 0 {
		v.sel, v.top = -1, 0
		return
	}
	if h := &v.m.link.h; !v.moved && !h.ScreenLoaded && !h.Loaded {
		// The directory is still coming in, its pages in any order, and
		// no one has moved: the list opens at its top, not at whoever
		// came first.
		v.sel, v.top = v.rowNear(&lay, 0), 0
		v.remember(&lay)
		v.clampIn(&lay)
		return
	}
	v.sel = v.find(&lay, old)
	v.top = v.sel - max(0, offset)
	v.remember(&lay)
	v.clampIn(&lay)
}

// find returns the line of the selected id in its group, else of the id
// in any group, else the row nearest the old line.
func (v *View) find(lay *layout, old int) int {
	if i, ok := v.m.store.index[v.selID]; v.selID != "" && ok && i < len(v.ix.was) && v.ix.was[i] != nil {
		any := -1
		for gi, g := range lay.groups {
			if r := g.list.rank(int32(i), v.ix.cmp); r >= 0 {
				if g.key == v.selKey {
					return lay.lineOf(gi, r)
				}
				if any < 0 {
					any = lay.lineOf(gi, r)
				}
			}
		}
		if any >= 0 {
			return any
		}
	}
	return v.rowNear(lay, max(0, old))
}

// rowNear is the row line at or after l (else before it).
func (v *View) rowNear(lay *layout, l int) int {
	l = min(max(0, l), lay.lines-1)
	if _, row := lay.at(l); row < 0 {
		if l+1 < lay.lines {
			return l + 1
		}
		return l - 1
	}
	return l
}

func (v *View) remember(lay *layout) {
	if v.sel < 0 {
		return
	}
	gi, row := lay.at(v.sel)
	g := lay.groups[gi]
	v.selID, v.selKey = v.m.store.entries[g.list.at(row)].ID, g.key
}

func (v *View) clamp() {
	lay := v.layout()
	v.clampIn(&lay)
}

// sticky reports whether the window starting at line top opens under
// the sticky header of its first row's group (grouped, and top is a row).
func (v *View) sticky(lay *layout, top int) bool {
	if !lay.grouped || v.height < 2 || top < 0 || top >= lay.lines {
		return false
	}
	_, row := lay.at(top)
	return row >= 0
}

// shown is how many lines of the list the window starting at top shows:
// one fewer under a sticky header.
func (v *View) shown(lay *layout, top int) int {
	if v.sticky(lay, top) {
		return v.height - 1
	}
	return v.height
}

// clampIn keeps the window inside the list and the selection inside the
// window, with a group's header above its first row.
func (v *View) clampIn(lay *layout) {
	if v.sel >= 0 {
		if v.sel < v.top {
			v.top = v.sel
		}
		for v.top < v.sel && v.sel >= v.top+v.shown(lay, v.top) {
			v.top++
		}
		if _, row := lay.at(v.sel); lay.grouped && v.top == v.sel && row == 0 && v.height > 1 {
			v.top--
		}
	}
	// The window never opens past the end: the last top is the first
	// from which the list's end shows.
	last := max(0, lay.lines-v.height)
	if last+v.shown(lay, last) < lay.lines {
		last++
	}
	v.top = max(0, min(v.top, last))
}

// reveal starts the window at a group header, so a new grouping or order
// opens with its context: the header of the top row's group when the
// selection still shows, else the selection's own.
func (v *View) reveal() {
	lay := v.layout()
	if v.sel < 0 || !lay.grouped || lay.lines <= v.height {
		return
	}
	topG, _ := lay.at(v.top)
	selG, _ := lay.at(v.sel)
	for _, header := range []int{lay.starts[topG], lay.starts[selG]} {
		if header <= v.top && v.sel-header < v.height {
			v.top = header
			return
		}
	}
	v.top = lay.starts[selG] + 1 // the header is too far: start under it
	v.clampIn(&lay)
}

// move moves the selection by n rows, skipping group headers.
func (v *View) move(n int) {
	if v.sel < 0 {
		return
	}
	lay := v.layout()
	step := 1
	if n < 0 {
		step, n = -1, -n
	}
	l := v.sel
	for range n {
		next := l + step
		if next >= 0 && next < lay.lines {
			if _, row := lay.at(next); row < 0 {
				next += step
			}
		}
		if next < 0 || next >= lay.lines {
			break
		}
		l = next
	}
	v.selectIn(&lay, l)
}

func (v *View) selectLine(l int) {
	lay := v.layout()
	v.selectIn(&lay, l)
}

func (v *View) selectIn(lay *layout, l int) {
	if lay.rows() == 0 {
		return
	}
	v.moved = true
	v.sel = v.rowNear(lay, l)
	v.remember(lay)
	v.clampIn(lay)
}

// findNumber is the line of the extension whose number is prefix, else of
// the lowest number that starts with it (-1: none).
func (v *View) findNumber(prefix string) int {
	lay := v.layout()
	best, bestNum := -1, ""
	for gi, g := range lay.groups {
		g.list.each(0, g.list.len(), func(pos int, x int32) {
			num := v.m.store.entries[x].Number
			if !strings.HasPrefix(num, prefix) {
				return
			}
			switch {
			case best >= 0 && bestNum == prefix:
			case num == prefix, best < 0, compareNumbers(num, bestNum) < 0:
				best, bestNum = lay.lineOf(gi, pos), num
			}
		})
	}
	return best
}

// meID is whose view this is.
func (v *View) meID() ID {
	if v.me != "" {
		return v.me
	}
	return v.m.store.me
}

// lastEventEvery is how stale a frame's Health.LastEvent may get while
// nothing else on screen changes.
const lastEventEvery = 10 * time.Second

// maxAlerts is how many alerts a frame carries: a viewer who missed a few
// frames still sees each.
const maxAlerts = 8

// watch raises an alert for each watched person who became available or
// whose call ended since the last look.
func (v *View) watch() {
	ids := make([]ID, 0, len(v.watched))
	for id := range v.watched {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		was := v.watched[id]
		now := v.m.store.entry(id)
		if now == nil || now == was {
			continue
		}
		v.watched[id] = now
		if was == nil || !was.Known || !now.Known {
			continue
		}
		what := ""
		switch {
		case now.Availability == Available && was.Availability != Available:
			what = "is available"
		case len(now.Calls) == 0 && len(was.Calls) > 0:
			what = "finished their call"
		}
		if what == "" {
			continue
		}
		v.alertSeq++
		v.alerts = append(v.alerts, Alert{Seq: v.alertSeq, ID: id, Name: now.Name, Number: now.Number, What: what,
			At: v.m.now(), Available: now.Availability == Available})
		if len(v.alerts) > maxAlerts {
			v.alerts = v.alerts[len(v.alerts)-maxAlerts:]
		}
	}
}

// publishLocked builds the view's frame and publishes it when it differs
// from the last one (always when force).
// A pulled view builds it only when forced (the viewer's own change, whose
// frame Apply returns); else it is due, for the viewer to Pull. Either
// way its viewer is told.
func (v *View) publishLocked(force bool) {
	v.watch()
	if v.pull {
		if force {
			v.buildLocked(true)
		} else {
			v.due = true
		}
		select {
		case v.ready <- struct{}{}:
		default:
		}
		return
	}
	if v.buildLocked(force) {
		select {
		case <-v.out:
		default:
		}
		v.out <- v.last
	}
}

// buildLocked builds the view's frame and makes it the last one when it
// differs from it (always when force), and reports whether it did.
func (v *View) buildLocked(force bool) bool {
	return v.keep(v.build(v.m.callsShown), force)
}

// buildShared is buildLocked(false) under the read lock: it reads the
// desk's view of the calls as the publisher last built it.
func (v *View) buildShared() bool {
	return v.keep(v.build(func(time.Time) *callsView { return v.m.callsRead() }), false)
}

// keep makes f the last frame when it differs from it (always when
// force), and reports whether it did.
func (v *View) keep(f *Frame, force bool) bool {
	if !force && v.last != nil && f.same(v.last) &&
		(f.Health.LastEvent.Equal(v.last.Health.LastEvent) || f.At.Sub(v.last.At) < lastEventEvery) {
		return false
	}
	v.seq++
	f.Seq, f.Ops = v.seq, v.applied
	v.last = f
	return true
}

// build makes the view's frame from the mirror as it is (lock held; the
// read lock will do: it writes nothing but what calls does).
func (v *View) build(calls func(time.Time) *callsView) *Frame {
	m := v.m
	s := &m.store
	now := m.now()
	reloading := m.jn.reloading
	me := v.meID()
	lay := v.layout()
	f := &Frame{
		At: now, Health: m.healthLocked(now), Company: m.company, Directory: len(s.entries), Counts: s.counts,
		Query: v.ix.q, Shown: v.ix.shown, Lines: lay.lines, Top: v.top, Height: v.height, Sel: v.sel,
		Jump: v.jump, Next: m.nextChange(now),
	}
	f.Query.States, f.Query.Pinned = slices.Clone(f.Query.States), slices.Clone(f.Query.Pinned)
	f.Alerts = slices.Clone(v.alerts)
	for id := range v.watched {
		f.Watched = append(f.Watched, id)
	}
	slices.Sort(f.Watched)
	f.Me = m.meLocked(me, now)
	f.Desk = m.desk.desk(me, f.Me.Entry, calls(now))
	if v.device != "" {
		f.Desk.Device = v.device
	}
	margin := max(4, v.height/2)
	from, to := max(0, v.top-margin), min(lay.lines, v.top+v.height+margin)
	f.First = from
	// The window is built in the view's scratch (win, never published),
	// then shared with the last frame when it is the same, else copied:
	// under load most changes are off screen.
	win := v.window[:0]
	// A group's heading is the last build's when it reads the same: a
	// Heading is never changed once built, so frames may share it.
	prev, headings := v.headings, v.headingsNext
	clear(headings)
	heading := func(g *igroup) *Heading {
		h := headings[g]
		if h == nil {
			key := ID(g.key)
			if g.key == restKey {
				key = ""
			}
			hv := Heading{Key: key, Title: g.title, Rows: g.list.len(), Counts: g.counts,
				Queue: v.ix.q.By == GroupQueue && key != "", CanTake: g.canTake}
			if h = prev[g]; h == nil || *h != hv {
				h = &hv
			}
			headings[g] = h
		}
		return h
	}
	byQueue := v.ix.q.By == GroupQueue
	for line := from; line < to; {
		gi, row := lay.at(line)
		g := lay.groups[gi]
		if row < 0 {
			win = append(win, Line{Group: heading(g), Header: true})
			line++
			continue
		}
		n := min(to-line, g.list.len()-row)
		g.list.each(row, row+n, func(_ int, x int32) {
			e := s.entries[x]
			l := Line{Group: heading(g), Entry: e, Stale: m.link.stale(e, now, reloading), Me: e.ID == me}
			if byQueue && g.key != restKey {
				l.InQueue = m.queueCell(ID(g.key), e.ID, me, now)
			}
			win = append(win, l)
		})
		line += n
	}
	v.window = win
	f.Window = v.windowFor(from)
	if v.sticky(&lay, v.top) {
		gi, _ := lay.at(v.top)
		f.Sticky = heading(lay.groups[gi])
	}
	if v.detail && v.sel >= 0 {
		gi, row := lay.at(v.sel)
		g := lay.groups[gi]
		e := s.entries[g.list.at(row)]
		f.Detail = &Detail{Entry: e, Group: heading(g), Stale: m.link.stale(e, now, reloading), Me: e.ID == me,
			Queues: m.queuesOf(e, me, now)}
	}
	v.headings, v.headingsNext = headings, prev
	return f
}

// windowFor is the window just built in v.window, from line first, as a
// frame holds it: the last frame's own when every line is the same
// (frames are never changed once built, so they may share it), else a
// copy; v.window itself never leaves the view.
func (v *View) windowFor(first int) []Line {
	w := v.window
	if len(w) == 0 {
		return nil
	}
	if l := v.last; l != nil && l.First == first && len(l.Window) == len(w) {
		same := true
		for i := range w {
			if !w[i].same(&l.Window[i]) {
				same = false
				break
			}
		}
		if same {
			return l.Window
		}
	}
	return slices.Clone(w)
}

// same reports whether two frames show the same thing (their sequence
// numbers aside).
func (f *Frame) same(g *Frame) bool {
	// LastEvent is left out: it changes with every event, and the header
	// tells only long silences (publishLocked refreshes it now and then).
	if f.Health.Conn != g.Health.Conn || f.Health.Err != g.Health.Err || f.Health.Resync != g.Health.Resync ||
		f.Health.Problem != g.Health.Problem || f.Health.Wait != g.Health.Wait || !f.Health.WaitUntil.Equal(g.Health.WaitUntil) ||
		!f.Health.Retry.Equal(g.Health.Retry) ||
		f.Health.Loaded != g.Health.Loaded || f.Health.ScreenLoaded != g.Health.ScreenLoaded ||
		!slices.Equal(f.Health.Loading, g.Health.Loading) ||
		!f.Health.Down.Equal(g.Health.Down) || !slices.Equal(f.Health.Disabled, g.Health.Disabled) {
		return false
	}
	if f.Directory != g.Directory || f.Company != g.Company || f.Counts != g.Counts || f.Shown != g.Shown || f.Lines != g.Lines ||
		f.Top != g.Top || f.Height != g.Height || f.Sel != g.Sel || f.First != g.First ||
		!f.Next.Equal(g.Next) || !sameJump(f.Jump, g.Jump) || !sameQuery(f.Query, g.Query) {
		return false
	}
	if !f.Me.same(&g.Me) || f.Desk.Version != g.Desk.Version || f.Desk.CallsVersion != g.Desk.CallsVersion || f.Desk.Device != g.Desk.Device || len(f.Window) != len(g.Window) || (f.Detail == nil) != (g.Detail == nil) {
		return false
	}
	for i := range f.Window {
		if !f.Window[i].same(&g.Window[i]) {
			return false
		}
	}
	if f.Detail != nil && !f.Detail.same(g.Detail) {
		return false
	}
	if (f.Sticky == nil) != (g.Sticky == nil) || f.Sticky != nil && *f.Sticky != *g.Sticky {
		return false
	}
	if len(f.Alerts) != len(g.Alerts) || len(f.Alerts) > 0 && f.Alerts[len(f.Alerts)-1].Seq != g.Alerts[len(g.Alerts)-1].Seq ||
		!slices.Equal(f.Watched, g.Watched) {
		return false
	}
	return true
}

func sameQuery(a, b Query) bool {
	return a.Text == b.Text && slices.Equal(a.States, b.States) && a.All == b.All && a.Stale == b.Stale &&
		a.Sort == b.Sort && a.Desc == b.Desc && a.By == b.By && slices.Equal(a.Pinned, b.Pinned)
}

func sameJump(a, b *Jump) bool {
	return a == b || a != nil && b != nil && *a == *b
}

func sameWrite(a, b *Write) bool {
	return a == b || a != nil && b != nil && *a == *b
}

func (c QueueCell) same(o QueueCell) bool {
	return c.Known == o.Known && c.Accept == o.Accept && sameWrite(c.Write, o.Write)
}

func (l *Line) same(o *Line) bool {
	return l.Header == o.Header && l.Entry == o.Entry && l.Stale == o.Stale && l.Me == o.Me &&
		l.InQueue.same(o.InQueue) && (l.Group == o.Group || *l.Group == *o.Group)
}

func (m *Me) same(o *Me) bool {
	if m.ID != o.ID || m.Admin != o.Admin || m.Entry != o.Entry || m.Status != o.Status || m.InDND != o.InDND ||
		m.QueueCalls != o.QueueCalls || !sameWrite(m.StatusWrite, o.StatusWrite) ||
		!sameWrite(m.MessageWrite, o.MessageWrite) || !sameWrite(m.QueueCallsWrite, o.QueueCallsWrite) {
		return false
	}
	return slices.EqualFunc(m.Queues, o.Queues, func(a, b MyQueue) bool {
		return a.ID == b.ID && a.Name == b.Name && a.Number == b.Number && a.Editable == b.Editable && a.QueueCell.same(b.QueueCell)
	})
}

func (d *Detail) same(o *Detail) bool {
	return d.Entry == o.Entry && d.Stale == o.Stale && d.Me == o.Me && *d.Group == *o.Group &&
		slices.EqualFunc(d.Queues, o.Queues, func(a, b MyQueue) bool {
			return a.ID == b.ID && a.Name == b.Name && a.Editable == b.Editable && a.QueueCell.same(b.QueueCell)
		})
}
