package ui

import "time"

// Common is what every part of the HUD shares, owned by the root model and
// handed to each component: the terminal size, the styles, the key map,
// the read-only flag and the clock.
type Common struct {
	Width, Height int
	Styles        *Styles
	Keys          *KeyMap
	ReadOnly      bool
	Now           func() time.Time
}

// Minimum terminal size: below it the HUD shows only a clear message.
const (
	MinWidth  = 50
	MinHeight = 12
)
