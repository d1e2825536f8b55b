package rc

import (
	"context"
	"sort"
	"testing"
	"time"

	"github.com/rchud/rchud/emulator"
)

// TestSoakFleetReconnects is issue 10's reconnect scenario: a fleet of
// HUDs on one gateway, which goes down and stays down, then comes back.
// While it is down each client's attempts thin out (the cap grows toward a
// minute), and when it is back they return spread over the cap rather than
// in a wave (the figures: attempts per client a minute late in the
// outage, and the most reconnects within a tenth of the cap). Short: 20
// clients, delays from 50 ms to 1 s, a 3 s outage; -soak: 50 clients with
// the real delays (2 s to a minute) and an outage of a third of -soak.
func TestSoakFleetReconnects(t *testing.T) {
	n, opts, outage := 20, fastStream, 3*time.Second
	opts.BackoffBase, opts.BackoffMax = 50*time.Millisecond, time.Second
	if *soak > 0 {
		n, opts, outage = 50, StreamOptions{}, *soak/3
		opts.defaults()
	}
	e := startEmulator(t, emulator.Config{Users: 30, RateLimitsOff: true, MaxSessions: 10 * n, SubscriptionsPerUser: 10 * n, CallsPerMinute: 0})
	probes := make([]*streamProbe, n)
	streams := make([]*Stream, n)
	t.Cleanup(func() {
		for _, s := range streams {
			if s != nil {
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				s.Close(ctx)
				cancel()
			}
		}
		noStreamGoroutines(t)
	})
	for i := range probes {
		streams[i] = clientFor(e, -1, Options{}).Stream([]string{accountFilter}, opts)
		probes[i] = probe(t, streams[i])
		probes[i].next(10*time.Second, "live", isLive)
	}
	e.SetFaults(emulator.Faults{RefuseUpgrades: true})
	e.DropConnections()
	down := time.Now()
	time.Sleep(outage)
	e.SetFaults(emulator.Faults{})
	healed := time.Now()
	for _, p := range probes {
		p.next(opts.BackoffMax+10*time.Second, "live again", isLive)
	}
	// Attempts (upgrades) while down, in the last third of the outage, and
	// the arrivals after it.
	var lateAttempts int
	var arrivals []time.Duration
	for _, r := range e.Requests() {
		if r.Via != "ws-upgrade" || r.Time.Before(down) {
			continue
		}
		switch {
		case r.Time.Before(healed) && r.Time.After(healed.Add(-outage/3)):
			lateAttempts++
		case !r.Time.Before(healed):
			arrivals = append(arrivals, r.Time.Sub(healed))
		}
	}
	bucket := opts.BackoffMax / 10
	busiest := 0
	sort.Slice(arrivals, func(i, j int) bool { return arrivals[i] < arrivals[j] })
	for i := range arrivals {
		k := i
		for k < len(arrivals) && arrivals[k]-arrivals[i] < bucket {
			k++
		}
		busiest = max(busiest, k-i)
	}
	perMinute := float64(lateAttempts) / float64(n) / (outage / 3).Minutes()
	t.Logf("%d clients, outage %v, delays %v..%v: in the outage's last third %.1f attempts per client a minute; after it all live again within %v (median %v); the busiest %v held %d of %d reconnects",
		n, outage, opts.BackoffBase, opts.BackoffMax, perMinute, arrivals[len(arrivals)-1].Round(time.Millisecond), arrivals[len(arrivals)/2].Round(time.Millisecond),
		bucket, busiest, len(arrivals))
	if last := arrivals[len(arrivals)-1]; last > opts.BackoffMax+5*time.Second {
		t.Errorf("a client came back %v after the gateway", last)
	}
	// A delay averages half the cap: 120/cap attempts a minute once the cap
	// is reached.
	if expect := 120 / opts.BackoffMax.Seconds(); perMinute > 1.5*expect {
		t.Errorf("%.1f attempts per client a minute late in the outage; the cap should have thinned them to about %.1f", perMinute, expect)
	}
}
