package host

import (
	"fmt"
	"regexp"
	"time"

	"github.com/switchboard-hq/switchboard/connectors"
	"github.com/switchboard-hq/switchboard/connectors/conf"
	"github.com/switchboard-hq/switchboard/core/config"
	"github.com/switchboard-hq/switchboard/core/server"
)

// crossChecks are the checks that span sections owned by different
// packages, and so belong to the one package that composes them. Each
// section's own checks stay with its owner.
func crossChecks(cfg *config.Config) []config.Problem {
	var ps connectors.Problems
	// A front end answers within its deadline; the server must still be
	// allowed to write that answer, or the phone system gets nothing.
	wt := cfg.Server.WriteTimeout
	deadlines := []struct {
		on   bool
		path string
		d    time.Duration
	}{
		{cfg.Hipcall.SmartIVR.Enabled, "hipcall.smart_ivr.deadline", cfg.Hipcall.SmartIVR.Deadline},
		{cfg.Ringostat.Enabled, "ringostat.deadline", cfg.Ringostat.Deadline},
	}
	ps = append(ps, endpointPaths(cfg)...)
	for _, fe := range deadlines {
		if fe.on && wt > 0 && fe.d >= wt {
			ps.Addf(fe.path, "(%s) must be shorter than server.write_timeout (%s), or the answer could not be written in time: raise server.write_timeout or lower the deadline",
				conf.FormatDuration(fe.d), conf.FormatDuration(wt))
		}
	}
	ps = append(ps, connectorList(cfg)...)
	ps = append(ps, eventChecks(cfg)...) // checks_events.go
	return cfg.Locate("", ps)
}

// connectorNameRE is the shape of a connector's name.
var connectorNameRE = regexp.MustCompile(`^[a-z0-9_-]+$`)

// connectorList checks the connectors: list as a whole: there is one, each
// has a unique name, and no live call may outlast the whole lookup. Each
// entry's parts are checked by their owners (plugins/manager,
// core/directory) when the file loads.
func connectorList(cfg *config.Config) connectors.Problems {
	var ps connectors.Problems
	if len(cfg.Connectors) == 0 {
		ps.Addf("connectors", "at least one connector is required: add an entry under connectors: with a name and a plugin")
		return ps
	}
	first := map[string]int{}
	for i, c := range cfg.Connectors {
		at := fmt.Sprintf("connectors.%d", i)
		switch prev, dup := first[c.Name]; {
		case c.Name == "":
			ps.Addf(at+".name", "is required: give the connector a unique name such as \"customers\"")
		case !connectorNameRE.MatchString(c.Name):
			ps.Addf(at+".name", "%q may only contain a-z, 0-9, _ and -", c.Name)
		case dup:
			ps.Addf(at+".name", "%q is already the name of connectors[%d] (at %s); connector names must be unique",
				c.Name, prev, cfg.PosOf(fmt.Sprintf("connectors.%d.name", prev)))
		default:
			first[c.Name] = i
		}
		if d := cfg.Directory.Deadline; c.Timeout >= d && d > 0 {
			ps.Addf(at+".timeout", "(%s) must be shorter than directory.deadline (%s), or lookups give up before the connector can answer",
				conf.FormatDuration(c.Timeout), conf.FormatDuration(d))
		}
	}
	return ps
}

// endpointPaths checks the paths of the enabled endpoints against the
// server's own and against each other: each must be its own.
func endpointPaths(cfg *config.Config) connectors.Problems {
	var ps connectors.Problems
	endpoints := []struct {
		on         bool
		path, what string
	}{
		{cfg.Hipcall.SmartIVR.Enabled, cfg.Hipcall.SmartIVR.Path, "hipcall.smart_ivr.path"},
		{cfg.Hipcall.Webhook.Enabled, cfg.Hipcall.Webhook.Path, "hipcall.webhook.path"},
		{cfg.Ringostat.Enabled, cfg.Ringostat.Path, "ringostat.path"},
	}
	for i, e := range endpoints {
		if !e.on {
			continue
		}
		if server.IsBuiltinPath(e.path) {
			ps.Addf(e.what, "%q is a built-in endpoint: choose another path", e.path)
			continue
		}
		for _, before := range endpoints[:i] {
			if before.on && before.path == e.path {
				ps.Addf(e.what, "%q is also %s: give each endpoint its own path", e.path, before.what)
			}
		}
	}
	return ps
}
