package emulator

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
)

// apiError is a RingCentral API error: the HTTP status and the standard
// error JSON (rc-api.md §5.1), with the first error's code, message and
// extra properties repeated at top level as real responses do.
type apiError struct {
	Status     int
	Code       string
	Message    string
	Extra      map[string]string // parameterName, permissionName, ...
	RetryAfter int               // seconds, for 429
	// TopCode, when set, is the top-level errorCode where real responses
	// put a legacy name instead of the code (InsufficientPermissions).
	TopCode string
}

func (e *apiError) Error() string { return fmt.Sprintf("%d %s: %s", e.Status, e.Code, e.Message) }

// body renders the standard error JSON.
func (e *apiError) body() []byte {
	inner := map[string]string{"errorCode": e.Code, "message": e.Message}
	outer := map[string]any{"errorCode": e.Code, "message": e.Message}
	for k, v := range e.Extra {
		inner[k] = v
		outer[k] = v
	}
	if e.TopCode != "" {
		outer["errorCode"] = e.TopCode
	}
	outer["errors"] = []map[string]string{inner}
	b, _ := json.Marshal(outer)
	return b
}

// write sends the error as an HTTP response.
func (e *apiError) write(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "application/json")
	if e.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(e.RetryAfter))
	}
	w.WriteHeader(e.Status)
	_, _ = w.Write(e.body())
}

func errNotFound(param string) *apiError {
	return &apiError{Status: http.StatusNotFound, Code: "CMN-102",
		Message: "Resource for parameter [" + param + "] is not found",
		Extra:   map[string]string{"parameterName": param}}
}

func errInvalidParam(param string) *apiError {
	return &apiError{Status: http.StatusBadRequest, Code: "CMN-101",
		Message: "Parameter [" + param + "] value is invalid",
		Extra:   map[string]string{"parameterName": param}}
}

func errBadJSON() *apiError {
	return &apiError{Status: http.StatusBadRequest, Code: "CMN-103", Message: "JSON can't be parsed"}
}

func errInvalidURI() *apiError {
	return &apiError{Status: http.StatusNotFound, Code: "CMN-120", Message: "Invalid URI"}
}

func errUserPermission(perm string) *apiError {
	return &apiError{Status: http.StatusForbidden, Code: "CMN-408",
		Message: "In order to call this API endpoint, user needs to have [" + perm + "] permission for requested resource.",
		Extra:   map[string]string{"permissionName": perm}}
}

func errOtherExtension() *apiError {
	return &apiError{Status: http.StatusForbidden, Code: "CMN-404",
		Message: "Access to another extension's resource is not allowed"}
}

func errFeatureForType() *apiError {
	return &apiError{Status: http.StatusForbidden, Code: "CMN-403",
		Message: "Feature is not available for this extension type"}
}

func errRateLimited(retryAfter int) *apiError {
	return &apiError{Status: http.StatusTooManyRequests, Code: "CMN-301",
		Message: "Request rate exceeded", RetryAfter: retryAfter}
}

func errUnavailable() *apiError {
	return &apiError{Status: http.StatusServiceUnavailable, Code: "CMN-201",
		Message: "Service Temporary Unavailable"}
}

// 401 bodies use the legacy top-level name plus the OAU code in errors[]
// (rc-api.md §1.6).
func errTokenNotFound() *apiError {
	return &apiError{Status: http.StatusUnauthorized, Code: "OAU-213", Message: "Token not found"}
}

func errTokenExpired() *apiError {
	return &apiError{Status: http.StatusUnauthorized, Code: "OAU-128", Message: "Access token expired"}
}

func errNoToken() *apiError {
	return &apiError{Status: http.StatusUnauthorized, Code: "OAU-123", Message: "Authorization header is not specified"}
}

// legacyAuthBody renders a 401 with the legacy top-level errorCode name.
func (e *apiError) legacyAuthBody() []byte {
	top := "TokenInvalid"
	if e.Code == "OAU-128" {
		top = "TokenExpired"
	}
	b, _ := json.Marshal(map[string]any{
		"errorCode": top, "message": e.Message,
		"errors": []map[string]string{{"errorCode": e.Code, "message": e.Message}},
	})
	return b
}

// oauthError is a token-endpoint error: RFC 6749 error plus errors[].
type oauthError struct {
	Status      int
	Err         string
	Code        string
	Description string
}

func (e *oauthError) write(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(e.Status)
	b, _ := json.Marshal(map[string]any{
		"error": e.Err, "error_description": e.Description,
		"errors": []map[string]string{{"errorCode": e.Code, "message": e.Description}},
	})
	_, _ = w.Write(b)
}

var (
	oauthInvalidCredentials = &oauthError{http.StatusBadRequest, "invalid_grant", "OAU-140", "Invalid resource owner credentials"}
	oauthClientRequired     = &oauthError{http.StatusUnauthorized, "invalid_client", "OAU-123", "Client authentication is required"}
	oauthInvalidClient      = &oauthError{http.StatusUnauthorized, "invalid_client", "OAU-153", "Invalid client: "}
	oauthUnsupportedGrant   = &oauthError{http.StatusBadRequest, "unsupported_grant_type", "OAU-250", "Unsupported grant type"}
	oauthRefreshNotFound    = &oauthError{http.StatusBadRequest, "invalid_grant", "OAU-211", "Token is revoked"}
	oauthRefreshExpired     = &oauthError{http.StatusBadRequest, "invalid_grant", "OAU-210", "Token expired"}
	oauthBadRequest         = &oauthError{http.StatusBadRequest, "invalid_request", "OAU-111", "Invalid request"}
)
