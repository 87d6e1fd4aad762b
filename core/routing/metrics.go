package routing

import (
	"errors"

	"github.com/prometheus/client_golang/prometheus"
)

// defaultLabel is the rule label of decisions that fell to the default.
const defaultLabel = "default"

// metrics are the router's counters, pre-resolved per rule so that Decide
// does no label look-ups.
type metrics struct {
	decisions          *prometheus.CounterVec
	ruleErrors         *prometheus.CounterVec
	ringostatDecisions *prometheus.CounterVec
}

// newMetrics creates the counters and registers them with reg when it is
// not nil. A counter already registered (by an earlier Router, after a
// configuration reload) is reused.
func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		decisions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "switchboard_routing_decisions_total",
			Help: "Routing decisions by the rule that decided (\"default\" when none matched).",
		}, []string{"rule"}),
		ruleErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "switchboard_routing_rule_errors_total",
			Help: "Rule evaluations that failed at run time and were treated as no match.",
		}, []string{"rule"}),
		ringostatDecisions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "switchboard_routing_ringostat_decisions_total",
			Help: "Ringostat routing decisions by the rule that decided (\"default\" when none matched).",
		}, []string{"rule"}),
	}
	if reg == nil {
		return m, nil
	}
	var err error
	if m.decisions, err = register(reg, m.decisions); err != nil {
		return nil, err
	}
	if m.ruleErrors, err = register(reg, m.ruleErrors); err != nil {
		return nil, err
	}
	if m.ringostatDecisions, err = register(reg, m.ringostatDecisions); err != nil {
		return nil, err
	}
	return m, nil
}

// register registers c with reg, returning the collector already there if
// an identical one was registered before.
func register(reg prometheus.Registerer, c *prometheus.CounterVec) (*prometheus.CounterVec, error) {
	err := reg.Register(c)
	if err == nil {
		return c, nil
	}
	var are prometheus.AlreadyRegisteredError
	if errors.As(err, &are) {
		if existing, ok := are.ExistingCollector.(*prometheus.CounterVec); ok {
			return existing, nil
		}
	}
	return nil, err
}
