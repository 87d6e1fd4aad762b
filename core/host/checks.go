package host

import (
	"time"

	"github.com/switchboard-hq/switchboard/connectors"
	"github.com/switchboard-hq/switchboard/core/config"
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
	for _, fe := range deadlines {
		if fe.on && wt > 0 && fe.d >= wt {
			ps.Addf(fe.path, "%s must be shorter than server.write_timeout (%s), or the answer could not be written in time: raise server.write_timeout or lower the deadline",
				fe.d, wt)
		}
	}
	return cfg.Locate("", ps)
}
