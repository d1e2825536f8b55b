package ui

import (
	"bytes"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/ansi"
)

// syncBuf is a terminal that records what it is sent.
type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuf) take() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := s.b.String()
	s.b.Reset()
	return out
}

// waitOutput waits until the terminal was sent something containing want.
func waitOutput(t *testing.T, out *syncBuf, want string) string {
	t.Helper()
	var got strings.Builder
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(ansi.Strip(got.String()), want) {
		if time.Now().After(deadline) {
			t.Fatalf("the terminal never got %q: %q", want, got.String())
		}
		time.Sleep(time.Millisecond)
		got.WriteString(out.take())
	}
	return got.String()
}

func TestScreenDrawsOnlyWhatChangedAndGivesTheTerminalBack(t *testing.T) {
	out := &syncBuf{}
	s := NewScreen(out, []string{"TERM=xterm-256color"}, colorprofile.ANSI256, false, time.Millisecond)
	s.Resize(60, 5)
	s.Start()
	if got := out.take(); !strings.Contains(got, ansi.SetModeAltScreenSaveCursor) || !strings.Contains(got, ansi.ResetModeTextCursorEnable) {
		t.Fatalf("start: %q", got)
	}
	lines := []string{"header one", "header two", "row Ann    Available", "row Bob    Busy", "footer"}
	first := waitOutputAfter(t, s, out, lines, "row Bob")
	// One line changes: only it goes out, not the screen again.
	lines2 := append([]string(nil), lines...)
	lines2[3] = "row Bob    Ringing"
	second := waitOutputAfter(t, s, out, lines2, "Ringing")
	if strings.Contains(second, "header") || strings.Contains(second, "Ann") || len(second) >= len(first)/2 {
		t.Fatalf("a one-line change sent %d bytes (the whole screen was %d): %q", len(second), len(first), second)
	}
	// The same lines again write nothing: what follows the next change is
	// that change alone.
	s.Show(lines2)
	lines3 := append([]string(nil), lines2...)
	lines3[4] = "footer, changed"
	if third := waitOutputAfter(t, s, out, lines3, "changed"); strings.Contains(third, "Bob") || strings.Contains(third, "header") {
		t.Fatalf("an unchanged frame was drawn again: %q", third)
	}
	// A resize draws everything again.
	s.Resize(60, 5)
	waitOutputAfter(t, s, out, lines3, "header one")
	s.Close()
	if got := out.take(); !strings.Contains(got, ansi.ResetModeAltScreenSaveCursor) || !strings.Contains(got, ansi.SetModeTextCursorEnable) {
		t.Fatalf("close must give the terminal back: %q", got)
	}
	s.Show(lines) // after Close (which waited for the drawing to stop) nothing is drawn
	if got := out.take(); got != "" {
		t.Fatalf("drew after Close: %q", got)
	}
}

func waitOutputAfter(t *testing.T, s *Screen, out *syncBuf, lines []string, want string) string {
	t.Helper()
	s.Show(lines)
	return waitOutput(t, out, want)
}
