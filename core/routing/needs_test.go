package routing_test

import (
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/switchboard-hq/switchboard/core/directory"
	"github.com/switchboard-hq/switchboard/core/routing"
)

// TestDecideReadsWhatRulesRead: Decide builds only the variables its
// rules read (issue 17), and decides as Explain does with the whole
// environment, whichever way a rule reads them: by name, through $env,
// through a time helper, or $env whole.
func TestDecideReadsWhatRulesRead(t *testing.T) {
	sat := func() time.Time { return time.Date(2026, 3, 28, 10, 15, 0, 0, time.Local) }
	results := map[string]directory.Result{
		"vip":       routing.Contact(map[string]any{"balance": "1500", "tier": "gold"}),
		"poor":      routing.Contact(map[string]any{"balance": 10.0}),
		"not found": routing.NotFound(),
	}
	for name, rules := range map[string][]routing.Rule{
		"names":       {{Name: "vip", When: "found && record.balance > 1000", To: hipcall("200")}},
		"$env.name":   {{Name: "many", When: "$env.matches > 0 && $env.found", To: hipcall("300")}},
		"time helper": {{Name: "open", When: `in_hours("Mon-Fri 09:00-18:00")`, To: hipcall("400")}, {Name: "sat", When: `weekday == "Sat"`, To: hipcall("401")}},
		"$env whole":  {{Name: "keys", When: `"record" in $env && found`, To: hipcall("500")}},
		"to_expr":     {{Name: "owner", When: "true", ToExpr: hipcall(`found ? "2" + string(candidates) : "3" + caller_raw`)}},
	} {
		r := newRouter(t, rules, routing.Options{Registerer: prometheus.NewRegistry(), Now: sat})
		for rname, res := range results {
			call := routing.Call{Caller: "+902125551234", UUID: "u"}
			got, want := r.Decide(res, call, hip), r.Explain(res, call, hip).Decision
			if got != want {
				t.Errorf("%s, %s: Decide = %+v, Explain = %+v", name, rname, got, want)
			}
		}
	}
}
