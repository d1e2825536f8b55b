package ui

import (
	"context"

	tea "charm.land/bubbletea/v2"
)

// Pump is the one goroutine that hands the program its view's frames: the
// newest one each time, never a queue of old ones (the view replaces a
// frame not yet taken). The mirror publishes at most one frame per
// state.MinFrameInterval, and only when what the view shows changed. It
// returns when ctx ends.
func Pump(ctx context.Context, v Viewer, send func(tea.Msg)) {
	for {
		select {
		case <-ctx.Done():
			return
		case f := <-v.Frames():
			send(FrameMsg{Frame: f})
		}
	}
}
