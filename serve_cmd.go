package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	gossh "golang.org/x/crypto/ssh"

	"github.com/rchud/rchud/rc"
	"github.com/rchud/rchud/serve"
	"github.com/rchud/rchud/state"
)

// serveFlags are `rchud serve`'s flags on top of the session's.
type serveFlags struct {
	session     sessionFlags
	listen      string
	users       string
	hostKey     string
	audit       string
	maxSessions int
	maxPerKey   int
	idle        time.Duration
}

func (f *serveFlags) bind(fs *flag.FlagSet) {
	f.session.bind(fs)
	fs.StringVar(&f.listen, "listen", "0.0.0.0:2222", "serve SSH on this `address` (with --demo: 127.0.0.1:2222)")
	fs.StringVar(&f.users, "users", "", "the users `file` (users.toml): each SSH key's extension number and role")
	fs.StringVar(&f.hostKey, "host-key", "", "the SSH host key `file`, made on first start (default: rchud/ssh_host_ed25519_key in the config directory)")
	fs.StringVar(&f.audit, "audit", "", "append the audit log to this `file` (default: standard output)")
	fs.IntVar(&f.maxSessions, "max-sessions", 100, "serve at most this many sessions at once (0: no limit)")
	fs.IntVar(&f.maxPerKey, "max-per-key", 3, "at most this many sessions per SSH key (0: no limit)")
	fs.DurationVar(&f.idle, "idle-timeout", 12*time.Hour, "end a session in which no key was pressed for this long (0: never)")
}

// serveHomeDir overrides where --demo looks for the user's SSH keys (tests).
var serveHomeDir string

// runServe implements `rchud serve`: one RingCentral connection, the HUD
// served to every SSH session, until SIGINT or SIGTERM; SIGHUP re-reads
// the users file.
func runServe(ctx context.Context, args []string, stdout, stderr io.Writer, lookup func(string) (string, bool)) int {
	const cmd = "rchud serve"
	fs := flag.NewFlagSet(cmd, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var f serveFlags
	f.bind(fs)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fs.SetOutput(stdout)
			fmt.Fprintln(stdout, "Usage: rchud serve --users users.toml [flags]")
			fs.PrintDefaults()
			return exitOK
		}
		return fail(stderr, cmd, err, exitUsage)
	}
	if fs.NArg() > 0 {
		return fail(stderr, cmd, fmt.Errorf("unexpected argument %q", fs.Arg(0)), exitUsage)
	}
	listenSet := false
	fs.Visit(func(fl *flag.Flag) { listenSet = listenSet || fl.Name == "listen" })
	if f.session.demo && !listenSet {
		f.listen = "127.0.0.1:2222"
	}
	if f.maxSessions < 0 || f.maxPerKey < 0 || f.idle < 0 {
		return fail(stderr, cmd, errors.New("--max-sessions, --max-per-key and --idle-timeout cannot be negative"), exitUsage)
	}
	if f.users == "" && !f.session.demo {
		return fail(stderr, cmd, errors.New("--users is required: the file of who may connect (see the README)"), exitUsage)
	}
	if f.hostKey == "" {
		dir, err := os.UserConfigDir()
		if err != nil {
			return fail(stderr, cmd, errors.New("no config directory for the host key: give --host-key"), exitUsage)
		}
		f.hostKey = filepath.Join(dir, "rchud", "ssh_host_ed25519_key")
	}
	auditOut := stdout
	if f.audit != "" {
		af, err := os.OpenFile(f.audit, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
		if err != nil {
			return fail(stderr, cmd, fmt.Errorf("open the audit log: %w", err), exitUsage)
		}
		defer af.Close()
		auditOut = af
	}
	sess, err := f.session.open(lookup)
	if err != nil {
		return fail(stderr, cmd, err, exitUsage)
	}
	defer sess.close()
	if f.users == "" {
		dir, err := os.MkdirTemp("", "rchud-serve-demo")
		if err != nil {
			return fail(stderr, cmd, err, exitFailure)
		}
		defer os.RemoveAll(dir)
		if f.users, err = demoUsers(dir, sess.emu.Credentials().Receptionist.ExtensionNumber); err != nil {
			return fail(stderr, cmd, err, exitUsage)
		}
	}

	// The hub keeps no session for its next start: it revokes its session
	// when it stops, so none outlives the server that used it.
	sess.cache = nil
	acct := sess.account(lookupOr(lookup, "LANG"), false, "")
	runCtx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go acct.mirror.Run(runCtx)
	caller := state.NewCaller(runCtx, acct.mirror, state.NewCallControl(acct.client, acct.mirror), sess.log.With("component", "calls"))
	defer caller.Close(2 * time.Second) // an action asked for just before the end still goes
	srv, err := serve.New(serve.Options{
		Listen: f.listen, UsersPath: f.users, HostKeyPath: f.hostKey,
		Mirror: acct.mirror, Account: acct.sync, AccountLabel: accountLabel(sess),
		Audit: auditOut, Log: sess.log.With("component", "serve"),
		MaxSessions: f.maxSessions, MaxPerKey: f.maxPerKey, IdleTimeout: f.idle,
		Calls: caller,
		Phone: func(ctx context.Context, ext state.ID) (string, string, error) {
			devices, err := acct.client.Devices(ctx, rc.ID(ext))
			if err != nil {
				return "", "", err
			}
			d, err := state.ChooseDevice(devices, "")
			return d.ID, state.DeviceLabel(d), err
		},
	})
	if err != nil {
		return fail(stderr, cmd, err, exitUsage)
	}
	fmt.Fprintf(stderr, "%s: serving %s on %s (host key %s); users connect with: %s\n",
		cmd, accountLabel(sess), srv.Addr(), srv.HostKeyFingerprint(), sshCommand(srv.Addr()))

	done := acct.run(runCtx)
	serveCtx, stopServe := context.WithCancelCause(context.Background())
	defer stopServe(nil)
	served := make(chan struct{})
	go func() {
		defer close(served)
		_ = srv.Serve(serveCtx)
	}()
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)

	var syncErr error
	syncDone := false
loop:
	for {
		select {
		case <-ctx.Done(): // SIGINT or SIGTERM
			stopServe(nil)
			break loop
		case syncErr = <-done:
			syncDone = true
			why := syncErr
			if why == nil {
				why = errors.New("the connection to RingCentral closed")
			}
			stopServe(why)
			break loop
		case <-hup:
			if err := srv.Reload(); err != nil {
				fmt.Fprintf(stderr, "%s: the users file was not reloaded, the old one stays in force: %s\n", cmd, oneLineOf(err))
			} else {
				fmt.Fprintf(stderr, "%s: users file reloaded\n", cmd)
			}
		}
	}
	<-served // every viewer has had the closing line
	cancel() // the sync deletes the subscription and revokes the session
	if !syncDone {
		t := time.NewTimer(shutdownWithin)
		defer t.Stop()
		select {
		case syncErr = <-done:
		case <-t.C:
			sess.log.Info("shutdown did not finish in time; leaving anyway")
		}
	}
	if syncErr != nil && !errors.Is(syncErr, context.Canceled) {
		return fail(stderr, cmd, syncErr, exitCode(syncErr))
	}
	return exitOK
}

func oneLineOf(err error) string {
	s, _, _ := strings.Cut(err.Error(), "\n")
	return s
}

// sshCommand is what a user types to connect.
func sshCommand(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "ssh -p PORT HOST"
	}
	if host == "0.0.0.0" || host == "::" || host == "" {
		host = "THIS-HOST"
	}
	if port == "22" {
		return "ssh " + host
	}
	return "ssh -p " + port + " " + host
}

// demoUsers writes, for `rchud serve --demo` without --users, a users
// file letting in the user's own SSH keys (~/.ssh/id_*.pub) as the demo's
// receptionist, a supervisor.
func demoUsers(dir, receptionist string) (string, error) {
	home := serveHomeDir
	if home == "" {
		h, err := os.UserHomeDir()
		if err != nil {
			return "", errors.New("--demo without --users lets in your ~/.ssh/id_*.pub keys, but there is no home directory")
		}
		home = h
	}
	pubs, _ := filepath.Glob(filepath.Join(home, ".ssh", "id_*.pub"))
	var b strings.Builder
	b.WriteString("# rchud serve --demo: your own keys, as the receptionist\n")
	n := 0
	for _, p := range pubs {
		key, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		line := strings.TrimSpace(string(key))
		if _, _, _, _, err := gossh.ParseAuthorizedKey([]byte(line)); err != nil {
			continue // not a public key we can read: left out
		}
		fmt.Fprintf(&b, "[[user]]\nkey = %q\nextension = %q\nrole = \"supervisor\"\n", line, receptionist)
		n++
	}
	if n == 0 {
		return "", errors.New("--demo without --users lets in your ~/.ssh/id_*.pub keys, and there are none (or give --users)")
	}
	path := filepath.Join(dir, "users.toml")
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		return "", err
	}
	return path, nil
}
