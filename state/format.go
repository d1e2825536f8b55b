package state

import (
	"fmt"
	"time"
)

// FormatDuration renders a time in state or a call duration compactly,
// as the HUD and the snapshot show it:
// 0:42, 12:05, 1h02m, 2d03h.
func FormatDuration(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	s := int64(d / time.Second)
	switch {
	case s < 3600:
		return fmt.Sprintf("%d:%02d", s/60, s%60)
	case s < 86400:
		return fmt.Sprintf("%dh%02dm", s/3600, s%3600/60)
	}
	return fmt.Sprintf("%dd%02dh", s/86400, s%86400/3600)
}
