package main

import (
	"flag"
	"strings"

	"github.com/rchud/rchud/emulator"
)

// emulatorAuthFlags binds the `rchud emulator` flags for permissions, OAuth
// faults and subscription caps. The function it returns applies, once the
// flags are parsed, what depends on more than one of them.
func emulatorAuthFlags(fs *flag.FlagSet, cfg *emulator.Config) (apply func() error) {
	fs.IntVar(&cfg.SubscriptionsPerUser, "subscriptions-per-user", 30, "subscriptions per user and app; the next is refused with SUB-505")
	fs.BoolVar(&cfg.Faults.Unresponsive, "unresponsive", false, "fault: answer no REST or OAuth request and no WebSocket upgrade at all (open sockets carry on; the control API still answers)")
	fs.Func("oauth-fault", "fault on an OAuth endpoint, repeatable: `endpoint[:grant]=response[,count=N][,p=P][,retry-after=S]`, "+
		"endpoint token, wstoken or revoke, grant jwt or refresh, response 429, 503, invalid_grant, 403 or hang "+
		"(e.g. token:refresh=invalid_grant,count=1)", func(s string) error {
		r, err := emulator.ParseOAuthFault(s)
		if err != nil {
			return err
		}
		cfg.Faults.OAuthRules = append(cfg.Faults.OAuthRules, r)
		return nil
	})
	appScopes := fs.String("app-scopes", "", "the app's scopes: a comma-separated `list`, or none (default: all of "+
		strings.Join(emulator.AllAppScopes(), ", ")+")")
	var denied []string
	fs.Func("deny-scope", "take app `scopes` (comma-separated) from the app, repeatable, e.g. CallControl", func(s string) error {
		denied = append(denied, splitList(s)...)
		return nil
	})
	type userChange struct {
		spec  string
		grant bool
	}
	var users []userChange
	fs.Func("deny-user-permission", "take a user permission from an extension (number or id), repeatable: `ext:Permission`, "+
		"e.g. 101:ReadPresenceStatus; permissions: "+strings.Join(emulator.AllUserPermissions(), ", "), func(s string) error {
		users = append(users, userChange{s, false})
		return nil
	})
	fs.Func("grant-user-permission", "give a user permission to an extension, repeatable: `ext:Permission`, e.g. 142:ReadPresenceStatus", func(s string) error {
		users = append(users, userChange{s, true})
		return nil
	})
	return func() error {
		perm := &cfg.Permissions
		switch {
		case *appScopes == "none":
			perm.AppScopes = []string{}
		case *appScopes != "":
			perm.AppScopes = splitList(*appScopes)
		}
		for _, s := range denied {
			if err := perm.DenyScope(s); err != nil {
				return err
			}
		}
		for _, u := range users {
			if err := perm.ChangeUser(u.spec, u.grant); err != nil {
				return err
			}
		}
		return nil
	}
}

// splitList reads a comma-separated list, dropping empty items.
func splitList(s string) []string {
	var out []string
	for _, item := range strings.Split(s, ",") {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	return out
}
