package host

import (
	"time"

	"github.com/switchboard-hq/switchboard/connectors/phone"
	"github.com/switchboard-hq/switchboard/core/config"
	"github.com/switchboard-hq/switchboard/core/ringostat"
	"github.com/switchboard-hq/switchboard/core/routing"
	"github.com/switchboard-hq/switchboard/core/server"
	"github.com/switchboard-hq/switchboard/core/smartivr"
)

// frontEnd is a phone system's front end as the host registers it: its
// decision point for the routing rules and its endpoint. Everything else
// (settings, checks, request parsing, answers) is in its own package.
type frontEnd struct {
	// section is where its settings are in the file ("ringostat").
	section string
	// target is its decision point for the routing rules.
	target func(p *phone.Parser) routing.Target
	// endpoint says whether it is on, where, and within what deadline, for
	// the checks that span sections (checks.go).
	endpoint func(cfg *config.Config) endpoint
	// mount builds its endpoint, when it is on.
	mount func(h *Host) (server.Mount, error)
}

// endpoint is what the checks across sections need to know of an endpoint.
type endpoint struct {
	on       bool
	path     string
	deadline time.Duration // 0: answers at once (the webhook)
}

// frontEnds are the phone systems the host answers. A new phone system is
// its package, its section in config.Config, and one entry here.
var frontEnds = []frontEnd{
	{
		section: "hipcall.smart_ivr",
		target:  func(*phone.Parser) routing.Target { return smartivr.Target() },
		endpoint: func(cfg *config.Config) endpoint {
			s := cfg.Hipcall.SmartIVR
			return endpoint{on: s.Enabled, path: s.Path, deadline: s.Deadline}
		},
		mount: func(h *Host) (server.Mount, error) {
			return smartivr.New(smartivr.Options{Config: h.Config.Hipcall.SmartIVR,
				DefaultExtension: h.Router.Default(smartivr.TargetName), Directory: h.Directory, Router: h.Router})
		},
	},
	{
		section: "ringostat",
		target:  ringostat.Target,
		endpoint: func(cfg *config.Config) endpoint {
			s := cfg.Ringostat
			return endpoint{on: s.Enabled, path: s.Path, deadline: s.Deadline}
		},
		mount: func(h *Host) (server.Mount, error) {
			return ringostat.New(ringostat.Options{Config: h.Config.Ringostat,
				Default: h.Router.Default(ringostat.TargetName), Directory: h.Directory, Router: h.Router})
		},
	},
}

// Targets lists the decision points the routing rules serve: one per front
// end.
func Targets(p *phone.Parser) []routing.Target {
	targets := make([]routing.Target, len(frontEnds))
	for i, fe := range frontEnds {
		targets[i] = fe.target(p)
	}
	return targets
}
