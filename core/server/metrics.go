package server

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Fallback reasons: why the Smart IVR answered the default extension
// because something went wrong (label of
// switchboard_smart_ivr_fallbacks_total).
const (
	fallbackMalformed     = "malformed"
	fallbackInvalidNumber = "invalid_number"
	fallbackDeadline      = "deadline"
	fallbackPanic         = "panic"
	fallbackLookupError   = "lookup_error"
	fallbackOversize      = "oversize"
)

// requestBuckets span 100µs to 3 s (Hipcall's limit), in seconds.
var requestBuckets = []float64{
	0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
	0.05, 0.1, 0.25, 0.5, 1, 1.5, 2, 3,
}

// metrics are the server's Prometheus collectors.
type metrics struct {
	requests     *prometheus.CounterVec
	duration     *prometheus.HistogramVec
	fallbacks    *prometheus.CounterVec
	authFailures *prometheus.CounterVec
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "switchboard_http_requests_total",
			Help: "HTTP requests served, by endpoint and status code.",
		}, []string{"endpoint", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "switchboard_http_request_seconds",
			Help:    "Time to serve an HTTP request, by endpoint.",
			Buckets: requestBuckets,
		}, []string{"endpoint"}),
		fallbacks: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "switchboard_smart_ivr_fallbacks_total",
			Help: "Smart IVR requests answered with the default extension because something went wrong, by reason.",
		}, []string{"reason"}),
		authFailures: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "switchboard_http_auth_failures_total",
			Help: "Requests refused for wrong or missing credentials, by endpoint.",
		}, []string{"endpoint"}),
	}
	for _, c := range []prometheus.Collector{m.requests, m.duration, m.fallbacks, m.authFailures} {
		if err := reg.Register(c); err != nil {
			var are prometheus.AlreadyRegisteredError
			if errors.As(err, &are) {
				return nil, fmt.Errorf("register HTTP metrics: %w (is a second server using the same registry? give each its own)", err)
			}
			return nil, fmt.Errorf("register HTTP metrics: %w", err)
		}
	}
	// Make every fallback reason visible at 0 so alerts and dashboards see
	// the series before the first fallback.
	for _, r := range []string{fallbackMalformed, fallbackInvalidNumber, fallbackDeadline, fallbackPanic, fallbackLookupError, fallbackOversize} {
		m.fallbacks.WithLabelValues(r)
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
