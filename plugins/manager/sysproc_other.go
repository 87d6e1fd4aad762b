//go:build !linux

package manager

import "os/exec"

// setSysProcAttr does nothing outside Linux: the plugin's own parent
// watcher (plugins.Serve) ends it when the host dies.
func setSysProcAttr(*exec.Cmd) {}
