package hubspot

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/switchboard-hq/switchboard/connectors"
	"github.com/switchboard-hq/switchboard/connectors/connectortest"
	"github.com/switchboard-hq/switchboard/connectors/fakeapi"
	"github.com/switchboard-hq/switchboard/connectors/hubspot/hubspottest"
)

const testToken = "pat-na1-11111111-2222-3333-4444-555555555555"

// unlimited turns the fake's rate limits off.
var unlimited = hubspottest.Options{
	Token: testToken, Region: "GB",
	TenSecondLimit: hubspottest.Unlimited, SearchPerSecond: hubspottest.Unlimited, DailyLimit: hubspottest.Unlimited,
}

// newFake starts a fake HubSpot closed when the test ends.
func newFake(t testing.TB, opts hubspottest.Options) *hubspottest.Server {
	t.Helper()
	s := hubspottest.NewServer(opts)
	t.Cleanup(s.Close)
	return s
}

// seedDataset stores a connectortest dataset in the fake (hubspottest's
// SeedRecords).
func seedDataset(s *hubspottest.Server, data *connectortest.Records) error {
	return s.SeedRecords(data)
}

// blockFor is a config block for the fake with the client-side limits
// raised out of the way.
func blockFor(s *hubspottest.Server, extra string) []byte {
	return []byte(fmt.Sprintf("base_url: %s\ntoken: %s\nrate_limit: {requests_per_10s: 1000, search_per_second: 100}\n%s",
		s.URL(), testToken, extra))
}

// fakeClock is a clock whose sleeps advance it at once.
type fakeClock = fakeapi.Clock

func newFakeClock() *fakeClock { return fakeapi.NewClock(time.Now()) }

// syncBuffer is a goroutine-safe log sink.
type syncBuffer = connectortest.SyncBuffer

// configured returns a connector configured with block, on clk (nil: real
// time), logging at trace level into logs (may be nil).
func configured(t testing.TB, block []byte, clk *fakeClock, logs *syncBuffer) *Connector {
	t.Helper()
	var logger hclog.Logger
	if logs != nil {
		logger = hclog.New(&hclog.LoggerOptions{Output: logs, Level: hclog.Trace})
	}
	cl := realClock
	if clk != nil {
		cl = clock{now: clk.Now, sleep: clk.Sleep}
	}
	c := newConnector(logger, cl)
	resp, err := c.Configure(context.Background(), &connectors.ConfigureRequest{Config: block, DefaultRegion: "GB"})
	if err != nil {
		t.Fatalf("Configure: %v", err)
	}
	for _, p := range resp.Problems {
		t.Fatalf("Configure: problem at %q: %s", p.Path, p.Message)
	}
	return c
}

// ctx returns a context that ends with the test or after 10s.
func ctx(t testing.TB) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return c
}
