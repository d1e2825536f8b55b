package state

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rchud/rchud/rc"
)

// SyncOptions tune the sync loop.
type SyncOptions struct {
	Logger *slog.Logger
	Stream rc.StreamOptions
	// FetchEvery is how often extensions with incomplete calls are fetched.
	FetchEvery time.Duration
	// LiveWait is how long the first load waits for the subscription to be
	// live, so that nothing changes unseen between the two.
	LiveWait time.Duration
	// Device names the phone calls are answered on (an id, or part of a
	// name); empty: the first desk phone.
	Device string
	// NoStream loads once over REST and stays put: no WebSocket, no
	// subscription (a one-shot snapshot).
	NoStream bool
	// CloseWithin bounds the clean-up once Run's context ends: the writes
	// in flight, the subscription's DELETE, the session's hand-over (1 s).
	CloseWithin time.Duration
}

// Sync keeps a Mirror equal to the server: bootstrap (directory, then
// presence, shown as it arrives), one subscription, notifications applied
// as they come, and a resync from REST after any gap.
type Sync struct {
	c    *rc.Client
	m    *Mirror
	opts SyncOptions
	log  *slog.Logger

	// Writer sends the user's changes; set once Run has signed in.
	writerReady chan struct{}
	writer      *Writer
	queues      []Queue       // the queues whose availability is followed
	ready       chan struct{} // closed after the first full presence load
	readyOnce   sync.Once
	stream      *rc.Stream

	// onNote, when set by a test, sees every notification applied.
	onNote func(n *rc.Notification)

	rsMu sync.Mutex // serializes startResync
	// wg holds every goroutine Run starts: Run returns only once they
	// have all ended.
	wg       sync.WaitGroup
	mu       sync.Mutex
	resyncs  int // resyncs started, for tests and figures
	cancelRS context.CancelFunc
	rsDone   chan struct{}

	// callsOff: the server refused the telephony filter (no CallControl);
	// deviceSet: the phone to answer on is chosen.
	callsOff, deviceSet atomic.Bool
	// admin: the signed-in user is an administrator (follows each call
	// queue's calls); set once Run has signed in.
	admin bool
	// company: presence comes from the company-wide read and filter; it
	// starts as the user is an admin, and falls back to per extension
	// when the user may not read company presence.
	company bool
	// problem is a lasting failure retrying cannot mend; loadErr the last
	// error a load met.
	problem error
	failing bool // fail was called: problem follows once it is shown
	loadErr error
	// refilter asks for the subscription's filters to follow company.
	refilter chan struct{}
	failed   chan struct{} // closed when problem is set
	// dirDone is closed once every person of the directory is in; started
	// once the first load has loaded what the screens show.
	dirDone     chan struct{}
	started     chan struct{}
	startedOnce sync.Once
	startedAt   time.Time // when started closed (set before)
	// callsGo is closed once the calls live now may be read: their
	// sessions are Light requests, which an agent's presence (or an
	// admin's, until company presence is seen to work) needs first.
	callsGo   chan struct{}
	callsOnce sync.Once
	// queuesListed is closed once the call queues are listed and the
	// subscription follows them: their members may be read.
	queuesListed chan struct{}
	// othersDone is closed once the extensions that are not people have
	// been read (or given up on).
	othersDone chan struct{}
	othersOnce sync.Once
	// chosenRead: the user's favourites and monitored lines have been read.
	chosenRead atomic.Bool
}

// NewSync makes a sync loop for c into m.
func NewSync(c *rc.Client, m *Mirror, opts SyncOptions) *Sync {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.FetchEvery == 0 {
		opts.FetchEvery = 500 * time.Millisecond
	}
	if opts.LiveWait == 0 {
		opts.LiveWait = 5 * time.Second
	}
	if opts.CloseWithin == 0 {
		opts.CloseWithin = time.Second
	}
	return &Sync{c: c, m: m, opts: opts, log: opts.Logger, ready: make(chan struct{}), writerReady: make(chan struct{}),
		refilter: make(chan struct{}, 1), failed: make(chan struct{}), dirDone: make(chan struct{}), started: make(chan struct{}),
		callsGo: make(chan struct{}), queuesListed: make(chan struct{}), othersDone: make(chan struct{})}
}

// Err is why the mirror is not, or may not be, complete and live: a
// lasting failure retrying cannot mend (errors.Is rc.ErrPermission: the
// text says which permission and what to do), or, while the first load
// has not completed, the last error it met (a rate limit, an unreachable
// server). nil when there is none.
func (s *Sync) Err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.problem != nil {
		return s.problem
	}
	select {
	case <-s.ready:
		return nil
	default:
	}
	return s.loadErr
}

// Failed is closed once Err reports a lasting failure.
func (s *Sync) Failed() <-chan struct{} { return s.failed }

// fail records a lasting failure and shows it: on the screen first, so
// whoever sees it in Err or Failed finds the header saying it too.
func (s *Sync) fail(err error) {
	s.mu.Lock()
	first := !s.failing
	s.failing = true
	s.mu.Unlock()
	if !first {
		return
	}
	s.log.Info("giving up", "err", err)
	s.m.SetProblem(err.Error())
	s.mu.Lock()
	s.problem = err
	s.mu.Unlock()
	close(s.failed)
}

func (s *Sync) companyPresence() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.company
}

// Ready is closed once every extension's presence has been loaded.
func (s *Sync) Ready() <-chan struct{} { return s.ready }

// Writer waits until the sync has signed in and returns the writer.
func (s *Sync) Writer(ctx context.Context) (*Writer, error) {
	select {
	case <-s.writerReady:
		return s.writer, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// Resyncs is how many full reloads have started (the first load counts).
func (s *Sync) Resyncs() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.resyncs
}

// Run signs in, loads the directory, subscribes and keeps the mirror live
// until ctx ends; then it deletes the subscription, closes the socket and
// revokes the session. It returns early with the error when signing in or
// loading the directory fails (errors.Is rc.ErrAuth / rc.ErrUnreachable).
//
// Before the link reads live it sends only what the screens need: the
// queue list (the call tracker's filters name the queues), the people of
// the directory (as many as RingCentral's rate lets come at once; the rest
// follow), an agent's own queues, the subscription, and the presence of
// the rows on screen. Everything else loads behind it (see loader).
func (s *Sync) Run(ctx context.Context) error {
	me, err := s.c.Login(ctx)
	if err != nil {
		s.mu.Lock()
		s.loadErr = err
		s.mu.Unlock()
		cctx, cancel := context.WithTimeout(context.Background(), s.opts.CloseWithin)
		defer cancel()
		s.c.Close(cctx) // abandons a sign-in still in flight
		return err
	}
	defer s.shutdown()
	// Cancelled first on the way out, so every goroutine below ends before
	// shutdown waits for them.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	s.m.SetMe(ID(me), false)
	s.writer = NewWriter(ctx, s.m, s.c, s.log)
	close(s.writerReady)
	admin, err := s.loadDirectory(ctx, ID(me))
	if err != nil {
		return err
	}
	s.mu.Lock()
	s.company, s.admin = admin, admin
	s.mu.Unlock()
	s.m.SetMe(ID(me), admin)
	// An admin's queues are read behind the screen (listQueuesLate): the
	// first subscription follows company presence, the queues' filters
	// join it once they are known. An agent's own queues are read now
	// (the colleagues come next), with the list of all.
	if !admin || s.opts.NoStream {
		if err := s.listQueues(ctx); err != nil {
			return err
		}
		queues, err := s.followedQueues(ctx, ID(me), admin)
		if err != nil {
			return err
		}
		s.setFollowed(queues)
		close(s.queuesListed)
	}
	if s.opts.NoStream {
		s.otherExtensions(ctx) // a snapshot lists every extension
		s.startResync(ctx, "first load", admin)
		<-ctx.Done()
		return nil
	}
	s.stream = s.c.Stream(s.filters(ID(me)), s.opts.Stream)
	s.goRun(func() { s.fetcher(ctx) })
	s.goRun(func() { s.refilterer(ctx, ID(me), admin) })
	s.goRun(func() {
		<-ctx.Done()
		cctx, cancel := context.WithTimeout(context.Background(), s.opts.CloseWithin)
		defer cancel()
		s.stream.Close(cctx) // deletes the subscription; Events then closes
	})

	first := make(chan struct{})
	var firstOnce sync.Once
	s.goRun(func() {
		// The first load waits (briefly) for the subscription, so nothing
		// changes between the snapshot and the first notification.
		t := time.NewTimer(s.opts.LiveWait)
		defer t.Stop()
		select {
		case <-first:
		case <-t.C:
			s.log.Info("subscription not live yet; loading presence anyway")
		case <-ctx.Done():
			return
		}
		s.startResync(ctx, "first load", admin)
		select {
		case <-s.started:
		case <-ctx.Done():
			return
		}
		// Behind what the screens show: the rest of the directory's
		// extensions (queues, park locations, menus), the company's name,
		// the calls live now.
		if admin {
			s.listQueuesLate(ctx, ID(me))
		}
		s.goRun(func() { s.otherExtensions(ctx) })
		s.goRun(func() { s.companyName(ctx) })
		if !admin {
			s.letCallsGo() // an agent's own calls: a few requests
		}
		select {
		case <-s.callsGo:
		case <-s.ready:
		case <-ctx.Done():
			return
		}
		select {
		case <-s.queuesListed: // the calls of the queues are followed
		case <-ctx.Done():
			return
		}
		s.goRun(func() { s.readOrbits(ctx) })
		s.goRun(func() { s.runCalls(ctx, ID(me), admin) })
		select {
		case <-s.ready:
			s.goRun(func() { s.loadMembers(ctx) })
		case <-ctx.Done():
		}
	})
	late := false // the first load began before the subscription was live
	for ev := range s.stream.Events() {
		switch {
		case ev.Link != nil:
			s.m.SetLink(*ev.Link)
			if ev.Link.State == rc.LinkFailed {
				s.fail(ev.Link.Err)
				firstOnce.Do(func() { close(first) }) // load what REST gives
			}
			if ev.Link.State == rc.LinkLive {
				firstOnce.Do(func() {
					late = s.Resyncs() > 0
					close(first)
				})
				if late {
					late = false
					s.startResync(ctx, "subscription started after the first load", admin)
				}
			}
			if ev.Link.State == rc.LinkClosed {
				return nil
			}
		case ev.Lost != nil:
			// Nothing arrives from now on: rows turn stale at once; the
			// reload waits for the new subscription (a Resync follows).
			s.log.Info("subscription lost", "why", ev.Lost.Why)
			s.m.StartResync(ev.Lost.Why)
		case ev.Resync != nil:
			s.log.Info("resync", "why", ev.Resync.Why)
			s.startResync(ctx, ev.Resync.Why, admin)
			s.m.CallsGap(s.m.now())
			s.goRun(func() { s.runCalls(ctx, ID(me), admin) })
		case ev.Disabled != nil:
			s.log.Info("filters not granted", "filters", ev.Disabled)
			s.m.SetDisabled(ev.Disabled)
			s.telephonyDisabled(ev.Disabled, admin)
		case ev.Notification != nil:
			s.apply(ctx, ev.Notification)
		}
	}
	return nil
}

// apply routes one notification into the mirror.
func (s *Sync) apply(ctx context.Context, n *rc.Notification) {
	if s.onNote != nil {
		s.onNote(n)
	}
	switch n.Kind() {
	case rc.KindPresence:
		p, err := n.Presence()
		if err != nil {
			s.log.Debug("undecodable presence notification", "err", err)
			return
		}
		s.m.ApplyEvent(&p, n.Timestamp.Time, true)
	case rc.KindQueuePresence:
		changes, err := n.QueuePresence()
		if err != nil {
			s.log.Debug("undecodable queue notification", "err", err)
			return
		}
		s.m.ApplyQueueEvent(changes)
	case rc.KindTelephonySession:
		ts, err := n.TelephonySession()
		if err != nil {
			s.log.Debug("undecodable telephony notification", "err", err)
			return
		}
		s.m.ApplyTelephony(ts, n.Timestamp.Time)
	case rc.KindExtensionList:
		changes, err := n.ExtensionChanges()
		if err != nil {
			s.log.Debug("undecodable directory notification", "err", err)
			return
		}
		s.directoryChanged(ctx, changes)
	}
}

// filters chooses the subscription by permission (rc-api.md §3.5): the
// detailed account filter for admins, who may read company presence;
// otherwise a detailed filter per user, mine included. Queue filters for
// the queues whose availability is shown.
func (s *Sync) filters(me ID) []string {
	var f []string
	if s.companyPresence() {
		f = append(f, "/restapi/v1.0/account/~/presence?detailedTelephonyState=true")
	} else {
		for _, r := range s.m.All() {
			if r.Type == TypeUser {
				f = append(f, "/restapi/v1.0/account/~/extension/"+string(r.ID)+"/presence?detailedTelephonyState=true")
			}
		}
	}
	s.mu.Lock()
	queues, admin := s.queues, s.admin
	s.mu.Unlock()
	for _, q := range queues {
		f = append(f, "/restapi/v1.0/account/~/call-queues/"+string(q.ID)+"/presence")
	}
	s.m.SetCallsFollow(callFollow(admin, queues))
	return append(f, callFilters(me, admin, queues)...)
}

// noCompanyPresence falls back to presence per extension, as an agent
// loads it, when the user may not read company presence (CMN-408, or an
// administrator's permission, CMN-402). It reports whether it did: an app
// without ReadPresence (CMN-401) has no fallback.
func (s *Sync) noCompanyPresence(err error) bool {
	var ae *rc.APIError
	if !errors.As(err, &ae) || (ae.Code != "CMN-408" && ae.Code != "CMN-402") {
		return false
	}
	s.mu.Lock()
	was := s.company
	s.company = false
	s.mu.Unlock()
	if was {
		s.log.Info("no company presence for this user; loading presence per extension", "err", err)
		select {
		case s.refilter <- struct{}{}:
		default:
		}
	}
	return true
}

// refilterer changes the subscription's filters when the presence source
// changes, then reloads: notifications between the first load and the new
// filters may have been missed.
func (s *Sync) refilterer(ctx context.Context, me ID, admin bool) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.refilter:
		}
		for attempt := 0; ; attempt++ {
			err := s.stream.SetFilters(ctx, s.filters(me))
			if err == nil {
				s.startResync(ctx, "presence is now followed per extension", admin)
				break
			}
			if ctx.Err() != nil {
				return
			}
			s.log.Info("could not change the subscription's filters", "err", err)
			if !sleepCtx(ctx, min(time.Duration(attempt+1)*2*time.Second, 30*time.Second)) {
				return
			}
		}
	}
}

// sleepCtx sleeps d unless ctx ends first (false then).
func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// listQueues reads the call queues: ids, names and who may change their
// own availability in each. Their members load later (loader).
func (s *Sync) listQueues(ctx context.Context) error {
	list, err := s.c.ListCallQueues(ctx, "")
	if err != nil {
		return err
	}
	qs := make([]Queue, 0, len(list))
	for _, q := range list {
		qq := Queue{ID: ID(q.ID), Number: q.ExtensionNumber, Name: q.Name, Accept: map[ID]bool{}}
		if q.EditableMemberStatus != nil {
			qq.EditableMemberStatus = *q.EditableMemberStatus
		}
		qs = append(qs, qq)
	}
	s.m.SetQueueList(qs)
	return nil
}

// setFollowed records the queues whose member availability the
// subscription follows.
func (s *Sync) setFollowed(queues []Queue) {
	s.mu.Lock()
	s.queues = queues
	s.mu.Unlock()
}

// filtersWait is how long the queues' members wait at most for their
// filters to join the subscription before they load anyway (as they do at
// once while the link is down): a resync follows the filters.
const filtersWait = 10 * time.Second

// listQueuesLate reads an admin's queues once the screens' rows are in,
// retrying until it can, and adds their filters to the subscription;
// then the loader may read each queue's members and their availability
// (the filters first, so none of their events is missed). It returns once
// the list is in; the filters follow in the background. When the link is
// down the queues load without waiting for their filters, and a resync
// follows once the filters are in.
func (s *Sync) listQueuesLate(ctx context.Context, me ID) {
	var listed sync.Once
	letLoad := func() {
		listed.Do(func() {
			close(s.queuesListed)
			s.m.load.nudge()
		})
	}
	for attempt := 0; ; attempt++ {
		err := s.listQueues(ctx)
		if err == nil {
			break
		}
		if ctx.Err() != nil {
			return
		}
		if isPermanent(err) {
			s.log.Info("call queues not read", "err", err)
			letLoad() // none to load
			return
		}
		s.log.Info("call queues not read; retrying", "err", err)
		if !sleepCtx(ctx, min(time.Duration(attempt+1)*2*time.Second, 30*time.Second)) {
			return
		}
	}
	s.setFollowed(s.m.Queues())
	s.goRun(func() {
		late := false
		for attempt := 0; ; attempt++ {
			// A stream that gave up (a missing permission) takes no
			// filters; one that is reconnecting takes them once it is
			// back.
			fctx, cancel := context.WithTimeout(ctx, filtersWait)
			go func() {
				tick := time.NewTicker(100 * time.Millisecond)
				defer tick.Stop()
				for {
					select {
					case <-s.failed:
						cancel()
						return
					case <-fctx.Done():
						return
					case <-tick.C:
						if s.m.Health().Conn != ConnLive {
							cancel() // the link is down: the filters wait for it
							return
						}
					}
				}
			}()
			err := s.stream.SetFilters(fctx, s.filters(me))
			cancel()
			if err == nil {
				if late {
					s.startResync(ctx, "the call queues joined the subscription", true)
				}
				letLoad()
				return
			}
			if ctx.Err() != nil {
				return
			}
			select {
			case <-s.failed: // no subscription will follow them: no event to miss
				letLoad()
				return
			default:
			}
			s.log.Info("could not add the queues to the subscription's filters yet", "err", err)
			late = true
			letLoad()
			if !sleepCtx(ctx, min(time.Duration(attempt+1)*2*time.Second, 30*time.Second)) {
				return
			}
		}
	})
}

// followedQueues returns the queues whose member availability is
// followed: every queue for an admin; an agent's own, read with their
// availability in each (which also tells the mirror which they are in).
func (s *Sync) followedQueues(ctx context.Context, me ID, admin bool) ([]Queue, error) {
	if admin {
		return s.m.Queues(), nil
	}
	mine, err := s.c.MyQueuePresence(ctx, rc.ID(me))
	if err != nil && !rc.IsStatus(err, 403) {
		return nil, err
	}
	s.m.ApplyMyQueues(me, mine)
	var followed []Queue
	for _, q := range s.m.Queues() {
		for _, r := range mine {
			if ID(r.CallQueue.ID) == q.ID {
				followed = append(followed, q)
				break
			}
		}
	}
	return followed, nil
}

// startResync (re)starts a full reload in the background; a reload
// already running is cancelled, its log kept.
func (s *Sync) startResync(ctx context.Context, why string, admin bool) {
	s.rsMu.Lock()
	defer s.rsMu.Unlock()
	s.mu.Lock()
	if s.cancelRS != nil {
		s.cancelRS()
		done := s.rsDone
		s.mu.Unlock()
		<-done
		s.mu.Lock()
	}
	rctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	s.cancelRS, s.rsDone = cancel, done
	s.resyncs++
	s.mu.Unlock()
	s.m.StartResync(why)
	s.goRun(func() {
		defer close(done)
		s.resync(rctx, admin)
	})
}

// goRun runs f in a goroutine that Run waits for.
func (s *Sync) goRun(f func()) {
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		f()
	}()
}

// resync reloads every extension's presence and the followed queues'
// availability, retrying with backoff until it completes or is cancelled.
// A missing permission is not retried: it is reported (Err, the mirror's
// Problem) and the reload ends incomplete.
func (s *Sync) resync(ctx context.Context, admin bool) {
	for attempt := 0; ; attempt++ {
		err := s.reload(ctx, admin)
		if err == nil {
			s.m.FinishResync(true)
			s.readyOnce.Do(func() { close(s.ready) })
			return
		}
		s.mu.Lock()
		s.loadErr = err
		s.mu.Unlock()
		if errors.Is(err, rc.ErrPermission) {
			s.fail(err)
			s.m.FinishResync(false)
			return
		}
		if ctx.Err() != nil {
			return
		}
		s.log.Info("resync failed", "attempt", attempt+1, "err", err)
		if !sleepCtx(ctx, min(time.Duration(attempt+1)*2*time.Second, 30*time.Second)) {
			return
		}
	}
}

// reload loads every person's presence and the queues' availability,
// what the screens show first (loader); the first reload is the first
// load.
func (s *Sync) reload(ctx context.Context, admin bool) error {
	first := false
	select {
	case <-s.started:
	default:
		first = true
	}
	return s.newLoader(admin, first).run(ctx)
}

// markStarted records that the first load has what the screens show.
func (s *Sync) markStarted() {
	s.startedOnce.Do(func() {
		s.startedAt = time.Now()
		close(s.started)
	})
}

// letCallsGo lets the calls live now be read.
func (s *Sync) letCallsGo() { s.callsOnce.Do(func() { close(s.callsGo) }) }

func toRC(ids []ID) []rc.ID {
	out := make([]rc.ID, len(ids))
	for i, id := range ids {
		out[i] = rc.ID(id)
	}
	return out
}

// fetcher GETs, 30 at a time, the extensions whose calls a notification
// left incomplete (more than 7 calls, or a body without activeCalls).
func (s *Sync) fetcher(ctx context.Context) {
	t := time.NewTicker(s.opts.FetchEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		for {
			ids := s.m.TakeFetches(rc.MaxBatch)
			if len(ids) == 0 {
				break
			}
			res, err := s.c.BatchPresence(ctx, toRC(ids), true, false)
			if err != nil {
				s.m.FetchFailed(ids)
				if !errors.Is(err, context.Canceled) {
					s.log.Info("presence fetch failed", "err", err)
				}
				break
			}
			var ok []rc.Presence
			var failed []ID
			for _, r := range res {
				if r.Err != nil {
					failed = append(failed, ID(r.ID))
					continue
				}
				if r.Presence.Who() == "" {
					r.Presence.ExtensionID = r.ID
				}
				ok = append(ok, r.Presence)
			}
			s.m.ApplySnapshot(ok, true)
			if len(failed) > 0 {
				s.m.FetchFailed(failed)
			}
		}
	}
}

// shutdown lets the writes in flight finish, deletes the subscription,
// closes the socket and hands the session over (kept in the client's
// store for the next start, or revoked without one), all within
// CloseWithin: what cannot be sent by then is skipped.
func (s *Sync) shutdown() {
	ctx, cancel := context.WithTimeout(context.Background(), s.opts.CloseWithin)
	defer cancel()
	if s.writer != nil {
		s.writer.Close(s.opts.CloseWithin / 3)
	}
	if s.stream != nil {
		s.stream.Close(ctx)
	}
	s.mu.Lock()
	if s.cancelRS != nil {
		s.cancelRS()
	}
	s.mu.Unlock()
	s.wg.Wait()
	s.c.Close(ctx)
}
