// Package version holds the build's version, set by the Makefile through
// -ldflags "-X github.com/switchboard-hq/switchboard/core/version.Version=...".
package version

import (
	"runtime"
	"runtime/debug"
)

// Version is the release version; "dev" for an unstamped build.
var Version = "dev"

// String is a one-line description of the build.
func String() string {
	v := Version
	if v == "dev" {
		if info, ok := debug.ReadBuildInfo(); ok {
			for _, s := range info.Settings {
				if s.Key == "vcs.revision" && len(s.Value) >= 12 {
					v = "dev-" + s.Value[:12]
				}
			}
		}
	}
	return v + " (" + runtime.Version() + " " + runtime.GOOS + "/" + runtime.GOARCH + ")"
}
