package rc

import (
	"context"
	"testing"

	"github.com/rchud/rchud/emulator"
)

func TestCompanyNameForAdminsAndAgents(t *testing.T) {
	e := startEmulator(t, emulator.Config{Seed: 1})
	want := e.Truth().Company
	if want == "" {
		t.Fatal("the emulator's account has no company name to read")
	}
	for _, agent := range []int{-1, 0} {
		name, err := clientFor(e, agent, Options{}).CompanyName(context.Background())
		if err != nil || name != want {
			t.Fatalf("agent %d: company %q, %v; want %q", agent, name, err, want)
		}
	}
}
