package directory

import (
	"fmt"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	promreg "github.com/switchboard-hq/switchboard/core/metrics"
)

// metrics holds the directory's collectors. A nil *metrics records nothing.
type metrics struct {
	lookups       *prometheus.CounterVec
	connectorErrs *prometheus.CounterVec
	lookupSeconds prometheus.Histogram
	indexRecords  *prometheus.GaugeVec
	buildSeconds  *prometheus.GaugeVec
	indexBytes    *prometheus.GaugeVec
	buildErrors   *prometheus.CounterVec
	rebuildsHeld  *prometheus.CounterVec
	changes       *prometheus.CounterVec
	pollErrors    *prometheus.CounterVec
	keyLookups    *prometheus.CounterVec
	keyVerifies   *prometheus.CounterVec
}

// lookupBuckets run from 50µs (a cache or index hit) to 2.5s (past any
// sane deadline).
var lookupBuckets = []float64{
	50e-6, 100e-6, 250e-6, 500e-6,
	1e-3, 2.5e-3, 5e-3, 10e-3, 25e-3, 50e-3, 100e-3, 250e-3, 500e-3,
	1, 2.5,
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	if reg == nil {
		return nil, nil
	}
	m := &metrics{}
	var err error
	if m.lookups, err = register(reg, prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "switchboard_directory_lookups_total",
		Help: "Directory lookups by answering source, layer (cache|index|live|none) and outcome (found|ambiguous|not_found|invalid).",
	}, []string{"source", "via", "outcome"})); err != nil {
		return nil, err
	}
	if m.connectorErrs, err = register(reg, prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "switchboard_connector_errors_total",
		Help: "Failed live connector lookups by source and error class (timeout, circuit_open, or the connector's class).",
	}, []string{"source", "class"})); err != nil {
		return nil, err
	}
	if m.lookupSeconds, err = register(reg, prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "switchboard_directory_lookup_seconds",
		Help:    "Time taken by directory lookups, parse to answer.",
		Buckets: lookupBuckets,
	})); err != nil {
		return nil, err
	}
	if m.indexRecords, err = register(reg, prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "switchboard_index_records",
		Help: "Records held by the source's current index.",
	}, []string{"source"})); err != nil {
		return nil, err
	}
	if m.buildSeconds, err = register(reg, prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "switchboard_index_build_seconds",
		Help: "Duration of the source's last successful index build.",
	}, []string{"source"})); err != nil {
		return nil, err
	}
	if m.indexBytes, err = register(reg, prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "switchboard_index_bytes",
		Help: "Memory held by the source's current index: its packed records, number postings and ID order (key indexes not counted).",
	}, []string{"source"})); err != nil {
		return nil, err
	}
	if m.buildErrors, err = register(reg, prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "switchboard_index_build_errors_total",
		Help: "Failed index builds by source (the previous index is kept).",
	}, []string{"source"})); err != nil {
		return nil, err
	}
	if m.rebuildsHeld, err = register(reg, prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "switchboard_directory_rebuilds_held_total",
		Help: "Index rebuilds not swapped in because they lost more than directory.max_shrink of the records (the previous index is kept).",
	}, []string{"source"})); err != nil {
		return nil, err
	}
	if m.changes, err = register(reg, prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "switchboard_index_changes_total",
		Help: "Changed records a poll laid over the source's index without a rebuild.",
	}, []string{"source"})); err != nil {
		return nil, err
	}
	if m.pollErrors, err = register(reg, prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "switchboard_index_poll_errors_total",
		Help: "Failed polls for changed records by source (the index keeps what it has).",
	}, []string{"source"})); err != nil {
		return nil, err
	}
	if m.keyLookups, err = register(reg, prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "switchboard_directory_key_lookups_total",
		Help: "Directory lookups by key (LookupKey) by key name (empty: a key no connector configures), answering source, " +
			"layer (index|live|none) and outcome (found|ambiguous|not_found|unknown_key).",
	}, []string{"key", "source", "via", "outcome"})); err != nil {
		return nil, err
	}
	if m.keyVerifies, err = register(reg, prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "switchboard_directory_key_verifications_total",
		Help: "Key verifications (VerifyKey: a PIN check) by key name and outcome (match|mismatch|error); " +
			"many mismatches may be someone trying PINs.",
	}, []string{"key", "outcome"})); err != nil {
		return nil, err
	}
	return m, nil
}

func (m *metrics) keyLookup(key, source string, via Via, outcome string) {
	if m == nil {
		return
	}
	m.keyLookups.WithLabelValues(key, source, string(via), outcome).Inc()
}

func (m *metrics) keyVerified(key, outcome string) {
	if m == nil {
		return
	}
	m.keyVerifies.WithLabelValues(key, outcome).Inc()
}

// register registers c with reg, or returns the collector already
// registered under the same description (several directories may share a
// registry).
func register[T prometheus.Collector](reg prometheus.Registerer, c T) (T, error) {
	c, err := promreg.Register(reg, c)
	if err != nil {
		return c, fmt.Errorf("register directory metrics: %w; use a registry without conflicting metric names", err)
	}
	return c, nil
}

func (m *metrics) lookup(source string, via Via, outcome string, d time.Duration) {
	if m == nil {
		return
	}
	m.lookups.WithLabelValues(source, string(via), outcome).Inc()
	m.lookupSeconds.Observe(d.Seconds())
}

func (m *metrics) connectorError(source, class string) {
	if m == nil {
		return
	}
	m.connectorErrs.WithLabelValues(source, class).Inc()
}

func (m *metrics) built(source string, records, bytes int, d time.Duration) {
	if m == nil {
		return
	}
	m.indexRecords.WithLabelValues(source).Set(float64(records))
	m.indexBytes.WithLabelValues(source).Set(float64(bytes))
	m.buildSeconds.WithLabelValues(source).Set(d.Seconds())
}

func (m *metrics) buildFailed(source string) {
	if m == nil {
		return
	}
	m.buildErrors.WithLabelValues(source).Inc()
}

func (m *metrics) rebuildHeld(source string) {
	if m == nil {
		return
	}
	m.rebuildsHeld.WithLabelValues(source).Inc()
}

func (m *metrics) records(source string, records int) {
	if m == nil {
		return
	}
	m.indexRecords.WithLabelValues(source).Set(float64(records))
}

func (m *metrics) changed(source string, n int) {
	if m == nil {
		return
	}
	m.changes.WithLabelValues(source).Add(float64(n))
}

func (m *metrics) pollFailed(source string) {
	if m == nil {
		return
	}
	m.pollErrors.WithLabelValues(source).Inc()
}
