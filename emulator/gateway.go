package emulator

import "net/http"

// gateway is the WebSocket gateway (owned by the WebSocket work).
type gateway struct{ e *Emulator }

func newGateway(e *Emulator) *gateway { return &gateway{e: e} }

func (g *gateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	http.Error(w, "not implemented", http.StatusNotImplemented)
}

// sessionEnded is called under Platform.mu when an OAuth session is revoked.
func (g *gateway) sessionEnded(sessionID string) {}

// faultsChanged is called after Emulator.SetFaults.
func (g *gateway) faultsChanged() {}

// dropAll closes every connection abruptly.
func (g *gateway) dropAll() {}

// close shuts every connection down.
func (g *gateway) close() {}
