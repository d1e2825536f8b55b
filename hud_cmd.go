package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/signal"
	"syscall"
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
	session              sessionFlags
	readOnly             bool
	color                string
	ringAlarm, holdAlarm time.Duration
	waitAlarm            time.Duration
	device               string
}

func (f *hudFlags) bind(fs *flag.FlagSet) {
	f.session.bind(fs)
	fs.BoolVar(&f.readOnly, "readonly", false, "change nothing on the server: every key that would is removed")
	fs.StringVar(&f.color, "color", "auto", "colours: `auto` (honours NO_COLOR), truecolor, 256, 16 or none")
	fs.DurationVar(&f.ringAlarm, "ring-alarm", 20*time.Second, "a call ringing this long turns its time amber, twice that red")
	fs.DurationVar(&f.holdAlarm, "hold-alarm", time.Minute, "a call on hold this long turns its time amber, twice that red")
	fs.DurationVar(&f.waitAlarm, "wait-alarm", time.Minute, "a caller waiting in a queue this long turns its count amber, twice that red")
	fs.StringVar(&f.device, "device", "", "the phone to answer and pick up calls on: its id, or part of its name (default: your first desk phone)")
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

// frameEvery is the least time between two frames drawn: a change is on
// screen as soon as it is published unless a frame went out less than this
// ago (the mirror publishes at most every 8 ms).
const frameEvery = 8 * time.Millisecond

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
	if hf.ringAlarm <= 0 || hf.holdAlarm <= 0 || hf.waitAlarm <= 0 {
		return fail(stderr, cmd, errors.New("--ring-alarm, --hold-alarm and --wait-alarm must be positive durations"), exitUsage)
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

	acct := sess.account(lookupOr(lookup, "LANG"), false, hf.device)
	runCtx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go acct.mirror.Run(runCtx) // publishes the view's frames
	view := acct.mirror.NewView(state.ViewOptions{Query: state.Query{Sort: state.ColName}})
	defer view.Close()
	caller := state.NewCaller(runCtx, acct.mirror, state.NewCallControl(acct.client, acct.mirror), sess.log.With("component", "calls"))
	model := ui.New(ui.Options{
		View: view,
		Writer: func() (ui.Writer, error) {
			w, err := acct.sync.Writer(runCtx)
			if err != nil {
				return nil, err
			}
			return w.Me(), nil
		},
		Account:   accountLabel(sess),
		ReadOnly:  hf.readOnly,
		Profile:   profile,
		People:    sess.people(),
		RingAlarm: hf.ringAlarm,
		HoldAlarm: hf.holdAlarm,
		WaitAlarm: hf.waitAlarm,
		Caller:    caller,
	})
	// The screen draws frames as they change; with no tty on the input
	// (tests), the line discipline is taken to turn line feeds into CRLF,
	// as Bubble Tea's renderer assumes too.
	screen := ui.NewScreen(stdout, environ, profile, hudTerminal != nil, frameEvery)
	defer screen.Close()
	var p *tea.Program
	if hudTerminal == nil {
		// The terminal is ours to set up: raw input, its size, and word of
		// its resizes (Bubble Tea does this only with its own renderer).
		in := os.Stdin.Fd()
		saved, err := term.MakeRaw(in)
		if err != nil {
			return fail(stderr, cmd, fmt.Errorf("the terminal: %w", err), exitFailure)
		}
		defer term.Restore(in, saved) //nolint:errcheck // best effort on the way out
		screen.OnSuspend = func() { _ = term.Restore(in, saved) }
		screen.OnResume = func() { _, _ = term.MakeRaw(in) }
		out := stdout.(*os.File).Fd()
		if w, h, err := term.GetSize(out); err == nil {
			opts = append(opts, tea.WithWindowSize(w, h))
		}
		winch := make(chan os.Signal, 1)
		signal.Notify(winch, syscall.SIGWINCH)
		defer signal.Stop(winch)
		go func() {
			for {
				select {
				case <-winch:
					if w, h, err := term.GetSize(out); err == nil {
						p.Send(tea.WindowSizeMsg{Width: w, Height: h})
					}
				case <-runCtx.Done():
					return
				}
			}
		}()
	}
	p = ui.Program(model, screen, opts...)

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
	screen.Close()                // the terminal as it was, before the shutdown's wait
	caller.Close(2 * time.Second) // an action asked for just before quitting still goes
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
