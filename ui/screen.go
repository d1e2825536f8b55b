package ui

import (
	"io"
	"slices"
	"sync"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"
	uv "github.com/charmbracelet/ultraviolet"
	"github.com/charmbracelet/x/ansi"
)

// Screen draws the HUD on a terminal as its frames change, in place of
// Bubble Tea's renderer: a line is parsed into cells again only when its
// text changed (under load most frames change a line or two: the header's
// counts, a row), a frame is drawn as soon as it is ready unless one was
// drawn less than MinInterval ago, and nothing runs while nothing changes
// (Bubble Tea's renderer wakes 60 times a second to look).
type Screen struct {
	mu  sync.Mutex // guards the terminal: every write goes through it
	out io.Writer
	scr *uv.TerminalRenderer
	buf uv.ScreenBuffer
	// last are the lines drawn; w, h the terminal's size.
	last []string
	w, h int
	on   bool // in the alternate screen, drawing
	done bool

	// The latest lines asked for, and the goroutine that draws them.
	pmu      sync.Mutex
	pending  []string
	dirty    bool
	wake     chan struct{}
	stop     chan struct{}
	finished chan struct{}
	min      time.Duration

	shared *Shared // lines parsed by other screens too, or nil

	// OnSuspend and OnResume, when set, give the terminal's modes back
	// before a suspend (ctrl+z) and take them again after (raw input).
	OnSuspend, OnResume func()
}

// NewScreen makes a screen on out (a terminal, or an SSH session's
// channel) for the environment env (its TERM) and colour profile p.
// mapNewline is for a terminal whose line discipline turns a line feed
// into a carriage return too (an SSH session with no local tty). Frames
// are drawn at most once per min.
func NewScreen(out io.Writer, env []string, p colorprofile.Profile, mapNewline bool, min time.Duration) *Screen {
	s := &Screen{out: out, buf: uv.NewScreenBuffer(0, 0), wake: make(chan struct{}, 1), stop: make(chan struct{}),
		finished: make(chan struct{}), min: min}
	s.scr = uv.NewTerminalRenderer(lockedWriter{s}, env)
	s.scr.SetColorProfile(p)
	s.scr.SetMapNewline(mapNewline)
	// No scroll optimisation: it hashes every line on every frame (a fifth
	// of the HUD's CPU under load), for a grid whose rows re-sort rather
	// than scroll.
	s.scr.SetScrollOptim(false)
	go s.loop()
	return s
}

// lockedWriter is the terminal as the renderer writes it (under s.mu).
type lockedWriter struct{ s *Screen }

func (w lockedWriter) Write(b []byte) (int, error) { return w.s.out.Write(b) }

// Output is the terminal for Bubble Tea's own few writes (the queries it
// sends): they take turns with the frames.
func (s *Screen) Output() io.Writer { return screenOutput{s} }

type screenOutput struct{ s *Screen }

func (o screenOutput) Write(b []byte) (int, error) {
	o.s.mu.Lock()
	defer o.s.mu.Unlock()
	return o.s.out.Write(b)
}

// Start enters the alternate screen with the cursor hidden, titled, and
// draws the next frame whole (also after a suspend).
func (s *Screen) Start() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.done || s.on {
		return
	}
	s.scr.EnterAltScreen()
	_, _ = s.scr.WriteString(ansi.ResetModeTextCursorEnable + ansi.SetModeBracketedPaste + ansi.SetWindowTitle("rchud"))
	s.last = nil
	s.buf.Clear()
	s.on = true
	_ = s.scr.Flush()
}

// Suspend gives the terminal back as it was (ctrl+z, the end): the main
// screen, the cursor shown.
func (s *Screen) Suspend() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.suspendLocked()
}

func (s *Screen) suspendLocked() {
	if !s.on {
		return
	}
	_, _ = s.scr.WriteString(ansi.ResetModeBracketedPaste + ansi.SetModeTextCursorEnable)
	s.scr.ExitAltScreen()
	_, _ = s.scr.WriteString("\r") // what follows starts a line, whatever the terminal did with the cursor
	s.on = false
	_ = s.scr.Flush()
}

// Resize takes the terminal's new size: the next frame is drawn whole.
func (s *Screen) Resize(w, h int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.w, s.h = w, h
	s.scr.Resize(w, h)
	s.scr.Erase()
	s.buf.Resize(w, h)
	s.last = nil
}

// SetProfile changes the colour profile.
func (s *Screen) SetProfile(p colorprofile.Profile) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.scr.SetColorProfile(p)
	s.scr.Erase()
	s.last = nil
}

// Raw writes a sequence that is not a frame (the bell, a desktop
// notification) between frames.
func (s *Screen) Raw(seq string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.on {
		_, _ = s.out.Write([]byte(seq))
	}
}

// Show asks for lines (the screen, one string per line) to be drawn: at
// once, or MinInterval after the last frame; only the newest lines asked
// for are drawn.
func (s *Screen) Show(lines []string) {
	s.pmu.Lock()
	s.pending, s.dirty = lines, true
	s.pmu.Unlock()
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// Close draws no more, gives the terminal back, and waits for the drawing
// goroutine.
func (s *Screen) Close() {
	s.mu.Lock()
	if !s.done {
		s.done = true
		close(s.stop)
	}
	s.mu.Unlock()
	<-s.finished
	s.Suspend()
}

func (s *Screen) loop() {
	defer close(s.finished)
	var last time.Time
	for {
		select {
		case <-s.stop:
			return
		case <-s.wake:
		}
		if wait := s.min - time.Since(last); wait > 0 {
			t := time.NewTimer(wait)
			select {
			case <-s.stop:
				t.Stop()
				return
			case <-t.C:
			}
		}
		s.pmu.Lock()
		lines, dirty := s.pending, s.dirty
		s.dirty = false
		s.pmu.Unlock()
		if dirty {
			s.draw(lines)
			last = time.Now()
		}
	}
}

// draw puts lines on the terminal, parsing only those that changed.
func (s *Screen) draw(lines []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.on || s.w <= 0 || s.h <= 0 {
		return
	}
	if len(s.last) != s.h {
		s.last = make([]string, s.h)
		s.buf.Clear()
		for y := range s.last {
			s.last[y] = "\x00" // no line is ever this: draw every one
		}
	}
	for y := 0; y < s.h; y++ {
		line := ""
		if y < len(lines) {
			line = lines[y]
		}
		if line == s.last[y] {
			continue
		}
		s.drawLine(y, line)
		s.last[y] = line
	}
	s.scr.Render(s.buf.RenderBuffer)
	_ = s.scr.Flush()
}

// drawLine puts one line's cells in the buffer: parsed from its text, or
// copied from what another screen of the same width parsed (Shared).
func (s *Screen) drawLine(y int, line string) {
	k := cellsKey{text: line, width: s.w}
	if s.shared != nil && len(s.buf.Lines[y]) == s.w {
		if cells, ok := s.shared.cells.get(k); ok {
			copy(s.buf.Lines[y], cells)
			s.buf.TouchLine(0, y, s.w) // as ClearArea does: the renderer diffs the line
			return
		}
	}
	row := uv.Rect(0, y, s.w, 1)
	s.buf.ClearArea(row)
	uv.NewStyledString(line).Draw(s.buf, row)
	if s.shared != nil && len(s.buf.Lines[y]) == s.w {
		s.shared.cells.put(k, slices.Clone(s.buf.Lines[y]))
	}
}

// Share makes the screen look up and keep the lines it parses in sh, with
// other screens (rchud serve); call it before the first frame.
func (s *Screen) Share(sh *Shared) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.shared = sh
}

// Program runs m on a Screen: Bubble Tea reads the keys and runs Update,
// the Screen draws. Give it the terminal (tea.WithOutput) as it is when
// Bubble Tea must size it (a tty), else s.Output(). Run it with Run; Close
// the screen after. Bubble Tea's own renderer is off, and its loop that
// flushes what little it writes (queries, the bell) wakes once a second.
func Program(m *Model, s *Screen, opts ...tea.ProgramOption) *tea.Program {
	opts = append(opts, tea.WithoutRenderer(), tea.WithFPS(1))
	return tea.NewProgram(&screened{Model: m, s: s}, opts...)
}

// screened is the HUD's model drawing on a Screen.
type screened struct {
	*Model
	s *Screen
}

func (d *screened) Init() tea.Cmd {
	d.s.Start()
	return d.Model.Init()
}

func (d *screened) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		d.s.Resize(msg.Width, msg.Height)
	case tea.ColorProfileMsg:
		d.s.SetProfile(msg.Profile)
	case tea.ResumeMsg:
		if d.s.OnResume != nil {
			d.s.OnResume()
		}
		d.s.Start()
	case tea.KeyPressMsg:
		if msg.String() == "ctrl+z" && !d.Model.quitting {
			d.s.Suspend() // the shell gets its screen back; Resume redraws
			if d.s.OnSuspend != nil {
				d.s.OnSuspend()
			}
		}
	}
	_, cmd := d.Model.Update(msg)
	if !d.Model.quitting {
		d.s.Show(d.Model.RenderLines())
	}
	return d, cmd
}

// View is empty: the Screen draws.
func (d *screened) View() tea.View { return tea.View{} }
