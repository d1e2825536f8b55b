package emulator

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
)

// subscriptionPath is the one REST resource served over the socket
// (rc-api.md §2.6); other paths get 404 CMN-120.
const subscriptionPath = "/restapi/v1.0/subscription"

// wsResponse is a ClientRequest answer before it is framed.
type wsResponse struct {
	status  int
	headers map[string]string
	body    []byte // nil: a header-only frame
}

func jsonResponse(status int, v any) wsResponse {
	b, _ := json.Marshal(v)
	return wsResponse{status: status, body: b}
}

func errorResponse(e *apiError) wsResponse {
	r := wsResponse{status: e.Status, body: e.body()}
	if e.RetryAfter > 0 {
		r.headers = map[string]string{"Retry-After": strconv.Itoa(e.RetryAfter)}
	}
	return r
}

// clientRequest serves a ClientRequest for session s and returns the
// response frame (under p.mu).
func (g *gateway) clientRequest(s *gwSession, fr clientFrame) []byte {
	resp := g.route(s, fr)
	h := map[string]string{"RCRequestId": newRequestID()}
	for k, v := range resp.headers {
		h[k] = v
	}
	if resp.body != nil {
		h["Content-Type"] = "application/json"
	}
	return encodeFrame(frameHeader{
		Type: typeClientRequest, MessageID: fr.Header.MessageID, Status: resp.status, Headers: h,
	}, resp.body)
}

// route dispatches on method and path, counting the request against the
// user's rate limit: Medium for writes, Light for reads (rc-api.md §5.3).
func (g *gateway) route(s *gwSession, fr clientFrame) wsResponse {
	path, _, _ := strings.Cut(fr.Header.Path, "?")
	path = strings.TrimSuffix(path, "/")
	method := strings.ToUpper(fr.Header.Method)
	var id string
	switch {
	case path == subscriptionPath && (method == http.MethodPost || method == http.MethodGet):
	case strings.HasPrefix(path, subscriptionPath+"/") && !strings.Contains(path[len(subscriptionPath)+1:], "/") &&
		(method == http.MethodGet || method == http.MethodPut || method == http.MethodDelete):
		id = path[len(subscriptionPath)+1:]
	default:
		return errorResponse(errInvalidURI())
	}
	group := Medium
	if method == http.MethodGet {
		group = Light
	}
	rr := g.p.checkRate(s.oauth.ext.ID, s.oauth.clientID, group)
	var resp wsResponse
	if !rr.Allowed {
		resp = errorResponse(rr.error())
	} else {
		resp = g.subscriptionRequest(s, method, id, fr.Body)
	}
	if resp.headers == nil {
		resp.headers = map[string]string{}
	}
	for k, v := range rr.headerMap() {
		resp.headers[k] = v
	}
	return resp
}

// subscriptionRequest runs an allowed request on the subscription resource.
func (g *gateway) subscriptionRequest(s *gwSession, method, id string, body json.RawMessage) wsResponse {
	h := g.p.hub
	switch {
	case method == http.MethodPost:
		req, err := decodeSubscription(body, true)
		if err != nil {
			return errorResponse(err)
		}
		if old := s.liveSub(); old != nil {
			// One subscription per session: a valid POST replaces the old one.
			if _, _, err := h.parseFilters(s.oauth.ext, s.oauth.scope, req.EventFilters); err != nil {
				return errorResponse(err)
			}
			h.remove(old)
			s.sub = nil
		}
		sub, err := h.create(s.oauth, req.EventFilters, s)
		if err != nil {
			return errorResponse(err)
		}
		s.sub = sub
		r := jsonResponse(http.StatusOK, h.info(sub))
		r.headers = map[string]string{"WSG-SubscriptionId": sub.ID}
		return r

	case id == "": // GET the list
		out := struct {
			URI     string             `json:"uri"`
			Records []subscriptionJSON `json:"records"`
		}{URI: g.p.base + subscriptionPath, Records: []subscriptionJSON{}}
		for _, sub := range h.list(s.oauth.ext, s.oauth.clientID) {
			out.Records = append(out.Records, h.info(sub))
		}
		return jsonResponse(http.StatusOK, out)

	case method == http.MethodGet:
		sub, ok := h.lookup(id)
		if !ok || sub.Owner != s.oauth.ext || sub.ClientID != s.oauth.clientID {
			return errorResponse(errNotFound("subscriptionId"))
		}
		return jsonResponse(http.StatusOK, h.info(sub))
	}

	// PUT and DELETE act on this session's own subscription only; RCEX-WS
	// re-POSTs when its PUT gets 404.
	sub := s.liveSub()
	if sub == nil || sub.ID != id {
		return errorResponse(errNotFound("subscriptionId"))
	}
	if method == http.MethodDelete {
		h.remove(sub)
		s.sub = nil
		return wsResponse{status: http.StatusNoContent}
	}
	req, err := decodeSubscription(body, false)
	if err != nil {
		return errorResponse(err)
	}
	if err := h.update(sub, req.EventFilters); err != nil {
		return errorResponse(err)
	}
	return jsonResponse(http.StatusOK, h.info(sub))
}

// subscriptionRequestBody is CreateSubscriptionRequest / UpdateSubscriptionRequest.
type subscriptionRequestBody struct {
	EventFilters []string `json:"eventFilters"`
	DeliveryMode *struct {
		TransportType string `json:"transportType"`
	} `json:"deliveryMode"`
}

// decodeSubscription reads a subscription body. A create must name the
// WebSocket transport (SPEC requires deliveryMode); an update may omit it.
func decodeSubscription(body json.RawMessage, create bool) (subscriptionRequestBody, *apiError) {
	var req subscriptionRequestBody
	if body == nil {
		return req, errInvalidParam("eventFilters")
	}
	if b := bytes.TrimSpace(body); len(b) == 0 || b[0] != '{' {
		return req, errBadJSON()
	}
	if err := json.Unmarshal(body, &req); err != nil {
		return req, errBadJSON()
	}
	switch {
	case len(req.EventFilters) == 0:
		return req, errInvalidParam("eventFilters")
	case req.DeliveryMode == nil && create:
		return req, errInvalidParam("deliveryMode")
	case req.DeliveryMode != nil && req.DeliveryMode.TransportType != "WebSocket":
		return req, errInvalidParam("deliveryMode.transportType")
	}
	return req, nil
}
