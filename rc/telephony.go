package rc

import (
	"context"
	"errors"
	"net/url"
)

// Telephony sessions and Call Control (rc-api.md §6). A call is a
// telephony session whose parties are its ends: the outside caller, the
// call queue it waits in, each user whose phone rings or talks, a
// voicemail box. The same shapes come from GET .../telephony/sessions/{id}
// and from telephony session events, one party per event.

// Party status codes (SPEC CallStatusInfo.code).
const (
	PartySetup        = "Setup"
	PartyProceeding   = "Proceeding"
	PartyAnswered     = "Answered"
	PartyHold         = "Hold"
	PartyParked       = "Parked"
	PartyVoiceMail    = "VoiceMail"
	PartyDisconnected = "Disconnected"
	PartyGone         = "Gone"
)

// Party status reasons a switchboard reads (SPEC CallStatusInfo.reason).
const (
	ReasonAgentAnswered  = "AgentAnswered" // a call queue's party: an agent took the call
	ReasonCallRedirected = "CallRedirected"
	ReasonBlindTransfer  = "BlindTransfer"
	ReasonPickup         = "Pickup"
	ReasonCancelled      = "Cancelled"
	ReasonNoAnswer       = "NoAnswer"
	ReasonRejected       = "Rejected"
	ReasonCallPark       = "CallPark"
)

// TelephonySession is a call: GET .../telephony/sessions/{id}
// (CallSessionObject) or a telephony session event body
// (TelephonySessionsEventBody). Fields a source does not carry are zero.
type TelephonySession struct {
	// ID is the telephonySessionId ("id" in GET, "telephonySessionId" in
	// events).
	ID        string
	SessionID string // the legacy session id presence also shows
	// Sequence orders a session's events (events only; rc-api.md §6.3).
	Sequence     int64
	EventTime    Time // events only
	CreationTime Time // GET only
	Origin       struct{ Type string }
	// Parties are every party still in the call (GET), or the one that
	// changed (an event).
	Parties   []CallParty
	ServerID  string
	AccountID string
	// ExtensionID is the event body's extensionId: in RingCentral's
	// samples and the emulator, the extension of the party it carries.
	ExtensionID string
}

// CallParty is one party of a session (CallParty, TelephonySessionsEventPartyInfo).
// Identifiers RingCentral may send as numbers are IDs.
type CallParty struct {
	ID          string `json:"id"`
	AccountID   ID     `json:"accountId"`
	ExtensionID ID     `json:"extensionId"`
	// Direction is Inbound or Outbound, seen from the party.
	Direction string  `json:"direction"`
	From      CallEnd `json:"from"`
	To        CallEnd `json:"to"`
	Owner     struct {
		AccountID   ID `json:"accountId"`
		ExtensionID ID `json:"extensionId"`
	} `json:"owner"`
	Status PartyStatus `json:"status"`
	// Park names where a Parked party is: the orbit number, or a Park
	// Location's extension id.
	Park struct {
		ID ID `json:"id"`
	} `json:"park"`
	Muted      bool `json:"muted"`
	StandAlone bool `json:"standAlone"`
	MissedCall bool `json:"missedCall"`
	// QueueCall marks a user's party of a call that came through a queue;
	// CallInfo then names the queue (uiCallInfo, as presence's callInfo).
	QueueCall bool      `json:"queueCall"`
	CallInfo  *CallInfo `json:"uiCallInfo"`
}

// CallInfo is a party's uiCallInfo: for a queue call, the queue's name and
// the caller's.
type CallInfo struct {
	Primary    CallInfoItem `json:"primary"`
	Additional CallInfoItem `json:"additional"`
}

// Extension is the party's owner: extensionId, else owner.extensionId;
// "" for a party outside the account.
func (p *CallParty) Extension() ID {
	if p.ExtensionID != "" {
		return p.ExtensionID
	}
	return p.Owner.ExtensionID
}

// QueueName is the queue a queue call came through, from uiCallInfo.
func (p *CallParty) QueueName() string {
	if p.CallInfo != nil {
		for _, it := range []CallInfoItem{p.CallInfo.Primary, p.CallInfo.Additional} {
			if it.Type == "QueueName" && it.Value != "" {
				return it.Value
			}
		}
	}
	return ""
}

// Live reports whether the party is still in the call.
func (p *CallParty) Live() bool {
	return p.Status.Code != PartyDisconnected && p.Status.Code != PartyGone
}

// CallEnd is one side of a party (PartyInfo, CallPartyShortInfo).
type CallEnd struct {
	PhoneNumber     string `json:"phoneNumber"`
	ExtensionNumber string `json:"extensionNumber"`
	ExtensionID     ID     `json:"extensionId"`
	Name            string `json:"name"`
	DeviceID        ID     `json:"deviceId"`
}

// PartyStatus is a party's status (CallStatusInfo).
type PartyStatus struct {
	Code        string  `json:"code"`
	Reason      string  `json:"reason"`
	Description string  `json:"description"`
	PeerID      *PeerID `json:"peerId"`
	// ParkData is the orbit ("*801") of a party parked in universal park.
	ParkData string `json:"parkData"`
}

// PeerID links a Gone party to where the call went (PeerInfo).
type PeerID struct {
	SessionID          string `json:"sessionId"`
	TelephonySessionID string `json:"telephonySessionId"`
	PartyID            string `json:"partyId"`
}

// sessionJSON is the wire shape of both sources of a TelephonySession.
type sessionJSON struct {
	ID                 string `json:"id"`
	TelephonySessionID string `json:"telephonySessionId"`
	SessionID          string `json:"sessionId"`
	Sequence           int64  `json:"sequence"`
	EventTime          Time   `json:"eventTime"`
	CreationTime       Time   `json:"creationTime"`
	Origin             struct {
		Type string `json:"type"`
	} `json:"origin"`
	Parties     []CallParty `json:"parties"`
	ServerID    string      `json:"serverId"`
	AccountID   ID          `json:"accountId"`
	ExtensionID ID          `json:"extensionId"`
}

func (s *sessionJSON) session() TelephonySession {
	out := TelephonySession{
		ID: s.ID, SessionID: s.SessionID, Sequence: s.Sequence, EventTime: s.EventTime,
		CreationTime: s.CreationTime, Parties: s.Parties, ServerID: s.ServerID,
		AccountID: string(s.AccountID), ExtensionID: string(s.ExtensionID),
	}
	if out.ID == "" {
		out.ID = s.TelephonySessionID
	}
	out.Origin.Type = s.Origin.Type
	return out
}

// TelephonySessionsFilter is the event filter of telephony session
// events: account-wide (ext "", admins) or one extension's parties.
func TelephonySessionsFilter(ext ID) string {
	if ext == "" {
		return account + "/telephony/sessions"
	}
	return account + "/extension/" + string(ext) + "/telephony/sessions"
}

// TelephonySession is a telephony session notification's body, decoded
// with the frame (KindTelephonySession).
func (n *Notification) TelephonySession() (TelephonySession, error) {
	if n.body == nil {
		return TelephonySession{}, n.noBody()
	}
	b := n.body
	s := sessionJSON{
		TelephonySessionID: b.TelephonySessionID, SessionID: b.SessionID, EventTime: b.EventTime,
		Parties: b.Parties, ServerID: b.ServerID, AccountID: b.AccountID, ExtensionID: b.ExtensionID,
	}
	s.Origin.Type = b.Origin.Type
	if b.Sequence != nil {
		s.Sequence = *b.Sequence
	}
	if s.TelephonySessionID == "" {
		return TelephonySession{}, errors.New("telephony session event without a telephonySessionId")
	}
	return s.session(), nil
}

// TelephonySession reads a session: the parties still in the call (Light;
// a background read, leaving budget to the user's actions).
func (c *Client) TelephonySession(ctx context.Context, id string) (TelephonySession, error) {
	if id == "" {
		return TelephonySession{}, errors.New("telephony session: no id")
	}
	var s sessionJSON
	if err := c.getJSON(ctx, Light, sessionPath(id), nil, &s, true); err != nil {
		return TelephonySession{}, err
	}
	return s.session(), nil
}

func sessionPath(session string) string {
	return account + "/telephony/sessions/" + url.PathEscape(session)
}

func partyPath(session, party string) string {
	return sessionPath(session) + "/parties/" + url.PathEscape(party)
}

// Device is one of a user's phones (DeviceResource); its ID is what Answer
// and Pickup take.
type Device struct {
	ID, Type, Name, Status string
	// Phone is the number of its first phone line.
	Phone string
}

// deviceJSON is the part of DeviceResource the client reads.
type deviceJSON struct {
	ID         ID     `json:"id"`
	Type       string `json:"type"`
	Name       string `json:"name"`
	Status     string `json:"status"`
	PhoneLines []struct {
		PhoneInfo struct {
			PhoneNumber string `json:"phoneNumber"`
		} `json:"phoneInfo"`
	} `json:"phoneLines"`
}

// Devices lists an extension's phones ("~": the signed-in user's).
func (c *Client) Devices(ctx context.Context, ext ID) ([]Device, error) {
	if ext == "" {
		ext = "~"
	}
	var out []Device
	err := eachPage(ctx, c, Light, account+"/extension/"+url.PathEscape(string(ext))+"/device", url.Values{"perPage": {"100"}}, true,
		func(ds []deviceJSON) error {
			for _, d := range ds {
				dev := Device{ID: string(d.ID), Type: d.Type, Name: d.Name, Status: d.Status}
				if len(d.PhoneLines) > 0 {
					dev.Phone = d.PhoneLines[0].PhoneInfo.PhoneNumber
				}
				out = append(out, dev)
			}
			return nil
		})
	return out, err
}
