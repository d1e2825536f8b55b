package emulator

import (
	"encoding/json"
	"runtime"
	"slices"
	"syscall"
	"testing"
	"time"
)

// BenchmarkLoad10k serves 10,000 users with the call centre at 17,000
// calls a minute (about 1,000 presence changes a second) to one WebSocket
// client subscribed to detailed company presence, over loopback, for ten
// seconds of steady state. Run with -benchtime=1x. It reports the
// notifications delivered per second, the emulator's CPU (the whole test
// process, client included) per second, delivery latency (notification
// timestamp to receipt) and the heap.
func BenchmarkLoad10k(b *testing.B) {
	for i := 0; i < b.N; i++ {
		fx := newWSFixture(b, Config{Users: 10000, Queues: 20, CallsPerMinute: 17000, Seed: 3})
		c, _ := fx.connect(b, "")
		f := c.request(b, "POST", subscriptionPath, map[string]any{
			"eventFilters": []string{"/restapi/v1.0/account/~/presence?detailedTelephonyState=true"},
			"deliveryMode": map[string]any{"transportType": "WebSocket"},
		})
		if f.Header.Status != 200 {
			b.Fatalf("subscribe: %s", f.Raw)
		}
		// Warm up past the start-of-day burst.
		warm := time.Now().Add(3 * time.Second)
		for time.Now().Before(warm) {
			c.next(b)
		}
		var ru0, ru1 syscall.Rusage
		_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru0)
		start := time.Now()
		window := 10 * time.Second
		var n int
		var lat []time.Duration
		for time.Since(start) < window {
			f := c.next(b)
			if f.Header.Type != typeNotification {
				continue
			}
			n++
			if n%10 == 0 {
				var env struct {
					Timestamp string `json:"timestamp"`
				}
				if json.Unmarshal(f.Body, &env) == nil {
					if ts, err := time.Parse(time.RFC3339Nano, env.Timestamp); err == nil {
						lat = append(lat, time.Since(ts))
					}
				}
			}
		}
		elapsed := time.Since(start)
		_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru1)
		cpu := time.Duration(ru1.Utime.Nano()-ru0.Utime.Nano()) + time.Duration(ru1.Stime.Nano()-ru0.Stime.Nano())
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		slices.Sort(lat)
		pct := func(p float64) time.Duration {
			if len(lat) == 0 {
				return 0
			}
			return lat[min(len(lat)-1, int(float64(len(lat))*p))]
		}
		rate := float64(n) / elapsed.Seconds()
		b.ReportMetric(rate, "notifications/s")
		b.ReportMetric(cpu.Seconds()/elapsed.Seconds()*100, "cpu%")
		b.ReportMetric(float64(pct(0.5).Microseconds())/1000, "p50-ms")
		b.ReportMetric(float64(pct(0.99).Microseconds())/1000, "p99-ms")
		b.ReportMetric(float64(ms.HeapAlloc)/(1<<20), "heap-MB")
		st := fx.e.Stats()
		b.Logf("%d notifications in %v (%.0f/s), CPU %.0f%% of a core, latency p50 %v p99 %v, heap %.0f MB, calls offered %d, abandoned %d",
			n, elapsed.Round(time.Millisecond), rate, cpu.Seconds()/elapsed.Seconds()*100, pct(0.5), pct(0.99),
			float64(ms.HeapAlloc)/(1<<20), st.Sim.CallsOffered, st.Sim.CallsAbandoned)
		if rate < 900 {
			b.Errorf("the call centre made only %.0f notifications/s", rate)
		}
	}
}
