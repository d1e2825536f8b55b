package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/rchud/rchud/rc"
)

// runLogout implements `rchud logout`: end the session the cache keeps
// (revoke it at RingCentral) and remove the cache.
func runLogout(ctx context.Context, args []string, stdout, stderr io.Writer, lookup func(string) (string, bool)) int {
	const cmd = "rchud logout"
	fs := flag.NewFlagSet(cmd, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var sf sessionFlags
	sf.bind(fs)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fs.SetOutput(stdout)
			fmt.Fprintln(stdout, "Usage: rchud logout [flags]\nEnds the saved session: revokes it at RingCentral and removes the cache.")
			fs.PrintDefaults()
			return exitOK
		}
		return fail(stderr, cmd, err, exitUsage)
	}
	if fs.NArg() > 0 {
		return fail(stderr, cmd, fmt.Errorf("unexpected argument %q", fs.Arg(0)), exitUsage)
	}
	if sf.demo {
		return fail(stderr, cmd, errors.New("the demo keeps no session"), exitUsage)
	}
	sess, err := sf.open(lookup)
	if err != nil {
		return fail(stderr, cmd, err, exitUsage)
	}
	defer sess.close()
	if sess.cache == nil {
		return fail(stderr, cmd, errors.New("no session cache on this system"), exitFailure)
	}
	if _, err := sess.cache.Load(); errors.Is(err, rc.ErrNoSession) {
		fmt.Fprintln(stdout, "no saved session")
		return exitOK
	}
	c := rc.New(sess.cfg, rc.Options{Logger: sess.log.With("component", "rc"), Tokens: sess.cache})
	rctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if !c.Revoke(rctx) { // removes the cache whatever RingCentral answers
		return fail(stderr, cmd, errors.New("the saved session was removed, but RingCentral did not confirm its end (it expires by itself)"), exitUnreachable)
	}
	fmt.Fprintln(stdout, "signed out: the session was ended and the cache removed")
	return exitOK
}
