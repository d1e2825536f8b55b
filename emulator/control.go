package emulator

// registerControl adds the /_emulator/ control API (owned by the REST work).
func (e *Emulator) registerControl() {}
