package rc

import (
	"context"
	"net/url"
)

// Active calls: the call log's records of the calls in progress
// (CallLogResponse). Telephony session events only report changes; these
// tell a client that starts mid-day about the callers already waiting in a
// queue or parked.

// CallLogRecord is one call in progress (CallLogRecord).
type CallLogRecord struct {
	ID                 string `json:"id"`
	URI                string `json:"uri"`
	SessionID          string `json:"sessionId"`
	TelephonySessionID string `json:"telephonySessionId"`
	// PartyID is the party the record is about (an extension's own party
	// in an extension's list).
	PartyID   string       `json:"partyId"`
	StartTime Time         `json:"startTime"`
	Duration  int64        `json:"duration"` // seconds
	Type      string       `json:"type"`     // Voice, Fax
	Direction string       `json:"direction"`
	Action    string       `json:"action"`
	Result    string       `json:"result"` // "In Progress"
	Reason    string       `json:"reason"`
	From      CallLogParty `json:"from"`
	// To names the extension called: for a queue call, the queue.
	To        CallLogParty  `json:"to"`
	Extension *CallLogOwner `json:"extension"`
	Transport string        `json:"transport"` // PSTN, VoIP
	// Legs are the parties still in the call (view Detailed).
	Legs []CallLogLeg `json:"legs"`
}

// CallLogLeg is one leg of a Detailed record (CallLogRecordLegInfo).
type CallLogLeg struct {
	TelephonySessionID string        `json:"telephonySessionId"`
	PartyID            string        `json:"partyId"`
	LegType            string        `json:"legType"` // PstnToSip, Hunting, Accept, CallPark, ParkLocation, ...
	StartTime          Time          `json:"startTime"`
	Duration           int64         `json:"duration"`
	Type               string        `json:"type"`
	Direction          string        `json:"direction"`
	Action             string        `json:"action"` // "Call Park", "Park Location", "Phone Call", ...
	Result             string        `json:"result"`
	Reason             string        `json:"reason"`
	From               CallLogParty  `json:"from"`
	To                 CallLogParty  `json:"to"`
	Extension          *CallLogOwner `json:"extension"`
	Transport          string        `json:"transport"`
	Master             bool          `json:"master"`
}

// CallLogParty is a record's or leg's from or to.
type CallLogParty struct {
	PhoneNumber     string `json:"phoneNumber"`
	ExtensionNumber string `json:"extensionNumber"`
	ExtensionID     ID     `json:"extensionId"`
	Name            string `json:"name"`
	Location        string `json:"location"`
}

// CallLogOwner is the extension a record or leg belongs to.
type CallLogOwner struct {
	ID  ID     `json:"id"`
	URI string `json:"uri"`
}

// ResultInProgress is the result of a record or leg still going on.
const ResultInProgress = "In Progress"

// ActiveCalls streams the calls in progress, Detailed, 1000 a page: the
// company's (ext "", admins; Heavy) or one extension's.
func (c *Client) ActiveCalls(ctx context.Context, ext ID, fn func([]CallLogRecord) error) error {
	path := account + "/active-calls"
	if ext != "" {
		path = account + "/extension/" + url.PathEscape(string(ext)) + "/active-calls"
	}
	q := url.Values{"view": {"Detailed"}, "perPage": {"1000"}}
	return eachPage(ctx, c, Heavy, path, q, true, fn)
}
