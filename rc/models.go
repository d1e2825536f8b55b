package rc

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// ID is a RingCentral identifier. The wire has them as JSON strings or as
// numbers depending on the endpoint (rc-api.md §3.2, §4); both decode to
// the same digits.
type ID string

// UnmarshalJSON accepts a string, a number or null.
func (id *ID) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if s, ok := plainString(b); ok {
		*id = ID(s)
		return nil
	}
	switch {
	case len(b) == 0 || string(b) == "null":
		*id = ""
	case b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*id = ID(s)
	case digits(b):
		*id = ID(b)
	default:
		var n json.Number
		if err := json.Unmarshal(b, &n); err != nil {
			return fmt.Errorf("id: %w", err)
		}
		*id = ID(n.String())
	}
	return nil
}

// plainString returns a JSON string literal's text when it needs no
// unescaping (no backslash, valid UTF-8), which is what the wire carries,
// sparing a second decode of bytes the decoder has just read.
func plainString(b []byte) (string, bool) {
	if len(b) < 2 || b[0] != '"' || b[len(b)-1] != '"' {
		return "", false
	}
	in := b[1 : len(b)-1]
	for _, c := range in {
		if c == '\\' || c == '"' || c < 0x20 || c >= utf8.RuneSelf {
			// Escapes, stray quotes, control bytes and non-ASCII go the
			// slow way: json.Unmarshal checks and unescapes them.
			return "", false
		}
	}
	return string(in), true
}

// digits reports a plain non-negative integer (every id on the wire).
func digits(b []byte) bool {
	if len(b) == 0 || len(b) > 1 && b[0] == '0' {
		return false
	}
	for _, c := range b {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// Time is a RingCentral timestamp: RFC 3339, or the "+0000" offset form
// some captures use (rc-api.md §3.1, §3.2).
type Time struct{ time.Time }

var timeLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05.999999999Z0700",
	"2006-01-02T15:04:05Z0700",
	"2006-01-02T15:04:05.999999999",
}

// UnmarshalJSON accepts any of timeLayouts; an unparseable or empty value
// leaves the zero time rather than failing the whole message.
func (t *Time) UnmarshalJSON(b []byte) error {
	s, ok := plainString(b)
	if !ok {
		if err := json.Unmarshal(b, &s); err != nil {
			t.Time = time.Time{}
			return nil
		}
	}
	t.Time = ParseTime(s)
	return nil
}

// ParseTime parses a RingCentral timestamp, or returns the zero time.
func ParseTime(s string) time.Time {
	s = strings.TrimSpace(s)
	for _, l := range timeLayouts {
		if v, err := time.Parse(l, s); err == nil {
			return v
		}
	}
	return time.Time{}
}

// Paging is the paging block of list responses.
type Paging struct {
	Page          int `json:"page"`
	TotalPages    int `json:"totalPages"`
	PerPage       int `json:"perPage"`
	TotalElements int `json:"totalElements"`
	PageStart     int `json:"pageStart"`
	PageEnd       int `json:"pageEnd"`
}

// Navigation holds absolute page links; NextPage is nil on the last page.
type Navigation struct {
	NextPage *struct {
		URI string `json:"uri"`
	} `json:"nextPage"`
}

// Extension is a record of the extension list (GetExtensionListInfoResponse).
type Extension struct {
	ID              ID     `json:"id"`
	ExtensionNumber string `json:"extensionNumber"`
	Name            string `json:"name"`
	Type            string `json:"type"`
	Status          string `json:"status"`
	Hidden          bool   `json:"hidden"`
	Contact         struct {
		FirstName  string `json:"firstName"`
		LastName   string `json:"lastName"`
		Email      string `json:"email"`
		Department string `json:"department"`
		JobTitle   string `json:"jobTitle"`
	} `json:"contact"`
	Site struct {
		ID   ID     `json:"id"`
		Name string `json:"name"`
	} `json:"site"`
	Permissions struct {
		Admin struct {
			Enabled bool `json:"enabled"`
		} `json:"admin"`
	} `json:"permissions"`
}

// Presence is PresenceInfoResponse and every presence event body. Pointer
// and nil-slice fields are nil when absent, so partial bodies can be
// merged field by field (rc-api.md §3.6).
type Presence struct {
	Extension *struct {
		ID              ID     `json:"id"`
		ExtensionNumber string `json:"extensionNumber"`
	} `json:"extension"`
	ExtensionID    ID      `json:"extensionId"`
	Sequence       *int64  `json:"sequence"`
	PresenceStatus *string `json:"presenceStatus"`
	UserStatus     *string `json:"userStatus"`
	DNDStatus      *string `json:"dndStatus"`
	// DNDStatusPersonal and AcceptCallQueueCalls replace dndStatus on
	// accounts with the new communication handling service (CHS): personal
	// DND (TakeAllCalls or DoNotAcceptAnyCalls) and queue availability.
	DNDStatusPersonal    *string      `json:"dndStatusPersonal"`
	AcceptCallQueueCalls *bool        `json:"acceptCallQueueCalls"`
	TelephonyStatus      *string      `json:"telephonyStatus"`
	MeetingStatus        *string      `json:"meetingStatus"`
	Message              *string      `json:"message"`
	AllowSeeMyPresence   *bool        `json:"allowSeeMyPresence"`
	ActiveCalls          []ActiveCall `json:"activeCalls"`
	TotalActiveCalls     *int         `json:"totalActiveCalls"`
}

// Who is the extension a presence record or event is about.
func (p *Presence) Who() ID {
	if p.ExtensionID != "" {
		return p.ExtensionID
	}
	if p.Extension != nil {
		return p.Extension.ID
	}
	return ""
}

// ActiveCall is one entry of activeCalls (ActiveCallInfo).
type ActiveCall struct {
	ID                 string `json:"id"`
	Direction          string `json:"direction"`
	From               string `json:"from"`
	FromName           string `json:"fromName"`
	To                 string `json:"to"`
	ToName             string `json:"toName"`
	StartTime          Time   `json:"startTime"`
	TelephonyStatus    string `json:"telephonyStatus"`
	TerminationType    string `json:"terminationType"`
	QueueCall          bool   `json:"queueCall"`
	SessionID          string `json:"sessionId"`
	TelephonySessionID string `json:"telephonySessionId"`
	PartyID            string `json:"partyId"`
	// CallInfo says, for queue calls, which queue the call came through
	// (rc-api.md §3.2).
	CallInfo *struct {
		Primary    CallInfoItem `json:"primary"`
		Additional CallInfoItem `json:"additional"`
	} `json:"callInfo"`
}

// CallInfoItem is one callInfo entry: a type (QueueName, PhoneNumber, ...)
// and its value.
type CallInfoItem struct {
	Type  string `json:"type"`
	Value string `json:"value"`
}

// QueueName is the call queue a queue call came through: callInfo's
// QueueName, else the callee's name, which RingCentral sets to the queue.
func (c *ActiveCall) QueueName() string {
	if c.CallInfo != nil {
		for _, it := range []CallInfoItem{c.CallInfo.Primary, c.CallInfo.Additional} {
			if it.Type == "QueueName" && it.Value != "" {
				return it.Value
			}
		}
	}
	if c.QueueCall && c.Direction != "Outbound" {
		return c.ToName
	}
	return ""
}

// CallQueue is a call-queue record (list or detail).
type CallQueue struct {
	ID                   ID     `json:"id"`
	ExtensionNumber      string `json:"extensionNumber"`
	Name                 string `json:"name"`
	Status               string `json:"status"`
	EditableMemberStatus *bool  `json:"editableMemberStatus"`
}

// QueueMember is a call-queue member record.
type QueueMember struct {
	ID              ID     `json:"id"`
	ExtensionNumber string `json:"extensionNumber"`
}

// QueueMemberPresence is one record of a queue's presence.
type QueueMemberPresence struct {
	Member struct {
		ID              ID     `json:"id"`
		Name            string `json:"name"`
		ExtensionNumber string `json:"extensionNumber"`
	} `json:"member"`
	AcceptQueueCalls        *bool `json:"acceptQueueCalls"`
	AcceptCurrentQueueCalls *bool `json:"acceptCurrentQueueCalls"`
}

// MyQueuePresence is one record of an extension's call-queue presence.
type MyQueuePresence struct {
	CallQueue struct {
		ID                   ID     `json:"id"`
		Name                 string `json:"name"`
		ExtensionNumber      string `json:"extensionNumber"`
		EditableMemberStatus bool   `json:"editableMemberStatus"`
	} `json:"callQueue"`
	AcceptCalls bool `json:"acceptCalls"`
}

// PresenceUpdate is the body of a presence PUT; nil fields are not sent.
type PresenceUpdate struct {
	UserStatus *string `json:"userStatus,omitempty"`
	DNDStatus  *string `json:"dndStatus,omitempty"`
	// On a CHS account a User's DND and queue availability are these two;
	// a dndStatus would be refused.
	DNDStatusPersonal    *string `json:"dndStatusPersonal,omitempty"`
	AcceptCallQueueCalls *bool   `json:"acceptCallQueueCalls,omitempty"`
	Message              *string `json:"message,omitempty"`
}

// TokenInfo is the token endpoint's answer.
type TokenInfo struct {
	AccessToken           string `json:"access_token"`
	TokenType             string `json:"token_type"`
	ExpiresIn             int    `json:"expires_in"`
	RefreshToken          string `json:"refresh_token"`
	RefreshTokenExpiresIn int    `json:"refresh_token_expires_in"`
	Scope                 string `json:"scope"`
	OwnerID               ID     `json:"owner_id"`
	EndpointID            string `json:"endpoint_id"`
	SessionID             string `json:"session_id"`
}
