package calljobs

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"

	promreg "github.com/switchboard-hq/switchboard/core/metrics"
)

// Metrics are the after-call flow's Prometheus collectors.
type Metrics struct {
	steps     *prometheus.CounterVec
	backfills prometheus.Counter
	exposure  *prometheus.HistogramVec
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
		}),
		exposure: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "switchboard_aftercall_exposure_seconds",
			Help:    "Time a comment or task spent marked sent but not yet recorded done: a host killed inside it leaves the step held for a person (the residual window of exactly-once).",
			Buckets: []float64{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30},
		}, []string{"kind"})}
	if err := promreg.RegisterOwn(reg, "aftercall", "after-call flow", m.steps, m.backfills, m.exposure); err != nil {
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

func (m *Metrics) exposed(kind string, d time.Duration) {
	if m != nil {
		m.exposure.WithLabelValues(kind).Observe(d.Seconds())
	}
}
