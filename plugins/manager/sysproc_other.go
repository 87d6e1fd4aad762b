//go:build !linux

package manager

import "os/exec"

// ownGroups: plugins run in the host's process group.
const ownGroups = false

// setSysProcAttr does nothing outside Linux: the plugin's own parent
// watcher (plugins.Serve) ends it when the host dies.
func setSysProcAttr(*exec.Cmd) {}

// killGroup does nothing: plugins have no group of their own.
func killGroup(int) {}

// processExited cannot tell here; the plugin's exit is seen when
// go-plugin reaps it.
func processExited(int) bool { return false }

// processStart cannot tell here.
func processStart(int) uint64 { return 0 }

// bootID cannot tell here.
func bootID() string { return "" }
