package serve

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	gossh "golang.org/x/crypto/ssh"

	"github.com/rchud/rchud/emulator"
	"github.com/rchud/rchud/rc"
	"github.com/rchud/rchud/state"
)

var (
	soakFor  = flag.Duration("soak", 0, "run the long versions of the storm and fault scenarios this long (0: their short CI versions)")
	seedFlag = flag.Uint64("seed", 0, "seed of the randomised tests, to replay a failure (0: a fresh one, logged)")
)

// testRand returns a generator seeded from -seed or the clock, and logs
// the seed so a failure can be replayed with -seed.
func testRand(t testing.TB) *mrand.Rand {
	t.Helper()
	seed := *seedFlag
	if seed == 0 {
		seed = mrand.Uint64()
	}
	t.Logf("seed %d (replay with -seed %d)", seed, seed)
	return mrand.New(mrand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
}

// syncBuffer is a bytes.Buffer safe for concurrent use.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// eventually waits for cond, failing with what() after within.
func eventually(t testing.TB, within time.Duration, cond func() bool, what func() string) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			if p := os.Getenv("SERVE_TEST_STACKS"); p != "" {
				buf := make([]byte, 4<<20)
				_ = os.WriteFile(p, buf[:runtime.Stack(buf, true)], 0o600)
			}
			t.Fatalf("after %v: %s", within, what())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// testUser is a user of the hub with their own SSH key.
type testUser struct {
	signer gossh.Signer
	number string
	role   Role
}

func newUser(t testing.TB, number string, role Role) testUser {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	s, err := gossh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	return testUser{signer: s, number: number, role: role}
}

func (u testUser) fingerprint() string { return gossh.FingerprintSHA256(u.signer.PublicKey()) }

// usersTOML is a users file listing us.
func usersTOML(us ...testUser) string {
	var b strings.Builder
	for _, u := range us {
		key := strings.TrimSpace(string(gossh.MarshalAuthorizedKey(u.signer.PublicKey())))
		fmt.Fprintf(&b, "[[user]]\nkey = %q\nextension = %q\nrole = %q\n\n", key+" test@rchud", u.number, u.role)
	}
	return b.String()
}

// writeUsers writes the users file (mode 0600) so that its change is seen.
func writeUsers(t testing.TB, path string, us ...testUser) {
	t.Helper()
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(usersTOML(us...)), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

// hub is a hub under test: the emulator, the sync, and the SSH server.
type hub struct {
	t         testing.TB
	e         *emulator.Emulator
	m         *state.Mirror
	sync      *state.Sync
	srv       *Server
	audit     *syncBuffer
	usersPath string
	dir       string

	stopServe context.CancelCauseFunc
	served    chan struct{}
	cancel    context.CancelFunc
	syncDone  chan error
	stopped   bool
}

type hubConfig struct {
	emu   emulator.Config
	users []testUser
	opts  Options
	// fast makes a lost link show within a test's time.
	fast bool
}

// startHub starts an emulator and a hub serving it on loopback; the
// users' extension numbers "admin" and "agentN" name the emulator's
// receptionist and agents.
func startHub(t testing.TB, hc hubConfig) *hub {
	t.Helper()
	cfg := hc.emu
	if cfg.Users == 0 {
		cfg.Users = 60
	}
	if cfg.Queues == 0 {
		cfg.Queues = 3
	}
	if cfg.Agents == 0 {
		cfg.Agents = 2
	}
	if cfg.Seed == 0 {
		cfg.Seed = 11
	}
	cfg.Listen = "127.0.0.1:0"
	cfg.RateLimitsOff = true
	e, err := emulator.Start(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	h := &hub{t: t, e: e, audit: &syncBuffer{}, dir: t.TempDir()}
	users := make([]testUser, len(hc.users))
	for i, u := range hc.users {
		u.number = h.number(u.number)
		users[i] = u
	}
	h.usersPath = filepath.Join(h.dir, "users.toml")
	writeUsers(t, h.usersPath, users...)

	cr := e.Credentials()
	c := rc.New(rc.Config{ServerURL: cr.ServerURL, ClientID: cr.ClientID, ClientSecret: cr.ClientSecret, JWT: cr.UserJWT},
		rc.Options{RetryBase: 50 * time.Millisecond})
	h.m = state.NewMirror(nil)
	so := state.SyncOptions{FetchEvery: 100 * time.Millisecond}
	if hc.fast {
		so.Stream = rc.StreamOptions{HeartbeatAfter: 500 * time.Millisecond, DeadAfter: 500 * time.Millisecond,
			BackoffBase: 100 * time.Millisecond, BackoffMax: 400 * time.Millisecond, GapTimeout: time.Second}
	}
	h.sync = state.NewSync(c, h.m, so)
	ctx, cancel := context.WithCancel(context.Background())
	h.cancel = cancel
	go h.m.Run(ctx)
	h.syncDone = make(chan error, 1)
	go func() { h.syncDone <- h.sync.Run(ctx) }()

	o := hc.opts
	o.Listen = "127.0.0.1:0"
	o.UsersPath = h.usersPath
	o.HostKeyPath = filepath.Join(h.dir, "host_key")
	o.Mirror, o.Account, o.AccountLabel = h.m, h.sync, "test hub"
	o.Audit = h.audit
	if o.ReloadEvery == 0 {
		o.ReloadEvery = 20 * time.Millisecond
	}
	if o.EndGrace == 0 {
		o.EndGrace = 500 * time.Millisecond
	}
	h.srv, err = New(o)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	sctx, stop := context.WithCancelCause(context.Background())
	h.stopServe = stop
	h.served = make(chan struct{})
	go func() {
		defer close(h.served)
		_ = h.srv.Serve(sctx)
	}()
	t.Cleanup(h.stop)
	select {
	case <-h.sync.Ready():
	case err := <-h.syncDone:
		t.Fatalf("the sync ended before loading: %v", err)
	case <-time.After(20 * time.Second):
		t.Fatalf("the hub did not load")
	}
	// A change the server did not apply (queue calls in DND) fails after a
	// read-back within a test's time.
	w, err := h.sync.Writer(ctx)
	if err != nil {
		t.Fatal(err)
	}
	w.ConfirmAfter = time.Second
	return h
}

// number maps "admin" and "agentN" to the emulator's extension numbers.
func (h *hub) number(n string) string {
	cr := h.e.Credentials()
	switch {
	case n == "admin":
		return cr.Receptionist.ExtensionNumber
	case strings.HasPrefix(n, "agent"):
		var i int
		fmt.Sscanf(n, "agent%d", &i)
		return cr.Agents[i].ExtensionNumber
	}
	return n
}

// ext is the extension ID of a number.
func (h *hub) ext(number string) string {
	for _, x := range h.e.Truth().Extensions {
		if x.ExtensionNumber == number {
			return x.ID
		}
	}
	h.t.Fatalf("no extension %s", number)
	return ""
}

// stop shuts the hub down as rchud serve does: the sessions first, then
// the sync (which deletes the subscription and revokes the session).
func (h *hub) stop() {
	if h.stopped {
		return
	}
	h.stopped = true
	h.stopServe(nil)
	select {
	case <-h.served:
	case <-time.After(20 * time.Second):
		buf := make([]byte, 1<<20)
		n := runtime.Stack(buf, true)
		os.WriteFile("/tmp/serve-stacks.txt", buf[:n], 0o600)
		h.t.Errorf("the server did not stop")
	}
	h.cancel()
	select {
	case <-h.syncDone:
	case <-time.After(10 * time.Second):
		h.t.Errorf("the sync did not stop")
	}
}

// client is one SSH user of the hub, reading what the HUD draws.
type client struct {
	t    testing.TB
	conn *gossh.Client
	sess *gossh.Session
	in   io.WriteCloser

	mu    sync.Mutex
	vt    *vt // the screen as the user sees it
	bytes int64
	raw   []byte // the first 256 KiB of output
	// onScreen sees the screen after each read (benchmarks), under mu.
	onScreen func(screen *vt, at time.Time)
	done     chan struct{} // the output has ended
}

// dial connects with u's key.
func (h *hub) dial(u testUser) (*gossh.Client, error) {
	return gossh.Dial("tcp", h.srv.Addr(), &gossh.ClientConfig{
		User:            "frontdesk",
		Auth:            []gossh.AuthMethod{gossh.PublicKeys(u.signer)},
		HostKeyCallback: gossh.InsecureIgnoreHostKey(),
		Timeout:         10 * time.Second,
	})
}

// freezeConn is a client's connection that, once frozen, reads nothing
// more (until closed), with a small receive buffer: the server's writes
// to it soon block, as to a machine that froze.
type freezeConn struct {
	net.Conn
	frozen chan struct{}
	closed chan struct{}
	once   sync.Once
}

func (c *freezeConn) Read(p []byte) (int, error) {
	select {
	case <-c.frozen:
		<-c.closed
		return 0, net.ErrClosed
	default:
		return c.Conn.Read(p)
	}
}

func (c *freezeConn) Close() error {
	c.once.Do(func() { close(c.closed) })
	return c.Conn.Close()
}

func (h *hub) dialFreezable(u testUser) (*gossh.Client, *freezeConn, error) {
	d := net.Dialer{Timeout: 10 * time.Second, Control: func(_, _ string, rc syscall.RawConn) error {
		var err error
		_ = rc.Control(func(fd uintptr) { err = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 4096) })
		return err
	}}
	nc, err := d.Dial("tcp", h.srv.Addr())
	if err != nil {
		return nil, nil, err
	}
	fc := &freezeConn{Conn: nc, frozen: make(chan struct{}), closed: make(chan struct{})}
	cc, chans, reqs, err := gossh.NewClientConn(fc, h.srv.Addr(), &gossh.ClientConfig{
		User: "frontdesk", Auth: []gossh.AuthMethod{gossh.PublicKeys(u.signer)}, HostKeyCallback: gossh.InsecureIgnoreHostKey()})
	if err != nil {
		nc.Close()
		return nil, nil, err
	}
	return gossh.NewClient(cc, chans, reqs), fc, nil
}

type clientOpts struct {
	w, h     int
	term     string
	noRead   bool // never read the output (the SSH client still takes 2 MB)
	freeze   bool // once the shell has started, read nothing from the network: a frozen machine
	onScreen func(screen *vt, at time.Time)
	env      map[string]string // sent before the shell (SendEnv)
}

// connect opens a session with a PTY and starts the HUD.
func (h *hub) connect(u testUser, o clientOpts) *client {
	h.t.Helper()
	c, err := h.open(u, o)
	if err != nil {
		h.t.Fatal(err)
	}
	return c
}

func (h *hub) open(u testUser, o clientOpts) (*client, error) {
	if o.w == 0 {
		o.w, o.h = 100, 30
	}
	if o.term == "" {
		o.term = "xterm-256color"
	}
	var conn *gossh.Client
	var fc *freezeConn
	var err error
	if o.freeze {
		conn, fc, err = h.dialFreezable(u)
	} else {
		conn, err = h.dial(u)
	}
	if err != nil {
		return nil, err
	}
	sess, err := conn.NewSession()
	if err != nil {
		conn.Close()
		return nil, err
	}
	c := &client{t: h.t, conn: conn, sess: sess, done: make(chan struct{}), onScreen: o.onScreen, vt: newVT(o.w, o.h)}
	for k, v := range o.env {
		if err := sess.Setenv(k, v); err != nil {
			conn.Close()
			return nil, err
		}
	}
	if err := sess.RequestPty(o.term, o.h, o.w, gossh.TerminalModes{}); err != nil {
		conn.Close()
		return nil, err
	}
	c.in, err = sess.StdinPipe()
	if err != nil {
		conn.Close()
		return nil, err
	}
	out, err := sess.StdoutPipe()
	if err != nil {
		conn.Close()
		return nil, err
	}
	if err := sess.Shell(); err != nil {
		conn.Close()
		return nil, err
	}
	if fc != nil {
		close(fc.frozen)
	}
	if o.noRead || o.freeze {
		return c, nil
	}
	go func() {
		defer close(c.done)
		buf := make([]byte, 32<<10)
		for {
			n, err := out.Read(buf)
			if n > 0 {
				at := time.Now()
				c.mu.Lock()
				c.vt.Write(buf[:n])
				c.bytes += int64(n)
				if len(c.raw) < 256<<10 {
					c.raw = append(c.raw, buf[:n]...)
				}
				if c.onScreen != nil {
					c.onScreen(c.vt, at)
				}
				c.mu.Unlock()
			}
			if err != nil {
				return
			}
		}
	}()
	return c, nil
}

// rawOutput is the start of the byte stream the client got.
func (c *client) rawOutput() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return string(c.raw)
}

// screen is what the client's terminal shows now.
func (c *client) screen() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.vt.String()
}

// resize changes the terminal's size.
func (c *client) resize(w, h int) {
	c.t.Helper()
	c.mu.Lock()
	c.vt.resize(w, h)
	c.mu.Unlock()
	if err := c.sess.WindowChange(h, w); err != nil {
		c.t.Fatalf("window change: %v", err)
	}
}

func (c *client) received() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.bytes
}

// waitFor waits until the output shows s.
func (c *client) waitFor(s string, within time.Duration) {
	c.t.Helper()
	eventually(c.t, within, func() bool { return strings.Contains(c.screen(), s) },
		func() string { return fmt.Sprintf("the client was not shown %q; the screen is\n%s", s, c.screen()) })
}

// keys types keys.
func (c *client) keys(s string) {
	c.t.Helper()
	if _, err := io.WriteString(c.in, s); err != nil {
		c.t.Fatalf("typing %q: %v", s, err)
	}
}

// waitEnd waits for the session to end.
func (c *client) waitEnd(within time.Duration) {
	c.t.Helper()
	select {
	case <-c.done:
	case <-time.After(within):
		c.t.Fatalf("the session did not end; the screen is\n%s", c.screen())
	}
}

func (c *client) close() {
	c.sess.Close()
	c.conn.Close()
	if c.done != nil {
		select {
		case <-c.done:
		case <-time.After(5 * time.Second):
		}
	}
}

// puts lists the PUT requests the emulator received, but the
// subscription's.
func puts(e *emulator.Emulator) []string {
	var out []string
	for _, r := range e.Requests() {
		// The sync's own subscription (its filters, its renewal) is no
		// one's change: an admin's queues join its filters after the
		// first load (issue 12).
		if r.Method == "PUT" && !strings.HasPrefix(r.Path, "/restapi/v1.0/subscription/") {
			out = append(out, r.Path)
		}
	}
	return out
}

var errTimeout = errors.New("timed out")
