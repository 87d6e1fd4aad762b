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
	// target is its decision point for the routing rules; nil for a front
	// end that uses another's (External Management connects where the
	// Smart IVR's rules send a record) or none (Speed Dial).
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
	// auth says credentials are configured; insecure that the operator
	// turned them off on purpose (insecure_no_auth).
	auth, insecure bool
	// authHint says which keys give it credentials ("basic_auth").
	authHint string
}

// frontEnds are the phone systems the host answers. A new phone system is
// its package, its section in config.Config, and one entry here.
var frontEnds = []frontEnd{
	{
		section: "hipcall.smart_ivr",
		target:  func(*phone.Parser) routing.Target { return smartivr.Target() },
		endpoint: func(cfg *config.Config) endpoint {
			s := cfg.Hipcall.SmartIVR
			return endpoint{on: s.Enabled, path: s.Path, deadline: s.Deadline, auth: s.HasAuth(), insecure: s.InsecureNoAuth,
				authHint: "set basic_auth (Hipcall's Smart IVR sends Basic Auth)"}
		},
		mount: func(h *Host) (server.Mount, error) {
			c := h.Config.Hipcall.SmartIVR
			m, err := smartivr.New(smartivr.Options{Config: c,
				DefaultExtension: h.Router.Default(smartivr.TargetName), Directory: h.Directory, Router: h.Router})
			m.InsecureNoAuth = c.InsecureNoAuth && !c.HasAuth()
			return m, err
		},
	},
	{
		section: "ringostat",
		target:  ringostat.Target,
		endpoint: func(cfg *config.Config) endpoint {
			s := cfg.Ringostat
			return endpoint{on: s.Enabled, path: s.Path, deadline: s.Deadline, auth: s.HasAuth(), insecure: s.InsecureNoAuth,
				authHint: "set token (or basic_auth)"}
		},
		mount: func(h *Host) (server.Mount, error) {
			c := h.Config.Ringostat
			m, err := ringostat.New(ringostat.Options{Config: c,
				Default: h.Router.Default(ringostat.TargetName), Directory: h.Directory, Router: h.Router})
			m.InsecureNoAuth = c.InsecureNoAuth && !c.HasAuth()
			return m, err
		},
	},
	{
		section: "hipcall.external_management",
		endpoint: func(cfg *config.Config) endpoint {
			s := cfg.Hipcall.ExternalManagement
			return endpoint{on: s.Enabled, path: s.Path, deadline: s.Deadline, auth: s.HasAuth(), insecure: s.InsecureNoAuth,
				authHint: "set basic_auth (Hipcall's external managers send Basic Auth)"}
		},
		mount: (*Host).externalManagementMount,
	},
	{
		section: "hipcall.speed_dial",
		endpoint: func(cfg *config.Config) endpoint {
			s := cfg.Hipcall.SpeedDial
			return endpoint{on: s.Enabled, path: s.Path, deadline: s.Deadline, auth: s.HasAuth(), insecure: s.InsecureNoAuth,
				authHint: "set basic_auth (its answers are customers' numbers)"}
		},
		mount: (*Host).speedDialMount,
	},
}

// Targets lists the decision points the routing rules serve: one per front
// end that has its own.
func Targets(p *phone.Parser) []routing.Target {
	var targets []routing.Target
	for _, fe := range frontEnds {
		if fe.target != nil {
			targets = append(targets, fe.target(p))
		}
	}
	return targets
}
