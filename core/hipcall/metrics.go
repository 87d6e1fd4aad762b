package hipcall

import (
	"errors"
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the client's Prometheus collectors.
type metrics struct {
	requests *prometheus.CounterVec
	retries  *prometheus.CounterVec
	seconds  *prometheus.HistogramVec
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
	}
	if reg == nil {
		return m, nil
	}
	var err1, err2, err3 error
	m.requests, err1 = register(reg, m.requests)
	m.retries, err2 = register(reg, m.retries)
	m.seconds, err3 = register(reg, m.seconds)
	if err := errors.Join(err1, err2, err3); err != nil {
		return nil, fmt.Errorf("register Hipcall client metrics: %w (another collector uses the same name; use a separate registry)", err)
	}
	return m, nil
}

// register registers c, or returns the collector already registered under
// the same name (several clients sharing a registry).
func register[C prometheus.Collector](reg prometheus.Registerer, c C) (C, error) {
	if err := reg.Register(c); err != nil {
		var are prometheus.AlreadyRegisteredError
		if errors.As(err, &are) {
			if existing, ok := are.ExistingCollector.(C); ok {
				return existing, nil
			}
		}
		return c, err
	}
	return c, nil
}
