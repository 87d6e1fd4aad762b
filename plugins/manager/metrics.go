package manager

import (
	"errors"

	"github.com/hashicorp/go-hclog"
	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the plugin metrics, labelled by connector instance name. A
// nil *metrics records nothing.
type metrics struct {
	restarts *prometheus.CounterVec
	up       *prometheus.GaugeVec
}

func newMetrics(reg prometheus.Registerer, log hclog.Logger) *metrics {
	if reg == nil {
		return nil
	}
	m := &metrics{
		restarts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "switchboard_plugin_restarts_total",
			Help: "Times a connector plugin process was relaunched after dying or hanging.",
		}, []string{"plugin"}),
		up: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "switchboard_plugin_up",
			Help: "1 while the connector plugin process is running and configured, 0 while it is restarting.",
		}, []string{"plugin"}),
	}
	m.restarts = register(reg, log, m.restarts)
	m.up = register(reg, log, m.up)
	return m
}

// register registers c, reusing an identical collector that is already
// registered (several managers sharing one registry).
func register[C prometheus.Collector](reg prometheus.Registerer, log hclog.Logger, c C) C {
	if err := reg.Register(c); err != nil {
		var are prometheus.AlreadyRegisteredError
		if errors.As(err, &are) {
			if existing, ok := are.ExistingCollector.(C); ok {
				return existing
			}
		}
		log.Warn("cannot register plugin metric; it will not be exported", "error", err)
	}
	return c
}

func (m *metrics) setUp(name string, up bool) {
	if m == nil {
		return
	}
	v := 0.0
	if up {
		v = 1
	}
	m.up.WithLabelValues(name).Set(v)
}

func (m *metrics) started(name string) {
	if m == nil {
		return
	}
	m.restarts.WithLabelValues(name) // export 0 from the start
}

func (m *metrics) restarted(name string) {
	if m == nil {
		return
	}
	m.restarts.WithLabelValues(name).Inc()
}

func (m *metrics) forget(name string) {
	if m == nil {
		return
	}
	m.up.DeleteLabelValues(name)
	m.restarts.DeleteLabelValues(name)
}
