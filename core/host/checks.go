package host

import (
	"fmt"
	"regexp"

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
	ps = append(ps, endpointChecks(cfg)...)
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

// endpointChecks checks the enabled endpoints (every front end and the
// webhook receiver) against the server's section and each other: each has
// a path of its own that is not one of the server's, and a front end answers
// within its deadline, which must leave the server time to write the
// answer, or the phone system gets nothing.
func endpointChecks(cfg *config.Config) connectors.Problems {
	var ps connectors.Problems
	type named struct {
		endpoint
		section string
	}
	var all []named
	for _, fe := range frontEnds {
		all = append(all, named{fe.endpoint(cfg), fe.section})
	}
	all = append(all, named{endpoint{on: cfg.Hipcall.Webhook.Enabled, path: cfg.Hipcall.Webhook.Path}, "hipcall.webhook"})
	wt := cfg.Server.WriteTimeout
	open := !server.LoopbackOnly(cfg.Server.Listen)
	for i, e := range all {
		if !e.on {
			continue
		}
		// A front end's answers come from the CRM (who is a customer, a
		// VIP, their manager's number): never to anyone who reaches the
		// port. (The webhook receiver checks its own, stricter, rule.)
		if open && e.authHint != "" && !e.auth && !e.insecure {
			ps.Addf(e.section, "is served without credentials on server.listen %q, which other machines reach, and its answers come from CRM data: "+
				"%s, listen on 127.0.0.1, or set insecure_no_auth: true if something in front of Switchboard authenticates",
				cfg.Server.Listen, e.authHint)
		}
		if e.deadline > 0 && wt > 0 && e.deadline >= wt {
			ps.Addf(e.section+".deadline", "(%s) must be shorter than server.write_timeout (%s), or the answer could not be written in time: raise server.write_timeout or lower the deadline",
				conf.FormatDuration(e.deadline), conf.FormatDuration(wt))
		}
		if server.IsBuiltinPath(e.path) {
			ps.Addf(e.section+".path", "%q is a built-in endpoint: choose another path", e.path)
			continue
		}
		for _, before := range all[:i] {
			if before.on && before.path == e.path {
				ps.Addf(e.section+".path", "%q is also %s.path: give each endpoint its own path", e.path, before.section)
			}
		}
	}
	return ps
}
