// Package example is the smallest complete connector: it serves the
// contacts and companies of a JSON file from memory, finds them by a key
// field, and can log calls and create contacts. It exists to be read
// (docs/writing-a-connector.md walks through it) and copied; CI keeps it
// passing the conformance suite (connectors/connectortest). The reads are
// in this file, the lookups by key in keys.go, the writes in write.go. Describe, Configure, the cursors and the ranking of matches
// come from the connector SDK (connectors/sdk).
//
// # Configuration
//
//	path: crm.json                        # required; relative to the host config's directory
//	log_file: calls.jsonl                 # optional: log calls (capability log_call)
//	new_contacts_file: new-contacts.jsonl # optional: create contacts (capability create_contact)
//
// # The file
//
// The records in the contract's own JSON form (see connectors.Contact):
//
//	{"companies": [{"id": "2001", "name": "Analytical Engines Ltd"}],
//	 "contacts":  [{"id": "1001", "first_name": "Ada", "last_name": "Lovelace",
//	                "company_id": "2001", "phones": [{"raw": "+44 20 4520 5757", "label": "phone"}],
//	                "updated_at": "2024-03-01T09:00:00Z"}]}
//
// The file is read once, at Configure; configure again to re-read it. The
// connector never writes it: the writes go to their own JSON-lines files
// (see write.go), which are read at Configure too.
//
// # Lookups by key
//
// LookupByKey (keys.go) finds the records whose field holds a value: any
// key of the records' "fields" objects ({"account_no": "AC-1001",
// "order_numbers": "ORD-7, ORD-8"}), or the standard id, email and
// external_id. Nothing to configure.
package example

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/switchboard-hq/switchboard/connectors"
	"github.com/switchboard-hq/switchboard/connectors/phone"
	"github.com/switchboard-hq/switchboard/connectors/sdk"
)

// Version is the connector's release version.
const Version = "0.1.0"

// Connector serves one JSON file. sdk.Base gives it Describe, Configure
// and Current; every read uses the data of the current configuration,
// which is never changed once stored, only replaced (by a Configure, or a
// CreateContact).
type Connector struct {
	*sdk.Base[config]
	log hclog.Logger
	// mu serialises the writes, and Configure with them: a write checks,
	// appends and remembers as one step (see write.go).
	mu sync.Mutex
}

// config is the connector's YAML block, and what Open made of it.
type config struct {
	Path            string `yaml:"path"`
	LogFile         string `yaml:"log_file"`
	NewContactsFile string `yaml:"new_contacts_file"`

	data atomic.Pointer[data] // the loaded files; CreateContact replaces it
}

// data is one loaded file: records sorted by ID, and an index of numbers.
type data struct {
	parser    *phone.Parser
	companies []connectors.Company
	contacts  []connectors.Contact
	byKey     map[string][]int // E.164 or national number → contact indexes
	keyFields map[string]bool  // every key of the records' fields (keys.go)
	// logged maps each logged call's key to its log's ID. Only the writes
	// use it, under Connector.mu.
	logged map[string]string
}

// New returns an unconfigured connector; it is what plugins.Serve wants.
func New(logger hclog.Logger) connectors.Connector {
	if logger == nil {
		logger = hclog.NewNullLogger()
	}
	c := &Connector{log: logger}
	c.Base = &sdk.Base[config]{
		Name: "example", Version: Version,
		Description: "contacts and companies from a JSON file (the example connector)",
		Capabilities: []connectors.Capability{
			connectors.CapLookup, connectors.CapListContacts, connectors.CapListCompanies, connectors.CapChangedSince,
			connectors.CapLookupByKey},
		Capable: capable, Check: check, Open: c.open,
	}
	return c
}

// capable declares the writes a block turns on: the host describes a
// connector again after configuring it.
func capable(cfg *config) (caps []connectors.Capability) {
	if cfg.LogFile != "" {
		caps = append(caps, connectors.CapLogCall)
	}
	if cfg.NewContactsFile != "" {
		caps = append(caps, connectors.CapCreateContact)
	}
	return caps
}

// check checks a decoded block (with ValidateOnly too).
func check(s *sdk.Setup, cfg *config) {
	if s.Require("path", cfg.Path, "the JSON file to serve") {
		s.ExistingFile("path", &cfg.Path)
	}
	if cfg.LogFile != "" && cfg.LogFile == cfg.NewContactsFile {
		s.Addf("new_contacts_file", "the same file as log_file: give each write its own file")
	}
	s.Resolve(&cfg.LogFile)
	s.Resolve(&cfg.NewContactsFile)
}

// Configure implements connectors.Connector: sdk.Base's, holding mu so
// that no write runs while the files are read (the new data would miss
// it).
func (c *Connector) Configure(ctx context.Context, req *connectors.ConfigureRequest) (*connectors.ConfigureResponse, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.Base.Configure(ctx, req)
}

// open reads and indexes the files; a problem names the key of the file
// that failed.
func (c *Connector) open(_ context.Context, s *sdk.Setup, cfg *config) error {
	var f struct {
		Companies []connectors.Company `json:"companies"`
		Contacts  []connectors.Contact `json:"contacts"`
	}
	if raw, err := os.ReadFile(cfg.Path); err != nil {
		s.Addf("path", "cannot read %s: %v", cfg.Path, err)
	} else if err := json.Unmarshal(raw, &f); err != nil {
		s.Addf("path", "%s is not a JSON file of companies and contacts: %v", cfg.Path, err)
	}
	if cfg.NewContactsFile != "" {
		err := readLines(cfg.NewContactsFile, func(line []byte) error {
			var ct connectors.Contact
			err := json.Unmarshal(line, &ct)
			f.Contacts = append(f.Contacts, ct)
			return err
		})
		if err != nil {
			s.Addf("new_contacts_file", "%v", err)
		}
	}
	logged := map[string]string{}
	if cfg.LogFile != "" {
		err := readLines(cfg.LogFile, func(line []byte) error {
			var l logLine
			err := json.Unmarshal(line, &l)
			if _, ok := logged[l.Key]; !ok && err == nil { // the first log of a key is the one
				logged[l.Key] = l.ID
			}
			return err
		})
		if err != nil {
			s.Addf("log_file", "%v", err)
		}
	}
	if len(s.Problems) > 0 {
		return nil
	}
	d := &data{parser: s.Parser, companies: f.Companies, logged: logged}
	sort.Slice(d.companies, func(i, j int) bool { return d.companies[i].ID < d.companies[j].ID })
	d = d.withContacts(f.Contacts...)
	cfg.data.Store(d)
	c.log.Info("loaded", "path", cfg.Path, "contacts", len(d.contacts), "companies", len(d.companies), "logged_calls", len(logged))
	return nil
}

// withContacts returns a copy of d with more contacts, each completed
// (its company's name, its numbers' E.164 forms and extensions), sorted by
// ID and indexed by number. Reads may be using d, so nothing of it is
// changed. (Copying and re-indexing is fine for a file served from memory;
// a CRM inserts one record.)
func (d *data) withContacts(more ...connectors.Contact) *data {
	next := *d
	next.contacts = append(append([]connectors.Contact(nil), d.contacts...), more...)
	sort.SliceStable(next.contacts, func(i, j int) bool { return next.contacts[i].ID < next.contacts[j].ID })
	next.keyFields = fieldNames(next.contacts, next.companies)
	next.byKey = map[string][]int{}
	for i := range next.contacts {
		ct := &next.contacts[i]
		if co := d.company(ct.CompanyID); co != nil && ct.CompanyName == "" {
			ct.CompanyName = co.Name
		}
		ct.Phones = append([]connectors.Phone(nil), ct.Phones...)
		for j := range ct.Phones {
			if n, err := d.parser.Parse(ct.Phones[j].Raw); err == nil {
				ct.Phones[j].E164, ct.Phones[j].Extension = n.E164, n.Extension
				for _, key := range []string{n.E164, n.National} {
					if key != "" {
						next.byKey[key] = append(next.byKey[key], i)
					}
				}
			}
		}
	}
	return &next
}

// company returns the company with the ID, or nil.
func (d *data) company(id string) *connectors.Company {
	i := sort.Search(len(d.companies), func(i int) bool { return d.companies[i].ID >= id })
	if i < len(d.companies) && d.companies[i].ID == id {
		return &d.companies[i]
	}
	return nil
}

// contact returns the contact with the ID, or nil.
func (d *data) contact(id string) *connectors.Contact {
	i := sort.Search(len(d.contacts), func(i int) bool { return d.contacts[i].ID >= id })
	if i < len(d.contacts) && d.contacts[i].ID == id {
		return &d.contacts[i]
	}
	return nil
}

// loaded returns the current configuration and its data, or the
// not-configured error before the first Configure.
func (c *Connector) loaded(op string) (*config, *data, error) {
	cfg, err := c.Current(op)
	if err != nil {
		return nil, nil, err
	}
	return cfg, cfg.data.Load(), nil
}

// Check implements connectors.Connector.
func (c *Connector) Check(context.Context, *connectors.CheckRequest) (*connectors.CheckResponse, error) {
	cfg, d, err := c.loaded("Check")
	if err != nil {
		return nil, err
	}
	return &connectors.CheckResponse{Records: int64(len(d.contacts)),
		Detail: fmt.Sprintf("%d contacts, %d companies from %s", len(d.contacts), len(d.companies), cfg.Path)}, nil
}

// LookupByPhone implements connectors.Connector: every contact with a
// number matching the query, strongest first.
func (c *Connector) LookupByPhone(_ context.Context, req *connectors.LookupRequest) (*connectors.LookupResponse, error) {
	_, d, err := c.loaded("LookupByPhone")
	if err != nil {
		return nil, err
	}
	return &connectors.LookupResponse{Matches: d.lookup(req)}, nil
}

// lookup returns the contacts with a number matching the request's,
// strongest first: the index finds the candidates, sdk.Rank decides.
// CreateContact uses it too, so that "a contact has this number" means
// the same for both.
func (d *data) lookup(req *connectors.LookupRequest) []connectors.Match {
	var candidates []connectors.Contact
	for _, i := range append(d.byKey[req.E164], d.byKey[req.National]...) {
		candidates = append(candidates, d.contacts[i])
	}
	return sdk.Rank(d.parser, req, candidates, nil)
}

// ListContacts implements connectors.Connector.
func (c *Connector) ListContacts(_ context.Context, req *connectors.ListRequest) (*connectors.ListContactsResponse, error) {
	_, d, err := c.loaded("ListContacts")
	if err != nil {
		return nil, err
	}
	page, next, err := pageOf(d.contacts, req, "ListContacts", func(ct connectors.Contact) (string, time.Time) { return ct.ID, ct.UpdatedAt })
	return &connectors.ListContactsResponse{Contacts: page, NextCursor: next}, err
}

// ListCompanies implements connectors.Connector.
func (c *Connector) ListCompanies(_ context.Context, req *connectors.ListRequest) (*connectors.ListCompaniesResponse, error) {
	_, d, err := c.loaded("ListCompanies")
	if err != nil {
		return nil, err
	}
	page, next, err := pageOf(d.companies, req, "ListCompanies", func(co connectors.Company) (string, time.Time) { return co.ID, co.UpdatedAt })
	return &connectors.ListCompaniesResponse{Companies: page, NextCursor: next}, err
}

// pageOf returns the page of records (sorted by ID) after the cursor, of
// those changed at or after req.ChangedSince: keyset paging, so a reload
// between pages neither repeats nor skips a record. key gives a record's
// ID and UpdatedAt.
func pageOf[T any](records []T, req *connectors.ListRequest, op string, key func(T) (string, time.Time)) ([]T, string, error) {
	id := func(r T) string { id, _ := key(r); return id }
	return sdk.Page(op, req, id, func(after string, limit int) (rows []T, _ error) {
		for i := sort.Search(len(records), func(i int) bool { return id(records[i]) > after }); i < len(records) && len(rows) < limit; i++ {
			if _, at := key(records[i]); !at.Before(req.ChangedSince) {
				rows = append(rows, records[i])
			}
		}
		return rows, nil
	})
}
