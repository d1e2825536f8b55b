package state

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/rchud/rchud/rc"
)

// Mirror is the live mirror: the store of extensions and presence, the
// link's health, the resync journal, the pending writes, and the viewers'
// live views, under one lock so that every frame is one consistent
// version. Changes are applied as they arrive and marked dirty; Publish
// (run by Run) brings every view up to date with what changed and hands
// each viewer a new frame when what they see changed. All methods are
// safe for concurrent use.
type Mirror struct {
	mu  sync.RWMutex // read-locked only by a pulled view's frame build (View.Pull)
	now func() time.Time

	store store
	link  linkHealth
	jn    journal
	load  loadBook
	wr    writeBook
	desk  deskBook
	// calls tracks telephony sessions: parked calls, queue backlogs.
	calls      *Calls
	callsCache callsView
	// orbits are parked parties' orbits read from their sessions;
	// orbitNeed the sessions of parked calls whose orbit is unknown.
	orbits    map[string]string
	orbitNeed map[string]string
	// parkers are the people presence shows with a parked call;
	// parkedDirty: the parked calls may have changed since the last build.
	parkers     map[ID]bool
	parkedDirty bool
	// company is the account's company name ("" until read).
	company string

	views   map[*View]struct{}
	indexes map[string]*index

	version    uint64
	dirty      map[int]struct{} // entry positions changed since the last publish
	structural bool             // the directory or the queues changed
	changed    chan struct{}

	// onSeq, when set by a test, sees every sequence applied (under mu);
	// reset marks a snapshot, after which sequences start over.
	onSeq func(id ID, seq int64, reset bool)
}

// NewMirror makes an empty mirror that sorts names in English; now is the
// local clock (nil: time.Now).
func NewMirror(now func() time.Time) *Mirror { return NewMirrorIn("", now) }

// NewMirrorIn makes an empty mirror that sorts names as people of locale
// (a POSIX locale name such as LANG holds: "de_DE.UTF-8") expect.
func NewMirrorIn(locale string, now func() time.Time) *Mirror {
	if now == nil {
		now = time.Now
	}
	m := &Mirror{
		now:       now,
		store:     newStore(now, newCollator(locale)),
		jn:        newJournal(),
		load:      newLoadBook(),
		calls:     NewCalls(),
		orbits:    map[string]string{},
		orbitNeed: map[string]string{},
		parkers:   map[ID]bool{},
		wr:        newWriteBook(),
		views:     map[*View]struct{}{},
		indexes:   map[string]*index{},
		dirty:     map[int]struct{}{},
		changed:   make(chan struct{}, 1),
	}
	m.calls.SetIDs(m.store.keptID) // under m's lock, as every use of calls
	m.store.shared = m.calls.keptTexts
	return m
}

// signal wakes the publisher (coalesced).
func (m *Mirror) signal() {
	m.version++
	select {
	case m.changed <- struct{}{}:
	default:
	}
}

// touch records a change of the entry of id.
func (m *Mirror) touch(id ID) {
	if i, ok := m.store.index[id]; ok {
		m.dirty[i] = struct{}{}
		// Parked calls are read from presence: a change to someone who has
		// or had one changes them.
		if parks := hasParked(m.store.entries[i]); parks || m.parkers[id] {
			m.parkedDirty = true
			if parks {
				m.parkers[id] = true
			} else {
				delete(m.parkers, id)
			}
		}
	}
	m.signal()
}

func hasParked(e *Entry) bool {
	for i := range e.Calls {
		if e.Calls[i].Status() == "ParkedCall" {
			return true
		}
	}
	return false
}

// touchAll records a change of the directory or the queues.
func (m *Mirror) touchAll() {
	m.structural = true
	m.signal()
	m.load.nudge() // the rows on screen may be others now
}

// SetMe records the signed-in user and whether they are an admin.
func (m *Mirror) SetMe(id ID, admin bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.store.me, m.store.admin = id, admin
	m.calls.SetMe(id)
	m.touchAll()
}

// RemoveExtension takes someone who left (or was disabled) out of the
// directory, the queues, and whatever was on its way for them.
func (m *Mirror) RemoveExtension(id ID) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if !m.store.remove(id) {
		return
	}
	m.clearDirty() // positions moved: the indexes are rebuilt
	m.jn.forget(id)
	m.wr.forget(id)
	m.touchAll()
}

// SetCompany records the account's company name, for the header.
func (m *Mirror) SetCompany(name string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if name = Sanitize(name); name != m.company {
		m.company = name
		m.touchAll()
	}
}

// Me returns the signed-in user's id and admin flag.
func (m *Mirror) Me() (ID, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.store.me, m.store.admin
}

// AddExtensions adds or updates directory records (a page of the list).
func (m *Mirror) AddExtensions(exts []rc.Extension) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.store.addExtensions(exts)
	m.touchAll()
}

// SetQueues replaces the call queues and their whole membership.
func (m *Mirror) SetQueues(qs []Queue) {
	qs = slices.Clone(qs)
	for i := range qs {
		qs[i].MembersKnown = true
	}
	m.setQueues(qs)
}

// SetQueueList replaces the call queues, their members not known yet
// (SetQueueMembers, ApplyQueuePresence, ApplyMyQueues tell them).
func (m *Mirror) SetQueueList(qs []Queue) {
	qs = slices.Clone(qs)
	for i := range qs {
		qs[i].Members, qs[i].MembersKnown = nil, false
	}
	m.setQueues(qs)
}

func (m *Mirror) setQueues(qs []Queue) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.store.setQueues(qs)
	names := make(map[ID]string, len(qs))
	for _, q := range qs {
		names[q.ID] = q.Name
	}
	m.calls.SetQueues(names)
	m.touchAll()
}

// SetLink records a change of the WebSocket link.
func (m *Mirror) SetLink(l rc.Link) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.link.setLink(l, m.now(), m.jn.reloading)
	m.signal()
}

// SetDisabled records filters the server would not grant.
func (m *Mirror) SetDisabled(filters []string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]string, len(filters))
	for i, f := range filters {
		out[i] = Sanitize(f)
	}
	m.link.h.Disabled = out
	m.signal()
}

// Health returns the connection state, with "offline since" once the link
// has been down for a while and "resyncing" while a resync runs.
func (m *Mirror) Health() Health {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.healthLocked(m.now())
}

// healthLocked is the health at now, with what is still loading.
func (m *Mirror) healthLocked(now time.Time) Health {
	h := m.link.health(now, m.jn.reloading)
	h.Loading = m.loading()
	return h
}

// Stale reports whether e may be out of date.
func (m *Mirror) Stale(e *Entry) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.link.stale(e, m.now(), m.jn.reloading)
}

// StartResync begins a full reload: until FinishResync every event is
// also kept, and each snapshot record gets the events of its extension
// kept since laid over it.
func (m *Mirror) StartResync(why string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.jn.startReload()
	m.link.startResync(why, m.now())
	m.signal()
}

// FinishResync ends a reload. complete reports whether every extension
// was reloaded; only then is the mirror consistent again.
func (m *Mirror) FinishResync(complete bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.jn.finishReload()
	m.link.finishResync(complete)
	m.signal()
}

// ApplyEvent merges a presence notification. detailed reports that the
// subscription's filter for it was detailed (activeCalls expected).
func (m *Mirror) ApplyEvent(p *rc.Presence, at time.Time, detailed bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	id := ID(p.Who())
	m.link.h.LastEvent = m.now()
	u := updateOf(p, detailed)
	m.jn.record(id, &u)
	// Someone whose snapshot is on its way stays not known until it comes:
	// a body may carry only what changed, and what it leaves out would be
	// a guess. What it says waits in the journal for the snapshot.
	if e := m.store.entry(id); e == nil || e.Known || !e.Person() || !m.jn.waiting(id) {
		m.applyLocked(id, &u, at, true)
	}
	m.settleCalls(id, p, at)
}

// applyLocked merges a presence update, field by field on their
// sequences; live: it arrived now (time in state is known).
func (m *Mirror) applyLocked(id ID, u *update, at time.Time, live bool) {
	var confirmed time.Time
	if live && m.link.consistent() {
		confirmed = m.now() // seen as it happened: the row is current
	}
	e, fetch := m.store.merge(id, u, at, live, confirmed)
	if e == nil {
		return
	}
	if m.onSeq != nil && u.sequenced {
		m.onSeq(id, int64(e.seq), false)
	}
	if fetch {
		m.jn.fetch[id] = true
	}
	m.confirmWrites()
	m.touch(id)
}

// ApplySnapshot replaces extensions' presence with REST records (which
// carry no sequence), then lays over each the events kept for it since
// its fetch began. detailed reports that the records carry activeCalls.
func (m *Mirror) ApplySnapshot(records []rc.Presence, detailed bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	for k := range records {
		p := &records[k]
		id := ID(p.Who())
		if m.jn.loaded(id) {
			continue // loaded already in this reload, events since applied
		}
		e := m.store.replace(p, detailed, now)
		if e == nil {
			continue
		}
		if detailed {
			delete(m.jn.fetch, id)
		}
		if m.onSeq != nil {
			m.onSeq(id, 0, true)
		}
		if kept := m.jn.take(id, e.Person()); kept != nil {
			m.applyLocked(id, kept, time.Time{}, false)
		}
		m.confirmWrites()
		m.touch(id)
	}
}

// TakeFetches returns up to max extensions whose presence must be
// fetched, and keeps their events until the answer is applied.
func (m *Mirror) TakeFetches(max int) []ID {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.jn.takeFetches(max)
}

// BeginFetch keeps ids' events until a snapshot of them is applied.
func (m *Mirror) BeginFetch(ids []ID) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.jn.beginFetch(ids)
}

// FetchFailed puts ids back to be fetched again later.
func (m *Mirror) FetchFailed(ids []ID) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.jn.fetchFailed(ids)
}

// ApplyQueueSnapshot sets members' availability in a queue from REST.
func (m *Mirror) ApplyQueueSnapshot(queue ID, accept map[ID]bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.applyQueueSnapshotLocked(queue, accept)
}

func (m *Mirror) applyQueueSnapshotLocked(queue ID, accept map[ID]bool) {
	q := m.store.queue(queue)
	kept := m.jn.takeQueue(queue)
	if q == nil {
		return
	}
	q.Accept = map[ID]bool{}
	for id, v := range accept {
		q.Accept[id] = v
	}
	for id, v := range kept {
		q.Accept[id] = v
	}
	m.queueChanged(q.Members)
}

// StartQueueFetch keeps a queue's events until its snapshot is applied.
func (m *Mirror) StartQueueFetch(queue ID) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.jn.startQueueFetch(queue)
}

// ApplyQueueEvent merges a call-queue presence notification.
func (m *Mirror) ApplyQueueEvent(changes []rc.QueueMemberChange) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.link.h.LastEvent = m.now()
	var ids []ID
	for _, c := range changes {
		q, member := ID(c.QueueID), ID(c.ExtensionID)
		if k, ok := m.store.keptID(member); ok {
			member = k // the directory's, not a piece of the frame
		} else {
			member = ID(strings.Clone(string(member)))
		}
		m.jn.recordQueue(q, member, c.Accept)
		if qq := m.store.queue(q); qq != nil {
			qq.Accept[member] = c.Accept
			ids = append(ids, member)
		}
	}
	m.queueChanged(ids)
}

// ApplyMyQueues records ext's availability in each of their queues from
// REST, with each queue's editableMemberStatus. The records are every
// queue ext is in: ext's membership is known from them.
func (m *Mirror) ApplyMyQueues(ext ID, recs []rc.MyQueuePresence) {
	m.mu.Lock()
	defer m.mu.Unlock()
	in := map[ID]bool{}
	for _, r := range recs {
		if q := m.store.queue(ID(r.CallQueue.ID)); q != nil {
			q.EditableMemberStatus = r.CallQueue.EditableMemberStatus
			q.Accept[ext] = r.AcceptCalls
			in[q.ID] = true
		}
	}
	moved := false
	for i := range m.store.queues {
		q := &m.store.queues[i]
		if slices.Contains(q.Members, ext) != in[q.ID] {
			m.store.setMembership(ext, q.ID, in[q.ID])
			moved = true
		}
	}
	if moved {
		m.touchAll()
	}
	m.queueChanged([]ID{ext})
}

// SetQueueMembers records a queue's whole membership as loaded.
func (m *Mirror) SetQueueMembers(queue ID, members []ID) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.store.setMembers(queue, members)
	m.touchAll()
}

// ApplyQueuePresence records a queue's members and each one's
// availability in it from REST (an admin's read: it lists every member),
// with the queue's events kept since StartQueueFetch laid over it.
func (m *Mirror) ApplyQueuePresence(queue ID, recs []rc.QueueMemberPresence) {
	m.mu.Lock()
	defer m.mu.Unlock()
	members := make([]ID, 0, len(recs))
	for _, r := range recs {
		members = append(members, ID(r.Member.ID))
	}
	m.store.setMembers(queue, members)
	m.touchAll()
	m.applyQueueSnapshotLocked(queue, queueAccept(recs))
}

// MembersKnown reports whether every queue's membership is loaded.
func (m *Mirror) MembersKnown() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.store.membersKnown()
}

// queueChanged marks members whose queue availability changed: their rows
// show it (the IN QUEUE column, the details).
func (m *Mirror) queueChanged(ids []ID) {
	m.confirmWrites()
	for _, id := range ids {
		m.touch(id)
	}
	m.signal()
}

// confirmWrites drops the pending writes the mirror now agrees with.
func (m *Mirror) confirmWrites() {
	if m.wr.confirmAll(&m.store) {
		m.signal()
	}
}

// Version increases with every change.
func (m *Mirror) Version() uint64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.version
}

// Changed is signalled (coalesced) whenever the mirror changes.
func (m *Mirror) Changed() <-chan struct{} { return m.changed }

// Get returns a copy of one extension's entry.
func (m *Mirror) Get(id ID) (Entry, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if e := m.store.entry(id); e != nil {
		return *e, true
	}
	return Entry{}, false
}

// Row is an entry with its freshness.
type Row struct {
	Entry
	Stale bool
}

// Rows returns copies of the given extensions with their freshness.
func (m *Mirror) Rows(ids []ID) []Row {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	out := make([]Row, 0, len(ids))
	for _, id := range ids {
		if e := m.store.entry(id); e != nil {
			out = append(out, Row{Entry: *e, Stale: m.link.stale(e, now, m.jn.reloading)})
		}
	}
	return out
}

// All returns every entry in directory order.
func (m *Mirror) All() []Row {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	out := make([]Row, len(m.store.entries))
	for i, e := range m.store.entries {
		out[i] = Row{Entry: *e, Stale: m.link.stale(e, now, m.jn.reloading)}
	}
	return out
}

// Len is the number of extensions.
func (m *Mirror) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.store.entries)
}

// Queues returns copies of the call queues.
func (m *Mirror) Queues() []Queue {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]Queue, len(m.store.queues))
	for i, q := range m.store.queues {
		out[i] = copyQueue(q)
	}
	return out
}

// Queue returns a copy of one queue.
func (m *Mirror) Queue(id ID) (Queue, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if q := m.store.queue(id); q != nil {
		return copyQueue(*q), true
	}
	return Queue{}, false
}

func copyQueue(q Queue) Queue {
	q.Members = slices.Clone(q.Members)
	acc := make(map[ID]bool, len(q.Accept))
	for k, v := range q.Accept {
		acc[k] = v
	}
	q.Accept = acc
	return q
}

// Counts tallies the extensions by availability.
func (m *Mirror) Counts() Counts {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.store.counts
}

// Writes returns the pending writes and the recently failed ones.
func (m *Mirror) Writes() []Write {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	var out []Write
	for t := range m.wr.writes {
		if w, ok := m.wr.shown(t, now); ok {
			out = append(out, w)
		}
	}
	return out
}

// Write returns the write of t as it shows now.
func (m *Mirror) Write(t Target) (Write, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.wr.shown(t, m.now())
}

// MyStatus is the signed-in user's status as they should see it: the
// latest choice while it is pending, otherwise the server's.
func (m *Mirror) MyStatus() (status Status, pending bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	me := m.meLocked(m.store.me, m.now())
	return me.Status, me.StatusWrite != nil && me.StatusWrite.Pending()
}

// meLocked is ext as they should see themselves at now.
func (m *Mirror) meLocked(ext ID, now time.Time) Me {
	s := &m.store
	me := Me{ID: ext, Admin: ext != "" && ext == s.me && s.admin}
	e := s.entry(ext)
	me.Entry = e
	if e != nil && ext != s.me {
		me.Admin = e.Admin
	}
	write := func(k WriteKind) *Write {
		if w, ok := m.wr.shown(Target{Kind: k, Ext: ext}, now); ok {
			return &w
		}
		return nil
	}
	me.StatusWrite, me.MessageWrite, me.QueueCallsWrite = write(WriteStatus), write(WriteMessage), write(WriteQueueCalls)
	if e != nil && e.Known {
		me.Status, me.InDND, me.QueueCalls = e.Status(), e.InDND(), e.AcceptsQueueCalls()
	}
	if w := me.StatusWrite; w != nil && w.Pending() {
		me.Status, me.InDND = w.Status, w.Status == StatusDND
	}
	if w := me.QueueCallsWrite; w != nil && w.Pending() {
		me.QueueCalls = w.Accept
	}
	if e != nil {
		me.Queues = m.queuesOf(e, ext, now)
	}
	return me
}

// queuesOf lists e's queues with e's availability in each, as the viewer
// me sees them.
func (m *Mirror) queuesOf(e *Entry, me ID, now time.Time) []MyQueue {
	out := make([]MyQueue, 0, len(e.Queues))
	for _, qid := range e.Queues {
		q := m.store.queue(qid)
		if q == nil {
			continue
		}
		out = append(out, MyQueue{ID: q.ID, Name: q.Name, Number: q.Number, Editable: q.EditableMemberStatus,
			QueueCell: m.queueCell(q.ID, e.ID, me, now)})
	}
	return out
}

// queueCell is member's availability in queue q with a change of it in
// flight, as the viewer me sees it.
func (m *Mirror) queueCell(q, member, me ID, now time.Time) QueueCell {
	var c QueueCell
	c.Accept, c.Known = m.store.queueAccept(q, member)
	if w, ok := m.wr.shown(Target{Kind: WriteMember, Ext: member, Queue: q}, now); ok {
		c.Write = &w
	} else if w, ok := m.wr.shown(Target{Kind: WriteMyQueue, Ext: member, Queue: q}, now); ok && member == me {
		c.Write = &w
	}
	return c
}

// nextChange is when what the mirror shows will change with no event.
func (m *Mirror) nextChange(now time.Time) time.Time {
	next := m.link.nextChange(now)
	for _, t := range []time.Time{m.wr.nextChange(now), m.desk.nextChange(now), m.callsNext()} {
		if !t.IsZero() && (next.IsZero() || t.Before(next)) {
			next = t
		}
	}
	return next
}

// queryKey identifies a query, so that views with the same one share an
// index.
func queryKey(q Query) string {
	states := slices.Clone(q.States)
	slices.Sort(states)
	var b strings.Builder
	b.WriteString(strings.ToLower(strings.TrimSpace(q.Text)))
	b.WriteByte(0)
	for _, s := range states {
		b.WriteString(strconv.Itoa(int(s)) + ",")
	}
	b.WriteString("\x00" + strconv.FormatBool(q.All) + strconv.FormatBool(q.Stale) + strconv.Itoa(int(q.Sort)) +
		strconv.FormatBool(q.Desc) + strconv.Itoa(int(q.By)))
	pins := slices.Clone(q.Pinned)
	slices.Sort(pins)
	for _, id := range slices.Compact(pins) {
		b.WriteString("\x00" + string(id))
	}
	return b.String()
}

// acquireIndex returns the shared index of q, built if new (lock held).
func (m *Mirror) acquireIndex(q Query) *index {
	k := queryKey(q)
	ix := m.indexes[k]
	if ix == nil {
		q.States, q.Pinned = slices.Clone(q.States), slices.Clone(q.Pinned)
		ix = newIndex(q)
		now := m.now()
		ix.rebuild(&m.store, m.staleFn(now), m.phase(now))
		m.indexes[k] = ix
	}
	ix.refs++
	return ix
}

// releaseIndex drops a view's hold on an index (lock held).
func (m *Mirror) releaseIndex(ix *index) {
	ix.refs--
	if ix.refs <= 0 {
		delete(m.indexes, queryKey(ix.q))
	}
}

func (m *Mirror) staleFn(now time.Time) func(*Entry) bool {
	return func(e *Entry) bool { return m.link.stale(e, now, m.jn.reloading) }
}

// phase is the staleness phase now.
func (m *Mirror) phase(now time.Time) stalePhase {
	l := &m.link
	return stalePhase{gap: l.gapStart.UnixNano(), down: l.linkDown.UnixNano(),
		graceOver: !l.linkDown.IsZero() && now.Sub(l.linkDown) >= staleGrace, reloading: m.jn.reloading}
}

// Publish brings every index and view up to date with what changed since
// the last call, and hands each view a new frame when what it shows
// changed.
func (m *Mirror) Publish() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.publishLocked()
}

func (m *Mirror) publishLocked() {
	now := m.now()
	stale := m.staleFn(now)
	phase := m.phase(now)
	for _, ix := range m.indexes {
		switch {
		case m.structural || ix.q.Stale && ix.phase != phase || len(ix.was) != len(m.store.entries):
			ix.rebuild(&m.store, stale, phase)
		default:
			for i := range m.dirty {
				ix.update(i, &m.store, stale)
			}
		}
	}
	m.clearDirty()
	m.structural = false
	if len(m.desk.actions) > 0 {
		m.desk.settle(m.callsOf, now)
	}
	if m.calls.Tick(now) {
		m.desk.version++
	}
	m.callsShown(now) // built here, so pulled views only read it
	for v := range m.views {
		v.relocate()
		v.publishLocked(false)
	}
}

// clearDirty empties dirty. A map keeps the room it grew to, and ranging
// over it costs that room, not what it holds: after a load marked every
// entry, each publish ranged over room for the whole directory (50 µs at
// 100,000, per index). So a map that grew large is dropped instead.
func (m *Mirror) clearDirty() {
	if len(m.dirty) > 256 {
		m.dirty = map[int]struct{}{}
		return
	}
	clear(m.dirty)
}

// MinFrameInterval is the least time between two publishes: under a storm
// of events each frame carries a batch of them, and a change waits at
// most this long to be published.
const MinFrameInterval = 8 * time.Millisecond

// Run publishes as changes arrive, at most once per MinFrameInterval, and
// when a frame would read differently with no event (a link turning
// stale, a failure expiring), until ctx ends.
func (m *Mirror) Run(ctx context.Context) {
	var last time.Time
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		m.mu.Lock()
		wait := lastEventEvery
		if next := m.nextChange(m.now()); !next.IsZero() {
			wait = min(wait, next.Sub(m.now()))
		}
		m.mu.Unlock()
		timer.Reset(max(wait, time.Millisecond))
		select {
		case <-ctx.Done():
			return
		case <-m.changed:
			if d := MinFrameInterval - time.Since(last); d > 0 {
				pace := time.NewTimer(d)
				select {
				case <-ctx.Done():
					pace.Stop()
					return
				case <-pace.C:
				}
			}
		case <-timer.C:
		}
		last = time.Now()
		m.Publish()
	}
}
