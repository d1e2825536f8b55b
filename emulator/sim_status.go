package emulator

import "slices"

// episodeKind is a spell away from the phone people take now and then.
type episodeKind uint8

const (
	lunch       episodeKind = iota // Busy, "Out to lunch, back at 1:30"
	meeting                        // meetingStatus Connected, Busy, "In a meeting"
	dnd                            // DoNotAcceptAnyCalls
	leaveQueues                    // DoNotAcceptDepartmentCalls (queue members only)
	invisible                      // userStatus Offline
	queueToggle                    // unavailable in one queue they may edit
)

const (
	lunchMessage   = "Out to lunch, back at 1:30"
	meetingMessage = "In a meeting"
	dndMessage     = "Focus time, urgent only"
)

// episode remembers what a spell set, so that coming back undoes only what
// nobody else has changed since.
type episode struct {
	kind  episodeKind
	queue *Queue
}

// changeSomeonesStatus picks a few people at random and has the first one
// who is at their desk and off the phone start a spell away, or come back
// to Available if they were away when the simulation started.
func (cc *callCentre) changeSomeonesStatus() {
	for range 4 {
		who := cc.users[cc.rng.IntN(len(cc.users))]
		if who.credentialed || who.episode != nil || len(who.ext.Presence.Legs) > 0 {
			continue
		}
		if atDesk(who.ext) {
			cc.startEpisode(who)
		} else {
			cc.comeBack(who)
		}
		return
	}
}

// atDesk is the everyday state: Available, taking all calls, no meeting,
// no message.
func atDesk(ext *Extension) bool {
	pr := &ext.Presence
	return pr.UserStatus == StatusAvailable && takesAllCalls(ext) &&
		pr.MeetingStatus != MeetingConnected && pr.Message == ""
}

func (cc *callCentre) startEpisode(who *person) {
	kind, ok := cc.drawEpisode(who)
	if !ok {
		return
	}
	ep := &episode{kind: kind}
	u := PresenceUpdate{}
	switch kind {
	case lunch:
		u.UserStatus, u.Message = ptr(StatusBusy), ptr(lunchMessage)
	case meeting:
		u.UserStatus, u.Message, u.MeetingStatus = ptr(StatusBusy), ptr(meetingMessage), ptr(MeetingConnected)
	case dnd:
		u = dndChange(who.ext, true)
		u.Message = ptr(dndMessage)
	case leaveQueues:
		u = queueCallsChange(who.ext, false)
	case invisible:
		u.UserStatus = ptr(StatusOffline)
	case queueToggle:
		ep.queue = cc.editableQueue(who)
		cc.tx.SetQueueAccept(ep.queue, who.ext, false)
	}
	if kind != queueToggle && cc.tx.ApplyPresence(who.ext, u) != nil {
		return
	}
	cc.reindex(who)
	cc.p.stats.Sim.StatusChanges++
	who.episode = ep
	who.episodeGen++
	cc.after(cc.model.episodeLength[kind].draw(cc.rng), event{kind: evEpisodeEnd, who: who, gen: who.episodeGen})
}

// drawEpisode picks a kind of spell that fits who: leaving the queues and
// queue toggles only for queue members.
func (cc *callCentre) drawEpisode(who *person) (episodeKind, bool) {
	total := 0
	for _, w := range cc.model.episodeWeights {
		if cc.fits(who, w.kind) {
			total += w.weight
		}
	}
	if total == 0 {
		return 0, false
	}
	x := cc.rng.IntN(total)
	for _, w := range cc.model.episodeWeights {
		if !cc.fits(who, w.kind) {
			continue
		}
		if x < w.weight {
			return w.kind, true
		}
		x -= w.weight
	}
	return 0, false
}

func (cc *callCentre) fits(who *person, k episodeKind) bool {
	switch k {
	case leaveQueues:
		return len(who.ext.Queues) > 0
	case queueToggle:
		return cc.editableQueue(who) != nil
	}
	return true
}

// editableQueue is the first queue who may change their own availability
// in and is available in now.
func (cc *callCentre) editableQueue(who *person) *Queue {
	i := slices.IndexFunc(who.ext.Queues, func(q *Queue) bool {
		return q.EditableMemberStatus && q.AcceptCurrent[who.ext.ID]
	})
	if i < 0 {
		return nil
	}
	return who.ext.Queues[i]
}

// endEpisode brings who back from a spell, undoing only what is still as
// the spell left it.
func (cc *callCentre) endEpisode(who *person) {
	ep := who.episode
	who.episode = nil
	if ep == nil {
		return
	}
	pr := &who.ext.Presence
	u := PresenceUpdate{}
	switch ep.kind {
	case lunch:
		if pr.UserStatus == StatusBusy && pr.Message == lunchMessage {
			u.UserStatus, u.Message = ptr(StatusAvailable), ptr("")
		}
	case meeting:
		if pr.MeetingStatus == MeetingConnected {
			u.MeetingStatus = ptr(MeetingDisconnected)
			if pr.UserStatus == StatusBusy {
				u.UserStatus = ptr(StatusAvailable)
			}
			if pr.Message == meetingMessage {
				u.Message = ptr("")
			}
		}
	case dnd:
		if pr.DoNotDisturb() {
			u = dndChange(who.ext, false)
			if pr.Message == dndMessage {
				u.Message = ptr("")
			}
		}
	case leaveQueues:
		if refusesQueueCalls(who.ext) {
			u = queueCallsChange(who.ext, true)
		}
	case invisible:
		if pr.UserStatus == StatusOffline {
			u.UserStatus = ptr(StatusAvailable)
		}
	case queueToggle:
		if !ep.queue.AcceptCurrent[who.ext.ID] {
			cc.tx.SetQueueAccept(ep.queue, who.ext, true)
			cc.reindex(who)
			cc.p.stats.Sim.StatusChanges++
		}
		return
	}
	if u != (PresenceUpdate{}) && cc.tx.ApplyPresence(who.ext, u) == nil {
		cc.reindex(who)
		cc.p.stats.Sim.StatusChanges++
	}
}

// comeBack returns someone who was away when the simulation started to
// their desk, so the share of people away stays steady.
func (cc *callCentre) comeBack(who *person) {
	u := dndChange(who.ext, false)
	u.UserStatus, u.MeetingStatus, u.Message = ptr(StatusAvailable), ptr(MeetingDisconnected), ptr("")
	if cc.tx.ApplyPresence(who.ext, u) == nil {
		cc.reindex(who)
		cc.p.stats.Sim.StatusChanges++
	}
}
