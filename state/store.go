package state

import (
	"math"
	"slices"
	"strings"
	"time"

	"github.com/rchud/rchud/rc"
)

// store is the directory and every extension's presence, with the
// sequence merge. Entries are replaced, never edited, once published
// (copy on write). It is not safe for concurrent use: the Mirror's lock
// guards it.
type store struct {
	now func() time.Time
	col *collator

	entries []*Entry
	index   map[ID]int
	// counts tallies the entries by availability.
	counts Counts
	queues []Queue
	qindex map[ID]int
	me     ID
	admin  bool
	// dirWords keeps each directory text many extensions repeat (a type,
	// department or site name) once, and deptKeys each department's
	// collation key: 10,000 people work in a few dozen departments.
	dirWords map[string]string
	deptKeys map[string]string
	// shared gives the call tracker's copies of a call's session id and
	// of its party's ends' texts (Calls.keptTexts), or is nil.
	shared func(session, party string) (id string, texts [4]string, ok bool)
	// parkers are the entries with a parked call on their presence, so
	// that the parked calls are listed without reading every entry.
	parkers map[ID]struct{}
}

func newStore(now func() time.Time, col *collator) store {
	return store{now: now, col: col, index: map[ID]int{}, qindex: map[ID]int{}, parkers: map[ID]struct{}{}}
}

// keptID is the directory's copy of id, if it has one.
func (s *store) keptID(id ID) (ID, bool) {
	if e := s.entry(id); e != nil {
		return e.ID, true
	}
	return "", false
}

// entry returns id's entry, or nil.
func (s *store) entry(id ID) *Entry {
	if i, ok := s.index[id]; ok {
		return s.entries[i]
	}
	return nil
}

// addExtensions adds or updates directory records, sanitised.
func (s *store) addExtensions(exts []rc.Extension) {
	var queuesOf map[ID][]ID // newcomers' queues, when queues are known before them
	for _, x := range exts {
		id := ID(x.ID)
		i, ok := s.index[id]
		var e Entry
		if ok {
			e = *s.entries[i]
		} else {
			i = len(s.entries)
			s.entries = append(s.entries, &Entry{ID: id, Availability: NoPresence})
			s.counts[NoPresence]++
			s.index[id] = i
			e.ID = id
			if queuesOf == nil {
				queuesOf = s.membership(exts)
			}
			e.Queues = queuesOf[id]
		}
		e.Number, e.Name, e.Type = Sanitize(x.ExtensionNumber), Sanitize(x.Name), s.dirWord(Sanitize(x.Type))
		e.Department, e.Site, e.Email = s.dirWord(Sanitize(x.Contact.Department)), s.dirWord(Sanitize(x.Site.Name)), Sanitize(x.Contact.Email)
		e.Admin = x.Permissions.Admin.Enabled
		e.Availability = derive(&e)
		e.search = strings.ToLower(e.Name + "\x00" + e.Number + "\x00" + e.Department)
		e.nameKey, e.deptKey = s.col.key(e.Name), s.deptKey(e.Department)
		e.numKey = numberKey(e.Number)
		refreshKeys(&e)
		s.put(i, &e)
	}
}

// maxDirWords bounds dirWords and deptKeys: a directory whose
// departments and sites are that many is not sharing them, and they are
// forgotten rather than kept growing.
const maxDirWords = 4096

// dirWord is v (sanitised) as the store keeps it: the copy it has, when
// another extension has the same text.
func (s *store) dirWord(v string) string {
	if v == "" {
		return ""
	}
	if w, ok := s.dirWords[v]; ok {
		return w
	}
	if s.dirWords == nil || len(s.dirWords) >= maxDirWords {
		s.dirWords = map[string]string{}
	}
	s.dirWords[v] = v
	return v
}

// deptKey is the collation key of department dept, computed once.
func (s *store) deptKey(dept string) string {
	if k, ok := s.deptKeys[dept]; ok {
		return k
	}
	k := s.col.key(dept)
	if s.deptKeys == nil || len(s.deptKeys) >= maxDirWords {
		s.deptKeys = map[string]string{}
	}
	s.deptKeys[dept] = k
	return k
}

// remove takes id out of the directory and of every queue; the last
// entry moves into its place, so positions change (the caller rebuilds
// what holds positions). It reports whether id was there.
func (s *store) remove(id ID) bool {
	i, ok := s.index[id]
	if !ok {
		return false
	}
	s.counts[s.entries[i].Availability]--
	last := len(s.entries) - 1
	if i != last {
		s.entries[i] = s.entries[last]
		s.index[s.entries[i].ID] = i
	}
	s.entries[last] = nil
	s.entries = s.entries[:last]
	delete(s.index, id)
	delete(s.parkers, id)
	for qi := range s.queues {
		q := &s.queues[qi]
		if slices.Contains(q.Members, id) {
			q.Members = slices.DeleteFunc(slices.Clone(q.Members), func(m ID) bool { return m == id })
		}
		delete(q.Accept, id)
	}
	return true
}

// put replaces the entry at position i, keeping the counts and the
// parkers.
func (s *store) put(i int, e *Entry) {
	s.counts[s.entries[i].Availability]--
	s.counts[e.Availability]++
	s.entries[i] = e
	if slices.ContainsFunc(e.Calls, func(c Call) bool { return c.status == wordParked }) {
		s.parkers[e.ID] = struct{}{}
	} else {
		delete(s.parkers, e.ID)
	}
}

// parkedEntries are the entries with a parked call, in directory order.
func (s *store) parkedEntries() []*Entry {
	idx := make([]int, 0, len(s.parkers))
	for id := range s.parkers {
		if i, ok := s.index[id]; ok {
			idx = append(idx, i)
		}
	}
	slices.Sort(idx)
	out := make([]*Entry, len(idx))
	for j, i := range idx {
		out[j] = s.entries[i]
	}
	return out
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

// refreshKeys recomputes the keys that follow presence. What a filter
// looks for in presence (dynMatches) is not kept: a key per person redone
// at every change (1,000 a second on a busy account) for a filter that is
// mostly off cost a megabyte at 10,000 people.
func refreshKeys(e *Entry) {
	e.msgKey = strings.ToLower(e.Message)
}

// lowerAvailability is each availability's name in lower case.
var lowerAvailability = func() []string {
	out := make([]string, len(availabilityNames))
	for i, n := range availabilityNames {
		out[i] = strings.ToLower(n)
	}
	return out
}()

// dynMatches reports whether lowered text is in what e's presence says:
// its availability, statuses, message and the other ends of its calls,
// each field on its own.
func dynMatches(e *Entry, text string) bool {
	in := func(s string) bool { return strings.Contains(strings.ToLower(s), text) }
	if a := e.Availability; a >= 0 && int(a) < len(lowerAvailability) {
		if strings.Contains(lowerAvailability[a], text) {
			return true
		}
	} else if in(a.String()) {
		return true
	}
	if in(e.UserStatus) || in(string(e.DNDStatus)) || strings.Contains(e.msgKey, text) {
		return true
	}
	for i := range e.Calls {
		name, num := e.Calls[i].Party()
		if in(name) || in(num) {
			return true
		}
	}
	return false
}

// setQueues replaces the call queues and their membership; it reports the
// ids whose membership changed.
func (s *store) setQueues(qs []Queue) []ID {
	s.queues = nil
	s.qindex = map[ID]int{}
	member := map[ID][]ID{}
	for _, q := range qs {
		if q.Accept == nil {
			q.Accept = map[ID]bool{}
		}
		q.Name, q.Number = Sanitize(q.Name), Sanitize(q.Number)
		s.qindex[q.ID] = len(s.queues)
		s.queues = append(s.queues, q)
		for _, id := range q.Members {
			member[id] = append(member[id], q.ID)
		}
	}
	var changed []ID
	for i, e := range s.entries {
		if !slices.Equal(e.Queues, member[e.ID]) {
			c := *e
			c.Queues = member[e.ID]
			s.put(i, &c)
			changed = append(changed, e.ID)
		}
	}
	return changed
}

// setMembers replaces queue q's members with its whole membership as
// loaded.
func (s *store) setMembers(q ID, members []ID) {
	qq := s.queue(q)
	if qq == nil {
		return
	}
	was := make(map[ID]bool, len(qq.Members))
	for _, id := range qq.Members {
		was[id] = true
	}
	now := make(map[ID]bool, len(members))
	list := make([]ID, 0, len(members))
	for _, id := range members {
		if !now[id] {
			now[id] = true
			list = append(list, id)
		}
	}
	qq.Members, qq.MembersKnown = list, true
	for _, id := range list {
		if !was[id] {
			s.setMembership(id, q, true)
		}
	}
	for id := range was {
		if !now[id] {
			s.setMembership(id, q, false)
		}
	}
}

// setMembership puts id in queue q's membership, or takes it out, in the
// queue's member list and in id's own list of queues.
func (s *store) setMembership(id, q ID, in bool) {
	if qq := s.queue(q); qq != nil && slices.Contains(qq.Members, id) != in {
		if in {
			qq.Members = append(slices.Clone(qq.Members), id)
		} else {
			qq.Members = slices.DeleteFunc(slices.Clone(qq.Members), func(m ID) bool { return m == id })
		}
	}
	i, ok := s.index[id]
	if !ok || slices.Contains(s.entries[i].Queues, q) == in {
		return
	}
	e := *s.entries[i]
	if in {
		e.Queues = append(slices.Clone(e.Queues), q)
		slices.SortFunc(e.Queues, func(a, b ID) int { return s.qindex[a] - s.qindex[b] })
	} else {
		e.Queues = slices.DeleteFunc(slices.Clone(e.Queues), func(x ID) bool { return x == q })
		if len(e.Queues) == 0 {
			e.Queues = nil
		}
	}
	s.put(i, &e)
}

// membership lists the queues each of exts is in, as the queues' member
// lists have it.
func (s *store) membership(exts []rc.Extension) map[ID][]ID {
	out := map[ID][]ID{}
	if len(s.queues) == 0 {
		return out
	}
	want := make(map[ID]bool, len(exts))
	for _, x := range exts {
		want[ID(x.ID)] = true
	}
	for _, q := range s.queues {
		for _, id := range q.Members {
			if want[id] {
				out[id] = append(out[id], q.ID)
			}
		}
	}
	return out
}

// membersKnown reports whether every queue's membership is loaded.
func (s *store) membersKnown() bool {
	for i := range s.queues {
		if !s.queues[i].MembersKnown {
			return false
		}
	}
	return true
}

// queue returns q, or nil.
func (s *store) queue(q ID) *Queue {
	if i, ok := s.qindex[q]; ok {
		return &s.queues[i]
	}
	return nil
}

// queueAccept reports member's availability in queue q, and whether it is
// known.
func (s *store) queueAccept(q, member ID) (accept, known bool) {
	qq := s.queue(q)
	if qq == nil {
		return false, false
	}
	accept, known = qq.Accept[member]
	return accept, known
}

// merge lays a presence update over id's entry, field by field: each
// field present applies unless the entry holds that field from a higher
// sequence (a body that comes late still brings what no newer body
// restated). It returns the new entry (nil: nothing applied) and whether
// activeCalls must be fetched because the body left them incomplete.
func (s *store) merge(id ID, u *update, at time.Time, seen bool, confirmed time.Time) (e *Entry, fetch bool) {
	i, ok := s.index[id]
	if !ok {
		return nil, false
	}
	before := s.entries[i]
	n := *before
	applied := false
	take := func(f int) bool {
		if !u.has[f] || !newer(u.sequenced, u.seq[f], int64(n.fseq[f])) {
			return false
		}
		if u.sequenced {
			n.fseq[f] = seq32(u.seq[f])
		}
		applied = true
		return true
	}
	for f, dst := range [fCalls]*string{&n.PresenceStatus, &n.UserStatus, nil, &n.TelephonyStatus, &n.MeetingStatus, &n.Message, nil, nil} {
		if !take(f) {
			continue
		}
		switch f {
		case fDND:
			n.RawDND = DNDStatus(keepWord(string(n.RawDND), u.str[f]))
		case fPersonal:
			n.CHS, n.DNDPersonal = true, DNDStatus(keepWord(string(n.DNDPersonal), u.str[f]))
		case fAcceptQ:
			n.CHS, n.QueueOff = true, u.str[f] != "true"
		default:
			*dst = keepWord(*dst, u.str[f])
		}
	}
	n.DNDStatus = n.effectiveDND()
	if take(fCalls) {
		switch {
		case u.callsGiven:
			n.Calls = s.convertCalls(u.calls, &n)
			n.TotalCalls = len(n.Calls)
			n.CallsUnsure = false
			if u.total != nil && *u.total > len(u.calls) {
				n.TotalCalls = *u.total
				n.CallsUnsure, fetch = true, true
			}
		case !u.detailed, u.total != nil && *u.total == 0, n.TelephonyStatus == "NoCall":
			n.Calls, n.TotalCalls, n.CallsUnsure = nil, 0, false
		default:
			// A detailed body without its calls: ask for them.
			n.CallsUnsure, fetch = true, true
		}
	}
	if !applied {
		return nil, false
	}
	if u.sequenced {
		n.seq = max(n.seq, seq32(u.maxSeq))
	}
	n.Known = true
	s.settle(&n, before, at, seen)
	if !confirmed.IsZero() {
		n.Confirmed = confirmed
	}
	s.put(i, &n)
	return &n, fetch
}

// replace sets id's presence from a REST record (which carries no
// sequence: the next notification's sequence applies whatever it is).
func (s *store) replace(p *rc.Presence, detailed bool, confirmed time.Time) *Entry {
	i, ok := s.index[ID(p.Who())]
	if !ok {
		return nil
	}
	before := s.entries[i]
	n := *before
	n.PresenceStatus = keptWord(n.PresenceStatus, p.PresenceStatus)
	n.UserStatus = keptWord(n.UserStatus, p.UserStatus)
	n.RawDND = DNDStatus(keptWord(string(n.RawDND), p.DNDStatus))
	n.CHS = p.DNDStatusPersonal != nil || p.AcceptCallQueueCalls != nil
	n.DNDPersonal, n.QueueOff = DNDStatus(keptWord(string(n.DNDPersonal), p.DNDStatusPersonal)), p.AcceptCallQueueCalls != nil && !*p.AcceptCallQueueCalls
	n.DNDStatus = n.effectiveDND()
	n.TelephonyStatus = keptWord(n.TelephonyStatus, p.TelephonyStatus)
	n.MeetingStatus = keptWord(n.MeetingStatus, p.MeetingStatus)
	n.Message = keptWord(n.Message, p.Message)
	if detailed {
		n.Calls = s.convertCalls(p.ActiveCalls, &n)
		n.TotalCalls = len(n.Calls)
		n.CallsUnsure = false
	}
	n.seq, n.fseq = 0, [nFields]int32{}
	n.Known = true
	s.settle(&n, before, time.Time{}, false)
	n.Confirmed = confirmed
	s.put(i, &n)
	return &n
}

// settle recomputes what derives from the raw fields and stamps the
// changes: time in state from the server's timestamp (unknown when the
// change happened unseen), Changed for the highlight.
func (s *store) settle(e, before *Entry, at time.Time, seen bool) {
	e.Availability = derive(e)
	refreshKeys(e)
	switch e.DNDStatus {
	case TakeAllCalls:
		e.lastNonDND = restTakeAll
	case NoQueueCalls:
		e.lastNonDND = restNoQueue
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
		e.Changed = s.now()
	}
}

// restingDND is the dndStatus for ext to leave DND with: the current one
// unless it is DND, else the last one before DND, else TakeAllCalls.
func (s *store) restingDND(ext ID) DNDStatus {
	e := s.entry(ext)
	switch {
	case e == nil:
		return TakeAllCalls
	case e.DNDStatus == TakeAllCalls || e.DNDStatus == NoQueueCalls:
		return e.DNDStatus
	case e.lastNonDND == restNoQueue:
		return NoQueueCalls
	}
	return TakeAllCalls
}

func setIf(dst *string, v *string) {
	if v != nil {
		*dst = Sanitize(*v)
	}
}

func sanitized(s *string) string {
	if s == nil {
		return ""
	}
	return Sanitize(*s)
}

// convertCalls keeps the calls still active (an ended call is reported
// once with NoCall or terminationType final), sanitised, for entry own. A
// text a call of own's calls so far has already is kept once, not again
// from every event that repeats it; the session id, names and numbers the
// call tracker keeps of the same call are kept rather than copies (16,000
// calls at the front desk, each named in both), and own's name and number
// (the callee of a call to them, the caller of one they place) are own's.
func (s *store) convertCalls(in []rc.ActiveCall, own *Entry) []Call {
	prev := own.Calls
	out := make([]Call, 0, len(in))
	for _, c := range in {
		if c.TelephonyStatus == "NoCall" || c.TerminationType == "final" {
			continue
		}
		var was Call
		for i := range prev {
			if prev[i].ID == c.ID {
				was = prev[i]
				break
			}
		}
		var sid string
		var texts [6]string
		if s.shared != nil {
			var t [4]string
			sid, t, _ = s.shared(c.TelephonySessionID, c.PartyID)
			copy(texts[:], t[:])
		}
		texts[4], texts[5] = own.Name, own.Number
		call := Call{
			ID: keepWord(was.ID, c.ID), dir: codeCallWord(Sanitize(c.Direction)),
			From: keepShared(was.From, c.From, texts[:]), FromName: keepShared(was.FromName, c.FromName, texts[:]),
			To: keepShared(was.To, c.To, texts[:]), ToName: keepShared(was.ToName, c.ToName, texts[:]),
			status: codeCallWord(Sanitize(c.TelephonyStatus)), Start: c.StartTime.Time, Queue: c.QueueCall,
			SessionID: keepShared(was.SessionID, c.TelephonySessionID, []string{sid}), PartyID: keepWord(was.PartyID, c.PartyID),
		}
		if c.QueueCall {
			call.QueueName = s.keepQueueName(was.QueueName, c.QueueName())
		}
		out = append(out, call)
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// seq32 is a presence sequence as an entry keeps it: int32, as
// RingCentral's schema has it; one out of that range (a server off the
// schema) is held at the range's end, where every later one still wins.
func seq32(v int64) int32 {
	return int32(min(max(v, math.MinInt32), math.MaxInt32))
}

// keepShared is keepWord, but a text kept elsewhere already (texts: the
// tracker's, the entry's own) is kept as that rather than as old or a
// copy.
func keepShared(old, raw string, texts []string) string {
	v := Sanitize(raw)
	if v != "" {
		for _, t := range texts {
			if t == v {
				return t
			}
		}
	}
	return keepWord(old, v)
}

// keepQueueName is a queue's name as a call keeps it: old when the same,
// else the store's name of that queue, else a copy.
func (s *store) keepQueueName(old, raw string) string {
	v := Sanitize(raw)
	if v == old {
		return old
	}
	for i := range s.queues {
		if s.queues[i].Name == v {
			return s.queues[i].Name
		}
	}
	return strings.Clone(v)
}

// keptWord is keepWord of *raw, "" when nil.
func keptWord(old string, raw *string) string {
	if raw == nil {
		return ""
	}
	return keepWord(old, *raw)
}

// keepWord is raw sanitised, as an entry keeps it: old when the same
// text; the package's constant for a word of presence it knows; else a
// copy, so that no kept text is the decoded event's (which may be a piece
// of the whole frame) and each is kept once however often it repeats.
func keepWord(old, raw string) string {
	v := Sanitize(raw)
	switch {
	case v == old:
		return old
	case v == "":
		return ""
	}
	if w, ok := presenceWords[v]; ok {
		return w
	}
	return strings.Clone(v)
}

// presenceWords are the words of presence and active calls, each kept
// once for every entry.
var presenceWords = func() map[string]string {
	m := map[string]string{}
	for _, w := range []string{
		"Available", "Busy", "Offline", "Invisible", "DND", "Unknown",
		"NoCall", "Ringing", "CallConnected", "OnHold", "ParkedCall",
		string(TakeAllCalls), string(NoQueueCalls), string(QueueCallsOnly), string(DoNotDisturb),
		"Connected", "Disconnected", "Inbound", "Outbound",
	} {
		m[w] = w
	}
	return m
}()
