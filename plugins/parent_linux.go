//go:build linux

package plugins

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// setParentDeathSignal asks the kernel to SIGKILL this process when its
// parent (the host) dies.
func setParentDeathSignal() error {
	if err := unix.Prctl(unix.PR_SET_PDEATHSIG, uintptr(unix.SIGKILL), 0, 0, 0); err != nil {
		return fmt.Errorf("prctl(PR_SET_PDEATHSIG): %w", err)
	}
	return nil
}
