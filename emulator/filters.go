package emulator

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// filterKind is what an event filter listens to.
type filterKind int

const (
	filterExtensionPresence filterKind = iota
	filterAccountPresence
	filterQueuePresence
	// filterAccountSessions and filterExtensionSessions are telephony
	// session events, account-wide or of one extension (rc-api.md §6.3).
	filterAccountSessions
	filterExtensionSessions
	// filterInert is a valid RingCentral filter the emulator never fires
	// (message store, roster), accepted so that clients that ask for more
	// than presence still subscribe.
	filterInert
)

// eventFilter is a parsed, permission-checked filter.
type eventFilter struct {
	Expanded string // with ~ replaced by real ids, as returned to the client
	Kind     filterKind
	Ext      *Extension // filterExtensionPresence
	Queue    *Queue     // filterQueuePresence
	Level    detail
	// List is the favorites or monitored lines a watch filter follows
	// (filters_directory.go).
	List *watchList
}

// disabledFilter is SubscriptionInfo.disabledFilters[] (filters not granted).
type disabledFilter struct {
	Filter  string `json:"filter"`
	Reason  string `json:"reason"`
	Message string `json:"message,omitempty"`
}

// parseFilter parses one event filter for owner. It returns a disabled entry instead when the filter is
// valid but not granted, and ok=false when the filter is not a valid
// RingCentral event filter at all (SUB-508).
func (p *Platform) parseFilter(raw string, owner *Extension) (f eventFilter, dis *disabledFilter, ok bool) {
	path, query, _ := strings.Cut(raw, "?")
	q, err := url.ParseQuery(query)
	if err != nil {
		return f, nil, false
	}
	path = strings.TrimSuffix(path, "/")
	segs := strings.Split(strings.TrimPrefix(path, "/"), "/")
	if len(segs) < 4 || segs[0] != "restapi" || segs[1] != "v1.0" || segs[2] != "account" || !p.accountMatches(segs[3]) {
		return f, nil, false
	}
	segs[3] = strconv.FormatInt(p.dir.AccountID, 10)
	rest := segs[4:]
	f.Level = detailSimple
	if q.Get("detailedTelephonyState") == "true" {
		f.Level = detailCalls
	}
	if q.Get("sipData") == "true" {
		f.Level = detailSIP
	}
	var canonQuery string
	switch f.Level {
	case detailCalls:
		canonQuery = "?detailedTelephonyState=true"
	case detailSIP:
		canonQuery = "?detailedTelephonyState=true&sipData=true"
	}
	expand := func() string { return "/" + strings.Join(segs, "/") }

	switch {
	case len(rest) == 1 && rest[0] == "presence":
		f.Kind = filterAccountPresence
		f.Expanded = expand() + canonQuery
		if !p.userHas(owner, PermReadPresenceStatus) {
			e := errUserPermission(PermReadPresenceStatus)
			return f, &disabledFilter{Filter: f.Expanded, Reason: e.Code, Message: e.Message}, true
		}
		return f, nil, true

	case len(rest) == 3 && rest[0] == "extension" && rest[2] == "presence":
		ext, found := p.lookupExtension(rest[1], owner)
		if rest[1] != "~" {
			if _, err := strconv.ParseInt(rest[1], 10, 64); err != nil {
				return f, nil, false
			}
		} else {
			segs[5] = owner.IDString()
		}
		f.Kind = filterExtensionPresence
		f.Expanded = expand() + canonQuery
		switch {
		case !found:
			return f, &disabledFilter{Filter: f.Expanded, Reason: "SUB-408", Message: "Unknown user"}, true
		case !ext.HasPresence():
			return f, &disabledFilter{Filter: f.Expanded, Reason: "SUB-402", Message: "Presence is disabled for this extension type"}, true
		case ext != owner && !owner.Admin && !ext.Presence.AllowSeeMyPresence:
			return f, &disabledFilter{Filter: f.Expanded, Reason: "SUB-403", Message: "User has disallowed monitoring of their presence"}, true
		}
		f.Ext = ext
		return f, nil, true

	case len(rest) == 3 && rest[0] == "call-queues" && rest[2] == "presence":
		f.Kind = filterQueuePresence
		f.Expanded = expand()
		id, err := strconv.ParseInt(rest[1], 10, 64)
		if err != nil {
			return f, nil, false
		}
		qe, found := p.dir.ByID[id]
		if !found || qe.Queue == nil {
			return f, &disabledFilter{Filter: f.Expanded, Reason: "SUB-408", Message: "Unknown call queue"}, true
		}
		f.Queue = qe.Queue
		return f, nil, true
	}

	if f, dis, ok := p.parseSessionsFilter(rest, segs, query, owner); ok {
		return f, dis, ok
	}

	if f, dis, ok, handled := p.parseDirectoryFilter(segs, f.Level, canonQuery, owner); handled {
		return f, dis, ok
	}

	// Other real filters are accepted and never fire.
	inert := [][]string{
		{"extension", "*", "message-store"},
		{"extension", "*", "presence", "dnd"},
	}
	for _, pat := range inert {
		if matchSegs(rest, pat) {
			for i := range rest {
				if rest[i] == "~" && i > 0 && rest[i-1] == "extension" {
					segs[4+i] = owner.IDString()
				}
			}
			f.Kind = filterInert
			f.Expanded = expand()
			if query != "" {
				f.Expanded += "?" + query
			}
			return f, nil, true
		}
	}
	return f, nil, false
}

func matchSegs(segs, pat []string) bool {
	if len(segs) != len(pat) {
		return false
	}
	for i := range pat {
		if pat[i] != "*" && pat[i] != segs[i] {
			return false
		}
	}
	return true
}

func errInvalidFilters(bad []string) *apiError {
	return &apiError{Status: http.StatusBadRequest, Code: "SUB-508",
		Message: "Invalid event filters: [" + strings.Join(bad, ", ") + "]"}
}
