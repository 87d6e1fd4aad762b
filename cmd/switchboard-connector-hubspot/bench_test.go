package main

// Benchmarks of the HubSpot connector as the host uses it: the real plugin
// binary, launched and called through plugins/manager over gRPC, against
// the fake HubSpot (connectors/hubspot/hubspottest) on 127.0.0.1 holding
// 100,000 contacts. `make bench` runs them:
//
//	go test -run '^$' -bench HubSpot -benchtime=2s ./cmd/switchboard-connector-hubspot
//
// The fake answers in microseconds and its rate limits are off, so the
// figures are the connector's, the plugin wire's and the host's own cost;
// against HubSpot itself a search or a list page adds its network round
// trip, and the rate limits bound an index build (see docs/benchmarks.md).

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/switchboard-hq/switchboard/cmd/internal/benchstat"
	"github.com/switchboard-hq/switchboard/connectors"
	"github.com/switchboard-hq/switchboard/connectors/hubspot/hubspottest"
	"github.com/switchboard-hq/switchboard/core/directory"
	"github.com/switchboard-hq/switchboard/core/phone"
	"github.com/switchboard-hq/switchboard/plugins/manager"
)

const (
	benchContacts  = 100_000
	benchCompanies = 1_000
	benchToken     = "pat-bench-0000"
)

func TestMain(m *testing.M) {
	code := m.Run()
	if pluginDir != "" {
		os.RemoveAll(pluginDir)
	}
	os.Exit(code)
}

// benchNumber is the i-th synthetic contact's number: UK mobiles
// +447900000001 up, stored nationally as "07900 000001".
func benchNumber(i int) string { return fmt.Sprintf("+4479%08d", i) }

var (
	setupMu   sync.Mutex
	fake      *hubspottest.Server
	pluginDir string
)

// account returns the fake HubSpot holding the synthetic account, seeded
// once per test binary: 1,000 companies and 100,000 contacts, each with
// one national-format phone and its primary company.
func account(b *testing.B) *hubspottest.Server {
	b.Helper()
	setupMu.Lock()
	defer setupMu.Unlock()
	if fake != nil {
		return fake
	}
	s := hubspottest.NewServer(hubspottest.Options{
		Token: benchToken, Region: "GB", Logger: hclog.NewNullLogger(),
		TenSecondLimit: hubspottest.Unlimited, SearchPerSecond: hubspottest.Unlimited, DailyLimit: hubspottest.Unlimited,
	})
	start := time.Now()
	companies := make([]hubspottest.Object, benchCompanies)
	for i := range companies {
		companies[i] = hubspottest.Object{ID: fmt.Sprint(1_000_000 + i), Properties: map[string]string{
			"name": fmt.Sprintf("Company %d", i), "domain": fmt.Sprintf("c%d.example", i)}}
	}
	if err := s.Put(hubspottest.Companies, companies...); err != nil {
		b.Fatal(err)
	}
	contacts := make([]hubspottest.Object, benchContacts)
	for i := range contacts {
		n := benchNumber(i + 1)
		contacts[i] = hubspottest.Object{ID: fmt.Sprint(i + 1), Properties: map[string]string{
			"firstname": fmt.Sprintf("First%d", i+1), "lastname": "Last", "email": fmt.Sprintf("c%d@example.com", i+1),
			"phone": "0" + n[3:7] + " " + n[7:], "company": fmt.Sprintf("Company %d", i/100), "hubspot_owner_id": "77",
		}, Companies: []string{fmt.Sprint(1_000_000 + i/100)}}
	}
	if err := s.Put(hubspottest.Contacts, contacts...); err != nil {
		b.Fatal(err)
	}
	b.Logf("seeded the fake HubSpot with %d contacts and %d companies in %v", benchContacts, benchCompanies, time.Since(start).Round(time.Millisecond))
	fake = s
	return s
}

// plugin starts the real plugin binary for the fake through a manager, as
// the host does, with the client-side rate limits raised out of the way;
// both go when the benchmark ends.
func plugin(b *testing.B, s *hubspottest.Server) connectors.Connector {
	b.Helper()
	setupMu.Lock()
	if pluginDir == "" {
		dir, err := os.MkdirTemp("", "switchboard-hubspot-bench-")
		if err != nil {
			b.Fatal(err)
		}
		cmd := exec.Command("go", "build", "-o", filepath.Join(dir, manager.BinaryName("hubspot")), ".")
		if out, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("building the plugin: %v\n%s", err, out)
		}
		pluginDir = dir
	}
	setupMu.Unlock()
	m := manager.New(manager.Options{Dir: pluginDir, Logger: hclog.NewNullLogger(), StartTimeout: time.Minute})
	b.Cleanup(m.Shutdown)
	block := fmt.Sprintf("base_url: %s\ntoken: %s\nrate_limit: {requests_per_10s: 100000, search_per_second: 10000}\n", s.URL(), benchToken)
	p, err := m.Start(context.Background(), manager.Spec{
		Name: "bench", Plugin: "hubspot", Config: []byte(block), DefaultRegion: "GB",
	})
	if err != nil {
		b.Fatalf("starting the plugin: %v", err)
	}
	return p
}

func lookupRequest(i int) *connectors.LookupRequest {
	n := benchNumber(i)
	return &connectors.LookupRequest{E164: n, National: n[3:], Limit: 10}
}

// BenchmarkHubSpotLookupLive is one live LookupByPhone, host to plugin
// process to (fake) HubSpot search and back, over 100,000 contacts: the
// latency a ring served by mode: live adds besides HubSpot's own.
func BenchmarkHubSpotLookupLive(b *testing.B) {
	c := plugin(b, account(b))
	ctx := context.Background()
	if resp, err := c.LookupByPhone(ctx, lookupRequest(4242)); err != nil || len(resp.Matches) != 1 {
		b.Fatalf("lookup: %+v %v", resp, err)
	}
	var took []time.Duration
	i := 0
	for b.Loop() {
		i = (i + 7919) % benchContacts
		start := time.Now()
		resp, err := c.LookupByPhone(ctx, lookupRequest(i+1))
		took = append(took, time.Since(start))
		if err != nil || len(resp.Matches) != 1 {
			b.Fatalf("lookup %d: %+v %v", i+1, resp, err)
		}
	}
	benchstat.ReportPercentiles(b, took)
}

// BenchmarkHubSpotLookupLiveParallel is the same under concurrent rings.
func BenchmarkHubSpotLookupLiveParallel(b *testing.B) {
	c := plugin(b, account(b))
	var seq atomic.Int64
	b.RunParallel(func(pb *testing.PB) {
		ctx := context.Background()
		for pb.Next() {
			i := int(seq.Add(7919) % benchContacts)
			resp, err := c.LookupByPhone(ctx, lookupRequest(i+1))
			if err != nil || len(resp.Matches) != 1 {
				b.Errorf("lookup %d: %+v %v", i+1, resp, err)
				return
			}
		}
	})
}

// BenchmarkHubSpotIndexBuild100k builds the host's index
// (directory.BuildIndex) from the plugin's ListContacts and ListCompanies
// over 100,000 contacts and 1,000 companies, 100 a page (HubSpot's cap):
// 1,010 list requests, the start-up and refresh cost of mode: index.
func BenchmarkHubSpotIndexBuild100k(b *testing.B) {
	s := account(b)
	c := plugin(b, s)
	parser, err := phone.NewParser("GB")
	if err != nil {
		b.Fatal(err)
	}
	before := s.Count(hubspottest.RouteList)
	builds := 0
	for b.Loop() {
		ix, err := directory.BuildIndex(context.Background(), c, directory.IndexOptions{Parser: parser})
		if err != nil {
			b.Fatal(err)
		}
		if ix.Len() != benchContacts+benchCompanies || ix.Phones() != benchContacts {
			b.Fatalf("index of %d records, %d phones; want %d and %d", ix.Len(), ix.Phones(), benchContacts+benchCompanies, benchContacts)
		}
		builds++
	}
	b.ReportMetric(float64(benchContacts+benchCompanies), "records")
	if builds > 0 {
		b.ReportMetric(float64(s.Count(hubspottest.RouteList)-before)/float64(builds), "requests/build")
	}
}
