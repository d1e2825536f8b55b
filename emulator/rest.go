package emulator

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
)

// restRoute is one REST endpoint and its throttling group (rc-api.md §5.3).
type restRoute struct {
	pattern string
	group   Group
	handle  restHandler
}

// restHandler serves one endpoint with Platform.mu held. It returns the
// reply, which is written after the lock is released, or an API error.
type restHandler func(c *restCall) (reply, *apiError)

// restCall is one authenticated REST request in flight.
type restCall struct {
	p       *Platform
	r       *http.Request
	sess    *oauthSession
	caller  *Extension
	body    []byte
	bodyErr error
}

// reply is a rendered response, written once Platform.mu is released so a
// slow reader never holds up the platform.
type reply struct {
	status      int
	contentType string
	body        []byte
}

// maxRequestBody bounds request bodies; no request of the API comes close.
const maxRequestBody = 1 << 20

const accountPath = "/restapi/v1.0/account/{accountId}"

// restRoutes lists every REST endpoint the emulator serves.
func restRoutes() []restRoute {
	const ext = accountPath + "/extension/{extensionId}"
	const queue = accountPath + "/call-queues/{groupId}"
	return []restRoute{
		{"GET " + accountPath, Light, readAccountInfo},
		{"GET " + accountPath + "/business-address", Light, readBusinessAddress},
		{"GET " + accountPath + "/extension", Medium, listExtensions},
		{"GET " + ext, Light, readExtension},
		{"GET " + accountPath + "/presence", Heavy, readAccountPresence},
		{"GET " + ext + "/presence", Light, readExtensionPresence},
		{"PUT " + ext + "/presence", Medium, updateExtensionPresence},
		{"GET " + ext + "/presence/line", Light, listLines},
		{"PUT " + ext + "/presence/line", Medium, updateLines},
		{"GET " + ext + "/favorite", Light, listFavorites},
		{"PUT " + ext + "/favorite", Medium, updateFavorites},
		{"GET " + ext + "/unified-presence", Medium, readUnifiedPresence},
		{"PATCH " + ext + "/unified-presence", Medium, updateUnifiedPresence},
		{"GET " + ext + "/call-queue-presence", Light, readExtensionQueuePresence},
		{"PUT " + ext + "/call-queue-presence", Medium, updateExtensionQueuePresence},
		{"GET " + accountPath + "/call-queues", Medium, listCallQueues},
		{"GET " + queue, Light, readCallQueue},
		{"PUT " + queue, Light, updateCallQueue},
		{"GET " + queue + "/members", Light, listCallQueueMembers},
		{"GET " + queue + "/presence", Light, readCallQueuePresence},
		{"PUT " + queue + "/presence", Medium, updateCallQueuePresence},
		{"GET /restapi/v1.0/subscription", Light, listSubscriptions},
		{"GET /restapi/v1.0/subscription/{$}", Light, listSubscriptions},
		{"POST /restapi/v1.0/subscription", Medium, createSubscription},
		{"POST /restapi/v1.0/subscription/{$}", Medium, createSubscription},
		{"GET /restapi/v1.0/subscription/{subscriptionId}", Light, readSubscription},
		{"PUT /restapi/v1.0/subscription/{subscriptionId}", Medium, updateSubscription},
		{"DELETE /restapi/v1.0/subscription/{subscriptionId}", Medium, deleteSubscription},
		{"POST /restapi/v1.0/subscription/{subscriptionId}/renew", Light, renewSubscription},
	}
}

// registerREST adds the REST API routes and the catch-all that answers
// everything else under /restapi/ with RingCentral's error JSON.
func (e *Emulator) registerREST() {
	for _, rt := range slices.Concat(restRoutes(), telephonyRoutes(), activeCallRoutes()) {
		e.mux.HandleFunc(rt.pattern, e.serveREST(rt.group, rt.handle))
	}
	e.mux.HandleFunc("/restapi/", e.logged("", e.unknownREST))
}

// serveREST wraps a handler with the request log, the common front
// (begin), the account check, the route's permissions (checkRoute), and
// writing the reply after the platform lock is released.
func (e *Emulator) serveREST(g Group, h restHandler) http.HandlerFunc {
	return e.logged(g, func(w http.ResponseWriter, r *http.Request) {
		c := &restCall{p: e.p, r: r}
		if r.Method != http.MethodGet && r.Method != http.MethodHead { // DELETE party has an optional body too
			// Read before begin takes the lock: a slow body must not stall the platform.
			c.body, c.bodyErr = io.ReadAll(http.MaxBytesReader(w, r.Body, maxRequestBody))
		}
		sess, ok := e.begin(w, r, g)
		if !ok {
			return
		}
		c.sess, c.caller = sess, sess.ext
		res, ae := func() (reply, *apiError) {
			defer e.p.mu.Unlock()
			if seg := r.PathValue("accountId"); seg != "" && !e.p.accountMatches(seg) {
				return reply{}, errNotFound("accountId")
			}
			if ae := c.checkRoute(); ae != nil {
				return reply{}, ae
			}
			return h(c)
		}()
		if ae != nil {
			ae.write(w)
			return
		}
		res.write(w)
	})
}

func (res reply) write(w http.ResponseWriter) {
	if res.contentType != "" {
		w.Header().Set("Content-Type", res.contentType)
	}
	w.WriteHeader(res.status)
	_, _ = w.Write(res.body)
}

// jsonReply renders v as a JSON reply.
func jsonReply(status int, v any) (reply, *apiError) {
	b, err := marshalJSON(v)
	if err != nil {
		return reply{}, errInternal()
	}
	return reply{status: status, contentType: "application/json", body: b}, nil
}

// marshalJSON is json.Marshal with & < > left as they are (as RingCentral
// writes its URIs) rather than Go's \u0026 escapes.
func marshalJSON(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

func okJSON(v any) (reply, *apiError) { return jsonReply(http.StatusOK, v) }

func noContent() (reply, *apiError) { return reply{status: http.StatusNoContent}, nil }

// unknownREST answers paths the API does not have with 404 CMN-120, and
// known paths asked with the wrong method with 405.
func (e *Emulator) unknownREST(w http.ResponseWriter, r *http.Request) {
	if allow := e.allowedMethods(r); len(allow) > 0 {
		w.Header().Set("Allow", strings.Join(allow, ", "))
		errMethodNotAllowed().write(w)
		return
	}
	errInvalidURI().write(w)
}

// allowedMethods lists the methods some other route serves r's path with.
func (e *Emulator) allowedMethods(r *http.Request) []string {
	_, fallback := e.mux.Handler(r)
	var allow []string
	for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete} {
		if m == r.Method {
			continue
		}
		probe := r.Clone(r.Context())
		probe.Method = m
		if _, pattern := e.mux.Handler(probe); pattern != fallback && pattern != "" {
			allow = append(allow, m)
		}
	}
	return allow
}

// extension resolves an {extensionId} value ("~" is the caller).
func (c *restCall) extension(seg string) (*Extension, *apiError) {
	ext, ok := c.p.lookupExtension(seg, c.caller)
	if !ok {
		return nil, errNotFound("extensionId")
	}
	return ext, nil
}

// pathExtension resolves the request's single {extensionId}.
func (c *restCall) pathExtension() (*Extension, *apiError) {
	return c.extension(c.r.PathValue("extensionId"))
}

// pathQueue resolves the request's {groupId} to a call queue.
func (c *restCall) pathQueue() (*Queue, *apiError) {
	id, err := strconv.ParseInt(c.r.PathValue("groupId"), 10, 64)
	if err != nil {
		return nil, errNotFound("groupId")
	}
	ext, ok := c.p.dir.ByID[id]
	if !ok || ext.Queue == nil {
		return nil, errNotFound("groupId")
	}
	return ext.Queue, nil
}

// mayActFor reports whether the caller may read or change ext's own
// settings: their own, or anyone's for an admin.
func (c *restCall) mayActFor(ext *Extension) bool { return ext == c.caller || c.caller.Admin }

// boolParam reads a boolean query parameter; absent means false.
func (c *restCall) boolParam(name string) (bool, *apiError) {
	v := c.r.URL.Query().Get(name)
	switch strings.ToLower(v) {
	case "", "false":
		return false, nil
	case "true":
		return true, nil
	}
	return false, errInvalidParam(name)
}

// detailLevel reads detailedTelephonyState and sipData (sipData implies
// detailed, as it does for event filters).
func (c *restCall) detailLevel() (detail, *apiError) {
	detailed, err := c.boolParam("detailedTelephonyState")
	if err != nil {
		return 0, err
	}
	sip, err := c.boolParam("sipData")
	if err != nil {
		return 0, err
	}
	switch {
	case sip:
		return detailSIP, nil
	case detailed:
		return detailCalls, nil
	}
	return detailSimple, nil
}

// decode parses the JSON request body into v: malformed JSON is CMN-103,
// a value of the wrong type CMN-101 naming the field ("body" for the whole
// body). An empty body is an empty object when optional.
func (c *restCall) decode(v any, optional bool) *apiError {
	if c.bodyErr != nil {
		return errBadJSON()
	}
	if len(bytes.TrimSpace(c.body)) == 0 {
		if optional {
			return nil
		}
		return errBadJSON()
	}
	err := json.Unmarshal(c.body, v)
	var te *json.UnmarshalTypeError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &te) && te.Field != "":
		return errInvalidParam(te.Field)
	case errors.As(err, &te):
		return errInvalidParam("body")
	}
	return errBadJSON()
}

// flexID is an id in a request body. RingCentral documents ids as strings;
// like its JSON binding it also takes a bare integer. Anything else leaves
// it unset, and the handler names the field in its CMN-101.
type flexID struct {
	value string
	ok    bool
}

func (f *flexID) UnmarshalJSON(b []byte) error {
	*f = flexID{}
	var s string
	if json.Unmarshal(b, &s) == nil {
		*f = flexID{value: s, ok: s != ""}
		return nil
	}
	var n json.Number
	if json.Unmarshal(b, &n) == nil {
		if _, err := n.Int64(); err == nil {
			*f = flexID{value: n.String(), ok: true}
		}
	}
	return nil
}
