package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/rchud/rchud/emulator"
)

// emulatorFlags binds the `rchud emulator` flags to a Config.
func emulatorFlags(fs *flag.FlagSet, cfg *emulator.Config) (logPath *string, limits *string) {
	fs.StringVar(&cfg.Listen, "listen", "127.0.0.1:8090", "loopback `address` to serve on (port 0 picks a free port)")
	fs.IntVar(&cfg.Users, "extensions", 120, "number of User extensions")
	fs.IntVar(&cfg.Queues, "queues", 6, "number of call queues")
	fs.IntVar(&cfg.Agents, "agents", 3, "number of agent (non-admin) credentials to print")
	fs.Float64Var(&cfg.CallsPerMinute, "calls-per-minute", 60, "simulated inbound calls per minute (0: no simulated traffic)")
	fs.Int64Var(&cfg.Seed, "seed", 1, "seed for the directory, the credentials and the simulation")
	fs.DurationVar(&cfg.AccessTTL, "access-ttl", time.Hour, "access token lifetime (below 600s forces short tokens)")
	fs.DurationVar(&cfg.RefreshTTL, "refresh-ttl", 7*24*time.Hour, "refresh token lifetime")
	fs.BoolVar(&cfg.RateLimitsOff, "no-rate-limits", false, "turn rate limiting off (load tests)")
	limits = fs.String("rate-limits", "", "per-group limits per window, e.g. `light=50,medium=40,heavy=10,auth=5,window=60s,penalty=60s`")
	fs.DurationVar(&cfg.RecoveryTimeout, "recovery-timeout", 180*time.Second, "WebSocket session recovery timeout")
	fs.IntVar(&cfg.RecoveryBufferSize, "recovery-buffer", 100, "notifications kept for session recovery")
	fs.DurationVar(&cfg.IdleTimeout, "idle-timeout", 30*time.Minute, "WebSocket idle timeout (WSG-902)")
	fs.DurationVar(&cfg.AbsoluteTimeout, "absolute-timeout", 24*time.Hour, "WebSocket absolute timeout (WSG-903)")
	fs.StringVar(&cfg.QueueEventShape, "queue-event-shape", "docs", "call-queue presence event body: docs or spec")
	fs.StringVar(&cfg.ExtensionEventShape, "extension-event-shape", "docs", "extension-list event body: docs or spec")
	fs.BoolVar(&cfg.CHS, "chs", false, "the account has the new communication handling service (dndStatusPersonal, acceptCallQueueCalls)")
	fs.BoolVar(&cfg.NoCallControl, "no-call-control", false, "the app lacks the CallControl permission: telephony/sessions answers 403")

	f := &cfg.Faults
	fs.DurationVar(&f.DropInterval, "drop-every", 0, "fault: drop every WebSocket connection this often")
	fs.DurationVar(&f.DropJitter, "drop-jitter", 0, "fault: spread drops by up to this much either way")
	fs.BoolVar(&f.RecoveryFail, "recovery-fail", false, "fault: every session recovery fails")
	fs.BoolVar(&f.HalfOpen, "half-open", false, "fault: stop sending on WebSockets without closing them")
	fs.BoolVar(&f.RefuseUpgrades, "refuse-upgrades", false, "fault: answer every WebSocket upgrade with 503")
	fs.Float64Var(&f.REST429Rate, "rest-429", 0, "fault: `fraction` of REST calls answered 429")
	fs.Float64Var(&f.REST5xxRate, "rest-5xx", 0, "fault: `fraction` of REST calls answered 503")
	fs.DurationVar(&f.Latency, "latency", 0, "fault: latency added to every REST call and WebSocket send")
	fs.Float64Var(&f.ReorderRate, "reorder", 0, "fault: `fraction` of notifications delayed")
	fs.DurationVar(&f.ReorderMaxDelay, "reorder-delay", 2*time.Second, "fault: the longest delay of a reordered notification")
	fs.Float64Var(&f.DuplicateRate, "duplicate", 0, "fault: `fraction` of notifications sent twice")
	fs.BoolVar(&f.PartialBodies, "partial-bodies", false, "fault: presence notifications carry only changed fields")
	fs.BoolVar(&f.OmitAccountCalls, "omit-account-calls", false, "fault: account presence notifications carry no activeCalls")
	logPath = fs.String("log", "", "write the emulator's log to this `file`")
	return logPath, limits
}

// runEmulator implements `rchud emulator`: print the credentials as
// sourceable lines, then serve until interrupted.
func runEmulator(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("rchud emulator", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var cfg emulator.Config
	logPath, limits := emulatorFlags(fs, &cfg)
	applyAuth := emulatorAuthFlags(fs, &cfg)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fs.SetOutput(stdout)
			fmt.Fprintln(stdout, "Usage: rchud emulator [flags]")
			fs.PrintDefaults()
			return exitOK
		}
		fmt.Fprintf(stderr, "rchud emulator: %v\n", err)
		return exitUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "rchud emulator: unexpected argument %q\n", fs.Arg(0))
		return exitUsage
	}
	if err := applyAuth(); err != nil {
		fmt.Fprintf(stderr, "rchud emulator: %v\n", err)
		return exitUsage
	}
	if *limits != "" {
		rl, err := parseRateLimits(*limits)
		if err != nil {
			fmt.Fprintf(stderr, "rchud emulator: --rate-limits: %v\n", err)
			return exitUsage
		}
		cfg.RateLimits = rl
	}
	log, closeLog, err := openLog(*logPath)
	if err != nil {
		fmt.Fprintf(stderr, "rchud emulator: %v\n", err)
		return exitUsage
	}
	defer closeLog()

	emu, err := emulator.Start(cfg, log)
	if err != nil {
		fmt.Fprintf(stderr, "rchud emulator: %v\n", err)
		if errors.Is(err, syscall.EADDRINUSE) || errors.Is(err, syscall.EACCES) {
			return exitFailure // the flags were right; the address is taken
		}
		return exitUsage
	}
	defer emu.Close()
	writeEnv(stdout, emu.Credentials())
	<-ctx.Done()
	return exitOK
}

// writeEnv prints the credentials as KEY=value lines (a .env file).
func writeEnv(w io.Writer, c emulator.Credentials) {
	fmt.Fprintf(w, "RC_SERVER_URL=%s\n", c.ServerURL)
	fmt.Fprintf(w, "RC_APP_CLIENT_ID=%s\n", c.ClientID)
	fmt.Fprintf(w, "RC_APP_CLIENT_SECRET=%s\n", c.ClientSecret)
	fmt.Fprintf(w, "RC_USER_JWT=%s\n", c.UserJWT)
	for _, a := range c.Agents {
		fmt.Fprintf(w, "RC_AGENT_JWT_%s=%s\n", a.ExtensionNumber, a.JWT)
	}
}

// parseRateLimits reads "light=50,medium=40,heavy=10,auth=5,window=60s,penalty=60s".
func parseRateLimits(s string) (map[emulator.Group]emulator.RateLimit, error) {
	limits := emulator.DefaultRateLimits()
	window, penalty := time.Duration(0), time.Duration(0)
	for _, part := range strings.Split(s, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return nil, fmt.Errorf("%q is not key=value", part)
		}
		switch strings.ToLower(k) {
		case "window", "penalty":
			d, err := time.ParseDuration(v)
			if err != nil || d <= 0 {
				return nil, fmt.Errorf("%s must be a positive duration, got %q", k, v)
			}
			if k == "window" {
				window = d
			} else {
				penalty = d
			}
		case "light", "medium", "heavy", "auth":
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 {
				return nil, fmt.Errorf("%s must be a positive integer, got %q", k, v)
			}
			g := emulator.Group(strings.ToUpper(k[:1]) + k[1:])
			l := limits[g]
			l.Limit = n
			limits[g] = l
		default:
			return nil, fmt.Errorf("unknown key %q (light, medium, heavy, auth, window, penalty)", k)
		}
	}
	for g, l := range limits {
		if window > 0 {
			l.Window = window
		}
		if penalty > 0 {
			l.Penalty = penalty
		}
		limits[g] = l
	}
	return limits, nil
}

// openLog opens the --log file, or discards logs when none is given: logs
// never go to the terminal.
func openLog(path string) (*slog.Logger, func(), error) {
	if path == "" {
		return slog.New(slog.DiscardHandler), func() {}, nil
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, nil, fmt.Errorf("open log file: %w", err)
	}
	return slog.New(slog.NewTextHandler(f, &slog.HandlerOptions{Level: slog.LevelDebug})), func() { f.Close() }, nil
}
