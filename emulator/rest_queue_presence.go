package emulator

import "strconv"

// queueMemberPresenceJSON is CallQueueMemberPresence (rc-api.md §4.8).
type queueMemberPresenceJSON struct {
	Member                  queueMemberRefJSON `json:"member"`
	AcceptQueueCalls        bool               `json:"acceptQueueCalls"`
	AcceptCurrentQueueCalls bool               `json:"acceptCurrentQueueCalls"`
}

type queueMemberRefJSON struct {
	ID              string         `json:"id"`
	Name            string         `json:"name"`
	ExtensionNumber string         `json:"extensionNumber"`
	Site            *siteBasicJSON `json:"site,omitempty"`
}

type recordsJSON[T any] struct {
	Records []T `json:"records"`
}

// queuePresence renders every member's availability in q.
func queuePresence(q *Queue) recordsJSON[queueMemberPresenceJSON] {
	out := recordsJSON[queueMemberPresenceJSON]{Records: []queueMemberPresenceJSON{}}
	for _, m := range q.Members {
		out.Records = append(out.Records, queueMemberPresenceJSON{
			Member:                  queueMemberRefJSON{ID: m.IDString(), Name: m.Name, ExtensionNumber: m.Number, Site: siteBasic(m.Site)},
			AcceptQueueCalls:        m.Presence.AcceptsQueueCalls(),
			AcceptCurrentQueueCalls: q.AcceptCurrent[m.ID],
		})
	}
	return out
}

// readCallQueuePresence serves GET .../call-queues/{groupId}/presence.
func readCallQueuePresence(c *restCall) (reply, *apiError) {
	q, err := c.pathQueue()
	if err != nil {
		return reply{}, err
	}
	return okJSON(queuePresence(q))
}

// updateCallQueuePresence serves PUT .../call-queues/{groupId}/presence,
// a supervisor's change of members' availability in one queue. Every
// record is checked before any is applied; an id that is not a member of
// the queue is 400 CMN-101 naming records.member.id.
func updateCallQueuePresence(c *restCall) (reply, *apiError) {
	q, err := c.pathQueue()
	if err != nil {
		return reply{}, err
	}
	if !c.caller.Admin {
		return reply{}, errUserPermission("EditCallQueuePresence")
	}
	var req recordsJSON[struct {
		Member struct {
			ID flexID `json:"id"`
		} `json:"member"`
		AcceptCurrentQueueCalls *bool `json:"acceptCurrentQueueCalls"`
	}]
	if err := c.decode(&req, false); err != nil {
		return reply{}, err
	}
	var changes []queueAccept
	for _, r := range req.Records {
		m, err := queueMember(c.p, q, r.Member.ID, "records.member.id")
		if err != nil {
			return reply{}, err
		}
		if r.AcceptCurrentQueueCalls == nil {
			return reply{}, errInvalidParam("records.acceptCurrentQueueCalls")
		}
		changes = append(changes, queueAccept{q, m, *r.AcceptCurrentQueueCalls})
	}
	c.setQueueAccepts(changes)
	return okJSON(queuePresence(q))
}

// queueAccept is one member's availability in one queue, to be set.
type queueAccept struct {
	queue  *Queue
	member *Extension
	accept bool
}

// setQueueAccepts applies checked changes in one transaction; the hub
// sends the queue presence notifications.
func (c *restCall) setQueueAccepts(changes []queueAccept) {
	c.p.mutateLocked(func(tx *Tx) {
		for _, ch := range changes {
			tx.SetQueueAccept(ch.queue, ch.member, ch.accept)
		}
	})
}

// queueMember resolves a member id from a request body.
func queueMember(p *Platform, q *Queue, id flexID, field string) (*Extension, *apiError) {
	n, err := strconv.ParseInt(id.value, 10, 64)
	if !id.ok || err != nil || !q.IsMember(n) {
		return nil, errInvalidValue(field, id.value)
	}
	return p.dir.ByID[n], nil
}

// extensionQueuePresenceJSON is ExtensionCallQueuePresence (rc-api.md §4.9).
type extensionQueuePresenceJSON struct {
	CallQueue struct {
		ID                   string `json:"id"`
		Name                 string `json:"name"`
		ExtensionNumber      string `json:"extensionNumber"`
		EditableMemberStatus bool   `json:"editableMemberStatus"`
	} `json:"callQueue"`
	AcceptCalls bool `json:"acceptCalls"`
}

// extensionQueuePresence renders ext's availability in each of its
// queues, or only the ones members may edit.
func extensionQueuePresence(ext *Extension, editableOnly bool) recordsJSON[extensionQueuePresenceJSON] {
	out := recordsJSON[extensionQueuePresenceJSON]{Records: []extensionQueuePresenceJSON{}}
	for _, q := range ext.Queues {
		if editableOnly && !q.EditableMemberStatus {
			continue
		}
		var r extensionQueuePresenceJSON
		r.CallQueue.ID, r.CallQueue.Name, r.CallQueue.ExtensionNumber = q.Ext.IDString(), q.Ext.Name, q.Ext.Number
		r.CallQueue.EditableMemberStatus = q.EditableMemberStatus
		r.AcceptCalls = q.AcceptCurrent[ext.ID]
		out.Records = append(out.Records, r)
	}
	return out
}

// readExtensionQueuePresence serves GET .../extension/{extensionId}/call-queue-presence:
// the caller's own, or anyone's for an admin.
func readExtensionQueuePresence(c *restCall) (reply, *apiError) {
	ext, err := c.pathExtension()
	if err != nil {
		return reply{}, err
	}
	if !c.mayActFor(ext) {
		return reply{}, errOtherExtension()
	}
	editable, err := c.boolParam("editableMemberStatus")
	if err != nil {
		return reply{}, err
	}
	return okJSON(extensionQueuePresence(ext, editable))
}

// updateExtensionQueuePresence serves PUT .../extension/{extensionId}/call-queue-presence,
// the HUD's queue toggles. A member may change a queue only where its
// editableMemberStatus is on (403 CMN-408 EditCallQueuePresence otherwise,
// rc-api.md §8.14); admins may change anyone's anywhere. A queue the
// extension is not a member of is 400 CMN-101 naming records.callQueue.id.
func updateExtensionQueuePresence(c *restCall) (reply, *apiError) {
	ext, err := c.pathExtension()
	if err != nil {
		return reply{}, err
	}
	if !c.mayActFor(ext) {
		return reply{}, errOtherExtension()
	}
	var req recordsJSON[struct {
		CallQueue struct {
			ID flexID `json:"id"`
		} `json:"callQueue"`
		AcceptCalls *bool `json:"acceptCalls"`
	}]
	if err := c.decode(&req, false); err != nil {
		return reply{}, err
	}
	var changes []queueAccept
	for _, r := range req.Records {
		q := memberQueue(ext, r.CallQueue.ID)
		switch {
		case q == nil:
			return reply{}, errInvalidValue("records.callQueue.id", r.CallQueue.ID.value)
		case r.AcceptCalls == nil:
			return reply{}, errInvalidParam("records.acceptCalls")
		case !q.EditableMemberStatus && !c.caller.Admin:
			return reply{}, errUserPermission("EditCallQueuePresence")
		}
		changes = append(changes, queueAccept{q, ext, *r.AcceptCalls})
	}
	c.setQueueAccepts(changes)
	return okJSON(extensionQueuePresence(ext, false))
}

// memberQueue finds the queue with the given id among ext's queues.
func memberQueue(ext *Extension, id flexID) *Queue {
	n, err := strconv.ParseInt(id.value, 10, 64)
	if !id.ok || err != nil {
		return nil
	}
	for _, q := range ext.Queues {
		if q.Ext.ID == n {
			return q
		}
	}
	return nil
}
