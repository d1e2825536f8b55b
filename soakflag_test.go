package main

import "flag"

// The soak scenarios live in state and ui; every package accepts the flag
// so that "go test ./... -run Soak -soak 10m" works.
var _ = flag.Duration("soak", 0, "run the soak scenarios this long (0: their short CI versions)")
