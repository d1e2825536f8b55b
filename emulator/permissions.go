package emulator

import (
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// Permissions (rc-api.md §6.4): an app holds app scopes, a user holds user
// permissions, and a request needs both. A missing app scope is 403
// CMN-401 naming it; a missing user permission 403 CMN-408. Both can be
// changed at run time (Emulator.SetPermissions, /_emulator/permissions) and
// apply at once to every session, as an admin's change of a role does.

// The app scopes the emulator knows. Every one is granted by default.
const (
	ScopeReadAccounts           = "ReadAccounts"
	ScopeReadPresence           = "ReadPresence"
	ScopeEditPresence           = "EditPresence"
	ScopeWebSocketSubscriptions = "WebSocketSubscriptions"
	ScopeCallControl            = "CallControl"
	ScopeReadCallLog            = "ReadCallLog"
	ScopeEditExtensions         = "EditExtensions"
	ScopeReadContacts           = "ReadContacts"
	ScopeContacts               = "Contacts"
)

// The user permissions the emulator knows. Admins hold all of them; other
// users hold ReadExtensions, EditPresenceStatus (their own presence) and
// ReadCallLog (their own calls), not ReadPresenceStatus or
// ReadCompanyCallLog, which are over the whole company.
const (
	PermReadExtensions     = "ReadExtensions"
	PermReadPresenceStatus = "ReadPresenceStatus"
	PermEditPresenceStatus = "EditPresenceStatus"
	PermReadCallLog        = "ReadCallLog"
	// PermReadCompanyCallLog is what the company's active calls need on
	// top of ReadCallLog (DOCS voice/active-calls.md).
	PermReadCompanyCallLog = "ReadCompanyCallLog"
)

var (
	appScopeNames = []string{ScopeReadAccounts, ScopeReadPresence, ScopeEditPresence,
		ScopeWebSocketSubscriptions, ScopeCallControl, ScopeReadCallLog, ScopeEditExtensions,
		ScopeReadContacts, ScopeContacts}
	userPermissionNames = []string{PermReadExtensions, PermReadPresenceStatus, PermEditPresenceStatus,
		PermReadCallLog, PermReadCompanyCallLog}
)

// AllAppScopes lists every app scope the emulator knows.
func AllAppScopes() []string { return slices.Clone(appScopeNames) }

// AllUserPermissions lists every user permission the emulator knows.
func AllUserPermissions() []string { return slices.Clone(userPermissionNames) }

// wsPermission is the WebSocket scope's name on the wire: the SPEC's
// x-app-permission of /restapi/oauth/wstoken, which the token's scope string
// and CMN-401 use. The DOCS call it "WebSocket Subscriptions".
const wsPermission = "WebSocket"

// wireScope is a scope's name in a token's scope string and in CMN-401.
func wireScope(scope string) string {
	if scope == ScopeWebSocketSubscriptions {
		return wsPermission
	}
	return scope
}

// grantSet is a set of app scopes or of user permissions, one bit per name
// of its vocabulary (appScopeNames or userPermissionNames).
type grantSet uint32

// lookupName finds name in vocab, ignoring case; the WebSocket scope is
// also known by its wire name (no user permission is called that).
func lookupName(vocab []string, name string) (string, int, bool) {
	name = strings.TrimSpace(name)
	if strings.EqualFold(name, wsPermission) {
		name = ScopeWebSocketSubscriptions
	}
	for i, v := range vocab {
		if strings.EqualFold(v, name) {
			return v, i, true
		}
	}
	return "", 0, false
}

// setOf builds a set from names; what says what they are, for the error.
func setOf(vocab []string, names []string, what string) (grantSet, error) {
	var s grantSet
	for _, n := range names {
		_, i, ok := lookupName(vocab, n)
		if !ok {
			return 0, fmt.Errorf("unknown %s %q (known: %s)", what, truncate(n, 40), strings.Join(vocab, ", "))
		}
		s |= 1 << i
	}
	return s, nil
}

func everything(vocab []string) grantSet { return 1<<len(vocab) - 1 }

func (s grantSet) has(vocab []string, name string) bool {
	_, i, ok := lookupName(vocab, name)
	return ok && s&(1<<i) != 0
}

// names lists the set in vocabulary order (never nil).
func (s grantSet) names(vocab []string) []string {
	out := []string{}
	for i, v := range vocab {
		if s&(1<<i) != 0 {
			out = append(out, v)
		}
	}
	return out
}

// Permissions are the app's scopes and the users' permissions.
type Permissions struct {
	// AppScopes are the scopes granted to the app; nil grants every one
	// (AllAppScopes), an empty slice none.
	AppScopes []string `json:"appScopes"`
	// Users change what some users hold, on top of their role's defaults.
	Users []UserPermissions `json:"users"`
}

// UserPermissions takes permissions from one user and gives others.
type UserPermissions struct {
	// Extension is an extension id or number; answers give the id.
	Extension string `json:"extension"`
	// ExtensionNumber is filled in answers (ignored in requests).
	ExtensionNumber string   `json:"extensionNumber,omitempty"`
	Deny            []string `json:"deny,omitempty"`
	Grant           []string `json:"grant,omitempty"`
}

// permState is the permissions in force. Guarded by Platform.mu.
type permState struct {
	app   grantSet
	users map[int64]userOverride
	order []int64 // users in the order they were given, for answers
}

type userOverride struct {
	deny, grant grantSet
}

// resolvePermissions checks perm against the directory.
func (p *Platform) resolvePermissions(perm Permissions) (permState, error) {
	st := permState{app: everything(appScopeNames), users: map[int64]userOverride{}}
	if perm.AppScopes != nil {
		app, err := setOf(appScopeNames, perm.AppScopes, "app scope")
		if err != nil {
			return st, err
		}
		st.app = app
	}
	for _, u := range perm.Users {
		ext, ok := p.extensionByIDOrNumber(u.Extension)
		if !ok || ext.Type != TypeUser {
			return st, fmt.Errorf("no user extension %q", truncate(u.Extension, 40))
		}
		deny, err := setOf(userPermissionNames, u.Deny, "user permission")
		if err != nil {
			return st, err
		}
		grant, err := setOf(userPermissionNames, u.Grant, "user permission")
		if err != nil {
			return st, err
		}
		if both := deny & grant; both != 0 {
			return st, fmt.Errorf("extension %s: %s both denied and granted", u.Extension, strings.Join(both.names(userPermissionNames), ", "))
		}
		if _, dup := st.users[ext.ID]; !dup {
			st.order = append(st.order, ext.ID)
		}
		st.users[ext.ID] = userOverride{deny: deny, grant: grant}
	}
	return st, nil
}

// extensionByIDOrNumber finds an extension by its short number or its id.
func (p *Platform) extensionByIDOrNumber(s string) (*Extension, bool) {
	for _, e := range p.dir.Extensions {
		if e.Number == s {
			return e, true
		}
	}
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return nil, false
	}
	e, ok := p.dir.ByID[id]
	return e, ok
}

// setPermissions replaces the permissions in force.
func (p *Platform) setPermissions(perm Permissions) error {
	st, err := p.resolvePermissions(perm)
	if err != nil {
		return err
	}
	p.mu.Lock()
	p.perms = st
	p.mu.Unlock()
	return nil
}

// permissionsView renders the permissions in force (under p.mu).
func (p *Platform) permissionsView() Permissions {
	out := Permissions{AppScopes: p.perms.app.names(appScopeNames), Users: []UserPermissions{}}
	for _, id := range p.perms.order {
		ext, o := p.dir.ByID[id], p.perms.users[id]
		out.Users = append(out.Users, UserPermissions{
			Extension: ext.IDString(), ExtensionNumber: ext.Number,
			Deny: o.deny.names(userPermissionNames), Grant: o.grant.names(userPermissionNames),
		})
	}
	return out
}

// userDefault is what a user who is not an admin holds.
var userDefault, _ = setOf(userPermissionNames, []string{PermReadExtensions, PermEditPresenceStatus, PermReadCallLog}, "")

// defaultUserPermissions are what a user's role gives.
func defaultUserPermissions(ext *Extension) grantSet {
	if ext.Admin {
		return everything(userPermissionNames)
	}
	return userDefault
}

// userHas reports whether ext holds a user permission (under p.mu).
func (p *Platform) userHas(ext *Extension, perm string) bool {
	o := p.perms.users[ext.ID]
	return (defaultUserPermissions(ext)&^o.deny | o.grant).has(userPermissionNames, perm)
}

// sessionScopes are the scopes a session holds now: the app's, narrowed to
// what the session asked for at sign-in, if it asked (under p.mu).
func (p *Platform) sessionScopes(s *oauthSession) grantSet {
	held := p.perms.app
	if s != nil && s.narrowed {
		held &= s.requested
	}
	return held
}

// scopeHeld reports whether a session (nil: the app alone) holds scope;
// EditPresence includes ReadPresence (rc-api.md §6.4).
func (p *Platform) scopeHeld(s *oauthSession, scope string) bool {
	held := p.sessionScopes(s)
	return held.has(appScopeNames, scope) ||
		(scope == ScopeReadPresence && held.has(appScopeNames, ScopeEditPresence))
}

// scopeString is the token's scope: the held scopes' wire names, sorted.
func scopeString(held grantSet) string {
	var names []string
	for _, n := range held.names(appScopeNames) {
		names = append(names, wireScope(n))
	}
	sort.Strings(names)
	return strings.Join(names, " ")
}

// requestedScopes reads a token request's optional scope field: a session
// that asks for fewer scopes than the app has gets only those. Unknown
// names are ignored, as the app cannot have them.
func requestedScopes(field string) (grantSet, bool) {
	if strings.TrimSpace(field) == "" {
		return 0, false
	}
	var s grantSet
	for _, n := range strings.Fields(field) {
		if _, i, ok := lookupName(appScopeNames, n); ok {
			s |= 1 << i
		}
	}
	return s, true
}

// errAppPermission is 403 CMN-401, with the legacy top-level name real
// responses carry (rc-api.md §5.1; ringcentral-web-phone#154).
func errAppPermission(scope string) *apiError {
	name := wireScope(scope)
	return &apiError{Status: http.StatusForbidden, Code: "CMN-401", TopCode: "InsufficientPermissions",
		Message: "In order to call this API endpoint, application needs to have [" + name + "] permission",
		Extra:   map[string]string{"permissionName": name}}
}

// errWebSocketTransport is SUB-528: the app may not subscribe over the
// WebSocket. The SPEC documents SUB-528 for the APNS transport as
// "[SubscriptionAPNS] application permission is required for [PubNub/APNS]
// transport"; clients that met it for WebSocket look for SUB-528 or
// "SubscriptionWebSocket" (rc-api.md §2.1).
func errWebSocketTransport() *apiError {
	return &apiError{Status: http.StatusForbidden, Code: "SUB-528",
		Message: "[SubscriptionWebSocket] application permission is required for [WebSocket] transport",
		Extra:   map[string]string{"permissionName": "SubscriptionWebSocket"}}
}

// requireScope answers 403 CMN-401 unless the app, and the caller's
// session, hold scope. Handlers call it for endpoints the route table
// (routeNeeds) does not cover, e.g. c.requireScope(ScopeCallControl).
func (c *restCall) requireScope(scope string) *apiError {
	if !c.p.scopeHeld(c.sess, scope) {
		return errAppPermission(scope)
	}
	return nil
}

// requireUserPermission answers 403 CMN-408 unless the caller holds perm.
func (c *restCall) requireUserPermission(perm string) *apiError {
	if !c.p.userHas(c.caller, perm) {
		return errUserPermission(perm)
	}
	return nil
}

// routeNeed is what a REST route needs: an app scope and a user permission
// ("" for none).
type routeNeed struct {
	scope, perm string
}

// routeNeeds maps the REST route patterns to their needs (SPEC
// x-app-permission and x-user-permission, rc-api.md §6.4). Subscriptions
// need nothing over HTTP: each filter is checked on its own.
var routeNeeds = func() map[string]routeNeed {
	const ext = accountPath + "/extension/{extensionId}"
	const queue = accountPath + "/call-queues/{groupId}"
	read := routeNeed{ScopeReadAccounts, PermReadExtensions}
	presence := routeNeed{ScopeReadPresence, ""}
	edit := routeNeed{ScopeEditPresence, PermEditPresenceStatus}
	return map[string]routeNeed{
		"GET " + accountPath:                                     {ScopeReadAccounts, ""},
		"GET " + accountPath + "/business-address":               {ScopeReadAccounts, ""},
		"GET " + ext + "/favorite":                               {ScopeReadContacts, ""},
		"PUT " + ext + "/favorite":                               {ScopeContacts, ""},
		"GET " + ext + "/presence/line":                          presence,
		"PUT " + ext + "/presence/line":                          {ScopeEditPresence, ""},
		"GET " + accountPath + "/extension":                      read,
		"GET " + ext:                                             read,
		"GET " + accountPath + "/call-queues":                    read,
		"GET " + queue:                                           read,
		"GET " + queue + "/members":                              read,
		"GET " + accountPath + "/presence":                       {ScopeReadPresence, PermReadPresenceStatus},
		"GET " + ext + "/presence":                               presence,
		"GET " + ext + "/unified-presence":                       presence,
		"GET " + ext + "/call-queue-presence":                    presence,
		"GET " + queue + "/presence":                             presence,
		"PUT " + ext + "/presence":                               edit,
		"PATCH " + ext + "/unified-presence":                     edit,
		"PUT " + ext + "/call-queue-presence":                    edit,
		"PUT " + queue + "/presence":                             {ScopeEditPresence, ""}, // the handler wants an admin
		"PUT " + queue:                                           {ScopeEditExtensions, ""},
		"GET " + accountPath + "/active-calls":                   {ScopeReadCallLog, PermReadCallLog}, // the handler wants ReadCompanyCallLog too
		"GET " + ext + "/active-calls":                           {ScopeReadCallLog, PermReadCallLog},
		"GET /restapi/v1.0/subscription":                         {},
		"GET /restapi/v1.0/subscription/{$}":                     {},
		"POST /restapi/v1.0/subscription":                        {},
		"POST /restapi/v1.0/subscription/{$}":                    {},
		"GET /restapi/v1.0/subscription/{subscriptionId}":        {},
		"PUT /restapi/v1.0/subscription/{subscriptionId}":        {},
		"DELETE /restapi/v1.0/subscription/{subscriptionId}":     {},
		"POST /restapi/v1.0/subscription/{subscriptionId}/renew": {},
	}
}()

// needsOf finds a route's needs; call control and active calls, wherever
// they are served, need CallControl and ReadCallLog.
func needsOf(pattern string) routeNeed {
	if n, ok := routeNeeds[pattern]; ok {
		return n
	}
	switch {
	case strings.Contains(pattern, "/telephony/"):
		return routeNeed{scope: ScopeCallControl}
	case strings.Contains(pattern, "/active-calls"):
		return routeNeed{scope: ScopeReadCallLog, perm: PermReadCallLog}
	}
	return routeNeed{}
}

// checkRoute enforces the route's needs: the app scope first, then the
// user permission.
func (c *restCall) checkRoute() *apiError {
	n := needsOf(c.r.Pattern)
	if n.scope != "" {
		if err := c.requireScope(n.scope); err != nil {
			return err
		}
	}
	if n.perm != "" {
		return c.requireUserPermission(n.perm)
	}
	return nil
}

// filterScopes are the app scopes an event filter needs (rc-api.md §3.3).
// The account presence filter needs ReadAccounts per DOCS and its GET
// counterpart ReadPresence per SPEC: both are asked for.
func filterScopes(f eventFilter) []string {
	switch f.Kind {
	case filterExtensionPresence, filterQueuePresence, filterLineList, filterWatchPresence:
		return []string{ScopeReadPresence}
	case filterFavoriteList:
		return []string{ScopeReadContacts}
	case filterExtensionList, filterExtensionInfo:
		return []string{ScopeReadAccounts}
	case filterAccountPresence:
		return []string{ScopeReadAccounts, ScopeReadPresence}
	}
	switch {
	case strings.Contains(f.Expanded, "/telephony/sessions"):
		return []string{ScopeCallControl}
	case strings.Contains(f.Expanded, "/message-store"):
		return nil // ReadMessages, which the emulated app never lacks
	}
	return []string{ScopeReadAccounts} // extension list, presence/dnd
}

// filterDenied returns the disabled entry for a filter whose app scope the
// session lacks (under p.mu).
func (p *Platform) filterDenied(sess *oauthSession, f eventFilter) *disabledFilter {
	for _, scope := range filterScopes(f) {
		if !p.scopeHeld(sess, scope) {
			e := errAppPermission(scope)
			return &disabledFilter{Filter: f.Expanded, Reason: e.Code, Message: e.Message}
		}
	}
	return nil
}

// truncate shortens untrusted text for an error message.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}

// DenyScope takes an app scope from p (whose nil AppScopes grant every
// scope); the command line's --deny-scope.
func (p *Permissions) DenyScope(name string) error {
	canon, _, ok := lookupName(appScopeNames, name)
	if !ok {
		return fmt.Errorf("unknown app scope %q (known: %s)", truncate(name, 40), strings.Join(appScopeNames, ", "))
	}
	if p.AppScopes == nil {
		p.AppScopes = AllAppScopes()
	}
	p.AppScopes = slices.DeleteFunc(slices.Clone(p.AppScopes), func(s string) bool {
		c, _, _ := lookupName(appScopeNames, s)
		return c == canon
	})
	return nil
}

// ChangeUser denies (or grants) a user permission named by "ext:Permission",
// ext an extension number or id; the command line's
// --deny-user-permission and --grant-user-permission. The extension is
// checked when the permissions are applied.
func (p *Permissions) ChangeUser(spec string, grant bool) error {
	ext, perm, ok := strings.Cut(spec, ":")
	ext = strings.TrimSpace(ext)
	if !ok || ext == "" {
		return fmt.Errorf("%q: want ext:Permission, e.g. 142:ReadPresenceStatus", truncate(spec, 60))
	}
	canon, _, ok := lookupName(userPermissionNames, perm)
	if !ok {
		return fmt.Errorf("unknown user permission %q (known: %s)", truncate(perm, 40), strings.Join(userPermissionNames, ", "))
	}
	i := slices.IndexFunc(p.Users, func(u UserPermissions) bool { return u.Extension == ext })
	if i < 0 {
		p.Users = append(p.Users, UserPermissions{Extension: ext})
		i = len(p.Users) - 1
	}
	u := &p.Users[i]
	same := func(s string) bool { return strings.EqualFold(s, canon) }
	u.Deny, u.Grant = slices.DeleteFunc(u.Deny, same), slices.DeleteFunc(u.Grant, same)
	if grant {
		u.Grant = append(u.Grant, canon)
	} else {
		u.Deny = append(u.Deny, canon)
	}
	return nil
}
