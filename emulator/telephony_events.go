package emulator

import (
	"encoding/json"
	"slices"
	"strconv"
	"time"
)

// parseSessionsFilter parses the telephony session filters (rc-api.md
// §6.3): /account/~/telephony/sessions, every party of the account (admins
// only), and /account/~/extension/{id}/telephony/sessions, the parties of
// one extension (one's own, or anyone's for an admin). Both need the app's
// CallControl permission. ok is false when rest is neither.
func (p *Platform) parseSessionsFilter(rest, segs []string, query string, owner *Extension) (f eventFilter, dis *disabledFilter, ok bool) {
	expand := func() string {
		out := "/restapi/v1.0/account/" + strconv.FormatInt(p.dir.AccountID, 10)
		for _, s := range segs[4:] {
			out += "/" + s
		}
		if query != "" {
			out += "?" + query
		}
		return out
	}
	disable := func(e *apiError) (eventFilter, *disabledFilter, bool) {
		return f, &disabledFilter{Filter: f.Expanded, Reason: e.Code, Message: e.Message}, true
	}
	switch {
	case matchSegs(rest, []string{"telephony", "sessions"}):
		f.Kind = filterAccountSessions
		f.Expanded = expand()
		if p.cfg.NoCallControl {
			return disable(errCallControlPermission())
		}
		if !owner.Admin {
			return disable(errAdminRequired())
		}
		return f, nil, true
	case matchSegs(rest, []string{"extension", "*", "telephony", "sessions"}):
		if rest[1] == "~" {
			segs[5] = owner.IDString()
		} else if _, err := strconv.ParseInt(rest[1], 10, 64); err != nil {
			return f, nil, false
		}
		f.Kind = filterExtensionSessions
		f.Expanded = expand()
		ext, found := p.lookupExtension(rest[1], owner)
		switch {
		case !found:
			return f, &disabledFilter{Filter: f.Expanded, Reason: "SUB-408", Message: "Unknown user"}, true
		case p.cfg.NoCallControl:
			return disable(errCallControlPermission())
		case ext != owner && !owner.Admin:
			return disable(errOtherExtension())
		}
		f.Ext = ext
		return f, nil, true
	}
	return f, nil, false
}

// indexSessions files a telephony session filter of sub.
func (h *hub) indexSessions(sub *Subscription, f eventFilter) {
	if f.Kind == filterAccountSessions {
		if !slices.Contains(h.sessAccount, sub) {
			h.sessAccount = append(h.sessAccount, sub)
		}
		return
	}
	if !slices.Contains(h.sessByExt[f.Ext.ID], sub) {
		h.sessByExt[f.Ext.ID] = append(h.sessByExt[f.Ext.ID], sub)
	}
}

// sessionEvent delivers one party's change to the subscriptions that see
// that party: every account-wide one, and those of the party's extension.
// Each event carries the one party that changed, as RingCentral's do.
func (h *hub) sessionEvent(s *callSession, ext *Extension, v partyView, seq int64, eventTime, stamp time.Time) {
	var own []*Subscription
	if ext != nil {
		own = h.sessByExt[ext.ID]
	}
	if len(h.sessAccount) == 0 && len(own) == 0 {
		return
	}
	acc := strconv.FormatInt(h.p.dir.AccountID, 10)
	body, _ := json.Marshal(sessionEventJSON{
		Sequence: seq, SessionID: s.LegacyID, TelephonySessionID: s.ID, ServerID: serverID,
		EventTime: rcTime(eventTime), AccountID: acc, ExtensionID: v.ExtID,
		Parties: []eventPartyJSON{h.p.eventPartyJSON(v)}, Origin: originJSON{s.Origin},
	})
	seen := map[*Subscription]bool{}
	deliver := func(sub *Subscription) {
		if seen[sub] || sub.Sink == nil {
			return
		}
		seen[sub] = true
		var account, mine *eventFilter
		for i := range sub.Filters {
			switch f := &sub.Filters[i]; {
			case f.Kind == filterExtensionSessions && ext != nil && f.Ext == ext:
				mine = f
			case f.Kind == filterAccountSessions:
				account = f
			}
		}
		switch {
		case mine != nil:
			h.send(sub, mine.Expanded, body, stamp)
		case account != nil:
			// Account-wide events name the party's extension when it has
			// one (the PSTN capture of rc-api.md §6.3).
			event := "/restapi/v1.0/account/" + acc + "/telephony/sessions"
			if ext != nil {
				event = "/restapi/v1.0/account/" + acc + "/extension/" + ext.IDString() + "/telephony/sessions"
			}
			h.send(sub, event+queryOf(account.Expanded), body, stamp)
		}
	}
	for _, sub := range own {
		deliver(sub)
	}
	for _, sub := range h.sessAccount {
		deliver(sub)
	}
}
