package state

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/rchud/rchud/rc"
)

// The sync's side of the directory: the people first (what the grid
// shows), the other extensions behind them, and the lists of people the
// user chose to watch.

// throttledAfter is how long the next directory page may have to wait for
// RingCentral's rate before the rest is left to load behind the screen;
// screenAfter how long an admin's screen waits for the directory's pages
// at most (an account of 30,000 people and more: the rest follows, the
// header saying how far it has got).
const (
	throttledAfter = 2 * time.Second
	screenAfter    = time.Second
)

// loadDirectory reads the directory's people, 1000 a page, and tells
// whether the signed-in user me is an admin. It returns once every person
// is in or, for an admin, once the next page would wait for RingCentral's
// rate or the screen has waited screenAfter (an account of some 30,000
// people and more, 3 pages read at once): the rest then follows in
// the background, and dirDone is closed once it is in. An agent's
// subscription names every person, so an agent waits for them all.
func (s *Sync) loadDirectory(ctx context.Context, me ID) (bool, error) {
	next, err := s.loadPeople(ctx, 1, true)
	if err != nil {
		return false, err
	}
	admin, known := false, false
	if e, ok := s.m.Get(me); ok {
		admin, known = e.Admin, true
	}
	if !known {
		self, err := s.c.GetExtension(ctx, "~")
		if err != nil {
			return false, err
		}
		admin = self.Permissions.Admin.Enabled
	}
	if next > 0 && !admin {
		if next, err = s.loadPeople(ctx, next, false); err != nil {
			return false, err
		}
	}
	s.log.Info("signed in", "extension", me, "admin", admin, "people", s.m.Len())
	if next > 0 {
		s.log.Info("the rest of the directory follows at RingCentral's rate", "from page", next)
		s.goRun(func() { s.morePeople(ctx, next) })
	} else {
		close(s.dirDone)
	}
	return admin, nil
}

// pagesAtOnce is how many directory pages are read at once once the
// first has told how many there are: the server builds the next while
// the last is decoded and indexed.
const pagesAtOnce = 3

// loadPeople reads the directory's people from page on until every one is
// in (it returns 0) or, throttled, until the next page would wait for the
// rate limit or the screen has waited screenAfter (it returns that page). On an error it returns the first page
// not read.
func (s *Sync) loadPeople(ctx context.Context, page int, throttled bool) (int, error) {
	start := time.Now()
	last := 0 // the last page as the server last counted them; 0: not known
	for {
		n := 1
		if last > page {
			n = min(pagesAtOnce, last-page+1)
			if throttled {
				n = min(n, max(1, s.c.BudgetFree(rc.Medium, 0)))
			}
		}
		type read struct {
			p    rc.ExtensionPage
			more bool
			err  error
		}
		reads := make([]read, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				r := &reads[i]
				r.p, r.more, r.err = s.c.ListExtensionPage(ctx, []string{TypeUser}, page+i)
				if r.err == nil {
					s.m.AddExtensions(r.p.Records)
				}
			}()
		}
		wg.Wait()
		total := 0
		for i, r := range reads {
			if r.err != nil {
				return page + i, r.err
			}
			total = max(total, r.p.Total)
		}
		if !reads[n-1].more {
			s.m.SetDirectoryLoading(0, 0, time.Time{})
			return 0, nil
		}
		page += n
		last = (total + 999) / 1000
		have := s.m.Counts()
		people := have.People()
		left := (max(0, total-people) + 999) / 1000
		s.m.SetDirectoryLoading(people, max(total, people+1), time.Now().Add(s.c.BudgetETA(rc.Medium, max(1, left), 0)))
		if throttled && (s.c.BudgetWait(rc.Medium, 0) > throttledAfter || time.Since(start) > screenAfter) {
			return page, nil
		}
	}
}

// morePeople reads the rest of the directory's people in the background,
// from page on, retrying until it is in; then it closes dirDone.
func (s *Sync) morePeople(ctx context.Context, page int) {
	for attempt := 0; ; attempt++ {
		next, err := s.loadPeople(ctx, page, false)
		if err == nil {
			close(s.dirDone)
			return
		}
		if ctx.Err() != nil {
			return
		}
		page = next
		s.log.Info("directory page not read; retrying", "page", page, "err", err)
		if !sleepCtx(ctx, min(time.Duration(attempt+1)*2*time.Second, 30*time.Second)) {
			return
		}
	}
}

// otherExtensions reads the extensions that are not people (queues, park
// locations, menus, announcements): no row shows them, but a parked call
// names its park location, and a snapshot lists them all.
func (s *Sync) otherExtensions(ctx context.Context) {
	defer s.othersOnce.Do(func() { close(s.othersDone) })
	types := slices.DeleteFunc(slices.Clone(rc.ExtensionTypes), func(t string) bool { return t == TypeUser })
	for attempt := 0; attempt < 3; attempt++ {
		err := s.c.ListExtensions(ctx, types, func(page []rc.Extension) error {
			s.m.AddExtensions(page)
			return nil
		})
		if err == nil || ctx.Err() != nil {
			return
		}
		s.log.Info("extensions other than people not read", "err", err)
		if !sleepCtx(ctx, time.Duration(attempt+1)*2*time.Second) {
			return
		}
	}
}

// readChosen reads the people the user chose to watch: their favourites
// and monitored lines (RingCentral's "Presence → Appearance"), loaded
// next after the screen's rows. Either may be refused (a missing
// permission): then it is left out.
func (s *Sync) readChosen(ctx context.Context, me ID) {
	var ids []ID
	favs, err := s.c.Favorites(ctx, rc.ID(me))
	if err != nil {
		s.log.Info("favourites not read", "err", err)
	}
	lines, err := s.c.MonitoredLines(ctx, rc.ID(me))
	if err != nil {
		s.log.Info("monitored lines not read", "err", err)
	}
	for _, id := range append(favs, lines...) {
		if !slices.Contains(ids, ID(id)) {
			ids = append(ids, ID(id))
		}
	}
	s.m.SetChosen(ids)
}

// loadMembers reads, once the first load is in, the members of the queues
// no one has looked at yet (an agent's: an admin reads them with each
// queue's availability), leaving the loader's spare budget free.
func (s *Sync) loadMembers(ctx context.Context) {
	s.mu.Lock()
	admin := s.admin
	s.mu.Unlock()
	if admin {
		return
	}
	for {
		ids, known := s.m.queueIDs()
		q := ID("")
		for i := range ids {
			if !known[i] {
				q = ids[i]
				break
			}
		}
		if q == "" {
			return
		}
		if wait := s.c.BudgetWait(rc.Light, loadSpare); wait > 0 {
			if !sleepCtx(ctx, wait) {
				return
			}
			continue
		}
		members, err := s.c.QueueMembers(ctx, rc.ID(q))
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			s.log.Info("queue members not read", "queue", q, "err", err)
			if !sleepCtx(ctx, 5*time.Second) {
				return
			}
			continue
		}
		ids2 := make([]ID, 0, len(members))
		for _, mb := range members {
			ids2 = append(ids2, ID(mb.ID))
		}
		s.m.SetQueueMembers(q, ids2)
	}
}
