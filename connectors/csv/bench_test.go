package csv

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"hash/maphash"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/switchboard-hq/switchboard/connectors"
)

// syntheticCSV is n rows with two valid UK numbers each, a company per ten
// rows and two typed fields.
func syntheticCSV(n int) []byte {
	var b bytes.Buffer
	b.Grow(n * 120)
	writeRows(&b, n)
	return b.Bytes()
}

// writeRows writes syntheticCSV's header and rows to w.
func writeRows(w io.Writer, n int) {
	io.WriteString(w, "CustomerID,FirstName,LastName,Company,CompanyID,Phone,Mobile,Email,Owner,Balance,Tier\n")
	for i := 0; i < n; i++ {
		fmt.Fprintf(w, "C%07d,First%d,Last%d,Company %d,CO-%d,020 7%03d %04d,+44 74%02d %06d,c%d@example.com,u-%d,%d.50,gold\n",
			i, i, i, i/10, i/10, i/10000, i%10000, i%100, i, i, i%50, i%9000)
	}
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

// writeSynthetic writes syntheticCSV's rows to path without holding the
// file in memory.
func writeSynthetic(b *testing.B, path string, n int) {
	b.Helper()
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	writeRows(w, n)
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
	if err := f.Close(); err != nil {
		b.Fatal(err)
	}
}

// rssMB is the process's resident set in MB (Linux; 0 elsewhere).
func rssMB() float64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(l, "VmRSS:"); ok {
			kb, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(v), " kB"))
			return float64(kb) / 1024
		}
	}
	return 0
}

// BenchmarkList1M configures the connector on 1,000,000 generated rows
// and lists every contact and company as the host's index build does
// (pages of 1,000), in listed-only mode and, for comparison, loaded
// whole. It reports Configure's time, the listing's (from Configure's
// return to the last page), the background scan's within it (listed-only:
// until the first version is published), and the memory held
// after it (the heap in use and the process's RSS, with the connector
// still alive, after a GC).
//
//	go test ./connectors/csv -run '^$' -bench BenchmarkList1M -benchtime 1x -benchmem
func BenchmarkList1M(b *testing.B) {
	const rows = 1_000_000
	dir := b.TempDir()
	writeSynthetic(b, filepath.Join(dir, "bench.csv"), rows)
	for _, mode := range []struct {
		name   string
		listed bool
	}{{"listed_only", true}, {"full", false}} {
		b.Run(mode.name, func(b *testing.B) {
			runtime.GC()
			debug.FreeOSMemory()
			rss0 := rssMB()
			var configure, list, scan time.Duration
			var heap, rss float64
			b.ReportAllocs()
			for b.Loop() {
				c := newConnector(hclog.NewNullLogger())
				start := time.Now()
				resp, err := c.Configure(context.Background(), &connectors.ConfigureRequest{
					Config: []byte(benchBlock), DefaultRegion: "GB", BaseDir: dir, ListedOnly: mode.listed})
				if err != nil || len(resp.Problems) > 0 {
					b.Fatalf("Configure: %v %+v", err, resp)
				}
				configure += time.Since(start)
				scanned := make(chan time.Duration, 1)
				if st := c.stream.Load(); st != nil {
					go func() { <-st.ready; scanned <- time.Since(start) }()
				} else {
					scanned <- 0
				}
				start = time.Now()
				n := 0
				for cursor := ""; ; {
					page, err := c.ListContacts(context.Background(), &connectors.ListRequest{Cursor: cursor, PageSize: 1000})
					if err != nil {
						b.Fatal(err)
					}
					n += len(page.Contacts)
					if cursor = page.NextCursor; cursor == "" {
						break
					}
				}
				cos := 0
				for cursor := ""; ; {
					page, err := c.ListCompanies(context.Background(), &connectors.ListRequest{Cursor: cursor, PageSize: 1000})
					if err != nil {
						b.Fatal(err)
					}
					cos += len(page.Companies)
					if cursor = page.NextCursor; cursor == "" {
						break
					}
				}
				list += time.Since(start)
				scan += <-scanned
				if n != rows || cos != rows/10 {
					b.Fatalf("listed %d contacts, %d companies", n, cos)
				}
				runtime.GC()
				var ms runtime.MemStats
				runtime.ReadMemStats(&ms)
				heap, rss = float64(ms.HeapInuse)/(1<<20), rssMB()
				c.Close()
				runtime.KeepAlive(c)
			}
			b.ReportMetric(float64(configure.Milliseconds())/float64(b.N), "configure-ms")
			b.ReportMetric(list.Seconds()/float64(b.N), "list-s")
			b.ReportMetric(scan.Seconds()/float64(b.N), "scan-s")
			b.ReportMetric(heap, "heap-MB")
			b.ReportMetric(rss-rss0, "rss-added-MB")
			b.ReportMetric(rss, "rss-MB")
		})
	}
}
