package rc

import (
	"bytes"
	"encoding/json"
	"errors"
)

// Frame types of the WebSocket gateway (rc-api.md §2.4).
const (
	frameClientRequest      = "ClientRequest"
	frameServerNotification = "ServerNotification"
	frameConnectionDetails  = "ConnectionDetails"
	frameHeartbeat          = "Heartbeat"
	frameError              = "Error"
)

// frameHeader is element 0 of every gateway frame.
type frameHeader struct {
	Type      string `json:"type"`
	MessageID string `json:"messageId"`
	Status    int    `json:"status"`
	// Headers are decoded for every frame but a ServerNotification's:
	// only ClientRequest answers are read for them (the rate-limit
	// governor), and a map per notification was 6% of the HUD's bytes.
	Headers map[string]string `json:"headers"`
	WSC     *wsc              `json:"wsc"`
	Method  string            `json:"method,omitempty"`
	Path    string            `json:"path,omitempty"`
}

// wsc is the session-recovery context (rc-api.md §2.7).
type wsc struct {
	Token    string `json:"token"`
	Sequence int64  `json:"sequence"`
}

// frame is a decoded gateway frame: its header, and either its raw body
// or, for a ServerNotification, the notification decoded from it.
type frame struct {
	header frameHeader
	// body is element 1 of frames other than ServerNotification (nil when
	// absent or null). It shares the bytes given to decodeFrame.
	body json.RawMessage
	// note is a ServerNotification's envelope and typed body, decoded in
	// the same pass as the frame; nil when element 1 is JSON but no
	// notification (the frame still counts for its wsc).
	note *Notification
}

var errBadFrame = errors.New("malformed gateway frame")

// decodeFrame parses [header] or [header, body], reading each byte of a
// notification once into its final type. It never panics and rejects
// anything that is not such a JSON array, so one bad frame costs only itself.
//
// The hot frames go the hand-written way (fastframe.go), which returns
// exactly what decodeFrameRef would or declines; the rest, and every
// frame it declines, go the encoding/json way.
func decodeFrame(data []byte) (frame, error) {
	if f, ok := fastDecodeFrame(data); ok {
		return f, nil
	}
	return decodeFrameRef(data)
}

// decodeFrameRef is decodeFrame with encoding/json: the reference the fast
// path is tested against, and the decoder of what it declines.
func decodeFrameRef(data []byte) (frame, error) {
	head, body, ok := splitFrame(data)
	if !ok {
		return frame{}, errBadFrame
	}
	var f frame
	if err := json.Unmarshal(head, &f.header); err != nil || f.header.Type == "" {
		return frame{}, errBadFrame
	}
	if f.header.Type == frameServerNotification {
		f.header.Headers = nil // as fastDecodeFrame leaves them
	}
	if body == nil || bytes.Equal(body, []byte("null")) {
		return f, nil
	}
	if f.header.Type == frameServerNotification {
		n, err := parseNotification(body)
		if errors.Is(err, errBadFrame) {
			return frame{}, errBadFrame
		}
		f.note = n
		return f, nil
	}
	if !json.Valid(body) {
		return frame{}, errBadFrame
	}
	f.body = body
	return f, nil
}

// splitFrame finds the two elements of `[header]` or `[header, body]`
// without decoding them: the header must be an object, the body is what
// lies between its comma and the closing bracket. Whether each part is
// valid JSON is left to its decoder, so a frame is accepted only when
// both are, which makes the whole array valid JSON.
func splitFrame(data []byte) (head, body []byte, ok bool) {
	i := skipSpace(data, 0)
	if i == len(data) || data[i] != '[' {
		return nil, nil, false
	}
	i = skipSpace(data, i+1)
	end := objectEnd(data, i)
	if end < 0 {
		return nil, nil, false
	}
	head = data[i:end]
	i = skipSpace(data, end)
	if i == len(data) {
		return nil, nil, false
	}
	last := len(data)
	for last > i && isSpace(data[last-1]) {
		last--
	}
	switch {
	case data[i] == ']':
		return head, nil, last == i+1
	case data[i] != ',' || data[last-1] != ']':
		return nil, nil, false
	}
	body = bytes.TrimLeft(data[i+1:last-1], " \t\r\n")
	body = bytes.TrimRight(body, " \t\r\n")
	if len(body) == 0 {
		return nil, nil, false
	}
	return head, body, true
}

// objectEnd returns the index just past the object that starts at i, by
// counting brackets outside strings, or -1. It does not validate.
func objectEnd(data []byte, i int) int {
	if i >= len(data) || data[i] != '{' {
		return -1
	}
	depth := 0
	for ; i < len(data); i++ {
		switch data[i] {
		case '"':
			for i++; i < len(data) && data[i] != '"'; i++ {
				if data[i] == '\\' {
					i++
				}
			}
		case '{', '[':
			depth++
		case '}', ']':
			depth--
			if depth == 0 {
				return i + 1
			}
		}
	}
	return -1
}

func isSpace(b byte) bool { return b == ' ' || b == '\t' || b == '\r' || b == '\n' }

func skipSpace(data []byte, i int) int {
	for i < len(data) && isSpace(data[i]) {
		i++
	}
	return i
}

// ConnectionDetails is the body of the gateway's first frame.
type ConnectionDetails struct {
	CreationTime       Time   `json:"creationTime"`
	RecoveryBufferSize int    `json:"recoveryBufferSize"`
	RecoveryTimeout    int    `json:"recoveryTimeout"`
	IdleTimeout        int    `json:"idleTimeout"`
	AbsoluteTimeout    int    `json:"absoluteTimeout"`
	RecoveryState      string `json:"recoveryState"`
	RecoveryErrorCode  string `json:"recoveryErrorCode"`
}

// gatewayError is the body of an Error frame.
type gatewayError struct {
	ErrorCode string `json:"errorCode"`
	Message   string `json:"message"`
}

func (e *gatewayError) Error() string {
	return "gateway error " + e.ErrorCode + ": " + oneLine(e.Message, 120)
}
