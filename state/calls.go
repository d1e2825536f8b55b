package state

import (
	"cmp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/rchud/rchud/rc"
)

// Calls tracks the account's live calls as a switchboard shows them: each
// person's calls, the parked calls and every call queue's backlog (who
// waits, since when, and today's answered and abandoned counts). It is fed
// telephony session events (Apply), the call log's active calls on start
// and after a gap (Bootstrap), and sessions read on its request
// (AddSession). Times are the server's wherever it gives them (eventTime,
// creationTime, startTime) so durations survive a restart of the client;
// the local clock comes in as at. It is pure data and not safe for
// concurrent use: the mirror calls it under its lock. Every text is
// sanitised as it comes in.
//
// Events are applied per party in sequence order: an event whose sequence
// is not newer than the last one applied to its party is dropped (a
// duplicate, or late); a party an event does not carry is unchanged. A
// session whose every party has left is forgotten (its parties' last
// sequences are kept a while, so a late event cannot bring it back).
//
// A call waits in a queue while the queue's party is Setup or Proceeding.
// When that party leaves, the call counts as answered when the reason is
// AgentAnswered, as neither when it was redirected out of the queue
// (CallRedirected, a transfer), and as abandoned otherwise: the emulator's
// rule (telephony_queues.go leaveQueue) and the SPEC's reasons. RingCentral's
// captured events carry no reason on some endings; then a user's party of
// the session that answered makes it answered, and nothing does abandoned.
// Counts restart at UTC midnight (the emulator's day).
type Calls struct {
	me          ID
	queues      map[ID]string // call queue id -> name
	byName      map[string]ID // queue name -> id, for uiCallInfo
	accountWide bool
	// follow is whose parties the stream delivers events of: the tracker
	// keeps only those (Follow).
	follow Follow
	// listed: the calls in progress have been read (Bootstrap); until then
	// a queue's backlog holds only the callers seen arrive, and is not
	// Known.
	listed bool

	sessions map[string]*callSession
	// ended holds the forgotten sessions by endedKey.
	ended endedStore

	byExt   map[ID]*partySet // live parties by owner
	waiting map[ID]*partySet // queue id -> its waiting parties
	parked  map[*callParty]struct{}

	started       bool
	day           string // the UTC day counted, "2006-01-02"
	countingSince time.Time
	lowerBound    bool
	counts        map[ID]*queueCounts

	version uint64

	// words and wordNums number the status codes and reasons the tracker
	// does not know (wordOf).
	words    []string
	wordNums map[string]word

	// queueNames hold the queue names parties keep (queueNameOf).
	queueNames map[string]*string

	// ids gives the directory's copy of an extension id (SetIDs).
	ids func(ID) (ID, bool)
}

type queueCounts struct{ answered, abandoned int }

// callSession is one telephony session as the tracker knows it.
type callSession struct {
	id    string
	start stamp
	// serverStart: start is the session's creationTime or the call log's
	// startTime, not the first event's time.
	serverStart bool
	parties     []*callParty
}

// callParty is one party of a session. There is one per leg of every
// call in progress, so its fields are laid out without padding.
type callParty struct {
	s        *callSession
	ext      ID
	from, to callEnd
	// queueName is the queue its call came through as the call says,
	// shared by every party that names it (queueNameOf); nil for none.
	queueName *string
	// rare holds its id when it is not named by number, and where it is
	// parked: nil when it has neither.
	rare    *partyRare
	joined  stamp // when it joined the call (first seen live)
	since   stamp // when it entered code
	seq     int64 // the last sequence applied to it
	touched stamp // the local time it last changed
	// inExt and inWait are the owner's and the queue's sets that hold
	// it, extAt and waitAt where in them.
	inExt, inWait *partySet
	extAt, waitAt int32
	// hist holds the events since the base, by sequence: when
	// pfHasBase, hist[0] is the base (what a read, presence or the call
	// log said: its code since its time, up to its sequence), or the
	// party's present state is while hist is empty (pinBase); else there
	// is none.
	hist   []partyEvent
	code   word
	reason word
	num    uint8
	flags  partyFlags
}

// partyFlags are a party's yes-or-no facts, a bit each (eight bools
// would take eight bytes, and a party one size class more).
type partyFlags uint8

const (
	pfHasBase     partyFlags = 1 << iota
	pfInbound                // the call came in to its side
	pfMissed                 // the server says missed
	pfQueueCall              // it came through a queue
	pfKnown                  // code came from an event or a read session, not guessed
	pfCounted                // a queue party's ending has been counted
	pfInParked               // in the parked set
	pfWasAnswered            // a user's party that answered
)

// is reports whether p has flag f.
func (p *callParty) is(f partyFlags) bool { return p.flags&f != 0 }

// set sets or clears p's flag f.
func (p *callParty) set(f partyFlags, on bool) {
	if on {
		p.flags |= f
	} else {
		p.flags &^= f
	}
}

// queue is the queue name p's call names ("" for none).
func (p *callParty) queue() string {
	if p.queueName == nil {
		return ""
	}
	return *p.queueName
}

// partyRare is what few parties have, out of line (a party is kept for
// every leg of every call in progress): id is the party's id, or "" when
// it is named as RingCentral and the emulator name a session's parties
// ("p-", the session's digits, "-" and num, below 64: partyNumber), which
// is then not kept again; parkID and parkData are where it is parked (the
// Park's id and the status's parkData).
type partyRare struct{ id, parkID, parkData string }

// ownID is the party's id when it is not named by number, else "".
func (p *callParty) ownID() string {
	if p.rare == nil {
		return ""
	}
	return p.rare.id
}

func (p *callParty) parkID() string {
	if p.rare == nil {
		return ""
	}
	return p.rare.parkID
}

func (p *callParty) parkData() string {
	if p.rare == nil {
		return ""
	}
	return p.rare.parkData
}

// setPark keeps id and data, sanitised.
func (p *callParty) setPark(id, data string) {
	own := p.ownID()
	if id == "" && data == "" {
		if own == "" {
			p.rare = nil
		} else if p.rare.parkID != "" || p.rare.parkData != "" {
			p.rare = &partyRare{id: own}
		}
		return
	}
	k := keepText(p.parkID(), id)
	d := keepText(p.parkData(), data)
	if p.rare == nil || p.rare.parkID != k || p.rare.parkData != d {
		p.rare = &partyRare{own, k, d}
	}
}

// partyNumber is party's number if it is named "p-", session's digits
// after "s-", "-" and a number from 0 to 63 (as strconv.Itoa writes it).
func partyNumber(session, party string) (uint, bool) {
	if len(session) < 2 || session[:2] != "s-" {
		return 0, false
	}
	body := session[2:]
	if len(party) < len(body)+4 || len(party) > len(body)+5 || party[:2] != "p-" || party[2:2+len(body)] != body || party[2+len(body)] != '-' {
		return 0, false
	}
	num := party[3+len(body):]
	if len(num) > 1 && num[0] == '0' {
		return 0, false
	}
	n := uint(0)
	for i := 0; i < len(num); i++ {
		if num[i] < '0' || num[i] > '9' {
			return 0, false
		}
		n = n*10 + uint(num[i]-'0')
	}
	return n, n < 64
}

// NewCalls makes an empty tracker.
func NewCalls() *Calls {
	return &Calls{
		queues:   map[ID]string{},
		byName:   map[string]ID{},
		sessions: map[string]*callSession{},
		byExt:    map[ID]*partySet{},
		waiting:  map[ID]*partySet{},
		parked:   map[*callParty]struct{}{},
		counts:   map[ID]*queueCounts{},
	}
}

// CallState is what a party of a call is doing, as a switchboard says it.
type CallState uint8

// Call states, in the order a person's calls are listed.
const (
	CallRinging   CallState = iota // an inbound call rings them
	CallDialling                   // they are placing a call
	CallConnected                  // talking
	CallHeld                       // on hold
	CallParked                     // they parked it
	CallVoicemail                  // a caller is leaving them a message
)

var callStateNames = [...]string{"Ringing", "Dialling", "On call", "On hold", "Parked", "Voicemail"}

func (s CallState) String() string {
	if int(s) < len(callStateNames) {
		return callStateNames[s]
	}
	return "Unknown"
}

// PartyCall is one call of one person, as a switchboard shows it.
type PartyCall struct {
	Session, Party string
	Ext            ID // whose party
	State          CallState
	Inbound        bool
	// Remote is the other end's name (may be ""), RemoteNumber its number
	// or extension number.
	Remote, RemoteNumber string
	// Queue and QueueName are the queue the call came through, if any.
	Queue     ID
	QueueName string
	Start     time.Time // when the call started
	Since     time.Time // when it entered State
	Orbit     string    // parked: the orbit ("*801") or the Park Location's id
	// Known is false while State is a guess from the call log (a read of
	// the session, or its next event, settles it).
	Known bool
}

// ParkedCall is one parked call. Orbit is "*8xx" for universal park, or
// the Park Location's extension id (Location, set then too).
type ParkedCall struct {
	Session, Party, Orbit, Caller, CallerNumber string
	Location                                    ID
	ParkedBy                                    ID
	Since                                       time.Time
	// ParkedByName and LocationName are the names the mirror knows for
	// ParkedBy and Location (filled by the mirror for the screen).
	ParkedByName, LocationName string
}

// Waiter is one caller waiting in a queue.
type Waiter struct {
	Session, Party       string // Party is the queue's party
	Caller, CallerNumber string
	Since                time.Time // when they entered the queue
	RingingExt           ID        // the agent being offered the call, if any
}

// Backlog is one call queue's backlog.
type Backlog struct {
	Queue   ID
	Name    string
	Waiting []Waiter // longest waiting first
	// WaitingNow counts the callers waiting (BacklogsTop lists only the
	// longest waiting few).
	WaitingNow          int
	Answered, Abandoned int // counted since CountingSince
	// CountingSince is when this tracker started counting today, or
	// midnight UTC when it started the day before.
	CountingSince time.Time
	// LowerBound: events may have been missed (a gap) and the counts may
	// miss calls, until the day rolls over.
	LowerBound bool
	// Known is false when this client cannot see the queue's calls (an
	// agent without the account-wide telephony filter).
	Known bool
}

// SetQueues says which extension ids are call queues, and their names.
func (c *Calls) SetQueues(names map[ID]string) {
	next := make(map[ID]string, len(names))
	byName := make(map[string]ID, len(names))
	for id, n := range names {
		n = Sanitize(n)
		next[id] = n
		byName[n] = id
	}
	if mapsEqual(next, c.queues) {
		return
	}
	c.queues, c.byName = next, byName
	for _, s := range c.sessions {
		for _, p := range s.parties {
			c.index(p)
		}
	}
	c.version++
}

func mapsEqual(a, b map[ID]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// SetMe says who the signed-in user is (Mine).
func (c *Calls) SetMe(me ID) {
	if c.me != me {
		c.me = me
		c.version++
	}
}

// SetAccountWide says whether this client sees every party of the account
// (the account-wide telephony filter, admins) or only its own: the queues'
// backlogs are Known only with the first.
func (c *Calls) SetAccountWide(on bool) {
	if c.accountWide != on {
		c.accountWide = on
		c.version++
	}
}

// Follow is whose parties a client's telephony stream delivers events
// of: each event carries one party, and reaches the account-wide filter
// and that party's extension's.
type Follow uint8

const (
	// FollowAll: the account-wide filter, every party of the account.
	FollowAll Follow = iota
	// FollowQueues: the user's own parties and the call queues'.
	FollowQueues
	// FollowMe: the user's own parties only.
	FollowMe
)

// SetFollow says whose parties the stream follows. The tracker keeps only
// those: a party the call log or a read of a session lists that no event
// will ever end (an agent's leg, a caller's, a call between two other
// people) would stay in the call after it ended, and its session with it.
func (c *Calls) SetFollow(f Follow) {
	if c.follow != f {
		c.follow = f
		c.version++
	}
}

// follows reports whether the stream delivers the events of a party of
// ext ("": a party outside the account, a caller).
func (c *Calls) follows(ext ID) bool {
	switch c.follow {
	case FollowAll:
		return true
	case FollowQueues:
		return ext != "" && (ext == c.me || c.isQueue(ext))
	}
	return ext != "" && ext == c.me
}

// Version bumps on every change.
func (c *Calls) Version() uint64 { return c.version }

// --- time and counts ---------------------------------------------------------

func dayOf(t time.Time) string { return t.UTC().Format(time.DateOnly) }

// observe starts counting at the first time the tracker is given, and
// rolls the day over when t is on a later UTC day.
func (c *Calls) observe(t time.Time) {
	if t.IsZero() {
		return
	}
	if !c.started {
		c.started, c.day, c.countingSince = true, dayOf(t), t
		c.version++
		return
	}
	if d := dayOf(t); d > c.day {
		u := t.UTC()
		c.day, c.countingSince = d, time.Date(u.Year(), u.Month(), u.Day(), 0, 0, 0, 0, time.UTC)
		c.lowerBound = false
		clear(c.counts)
		c.version++
	}
}

// Tick rolls the counts over at UTC midnight when no event has; true when
// it changed something.
func (c *Calls) Tick(now time.Time) bool {
	v := c.version
	c.observe(now)
	c.prune(now)
	return c.version != v
}

// Gap records that events may have been missed from at on (the
// subscription was lost or re-created): the counts become lower bounds
// until the day rolls over, and every party's state is a guess until an
// event or a read settles it (Bootstrap asks for them again).
func (c *Calls) Gap(at time.Time) {
	c.observe(at)
	c.lowerBound = true
	for _, s := range c.sessions {
		for _, p := range s.parties {
			p.set(pfKnown, false)
		}
	}
	c.version++
}

// count records a queue party's ending at t.
func (c *Calls) count(p *callParty, t time.Time) {
	if p.is(pfCounted) {
		return
	}
	p.set(pfCounted, true)
	if !c.started || t.IsZero() || dayOf(t) < c.day {
		return // before counting started, or yesterday's
	}
	answered := false
	switch p.reason {
	case wAgentAnswered:
		answered = true
	case wCallRedirected, wBlindTransfer, wAttendedTransfer, wRccTransfer, wCallerInputRedirect, wDtmfTransfer:
		return // sent elsewhere: neither
	case wNone:
		// No reason given: an agent of this call who answered says answered.
		for _, o := range p.s.parties {
			if o != p && o.is(pfWasAnswered) {
				answered = true
			}
		}
	}
	qc := c.counts[p.ext]
	if qc == nil {
		qc = &queueCounts{}
		c.counts[p.ext] = qc
	}
	if answered {
		qc.answered++
	} else {
		qc.abandoned++
	}
}

// --- indexes -------------------------------------------------------------------

func (p *callParty) live() bool { return p.code != wDisconnected && p.code != wGone }

func (p *callParty) ringing() bool { return p.code == wSetup || p.code == wProceeding }

func (c *Calls) isQueue(id ID) bool {
	_, ok := c.queues[id]
	return ok && id != ""
}

// partySet is the live parties of one owner, or the waiting parties of
// one queue: a slice in which each party knows its place (callParty's
// extAt, waitAt), cheaper than a map per owner and as quick to change.
type partySet struct {
	id ID
	ps []*callParty
}

// setID is the id of the set s, "" for none.
func setID(s *partySet) ID {
	if s == nil {
		return ""
	}
	return s.id
}

// move takes a party out of the set *in (at *at) and files it in the set
// of sets for id ("": none).
func move(sets map[ID]*partySet, p *callParty, in **partySet, at *int32, id ID, place func(*callParty) *int32) {
	if old := *in; old != nil {
		i, last := *at, len(old.ps)-1
		if int(i) != last {
			o := old.ps[last]
			old.ps[i], *place(o) = o, i
		}
		old.ps[last] = nil
		old.ps = old.ps[:last]
		if last == 0 {
			delete(sets, old.id)
		} else if cap(old.ps) > 64 && last < cap(old.ps)/4 {
			old.ps = slices.Clip(slices.Clone(old.ps)) // a jam has drained
		}
		*in = nil
	}
	if id == "" {
		return
	}
	set := sets[id]
	if set == nil {
		set = &partySet{id: id}
		sets[id] = set
	}
	*in, *at = set, int32(len(set.ps))
	set.ps = append(set.ps, p)
}

func extPlace(p *callParty) *int32  { return &p.extAt }
func waitPlace(p *callParty) *int32 { return &p.waitAt }

// index files p in the owner, waiting and parked sets its state puts it in.
func (c *Calls) index(p *callParty) {
	live := p.live()
	var wantExt ID
	if live {
		wantExt = p.ext
	}
	if wantExt != setID(p.inExt) {
		move(c.byExt, p, &p.inExt, &p.extAt, wantExt, extPlace)
	}
	var wantWait ID
	if live && p.ringing() && c.isQueue(p.ext) {
		wantWait = p.ext
	}
	if wantWait != setID(p.inWait) {
		move(c.waiting, p, &p.inWait, &p.waitAt, wantWait, waitPlace)
	}
	wantParked := live && p.code == wParked
	if wantParked != p.is(pfInParked) {
		if wantParked {
			c.parked[p] = struct{}{}
		} else {
			delete(c.parked, p)
		}
		p.set(pfInParked, wantParked)
	}
}

// unindex takes p out of every set.
func (c *Calls) unindex(p *callParty) {
	code := p.code
	p.code = wGone
	c.index(p)
	p.code = code
}

// --- sessions --------------------------------------------------------------------

func (s *callSession) party(id string) *callParty {
	n, numbered := partyNumber(s.id, id)
	for _, p := range s.parties {
		if own := p.ownID(); own == id && id != "" || own == "" && numbered && uint(p.num) == n {
			return p
		}
	}
	return nil
}

// newParty adds party id to the session.
func (s *callSession) newParty(id string) *callParty {
	p := &callParty{s: s}
	if n, ok := partyNumber(s.id, id); ok {
		p.num = uint8(n)
	} else {
		p.rare = &partyRare{id: strings.Clone(id)} // not a piece of the decoded event
	}
	s.parties = append(s.parties, p)
	return p
}

// partyID is p's id.
func (p *callParty) partyID() string {
	if id := p.ownID(); id != "" {
		return id
	}
	return "p-" + p.s.id[2:] + "-" + partyNums[p.num]
}

// partyNums are the numbers of a session's parties, written once.
var partyNums = func() (n [64]string) {
	for i := range n {
		n[i] = strconv.Itoa(i)
	}
	return n
}()

func (s *callSession) anyLive() bool {
	return slices.ContainsFunc(s.parties, (*callParty).live)
}

// session returns the session id, making it if it is new.
func (c *Calls) session(id string) *callSession {
	s := c.sessions[id]
	if s == nil {
		s = &callSession{id: strings.Clone(id)} // not a piece of the decoded event
		c.sessions[s.id] = s
	}
	return s
}

// forget drops a session whose parties have all left, keeping their
// sequences a while.
func (c *Calls) forget(s *callSession, at time.Time) {
	for _, p := range s.parties {
		c.bury(p, at)
	}
	delete(c.sessions, s.id)
}

// bury takes p out of every set and remembers its last sequence.
func (c *Calls) bury(p *callParty, at time.Time) {
	c.unindex(p)
	e, _ := c.endedOf(p.s.id)
	e.at = stampOf(at)
	e.note(p)
	c.setEnded(p.s.id, e)
}

// drop takes a party out of a session without an ending event: it left
// while nobody was listening. A waiting queue party's ending is then
// missed, so the counts become lower bounds.
func (c *Calls) drop(p *callParty, at time.Time) {
	if p.live() && c.isQueue(p.ext) && !p.is(pfCounted) {
		c.lowerBound = true
	}
	c.bury(p, at)
	p.s.parties = slices.DeleteFunc(p.s.parties, func(o *callParty) bool { return o == p })
}

// --- ingest ----------------------------------------------------------------------

// endOf is e as p keeps it.
func (p *callParty) endOf(old callEnd, e *rc.CallEnd) callEnd {
	return p.s.end(old, e.Name, e.PhoneNumber, e.ExtensionNumber)
}

// setCode moves p to code at t; true when it changed.
func (c *Calls) setCode(p *callParty, code, reason word, t time.Time) bool {
	if p.code == code && p.reason == reason {
		return false
	}
	wasLive := p.live() || p.code == wNone
	if p.code != code {
		p.since = stampOf(t)
	}
	if p.code == wNone && code != wDisconnected && code != wGone {
		p.joined = stampOf(t)
	}
	p.code, p.reason = code, reason
	if code == wAnswered && !c.isQueue(p.ext) && p.ext != "" {
		p.set(pfWasAnswered, true)
	}
	if wasLive && !p.live() && c.isQueue(p.ext) {
		c.count(p, t)
	}
	return true
}

// Apply takes one telephony session event; false when it changed nothing
// (an old sequence, a duplicate).
func (c *Calls) Apply(ev rc.TelephonySession, at time.Time) bool {
	if ev.ID == "" || len(ev.Parties) == 0 {
		return false
	}
	t := ev.EventTime.Time
	if t.IsZero() {
		t = at
	}
	v := c.version
	c.observe(t)
	c.prune(at)
	changed := false
	for i := range ev.Parties {
		if c.applyParty(ev, &ev.Parties[i], t, at) {
			changed = true
		}
	}
	if changed {
		c.version++
	}
	return changed || c.version != v
}

func (c *Calls) applyParty(ev rc.TelephonySession, rp *rc.CallParty, t, at time.Time) bool {
	if rp.ID == "" || !c.follows(ID(rp.Extension())) {
		return false // a party whose later events may never come
	}
	ts := stampOf(t)
	s := c.sessions[ev.ID]
	var p *callParty
	moved := false
	if s != nil {
		if p = s.party(rp.ID); p != nil {
			p.pinBase()
		}
		if !s.serverStart && ts < s.start {
			s.start, moved = ts, true // a late event still says when the call was up
		}
	}
	if p == nil {
		if e, ok := c.endedOf(ev.ID); ok {
			if last, ok := e.last(ev.ID, rp.ID); ok && (ev.Sequence == 0 || ev.Sequence <= last) {
				return false // the party left; this is late
			}
		}
	} else if ev.Sequence > 0 && ev.Sequence <= p.seq {
		// Late: its state is stale, but it may tell since when the party
		// is in its state (it left it and came back in between) and since
		// when it was in the call.
		if ev.Sequence > p.baseSeq() && p.record(ev.Sequence, c.wordOf(rp.Status.Code), t) && p.resince() {
			moved = true
		}
		if p.live() && rp.Live() && p.joined != 0 && ts < p.joined {
			p.joined, moved = ts, true
		}
		return moved
	}
	if s == nil {
		s = c.session(ev.ID)
	}
	if !s.serverStart && (s.start == 0 || ts < s.start) {
		s.start = ts
	}
	isNew := p == nil
	if isNew {
		p = s.newParty(rp.ID)
	}
	before := p.snapshot()
	c.fromParty(p, rp)
	p.set(pfQueueCall, rp.QueueCall)
	if ev.Sequence > 0 {
		p.seq = ev.Sequence
	}
	p.set(pfKnown, true)
	p.touched = stampOf(at)
	code := c.wordOf(rp.Status.Code)
	c.setCode(p, code, c.wordOf(rp.Status.Reason), t)
	if ev.Sequence > 0 {
		p.record(ev.Sequence, code, t)
		p.resince()
	}
	c.index(p)
	if !s.anyLive() {
		c.forget(s, at)
	}
	return isNew || p.snapshot() != before
}

// fromParty sets what an event or a read session says of a party, but its
// state and whether it came through a queue.
func (c *Calls) fromParty(p *callParty, rp *rc.CallParty) {
	p.ext = c.keepID(p.s, p.ext, ID(rp.Extension()))
	p.set(pfInbound, rp.Direction != "Outbound")
	p.from, p.to = p.endOf(p.from, &rp.From), p.endOf(p.to, &rp.To)
	p.set(pfMissed, rp.MissedCall)
	if qn := rp.QueueName(); qn != "" {
		p.queueName = c.queueNameOf(c.keepQueueName(p.queue(), qn))
	}
	p.setPark(string(rp.Park.ID), rp.Status.ParkData)
}

// partyEvent is one event's word on a party, kept so that since when the
// party is in its state does not depend on the order events arrive in.
type partyEvent struct {
	seq  int64
	t    stamp
	code word
}

// record files an event in the party's history, by sequence; false when
// that sequence is there already (or is before the history kept, and
// cannot change since when the party is in its state).
func (p *callParty) record(seq int64, code word, t time.Time) bool {
	i, found := slices.BinarySearchFunc(p.hist, seq, func(e partyEvent, s int64) int { return cmp.Compare(e.seq, s) })
	if found {
		return false
	}
	p.hist = slices.Insert(p.hist, i, partyEvent{seq, stampOf(t), code})
	p.trim()
	return true
}

// trim drops the history before the last event in another state than
// the last run's: since when the party is in its state is the first time
// of that run, and an event that comes late from before that other state
// cannot join the run. It keeps a party's history to a few events however
// long the call.
func (p *callParty) trim() {
	n := len(p.hist)
	if n < 3 {
		return
	}
	i := n - 1
	for i > 0 && p.hist[i-1].code == p.hist[n-1].code {
		i--
	}
	if i >= 2 {
		p.hist = slices.Delete(p.hist, 0, i-1)
		p.set(pfHasBase, false) // not needed: the event before the run stays
	}
}

// baseSeq is the sequence up to which the base says (0: no base).
func (p *callParty) baseSeq() int64 {
	switch {
	case !p.is(pfHasBase):
		return 0
	case len(p.hist) == 0:
		return p.seq
	}
	return p.hist[0].seq
}

// resince sets since from the history: the time of the first event of the
// last run in the party's current state (or of what a read or the call
// log said, when the run goes back that far). True when it changed.
func (p *callParty) resince() bool {
	p.pinBase()
	n, first := len(p.hist), 0
	if p.is(pfHasBase) {
		first = 1
	}
	if n == first || p.hist[n-1].code != p.code {
		return false
	}
	i := n - 1
	for i > first && p.hist[i-1].code == p.code {
		i--
	}
	since := p.hist[i].t
	if i == 1 && p.is(pfHasBase) {
		if b := p.hist[0]; b.code == p.code && b.t != 0 && b.t < since {
			since = b.t
		}
	}
	if since == p.since {
		return false
	}
	p.since = since
	return true
}

// rebase makes the party's present state the base later events build on:
// what a read, presence or the call log said.
// Until an event comes the base is the party's present state, kept in
// the party alone (a party read at start and never told more needs no
// history); pinBase files it in the history before an event changes it.
func (p *callParty) rebase() {
	p.hist = p.hist[:0]
	p.set(pfHasBase, true)
}

// pinBase files the base in the history, when only the party holds it.
func (p *callParty) pinBase() {
	if p.is(pfHasBase) && len(p.hist) == 0 {
		if p.hist == nil {
			p.hist = make([]partyEvent, 0, 2) // the base, and the event coming
		}
		p.hist = append(p.hist, partyEvent{p.seq, p.since, p.code})
	}
}

// partySnapshot is what a party shows, to tell a change from a repeat.
type partySnapshot struct {
	ext                   ID
	inbound, missed, qc   bool
	known                 bool
	from, to              callEnd
	queueName, park, data string
	code, reason          word
	seq                   int64
}

func (p *callParty) snapshot() partySnapshot {
	return partySnapshot{ext: p.ext, inbound: p.is(pfInbound), missed: p.is(pfMissed), qc: p.is(pfQueueCall), known: p.is(pfKnown),
		from: p.from, to: p.to, queueName: p.queue(), park: p.parkID(), data: p.parkData(),
		code: p.code, reason: p.reason, seq: p.seq}
}

// --- views -----------------------------------------------------------------------

// stateOf is the switchboard state of a live party.
func stateOf(p *callParty) CallState {
	switch p.code {
	case wSetup, wProceeding:
		if p.is(pfInbound) {
			return CallRinging
		}
		return CallDialling
	case wHold:
		return CallHeld
	case wParked:
		return CallParked
	case wVoiceMail, wVoiceMailScreening:
		return CallVoicemail
	}
	return CallConnected
}

// remote is the other end of p.
func (p *callParty) remote() callEnd {
	if p.is(pfInbound) {
		return p.from
	}
	return p.to
}

// queueOf is the queue p's call came through, if any.
func (c *Calls) queueOf(p *callParty) (ID, string) {
	if !p.is(pfQueueCall) || c.isQueue(p.ext) {
		return "", ""
	}
	for i := len(p.s.parties) - 1; i >= 0; i-- {
		if o := p.s.parties[i]; c.isQueue(o.ext) {
			return o.ext, c.queues[o.ext]
		}
	}
	qn := p.queue()
	if id, ok := c.byName[qn]; ok {
		return id, qn
	}
	return "", qn
}

func orbitOf(p *callParty) string {
	if d := p.parkData(); d != "" {
		return d
	}
	return p.parkID()
}

// Of lists a person's live calls: ringing first, then dialling,
// connected, held, parked, and voicemail being left; oldest first within
// each.
func (c *Calls) Of(ext ID) []PartyCall {
	set := c.byExt[ext]
	if set == nil {
		return nil
	}
	out := make([]PartyCall, 0, len(set.ps))
	for _, p := range set.ps {
		r := p.remote()
		q, qn := c.queueOf(p)
		pc := PartyCall{
			Session: p.s.id, Party: p.partyID(), Ext: p.ext, State: stateOf(p), Inbound: p.is(pfInbound),
			Remote: r.name(), RemoteNumber: r.number(), Queue: q, QueueName: qn,
			Start: p.s.start.time(), Since: p.since.time(), Known: p.is(pfKnown),
		}
		if pc.State == CallParked {
			pc.Orbit = orbitOf(p)
		}
		out = append(out, pc)
	}
	slices.SortFunc(out, func(a, b PartyCall) int {
		return cmp.Or(cmp.Compare(a.State, b.State), a.Start.Compare(b.Start), cmp.Compare(a.Session, b.Session), cmp.Compare(a.Party, b.Party))
	})
	return out
}

// Mine lists the signed-in user's live calls (Of(me)).
func (c *Calls) Mine() []PartyCall {
	if c.me == "" {
		return nil
	}
	return c.Of(c.me)
}

// Parked lists the parked calls, oldest first.
func (c *Calls) Parked() []ParkedCall {
	out := make([]ParkedCall, 0, len(c.parked))
	for p := range c.parked {
		r := p.remote()
		pc := ParkedCall{Session: p.s.id, Party: p.partyID(), Orbit: orbitOf(p), Caller: r.name(), CallerNumber: r.number(),
			ParkedBy: p.ext, Since: p.since.time()}
		if p.parkData() == "" && p.parkID() != "" {
			pc.Location = ID(p.parkID())
		}
		out = append(out, pc)
	}
	slices.SortFunc(out, func(a, b ParkedCall) int {
		return cmp.Or(a.Since.Compare(b.Since), cmp.Compare(a.Session, b.Session), cmp.Compare(a.Party, b.Party))
	})
	return out
}

// Backlog is one queue's backlog; false when q is not a known queue.
func (c *Calls) Backlog(q ID) (Backlog, bool) { return c.backlog(q, -1) }

// backlog is queue q's backlog with its top longest waiting callers (all
// of them when top < 0); WaitingNow counts them all.
func (c *Calls) backlog(q ID, top int) (Backlog, bool) {
	name, ok := c.queues[q]
	if !ok {
		return Backlog{}, false
	}
	b := Backlog{Queue: q, Name: name, CountingSince: c.countingSince, LowerBound: c.lowerBound, Known: c.accountWide && c.listed}
	if qc := c.counts[q]; qc != nil {
		b.Answered, b.Abandoned = qc.answered, qc.abandoned
	}
	var waiting []*callParty
	if set := c.waiting[q]; set != nil {
		waiting = set.ps
	}
	b.WaitingNow = len(waiting)
	older := func(x, y *callParty) int {
		if x.joined != y.joined { // the ids only on a tie: a jammed queue is scanned twice a second
			return cmp.Compare(x.joined, y.joined)
		}
		return cmp.Compare(x.s.id, y.s.id)
	}
	// The longest waiting first: all of them sorted, or the top few kept
	// in order as the set is scanned once (a jammed queue holds thousands).
	var ps []*callParty
	if top < 0 {
		ps = slices.Clone(waiting)
		slices.SortFunc(ps, older)
	} else {
		for _, p := range waiting {
			switch {
			case len(ps) < top:
				i, _ := slices.BinarySearchFunc(ps, p, older)
				ps = slices.Insert(ps, i, p)
			case top > 0 && older(p, ps[len(ps)-1]) < 0:
				i, _ := slices.BinarySearchFunc(ps, p, older)
				copy(ps[i+1:], ps[i:len(ps)-1])
				ps[i] = p
			}
		}
	}
	for _, p := range ps {
		w := Waiter{Session: p.s.id, Party: p.partyID(), Caller: p.from.name(), CallerNumber: p.from.number(), Since: p.joined.time()}
		for _, o := range p.s.parties {
			if o.live() && o.ringing() && o.is(pfInbound) && o.ext != "" && !c.isQueue(o.ext) {
				w.RingingExt = o.ext
			}
		}
		b.Waiting = append(b.Waiting, w)
	}
	return b, true
}

// BacklogsTop is Backlogs with only the top longest waiting callers of
// each queue listed (WaitingNow still counts them all).
func (c *Calls) BacklogsTop(top int) []Backlog { return c.backlogs(top) }

// Backlogs lists every queue's backlog, in queue-name order.
func (c *Calls) Backlogs() []Backlog { return c.backlogs(-1) }

func (c *Calls) backlogs(top int) []Backlog {
	ids := make([]ID, 0, len(c.queues))
	for id := range c.queues {
		ids = append(ids, id)
	}
	slices.SortFunc(ids, func(a, b ID) int { return cmp.Or(cmp.Compare(c.queues[a], c.queues[b]), cmp.Compare(a, b)) })
	out := make([]Backlog, 0, len(ids))
	for _, id := range ids {
		b, _ := c.backlog(id, top)
		out = append(out, b)
	}
	return out
}
