package manager

import (
	"fmt"
	"strings"

	"github.com/switchboard-hq/switchboard/connectors"
)

// ConfigError is returned when a connector rejects its config block. The
// host maps each problem's Path (dotted keys inside the block) to a
// file:line:col in its config file.
type ConfigError struct {
	// Name is the connector instance ("customers").
	Name string
	// Plugin is the plugin name ("csv").
	Plugin string
	// Problems lists everything the connector found wrong.
	Problems connectors.Problems
}

func (e *ConfigError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "connector %q (plugin %s) rejected its config", e.Name, e.Plugin)
	for i, p := range e.Problems {
		sep := "; "
		if i == 0 {
			sep = ": "
		}
		path := p.Path
		if path == "" {
			path = "(config)"
		}
		fmt.Fprintf(&b, "%s%s: %s", sep, path, p.Message)
	}
	return b.String()
}
