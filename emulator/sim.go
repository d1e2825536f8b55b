package emulator

// simulation is the call centre (owned by the simulation work).
type simulation struct{ e *Emulator }

func newSimulation(e *Emulator) *simulation { return &simulation{e: e} }

func (s *simulation) start()  {}
func (s *simulation) stop()   {}
func (s *simulation) pause()  {}
func (s *simulation) resume() {}
