package rest

import (
	"sync"
	"testing"

	"github.com/switchboard-hq/switchboard/connectors"
	"github.com/switchboard-hq/switchboard/connectors/connectortest"
	"github.com/switchboard-hq/switchboard/connectors/hubspot/hubspottest"
	"github.com/switchboard-hq/switchboard/connectors/rest/pipedrivetest"
)

// badConfigs are blocks every shape must reject, with the path of the
// problem.
var badConfigs = []connectortest.BadConfig{
	{Name: "no base_url", Config: []byte("contacts: {path: /p, results: data, paging: {style: none}, map: {id: id, name: name}}\n"), Path: "base_url"},
	{Name: "bad template", Config: []byte("base_url: http://127.0.0.1:9\nlookup:\n  - {path: /s, query: {term: '{{.E164'}, results: data, map: {id: id, name: n}}\n"), Path: "lookup.0.query.term"},
	{Name: "unknown variable", Config: []byte("base_url: http://127.0.0.1:9\nlookup:\n  - {path: /s, query: {term: '{{.Phone}}'}, results: data, map: {id: id, name: n}}\n"), Path: "lookup.0.query.term"},
	{Name: "bad gjson path", Config: []byte("base_url: http://127.0.0.1:9\ncontacts: {path: /p, results: 'data[', paging: {style: none}, map: {id: id, name: name}}\n"), Path: "contacts.results"},
	{Name: "unknown paging style", Config: []byte("base_url: http://127.0.0.1:9\ncontacts: {path: /p, results: data, paging: {style: cursors}, map: {id: id, name: name}}\n"), Path: "contacts.paging.style"},
	{Name: "two auths", Config: []byte("base_url: http://127.0.0.1:9\nauth: {bearer: {token: x}, basic: {username: a, password: b}}\ncontacts: {path: /p, results: data, paging: {style: none}, map: {id: id, name: name}}\n"), Path: "auth"},
}

// TestConformancePipedrive runs the conformance suite over the plugin wire
// against the fake Pipedrive-like API seeded with the suite's dataset,
// configured with configs/rest-pipedrive.yaml pointed at the fake.
func TestConformancePipedrive(t *testing.T) {
	var mu sync.Mutex
	fakes := map[string]*pdFake{}
	connectortest.Run(t, connectortest.Suite{
		New:       func() connectors.Connector { return New(nil) },
		NewLogged: New,
		Fixture: func(t testing.TB, data *connectortest.Records) []byte {
			// The contract is checked here with the API's short rate
			// windows off: under a loaded -race run, waiting out 2 s
			// windows pushed the 5 MB page past the suite's deadline.
			// The windows and the daily budget have tests of their own
			// (Test429, TestRateWindow, TestDailyBudget).
			s := newPipedrive(t, pipedrivetest.Options{RateLimit: pipedrivetest.Unlimited})
			seedPipedrive(t, s.Server, data)
			// With lookups by key (the key dataset's fields, e-mail
			// addresses, ids), for every dataset.
			block := pipedriveKeyLookups(t, exampleBlock(t, "rest-pipedrive.yaml", pipedriveEnv(s.url)))
			mu.Lock()
			fakes[string(block)] = s
			mu.Unlock()
			return block
		},
		Stall: func(t testing.TB, config []byte) func() {
			mu.Lock()
			defer mu.Unlock()
			return fakes[string(config)].gate.stall()
		},
		MaxPageSize: 500,
		BadConfigs:  badConfigs,
	})
}

// TestConformanceHubSpot runs the suite against the fake HubSpot
// (connectors/hubspot/hubspottest) with configs/rest-hubspot.yaml: a POST
// search with a JSON body template, cursor paging at paging.next.after.
func TestConformanceHubSpot(t *testing.T) {
	var mu sync.Mutex
	fakes := map[string]*hubspottest.Server{}
	connectortest.Run(t, connectortest.Suite{
		New:       func() connectors.Connector { return New(nil) },
		NewLogged: New,
		Fixture: func(t testing.TB, data *connectortest.Records) []byte {
			s := newHubSpot(t)
			if err := seedHubSpot(s, data); err != nil {
				t.Fatalf("seeding the fake HubSpot: %v", err)
			}
			block := hubspotKeyLookups(t, exampleBlock(t, "rest-hubspot.yaml", hubspotEnv(s.URL())))
			mu.Lock()
			fakes[string(block)] = s
			mu.Unlock()
			return block
		},
		Stall: func(t testing.TB, config []byte) func() {
			mu.Lock()
			defer mu.Unlock()
			return fakes[string(config)].Stall()
		},
		MaxPageSize: 100,
		BadConfigs:  badConfigs,
	})
}
