package state

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/rchud/rchud/rc"
)

// The sync's side of the front desk and the directory: the telephony and
// extension-list filters, the phone calls are answered on, the live calls
// at start and after a gap, and people joining, leaving and renamed.

// maxSessionReads bounds the telephony sessions read after one bootstrap:
// each is a Light request, and the user's own actions need that budget.
const maxSessionReads = 40

// maxQueueFilters is the most call queues followed one filter each; an
// account with more follows every session (a far busier stream).
const maxQueueFilters = 200

// callFilters are the telephony and directory filters: one's own calls,
// and for an admin each call queue's (its waiting callers, answered and
// abandoned). Not the account-wide stream: every party of every call in
// the company would cost as much as all presence again, for calls the
// screen does not show one by one.
func callFilters(me ID, admin bool, queues []Queue) []string {
	f := []string{rc.TelephonySessionsFilter(rc.ID(me)), rc.ExtensionListFilter}
	if !admin {
		return f
	}
	if len(queues) > maxQueueFilters {
		return append(f, rc.TelephonySessionsFilter(""))
	}
	for _, q := range queues {
		f = append(f, rc.TelephonySessionsFilter(rc.ID(q.ID)))
	}
	return f
}

// callFollow is whose parties callFilters' telephony filters deliver
// the events of.
func callFollow(admin bool, queues []Queue) Follow {
	switch {
	case !admin:
		return FollowMe
	case len(queues) > maxQueueFilters:
		return FollowAll
	}
	return FollowQueues
}

// telephonyDisabled tells the mirror which of the filters the server
// refused, and what that takes away.
func (s *Sync) telephonyDisabled(disabled []string, admin bool) {
	for _, f := range disabled {
		if !strings.Contains(f, "/telephony/sessions") {
			continue
		}
		why := "the app lacks RingCentral's CallControl permission"
		s.m.SetCallControl(false, why, "", "")
		s.m.SetCallsAccountWide(false, why)
		s.callsOff.Store(true)
		return
	}
}

// runCalls readies the front desk once the first load is done: the
// phone to answer on, then the calls already live. It runs again after a
// gap (resync).
func (s *Sync) runCalls(ctx context.Context, me ID, admin bool) {
	if s.callsOff.Load() {
		return
	}
	if !s.deviceSet.Load() {
		devices, err := s.c.Devices(ctx, "~")
		switch {
		case err != nil && isPermanent(err):
			s.m.SetCallControl(false, rc.CallControlError(err), "", "")
			s.log.Info("no call control", "err", err)
			return
		case err != nil:
			s.log.Info("devices not read; call keys wait", "err", err)
			return
		}
		d, err := ChooseDevice(devices, s.opts.Device)
		if err != nil {
			s.m.SetCallControl(false, err.Error(), "", "")
			s.log.Info("no device to answer on", "err", err)
			return
		}
		s.m.SetCallControl(true, "", d.ID, DeviceLabel(d))
		s.deviceSet.Store(true)
	}
	if admin {
		s.m.SetCallsAccountWide(true, "")
	} else {
		s.m.SetCallsAccountWide(false, "waiting callers are seen by admins only")
	}
	ext := rc.ID(me)
	if admin {
		ext = ""
	}
	var at time.Time
	var listed map[string]bool
	for attempt := 0; ; attempt++ {
		// Page by page: a busy account lists thousands of calls, and
		// their records need not all be held at once.
		at, listed = s.m.now(), map[string]bool{}
		err := s.c.ActiveCalls(ctx, ext, func(page []rc.CallLogRecord) error {
			s.m.BootstrapCallsPage(page, at, listed)
			return nil
		})
		if err == nil {
			break
		}
		// Until the list is read the queues' backlogs are not known (the
		// board waits for it): try again, unless it cannot succeed.
		s.log.Info("active calls not read; calls already live show as events come", "err", err, "attempt", attempt+1)
		if ctx.Err() != nil || isPermanent(err) || !sleepCtx(ctx, min(time.Second<<min(attempt, 6), time.Minute)) {
			return
		}
	}
	need := s.m.FinishBootstrapCalls(at, listed)
	if len(need) > maxSessionReads {
		s.log.Info("too many calls to read at once; the rest settle from events", "sessions", len(need))
		need = need[:maxSessionReads]
	}
	for _, id := range need {
		ts, err := s.c.TelephonySession(ctx, id)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			continue // gone since: its end comes as an event
		}
		s.m.AddCallSession(ts, s.m.now())
	}
}

// isPermanent reports an error that asking again will not cure (a
// missing permission, a resource that is not there).
func isPermanent(err error) bool {
	var ae *rc.APIError
	return errors.As(err, &ae) && (ae.Status == 403 || ae.Status == 404)
}

// directoryChanged follows people joining, leaving and renamed: a
// deletion leaves the mirror at once, a creation or update is read
// (Light, in the background) and a disabled extension leaves too.
func (s *Sync) directoryChanged(ctx context.Context, changes []rc.ExtensionChange) {
	var read []ID
	for _, ch := range changes {
		id := ID(ch.ExtensionID)
		if ch.EventType == "Delete" {
			s.m.RemoveExtension(id)
			s.log.Info("left the directory", "extension", id)
			continue
		}
		if !slices.Contains(read, id) {
			read = append(read, id)
		}
	}
	if len(read) == 0 {
		return
	}
	s.goRun(func() {
		joined := false
		for _, id := range read {
			x, err := s.c.GetExtension(ctx, rc.ID(id))
			switch {
			case err != nil && isPermanent(err):
				s.m.RemoveExtension(id)
				continue
			case err != nil:
				s.log.Info("directory change not read", "extension", id, "err", err)
				continue
			case x.Status != "" && x.Status != "Enabled":
				s.m.RemoveExtension(id)
				continue
			}
			if _, known := s.m.Get(id); !known {
				joined = true
			}
			s.m.AddExtensions([]rc.Extension{x})
			if x.Type == TypeUser {
				s.fetchPresence(ctx, id)
			}
		}
		if joined {
			s.log.Info("people joined; queue membership reloads", "extensions", len(read))
			s.reloadMembership(ctx)
		}
	})
}

// fetchPresence reads one person's presence now (a newcomer).
func (s *Sync) fetchPresence(ctx context.Context, id ID) {
	p, err := s.c.ExtensionPresence(ctx, rc.ID(id), true)
	if err != nil {
		s.log.Info("presence of a newcomer not read", "extension", id, "err", err)
		return
	}
	s.m.ApplySnapshot([]rc.Presence{p}, true)
}

// reloadMembership reads every queue's members again (someone joined:
// which queues they are in is not in the event).
func (s *Sync) reloadMembership(ctx context.Context) {
	qs := s.m.Queues()
	for i := range qs {
		members, err := s.c.QueueMembers(ctx, rc.ID(qs[i].ID))
		if err != nil {
			s.log.Info("queue members not reloaded", "queue", qs[i].Name, "err", err)
			return
		}
		ids := make([]ID, 0, len(members))
		for _, mb := range members {
			ids = append(ids, ID(mb.ID))
		}
		qs[i].Members = ids
	}
	s.m.SetQueues(qs)
}

// companyName reads the company name for the header, in the background.
func (s *Sync) companyName(ctx context.Context) {
	name, err := s.c.CompanyName(ctx)
	if err != nil {
		s.log.Info("company name not read", "err", err)
		return
	}
	s.m.SetCompany(name)
}

// readOrbits reads, now and then, the sessions of parked calls whose
// orbit presence does not tell (a few Light reads a second at most), until
// ctx ends.
func (s *Sync) readOrbits(ctx context.Context) {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if s.callsOff.Load() {
			return
		}
		for _, id := range s.m.OrbitsToRead(3) {
			ts, err := s.c.TelephonySession(ctx, id)
			if err != nil {
				if ctx.Err() != nil {
					return
				}
				continue // parked no more, or not ours to read
			}
			s.m.SetOrbits(ts)
		}
	}
}

// LoadCalls reads the calls live now once, for a one-shot snapshot (a
// sync that streams reads them itself after its first load): the active
// calls, then the sessions they leave unsure (a few).
func (s *Sync) LoadCalls(ctx context.Context) error {
	me, _ := s.m.Me()
	ext := rc.ID(me)
	if s.admin {
		ext = ""
		s.m.SetCallsAccountWide(true, "")
	} else {
		s.m.SetCallsAccountWide(false, "waiting callers are seen by admins only")
	}
	var records []rc.CallLogRecord
	at := s.m.now()
	if err := s.c.ActiveCalls(ctx, ext, func(page []rc.CallLogRecord) error {
		records = append(records, page...)
		return nil
	}); err != nil {
		return err
	}
	need := s.m.BootstrapCalls(records, at)
	records = nil
	for _, id := range need[:min(len(need), maxSessionReads)] {
		ts, err := s.c.TelephonySession(ctx, id)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			continue
		}
		s.m.AddCallSession(ts, s.m.now())
	}
	return nil
}
