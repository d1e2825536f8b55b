package state

import (
	"math"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/rchud/rchud/rc"
)

// Conn is the mirror's connection state as the header shows it.
type Conn int

// Connection states.
const (
	ConnConnecting Conn = iota
	ConnLive
	ConnRecovering
	ConnResyncing
	ConnOffline
	ConnClosed
)

func (c Conn) String() string {
	return [...]string{"connecting", "live", "recovering", "resyncing", "offline", "closed"}[c]
}

// offlineAfter is how long a lost link is "recovering" before it is
// reported "offline since".
const offlineAfter = 15 * time.Second

// staleGrace is how long a lost link may last before rows are marked
// stale: a reconnect that recovers the session within it loses nothing.
const staleGrace = 3 * time.Second

// Health is the mirror's freshness as a whole.
type Health struct {
	Conn Conn
	// Down is when the link was lost (zero when it is not).
	Down time.Time
	// Err is the last link error, one line, no secrets.
	Err string
	// Resync is why a resync is running ("" when none).
	Resync string
	// LastEvent is when the last notification arrived (local clock).
	LastEvent time.Time
	// Loaded reports that the first full presence load has completed.
	Loaded bool
	// Disabled lists filters the server would not grant.
	Disabled []string
}

// Mirror is the live mirror. All methods are safe for concurrent use.
type Mirror struct {
	mu  sync.RWMutex
	now func() time.Time

	entries []Entry
	index   map[ID]int
	queues  []Queue
	qindex  map[ID]int
	me      ID
	admin   bool

	health   Health
	linkDown time.Time // when the link was lost; zero while live
	gapStart time.Time // events may be missing since; zero when consistent

	// Events that arrive while a snapshot of an id is being fetched are
	// logged and replayed on top of the snapshot, so a snapshot older than
	// some events never wins over them.
	logAll   bool
	logs     map[ID][]loggedEvent
	done     map[ID]bool // ids already snapshotted in the running resync
	fetch    map[ID]bool // ids whose presence must be fetched (activeCalls incomplete)
	fetching map[ID]bool // ids with a fetch in flight (their events are logged)

	version    uint64
	dirty      map[ID]struct{}
	structural bool
	changed    chan struct{}

	// onSeq, when set by a test, sees every sequence applied (under mu);
	// reset marks a snapshot, after which sequences start over.
	onSeq func(id ID, seq int64, reset bool)

	writes     map[string]*Write
	genCounter uint64
	lastNonDND string // my last dndStatus other than DoNotAcceptAnyCalls
}

type loggedEvent struct {
	presence *rc.Presence
	queue    *rc.QueueMemberChange
	at       time.Time
	detailed bool
}

// NewMirror makes an empty mirror; now is the local clock (nil: time.Now).
func NewMirror(now func() time.Time) *Mirror {
	if now == nil {
		now = time.Now
	}
	return &Mirror{
		now:      now,
		index:    map[ID]int{},
		qindex:   map[ID]int{},
		logs:     map[ID][]loggedEvent{},
		done:     map[ID]bool{},
		fetch:    map[ID]bool{},
		fetching: map[ID]bool{},
		dirty:    map[ID]struct{}{},
		changed:  make(chan struct{}, 1),
		writes:   map[string]*Write{},
	}
}

// touch records a change of id (or of the whole list when id is "").
func (m *Mirror) touch(id ID) {
	m.version++
	if id == "" {
		m.structural = true
	} else {
		m.dirty[id] = struct{}{}
	}
	select {
	case m.changed <- struct{}{}:
	default:
	}
}

// SetMe records the signed-in user and whether they are an admin.
func (m *Mirror) SetMe(id ID, admin bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.me, m.admin = id, admin
	m.touch("")
}

// Me returns the signed-in user's id and admin flag.
func (m *Mirror) Me() (ID, bool) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return m.me, m.admin
}

// AddExtensions adds or updates directory records (a page of the list).
func (m *Mirror) AddExtensions(exts []rc.Extension) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, x := range exts {
		id := ID(x.ID)
		i, ok := m.index[id]
		if !ok {
			i = len(m.entries)
			m.entries = append(m.entries, Entry{ID: id})
			m.index[id] = i
		}
		e := &m.entries[i]
		e.Number, e.Name, e.Type = x.ExtensionNumber, x.Name, x.Type
		e.Department, e.Site, e.Email = x.Contact.Department, x.Site.Name, x.Contact.Email
		e.Admin = x.Permissions.Admin.Enabled
		e.Availability = derive(e)
		e.search = strings.ToLower(e.Name + "\x00" + e.Number + "\x00" + e.Department)
		e.nameKey, e.deptKey = strings.ToLower(e.Name), strings.ToLower(e.Department)
		e.numKey = numberKey(e.Number)
		refreshKeys(e)
	}
	m.touch("")
}

// numberKey orders extension numbers numerically; non-numeric ones sort
// after every number (then by text).
func numberKey(s string) int64 {
	if s == "" || len(s) > 18 {
		return math.MaxInt64
	}
	var n int64
	for _, c := range s {
		if c < '0' || c > '9' {
			return math.MaxInt64
		}
		n = n*10 + int64(c-'0')
	}
	return n
}

// refreshKeys recomputes the keys that follow presence.
func refreshKeys(e *Entry) {
	var b strings.Builder
	b.WriteString(e.Availability.String())
	b.WriteString("\x00" + e.UserStatus + "\x00" + e.DNDStatus + "\x00" + e.Message)
	for _, c := range e.Calls {
		name, num := c.Party()
		b.WriteString("\x00" + name + "\x00" + num)
	}
	e.dyn = strings.ToLower(b.String())
	e.msgKey = strings.ToLower(e.Message)
}

// SetQueues replaces the call queues and their membership.
func (m *Mirror) SetQueues(qs []Queue) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.queues = nil
	m.qindex = map[ID]int{}
	member := map[ID][]ID{}
	for _, q := range qs {
		if q.Accept == nil {
			q.Accept = map[ID]bool{}
		}
		m.qindex[q.ID] = len(m.queues)
		m.queues = append(m.queues, q)
		for _, id := range q.Members {
			member[id] = append(member[id], q.ID)
		}
	}
	for i := range m.entries {
		m.entries[i].Queues = member[m.entries[i].ID]
	}
	m.touch("")
}

// SetLink records a change of the WebSocket link.
func (m *Mirror) SetLink(l rc.Link) {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	switch l.State {
	case rc.LinkLive:
		m.linkDown = time.Time{}
		m.health.Conn = ConnLive
		m.health.Err = ""
		m.health.Down = time.Time{}
		if !m.logAll && m.health.Loaded {
			// Recovered with nothing missed: what we hold is current.
			m.gapStart = time.Time{}
			m.health.Resync = ""
		}
	case rc.LinkConnecting:
		m.health.Conn = ConnConnecting
	case rc.LinkRecovering:
		if m.linkDown.IsZero() {
			m.linkDown = now
			if m.gapStart.IsZero() {
				m.gapStart = now
			}
		}
		m.health.Conn = ConnRecovering
		m.health.Down = m.linkDown
	case rc.LinkClosed:
		m.health.Conn = ConnClosed
	}
	if l.Err != nil {
		m.health.Err = oneLine(l.Err.Error())
	}
	m.touch("")
}

func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > 160 {
		s = string(r[:160]) + "…"
	}
	return s
}

// SetDisabled records filters the server would not grant.
func (m *Mirror) SetDisabled(filters []string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.health.Disabled = filters
	m.touch("")
}

// Health returns the connection state, with "offline since" once the link
// has been down for a while and "resyncing" while a resync runs.
func (m *Mirror) Health() Health {
	m.mu.RLock()
	defer m.mu.RUnlock()
	h := m.health
	h.Disabled = slices.Clone(h.Disabled)
	if h.Conn == ConnRecovering && m.now().Sub(m.linkDown) >= offlineAfter {
		h.Conn = ConnOffline
	}
	if h.Conn == ConnLive && m.logAll {
		h.Conn = ConnResyncing
	}
	return h
}

// Stale reports whether e may be out of date: events were lost or the
// link has been down past the grace, and nothing has confirmed e since.
func (m *Mirror) Stale(e *Entry) bool {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return m.staleLocked(e)
}

func (m *Mirror) staleLocked(e *Entry) bool {
	if m.gapStart.IsZero() || !e.Confirmed.Before(m.gapStart) {
		return false
	}
	if !m.linkDown.IsZero() && m.now().Sub(m.linkDown) < staleGrace && !m.logAll {
		return false
	}
	return true
}

// StartResync begins a full reload: until FinishResync every event is
// also logged, and each snapshot record is replayed over with the events
// of its extension logged since.
func (m *Mirror) StartResync(why string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if !m.logAll {
		m.logAll = true
		m.done = map[ID]bool{}
	}
	if m.gapStart.IsZero() && m.health.Loaded {
		m.gapStart = m.now()
	}
	m.health.Resync = why
	m.touch("")
}

// FinishResync ends a reload. complete reports whether every extension
// was reloaded; only then is the mirror consistent again.
func (m *Mirror) FinishResync(complete bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.logAll = false
	for id := range m.logs {
		if !m.fetching[id] && !strings.HasPrefix(string(id), "q:") {
			delete(m.logs, id)
		}
	}
	m.done = map[ID]bool{}
	if complete {
		m.health.Loaded = true
		m.health.Resync = ""
		if m.linkDown.IsZero() {
			m.gapStart = time.Time{}
		}
	}
	m.touch("")
}

// ApplyEvent merges a presence notification. detailed reports that the
// subscription's filter for it was detailed (activeCalls expected).
func (m *Mirror) ApplyEvent(p *rc.Presence, at time.Time, detailed bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	id := ID(p.Who())
	m.health.LastEvent = m.now()
	if m.logAll && !m.done[id] || m.fetching[id] {
		m.logs[id] = append(m.logs[id], loggedEvent{presence: p, at: at, detailed: detailed})
	}
	m.applyLocked(p, at, detailed, true)
}

// applyLocked merges a notification body: dropped when its sequence is
// below the last applied; otherwise only the fields present overlay.
func (m *Mirror) applyLocked(p *rc.Presence, at time.Time, detailed, live bool) {
	id := ID(p.Who())
	i, ok := m.index[id]
	if !ok {
		return
	}
	e := &m.entries[i]
	if p.Sequence != nil {
		if *p.Sequence < e.seq {
			return
		}
		e.seq = *p.Sequence
		if m.onSeq != nil {
			m.onSeq(id, e.seq, false)
		}
	}
	before := *e
	setIf(&e.PresenceStatus, p.PresenceStatus)
	setIf(&e.UserStatus, p.UserStatus)
	setIf(&e.DNDStatus, p.DNDStatus)
	setIf(&e.TelephonyStatus, p.TelephonyStatus)
	setIf(&e.MeetingStatus, p.MeetingStatus)
	setIf(&e.Message, p.Message)
	switch {
	case p.ActiveCalls != nil:
		e.Calls = convertCalls(p.ActiveCalls)
		e.TotalCalls = len(e.Calls)
		e.CallsUnsure = false
		if p.TotalActiveCalls != nil && *p.TotalActiveCalls > len(p.ActiveCalls) {
			e.TotalCalls = *p.TotalActiveCalls
			e.CallsUnsure = true
			m.fetch[id] = true
		}
	case detailed:
		switch {
		case p.TotalActiveCalls != nil && *p.TotalActiveCalls == 0, e.TelephonyStatus == "NoCall":
			e.Calls, e.TotalCalls, e.CallsUnsure = nil, 0, false
		case p.TelephonyStatus != nil || p.TotalActiveCalls != nil:
			// A detailed body without its calls: ask for them.
			e.CallsUnsure = true
			m.fetch[id] = true
		}
	}
	if e.TelephonyStatus == "NoCall" && p.ActiveCalls == nil && !detailed {
		e.Calls, e.TotalCalls = nil, 0
	}
	e.Known = true
	m.settle(e, &before, at, live)
	if live && m.gapStart.IsZero() {
		e.Confirmed = m.now()
	}
	m.confirmWrites(e)
	m.touch(id)
}

// settle recomputes what derives from the raw fields and stamps the
// changes: time in state from the server's timestamp (unknown when the
// change happened unseen), Changed for the highlight.
func (m *Mirror) settle(e, before *Entry, at time.Time, seen bool) {
	e.Availability = derive(e)
	refreshKeys(e)
	if e.ID == m.me && (e.DNDStatus == dndTakeAll || e.DNDStatus == dndNoDepartment) {
		m.lastNonDND = e.DNDStatus
	}
	if e.Availability != before.Availability {
		if seen && before.Known && !at.IsZero() {
			e.AvailSince = at
		} else {
			e.AvailSince = time.Time{}
		}
	}
	if e.TelephonyStatus != before.TelephonyStatus {
		if seen && before.Known && !at.IsZero() {
			e.TelSince = at
		} else {
			e.TelSince = time.Time{}
		}
	}
	if e.Availability != before.Availability || e.Message != before.Message || e.DNDStatus != before.DNDStatus ||
		e.UserStatus != before.UserStatus || !slices.Equal(e.Calls, before.Calls) {
		e.Changed = m.now()
	}
}

func setIf(dst *string, v *string) {
	if v != nil {
		*dst = *v
	}
}

// convertCalls keeps the calls still active (an ended call is reported
// once with NoCall or terminationType final).
func convertCalls(in []rc.ActiveCall) []Call {
	out := make([]Call, 0, len(in))
	for _, c := range in {
		if c.TelephonyStatus == "NoCall" || c.TerminationType == "final" {
			continue
		}
		out = append(out, Call{
			ID: c.ID, Direction: c.Direction, From: c.From, FromName: c.FromName, To: c.To, ToName: c.ToName,
			Status: c.TelephonyStatus, Start: c.StartTime.Time, Queue: c.QueueCall,
			SessionID: c.TelephonySessionID, PartyID: c.PartyID,
		})
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// ApplySnapshot replaces extensions' presence with REST records (which
// carry no sequence), then replays the events logged for each since its
// fetch began. detailed reports that the records carry activeCalls.
func (m *Mirror) ApplySnapshot(records []rc.Presence, detailed bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	for k := range records {
		p := &records[k]
		id := ID(p.Who())
		i, ok := m.index[id]
		if !ok {
			continue
		}
		e := &m.entries[i]
		before := *e
		e.PresenceStatus = deref(p.PresenceStatus)
		e.UserStatus = deref(p.UserStatus)
		e.DNDStatus = deref(p.DNDStatus)
		e.TelephonyStatus = deref(p.TelephonyStatus)
		e.MeetingStatus = deref(p.MeetingStatus)
		e.Message = deref(p.Message)
		if detailed {
			e.Calls = convertCalls(p.ActiveCalls)
			e.TotalCalls = len(e.Calls)
			e.CallsUnsure = false
			delete(m.fetch, id)
		}
		delete(m.fetching, id)
		e.seq = 0
		if m.onSeq != nil {
			m.onSeq(id, 0, true)
		}
		e.Known = true
		m.settle(e, &before, time.Time{}, false)
		e.Confirmed = now
		for _, ev := range m.logs[id] {
			if ev.presence != nil {
				m.applyLocked(ev.presence, ev.at, ev.detailed, false)
			}
		}
		delete(m.logs, id)
		if m.logAll {
			m.done[id] = true
		}
		m.confirmWrites(e)
		m.touch(id)
	}
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// TakeFetches returns up to max extensions whose presence must be
// fetched, and logs their events until the answer is applied.
func (m *Mirror) TakeFetches(max int) []ID {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []ID
	for id := range m.fetch {
		if m.fetching[id] {
			continue
		}
		out = append(out, id)
		if len(out) == max {
			break
		}
	}
	slices.Sort(out)
	m.beginFetchLocked(out)
	return out
}

// BeginFetch logs ids' events until a snapshot of them is applied.
func (m *Mirror) BeginFetch(ids []ID) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.beginFetchLocked(ids)
}

func (m *Mirror) beginFetchLocked(ids []ID) {
	for _, id := range ids {
		delete(m.fetch, id)
		m.fetching[id] = true
		if _, ok := m.logs[id]; !ok {
			m.logs[id] = []loggedEvent{}
		}
	}
}

// FetchFailed puts ids back to be fetched again later.
func (m *Mirror) FetchFailed(ids []ID) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, id := range ids {
		delete(m.fetching, id)
		m.fetch[id] = true
		if !m.logAll {
			delete(m.logs, id)
		}
	}
}

// ApplyQueueSnapshot sets members' availability in a queue from REST.
func (m *Mirror) ApplyQueueSnapshot(queue ID, accept map[ID]bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	qi, ok := m.qindex[queue]
	if !ok {
		return
	}
	q := &m.queues[qi]
	q.Accept = map[ID]bool{}
	for id, v := range accept {
		q.Accept[id] = v
	}
	key := "q:" + queue
	for _, ev := range m.logs[ID(key)] {
		q.Accept[ID(ev.queue.ExtensionID)] = ev.queue.Accept
	}
	delete(m.logs, ID(key))
	m.confirmQueueWrites()
	m.touch("")
}

// StartQueueFetch logs a queue's events until its snapshot is applied.
func (m *Mirror) StartQueueFetch(queue ID) {
	m.mu.Lock()
	defer m.mu.Unlock()
	key := ID("q:" + queue)
	if _, ok := m.logs[key]; !ok {
		m.logs[key] = []loggedEvent{}
	}
}

// ApplyQueueEvent merges a call-queue presence notification.
func (m *Mirror) ApplyQueueEvent(changes []rc.QueueMemberChange) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.health.LastEvent = m.now()
	for k := range changes {
		c := changes[k]
		key := ID("q:" + string(c.QueueID))
		if log, ok := m.logs[key]; ok {
			m.logs[key] = append(log, loggedEvent{queue: &c})
		}
		qi, ok := m.qindex[ID(c.QueueID)]
		if !ok {
			continue
		}
		m.queues[qi].Accept[ID(c.ExtensionID)] = c.Accept
		m.touch(ID(c.ExtensionID))
	}
	m.confirmQueueWrites()
	m.touch("")
}

// Version increases with every change.
func (m *Mirror) Version() uint64 {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return m.version
}

// Get returns a copy of one extension's entry.
func (m *Mirror) Get(id ID) (Entry, bool) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	i, ok := m.index[id]
	if !ok {
		return Entry{}, false
	}
	return m.entries[i], true
}

// Row is an entry with its freshness, as the grid shows it.
type Row struct {
	Entry
	Stale bool
}

// Rows returns copies of the given extensions with their freshness.
func (m *Mirror) Rows(ids []ID) []Row {
	m.mu.RLock()
	defer m.mu.RUnlock()
	out := make([]Row, 0, len(ids))
	for _, id := range ids {
		if i, ok := m.index[id]; ok {
			e := &m.entries[i]
			out = append(out, Row{Entry: *e, Stale: m.staleLocked(e)})
		}
	}
	return out
}

// All returns every entry in directory order.
func (m *Mirror) All() []Row {
	m.mu.RLock()
	defer m.mu.RUnlock()
	out := make([]Row, len(m.entries))
	for i := range m.entries {
		out[i] = Row{Entry: m.entries[i], Stale: m.staleLocked(&m.entries[i])}
	}
	return out
}

// Len is the number of extensions.
func (m *Mirror) Len() int {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return len(m.entries)
}

// Queues returns copies of the call queues.
func (m *Mirror) Queues() []Queue {
	m.mu.RLock()
	defer m.mu.RUnlock()
	out := make([]Queue, len(m.queues))
	for i, q := range m.queues {
		out[i] = copyQueue(q)
	}
	return out
}

// Queue returns a copy of one queue.
func (m *Mirror) Queue(id ID) (Queue, bool) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	qi, ok := m.qindex[id]
	if !ok {
		return Queue{}, false
	}
	return copyQueue(m.queues[qi]), true
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

// Counts tallies the extensions with presence by availability.
func (m *Mirror) Counts() map[Availability]int {
	m.mu.RLock()
	defer m.mu.RUnlock()
	out := map[Availability]int{}
	for i := range m.entries {
		out[m.entries[i].Availability]++
	}
	return out
}

// ChangeSet is what changed since the last Drain.
type ChangeSet struct {
	Version    uint64
	IDs        []ID
	Structural bool
}

// Changed is signalled (coalesced) whenever the mirror changes.
func (m *Mirror) Changed() <-chan struct{} { return m.changed }

// Drain returns and clears the changes since the last call.
func (m *Mirror) Drain() ChangeSet {
	m.mu.Lock()
	defer m.mu.Unlock()
	cs := ChangeSet{Version: m.version, Structural: m.structural}
	cs.IDs = make([]ID, 0, len(m.dirty))
	for id := range m.dirty {
		cs.IDs = append(cs.IDs, id)
	}
	clear(m.dirty)
	m.structural = false
	return cs
}
