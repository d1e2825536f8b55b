package main

// Quick checks of the end-to-end harness's own parts (the benchmarks
// themselves run only with -bench).

import (
	"math"
	"os"
	"strings"
	"testing"
	"time"
)

// A renderer that sends only changed cells sends a token whole only if it
// differs from the one before at every position; REP would fold a run of
// one character.
func TestE2ETokensDifferEverywhere(t *testing.T) {
	g := newTokens(7)
	prev := g.next()
	seen := map[string]bool{prev: true}
	for range 10000 {
		tok := g.next()
		if len(tok) != tokenLen {
			t.Fatalf("token %q is %d long", tok, len(tok))
		}
		for i := range tok {
			if tok[i] == prev[i] {
				t.Fatalf("%q after %q: same character at %d", tok, prev, i)
			}
			if i > 0 && tok[i] == tok[i-1] {
				t.Fatalf("%q repeats a character at %d", tok, i)
			}
		}
		if seen[tok] {
			t.Fatalf("%q came twice", tok)
		}
		seen[tok] = true
		prev = tok
	}
}

// A token the terminal gets in two reads is found, stamped with the second
// read; a token written before it was expected is not.
func TestE2EWatchFindsTokenSplitAcrossReads(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	h := &hudProc{pty: r, changed: make(chan struct{}, 1)}
	done := make(chan struct{})
	go h.read(done)
	defer func() {
		w.Close()
		<-done
		r.Close()
	}()
	waitBytes := func(n int64) {
		t.Helper()
		deadline := time.After(5 * time.Second)
		for h.bytesRead() < n {
			select {
			case <-h.changed:
			case <-deadline:
				t.Fatalf("read %d bytes, want %d", h.bytesRead(), n)
			}
		}
	}
	early := "EARLYTOKEN"
	w.Write([]byte("\x1b[1;1H" + early))
	waitBytes(int64(6 + len(early)))
	lateEarly := h.watch.expect(early)

	tok := "AbCdEfGhJk"
	seen := h.watch.expect(tok)
	w.Write([]byte("\x1b[3;40H“e2e-" + tok[:4]))
	waitBytes(int64(6+len(early)) + int64(len("\x1b[3;40H“e2e-")+4))
	before := time.Now()
	select {
	case <-seen:
		t.Fatal("found before its second half arrived")
	default:
	}
	w.Write([]byte(tok[4:] + "”\x1b[K"))
	select {
	case at := <-seen:
		if at.Before(before) {
			t.Fatalf("stamped %v, before the second half was written", before.Sub(at))
		}
	case <-time.After(5 * time.Second):
		t.Fatal("a token split across reads was not found")
	}
	select {
	case <-lateEarly:
		t.Fatal("a token read before it was expected was matched")
	default:
	}
	// The screen takes the bytes after the watch has seen them: wait for it.
	for deadline := time.Now().Add(5 * time.Second); !strings.Contains(h.screenText(), "e2e-"+tok); {
		if time.Now().After(deadline) {
			t.Fatalf("screen text %q lacks the token", h.screenText())
		}
		time.Sleep(time.Millisecond) // polling a condition with a deadline
	}
}

func TestE2EPercentilesByNearestRank(t *testing.T) {
	var l latencies
	for i := 100; i >= 1; i-- {
		l = append(l, time.Duration(i)*time.Millisecond)
	}
	for p, want := range map[float64]float64{0.5: 50, 0.9: 90, 0.99: 99, 1: 100, 0: 1} {
		if got := l.pct(p); got != want {
			t.Errorf("p%v = %v ms, want %v", p*100, got, want)
		}
	}
	if !math.IsNaN(latencies(nil).pct(0.5)) {
		t.Error("no samples should give NaN")
	}
}

func TestE2EProcReadsThisProcess(t *testing.T) {
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("no /proc here")
	}
	for cpu, x := time.Duration(0), 0; cpu == 0; x++ { // burn at least one clock tick
		cpu, _ = procCPU(os.Getpid())
		_ = x * x
	}
	rss, hwm, anon, err := procMemAnon(os.Getpid())
	if err != nil || rss <= 0 || hwm < rss || anon <= 0 || anon > rss {
		t.Fatalf("VmRSS %d, VmHWM %d, RssAnon %d, err %v", rss, hwm, anon, err)
	}
	if busy, err := machineCPU(); err != nil || busy <= 0 {
		t.Fatalf("machine CPU %v, err %v", busy, err)
	}
	if o := startOthers(os.Getpid()).percent(); math.IsNaN(o) || o < 0 {
		t.Fatalf("others %v%%", o)
	}
	c := credentials{JWT: "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiI4MjM5MDYwMDQifQ.c2ln"}
	if id, err := c.userID(); err != nil || id != "823906004" {
		t.Fatalf("userID %q, %v", id, err)
	}
}

func TestTheHarnessReadsLiveAtTheHeadersEnd(t *testing.T) {
	for s, want := range map[string]bool{
		" rchud · Bluebird · Ann (ext 101)          live \x1b[m\r\n": true,
		"supervisor\x1b[40Clive\r\n":                                 true,
		"  Olive   \x1b[3C":                                          false,
		" loading presence… \x1b[m":                                  false,
		"delivered\r\n":                                              false,
	} {
		if got := liveWord.MatchString(s); got != want {
			t.Errorf("%q: live %v, want %v", s, got, want)
		}
	}
}
