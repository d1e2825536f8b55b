package emulator

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"time"
)

// RequestRecord is one request as the emulator received and answered it:
// REST and OAuth over HTTP, ClientRequests over a WebSocket, and WebSocket
// upgrades. It never holds a token or a query string.
type RequestRecord struct {
	Time   time.Time `json:"time"` // when it arrived
	Method string    `json:"method"`
	Path   string    `json:"path"`
	Group  Group     `json:"group"` // the rate-limit group it counts in; "" for none
	User   string    `json:"user,omitempty"`
	// Via is how it came: "http", "ws" (a ClientRequest over a WebSocket)
	// or "ws-upgrade" (GET /ws).
	Via string `json:"via"`
	// Status is the HTTP status of the answer (101 for an upgrade). It is
	// 0 while the request is unanswered, and stays 0 for a request the
	// emulator never answers (a "hang" fault, an unresponsive server).
	Status int `json:"status"`
	// ErrorCode is a failed answer's RingCentral code (errors[0].errorCode,
	// or the OAuth error), or the code of the Error frame that refused an
	// upgrade.
	ErrorCode string `json:"errorCode,omitempty"`
	// CloseCode is the WebSocket close code of an upgrade refused after
	// the handshake: 4400 (no token, malformed wsc) or 4401 (bad token).
	CloseCode int `json:"closeCode,omitempty"`
	// Grant is a token request's grant type: "jwt", "refresh_token" or "other".
	Grant string `json:"grant,omitempty"`
	// Session is the OAuth session the request used, started or ended,
	// when known.
	Session string `json:"session,omitempty"`
}

// Values of RequestRecord.Via.
const (
	viaHTTP      = "http"
	viaWS        = "ws"
	viaWSUpgrade = "ws-upgrade"
)

// Values of RequestRecord.Grant.
const (
	grantNameJWT     = "jwt"
	grantNameRefresh = "refresh_token"
	grantNameOther   = "other"
)

const maxRequestLog = 100000

// startRecord logs a request as it arrives; its outcome is filled in later
// (finishRecord), so the log stays in arrival order.
func (e *Emulator) startRecord(rec RequestRecord) *RequestRecord {
	e.reqMu.Lock()
	defer e.reqMu.Unlock()
	if len(e.requests) >= maxRequestLog {
		e.requests = append([]*RequestRecord(nil), e.requests[len(e.requests)-maxRequestLog/2:]...)
	}
	r := &rec
	e.requests = append(e.requests, r)
	return r
}

// finishRecord fills in a logged request's outcome.
func (e *Emulator) finishRecord(r *RequestRecord, fill func(*RequestRecord)) {
	e.reqMu.Lock()
	defer e.reqMu.Unlock()
	fill(r)
}

// Requests returns the requests received so far (the last 100,000),
// oldest first.
func (e *Emulator) Requests() []RequestRecord {
	e.reqMu.Lock()
	defer e.reqMu.Unlock()
	out := make([]RequestRecord, len(e.requests))
	for i, r := range e.requests {
		out[i] = *r
	}
	return out
}

// requestNote is what a handler learns about its request for the log.
type requestNote struct {
	rec                  *RequestRecord
	user, session, grant string
}

type noteKey struct{}

// noteOf is the request's note; a request that is not logged gets a
// throwaway one.
func noteOf(r *http.Request) *requestNote {
	if n, ok := r.Context().Value(noteKey{}).(*requestNote); ok {
		return n
	}
	return &requestNote{}
}

// logged wraps an HTTP handler (REST or OAuth) so that its request and
// outcome are logged, and so that it never answers while the server is
// unresponsive. The outcome is recorded before the handler returns, so a
// client that has read the answer finds it in the log.
func (e *Emulator) logged(g Group, h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		note := &requestNote{rec: e.startRecord(RequestRecord{
			Time: time.Now(), Method: r.Method, Path: r.URL.Path, Group: g, Via: viaHTTP,
		})}
		r = r.WithContext(context.WithValue(r.Context(), noteKey{}, note))
		if e.faults.isUnresponsive() {
			e.hang(r)
		}
		sw := &statusWriter{ResponseWriter: w}
		answered := false
		defer func() {
			e.finishRecord(note.rec, func(x *RequestRecord) {
				x.User, x.Session, x.Grant = note.user, note.session, note.grant
				if answered {
					x.Status = sw.status
					if x.Status == 0 {
						x.Status = http.StatusOK
					}
					if x.Status >= 400 {
						x.ErrorCode = errorCodeOf(sw.errBody)
					}
				}
			})
		}()
		h(sw, r)
		answered = true
	}
}

// statusWriter remembers the status and the start of an error body.
type statusWriter struct {
	http.ResponseWriter
	status  int
	errBody []byte
}

const maxErrBody = 4096

func (s *statusWriter) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusWriter) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	if s.status >= 400 && len(s.errBody) < maxErrBody {
		s.errBody = append(s.errBody, b[:min(len(b), maxErrBody-len(s.errBody))]...)
	}
	return s.ResponseWriter.Write(b)
}

func (s *statusWriter) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// errorCodeOf reads the code of an error body: errors[0].errorCode, the
// top-level errorCode, or the OAuth error.
func errorCodeOf(body []byte) string {
	var b struct {
		Error     string `json:"error"`
		ErrorCode string `json:"errorCode"`
		Errors    []struct {
			ErrorCode string `json:"errorCode"`
		} `json:"errors"`
	}
	if json.Unmarshal(body, &b) != nil {
		return ""
	}
	switch {
	case len(b.Errors) > 0 && b.Errors[0].ErrorCode != "":
		return b.Errors[0].ErrorCode
	case b.ErrorCode != "":
		return b.ErrorCode
	}
	return b.Error
}

// maxLoggedPath bounds a path taken from a client frame.
const maxLoggedPath = 2048

// recordClientRequest logs a ClientRequest served over a WebSocket.
func (e *Emulator) recordClientRequest(s *gwSession, method, path string, g Group, resp wsResponse) {
	rec := RequestRecord{
		Time: time.Now(), Method: truncate(method, 16), Path: truncate(path, maxLoggedPath), Group: g,
		User: s.oauth.ext.IDString(), Via: viaWS, Status: resp.status, Session: s.oauth.id,
	}
	if resp.status >= 400 {
		rec.ErrorCode = errorCodeOf(resp.body)
	}
	e.startRecord(rec)
}

// hang never answers: it returns, by dropping the connection, once the
// client gives up or the emulator closes.
func (e *Emulator) hang(r *http.Request) {
	e.hangMu.Lock()
	if e.stopping {
		e.hangMu.Unlock()
		panic(http.ErrAbortHandler)
	}
	e.hangs.Add(1)
	e.hanging++
	e.hangMu.Unlock()
	defer func() {
		e.hangMu.Lock()
		e.hanging--
		e.hangMu.Unlock()
		e.hangs.Done()
	}()
	if n := noteOf(r); n.rec != nil {
		e.finishRecord(n.rec, func(x *RequestRecord) { x.User, x.Session, x.Grant = n.user, n.session, n.grant })
	}
	// Read the body to its end: only then does net/http watch the
	// connection and cancel the request's context when the client leaves.
	_, _ = io.Copy(io.Discard, io.LimitReader(r.Body, maxRequestBody))
	select {
	case <-r.Context().Done():
	case <-e.stop:
	}
	panic(http.ErrAbortHandler) // close the connection without a word
}
