package ui

import (
	"io"
	"strings"
	"testing"
	"time"

	uv "github.com/charmbracelet/ultraviolet"

	"github.com/rchud/rchud/rc"
	"github.com/rchud/rchud/state"
)

// BenchmarkTerminalRendererFlush200x50 is the terminal renderer's part of
// drawing a frame (what Bubble Tea does at most 60 times a second): the
// HUD's view parsed into a cell buffer, diffed against the screen and
// written out, for two frames of a 200x50 HUD over 10,000 extensions that
// differ as they do under load (a badge, a time, the header's counts).
// Update and View are not in it (BenchmarkChangeToView has them).
func BenchmarkTerminalRendererFlush200x50(b *testing.B) {
	c := &clock{t: time.Date(2026, 5, 4, 9, 0, 0, 0, time.UTC)}
	mirror := bigMirror(b, 10000, c.Now)
	h := benchHUD(b, mirror, c.Now)
	var views [2]string
	for i := range views {
		l := h.m.frame.Visible()[3+i]
		st := []string{"Busy", "Available"}[i]
		seq := int64(100 + i)
		mirror.ApplyEvent(&rc.Presence{ExtensionID: rc.ID(l.Entry.ID), Sequence: &seq, UserStatus: &st}, c.Now(), true)
		mirror.Publish()
		h.update(FrameMsg{Frame: h.m.view.(*state.View).Latest()})
		c.Advance(time.Second)
		views[i] = h.m.View().Content
	}
	scr := uv.NewTerminalRenderer(io.Discard, []string{"TERM=xterm-256color"})
	scr.Resize(200, 50)
	buf := uv.NewScreenBuffer(200, 50)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		// As Bubble Tea's renderer does each frame: clear, draw, render.
		buf.Clear()
		uv.NewStyledString(views[i%2]).Draw(buf, buf.Bounds())
		scr.Render(buf.RenderBuffer)
		_ = scr.Flush()
		i++
	}
}

// BenchmarkTerminalRendererLineDiff200x50 is the same two frames drawn the
// way a renderer that knows the lines can: only the lines that differ are
// parsed into the cell buffer, the rest of the screen stays as it is.
func BenchmarkTerminalRendererLineDiff200x50(b *testing.B) {
	c := &clock{t: time.Date(2026, 5, 4, 9, 0, 0, 0, time.UTC)}
	mirror := bigMirror(b, 10000, c.Now)
	h := benchHUD(b, mirror, c.Now)
	var views [2][]string
	for i := range views {
		l := h.m.frame.Visible()[3+i]
		st := []string{"Busy", "Available"}[i]
		seq := int64(100 + i)
		mirror.ApplyEvent(&rc.Presence{ExtensionID: rc.ID(l.Entry.ID), Sequence: &seq, UserStatus: &st}, c.Now(), true)
		mirror.Publish()
		h.update(FrameMsg{Frame: h.m.view.(*state.View).Latest()})
		c.Advance(time.Second)
		views[i] = strings.Split(h.m.View().Content, "\n")
	}
	scr := uv.NewTerminalRenderer(io.Discard, []string{"TERM=xterm-256color"})
	scr.Resize(200, 50)
	buf := uv.NewScreenBuffer(200, 50)
	last := make([]string, 50)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		for y, line := range views[i%2] {
			if line == last[y] {
				continue
			}
			row := uv.Rect(0, y, 200, 1)
			buf.ClearArea(row)
			uv.NewStyledString(line).Draw(buf, row)
			last[y] = line
		}
		scr.Render(buf.RenderBuffer)
		_ = scr.Flush()
		i++
	}
}
