package rc

import (
	"encoding/json"
	"errors"
	"strings"
)

// Notification is one event delivered on the subscription (rc-api.md
// §3.1). Its envelope and body are decoded together, once, as the frame is
// read; Kind, Presence and QueuePresence hand out what was decoded.
type Notification struct {
	UUID           string `json:"uuid"`
	Event          string `json:"event"`
	Timestamp      Time   `json:"timestamp"`
	SubscriptionID string `json:"subscriptionId"`
	OwnerID        ID     `json:"ownerId"`

	kind       NotificationKind
	classified bool
	queue      ID         // the call queue the event path names, if any
	body       *eventBody // nil when the body is absent, null or undecodable
	bodyErr    error      // why body is nil
}

// eventBody is every notification body the client reads, in one type so
// that a body is decoded straight from the frame without knowing its
// event first. Presence events fill the embedded Presence; a call-queue
// presence event fills Records (the DOCS shape) or CallQueueID and
// AcceptCalls next to Presence.ExtensionID (the SPEC shape; rc-api.md
// §3.4). A telephony session event fills the session fields below and
// shares sequence and extensionId with Presence (same types). Extension-
// list bodies belong here too, when the client reads them; their keys must
// not clash in type with these.
type eventBody struct {
	Presence
	Records     []queueMemberRecord `json:"records"`
	CallQueueID ID                  `json:"callQueueId"`
	AcceptCalls *bool               `json:"acceptCalls"`

	TelephonySessionID string      `json:"telephonySessionId"`
	SessionID          string      `json:"sessionId"`
	ServerID           string      `json:"serverId"`
	EventTime          Time        `json:"eventTime"`
	AccountID          ID          `json:"accountId"`
	Parties            []CallParty `json:"parties"`
	Origin             struct {
		Type string `json:"type"`
	} `json:"origin"`
}

// queueMemberRecord is one records[] entry of a call-queue presence event.
type queueMemberRecord struct {
	Member struct {
		ID ID `json:"id"`
	} `json:"member"`
	AcceptCurrentQueueCalls *bool `json:"acceptCurrentQueueCalls"`
}

var (
	errNotNotification = errors.New("malformed notification")
	errNoBody          = errors.New("notification without a body")
)

// ParseNotification decodes one notification envelope (element 1 of a
// ServerNotification frame) and its body, as the stream does. It fails
// when b is not JSON or not an envelope with a uuid; a body that does not
// fit the types the client reads leaves the envelope usable and makes
// Presence and QueuePresence return the error.
func ParseNotification(b []byte) (*Notification, error) {
	n, err := parseNotification(b)
	if errors.Is(err, errBadFrame) {
		return nil, errors.New("notification is not JSON")
	}
	return n, err
}

// parseNotification is ParseNotification; its error is errBadFrame when b
// is not JSON at all and errNotNotification when it is JSON but no
// envelope.
func parseNotification(b []byte) (*Notification, error) {
	n := &Notification{}
	in := struct {
		*Notification
		Body *eventBody `json:"body"`
	}{Notification: n}
	err := json.Unmarshal(b, &in)
	if err != nil {
		if _, syntax := errors.AsType[*json.SyntaxError](err); syntax {
			return nil, errBadFrame
		}
		// Some value did not fit its type: if it was in the body, the
		// envelope alone still decodes and the notification is kept (it
		// may be of a kind nobody reads the body of).
		n = &Notification{}
		envelope := struct {
			*Notification
			Body json.RawMessage `json:"body"`
		}{Notification: n}
		if json.Unmarshal(b, &envelope) != nil {
			return nil, errNotNotification
		}
		in.Body, n.bodyErr = nil, errors.New("undecodable notification body: "+oneLine(err.Error(), 120))
	}
	if n.UUID == "" {
		return nil, errNotNotification
	}
	n.body = in.Body
	n.classify()
	return n, nil
}

// NotificationKind classifies a notification by its event path.
type NotificationKind int

// Kinds of notification the console uses.
const (
	KindOther NotificationKind = iota
	KindPresence
	KindQueuePresence
	KindTelephonySession
)

// Kind matches the event path loosely, as RingCentral's own presence
// module does (rc-api.md §3.5: account-level events may name the extension).
func (n *Notification) Kind() NotificationKind {
	if !n.classified { // built by hand, not decoded
		kind, _ := kindOf(n.Event)
		return kind
	}
	return n.kind
}

func (n *Notification) classify() {
	n.kind, n.queue = kindOf(n.Event)
	n.classified = true
}

// kindOf finds `/telephony/sessions`, else `/call-queues/{id}/presence`,
// else `/presence`, each followed by a query or the end, anywhere in the
// event path (the loose match of rc-api.md §3.5, without a regexp on every
// notification).
func kindOf(event string) (NotificationKind, ID) {
	const sessions = "/telephony/sessions"
	for i := 0; ; i++ {
		at := strings.Index(event[i:], sessions)
		if at < 0 {
			break
		}
		i += at
		if rest := event[i+len(sessions):]; rest == "" || rest[0] == '?' {
			return KindTelephonySession, ""
		}
	}
	const queues = "/call-queues/"
	for i := 0; ; i++ {
		at := strings.Index(event[i:], queues)
		if at < 0 {
			break
		}
		i += at
		rest := event[i+len(queues):]
		end := strings.IndexAny(rest, "/?")
		if end > 0 && presenceAt(rest, end) {
			return KindQueuePresence, ID(rest[:end])
		}
	}
	for i := 0; ; i++ {
		at := strings.Index(event[i:], "/presence")
		if at < 0 {
			break
		}
		i += at
		if presenceAt(event, i) {
			return KindPresence, ""
		}
	}
	return KindOther, ""
}

// presenceAt reports "/presence" at s[i:], then "?" or the end.
func presenceAt(s string, i int) bool {
	rest, ok := strings.CutPrefix(s[i:], "/presence")
	return ok && (rest == "" || rest[0] == '?')
}

// Presence is a presence notification's body, as decoded with the frame.
func (n *Notification) Presence() (Presence, error) {
	if n.body == nil {
		return Presence{}, n.noBody()
	}
	return n.body.Presence, nil
}

func (n *Notification) noBody() error {
	if n.bodyErr != nil {
		return n.bodyErr
	}
	return errNoBody
}

// QueueMemberChange is one member's new availability in a queue.
type QueueMemberChange struct {
	QueueID     ID
	ExtensionID ID
	Accept      bool
}

// QueuePresence reads a call-queue presence notification in either of
// the two shapes seen (rc-api.md §3.4): the DOCS records[] of member and
// acceptCurrentQueueCalls (queue id from the event path), or the SPEC
// {extensionId, callQueueId, acceptCalls}.
func (n *Notification) QueuePresence() ([]QueueMemberChange, error) {
	if n.body == nil {
		return nil, n.noBody()
	}
	queue, body := n.queue, n.body // a body was decoded, so was the queue
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
