package directory

import (
	"context"
	"fmt"
	"math/rand/v2"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/switchboard-hq/switchboard/connectors"
	"github.com/switchboard-hq/switchboard/connectors/phone"
)

const benchRecords = 1_000_000

// benchNumber is the i-th synthetic number: UK mobiles +447900000000 up.
func benchNumber(i int) string { return fmt.Sprintf("+4479%08d", i) }

var benchData struct {
	once sync.Once
	ix   *Index
	err  error
}

// benchSetup generates 1,000,000 contacts, each with one number the
// connector normalised (as the bundled adapters do at load), and builds
// their index once per benchmark run. The contacts are not kept: a
// lookup benchmark must not make every collection scan a million
// structs the host would not hold.
func benchSetup(b *testing.B) *Index {
	b.Helper()
	benchData.once.Do(func() {
		p, err := phone.NewParser("GB")
		if err != nil {
			benchData.err = err
			return
		}
		benchData.ix, benchData.err = BuildIndex(context.Background(), newFake(benchContacts()...), IndexOptions{Parser: p})
	})
	if benchData.err != nil {
		b.Fatalf("build benchmark index: %v", benchData.err)
	}
	if got := benchData.ix.Len(); got != benchRecords {
		b.Fatalf("benchmark index holds %d records, want %d", got, benchRecords)
	}
	return benchData.ix
}

func benchContacts() []connectors.Contact {
	contacts := make([]connectors.Contact, benchRecords)
	for i := range contacts {
		n := benchNumber(i)
		contacts[i] = connectors.Contact{
			ID:        fmt.Sprint(i),
			FirstName: "Ada",
			LastName:  "Lovelace",
			Phones:    []connectors.Phone{{Raw: n, E164: n, Label: "mobile"}},
		}
	}
	return contacts
}

// benchQueries parses count numbers spread over the synthetic range.
func benchQueries(b *testing.B, count int) []phone.Number {
	b.Helper()
	p := gbParser(b)
	qs := make([]phone.Number, count)
	for i := range qs {
		n, err := p.ParseCaller(benchNumber(i * (benchRecords / count)))
		if err != nil {
			b.Fatalf("ParseCaller: %v", err)
		}
		qs[i] = n
	}
	return qs
}

// BenchmarkIndexLookup measures one index hit over 1,000,000 contacts.
func BenchmarkIndexLookup(b *testing.B) {
	ix := benchSetup(b)
	qs := benchQueries(b, 1024)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if len(ix.Lookup(qs[i&1023], 0)) != 1 {
			b.Fatal("benchmark number not found")
		}
	}
}

// BenchmarkIndexBuild1M measures building the index of 1,000,000 contacts
// and reports the heap the index adds per record (the contacts themselves
// already exist: they belong to the connector's pages).
func BenchmarkIndexBuild1M(b *testing.B) {
	contacts := benchContacts()
	p := gbParser(b)
	f := newFake(contacts...)
	var perRecord float64
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		b.StartTimer()

		ix, err := BuildIndex(context.Background(), f, IndexOptions{Parser: p})
		if err != nil {
			b.Fatal(err)
		}

		b.StopTimer()
		runtime.GC()
		runtime.ReadMemStats(&after)
		perRecord = float64(int64(after.HeapAlloc)-int64(before.HeapAlloc)) / float64(ix.Len())
		runtime.KeepAlive(ix)
		b.StartTimer()
	}
	b.ReportMetric(perRecord, "heap-B/record")
}

// BenchmarkDirectoryLookupIndexHit measures a full Lookup (parse, cache
// disabled, index hit) over 1,000,000 contacts.
func BenchmarkDirectoryLookupIndexHit(b *testing.B) {
	ix := benchSetup(b)
	d, err := New(Options{Parser: gbParser(b), Sources: []Source{{Name: "bench", Connector: newFake()}}})
	if err != nil {
		b.Fatal(err)
	}
	defer d.Close()
	d.sources[0].index.Store(ix) // the index built once for the run
	raws := make([]string, 1024)
	for i := range raws {
		raws[i] = benchNumber(i * (benchRecords / len(raws)))
	}
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if res := d.Lookup(ctx, raws[i&1023]); !res.Found {
			b.Fatalf("Lookup(%s) not found: %+v", raws[i&1023], res)
		}
	}
}

// BenchmarkPollFreshness1M measures how long a change takes to reach
// Lookup through polling: a directory polls (Poll: 1s) a connector that
// declares changed_since and holds 1,000,000 contacts in its base index;
// each iteration waits a random part of the poll interval (so that
// changes land anywhere between two polls, as edits do), adds a contact
// with a new number (visible to changed-since at once) and waits until
// Lookup finds it. freshness-ms-mean and freshness-ms-max are those
// delays; ns/op also counts the random wait.
func BenchmarkPollFreshness1M(b *testing.B) {
	contacts := benchContacts()
	f := newFake()
	f.caps = append(f.caps, connectors.CapChangedSince)
	f.contacts = contacts[:len(contacts):len(contacts)] // appends copy once, leaving the shared data alone
	d, err := New(Options{
		Parser:  gbParser(b),
		Sources: []Source{{Name: "bench", Connector: f, Refresh: time.Hour, Poll: time.Second}},
	})
	if err != nil {
		b.Fatal(err)
	}
	defer d.Close()
	ctx := context.Background()
	d.Start(ctx)
	if err := d.WaitReady(ctx); err != nil {
		b.Fatal(err)
	}
	builds := d.Stats()[0].Builds
	var worst, total time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		time.Sleep(rand.N(time.Second))
		n := benchNumber(benchRecords + i)
		f.upsert(connectors.Contact{ID: fmt.Sprint("new-", i), FirstName: "Grace", Phones: []connectors.Phone{{Raw: n, E164: n}}})
		start := time.Now()
		for !d.Lookup(ctx, n).Found {
			time.Sleep(time.Millisecond) // the measurement's resolution
		}
		took := time.Since(start)
		worst, total = max(worst, took), total+took
	}
	b.StopTimer()
	if st := d.Stats()[0]; st.Builds != builds || st.Records != benchRecords+b.N {
		b.Fatalf("after the changes: %d rebuilds, %d records; want none, %d", st.Builds-builds, st.Records, benchRecords+b.N)
	}
	b.ReportMetric(float64(total.Milliseconds())/float64(b.N), "freshness-ms-mean")
	b.ReportMetric(float64(worst.Milliseconds()), "freshness-ms-max")
}
