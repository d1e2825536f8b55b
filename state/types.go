// Package state is the account's live mirror: the directory of extensions
// and call queues, presence per extension merged from REST and
// notifications, time in state, freshness, the user's own writes, the sync
// loop that drives the rc client, and each viewer's live view of it, which
// it keeps ordered incrementally and publishes as immutable frames. It does
// not import the UI.
package state

import (
	"time"
)

// ID identifies an extension or a call queue.
type ID string

// Availability is the one word a receptionist reads at a glance (a byte:
// an Entry keeps it among its flags).
type Availability int8

// Availabilities, in the order a receptionist cares about them. Unknown is
// a person whose presence has not arrived; NoPresence an extension type
// that has none (queues, IVR menus, park locations).
const (
	Unknown Availability = iota
	Available
	Ringing
	Dialling
	OnCall
	OnHold
	Parked
	Busy
	DND
	Offline
	NoPresence
)

var availabilityNames = [...]string{"Unknown", "Available", "Ringing", "Dialling", "On call", "On hold", "Parked", "Busy", "DND", "Offline", "No presence"}

func (a Availability) String() string {
	if a >= 0 && int(a) < len(availabilityNames) {
		return availabilityNames[a]
	}
	return "Unknown"
}

// Availabilities lists every value, for menus and counts.
func Availabilities() []Availability {
	return []Availability{Available, Ringing, Dialling, OnCall, OnHold, Parked, Busy, DND, Offline, Unknown, NoPresence}
}

// Counts tallies extensions by availability.
type Counts [NoPresence + 1]int

// People is how many of the counted have presence (NoPresence excluded).
func (c *Counts) People() int {
	n := 0
	for a := Unknown; a < NoPresence; a++ {
		n += c[a]
	}
	return n
}

// Extension types with presence.
const TypeUser = "User"

// DNDStatus is an extension's dndStatus (rc-api.md §4.3): which calls reach
// them. Values from the server that are not listed pass through sanitised.
type DNDStatus string

// The dndStatus values.
const (
	TakeAllCalls         DNDStatus = "TakeAllCalls"
	NoQueueCalls         DNDStatus = "DoNotAcceptDepartmentCalls"
	QueueCallsOnly       DNDStatus = "TakeDepartmentCallsOnly"
	DoNotDisturb         DNDStatus = "DoNotAcceptAnyCalls"
	DNDStatusUnknown     DNDStatus = "Unknown"
	DNDStatusNotReported DNDStatus = ""
)

// Limits reports whether the status keeps some calls away: what a DND
// column shows (taking every call is the normal case, not news).
func (d DNDStatus) Limits() bool {
	return d == NoQueueCalls || d == QueueCallsOnly || d == DoNotDisturb
}

// Label names the status in a few words.
func (d DNDStatus) Label() string {
	switch d {
	case TakeAllCalls:
		return "all calls"
	case NoQueueCalls:
		return "no queue calls"
	case QueueCallsOnly:
		return "queue only"
	case DoNotDisturb:
		return "DND"
	case DNDStatusNotReported:
		return "–"
	case DNDStatusUnknown:
		return "unknown"
	}
	return string(d)
}

// Status is my status as RingCentral's own apps name their four buttons
// (rc-api.md §4.4).
type Status string

// My statuses.
const (
	StatusAvailable Status = "Available"
	StatusBusy      Status = "Busy"
	StatusInvisible Status = "Invisible"
	StatusDND       Status = "DND"
)

// userStatus is the userStatus a status puts (none for DND).
func (s Status) userStatus() string {
	switch s {
	case StatusAvailable:
		return "Available"
	case StatusBusy:
		return "Busy"
	case StatusInvisible:
		return "Offline"
	}
	return ""
}

// Call is one active call of an extension, from its side. Its direction
// and status are one of a few words each, kept as codes (Direction,
// Status).
type Call struct {
	ID       string
	From     string
	FromName string
	To       string
	ToName   string
	Start    time.Time
	Queue    bool
	dir      callWord // Inbound or Outbound
	status   callWord // Ringing, CallConnected, OnHold, ParkedCall
	// QueueName is the call queue a queue call came through, when the call
	// says (callInfo QueueName, else toName).
	QueueName string
	SessionID string
	PartyID   string
}

// Direction is Inbound or Outbound, as the server said (sanitised).
func (c Call) Direction() string { return c.dir.String() }

// Status is the call's telephonyStatus: Ringing, CallConnected, OnHold,
// ParkedCall, as the server said (sanitised).
func (c Call) Status() string { return c.status.String() }

// SetDirection sets the direction, a word already sanitised (Sanitize):
// for building a call by hand; the mirror sets its calls' from the
// server's.
func (c *Call) SetDirection(d string) { c.dir = codeCallWord(d) }

// SetStatus sets the status, a word already sanitised (Sanitize), as
// SetDirection.
func (c *Call) SetStatus(s string) { c.status = codeCallWord(s) }

// Party is the other end of the call: the caller of an inbound call, the
// callee of an outbound one.
func (c Call) Party() (name, number string) {
	if !c.Inbound() {
		return c.ToName, c.To
	}
	return c.FromName, c.From
}

// Who is the other party as shown: a name, else a number.
func (c Call) Who() string {
	name, num := c.Party()
	switch {
	case name != "":
		return name
	case num != "":
		return num
	}
	return "unknown caller"
}

// Inbound reports whether the other party called in.
func (c Call) Inbound() bool { return c.dir != wordOutbound }

// callRank orders a person's calls as their badge does: talking, then
// ringing, then dialling, then on hold, then parked; -1 for a status
// unknown.
func callRank(c *Call) int {
	switch c.status {
	case wordConnected:
		return 0
	case wordRinging:
		if c.Inbound() {
			return 1
		}
		return 2
	case wordOnHold:
		return 3
	case wordParked:
		return 4
	}
	return -1
}

// Dialling reports a call the person placed that is not answered yet.
func (c Call) Dialling() bool { return c.status == wordRinging && !c.Inbound() }

// State names the call's state in a receptionist's words: Ringing,
// Dialling, On call, On hold, Parked.
func (c Call) State() string {
	switch {
	case c.Dialling():
		return "Dialling"
	case c.status == wordRinging:
		return "Ringing"
	case c.status == wordConnected:
		return "On call"
	case c.status == wordOnHold:
		return "On hold"
	case c.status == wordParked:
		return "Parked"
	}
	return c.Status()
}

// Entry is one extension as the mirror knows it. Entries are immutable
// once published: the mirror replaces an entry instead of editing it, so
// a frame can hand the same *Entry to every viewer. Every string in it has
// been sanitised (Sanitize) on its way in.
type Entry struct {
	ID         ID
	Number     string
	Name       string
	Type       string
	Department string
	Site       string
	Email      string
	Queues     []ID // call queues the extension is a member of
	// The flags sit together (Admin here, those of presence and the
	// availability below): a byte between two wider fields costs 8, and an
	// entry is kept for every extension and copied on every change.
	Admin bool

	// Presence as last merged; Known is false until any arrived.
	Known bool
	// CHS marks a person on an account with the new communication handling
	// service: their DND is DNDPersonal (TakeAllCalls or
	// DoNotAcceptAnyCalls) and their queue availability is
	// acceptCallQueueCalls (QueueOff when false); a dndStatus PUT would
	// be refused.
	CHS      bool
	QueueOff bool
	// CallsUnsure is set while activeCalls is known to be incomplete and a
	// fetch is on its way.
	CallsUnsure bool
	// Availability is derived from the raw fields (derive).
	Availability Availability
	// lastNonDND is the person's last dndStatus other than DND, to leave
	// DND with (rc-api.md §4.4): a byte among the flags rather than an
	// entry in a map of every person.
	lastNonDND     restDND
	PresenceStatus string
	UserStatus     string
	// DNDStatus is what the person takes, in dndStatus's words: on a CHS
	// account it is derived from DNDPersonal and AcceptQueue, so every
	// rule reads one field.
	DNDStatus DNDStatus
	// RawDND is dndStatus as the server sent it.
	RawDND          DNDStatus
	DNDPersonal     DNDStatus
	TelephonyStatus string
	MeetingStatus   string
	Message         string
	Calls           []Call
	TotalCalls      int

	// AvailSince and TelSince are when the availability and the telephony
	// status last changed (zero: unknown, no change seen yet).
	AvailSince time.Time
	TelSince   time.Time
	// Changed is when anything shown last changed (local clock).
	Changed time.Time
	// Confirmed is when the server last confirmed this entry (local clock).
	Confirmed time.Time

	// Presence sequences are int32 in RingCentral's schema
	// (PresenceInfoResponse.sequence), and kept so (seq32): the entry is
	// then 512 bytes, in the 512-byte class without the header an object
	// over 512 bytes has (it was 552: 576).
	seq  int32          // highest notification sequence applied (0: none since a snapshot)
	fseq [nFields]int32 // the sequence each presence field was last set at
	// Keys precomputed when the entry changes, so that orderings over
	// 100k entries neither lowercase nor allocate per comparison.
	search  string // name, number, department (lowered)
	nameKey string // collation key of the name
	deptKey string // collation key of the department
	msgKey  string // lowered message
	numKey  int64  // the extension number, when it is all digits
}

// restDND is a dndStatus to leave DND with: none seen yet, TakeAllCalls
// or DoNotAcceptDepartmentCalls.
type restDND uint8

const (
	restNone restDND = iota
	restTakeAll
	restNoQueue
)

// Person reports whether the extension is a person (a User), the only
// kind with presence.
func (e *Entry) Person() bool { return e.Type == TypeUser || e.Type == "" }

// PersonalDND reports a CHS person's own DND switch on.
func (e *Entry) PersonalDND() bool { return e.CHS && e.DNDPersonal == DoNotDisturb }

// effectiveDND is dndStatus's word for what the person takes: the raw
// field, or on a CHS account what personal DND and queue availability
// amount to.
func (e *Entry) effectiveDND() DNDStatus {
	switch {
	case !e.CHS:
		return e.RawDND
	case e.DNDPersonal == DoNotDisturb:
		return DoNotDisturb
	case e.QueueOff:
		return NoQueueCalls
	}
	return TakeAllCalls
}

// Status is the status the person chose, as RingCentral's apps show it:
// DND, else Invisible, else Busy, else Available (rc-api.md §4.4).
func (e *Entry) Status() Status {
	switch {
	case e.DNDStatus == DoNotDisturb:
		return StatusDND
	case e.UserStatus == "Offline":
		return StatusInvisible
	case e.UserStatus == "Busy":
		return StatusBusy
	}
	return StatusAvailable
}

// InDND reports whether the person takes no calls at all.
func (e *Entry) InDND() bool { return e.DNDStatus == DoNotDisturb }

// AcceptsQueueCalls is the global queue availability: it follows
// dndStatus, or on a CHS account acceptCallQueueCalls (independent of
// personal DND).
func (e *Entry) AcceptsQueueCalls() bool {
	if e.CHS {
		return !e.QueueOff
	}
	return e.DNDStatus == TakeAllCalls || e.DNDStatus == QueueCallsOnly || e.DNDStatus == DNDStatusNotReported
}

// StatusText is the user status and the message, as a row shows them.
func (e *Entry) StatusText() string {
	if !e.Known {
		return ""
	}
	s := e.UserStatus
	if e.Message != "" {
		if s != "" {
			s += ": "
		}
		s += e.Message
	}
	return s
}

// PrimaryCall is the call that matters most (nil when there is none).
func (e *Entry) PrimaryCall() *Call {
	if len(e.Calls) == 0 {
		return nil
	}
	best := &e.Calls[0]
	for i := range e.Calls {
		ri, rb := callRank(&e.Calls[i]), callRank(best)
		if ri >= 0 && (rb < 0 || ri < rb) {
			best = &e.Calls[i]
		}
	}
	return best
}

// RingingBehind is how many inbound calls ring for someone whose badge
// shows another call ("On call" with "+1 ringing").
func (e *Entry) RingingBehind() int {
	p := e.PrimaryCall()
	n := 0
	for i := range e.Calls {
		if c := &e.Calls[i]; c != p && c.status == wordRinging && c.Inbound() {
			n++
		}
	}
	return n
}

// MoreCalls is how many calls there are besides the primary one.
func (e *Entry) MoreCalls() int { return max(len(e.Calls), e.TotalCalls) - 1 }

// Queue is a call queue with its members and their availability in it.
type Queue struct {
	ID                   ID
	Number               string
	Name                 string
	EditableMemberStatus bool
	Members              []ID
	// MembersKnown reports that Members is the queue's whole membership;
	// until it is loaded Members holds only those known to be in it (the
	// signed-in agent in their own queues).
	MembersKnown bool
	// Accept is each member's availability in this queue, when known.
	Accept map[ID]bool
}

// derive computes the availability from the raw fields: telephony first
// (what someone is doing now), then DND, invisible, busy (rc-api.md §4.4).
func derive(e *Entry) Availability {
	if !e.Person() {
		return NoPresence
	}
	if !e.Known {
		return Unknown
	}
	ringing, dialling, connected, held, parked := false, false, false, false, false
	for _, c := range e.Calls {
		switch c.status {
		case wordRinging:
			if c.Inbound() {
				ringing = true
			} else {
				dialling = true
			}
		case wordConnected:
			connected = true
		case wordOnHold:
			held = true
		case wordParked:
			parked = true
		}
	}
	// Talking wins over a second call ringing ("On call", "+1 ringing"):
	// the person is busy, and the grid says a call waits for them.
	switch {
	case connected:
		return OnCall
	case ringing:
		return Ringing
	case dialling:
		return Dialling
	case e.TelephonyStatus == "Ringing":
		return Ringing // no call list to tell a placed call from a ringing one
	case e.TelephonyStatus == "CallConnected":
		return OnCall
	case held || e.TelephonyStatus == "OnHold":
		return OnHold
	case parked || e.TelephonyStatus == "ParkedCall":
		return Parked
	case e.DNDStatus == DoNotDisturb:
		return DND
	case e.UserStatus == "Offline" || (e.UserStatus == "" && e.PresenceStatus == "Offline"):
		return Offline
	case e.UserStatus == "Busy" || (e.UserStatus == "" && e.PresenceStatus == "Busy"):
		return Busy
	}
	return Available
}
