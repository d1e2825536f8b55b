package main

import (
	"bytes"
	"context"
	"flag"
	"io"
	"net"
	"strings"
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

func TestEmulatorAddressInUseIsNotAFlagError(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var out, errOut bytes.Buffer
	code := runEmulator(context.Background(), []string{"--listen", ln.Addr().String(), "--extensions", "5"}, &out, &errOut)
	if code != exitFailure || !strings.Contains(errOut.String(), "address already in use") || strings.Count(errOut.String(), "\n") != 1 {
		t.Fatalf("exit %d: %q", code, errOut.String())
	}
}
