package emulator

import (
	"net/http"
	"slices"
	"time"
)

// The control API's view of OAuth sessions, subscriptions and permissions:
//
//	GET    /_emulator/sessions              every OAuth session, live or ended
//	DELETE /_emulator/sessions/{id}         revoke a session as an admin would
//	GET    /_emulator/subscriptions         every live subscription
//	DELETE /_emulator/subscriptions/{id}    purge a subscription, telling no one
//	GET    /_emulator/permissions           app scopes and user permissions
//	PUT    /_emulator/permissions           replace them

// authControlRoutes are the control endpoints of this file.
func (e *Emulator) authControlRoutes() map[string]controlHandler {
	return map[string]controlHandler{
		"GET /_emulator/sessions": func(*http.Request, []byte) (int, any, error) {
			return http.StatusOK, e.Sessions(), nil
		},
		"DELETE /_emulator/sessions/{id}": func(r *http.Request, _ []byte) (int, any, error) {
			return http.StatusNoContent, nil, e.RevokeSession(r.PathValue("id"))
		},
		"GET /_emulator/subscriptions": func(*http.Request, []byte) (int, any, error) {
			return http.StatusOK, e.Subscriptions(), nil
		},
		"DELETE /_emulator/subscriptions/{id}": func(r *http.Request, _ []byte) (int, any, error) {
			return http.StatusNoContent, nil, e.PurgeSubscription(r.PathValue("id"))
		},
		"GET /_emulator/permissions": func(*http.Request, []byte) (int, any, error) {
			return http.StatusOK, e.permissionsAnswer(), nil
		},
		"PUT /_emulator/permissions": e.putPermissions,
	}
}

// SessionInfo is one OAuth session as the control API shows it.
type SessionInfo struct {
	ID                  string    `json:"id"`
	ExtensionID         string    `json:"extensionId"`
	ExtensionNumber     string    `json:"extensionNumber"`
	Created             time.Time `json:"created"`
	LastUsed            time.Time `json:"lastUsed"`
	RefreshCount        int       `json:"refreshCount"`
	AccessTokenExpires  time.Time `json:"accessTokenExpires"`
	RefreshTokenExpires time.Time `json:"refreshTokenExpires"`
	Revoked             bool      `json:"revoked"`
	// Ended is when it was revoked; EndReason why it ended: EndRevoked,
	// EndRevokedByAdmin, EndSessionLimit, or EndExpired (not revoked, but
	// both its tokens have expired). Both are empty for a live session.
	Ended     *time.Time `json:"ended,omitempty"`
	EndReason string     `json:"endReason,omitempty"`
}

// Sessions lists the OAuth sessions, live and ended, oldest first (the
// last 10,000 or so).
func (e *Emulator) Sessions() []SessionInfo {
	p := e.p
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.now()
	out := []SessionInfo{}
	for _, s := range p.auth.history {
		si := SessionInfo{
			ID: s.id, ExtensionID: s.ext.IDString(), ExtensionNumber: s.ext.Number,
			Created: s.created, LastUsed: s.lastUsed, RefreshCount: s.refreshCount,
			AccessTokenExpires: s.accessExpiry, RefreshTokenExpires: s.refreshExpiry,
			Revoked: s.revoked, EndReason: s.endReason,
		}
		switch {
		case s.revoked:
			ended := s.ended
			si.Ended = &ended
		case !now.Before(s.accessExpiry) && !now.Before(s.refreshExpiry):
			si.EndReason = EndExpired
		}
		out = append(out, si)
	}
	return out
}

// RevokeSession ends a live OAuth session as an admin would: every token of
// it stops working (401 on REST), its subscriptions go, and its WebSocket
// connections close with 4401, as after the client's own revoke. An ended
// session is left as it is.
func (e *Emulator) RevokeSession(id string) error {
	p := e.p
	p.mu.Lock()
	defer p.mu.Unlock()
	if s := p.auth.byID[id]; s != nil {
		p.revoke(s, EndRevokedByAdmin)
		return nil
	}
	for _, s := range p.auth.history {
		if s.id == id {
			return nil
		}
	}
	return notFound("no OAuth session %q", truncate(id, 40))
}

// SubscriptionInfo is one subscription as the control API shows it.
type SubscriptionInfo struct {
	ID              string           `json:"id"`
	OwnerID         string           `json:"ownerId"`
	SessionID       string           `json:"sessionId"`
	EventFilters    []string         `json:"eventFilters"`
	DisabledFilters []disabledFilter `json:"disabledFilters"`
	Transport       string           `json:"transport"`
	Created         time.Time        `json:"created"`
}

// Subscriptions lists every live subscription, oldest first.
func (e *Emulator) Subscriptions() []SubscriptionInfo {
	p := e.p
	p.mu.Lock()
	defer p.mu.Unlock()
	out := []SubscriptionInfo{}
	for _, sub := range p.hub.subs {
		si := SubscriptionInfo{
			ID: sub.ID, OwnerID: sub.Owner.IDString(), SessionID: sub.SessionID,
			EventFilters: []string{}, DisabledFilters: slices.Clone(sub.Disabled),
			Transport: "WebSocket", Created: sub.Created,
		}
		if si.DisabledFilters == nil {
			si.DisabledFilters = []disabledFilter{}
		}
		for _, f := range sub.Filters {
			si.EventFilters = append(si.EventFilters, f.Expanded)
		}
		out = append(out, si)
	}
	return out
}

// PurgeSubscription deletes a subscription on the server side, as an admin
// or the platform might, and tells no one: its WebSocket stays up but gets
// no more notifications, and GET, PUT and DELETE of it answer 404 CMN-102
// over HTTP and over the socket.
func (e *Emulator) PurgeSubscription(id string) error {
	p := e.p
	p.mu.Lock()
	defer p.mu.Unlock()
	sub, ok := p.hub.lookup(id)
	if !ok {
		return notFound("no subscription %q", truncate(id, 40))
	}
	p.hub.remove(sub)
	return nil
}

// Permissions returns the app scopes and the user permission changes in
// force (users by extension id, with their numbers).
func (e *Emulator) Permissions() Permissions {
	p := e.p
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.permissionsView()
}

// SetPermissions replaces the app scopes and user permission changes; they
// apply at once, to live sessions too.
func (e *Emulator) SetPermissions(perm Permissions) error { return e.p.setPermissions(perm) }

// permissionsControl is the control API's answer: the permissions in force and
// every name it knows. A PUT takes the same shape; the lists of known
// names are ignored.
type permissionsControl struct {
	Permissions
	AllAppScopes       []string `json:"allAppScopes,omitempty"`
	AllUserPermissions []string `json:"allUserPermissions,omitempty"`
}

func (e *Emulator) permissionsAnswer() permissionsControl {
	return permissionsControl{Permissions: e.Permissions(), AllAppScopes: AllAppScopes(), AllUserPermissions: AllUserPermissions()}
}

func (e *Emulator) putPermissions(_ *http.Request, body []byte) (int, any, error) {
	var j permissionsControl
	if err := decodeStrict(body, &j); err != nil {
		return 0, nil, err
	}
	if err := e.SetPermissions(j.Permissions); err != nil {
		return 0, nil, badRequest("%v", err)
	}
	return http.StatusOK, e.permissionsAnswer(), nil
}
