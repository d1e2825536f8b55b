package main

// End-to-end performance "the way a user lives it": the real rchud binary
// in a real pty against `rchud emulator` (a separate process) under a
// simulated call centre making about 1,000 presence changes a second, with
// RingCentral's official JS stack (sdkcheck/peer.mjs) beside it on the same
// platform under the same load. One size at a time:
//
//	go test -run '^$' -bench 'BenchmarkE2EPresencePUTToTerminal/n=10000$' -benchtime 1x -timeout 30m .
//
// docs/perf-harness.md says what is measured, how, and what the flags do.

import (
	"flag"
	"fmt"
	"math"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"
)

var (
	e2ePuts   = flag.Int("e2e.puts", 200, "e2e benchmarks: presence PUTs to time")
	e2eEvery  = flag.Duration("e2e.every", 150*time.Millisecond, "e2e benchmarks: mean spacing of the PUTs (±1/3, random)")
	e2eWarm   = flag.Duration("e2e.warmup", 5*time.Second, "e2e benchmarks: load before measuring, once both clients are live")
	e2eIdle   = flag.Duration("e2e.idle", 20*time.Second, "e2e benchmarks: idle CPU window, traffic paused")
	e2eCPM    = flag.Float64("e2e.cpm", 0, "e2e benchmarks: simulated calls per minute (0: about 1,000 presence changes/s for the size)")
	e2ePut    = flag.String("e2e.put", "control", "e2e benchmarks: how the harness PUTs presence: `control` (/_emulator, no rate limit) or rest (its own OAuth session; Medium raised to 600/min)")
	e2eSeed   = flag.Uint64("e2e.seed", 0, "e2e benchmarks: seed of the tokens and spacing (0: from the clock)")
	e2eNode   = flag.String("e2e.node", "node", "e2e benchmarks: the node binary for the JS half (skipped when missing)")
	e2eCSV    = flag.String("e2e.samples", "", "e2e benchmarks: write every sample as CSV to `file`.n<users>")
	e2eLiveBy = flag.Duration("e2e.liveby", 10*time.Minute, "e2e benchmarks: how long the HUD may take to say live")
	e2eSteady = flag.Duration("e2e.steady", 6*time.Minute, "e2e benchmarks: measure no sooner than this after the HUD's start (what loads behind live, an admin's calls in progress among it, waits for Heavy windows; the call tracker keeps ended sessions three and a half minutes, so memory is steady only after that)")
)

const (
	hudCols, hudRows = 200, 50
	messageMark      = "e2e-"          // every timed message starts with it
	arrivalTimeout   = 5 * time.Second // a token not seen by then is a miss
	idleSettle       = 5 * time.Second // after pausing traffic, before the idle window
)

// BenchmarkE2EPresencePUTToTerminal times a presence PUT to its text in the
// terminal's bytes, for rchud (in a pty, rendering) and for RingCentral's
// official JS stack (no rendering) side by side, and measures both
// processes' CPU and memory under load, and their CPU when idle.
func BenchmarkE2EPresencePUTToTerminal(b *testing.B) {
	bin := buildRchud(b, b.TempDir())
	for _, n := range []int{10000, 50000} {
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) { runE2E(b, bin, n) })
	}
}

// e2eRig is one run's processes.
type e2eRig struct {
	emu  *emulatorProc
	hud  *hudProc
	peer *jsPeer // nil when the JS half is skipped
	put  func(msg string) error
	// hudStarted is when the HUD was started.
	hudStarted time.Time
}

// e2eSide is one client's figures.
type e2eSide struct {
	lat       latencies
	misses    int
	cpu, idle float64 // % of one core
	rss, hwm  int64
	anon      int64 // RssAnon at the end
}

// e2eSample is one PUT: when it was sent (from the window's start) and how
// long each client took to show it (-1: not seen, or no JS half).
type e2eSample struct {
	sent, hud, js time.Duration
}

// e2eLoad is what the platform did during the window.
type e2eLoad struct {
	window              time.Duration
	changes, delivered  float64 // presence changes, notifications to all subscribers, per second
	jsRate              float64 // notifications the JS subscriber received per second
	hudOut              float64 // bytes per second the HUD wrote to the terminal
	hudCPU              time.Duration
	emuCPU              float64
	othersCPU           float64 // everything else on the machine, harness excluded
	othersIdle          float64 // the same, in the idle window
	throttled, requests map[string]int
}

func runE2E(b *testing.B, bin string, users int) {
	if b.N > 1 {
		b.Logf("one run per invocation (-benchtime %dx ignored; use -count for more)", b.N)
	}
	seed := *e2eSeed
	if seed == 0 {
		seed = uint64(time.Now().UnixNano())
	}
	gen := newTokens(seed)
	rig, setup := startRig(b, bin, users)
	b.Logf("seed %d (-e2e.seed repeats the tokens and spacing); %s", seed, setup)

	warm := max(*e2eWarm, time.Until(rig.hudStarted.Add(*e2eSteady)))
	time.Sleep(warm) // pacing: the steady state, not synchronisation

	var ours, theirs e2eSide
	samples, load := rig.measureLoad(b, gen, &ours, &theirs)
	hudIdleOut := rig.measureIdle(b, &ours, &theirs, &load)
	select {
	case <-rig.hud.done:
		b.Fatalf("the HUD exited during the run: %v", rig.hud.err)
	default:
	}
	if *e2eCSV != "" {
		if err := writeSamples(fmt.Sprintf("%s.n%d", *e2eCSV, users), samples); err != nil {
			b.Error(err)
		}
	}

	b.ReportMetric(0, "ns/op")
	b.ReportMetric(ours.lat.pct(0.50), "p50-ms")
	b.ReportMetric(ours.lat.pct(0.90), "p90-ms")
	b.ReportMetric(ours.lat.pct(0.99), "p99-ms")
	b.ReportMetric(ours.lat.pct(1), "max-ms")
	b.ReportMetric(ours.cpu, "hud-cpu-%")
	b.ReportMetric(ours.idle, "hud-idle-cpu-%")
	b.ReportMetric(float64(ours.rss)/(1<<20), "hud-rss-MB")
	b.ReportMetric(float64(ours.hwm)/(1<<20), "hud-hwm-MB")
	b.ReportMetric(float64(ours.anon)/(1<<20), "hud-anon-MB")
	b.ReportMetric(load.changes, "presence-changes/s")
	b.ReportMetric(load.othersCPU, "others-cpu-%")
	b.ReportMetric(load.othersIdle, "others-idle-cpu-%")
	if rig.peer != nil {
		b.ReportMetric(load.jsRate, "js-notifications/s")
		b.ReportMetric(theirs.lat.pct(0.50), "js-p50-ms")
		b.ReportMetric(theirs.lat.pct(0.90), "js-p90-ms")
		b.ReportMetric(theirs.lat.pct(0.99), "js-p99-ms")
		b.ReportMetric(theirs.lat.pct(1), "js-max-ms")
		b.ReportMetric(theirs.cpu, "js-cpu-%")
		b.ReportMetric(theirs.idle, "js-idle-cpu-%")
		b.ReportMetric(float64(theirs.rss)/(1<<20), "js-rss-MB")
		b.ReportMetric(ours.lat.pct(0.50)/theirs.lat.pct(0.50), "ratio-p50")
		b.ReportMetric(ours.lat.pct(0.99)/theirs.lat.pct(0.99), "ratio-p99")
	}
	// The testing package keeps only ten lines of a benchmark's log.
	b.Log("\n" + table(users, load, hudIdleOut, ours, theirs, rig.peer != nil))
	if ours.misses > 0 || theirs.misses > 0 {
		b.Errorf("tokens never seen: rchud %d, JS %d (of %d)", ours.misses, theirs.misses, *e2ePuts)
	}
	// Issue 9's goals under this load; the run fails when one is missed.
	// (Its idle goal is for a screen on which nothing moves: the calls on
	// screen here still count their seconds, so it is not checked here.)
	var missed []string
	if p99 := ours.lat.pct(0.99); p99 > 30 {
		missed = append(missed, fmt.Sprintf("p99 %.1f ms > 30", p99))
	}
	if users == 10000 {
		if p50 := ours.lat.pct(0.50); p50 > 12 {
			missed = append(missed, fmt.Sprintf("p50 %.1f ms > 12", p50))
		}
		if ours.cpu > 20 {
			missed = append(missed, fmt.Sprintf("CPU %.1f%% > 20%%", ours.cpu))
		}
		if mb := float64(ours.rss) / (1 << 20); mb > 48 {
			missed = append(missed, fmt.Sprintf("RSS %.1f MB > 48", mb))
		}
	}
	if len(missed) > 0 {
		b.Errorf("goals missed: %s", strings.Join(missed, "; "))
	}
}

// startRig starts the emulator, the HUD (until it says live), the JS peer
// (until it has subscribed) and the harness's way to PUT; setup says how
// it went, in one line.
func startRig(b *testing.B, bin string, users int) (*e2eRig, string) {
	cpm := callsPerMinute(users)
	args := []string{"--extensions", fmt.Sprint(users), "--queues", "20", "--calls-per-minute", fmt.Sprint(cpm), "--seed", "3"}
	limits := "RingCentral's default rate limits"
	rest := false
	switch *e2ePut {
	case "control":
	case "rest":
		// 5-10 PUTs a second is far over Medium's default 40 a minute,
		// which every session of one user and app shares.
		rest = true
		limits = "RingCentral's default rate limits but Medium 600/min"
		args = append(args, "--rate-limits", "medium=600")
	default:
		b.Fatalf("-e2e.put must be control or rest, got %q", *e2ePut)
	}
	r := &e2eRig{}
	started := time.Now()
	r.emu = startEmulatorProc(b, bin, args...)
	emuUp := time.Since(started)
	me, err := r.emu.creds.userID()
	if err != nil {
		b.Fatal(err)
	}

	started = time.Now()
	r.hudStarted = started
	r.hud = startHUD(b, bin, r.emu.creds.env(), hudCols, hudRows)
	repaints, err := waitLive(r.hud, *e2eLiveBy)
	if err != nil {
		b.Fatalf("the HUD did not say live: %v", err)
	}
	setup := fmt.Sprintf("emulator (%d users, %v calls/min, %s) up in %v; HUD live after %v (%d repaint(s) asked)",
		users, cpm, limits, emuUp.Round(time.Millisecond), time.Since(started).Round(100*time.Millisecond), repaints)

	if why := nodeSkip(*e2eNode); why != "" {
		b.Logf("JS half skipped: %s", why)
	} else {
		// @rc-ex/ws (under @ringcentral/subscriptions) learns its
		// subscription's id only after awaiting the POST's response; a
		// notification read in the same chunk reaches its listener first,
		// which throws and kills node. So no traffic while it subscribes.
		if err := r.emu.control("POST", "pause", nil, nil); err != nil {
			b.Fatal(err)
		}
		r.peer = startPeer(b, *e2eNode, r.emu.creds.env(), messageMark)
		if err := r.peer.waitReady(time.Minute); err != nil {
			b.Fatal(err)
		}
		if err := r.emu.control("POST", "resume", nil, nil); err != nil {
			b.Fatal(err)
		}
	}

	r.put = func(msg string) error {
		return r.emu.control("PUT", "extensions/"+me+"/presence", map[string]string{"message": msg}, nil)
	}
	if rest {
		s, err := newRESTSession(r.emu.creds)
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(s.revoke)
		r.put = func(msg string) error { return s.putMessage(me, msg) }
	}
	return r, setup
}

// callsPerMinute is the simulated call rate: -e2e.cpm, or what makes about
// 1,000 presence changes a second at this size (people also go to lunch,
// meetings and DND, more of them in a bigger account). Measured with the
// emulator's queues holding at most 25 callers, as RingCentral's do: the
// callers beyond go to voicemail and ring nobody, so it takes more calls
// than before (17,000 and 12,500 made about 1,000 when queues had no cap;
// 17,000 makes 830 with it).
func callsPerMinute(users int) float64 {
	switch {
	case *e2eCPM > 0:
		return *e2eCPM
	case users >= 50000:
		return 18500
	}
	return 22500
}

// measureLoad PUTs the signed-in user's message *e2ePuts times under load
// and times each token to the HUD's terminal and to the JS peer's stdout.
func (r *e2eRig) measureLoad(b *testing.B, gen *tokens, ours, theirs *e2eSide) ([]e2eSample, e2eLoad) {
	st0, err := r.emu.stats()
	if err != nil {
		b.Fatal(err)
	}
	var pc0 peerCount
	var jsCPU cpuMeter
	if r.peer != nil {
		pc0, _ = r.peer.lastCount()
		jsCPU = startCPU(r.peer.pid())
	}
	hudCPU, emuCPU := startCPU(r.hud.pid()), startCPU(r.emu.pid())
	others := startOthers(r.pids()...)
	bytes0, t0 := r.hud.bytesRead(), time.Now()
	var samples []e2eSample
	for i := 0; i < *e2ePuts; i++ {
		tok := gen.next()
		gap := time.Duration(float64(*e2eEvery) * (2.0/3 + gen.rng.Float64()*2/3))
		seenHUD := r.hud.watch.expect(tok)
		var seenJS <-chan time.Time
		if r.peer != nil {
			seenJS = r.peer.watch.expect(tok)
		}
		sent := time.Now()
		if err := r.put(messageMark + tok); err != nil {
			b.Fatalf("PUT %d: %v", i, err)
		}
		s := e2eSample{sent: sent.Sub(t0), hud: -1, js: -1}
		deadline := time.NewTimer(arrivalTimeout)
		for seenHUD != nil || seenJS != nil {
			select {
			case at := <-seenHUD:
				s.hud, seenHUD = at.Sub(sent), nil
				ours.lat = append(ours.lat, s.hud)
			case at := <-seenJS:
				s.js, seenJS = at.Sub(sent), nil
				theirs.lat = append(theirs.lat, s.js)
			case <-deadline.C:
				if seenHUD != nil {
					ours.misses++
					r.hud.watch.forget(tok)
					seenHUD = nil
				}
				if seenJS != nil {
					theirs.misses++
					r.peer.watch.forget(tok)
					seenJS = nil
				}
			}
		}
		deadline.Stop()
		samples = append(samples, s)
		time.Sleep(time.Until(sent.Add(gap))) // pacing
	}

	var l e2eLoad
	l.window = time.Since(t0)
	ours.cpu, l.hudCPU = hudCPU.percent()
	l.emuCPU, _ = emuCPU.percent()
	l.othersCPU = others.percent()
	ours.rss, ours.hwm, ours.anon, _ = procMemAnon(r.hud.pid())
	l.hudOut = float64(r.hud.bytesRead()-bytes0) / l.window.Seconds()
	st1, err := r.emu.stats()
	if err != nil {
		b.Fatal(err)
	}
	l.changes = float64(st1.PresenceChanges-st0.PresenceChanges) / l.window.Seconds()
	l.delivered = float64(st1.Notifications-st0.Notifications) / l.window.Seconds()
	l.requests, l.throttled = st1.Requests, st1.Throttled
	l.jsRate = math.NaN()
	if r.peer != nil {
		theirs.cpu, _ = jsCPU.percent()
		theirs.rss, theirs.hwm, theirs.anon, _ = procMemAnon(r.peer.pid())
		if pc1, ok := r.peer.lastCount(); ok && !pc0.at.IsZero() && pc1.at.After(pc0.at) {
			l.jsRate = float64(pc1.notifications-pc0.notifications) / pc1.at.Sub(pc0.at).Seconds()
		}
	}
	return samples, l
}

// pids are the processes of the run, the harness's own included.
func (r *e2eRig) pids() []int {
	p := []int{os.Getpid(), r.hud.pid(), r.emu.pid()}
	if r.peer != nil {
		p = append(p, r.peer.pid())
	}
	return p
}

// measureIdle pauses the simulated traffic, lets the last events drain, and
// measures CPU over *e2eIdle; it returns the HUD's output in bytes/s then.
func (r *e2eRig) measureIdle(b *testing.B, ours, theirs *e2eSide, l *e2eLoad) float64 {
	if err := r.emu.control("POST", "pause", nil, nil); err != nil {
		b.Fatal(err)
	}
	time.Sleep(idleSettle) // pacing
	hud := startCPU(r.hud.pid())
	var js cpuMeter
	if r.peer != nil {
		js = startCPU(r.peer.pid())
	}
	others := startOthers(r.pids()...)
	bytes0 := r.hud.bytesRead()
	time.Sleep(*e2eIdle) // the window itself
	ours.idle, _ = hud.percent()
	l.othersIdle = others.percent()
	theirs.idle = math.NaN()
	if r.peer != nil {
		theirs.idle, _ = js.percent()
	}
	return float64(r.hud.bytesRead()-bytes0) / e2eIdle.Seconds()
}

// table is the run in a few lines.
func table(users int, l e2eLoad, hudIdleOut float64, ours, theirs e2eSide, js bool) string {
	num := func(v float64, f string) string {
		if math.IsNaN(v) {
			return "–"
		}
		return fmt.Sprintf(f, v)
	}
	var t strings.Builder
	fmt.Fprintf(&t, "%d users; %d PUTs in %v (-e2e.put %s); load %.0f presence changes/s, %s/s received by the JS subscriber, %.0f/s delivered in all\n",
		users, len(ours.lat)+ours.misses, l.window.Round(100*time.Millisecond), *e2ePut, l.changes, num(l.jsRate, "%.0f"), l.delivered)
	fmt.Fprintf(&t, "%-24s %7s %7s %7s %7s %5s %9s %9s %21s\n", "PUT → seen, ms", "p50", "p90", "p99", "max", "miss", "CPU load", "CPU idle", "RSS end/peak/anon MB")
	side := func(name string, s e2eSide) {
		fmt.Fprintf(&t, "%-24s %7s %7s %7s %7s %5d %9s %9s %21s\n", name,
			num(s.lat.pct(0.5), "%.1f"), num(s.lat.pct(0.9), "%.1f"), num(s.lat.pct(0.99), "%.1f"), num(s.lat.pct(1), "%.1f"),
			s.misses, num(s.cpu, "%.1f%%"), num(s.idle, "%.2f%%"),
			fmt.Sprintf("%.1f/%.1f/%.1f", float64(s.rss)/(1<<20), float64(s.hwm)/(1<<20), float64(s.anon)/(1<<20)))
	}
	side("rchud (pty 200x50)", ours)
	if js {
		side("official JS (no render)", theirs)
		fmt.Fprintf(&t, "ratio rchud/JS: p50 %.2f, p99 %.2f; ", ours.lat.pct(0.5)/theirs.lat.pct(0.5), ours.lat.pct(0.99)/theirs.lat.pct(0.99))
	} else {
		t.WriteString("official JS: skipped; ")
	}
	fmt.Fprintf(&t, "HUD used %v CPU in the window and wrote %.0f B/s to the terminal (%.0f B/s idle)\n",
		l.hudCPU.Round(10*time.Millisecond), l.hudOut, hudIdleOut)
	fmt.Fprintf(&t, "emulator process %.0f%% of a core; other processes on the machine %s of a core (%s idle); requests %v; throttled (429) %v",
		l.emuCPU, num(l.othersCPU, "%.0f%%"), num(l.othersIdle, "%.0f%%"), l.requests, l.throttled)
	return t.String()
}

// writeSamples writes the samples as CSV: i, sent_s, rchud_ms, js_ms.
func writeSamples(path string, samples []e2eSample) error {
	var b strings.Builder
	b.WriteString("i,sent_s,rchud_ms,js_ms\n")
	cell := func(d time.Duration) string {
		if d < 0 {
			return ""
		}
		return fmt.Sprintf("%.3f", ms(d))
	}
	for i, s := range samples {
		fmt.Fprintf(&b, "%d,%.3f,%s,%s\n", i, s.sent.Seconds(), cell(s.hud), cell(s.js))
	}
	return os.WriteFile(path, []byte(b.String()), 0o644)
}

// liveWord is the header's connection state at the end of its line:
// "live", then the line's end (an escape or a line break), not inside a
// word ("Olive").
var liveWord = regexp.MustCompile(`(?:[^A-Za-z]|\x1b\[[0-9]*C)live {0,2}(\x1b\[[0-9;]*[A-Za-z]|\r|\n)`)

// waitLive waits until the HUD's header says "live". The renderer
// sends only the cells that change, so the words around "live" are often
// not in the bytes: when "live" shows up on its own, and every 5 s anyway,
// the harness has the HUD repaint its whole screen (a resize) and looks
// at that.
func waitLive(h *hudProc, d time.Duration) (repaints int, err error) {
	deadline := time.Now().Add(d)
	var last time.Time
	for {
		var live bool
		err := h.waitText(min(5*time.Second, time.Until(deadline)), func(s string) bool {
			live = liveWord.MatchString(s)
			return live || (strings.Contains(s, "live") && time.Since(last) > 2*time.Second)
		})
		switch {
		case live:
			return repaints, nil
		case err != nil && (time.Until(deadline) <= 0 || strings.Contains(err.Error(), "exited")):
			return repaints, err
		}
		h.clearText()
		if err := h.repaint(hudCols, hudRows); err != nil {
			return repaints, err
		}
		last = time.Now()
		repaints++
	}
}
