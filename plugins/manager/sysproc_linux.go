//go:build linux

package manager

import (
	"os/exec"
	"syscall"
)

// setSysProcAttr makes the kernel SIGKILL the plugin when the host dies.
// (Strictly, when the OS thread that started it exits; the Go runtime
// only ends threads of goroutines that exit while locked to their thread,
// which the host never does.)
func setSysProcAttr(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
