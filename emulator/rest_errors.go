package emulator

import (
	"net/http"
	"strconv"
)

// Errors only the REST endpoints give; the shared ones live in apierror.go.

func errInternal() *apiError {
	return &apiError{Status: http.StatusInternalServerError, Code: "CMN-203", Message: "Internal Server Error"}
}

// errMethodNotAllowed has no documented RingCentral code; the logical name
// follows the style of InvalidMultipartRequest and InsufficientPermissions.
func errMethodNotAllowed() *apiError {
	return &apiError{Status: http.StatusMethodNotAllowed, Code: "MethodNotAllowed", Message: "Method Not Allowed"}
}

// errInvalidValue is CMN-101 that also echoes the refused value.
func errInvalidValue(param, value string) *apiError {
	e := errInvalidParam(param)
	e.Extra["parameterValue"] = value
	return e
}

// errPresenceBatchLimit is the SPEC's answer to more than 30 ids in a
// presence batch (readUserPresenceStatus description).
func errPresenceBatchLimit() *apiError {
	return &apiError{Status: http.StatusBadRequest, Code: "InvalidMultipartRequest",
		Message: "Extension Presence Info multipart request is limited to " + strconv.Itoa(maxBatchIDs) + " extensions"}
}

// errBatchLimit is the generic batch limit of DOCS errors.md (CMN-106),
// used where the SPEC names no endpoint-specific code.
func errBatchLimit() *apiError {
	return &apiError{Status: http.StatusBadRequest, Code: "CMN-106",
		Message: "Batch request is limited to " + strconv.Itoa(maxBatchIDs) + " entries"}
}

// errWebSocketOverHTTP refuses HTTP changes to WebSocket subscriptions
// (SPEC updateSubscription: they cannot be updated via HTTP).
func errWebSocketOverHTTP(message string) *apiError {
	e := errInvalidParam("deliveryMode.transportType")
	e.Message = message
	return e
}

// errWebHookUnsupported: the emulator delivers over WebSocket only.
func errWebHookUnsupported() *apiError {
	return &apiError{Status: http.StatusForbidden, Code: "CMN-109",
		Message: "WebHook delivery is not available in the RingCentral emulator; subscribe over the WebSocket gateway"}
}
