package ui

import (
	"context"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/rchud/rchud/state"
)

// Frame is the pump's pace: at most one message to the program a frame.
const Frame = time.Second / 60

// Pump is the one goroutine that tells the program about the mirror's
// changes. It sends at most one ChangesMsg a frame, never one per
// notification; while the program is busy (send blocks) changes pile up
// in the mirror, and the next drain carries them all, latest state won.
// It returns when ctx ends.
func Pump(ctx context.Context, m *state.Mirror, send func(tea.Msg), frame time.Duration) {
	t := time.NewTimer(frame)
	t.Stop()
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-m.Changed():
		}
		send(ChangesMsg(m.Drain()))
		t.Reset(frame)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
