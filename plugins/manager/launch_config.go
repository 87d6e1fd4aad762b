package manager

import (
	"regexp"
	"strings"

	"github.com/switchboard-hq/switchboard/connectors"
)

var (
	// pluginNameRE is the shape of a plugin's name.
	pluginNameRE = regexp.MustCompile(`^[a-z0-9_-]+$`)
	// sha256RE is a hex SHA-256 digest.
	sha256RE = regexp.MustCompile(`^[0-9a-fA-F]{64}$`)
)

// LaunchConfig is the manager's part of a connectors: entry: which plugin
// binary serves the connector, or which debug-mode process to attach to.
type LaunchConfig struct {
	// Plugin is the plugin's name ("csv"): <plugins.dir>/switchboard-connector-csv.
	Plugin string `yaml:"plugin"`
	// Path is an explicit plugin binary; empty means the plugin is found in
	// the plugin directory.
	Path string `yaml:"path" resolve:"path"`
	// AllowOutsideDir lets Path name a binary outside the plugin directory
	// (symbolic links resolved); without it such a launch is refused.
	AllowOutsideDir bool `yaml:"allow_outside_dir"`
	// SHA256 pins the binary's checksum (64 hex digits), or is empty.
	SHA256 string `yaml:"sha256"`
	// Reattach attaches to a plugin running in debug mode instead of
	// launching it: the line the plugin printed. For development only.
	Reattach *Reattach `yaml:"reattach"`
}

// Check lower-cases the checksum and reports what is wrong.
func (c *LaunchConfig) Check() connectors.Problems {
	var ps connectors.Problems
	switch {
	case c.Plugin == "":
		ps.Addf("plugin", "is required: name the plugin that serves it, such as \"csv\"")
	case !pluginNameRE.MatchString(c.Plugin):
		ps.Addf("plugin", "%q may only contain a-z, 0-9, _ and -", c.Plugin)
	}
	if c.SHA256 != "" {
		if sha256RE.MatchString(c.SHA256) {
			c.SHA256 = strings.ToLower(c.SHA256)
		} else {
			ps.Addf("sha256", "must be 64 hex digits (the output of sha256sum), got %d characters", len(c.SHA256))
		}
	}
	if r := c.Reattach; r != nil {
		const hint = "; paste the line the plugin printed when run with SWITCHBOARD_PLUGIN_DEBUG=1"
		if r.Protocol != "grpc" {
			ps.Addf("reattach.protocol", "must be \"grpc\", got %q"+hint, r.Protocol)
		}
		if r.ProtocolVersion <= 0 {
			ps.Addf("reattach.protocol_version", "is required"+hint)
		}
		if r.Pid <= 0 {
			ps.Addf("reattach.pid", "is required"+hint)
		}
		switch {
		case r.Addr.Network != "unix" && r.Addr.Network != "tcp":
			ps.Addf("reattach.addr.network", "must be \"unix\" or \"tcp\", got %q"+hint, r.Addr.Network)
		case r.Addr.String == "":
			ps.Addf("reattach.addr.string", "is required"+hint)
		}
	}
	return ps
}

// Spec is the launch specification for the connector named name.
func (c LaunchConfig) Spec(name string) Spec {
	return Spec{Name: name, Plugin: c.Plugin, Path: c.Path, AllowOutsideDir: c.AllowOutsideDir, SHA256: c.SHA256, Reattach: c.Reattach}
}
