package hubspot

import (
	"sync"
	"testing"

	"github.com/switchboard-hq/switchboard/connectors"
	"github.com/switchboard-hq/switchboard/connectors/connectortest"
	"github.com/switchboard-hq/switchboard/connectors/hubspot/hubspottest"
)

// TestConformance runs the contract's conformance suite over the plugin
// wire against a fake HubSpot seeded with the suite's dataset, with both
// writes on (writeBlock: search_lag 0s, the fake's search lag being 0 too)
// and the log key's call property defined.
func TestConformance(t *testing.T) {
	var mu sync.Mutex
	fakes := map[string]*hubspottest.Server{} // by config block
	fakeFor := func(t testing.TB, config []byte) *hubspottest.Server {
		t.Helper()
		mu.Lock()
		defer mu.Unlock()
		s := fakes[string(config)]
		if s == nil {
			t.Fatal("no fake HubSpot for this config")
		}
		return s
	}
	connectortest.Run(t, connectortest.Suite{
		New: func() connectors.Connector { return New(nil) },
		Fixture: func(t testing.TB, data *connectortest.Records) []byte {
			s := newFake(t, unlimited) // SearchLag 0: search sees every write at once
			if err := seedDataset(s, data); err != nil {
				t.Fatalf("seeding the fake HubSpot: %v", err)
			}
			s.DefineCallProperty(DefaultKeyProperty)
			block := blockFor(s, writeBlock)
			mu.Lock()
			fakes[string(block)] = s
			mu.Unlock()
			return block
		},
		Stall: func(t testing.TB, config []byte) func() {
			return fakeFor(t, config).Stall()
		},
		CountLogs: func(t testing.TB, config []byte, key string) int {
			return fakeFor(t, config).CountCalls(DefaultKeyProperty, key)
		},
		MaxPageSize: MaxPageSize,
		BadConfigs: []connectortest.BadConfig{
			{Name: "no token", Config: []byte("base_url: http://127.0.0.1:9\n"), Path: "token"},
			{Name: "base_url not http", Config: []byte("token: x\nbase_url: ftp://example.com\n"), Path: "base_url"},
			{Name: "page_size over HubSpot's cap", Config: []byte("token: x\npage_size: 500\n"), Path: "page_size"},
			{Name: "unknown field type", Config: []byte("token: x\nfields:\n  balance: {property: balance, type: money}\n"), Path: "fields.balance.type"},
			{Name: "search rate 0", Config: []byte("token: x\nrate_limit:\n  search_per_second: 0\n"), Path: "rate_limit.search_per_second"},
		},
	})
}
