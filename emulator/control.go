package emulator

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// The control API under /_emulator/ is not part of RingCentral: tests and
// the demo use it to read the ground truth and to steer the platform. It
// needs no bearer token (the server listens on loopback only), is never
// rate limited or faulted, and answers errors as {"error": "..."}.
//
//	GET  /_emulator/truth                                every extension's presence and every queue
//	GET  /_emulator/stats                                counters
//	GET  /_emulator/requests                             REST and OAuth requests received
//	GET  /_emulator/faults, PUT /_emulator/faults        faults in force (PUT replaces them)
//	POST /_emulator/pause, /resume, /drop                simulated traffic; drop every WebSocket
//	PUT  /_emulator/extensions/{id}/presence             PresenceUpdate JSON
//	PUT  /_emulator/extensions/{id}/name                 {"name": "..."}
//	POST /_emulator/extensions                           add a User (NewUser JSON), returns its id
//	DELETE /_emulator/extensions/{id}[?disable=true]     the User leaves (deleted, or disabled)
//	GET, PUT /_emulator/extensions/{id}/favorites        {"extensionIds": [...]}
//	GET, PUT /_emulator/extensions/{id}/lines            {"extensionIds": [...]} (monitored lines)
//	POST /_emulator/extensions/{id}/calls                start a call leg, returns its id
//	PUT  /_emulator/extensions/{id}/calls/{legId}        {"status": "CallConnected"|"OnHold"|...}
//	DELETE /_emulator/extensions/{id}/calls/{legId}      end the call leg
//	GET, DELETE /_emulator/sessions[/{id}], /_emulator/subscriptions[/{id}],
//	GET, PUT /_emulator/permissions                      see control_sessions.go
//
// The telephony endpoints (sessions, queue backlogs, parked calls, ringing
// and waiting calls, call-control faults) are in telephony_control.go.

// controlError is a control API failure.
type controlError struct {
	status int
	msg    string
}

func (c *controlError) Error() string { return c.msg }

func badRequest(format string, args ...any) error {
	return &controlError{http.StatusBadRequest, fmt.Sprintf(format, args...)}
}

func notFound(format string, args ...any) error {
	return &controlError{http.StatusNotFound, fmt.Sprintf(format, args...)}
}

// controlHandler returns the status and JSON value of a reply (nil: no body).
type controlHandler func(r *http.Request, body []byte) (int, any, error)

// registerControl adds the /_emulator/ control API.
func (e *Emulator) registerControl() {
	routes := map[string]controlHandler{
		"GET /_emulator/truth":    func(*http.Request, []byte) (int, any, error) { return http.StatusOK, e.Truth(), nil },
		"GET /_emulator/stats":    func(*http.Request, []byte) (int, any, error) { return http.StatusOK, e.Stats(), nil },
		"GET /_emulator/requests": func(*http.Request, []byte) (int, any, error) { return http.StatusOK, e.Requests(), nil },
		"GET /_emulator/faults": func(*http.Request, []byte) (int, any, error) {
			return http.StatusOK, faultsToJSON(e.Faults()), nil
		},
		"PUT /_emulator/faults":  e.putFaults,
		"POST /_emulator/pause":  e.action(e.Pause),
		"POST /_emulator/resume": e.action(e.Resume),
		"POST /_emulator/drop":   e.action(e.DropConnections),

		"PUT /_emulator/extensions/{id}/presence":         e.putPresence,
		"PUT /_emulator/extensions/{id}/name":             e.putName,
		"POST /_emulator/extensions":                      e.addExtension,
		"DELETE /_emulator/extensions/{id}":               e.removeExtension,
		"GET /_emulator/extensions/{id}/favorites":        e.getWatchList(favoritesList),
		"PUT /_emulator/extensions/{id}/favorites":        e.putWatchList(favoritesList),
		"GET /_emulator/extensions/{id}/lines":            e.getWatchList(linesList),
		"PUT /_emulator/extensions/{id}/lines":            e.putWatchList(linesList),
		"POST /_emulator/extensions/{id}/calls":           e.startCall,
		"PUT /_emulator/extensions/{id}/calls/{legId}":    e.changeCall,
		"DELETE /_emulator/extensions/{id}/calls/{legId}": e.endCall,
		"/_emulator/": e.unknownControl,
	}
	for pattern, h := range e.authControlRoutes() {
		routes[pattern] = h
	}
	for pattern, h := range routes {
		e.mux.HandleFunc(pattern, serveControl(h))
	}
	e.registerTelephonyControl()
}

func serveControl(h controlHandler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxRequestBody))
		if err != nil {
			writeControlError(w, badRequest("request body: %v", err))
			return
		}
		status, v, err := h(r, body)
		if err != nil {
			writeControlError(w, err)
			return
		}
		if v == nil {
			w.WriteHeader(status)
			return
		}
		writeJSON(w, status, v)
	}
}

func writeControlError(w http.ResponseWriter, err error) {
	status := http.StatusInternalServerError
	var ce *controlError
	if errors.As(err, &ce) {
		status = ce.status
	}
	writeJSON(w, status, map[string]string{"error": err.Error()})
}

func (e *Emulator) unknownControl(r *http.Request, _ []byte) (int, any, error) {
	if allow := e.allowedMethods(r); len(allow) > 0 {
		return 0, nil, &controlError{http.StatusMethodNotAllowed, fmt.Sprintf("%q not allowed; use %s", r.Method, strings.Join(allow, ", "))}
	}
	return 0, nil, notFound("no control endpoint %q", r.URL.Path)
}

// action is a control endpoint that runs fn and answers 204.
func (e *Emulator) action(fn func()) controlHandler {
	return func(*http.Request, []byte) (int, any, error) {
		fn()
		return http.StatusNoContent, nil, nil
	}
}

// decodeStrict parses a control request body, refusing unknown fields so
// that a typo in a test is an error rather than a silent no-op.
func decodeStrict(body []byte, v any) error {
	dec := json.NewDecoder(strings.NewReader(string(body)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return badRequest("request body: %v", err)
	}
	if dec.More() {
		return badRequest("request body: more than one JSON value")
	}
	return nil
}

// faultsJSON is Faults with its durations as milliseconds.
type faultsJSON struct {
	Faults
	DropIntervalMs    int64 `json:"dropIntervalMs"`
	DropJitterMs      int64 `json:"dropJitterMs"`
	LatencyMs         int64 `json:"latencyMs"`
	ReorderMaxDelayMs int64 `json:"reorderMaxDelayMs"`
}

func faultsToJSON(f Faults) faultsJSON {
	if f.Rules == nil {
		f.Rules = []FaultRule{}
	}
	if f.OAuthRules == nil {
		f.OAuthRules = []OAuthFaultRule{}
	}
	return faultsJSON{
		Faults:            f,
		DropIntervalMs:    f.DropInterval.Milliseconds(),
		DropJitterMs:      f.DropJitter.Milliseconds(),
		LatencyMs:         f.Latency.Milliseconds(),
		ReorderMaxDelayMs: f.ReorderMaxDelay.Milliseconds(),
	}
}

// faults checks the values and converts them back.
func (j faultsJSON) faults() (Faults, error) {
	f := j.Faults
	for name, ms := range map[string]int64{"dropIntervalMs": j.DropIntervalMs, "dropJitterMs": j.DropJitterMs,
		"latencyMs": j.LatencyMs, "reorderMaxDelayMs": j.ReorderMaxDelayMs} {
		if ms < 0 {
			return f, badRequest("%s must not be negative", name)
		}
	}
	for name, rate := range map[string]float64{"rest429Rate": f.REST429Rate, "rest5xxRate": f.REST5xxRate,
		"reorderRate": f.ReorderRate, "duplicateRate": f.DuplicateRate} {
		if rate < 0 || rate > 1 {
			return f, badRequest("%s must be between 0 and 1", name)
		}
	}
	for i, r := range f.Rules {
		if (!r.Hang && (r.Status < 100 || r.Status > 599)) || r.Count < 0 || r.RetryAfter < 0 {
			return f, badRequest("rules[%d]: status must be an HTTP status (unless hang), count and retryAfter not negative", i)
		}
	}
	if err := validateOAuthRules(f.OAuthRules); err != nil {
		return f, badRequest("%v", err)
	}
	ms := func(n int64) time.Duration { return time.Duration(n) * time.Millisecond }
	f.DropInterval, f.DropJitter = ms(j.DropIntervalMs), ms(j.DropJitterMs)
	f.Latency, f.ReorderMaxDelay = ms(j.LatencyMs), ms(j.ReorderMaxDelayMs)
	return f, nil
}

func (e *Emulator) putFaults(_ *http.Request, body []byte) (int, any, error) {
	var j faultsJSON
	if err := decodeStrict(body, &j); err != nil {
		return 0, nil, err
	}
	f, err := j.faults()
	if err != nil {
		return 0, nil, err
	}
	e.SetFaults(f)
	return http.StatusOK, faultsToJSON(e.Faults()), nil
}

// controlExtension resolves {id} to an extension.
func (e *Emulator) controlExtension(r *http.Request) (*Extension, error) {
	e.p.mu.Lock()
	defer e.p.mu.Unlock()
	return e.controlExtensionLocked(r)
}

// controlExtensionLocked is controlExtension with Platform.mu held.
func (e *Emulator) controlExtensionLocked(r *http.Request) (*Extension, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return nil, notFound("no extension %q", r.PathValue("id"))
	}
	ext, ok := e.p.dir.ByID[id]
	if !ok {
		return nil, notFound("no extension %d", id)
	}
	return ext, nil
}

// putPresence applies a PresenceUpdate with the value checks of a PUT but
// none of the rules on who may change whom, and answers the new presence.
func (e *Emulator) putPresence(r *http.Request, body []byte) (int, any, error) {
	ext, err := e.controlExtension(r)
	if err != nil {
		return 0, nil, err
	}
	var u PresenceUpdate
	if err := decodeStrict(body, &u); err != nil {
		return 0, nil, err
	}
	if !e.cfg.CHS && (u.DNDStatusPersonal != nil || u.AcceptCallQueueCalls != nil) {
		return 0, nil, badRequest("dndStatusPersonal and acceptCallQueueCalls apply only to a CHS account (--chs)")
	}
	if err := e.SetPresence(ext.ID, u); err != nil {
		return 0, nil, badRequest("%v", err)
	}
	p := e.p
	p.mu.Lock()
	defer p.mu.Unlock()
	return http.StatusOK, presenceResource(p.base, p.dir, ext, snapshotOf(&ext.Presence), detailCalls), nil
}

// putName renames an extension (names are untrusted text on the client's
// screen; tests use this to inject escapes).
func (e *Emulator) putName(r *http.Request, body []byte) (int, any, error) {
	ext, err := e.controlExtension(r)
	if err != nil {
		return 0, nil, err
	}
	var req struct {
		Name *string `json:"name"`
	}
	if err := decodeStrict(body, &req); err != nil {
		return 0, nil, err
	}
	if req.Name == nil {
		return 0, nil, badRequest("name is required")
	}
	if err := e.RenameExtension(ext.ID, *req.Name); err != nil {
		return 0, nil, controlDirError(err)
	}
	return http.StatusOK, map[string]string{"id": ext.IDString(), "name": *req.Name}, nil
}

// callRequest starts a call leg on an extension.
type callRequest struct {
	Direction string `json:"direction"`
	From      string `json:"from"`
	FromName  string `json:"fromName"`
	To        string `json:"to"`
	ToName    string `json:"toName"`
	Status    string `json:"status"`
	QueueCall bool   `json:"queueCall"`
	QueueID   string `json:"queueId"`
}

var legStatuses = []string{TelRinging, TelConnected, TelOnHold, TelParked}

func (e *Emulator) startCall(r *http.Request, body []byte) (int, any, error) {
	ext, err := e.controlExtension(r)
	if err != nil {
		return 0, nil, err
	}
	req := callRequest{Direction: "Inbound", Status: TelRinging}
	if err := decodeStrict(body, &req); err != nil {
		return 0, nil, err
	}
	if !ext.HasPresence() {
		return 0, nil, badRequest("extension %d is a %s: only User extensions take calls", ext.ID, ext.Type)
	}
	if !oneOf(req.Direction, "Inbound", "Outbound") {
		return 0, nil, badRequest("direction must be Inbound or Outbound")
	}
	if !oneOf(req.Status, legStatuses...) {
		return 0, nil, badRequest("status must be one of %s", strings.Join(legStatuses, ", "))
	}
	var queue *Queue
	if req.QueueID != "" {
		id, _ := strconv.ParseInt(req.QueueID, 10, 64)
		e.p.mu.Lock()
		qe, ok := e.p.dir.ByID[id]
		e.p.mu.Unlock()
		if !ok || qe.Queue == nil {
			return 0, nil, badRequest("no call queue %q", req.QueueID)
		}
		queue = qe.Queue
	}
	var leg *Leg
	gone := false
	e.p.Mutate(func(tx *Tx) {
		if gone = !e.p.live(ext); gone {
			return // left the account since the lookup
		}
		leg = e.p.NewLeg("", req.Direction)
		leg.From, leg.FromName, leg.To, leg.ToName = req.From, req.FromName, req.To, req.ToName
		if leg.To == "" && req.Direction == "Inbound" {
			leg.To, leg.ToName = ext.Number, ext.Name
		}
		if leg.From == "" && req.Direction == "Outbound" {
			leg.From, leg.FromName = ext.Number, ext.Name
		}
		leg.Status = req.Status
		leg.QueueCall = req.QueueCall || queue != nil
		leg.Queue = queue
		tx.AddLeg(ext, leg)
	})
	if gone {
		return 0, nil, badRequest("extension %d has left the account or is disabled", ext.ID)
	}
	return http.StatusCreated, map[string]string{
		"id": leg.ID, "sessionId": leg.SessionID, "telephonySessionId": leg.TelephonySessionID, "partyId": leg.PartyID,
	}, nil
}

// withLeg runs fn in a transaction on the extension's leg {legId}.
func (e *Emulator) withLeg(r *http.Request, fn func(tx *Tx, ext *Extension, leg *Leg)) error {
	ext, err := e.controlExtension(r)
	if err != nil {
		return err
	}
	legID := r.PathValue("legId")
	found := false
	e.p.Mutate(func(tx *Tx) {
		for _, l := range ext.Presence.Legs {
			if l.ID == legID {
				found = true
				fn(tx, ext, l)
				return
			}
		}
	})
	if !found {
		return notFound("extension %d has no call %q", ext.ID, legID)
	}
	return nil
}

func (e *Emulator) changeCall(r *http.Request, body []byte) (int, any, error) {
	var req struct {
		Status string `json:"status"`
	}
	if err := decodeStrict(body, &req); err != nil {
		return 0, nil, err
	}
	if !oneOf(req.Status, legStatuses...) {
		return 0, nil, badRequest("status must be one of %s", strings.Join(legStatuses, ", "))
	}
	err := e.withLeg(r, func(tx *Tx, ext *Extension, leg *Leg) { tx.SetLegStatus(ext, leg, req.Status) })
	return http.StatusNoContent, nil, err
}

func (e *Emulator) endCall(r *http.Request, _ []byte) (int, any, error) {
	err := e.withLeg(r, func(tx *Tx, ext *Extension, leg *Leg) { tx.EndLeg(ext, leg) })
	return http.StatusNoContent, nil, err
}
