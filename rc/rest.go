package rc

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

const account = "/restapi/v1.0/account/~"

// page is the common envelope of list responses.
type page[T any] struct {
	Records    []T        `json:"records"`
	Paging     Paging     `json:"paging"`
	Navigation Navigation `json:"navigation"`
}

// eachPage GETs path and then every navigation.nextPage, handing each
// page's records to fn as it arrives.
func eachPage[T any](ctx context.Context, c *Client, g Group, path string, q url.Values, background bool, fn func([]T) error) error {
	return eachPaged(ctx, c, g, path, q, background, func(records []T, _ Paging) error { return fn(records) })
}

// eachPaged is eachPage, handing fn each page's paging block too.
func eachPaged[T any](ctx context.Context, c *Client, g Group, path string, q url.Values, background bool, fn func([]T, Paging) error) error {
	next, query := path, q
	for pages := 0; next != ""; pages++ {
		if pages > 10000 {
			return fmt.Errorf("more than 10000 pages at %s", path)
		}
		var p page[T]
		if err := c.getJSON(ctx, g, next, query, &p, background); err != nil {
			return err
		}
		if err := fn(p.Records, p.Paging); err != nil {
			return err
		}
		next, query = "", nil
		if p.Navigation.NextPage != nil {
			next = p.Navigation.NextPage.URI
		}
	}
	return nil
}

// ListExtensions streams the account's extensions, 1000 a page (rc-api.md
// §4.1). types filters by extension type (none: all).
func (c *Client) ListExtensions(ctx context.Context, types []string, fn func([]Extension) error) error {
	q := url.Values{"perPage": {"1000"}, "status": {"Enabled"}}
	for _, t := range types {
		q.Add("type", t)
	}
	return eachPage(ctx, c, Medium, account+"/extension", q, true, fn)
}

// ExtensionPage is one page of the extension list, with how many the whole
// list holds (0 when the server does not say).
type ExtensionPage struct {
	Records []Extension
	Total   int
}

// ListExtensionPages is ListExtensions, telling with each page how long
// the whole list is.
func (c *Client) ListExtensionPages(ctx context.Context, types []string, fn func(ExtensionPage) error) error {
	q := url.Values{"perPage": {"1000"}, "status": {"Enabled"}}
	for _, t := range types {
		q.Add("type", t)
	}
	return eachPaged(ctx, c, Medium, account+"/extension", q, true, func(exts []Extension, p Paging) error {
		return fn(ExtensionPage{Records: exts, Total: p.TotalElements})
	})
}

// ListExtensionPage reads page number page (from 1) of the extension list,
// 1000 a page, and reports whether another follows.
func (c *Client) ListExtensionPage(ctx context.Context, types []string, page int) (ExtensionPage, bool, error) {
	q := url.Values{"perPage": {"1000"}, "status": {"Enabled"}, "page": {strconv.Itoa(max(1, page))}}
	for _, t := range types {
		q.Add("type", t)
	}
	var p struct {
		Records    []Extension `json:"records"`
		Paging     Paging      `json:"paging"`
		Navigation Navigation  `json:"navigation"`
	}
	if err := c.getJSON(ctx, Medium, account+"/extension", q, &p, true); err != nil {
		return ExtensionPage{}, false, err
	}
	return ExtensionPage{Records: p.Records, Total: p.Paging.TotalElements}, p.Navigation.NextPage != nil, nil
}

// ExtensionTypes are the extension types of the list (rc-api.md §4.1).
var ExtensionTypes = []string{"User", "Department", "Announcement", "Voicemail", "DigitalUser", "VirtualUser", "FaxUser",
	"PagingOnly", "SharedLinesGroup", "DelegatedLinesGroup", "GroupCallPickup", "IvrMenu", "ApplicationExtension",
	"ProxyAdmin", "RoomConnector", "ParkLocation", "Limited", "Bot", "Site", "Room", "FlexibleUser", "TieLine", "Unknown"}

// Favorites lists the company extensions ext keeps as favourites (Light;
// app ReadContacts): the people that user chose to keep at hand.
func (c *Client) Favorites(ctx context.Context, ext ID) ([]ID, error) {
	var out struct {
		Records []struct {
			ExtensionID ID `json:"extensionId"`
		} `json:"records"`
	}
	if err := c.getJSON(ctx, Light, account+"/extension/"+string(ext)+"/favorite", nil, &out, true); err != nil {
		return nil, err
	}
	var ids []ID
	for _, r := range out.Records {
		if r.ExtensionID != "" {
			ids = append(ids, r.ExtensionID)
		}
	}
	return ids, nil
}

// MonitoredLines lists the extensions ext's phone shows the presence of
// (the user's "Presence → Appearance" list in RingCentral; Light, app
// ReadPresence), ext itself left out (lines 1 and 2 always are ext).
func (c *Client) MonitoredLines(ctx context.Context, ext ID) ([]ID, error) {
	type line struct {
		Extension struct {
			ID ID `json:"id"`
		} `json:"extension"`
	}
	var ids []ID
	err := eachPage(ctx, c, Light, account+"/extension/"+string(ext)+"/presence/line", url.Values{"perPage": {"100"}}, true,
		func(ls []line) error {
			for _, l := range ls {
				if id := l.Extension.ID; id != "" && id != ext && !slices.Contains(ids, id) {
					ids = append(ids, id)
				}
			}
			return nil
		})
	return ids, err
}

// GetExtension reads one extension ("~" is the signed-in user).
func (c *Client) GetExtension(ctx context.Context, id ID) (Extension, error) {
	var e Extension
	err := c.getJSON(ctx, Light, account+"/extension/"+string(id), nil, &e, false)
	return e, err
}

// AccountPresence streams every extension's presence, 1000 a page (Heavy
// group: call it on start and after gaps only; rc-api.md §4.2).
func (c *Client) AccountPresence(ctx context.Context, detailed bool, fn func([]Presence) error) error {
	q := url.Values{"perPage": {"1000"}}
	if detailed {
		q.Set("detailedTelephonyState", "true")
	}
	return eachPage(ctx, c, Heavy, account+"/presence", q, true, fn)
}

// ExtensionPresence reads one extension's presence.
func (c *Client) ExtensionPresence(ctx context.Context, id ID, detailed bool) (Presence, error) {
	var p Presence
	q := url.Values{}
	if detailed {
		q.Set("detailedTelephonyState", "true")
	}
	err := c.getJSON(ctx, Light, account+"/extension/"+string(id)+"/presence", q, &p, false)
	return p, err
}

// MaxBatch is the most ids one batch presence GET may carry (rc-api.md §4.5).
const MaxBatch = 30

// BatchResult is one id's part of a batch presence GET.
type BatchResult struct {
	ID       ID
	Presence Presence
	// Err is the part's error (e.g. 404 CMN-102 for an unknown id).
	Err error
}

// BatchPresence reads up to MaxBatch extensions' presence in one call.
func (c *Client) BatchPresence(ctx context.Context, ids []ID, detailed, background bool) ([]BatchResult, error) {
	switch {
	case len(ids) == 0:
		return nil, nil
	case len(ids) > MaxBatch:
		return nil, fmt.Errorf("batch presence: %d ids, at most %d", len(ids), MaxBatch)
	}
	q := url.Values{}
	if detailed {
		q.Set("detailedTelephonyState", "true")
	}
	parts := make([]string, len(ids))
	for i, id := range ids {
		parts[i] = string(id)
	}
	resp, body, err := c.send(ctx, request{method: http.MethodGet, path: account + "/extension/" + strings.Join(parts, ",") + "/presence",
		query: q, group: Light, background: background})
	if err != nil {
		return nil, err
	}
	if len(ids) == 1 {
		var p Presence
		if err := decodeBody(body, &p); err != nil {
			return nil, err
		}
		return []BatchResult{{ID: ids[0], Presence: p}}, nil
	}
	results, err := parseBatch(resp.Header.Get("Content-Type"), body)
	if err != nil {
		return nil, err
	}
	if len(results) != len(ids) {
		return nil, fmt.Errorf("batch presence: %d parts for %d ids", len(results), len(ids))
	}
	for i := range results {
		results[i].ID = ids[i]
	}
	return results, nil
}

// PutPresence changes an extension's presence (own, or anyone's for an
// admin) and returns the new state.
func (c *Client) PutPresence(ctx context.Context, id ID, u PresenceUpdate) (Presence, error) {
	var p Presence
	err := c.writeJSON(ctx, http.MethodPut, Medium, account+"/extension/"+string(id)+"/presence", u, &p)
	return p, err
}

// ListCallQueues lists the account's call queues; memberOf (optional)
// keeps only those the extension belongs to.
func (c *Client) ListCallQueues(ctx context.Context, memberOf ID) ([]CallQueue, error) {
	q := url.Values{"perPage": {"1000"}}
	if memberOf != "" {
		q.Set("memberExtensionId", string(memberOf))
	}
	var all []CallQueue
	err := eachPage(ctx, c, Medium, account+"/call-queues", q, true, func(qs []CallQueue) error {
		all = append(all, qs...)
		return nil
	})
	return all, err
}

// CallQueue reads one queue's details (editableMemberStatus among them).
func (c *Client) CallQueue(ctx context.Context, id ID) (CallQueue, error) {
	var q CallQueue
	err := c.getJSON(ctx, Light, account+"/call-queues/"+string(id), nil, &q, true)
	return q, err
}

// QueueMembers lists a queue's members.
func (c *Client) QueueMembers(ctx context.Context, id ID) ([]QueueMember, error) {
	var all []QueueMember
	err := eachPage(ctx, c, Light, account+"/call-queues/"+string(id)+"/members", url.Values{"perPage": {"1000"}}, true,
		func(ms []QueueMember) error {
			all = append(all, ms...)
			return nil
		})
	return all, err
}

// QueuePresence reads every member's availability in a queue.
func (c *Client) QueuePresence(ctx context.Context, id ID) ([]QueueMemberPresence, error) {
	var out struct {
		Records []QueueMemberPresence `json:"records"`
	}
	err := c.getJSON(ctx, Light, account+"/call-queues/"+string(id)+"/presence", nil, &out, true)
	return out.Records, err
}

// PutQueuePresence sets members' availability in a queue (admins).
func (c *Client) PutQueuePresence(ctx context.Context, queue ID, accept map[ID]bool) ([]QueueMemberPresence, error) {
	type rec struct {
		Member struct {
			ID string `json:"id"`
		} `json:"member"`
		AcceptCurrentQueueCalls bool `json:"acceptCurrentQueueCalls"`
	}
	var in struct {
		Records []rec `json:"records"`
	}
	for id, v := range accept {
		var r rec
		r.Member.ID, r.AcceptCurrentQueueCalls = string(id), v
		in.Records = append(in.Records, r)
	}
	var out struct {
		Records []QueueMemberPresence `json:"records"`
	}
	err := c.writeJSON(ctx, http.MethodPut, Medium, account+"/call-queues/"+string(queue)+"/presence", in, &out)
	return out.Records, err
}

// MyQueuePresence reads an extension's availability in each of its queues.
func (c *Client) MyQueuePresence(ctx context.Context, ext ID) ([]MyQueuePresence, error) {
	var out struct {
		Records []MyQueuePresence `json:"records"`
	}
	err := c.getJSON(ctx, Light, account+"/extension/"+string(ext)+"/call-queue-presence", nil, &out, false)
	return out.Records, err
}

// PutMyQueuePresence sets an extension's availability per queue.
func (c *Client) PutMyQueuePresence(ctx context.Context, ext ID, accept map[ID]bool) ([]MyQueuePresence, error) {
	type rec struct {
		CallQueue struct {
			ID string `json:"id"`
		} `json:"callQueue"`
		AcceptCalls bool `json:"acceptCalls"`
	}
	var in struct {
		Records []rec `json:"records"`
	}
	for id, v := range accept {
		var r rec
		r.CallQueue.ID, r.AcceptCalls = string(id), v
		in.Records = append(in.Records, r)
	}
	var out struct {
		Records []MyQueuePresence `json:"records"`
	}
	err := c.writeJSON(ctx, http.MethodPut, Medium, account+"/extension/"+string(ext)+"/call-queue-presence", in, &out)
	return out.Records, err
}

// SubscriptionInfo is the part of a subscription the client uses.
type SubscriptionInfo struct {
	ID              string   `json:"id"`
	EventFilters    []string `json:"eventFilters"`
	DisabledFilters []struct {
		Filter  string `json:"filter"`
		Reason  string `json:"reason"`
		Message string `json:"message"`
	} `json:"disabledFilters"`
	DeliveryMode struct {
		TransportType string `json:"transportType"`
	} `json:"deliveryMode"`
}

// ListSubscriptions lists this user's subscriptions through this app.
func (c *Client) ListSubscriptions(ctx context.Context) ([]SubscriptionInfo, error) {
	var out struct {
		Records []SubscriptionInfo `json:"records"`
	}
	err := c.getJSON(ctx, Light, "/restapi/v1.0/subscription", nil, &out, true)
	return out.Records, err
}

// DeleteSubscription cancels a subscription over HTTP.
func (c *Client) DeleteSubscription(ctx context.Context, id string) error {
	_, _, err := c.send(ctx, request{method: http.MethodDelete, path: "/restapi/v1.0/subscription/" + url.PathEscape(id), group: Medium, background: true})
	return err
}

// IDs turns strings into IDs.
func IDs(ss ...string) []ID {
	out := make([]ID, len(ss))
	for i, s := range ss {
		out[i] = ID(s)
	}
	return out
}

// Int64 parses a numeric id (0 if it is not numeric).
func (id ID) Int64() int64 {
	n, _ := strconv.ParseInt(string(id), 10, 64)
	return n
}

// decodePart decodes one batch part: a presence or an error body.
func decodePart(status int, body []byte) BatchResult {
	if status >= 200 && status < 300 {
		var p Presence
		if err := json.Unmarshal(body, &p); err != nil {
			return BatchResult{Err: fmt.Errorf("decode batch part: %w", err)}
		}
		return BatchResult{Presence: p}
	}
	resp := &http.Response{StatusCode: status, Header: http.Header{}}
	return BatchResult{Err: decodeAPIError(resp, body)}
}
