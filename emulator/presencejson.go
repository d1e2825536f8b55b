package emulator

import (
	"strconv"
	"time"
)

// rcTime formats a time the way RingCentral does in JSON: UTC, milliseconds, Z.
func rcTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

// presenceJSON is PresenceInfoResponse (REST) and, with ExtensionID and
// Sequence set, every presence event body variant (rc-api.md §3.2, §4.3).
// Pointers distinguish "absent" from a zero value, which partial bodies and
// non-user extensions need.
type presenceJSON struct {
	URI                string          `json:"uri,omitempty"`
	Extension          *presenceExtRef `json:"extension,omitempty"`
	ExtensionID        string          `json:"extensionId,omitempty"`
	TelephonyStatus    string          `json:"telephonyStatus,omitempty"`
	ActiveCalls        []activeCall    `json:"activeCalls,omitempty"`
	Sequence           *int64          `json:"sequence,omitempty"`
	PresenceStatus     string          `json:"presenceStatus,omitempty"`
	UserStatus         string          `json:"userStatus,omitempty"`
	DNDStatus          string          `json:"dndStatus,omitempty"`
	DNDStatusPersonal  string          `json:"dndStatusPersonal,omitempty"`
	AcceptCallQueue    *bool           `json:"acceptCallQueueCalls,omitempty"`
	Message            *string         `json:"message,omitempty"`
	MeetingStatus      string          `json:"meetingStatus,omitempty"`
	AllowSeeMyPresence *bool           `json:"allowSeeMyPresence,omitempty"`
	CallerIDVisibility string          `json:"callerIdVisibility,omitempty"`
	RingOnMonitored    *bool           `json:"ringOnMonitoredCall,omitempty"`
	PickUpCallsOnHold  *bool           `json:"pickUpCallsOnHold,omitempty"`
	TotalActiveCalls   *int            `json:"totalActiveCalls,omitempty"`
	OwnerID            string          `json:"ownerId,omitempty"`
}

type presenceExtRef struct {
	URI             string `json:"uri"`
	ID              int64  `json:"id"`
	ExtensionNumber string `json:"extensionNumber"`
}

// activeCall is ActiveCallInfo.
type activeCall struct {
	ID                 string      `json:"id"`
	Direction          string      `json:"direction"`
	QueueCall          bool        `json:"queueCall"`
	From               string      `json:"from,omitempty"`
	FromName           string      `json:"fromName,omitempty"`
	To                 string      `json:"to,omitempty"`
	ToName             string      `json:"toName,omitempty"`
	StartTime          string      `json:"startTime"`
	TelephonyStatus    string      `json:"telephonyStatus"`
	TerminationType    string      `json:"terminationType,omitempty"`
	SIPData            *sipData    `json:"sipData,omitempty"`
	SessionID          string      `json:"sessionId"`
	TelephonySessionID string      `json:"telephonySessionId"`
	PartyID            string      `json:"partyId"`
	CallInfo           *callInfoCQ `json:"callInfo,omitempty"`
}

type sipData struct {
	CallID    string `json:"callId"`
	ToTag     string `json:"toTag"`
	FromTag   string `json:"fromTag"`
	RemoteURI string `json:"remoteUri"`
	LocalURI  string `json:"localUri"`
}

type callInfoCQ struct {
	Primary    *cqInfo `json:"primary,omitempty"`
	Additional *cqInfo `json:"additional,omitempty"`
}

type cqInfo struct {
	Type  string `json:"type"`
	Value string `json:"value"`
}

// Detail levels of presence output.
type detail int

const (
	detailSimple detail = iota
	detailCalls
	detailSIP
)

// maxInlineCalls is how many activeCalls a detailed body carries (DOCS).
const maxInlineCalls = 7

func ptr[T any](v T) *T { return &v }

// presenceSnapshot is a copy of an extension's presence at one instant, safe
// to use after Platform.mu is released.
type presenceSnapshot struct {
	Presence
	Legs []Leg
}

func snapshotOf(p *Presence) presenceSnapshot {
	s := presenceSnapshot{Presence: *p}
	s.Presence.Legs = nil
	s.Legs = make([]Leg, len(p.Legs))
	for i, l := range p.Legs {
		s.Legs[i] = *l
	}
	return s
}

func (s *presenceSnapshot) telephonyStatus() string {
	best := TelNoCall
	for i := range s.Legs {
		if telRank(s.Legs[i].Status) > telRank(best) {
			best = s.Legs[i].Status
		}
	}
	return best
}

func (s *presenceSnapshot) presenceStatus() string {
	switch {
	case s.UserStatus == StatusOffline:
		return StatusOffline
	case s.UserStatus == StatusBusy, s.DoNotDisturb(), s.telephonyStatus() != TelNoCall:
		return StatusBusy
	default:
		return StatusAvailable
	}
}

// presenceResource renders the REST PresenceInfoResponse of ext.
func presenceResource(base string, d *Directory, ext *Extension, snap presenceSnapshot, lvl detail) presenceJSON {
	extURI := base + "/restapi/v1.0/account/" + strconv.FormatInt(d.AccountID, 10) + "/extension/" + ext.IDString()
	out := presenceJSON{
		URI:       extURI + "/presence",
		Extension: &presenceExtRef{URI: extURI, ID: ext.ID, ExtensionNumber: ext.Number},
	}
	if !ext.HasPresence() {
		out.PresenceStatus = StatusOffline
		return out
	}
	fillPresence(&out, &snap, lvl, nil)
	out.CallerIDVisibility = snap.CallerIDVisibility
	return out
}

// fillPresence copies the presence fields into out. ended legs are appended
// to activeCalls with NoCall/final, as RingCentral reports a call's end.
func fillPresence(out *presenceJSON, s *presenceSnapshot, lvl detail, ended []Leg) {
	out.TelephonyStatus = s.telephonyStatus()
	out.PresenceStatus = s.presenceStatus()
	out.UserStatus = s.UserStatus
	if s.CHS {
		// dndStatus does not apply to User extensions on CHS accounts.
		out.DNDStatusPersonal = s.DNDPersonal
		out.AcceptCallQueue = ptr(s.AcceptCQ)
	} else {
		out.DNDStatus = s.DNDStatus
	}
	if s.Message != "" {
		out.Message = ptr(s.Message)
	}
	out.MeetingStatus = s.MeetingStatus
	out.AllowSeeMyPresence = ptr(s.AllowSeeMyPresence)
	out.RingOnMonitored = ptr(s.RingOnMonitored)
	out.PickUpCallsOnHold = ptr(s.PickUpCallsOnHold)
	if lvl == detailSimple {
		return
	}
	for i := range s.Legs {
		if len(out.ActiveCalls) == maxInlineCalls {
			break
		}
		out.ActiveCalls = append(out.ActiveCalls, legJSON(&s.Legs[i], lvl))
	}
	for i := range ended {
		if len(out.ActiveCalls) == maxInlineCalls {
			break
		}
		out.ActiveCalls = append(out.ActiveCalls, legJSON(&ended[i], lvl))
	}
}

func legJSON(l *Leg, lvl detail) activeCall {
	c := activeCall{
		ID:                 l.ID,
		Direction:          l.Direction,
		QueueCall:          l.QueueCall,
		From:               l.From,
		FromName:           l.FromName,
		To:                 l.To,
		ToName:             l.ToName,
		StartTime:          rcTime(l.Start),
		TelephonyStatus:    l.Status,
		SessionID:          l.SessionID,
		TelephonySessionID: l.TelephonySessionID,
		PartyID:            l.PartyID,
	}
	if l.Ended {
		c.TelephonyStatus = TelNoCall
		c.TerminationType = "final"
	}
	if l.QueueCall && l.Queue != nil {
		c.CallInfo = &callInfoCQ{
			Primary:    &cqInfo{Type: "QueueName", Value: l.Queue.Ext.Name},
			Additional: &cqInfo{Type: "CallerIdName", Value: l.FromName},
		}
	}
	if lvl == detailSIP {
		c.SIPData = &sipData{
			CallID:    l.TelephonySessionID + "@10.13.22.81",
			ToTag:     "to-" + l.PartyID,
			FromTag:   "from-" + l.ID,
			RemoteURI: "sip:" + l.From + "@sip.ringcentral.com",
			LocalURI:  "sip:" + l.To + "@sip.ringcentral.com",
		}
	}
	return c
}
