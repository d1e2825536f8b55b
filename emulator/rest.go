package emulator

// registerREST adds the REST API routes (owned by the REST work).
func (e *Emulator) registerREST() {}
