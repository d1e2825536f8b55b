package emulator

import (
	"strconv"
	"time"
)

// Extension types the emulator creates (a subset of AllExtensionTypesEnum).
const (
	TypeUser         = "User"
	TypeDepartment   = "Department" // a call queue
	TypeIvrMenu      = "IvrMenu"
	TypeParkLocation = "ParkLocation"
	TypeAnnouncement = "Announcement"
)

// Presence enums (rc-api.md §4.3).
const (
	StatusOffline   = "Offline"
	StatusBusy      = "Busy"
	StatusAvailable = "Available"

	DNDTakeAll          = "TakeAllCalls"
	DNDNoDepartment     = "DoNotAcceptDepartmentCalls"
	DNDDepartmentOnly   = "TakeDepartmentCallsOnly"
	DNDNoCalls          = "DoNotAcceptAnyCalls"
	DNDUnknown          = "Unknown"
	TelNoCall           = "NoCall"
	TelConnected        = "CallConnected"
	TelRinging          = "Ringing"
	TelOnHold           = "OnHold"
	TelParked           = "ParkedCall"
	MeetingConnected    = "Connected"
	MeetingDisconnected = "Disconnected"
)

// Site is a company location.
type Site struct {
	ID   string
	Name string
	Code string
}

// Extension is one extension of the account. Identity fields never change
// after generation; Presence and the name fields are guarded by
// Platform.mu.
type Extension struct {
	ID         int64
	Number     string
	Type       string
	Status     string
	FirstName  string
	LastName   string
	Name       string
	Email      string
	Department string
	JobTitle   string
	Phone      string
	Site       *Site
	Admin      bool
	Created    time.Time

	// Queue is set when the extension is a call queue (Department).
	Queue *Queue
	// Queues lists the call queues a User is a member of.
	Queues []*Queue

	Presence Presence
}

// IDString is the extension id as RingCentral writes it in strings.
func (e *Extension) IDString() string { return strconv.FormatInt(e.ID, 10) }

// HasPresence reports whether the extension type publishes presence; the
// others report Offline and nothing else (SPEC readAccountPresence).
func (e *Extension) HasPresence() bool { return e.Type == TypeUser }

// Presence is an extension's published state.
type Presence struct {
	UserStatus         string
	DNDStatus          string
	Message            string
	MeetingStatus      string
	CallerIDVisibility string
	AllowSeeMyPresence bool
	RingOnMonitored    bool
	PickUpCallsOnHold  bool
	// GlipDND is unified presence's glip.availability == DND.
	GlipDND bool
	// CHS marks a User extension of an account with the new communication
	// handling service: DNDStatus does not apply to it, DNDPersonal
	// (dndStatusPersonal) and AcceptCQ (acceptCallQueueCalls) do.
	CHS         bool
	DNDPersonal string
	AcceptCQ    bool
	// Sequence counts presence changes (rc-api.md §3.6).
	Sequence int64
	// Legs are the extension's active calls, oldest first.
	Legs []*Leg
}

// TelephonyStatus aggregates the legs: ringing wins, then connected, on
// hold, parked.
func (p *Presence) TelephonyStatus() string {
	best := TelNoCall
	for _, l := range p.Legs {
		if telRank(l.Status) > telRank(best) {
			best = l.Status
		}
	}
	return best
}

func telRank(s string) int {
	switch s {
	case TelParked:
		return 1
	case TelOnHold:
		return 2
	case TelConnected:
		return 3
	case TelRinging:
		return 4
	}
	return 0
}

// PresenceStatus is the aggregated status RingCentral computes.
func (p *Presence) PresenceStatus() string {
	switch {
	case p.UserStatus == StatusOffline:
		return StatusOffline
	case p.UserStatus == StatusBusy, p.DoNotDisturb(), p.TelephonyStatus() != TelNoCall:
		return StatusBusy
	default:
		return StatusAvailable
	}
}

// DoNotDisturb reports full DND: dndStatus DoNotAcceptAnyCalls, or on a
// CHS account dndStatusPersonal DoNotAcceptAnyCalls.
func (p *Presence) DoNotDisturb() bool {
	if p.CHS {
		return p.DNDPersonal == DNDNoCalls
	}
	return p.DNDStatus == DNDNoCalls
}

// AcceptsQueueCalls is the global queue availability: it follows dndStatus,
// or on a CHS account acceptCallQueueCalls unless in full DND.
func (p *Presence) AcceptsQueueCalls() bool {
	if p.CHS {
		return p.AcceptCQ && p.DNDPersonal != DNDNoCalls
	}
	return p.DNDStatus == DNDTakeAll || p.DNDStatus == DNDDepartmentOnly
}

// Queue is a call queue: a Department extension with members.
type Queue struct {
	Ext                  *Extension
	EditableMemberStatus bool
	Members              []*Extension
	// AcceptCurrent is each member's availability in this queue.
	AcceptCurrent map[int64]bool
	SLAGoal       int
	SLAThreshold  int
}

// IsMember reports whether ext belongs to the queue.
func (q *Queue) IsMember(id int64) bool {
	_, ok := q.AcceptCurrent[id]
	return ok
}

// Leg is one extension's side of a call, as presence shows it.
type Leg struct {
	ID                 string
	SessionID          string
	TelephonySessionID string
	PartyID            string
	Direction          string // Inbound or Outbound
	From, FromName     string
	To, ToName         string
	Status             string // Ringing, CallConnected, OnHold, ParkedCall
	Start              time.Time
	QueueCall          bool
	Queue              *Queue
	// Ended marks a leg reported once more with NoCall/final after it ends.
	Ended bool
	// party is the telephony session party the leg shows in presence.
	party *callParty
}
