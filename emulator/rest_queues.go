package emulator

import "strconv"

// callQueueJSON is CallQueueInfo and, with the settings, CallQueueDetails.
type callQueueJSON struct {
	URI                  string            `json:"uri"`
	ID                   string            `json:"id"`
	ExtensionNumber      string            `json:"extensionNumber"`
	Name                 string            `json:"name"`
	Status               string            `json:"status"`
	Site                 *siteBasicJSON    `json:"site,omitempty"`
	ServiceLevelSettings *serviceLevelJSON `json:"serviceLevelSettings,omitempty"`
	EditableMemberStatus *bool             `json:"editableMemberStatus,omitempty"`
}

type siteBasicJSON struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

type serviceLevelJSON struct {
	SLAGoal               int  `json:"slaGoal"`
	SLAThresholdSeconds   int  `json:"slaThresholdSeconds"`
	IncludeAbandonedCalls bool `json:"includeAbandonedCalls"`
}

func siteBasic(s *Site) *siteBasicJSON {
	if s == nil {
		return nil
	}
	return &siteBasicJSON{ID: s.ID, Name: s.Name}
}

// queueRecord renders a queue as a list record (the URI is the queue's
// extension, as in the DOCS sample).
func (p *Platform) queueRecord(q *Queue) callQueueJSON {
	return callQueueJSON{
		URI: p.extensionURI(q.Ext), ID: q.Ext.IDString(), ExtensionNumber: q.Ext.Number,
		Name: q.Ext.Name, Status: q.Ext.Status, Site: siteBasic(q.Ext.Site),
	}
}

func (p *Platform) queueDetails(q *Queue) callQueueJSON {
	out := p.queueRecord(q)
	out.ServiceLevelSettings = &serviceLevelJSON{SLAGoal: q.SLAGoal, SLAThresholdSeconds: q.SLAThreshold}
	out.EditableMemberStatus = ptr(q.EditableMemberStatus)
	return out
}

// listCallQueues serves GET /account/{accountId}/call-queues (rc-api.md §4.7).
func listCallQueues(c *restCall) (reply, *apiError) {
	pr, err := c.pageParams(false)
	if err != nil {
		return reply{}, err
	}
	queues := c.p.dir.Queues
	if m := c.r.URL.Query().Get("memberExtensionId"); m != "" {
		if m != "~" {
			if _, err := strconv.ParseInt(m, 10, 64); err != nil {
				return reply{}, errInvalidValue("memberExtensionId", m)
			}
		}
		queues = nil
		if member, ok := c.p.lookupExtension(m, c.caller); ok {
			queues = member.Queues
		}
	}
	return okJSON(paginate(c, c.p.accountURI()+"/call-queues", pr, queues, c.p.queueRecord))
}

// readCallQueue serves GET .../call-queues/{groupId}.
func readCallQueue(c *restCall) (reply, *apiError) {
	q, err := c.pathQueue()
	if err != nil {
		return reply{}, err
	}
	return okJSON(c.p.queueDetails(q))
}

// queueUpdate is the part of CallQueueDetailsForUpdate the emulator keeps.
type queueUpdate struct {
	EditableMemberStatus *bool `json:"editableMemberStatus"`
	ServiceLevelSettings *struct {
		SLAGoal             *int `json:"slaGoal"`
		SLAThresholdSeconds *int `json:"slaThresholdSeconds"`
	} `json:"serviceLevelSettings"`
}

// updateCallQueue serves PUT .../call-queues/{groupId}: admins may change
// editableMemberStatus and the service level; other fields are ignored.
func updateCallQueue(c *restCall) (reply, *apiError) {
	q, err := c.pathQueue()
	if err != nil {
		return reply{}, err
	}
	if !c.caller.Admin {
		return reply{}, errUserPermission("EditUserInfo")
	}
	var u queueUpdate
	if err := c.decode(&u, false); err != nil {
		return reply{}, err
	}
	if s := u.ServiceLevelSettings; s != nil {
		if s.SLAGoal != nil && (*s.SLAGoal < 0 || *s.SLAGoal > 100) {
			return reply{}, errInvalidValue("serviceLevelSettings.slaGoal", strconv.Itoa(*s.SLAGoal))
		}
		if s.SLAThresholdSeconds != nil && *s.SLAThresholdSeconds < 0 {
			return reply{}, errInvalidValue("serviceLevelSettings.slaThresholdSeconds", strconv.Itoa(*s.SLAThresholdSeconds))
		}
		set(&q.SLAGoal, s.SLAGoal)
		set(&q.SLAThreshold, s.SLAThresholdSeconds)
	}
	set(&q.EditableMemberStatus, u.EditableMemberStatus)
	return okJSON(c.p.queueDetails(q))
}

// queueMemberJSON is CallQueueMemberInfo.
type queueMemberJSON struct {
	URI             string `json:"uri"`
	ID              int64  `json:"id"`
	ExtensionNumber string `json:"extensionNumber"`
}

// listCallQueueMembers serves GET .../call-queues/{groupId}/members.
func listCallQueueMembers(c *restCall) (reply, *apiError) {
	q, err := c.pathQueue()
	if err != nil {
		return reply{}, err
	}
	pr, err := c.pageParams(false)
	if err != nil {
		return reply{}, err
	}
	return okJSON(paginate(c, c.p.accountURI()+"/call-queues/"+q.Ext.IDString()+"/members", pr, q.Members,
		func(m *Extension) queueMemberJSON {
			return queueMemberJSON{URI: c.p.extensionURI(m), ID: m.ID, ExtensionNumber: m.Number}
		}))
}
