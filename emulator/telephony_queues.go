package emulator

import (
	"slices"
	"strconv"
	"strings"
	"time"
)

// Queue backlogs and park slots: the ground truth tests compare a client's
// picture with.

// queueDay is one queue's counts for one (UTC) day.
type queueDay struct {
	day                 string
	answered, abandoned int
}

// day returns q's counts for the day of now, starting a new day at midnight.
func (t *switchboard) day(q *Queue, now time.Time) *queueDay {
	today := now.UTC().Format(time.DateOnly)
	d := t.days[q]
	if d == nil || d.day != today {
		d = &queueDay{day: today}
		t.days[q] = d
	}
	return d
}

// Backlog is every queue's backlog: who waits now and since when, and
// today's answered and abandoned counts (GET /_emulator/queues/backlog).
type Backlog struct {
	Day    string         `json:"day"`
	Queues []QueueBacklog `json:"queues"`
}

// QueueBacklog is one queue's backlog. Waiting lists the calls whose queue
// party is still in the call (Setup or Proceeding: no agent has answered;
// one may be ringing), longest waiting first. Answered counts calls an
// agent answered today; abandoned those that ended before any agent did.
type QueueBacklog struct {
	ID               string        `json:"id"`
	Name             string        `json:"name"`
	ExtensionNumber  string        `json:"extensionNumber"`
	WaitingNow       int           `json:"waitingNow"`
	LongestWaitStart string        `json:"longestWaitStart,omitempty"`
	Waiting          []WaitingCall `json:"waiting"`
	AnsweredToday    int           `json:"answeredToday"`
	AbandonedToday   int           `json:"abandonedToday"`
}

// WaitingCall is one caller waiting in a queue.
type WaitingCall struct {
	TelephonySessionID string `json:"telephonySessionId"`
	PartyID            string `json:"partyId"` // the queue's party
	CallerNumber       string `json:"callerNumber"`
	CallerName         string `json:"callerName,omitempty"`
	WaitStart          string `json:"waitStart"`
	// RingingExtensionID is the agent the call is being offered to, if any.
	RingingExtensionID string `json:"ringingExtensionId,omitempty"`
}

// backlog computes the backlog from the live sessions (under mu).
func (t *switchboard) backlog(now time.Time) Backlog {
	type waiter struct {
		s *callSession
		w WaitingCall
	}
	byQueue := map[*Queue][]waiter{}
	for _, s := range t.ordered() {
		if !s.waiting() {
			continue
		}
		from := s.QueueParty.From
		w := WaitingCall{TelephonySessionID: s.ID, PartyID: s.QueueParty.ID,
			CallerNumber: from.PhoneNumber, CallerName: from.Name, WaitStart: rcTime(s.WaitStart)}
		for _, pt := range s.userParties() {
			if pt.ringing() {
				w.RingingExtensionID = pt.Ext.IDString()
			}
		}
		byQueue[s.Queue] = append(byQueue[s.Queue], waiter{s, w})
	}
	out := Backlog{Day: now.UTC().Format(time.DateOnly), Queues: []QueueBacklog{}}
	for _, q := range t.p.dir.Queues {
		ws := byQueue[q]
		slices.SortStableFunc(ws, func(a, b waiter) int { return a.s.WaitStart.Compare(b.s.WaitStart) })
		qb := QueueBacklog{ID: q.Ext.IDString(), Name: q.Ext.Name, ExtensionNumber: q.Ext.Number,
			WaitingNow: len(ws), Waiting: []WaitingCall{}}
		for _, w := range ws {
			qb.Waiting = append(qb.Waiting, w.w)
		}
		if len(ws) > 0 {
			qb.LongestWaitStart = qb.Waiting[0].WaitStart
		}
		d := t.day(q, now)
		qb.AnsweredToday, qb.AbandonedToday = d.answered, d.abandoned
		out.Queues = append(out.Queues, qb)
	}
	return out
}

// Backlog returns every queue's backlog now.
func (e *Emulator) Backlog() Backlog {
	p := e.p
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.tel.backlog(p.now())
}

// Universal park: *801 to *899, at most 50 calls at once (SPEC
// callParkParty); a Park Location extension holds up to parkLocationSize.
const (
	firstParkOrbit   = 801
	lastParkOrbit    = 899
	maxUniversalPark = 50
	parkLocationSize = 10
)

// parkAt parks pt: in the first free universal orbit (loc nil), in the
// given one ("*8xx"), or in a Park Location extension. It fails when the
// place is full or taken.
func (t *switchboard) parkAt(tx *Tx, pt *callParty, loc *Extension, orbit string) *apiError {
	var spot, id, data string
	switch {
	case loc != nil:
		n := 0
		for k := range t.parked {
			if strings.HasPrefix(k, loc.IDString()+"#") {
				n++
			}
		}
		if n >= parkLocationSize {
			return errConflict("Park location [" + loc.Name + "] is full")
		}
		for i := 1; ; i++ {
			spot = loc.IDString() + "#" + strconv.Itoa(i)
			if t.parked[spot] == nil {
				break
			}
		}
		id = loc.IDString()
	case orbit != "":
		if t.parked[orbit] != nil {
			return errConflict("Park orbit [" + orbit + "] is taken")
		}
		spot, id, data = orbit, strings.TrimPrefix(orbit, "*"), orbit
	default:
		n := 0
		for k := range t.parked {
			if strings.HasPrefix(k, "*") {
				n++
			}
		}
		if n >= maxUniversalPark {
			return errConflict("Up to " + strconv.Itoa(maxUniversalPark) + " calls can be parked at once")
		}
		for o := firstParkOrbit; o <= lastParkOrbit; o++ {
			if k := "*" + strconv.Itoa(o); t.parked[k] == nil {
				spot, id, data = k, strconv.Itoa(o), k
				break
			}
		}
	}
	t.unpark(pt)
	t.parked[spot] = pt
	pt.spot, pt.ParkID, pt.ParkData, pt.parkedAt = spot, id, data, tx.Now()
	if pt.leg != nil {
		tx.SetLegStatus(pt.Ext, pt.leg, TelParked)
	} else {
		tx.setParty(pt, PartyParked, "")
	}
	return nil
}

// unpark frees pt's park slot.
func (t *switchboard) unpark(pt *callParty) {
	if pt.spot == "" {
		return
	}
	if t.parked[pt.spot] == pt {
		delete(t.parked, pt.spot)
	}
	pt.spot, pt.ParkID, pt.ParkData = "", "", ""
}

// validOrbit reports whether s is a universal park orbit, *801 to *899.
func validOrbit(s string) bool {
	n, err := strconv.Atoi(strings.TrimPrefix(s, "*"))
	return strings.HasPrefix(s, "*") && err == nil && n >= firstParkOrbit && n <= lastParkOrbit
}

// ParkedCall is one parked call (GET /_emulator/telephony).
type ParkedCall struct {
	// Orbit is "*8xx" for universal park, or the Park Location's extension
	// number; ParkLocationID is that extension's id.
	Orbit              string `json:"orbit"`
	ParkLocationID     string `json:"parkLocationId,omitempty"`
	TelephonySessionID string `json:"telephonySessionId"`
	PartyID            string `json:"partyId"` // the Parked party
	ParkedBy           string `json:"parkedBy"`
	CallerNumber       string `json:"callerNumber"`
	CallerName         string `json:"callerName,omitempty"`
	Since              string `json:"since"`
}

// parkedCalls lists the parked calls, by orbit (under mu).
func (t *switchboard) parkedCalls() []ParkedCall {
	out := []ParkedCall{}
	for spot, pt := range t.parked {
		pc := ParkedCall{Orbit: spot, TelephonySessionID: pt.sess.ID, PartyID: pt.ID,
			CallerNumber: pt.From.PhoneNumber, CallerName: pt.From.Name, Since: rcTime(pt.parkedAt)}
		if pt.Direction == "Outbound" {
			pc.CallerNumber, pc.CallerName = pt.To.PhoneNumber, pt.To.Name
		}
		if pt.Ext != nil {
			pc.ParkedBy = pt.Ext.IDString()
		}
		if loc, _, ok := strings.Cut(spot, "#"); ok {
			id, _ := strconv.ParseInt(loc, 10, 64)
			pc.Orbit, pc.ParkLocationID = t.p.dir.ByID[id].Number, loc
		}
		out = append(out, pc)
	}
	slices.SortFunc(out, func(a, b ParkedCall) int {
		if c := strings.Compare(a.Orbit, b.Orbit); c != 0 {
			return c
		}
		return strings.Compare(a.Since, b.Since)
	})
	return out
}
