package rc

import (
	"bytes"
	"encoding/json"
	"errors"
	"regexp"
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
	Type      string            `json:"type"`
	MessageID string            `json:"messageId"`
	Status    int               `json:"status"`
	Headers   map[string]string `json:"headers"`
	WSC       *wsc              `json:"wsc"`
	Method    string            `json:"method,omitempty"`
	Path      string            `json:"path,omitempty"`
}

// wsc is the session-recovery context (rc-api.md §2.7).
type wsc struct {
	Token    string `json:"token"`
	Sequence int64  `json:"sequence"`
}

// frame is a decoded gateway frame: its header and raw body.
type frame struct {
	header frameHeader
	body   json.RawMessage
}

var errBadFrame = errors.New("malformed gateway frame")

// decodeFrame parses [header] or [header, body]. It never panics and
// rejects anything else, so one bad frame costs only itself.
func decodeFrame(data []byte) (frame, error) {
	var parts []json.RawMessage
	if err := json.Unmarshal(data, &parts); err != nil || len(parts) == 0 || len(parts) > 2 {
		return frame{}, errBadFrame
	}
	var f frame
	if err := json.Unmarshal(parts[0], &f.header); err != nil || f.header.Type == "" {
		return frame{}, errBadFrame
	}
	if len(parts) == 2 && !bytes.Equal(bytes.TrimSpace(parts[1]), []byte("null")) {
		f.body = parts[1]
	}
	return f, nil
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

// Notification is one event delivered on the subscription (rc-api.md §3.1).
type Notification struct {
	UUID           string          `json:"uuid"`
	Event          string          `json:"event"`
	Timestamp      Time            `json:"timestamp"`
	SubscriptionID string          `json:"subscriptionId"`
	OwnerID        ID              `json:"ownerId"`
	Body           json.RawMessage `json:"body"`
}

// NotificationKind classifies a notification by its event path.
type NotificationKind int

// Kinds of notification the console uses.
const (
	KindOther NotificationKind = iota
	KindPresence
	KindQueuePresence
)

var (
	queuePresencePath = regexp.MustCompile(`/call-queues/([^/?]+)/presence(\?|$)`)
	presencePath      = regexp.MustCompile(`/presence(\?|$)`)
)

// Kind matches the event path loosely, as RingCentral's own presence
// module does (rc-api.md §3.5: account-level events may name the extension).
func (n *Notification) Kind() NotificationKind {
	switch {
	case queuePresencePath.MatchString(n.Event):
		return KindQueuePresence
	case presencePath.MatchString(n.Event):
		return KindPresence
	}
	return KindOther
}

// Presence decodes a presence notification's body.
func (n *Notification) Presence() (Presence, error) {
	var p Presence
	err := json.Unmarshal(n.Body, &p)
	return p, err
}

// QueueMemberChange is one member's new availability in a queue.
type QueueMemberChange struct {
	QueueID     ID
	ExtensionID ID
	Accept      bool
}

// QueuePresence decodes a call-queue presence notification in either of
// the two shapes seen (rc-api.md §3.4): the DOCS records[] of member and
// acceptCurrentQueueCalls (queue id from the event path), or the SPEC
// {extensionId, callQueueId, acceptCalls}.
func (n *Notification) QueuePresence() ([]QueueMemberChange, error) {
	var queue ID
	if m := queuePresencePath.FindStringSubmatch(n.Event); m != nil {
		queue = ID(m[1])
	}
	var body struct {
		Records []struct {
			Member struct {
				ID ID `json:"id"`
			} `json:"member"`
			AcceptCurrentQueueCalls *bool `json:"acceptCurrentQueueCalls"`
		} `json:"records"`
		ExtensionID ID    `json:"extensionId"`
		CallQueueID ID    `json:"callQueueId"`
		AcceptCalls *bool `json:"acceptCalls"`
	}
	if err := json.Unmarshal(n.Body, &body); err != nil {
		return nil, err
	}
	if body.CallQueueID != "" {
		queue = body.CallQueueID
	}
	var out []QueueMemberChange
	for _, r := range body.Records {
		if r.Member.ID != "" && r.AcceptCurrentQueueCalls != nil {
			out = append(out, QueueMemberChange{QueueID: queue, ExtensionID: r.Member.ID, Accept: *r.AcceptCurrentQueueCalls})
		}
	}
	if body.ExtensionID != "" && body.AcceptCalls != nil {
		out = append(out, QueueMemberChange{QueueID: queue, ExtensionID: body.ExtensionID, Accept: *body.AcceptCalls})
	}
	if queue == "" && len(out) > 0 {
		return nil, errors.New("queue presence event names no queue")
	}
	return out, nil
}
