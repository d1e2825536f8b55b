package main

import (
	"flag"
	"io"
	"testing"

	"github.com/rchud/rchud/emulator"
)

func TestEmulatorFlagWithholdsCallControl(t *testing.T) {
	for _, c := range []struct {
		args []string
		want bool
	}{{nil, false}, {[]string{"--no-call-control"}, true}} {
		fs := flag.NewFlagSet("rchud emulator", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		var cfg emulator.Config
		emulatorFlags(fs, &cfg)
		if err := fs.Parse(c.args); err != nil || cfg.NoCallControl != c.want {
			t.Fatalf("%v: NoCallControl %v (err %v), want %v", c.args, cfg.NoCallControl, err, c.want)
		}
	}
}
