package serve

import (
	"context"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"

	tea "charm.land/bubbletea/v2"
	"charm.land/ssh"
	"github.com/charmbracelet/colorprofile"
	gossh "golang.org/x/crypto/ssh"

	"github.com/rchud/rchud/state"
	"github.com/rchud/rchud/ui"
)

// viewer is one SSH session: its user, its output, and how it ends.
type viewer struct {
	s    *Server
	sess ssh.Session
	user atomic.Pointer[User]
	out  *output
	// lastInput is when a key was last pressed (unix ns).
	lastInput atomic.Int64

	done     chan struct{} // closed by end
	finished chan struct{} // closed when the session's program has returned
	grace    sync.WaitGroup

	mu     sync.Mutex
	ended  bool
	over   bool // the session has returned: end starts nothing more
	reason string
	prog   *tea.Program
	view   *state.View
}

func newViewer(s *Server, sess ssh.Session, u User) *viewer {
	v := &viewer{s: s, sess: sess, out: &output{w: sess}, done: make(chan struct{}), finished: make(chan struct{})}
	v.user.Store(&u)
	v.lastInput.Store(time.Now().UnixNano())
	return v
}

// end ends the session, telling the user why (nothing when why is ""):
// the HUD quits and restores the terminal, or, when its client takes
// nothing within the grace, the connection is closed.
func (v *viewer) end(why string) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.ended || v.over {
		return
	}
	v.ended, v.reason = true, why
	p := v.prog
	close(v.done)
	if p != nil {
		v.grace.Add(1)
		go func() {
			defer v.grace.Done()
			p.Quit() // blocks while the program is stuck writing: the grace below unsticks it
		}()
	}
	v.grace.Add(1)
	go func() {
		defer v.grace.Done()
		t := time.NewTimer(v.s.o.EndGrace)
		defer t.Stop()
		select {
		case <-v.finished:
		case <-t.C:
			v.closeNow()
		}
	}()
}

// closeNow closes the connection: writes blocked on a client that reads
// nothing fail, and the session unwinds. (Closing only the session's
// channel would not do: its writes wait for window the client never
// gives.)
func (v *viewer) closeNow() {
	if c, ok := v.sess.Context().Value(ssh.ContextKeyConn).(gossh.Conn); ok {
		_ = c.Close()
		return
	}
	_ = v.sess.Close()
}

// started records the program; it quits at once if the session has
// already been ended.
func (v *viewer) started(p *tea.Program) bool {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.prog = p
	return !v.ended
}

// finish marks the session over and waits for what end started.
func (v *viewer) finish() {
	close(v.finished)
	v.mu.Lock()
	v.over = true
	v.mu.Unlock()
	v.grace.Wait()
}

func (v *viewer) why() string {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.reason
}

// output is a session's output: it counts bytes and tells a client that
// takes nothing (a write blocked since).
type output struct {
	w     io.Writer
	bytes atomic.Int64
	since atomic.Int64 // unix ns a write began; 0 when none is blocked
}

func (o *output) Write(p []byte) (int, error) {
	o.since.Store(time.Now().UnixNano())
	n, err := o.w.Write(p)
	o.since.Store(0)
	o.bytes.Add(int64(n))
	return n, err
}

func (o *output) stalledFor(now time.Time) time.Duration {
	if t := o.since.Load(); t != 0 {
		return now.Sub(time.Unix(0, t))
	}
	return 0
}

// say writes a line to the session outside the HUD.
func say(w io.Writer, line string) {
	_, _ = io.WriteString(w, "rchud: "+line+"\r\n")
}

// handle serves one SSH session: its own view of the shared mirror, its
// own HUD, its writes through a Guard.
func (s *Server) handle(sess ssh.Session) {
	// Read the PTY once, first: charm.land/ssh updates it unlocked on
	// every window change (the changes themselves come on winch).
	pty, winch, hasPty := sess.Pty()
	u, ok := s.users.Load().Lookup(sess.PublicKey())
	if !ok {
		say(sess, "your key is not in the users file")
		_ = sess.Exit(1)
		return
	}
	v := newViewer(s, sess, u)
	rec := Record{Key: u.Fingerprint, Ext: u.Extension, Role: u.Role, Action: "connect"}
	if why := s.admit(v); why != "" {
		rec.Result = "refused: " + why
		s.audit.Log(rec)
		say(sess, why)
		_ = sess.Exit(1)
		return
	}
	defer s.handlers.Done()
	defer s.leave(v)
	code, why := s.run(v, pty, winch, hasPty)
	v.finish()
	if why == "" {
		why = v.why()
	}
	if why != "" {
		say(v.out, why)
	}
	u = *v.user.Load()
	s.audit.Log(Record{Key: u.Fingerprint, Ext: u.Extension, Role: u.Role, Action: "disconnect",
		Result: map[bool]string{true: "ended: " + why, false: "ok"}[why != ""]})
	_ = sess.Exit(code)
}

// run runs the session's HUD; it returns the exit status and, when it
// could not start, why.
func (s *Server) run(v *viewer, pty ssh.Pty, winch <-chan ssh.Window, hasPty bool) (int, string) {
	sess := v.sess
	u := *v.user.Load()
	if !hasPty {
		return 1, "the HUD needs a terminal: connect with ssh -t"
	}
	select {
	case <-s.o.Account.Ready():
	default:
		say(v.out, "the hub is still loading the account; the HUD opens when it is ready")
		t := time.NewTimer(s.o.ReadyWithin)
		defer t.Stop()
		select {
		case <-s.o.Account.Ready():
		case <-v.done:
			return 1, ""
		case <-sess.Context().Done():
			return 1, ""
		case <-t.C:
			return 1, "the hub has not loaded the account yet; try again in a minute"
		}
	}
	id, why := s.names.lookup(u.Extension)
	if why != "" {
		return 1, why
	}
	s.audit.Log(Record{Key: u.Fingerprint, Ext: u.Extension, Role: u.Role, Action: "connect", Result: "ok"})

	ctx, cancel := context.WithCancel(sess.Context())
	defer cancel()
	view := s.o.Mirror.NewView(state.ViewOptions{Query: state.Query{Sort: state.ColName}, Me: id, Pull: true})
	defer view.Close()
	v.mu.Lock()
	v.view = view
	v.mu.Unlock()
	rv := roleView{View: view, user: &v.user}
	guard := &Guard{user: &v.user, ext: id, audit: s.audit, settle: s.settle}
	var callActor ui.CallActor
	if s.o.Calls != nil && s.o.Phone != nil && Allows(u.Role, ActionAnswer) {
		guard.calls = func(device string) ui.CallActor { return s.o.Calls.For(id, device) }
		guard.phone = func() (string, string, error) {
			pctx, done := context.WithTimeout(ctx, 10*time.Second)
			defer done()
			devID, label, err := s.o.Phone(pctx, id)
			if err == nil {
				view.SetDevice(label)
			}
			return devID, label, err
		}
		callActor = guard
	}
	env := append(sess.Environ(), "TERM="+pty.Term)
	profile := colorprofile.Env(env)
	model := ui.New(ui.Options{
		View: rv,
		Writer: func() (ui.Writer, error) {
			w, err := s.o.Account.Writer(ctx)
			if err != nil {
				return nil, err
			}
			guard.actor = w.For(id)
			return guard, nil
		},
		Account:   s.o.AccountLabel,
		ReadOnly:  u.Role == Viewer,
		Profile:   profile,
		RingAlarm: s.o.RingAlarm,
		HoldAlarm: s.o.HoldAlarm,
		Tick:      tickUntil(ctx),
		Caller:    callActor,
		Shared:    s.shared,
	})
	// wish v2's bubbletea.MakeOptions for an emulated PTY, with our output
	// (counted, watched for a client that reads nothing) and input filter.
	// The HUD draws on its own screen: only what changed, as it changes,
	// and nothing while nothing does. Frames reach the model at most FPS
	// times a second (pump), so the screen draws each at once: a second
	// pace of its own, out of step with the pump's, would add up to a
	// frame more of delay. The session has no tty of ours, so line feeds
	// are taken to come out as CRLF, as Bubble Tea's renderer assumes for
	// it too.
	screen := ui.NewScreen(v.out, env, profile, true, 0)
	screen.Share(s.shared)
	defer screen.Close()
	p := ui.Program(model, screen,
		tea.WithInput(sess),
		tea.WithOutput(screen.Output()),
		tea.WithColorProfile(profile),
		tea.WithEnvironment(env),
		tea.WithWindowSize(pty.Window.Width, pty.Window.Height),
		tea.WithoutSignals(),
		tea.WithFilter(func(_ tea.Model, msg tea.Msg) tea.Msg {
			switch msg.(type) {
			case tea.KeyPressMsg, tea.PasteMsg:
				v.lastInput.Store(time.Now().UnixNano())
			case tea.SuspendMsg:
				return tea.ResumeMsg{} // there is no shell to suspend to
			}
			return msg
		}),
	)
	if !v.started(p) {
		return 1, ""
	}
	var wg sync.WaitGroup
	wg.Add(3)
	// The session's window changes are taken at once, whatever the HUD is
	// doing: the SSH connection's reader waits on each, so a HUD stuck
	// writing to a client that reads nothing must not hold them up (the
	// connection could not even be closed). The newest size waits here.
	sizes := make(chan tea.WindowSizeMsg, 1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-ctx.Done():
				return
			case w, ok := <-winch:
				if !ok {
					return
				}
				select {
				case <-sizes:
				default:
				}
				sizes <- tea.WindowSizeMsg{Width: w.Width, Height: w.Height}
			}
		}
	}()
	go func() {
		defer wg.Done()
		for {
			select {
			case <-ctx.Done():
				p.Quit()
				return
			case m := <-sizes:
				p.Send(m)
			}
		}
	}()
	go func() {
		defer wg.Done()
		rv.pump(ctx, p.Send, s.pace)
	}()
	_, err := p.Run()
	cancel()
	wg.Wait()
	if err != nil && v.why() == "" && ctx.Err() == nil {
		s.log.Info("a session's HUD ended with an error", "key", u.Fingerprint, "err", err)
	}
	return 0, ""
}

// tickUntil is tea.Tick ending with ctx: a timer the HUD set (up to an
// hour ahead, on a quiet account) does not outlive its session.
func tickUntil(ctx context.Context) func(time.Duration, func(time.Time) tea.Msg) tea.Cmd {
	return func(d time.Duration, fn func(time.Time) tea.Msg) tea.Cmd {
		return func() tea.Msg {
			t := time.NewTimer(d)
			defer t.Stop()
			select {
			case at := <-t.C:
				return fn(at)
			case <-ctx.Done():
				return nil
			}
		}
	}
}

// roleView is a session's view with "me" as its role says: Me.Admin, which
// offers a supervisor's keys, is whether the role may change members.
type roleView struct {
	*state.View
	user *atomic.Pointer[User]
}

func (r roleView) adjust(f *state.Frame) *state.Frame {
	if f == nil {
		return nil
	}
	sup := Allows(r.user.Load().Role, ActionMember)
	if f.Me.Admin == sup {
		return f
	}
	g := *f
	g.Me.Admin = sup
	return &g
}

// Apply applies view operations and returns the newest frame.
func (r roleView) Apply(seq uint64, ops ...state.Op) *state.Frame {
	return r.adjust(r.View.Apply(seq, ops...))
}

// Latest is the newest frame.
func (r roleView) Latest() *state.Frame { return r.adjust(r.View.Latest()) }

// pump is ui.Pump with the role applied and a pace: the newest frame
// each time, at most one per pace (the session's frame rate, longer with
// many viewers), built when it is taken (a pulled view: the mirror
// publishes up to 125 times a second, and building a frame for every
// publish, for every viewer, cost more than the viewers drew).
func (r roleView) pump(ctx context.Context, send func(tea.Msg), pace func() time.Duration) {
	t := time.NewTimer(0)
	defer t.Stop()
	var last time.Time
	for {
		select {
		case <-ctx.Done():
			return
		case <-r.View.Ready():
		}
		if wait := pace() - time.Since(last); wait > 0 {
			t.Reset(wait)
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
		f := r.View.Pull()
		if f == nil {
			continue // nothing on screen changed
		}
		last = time.Now()
		send(ui.FrameMsg{Frame: r.adjust(f)})
	}
}

// paceEach is the hub's time per viewer for one round of frames: with more
// viewers than the pace of FPS leaves time for, each viewer's frames come
// further apart rather than queueing behind the others'. 200 viewers, 10k
// people, 1,000 events/s, the clients on the same 2 cores: p99 to the
// worst viewer 153 ms at 30 frames a second before the viewers shared
// their rows and pulled their frames; since then 75-114 ms at 250 µs
// (20 frames a second), 60-104 ms at 150 µs, 55-92 ms at 120 µs (about
// the same CPU and bytes: fewer frames wait behind the pace).
const paceEach = 120 * time.Microsecond

// pace is the least time between two frames to one viewer now: 1/FPS, or
// longer with many viewers.
func (s *Server) pace() time.Duration {
	return max(time.Second/time.Duration(s.o.FPS), time.Duration(s.Sessions())*paceEach)
}

// resolver finds an extension by its number.
type resolver struct {
	m       *state.Mirror
	mu      sync.Mutex
	byNum   map[string]state.Entry
	builtAt time.Time
}

func newResolver(m *state.Mirror) *resolver { return &resolver{m: m} }

// lookup returns the ID of the user whose extension number is number, or
// why there is none.
func (r *resolver) lookup(number string) (state.ID, string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	e, ok := r.byNum[number]
	// Numbers move rarely: the index is rebuilt on a miss (at most once a
	// second) and when it is older than a minute.
	if age := time.Since(r.builtAt); !ok && age >= time.Second || age >= time.Minute {
		r.byNum = map[string]state.Entry{}
		for _, row := range r.m.All() {
			r.byNum[row.Number] = state.Entry{ID: row.ID, Type: row.Type, Number: row.Number}
		}
		r.builtAt = time.Now()
		e, ok = r.byNum[number]
	}
	switch {
	case !ok:
		return "", fmt.Sprintf("extension %s (yours in the users file) is not in the account", number)
	case !e.Person():
		return "", fmt.Sprintf("extension %s (yours in the users file) is a %s, not a user", number, e.Type)
	}
	return e.ID, ""
}
