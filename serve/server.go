// Package serve is `rchud serve`: an SSH server in which every session
// gets its own HUD over one shared live mirror of the account. The hub
// signs in once; who may connect, as which extension and with which role
// is in users.toml; what a session may change is enforced here (Guard),
// and every change is written to an audit log.
package serve

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"charm.land/ssh"
	"charm.land/wish/v2"
	gossh "golang.org/x/crypto/ssh"

	"github.com/rchud/rchud/state"
	"github.com/rchud/rchud/ui"
)

// Account is the hub's signed-in account (a *state.Sync).
type Account interface {
	// Writer waits until the hub has signed in and returns its writer.
	Writer(ctx context.Context) (*state.Writer, error)
	// Ready is closed once the directory and presence have loaded.
	Ready() <-chan struct{}
}

// Options configure the server.
type Options struct {
	// Listen is the address to serve SSH on.
	Listen string
	// UsersPath is users.toml; HostKeyPath the host key (made on first
	// start).
	UsersPath, HostKeyPath string

	Mirror  *state.Mirror
	Account Account
	// AccountLabel names the account in every viewer's header.
	AccountLabel string

	// Audit receives the audit log (nil: nowhere); Log the server's log.
	Audit io.Writer
	Log   *slog.Logger

	// MaxSessions bounds the sessions at once, MaxPerKey those of one key
	// (0: no bound).
	MaxSessions, MaxPerKey int
	// IdleTimeout ends a session in which no key was pressed for this long
	// (0: never).
	IdleTimeout time.Duration
	// StallTimeout ends a session whose client has taken nothing of its
	// output for this long (0: one minute).
	StallTimeout time.Duration
	// ReloadEvery is how often the users file is checked for a change
	// (0: every 2 s); Reload re-reads it at once.
	ReloadEvery time.Duration
	// ReadyWithin is how long a new session waits for the account to load
	// (0: two minutes).
	ReadyWithin time.Duration
	// SettleWithin is how long the audit log waits for the server's answer
	// to a change (0: 20 s).
	SettleWithin time.Duration
	// EndGrace is how long a session being ended may take to restore its
	// terminal before its connection is closed (0: 2 s).
	EndGrace time.Duration
	// FPS caps each session's redraws a second (0: 30).
	FPS int
	// SendBuffer bounds the kernel's send buffer of each connection (0:
	// 256 KiB): what a slow client has not taken waits there, and beyond
	// it the HUD's next frame replaces the one it could not write.
	SendBuffer int
	// RingAlarm and HoldAlarm are the HUD's call alarms (0: its defaults).
	RingAlarm, HoldAlarm time.Duration
	// Calls makes call actions for the front desk role, each on the
	// viewer's own phone, which Phone finds (nil: no call actions).
	Calls *state.Caller
	Phone func(ctx context.Context, ext state.ID) (id, label string, err error)
	// Now is the clock of the audit log (nil: time.Now).
	Now func() time.Time
}

func (o Options) withDefaults() Options {
	if o.StallTimeout <= 0 {
		o.StallTimeout = time.Minute
	}
	if o.ReloadEvery <= 0 {
		o.ReloadEvery = 2 * time.Second
	}
	if o.ReadyWithin <= 0 {
		o.ReadyWithin = 2 * time.Minute
	}
	if o.SettleWithin <= 0 {
		o.SettleWithin = 20 * time.Second
	}
	if o.EndGrace <= 0 {
		o.EndGrace = 2 * time.Second
	}
	if o.FPS <= 0 {
		o.FPS = 30
	}
	if o.SendBuffer <= 0 {
		o.SendBuffer = 256 << 10
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o
}

// Server serves the HUD over SSH.
type Server struct {
	o      Options
	log    *slog.Logger
	audit  *Audit
	settle *settler
	srv    *ssh.Server
	ln     net.Listener
	names  *resolver
	shared *ui.Shared // the rows and lines one viewer drew, for the others

	users     atomic.Pointer[Users]
	usersMu   sync.Mutex // one reload at a time
	usersStat fileStamp

	mu       sync.Mutex
	sessions map[*viewer]struct{}
	perKey   map[string]int
	closing  string // set once shutting down: why
	handlers sync.WaitGroup
	served   chan struct{} // closed when srv.Serve has returned
}

// New reads the users file and the host key (making it on first start),
// and listens. Serve serves.
func New(o Options) (*Server, error) {
	o = o.withDefaults()
	if o.Mirror == nil || o.Account == nil {
		return nil, errors.New("serve: no account to serve")
	}
	users, err := LoadUsers(o.UsersPath)
	if err != nil {
		return nil, err
	}
	signer, made, err := LoadHostKey(o.HostKeyPath)
	if err != nil {
		return nil, err
	}
	s := &Server{o: o, log: o.Log, shared: ui.NewShared(), audit: NewAudit(o.Audit, o.Now), sessions: map[*viewer]struct{}{},
		perKey: map[string]int{}, served: make(chan struct{}), names: newResolver(o.Mirror)}
	s.settle = newSettler(o.Mirror, s.audit, 100*time.Millisecond, o.SettleWithin)
	s.users.Store(users)
	s.usersStat, _ = stampOf(o.UsersPath)
	if made {
		s.log.Info("made a new host key", "path", o.HostKeyPath, "fingerprint", fingerprintOf(signer))
	}
	s.srv, err = wish.NewServer(
		func(srv *ssh.Server) error {
			srv.HostSigners = []ssh.Signer{signer}
			return nil
		},
		wish.WithVersion("rchud"),
		wish.WithPublicKeyAuth(s.authorize),
		wish.WithMiddleware(func(ssh.Handler) ssh.Handler { return s.handle }),
		func(srv *ssh.Server) error {
			// No connection-level idle timeout: a HUD on a quiet account
			// sends nothing for minutes and is fine. A client that takes
			// nothing is found by the stall sweep, a user who does nothing
			// by IdleTimeout, a dead peer by TCP keep-alives.
			srv.HandshakeTimeout = 20 * time.Second
			return nil
		},
	)
	if err != nil {
		return nil, fmt.Errorf("serve: %w", err)
	}
	ln, err := net.Listen("tcp", o.Listen)
	if err != nil {
		return nil, fmt.Errorf("serve: listen on %s: %w", o.Listen, err)
	}
	s.ln = boundedListener{ln, o.SendBuffer}
	return s, nil
}

// boundedListener bounds each connection's send buffer.
type boundedListener struct {
	net.Listener
	sendBuffer int
}

func (l boundedListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if tc, ok := c.(*net.TCPConn); ok {
		_ = tc.SetWriteBuffer(l.sendBuffer)
	}
	return c, err
}

// Addr is the address the server listens on.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// HostKeyFingerprint names the host key, for users to check on first
// connection.
func (s *Server) HostKeyFingerprint() string {
	return fingerprintOf(s.srv.HostSigners[0])
}

// Serve serves until ctx ends, then ends every session with a closing
// line (context.Cause(ctx), unless it was a plain cancel) and waits for
// them; the audit log has every change's outcome, or says it was not
// known, when it returns.
func (s *Server) Serve(ctx context.Context) error {
	go func() {
		defer close(s.served)
		if err := s.srv.Serve(s.ln); err != nil && !errors.Is(err, ssh.ErrServerClosed) {
			s.log.Error("ssh server stopped", "err", err)
		}
	}()
	tick := min(time.Second, s.o.ReloadEvery)
	if s.o.IdleTimeout > 0 {
		tick = min(tick, max(10*time.Millisecond, s.o.IdleTimeout/4))
	}
	t := time.NewTicker(tick)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			why := "the hub is shutting down"
			if c := context.Cause(ctx); c != nil && !errors.Is(c, context.Canceled) {
				why = "the hub stopped: " + oneLine(state.Sanitize(c.Error()))
			}
			s.shutdown(why)
			return nil
		case <-t.C:
			if st, err := stampOf(s.o.UsersPath); err == nil && st != s.stamp() {
				if err := s.Reload(); err != nil {
					s.log.Error("users file not reloaded; the old one stays in force", "err", err)
				}
			}
			s.sweep()
		}
	}
}

// shutdown refuses new sessions, ends every session with why, waits for
// them and for the outcomes of the changes in flight, and closes.
func (s *Server) shutdown(why string) {
	s.mu.Lock()
	s.closing = why
	all := make([]*viewer, 0, len(s.sessions))
	for v := range s.sessions {
		all = append(all, v)
	}
	s.mu.Unlock()
	_ = s.ln.Close()
	for _, v := range all {
		v.end(why)
	}
	done := make(chan struct{})
	go func() {
		s.handlers.Wait()
		close(done)
	}()
	t := time.NewTimer(2*s.o.EndGrace + time.Second)
	select {
	case <-done:
	case <-t.C:
		s.log.Info("sessions did not end in time; closing their connections")
	}
	t.Stop()
	_ = s.srv.Close()
	<-done
	<-s.served
	s.settle.close(min(s.o.SettleWithin, 5*time.Second))
}

// Sessions is how many sessions are open.
func (s *Server) Sessions() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.sessions)
}

// authorize admits at the handshake only the keys in the users file.
func (s *Server) authorize(ctx ssh.Context, key ssh.PublicKey) bool {
	if _, ok := s.users.Load().Lookup(key); ok {
		return true
	}
	s.audit.Log(Record{Key: gossh.FingerprintSHA256(key), Action: "connect", Result: "refused: key not in the users file"})
	return false
}

// Reload re-reads the users file. A session whose key has gone, or whose
// extension changed, is ended with a line saying so; a new role applies
// from the session's next action. A file that does not load leaves the
// old one in force.
func (s *Server) Reload() error {
	s.usersMu.Lock()
	defer s.usersMu.Unlock()
	st, _ := stampOf(s.o.UsersPath)
	s.usersStat = st
	users, err := LoadUsers(s.o.UsersPath)
	if err != nil {
		return err
	}
	s.users.Store(users)
	s.mu.Lock()
	all := make([]*viewer, 0, len(s.sessions))
	for v := range s.sessions {
		all = append(all, v)
	}
	s.mu.Unlock()
	for _, v := range all {
		old := v.user.Load()
		u, ok := users.Lookup(old.Key)
		switch {
		case !ok:
			v.user.Store(&User{Key: old.Key, Fingerprint: old.Fingerprint, Extension: old.Extension})
			v.end("your key is no longer in the users file; the session ends")
		case u.Extension != old.Extension:
			v.end(fmt.Sprintf("your extension is now %s in the users file; connect again", u.Extension))
		case u.Role != old.Role:
			v.user.Store(&u)
			s.audit.Log(Record{Key: u.Fingerprint, Ext: u.Extension, Role: u.Role, Action: "role", Value: string(u.Role), Result: "changed"})
		}
	}
	s.log.Info("users file reloaded", "users", users.Len())
	return nil
}

func (s *Server) stamp() fileStamp {
	s.usersMu.Lock()
	defer s.usersMu.Unlock()
	return s.usersStat
}

// fileStamp tells a changed file.
type fileStamp struct {
	mod  time.Time
	size int64
	mode os.FileMode
}

func stampOf(path string) (fileStamp, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return fileStamp{}, err
	}
	return fileStamp{fi.ModTime(), fi.Size(), fi.Mode()}, nil
}

// sweep ends the sessions idle or stalled too long.
func (s *Server) sweep() {
	now := time.Now()
	s.mu.Lock()
	all := make([]*viewer, 0, len(s.sessions))
	for v := range s.sessions {
		all = append(all, v)
	}
	s.mu.Unlock()
	for _, v := range all {
		switch {
		case s.o.IdleTimeout > 0 && now.Sub(time.Unix(0, v.lastInput.Load())) >= s.o.IdleTimeout:
			v.end(fmt.Sprintf("no key pressed for %s; the session ends (connect again any time)", s.o.IdleTimeout))
		case v.out.stalledFor(now) >= s.o.StallTimeout:
			s.log.Info("a session took no output; ending it", "key", v.user.Load().Fingerprint, "for", v.out.stalledFor(now))
			v.end("")
			v.closeNow()
		}
	}
}

// admit registers a new session within the limits; it returns why not.
func (s *Server) admit(v *viewer) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	fp := v.user.Load().Fingerprint
	switch {
	case s.closing != "":
		return s.closing
	case s.o.MaxSessions > 0 && len(s.sessions) >= s.o.MaxSessions:
		return fmt.Sprintf("the hub already serves the most sessions it allows (%d); try again later", s.o.MaxSessions)
	case s.o.MaxPerKey > 0 && s.perKey[fp] >= s.o.MaxPerKey:
		return fmt.Sprintf("your key already has the most sessions open it may (%d); close one first", s.o.MaxPerKey)
	}
	s.sessions[v] = struct{}{}
	s.perKey[fp]++
	s.handlers.Add(1) // under the lock that shutdown sets closing with: never after its Wait began
	return ""
}

func (s *Server) leave(v *viewer) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.sessions, v)
	fp := v.user.Load().Fingerprint
	if s.perKey[fp]--; s.perKey[fp] <= 0 {
		delete(s.perKey, fp)
	}
}

func fingerprintOf(k ssh.Signer) string { return gossh.FingerprintSHA256(k.PublicKey()) }
