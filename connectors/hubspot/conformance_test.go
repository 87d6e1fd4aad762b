package hubspot

import (
	"bytes"
	"sync"
	"testing"

	"github.com/switchboard-hq/switchboard/connectors"
	"github.com/switchboard-hq/switchboard/connectors/connectortest"
	"github.com/switchboard-hq/switchboard/connectors/hubspot/hubspottest"
)

// TestConformance runs the contract's conformance suite over the plugin
// wire against a fake HubSpot seeded with the suite's dataset.
func TestConformance(t *testing.T) {
	var mu sync.Mutex
	fakes := map[string]*hubspottest.Server{} // by config block
	connectortest.Run(t, connectortest.Suite{
		New: func() connectors.Connector { return New(nil) },
		Fixture: func(t testing.TB, data *connectortest.Records) []byte {
			s := newFake(t, unlimited)
			if err := seedDataset(s, data); err != nil {
				t.Fatalf("seeding the fake HubSpot: %v", err)
			}
			block := blockFor(s, "")
			mu.Lock()
			fakes[string(block)] = s
			mu.Unlock()
			return block
		},
		Stall: func(t testing.TB, config []byte) func() {
			mu.Lock()
			defer mu.Unlock()
			for block, s := range fakes {
				if bytes.Equal([]byte(block), config) {
					return s.Stall()
				}
			}
			t.Fatal("Stall: no fake HubSpot for this config")
			return nil
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
