package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"github.com/rchud/rchud/emulator"
	"github.com/rchud/rchud/rc"
	"github.com/rchud/rchud/state"
	"github.com/rchud/rchud/ui"
)

// sessionFlags are the flags every command that signs in shares.
type sessionFlags struct {
	demo    bool
	as      string
	envFile string
	logPath string
}

func (f *sessionFlags) bind(fs *flag.FlagSet) {
	fs.BoolVar(&f.demo, "demo", false, "run against the built-in emulator with a simulated call centre")
	fs.StringVar(&f.as, "as", "receptionist", "with --demo, sign in as the `receptionist` (an admin) or an `agent`")
	fs.StringVar(&f.envFile, "env-file", ".env", "read credentials missing from the environment from this `file`")
	fs.StringVar(&f.logPath, "log", "", "write a log to this `file` (never to the terminal)")
}

// session is a signed-in-ready configuration and its cleanup.
type session struct {
	cfg   rc.Config
	log   *slog.Logger
	emu   *emulator.Emulator
	close func()
	// cache keeps the OAuth session between runs (nil for the demo, whose
	// emulator lives only as long as the process).
	cache *sessionCache
}

// demoConfig is the embedded demo: a lively small call centre.
var demoConfig = emulator.Config{
	Listen:         "127.0.0.1:0",
	Users:          120,
	Queues:         6,
	Agents:         3,
	Seed:           1,
	CallsPerMinute: 45,
}

// open resolves credentials (or starts the demo emulator) and the log.
func (f *sessionFlags) open(lookup func(string) (string, bool)) (*session, error) {
	log, closeLog, err := openLog(f.logPath)
	if err != nil {
		return nil, err
	}
	s := &session{log: log, close: closeLog}
	if !f.demo {
		if f.as != "receptionist" {
			closeLog()
			return nil, errors.New("--as only applies with --demo")
		}
		s.cfg, err = rc.LoadConfigFrom(lookup, f.envFile, f.envFile != ".env")
		if err != nil {
			closeLog()
			return nil, err
		}
		if s.cache, err = openSessionCache(s.cfg, log.With("component", "cache")); err != nil {
			log.Info("signing in without a session cache", "err", err)
		}
		return s, nil
	}
	if f.as != "receptionist" && f.as != "agent" {
		closeLog()
		return nil, fmt.Errorf("--as must be receptionist or agent, got %q", f.as)
	}
	s.emu, err = emulator.Start(demoConfig, log.With("component", "emulator"))
	if err != nil {
		closeLog()
		return nil, fmt.Errorf("start the demo emulator: %w", err)
	}
	c := s.emu.Credentials()
	s.cfg = rc.Config{ServerURL: c.ServerURL, ClientID: c.ClientID, ClientSecret: c.ClientSecret, JWT: c.UserJWT}
	if f.as == "agent" {
		s.cfg.JWT = c.Agents[0].JWT
	}
	s.close = func() {
		s.emu.Close()
		closeLog()
	}
	return s, nil
}

// exitCode maps an error to the documented exit codes.
func exitCode(err error) int {
	switch {
	case errors.Is(err, rc.ErrPermission):
		return exitPermission
	case errors.Is(err, rc.ErrAuth):
		return exitAuth
	case errors.Is(err, rc.ErrRateLimited):
		return exitRateLimited
	case errors.Is(err, rc.ErrUnreachable):
		return exitUnreachable
	}
	return exitFailure
}

// people is where the HUD keeps pins and watches: the user's config
// directory for a real account, nowhere for the demo (or when there is no
// config directory: the HUD says so and keeps them for the run).
func (s *session) people() ui.People {
	if s.emu != nil {
		return nil
	}
	p, err := newPeopleFile(peopleDir, s.cfg)
	if err != nil {
		s.log.Info("pins and watches will not be kept", "err", err)
		return nil
	}
	return p
}

// peopleDir overrides where pins and watches are kept (tests).
var peopleDir string

// account is the account's live mirror and what keeps it live: the
// client, the mirror, the sync. The HUD and snapshot share it.
type account struct {
	client *rc.Client
	mirror *state.Mirror
	sync   *state.Sync
}

// account wires a client, a mirror (sorting names in the language of
// locale, LANG's value) and the sync that keeps it live (or, with
// oneShot, loads it once over REST). device names the phone calls are
// answered on ("": the first desk phone).
func (s *session) account(locale string, oneShot bool, device string) *account {
	a := &account{mirror: state.NewMirrorIn(locale, nil)}
	opts := rc.Options{Logger: s.log.With("component", "rc"), SignInWait: a.mirror.SetSignInWait}
	if s.cache != nil {
		opts.Tokens = s.cache
	}
	a.client = rc.New(s.cfg, opts)
	a.sync = state.NewSync(a.client, a.mirror, state.SyncOptions{Logger: s.log.With("component", "sync"), NoStream: oneShot, Device: device})
	return a
}

// run runs the sync until ctx ends and returns its error on the channel.
func (a *account) run(ctx context.Context) <-chan error {
	done := make(chan error, 1)
	go func() { done <- a.sync.Run(ctx) }()
	return done
}

// fail prints one line (sanitised: server text is untrusted) and returns code.
func fail(w io.Writer, cmd string, err error, code int) int {
	msg := state.Sanitize(err.Error())
	if msg == "" {
		msg = "failed"
	}
	fmt.Fprintf(w, "%s: %s\n", cmd, strings.TrimSpace(msg))
	return code
}

// environment looks variables up in the process environment.
func environment(k string) (string, bool) { return os.LookupEnv(k) }
