package main

import "flag"

// The soak scenarios live in state and ui; every package accepts the flags
// so that "go test ./... -run Soak -soak 10m" and "-seed N" work.
var (
	soakFor = flag.Duration("soak", 0, "run the soak scenarios this long (0: their short CI versions)")
	_       = flag.Uint64("seed", 0, "seed of the randomised tests, to replay a failure (0: a fresh one, logged)")
)
