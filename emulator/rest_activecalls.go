package emulator

import (
	"encoding/base64"
	"hash/fnv"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Active calls (SPEC listCompanyActiveCalls, listExtensionActiveCalls): the
// call log's view of the calls in progress, which is how a client that
// starts mid-day learns of callers already waiting in a queue or parked
// (telephony session events only report changes). Both are Heavy, app
// permission ReadCallLog, user permission ReadCallLog; the company list is
// for admins (DOCS voice/active-calls.md: "[ReadCompanyCallLog] permission
// required" otherwise).
//
// One record per live session, newest first (the SPEC: "ordered by start
// time in descending order"), result "In Progress". With view=Detailed a
// record carries one leg per party still in the call (the company list)
// or per party of that extension (an extension's list), each with its
// telephonySessionId and partyId, so a client can tell who is where:
//
//	the outside caller        legType PstnToSip, no extension
//	a call queue's party      legType Hunting, extension = the queue, startTime = when the caller entered it
//	a user's party            legType Accept (inbound) or ExtensionToExtension / SipToPstnUnmetered (dialling)
//	a parked party            legType CallPark (action "Call Park", to.phoneNumber = the orbit "*8xx")
//	                          or ParkLocation (action "Park Location", to = the Park Location), startTime = when parked
//	a number outside          legType SipToPstnMetered
//
// The call log has no party status: whether a user's party rings, talks or
// is on hold is for GET .../telephony/sessions/{id} to say.

// activeCallRoutes are the active-calls endpoints.
func activeCallRoutes() []restRoute {
	return []restRoute{
		{"GET " + accountPath + "/active-calls", Heavy, listCompanyActiveCalls},
		{"GET " + accountPath + "/extension/{extensionId}/active-calls", Heavy, listExtensionActiveCalls},
	}
}

// Values of the active-calls query parameters (SPEC CallDirectionEnum,
// CallTypeEnum, CallTransportEnum, ConferenceCallType, CallLogView).
var (
	callDirections  = []string{"Inbound", "Outbound"}
	callTypes       = []string{"Voice", "Fax"}
	callTransports  = []string{"PSTN", "VoIP"}
	conferenceTypes = []string{"AudioConferencing", "Meetings"}
	callLogViews    = []string{"Simple", "Detailed"}
)

// callLogPartyJSON is CallLogFromParty / CallLogToParty.
type callLogPartyJSON struct {
	PhoneNumber     string `json:"phoneNumber,omitempty"`
	ExtensionNumber string `json:"extensionNumber,omitempty"`
	ExtensionID     string `json:"extensionId,omitempty"`
	Name            string `json:"name,omitempty"`
}

// callLogExtJSON is ExtensionInfoCallLog.
type callLogExtJSON struct {
	ID  int64  `json:"id"`
	URI string `json:"uri"`
}

// callLogBaseJSON is BaseCallLogRecord: what a record and its legs share.
type callLogBaseJSON struct {
	Extension          *callLogExtJSON  `json:"extension,omitempty"`
	TelephonySessionID string           `json:"telephonySessionId"`
	PartyID            string           `json:"partyId,omitempty"`
	Transport          string           `json:"transport"`
	From               callLogPartyJSON `json:"from"`
	To                 callLogPartyJSON `json:"to"`
	Type               string           `json:"type"`
	Direction          string           `json:"direction"`
	Action             string           `json:"action"`
	Result             string           `json:"result"`
	StartTime          string           `json:"startTime"`
	Duration           int64            `json:"duration"`
	DurationMs         int64            `json:"durationMs"`
}

// callLogLegJSON is CallLogRecordLegInfo.
type callLogLegJSON struct {
	callLogBaseJSON
	LegType string `json:"legType"`
	Master  bool   `json:"master,omitempty"`
}

// callLogRecordJSON is CallLogRecord.
type callLogRecordJSON struct {
	URI       string `json:"uri"`
	ID        string `json:"id"`
	SessionID string `json:"sessionId"`
	callLogBaseJSON
	LastModifiedTime string           `json:"lastModifiedTime,omitempty"`
	Legs             []callLogLegJSON `json:"legs,omitempty"`
}

// activeCallsQuery is a validated active-calls request.
type activeCallsQuery struct {
	detailed   bool
	directions []string
	types      []string
	transports []string
	conference bool // a conferenceType was asked for: no emulated call is a conference
	page       pageRequest
}

// activeCallsQuery reads view, direction, type, transport, conferenceType,
// page and perPage (an integer from 1, clamped to 1000, or "max").
func (c *restCall) activeCallsQuery() (activeCallsQuery, *apiError) {
	q := c.r.URL.Query()
	var out activeCallsQuery
	view, ae := enumList(q["view"], "view", callLogViews)
	if ae != nil {
		return out, ae
	}
	out.detailed = slices.Contains(view, "Detailed")
	if out.directions, ae = enumList(q["direction"], "direction", callDirections); ae != nil {
		return out, ae
	}
	if out.types, ae = enumList(q["type"], "type", callTypes); ae != nil {
		return out, ae
	}
	if out.transports, ae = enumList(q["transport"], "transport", callTransports); ae != nil {
		return out, ae
	}
	conf, ae := enumList(q["conferenceType"], "conferenceType", conferenceTypes)
	if ae != nil {
		return out, ae
	}
	out.conference = len(conf) > 0
	out.page = pageRequest{page: 1, perPage: defaultPerPage}
	if v := q.Get("page"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > math.MaxInt32 {
			return out, errInvalidValue("page", v)
		}
		out.page.page = n
	}
	switch v := q.Get("perPage"); v {
	case "":
	case "max":
		out.page.perPage = maxPerPage
	default:
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > math.MaxInt32 {
			return out, errInvalidValue("perPage", v)
		}
		out.page.perPage = min(n, maxPerPage) // SPEC: above 1000, 1000 applies
	}
	return out, nil
}

// matches applies the filters to a record.
func (q activeCallsQuery) matches(r callLogRecordJSON) bool {
	return !q.conference &&
		(len(q.directions) == 0 || slices.Contains(q.directions, r.Direction)) &&
		(len(q.types) == 0 || slices.Contains(q.types, r.Type)) &&
		(len(q.transports) == 0 || slices.Contains(q.transports, r.Transport))
}

// listCompanyActiveCalls serves GET /account/{accountId}/active-calls:
// every live session of the account (admins).
func listCompanyActiveCalls(c *restCall) (reply, *apiError) {
	if ae := c.requireUserPermission(PermReadCompanyCallLog); ae != nil {
		return reply{}, ae
	}
	q, ae := c.activeCallsQuery()
	if ae != nil {
		return reply{}, ae
	}
	return c.activeCalls(q, nil, c.p.accountURI()+"/active-calls")
}

// listExtensionActiveCalls serves GET .../extension/{extensionId}/active-calls:
// the live sessions the extension has a party in (one's own; admins
// anyone's).
func listExtensionActiveCalls(c *restCall) (reply, *apiError) {
	ext, ae := c.pathExtension()
	if ae != nil {
		return reply{}, ae
	}
	if !c.mayActFor(ext) {
		return reply{}, errOtherExtension()
	}
	q, ae := c.activeCallsQuery()
	if ae != nil {
		return reply{}, ae
	}
	return c.activeCalls(q, ext, c.p.extensionURI(ext)+"/active-calls")
}

// activeCalls lists the records of the live sessions (of ext, if set),
// newest first, filtered and paged.
func (c *restCall) activeCalls(q activeCallsQuery, ext *Extension, resource string) (reply, *apiError) {
	t := c.p.tel
	now := c.p.now()
	sessions := t.ordered()
	slices.Reverse(sessions) // oldest first -> newest first
	var records []callLogRecordJSON
	for _, s := range sessions {
		r, ok := c.p.callLogRecord(s, ext, q.detailed, now)
		if ok && q.matches(r) {
			records = append(records, r)
		}
	}
	return okJSON(paginate(c, resource, q.page, records, func(r callLogRecordJSON) callLogRecordJSON { return r }))
}

// callLogRecord renders a live session as a call log record in progress:
// for the company (ext nil) from its first party's point of view, for an
// extension from that extension's latest live party. ok is false when the
// session has no live party (of ext).
func (p *Platform) callLogRecord(s *callSession, ext *Extension, detailed bool, now time.Time) (callLogRecordJSON, bool) {
	live := s.live()
	var own *callParty
	for _, pt := range live {
		if ext == nil || pt.Ext == ext {
			own = pt
		}
	}
	if own == nil {
		return callLogRecordJSON{}, false
	}
	id := callLogID(s.ID)
	r := callLogRecordJSON{ID: id, SessionID: s.LegacyID}
	r.TelephonySessionID = s.ID
	r.Type, r.Action, r.Result = "Voice", "Phone Call", "In Progress"
	r.StartTime = rcTime(s.Created)
	r.Duration, r.DurationMs = durations(s.Created, now)
	if ext == nil {
		r.URI = p.accountURI() + "/call-log/" + id
		origin := s.Parties[0]
		r.PartyID = origin.ID
		r.From, r.To = p.callLogEnd(origin.From), p.callLogEnd(origin.To)
		r.Direction, r.Transport = "Outbound", "VoIP"
		if s.Caller != nil {
			r.From, r.To = p.callLogEnd(s.Caller.From), p.callLogEnd(s.Caller.To)
			r.Direction, r.Transport = "Inbound", "PSTN"
		}
		if origin.Ext != nil && origin.Direction == "Outbound" {
			r.Extension = p.callLogExt(origin.Ext)
		}
	} else {
		r.URI = p.extensionURI(ext) + "/call-log/" + id
		r.PartyID, r.Direction, r.Extension = own.ID, own.Direction, p.callLogExt(ext)
		r.From, r.To = p.callLogEnd(own.From), p.callLogEnd(own.To)
		r.Transport = "VoIP"
		if s.Caller != nil {
			r.Transport = "PSTN"
		}
	}
	if r.Action == "Phone Call" && r.Direction == "Outbound" {
		r.Action = "VoIP Call"
	}
	if !detailed {
		return r, true
	}
	r.LastModifiedTime = rcTime(now)
	for _, pt := range live {
		if ext == nil || pt.Ext == ext {
			r.Legs = append(r.Legs, p.callLogLeg(pt, now))
		}
	}
	return r, true
}

// callLogLeg renders one live party as a leg. Its startTime is when the
// party's part began: a user's phone started ringing, the caller entered
// the queue, the call was parked.
func (p *Platform) callLogLeg(pt *callParty, now time.Time) callLogLegJSON {
	s := pt.sess
	start := s.Created
	l := callLogLegJSON{}
	l.TelephonySessionID, l.PartyID = s.ID, pt.ID
	l.Type, l.Direction, l.Result = "Voice", pt.Direction, "In Progress"
	l.From, l.To = p.callLogEnd(pt.From), p.callLogEnd(pt.To)
	l.Action, l.Transport = "Phone Call", "VoIP"
	if pt.Ext != nil {
		l.Extension = p.callLogExt(pt.Ext)
	}
	switch {
	case pt == s.Caller:
		l.LegType, l.Transport, l.Master = "PstnToSip", "PSTN", true
	case pt.Ext == nil:
		l.LegType, l.Action, l.Transport = "SipToPstnMetered", "VoIP Call", "PSTN"
	case pt == s.QueueParty:
		l.LegType, start = "Hunting", s.WaitStart
	case pt.Status == PartyParked:
		l.LegType, l.Action, start = "CallPark", "Call Park", pt.parkedAt
		l.To = callLogPartyJSON{PhoneNumber: pt.ParkData}
		if loc, _, ok := strings.Cut(pt.spot, "#"); ok {
			id, _ := strconv.ParseInt(loc, 10, 64)
			l.LegType, l.Action = "ParkLocation", "Park Location"
			if le := p.dir.ByID[id]; le != nil {
				l.To = callLogPartyJSON{ExtensionID: le.IDString(), ExtensionNumber: le.Number, Name: le.Name}
			}
		}
	case pt.Direction == "Outbound":
		l.LegType, l.Action = "SipToPstnUnmetered", "VoIP Call"
		if pt.To.ExtensionID != "" {
			l.LegType = "ExtensionToExtension"
		}
		if pt.leg != nil {
			start = pt.leg.Start
		}
	default:
		l.LegType = "Accept"
		if pt.leg != nil {
			start = pt.leg.Start
		}
	}
	if start.IsZero() {
		start = s.Created
	}
	l.StartTime = rcTime(start)
	l.Duration, l.DurationMs = durations(start, now)
	return l
}

// callLogEnd renders a party end, naming the extension number of an
// extension of the account.
func (p *Platform) callLogEnd(e partyEnd) callLogPartyJSON {
	out := callLogPartyJSON{PhoneNumber: e.PhoneNumber, Name: e.Name, ExtensionID: e.ExtensionID}
	if id, err := strconv.ParseInt(e.ExtensionID, 10, 64); err == nil {
		if x := p.dir.ByID[id]; x != nil {
			out.ExtensionNumber = x.Number
		}
	}
	return out
}

func (p *Platform) callLogExt(ext *Extension) *callLogExtJSON {
	return &callLogExtJSON{ID: ext.ID, URI: p.extensionURI(ext)}
}

// durations is the time from start to now in whole seconds and in
// milliseconds, never negative.
func durations(start, now time.Time) (int64, int64) {
	d := max(0, now.Sub(start))
	return int64(d / time.Second), d.Milliseconds()
}

// callLogID is a session's call log record id: stable, in the style of
// RingCentral's ("ASaxDDkSZ5s42MA").
func callLogID(tsid string) string {
	h := fnv.New128a()
	h.Write([]byte(tsid))
	return "A" + base64.RawURLEncoding.EncodeToString(h.Sum(nil))[:14]
}
