// Command rchud is a live presence console for RingCentral accounts, and
// the emulator it is demonstrated and tested against.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// Exit codes (documented in the README).
const (
	exitOK          = 0
	exitFailure     = 1
	exitUsage       = 2
	exitAuth        = 3
	exitUnreachable = 4
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
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
		case "help", "-h", "--help", "-help":
			fmt.Fprint(stdout, usage)
			return exitOK
		}
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
  rchud snapshot [flags]   print every extension's presence once (or after --watch)
  rchud emulator [flags]   serve an emulated RingCentral platform on loopback

Run "rchud <command> -h" for its flags.
`
