package config

import "strconv"

// Reattach is a connector's `reattach:` key: the address of a plugin an
// author runs in debug mode (SWITCHBOARD_PLUGIN_DEBUG=1), which prints
// this block as one line of JSON (valid YAML). With it the host attaches to
// that process instead of launching the plugin binary, and never kills it.
// For development only.
type Reattach struct {
	// Protocol is "grpc".
	Protocol string `yaml:"protocol"`
	// ProtocolVersion is the connector protocol the plugin serves.
	ProtocolVersion int `yaml:"protocol_version"`
	// Pid is the plugin's process id.
	Pid int `yaml:"pid"`
	// Test is true for a plugin in debug mode.
	Test bool `yaml:"test"`
	// Addr is the plugin's listener.
	Addr ReattachAddr `yaml:"addr"`
}

// ReattachAddr is a listener: network "unix" (String is a socket path) or
// "tcp" (String is host:port).
type ReattachAddr struct {
	Network string `yaml:"network"`
	String  string `yaml:"string"`
}

// reattach checks every connector's reattach block.
func (c *checker) reattach() {
	for i := range c.cfg.Connectors {
		r := c.cfg.Connectors[i].Reattach
		if r == nil {
			continue
		}
		path := "connectors." + strconv.Itoa(i) + ".reattach"
		const hint = "; paste the line the plugin printed when run with SWITCHBOARD_PLUGIN_DEBUG=1"
		if r.Protocol != "grpc" {
			c.addf(path+".protocol", "%s.protocol must be \"grpc\", got %q"+hint, display(path), r.Protocol)
		}
		if r.ProtocolVersion <= 0 {
			c.addf(path+".protocol_version", "%s.protocol_version is required"+hint, display(path))
		}
		if r.Pid <= 0 {
			c.addf(path+".pid", "%s.pid is required"+hint, display(path))
		}
		switch {
		case r.Addr.Network != "unix" && r.Addr.Network != "tcp":
			c.addf(path+".addr.network", "%s.addr.network must be \"unix\" or \"tcp\", got %q"+hint,
				display(path), r.Addr.Network)
		case r.Addr.String == "":
			c.addf(path+".addr.string", "%s.addr.string is required"+hint, display(path))
		}
	}
}
