package rc

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// APIError is a RingCentral error response: the HTTP status and the
// standard error JSON (rc-api.md §5.1) or an OAuth error (§1.6).
type APIError struct {
	Status int
	// Code is errors[0].errorCode (e.g. CMN-102, OAU-140), falling back
	// to the top-level errorCode.
	Code    string
	Message string
	// OAuth is the RFC 6749 error of a token-endpoint failure.
	OAuth          string
	ParameterName  string
	PermissionName string
	RetryAfter     time.Duration
	// Foreign marks an answer without RingCentral's error body: a server
	// that is not RingCentral (or a proxy in between).
	Foreign bool
}

func (e *APIError) Error() string {
	if hint := e.permission(); hint != "" {
		return hint
	}
	var b strings.Builder
	fmt.Fprintf(&b, "RingCentral answered %d", e.Status)
	if e.Code != "" {
		b.WriteString(" " + oneLine(e.Code, 40))
	}
	if e.OAuth != "" {
		b.WriteString(" (" + oneLine(e.OAuth, 40) + ")")
	}
	if e.Message != "" {
		b.WriteString(": " + oneLine(e.Message, 200))
	}
	if notRingCentral(e) {
		b.WriteString(" (not a RingCentral answer: is " + EnvServerURL + " a RingCentral server?)")
	}
	return b.String()
}

// permission says, in one line, which permission a 403 lacks and what to
// do about it ("" when the error is not about a permission). Codes from
// rc-api.md §5.2; SUB-528 from §2.1.
func (e *APIError) permission() string {
	if e.Status != http.StatusForbidden {
		return ""
	}
	name := oneLine(e.PermissionName, 60)
	if name == "" {
		// Some answers name it only in the message: "... have [ReadPresence] permission".
		if _, rest, ok := strings.Cut(e.Message, "["); ok {
			if n, _, ok := strings.Cut(rest, "]"); ok {
				name = oneLine(n, 60)
			}
		}
	}
	switch e.Code {
	case "CMN-401":
		if name == "" {
			name = "required"
		}
		return "the app lacks the " + name + " permission (RingCentral answered 403 CMN-401): add it to the app in the RingCentral developer console"
	case "SUB-528":
		return "the app lacks the WebSocket Subscriptions permission (RingCentral answered 403 SUB-528): add it to the app in the RingCentral developer console"
	case "CMN-408":
		if name == "" {
			name = "required"
		}
		return "your user lacks the " + name + " permission (RingCentral answered 403 CMN-408): ask an account administrator to add it to your role"
	case "CMN-402":
		return "this needs an administrator's permission (RingCentral answered 403 CMN-402): ask an account administrator"
	}
	return ""
}

// Is makes errors.Is(err, ErrPermission) hold for a missing permission,
// and errors.Is(err, ErrUnreachable) for a server error (5xx): the server
// is there but cannot serve.
func (e *APIError) Is(target error) bool {
	switch target {
	case ErrPermission:
		return e.permission() != ""
	case ErrUnreachable:
		return e.Status >= 500
	}
	return false
}

// oneLine keeps server text to one bounded line.
func oneLine(s string, max int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > max {
		s = s[:max] + "…"
	}
	return s
}

// decodeAPIError builds an APIError from a failed response's body.
func decodeAPIError(resp *http.Response, body []byte) *APIError {
	e := &APIError{Status: resp.StatusCode}
	var raw struct {
		ErrorCode        string `json:"errorCode"`
		Message          string `json:"message"`
		Error            string `json:"error"`
		ErrorDescription string `json:"error_description"`
		Errors           []struct {
			ErrorCode      string `json:"errorCode"`
			Message        string `json:"message"`
			ParameterName  string `json:"parameterName"`
			PermissionName string `json:"permissionName"`
		} `json:"errors"`
	}
	if json.Unmarshal(body, &raw) != nil || raw.ErrorCode == "" && raw.Error == "" && len(raw.Errors) == 0 && raw.Message == "" {
		// Not RingCentral's error body: most likely not RingCentral.
		e.Foreign = true
	} else {
		e.Code, e.Message, e.OAuth = raw.ErrorCode, raw.Message, raw.Error
		if e.Message == "" {
			e.Message = raw.ErrorDescription
		}
		if len(raw.Errors) > 0 {
			first := raw.Errors[0]
			e.Code = first.ErrorCode
			if first.Message != "" {
				e.Message = first.Message
			}
			e.ParameterName, e.PermissionName = first.ParameterName, first.PermissionName
		}
	}
	if e.Message == "" {
		e.Message = http.StatusText(resp.StatusCode)
	}
	if ra := resp.Header.Get("Retry-After"); ra != "" {
		e.RetryAfter = parseRetryAfter(ra)
	}
	return e
}

// ErrAuth marks a refused sign-in: bad app credentials or JWT.
var ErrAuth = errors.New("authentication refused")

// ErrUnreachable marks a server that could not be reached, or did not
// answer in time.
var ErrUnreachable = errors.New("server unreachable")

// ErrPermission marks a request refused because the app or the user lacks
// a permission (403 CMN-401, CMN-402, CMN-408, SUB-528): retrying cannot
// help, and the error text says what is missing and what to do.
var ErrPermission = errors.New("permission missing")

// ErrRateLimited marks a request still waiting for RingCentral's rate
// limit when its context ended (a *RateLimitError).
var ErrRateLimited = errors.New("rate limited")

// authError wraps an OAuth refusal so errors.Is(err, ErrAuth) holds.
type authError struct{ api *APIError }

func (e *authError) Error() string { return "sign-in refused: " + e.api.Error() }
func (e *authError) Unwrap() []error {
	return []error{ErrAuth, e.api}
}

// netError wraps a transport failure so errors.Is(err, ErrUnreachable)
// holds. Its text never includes the request URL's query.
type netError struct {
	op  string
	err error
}

func (e *netError) Error() string { return e.op + ": " + e.err.Error() }
func (e *netError) Unwrap() []error {
	return []error{ErrUnreachable, e.err}
}

// IsStatus reports whether err is an APIError with the given HTTP status.
func IsStatus(err error, status int) bool {
	var ae *APIError
	return errors.As(err, &ae) && ae.Status == status
}
