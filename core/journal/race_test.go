//go:build race

package journal

// raceEnabled: the race detector slows SQLite (pure Go) by an order of
// magnitude; load tests shrink under it.
const raceEnabled = true
