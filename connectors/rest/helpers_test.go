package rest

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/switchboard-hq/switchboard/connectors"
	"github.com/switchboard-hq/switchboard/connectors/connectortest"
	"github.com/switchboard-hq/switchboard/connectors/hubspot/hubspottest"
	"github.com/switchboard-hq/switchboard/connectors/rest/pipedrivetest"
	"github.com/switchboard-hq/switchboard/connectors/rest/resttest"
)

// exampleBlock reads the config block of the first connector of a file in
// configs/ (resttest.ExampleBlock).
func exampleBlock(t testing.TB, file string, env map[string]string) []byte {
	t.Helper()
	return resttest.ExampleBlock(t, "../../configs/"+file, env)
}

// owner turns a dataset owner ("u-17") into a Pipedrive user id (17).
func owner(t testing.TB, s string) int {
	if s == "" {
		return 0
	}
	n, err := strconv.Atoi(strings.TrimPrefix(s, "u-"))
	if err != nil {
		t.Fatalf("dataset owner %q", s)
	}
	return n
}

// seedPipedrive stores a connectortest dataset the way a Pipedrive company
// holds it: organizations, and persons with their phone in a "work" phone
// and their mobile in a "mobile" one, the raw text as given.
func seedPipedrive(t testing.TB, s *pipedrivetest.Server, data *connectortest.Records) {
	for _, co := range data.Companies {
		id, _ := strconv.Atoi(co.ID)
		s.AddOrganization(pipedrivetest.Organization{ID: id, Name: co.Name, AddTime: co.UpdatedAt, UpdateTime: co.UpdatedAt})
	}
	for i := range data.Contacts {
		c := &data.Contacts[i]
		id, _ := strconv.Atoi(c.ID)
		org, _ := strconv.Atoi(c.CompanyID)
		p := pipedrivetest.Person{ID: id, FirstName: c.FirstName, LastName: c.LastName, OrgID: org,
			OwnerID: owner(t, c.OwnerID), AddTime: c.UpdatedAt, UpdateTime: c.UpdatedAt}
		for _, ph := range c.Phones {
			label := "work"
			if ph.Label == connectortest.LabelMobile {
				label = "mobile"
			}
			p.Phones = append(p.Phones, pipedrivetest.Phone{Value: ph.Raw, Label: label, Primary: len(p.Phones) == 0})
		}
		for j, e := range c.Emails {
			p.Emails = append(p.Emails, pipedrivetest.Email{Value: e, Primary: j == 0, Label: "work"})
		}
		for name, v := range c.Fields { // the key dataset's, as custom fields
			if text, ok := v.(string); ok {
				if p.CustomFields == nil {
					p.CustomFields = map[string]string{}
				}
				p.CustomFields[pipedriveFieldKeys[name]] = text
			}
		}
		s.AddPerson(p)
	}
}

// stallGate puts a switch in front of a handler: while stalled, requests
// wait until released (or their client gives up).
type stallGate struct {
	h  http.Handler
	mu sync.Mutex
	ch chan struct{} // nil: not stalled
}

func (g *stallGate) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	g.mu.Lock()
	ch := g.ch
	g.mu.Unlock()
	if ch != nil {
		select {
		case <-ch:
		case <-r.Context().Done():
			return
		}
	}
	g.h.ServeHTTP(w, r)
}

func (g *stallGate) stall() (release func()) {
	g.mu.Lock()
	defer g.mu.Unlock()
	ch := make(chan struct{})
	g.ch = ch
	var once sync.Once
	return func() {
		once.Do(func() {
			g.mu.Lock()
			g.ch = nil
			g.mu.Unlock()
			close(ch)
		})
	}
}

// pdFake is a fake Pipedrive behind a stall gate.
type pdFake struct {
	*pipedrivetest.Server
	gate *stallGate
	url  string
}

// newPipedrive starts a fake Pipedrive (rate limits off unless opts sets
// them) behind a stall gate; both close with the test.
func newPipedrive(t testing.TB, opts pipedrivetest.Options) *pdFake {
	t.Helper()
	if opts.RateLimit == 0 {
		opts.RateLimit = pipedrivetest.Unlimited
	}
	if opts.DailyBudget == 0 {
		opts.DailyBudget = pipedrivetest.Unlimited
	}
	if opts.Logger == nil {
		opts.Logger = hclog.NewNullLogger()
	}
	s := pipedrivetest.NewServer(opts)
	t.Cleanup(s.Close)
	g := &stallGate{h: s.Handler()}
	hs := httptest.NewServer(g)
	t.Cleanup(hs.Close)
	return &pdFake{Server: s, gate: g, url: hs.URL}
}

// pipedriveEnv resolves configs/rest-pipedrive.yaml for a fake.
func pipedriveEnv(url string) map[string]string {
	return map[string]string{"PD_BASE_URL": url, "PD_TOKEN": pipedrivetest.DefaultAPIToken, "PD_OWNER_PREFIX": "u-"}
}

const hubspotToken = "pat-na1-rest-connector-test"

// newHubSpot starts a fake HubSpot with its limits off, reading numbers in
// GB; it closes with the test.
func newHubSpot(t testing.TB) *hubspottest.Server {
	t.Helper()
	s := hubspottest.NewServer(hubspottest.Options{
		Token: hubspotToken, Region: "GB", Logger: hclog.NewNullLogger(),
		TenSecondLimit: hubspottest.Unlimited, SearchPerSecond: hubspottest.Unlimited, DailyLimit: hubspottest.Unlimited,
	})
	t.Cleanup(s.Close)
	return s
}

// seedHubSpot stores a dataset as the hubspot connector's tests do.
func seedHubSpot(s *hubspottest.Server, data *connectortest.Records) error {
	return s.SeedRecords(data)
}

func hubspotEnv(url string) map[string]string {
	return map[string]string{"HUBSPOT_BASE_URL": url, "HUBSPOT_TOKEN": hubspotToken}
}

// configured returns a connector configured with block, on clk (nil: real
// time).
func configured(t testing.TB, block []byte, clk *pipedrivetest.Clock) *Connector {
	t.Helper()
	cl := realClock
	if clk != nil {
		cl = clock{now: clk.Now, sleep: clk.Sleep}
	}
	c := newConnector(nil, cl)
	resp, err := c.Configure(context.Background(), &connectors.ConfigureRequest{Config: block, DefaultRegion: "GB"})
	if err != nil {
		t.Fatalf("Configure: %v", err)
	}
	if len(resp.Problems) > 0 {
		t.Fatalf("Configure:\n%v\nblock:\n%s", resp.Problems, block)
	}
	return c
}

// ctx returns a context that ends with the test or after 10s.
func ctx(t testing.TB) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return c
}
