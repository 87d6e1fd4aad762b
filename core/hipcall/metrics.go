package hipcall

import (
	"errors"
	"fmt"

	"github.com/prometheus/client_golang/prometheus"

	promreg "github.com/switchboard-hq/switchboard/core/metrics"
)

// metrics are the client's Prometheus collectors.
type metrics struct {
	requests *prometheus.CounterVec
	retries  *prometheus.CounterVec
	seconds  *prometheus.HistogramVec
	// waiting and waitSeconds are the request budget's, by priority.
	waiting     *prometheus.GaugeVec
	waitSeconds *prometheus.HistogramVec
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "switchboard_hipcall_requests_total",
			Help: "HTTP requests sent to Hipcall, by method, route template and status code (\"error\" when no answer came).",
		}, []string{"method", "route", "code"}),
		retries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "switchboard_hipcall_retries_total",
			Help: "Requests to Hipcall retried, by reason (timeout, network, 429, 5xx).",
		}, []string{"reason"}),
		seconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "switchboard_hipcall_request_seconds",
			Help:    "Duration of one HTTP request to Hipcall, waits excluded.",
			Buckets: []float64{.025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"method", "route"}),
		waiting: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "switchboard_hipcall_budget_waiting",
			Help: "Requests to Hipcall waiting now for the request budget (client-side rate limit, rate-limit pauses), by priority (card, action, sync, backfill).",
		}, []string{"priority"}),
		waitSeconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "switchboard_hipcall_budget_wait_seconds",
			Help:    "Time a request to Hipcall waited for the request budget before it was sent (0 when it went at once; each retry waits again), by priority (card, action, sync, backfill).",
			Buckets: []float64{.01, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 120, 300},
		}, []string{"priority"}),
	}
	var err1, err2, err3, err4, err5 error
	m.requests, err1 = promreg.Register(reg, m.requests)
	m.retries, err2 = promreg.Register(reg, m.retries)
	m.seconds, err3 = promreg.Register(reg, m.seconds)
	m.waiting, err4 = promreg.Register(reg, m.waiting)
	m.waitSeconds, err5 = promreg.Register(reg, m.waitSeconds)
	if err := errors.Join(err1, err2, err3, err4, err5); err != nil {
		return nil, fmt.Errorf("register Hipcall client metrics: %w (another collector uses the same name; use a separate registry)", err)
	}
	return m, nil
}
