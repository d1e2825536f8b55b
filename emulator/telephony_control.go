package emulator

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
)

// The telephony part of the control API (see control.go for the rest):
//
//	GET  /_emulator/telephony                    live sessions (CallSessionObject + extras) and parked calls
//	GET  /_emulator/queues/backlog               every queue's waiting calls and today's counts
//	POST /_emulator/queues/{id}/calls            a caller waiting in queue {id}
//	POST /_emulator/extensions/{id}/ring         a call from outside ringing user {id}
//	POST /_emulator/telephony/parked             a parked call
//	GET  /_emulator/telephony/faults, PUT ...    call-control fault rules (PUT replaces them)
//
// A call made here is driven by the simulation when it runs (the caller
// may hang up, a colleague may answer); with --calls-per-minute 0 it stays
// as made until a client or the control API acts.

// CallerInfo is the outside party of a call the control API makes.
type CallerInfo struct {
	Number string `json:"callerNumber"`
	Name   string `json:"callerName"`
}

// CallRef names what the control API made.
type CallRef struct {
	TelephonySessionID string `json:"telephonySessionId"`
	// PartyID is the party the call is about: the queue's party of a
	// waiting call, the ringing user's party, the Parked party.
	PartyID       string `json:"partyId"`
	CallerPartyID string `json:"callerPartyId"`
	// LegID is the presence activeCalls id of a user's party.
	LegID string `json:"legId,omitempty"`
	// Orbit is where a parked call is ("*8xx" or a Park Location's number).
	Orbit string `json:"orbit,omitempty"`
}

// RingOptions shapes a call ringing a user.
type RingOptions struct {
	// MainLine rings the user as the company's main number would (to: the
	// main number and the company's name), as the receptionist gets them.
	MainLine bool `json:"mainLine"`
	// QueueID rings the user as an agent of that queue: the call waits in
	// the queue while it rings them.
	QueueID string `json:"queueId"`
}

// CallControlFault makes the next Count calls (0: all) of a call-control
// action answer Status with RingCentral's error JSON. Actions: read (GET
// a session or party), drop (DELETE a session), hangup (DELETE a party),
// answer, hold, unhold, transfer, forward, park, pickup, ignore.
type CallControlFault struct {
	Action string `json:"action"`
	Status int    `json:"status"`
	Count  int    `json:"count,omitempty"`
}

var callControlActions = []string{"read", "drop", "hangup", "answer", "hold", "unhold", "transfer", "forward", "park", "pickup", "ignore"}

// takeFault consumes a use of the first fault rule for action.
func (t *switchboard) takeFault(action string) *apiError {
	for i := range t.faults {
		r := &t.faults[i]
		if r.Action != action {
			continue
		}
		status := r.Status
		if r.Count > 0 {
			if r.Count--; r.Count == 0 {
				t.faults = slices.Delete(t.faults, i, i+1)
			}
		}
		switch status {
		case http.StatusConflict:
			return errConflict("The party's state does not allow this operation now")
		case http.StatusServiceUnavailable:
			return errUnavailable()
		case http.StatusInternalServerError:
			return errInternal()
		case http.StatusNotFound:
			return errNotFound("telephonySessionId")
		case http.StatusForbidden:
			return errCallControlPermission()
		case http.StatusBadRequest:
			return errInvalidParam("body")
		case http.StatusTooManyRequests:
			return errRateLimited(1)
		}
		return &apiError{Status: status, Code: "CMN-201", Message: http.StatusText(status)}
	}
	return nil
}

// SetCallControlFaults replaces the call-control fault rules.
func (e *Emulator) SetCallControlFaults(rules []CallControlFault) error {
	for i, r := range rules {
		if !slices.Contains(callControlActions, r.Action) {
			return fmt.Errorf("rules[%d]: action must be one of %s", i, strings.Join(callControlActions, ", "))
		}
		if r.Status < 400 || r.Status > 599 || r.Count < 0 {
			return fmt.Errorf("rules[%d]: status must be a 4xx or 5xx status and count not negative", i)
		}
	}
	p := e.p
	p.mu.Lock()
	defer p.mu.Unlock()
	p.tel.faults = slices.Clone(rules)
	return nil
}

// CallControlFaults returns the call-control fault rules in force.
func (e *Emulator) CallControlFaults() []CallControlFault {
	p := e.p
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]CallControlFault{}, p.tel.faults...)
}

// TelephonyTruth is every live telephony session and every parked call.
type TelephonyTruth struct {
	Sessions []SessionTruth `json:"sessions"`
	Parked   []ParkedCall   `json:"parked"`
}

// SessionTruth is a session as GET .../telephony/sessions/{id} shows it
// to an admin, with the legacy id, the last event sequence and, for a
// queue call, the queue and when the caller entered it.
type SessionTruth struct {
	callSessionJSON
	SessionID string `json:"sessionId"`
	Sequence  int64  `json:"sequence"`
	QueueID   string `json:"queueId,omitempty"`
	WaitStart string `json:"waitStart,omitempty"`
	Waiting   bool   `json:"waiting"`
}

// Telephony returns the live sessions, oldest first, and the parked calls.
func (e *Emulator) Telephony() TelephonyTruth {
	p := e.p
	p.mu.Lock()
	defer p.mu.Unlock()
	out := TelephonyTruth{Sessions: []SessionTruth{}, Parked: p.tel.parkedCalls()}
	for _, s := range p.tel.ordered() {
		if len(s.live()) == 0 {
			continue
		}
		st := SessionTruth{callSessionJSON: p.callSessionJSON(s), SessionID: s.LegacyID, Sequence: s.seq, Waiting: s.waiting()}
		if s.Queue != nil {
			st.QueueID, st.WaitStart = s.Queue.Ext.IDString(), rcTime(s.WaitStart)
		}
		out.Sessions = append(out.Sessions, st)
	}
	return out
}

// caller fills in a default outside caller.
func (ci CallerInfo) orDefault() (CallerInfo, error) {
	if ci.Number == "" {
		ci.Number = "+16505550142"
	}
	if len(ci.Number) > 32 || len(ci.Name) > 128 {
		return ci, fmt.Errorf("callerNumber or callerName too long")
	}
	return ci, nil
}

// QueueCall has an outside caller wait in queue queueID, full or not: a
// test places its callers where it needs them (the simulated callers and
// transfers meet the queue's maxCallers).
func (e *Emulator) QueueCall(queueID int64, ci CallerInfo) (CallRef, error) {
	ci, err := ci.orDefault()
	if err != nil {
		return CallRef{}, err
	}
	qe, ok := e.p.dir.ByID[queueID]
	if !ok || qe.Queue == nil {
		return CallRef{}, fmt.Errorf("no call queue %d", queueID)
	}
	var ref CallRef
	e.p.Mutate(func(tx *Tx) {
		t := e.p.tel
		s := t.offerFromOutside(tx, ci.Number, ci.Name, e.p.dir.MainNumber, qe.Name, qe)
		qp := t.enterQueue(tx, s, qe.Queue)
		ref = CallRef{TelephonySessionID: s.ID, PartyID: qp.ID, CallerPartyID: s.Caller.ID}
		t.notify(tx, controlEvent{kind: ctlAdopt, sess: s, queue: qe.Queue})
	})
	return ref, nil
}

// RingingCall has an outside caller ring user extID's phones.
func (e *Emulator) RingingCall(extID int64, ci CallerInfo, opt RingOptions) (CallRef, error) {
	ci, err := ci.orDefault()
	if err != nil {
		return CallRef{}, err
	}
	ext, ok := e.p.dir.ByID[extID]
	if !ok || ext.Type != TypeUser {
		return CallRef{}, fmt.Errorf("no user extension %d", extID)
	}
	var q *Queue
	if opt.QueueID != "" {
		id, _ := strconv.ParseInt(opt.QueueID, 10, 64)
		qe, ok := e.p.dir.ByID[id]
		if !ok || qe.Queue == nil {
			return CallRef{}, fmt.Errorf("no call queue %q", opt.QueueID)
		}
		q = qe.Queue
	}
	var ref CallRef
	e.p.Mutate(func(tx *Tx) {
		ref = e.p.tel.ringingCall(tx, ext, ci, opt.MainLine, q)
	})
	return ref, nil
}

// ringingCall builds a call from outside ringing ext (under mu).
func (t *switchboard) ringingCall(tx *Tx, ext *Extension, ci CallerInfo, mainLine bool, q *Queue) CallRef {
	d := t.p.dir
	from := partyEnd{PhoneNumber: ci.Number, Name: ci.Name}
	var s *callSession
	rs := ringSpec{from: from}
	switch {
	case q != nil:
		s = t.offerFromOutside(tx, ci.Number, ci.Name, d.MainNumber, q.Ext.Name, q.Ext)
		t.enterQueue(tx, s, q)
		rs.toNumber, rs.toName, rs.queue = d.MainNumber, q.Ext.Name, q
	case mainLine:
		s = t.offerFromOutside(tx, ci.Number, ci.Name, d.MainNumber, d.Company, nil)
		rs.toNumber, rs.toName = d.MainNumber, d.Company
	default:
		s = t.offerFromOutside(tx, ci.Number, ci.Name, ext.Phone, ext.Name, ext)
	}
	pt := t.ringUser(tx, s, ext, rs)
	if s.Caller.Status == PartySetup {
		tx.setParty(s.Caller, PartyProceeding, "")
	}
	t.notify(tx, controlEvent{kind: ctlAdopt, sess: s, party: pt, queue: q})
	return CallRef{TelephonySessionID: s.ID, PartyID: pt.ID, CallerPartyID: s.Caller.ID, LegID: pt.leg.ID}
}

// ParkedCall parks a call from an outside caller, parked by user
// parkedByID: in orbit ("*8xx"), in a Park Location (its extension id),
// or, with orbit empty, in the first free universal orbit.
func (e *Emulator) ParkedCall(orbit string, ci CallerInfo, parkedByID int64) (CallRef, error) {
	ci, err := ci.orDefault()
	if err != nil {
		return CallRef{}, err
	}
	by, ok := e.p.dir.ByID[parkedByID]
	if !ok || by.Type != TypeUser {
		return CallRef{}, fmt.Errorf("no user extension %d", parkedByID)
	}
	tg := transferTarget{kind: toPark}
	if orbit != "" {
		if tg, ok = e.parkTarget(orbit); !ok {
			return CallRef{}, fmt.Errorf("orbit must be *801 to *899 or a Park Location extension id, got %q", orbit)
		}
	}
	var ref CallRef
	var ae *apiError
	e.p.Mutate(func(tx *Tx) {
		t := e.p.tel
		if tg.orbit != "" && t.parked[tg.orbit] != nil {
			ae = errConflict("Park orbit [" + tg.orbit + "] is taken")
			return
		}
		s := t.offerFromOutside(tx, ci.Number, ci.Name, by.Phone, by.Name, by)
		pt := t.connectUser(tx, s, e.p.DeskPhone(by), partyEnd{PhoneNumber: ci.Number, Name: ci.Name})
		tx.setParty(s.Caller, PartyAnswered, "")
		if ae = t.parkAt(tx, pt, tg.ext, tg.orbit); ae != nil {
			t.hangUp(tx, s, nil, "")
			return
		}
		ref = CallRef{TelephonySessionID: s.ID, PartyID: pt.ID, CallerPartyID: s.Caller.ID, LegID: pt.leg.ID, Orbit: pt.ParkData}
		if tg.ext != nil {
			ref.Orbit = tg.ext.Number
		}
		t.notify(tx, controlEvent{kind: ctlAdopt, sess: s, party: pt})
	})
	if ae != nil {
		return CallRef{}, fmt.Errorf("%s", ae.Message)
	}
	return ref, nil
}

func (e *Emulator) parkTarget(orbit string) (transferTarget, bool) {
	if validOrbit(orbit) {
		return transferTarget{kind: toPark, orbit: orbit}, true
	}
	id, err := strconv.ParseInt(orbit, 10, 64)
	if ext, ok := e.p.dir.ByID[id]; err == nil && ok && ext.Type == TypeParkLocation {
		return transferTarget{kind: toPark, ext: ext}, true
	}
	return transferTarget{}, false
}

// registerTelephonyControl adds the telephony control endpoints.
func (e *Emulator) registerTelephonyControl() {
	routes := map[string]controlHandler{
		"GET /_emulator/telephony": func(*http.Request, []byte) (int, any, error) {
			return http.StatusOK, e.Telephony(), nil
		},
		"GET /_emulator/queues/backlog": func(*http.Request, []byte) (int, any, error) {
			return http.StatusOK, e.Backlog(), nil
		},
		"POST /_emulator/queues/{id}/calls": func(r *http.Request, body []byte) (int, any, error) {
			var ci CallerInfo
			if err := decodeStrict(body, &ci); err != nil {
				return 0, nil, err
			}
			id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
			if qe, ok := e.p.dir.ByID[id]; !ok || qe.Queue == nil {
				return 0, nil, notFound("no call queue %q", r.PathValue("id"))
			}
			ref, err := e.QueueCall(id, ci)
			if err != nil {
				return 0, nil, badRequest("%v", err)
			}
			return http.StatusCreated, ref, nil
		},
		"POST /_emulator/extensions/{id}/ring": func(r *http.Request, body []byte) (int, any, error) {
			var req struct {
				CallerInfo
				RingOptions
			}
			if err := decodeStrict(body, &req); err != nil {
				return 0, nil, err
			}
			ext, err := e.controlExtension(r)
			if err != nil {
				return 0, nil, err
			}
			ref, err := e.RingingCall(ext.ID, req.CallerInfo, req.RingOptions)
			if err != nil {
				return 0, nil, badRequest("%v", err)
			}
			return http.StatusCreated, ref, nil
		},
		"POST /_emulator/telephony/parked": func(r *http.Request, body []byte) (int, any, error) {
			req := struct {
				CallerInfo
				Orbit    string `json:"orbit"`
				ParkedBy string `json:"parkedBy"`
			}{}
			if err := decodeStrict(body, &req); err != nil {
				return 0, nil, err
			}
			by := e.p.dir.Receptionist.ID
			if req.ParkedBy != "" {
				n, err := strconv.ParseInt(req.ParkedBy, 10, 64)
				if err != nil {
					return 0, nil, badRequest("parkedBy must be a user's extension id")
				}
				by = n
			}
			ref, err := e.ParkedCall(req.Orbit, req.CallerInfo, by)
			if err != nil {
				return 0, nil, badRequest("%v", err)
			}
			return http.StatusCreated, ref, nil
		},
		"GET /_emulator/telephony/faults": func(*http.Request, []byte) (int, any, error) {
			return http.StatusOK, map[string]any{"rules": e.CallControlFaults()}, nil
		},
		"PUT /_emulator/telephony/faults": func(_ *http.Request, body []byte) (int, any, error) {
			var req struct {
				Rules []CallControlFault `json:"rules"`
			}
			if err := decodeStrict(body, &req); err != nil {
				return 0, nil, err
			}
			if err := e.SetCallControlFaults(req.Rules); err != nil {
				return 0, nil, badRequest("%v", err)
			}
			return http.StatusOK, map[string]any{"rules": e.CallControlFaults()}, nil
		},
	}
	for pattern, h := range routes {
		e.mux.HandleFunc(pattern, serveControl(h))
	}
}
