package calljobs

import (
	"github.com/prometheus/client_golang/prometheus"

	promreg "github.com/switchboard-hq/switchboard/core/metrics"
)

// Metrics are the after-call flow's Prometheus collectors.
type Metrics struct {
	steps     *prometheus.CounterVec
	backfills prometheus.Counter
}

// NewMetrics registers the collectors with reg (nil: none).
func NewMetrics(reg prometheus.Registerer) (*Metrics, error) {
	m := &Metrics{steps: prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "switchboard_aftercall_steps_total",
		Help: "Post-call step attempts, by action name and outcome (done, already_done, retry, failed, held).",
	}, []string{"action", "outcome"}),
		backfills: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "switchboard_aftercall_backfilled_total",
			Help: "Calls the reconciler found in Hipcall's calls list whose call_hangup webhook never reached the host.",
		})}
	if err := promreg.RegisterOwn(reg, "aftercall", "after-call flow", m.steps, m.backfills); err != nil {
		return nil, err
	}
	return m, nil
}

func (m *Metrics) step(action, outcome string) {
	if m != nil {
		m.steps.WithLabelValues(action, outcome).Inc()
	}
}

func (m *Metrics) backfilled(n int) {
	if m != nil {
		m.backfills.Add(float64(n))
	}
}
