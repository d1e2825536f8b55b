package emulator

import (
	"slices"
	"strconv"
	"strings"
)

// extensionTypes is AllExtensionTypesEnum; extensionStatuses is
// ExtensionStatusEnumFull (rc-api.md §4.1).
var (
	extensionTypes = []string{"User", "Department", "Announcement", "Voicemail", "DigitalUser", "VirtualUser",
		"FaxUser", "PagingOnly", "SharedLinesGroup", "DelegatedLinesGroup", "GroupCallPickup", "IvrMenu",
		"ApplicationExtension", "ProxyAdmin", "RoomConnector", "ParkLocation", "Limited", "Bot", "Site", "Room",
		"FlexibleUser", "TieLine", "Unknown"}
	extensionStatuses = []string{"Enabled", "Disabled", "Frozen", "NotActivated", "Unassigned"}
)

// extensionJSON is GetExtensionListInfoResponse and, with Account and
// Departments, GetExtensionInfoResponse.
type extensionJSON struct {
	URI             string             `json:"uri"`
	ID              int64              `json:"id"`
	ExtensionNumber string             `json:"extensionNumber"`
	Name            string             `json:"name"`
	Type            string             `json:"type"`
	Status          string             `json:"status"`
	Contact         contactJSON        `json:"contact"`
	Permissions     permissionsJSON    `json:"permissions"`
	Site            *siteJSON          `json:"site,omitempty"`
	Hidden          bool               `json:"hidden"`
	CreationTime    string             `json:"creationTime"`
	CallQueueInfo   *callQueueInfoJSON `json:"callQueueInfo,omitempty"`
	Account         *accountRefJSON    `json:"account,omitempty"`
	Departments     []departmentJSON   `json:"departments,omitempty"`
}

type contactJSON struct {
	FirstName     string `json:"firstName,omitempty"`
	LastName      string `json:"lastName,omitempty"`
	Company       string `json:"company,omitempty"`
	JobTitle      string `json:"jobTitle,omitempty"`
	Email         string `json:"email,omitempty"`
	BusinessPhone string `json:"businessPhone,omitempty"`
	Department    string `json:"department,omitempty"`
}

type permissionsJSON struct {
	Admin                enabledJSON `json:"admin"`
	InternationalCalling enabledJSON `json:"internationalCalling"`
}

type enabledJSON struct {
	Enabled bool `json:"enabled"`
}

type siteJSON struct {
	ID   string `json:"id"`
	URI  string `json:"uri"`
	Name string `json:"name"`
	Code string `json:"code,omitempty"`
}

type callQueueInfoJSON struct {
	SLAGoal               int  `json:"slaGoal"`
	SLAThresholdSeconds   int  `json:"slaThresholdSeconds"`
	IncludeAbandonedCalls bool `json:"includeAbandonedCalls"`
}

type accountRefJSON struct {
	ID  string `json:"id"`
	URI string `json:"uri"`
}

// departmentJSON is DepartmentInfo: a call queue the user belongs to.
type departmentJSON struct {
	ID              string `json:"id"`
	URI             string `json:"uri"`
	ExtensionNumber string `json:"extensionNumber"`
}

// extensionURI is the absolute URI of ext.
func (p *Platform) extensionURI(ext *Extension) string {
	return p.accountURI() + "/extension/" + ext.IDString()
}

func (p *Platform) siteJSON(s *Site) *siteJSON {
	if s == nil {
		return nil
	}
	return &siteJSON{ID: s.ID, URI: p.accountURI() + "/sites/" + s.ID, Name: s.Name, Code: s.Code}
}

// extensionRecord renders ext as a list record. Call under Platform.mu:
// names can change.
func (p *Platform) extensionRecord(ext *Extension) extensionJSON {
	out := extensionJSON{
		URI:             p.extensionURI(ext),
		ID:              ext.ID,
		ExtensionNumber: ext.Number,
		Name:            ext.Name,
		Type:            ext.Type,
		Status:          ext.Status,
		Permissions:     permissionsJSON{Admin: enabledJSON{ext.Admin}},
		Site:            p.siteJSON(ext.Site),
		CreationTime:    rcTime(ext.Created),
		Contact:         contactJSON{Company: p.dir.Company},
	}
	if ext.Type == TypeUser {
		out.Contact = contactJSON{
			FirstName: ext.FirstName, LastName: ext.LastName, Company: p.dir.Company, JobTitle: ext.JobTitle,
			Email: ext.Email, BusinessPhone: ext.Phone, Department: ext.Department,
		}
		out.Permissions.InternationalCalling.Enabled = true
	} else {
		out.Contact.FirstName = ext.Name
	}
	if q := ext.Queue; q != nil {
		out.CallQueueInfo = &callQueueInfoJSON{SLAGoal: q.SLAGoal, SLAThresholdSeconds: q.SLAThreshold}
	}
	return out
}

// listExtensions serves GET /account/{accountId}/extension (rc-api.md §4.1).
func listExtensions(c *restCall) (reply, *apiError) {
	q := c.r.URL.Query()
	types, err := enumList(q["type"], "type", extensionTypes)
	if err != nil {
		return reply{}, err
	}
	statuses, err := enumList(q["status"], "status", extensionStatuses)
	if err != nil {
		return reply{}, err
	}
	number := q.Get("extensionNumber")
	if len(number) > 8 {
		return reply{}, errInvalidValue("extensionNumber", number)
	}
	pr, err := c.pageParams(false)
	if err != nil {
		return reply{}, err
	}
	emails := q["email"]
	matches := func(e *Extension) bool {
		return (len(types) == 0 || slices.Contains(types, e.Type)) &&
			(len(statuses) == 0 || slices.Contains(statuses, e.Status)) &&
			(number == "" || e.Number == number) &&
			(len(emails) == 0 || slices.ContainsFunc(emails, func(m string) bool { return strings.EqualFold(m, e.Email) }))
	}
	var found []*Extension
	for _, e := range c.p.dir.Extensions {
		if matches(e) {
			found = append(found, e)
		}
	}
	return okJSON(paginate(c, c.p.accountURI()+"/extension", pr, found, c.p.extensionRecord))
}

// enumList checks a repeated enum query parameter; empty values are
// ignored (the SPEC allows an empty status).
func enumList(values []string, name string, allowed []string) ([]string, *apiError) {
	var out []string
	for _, v := range values {
		if v == "" {
			continue
		}
		if !slices.Contains(allowed, v) {
			return nil, errInvalidValue(name, v)
		}
		out = append(out, v)
	}
	return out, nil
}

// readExtension serves GET /account/{accountId}/extension/{extensionId}.
func readExtension(c *restCall) (reply, *apiError) {
	ext, err := c.pathExtension()
	if err != nil {
		return reply{}, err
	}
	out := c.p.extensionRecord(ext)
	out.Account = &accountRefJSON{ID: strconv.FormatInt(c.p.dir.AccountID, 10), URI: c.p.accountURI()}
	for _, q := range ext.Queues {
		out.Departments = append(out.Departments, departmentJSON{
			ID: q.Ext.IDString(), URI: c.p.extensionURI(q.Ext), ExtensionNumber: q.Ext.Number,
		})
	}
	return okJSON(out)
}
