// Package state is the account's live mirror: the directory of extensions
// and call queues, presence per extension merged from REST and
// notifications, time in state, freshness, projections for the grid, the
// sync loop that drives the rc client, and the user's own writes. It does
// not import the UI.
package state

import (
	"time"
)

// ID identifies an extension or a call queue.
type ID string

// Availability is the one word a receptionist reads at a glance.
type Availability int

// Availabilities, in the order a receptionist cares about them. Unknown is
// a person whose presence has not arrived; NoPresence an extension type
// that has none (queues, IVR menus, park locations).
const (
	Unknown Availability = iota
	Available
	Ringing
	OnCall
	OnHold
	Parked
	Busy
	DND
	Offline
	NoPresence
)

var availabilityNames = [...]string{"Unknown", "Available", "Ringing", "On call", "On hold", "Parked", "Busy", "DND", "Offline", "No presence"}

func (a Availability) String() string {
	if int(a) < len(availabilityNames) {
		return availabilityNames[a]
	}
	return "Unknown"
}

// Availabilities lists every value, for menus and counts.
func Availabilities() []Availability {
	return []Availability{Available, Ringing, OnCall, OnHold, Parked, Busy, DND, Offline, Unknown, NoPresence}
}

// Extension types with presence.
const TypeUser = "User"

// Call is one active call of an extension, from its side.
type Call struct {
	ID        string
	Direction string // Inbound or Outbound
	From      string
	FromName  string
	To        string
	ToName    string
	Status    string // Ringing, CallConnected, OnHold, ParkedCall
	Start     time.Time
	Queue     bool
	SessionID string
	PartyID   string
}

// Party is the other end of the call: the caller of an inbound call, the
// callee of an outbound one.
func (c Call) Party() (name, number string) {
	if c.Direction == "Outbound" {
		return c.ToName, c.To
	}
	return c.FromName, c.From
}

// Entry is one extension as the mirror knows it. Entries are values: the
// mirror replaces slices instead of editing them, so a copy is safe to read
// without the lock.
type Entry struct {
	ID         ID
	Number     string
	Name       string
	Type       string
	Department string
	Site       string
	Email      string
	Admin      bool
	Queues     []ID // call queues the extension is a member of

	// Presence as last merged; Known is false until any arrived.
	Known           bool
	PresenceStatus  string
	UserStatus      string
	DNDStatus       string
	TelephonyStatus string
	MeetingStatus   string
	Message         string
	Calls           []Call
	TotalCalls      int
	// CallsUnsure is set while activeCalls is known to be incomplete and a
	// fetch is on its way.
	CallsUnsure bool

	Availability Availability
	// AvailSince and TelSince are when the availability and the telephony
	// status last changed (zero: unknown, no change seen yet).
	AvailSince time.Time
	TelSince   time.Time
	// Changed is when anything shown last changed (local clock).
	Changed time.Time
	// Confirmed is when the server last confirmed this entry (local clock).
	Confirmed time.Time

	seq int64 // last applied notification sequence (0: none since a snapshot)
	// Keys precomputed when the entry changes, so that projections over
	// 100k entries neither lowercase nor allocate per comparison.
	search  string // name, number, department
	dyn     string // availability, statuses, message, call parties
	nameKey string
	deptKey string
	msgKey  string
	numKey  int64 // the extension number, when it is all digits
}

// Queue is a call queue with its members and their availability in it.
type Queue struct {
	ID                   ID
	Number               string
	Name                 string
	EditableMemberStatus bool
	Members              []ID
	// Accept is each member's availability in this queue, when known.
	Accept map[ID]bool
}

// derive computes the availability from the raw fields: telephony first
// (what someone is doing now), then DND, invisible, busy (rc-api.md §4.4).
func derive(e *Entry) Availability {
	if e.Type != TypeUser && e.Type != "" {
		return NoPresence
	}
	if !e.Known {
		return Unknown
	}
	ringing, connected, held, parked := false, false, false, false
	for _, c := range e.Calls {
		switch c.Status {
		case "Ringing":
			ringing = true
		case "CallConnected":
			connected = true
		case "OnHold":
			held = true
		case "ParkedCall":
			parked = true
		}
	}
	switch {
	case ringing || e.TelephonyStatus == "Ringing":
		return Ringing
	case connected || e.TelephonyStatus == "CallConnected":
		return OnCall
	case held || e.TelephonyStatus == "OnHold":
		return OnHold
	case parked || e.TelephonyStatus == "ParkedCall":
		return Parked
	case e.DNDStatus == "DoNotAcceptAnyCalls":
		return DND
	case e.UserStatus == "Offline" || (e.UserStatus == "" && e.PresenceStatus == "Offline"):
		return Offline
	case e.UserStatus == "Busy" || (e.UserStatus == "" && e.PresenceStatus == "Busy"):
		return Busy
	}
	return Available
}

// AcceptsQueueCalls is the global queue availability that follows dndStatus.
func (e *Entry) AcceptsQueueCalls() bool {
	return e.DNDStatus == "TakeAllCalls" || e.DNDStatus == "TakeDepartmentCallsOnly" || e.DNDStatus == ""
}
