package postgres

// Benchmarks of LogCall as the host makes it: the real plugin binary
// (cmd/switchboard-connector-postgres, built once per test binary),
// launched and called through plugins/manager over gRPC, against a real
// PostgreSQL (pgtest):
//
//	go test -run '^$' -bench LogCall -benchtime=2s ./connectors/postgres
//
// The lookup benchmarks (BenchmarkPostgresLookupLive1M and the rest) live
// in cmd/switchboard-connector-postgres and start the plugin with
// cmd/internal/pluginbench, which this package cannot import (it is
// internal to cmd/); startPlugin below does what its StartPlugin does.

import (
	"context"
	"fmt"
	"os"
	osexec "os/exec"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/switchboard-hq/switchboard/connectors"
	"github.com/switchboard-hq/switchboard/connectors/postgres/pgtest"
	"github.com/switchboard-hq/switchboard/plugins/manager"
)

// pluginPackage is the plugin command serving this connector.
const pluginPackage = "github.com/switchboard-hq/switchboard/cmd/switchboard-connector-postgres"

var (
	pluginOnce sync.Once
	pluginDir  string // holds the built plugin binary; TestMain removes it
	pluginErr  error
)

// buildPlugin builds the plugin binary once per test binary and returns
// the directory holding it, as a manager's plugin directory.
func buildPlugin() (string, error) {
	pluginOnce.Do(func() {
		dir, err := os.MkdirTemp("", "switchboard-postgres-plugin-")
		if err != nil {
			pluginErr = err
			return
		}
		pluginDir = dir
		out, err := osexec.Command("go", "build", "-o", filepath.Join(dir, manager.BinaryName("postgres")), pluginPackage).CombinedOutput()
		if err != nil {
			pluginErr = fmt.Errorf("building the postgres plugin: %v\n%s", err, out)
		}
	})
	return pluginDir, pluginErr
}

// removePluginBuild removes what buildPlugin built; TestMain calls it.
func removePluginBuild() {
	if pluginDir != "" {
		os.RemoveAll(pluginDir)
	}
}

// startPlugin starts the real plugin binary through a manager, as the host
// does, configured with block (default region GB). The plugin and its
// manager go when b's benchmark ends.
func startPlugin(b *testing.B, block string) connectors.Connector {
	b.Helper()
	dir, err := buildPlugin()
	if err != nil {
		b.Fatal(err)
	}
	m := manager.New(manager.Options{Config: manager.Config{Dir: dir}, Logger: hclog.NewNullLogger(), StartTimeout: time.Minute})
	b.Cleanup(m.Shutdown)
	p, err := m.Start(context.Background(), manager.Spec{Name: "bench", Plugin: "postgres", Config: []byte(block), DefaultRegion: "GB"})
	if err != nil {
		b.Fatalf("starting the plugin: %v", err)
	}
	return p
}

// benchLogRows is how many calls the benchmarks' call_logs holds before
// they log theirs.
const benchLogRows = 100_000

// logBenchDatabase is a fresh database with a small contacts table and a
// call_logs table (callLogsDDL: a unique index on the key, a bigint
// identity id) holding benchLogRows calls.
func logBenchDatabase(b *testing.B) string {
	b.Helper()
	dsn := pgtest.NewDatabase(b)
	start := time.Now()
	exec(b, dsn,
		`CREATE TABLE contacts (id bigint PRIMARY KEY, first_name text, phone text)`,
		callLogsDDL,
		fmt.Sprintf(`INSERT INTO call_logs (call_key, contact_id, call_uuid, direction, from_number, to_number,
				started_at, answered_at, ended_at, talk_seconds, outcome, agent_id, agent_name, title, body)
			SELECT 'old-' || i || '/crm-log', i %% 1000 + 1, gen_random_uuid(), 'inbound', '+4479' || lpad(i::text, 8, '0'), '+442071234567',
				timestamptz '2024-01-01' + i * interval '1 minute', timestamptz '2024-01-01' + i * interval '1 minute' + interval '5 seconds',
				timestamptz '2024-01-01' + i * interval '1 minute' + interval '65 seconds', 60, 'answered', 'u42', 'Grace',
				'Inbound call', 'Talked for a minute about order ' || i
			FROM generate_series(1, %d) AS i`, benchLogRows),
		`ANALYZE call_logs`)
	b.Logf("generated %d call logs in %v", benchLogRows, time.Since(start).Round(time.Millisecond))
	return dsn
}

// benchLogBlock logs into the database's call_logs, every field mapped.
func benchLogBlock(dsn, extra string) string {
	return fmt.Sprintf("dsn: %q\ntable: contacts\ncolumns: {id: id, first_name: first_name, phones: [phone]}\n", dsn) +
		extra + logCallBlock
}

// callLogger is the plugin's CallLogger, after one warm-up log.
func callLogger(b *testing.B, c connectors.Connector) connectors.CallLogger {
	b.Helper()
	w, ok := c.(connectors.CallLogger)
	if !ok {
		b.Fatalf("the plugin (%T) is no CallLogger", c)
	}
	d, err := c.Describe(context.Background(), &connectors.DescribeRequest{})
	if err != nil || !d.Has(connectors.CapLogCall) {
		b.Fatalf("the plugin does not declare log_call: %+v %v", d, err)
	}
	if resp, err := w.LogCall(context.Background(), answeredCall("warm-up/crm-log")); err != nil || resp.Existing {
		b.Fatalf("warm-up LogCall: %+v %v", resp, err)
	}
	return w
}

// reportPercentiles reports the p50 and p99 of took in microseconds, as
// pluginbench.ReportPercentiles does for the lookups: the element at
// ⌊(len-1)·p/100⌋ of the sorted durations.
func reportPercentiles(b *testing.B, took []time.Duration) {
	if len(took) == 0 {
		return
	}
	slices.Sort(took)
	at := func(p float64) time.Duration { return took[int(float64(len(took)-1)*p/100)] }
	b.ReportMetric(float64(at(50).Microseconds()), "p50-µs")
	b.ReportMetric(float64(at(99).Microseconds()), "p99-µs")
}

// BenchmarkPostgresLogCallPlugin is one LogCall of a new call, host to
// plugin process to PostgreSQL and back, into a call_logs of 100,000 rows
// with every field mapped: INSERT ... ON CONFLICT (key) DO NOTHING
// RETURNING id, one round trip. It reports the p50 and p99.
func BenchmarkPostgresLogCallPlugin(b *testing.B) {
	w := callLogger(b, startPlugin(b, benchLogBlock(logBenchDatabase(b), "")))
	ctx := context.Background()
	var took []time.Duration
	for i := 0; b.Loop(); i++ {
		req := answeredCall(fmt.Sprintf("bench-%d/crm-log", i))
		start := time.Now()
		resp, err := w.LogCall(ctx, req)
		took = append(took, time.Since(start))
		if err != nil || resp.Existing {
			b.Fatalf("LogCall %s: %+v %v", req.Key, resp, err)
		}
	}
	reportPercentiles(b, took)
}

// BenchmarkPostgresLogCallSustained is the throughput of 8 concurrent
// callers logging new calls through the plugin, with the connector's
// default pool (max_conns 4) and with a connection per caller; it reports
// logs/s.
func BenchmarkPostgresLogCallSustained(b *testing.B) {
	const callers = 8
	for _, conns := range []int{defaultMaxConns, callers} {
		b.Run(fmt.Sprintf("max_conns=%d", conns), func(b *testing.B) {
			block := benchLogBlock(logBenchDatabase(b), fmt.Sprintf("max_conns: %d\n", conns))
			w := callLogger(b, startPlugin(b, block))
			ctx := context.Background()
			jobs := make(chan int)
			var wg sync.WaitGroup
			for range callers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := range jobs {
						resp, err := w.LogCall(ctx, answeredCall(fmt.Sprintf("bench-%d/crm-log", i)))
						if err != nil || resp.Existing {
							b.Errorf("LogCall %d: %+v %v", i, resp, err)
						}
					}
				}()
			}
			n := 0
			start := time.Now()
			for b.Loop() {
				jobs <- n
				n++
			}
			close(jobs)
			wg.Wait()
			b.ReportMetric(float64(n)/time.Since(start).Seconds(), "logs/s")
		})
	}
}
