package main

import (
	"net"
	"net/http"
	_ "net/http/pprof" // served only when RCHUD_PPROF names a loopback address
	"os"
	"runtime"
	"strconv"
)

// startProfiling serves Go's profiles on the loopback address in
// RCHUD_PPROF (e.g. 127.0.0.1:6060), for measuring the real binary under
// load (docs/perf-harness.md). Anything else is ignored. With it,
// RCHUD_MEMPROFILERATE sets the heap profile's bytes per sample (Go's
// default is 512 KiB: too coarse to account for a 40 MB heap by type).
func startProfiling() {
	addr := os.Getenv("RCHUD_PPROF")
	if addr == "" {
		return
	}
	if n, err := strconv.Atoi(os.Getenv("RCHUD_MEMPROFILERATE")); err == nil && n > 0 {
		runtime.MemProfileRate = n
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
