package state

import (
	"cmp"
	"reflect"
	"slices"
	"time"

	"github.com/rchud/rchud/rc"
)

// The mirror's side of the call tracker: telephony session events and the
// active-calls bootstrap go into one Calls under the mirror's lock, and
// every viewer's desk shows its parked calls and queue backlogs.

// callsView is what the desk shows of the tracker, built once per
// tracker version and shared by every frame (immutable once built).
type callsView struct {
	version  uint64 // the tracker's version it was built from
	build    uint64 // counts builds
	at       time.Time
	built    bool
	parked   []ParkedCall
	backlogs []Backlog
}

// callsViewEvery is the most often the parked calls and backlogs are
// built again: under a storm of telephony events each build carries a
// batch, and what the board shows is at most this late.
const callsViewEvery = 500 * time.Millisecond

// maxWaitersShown is how many of a queue's waiting callers a frame
// carries (the longest waiting); Backlog.WaitingNow counts them all.
const maxWaitersShown = 10

// ApplyTelephony takes one telephony session event; at is when it arrived.
func (m *Mirror) ApplyTelephony(ev rc.TelephonySession, at time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.link.h.LastEvent = m.now()
	if m.calls.Apply(ev, at) {
		m.callsChanged()
	}
}

// BootstrapCalls replaces the live calls with the active-calls records
// read at at, settles what the presence already known says of them, and
// returns the sessions still to read (AddCallSession).
func (m *Mirror) BootstrapCalls(records []rc.CallLogRecord, at time.Time) []string {
	listed := map[string]bool{}
	m.BootstrapCallsPage(records, at, listed)
	return m.FinishBootstrapCalls(at, listed)
}

// BootstrapCallsPage takes one page of the active-calls records read at
// at; listed gathers the sessions the pages list, for
// FinishBootstrapCalls. Until that the queues' backlogs stay not known.
func (m *Mirror) BootstrapCallsPage(records []rc.CallLogRecord, at time.Time, listed map[string]bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.calls.BootstrapPage(records, at, listed)
	m.callsChanged()
}

// FinishBootstrapCalls ends the list of active calls read at at, whose
// pages listed the sessions in listed: the calls it did not list have
// ended. It settles what the presence already known says of them and
// returns the sessions still to read (AddCallSession).
func (m *Mirror) FinishBootstrapCalls(at time.Time, listed map[string]bool) []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.calls.FinishBootstrap(at, listed)
	m.callsCache.built = false // the backlogs are Known from now: build them again now
	for _, e := range m.store.entries {
		if len(e.Calls) == 0 {
			continue
		}
		acs := make([]rc.ActiveCall, 0, len(e.Calls))
		for _, c := range e.Calls {
			acs = append(acs, rc.ActiveCall{TelephonySessionID: c.SessionID, PartyID: c.PartyID,
				TelephonyStatus: c.Status(), Direction: c.Direction(), QueueCall: c.Queue})
		}
		m.calls.SettleFromPresence(e.ID, acs, at)
	}
	m.callsChanged()
	return m.calls.Need()
}

// AddCallSession takes a telephony session read for the bootstrap.
func (m *Mirror) AddCallSession(s rc.TelephonySession, at time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.calls.AddSession(s, at)
	m.callsChanged()
}

// CallsGap records that telephony events may have been missed from at on.
func (m *Mirror) CallsGap(at time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.calls.Gap(at)
	m.callsChanged()
}

// SetCallsAccountWide records that the account-wide telephony filter is
// live: the queue backlogs are known.
func (m *Mirror) SetCallsAccountWide(on bool, why string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.calls.SetAccountWide(on)
	m.desk.backlogWhy = why
	m.desk.version++
	m.callsCache.built = false // Known changed: build it again now
	m.callsChanged()
}

// SetCallsFollow says whose telephony parties the stream's filters
// follow: the call tracker keeps only those (Calls.SetFollow).
func (m *Mirror) SetCallsFollow(f Follow) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.calls.follow != f {
		m.calls.SetFollow(f)
		m.callsChanged()
	}
}

// callsChanged wakes the publisher: the desk's view of the calls is built
// again when due (lock held).
func (m *Mirror) callsChanged() {
	m.signal()
}

// settleCalls is the presence side of the tracker: a detailed body's
// calls settle parties whose state was a guess (lock held).
func (m *Mirror) settleCalls(id ID, p *rc.Presence, at time.Time) {
	if len(p.ActiveCalls) > 0 && m.calls.SettleFromPresence(id, p.ActiveCalls, at) {
		m.callsChanged()
	}
}

// callsShown is the tracker as the desk shows it now, built again at most
// every callsViewEvery (lock held).
func (m *Mirror) callsShown(now time.Time) *callsView {
	v := &m.callsCache
	if !v.built || (v.version != m.calls.Version() || m.parkedDirty) && now.Sub(v.at) >= callsViewEvery {
		m.parkedDirty = false
		parked, backlogs := m.parkedLocked(), m.calls.BacklogsTop(maxWaitersShown)
		build := v.build
		if !v.built || !reflect.DeepEqual(parked, v.parked) || !reflect.DeepEqual(backlogs, v.backlogs) {
			build++ // frames show something new
		}
		*v = callsView{version: m.calls.Version(), build: build, at: now, built: true, parked: parked, backlogs: backlogs}
	}
	return v
}

// callsRead is the desk's view of the calls as last built, for a frame
// built under the read lock (a pulled view): the publisher keeps it
// current (read lock held).
func (m *Mirror) callsRead() *callsView { return &m.callsCache }

// callsNext is when the desk's view of the calls is due to be built
// again (zero: it is current; lock held).
func (m *Mirror) callsNext() time.Time {
	v := &m.callsCache
	if !v.built || v.version == m.calls.Version() && !m.parkedDirty {
		return time.Time{}
	}
	return v.at.Add(callsViewEvery)
}

// parkedLocked lists the parked calls as presence shows them (a parked
// call is the parker's ParkedCall, in every viewer's presence feed) with
// what the tracker or a read of the session adds: the orbit, and a Park
// Location. Oldest first (lock held).
func (m *Mirror) parkedLocked() []ParkedCall {
	known := map[string]ParkedCall{}
	for _, p := range m.calls.Parked() {
		known[p.Party] = p
	}
	var out []ParkedCall
	seen := map[string]bool{}
	for _, e := range m.store.parkedEntries() {
		for i := range e.Calls {
			c := &e.Calls[i]
			if c.status != wordParked || c.PartyID == "" || seen[c.PartyID] {
				continue
			}
			seen[c.PartyID] = true
			p, ok := known[c.PartyID]
			if !ok {
				name, num := c.Party()
				p = ParkedCall{Session: c.SessionID, Party: c.PartyID, Caller: name, CallerNumber: num, ParkedBy: e.ID,
					Since: e.AvailSince, Orbit: m.orbits[c.PartyID]}
				if p.Since.IsZero() {
					p.Since = c.Start
				}
				if p.Orbit == "" && c.SessionID != "" {
					m.orbitNeed[c.SessionID] = c.PartyID
				}
			}
			out = append(out, p)
		}
	}
	// A parked call the tracker saw that presence has not shown yet.
	for _, p := range known {
		if !seen[p.Party] {
			out = append(out, p)
		}
	}
	for i := range out {
		p := &out[i]
		if e := m.store.entry(p.ParkedBy); e != nil {
			p.ParkedByName = e.Name
		}
		if e := m.store.entry(p.Location); e != nil {
			p.LocationName = e.Name
		}
	}
	slices.SortFunc(out, func(a, b ParkedCall) int { return cmp.Or(a.Since.Compare(b.Since), cmp.Compare(a.Party, b.Party)) })
	return out
}

// OrbitsToRead returns the sessions of parked calls whose orbit is not
// known yet (at most max), to read and hand to SetOrbit.
func (m *Mirror) OrbitsToRead(max int) []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []string
	for s := range m.orbitNeed {
		if len(out) == max {
			break
		}
		out = append(out, s)
		delete(m.orbitNeed, s)
	}
	return out
}

// SetOrbits records where a read session's parked parties are.
func (m *Mirror) SetOrbits(s rc.TelephonySession) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, p := range s.Parties {
		if p.Status.Code != rc.PartyParked {
			continue
		}
		orbit := Sanitize(p.Status.ParkData)
		if orbit == "" {
			orbit = Sanitize(string(p.Park.ID))
		}
		if orbit != "" {
			if len(m.orbits) > 1000 {
				clear(m.orbits) // parked calls are few; forget the old ones now and then
			}
			m.orbits[p.ID] = orbit
			m.parkedDirty = true
			m.signal()
		}
	}
}

// CallsNow is the parked calls and every queue's backlog as they stand
// (for a snapshot; frames carry them to a screen).
func (m *Mirror) CallsNow() (parked []ParkedCall, backlogs []Backlog, why string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.parkedLocked(), m.calls.Backlogs(), m.desk.backlogWhy
}
