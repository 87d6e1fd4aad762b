package host

import (
	"github.com/switchboard-hq/switchboard/core/config"
	"github.com/switchboard-hq/switchboard/plugins/manager"
)

// pluginReattach converts a connector's reattach: block (a plugin in
// debug mode to attach to) into the manager's form; nil stays nil, and the
// manager then looks at SWITCHBOARD_REATTACH_<NAME>.
func pluginReattach(r *config.Reattach) *manager.Reattach {
	if r == nil {
		return nil
	}
	return &manager.Reattach{
		Protocol:        r.Protocol,
		ProtocolVersion: r.ProtocolVersion,
		Pid:             r.Pid,
		Test:            r.Test,
		Addr:            manager.ReattachAddr{Network: r.Addr.Network, String: r.Addr.String},
	}
}
