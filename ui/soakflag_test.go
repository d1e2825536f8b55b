package ui

import (
	"flag"
	"math/rand/v2"
	"testing"
)

// soakFor is -soak: how long the HUD's soak scenarios run (0: their
// short CI versions). Every package accepts it so that
// "go test ./... -run Soak -soak 10m" works.
var soakFor = flag.Duration("soak", 0, "run the soak scenarios this long (0: their short CI versions)")

// seedFlag replays a randomised test: every one logs the seed it used.
var seedFlag = flag.Uint64("seed", 0, "seed of the randomised tests, to replay a failure (0: a fresh one, logged)")

// testRand returns the randomised test's generator, logging its seed.
func testRand(t testing.TB) *rand.Rand {
	t.Helper()
	seed := *seedFlag
	if seed == 0 {
		seed = rand.Uint64()
	}
	t.Logf("seed %d (replay with -seed %d)", seed, seed)
	return rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
}
