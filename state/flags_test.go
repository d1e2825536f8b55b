package state

import (
	"flag"
	"math/rand/v2"
	"testing"
	"time"
)

// seedFlag replays a randomised test: every one logs the seed it used.
var seedFlag = flag.Uint64("seed", 0, "replay the randomised tests with this seed (0: a new one each run)")

// testRand returns a generator seeded from -seed or the clock, and logs
// the seed so a failure can be replayed with -seed.
func testRand(t testing.TB) *rand.Rand {
	t.Helper()
	seed := *seedFlag
	if seed == 0 {
		seed = uint64(time.Now().UnixNano())
	}
	t.Logf("seed %d (replay with -seed %d)", seed, seed)
	return rand.New(rand.NewPCG(seed, seed>>32|1))
}
