package host

import (
	"context"
	"slices"

	"github.com/switchboard-hq/switchboard/connectors"
	"github.com/switchboard-hq/switchboard/core/config"
	"github.com/switchboard-hq/switchboard/core/directory"
	"github.com/switchboard-hq/switchboard/core/extmgmt"
	"github.com/switchboard-hq/switchboard/core/routing"
	"github.com/switchboard-hq/switchboard/core/server"
	"github.com/switchboard-hq/switchboard/core/speeddial"
)

// The front ends that look records up by key (issue 16): External
// Management's flow and Speed Dial. Their conditions compile against the
// routing rules and the keys the connectors configure, when the host is
// built, so that `validate` places every problem at file:line:col.

// configuredKeys are the lookup key names the connectors configure.
func configuredKeys(cfg *config.Config) []string {
	var out []string
	for _, c := range cfg.Connectors {
		keys, _ := directory.ParseKeys(c.Keys) // its problems are the directory's to report
		for _, k := range keys {
			if !slices.Contains(out, k.Name) {
				out = append(out, k.Name)
			}
		}
	}
	slices.Sort(out)
	return out
}

// liveDirectory forwards to the host's directory, built after the flows
// are compiled.
type liveDirectory struct{ h *Host }

func (d liveDirectory) Lookup(ctx context.Context, raw string) directory.Result {
	return d.h.Directory.Lookup(ctx, raw)
}

func (d liveDirectory) LookupKey(ctx context.Context, key, value string) directory.Result {
	return d.h.Directory.LookupKey(ctx, key, value)
}

func (d liveDirectory) VerifyKey(ctx context.Context, rec *connectors.Match, key, value string) (bool, error) {
	return d.h.Directory.VerifyKey(ctx, rec, key, value)
}

// compileKeyFronts compiles the External Management flow and Speed Dial's
// allow condition, when they are on.
func (h *Host) compileKeyFronts(cfg *config.Config) []config.Problem {
	var problems []config.Problem
	keys := configuredKeys(cfg)
	if em := cfg.Hipcall.ExternalManagement; em.Enabled {
		flow, ps := extmgmt.Compile(em, liveDirectory{h}, h.Router, keys)
		if len(ps) > 0 {
			problems = append(problems, cfg.Locate("hipcall.external_management", ps)...)
		}
		h.flow = flow
	}
	if sd := cfg.Hipcall.SpeedDial; sd.Enabled {
		var ps connectors.Problems
		if !slices.Contains(keys, sd.Key) {
			ps.Addf("key", "names no lookup key: %q is not configured under any connector's keys:", sd.Key)
		}
		if sd.Allow != "" {
			allow, err := h.Router.Condition(sd.Allow, speeddial.Vars)
			if err != nil {
				ps.Addf("allow", "%v", err)
			}
			h.speedDialAllow = allow
		}
		problems = append(problems, cfg.Locate("hipcall.speed_dial", ps)...)
	}
	return problems
}

func (h *Host) externalManagementMount() (server.Mount, error) {
	c := h.Config.Hipcall.ExternalManagement
	m, err := extmgmt.New(extmgmt.Options{Config: c, Flow: h.flow})
	m.InsecureNoAuth = c.InsecureNoAuth && !c.HasAuth()
	return m, err
}

func (h *Host) speedDialMount() (server.Mount, error) {
	c := h.Config.Hipcall.SpeedDial
	o := speeddial.Options{Config: c, Directory: liveDirectory{h}, Parser: h.Parser}
	if h.speedDialAllow != nil {
		o.Allow = h.speedDialAllow
		o.Env = func(res directory.Result) map[string]any { return h.Router.Env(res, routing.Call{}) }
	}
	m, err := speeddial.New(o)
	m.InsecureNoAuth = c.InsecureNoAuth && !c.HasAuth()
	return m, err
}

// Flow is External Management's compiled flow; nil when it is off.
func (h *Host) Flow() *extmgmt.Flow { return h.flow }
