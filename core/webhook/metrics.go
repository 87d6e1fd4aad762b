package webhook

import (
	"slices"

	"github.com/prometheus/client_golang/prometheus"

	promreg "github.com/switchboard-hq/switchboard/core/metrics"
)

// eventLabel is the events_total label of an event: its name when known,
// "unknown" otherwise (names are free text: the label set stays bounded).
func eventLabel(name string) string {
	if Known(name) {
		return name
	}
	return "unknown"
}

// Drop reasons (label of switchboard_webhook_dropped_total).
const (
	dropQueueFull = "queue_full"
	dropShutdown  = "shutdown"
)

// metrics are the webhook's Prometheus collectors.
type metrics struct {
	events       *prometheus.CounterVec
	dropped      *prometheus.CounterVec
	deduplicated prometheus.Counter
	handled      *prometheus.CounterVec
	authFailures *prometheus.CounterVec
	notRecorded  prometheus.Counter
	queued       prometheus.GaugeFunc
}

func newMetrics(reg prometheus.Registerer, queueLen func() float64) (*metrics, error) {
	m := &metrics{
		events: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "switchboard_webhook_events_total",
			Help: "Authenticated, well-formed webhook events received, by event name (\"unknown\" for names not confirmed).",
		}, []string{"event"}),
		dropped: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "switchboard_webhook_dropped_total",
			Help: "Webhook events answered 200 but never handled, by reason (queue_full, shutdown).",
		}, []string{"reason"}),
		deduplicated: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "switchboard_webhook_deduplicated_total",
			Help: "Webhook events skipped because the same (event, call) was seen within the dedup window.",
		}),
		handled: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "switchboard_webhook_handled_total",
			Help: "Webhook events handled by a worker or ignored at once, by outcome.",
		}, []string{"outcome"}),
		notRecorded: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "switchboard_webhook_not_recorded_total",
			Help: "Webhook events answered 503 because the journal could not store them.",
		}),
		authFailures: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "switchboard_webhook_auth_failures_total",
			Help: "Webhook requests refused (401/403), by reason.",
		}, []string{"reason"}),
		queued: prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "switchboard_webhook_queue_length",
			Help: "Webhook events waiting for a worker.",
		}, queueLen),
	}
	if reg == nil {
		return m, nil
	}
	if err := promreg.RegisterOwn(reg, "webhook", "webhook processor", m.events, m.dropped, m.deduplicated, m.handled, m.authFailures, m.notRecorded, m.queued); err != nil {
		return nil, err
	}
	// Show the series at 0 before the first event, for alerts.
	for _, name := range append(slices.Clone(KnownEvents), "unknown") {
		m.events.WithLabelValues(name)
	}
	m.dropped.WithLabelValues(dropQueueFull)
	m.dropped.WithLabelValues(dropShutdown)
	return m, nil
}
