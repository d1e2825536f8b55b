package state

import (
	"flag"
	"math/rand/v2"
	"os"
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

// TestMain runs the package's parallel tests four at a time unless
// -parallel says otherwise: they are the fault scenarios' short versions,
// which mostly wait on the emulator's timers (a fifth of a core each), and
// two at a time (GOMAXPROCS on a 2-core machine) made the package 37 s of
// `go test ./...`'s minute; four at a time, 21 s.
func TestMain(m *testing.M) {
	flag.Parse()
	set := false
	flag.Visit(func(f *flag.Flag) { set = set || f.Name == "test.parallel" })
	if !set {
		_ = flag.Set("test.parallel", "4")
	}
	os.Exit(m.Run())
}
