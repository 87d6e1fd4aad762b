package server

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// requestBuckets span 100µs to 3 s (the phone systems' limit), in seconds.
var requestBuckets = []float64{
	0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
	0.05, 0.1, 0.25, 0.5, 1, 1.5, 2, 3,
}

// metrics are the server's Prometheus collectors.
type metrics struct {
	requests     *prometheus.CounterVec
	duration     *prometheus.HistogramVec
	authFailures *prometheus.CounterVec
	limited      *prometheus.CounterVec
	connsRefused prometheus.Counter
}

// newMetrics registers the server's collectors and then the mounts' own
// (Mount.Collectors) in reg.
func newMetrics(reg prometheus.Registerer, mounts []Mount) (*metrics, error) {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "switchboard_http_requests_total",
			Help: "HTTP requests served, by endpoint and status code (\"cut\": the answer could not be written).",
		}, []string{"endpoint", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "switchboard_http_request_seconds",
			Help:    "Time to serve an HTTP request, by endpoint.",
			Buckets: requestBuckets,
		}, []string{"endpoint"}),
		authFailures: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "switchboard_http_auth_failures_total",
			Help: "Requests refused for wrong or missing credentials, by endpoint.",
		}, []string{"endpoint"}),
		limited: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "switchboard_http_rate_limited_total",
			Help: "Requests over their source's rate limit (server.limits.rate), by endpoint; a front end answered its fallback, others 429.",
		}, []string{"endpoint"}),
		connsRefused: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "switchboard_http_connections_refused_total",
			Help: "Connections closed at once because their source held server.limits.conns open already.",
		}),
	}
	all := []prometheus.Collector{m.requests, m.duration, m.authFailures, m.limited, m.connsRefused}
	for _, mt := range mounts {
		all = append(all, mt.Collectors...)
	}
	for _, c := range all {
		if err := reg.Register(c); err != nil {
			var are prometheus.AlreadyRegisteredError
			if errors.As(err, &are) {
				return nil, fmt.Errorf("register HTTP metrics: %w (is a second server using the same registry? give each its own)", err)
			}
			return nil, fmt.Errorf("register HTTP metrics: %w", err)
		}
	}
	return m, nil
}

// metricsHandler serves the registry in the Prometheus exposition format.
func (s *Server) metricsHandler() http.Handler {
	return promhttp.HandlerFor(s.opts.Registry, promhttp.HandlerOpts{
		ErrorLog:      promErrorLog{s.log},
		ErrorHandling: promhttp.ContinueOnError,
	})
}
