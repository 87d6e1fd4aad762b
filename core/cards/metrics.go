package cards

import (
	"github.com/prometheus/client_golang/prometheus"

	promreg "github.com/switchboard-hq/switchboard/core/metrics"
)

// latencyBuckets span 5 ms to the push deadline's order, in seconds.
var latencyBuckets = []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 20}

// metrics are the card service's Prometheus collectors.
type metrics struct {
	pushed  prometheus.Counter
	failed  *prometheus.CounterVec
	skipped *prometheus.CounterVec
	latency prometheus.Histogram
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		pushed: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "switchboard_cards_pushed_total",
			Help: "Insight Cards Hipcall accepted.",
		}),
		failed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "switchboard_cards_failed_total",
			Help: "Insight Cards that could not be pushed, by reason.",
		}, []string{"reason"}),
		skipped: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "switchboard_cards_skipped_total",
			Help: "Card-triggering events that called for no card, by reason.",
		}, []string{"reason"}),
		latency: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "switchboard_cards_latency_seconds",
			Help:    "Time from a webhook's arrival to Hipcall accepting its Insight Card.",
			Buckets: latencyBuckets,
		}),
	}
	if reg == nil {
		return m, nil
	}
	if err := promreg.RegisterOwn(reg, "card", "card service", m.pushed, m.failed, m.skipped, m.latency); err != nil {
		return nil, err
	}
	for _, r := range []string{FailLookup, FailAbandoned, FailDeadline, FailRejected, FailUnauthorized, FailRateLimited, FailHipcall, FailNetwork, FailShutdown} {
		m.failed.WithLabelValues(r)
	}
	return m, nil
}
