package emulator

import (
	"testing"
	"time"
)

// discardSink takes notifications and drops them, counting bytes.
type discardSink struct{ bytes int64 }

func (d *discardSink) deliver(_ *Subscription, _ string, env []byte) { d.bytes += int64(len(env)) }

// BenchmarkSimulationStep measures one second of simulated time on a
// 10,000-user account at 12,000 inbound calls a minute, in steady state.
// ns/op is the CPU time a real second of traffic costs (1e9 ns/op would
// be one core, flat out). "account-subscriber" adds one detailed account
// presence subscription, so every change is also rendered to JSON.
//
//	go test -run '^$' -bench BenchmarkSimulationStep -benchmem ./emulator/
func BenchmarkSimulationStep(b *testing.B) {
	for _, sub := range []bool{false, true} {
		name := "no-subscribers"
		if sub {
			name = "account-subscriber"
		}
		b.Run(name, func(b *testing.B) {
			f := newFloor(b, Config{Users: 10000, Queues: 20, Seed: 3, CallsPerMinute: 12000})
			sink := &discardSink{}
			if sub {
				f.p.mu.Lock()
				_, err := f.p.hub.create(&oauthSession{id: "bench", ext: f.p.dir.Receptionist, clientID: "app"},
					[]string{"/restapi/v1.0/account/~/presence?detailedTelephonyState=true"}, sink)
				f.p.mu.Unlock()
				if err != nil {
					b.Fatal(err)
				}
			}
			f.step(0)
			f.run(2 * time.Minute) // past the warm-up, into steady state
			events, changes, notes := f.cc.stepsTaken(), f.p.stats.PresenceChanges, f.p.stats.Notifications
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				f.step(time.Second)
			}
			b.StopTimer()
			n := float64(b.N)
			b.ReportMetric(float64(f.cc.stepsTaken()-events)/n, "events/s")
			b.ReportMetric(float64(f.p.stats.PresenceChanges-changes)/n, "changes/s")
			b.ReportMetric(float64(f.p.stats.Notifications-notes)/n, "notifications/s")
		})
	}
}
