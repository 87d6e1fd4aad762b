// Package benchstat reports latency percentiles from the connector plugins'
// benchmarks (cmd/switchboard-connector-*/bench_test.go). It does not import
// package testing: *testing.B satisfies Reporter.
package benchstat

import (
	"slices"
	"time"
)

// Reporter receives extra benchmark metrics; *testing.B is one.
type Reporter interface {
	ReportMetric(n float64, unit string)
}

// ReportPercentiles sorts took, the durations of the benchmarked calls, and
// reports their p50 and p99 in microseconds ("p50-µs", "p99-µs"). With no
// calls it reports nothing.
func ReportPercentiles(r Reporter, took []time.Duration) {
	if len(took) == 0 {
		return
	}
	slices.Sort(took)
	at := func(q float64) float64 { return float64(took[int(q*float64(len(took)-1))].Microseconds()) }
	r.ReportMetric(at(0.50), "p50-µs")
	r.ReportMetric(at(0.99), "p99-µs")
}
