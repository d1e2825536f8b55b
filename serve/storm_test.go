package serve

import (
	"fmt"
	"os"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/rchud/rchud/emulator"
)

func openFDs(t testing.TB) int {
	fds, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skipf("no /proc/self/fd: %v", err)
	}
	return len(fds)
}

// TestAStormOfSessionsLeaksNothing: sessions connect, draw, and go (some
// quitting with q, most dropping the connection), 20 at a time; then no
// goroutine and no file descriptor is left over. The short version runs
// 100 sessions; -soak runs 1,000 (as fast as they come, within the time).
func TestAStormOfSessionsLeaksNothing(t *testing.T) {
	total, parallel := 100, 20
	if *soakFor > 0 {
		total = 1000
	}
	var users []testUser
	for i := range 10 {
		users = append(users, newUser(t, []string{"admin", "agent0", "agent1"}[i%3], Agent))
	}
	h := startHub(t, hubConfig{users: users, emu: emulator.Config{Users: 200, CallsPerMinute: 120}})
	warm := h.connect(users[0], clientOpts{})
	warm.waitFor("shown · sort", 10*time.Second)
	warm.close()
	eventually(t, 10*time.Second, func() bool { return h.srv.Sessions() == 0 }, func() string { return "the warm-up session stayed" })
	runtime.GC()
	goroutines, fds := runtime.NumGoroutine(), openFDs(t)

	start := time.Now()
	sem := make(chan struct{}, parallel)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var failures []string
	for i := range total {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			c, err := h.open(users[i%len(users)], clientOpts{w: 80 + i%40, h: 24 + i%16})
			if err != nil {
				mu.Lock()
				failures = append(failures, err.Error())
				mu.Unlock()
				return
			}
			deadline := time.Now().Add(10 * time.Second)
			for c.received() < 2000 && time.Now().Before(deadline) {
				time.Sleep(2 * time.Millisecond)
			}
			if i%4 == 0 {
				_, _ = c.in.Write([]byte("q"))
				select {
				case <-c.done:
				case <-time.After(5 * time.Second):
				}
			}
			c.close()
		}()
	}
	wg.Wait()
	if len(failures) > 0 {
		t.Fatalf("%d of %d sessions failed to open, first: %s", len(failures), total, failures[0])
	}
	t.Logf("%d sessions in %v", total, time.Since(start).Round(time.Millisecond))
	eventually(t, 15*time.Second, func() bool { return h.srv.Sessions() == 0 },
		func() string { return fmt.Sprintf("%d sessions still open", h.srv.Sessions()) })
	eventually(t, 15*time.Second, func() bool {
		runtime.GC()
		return runtime.NumGoroutine() <= goroutines && openFDs(t) <= fds
	}, func() string {
		buf := make([]byte, 1<<20)
		n := runtime.Stack(buf, true)
		return fmt.Sprintf("goroutines %d (were %d), file descriptors %d (were %d)\n%s", runtime.NumGoroutine(), goroutines,
			openFDs(t), fds, buf[:min(n, 20000)])
	})
}
