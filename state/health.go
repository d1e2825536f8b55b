package state

import (
	"slices"
	"strings"
	"time"

	"github.com/rchud/rchud/rc"
)

// Conn is the mirror's connection state as the header shows it.
type Conn int

// Connection states.
const (
	ConnConnecting Conn = iota
	ConnLive
	ConnRecovering
	ConnResyncing
	ConnOffline
	ConnClosed
)

func (c Conn) String() string {
	return [...]string{"connecting", "live", "recovering", "resyncing", "offline", "closed"}[c]
}

// offlineAfter is how long a lost link is "recovering" before it is
// reported "offline since".
const offlineAfter = 15 * time.Second

// staleGrace is how long a lost link may last before rows are marked
// stale: a reconnect that recovers the session within it loses nothing.
const staleGrace = 3 * time.Second

// Health is the mirror's freshness as a whole.
type Health struct {
	Conn Conn
	// Down is when the link was lost (zero when it is not).
	Down time.Time
	// Err is the last link error, one line, sanitised, no secrets.
	Err string
	// Resync is why a resync is running ("" when none).
	Resync string
	// LastEvent is when the last notification arrived (local clock).
	LastEvent time.Time
	// Loaded reports that the first full presence load has completed.
	Loaded bool
	// ScreenLoaded reports that the first load has loaded what the screens
	// show: the directory (as far as RingCentral's rate lets it come at
	// once) and the presence of the rows on screen. What is left loads
	// behind it (Loading), each row not loaded yet showing as not known,
	// and the link reads live.
	ScreenLoaded bool
	// Loading lists what is still loading, and how long RingCentral's rate
	// limits make it take; empty when nothing is.
	Loading []Progress
	// Disabled lists filters the server would not grant.
	Disabled []string
	// Retry is when the next attempt to bring the link back is due: a
	// reconnect, or the re-creation of a lost subscription (zero when none
	// is planned). The header counts down to it.
	Retry time.Time
	// Problem is a lasting condition retrying cannot mend, one line saying
	// what to do (a missing permission); "" when there is none.
	Problem string
	// Wait says why signing in waits ("rate-limited by RingCentral") and
	// WaitUntil until when; "" when it does not.
	Wait      string
	WaitUntil time.Time
}

// Progress is how far one thing still loading has got.
type Progress struct {
	// What is loading: "directory", "presence", "queue members".
	What        string
	Done, Total int
	// Until is when the rest should be in at RingCentral's rate (zero:
	// not known).
	Until time.Time
}

// linkHealth follows the WebSocket link and the consistency of what the
// mirror holds: since when events may be missing (a gap), and whether a
// reload is running. The Mirror's lock guards it.
type linkHealth struct {
	h        Health
	linkDown time.Time // when the link was lost; zero while live
	gapStart time.Time // events may be missing since; zero when consistent
	// epoch counts changes that may turn rows stale or fresh all at once.
	epoch uint64
	// failed: the link has given up (rc.LinkFailed); nothing is live, so
	// every row is stale, whenever it was loaded.
	failed bool
}

// setLink records a change of the link; reloading reports a resync running.
func (l *linkHealth) setLink(link rc.Link, now time.Time, reloading bool) {
	l.h.Retry = link.Retry
	switch link.State {
	case rc.LinkLive:
		l.failed = false
		l.linkDown = time.Time{}
		l.h.Conn = ConnLive
		l.h.Err = ""
		l.h.Down = time.Time{}
		if !reloading && l.h.Loaded {
			// Recovered with nothing missed: what we hold is current.
			l.gapStart = time.Time{}
			l.h.Resync = ""
		}
	case rc.LinkConnecting:
		l.h.Conn = ConnConnecting
	case rc.LinkRecovering:
		if l.linkDown.IsZero() {
			l.linkDown = now
			if l.gapStart.IsZero() {
				l.gapStart = now
			}
		}
		l.h.Conn = ConnRecovering
		l.h.Down = l.linkDown
	case rc.LinkClosed:
		l.h.Conn = ConnClosed
	case rc.LinkFailed:
		l.failed = true
		if l.linkDown.IsZero() {
			l.linkDown = now
		}
		if l.gapStart.IsZero() {
			l.gapStart = now
		}
		l.h.Conn = ConnOffline
		l.h.Down = l.linkDown
	}
	if link.Err != nil {
		l.h.Err = oneLine(link.Err.Error())
	}
	l.epoch++
}

// startResync notes a full reload starting: a gap from now if there was
// none and anything has been shown (before, the first load is still
// loading it).
func (l *linkHealth) startResync(why string, now time.Time) {
	if l.gapStart.IsZero() && (l.h.Loaded || l.h.ScreenLoaded) {
		l.gapStart = now
	}
	l.h.Resync = Sanitize(why)
	l.epoch++
}

// finishResync notes a reload ending; complete: every extension reloaded.
func (l *linkHealth) finishResync(complete bool) {
	if complete {
		l.h.Loaded = true
		l.h.Resync = ""
		if l.linkDown.IsZero() {
			l.gapStart = time.Time{}
		}
	}
	l.epoch++
}

// health is the state as shown at now: "offline since" once the link has
// been down a while, "resyncing" while a reload runs.
func (l *linkHealth) health(now time.Time, reloading bool) Health {
	h := l.h
	h.Disabled = slices.Clone(h.Disabled)
	if h.Conn == ConnRecovering && now.Sub(l.linkDown) >= offlineAfter {
		h.Conn = ConnOffline
	}
	// The first load reads live once the screens' rows are in and no
	// events were missed; any other reload is a resync.
	if h.Conn == ConnLive && reloading && !(h.ScreenLoaded && !h.Loaded && l.gapStart.IsZero()) {
		h.Conn = ConnResyncing
	}
	return h
}

// stale reports whether e may be out of date: events were lost or the
// link has been down past the grace, and nothing has confirmed e since.
func (l *linkHealth) stale(e *Entry, now time.Time, reloading bool) bool {
	if l.failed {
		return true
	}
	if l.gapStart.IsZero() || !e.Confirmed.Before(l.gapStart) {
		return false
	}
	if !l.linkDown.IsZero() && now.Sub(l.linkDown) < staleGrace && !reloading {
		return false
	}
	return true
}

// live reports that what arrives now is seen as it happens: no gap open.
func (l *linkHealth) consistent() bool { return l.gapStart.IsZero() }

// nextChange is when health or staleness will read differently with no
// event at all (zero: never).
func (l *linkHealth) nextChange(now time.Time) time.Time {
	if l.linkDown.IsZero() {
		return time.Time{}
	}
	for _, d := range []time.Duration{staleGrace, offlineAfter} {
		if t := l.linkDown.Add(d); t.After(now) {
			return t
		}
	}
	return time.Time{}
}

// SetSignInWait records why signing in waits, and until when ("" when it
// no longer does): rc.Options.SignInWait.
func (m *Mirror) SetSignInWait(why string, until time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.link.h.Wait, m.link.h.WaitUntil = oneLine(why), until
	m.signal()
}

// SetProblem records a lasting condition retrying cannot mend (a missing
// permission), one line saying what to do; "" clears it.
func (m *Mirror) SetProblem(p string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.link.h.Problem = oneLine(p)
	m.link.epoch++
	m.signal()
}

func oneLine(s string) string {
	s = strings.Join(strings.Fields(Sanitize(s)), " ")
	if r := []rune(s); len(r) > 160 {
		s = string(r[:160]) + "…"
	}
	return s
}
