package ui

import "flag"

// soakFor is -soak: how long the HUD's soak scenarios run (0: their
// short CI versions). Every package accepts it so that
// "go test ./... -run Soak -soak 10m" works.
var soakFor = flag.Duration("soak", 0, "run the soak scenarios this long (0: their short CI versions)")
