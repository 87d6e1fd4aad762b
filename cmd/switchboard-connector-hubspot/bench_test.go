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
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/switchboard-hq/switchboard/cmd/internal/pluginbench"
	"github.com/switchboard-hq/switchboard/connectors"
	"github.com/switchboard-hq/switchboard/connectors/hubspot/hubspottest"
	"github.com/switchboard-hq/switchboard/connectors/phone"
	"github.com/switchboard-hq/switchboard/core/directory"
)

const (
	benchContacts  = 100_000
	benchCompanies = 1_000
	benchToken     = "pat-bench-0000"
)

func TestMain(m *testing.M) {
	code := m.Run()
	pluginbench.RemoveBuilds()
	os.Exit(code)
}

var (
	setupMu sync.Mutex
	fake    *hubspottest.Server
)

// account returns the fake HubSpot holding the synthetic account, seeded
// once per test binary: 1,000 companies and 100,000 contacts, each with
// one national-format phone (pluginbench.Number) and its primary company.
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
		n := pluginbench.Number(i + 1)
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
	block := fmt.Sprintf("base_url: %s\ntoken: %s\nrate_limit: {requests_per_10s: 100000, search_per_second: 10000}\n", s.URL(), benchToken)
	return pluginbench.StartPlugin(b, ".", "hubspot", []byte(block))
}

// BenchmarkHubSpotLookupLive is one live LookupByPhone, host to plugin
// process to (fake) HubSpot search and back, over 100,000 contacts: the
// latency a ring served by mode: live adds besides HubSpot's own.
func BenchmarkHubSpotLookupLive(b *testing.B) {
	pluginbench.BenchLookups(b, plugin(b, account(b)), benchContacts)
}

// BenchmarkHubSpotLookupLiveParallel is the same under concurrent rings.
func BenchmarkHubSpotLookupLiveParallel(b *testing.B) {
	body := pluginbench.ParallelLookups(b, plugin(b, account(b)), benchContacts)
	b.RunParallel(func(pb *testing.PB) { body(pb.Next) })
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
