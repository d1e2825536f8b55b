package state

import (
	"flag"
	"math/rand/v2"
	"testing"
)

// seedFlag replays a randomised test: every one logs the seed it used.
var seedFlag = flag.Uint64("seed", 0, "seed of the randomised tests, to replay a failure (0: a fresh one, logged)")

// testRand returns a generator seeded from -seed or the clock, and logs
// the seed so a failure can be replayed with -seed.
func testRand(t testing.TB) *rand.Rand {
	t.Helper()
	seed := *seedFlag
	if seed == 0 {
		seed = rand.Uint64()
	}
	t.Logf("seed %d (replay with -seed %d)", seed, seed)
	return rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
}
