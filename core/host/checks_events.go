package host

import (
	"slices"
	"strconv"
	"strings"

	"github.com/switchboard-hq/switchboard/connectors"
	"github.com/switchboard-hq/switchboard/connectors/conf"
	"github.com/switchboard-hq/switchboard/core/config"
)

// eventChecks are the checks of hipcall.webhook and sync that need other
// sections: the webhook's authentication, and the connector sync.source
// names (the webhook's path is checked with the other endpoints', in
// checks.go). Each section's own
// checks are its owner's (core/hipcall, core/webhook, core/cards,
// core/crmsync). Paths are full ("hipcall.webhook.path").
//
// What needs hipcall.api.token (cards, the sync) is not refused here: an
// empty token turns those features off with a warning when the host is
// built (buildEvents, NewSync).
func eventChecks(cfg *config.Config) connectors.Problems {
	var ps connectors.Problems
	wh := cfg.Hipcall.Webhook
	if wh.Enabled && !wh.InsecureNoAuth && !wh.HasAuth() {
		ps.Addf("hipcall.webhook", "is enabled without authentication: Hipcall signs nothing, so set token (a secret in the URL), "+
			"basic_auth or allow_from, or set insecure_no_auth: true for a local trial")
	}
	if rc := cfg.Hipcall.AfterCall.Reconcile; rc.Interval > 0 && rc.Lookback > cfg.Journal.Keep {
		// The journal recognises a call already handled only while it
		// keeps its job: past keep, a backfill would run it again.
		ps.Addf("hipcall.after_call.reconcile.lookback", "must not exceed journal.keep (%s), got %s: "+
			"a call older than the journal's memory would have its actions run twice; raise journal.keep or lower the lookback",
			cfg.Journal.Keep, rc.Lookback)
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
