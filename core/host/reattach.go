package host

import (
	"github.com/switchboard-hq/switchboard/core/config"
	"github.com/switchboard-hq/switchboard/plugins"
)

// pluginReattach converts a connector's reattach: block (a plugin in
// debug mode to attach to) into the manager's form; nil stays nil, and the
// manager then looks at SWITCHBOARD_REATTACH_<NAME>.
func pluginReattach(r *config.Reattach) *plugins.Reattach {
	if r == nil {
		return nil
	}
	return &plugins.Reattach{
		Protocol:        r.Protocol,
		ProtocolVersion: r.ProtocolVersion,
		Pid:             r.Pid,
		Test:            r.Test,
		Addr:            plugins.ReattachAddr{Network: r.Addr.Network, String: r.Addr.String},
	}
}
