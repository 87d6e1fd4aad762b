package csv

import (
	"context"
	"fmt"
	"hash/maphash"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/switchboard-hq/switchboard/connectors"
)

// syntheticCSV is n rows with two valid UK numbers each, a company per ten
// rows and two typed fields.
func syntheticCSV(n int) []byte {
	var b strings.Builder
	b.Grow(n * 120)
	b.WriteString("CustomerID,FirstName,LastName,Company,CompanyID,Phone,Mobile,Email,Owner,Balance,Tier\n")
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "C%07d,First%d,Last%d,Company %d,CO-%d,020 7%03d %04d,+44 74%02d %06d,c%d@example.com,u-%d,%d.50,gold\n",
			i, i, i, i/10, i/10, i/10000, i%10000, i%100, i, i, i%50, i%9000)
	}
	return []byte(b.String())
}

const benchBlock = `path: bench.csv
reload_interval: 0
columns:
  id: CustomerID
  first_name: FirstName
  last_name: LastName
  company: Company
  company_id: CompanyID
  phones: [Phone, Mobile]
  emails: [Email]
  owner: Owner
fields:
  balance: {column: Balance, type: number}
  tier: {column: Tier}
`

func benchDir(b *testing.B, rows int) string {
	b.Helper()
	dir := b.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "bench.csv"), syntheticCSV(rows), 0o644); err != nil {
		b.Fatal(err)
	}
	return dir
}

func BenchmarkLookup(b *testing.B) {
	const rows = 100_000
	dir := benchDir(b, rows)
	c := newConnector(hclog.NewNullLogger())
	resp, err := c.Configure(context.Background(), &connectors.ConfigureRequest{Config: []byte(benchBlock), DefaultRegion: "GB", BaseDir: dir})
	if err != nil || len(resp.Problems) > 0 {
		b.Fatalf("Configure: %v %+v", err, resp)
	}
	defer c.Close()
	reqs := make([]connectors.LookupRequest, 1024)
	for i := range reqs {
		n := (i * 7919) % rows
		reqs[i] = connectors.LookupRequest{
			E164:     fmt.Sprintf("+4420%04d%04d", 7000+n/10000, n%10000),
			National: fmt.Sprintf("20%04d%04d", 7000+n/10000, n%10000),
		}
	}
	if m, _ := c.LookupByPhone(context.Background(), &reqs[1]); len(m.Matches) != 1 {
		b.Fatalf("benchmark lookup finds %d matches, want 1", len(m.Matches))
	}
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			if _, err := c.LookupByPhone(context.Background(), &reqs[i%len(reqs)]); err != nil {
				b.Error(err)
				return
			}
			i++
		}
	})
}

func BenchmarkLoad100k(b *testing.B) {
	dir := benchDir(b, 100_000)
	s, problems := parseConfig(&connectors.ConfigureRequest{Config: []byte(benchBlock), DefaultRegion: "GB", BaseDir: dir})
	if len(problems) > 0 {
		b.Fatalf("config: %+v", problems)
	}
	seed := maphash.MakeSeed()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		snap, err := load(context.Background(), s, nil, seed, hclog.NewNullLogger())
		if err != nil {
			b.Fatal(err)
		}
		if len(snap.contacts) != 100_000 || snap.skipped != 0 || snap.dropped != 0 {
			b.Fatalf("loaded %d contacts, %d skipped, %d numbers dropped", len(snap.contacts), snap.skipped, snap.dropped)
		}
	}
}

// BenchmarkLookupByKey looks 100,000 contacts up by their e-mail address
// (a map built on the first lookup, outside the timing) and reports the
// build of that map.
func BenchmarkLookupByKey(b *testing.B) {
	const rows = 100_000
	dir := benchDir(b, rows)
	c := newConnector(hclog.NewNullLogger())
	resp, err := c.Configure(context.Background(), &connectors.ConfigureRequest{Config: []byte(benchBlock), DefaultRegion: "GB", BaseDir: dir})
	if err != nil || len(resp.Problems) > 0 {
		b.Fatalf("Configure: %v %+v", err, resp)
	}
	defer c.Close()
	reqs := make([]connectors.KeyLookupRequest, 1024)
	for i := range reqs {
		reqs[i] = connectors.KeyLookupRequest{Field: "email", Value: fmt.Sprintf("C%d@Example.com", (i*7919)%rows)}
	}
	start := time.Now()
	var m keyMap
	m.build(c.snap.Load(), "email")
	buildTime := time.Since(start)
	if m, _ := c.LookupByKey(context.Background(), &reqs[1]); len(m.Matches) != 1 {
		b.Fatalf("benchmark lookup finds %d matches, want 1", len(m.Matches))
	}
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			if _, err := c.LookupByKey(context.Background(), &reqs[i%len(reqs)]); err != nil {
				b.Error(err)
				return
			}
			i++
		}
	})
	b.ReportMetric(float64(buildTime.Microseconds())/1e3, "ms/map-build")
}
