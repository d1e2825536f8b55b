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
}

func (e *APIError) Error() string {
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
	return b.String()
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
	if json.Unmarshal(body, &raw) == nil {
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

// ErrUnreachable marks a server that could not be reached.
var ErrUnreachable = errors.New("server unreachable")

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
