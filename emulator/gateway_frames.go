package emulator

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"math/rand/v2"
	"strconv"
	"time"
)

// Frame types (rc-api.md §2.4). Responses to a ClientRequest keep its type.
const (
	typeClientRequest     = "ClientRequest"
	typeNotification      = "ServerNotification"
	typeConnectionDetails = "ConnectionDetails"
	typeHeartbeat         = "Heartbeat"
	typeError             = "Error"
)

// Error codes the gateway sends. WSG-422 is ours: rc-api.md knows no code
// for a frame the gateway cannot parse (§8.4).
const (
	codeMalformedWSC     = "WSG-400"
	codeMalformedFrame   = "WSG-422"
	codeIdleTimeout      = "WSG-902"
	codeAbsoluteTimeout  = "WSG-903"
	codeOtherOAuth       = "WSG-1003"
	codeSessionNotFound  = "WSG-1005"
	codeWSTokenNotFound  = "OAU-213"
	msgMalformedWSC      = "Malformed WebSocket session context token"
	msgIdleTimeout       = "Idle timeout expired"
	msgAbsoluteTimeout   = "Absolute timeout expired"
	msgWSTokenNotFound   = "Token not found"
	recoverySuccessful   = "Successful"
	recoveryFailed       = "Failed"
	maxClientFrameLength = 4 << 20
)

// wscJSON is the session-recovery context carried by ConnectionDetails and
// every ServerNotification.
type wscJSON struct {
	Token    string `json:"token"`
	Sequence uint64 `json:"sequence"`
}

// frameHeader is element 0 of every server frame. MessageID is raw JSON so
// that a client's messageId is echoed exactly as it was sent.
type frameHeader struct {
	Type      string            `json:"type"`
	MessageID json.RawMessage   `json:"messageId,omitempty"`
	Status    int               `json:"status,omitempty"`
	Headers   map[string]string `json:"headers,omitempty"`
	WSC       *wscJSON          `json:"wsc,omitempty"`
}

// encodeFrame renders [header] or [header,body] as compact JSON; body must
// already be compact JSON.
func encodeFrame(h frameHeader, body []byte) []byte {
	hb, err := json.Marshal(h)
	if err != nil {
		// Only an echoed messageId can fail to marshal; answer without it.
		h.MessageID = nil
		hb, _ = json.Marshal(h)
	}
	out := make([]byte, 0, len(hb)+len(body)+3)
	out = append(out, '[')
	out = append(out, hb...)
	if body != nil {
		out = append(out, ',')
		out = append(out, body...)
	}
	return append(out, ']')
}

// jsonString is s as a JSON string value.
func jsonString(s string) json.RawMessage {
	b, _ := json.Marshal(s)
	return b
}

// newRequestID makes an RCRequestId in UUID form. It draws from the
// unseeded global generator so that the platform's seeded ids stay
// reproducible.
func newRequestID() string {
	var raw [16]byte
	binary.BigEndian.PutUint64(raw[:8], rand.Uint64())
	binary.BigEndian.PutUint64(raw[8:], rand.Uint64())
	var out [36]byte
	hex.Encode(out[0:8], raw[0:4])
	hex.Encode(out[9:13], raw[4:6])
	hex.Encode(out[14:18], raw[6:8])
	hex.Encode(out[19:23], raw[8:10])
	hex.Encode(out[24:36], raw[10:16])
	out[8], out[13], out[18], out[23] = '-', '-', '-', '-'
	return string(out[:])
}

// notificationFrame is encodeFrame for a ServerNotification, written by
// hand because it runs under Platform.mu for every notification.
func notificationFrame(uuid, token string, seq uint64, envelope []byte) []byte {
	if !plainJSONString(uuid) {
		return encodeFrame(frameHeader{
			Type: typeNotification, MessageID: jsonString(uuid), Status: 200,
			Headers: map[string]string{"Content-Type": "application/json", "RCRequestId": newRequestID()},
			WSC:     &wscJSON{Token: token, Sequence: seq},
		}, envelope)
	}
	b := make([]byte, 0, len(envelope)+len(uuid)+len(token)+200)
	b = append(b, `[{"type":"ServerNotification","messageId":"`...)
	b = append(b, uuid...)
	b = append(b, `","status":200,"headers":{"Content-Type":"application/json","RCRequestId":"`...)
	b = append(b, newRequestID()...)
	b = append(b, `"},"wsc":{"token":"`...) // the token is base64url: nothing to escape
	b = append(b, token...)
	b = append(b, `","sequence":`...)
	b = strconv.AppendUint(b, seq, 10)
	b = append(b, "}},"...)
	b = append(b, envelope...)
	return append(b, ']')
}

// plainJSONString reports whether s can go between JSON quotes as is.
func plainJSONString(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			return false
		}
	}
	return true
}

// errorFrame is an Error frame. msgID echoes the client frame it answers;
// nil gives the frame a fresh id.
func errorFrame(msgID json.RawMessage, code, message string) []byte {
	if msgID == nil {
		msgID = jsonString(newRequestID())
	}
	body, _ := json.Marshal(struct {
		ErrorCode string `json:"errorCode"`
		Message   string `json:"message"`
	}{code, message})
	return encodeFrame(frameHeader{Type: typeError, MessageID: msgID}, body)
}

// connectionDetails is the ConnectionDetails body (rc-api.md §2.5).
type connectionDetails struct {
	CreationTime             string `json:"creationTime"`
	MaxConnectionsPerSession int    `json:"maxConnectionsPerSession"`
	RecoveryBufferSize       int    `json:"recoveryBufferSize"`
	RecoveryTimeout          int    `json:"recoveryTimeout"`
	IdleTimeout              int    `json:"idleTimeout"`
	AbsoluteTimeout          int    `json:"absoluteTimeout"`
	MaxActiveRequests        int    `json:"maxActiveRequests"`
	RecoveryState            string `json:"recoveryState,omitempty"`
	RecoveryErrorCode        string `json:"recoveryErrorCode,omitempty"`
}

// rcOffsetTime is the "+0000" timestamp form of the ConnectionDetails sample.
func rcOffsetTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000-0700") }

// clientHeader is element 0 of a client frame.
type clientHeader struct {
	Type      string          `json:"type"`
	MessageID json.RawMessage `json:"messageId"`
	Method    string          `json:"method"`
	Path      string          `json:"path"`
}

// clientFrame is a parsed client frame; Body is nil when absent, null or ""
// (NET sends "" with a DELETE, PY a one-element array).
type clientFrame struct {
	Header clientHeader
	Body   json.RawMessage
}

// parseClientFrame reads an untrusted client frame. On failure it returns
// a short fixed reason (never the client's bytes) and whatever messageId it
// could recover, so the Error frame can echo it.
func parseClientFrame(data []byte) (clientFrame, string) {
	var fr clientFrame
	var parts []json.RawMessage
	if err := json.Unmarshal(data, &parts); err != nil {
		return fr, "not a JSON array"
	}
	if len(parts) == 0 || len(parts) > 2 {
		return fr, "expected [header] or [header, body]"
	}
	if h := bytes.TrimSpace(parts[0]); len(h) == 0 || h[0] != '{' {
		return fr, "header is not an object"
	}
	if err := json.Unmarshal(parts[0], &fr.Header); err != nil {
		var id struct {
			MessageID json.RawMessage `json:"messageId"`
		}
		_ = json.Unmarshal(parts[0], &id)
		fr.Header = clientHeader{MessageID: id.MessageID}
		return fr, "header fields have the wrong types"
	}
	if len(parts) == 2 {
		b := bytes.TrimSpace(parts[1])
		if !bytes.Equal(b, []byte("null")) && !bytes.Equal(b, []byte(`""`)) {
			fr.Body = b
		}
	}
	return fr, ""
}
