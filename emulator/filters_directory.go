package emulator

import (
	"strconv"
	"strings"
)

// The directory and watch-list event filters (rc-api.md §3.3, §3.4):
//
//	/restapi/v1.0/account/{a}/extension                              extension list (ReadAccounts)
//	/restapi/v1.0/account/{a}/extension/{e}                          extension info (ReadAccounts)
//	/restapi/v1.0/account/{a}/extension/{e}/favorite                 favorites list (ReadContacts)
//	/restapi/v1.0/account/{a}/extension/{e}/favorite/presence        favorites' presence (ReadPresence)
//	/restapi/v1.0/account/{a}/extension/{e}/presence/line            monitored lines list (ReadPresence)
//	/restapi/v1.0/account/{a}/extension/{e}/presence/line/presence   monitored lines' presence (ReadPresence)
//
// The two presence filters take detailedTelephonyState and sipData like
// the extension presence filter.
const (
	filterExtensionList filterKind = iota + 100
	filterExtensionInfo
	filterFavoriteList
	filterLineList
	// filterWatchPresence is the presence of everyone on a favorites or
	// monitored-lines list (eventFilter.List).
	filterWatchPresence
)

// parseDirectoryFilter parses the filters above; handled is false for any
// other path. segs is the filter path split at "/" with the account id
// already expanded; canonQuery is the presence detail query to keep.
func (p *Platform) parseDirectoryFilter(segs []string, lvl detail, canonQuery string, owner *Extension) (f eventFilter, dis *disabledFilter, ok, handled bool) {
	rest := segs[4:]
	if len(rest) == 0 || rest[0] != "extension" {
		return f, nil, false, false
	}
	switch {
	case len(rest) == 1:
		f.Kind = filterExtensionList
	case len(rest) == 2:
		f.Kind = filterExtensionInfo
	case len(rest) == 3 && rest[2] == "favorite":
		f.Kind = filterFavoriteList
	case len(rest) == 4 && rest[2] == "favorite" && rest[3] == "presence":
		f.Kind = filterWatchPresence
	case len(rest) == 4 && rest[2] == "presence" && rest[3] == "line":
		f.Kind = filterLineList
	case len(rest) == 5 && rest[2] == "presence" && rest[3] == "line" && rest[4] == "presence":
		f.Kind = filterWatchPresence
	default:
		return f, nil, false, false
	}
	var target *Extension
	if len(rest) > 1 {
		switch seg := rest[1]; {
		case seg == "~":
			segs[5] = owner.IDString()
			target = owner
		default:
			id, err := strconv.ParseInt(seg, 10, 64)
			if err != nil {
				return f, nil, false, true
			}
			target = p.dir.ByID[id]
		}
	}
	f.Expanded = "/" + strings.Join(segs, "/")
	if f.Kind == filterWatchPresence {
		f.Level = lvl
		f.Expanded += canonQuery
	}
	disabled := func(e *apiError) (eventFilter, *disabledFilter, bool, bool) {
		return f, &disabledFilter{Filter: f.Expanded, Reason: e.Code, Message: e.Message}, true, true
	}
	// The app scope each kind needs is checked with every filter's
	// (filterScopes).
	if f.Kind == filterExtensionList {
		return f, nil, true, true
	}
	if target == nil {
		return disabled(&apiError{Code: "SUB-408", Message: "Unknown user"})
	}
	f.Ext = target
	if f.Kind == filterExtensionInfo {
		return f, nil, true, true // anyone may read anyone's extension info
	}
	// Favorites and monitored lines are personal: one's own, or anyone's
	// for an admin, and only User extensions have them.
	switch {
	case target != owner && !owner.Admin:
		return disabled(errOtherExtension())
	case target.Type != TypeUser:
		return disabled(errFeatureForType())
	}
	kind := linesList
	if rest[2] == "favorite" {
		kind = favoritesList
	}
	f.List = p.watchList(target, kind)
	return f, nil, true, true
}

// watches reports whether a watch filter of sub delivers ext's presence:
// ext is on the list, and sub's owner may see ext's presence.
func watches(sub *Subscription, f eventFilter, ext *Extension) bool {
	if f.Kind != filterWatchPresence || f.List == nil || !f.List.has(ext) {
		return false
	}
	return ext == sub.Owner || sub.Owner.Admin || ext.Presence.AllowSeeMyPresence
}
