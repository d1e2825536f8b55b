package ui

// The HUD's side of the soak scenarios (issue 5): what the user sees
// during a half-open link, a 429 penalty, status-change races, and names,
// messages and caller IDs full of escape sequences. The mirror's side is in
// state/soak_test.go; `go test ./... -run Soak -soak 10m` runs both long.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/teatest/v2"

	"github.com/rchud/rchud/emulator"
)

func soakLen(ci time.Duration) time.Duration {
	if *soakFor > 0 {
		return *soakFor
	}
	return ci
}

// runHUD runs the real program on d's mirror and keeps every frame.
func runHUD(t *testing.T, d *demo, w, h int) (*observed, *teatest.TestModel) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	o := &observed{Model: newModel(t, d.m, Options{Account: "demo", Profile: colorprofile.ANSI256,
		Writer: func() (Writer, error) {
			wr, err := d.s.Writer(ctx)
			if err != nil {
				return nil, err
			}
			return wr.Me(), nil
		}})}
	tm := teatest.NewTestModel(t, o, teatest.WithInitialTermSize(w, h),
		teatest.WithProgramOptions(tea.WithColorProfile(colorprofile.ANSI256)))
	go d.m.Run(ctx)
	go Pump(ctx, o.view, tm.Send)
	t.Cleanup(func() {
		tm.Type("q")
		tm.WaitFinished(t, teatest.WithFinalTimeout(5*time.Second))
	})
	return o, tm
}

// youLine is the header's "You" line of a frame.
func youLine(frame string) string {
	for _, l := range strings.Split(frame, "\n") {
		if strings.HasPrefix(l, " You ") {
			return l
		}
	}
	return ""
}

var (
	pendingRe = regexp.MustCompile(`→ (\S+) \(saving…\)`)
	statusRe  = regexp.MustCompile(` status (Available|Busy|Invisible|DND)\b`)
)

// shownStatus is the status the You line shows: a pending choice, else the
// "status" word, else the badge (which then is the status).
func shownStatus(frame string) string {
	y := youLine(frame)
	if m := pendingRe.FindStringSubmatch(y); m != nil {
		return m[1]
	}
	if m := statusRe.FindStringSubmatch(y); m != nil {
		return m[1]
	}
	f := strings.Fields(strings.TrimPrefix(y, " You "))
	if len(f) == 0 {
		return ""
	}
	return f[0]
}

// Scenario 2 (the HUD's side): the emulator stops sending without
// closing. Within 45 s the header says the link is down and the rows show
// the stale mark; after healing the screen is live and unmarked again.
func TestSoakHUDHalfOpen(t *testing.T) {
	t.Parallel()
	d := startDemo(t, false, false, 40)
	o, _ := runHUD(t, d, 120, 30)
	waitFor(t, 15*time.Second, "the live grid", func() bool { return strings.Contains(o.last(), "live") })
	d.e.SetFaults(emulator.Faults{HalfOpen: true})
	start := time.Now()
	waitFor(t, 45*time.Second, "the header and the rows saying stale", func() bool {
		f := o.last()
		return strings.Contains(f, "~ stale") && (strings.Contains(f, "recovering") || strings.Contains(f, "offline")) &&
			strings.Contains(f, "~")
	})
	seen := time.Since(start)
	time.Sleep(soakLen(0)) // the long version stays half-open as long as -soak asks
	d.e.SetFaults(emulator.Faults{})
	healed := time.Now()
	// The HUD comes back at its next attempt, which the header counts down
	// to: reconnects back off with full jitter toward a minute while the
	// gateway stays away (rc.StreamOptions.BackoffMax), so a long outage may
	// leave the next one up to a minute off.
	within := 10 * time.Second
	if *soakFor > 0 {
		within += time.Minute
	}
	waitFor(t, within, "the screen live again without stale marks", func() bool {
		f := o.last()
		return strings.Contains(f, "live") && !strings.Contains(f, "~ stale")
	})
	t.Logf("half-open: the HUD showed stale after %v, live again %v after healing", seen.Round(100*time.Millisecond),
		time.Since(healed).Round(10*time.Millisecond))
}

// Scenario 5 (the HUD's side): the presence PUT gets a 429 with
// Retry-After; the HUD shows the change pending through the penalty, then
// confirmed.
func TestSoakHUD429PendingThenConfirmed(t *testing.T) {
	t.Parallel()
	retry := 2
	if *soakFor > 0 {
		retry = 60
	}
	d := startDemo(t, false, false, 40)
	o, tm := runHUD(t, d, 120, 30)
	waitFor(t, 15*time.Second, "the live grid", func() bool { return strings.Contains(o.last(), "live") })
	me := d.e.Credentials().Receptionist.ExtensionID
	d.e.SetFaults(emulator.Faults{Rules: []emulator.FaultRule{{Method: "PUT",
		PathPrefix: "/restapi/v1.0/account/~/extension/" + me + "/presence", Status: 429, RetryAfter: retry, Count: 1}}})
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("last You line: %q; writes %+v; requests %d", youLine(o.last()), d.m.Writes(), len(d.e.Requests()))
		}
	})
	tm.Type("d")
	waitFor(t, 5*time.Second, "DND pending", func() bool {
		y := youLine(o.last())
		return strings.Contains(y, "→ DND (saving…)") || strings.Contains(y, "→ DND (retrying: ")
	})
	start := time.Now()
	waitFor(t, time.Duration(retry+15)*time.Second, "DND confirmed", func() bool {
		y := youLine(o.last())
		return !strings.Contains(y, "saving") && !strings.Contains(y, "retrying") && shownStatus(o.last()) == "DND"
	})
	if waited := time.Since(start); waited < time.Duration(retry)*time.Second-time.Second {
		t.Fatalf("confirmed after %v, inside the %d s penalty", waited, retry)
	}
	if !o.seen("→ DND (retrying: ") || o.seen("✗ DND failed") {
		t.Fatalf("the change must show retrying through the penalty, and never failed")
	}
	t.Logf("429 with Retry-After %d s: pending on screen through the penalty, then confirmed", retry)
}

// Scenario 6 (the HUD's side): 20 status keys in 2 s while the socket
// churns, over several runs: from each key on, the screen shows that
// choice, and after the last key never anything else.
func TestSoakHUDNeverFlipsBack(t *testing.T) {
	t.Parallel()
	d := startDemo(t, false, false, 40)
	d.e.SetFaults(emulator.Faults{DropInterval: 1500 * time.Millisecond, DropJitter: 700 * time.Millisecond})
	o, tm := runHUD(t, d, 120, 30)
	waitFor(t, 15*time.Second, "the live grid", func() bool { return strings.Contains(o.last(), "live") })
	keys := map[string]string{"a": "Available", "b": "Busy", "i": "Invisible", "d": "DND"}
	letters := []string{"a", "b", "i", "d"}
	r := testRand(t)
	d2, pace := soakLen(0), 100*time.Millisecond
	if *soakFor == 0 {
		pace = 25 * time.Millisecond
	}
	start, runs := time.Now(), 0
	for runs < 2 || time.Since(start) < d2 {
		var last string
		for i := 0; i < 20; i++ {
			k := letters[r.IntN(len(letters))]
			last = keys[k]
			tm.Type(k)
			time.Sleep(pace) // the pace of a person pressing keys
		}
		// Type returns once the program has taken the last key, so every
		// frame from here on was drawn after it; the one before may still
		// show the key before (under load its frame can come after the pace).
		o.mu.Lock()
		from := len(o.frames)
		o.mu.Unlock()
		waitFor(t, 70*time.Second, "the last choice confirmed", func() bool {
			f := o.last()
			return shownStatus(f) == last && !strings.Contains(youLine(f), "saving")
		})
		o.mu.Lock()
		for _, f := range o.frames[from:] {
			if got := shownStatus(f); got != last && got != "" {
				o.mu.Unlock()
				t.Fatalf("run %d: after choosing %s last the screen showed %s:\n%s", runs, last, got, youLine(f))
			}
		}
		o.mu.Unlock()
		runs++
	}
	t.Logf("never flips back: %d runs of 20 keys in 2 s under churn (%d drops)", runs, d.e.Stats().Gateway.Drops)
}

// hostileStrings are names, messages and caller names drawn from ESC, CSI,
// OSC (window title, clipboard 52, hyperlinks), DCS/APC/PM/SOS, C1
// controls, BEL/BS/CR/DEL, bidi overrides, zero-width characters, wide
// characters and very long strings.
var hostileStrings = []string{
	"\x1b[31mRed\x1b[0m Rita",
	"\x1b]0;pwned\x07Tom Title",
	"\x1b]52;c;cm0gLXJmIH4=\x07Clip Board",
	"\x1b]8;;https://evil.example\x1b\\Link\x1b]8;;\x1b\\ Lee",
	"\x1bP1$r0m\x1b\\Dee Cs",
	"\x1b_apc\x1b\\Ap Cee",
	"\x1b^pm\x1b\\Pim Em",
	"\x1bXsos\x1b\\Sos Ann",
	"\u009b2J\u009d0;c1\u009cCee One",
	"Bel\x07 Back\x08 Car\rret Del\x7f",
	"\u202eRight\u202c Left \u2066Iso\u2069",
	"Zero\u200bWidth\u200c\u200d\ufeffJoin",
	"\x1b[2J\x1b[H\x1b[999;999HClear Move",
	"\x1b[?1049l\x1b[?25lAlt Off",
	"王伟 محمد Ωμέγα 😀 Wide",
	strings.Repeat("Very Long Name ", 40),
	"\x1b[8mhidden\x1b[28m \x1b]2;title\x1b\\Eve",
}

// controlAt finds a control sequence in out that the HUD did not make: any
// string control (OSC, DCS, APC, PM, SOS), a C0 or C1 control other than
// CR, LF and the ESC that starts the renderer's CSI sequences, or a CSI the
// renderer does not use.
var allowedCSI = regexp.MustCompile(`^\x1b\[[0-9;:?<=>]*[mHfKJABCDEFGdlhrXPL@MSTtnc ]q?$`)

func controlAt(out []byte) string {
	s := string(out)
	for i := 0; i < len(s); {
		switch c := s[i]; {
		case c == 0x1b:
			if i+1 >= len(s) {
				return "a lone ESC at the end"
			}
			switch s[i+1] {
			case '[':
				j := i + 2
				for j < len(s) && (s[j] < 0x40 || s[j] > 0x7e) {
					j++
				}
				if j >= len(s) {
					return fmt.Sprintf("an unterminated CSI %q", s[i:])
				}
				if seq := s[i : j+1]; !allowedCSI.MatchString(seq) {
					return fmt.Sprintf("CSI %q", seq)
				}
				i = j + 1
			case '7', '8', '=', '>', 'M', 'D':
				// Save and restore the cursor, keypad modes, and the renderer's
				// own reverse index and index (scrolling a region it set with
				// CSI r): none carries text.
				i += 2
			case ']':
				// The HUD's own window title (a fixed text), and its reset on
				// quit, are the only OSCs allowed.
				switch {
				case strings.HasPrefix(s[i:], "\x1b]2;rchud\a"):
					i += len("\x1b]2;rchud\a")
				case strings.HasPrefix(s[i:], "\x1b]2;\a"):
					i += len("\x1b]2;\a")
				default:
					return fmt.Sprintf("OSC %q", s[i:min(len(s), i+24)])
				}
			default:
				return fmt.Sprintf("ESC %q", s[i:min(len(s), i+12)])
			}
		case c < 0x20 && c != '\r' && c != '\n':
			return fmt.Sprintf("C0 control %#x", c)
		case c == 0x7f:
			return "DEL"
		default:
			r := []rune(s[i:min(len(s), i+4)])
			if len(r) > 0 && r[0] >= 0x80 && r[0] <= 0x9f {
				return fmt.Sprintf("C1 control %U", r[0])
			}
			i++
		}
	}
	return ""
}

// Scenario 10: names, messages and caller names from the hostile corpus;
// every frame the real program writes holds no control sequence but the
// HUD's own, and every row keeps its width.
func TestSoakEscapeInjection(t *testing.T) {
	t.Parallel()
	var calls int
	d := startDemoWith(t, false, false, 40, func(e *emulator.Emulator) {
		put := func(path string, body any) {
			b, _ := json.Marshal(body)
			req, _ := http.NewRequest("PUT", e.URL()+path, bytes.NewReader(b))
			req.Header.Set("Content-Type", "application/json")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode >= 300 {
				t.Fatalf("PUT %s: %s", path, resp.Status)
			}
		}
		var users []string
		for _, x := range e.Truth().Extensions {
			if x.Type == "User" {
				users = append(users, x.ID)
			}
		}
		for i, h := range hostileStrings {
			put("/_emulator/extensions/"+users[i*2+1]+"/name", map[string]string{"name": h})
			msg := []rune(hostileStrings[(i+3)%len(hostileStrings)])
			put("/_emulator/extensions/"+users[i*2+1]+"/presence", map[string]string{"message": string(msg[:min(len(msg), 75)])})
			b, _ := json.Marshal(map[string]any{"direction": "Inbound", "from": h, "fromName": h, "status": "CallConnected"})
			resp, err := http.Post(e.URL()+"/_emulator/extensions/"+users[i*2]+"/calls", "application/json", bytes.NewReader(b))
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode == http.StatusCreated {
				calls++
			}
		}
	})
	if calls != len(hostileStrings) {
		t.Fatalf("%d hostile calls placed of %d", calls, len(hostileStrings))
	}
	// The server holds the hostile names; the mirror holds them cleaned
	// at ingest, so nothing downstream ever sees an escape.
	hostileSent := 0
	for _, x := range d.e.Truth().Extensions {
		if strings.ContainsAny(x.Name, "\x1b\u202e\u200b\x07") {
			hostileSent++
		}
	}
	if hostileSent < 10 {
		t.Fatalf("the hostile names did not reach the server (%d)", hostileSent)
	}
	for _, r := range d.m.All() {
		for _, s := range []string{r.Name, r.Message} {
			if strings.ContainsAny(s, "\x1b\u202e\u200b\x07\x9b") {
				t.Fatalf("the mirror holds an unsanitised string: %q", s)
			}
		}
	}
	keys := []tea.KeyPressMsg{{Code: tea.KeyEnter}, {Code: tea.KeyDown}, {Code: 'g', Text: "g"},
		{Code: 'g', Text: "g"}, {Code: tea.KeyDown}, {Code: '?', Text: "?"}}
	for _, size := range [][2]int{{60, 20}, {80, 24}, {120, 40}, {250, 80}} {
		w, h := size[0], size[1]
		// The model's views: only SGR styling, every line exactly the width.
		m := newModel(t, d.m, Options{Account: "demo\x1b]0;acct\x07", Profile: colorprofile.TrueColor})
		hd := testHUD(t, m, &fixture{m: d.m})
		hd.update(tea.WindowSizeMsg{Width: w, Height: h})
		check := func(step string) {
			v := m.View().Content
			// The renderer drops much of what it meets, but that is no excuse.
			if bad := foreignInView(v); bad != "" {
				t.Fatalf("%dx%d %s: the view holds %s", w, h, step, bad)
			}
			lines := strings.Split(v, "\n")
			if len(lines) != h {
				t.Fatalf("%dx%d %s: %d lines", w, h, step, len(lines))
			}
			for n, l := range lines {
				if got := ansi.StringWidth(l); got != w {
					t.Fatalf("%dx%d %s: line %d is %d wide: %q", w, h, step, n, got, ansi.Strip(l))
				}
			}
		}
		check("first frame")
		for _, k := range keys {
			hd.update(k)
			check("after " + k.String())
		}

		// The bytes a real program writes to the terminal.
		var mu sync.Mutex
		var out bytes.Buffer
		pm := newModel(t, d.m, Options{Account: "demo\x1b]0;acct\x07", Profile: colorprofile.TrueColor})
		p := tea.NewProgram(pm, tea.WithInput(nil), tea.WithOutput(writerFunc(func(b []byte) (int, error) {
			mu.Lock()
			defer mu.Unlock()
			return out.Write(b)
		})), tea.WithWindowSize(w, h), tea.WithColorProfile(colorprofile.TrueColor), tea.WithoutSignals())
		done := make(chan struct{})
		go func() {
			_, _ = p.Run()
			close(done)
		}()
		for _, k := range keys {
			p.Send(k)
		}
		p.Quit()
		<-done
		mu.Lock()
		bad := controlAt(out.Bytes())
		n := out.Len()
		mu.Unlock()
		if bad != "" {
			t.Fatalf("%dx%d: the terminal received %s", w, h, bad)
		}
		t.Logf("%dx%d: %d bytes written, no foreign control sequence", w, h, n)
	}
}

// foreignInView finds any escape sequence other than SGR, or any control
// character, in a view's content.
func foreignInView(v string) string {
	for i := 0; i < len(v); i++ {
		switch c := v[i]; {
		case c == 0x1b:
			if i+1 < len(v) && v[i+1] == '[' {
				j := i + 2
				for j < len(v) && (v[j] < 0x40 || v[j] > 0x7e) {
					j++
				}
				if j < len(v) && v[j] == 'm' {
					i = j
					continue
				}
			}
			return fmt.Sprintf("%q", v[i:min(len(v), i+16)])
		case c < 0x20 && c != '\n', c == 0x7f:
			return fmt.Sprintf("control %#x", c)
		}
	}
	for _, r := range v {
		if r >= 0x80 && r <= 0x9f || r == 0x202e || r == 0x200b || r == 0xfeff {
			return fmt.Sprintf("rune %U", r)
		}
	}
	return ""
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(b []byte) (int, error) { return f(b) }
