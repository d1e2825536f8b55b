package emulator

import "strings"

// visiblePresence renders ext's presence as the caller may see it: their
// own and, for an admin, everyone's in full; another user who turned
// allowSeeMyPresence off shows Offline only, like a non-user extension.
func (c *restCall) visiblePresence(ext *Extension, lvl detail) presenceJSON {
	out := presenceResource(c.p.base, c.p.dir, ext, snapshotOf(&ext.Presence), lvl)
	if !c.mayActFor(ext) && !ext.Presence.AllowSeeMyPresence {
		out = presenceJSON{URI: out.URI, Extension: out.Extension, PresenceStatus: StatusOffline}
	}
	return out
}

// readAccountPresence serves GET /account/{accountId}/presence (Heavy;
// it needs ReadPresenceStatus over the company, which admins hold: see
// routeNeeds; rc-api.md §4.2).
func readAccountPresence(c *restCall) (reply, *apiError) {
	lvl, err := c.detailLevel()
	if err != nil {
		return reply{}, err
	}
	pr, err := c.pageParams(true)
	if err != nil {
		return reply{}, err
	}
	return okJSON(paginate(c, c.p.accountURI()+"/presence", pr, c.p.dir.Extensions,
		func(e *Extension) presenceJSON { return c.visiblePresence(e, lvl) }))
}

// readExtensionPresence serves GET .../extension/{extensionId}/presence:
// one id gives the object, several comma-separated ids a 207 batch.
func readExtensionPresence(c *restCall) (reply, *apiError) {
	lvl, err := c.detailLevel()
	if err != nil {
		return reply{}, err
	}
	ids := strings.Split(c.r.PathValue("extensionId"), ",")
	if len(ids) == 1 {
		ext, err := c.extension(ids[0])
		if err != nil {
			return reply{}, err
		}
		return okJSON(c.visiblePresence(ext, lvl))
	}
	if len(ids) > maxBatchIDs {
		return reply{}, errPresenceBatchLimit()
	}
	parts := c.batch(ids, "/presence", func(ext *Extension) any { return c.visiblePresence(ext, lvl) })
	if strings.Contains(c.r.Header.Get("Accept"), multipartJSON) {
		return batchJSON(parts)
	}
	return c.batchMultipart(parts)
}

// updateExtensionPresence serves PUT .../extension/{extensionId}/presence
// (rc-api.md §4.4): anyone may set their own, admins anyone's.
func updateExtensionPresence(c *restCall) (reply, *apiError) {
	ext, err := c.pathExtension()
	if err != nil {
		return reply{}, err
	}
	if !c.mayActFor(ext) {
		return reply{}, errOtherExtension()
	}
	var u PresenceUpdate
	if err := c.decode(&u, true); err != nil {
		return reply{}, err
	}
	// meetingStatus is not part of PresenceInfoRequest; only the control API sets it.
	u.MeetingStatus = nil
	if err := c.applyPresence(ext, u); err != nil {
		return reply{}, err
	}
	return okJSON(presenceResource(c.p.base, c.p.dir, ext, snapshotOf(&ext.Presence), detailSimple))
}

// applyPresence applies u to ext in one transaction; the hub notifies
// subscribers when it commits.
func (c *restCall) applyPresence(ext *Extension, u PresenceUpdate) *apiError {
	var ae *apiError
	c.p.mutateLocked(func(tx *Tx) { ae = tx.ApplyPresence(ext, u) })
	return ae
}
