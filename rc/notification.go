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
// list bodies too; their keys must not clash in type with these.
type eventBody struct {
	Presence
	Records     []queueMemberRecord `json:"records"`
	CallQueueID ID                  `json:"callQueueId"`
	AcceptCalls *bool               `json:"acceptCalls"`
	// An extension-list or extension-info event: the DOCS shape lists
	// the changes, the SPEC shape is one (extensionId above, eventType).
	Extensions []ExtensionChange `json:"extensions"`
	EventType  string            `json:"eventType"`

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

// ExtensionChange is one extension created, updated or deleted.
type ExtensionChange struct {
	ExtensionID ID       `json:"extensionId"`
	EventType   string   `json:"eventType"` // Create, Update or Delete
	Hints       []string `json:"hints,omitempty"`
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
	// KindExtensionList is a change to the directory: someone created,
	// updated or deleted (the extension-list and extension-info filters).
	KindExtensionList
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
	if directoryEvent(event) {
		return KindExtensionList, ""
	}
	return KindOther, ""
}

// directoryEvent reports an extension-list path (".../extension") or an
// extension-info one (".../extension/{id}"), then "?" or the end.
func directoryEvent(event string) bool {
	path, _, _ := strings.Cut(event, "?")
	at := strings.LastIndex(path, "/extension")
	if at < 0 || !strings.Contains(path[:at], "/account/") {
		return false
	}
	rest := path[at+len("/extension"):]
	if rest == "" {
		return true
	}
	id, ok := strings.CutPrefix(rest, "/")
	if !ok || id == "" {
		return false
	}
	return id == "~" || strings.Trim(id, "0123456789") == ""
}

// ExtensionChanges reads an extension-list or extension-info event in
// either shape seen (rc-api.md §3.4): the DOCS extensions[] of
// {extensionId, eventType}, or the SPEC {extensionId, eventType}.
func (n *Notification) ExtensionChanges() ([]ExtensionChange, error) {
	if n.body == nil {
		return nil, n.noBody()
	}
	out := n.body.Extensions
	if n.body.ExtensionID != "" && n.body.EventType != "" {
		out = append(out, ExtensionChange{ExtensionID: n.body.ExtensionID, EventType: n.body.EventType})
	}
	for _, c := range out {
		if c.ExtensionID == "" {
			return nil, errors.New("extension event names no extension")
		}
	}
	return out, nil
}

// ExtensionListFilter is the event filter for changes to the directory.
const ExtensionListFilter = "/restapi/v1.0/account/~/extension"

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
