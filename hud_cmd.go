package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/term"

	"github.com/rchud/rchud/emulator"
	"github.com/rchud/rchud/rc"
	"github.com/rchud/rchud/state"
	"github.com/rchud/rchud/ui"
)

// hudFlags are the HUD's own flags on top of the session's.
type hudFlags struct {
	session  sessionFlags
	readOnly bool
	color    string
}

func (f *hudFlags) bind(fs *flag.FlagSet) {
	f.session.bind(fs)
	fs.BoolVar(&f.readOnly, "readonly", false, "change nothing on the server: every key that would is removed")
	fs.StringVar(&f.color, "color", "auto", "colours: `auto` (honours NO_COLOR), truecolor, 256, 16 or none")
}

// hudTerminal replaces the terminal in tests: keys come from in, frames go
// to run's stdout at a fixed size, and the demo emulator is handed over
// when it starts and once the HUD has shut down (before it closes).
var hudTerminal *hudTest

type hudTest struct {
	in            io.Reader
	width, height int
	demo, after   func(*emulator.Emulator)
}

// shutdownWithin bounds the clean exit: the writes in flight, deleting the
// subscription, handing the session over (state.SyncOptions.CloseWithin,
// 1 s, inside this): q, Ctrl-C, SIGTERM and SIGHUP end the process within
// 2 s whatever the server does.
const shutdownWithin = 1300 * time.Millisecond

// runHUD implements `rchud [flags]`: the live HUD, until q or Ctrl-C.
func runHUD(ctx context.Context, args []string, stdout, stderr io.Writer, lookup func(string) (string, bool), environ []string) int {
	const cmd = "rchud"
	fs := flag.NewFlagSet(cmd, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var hf hudFlags
	hf.bind(fs)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			printUsage(stdout)
			return exitOK
		}
		return fail(stderr, cmd, err, exitUsage)
	}
	if fs.NArg() > 0 {
		return fail(stderr, cmd, fmt.Errorf("unexpected argument %q (try rchud help)", fs.Arg(0)), exitUsage)
	}
	profile, err := colorProfile(hf.color, stdout, environ)
	if err != nil {
		return fail(stderr, cmd, err, exitUsage)
	}
	opts := []tea.ProgramOption{tea.WithOutput(stdout), tea.WithColorProfile(profile), tea.WithEnvironment(environ)}
	if t := hudTerminal; t != nil {
		opts = append(opts, tea.WithInput(t.in), tea.WithWindowSize(t.width, t.height))
	} else if f, ok := stdout.(*os.File); !ok || !term.IsTerminal(f.Fd()) {
		return fail(stderr, cmd, errors.New("the HUD needs a terminal (rchud snapshot prints once)"), exitUsage)
	}
	sess, err := hf.session.open(lookup)
	if err != nil {
		return fail(stderr, cmd, err, exitUsage)
	}
	defer sess.close()
	if t := hudTerminal; t != nil && t.demo != nil && sess.emu != nil {
		t.demo(sess.emu)
	}

	acct := sess.account(lookupOr(lookup, "LANG"), false)
	runCtx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go acct.mirror.Run(runCtx) // publishes the view's frames
	view := acct.mirror.NewView(state.ViewOptions{Query: state.Query{Sort: state.ColName}})
	defer view.Close()
	model := ui.New(ui.Options{
		View: view,
		Writer: func() (ui.Writer, error) {
			w, err := acct.sync.Writer(runCtx)
			if err != nil {
				return nil, err
			}
			return w.Me(), nil
		},
		Account:  accountLabel(sess),
		ReadOnly: hf.readOnly,
		Profile:  profile,
	})
	p := tea.NewProgram(model, opts...)

	var runErr error
	stopped := make(chan struct{})
	done := acct.run(runCtx)
	go func() {
		runErr = <-done
		close(stopped)
		if runCtx.Err() == nil {
			err := runErr
			if err == nil {
				err = errors.New("the connection to RingCentral closed")
			}
			p.Send(ui.FatalMsg{Err: err})
		}
	}()
	go ui.Pump(runCtx, view, p.Send)
	go func() {
		<-ctx.Done() // SIGINT or SIGTERM outside the terminal's raw mode
		p.Quit()
	}()

	_, perr := p.Run()
	cancel()
	t := time.NewTimer(shutdownWithin)
	defer t.Stop()
	select {
	case <-stopped:
	case <-t.C:
		sess.log.Info("shutdown did not finish in time; leaving anyway")
	}
	if t := hudTerminal; t != nil && t.after != nil && sess.emu != nil {
		t.after(sess.emu)
	}
	switch {
	case model.Err() != nil:
		return fail(stderr, cmd, model.Err(), exitCode(model.Err()))
	case perr != nil && !errors.Is(perr, tea.ErrInterrupted):
		return fail(stderr, cmd, perr, exitFailure)
	}
	return exitOK
}

// lookupOr is an environment variable's value, "" when unset.
func lookupOr(lookup func(string) (string, bool), k string) string {
	v, _ := lookup(k)
	return v
}

// colorProfile maps --color to a profile; auto detects the terminal and
// honours NO_COLOR.
func colorProfile(s string, out io.Writer, environ []string) (colorprofile.Profile, error) {
	switch s {
	case "auto":
		return colorprofile.Detect(out, environ), nil
	case "truecolor":
		return colorprofile.TrueColor, nil
	case "256":
		return colorprofile.ANSI256, nil
	case "16":
		return colorprofile.ANSI, nil
	case "none":
		return colorprofile.ASCII, nil
	}
	return 0, fmt.Errorf("--color must be auto, truecolor, 256, 16 or none, got %q", s)
}

// accountLabel names what the HUD is connected to.
func accountLabel(s *session) string {
	switch {
	case s.emu != nil:
		return "demo call centre (emulator)"
	case s.cfg.ServerURL == rc.ProductionURL:
		return "RingCentral"
	case s.cfg.ServerURL == rc.SandboxURL:
		return "RingCentral sandbox"
	}
	if u, err := url.Parse(s.cfg.ServerURL); err == nil && u.Host != "" {
		return u.Host
	}
	return s.cfg.ServerURL
}
