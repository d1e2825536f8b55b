package state

import (
	"context"
	"errors"
	"time"

	"github.com/rchud/rchud/rc"
)

// The loader: the first load and every reload after a gap. It loads what
// the screens show first, then what the viewers want next, then the rest,
// every request inside RingCentral's rate limits:
//
//   - me and the rows on screen (the screen phase), then the rows near
//     them, pinned, watched and chosen people: batch presence GETs (Light),
//     each as soon as the budget has room;
//   - an admin, everyone else from company presence (Heavy, 1000 a page),
//     stopping once every person is in (the last pages hold queues, park
//     locations and menus, which have none);
//   - an agent, everyone else 30 a batch, the people in their queues
//     first, at an even pace that leaves loadSpare requests of each
//     window free: a scroll's rows go at once, and the user's own actions
//     keep the governor's reserve;
//   - the queues' members (and, for an admin, each member's availability)
//     at once when a viewer looks at them (grouping by queue, someone's
//     details), else behind presence.
//
// Each time a request may go the loader picks the most wanted work of the
// moment, so a scroll, a jump or a new filter re-orders it at once.

// loadSpare is how many Light requests of a window the loader's steady
// work leaves free for the rows a viewer looks at next.
const loadSpare = 4

// loadJob is one request of the loader.
type loadJob struct {
	kind jobKind
	ids  []ID // jobPresence
	// queue is jobQueue's queue.
	queue ID
	pace  jobPace
}

type jobKind int

const (
	jobPresence jobKind = iota // a batch of people's presence
	jobQueue                   // a queue's members (an admin: with their availability)
	jobMine                    // my availability in my queues
	jobChosen                  // my favourites and monitored lines
)

type jobPace int

const (
	paceUrgent jobPace = iota // as soon as the budget has room
	pacePrompt                // as soon as the budget has room beyond loadSpare
	paceSteady                // at an even pace, beyond loadSpare
)

// loader runs one reload.
type loader struct {
	s     *Sync
	c     *rc.Client
	m     *Mirror
	me    ID
	admin bool
	// first: the first load (it tells when the screens' rows are in).
	first bool
	// failed are people whose presence the server would not give in this
	// reload; queues the queues loaded in it.
	failed map[ID]bool
	queues map[ID]bool
	mine   bool // my queues' availability reloaded
	// next is when the next steady request may go.
	steadyAt time.Time
	// heavy carries company presence's result; heavyDone once it came.
	heavy     chan error
	heavyDone bool
	heavyErr  error
}

func (s *Sync) newLoader(admin, first bool) *loader {
	me, _ := s.m.Me()
	return &loader{s: s, c: s.c, m: s.m, me: me, admin: admin, first: first,
		failed: map[ID]bool{}, queues: map[ID]bool{}, mine: first && !admin}
}

// run loads everything the reload must, the screens first.
func (l *loader) run(ctx context.Context) (err error) {
	if err := l.loop(ctx, true); err != nil {
		return err
	}
	if l.first {
		l.m.SetScreenLoaded()
		l.s.markStarted()
	}
	if l.s.companyPresence() {
		// Me (with the rows near the screen) before company presence: a
		// refusal to read presence then ends the load before a Heavy
		// request is spent on it too.
		if j := l.next(false); j != nil && j.kind == jobPresence && j.pace == paceUrgent {
			if wait := l.wait(j); wait > 0 && !sleepCtx(ctx, wait) {
				return ctx.Err()
			}
			if err := l.do(ctx, j); err != nil {
				return err
			}
		}
		hctx, cancel := context.WithCancel(ctx)
		l.heavy = make(chan error, 1)
		l.s.goRun(func() { l.heavy <- l.accountPresence(hctx) })
		defer func() {
			cancel()
			if !l.heavyDone {
				// It ends with this reload; what held it up (a rate
				// limit) tells more than the end of the reload.
				if herr := <-l.heavy; herr != nil && errors.Is(err, ctx.Err()) {
					err = herr
				}
			}
		}()
	}
	return l.loop(ctx, false)
}

// loop sends the loader's requests until what it may do is done: the
// screens' rows (screen), or everything.
func (l *loader) loop(ctx context.Context, screen bool) error {
	for {
		if l.heavy != nil && !l.heavyDone {
			select {
			case err := <-l.heavy:
				l.heavyDone, l.heavyErr = true, err
			default:
			}
		}
		if err := l.heavyErr; err != nil {
			l.heavyErr = nil
			if !l.s.noCompanyPresence(err) {
				return err
			}
		}
		j := l.next(screen)
		if j == nil {
			if l.finished(screen) {
				return nil
			}
			if !l.sleep(ctx, time.Second) {
				return ctx.Err()
			}
			continue
		}
		if wait := l.wait(j); wait > 0 {
			if !l.sleep(ctx, wait) {
				return ctx.Err()
			}
			continue // what is most wanted may have changed meanwhile
		}
		if err := l.do(ctx, j); err != nil {
			return err
		}
		l.due()
	}
}

// finished reports that nothing is left to load.
func (l *loader) finished(screen bool) bool {
	if screen {
		return true
	}
	select {
	case <-l.s.dirDone:
	default:
		return false // people still join the directory's list
	}
	if !l.listed() {
		return false // the queues' members and availability are still to come
	}
	select {
	case <-l.s.othersDone:
	default:
		return false // the directory's other extensions are still to come
	}
	return l.heavy == nil || l.heavyDone
}

// sleep waits d, or less when what is wanted may have changed; false
// when ctx ended.
func (l *loader) sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	var heavy <-chan error
	if l.heavy != nil && !l.heavyDone {
		heavy = l.heavy
	}
	dir, others := l.s.dirDone, l.s.othersDone
	select {
	case <-dir:
		dir = nil // in already: waiting on it would not wait
	default:
	}
	select {
	case <-others:
		others = nil
	default:
	}
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
	case <-dir:
	case <-others:
	case <-l.m.load.wake:
	case err := <-heavy:
		l.heavyDone, l.heavyErr = true, err
	}
	return true
}

// wait is how long job must wait for its pace and budget.
func (l *loader) wait(j *loadJob) time.Duration {
	switch j.pace {
	case paceUrgent:
		return l.c.BudgetWait(rc.Light, 0)
	case pacePrompt:
		return l.c.BudgetWait(rc.Light, loadSpare)
	}
	return max(time.Until(l.steadyAt), l.c.BudgetWait(rc.Light, loadSpare))
}

// steadyEvery is the steady pace: the Light budget less loadSpare, spread
// evenly over the window.
func (l *loader) steadyEvery() time.Duration {
	n, window := l.c.BackgroundBudget(rc.Light)
	return window / time.Duration(max(1, n-loadSpare))
}

// next is the most wanted work now (nil: none).
func (l *loader) next(screen bool) *loadJob {
	company := l.s.companyPresence()
	upTo := tierRest
	switch {
	case screen:
		upTo = tierScreen
	case company && !l.heavyDone:
		upTo = tierNear // company presence brings the rest
	}
	// An admin's header waits for nothing but the rows on screen: their
	// own presence rides along where the batch has room, else it comes
	// first behind them (their row shows not known meanwhile).
	screenFirst := screen && l.admin
	ids, tier := l.m.pickLoad(rc.MaxBatch, upTo, l.failed, screenFirst)
	if screenFirst && tier != tierScreen {
		return nil
	}
	if len(ids) > 0 && tier <= tierNear {
		return &loadJob{kind: jobPresence, ids: ids, pace: paceUrgent}
	}
	if screen {
		return nil
	}
	if !l.listed() {
		// The queues are not listed yet: only presence may go.
		if len(ids) > 0 {
			return &loadJob{kind: jobPresence, ids: ids, pace: l.restPace()}
		}
		return nil
	}
	if q := l.nextQueue(true); q != "" {
		return &loadJob{kind: jobQueue, queue: q, pace: paceUrgent}
	}
	if !l.mine {
		return &loadJob{kind: jobMine, pace: pacePrompt}
	}
	if !l.admin && !l.s.chosenRead.Load() {
		return &loadJob{kind: jobChosen, pace: pacePrompt}
	}
	if l.admin {
		if q := l.nextQueue(false); q != "" {
			return &loadJob{kind: jobQueue, queue: q, pace: pacePrompt}
		}
	} else {
		// My queues' members, so my colleagues come next.
		for _, q := range l.m.myQueues() {
			if !l.queues[q] && !l.membersKnown(q) {
				return &loadJob{kind: jobQueue, queue: q, pace: pacePrompt}
			}
		}
	}
	if len(ids) > 0 {
		return &loadJob{kind: jobPresence, ids: ids, pace: l.restPace()}
	}
	return nil // an agent's other queues' members follow the load (loadMembers)
}

// restPace is the pace of the presence of people no one looks at: at once
// when the budget holds it all, else even.
func (l *loader) restPace() jobPace {
	if batches := (l.m.peopleLeft() - len(l.failed) + rc.MaxBatch - 1) / rc.MaxBatch; batches <= l.c.BudgetFree(rc.Light, loadSpare) {
		return pacePrompt
	}
	return paceSteady
}

// listed reports that the call queues are listed and followed by the
// subscription: their members and availability may be read.
func (l *loader) listed() bool {
	select {
	case <-l.s.queuesListed:
		return true
	default:
		return false
	}
}

// nextQueue is a queue to load: an admin reloads every queue's members
// and their availability in each reload, an agent reads each queue's
// members once; wanted: only when a viewer looks at them now.
func (l *loader) nextQueue(wanted bool) ID {
	if wanted && !l.m.queuesWanted() {
		return ""
	}
	ids, known := l.m.queueIDs()
	for i, q := range ids {
		if l.queues[q] || !l.admin && known[i] {
			continue
		}
		return q
	}
	return ""
}

func (l *loader) membersKnown(q ID) bool {
	qq, ok := l.m.Queue(q)
	return ok && qq.MembersKnown
}

// do sends one job's request and applies its answer.
func (l *loader) do(ctx context.Context, j *loadJob) error {
	switch j.kind {
	case jobPresence:
		res, err := l.c.BatchPresence(ctx, toRC(j.ids), true, true)
		if err != nil {
			return err
		}
		var ok []rc.Presence
		for _, r := range res {
			if r.Err != nil {
				l.failed[ID(r.ID)] = true
				continue
			}
			if r.Presence.Who() == "" {
				r.Presence.ExtensionID = r.ID
			}
			ok = append(ok, r.Presence)
		}
		l.m.ApplySnapshot(ok, true)
		if j.pace == paceSteady {
			l.steadyAt = time.Now().Add(l.steadyEvery())
		}
	case jobQueue:
		l.queues[j.queue] = true
		err := l.loadQueue(ctx, j.queue)
		if err != nil && !isPermanent(err) {
			return err
		}
		if err != nil {
			l.s.log.Info("queue not read", "queue", j.queue, "err", err)
		}
		l.queuesDue()
	case jobMine:
		l.mine = true
		mine, err := l.c.MyQueuePresence(ctx, rc.ID(l.me))
		if err != nil && !rc.IsStatus(err, 403) {
			return err
		}
		l.m.ApplyMyQueues(l.me, mine)
	case jobChosen:
		l.s.chosenRead.Store(true)
		l.s.readChosen(ctx, l.me)
	}
	return nil
}

// loadQueue reads one queue: an admin its members with their availability
// in it, an agent its members.
func (l *loader) loadQueue(ctx context.Context, q ID) error {
	if l.admin {
		l.m.StartQueueFetch(q)
		recs, err := l.c.QueuePresence(ctx, rc.ID(q))
		if err != nil {
			l.m.ApplyQueueSnapshot(q, nil) // stops keeping its events
			return err
		}
		l.m.ApplyQueuePresence(q, recs)
		return nil
	}
	members, err := l.c.QueueMembers(ctx, rc.ID(q))
	if err != nil {
		return err
	}
	ids := make([]ID, 0, len(members))
	for _, mb := range members {
		ids = append(ids, ID(mb.ID))
	}
	l.m.SetQueueMembers(q, ids)
	return nil
}

// accountPresence loads an admin's company presence, 1000 a page, once
// the directory is complete (its records must find their people), and
// stops once every person is in.
func (l *loader) accountPresence(ctx context.Context) error {
	select {
	case <-l.s.dirDone:
	case <-ctx.Done():
		return ctx.Err()
	}
	errEnough := errors.New("everyone is in")
	err := l.c.AccountPresence(ctx, true, func(page []rc.Presence) error {
		l.m.ApplySnapshot(page, true)
		l.heavyDue()
		left := l.m.peopleLeft()
		if left == 0 {
			return errEnough
		}
		// The calls live now are a Heavy read too: they go once this
		// window has room for them beside the pages left, or once the
		// pages must wait for the next window anyway.
		if free := l.c.BudgetFree(rc.Heavy, 0); (left+999)/1000 < free || free == 0 {
			l.s.letCallsGo()
		}
		return nil
	})
	if errors.Is(err, errEnough) {
		return nil
	}
	return err
}

// due tells the mirror when the presence still loading should be in.
func (l *loader) due() {
	left := l.m.peopleLeft() - len(l.failed)
	if left <= 0 {
		l.m.SetPresenceDue(time.Time{})
		return
	}
	now := time.Now()
	if l.s.companyPresence() && !l.heavyDone {
		l.heavyDue() // company presence brings the rest, 1000 a page
		return
	}
	batches := (left + rc.MaxBatch - 1) / rc.MaxBatch
	start := l.steadyAt
	if start.Before(now) {
		start = now
	}
	l.m.SetPresenceDue(start.Add(time.Duration(batches-1) * l.steadyEvery()))
}

// heavyDue is due while company presence loads (any goroutine).
func (l *loader) heavyDue() {
	left := l.m.peopleLeft()
	if left <= 0 {
		l.m.SetPresenceDue(time.Time{})
		return
	}
	l.m.SetPresenceDue(time.Now().Add(l.c.BudgetETA(rc.Heavy, (left+999)/1000, 0)))
}

// queuesDue tells the mirror how many queues' members are in.
func (l *loader) queuesDue() {
	ids, known := l.m.queueIDs()
	done := 0
	for i := range ids {
		if known[i] {
			done++
		}
	}
	left := len(ids) - done
	var until time.Time
	if left > 0 {
		until = time.Now().Add(l.c.BudgetETA(rc.Light, left, loadSpare))
	}
	l.m.SetQueuesLoading(done, len(ids), until)
}
