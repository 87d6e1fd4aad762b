package routing

import (
	"github.com/prometheus/client_golang/prometheus"

	promreg "github.com/switchboard-hq/switchboard/core/metrics"
)

// metrics are the router's counters; New resolves them per target and
// rule, so that Decide does no label look-ups.
type metrics struct {
	decisions  *prometheus.CounterVec
	ruleErrors *prometheus.CounterVec
}

// newMetrics creates the counters and registers them with reg when it is
// not nil. A counter already registered (by an earlier Router, after a
// configuration reload) is reused.
func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		decisions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "switchboard_routing_decisions_total",
			Help: "Routing decisions by target (phone system) and the rule that decided (\"default\" when none matched).",
		}, []string{"target", "rule"}),
		ruleErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "switchboard_routing_rule_errors_total",
			Help: "Rule evaluations that failed at run time and were treated as no match, by target and rule.",
		}, []string{"target", "rule"}),
	}
	var err error
	if m.decisions, err = promreg.Register(reg, m.decisions); err != nil {
		return nil, err
	}
	if m.ruleErrors, err = promreg.Register(reg, m.ruleErrors); err != nil {
		return nil, err
	}
	return m, nil
}
