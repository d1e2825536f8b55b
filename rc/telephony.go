package rc

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Telephony sessions and Call Control (rc-api.md §6). A call is a
// telephony session whose parties are its ends: the outside caller, the
// call queue it waits in, each user whose phone rings or talks, a
// voicemail box. The same shapes come from GET .../telephony/sessions/{id}
// and from telephony session events, one party per event.

// Party status codes (SPEC CallStatusInfo.code).
const (
	PartySetup        = "Setup"
	PartyProceeding   = "Proceeding"
	PartyAnswered     = "Answered"
	PartyHold         = "Hold"
	PartyParked       = "Parked"
	PartyVoiceMail    = "VoiceMail"
	PartyDisconnected = "Disconnected"
	PartyGone         = "Gone"
)

// Party status reasons a switchboard reads (SPEC CallStatusInfo.reason).
const (
	ReasonAgentAnswered  = "AgentAnswered" // a call queue's party: an agent took the call
	ReasonCallRedirected = "CallRedirected"
	ReasonBlindTransfer  = "BlindTransfer"
	ReasonPickup         = "Pickup"
	ReasonCancelled      = "Cancelled"
	ReasonNoAnswer       = "NoAnswer"
	ReasonRejected       = "Rejected"
	ReasonCallPark       = "CallPark"
)

// TelephonySession is a call: GET .../telephony/sessions/{id}
// (CallSessionObject) or a telephony session event body
// (TelephonySessionsEventBody). Fields a source does not carry are zero.
type TelephonySession struct {
	// ID is the telephonySessionId ("id" in GET, "telephonySessionId" in
	// events).
	ID        string
	SessionID string // the legacy session id presence also shows
	// Sequence orders a session's events (events only; rc-api.md §6.3).
	Sequence     int64
	EventTime    Time // events only
	CreationTime Time // GET only
	Origin       struct{ Type string }
	// Parties are every party still in the call (GET), or the one that
	// changed (an event).
	Parties   []CallParty
	ServerID  string
	AccountID string
	// ExtensionID is the event body's extensionId: in RingCentral's
	// samples and the emulator, the extension of the party it carries.
	ExtensionID string
}

// CallParty is one party of a session (CallParty, TelephonySessionsEventPartyInfo).
// Identifiers RingCentral may send as numbers are IDs.
type CallParty struct {
	ID          string `json:"id"`
	AccountID   ID     `json:"accountId"`
	ExtensionID ID     `json:"extensionId"`
	// Direction is Inbound or Outbound, seen from the party.
	Direction string  `json:"direction"`
	From      CallEnd `json:"from"`
	To        CallEnd `json:"to"`
	Owner     struct {
		AccountID   ID `json:"accountId"`
		ExtensionID ID `json:"extensionId"`
	} `json:"owner"`
	Status PartyStatus `json:"status"`
	// Park names where a Parked party is: the orbit number, or a Park
	// Location's extension id.
	Park struct {
		ID ID `json:"id"`
	} `json:"park"`
	Muted      bool `json:"muted"`
	StandAlone bool `json:"standAlone"`
	MissedCall bool `json:"missedCall"`
	// QueueCall marks a user's party of a call that came through a queue;
	// CallInfo then names the queue (uiCallInfo, as presence's callInfo).
	QueueCall bool      `json:"queueCall"`
	CallInfo  *CallInfo `json:"uiCallInfo"`
}

// CallInfo is a party's uiCallInfo: for a queue call, the queue's name and
// the caller's.
type CallInfo struct {
	Primary    CallInfoItem `json:"primary"`
	Additional CallInfoItem `json:"additional"`
}

// Extension is the party's owner: extensionId, else owner.extensionId;
// "" for a party outside the account.
func (p *CallParty) Extension() ID {
	if p.ExtensionID != "" {
		return p.ExtensionID
	}
	return p.Owner.ExtensionID
}

// QueueName is the queue a queue call came through, from uiCallInfo.
func (p *CallParty) QueueName() string {
	if p.CallInfo != nil {
		for _, it := range []CallInfoItem{p.CallInfo.Primary, p.CallInfo.Additional} {
			if it.Type == "QueueName" && it.Value != "" {
				return it.Value
			}
		}
	}
	return ""
}

// Live reports whether the party is still in the call.
func (p *CallParty) Live() bool {
	return p.Status.Code != PartyDisconnected && p.Status.Code != PartyGone
}

// CallEnd is one side of a party (PartyInfo, CallPartyShortInfo).
type CallEnd struct {
	PhoneNumber     string `json:"phoneNumber"`
	ExtensionNumber string `json:"extensionNumber"`
	ExtensionID     ID     `json:"extensionId"`
	Name            string `json:"name"`
	DeviceID        ID     `json:"deviceId"`
}

// PartyStatus is a party's status (CallStatusInfo).
type PartyStatus struct {
	Code        string  `json:"code"`
	Reason      string  `json:"reason"`
	Description string  `json:"description"`
	PeerID      *PeerID `json:"peerId"`
	// ParkData is the orbit ("*801") of a party parked in universal park.
	ParkData string `json:"parkData"`
}

// PeerID links a Gone party to where the call went (PeerInfo).
type PeerID struct {
	SessionID          string `json:"sessionId"`
	TelephonySessionID string `json:"telephonySessionId"`
	PartyID            string `json:"partyId"`
}

// sessionJSON is the wire shape of both sources of a TelephonySession.
type sessionJSON struct {
	ID                 string `json:"id"`
	TelephonySessionID string `json:"telephonySessionId"`
	SessionID          string `json:"sessionId"`
	Sequence           int64  `json:"sequence"`
	EventTime          Time   `json:"eventTime"`
	CreationTime       Time   `json:"creationTime"`
	Origin             struct {
		Type string `json:"type"`
	} `json:"origin"`
	Parties     []CallParty `json:"parties"`
	ServerID    string      `json:"serverId"`
	AccountID   ID          `json:"accountId"`
	ExtensionID ID          `json:"extensionId"`
}

func (s *sessionJSON) session() TelephonySession {
	out := TelephonySession{
		ID: s.ID, SessionID: s.SessionID, Sequence: s.Sequence, EventTime: s.EventTime,
		CreationTime: s.CreationTime, Parties: s.Parties, ServerID: s.ServerID,
		AccountID: string(s.AccountID), ExtensionID: string(s.ExtensionID),
	}
	if out.ID == "" {
		out.ID = s.TelephonySessionID
	}
	out.Origin.Type = s.Origin.Type
	return out
}

// TelephonySessionsFilter is the event filter of telephony session
// events: account-wide (ext "", admins) or one extension's parties.
func TelephonySessionsFilter(ext ID) string {
	if ext == "" {
		return account + "/telephony/sessions"
	}
	return account + "/extension/" + string(ext) + "/telephony/sessions"
}

// TelephonySession is a telephony session notification's body, decoded
// with the frame (KindTelephonySession).
func (n *Notification) TelephonySession() (TelephonySession, error) {
	if n.body == nil {
		return TelephonySession{}, n.noBody()
	}
	b := n.body
	s := sessionJSON{
		TelephonySessionID: b.TelephonySessionID, SessionID: b.SessionID, EventTime: b.EventTime,
		Parties: b.Parties, ServerID: b.ServerID, AccountID: b.AccountID, ExtensionID: b.ExtensionID,
	}
	s.Origin.Type = b.Origin.Type
	if b.Sequence != nil {
		s.Sequence = *b.Sequence
	}
	if s.TelephonySessionID == "" {
		return TelephonySession{}, errors.New("telephony session event without a telephonySessionId")
	}
	return s.session(), nil
}

// TelephonySession reads a session: the parties still in the call (Light;
// a background read, leaving budget to the user's actions).
func (c *Client) TelephonySession(ctx context.Context, id string) (TelephonySession, error) {
	if id == "" {
		return TelephonySession{}, errors.New("telephony session: no id")
	}
	var s sessionJSON
	if err := c.getJSON(ctx, Light, sessionPath(id), nil, &s, true); err != nil {
		return TelephonySession{}, err
	}
	return s.session(), nil
}

func sessionPath(session string) string {
	return account + "/telephony/sessions/" + url.PathEscape(session)
}

func partyPath(session, party string) string {
	return sessionPath(session) + "/parties/" + url.PathEscape(party)
}

// TransferTarget is where a blind transfer sends a call: exactly one
// field set (rc-api.md §6.2).
type TransferTarget struct {
	ExtensionNumber string
	ExtensionID     string
	PhoneNumber     string
	Voicemail       string // an extension id: straight to its voicemail
	ParkOrbit       string // "*801"-"*899", or a Park Location's extension id
}

// ForwardTarget is where a ringing call is forwarded: exactly one field set.
type ForwardTarget struct {
	ExtensionNumber string
	ExtensionID     string
	PhoneNumber     string
	Voicemail       string
}

// ErrTarget is a transfer or forward target with no field, or several,
// set; nothing was sent.
var ErrTarget = errors.New("set exactly one of extension number, extension id, phone number, voicemail or park orbit")

// targetBody renders the one field set, or fails.
func targetBody(fields ...[2]string) (map[string]string, error) {
	body := map[string]string{}
	for _, f := range fields {
		if v := strings.TrimSpace(f[1]); v != "" {
			body[f[0]] = v
		}
	}
	if len(body) != 1 {
		return nil, ErrTarget
	}
	return body, nil
}

// Answer answers a ringing party on one of its owner's devices.
func (c *Client) Answer(ctx context.Context, session, party, deviceID string) (CallParty, error) {
	return c.partyAction(ctx, session, party, "answer", deviceBody(deviceID))
}

// Hold puts an answered party on hold.
func (c *Client) Hold(ctx context.Context, session, party string) (CallParty, error) {
	return c.partyAction(ctx, session, party, "hold", nil)
}

// Unhold takes a held party off hold.
func (c *Client) Unhold(ctx context.Context, session, party string) (CallParty, error) {
	return c.partyAction(ctx, session, party, "unhold", nil)
}

// Park parks an answered or held party in the first free orbit; the answer
// says where (Status.ParkData, Park.ID).
func (c *Client) Park(ctx context.Context, session, party string) (CallParty, error) {
	return c.partyAction(ctx, session, party, "park", nil)
}

// Transfer blind-transfers an answered or held party; the answer is that
// party, Disconnected with reason BlindTransfer. A target with no field or
// several is refused before anything is sent (ErrTarget).
func (c *Client) Transfer(ctx context.Context, session, party string, to TransferTarget) (CallParty, error) {
	body, err := targetBody([2]string{"extensionNumber", to.ExtensionNumber}, [2]string{"extensionId", to.ExtensionID},
		[2]string{"phoneNumber", to.PhoneNumber}, [2]string{"voicemail", to.Voicemail}, [2]string{"parkOrbit", to.ParkOrbit})
	if err != nil {
		return CallParty{}, err
	}
	return c.partyAction(ctx, session, party, "transfer", body)
}

// Forward sends a ringing party's call elsewhere before anyone answers.
func (c *Client) Forward(ctx context.Context, session, party string, to ForwardTarget) (CallParty, error) {
	body, err := targetBody([2]string{"extensionNumber", to.ExtensionNumber}, [2]string{"extensionId", to.ExtensionID},
		[2]string{"phoneNumber", to.PhoneNumber}, [2]string{"voicemail", to.Voicemail})
	if err != nil {
		return CallParty{}, err
	}
	return c.partyAction(ctx, session, party, "forward", body)
}

// Pickup takes a parked call to a device of the signed-in user; the
// answer is the new party, Answered on that device.
func (c *Client) Pickup(ctx context.Context, session, party, deviceID string) (CallParty, error) {
	return c.partyAction(ctx, session, party, "pickup", deviceBody(deviceID))
}

// Ignore lets a queue call ringing the user go on to the next agent.
func (c *Client) Ignore(ctx context.Context, session, party, deviceID string) error {
	if session == "" || party == "" {
		return errNoParty
	}
	_, err := c.callAction(ctx, http.MethodPost, partyPath(session, party)+"/ignore", deviceBody(deviceID))
	return err
}

// HangUp ends the call for everyone in it (DELETE of the party).
func (c *Client) HangUp(ctx context.Context, session, party string) error {
	if session == "" || party == "" {
		return errNoParty
	}
	_, err := c.callAction(ctx, http.MethodDelete, partyPath(session, party), nil)
	return err
}

// Drop ends a whole session (DELETE of the session).
func (c *Client) Drop(ctx context.Context, session string) error {
	if session == "" {
		return errNoParty
	}
	_, err := c.callAction(ctx, http.MethodDelete, sessionPath(session), nil)
	return err
}

var errNoParty = errors.New("call control: no session or party")

func deviceBody(deviceID string) map[string]string {
	if deviceID == "" {
		return map[string]string{}
	}
	return map[string]string{"deviceId": deviceID}
}

// partyAction posts a party action and decodes the party it answers.
func (c *Client) partyAction(ctx context.Context, session, party, action string, body any) (CallParty, error) {
	if session == "" || party == "" {
		return CallParty{}, errNoParty
	}
	raw, err := c.callAction(ctx, http.MethodPost, partyPath(session, party)+"/"+action, body)
	if err != nil {
		return CallParty{}, err
	}
	var p CallParty
	if len(bytes.TrimSpace(raw)) == 0 {
		return p, nil
	}
	return p, decodeBody(raw, &p)
}

// actionWaitMax bounds how long a call-control action waits for the Light
// budget: a transfer that leaves a minute after the key press is worse than
// a clear "try again".
const actionWaitMax = 5 * time.Second

// callAction sends one Call Control request. These are not idempotent (a
// retried transfer could move a call twice), so it is sent again only when
// the server cannot have acted on it: after a 401 (once, with a renewed
// token), after a 429 whose penalty is short, and when the connection
// could not even be opened. Every other failure, 503 included, is the
// caller's to report.
func (c *Client) callAction(ctx context.Context, method, path string, body any) ([]byte, error) {
	target, err := c.resolve(path, nil)
	if err != nil {
		return nil, err
	}
	var payload []byte
	if body != nil {
		if payload, err = json.Marshal(body); err != nil {
			return nil, err
		}
	}
	retried401 := false
	for attempt := 0; ; attempt++ {
		if wait := c.gov.wait(Light); wait > actionWaitMax {
			return nil, &APIError{Status: http.StatusTooManyRequests, Code: "CMN-301",
				Message: "Request rate exceeded (not sent)", RetryAfter: wait}
		}
		if err := c.gov.acquire(ctx, Light, false); err != nil {
			return nil, err
		}
		used, err := c.accessToken(ctx)
		if err != nil {
			return nil, err
		}
		req, err := http.NewRequestWithContext(ctx, method, target, bytes.NewReader(payload))
		if err != nil {
			return nil, err
		}
		if body != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		req.Header.Set("Accept", "application/json")
		req.Header.Set("X-User-Agent", c.opts.UserAgent)
		req.Header.Set("Authorization", "Bearer "+used)
		start := c.opts.Now()
		resp, err := c.http.Do(req)
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			sent := !neverSent(err)
			err = &netError{op: method + " " + req.URL.Path, err: unwrapURLError(err)}
			c.log.Debug("call control failed", "method", method, "path", req.URL.Path, "err", err, "maybe_sent", sent)
			if sent || attempt >= 2 {
				return nil, err
			}
			if err := c.backoff(ctx, attempt); err != nil {
				return nil, err
			}
			continue
		}
		raw, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		resp.Body.Close()
		c.gov.observe(Light, resp.Header)
		c.log.Debug("call control", "method", method, "path", req.URL.Path, "status", resp.StatusCode,
			"ms", c.opts.Now().Sub(start).Milliseconds())
		switch code := resp.StatusCode; {
		case code >= 200 && code < 300:
			if err != nil {
				// The action was done; only its answer was cut short.
				return nil, nil
			}
			return raw, nil
		case code == http.StatusUnauthorized && !retried401:
			retried401 = true
			attempt--
			c.invalidate(used)
			continue
		case code == http.StatusTooManyRequests:
			ae := cleanAPIError(decodeAPIError(resp, raw))
			wait := ae.RetryAfter
			if wait == 0 {
				wait = parseRetryAfter("")
				ae.RetryAfter = wait
			}
			c.gov.penalize(Light, wait)
			if wait > actionWaitMax || attempt >= 2 {
				return nil, ae
			}
			continue // acquire waits the penalty out; the request was not executed
		default:
			return nil, cleanAPIError(decodeAPIError(resp, raw))
		}
	}
}

// wait is how long a request in grp would wait for budget now.
func (g *governor) wait(grp Group) time.Duration {
	g.mu.Lock()
	defer g.mu.Unlock()
	return max(0, g.waitLocked(grp, false))
}

// neverSent reports a transport error from before the request could leave:
// the connection was never opened.
func neverSent(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial"
}

// cleanAPIError makes the server's text safe to show: one line, no control
// or escape sequences, bounded.
func cleanAPIError(ae *APIError) *APIError {
	ae.Code = cleanText(ae.Code, 40)
	ae.Message = cleanText(ae.Message, 200)
	ae.ParameterName = cleanText(ae.ParameterName, 60)
	ae.PermissionName = cleanText(ae.PermissionName, 60)
	return ae
}

// cleanText drops escape sequences and control and format characters,
// folds whitespace to single spaces and caps the length in runes.
func cleanText(s string, maxRunes int) string {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	var b strings.Builder
	n, space := 0, false
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		switch {
		case r == 0x1b: // ESC: skip the whole sequence
			i = skipEscape(s, i)
			continue
		case unicode.IsSpace(r):
			space = n > 0
			continue
		case unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || !unicode.IsPrint(r):
			continue
		}
		if space {
			b.WriteByte(' ')
			space = false
			n++
		}
		if n >= maxRunes {
			return strings.TrimRight(b.String(), " ") + "…"
		}
		b.WriteRune(r)
		n++
	}
	return b.String()
}

// skipEscape returns where the escape sequence whose ESC ends at i ends:
// CSI up to its final byte; OSC, DCS, SOS, PM and APC up to BEL or ST;
// otherwise the one character after ESC.
func skipEscape(s string, i int) int {
	if i >= len(s) {
		return i
	}
	switch s[i] {
	case '[':
		for i++; i < len(s) && (s[i] < 0x40 || s[i] > 0x7e); i++ {
		}
		return i + 1
	case ']', 'P', 'X', '^', '_':
		for i++; i < len(s); i++ {
			if s[i] == 0x07 {
				return i + 1
			}
			if s[i] == 0x1b && i+1 < len(s) && s[i+1] == '\\' {
				return i + 2
			}
		}
		return i
	}
	_, size := utf8.DecodeRuneInString(s[i:])
	return i + size
}

// CallControlError is a short, plain-English reason a call-control action
// failed, for the HUD to show where the action's result would have been.
func CallControlError(err error) string {
	if err == nil {
		return ""
	}
	var ae *APIError
	switch {
	case errors.Is(err, ErrTarget):
		return "choose one target to send the call to"
	case errors.Is(err, errNoParty):
		return "no call to act on"
	case errors.Is(err, context.DeadlineExceeded):
		return "timed out: the call may or may not have changed"
	case errors.Is(err, context.Canceled):
		return "cancelled"
	case errors.Is(err, ErrAuth):
		return "signed out: sign in again"
	case errors.Is(err, ErrUnreachable):
		return "RingCentral could not be reached: the call may not have changed"
	case !errors.As(err, &ae):
		return "failed: " + cleanText(err.Error(), 80)
	}
	switch ae.Status {
	case http.StatusNotFound:
		return "the caller hung up"
	case http.StatusConflict:
		return "the call is no longer ringing/answered"
	case http.StatusForbidden:
		switch ae.Code {
		case "CMN-401", "InsufficientPermissions":
			return "no permission: the app needs " + orDefault(ae.PermissionName, "CallControl")
		case "CMN-408":
			return "no permission: your user needs " + orDefault(ae.PermissionName, "a permission")
		case "CMN-404":
			return "not allowed: it is someone else's call"
		case "CMN-402":
			return "not allowed: it needs an administrator"
		}
		return "not allowed"
	case http.StatusBadRequest:
		if ae.ParameterName != "" && ae.ParameterName != "body" {
			return "refused: invalid " + ae.ParameterName
		}
		return "refused: the request was invalid"
	case http.StatusUnsupportedMediaType:
		return "refused: the request was not understood"
	case http.StatusUnauthorized:
		return "signed out: sign in again"
	case http.StatusTooManyRequests:
		secs := int((ae.RetryAfter + time.Second - 1) / time.Second)
		return "too many requests: try again in " + strconv.Itoa(max(1, secs)) + "s"
	case http.StatusServiceUnavailable:
		return "RingCentral is unavailable: try again"
	}
	if ae.Status >= 500 {
		return "RingCentral failed: the call may or may not have changed"
	}
	return fmt.Sprintf("failed (%d)", ae.Status)
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// Device is one of a user's phones (DeviceResource); its ID is what Answer
// and Pickup take.
type Device struct {
	ID, Type, Name, Status string
	// Phone is the number of its first phone line.
	Phone string
}

// deviceJSON is the part of DeviceResource the client reads.
type deviceJSON struct {
	ID         ID     `json:"id"`
	Type       string `json:"type"`
	Name       string `json:"name"`
	Status     string `json:"status"`
	PhoneLines []struct {
		PhoneInfo struct {
			PhoneNumber string `json:"phoneNumber"`
		} `json:"phoneInfo"`
	} `json:"phoneLines"`
}

// Devices lists an extension's phones ("~": the signed-in user's).
func (c *Client) Devices(ctx context.Context, ext ID) ([]Device, error) {
	if ext == "" {
		ext = "~"
	}
	var out []Device
	err := eachPage(ctx, c, Light, account+"/extension/"+url.PathEscape(string(ext))+"/device", url.Values{"perPage": {"100"}}, true,
		func(ds []deviceJSON) error {
			for _, d := range ds {
				dev := Device{ID: string(d.ID), Type: d.Type, Name: d.Name, Status: d.Status}
				if len(d.PhoneLines) > 0 {
					dev.Phone = d.PhoneLines[0].PhoneInfo.PhoneNumber
				}
				out = append(out, dev)
			}
			return nil
		})
	return out, err
}
