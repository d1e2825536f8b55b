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
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Call Control (rc-api.md §6.2): the party actions a switchboard takes,
// sent so that none can happen twice, and their failures in plain words.
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
		sl, err := c.gov.acquire(ctx, Light, prioUser)
		if err != nil {
			return nil, err
		}
		used, err := c.accessToken(ctx)
		if err != nil {
			sl.cancel()
			return nil, err
		}
		req, err := http.NewRequestWithContext(ctx, method, target, bytes.NewReader(payload))
		if err != nil {
			sl.cancel()
			return nil, err
		}
		if body != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		req.Header.Set("Accept", "application/json")
		req.Header.Set("X-User-Agent", c.opts.UserAgent)
		req.Header.Set("Authorization", "Bearer "+used)
		sl.sent()
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
	return max(0, g.waitLocked(grp, prioUser))
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
	answered := errors.As(err, &ae) // a 5xx is ErrUnreachable too: its status says more
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
	case errors.Is(err, ErrUnreachable) && !answered:
		return "RingCentral could not be reached: the call may not have changed"
	case !answered:
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
