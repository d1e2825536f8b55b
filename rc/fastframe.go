package rc

import "strings"

// The hand-written decoder of the hot frames: a ServerNotification with a
// presence, call-queue presence, telephony session or extension body (and
// any header-only or null-body frame). Under the front-desk load (10k
// extensions, ~2,500 notifications a second) encoding/json's reflection,
// and the garbage of its many small allocations, cost more than the rest
// of the reader; this decodes the same frame in one pass with a handful of
// allocations.
//
// It is a fast path, not a second decoder: fastDecodeFrame either returns
// exactly the frame decodeFrameRef (encoding/json) returns for the same
// bytes, or reports false and decodeFrameRef decodes the frame. It never
// reports an error: every error comes from the reference. It gives up on:
//
//   - invalid JSON anywhere, skipped values included (the scanner validates
//     everything it reads), and nesting deeper than maxScanDepth;
//   - a frame type other than ServerNotification with a body, and a
//     notification without a uuid (parseNotification's envelope rules);
//   - a key that names a known field only case-insensitively, or has
//     non-ASCII letters (encoding/json folds keys), and a known key twice;
//   - a value of the wrong type for its field (encoding/json then decodes
//     the envelope alone with bodyErr), an integer with a fraction,
//     exponent or more than 18 digits, an ID that is neither string,
//     number nor null.
//
// What it does reproduce: string escapes (\u surrogate pairs; a broken
// one and invalid UTF-8 become U+FFFD), null (a still-zero field stays
// zero), an empty array (an empty, non-nil slice), ID (a string's text,
// a number's literal) and Time (ParseTime of a string; any other value is
// the zero time), as their UnmarshalJSON methods do.
//
// Memory: the frame is the reader's buffer, reused for the next frame,
// so what the decoded frame carries is copied out of it; keys and times
// are read in place and never kept. The text of the strings without
// escapes goes into blocks shared by the frame's strings (scanner.keep:
// one allocation rather than one per string, and about 40% of the frame
// rather than a copy of all of it), so a string kept after the frame
// keeps its block (about 600 B) alive: the tracker keeps a live call's
// names and numbers and a user's message, so roughly one block per live
// call. Enumerated values (statuses, directions, reasons, event types)
// are interned instead, looked up without a copy, so the words the
// tracker keeps for every extension keep nothing alive.

// noteBlock is every allocation of a notification but its strings and
// slices, made at once: the envelope, its body and the targets of the
// body's pointer fields.
type noteBlock struct {
	n     Notification
	body  eventBody
	ext   presenceExtension
	seq   int64
	total int
	// message is Message's value when it is not interned. The other
	// *string fields are enumerated: a value outside the interned ones is
	// rare and gets its own allocation (enumPtr), which keeps the block
	// in a smaller size class.
	message string
}

// presenceExtension and activeCallInfo are the anonymous types of
// Presence.Extension and ActiveCall.CallInfo.
type presenceExtension = struct {
	ID              ID     `json:"id"`
	ExtensionNumber string `json:"extensionNumber"`
}

type activeCallInfo = struct {
	Primary    CallInfoItem `json:"primary"`
	Additional CallInfoItem `json:"additional"`
}

// interned are the enumerated values of the wire. A string field with one
// of them is set to the string here rather than to a slice of the frame,
// and a *string field to its address: shared by every notification.
//
// That sharing is safe because nothing writes through the pointer fields
// of a decoded Presence: state (update.go updateOf, store.go) copies
// *p.Field into its own strings, and rc, ui, serve and the main package
// only read them (grep `\*[a-z.]*\.(PresenceStatus|UserStatus|DNDStatus|
// DNDStatusPersonal|TelephonyStatus|MeetingStatus|Message)\b *=` finds
// none). The same holds for the *bool fields, which point at sharedTrue
// and sharedFalse. A change that writes through them must copy first.
var interned = func() map[string]*string {
	m := map[string]*string{}
	for _, s := range []string{
		// frame types and headers
		frameServerNotification, frameClientRequest, frameConnectionDetails, frameHeartbeat, frameError,
		"Content-Type", "RCRequestId", "application/json", "application/json;charset=utf-8",
		// presenceStatus, userStatus, dndStatus(Personal), meetingStatus
		"Available", "Busy", "Offline", "TakeAllCalls", "DoNotAcceptAnyCalls", "DoNotAcceptDepartmentCalls",
		"TakeDepartmentCallsOnly", "Connected", "Disconnected", "Unknown",
		// telephonyStatus, direction, terminationType, callInfo type
		"NoCall", "Ringing", "CallConnected", "OnHold", "ParkedCall", "Inbound", "Outbound",
		"final", "intermediate", "QueueName", "CallerIdName", "PhoneNumber",
		// party status codes and reasons, origin types
		PartySetup, PartyProceeding, PartyAnswered, PartyHold, PartyParked, PartyVoiceMail, PartyGone,
		"VoiceMailScreening", "FaxReceive",
		ReasonAgentAnswered, ReasonCallRedirected, ReasonBlindTransfer, ReasonPickup, ReasonCancelled,
		ReasonNoAnswer, ReasonRejected, ReasonCallPark, "Voicemail", "AttendedTransfer", "BusyHere",
		"Call", "RingOut", "RingMe", "Conference", "GreetingsRecording", "VerificationCall", "Zoom", "CallOut",
		// extension events
		"Create", "Update", "Delete",
	} {
		v := s
		m[s] = &v
	}
	return m
}()

var sharedTrue, sharedFalse = true, false

func boolPtr(b bool) *bool {
	if b {
		return &sharedTrue
	}
	return &sharedFalse
}

// frameDecoder is the scanner with the typed decoders of the frame's parts.
type frameDecoder struct {
	scanner
	blk *noteBlock
}

// fastDecodeFrame is decodeFrame for the frames it knows; ok false means
// "not mine", never "malformed".
func fastDecodeFrame(data []byte) (f frame, ok bool) {
	d := frameDecoder{scanner: scanner{data: data}}
	if !d.enter('[') {
		return frame{}, false
	}
	d.header(&f.header)
	if d.bad || f.header.Type == "" {
		return frame{}, false
	}
	first := false // the header was the first element
	if d.nextElem(&first) {
		switch {
		case d.null():
		case f.header.Type != frameServerNotification:
			return frame{}, false
		default:
			f.note = d.notification()
		}
		if d.nextElem(&first) { // a third element
			return frame{}, false
		}
	}
	// notification fails the scanner whenever it returns nil.
	if d.ws(); d.bad || d.i != len(data) {
		return frame{}, false
	}
	return f, true
}

var headerFields = []string{"type", "messageId", "status", "headers", "wsc", "method", "path"}

func (d *frameDecoder) header(h *frameHeader) {
	if !d.enter('{') {
		return
	}
	var seen uint64
	for first, k := true, ""; d.more(&first, &k); {
		switch k {
		case "type":
			if d.take(&seen, 0) {
				h.Type = d.enum()
			}
		case "messageId":
			if d.take(&seen, 1) {
				h.MessageID = d.str()
			}
		case "status":
			if d.take(&seen, 2) {
				h.Status = d.intField()
			}
		case "headers":
			if d.take(&seen, 3) {
				// Validated always; built only when the type, known so
				// far, is not a notification's (see frameHeader.Headers).
				h.Headers = d.headers(h.Type != frameServerNotification)
			}
		case "wsc":
			if d.take(&seen, 4) {
				h.WSC = d.wsc()
			}
		case "method":
			if d.take(&seen, 5) {
				h.Method = d.enum()
			}
		case "path":
			if d.take(&seen, 6) {
				h.Path = d.str()
			}
		default:
			d.unknown(k, headerFields)
		}
	}
	if h.Type == frameServerNotification {
		h.Headers = nil // the type came after the headers
	}
}

// headers decodes a map[string]string as encoding/json does: a repeated
// key keeps its last value, a null value is "". Without build it only
// validates them, the same way, and returns nil.
func (d *frameDecoder) headers(build bool) map[string]string {
	if !d.enter('{') {
		return nil
	}
	var m map[string]string
	if build {
		m = make(map[string]string, 2)
	}
	for first, k := true, ""; d.more(&first, &k); {
		v := ""
		if !d.null() {
			v = d.enum()
		}
		if build {
			if p := interned[k]; p != nil {
				k = *p
			} else {
				k = strings.Clone(k) // it points into the frame
			}
			m[k] = v
		}
	}
	return m
}

var wscFields = []string{"token", "sequence"}

func (d *frameDecoder) wsc() *wsc {
	if !d.enter('{') {
		return nil
	}
	w := &wsc{}
	var seen uint64
	for first, k := true, ""; d.more(&first, &k); {
		switch k {
		case "token":
			if d.take(&seen, 0) {
				w.Token = d.str()
			}
		case "sequence":
			if d.take(&seen, 1) {
				w.Sequence = d.integer()
			}
		default:
			d.unknown(k, wscFields)
		}
	}
	return w
}

// intField reads an int field; a value int cannot hold is not ours.
func (d *frameDecoder) intField() int {
	v := d.integer()
	if int64(int(v)) != v {
		d.fail()
	}
	return int(v)
}

// intern returns the interned copy of s when there is one.
func intern(s string) string {
	if p := interned[s]; p != nil {
		return *p
	}
	return s
}

// enum reads a string field of enumerated values.
func (d *frameDecoder) enum() string {
	s, p := d.word()
	if p != nil {
		return *p
	}
	return s
}

// enumPtr reads a *string field: an interned value's shared address, or
// slot's (a new string's when slot is nil).
func (d *frameDecoder) enumPtr(slot *string) *string {
	s, p := d.word()
	if p != nil {
		return p
	}
	if slot == nil {
		slot = new(string)
	}
	*slot = s
	return slot
}

// word reads a string of enumerated values: the interned copy's address
// when there is one (looked up in place, nothing kept), else the string.
func (d *frameDecoder) word() (string, *string) {
	start, end, s, plain := d.text()
	if !plain {
		return s, interned[s]
	}
	if p := interned[string(d.data[start:end])]; p != nil {
		return "", p
	}
	return d.keep(start, end), nil
}

// id reads an ID as ID.UnmarshalJSON does: a string's text, a number's
// literal (json.Number keeps it), null "" (take handled it); anything else
// is an error there, so not this decoder's.
func (d *frameDecoder) id() ID {
	switch c := d.peek(); {
	case c == '"':
		return ID(d.str())
	case c == '-' || isDigit(c):
		return ID(d.keep(d.number()))
	}
	d.fail()
	return ""
}

// time reads a Time as Time.UnmarshalJSON does: ParseTime of a string;
// a value of any other type leaves the zero time, without an error.
func (d *frameDecoder) time() Time {
	if d.peek() == '"' {
		// ParseTime keeps nothing of its text (numeric zones only).
		return Time{ParseTime(d.transient())}
	}
	d.skip()
	return Time{}
}

var envelopeFields = []string{"uuid", "event", "timestamp", "subscriptionId", "ownerId", "body"}

// notification decodes element 1 of a ServerNotification as
// parseNotification does when it succeeds.
func (d *frameDecoder) notification() *Notification {
	if !d.enter('{') {
		return nil
	}
	d.blk = &noteBlock{}
	n := &d.blk.n
	var body *eventBody
	var seen uint64
	for first, k := true, ""; d.more(&first, &k); {
		switch k {
		case "uuid":
			if d.take(&seen, 0) {
				n.UUID = d.str()
			}
		case "event":
			if d.take(&seen, 1) {
				n.Event = d.str()
			}
		case "timestamp":
			if d.take(&seen, 2) {
				n.Timestamp = d.time()
			}
		case "subscriptionId":
			if d.take(&seen, 3) {
				n.SubscriptionID = d.str()
			}
		case "ownerId":
			if d.take(&seen, 4) {
				n.OwnerID = d.id()
			}
		case "body":
			if d.take(&seen, 5) {
				body = &d.blk.body
				d.eventBody(body)
			}
		default:
			d.unknown(k, envelopeFields)
		}
	}
	if d.bad || n.UUID == "" {
		d.fail()
		return nil
	}
	n.body = body
	n.classify()
	return n
}

// eventBodyFields are eventBody's keys, Presence's included.
var eventBodyFields = []string{
	"extension", "extensionId", "sequence", "presenceStatus", "userStatus", "dndStatus", "dndStatusPersonal",
	"acceptCallQueueCalls", "telephonyStatus", "meetingStatus", "message", "allowSeeMyPresence", "activeCalls",
	"totalActiveCalls", "records", "callQueueId", "acceptCalls", "extensions", "eventType", "telephonySessionId",
	"sessionId", "serverId", "eventTime", "accountId", "parties", "origin",
}

func (d *frameDecoder) eventBody(b *eventBody) {
	if !d.enter('{') {
		return
	}
	blk := d.blk
	var seen uint64
	for first, k := true, ""; d.more(&first, &k); {
		switch k {
		case "extension":
			if d.take(&seen, 0) {
				b.Extension = d.presenceExtension(&blk.ext)
			}
		case "extensionId":
			if d.take(&seen, 1) {
				b.ExtensionID = d.id()
			}
		case "sequence":
			if d.take(&seen, 2) {
				blk.seq = d.integer()
				b.Sequence = &blk.seq
			}
		case "presenceStatus":
			if d.take(&seen, 3) {
				b.PresenceStatus = d.enumPtr(nil)
			}
		case "userStatus":
			if d.take(&seen, 4) {
				b.UserStatus = d.enumPtr(nil)
			}
		case "dndStatus":
			if d.take(&seen, 5) {
				b.DNDStatus = d.enumPtr(nil)
			}
		case "dndStatusPersonal":
			if d.take(&seen, 6) {
				b.DNDStatusPersonal = d.enumPtr(nil)
			}
		case "acceptCallQueueCalls":
			if d.take(&seen, 7) {
				b.AcceptCallQueueCalls = boolPtr(d.boolean())
			}
		case "telephonyStatus":
			if d.take(&seen, 8) {
				b.TelephonyStatus = d.enumPtr(nil)
			}
		case "meetingStatus":
			if d.take(&seen, 9) {
				b.MeetingStatus = d.enumPtr(nil)
			}
		case "message":
			if d.take(&seen, 10) {
				b.Message = d.enumPtr(&blk.message)
			}
		case "allowSeeMyPresence":
			if d.take(&seen, 11) {
				b.AllowSeeMyPresence = boolPtr(d.boolean())
			}
		case "activeCalls":
			if d.take(&seen, 12) {
				b.ActiveCalls = d.activeCalls()
			}
		case "totalActiveCalls":
			if d.take(&seen, 13) {
				blk.total = d.intField()
				b.TotalActiveCalls = &blk.total
			}
		case "records":
			if d.take(&seen, 14) {
				b.Records = d.records()
			}
		case "callQueueId":
			if d.take(&seen, 15) {
				b.CallQueueID = d.id()
			}
		case "acceptCalls":
			if d.take(&seen, 16) {
				b.AcceptCalls = boolPtr(d.boolean())
			}
		case "extensions":
			if d.take(&seen, 17) {
				b.Extensions = d.extensionChanges()
			}
		case "eventType":
			if d.take(&seen, 18) {
				b.EventType = d.enum()
			}
		case "telephonySessionId":
			if d.take(&seen, 19) {
				b.TelephonySessionID = d.str()
			}
		case "sessionId":
			if d.take(&seen, 20) {
				b.SessionID = d.str()
			}
		case "serverId":
			if d.take(&seen, 21) {
				b.ServerID = d.enum()
			}
		case "eventTime":
			if d.take(&seen, 22) {
				b.EventTime = d.time()
			}
		case "accountId":
			if d.take(&seen, 23) {
				b.AccountID = d.id()
			}
		case "parties":
			if d.take(&seen, 24) {
				b.Parties = d.parties()
			}
		case "origin":
			if d.take(&seen, 25) {
				b.Origin.Type = d.typeOnly()
			}
		default:
			d.unknown(k, eventBodyFields)
		}
	}
}

var presenceExtensionFields = []string{"id", "extensionNumber"}

func (d *frameDecoder) presenceExtension(e *presenceExtension) *presenceExtension {
	if !d.enter('{') {
		return nil
	}
	var seen uint64
	for first, k := true, ""; d.more(&first, &k); {
		switch k {
		case "id":
			if d.take(&seen, 0) {
				e.ID = d.id()
			}
		case "extensionNumber":
			if d.take(&seen, 1) {
				e.ExtensionNumber = d.str()
			}
		default:
			d.unknown(k, presenceExtensionFields)
		}
	}
	return e
}

var typeFields = []string{"type"}

// typeOnly reads origin: {type}.
func (d *frameDecoder) typeOnly() string {
	if !d.enter('{') {
		return ""
	}
	var t string
	var seen uint64
	for first, k := true, ""; d.more(&first, &k); {
		if k != "type" {
			d.unknown(k, typeFields)
		} else if d.take(&seen, 0) {
			t = d.enum()
		}
	}
	return t
}

// The arrays: each decodes into a scratch array on the stack for the
// usual few elements, then into a new slice of exact length (an empty
// array is an empty, non-nil slice, as encoding/json makes it; a null
// element stays zero). The loops are written out per type because a
// shared one taking the element decoder as a func value would move the
// scratch to the heap.

// elems starts an array: false when the value is not one.
func (d *frameDecoder) elems() bool { return d.enter('[') }

// elem moves to the next element; false at the end. null is consumed
// and reported: the element stays zero.
func (d *frameDecoder) elem(first *bool) (more, null bool) {
	if !d.nextElem(first) {
		return false, false
	}
	return true, d.null()
}

// exact copies the decoded elements into a slice of their number.
func exact[T any](d *frameDecoder, out []T) []T {
	if d.bad {
		return nil
	}
	return append(make([]T, 0, len(out)), out...)
}

func (d *frameDecoder) activeCalls() []ActiveCall {
	if !d.elems() {
		return nil
	}
	var buf [4]ActiveCall
	out := buf[:0]
	for first := true; ; {
		more, null := d.elem(&first)
		if !more {
			break
		}
		out = append(out, ActiveCall{})
		if !null {
			d.activeCall(&out[len(out)-1])
		}
	}
	return exact(d, out)
}

var activeCallFields = []string{
	"id", "direction", "from", "fromName", "to", "toName", "startTime", "telephonyStatus", "terminationType",
	"queueCall", "sessionId", "telephonySessionId", "partyId", "callInfo",
}

func (d *frameDecoder) activeCall(c *ActiveCall) {
	if !d.enter('{') {
		return
	}
	var seen uint64
	for first, k := true, ""; d.more(&first, &k); {
		switch k {
		case "id":
			if d.take(&seen, 0) {
				c.ID = d.str()
			}
		case "direction":
			if d.take(&seen, 1) {
				c.Direction = d.enum()
			}
		case "from":
			if d.take(&seen, 2) {
				c.From = d.str()
			}
		case "fromName":
			if d.take(&seen, 3) {
				c.FromName = d.str()
			}
		case "to":
			if d.take(&seen, 4) {
				c.To = d.str()
			}
		case "toName":
			if d.take(&seen, 5) {
				c.ToName = d.str()
			}
		case "startTime":
			if d.take(&seen, 6) {
				c.StartTime = d.time()
			}
		case "telephonyStatus":
			if d.take(&seen, 7) {
				c.TelephonyStatus = d.enum()
			}
		case "terminationType":
			if d.take(&seen, 8) {
				c.TerminationType = d.enum()
			}
		case "queueCall":
			if d.take(&seen, 9) {
				c.QueueCall = d.boolean()
			}
		case "sessionId":
			if d.take(&seen, 10) {
				c.SessionID = d.str()
			}
		case "telephonySessionId":
			if d.take(&seen, 11) {
				c.TelephonySessionID = d.str()
			}
		case "partyId":
			if d.take(&seen, 12) {
				c.PartyID = d.str()
			}
		case "callInfo":
			if d.take(&seen, 13) {
				ci := &activeCallInfo{}
				d.callInfo(&ci.Primary, &ci.Additional)
				c.CallInfo = ci
			}
		default:
			d.unknown(k, activeCallFields)
		}
	}
}

var callInfoFields = []string{"primary", "additional"}

// callInfo reads {primary, additional} of callInfo and uiCallInfo.
func (d *frameDecoder) callInfo(primary, additional *CallInfoItem) {
	if !d.enter('{') {
		return
	}
	var seen uint64
	for first, k := true, ""; d.more(&first, &k); {
		switch k {
		case "primary":
			if d.take(&seen, 0) {
				d.callInfoItem(primary)
			}
		case "additional":
			if d.take(&seen, 1) {
				d.callInfoItem(additional)
			}
		default:
			d.unknown(k, callInfoFields)
		}
	}
}

var callInfoItemFields = []string{"type", "value"}

func (d *frameDecoder) callInfoItem(it *CallInfoItem) {
	if !d.enter('{') {
		return
	}
	var seen uint64
	for first, k := true, ""; d.more(&first, &k); {
		switch k {
		case "type":
			if d.take(&seen, 0) {
				it.Type = d.enum()
			}
		case "value":
			if d.take(&seen, 1) {
				it.Value = d.str()
			}
		default:
			d.unknown(k, callInfoItemFields)
		}
	}
}

func (d *frameDecoder) records() []queueMemberRecord {
	if !d.elems() {
		return nil
	}
	var buf [4]queueMemberRecord
	out := buf[:0]
	for first := true; ; {
		more, null := d.elem(&first)
		if !more {
			break
		}
		out = append(out, queueMemberRecord{})
		if !null {
			d.record(&out[len(out)-1])
		}
	}
	return exact(d, out)
}

var recordFields = []string{"member", "acceptCurrentQueueCalls"}

func (d *frameDecoder) record(r *queueMemberRecord) {
	if !d.enter('{') {
		return
	}
	var seen uint64
	for first, k := true, ""; d.more(&first, &k); {
		switch k {
		case "member":
			if d.take(&seen, 0) {
				r.Member.ID = d.idOnly()
			}
		case "acceptCurrentQueueCalls":
			if d.take(&seen, 1) {
				r.AcceptCurrentQueueCalls = boolPtr(d.boolean())
			}
		default:
			d.unknown(k, recordFields)
		}
	}
}

var idFields = []string{"id"}

// idOnly reads {id} (a record's member, a party's park).
func (d *frameDecoder) idOnly() ID {
	if !d.enter('{') {
		return ""
	}
	var id ID
	var seen uint64
	for first, k := true, ""; d.more(&first, &k); {
		if k != "id" {
			d.unknown(k, idFields)
		} else if d.take(&seen, 0) {
			id = d.id()
		}
	}
	return id
}

func (d *frameDecoder) extensionChanges() []ExtensionChange {
	if !d.elems() {
		return nil
	}
	var buf [4]ExtensionChange
	out := buf[:0]
	for first := true; ; {
		more, null := d.elem(&first)
		if !more {
			break
		}
		out = append(out, ExtensionChange{})
		if !null {
			d.extensionChange(&out[len(out)-1])
		}
	}
	return exact(d, out)
}

var extensionChangeFields = []string{"extensionId", "eventType", "hints"}

func (d *frameDecoder) extensionChange(c *ExtensionChange) {
	if !d.enter('{') {
		return
	}
	var seen uint64
	for first, k := true, ""; d.more(&first, &k); {
		switch k {
		case "extensionId":
			if d.take(&seen, 0) {
				c.ExtensionID = d.id()
			}
		case "eventType":
			if d.take(&seen, 1) {
				c.EventType = d.enum()
			}
		case "hints":
			if d.take(&seen, 2) {
				c.Hints = d.hints()
			}
		default:
			d.unknown(k, extensionChangeFields)
		}
	}
}

func (d *frameDecoder) hints() []string {
	if !d.elems() {
		return nil
	}
	var buf [4]string
	out := buf[:0]
	for first := true; ; {
		more, null := d.elem(&first)
		if !more {
			break
		}
		out = append(out, "")
		if !null {
			out[len(out)-1] = d.enum()
		}
	}
	return exact(d, out)
}

func (d *frameDecoder) parties() []CallParty {
	if !d.elems() {
		return nil
	}
	var buf [2]CallParty
	out := buf[:0]
	for first := true; ; {
		more, null := d.elem(&first)
		if !more {
			break
		}
		out = append(out, CallParty{})
		if !null {
			d.party(&out[len(out)-1])
		}
	}
	return exact(d, out)
}

var partyFields = []string{
	"id", "accountId", "extensionId", "direction", "from", "to", "owner", "status", "park", "muted",
	"standAlone", "missedCall", "queueCall", "uiCallInfo",
}

func (d *frameDecoder) party(p *CallParty) {
	if !d.enter('{') {
		return
	}
	var seen uint64
	for first, k := true, ""; d.more(&first, &k); {
		switch k {
		case "id":
			if d.take(&seen, 0) {
				p.ID = d.str()
			}
		case "accountId":
			if d.take(&seen, 1) {
				p.AccountID = d.id()
			}
		case "extensionId":
			if d.take(&seen, 2) {
				p.ExtensionID = d.id()
			}
		case "direction":
			if d.take(&seen, 3) {
				p.Direction = d.enum()
			}
		case "from":
			if d.take(&seen, 4) {
				d.callEnd(&p.From)
			}
		case "to":
			if d.take(&seen, 5) {
				d.callEnd(&p.To)
			}
		case "owner":
			if d.take(&seen, 6) {
				d.owner(&p.Owner.AccountID, &p.Owner.ExtensionID)
			}
		case "status":
			if d.take(&seen, 7) {
				d.partyStatus(&p.Status)
			}
		case "park":
			if d.take(&seen, 8) {
				p.Park.ID = d.idOnly()
			}
		case "muted":
			if d.take(&seen, 9) {
				p.Muted = d.boolean()
			}
		case "standAlone":
			if d.take(&seen, 10) {
				p.StandAlone = d.boolean()
			}
		case "missedCall":
			if d.take(&seen, 11) {
				p.MissedCall = d.boolean()
			}
		case "queueCall":
			if d.take(&seen, 12) {
				p.QueueCall = d.boolean()
			}
		case "uiCallInfo":
			if d.take(&seen, 13) {
				ci := &CallInfo{}
				d.callInfo(&ci.Primary, &ci.Additional)
				p.CallInfo = ci
			}
		default:
			d.unknown(k, partyFields)
		}
	}
}

var callEndFields = []string{"phoneNumber", "extensionNumber", "extensionId", "name", "deviceId"}

func (d *frameDecoder) callEnd(e *CallEnd) {
	if !d.enter('{') {
		return
	}
	var seen uint64
	for first, k := true, ""; d.more(&first, &k); {
		switch k {
		case "phoneNumber":
			if d.take(&seen, 0) {
				e.PhoneNumber = d.str()
			}
		case "extensionNumber":
			if d.take(&seen, 1) {
				e.ExtensionNumber = d.str()
			}
		case "extensionId":
			if d.take(&seen, 2) {
				e.ExtensionID = d.id()
			}
		case "name":
			if d.take(&seen, 3) {
				e.Name = d.str()
			}
		case "deviceId":
			if d.take(&seen, 4) {
				e.DeviceID = d.id()
			}
		default:
			d.unknown(k, callEndFields)
		}
	}
}

var ownerFields = []string{"accountId", "extensionId"}

func (d *frameDecoder) owner(account, ext *ID) {
	if !d.enter('{') {
		return
	}
	var seen uint64
	for first, k := true, ""; d.more(&first, &k); {
		switch k {
		case "accountId":
			if d.take(&seen, 0) {
				*account = d.id()
			}
		case "extensionId":
			if d.take(&seen, 1) {
				*ext = d.id()
			}
		default:
			d.unknown(k, ownerFields)
		}
	}
}

var partyStatusFields = []string{"code", "reason", "description", "peerId", "parkData"}

func (d *frameDecoder) partyStatus(st *PartyStatus) {
	if !d.enter('{') {
		return
	}
	var seen uint64
	for first, k := true, ""; d.more(&first, &k); {
		switch k {
		case "code":
			if d.take(&seen, 0) {
				st.Code = d.enum()
			}
		case "reason":
			if d.take(&seen, 1) {
				st.Reason = d.enum()
			}
		case "description":
			if d.take(&seen, 2) {
				st.Description = d.str()
			}
		case "peerId":
			if d.take(&seen, 3) {
				st.PeerID = d.peerID()
			}
		case "parkData":
			if d.take(&seen, 4) {
				st.ParkData = d.str()
			}
		default:
			d.unknown(k, partyStatusFields)
		}
	}
}

var peerIDFields = []string{"sessionId", "telephonySessionId", "partyId"}

func (d *frameDecoder) peerID() *PeerID {
	if !d.enter('{') {
		return nil
	}
	p := &PeerID{}
	var seen uint64
	for first, k := true, ""; d.more(&first, &k); {
		switch k {
		case "sessionId":
			if d.take(&seen, 0) {
				p.SessionID = d.str()
			}
		case "telephonySessionId":
			if d.take(&seen, 1) {
				p.TelephonySessionID = d.str()
			}
		case "partyId":
			if d.take(&seen, 2) {
				p.PartyID = d.str()
			}
		default:
			d.unknown(k, peerIDFields)
		}
	}
	return p
}
