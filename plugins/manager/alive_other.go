//go:build !unix

package manager

// processAlive cannot tell here, so every process counts as alive and no
// socket directory is swept.
func processAlive(int) bool { return true }
