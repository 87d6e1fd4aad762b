// Package pluginbench holds what the connector plugins' benchmarks
// (cmd/switchboard-connector-*/bench_test.go) and cmd/switchboard-bench
// share: building and starting a real plugin binary through
// plugins/manager, the synthetic contacts' numbers, timed LookupByPhone
// loops and latency percentiles.
//
// Only _test files and cmd/switchboard-bench import it. It does not import
// package testing, so that the bench tool does not link it: *testing.B
// satisfies TB and B.
package pluginbench

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/switchboard-hq/switchboard/connectors"
	"github.com/switchboard-hq/switchboard/plugins/manager"
)

// TB is the part of testing.TB the helpers use.
type TB interface {
	Helper()
	Errorf(format string, args ...any)
	Fatalf(format string, args ...any)
	Cleanup(func())
}

// B is the part of *testing.B the lookup benchmarks use.
type B interface {
	TB
	Reporter
	Loop() bool
}

// Reporter receives extra benchmark metrics; *testing.B is one.
type Reporter interface {
	ReportMetric(n float64, unit string)
}

// Stride steps through the synthetic contacts in the lookup loops, so that
// successive lookups do not hit neighbouring rows.
const Stride = 7919

// Number is the i-th synthetic contact's number: UK mobiles +447900000001
// up, stored nationally as "07900 000001".
func Number(i int) string { return fmt.Sprintf("+4479%08d", i) }

// Request is the lookup of the i-th synthetic contact, by E.164 and
// national number, as the host sends it.
func Request(i int) *connectors.LookupRequest {
	n := Number(i)
	return &connectors.LookupRequest{E164: n, National: n[3:], Limit: 10}
}

var (
	buildMu  sync.Mutex
	buildDir string              // holds every plugin binary built in this process
	built    = map[string]bool{} // plugin name → built
)

// build builds the plugin package at pkgDir into buildDir as the binary of
// the plugin name, once per name per process.
func build(pkgDir, name string) (string, error) {
	buildMu.Lock()
	defer buildMu.Unlock()
	if buildDir == "" {
		dir, err := os.MkdirTemp("", "switchboard-plugin-bench-")
		if err != nil {
			return "", err
		}
		buildDir = dir
	}
	if !built[name] {
		cmd := exec.Command("go", "build", "-o", filepath.Join(buildDir, manager.BinaryName(name)), pkgDir)
		if out, err := cmd.CombinedOutput(); err != nil {
			return "", fmt.Errorf("building the %s plugin: %v\n%s", name, err, out)
		}
		built[name] = true
	}
	return buildDir, nil
}

// RemoveBuilds removes the binaries StartPlugin built; TestMain calls it
// after the run.
func RemoveBuilds() {
	buildMu.Lock()
	defer buildMu.Unlock()
	if buildDir != "" {
		os.RemoveAll(buildDir)
		buildDir, built = "", map[string]bool{}
	}
}

// StartPlugin starts the real binary of the plugin name, built from the
// package at pkgDir ("." from the plugin's own tests) once per process,
// through a manager as the host does, configured with block (default
// region GB). The plugin and its manager go when tb's test ends.
func StartPlugin(tb TB, pkgDir, name string, block []byte) connectors.Connector {
	tb.Helper()
	dir, err := build(pkgDir, name)
	if err != nil {
		tb.Fatalf("%v", err)
	}
	m := manager.New(manager.Options{Config: manager.Config{Dir: dir}, Logger: hclog.NewNullLogger(), StartTimeout: time.Minute})
	tb.Cleanup(m.Shutdown)
	p, err := m.Start(context.Background(), manager.Spec{Name: "bench", Plugin: name, Config: block, DefaultRegion: "GB"})
	if err != nil {
		tb.Fatalf("starting the plugin: %v", err)
	}
	return p
}

// TimeLookups calls c.LookupByPhone(req(k)) for k = 0, 1, … while more
// reports true, timing each call (building the request included), and
// returns the durations in call order. It stops at the first call that
// fails or does not return exactly one match, with an error saying which.
func TimeLookups(ctx context.Context, c connectors.Connector, more func() bool, req func(k int) *connectors.LookupRequest) ([]time.Duration, error) {
	var took []time.Duration
	for k := 0; more(); k++ {
		start := time.Now()
		r := req(k)
		resp, err := c.LookupByPhone(ctx, r)
		took = append(took, time.Since(start))
		if err != nil {
			return took, fmt.Errorf("lookup %s: %v", r.E164, err)
		}
		if len(resp.Matches) != 1 {
			return took, fmt.Errorf("lookup %s: %d matches, want 1: %+v", r.E164, len(resp.Matches), resp)
		}
	}
	return took, nil
}

// BenchLookups is a benchmark's loop of sequential lookups of the synthetic
// contacts 1..rows (every Stride-th), each expecting one match, after one
// warm-up lookup; it reports the p50 and p99 (ReportPercentiles).
func BenchLookups(b B, c connectors.Connector, rows int) {
	b.Helper()
	ctx := context.Background()
	// Warm the connection and check the data answers.
	if resp, err := c.LookupByPhone(ctx, Request(4242)); err != nil || len(resp.Matches) != 1 {
		b.Fatalf("lookup: %+v %v", resp, err)
	}
	i := 0
	took, err := TimeLookups(ctx, c, b.Loop, func(int) *connectors.LookupRequest {
		i = (i + Stride) % rows
		return Request(i + 1)
	})
	if err != nil {
		b.Fatalf("%v", err)
	}
	ReportPercentiles(b, took)
}

// ParallelLookups returns the body of a b.RunParallel that looks up the
// synthetic contacts 1..rows (every Stride-th, shared by the goroutines),
// each expecting one match; a goroutine reports a failed lookup with
// tb.Errorf and stops. Call it as
//
//	body := pluginbench.ParallelLookups(b, c, rows)
//	b.RunParallel(func(pb *testing.PB) { body(pb.Next) })
func ParallelLookups(tb TB, c connectors.Connector, rows int) func(next func() bool) {
	var seq atomic.Int64
	return func(next func() bool) {
		ctx := context.Background()
		for next() {
			i := int(seq.Add(Stride) % int64(rows))
			resp, err := c.LookupByPhone(ctx, Request(i+1))
			if err != nil || len(resp.Matches) != 1 {
				tb.Errorf("lookup %d: %+v %v", i+1, resp, err)
				return
			}
		}
	}
}

// Percentile is the p-th percentile (0 to 100) of sorted, ascending
// durations: the element at index ⌊(len-1)·p/100⌋. It is 0 for none.
func Percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	return sorted[int(float64(len(sorted)-1)*p/100)]
}

// ReportPercentiles sorts took, the durations of the benchmarked calls, and
// reports their p50 and p99 in microseconds ("p50-µs", "p99-µs"). With no
// calls it reports nothing.
func ReportPercentiles(r Reporter, took []time.Duration) {
	if len(took) == 0 {
		return
	}
	slices.Sort(took)
	r.ReportMetric(float64(Percentile(took, 50).Microseconds()), "p50-µs")
	r.ReportMetric(float64(Percentile(took, 99).Microseconds()), "p99-µs")
}
