package emulator

import (
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// sink receives the notifications of one subscription. deliver is called
// under Platform.mu: it must not block and must not call the Platform.
type sink interface {
	deliver(sub *Subscription, uuid string, envelope []byte)
}

// Subscription is an event subscription (SubscriptionInfo). Guarded by
// Platform.mu.
type Subscription struct {
	ID        string
	Owner     *Extension
	ClientID  string
	SessionID string // the OAuth session that created it
	Filters   []eventFilter
	Disabled  []disabledFilter
	Created   time.Time
	Sink      sink
	Deleted   bool
}

// hub keeps the subscriptions and fans presence changes out to them.
// Guarded by Platform.mu.
type hub struct {
	p       *Platform
	subs    []*Subscription // creation order, for deterministic delivery
	byID    map[string]*Subscription
	account []*Subscription
	byExt   map[int64][]*Subscription
	byQueue map[int64][]*Subscription
	// dir indexes the directory and watch-list filters (directory_events.go).
	dir dirIndex
	// Telephony session subscriptions: account-wide, and per extension.
	sessAccount []*Subscription
	sessByExt   map[int64][]*Subscription
}

func newHub(p *Platform) *hub {
	return &hub{p: p, byID: map[string]*Subscription{}, byExt: map[int64][]*Subscription{}, byQueue: map[int64][]*Subscription{},
		sessByExt: map[int64][]*Subscription{}}
}

// parseFilters checks a subscription request's filters for owner, signed
// in as the OAuth session sessionID (whose scopes each filter needs).
func (h *hub) parseFilters(owner *Extension, sessionID string, raw []string) ([]eventFilter, []disabledFilter, *apiError) {
	sess := h.p.auth.byID[sessionID]
	if len(raw) == 0 {
		return nil, nil, errInvalidParam("eventFilters")
	}
	var fs []eventFilter
	var dis []disabledFilter
	var bad []string
	for _, r := range raw {
		f, d, ok := h.p.parseFilter(r, owner)
		switch {
		case !ok:
			bad = append(bad, r)
		case d != nil:
			dis = append(dis, *d)
		default:
			if d := h.p.filterDenied(sess, f); d != nil {
				dis = append(dis, *d)
				continue
			}
			fs = append(fs, f)
		}
	}
	if len(bad) > 0 {
		return nil, nil, errInvalidFilters(bad)
	}
	if len(fs) == 0 {
		return nil, nil, &apiError{Status: http.StatusForbidden, Code: dis[0].Reason, Message: dis[0].Message}
	}
	return fs, dis, nil
}

// create adds a subscription for owner with the given filters, delivering
// to s. It enforces the per-user, per-app cap (SUB-505).
func (h *hub) create(sess *oauthSession, raw []string, s sink) (*Subscription, *apiError) {
	fs, dis, err := h.parseFilters(sess.ext, sess.id, raw)
	if err != nil {
		return nil, err
	}
	n := 0
	for _, sub := range h.subs {
		if sub.Owner == sess.ext && sub.ClientID == sess.clientID {
			n++
		}
	}
	if n >= h.p.cfg.SubscriptionsPerUser {
		return nil, &apiError{Status: http.StatusForbidden, Code: "SUB-505", Message: "Subscriptions limit exceeded"}
	}
	sub := &Subscription{
		ID: h.p.newUUID(), Owner: sess.ext, ClientID: sess.clientID, SessionID: sess.id,
		Filters: fs, Disabled: dis, Created: h.p.now(), Sink: s,
	}
	h.subs = append(h.subs, sub)
	h.byID[sub.ID] = sub
	h.index(sub)
	return sub, nil
}

// update replaces a subscription's filters.
func (h *hub) update(sub *Subscription, raw []string) *apiError {
	fs, dis, err := h.parseFilters(sub.Owner, sub.SessionID, raw)
	if err != nil {
		return err
	}
	h.unindex(sub)
	sub.Filters, sub.Disabled = fs, dis
	h.index(sub)
	return nil
}

// remove deletes a subscription; its sink gets nothing more.
func (h *hub) remove(sub *Subscription) {
	if sub == nil || sub.Deleted {
		return
	}
	sub.Deleted = true
	h.unindex(sub)
	delete(h.byID, sub.ID)
	h.subs = slices.DeleteFunc(h.subs, func(s *Subscription) bool { return s == sub })
}

// lookup finds a live subscription by id.
func (h *hub) lookup(id string) (*Subscription, bool) {
	s, ok := h.byID[id]
	return s, ok
}

// list returns the live subscriptions of a user and app.
func (h *hub) list(owner *Extension, client string) []*Subscription {
	var out []*Subscription
	for _, s := range h.subs {
		if s.Owner == owner && s.ClientID == client {
			out = append(out, s)
		}
	}
	return out
}

func (h *hub) index(sub *Subscription) {
	for _, f := range sub.Filters {
		switch f.Kind {
		case filterAccountPresence:
			if !slices.Contains(h.account, sub) {
				h.account = append(h.account, sub)
			}
		case filterExtensionPresence:
			if !slices.Contains(h.byExt[f.Ext.ID], sub) {
				h.byExt[f.Ext.ID] = append(h.byExt[f.Ext.ID], sub)
			}
		case filterQueuePresence:
			id := f.Queue.Ext.ID
			if !slices.Contains(h.byQueue[id], sub) {
				h.byQueue[id] = append(h.byQueue[id], sub)
			}
		case filterAccountSessions, filterExtensionSessions:
			h.indexSessions(sub, f)
		default:
			h.indexDirectory(sub, f)
		}
	}
}

func (h *hub) unindex(sub *Subscription) {
	drop := func(s []*Subscription) []*Subscription {
		return slices.DeleteFunc(s, func(x *Subscription) bool { return x == sub })
	}
	h.account = drop(h.account)
	h.sessAccount = drop(h.sessAccount)
	for _, f := range sub.Filters {
		switch f.Kind {
		case filterExtensionPresence:
			h.byExt[f.Ext.ID] = drop(h.byExt[f.Ext.ID])
		case filterQueuePresence:
			h.byQueue[f.Queue.Ext.ID] = drop(h.byQueue[f.Queue.Ext.ID])
		case filterExtensionSessions:
			h.sessByExt[f.Ext.ID] = drop(h.sessByExt[f.Ext.ID])
		}
	}
	h.unindexDirectory(sub)
}

// bestFilter picks the filter a change of ext is delivered under: the most
// detailed of the matching ones (detailed wins over simple, SIP over detailed).
func bestFilter(sub *Subscription, ext *Extension) (eventFilter, bool) {
	var best eventFilter
	found := false
	for _, f := range sub.Filters {
		match := f.Kind == filterAccountPresence || (f.Kind == filterExtensionPresence && f.Ext == ext) ||
			watches(sub, f, ext)
		if match && (!found || f.Level > best.Level) {
			best, found = f, true
		}
	}
	return best, found
}

// presenceChanged delivers one extension's change to every matching
// subscription.
func (h *hub) presenceChanged(ext *Extension, before, after *presenceSnapshot, ended []Leg, at time.Time) {
	if len(h.account) == 0 && len(h.byExt[ext.ID]) == 0 && len(h.dir.watched[ext.ID]) == 0 {
		return
	}
	faults := h.p.faults.get()
	type variant struct {
		account bool
		lvl     detail
	}
	bodies := map[variant][]byte{}
	seen := map[*Subscription]bool{}
	deliver := func(sub *Subscription) {
		if seen[sub] || sub.Sink == nil {
			return
		}
		seen[sub] = true
		f, ok := bestFilter(sub, ext)
		if !ok {
			return
		}
		v := variant{account: f.Kind == filterAccountPresence, lvl: f.Level}
		body, ok := bodies[v]
		if !ok {
			body = eventBody(ext, before, after, ended, v.lvl, v.account && faults.OmitAccountCalls, faults.PartialBodies)
			bodies[v] = body
		}
		event := f.Expanded
		if f.Kind == filterAccountPresence {
			// Account-level events name the extension (DOCS account-presence sample).
			event = "/restapi/v1.0/account/" + strconv.FormatInt(h.p.dir.AccountID, 10) +
				"/extension/" + ext.IDString() + "/presence" + queryOf(f.Expanded)
		}
		h.send(sub, event, body, at)
	}
	for _, sub := range h.account {
		deliver(sub)
	}
	for _, sub := range h.byExt[ext.ID] {
		deliver(sub)
	}
	for _, sub := range h.dir.watched[ext.ID] {
		deliver(sub)
	}
}

// queueChanged delivers a member's per-queue availability change.
func (h *hub) queueChanged(qc queueChange, at time.Time) {
	subs := h.byQueue[qc.queue.Ext.ID]
	if len(subs) == 0 {
		return
	}
	var body []byte
	if h.p.cfg.QueueEventShape == "spec" {
		body, _ = json.Marshal(map[string]any{
			"extensionId": qc.member.IDString(), "callQueueId": qc.queue.Ext.IDString(), "acceptCalls": qc.accept,
		})
	} else {
		body, _ = json.Marshal(map[string]any{"records": []map[string]any{{
			"member": map[string]string{"id": qc.member.IDString()}, "acceptCurrentQueueCalls": qc.accept,
		}}})
	}
	for _, sub := range subs {
		if sub.Sink == nil {
			continue
		}
		for _, f := range sub.Filters {
			if f.Kind == filterQueuePresence && f.Queue == qc.queue {
				h.send(sub, f.Expanded, body, at)
				break
			}
		}
	}
}

// send wraps body in the notification envelope and hands it to the sink.
func (h *hub) send(sub *Subscription, event string, body []byte, at time.Time) {
	uuid := h.p.newUUID()
	ev, _ := json.Marshal(event)
	var b strings.Builder
	b.Grow(len(body) + 256)
	b.WriteString(`{"uuid":"`)
	b.WriteString(uuid)
	b.WriteString(`","event":`)
	b.Write(ev)
	b.WriteString(`,"timestamp":"`)
	b.WriteString(rcTime(at))
	b.WriteString(`","subscriptionId":"`)
	b.WriteString(sub.ID)
	b.WriteString(`","ownerId":"`)
	b.WriteString(sub.Owner.IDString())
	b.WriteString(`","body":`)
	b.Write(body)
	b.WriteString(`}`)
	h.p.stats.Notifications++
	sub.Sink.deliver(sub, uuid, []byte(b.String()))
}

func queryOf(filter string) string {
	if i := strings.IndexByte(filter, '?'); i >= 0 {
		return filter[i:]
	}
	return ""
}

// eventBody renders a presence notification body. With partial set, fields
// that did not change are left out (extensionId and sequence always stay).
func eventBody(ext *Extension, before, after *presenceSnapshot, ended []Leg, lvl detail, omitCalls, partial bool) []byte {
	out := presenceJSON{ExtensionID: ext.IDString(), Sequence: ptr(after.Sequence)}
	fillPresence(&out, after, lvl, ended)
	if lvl != detailSimple {
		out.TotalActiveCalls = ptr(len(after.Legs))
	}
	if omitCalls {
		out.ActiveCalls, out.TotalActiveCalls = nil, nil
	}
	if partial {
		if before.telephonyStatus() == after.telephonyStatus() {
			out.TelephonyStatus = ""
		}
		if before.presenceStatus() == after.presenceStatus() {
			out.PresenceStatus = ""
		}
		if before.UserStatus == after.UserStatus {
			out.UserStatus = ""
		}
		if before.DNDStatus == after.DNDStatus {
			out.DNDStatus = ""
		}
		if before.DNDPersonal == after.DNDPersonal {
			out.DNDStatusPersonal = ""
		}
		if before.AcceptCQ == after.AcceptCQ {
			out.AcceptCallQueue = nil
		}
		if before.Message == after.Message {
			out.Message = nil
		} else if out.Message == nil {
			out.Message = ptr("")
		}
		if before.MeetingStatus == after.MeetingStatus {
			out.MeetingStatus = ""
		}
		if before.AllowSeeMyPresence == after.AllowSeeMyPresence {
			out.AllowSeeMyPresence = nil
		}
		if before.RingOnMonitored == after.RingOnMonitored {
			out.RingOnMonitored = nil
		}
		if before.PickUpCallsOnHold == after.PickUpCallsOnHold {
			out.PickUpCallsOnHold = nil
		}
		if len(ended) == 0 && slices.Equal(before.Legs, after.Legs) {
			out.ActiveCalls, out.TotalActiveCalls = nil, nil
		}
	} else if after.Message == "" {
		out.Message = ptr("")
	}
	b, _ := json.Marshal(out)
	return b
}

// subscriptionJSON is SubscriptionInfo.
type subscriptionJSON struct {
	URI             string           `json:"uri"`
	ID              string           `json:"id"`
	CreationTime    string           `json:"creationTime"`
	Status          string           `json:"status"`
	EventFilters    []string         `json:"eventFilters"`
	DisabledFilters []disabledFilter `json:"disabledFilters,omitempty"`
	ExpirationTime  string           `json:"expirationTime"`
	ExpiresIn       int              `json:"expiresIn"`
	DeliveryMode    deliveryMode     `json:"deliveryMode"`
}

type deliveryMode struct {
	TransportType string `json:"transportType"`
	Encryption    bool   `json:"encryption"`
}

// info renders the subscription. WebSocket subscriptions renew themselves
// while the session lives, so the expiration is always a day ahead.
func (h *hub) info(sub *Subscription) subscriptionJSON {
	now := h.p.now()
	out := subscriptionJSON{
		URI:             h.p.base + "/restapi/v1.0/subscription/" + sub.ID,
		ID:              sub.ID,
		CreationTime:    rcTime(sub.Created),
		Status:          "Active",
		ExpirationTime:  rcTime(now.Add(24 * time.Hour)),
		ExpiresIn:       86399,
		DeliveryMode:    deliveryMode{TransportType: "WebSocket"},
		DisabledFilters: sub.Disabled,
	}
	for _, f := range sub.Filters {
		out.EventFilters = append(out.EventFilters, f.Expanded)
	}
	return out
}
