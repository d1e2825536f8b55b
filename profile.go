package main

import (
	"net"
	"net/http"
	_ "net/http/pprof" // served only when RCHUD_PPROF names a loopback address
	"os"
)

// startProfiling serves Go's profiles on the loopback address in
// RCHUD_PPROF (e.g. 127.0.0.1:6060), for measuring the real binary under
// load (docs/perf-harness.md). Anything else is ignored.
func startProfiling() {
	addr := os.Getenv("RCHUD_PPROF")
	if addr == "" {
		return
	}
	host, _, err := net.SplitHostPort(addr)
	if ip := net.ParseIP(host); err != nil || ip == nil || !ip.IsLoopback() {
		return
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return
	}
	go http.Serve(ln, nil) //nolint:errcheck // ends with the process
}
