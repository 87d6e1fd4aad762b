//go:build !linux

package plugins

import "errors"

// setParentDeathSignal is Linux only; elsewhere the parent pid poll alone
// ends a plugin whose host died.
func setParentDeathSignal() error {
	return errors.New("parent death signal is only available on Linux")
}
