package emulator

import (
	"slices"
	"strconv"
)

// REST for favorites and monitored lines.
//
// Favorites: GET .../extension/{extensionId}/favorite (SPEC
// listFavoriteContacts: Light, app ReadContacts, user ReadPersonalContacts)
// and PUT (updateFavoriteContactList: Medium, app Contacts, user
// EditPersonalContacts), bodies FavoriteContactList and FavoriteCollection.
// The emulator keeps company contacts (extensions) only.
//
// Monitored lines: GET .../extension/{extensionId}/presence/line and PUT.
// The current public SPEC has no such path (only the empty tag "Presence
// Monitored Lists"); RingCentral's earlier public swagger had them as
// listMonitoredExtensions (Light, app ReadPresence, user
// ReadPresenceSettings) and updatePresenceLines (Medium, app EditPresence,
// user EditPresenceSettings), answering GetMonitoredExtensionsResponse:
// {uri, records: [LineInfo {id, uri, extension {id, uri, extensionNumber,
// type}}], paging, navigation}, where "the first two lines always indicate
// the user's extension presence, they cannot be changed". The DOCS event
// filters .../presence/line and .../presence/line/presence are live today.
//
// Both are one's own, or anyone's for an admin, and only Users have them.

// favoriteJSON is FavoriteContactResource.
type favoriteJSON struct {
	ID          int64  `json:"id"`
	ExtensionID string `json:"extensionId"`
	AccountID   string `json:"accountId"`
}

// favoriteListJSON is FavoriteContactList.
type favoriteListJSON struct {
	URI     string         `json:"uri"`
	Records []favoriteJSON `json:"records"`
}

// listOwner resolves {extensionId} to a User whose lists the caller may use.
func (c *restCall) listOwner() (*Extension, *apiError) {
	ext, err := c.pathExtension()
	if err != nil {
		return nil, err
	}
	if !c.mayActFor(ext) {
		return nil, errOtherExtension()
	}
	if ext.Type != TypeUser {
		return nil, errFeatureForType()
	}
	return ext, nil
}

func (c *restCall) favoriteList(l *watchList) favoriteListJSON {
	out := favoriteListJSON{URI: c.p.extensionURI(l.owner) + "/favorite", Records: []favoriteJSON{}}
	account := strconv.FormatInt(c.p.dir.AccountID, 10)
	for i, e := range l.exts {
		out.Records = append(out.Records, favoriteJSON{ID: l.favIDs[i], ExtensionID: e.IDString(), AccountID: account})
	}
	return out
}

// listFavorites serves GET .../extension/{extensionId}/favorite.
func listFavorites(c *restCall) (reply, *apiError) {
	ext, err := c.listOwner()
	if err != nil {
		return reply{}, err
	}
	return okJSON(c.favoriteList(c.p.watchList(ext, favoritesList)))
}

// updateFavorites serves PUT .../extension/{extensionId}/favorite: the
// records replace the list, in order. A record names an extension of this
// account by extensionId; personal contacts (contactId) are not kept.
func updateFavorites(c *restCall) (reply, *apiError) {
	ext, err := c.listOwner()
	if err != nil {
		return reply{}, err
	}
	var req struct {
		Records []struct {
			ExtensionID flexID  `json:"extensionId"`
			AccountID   *string `json:"accountId"`
			ContactID   *string `json:"contactId"`
		} `json:"records"`
	}
	if err := c.decode(&req, false); err != nil {
		return reply{}, err
	}
	if len(req.Records) > maxFavorites {
		return reply{}, errInvalidParam("records")
	}
	account := strconv.FormatInt(c.p.dir.AccountID, 10)
	var exts []*Extension
	for _, r := range req.Records {
		switch {
		case r.AccountID != nil && *r.AccountID != account:
			return reply{}, errInvalidValue("records.accountId", *r.AccountID)
		case !r.ExtensionID.ok && r.ContactID != nil:
			return reply{}, errInvalidValue("records.contactId", *r.ContactID)
		}
		fav, ae := c.listMember(r.ExtensionID, "records.extensionId")
		if ae != nil {
			return reply{}, ae
		}
		if fav != ext && !slices.Contains(exts, fav) {
			exts = append(exts, fav)
		}
	}
	l := c.p.watchList(ext, favoritesList)
	c.p.mutateLocked(func(tx *Tx) { tx.setWatchList(l, exts) })
	return okJSON(c.favoriteList(l))
}

// listMember resolves an extension id from a request body.
func (c *restCall) listMember(id flexID, field string) (*Extension, *apiError) {
	n, err := strconv.ParseInt(id.value, 10, 64)
	if !id.ok || err != nil {
		return nil, errInvalidValue(field, id.value)
	}
	ext, ok := c.p.dir.ByID[n]
	if !ok {
		return nil, errInvalidValue(field, id.value)
	}
	return ext, nil
}

// lineJSON is LineInfo; lineExtJSON is ExtensionInfoMonitoredLines.
type lineJSON struct {
	ID        string      `json:"id"`
	URI       string      `json:"uri"`
	Extension lineExtJSON `json:"extension"`
}

type lineExtJSON struct {
	ID              string `json:"id"`
	URI             string `json:"uri"`
	ExtensionNumber string `json:"extensionNumber"`
	Type            string `json:"type"`
}

// monitorable are the extension types a line may show (the SPEC enum of
// ExtensionInfoMonitoredLines.type that the emulator has).
var monitorable = []string{TypeUser, TypeDepartment, TypeParkLocation}

// lines renders owner's lines: 1 and 2 are the owner, then the list.
func (c *restCall) lines(l *watchList) []lineJSON {
	all := append([]*Extension{l.owner, l.owner}, l.exts...)
	out := make([]lineJSON, len(all))
	base := c.p.extensionURI(l.owner) + "/presence/line/"
	for i, e := range all {
		id := strconv.Itoa(i + 1)
		out[i] = lineJSON{ID: id, URI: base + id, Extension: lineExtJSON{
			ID: e.IDString(), URI: c.p.extensionURI(e), ExtensionNumber: e.Number, Type: e.Type,
		}}
	}
	return out
}

func (c *restCall) linesPage(l *watchList, pr pageRequest) (reply, *apiError) {
	return okJSON(paginate(c, c.p.extensionURI(l.owner)+"/presence/line", pr, c.lines(l), func(x lineJSON) lineJSON { return x }))
}

// listLines serves GET .../extension/{extensionId}/presence/line.
func listLines(c *restCall) (reply, *apiError) {
	ext, err := c.listOwner()
	if err != nil {
		return reply{}, err
	}
	pr, err := c.pageParams(false)
	if err != nil {
		return reply{}, err
	}
	return c.linesPage(c.p.watchList(ext, linesList), pr)
}

// updateLines serves PUT .../extension/{extensionId}/presence/line
// (UpdatePresenceLinesRequest {records: [{id, extension: {id}}]}): the
// records replace the monitored lines, in order. Records naming the owner
// are lines 1 and 2 and are skipped.
func updateLines(c *restCall) (reply, *apiError) {
	ext, err := c.listOwner()
	if err != nil {
		return reply{}, err
	}
	var req struct {
		Records []struct {
			Extension struct {
				ID flexID `json:"id"`
			} `json:"extension"`
		} `json:"records"`
	}
	if err := c.decode(&req, false); err != nil {
		return reply{}, err
	}
	var exts []*Extension
	for _, r := range req.Records {
		x, ae := c.listMember(r.Extension.ID, "records.extension.id")
		if ae != nil {
			return reply{}, ae
		}
		if !slices.Contains(monitorable, x.Type) {
			return reply{}, errInvalidValue("records.extension.id", r.Extension.ID.value)
		}
		if x != ext && !slices.Contains(exts, x) {
			exts = append(exts, x)
		}
	}
	if len(exts) > maxMonitoredLines {
		return reply{}, errInvalidParam("records")
	}
	l := c.p.watchList(ext, linesList)
	c.p.mutateLocked(func(tx *Tx) { tx.setWatchList(l, exts) })
	return c.linesPage(l, pageRequest{page: 1, perPage: defaultPerPage})
}
