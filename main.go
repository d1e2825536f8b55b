// Command rchud is a live presence console for RingCentral accounts, and
// the emulator it is demonstrated and tested against.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"syscall"
)

// Exit codes (documented in the README).
const (
	exitOK          = 0
	exitFailure     = 1
	exitUsage       = 2
	exitAuth        = 3 // the credentials were refused
	exitUnreachable = 4 // RingCentral could not be reached, or did not answer
	exitPermission  = 5 // the app or the user lacks a permission (the line says which)
	exitRateLimited = 6 // RingCentral's rate limit left no room within --timeout
	exitStale       = 7 // snapshot: printed, but some rows may be out of date
)

func main() {
	// SIGHUP (the terminal went away) is a quit like SIGTERM.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	startProfiling()
	if os.Getenv("GOGC") == "" {
		// A quarter of the default heap growth. The HUD keeps its live
		// heap small and allocates little per event, so collecting more
		// often costs little: at 10,000 people under the front desk's load,
		// GOGC 25 against 50 took resident memory from 51 to 47 MB, with
		// the CPU within the runs' noise (15.7% against 16.3% of a core).
		debug.SetGCPercent(25)
	}
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run dispatches a command line and returns the exit code. Errors are one
// line on stderr.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 {
		switch args[0] {
		case "emulator":
			return runEmulator(ctx, args[1:], stdout, stderr)
		case "snapshot":
			return runSnapshot(ctx, args[1:], stdout, stderr, environment)
		case "serve":
			return runServe(ctx, args[1:], stdout, stderr, environment)
		case "logout":
			return runLogout(ctx, args[1:], stdout, stderr, environment)
		case "help", "-h", "--help", "-help":
			printUsage(stdout)
			return exitOK
		}
	}
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		return runHUD(ctx, args, stdout, stderr, environment, os.Environ())
	}
	fmt.Fprintf(stderr, "rchud: unknown command %q (try rchud help)\n", firstOr(args, ""))
	return exitUsage
}

func firstOr(args []string, def string) string {
	if len(args) == 0 {
		return def
	}
	return args[0]
}

const usage = `rchud: a live presence console for RingCentral accounts

Usage:
  rchud [flags]            the live HUD (try rchud --demo); ? in it lists the keys
  rchud snapshot [flags]   print every extension's presence once (or after --watch)
  rchud logout [flags]     end the saved session (revoke it, remove the cache)
  rchud emulator [flags]   serve an emulated RingCentral platform on loopback
  rchud serve [flags]      serve the HUD over SSH to a whole office on one connection

Credentials come from RC_SERVER_URL (production, sandbox or a URL),
RC_APP_CLIENT_ID, RC_APP_CLIENT_SECRET and RC_USER_JWT, or a .env file.
Run "rchud <command> -h" for a command's flags. The HUD's flags:
`

// printUsage prints the usage and the HUD's flags.
func printUsage(w io.Writer) {
	fmt.Fprint(w, usage)
	fs := flag.NewFlagSet("rchud", flag.ContinueOnError)
	var hf hudFlags
	hf.bind(fs)
	fs.SetOutput(w)
	fs.PrintDefaults()
}
