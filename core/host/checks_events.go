package host

import (
	"slices"
	"strconv"
	"strings"

	"github.com/switchboard-hq/switchboard/connectors"
	"github.com/switchboard-hq/switchboard/connectors/conf"
	"github.com/switchboard-hq/switchboard/core/config"
)

// builtinPaths are the endpoints the server serves itself.
//
// NOTE: core/server owns this list (routes.go: /healthz, /readyz, /metrics)
// but does not export it; server.New refuses a mount on one of them too,
// without a position. Use the exported list here once there is one.
var builtinPaths = []string{"/healthz", "/readyz", "/metrics"}

// eventChecks are the checks of hipcall.webhook and sync that need other
// sections: the webhook's path against the other endpoints, its
// authentication, and the connector sync.source names. Each section's own
// checks are its owner's (core/hipcall, core/webhook, core/cards,
// core/crmsync). Paths are full ("hipcall.webhook.path").
//
// What needs hipcall.api.token (cards, the sync) is not refused here: an
// empty token turns those features off with a warning when the host is
// built (buildEvents, NewSync).
func eventChecks(cfg *config.Config) connectors.Problems {
	var ps connectors.Problems
	wh, ivr := cfg.Hipcall.Webhook, cfg.Hipcall.SmartIVR
	switch {
	case slices.Contains(builtinPaths, wh.Path):
		ps.Addf("hipcall.webhook.path", "%q is a built-in endpoint: choose another path", wh.Path)
	case wh.Enabled && ivr.Enabled && wh.Path == ivr.Path:
		ps.Addf("hipcall.webhook.path", "%q is also hipcall.smart_ivr.path: give each endpoint its own path", wh.Path)
	}
	if wh.Enabled && !wh.InsecureNoAuth && !wh.HasAuth() {
		ps.Addf("hipcall.webhook", "is enabled without authentication: Hipcall signs nothing, so set token (a secret in the URL), "+
			"basic_auth or allow_from, or set insecure_no_auth: true for a local trial")
	}
	if s := cfg.Sync.Source; s != "" {
		known := make([]string, 0, len(cfg.Connectors))
		for _, c := range cfg.Connectors {
			known = append(known, c.Name)
		}
		if !slices.Contains(known, s) {
			msg := strconv.Quote(s) + " is not a connector name"
			if sg := conf.Closest(s, known); sg != "" {
				msg += " (did you mean " + strconv.Quote(sg) + "?)"
			} else if len(known) > 0 {
				msg += "; use one of " + strings.Join(known, ", ")
			}
			ps.Addf("sync.source", "%s", msg)
		}
	}
	return ps
}
