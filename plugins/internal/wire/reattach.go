package wire

import (
	"encoding/json"
	"fmt"
	"net"
	"strings"

	"github.com/hashicorp/go-plugin"
)

// LogLevelEnv names the environment variable that sets a plugin's log
// level (trace, debug, info, warn, error; default info). The host's
// manager sets it to its own level.
const LogLevelEnv = "SWITCHBOARD_PLUGIN_LOG_LEVEL"

// DebugEnv names the environment variable that runs a plugin in debug
// mode: SWITCHBOARD_PLUGIN_DEBUG=1 makes Serve run the plugin standalone
// (under a debugger, say) and print a Reattach config; a host given that
// config attaches to the running plugin instead of launching one.
const DebugEnv = "SWITCHBOARD_PLUGIN_DEBUG"

// ReattachEnvPrefix starts the environment variable that hands a host the
// Reattach config of connector NAME: SWITCHBOARD_REATTACH_<NAME>, the
// connector's name upper-cased with every other character than A-Z and
// 0-9 turned into "_" (see ReattachEnv).
const ReattachEnvPrefix = "SWITCHBOARD_REATTACH_"

// ReattachEnv returns the environment variable for connector name
// ("my-crm" → SWITCHBOARD_REATTACH_MY_CRM).
func ReattachEnv(name string) string {
	var b strings.Builder
	b.WriteString(ReattachEnvPrefix)
	for _, r := range strings.ToUpper(name) {
		if (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	return b.String()
}

// Reattach is where a plugin running in debug mode listens: what the
// plugin prints, and what a host needs to attach to it. Its JSON form is
// also valid YAML for a connector's `reattach:` key.
type Reattach struct {
	// Protocol is always "grpc".
	Protocol string `json:"protocol" yaml:"protocol"`
	// ProtocolVersion is the connector protocol the plugin serves.
	ProtocolVersion int `json:"protocol_version" yaml:"protocol_version"`
	// Pid is the plugin's process id; the host treats the plugin as gone
	// when the process is.
	Pid int `json:"pid" yaml:"pid"`
	// Test is true for a plugin in debug mode: the host never kills it,
	// the author stops it.
	Test bool `json:"test" yaml:"test"`
	// Addr is the plugin's gRPC listener.
	Addr ReattachAddr `json:"addr" yaml:"addr"`
}

// ReattachAddr is a listener address: network "unix" (a socket path) or
// "tcp" (host:port).
type ReattachAddr struct {
	Network string `json:"network" yaml:"network"`
	String  string `json:"string" yaml:"string"`
}

// ParseReattach reads a Reattach config from its JSON form (what a plugin
// in debug mode prints).
func ParseReattach(s string) (*Reattach, error) {
	var r Reattach
	dec := json.NewDecoder(strings.NewReader(s))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r); err != nil {
		return nil, fmt.Errorf("not a reattach config (the JSON a plugin prints when run with %s=1): %w", DebugEnv, err)
	}
	if err := r.Validate(); err != nil {
		return nil, err
	}
	return &r, nil
}

// Validate says what is wrong with the config, if anything.
func (r *Reattach) Validate() error {
	var problems []string
	if r.Protocol != string(plugin.ProtocolGRPC) {
		problems = append(problems, fmt.Sprintf("protocol is %q, want \"grpc\"", r.Protocol))
	}
	if r.ProtocolVersion <= 0 {
		problems = append(problems, "protocol_version is missing")
	}
	if r.Pid <= 0 {
		problems = append(problems, "pid is missing")
	}
	switch {
	case r.Addr.Network != "unix" && r.Addr.Network != "tcp":
		problems = append(problems, fmt.Sprintf("addr.network is %q, want \"unix\" or \"tcp\"", r.Addr.Network))
	case r.Addr.String == "":
		problems = append(problems, "addr.string is missing")
	}
	if len(problems) > 0 {
		return fmt.Errorf("reattach config: %s; copy the whole line the plugin printed when run with %s=1",
			strings.Join(problems, "; "), DebugEnv)
	}
	return nil
}

// Config converts r into go-plugin's form.
func (r *Reattach) Config() (*plugin.ReattachConfig, error) {
	if err := r.Validate(); err != nil {
		return nil, err
	}
	var addr net.Addr
	var err error
	if r.Addr.Network == "unix" {
		addr, err = net.ResolveUnixAddr("unix", r.Addr.String)
	} else {
		addr, err = net.ResolveTCPAddr("tcp", r.Addr.String)
	}
	if err != nil {
		return nil, fmt.Errorf("reattach config: addr %q: %w", r.Addr.String, err)
	}
	return &plugin.ReattachConfig{
		Protocol:        plugin.Protocol(r.Protocol),
		ProtocolVersion: r.ProtocolVersion,
		Addr:            addr,
		Pid:             r.Pid,
		Test:            r.Test,
	}, nil
}

// ReattachFrom converts go-plugin's form into a Reattach.
func ReattachFrom(rc *plugin.ReattachConfig) Reattach {
	return Reattach{
		Protocol:        string(rc.Protocol),
		ProtocolVersion: rc.ProtocolVersion,
		Pid:             rc.Pid,
		Test:            rc.Test,
		Addr:            ReattachAddr{Network: rc.Addr.Network(), String: rc.Addr.String()},
	}
}
