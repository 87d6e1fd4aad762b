package hubspot

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

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
	proxies := map[string]*faultProxy{}       // by config block
	proxyFor := func(t testing.TB, config []byte) *faultProxy {
		t.Helper()
		mu.Lock()
		defer mu.Unlock()
		return proxies[string(config)]
	}
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
		New:       func() connectors.Connector { return New(nil) },
		NewLogged: New,
		Fixture: func(t testing.TB, data *connectortest.Records) []byte {
			s := newFake(t, unlimited) // SearchLag 0: search sees every write at once
			if err := seedDataset(s, data); err != nil {
				t.Fatalf("seeding the fake HubSpot: %v", err)
			}
			s.DefineCallProperty(DefaultKeyProperty)
			p := newFaultProxy(t, s.URL())
			extra := writeBlock
			if len(data.KeyFields()) > 0 { // the key dataset's, as custom contact properties
				extra += "fields:\n  account_no: {property: account_no}\n  order_numbers: {property: order_numbers, multi: true}\n"
			}
			block := []byte(strings.Replace(string(blockFor(s, extra)), s.URL(), p.srv.URL, 1))
			mu.Lock()
			fakes[string(block)] = s
			proxies[string(block)] = p
			mu.Unlock()
			return block
		},
		// HubSpot's own answers to a refused token, a rate limit and an
		// outage, from a proxy in front of the fake.
		Faults: map[connectortest.Fault]func(testing.TB, []byte) func(){
			connectortest.FaultUnauthorized: func(t testing.TB, config []byte) func() {
				return proxyFor(t, config).fail(http.StatusUnauthorized,
					`{"status":"error","message":"Authentication credentials not found.","category":"INVALID_AUTHENTICATION"}`)
			},
			connectortest.FaultRateLimited: func(t testing.TB, config []byte) func() {
				return proxyFor(t, config).fail(http.StatusTooManyRequests,
					`{"status":"error","message":"You have reached your daily limit.","errorType":"RATE_LIMIT","policyName":"DAILY"}`)
			},
			connectortest.FaultUnavailable: func(t testing.TB, config []byte) func() {
				return proxyFor(t, config).fail(http.StatusServiceUnavailable,
					`{"status":"error","message":"Service unavailable","category":"INTERNAL_ERROR"}`)
			},
		},
		// Contacts inserted and edited between the pages of a listing.
		Mutate: func(t testing.TB, config []byte, ch connectortest.Change) {
			s := fakeFor(t, config)
			if err := seedDataset(s, &connectortest.Records{Contacts: ch.Insert}); err != nil {
				t.Fatal(err)
			}
			for _, ct := range ch.Update {
				if err := s.Update(hubspottest.Contacts, ct.ID, map[string]string{"lastname": ct.LastName}); err != nil {
					t.Fatal(err)
				}
			}
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

// faultProxy forwards to the fake HubSpot, or answers every request with
// one error while failing.
type faultProxy struct {
	srv *httptest.Server

	mu     sync.Mutex
	status int
	body   string
}

func newFaultProxy(t testing.TB, target string) *faultProxy {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	rp := httputil.NewSingleHostReverseProxy(u)
	// No pooled connections to the fake: the leak check counts the
	// process's sockets.
	rp.Transport = &http.Transport{DisableKeepAlives: true}
	p := &faultProxy{}
	p.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.mu.Lock()
		status, body := p.status, p.body
		p.mu.Unlock()
		if status == 0 {
			rp.ServeHTTP(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		if status == http.StatusTooManyRequests {
			w.Header().Set("Retry-After", fmt.Sprint(int((24 * time.Hour).Seconds())))
		}
		w.WriteHeader(status)
		fmt.Fprint(w, body)
	}))
	t.Cleanup(p.srv.Close)
	return p
}

// fail answers every request with status and body until restore.
func (p *faultProxy) fail(status int, body string) (restore func()) {
	p.mu.Lock()
	p.status, p.body = status, body
	p.mu.Unlock()
	return func() {
		p.mu.Lock()
		p.status, p.body = 0, ""
		p.mu.Unlock()
	}
}
