package main

// Helpers for the end-to-end benchmarks (e2e_bench_test.go): the real rchud
// binary in a real pty, `rchud emulator` and RingCentral's official JS stack
// as separate processes, each measured from /proc. Nothing here imports the
// client packages: the harness sees only bytes and HTTP, so it measures any
// version of the HUD alike.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"
	"github.com/creack/pty"
)

// clockTicks is USER_HZ, the unit of utime and stime in /proc/<pid>/stat:
// 100 on every Linux architecture Go supports.
const clockTicks = 100

// proc is a child process the harness started and will always end.
type proc struct {
	name string
	cmd  *exec.Cmd
	done chan struct{} // closed once the process has exited and been reaped
	err  error         // its exit error, once done
}

// startProc starts cmd and reaps it in the background; cleanup kills it
// (after stop, if given, had a chance to end it gently) and waits.
func startProc(tb testing.TB, name string, cmd *exec.Cmd, stop func(*proc)) *proc {
	tb.Helper()
	p := &proc{name: name, cmd: cmd, done: make(chan struct{})}
	if err := cmd.Start(); err != nil {
		tb.Fatalf("start %s: %v", name, err)
	}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	tb.Cleanup(func() {
		if stop != nil {
			stop(p)
		}
		p.kill()
	})
	return p
}

// kill ends the process (if it still runs) and waits for it.
func (p *proc) kill() {
	select {
	case <-p.done:
		return
	default:
	}
	_ = p.cmd.Process.Kill()
	<-p.done
}

// waitExit waits up to d for the process to exit on its own.
func (p *proc) waitExit(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-p.done:
		return true
	case <-t.C:
		return false
	}
}

func (p *proc) pid() int { return p.cmd.Process.Pid }

// procCPU is the CPU time (user + system) the process has used so far.
func procCPU(pid int) (time.Duration, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, err
	}
	// The command name (field 2) may hold spaces; fields count from its ')'.
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, fmt.Errorf("/proc/%d/stat: no command name", pid)
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 13 {
		return 0, fmt.Errorf("/proc/%d/stat: %d fields", pid, len(f))
	}
	utime, err1 := strconv.ParseInt(f[11], 10, 64) // field 14
	stime, err2 := strconv.ParseInt(f[12], 10, 64) // field 15
	if err := errors.Join(err1, err2); err != nil {
		return 0, fmt.Errorf("/proc/%d/stat: %v", pid, err)
	}
	return time.Duration(utime+stime) * time.Second / clockTicks, nil
}

// procMem is the process's resident set now (VmRSS) and at its peak (VmHWM).
func procMem(pid int) (rss, hwm int64, err error) {
	rss, hwm, _, err = procMemAnon(pid)
	return rss, hwm, err
}

// procMemAnon is procMem and the anonymous part of the resident set now
// (RssAnon: the heap, stacks and runtime; the rest of VmRSS is the
// binary's own pages, shared with the page cache).
func procMemAnon(pid int) (rss, hwm, anon int64, err error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0, 0, 0, err
	}
	kb := func(key string) int64 {
		for _, line := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(line, key+":"); ok {
				n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
				return n << 10
			}
		}
		return -1
	}
	rss, hwm, anon = kb("VmRSS"), kb("VmHWM"), kb("RssAnon")
	if rss < 0 || hwm < 0 || anon < 0 {
		return 0, 0, 0, fmt.Errorf("/proc/%d/status: no VmRSS, VmHWM or RssAnon", pid)
	}
	return rss, hwm, anon, nil
}

// cpuMeter measures one process's CPU over a window, as % of one core.
type cpuMeter struct {
	pid   int
	t0    time.Time
	cpu0  time.Duration
	valid bool
}

func startCPU(pid int) cpuMeter {
	c, err := procCPU(pid)
	return cpuMeter{pid: pid, t0: time.Now(), cpu0: c, valid: err == nil}
}

// percent is the CPU used since start as % of one core (NaN if unknown).
func (m cpuMeter) percent() (pct float64, used time.Duration) {
	c, err := procCPU(m.pid)
	if !m.valid || err != nil {
		return math.NaN(), 0
	}
	used = c - m.cpu0
	return 100 * used.Seconds() / time.Since(m.t0).Seconds(), used
}

// machineCPU is the CPU time every process on the machine has used so far,
// from /proc/stat's cpu line: user, nice, system and steal (guest time is
// in user already). Interrupt time is left out: it is not charged to any
// process, and most of it here is the run's own loopback traffic.
func machineCPU() (time.Duration, error) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, err
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line)
	if len(f) < 9 || f[0] != "cpu" {
		return 0, errors.New("/proc/stat: no cpu line")
	}
	var busy int64
	for _, i := range []int{1, 2, 3, 8} {
		n, err := strconv.ParseInt(f[i], 10, 64)
		if err != nil {
			return 0, fmt.Errorf("/proc/stat: %v", err)
		}
		busy += n
	}
	return time.Duration(busy) * time.Second / clockTicks, nil
}

// othersMeter measures the CPU that processes other than the ones given
// used over a window, as % of one core: how busy the machine was with
// something else while we measured.
type othersMeter struct {
	ours  []cpuMeter
	t0    time.Time
	busy0 time.Duration
	valid bool
}

func startOthers(pids ...int) othersMeter {
	m := othersMeter{t0: time.Now()}
	for _, pid := range pids {
		m.ours = append(m.ours, startCPU(pid))
	}
	var err error
	m.busy0, err = machineCPU()
	m.valid = err == nil
	return m
}

func (m othersMeter) percent() float64 {
	busy, err := machineCPU()
	if !m.valid || err != nil {
		return math.NaN()
	}
	others := busy - m.busy0
	for _, o := range m.ours {
		if _, used := o.percent(); o.valid {
			others -= used
		}
	}
	return max(0, 100*others.Seconds()/time.Since(m.t0).Seconds())
}

// buildRchud builds the binary under test into dir.
func buildRchud(tb testing.TB, dir string) string {
	tb.Helper()
	bin := filepath.Join(dir, "rchud")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, goTool(), "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		tb.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// goTool is the go command that runs this test, else the one on PATH.
func goTool() string {
	if root := os.Getenv("GOROOT"); root != "" {
		if p := filepath.Join(root, "bin", "go"); fileExists(p) {
			return p
		}
	}
	return "go"
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// credentials are what `rchud emulator` prints. Never log them.
type credentials struct {
	ServerURL, ClientID, ClientSecret, JWT string
}

// env is the credentials as RC_* environment variables.
func (c credentials) env() []string {
	return []string{"RC_SERVER_URL=" + c.ServerURL, "RC_APP_CLIENT_ID=" + c.ClientID,
		"RC_APP_CLIENT_SECRET=" + c.ClientSecret, "RC_USER_JWT=" + c.JWT}
}

// userID is the signed-in user's extension id: the JWT's standard "sub"
// claim (the token is not checked here, only read).
func (c credentials) userID() (string, error) {
	parts := strings.Split(c.JWT, ".")
	if len(parts) != 3 {
		return "", errors.New("RC_USER_JWT is not a JWT")
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return "", errors.New("RC_USER_JWT has an undecodable payload")
	}
	var claims struct {
		Sub string `json:"sub"`
	}
	if json.Unmarshal(raw, &claims) != nil || claims.Sub == "" {
		return "", errors.New("RC_USER_JWT has no sub claim")
	}
	return claims.Sub, nil
}

// emulatorProc is `rchud emulator` running as its own process.
type emulatorProc struct {
	*proc
	creds  credentials
	client *http.Client
}

// startEmulatorProc runs `rchud emulator` with args (and a loopback port 0)
// and reads the credentials it prints first.
func startEmulatorProc(tb testing.TB, bin string, args ...string) *emulatorProc {
	tb.Helper()
	cmd := exec.Command(bin, append([]string{"emulator", "--listen", "127.0.0.1:0"}, args...)...)
	cmd.Env = []string{"HOME=" + tb.TempDir()}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		tb.Fatal(err)
	}
	stderr := &tailBuffer{max: 4096}
	cmd.Stderr = stderr
	p := startProc(tb, "emulator", cmd, func(p *proc) {
		_ = p.cmd.Process.Signal(os.Interrupt)
		p.waitExit(5 * time.Second)
	})
	lines := make(chan string)
	go func() {
		sc := bufio.NewScanner(stdout)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
		_, _ = io.Copy(io.Discard, stdout)
	}()
	var c credentials
	deadline := time.NewTimer(2 * time.Minute)
	defer deadline.Stop()
	for c.ServerURL == "" || c.ClientID == "" || c.ClientSecret == "" || c.JWT == "" {
		select {
		case line, ok := <-lines:
			if !ok {
				<-p.done
				tb.Fatalf("the emulator exited before printing its credentials: %v: %s", p.err, stderr.truncLine())
			}
			k, v, _ := strings.Cut(line, "=")
			switch k {
			case "RC_SERVER_URL":
				c.ServerURL = v
			case "RC_APP_CLIENT_ID":
				c.ClientID = v
			case "RC_APP_CLIENT_SECRET":
				c.ClientSecret = v
			case "RC_USER_JWT":
				c.JWT = v
			}
		case <-deadline.C:
			tb.Fatalf("the emulator printed no credentials within 2 minutes: %s", stderr.truncLine())
		}
	}
	go func() { // the agents' lines, and anything after them
		for range lines {
		}
	}()
	u, err := url.Parse(c.ServerURL)
	if err != nil || !isLoopback(u.Hostname()) {
		tb.Fatalf("the emulator serves on %q, not loopback", u.Host)
	}
	return &emulatorProc{proc: p, creds: c, client: &http.Client{Timeout: 30 * time.Second}}
}

func isLoopback(host string) bool { return host == "127.0.0.1" || host == "::1" || host == "localhost" }

// control calls the emulator's control API; out, if not nil, receives the
// JSON reply.
func (e *emulatorProc) control(method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, e.creds.ServerURL+"/_emulator/"+path, body)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := e.client.Do(req)
	if err != nil {
		return fmt.Errorf("%s /_emulator/%s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("%s /_emulator/%s: HTTP %d %s", method, path, resp.StatusCode, truncLine(string(b), 200))
	}
	if out != nil {
		return json.Unmarshal(b, out)
	}
	return nil
}

// emuStats is the part of GET /_emulator/stats the harness reports.
type emuStats struct {
	PresenceChanges int64          `json:"presenceChanges"`
	Notifications   int64          `json:"notifications"`
	Requests        map[string]int `json:"requests"`
	Throttled       map[string]int `json:"throttled"`
	Gateway         struct {
		Active int `json:"active"`
	} `json:"gateway"`
}

func (e *emulatorProc) stats() (emuStats, error) {
	var s emuStats
	err := e.control("GET", "stats", nil, &s)
	return s, err
}

// restSession is the harness's own OAuth session (JWT grant), for PUTs over
// RingCentral's REST API.
type restSession struct {
	creds  credentials
	client *http.Client
	access string
}

func newRESTSession(c credentials) (*restSession, error) {
	s := &restSession{creds: c, client: &http.Client{Timeout: 30 * time.Second}}
	form := url.Values{"grant_type": {"urn:ietf:params:oauth:grant-type:jwt-bearer"}, "assertion": {c.JWT}}
	req, err := http.NewRequest("POST", c.ServerURL+"/restapi/oauth/token", strings.NewReader(form.Encode()))
	if err != nil {
		return nil, err
	}
	req.SetBasicAuth(c.ClientID, c.ClientSecret)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	resp, err := s.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("sign in: %v", err)
	}
	defer resp.Body.Close()
	var tok struct {
		AccessToken string `json:"access_token"`
		Error       string `json:"error"`
	}
	_ = json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&tok)
	if resp.StatusCode != http.StatusOK || tok.AccessToken == "" {
		return nil, fmt.Errorf("sign in: HTTP %d %s", resp.StatusCode, truncLine(tok.Error, 80))
	}
	s.access = tok.AccessToken
	return s, nil
}

// putMessage PUTs extension id's presence message.
func (s *restSession) putMessage(id, msg string) error {
	b, _ := json.Marshal(map[string]string{"message": msg})
	req, err := http.NewRequest("PUT", s.creds.ServerURL+"/restapi/v1.0/account/~/extension/"+id+"/presence", bytes.NewReader(b))
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+s.access)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	resp, err := s.client.Do(req)
	if err != nil {
		return fmt.Errorf("PUT presence: %v", err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("PUT presence: HTTP %d", resp.StatusCode)
	}
	return nil
}

// revoke ends the session (best effort: the emulator goes away next).
func (s *restSession) revoke() {
	req, err := http.NewRequest("POST", s.creds.ServerURL+"/restapi/oauth/revoke", strings.NewReader(url.Values{"token": {s.access}}.Encode()))
	if err != nil {
		return
	}
	req.SetBasicAuth(s.creds.ClientID, s.creds.ClientSecret)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if resp, err := s.client.Do(req); err == nil {
		resp.Body.Close()
	}
}

// arrival is a token awaited since offset from of the stream.
type arrival struct {
	token string
	from  int64
	at    chan time.Time // buffered; receives once
}

// tokenWatch finds tokens in a byte or line stream as it is read, stamping
// each with the time the read that completed it returned.
type tokenWatch struct {
	mu      sync.Mutex
	pending []*arrival
	read    int64 // bytes of the stream scanned so far
}

// expect registers token; only input read from now on can match it.
func (w *tokenWatch) expect(token string) <-chan time.Time {
	w.mu.Lock()
	defer w.mu.Unlock()
	a := &arrival{token: token, from: w.read, at: make(chan time.Time, 1)}
	w.pending = append(w.pending, a)
	return a.at
}

// forget drops a token that is no longer awaited.
func (w *tokenWatch) forget(token string) {
	w.mu.Lock()
	w.pending = slices.DeleteFunc(w.pending, func(a *arrival) bool { return a.token == token })
	w.mu.Unlock()
}

// scan reports the tokens in data as arrived at t. The last fresh bytes of
// data are new; the ones before were scanned already and are there for
// tokens split across reads.
func (w *tokenWatch) scan(data []byte, fresh int, t time.Time) {
	w.mu.Lock()
	defer w.mu.Unlock()
	base := w.read - int64(len(data)-fresh) // the stream offset of data[0]
	w.read += int64(fresh)
	w.pending = slices.DeleteFunc(w.pending, func(a *arrival) bool {
		tok := []byte(a.token)
		for off := 0; ; {
			i := bytes.Index(data[off:], tok)
			if i < 0 {
				return false
			}
			if base+int64(off+i) >= a.from {
				a.at <- t
				return true
			}
			off += i + 1
		}
	})
}

// hudProc is the rchud HUD running in a pty, its output read continuously.
type hudProc struct {
	*proc
	pty   *os.File
	watch tokenWatch

	mu      sync.Mutex
	total   int64  // bytes read from the pty
	recent  []byte // the last bytes read, for waiting on text and for errors
	changed chan struct{}
}

const hudRecent = 256 << 10

// startHUD runs bin (the HUD, no arguments: real use with RC_* credentials)
// in a pty of cols x rows with TERM=xterm-256color.
func startHUD(tb testing.TB, bin string, env []string, cols, rows int) *hudProc {
	tb.Helper()
	cmd := exec.Command(bin)
	cmd.Dir = tb.TempDir() // no .env to read
	cmd.Env = append([]string{"TERM=xterm-256color", "HOME=" + cmd.Dir, "LANG=C.UTF-8"}, env...)
	f, err := pty.StartWithSize(cmd, &pty.Winsize{Cols: uint16(cols), Rows: uint16(rows)})
	if err != nil {
		tb.Fatalf("start the HUD in a pty: %v", err)
	}
	h := &hudProc{pty: f, changed: make(chan struct{}, 1)}
	h.proc = &proc{name: "rchud", cmd: cmd, done: make(chan struct{})}
	go func() {
		h.proc.err = cmd.Wait()
		close(h.proc.done)
	}()
	readerDone := make(chan struct{})
	go h.read(readerDone)
	tb.Cleanup(func() {
		// q quits cleanly (deletes the subscription, revokes the session).
		_, _ = f.Write([]byte("q"))
		if !h.waitExit(10 * time.Second) {
			h.kill()
		}
		f.Close()
		<-readerDone
	})
	return h
}

// read drains the pty until it closes, matching tokens as bytes arrive.
func (h *hudProc) read(done chan<- struct{}) {
	defer close(done)
	// Each read lands after the last maxToken bytes of the one before, so
	// a token split across two reads is still found.
	buf := make([]byte, maxToken+64<<10)
	kept := 0
	for {
		n, err := h.pty.Read(buf[kept:])
		if n > 0 {
			t := time.Now()
			data := buf[:kept+n]
			h.watch.scan(data, n, t)
			h.mu.Lock()
			h.total += int64(n)
			h.recent = append(h.recent, data[kept:]...)
			if len(h.recent) > hudRecent {
				h.recent = append(h.recent[:0], h.recent[len(h.recent)-hudRecent/2:]...)
			}
			h.mu.Unlock()
			kept = copy(buf, data[max(0, len(data)-maxToken):])
			select {
			case h.changed <- struct{}{}:
			default:
			}
		}
		if err != nil {
			return // EIO once the HUD has exited and the pty is closed
		}
	}
}

// bytesRead is how many bytes the HUD has written to the terminal.
func (h *hudProc) bytesRead() int64 {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.total
}

// screenText is the recent output with escape sequences removed.
func (h *hudProc) screenText() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return ansi.Strip(string(h.recent))
}

// waitText waits until the text of the recent output (since clearText)
// satisfies ok, the HUD exits, or d passes.
func (h *hudProc) waitText(d time.Duration, ok func(string) bool) error {
	deadline := time.NewTimer(d)
	defer deadline.Stop()
	for {
		if ok(h.screenText()) {
			return nil
		}
		select {
		case <-h.changed:
		case <-h.done:
			return fmt.Errorf("the HUD exited (%v); last output: %q", h.err, tail(h.screenText(), 300))
		case <-deadline.C:
			return fmt.Errorf("not within %v; last output: %q", d, tail(h.screenText(), 300))
		}
	}
}

// clearText forgets the output so far, so waitText sees only what follows.
func (h *hudProc) clearText() {
	h.mu.Lock()
	h.recent = h.recent[:0]
	h.mu.Unlock()
}

// repaint makes the HUD draw its whole screen again, as a resize does.
func (h *hudProc) repaint(cols, rows int) error {
	if err := pty.Setsize(h.pty, &pty.Winsize{Cols: uint16(cols), Rows: uint16(rows - 1)}); err != nil {
		return err
	}
	return pty.Setsize(h.pty, &pty.Winsize{Cols: uint16(cols), Rows: uint16(rows)})
}

// jsPeer is sdkcheck/peer.mjs: RingCentral's official JS stack subscribed
// to the account's presence, printing a line per marked message.
type jsPeer struct {
	*proc
	watch  tokenWatch
	ready  chan struct{}
	stderr *tailBuffer

	mu     sync.Mutex
	counts []peerCount
}

// peerCount is one of the peer's "count" lines, stamped when read.
type peerCount struct {
	at            time.Time
	notifications int64
	extensions    int64
}

// nodeSkip says why the JS half cannot run here, or "" when it can.
func nodeSkip(node string) string {
	path, err := exec.LookPath(node)
	if err != nil {
		return "node is not installed (" + node + " not found)"
	}
	out, err := exec.Command(path, "-p", "process.versions.node.split('.')[0]").Output()
	if major, _ := strconv.Atoi(strings.TrimSpace(string(out))); err != nil || major < 18 {
		return "node 18 or later is needed"
	}
	for _, pkg := range []string{"@ringcentral/sdk", "@ringcentral/subscriptions"} {
		if !fileExists(filepath.Join("sdkcheck", "node_modules", pkg, "package.json")) {
			return "sdkcheck/node_modules lacks " + pkg + " (run: cd sdkcheck && npm ci)"
		}
	}
	return ""
}

// startPeer runs node sdkcheck/peer.mjs with the credentials; lines whose
// message starts with mark are matched against expected tokens.
func startPeer(tb testing.TB, node string, env []string, mark string) *jsPeer {
	tb.Helper()
	abs, err := filepath.Abs(filepath.Join("sdkcheck", "peer.mjs"))
	if err != nil {
		tb.Fatal(err)
	}
	cmd := exec.Command(node, abs)
	cmd.Dir = filepath.Dir(abs)
	cmd.Env = append([]string{"HOME=" + tb.TempDir(), "PEER_MARK=" + mark}, env...)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		tb.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		tb.Fatal(err)
	}
	j := &jsPeer{ready: make(chan struct{}), stderr: &tailBuffer{max: 4096}}
	cmd.Stderr = j.stderr
	j.proc = startProc(tb, "node", cmd, func(p *proc) {
		stdin.Close() // the peer exits when its stdin closes
		p.waitExit(5 * time.Second)
	})
	go j.read(stdout)
	return j
}

func (j *jsPeer) read(r io.Reader) {
	br := bufio.NewReaderSize(r, 64<<10)
	var once sync.Once
	for {
		line, err := br.ReadBytes('\n')
		t := time.Now()
		switch {
		case bytes.HasPrefix(line, []byte("mark ")):
			j.watch.scan(line, len(line), t)
		case bytes.HasPrefix(line, []byte("count ")):
			f := strings.Fields(string(line))
			if len(f) == 3 {
				n, _ := strconv.ParseInt(f[1], 10, 64)
				x, _ := strconv.ParseInt(f[2], 10, 64)
				j.mu.Lock()
				j.counts = append(j.counts, peerCount{at: t, notifications: n, extensions: x})
				j.mu.Unlock()
			}
		case bytes.Equal(line, []byte("ready\n")):
			once.Do(func() { close(j.ready) })
		}
		if err != nil {
			return
		}
	}
}

// waitReady waits for the peer to have subscribed.
func (j *jsPeer) waitReady(d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-j.ready:
		return nil
	case <-j.done:
		return fmt.Errorf("the JS peer exited (%v): %s", j.err, j.stderr.truncLine())
	case <-t.C:
		return fmt.Errorf("the JS peer did not subscribe within %v: %s", d, j.stderr.truncLine())
	}
}

// lastCount is the latest count line.
func (j *jsPeer) lastCount() (peerCount, bool) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if len(j.counts) == 0 {
		return peerCount{}, false
	}
	return j.counts[len(j.counts)-1], true
}

// tokens makes message tokens that differ from the previous one at every
// position and never repeat a character next to itself, so a renderer
// that sends only changed cells (and REP for runs) still sends each token
// whole and contiguous.
type tokens struct {
	rng  *rand.Rand
	prev []byte
}

const (
	tokenLen      = 10
	maxToken      = 64 // longest byte string matched across reads
	tokenAlphabet = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789"
)

func newTokens(seed uint64) *tokens {
	return &tokens{rng: rand.New(rand.NewPCG(seed, 0xe2e)), prev: make([]byte, tokenLen)}
}

func (g *tokens) next() string {
	t := make([]byte, tokenLen)
	for i := range t {
		for {
			c := tokenAlphabet[g.rng.IntN(len(tokenAlphabet))]
			if c != g.prev[i] && (i == 0 || c != t[i-1]) {
				t[i] = c
				break
			}
		}
	}
	g.prev = t
	return string(t)
}

// latencies summarises a sample of durations.
type latencies []time.Duration

// pct is the p-quantile by nearest rank (p in 0..1); NaN when empty.
func (l latencies) pct(p float64) float64 {
	if len(l) == 0 {
		return math.NaN()
	}
	s := slices.Clone(l)
	slices.Sort(s)
	i := int(math.Ceil(p*float64(len(s)))) - 1
	return ms(s[min(max(i, 0), len(s)-1)])
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// tailBuffer keeps the last max bytes written (a child's stderr).
type tailBuffer struct {
	mu  sync.Mutex
	max int
	b   []byte
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.b = append(t.b, p...)
	if len(t.b) > t.max {
		t.b = append(t.b[:0], t.b[len(t.b)-t.max:]...)
	}
	return len(p), nil
}

func (t *tailBuffer) truncLine() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return truncLine(string(t.b), 300)
}

// oneLine makes untrusted text one printable line of at most n runes.
func truncLine(s string, n int) string {
	s = strings.Join(strings.Fields(ansi.Strip(s)), " ")
	if r := []rune(s); len(r) > n {
		s = string(r[:n]) + "…"
	}
	if s == "" {
		return "(nothing)"
	}
	return s
}

func tail(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[len(r)-n:])
	}
	return s
}
