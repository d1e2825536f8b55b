package state

import (
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
const callsViewEvery = 250 * time.Millisecond

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
	m.mu.Lock()
	defer m.mu.Unlock()
	m.calls.Bootstrap(records, at)
	for _, e := range m.store.entries {
		if len(e.Calls) == 0 {
			continue
		}
		acs := make([]rc.ActiveCall, 0, len(e.Calls))
		for _, c := range e.Calls {
			acs = append(acs, rc.ActiveCall{TelephonySessionID: c.SessionID, PartyID: c.PartyID,
				TelephonyStatus: c.Status, Direction: c.Direction, QueueCall: c.Queue})
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
	if !v.built || v.version != m.calls.Version() && now.Sub(v.at) >= callsViewEvery {
		*v = callsView{version: m.calls.Version(), build: v.build + 1, at: now, built: true,
			parked: m.calls.Parked(), backlogs: m.calls.BacklogsTop(maxWaitersShown)}
		for i := range v.parked {
			p := &v.parked[i]
			if e := m.store.entry(p.ParkedBy); e != nil {
				p.ParkedByName = e.Name
			}
			if e := m.store.entry(p.Location); e != nil {
				p.LocationName = e.Name
			}
		}
	}
	return v
}

// callsNext is when the desk's view of the calls is due to be built
// again (zero: it is current; lock held).
func (m *Mirror) callsNext() time.Time {
	v := &m.callsCache
	if !v.built || v.version == m.calls.Version() {
		return time.Time{}
	}
	return v.at.Add(callsViewEvery)
}
