package crmsync_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	stdsync "sync"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	"golang.org/x/time/rate"

	"github.com/switchboard-hq/switchboard/connectors"
	"github.com/switchboard-hq/switchboard/connectors/phone"
	"github.com/switchboard-hq/switchboard/connectors/postgres/pgtest"
	"github.com/switchboard-hq/switchboard/core/crmsync"
	"github.com/switchboard-hq/switchboard/core/fakehipcall"
	"github.com/switchboard-hq/switchboard/core/hipcall"
	"github.com/switchboard-hq/switchboard/core/store"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

const token = "tok"

// crm is an in-memory connector whose records tests change between runs.
type crm struct {
	mu        stdsync.Mutex
	companies []connectors.Company
	contacts  []connectors.Contact
}

func (c *crm) Describe(context.Context, *connectors.DescribeRequest) (*connectors.DescribeResponse, error) {
	return &connectors.DescribeResponse{Name: "mem", Capabilities: []connectors.Capability{connectors.CapListCompanies, connectors.CapListContacts}}, nil
}
func (c *crm) Configure(context.Context, *connectors.ConfigureRequest) (*connectors.ConfigureResponse, error) {
	return &connectors.ConfigureResponse{}, nil
}
func (c *crm) Check(context.Context, *connectors.CheckRequest) (*connectors.CheckResponse, error) {
	return &connectors.CheckResponse{}, nil
}
func (c *crm) LookupByPhone(context.Context, *connectors.LookupRequest) (*connectors.LookupResponse, error) {
	return &connectors.LookupResponse{}, nil
}

// page pages items by a numeric cursor, 7 at a time, to exercise paging.
func page[T any](items []T, cursor string) ([]T, string) {
	start := 0
	fmt.Sscan(cursor, &start)
	end := min(start+7, len(items))
	next := ""
	if end < len(items) {
		next = fmt.Sprint(end)
	}
	return slices.Clone(items[start:end]), next
}

func (c *crm) ListCompanies(_ context.Context, req *connectors.ListRequest) (*connectors.ListCompaniesResponse, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	items, next := page(c.companies, req.Cursor)
	return &connectors.ListCompaniesResponse{Companies: items, NextCursor: next}, nil
}

func (c *crm) ListContacts(_ context.Context, req *connectors.ListRequest) (*connectors.ListContactsResponse, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	items, next := page(c.contacts, req.Cursor)
	return &connectors.ListContactsResponse{Contacts: items, NextCursor: next}, nil
}

func (c *crm) contact(id string) *connectors.Contact {
	for i := range c.contacts {
		if c.contacts[i].ID == id {
			return &c.contacts[i]
		}
	}
	return nil
}

// newCRM makes nCompanies companies and nContacts contacts spread over
// them, each contact with a phone and an email.
func newCRM(nCompanies, nContacts int) *crm {
	c := &crm{}
	for i := range nCompanies {
		c.companies = append(c.companies, connectors.Company{
			ID:      fmt.Sprintf("CO-%d", i+1),
			Name:    fmt.Sprintf("Company %d Ltd", i+1),
			Website: fmt.Sprintf("https://co%d.example", i+1),
			Phones:  []connectors.Phone{{Raw: fmt.Sprintf("020 7946 %04d", i%10000)}},
		})
	}
	for i := range nContacts {
		co := ""
		if nCompanies > 0 {
			co = fmt.Sprintf("CO-%d", i%nCompanies+1)
		}
		c.contacts = append(c.contacts, connectors.Contact{
			ID:        fmt.Sprintf("C%04d", i+1),
			FirstName: fmt.Sprintf("First%d", i+1),
			LastName:  "Last",
			CompanyID: co,
			JobTitle:  "Engineer",
			Phones:    []connectors.Phone{{Raw: fmt.Sprintf("07911 1%05d", i%100000)}},
			Emails:    []string{fmt.Sprintf("c%d@example.com", i+1)},
			OwnerID:   "u-17",
		})
	}
	return c
}

// env is a fake Hipcall, a client, a state store and an engine factory.
type testEnv struct {
	t      *testing.T
	fake   *fakehipcall.Server
	url    string
	client *hipcall.Client
	store  store.Store
	crm    *crm
	parser *phone.Parser
	logs   *strings.Builder
	logMu  *stdsync.Mutex
}

type envOptions struct {
	fake     fakehipcall.Options
	client   hipcall.Options
	postgres bool
	// wrap wraps the fake's handler (to act between requests).
	wrap func(http.Handler) http.Handler
	// anyToken makes the fake accept any token (token rotation).
	anyToken bool
}

func newEnv(t *testing.T, c *crm, o envOptions) *testEnv {
	t.Helper()
	if o.fake.RateLimit == 0 {
		o.fake.RateLimit = fakehipcall.Unlimited
	}
	o.fake.Token = token
	if o.anyToken {
		o.fake.Token = ""
	}
	fake := fakehipcall.New(o.fake)
	var h http.Handler = fake.Handler()
	if o.wrap != nil {
		h = o.wrap(h)
	}
	hs := httptest.NewServer(h)
	t.Cleanup(hs.Close)
	t.Cleanup(fake.Close)
	e := &testEnv{t: t, fake: fake, url: hs.URL + fakehipcall.PathPrefix, crm: c, logs: &strings.Builder{}, logMu: &stdsync.Mutex{}}
	e.client = e.newClient(o.client)
	var err error
	if o.postgres {
		e.store, err = store.OpenPostgres(context.Background(), pgtest.NewDatabase(t))
	} else {
		e.store, err = store.OpenSQLite(context.Background(), filepath.Join(t.TempDir(), "state.db"))
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.store.Close() })
	e.parser, err = phone.NewParser("GB")
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func (e *testEnv) newClient(o hipcall.Options) *hipcall.Client {
	e.t.Helper()
	o.BaseURL = e.url
	if o.Token == "" {
		o.Token = token
	}
	if o.RateLimit == 0 {
		o.RateLimit = rate.Inf
	}
	if o.RetryWaitMin == 0 {
		o.RetryWaitMin, o.RetryWaitMax = time.Millisecond, 5*time.Millisecond
	}
	c, err := hipcall.New(o)
	if err != nil {
		e.t.Fatal(err)
	}
	return c
}

type syncWriter struct {
	mu *stdsync.Mutex
	b  *strings.Builder
}

func (w syncWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

func (e *testEnv) engine(mod ...func(*crmsync.Options)) *crmsync.Engine {
	e.t.Helper()
	opts := crmsync.Options{
		Client:    e.client,
		Store:     e.store,
		Sources:   []crmsync.Source{{Name: "mem", Connector: e.crm}},
		Parser:    e.parser,
		Companies: crmsync.ResourceOptions{Enabled: true},
		Contacts:  crmsync.ResourceOptions{Enabled: true},
		Owners:    map[string]int64{"u-17": 42},
		Logger:    hclog.New(&hclog.LoggerOptions{Output: syncWriter{e.logMu, e.logs}, Level: hclog.Debug}),
	}
	for _, m := range mod {
		m(&opts)
	}
	eng, err := crmsync.New(opts)
	if err != nil {
		e.t.Fatal(err)
	}
	return eng
}

// run runs a sync and returns its summary and the requests it made, by
// route.
func (e *testEnv) run(eng *crmsync.Engine, ro crmsync.RunOptions) (*crmsync.Summary, map[string]int) {
	e.t.Helper()
	e.fake.ResetRequests()
	sum, err := eng.Run(context.Background(), ro)
	if err != nil {
		e.t.Fatalf("Run: %v\nlogs:\n%s", err, e.logText())
	}
	return sum, e.fake.Counts()
}

func (e *testEnv) logText() string {
	e.logMu.Lock()
	defer e.logMu.Unlock()
	return e.logs.String()
}

// writes counts the write requests among counts.
func writes(counts map[string]int) int {
	n := 0
	for route, c := range counts {
		if !strings.HasPrefix(route, "GET ") {
			n += c
		}
	}
	return n
}

// checkMirror checks that Hipcall holds exactly one record per CRM record,
// with its fields.
func (e *testEnv) checkMirror() {
	e.t.Helper()
	companies := e.fake.Companies()
	byExt := map[string]hipcall.Company{}
	for _, c := range companies {
		if c.ExternalID == nil {
			continue
		}
		if _, dup := byExt[*c.ExternalID]; dup {
			e.t.Errorf("duplicate company with external_id %q in Hipcall", *c.ExternalID)
		}
		byExt[*c.ExternalID] = c
	}
	for _, want := range e.crm.companies {
		got, ok := byExt[want.ID]
		if !ok {
			e.t.Errorf("company %s missing from Hipcall", want.ID)
			continue
		}
		if got.Name != want.Name || got.WebsiteURL != want.Website {
			e.t.Errorf("company %s in Hipcall = %q %q, want %q %q", want.ID, got.Name, got.WebsiteURL, want.Name, want.Website)
		}
	}
	if len(byExt) != len(e.crm.companies) {
		e.t.Errorf("Hipcall has %d companies with an external id, the CRM %d", len(byExt), len(e.crm.companies))
	}
	contacts := e.fake.Contacts()
	cByExt := map[string]hipcall.Contact{}
	for _, c := range contacts {
		if c.ExternalID == nil {
			continue
		}
		if _, dup := cByExt[*c.ExternalID]; dup {
			e.t.Errorf("duplicate contact with external_id %q in Hipcall", *c.ExternalID)
		}
		cByExt[*c.ExternalID] = c
	}
	for _, want := range e.crm.contacts {
		got, ok := cByExt[want.ID]
		if !ok {
			e.t.Errorf("contact %s missing from Hipcall", want.ID)
			continue
		}
		if got.FirstName != want.FirstName || got.JobTitle != want.JobTitle {
			e.t.Errorf("contact %s in Hipcall = %q %q, want %q %q", want.ID, got.FirstName, got.JobTitle, want.FirstName, want.JobTitle)
		}
		if want.CompanyID != "" {
			co := byExt[want.CompanyID]
			if got.CompanyID == nil || *got.CompanyID != co.ID {
				e.t.Errorf("contact %s company_id = %v, want %d (%s)", want.ID, got.CompanyID, co.ID, want.CompanyID)
			}
		}
		if len(got.Phones) != len(want.Phones) || len(got.Emails) != len(want.Emails) {
			e.t.Errorf("contact %s has %d phones and %d emails in Hipcall, want %d and %d", want.ID, len(got.Phones), len(got.Emails), len(want.Phones), len(want.Emails))
		}
	}
	if len(cByExt) != len(e.crm.contacts) {
		e.t.Errorf("Hipcall has %d contacts with an external id, the CRM %d", len(cByExt), len(e.crm.contacts))
	}
}
