package manager

// The plugin round trip of a live lookup: LookupByPhone through the real
// CSV plugin process (cmd/switchboard-connector-csv), launched by a
// Manager as the host does (go-plugin, gRPC, AutoMTLS, unix socket).
//
//	go test -run '^$' -bench LookupRoundTrip -benchtime 20000x ./plugins/manager

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/switchboard-hq/switchboard/connectors"
	"github.com/switchboard-hq/switchboard/plugins/internal/wire"
)

// roundTripContacts is how many contacts the benchmarked CSV file holds.
const roundTripContacts = 100_000

// startCSVPlugin builds the CSV plugin, writes a CSV file of
// roundTripContacts contacts (+4420300000000 up) and starts the plugin on
// it through a manager; both go when b ends.
func startCSVPlugin(b *testing.B) *Plugin {
	b.Helper()
	dir := b.TempDir()
	bin := filepath.Join(dir, BinaryName("csv"))
	if out, err := exec.Command("go", "build", "-o", bin, "github.com/switchboard-hq/switchboard/cmd/switchboard-connector-csv").CombinedOutput(); err != nil {
		b.Fatalf("building the CSV plugin: %v\n%s", err, out)
	}
	path := filepath.Join(dir, "contacts.csv")
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	w := bufio.NewWriter(f)
	fmt.Fprintln(w, "id,first,last,phone")
	for i := range roundTripContacts {
		fmt.Fprintf(w, "C%07d,First%d,Last,+44%010d\n", i, i, 2030000000+i)
	}
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
	if err := f.Close(); err != nil {
		b.Fatal(err)
	}
	m := New(Options{Config: Config{Dir: dir}, Logger: hclog.NewNullLogger(), StartTimeout: time.Minute})
	b.Cleanup(m.Shutdown)
	block := fmt.Sprintf("path: %q\ncolumns:\n  id: id\n  first_name: first\n  last_name: last\n  phones: [phone]\n", path)
	p, err := m.Start(context.Background(), Spec{Name: "bench", Plugin: "csv", Config: []byte(block), DefaultRegion: "GB"})
	if err != nil {
		b.Fatalf("starting the CSV plugin: %v", err)
	}
	return p
}

// BenchmarkLookupRoundTrip times sequential LookupByPhone calls for known
// numbers through the real CSV plugin process, the Plugin's own wrapper
// included, and reports their p50, p90 and p99: "unary" as a unary gRPC
// call (the only path before the lookup channel, and still the path to a
// plugin that predates it), "channel" over the lookup channel. Both run
// against the same process in one run, so their figures compare.
func BenchmarkLookupRoundTrip(b *testing.B) {
	p := startCSVPlugin(b)
	proc, err := p.current("LookupByPhone")
	if err != nil {
		b.Fatal(err)
	}
	grpcClient, ok := proc.conn.(*wire.GRPCClient)
	if !ok || !grpcClient.LookupChannelOpen() {
		b.Fatalf("the lookup channel is not open (%T)", proc.conn)
	}
	numbers := make([]string, 1024)
	for k := range numbers {
		numbers[k] = fmt.Sprintf("+44%010d", 2030000000+(k*7919)%roundTripContacts)
	}
	paths := []struct {
		name   string
		method func(connectors.Connector, context.Context, *connectors.LookupRequest) (*connectors.LookupResponse, error)
	}{
		{"unary", func(c connectors.Connector, ctx context.Context, req *connectors.LookupRequest) (*connectors.LookupResponse, error) {
			return c.(*wire.GRPCClient).LookupByPhoneUnary(ctx, req)
		}},
		{"channel", connectors.Connector.LookupByPhone},
	}
	for _, path := range paths {
		b.Run(path.name, func(b *testing.B) {
			ctx := context.Background()
			lookup := func(k int) error {
				n := numbers[k%len(numbers)]
				resp, err := call(ctx, p, "LookupByPhone", &connectors.LookupRequest{E164: n, Limit: 10}, path.method)
				if err != nil {
					return err
				}
				if len(resp.Matches) != 1 {
					return fmt.Errorf("%s: %d matches, want 1", n, len(resp.Matches))
				}
				return nil
			}
			for k := range 1000 { // warm up
				if err := lookup(k); err != nil {
					b.Fatal(err)
				}
			}
			var took []time.Duration
			for k := 0; b.Loop(); k++ {
				start := time.Now()
				err := lookup(k)
				took = append(took, time.Since(start))
				if err != nil {
					b.Fatal(err)
				}
			}
			reportPercentiles(b, took)
		})
	}
}

// reportPercentiles reports the p50, p90 and p99 of took in microseconds.
func reportPercentiles(b *testing.B, took []time.Duration) {
	if len(took) == 0 {
		return
	}
	slices.Sort(took)
	for _, p := range []int{50, 90, 99} {
		b.ReportMetric(float64(took[(len(took)-1)*p/100].Nanoseconds())/1e3, fmt.Sprintf("p%d-µs", p))
	}
}
