package emulator

import "strconv"

// partyView is a party as the wire shows it at one moment: comparable, so
// an event is sent only when something a client sees has changed.
type partyView struct {
	ID, Direction    string
	ExtID            string
	From, To         partyEnd
	Status, Reason   string
	ParkID, ParkData string
	QueueCall        bool
	QueueName        string
	CallerName       string
	Missed           bool
}

func (pt *callParty) view() partyView {
	v := partyView{
		ID: pt.ID, Direction: pt.Direction, From: pt.From, To: pt.To,
		Status: pt.Status, Reason: pt.Reason, ParkID: pt.ParkID, ParkData: pt.ParkData,
		QueueCall: pt.QueueCall, Missed: pt.Missed,
	}
	if pt.Ext != nil {
		v.ExtID = pt.Ext.IDString()
	}
	if pt.QueueCall && pt.Queue != nil {
		v.QueueName, v.CallerName = pt.Queue.Ext.Name, pt.From.Name
	}
	return v
}

// partyEndJSON is PartyInfo (REST) and CallPartyShortInfo (events; real
// events carry deviceId too, rc-api.md §6.3 captures).
type partyEndJSON struct {
	PhoneNumber string `json:"phoneNumber,omitempty"`
	Name        string `json:"name,omitempty"`
	ExtensionID string `json:"extensionId,omitempty"`
	DeviceID    string `json:"deviceId,omitempty"`
}

func endJSON(e partyEnd) partyEndJSON {
	return partyEndJSON{PhoneNumber: e.PhoneNumber, Name: e.Name, ExtensionID: e.ExtensionID, DeviceID: e.DeviceID}
}

// partyStatusJSON is CallStatusInfo.
type partyStatusJSON struct {
	Code     string `json:"code"`
	Reason   string `json:"reason,omitempty"`
	ParkData string `json:"parkData,omitempty"`
	RCC      *bool  `json:"rcc,omitempty"`
}

// parkJSON is ParkInfo; events always carry it, empty when not parked.
type parkJSON struct {
	ID string `json:"id,omitempty"`
}

type ownerJSON struct {
	AccountID   string `json:"accountId"`
	ExtensionID string `json:"extensionId"`
}

// callPartyJSON is CallParty (and ForwardCallPartyResponse, a subset).
type callPartyJSON struct {
	ID          string          `json:"id"`
	AccountID   string          `json:"accountId,omitempty"`
	ExtensionID string          `json:"extensionId,omitempty"`
	Status      partyStatusJSON `json:"status"`
	Muted       bool            `json:"muted"`
	StandAlone  bool            `json:"standAlone"`
	Park        *parkJSON       `json:"park,omitempty"`
	From        partyEndJSON    `json:"from"`
	To          partyEndJSON    `json:"to"`
	Owner       *ownerJSON      `json:"owner,omitempty"`
	Direction   string          `json:"direction"`
}

// callPartyJSON renders a party for REST: the owner's account and
// extension for a party of the account's users.
func (p *Platform) callPartyJSON(v partyView) callPartyJSON {
	out := callPartyJSON{
		ID: v.ID, Status: partyStatusJSON{Code: v.Status, Reason: v.Reason, ParkData: v.ParkData},
		From: endJSON(v.From), To: endJSON(v.To), Direction: v.Direction,
	}
	if v.ParkID != "" {
		out.Park = &parkJSON{ID: v.ParkID}
	}
	if v.ExtID != "" {
		acc := strconv.FormatInt(p.dir.AccountID, 10)
		out.AccountID, out.ExtensionID = acc, v.ExtID
		out.Owner = &ownerJSON{AccountID: acc, ExtensionID: v.ExtID}
	}
	return out
}

type originJSON struct {
	Type string `json:"type"`
}

// callSessionJSON is CallSessionObject: the parties still in the call.
type callSessionJSON struct {
	ID           string          `json:"id"`
	Origin       originJSON      `json:"origin"`
	Parties      []callPartyJSON `json:"parties"`
	CreationTime string          `json:"creationTime"`
}

func (p *Platform) callSessionJSON(s *callSession) callSessionJSON {
	out := callSessionJSON{ID: s.ID, Origin: originJSON{s.Origin}, Parties: []callPartyJSON{}, CreationTime: rcTime(s.Created)}
	for _, pt := range s.live() {
		out.Parties = append(out.Parties, p.callPartyJSON(pt.view()))
	}
	return out
}

// eventPartyJSON is TelephonySessionsEventPartyInfo as RingCentral sends
// it (the PSTN and RingCentral-to-RingCentral captures of rc-api.md §6.3).
type eventPartyJSON struct {
	AccountID   string          `json:"accountId"`
	ExtensionID string          `json:"extensionId,omitempty"`
	ID          string          `json:"id"`
	Direction   string          `json:"direction"`
	To          partyEndJSON    `json:"to"`
	From        partyEndJSON    `json:"from"`
	Status      partyStatusJSON `json:"status"`
	Park        parkJSON        `json:"park"`
	MissedCall  bool            `json:"missedCall"`
	StandAlone  bool            `json:"standAlone"`
	Muted       bool            `json:"muted"`
	QueueCall   bool            `json:"queueCall,omitempty"`
	UICallInfo  *callInfoCQ     `json:"uiCallInfo,omitempty"`
}

// sessionEventJSON is TelephonySessionsEventBody, with the accountId and
// extensionId the DOCS samples add.
type sessionEventJSON struct {
	Sequence           int64            `json:"sequence"`
	SessionID          string           `json:"sessionId"`
	TelephonySessionID string           `json:"telephonySessionId"`
	ServerID           string           `json:"serverId"`
	EventTime          string           `json:"eventTime"`
	AccountID          string           `json:"accountId"`
	ExtensionID        string           `json:"extensionId,omitempty"`
	Parties            []eventPartyJSON `json:"parties"`
	Origin             originJSON       `json:"origin"`
}

func (p *Platform) eventPartyJSON(v partyView) eventPartyJSON {
	rcc := false
	out := eventPartyJSON{
		AccountID: strconv.FormatInt(p.dir.AccountID, 10), ExtensionID: v.ExtID, ID: v.ID, Direction: v.Direction,
		To: endJSON(v.To), From: endJSON(v.From),
		Status:     partyStatusJSON{Code: v.Status, Reason: v.Reason, ParkData: v.ParkData, RCC: &rcc},
		Park:       parkJSON{ID: v.ParkID},
		MissedCall: v.Missed, QueueCall: v.QueueCall,
	}
	if v.QueueName != "" {
		out.UICallInfo = &callInfoCQ{Primary: &cqInfo{Type: "QueueName", Value: v.QueueName}}
		if v.CallerName != "" {
			out.UICallInfo.Additional = &cqInfo{Type: "CallerIdName", Value: v.CallerName}
		}
	}
	return out
}
