package emulator

// Subscriptions over HTTP (rc-api.md §2.10). Every subscription the
// emulator holds was created over a WebSocket, so HTTP can list, read,
// renew and delete them but neither create nor update one.

// pathSubscription resolves {subscriptionId} among the caller's own
// subscriptions (same user and app). Another user's id is 404, as if it
// did not exist, so ids cannot be probed.
func (c *restCall) pathSubscription() (*Subscription, *apiError) {
	sub, ok := c.p.hub.lookup(c.r.PathValue("subscriptionId"))
	if !ok || sub.Owner != c.caller || sub.ClientID != c.sess.clientID {
		return nil, errNotFound("subscriptionId")
	}
	return sub, nil
}

// listSubscriptions serves GET /restapi/v1.0/subscription.
func listSubscriptions(c *restCall) (reply, *apiError) {
	out := struct {
		URI     string             `json:"uri"`
		Records []subscriptionJSON `json:"records"`
	}{URI: c.p.base + "/restapi/v1.0/subscription", Records: []subscriptionJSON{}}
	for _, sub := range c.p.hub.list(c.caller, c.sess.clientID) {
		out.Records = append(out.Records, c.p.hub.info(sub))
	}
	return okJSON(out)
}

// createSubscription serves POST /restapi/v1.0/subscription. WebSocket
// subscriptions are made over the socket (400 here); WebHook delivery is
// not emulated (403 CMN-109).
func createSubscription(c *restCall) (reply, *apiError) {
	var req struct {
		EventFilters []string `json:"eventFilters"`
		DeliveryMode struct {
			TransportType string `json:"transportType"`
		} `json:"deliveryMode"`
	}
	if err := c.decode(&req, false); err != nil {
		return reply{}, err
	}
	if len(req.EventFilters) == 0 {
		return reply{}, errInvalidParam("eventFilters")
	}
	switch t := req.DeliveryMode.TransportType; t {
	case "WebSocket":
		return reply{}, errWebSocketOverHTTP("WebSocket subscriptions are created over the WebSocket connection, not over HTTP")
	case "WebHook":
		return reply{}, errWebHookUnsupported()
	default:
		return reply{}, errInvalidValue("deliveryMode.transportType", t)
	}
}

// readSubscription serves GET /restapi/v1.0/subscription/{subscriptionId}.
func readSubscription(c *restCall) (reply, *apiError) {
	sub, err := c.pathSubscription()
	if err != nil {
		return reply{}, err
	}
	return okJSON(c.p.hub.info(sub))
}

// updateSubscription serves PUT /restapi/v1.0/subscription/{subscriptionId}:
// the SPEC says WebSocket subscriptions cannot be updated via HTTP.
func updateSubscription(c *restCall) (reply, *apiError) {
	if _, err := c.pathSubscription(); err != nil {
		return reply{}, err
	}
	return reply{}, errWebSocketOverHTTP("WebSocket subscriptions cannot be updated via HTTP interface")
}

// deleteSubscription serves DELETE /restapi/v1.0/subscription/{subscriptionId};
// the gateway stops delivering to a Deleted subscription.
func deleteSubscription(c *restCall) (reply, *apiError) {
	sub, err := c.pathSubscription()
	if err != nil {
		return reply{}, err
	}
	c.p.hub.remove(sub)
	return noContent()
}

// renewSubscription serves POST /restapi/v1.0/subscription/{subscriptionId}/renew.
// WebSocket subscriptions renew themselves, so this only reports the state.
func renewSubscription(c *restCall) (reply, *apiError) {
	sub, err := c.pathSubscription()
	if err != nil {
		return reply{}, err
	}
	return okJSON(c.p.hub.info(sub))
}
