// Package example is the smallest complete connector: it serves the
// contacts and companies of a JSON file from memory, and can log calls and
// create contacts. It exists to be read (docs/writing-a-connector.md walks
// through it) and copied; CI keeps it passing the conformance suite
// (connectors/connectortest). The reads are in this file, the writes in
// write.go.
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
package example

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"sync/atomic"

	"github.com/hashicorp/go-hclog"

	"github.com/switchboard-hq/switchboard/connectors"
	"github.com/switchboard-hq/switchboard/connectors/conf"
	"github.com/switchboard-hq/switchboard/connectors/phone"
)

// Version is the connector's release version.
const Version = "0.1.0"

// Page sizes for List calls.
const (
	defaultPageSize = 100
	maxPageSize     = 1000
)

// Connector serves one JSON file. It is safe for concurrent use: every
// read uses the data loaded by the last successful Configure (or made by
// the last CreateContact), which is never changed once stored, only
// replaced.
type Connector struct {
	log  hclog.Logger
	data atomic.Pointer[data]
	// mu serialises the writes, and Configure with them: a write
	// checks, appends and remembers as one step (see write.go).
	mu sync.Mutex
}

// data is one loaded file: records sorted by ID, and an index of numbers.
type data struct {
	path      string
	parser    *phone.Parser
	companies []connectors.Company
	contacts  []connectors.Contact
	numbers   [][]phone.Number // numbers[i] are contacts[i].Phones, parsed
	byKey     map[string][]int // E.164 or national number → contact indexes

	// The writes' files, "" when not configured.
	logFile, newContactsFile string
	// logged maps each logged call's key to its log's ID. Only the writes
	// use it, under Connector.mu.
	logged map[string]string
}

// config is the connector's YAML block.
type config struct {
	Path            string `yaml:"path"`
	LogFile         string `yaml:"log_file"`
	NewContactsFile string `yaml:"new_contacts_file"`
}

// file is the JSON file's shape.
type file struct {
	Companies []connectors.Company `json:"companies"`
	Contacts  []connectors.Contact `json:"contacts"`
}

// New returns an unconfigured connector; it is what plugins.Serve wants.
func New(logger hclog.Logger) connectors.Connector {
	if logger == nil {
		logger = hclog.NewNullLogger()
	}
	return &Connector{log: logger}
}

// Describe implements connectors.Connector. The writes are declared only
// once Configure has named their files: the host describes a connector
// again after configuring it.
func (c *Connector) Describe(context.Context, *connectors.DescribeRequest) (*connectors.DescribeResponse, error) {
	caps := []connectors.Capability{
		connectors.CapLookup, connectors.CapListContacts, connectors.CapListCompanies, connectors.CapChangedSince,
	}
	if d := c.data.Load(); d != nil {
		if d.logFile != "" {
			caps = append(caps, connectors.CapLogCall)
		}
		if d.newContactsFile != "" {
			caps = append(caps, connectors.CapCreateContact)
		}
	}
	return &connectors.DescribeResponse{
		Name:            "example",
		Version:         Version,
		ProtocolVersion: connectors.ProtocolVersion,
		Capabilities:    caps,
		Description:     "contacts and companies from a JSON file (the example connector)",
	}, nil
}

// Configure implements connectors.Connector: it checks the block and,
// unless only validating, loads the files.
func (c *Connector) Configure(_ context.Context, req *connectors.ConfigureRequest) (*connectors.ConfigureResponse, error) {
	var cfg config
	problems := conf.Decode(req.Config, &cfg)
	if cfg.Path == "" && len(problems) == 0 {
		problems = append(problems, conf.Problemf("path", "missing path: the JSON file to serve"))
	}
	if cfg.LogFile != "" && cfg.LogFile == cfg.NewContactsFile {
		problems = append(problems, conf.Problemf("new_contacts_file", "the same file as log_file: give each write its own file"))
	}
	if len(problems) > 0 || req.ValidateOnly {
		return &connectors.ConfigureResponse{Problems: problems}, nil
	}
	for _, p := range []*string{&cfg.Path, &cfg.LogFile, &cfg.NewContactsFile} {
		if *p != "" && !filepath.IsAbs(*p) {
			*p = filepath.Join(req.BaseDir, *p)
		}
	}
	// No write may run while the files are read, or the new data would
	// miss it.
	c.mu.Lock()
	defer c.mu.Unlock()
	d, problems := load(cfg, req.DefaultRegion)
	if len(problems) > 0 {
		return &connectors.ConfigureResponse{Problems: problems}, nil
	}
	c.data.Store(d)
	c.log.Info("loaded", "path", cfg.Path, "contacts", len(d.contacts), "companies", len(d.companies), "logged_calls", len(d.logged))
	return &connectors.ConfigureResponse{}, nil
}

// load reads and indexes the files; a problem names the key of the file
// that failed.
func load(cfg config, region string) (*data, connectors.Problems) {
	raw, err := os.ReadFile(cfg.Path)
	if err != nil {
		return nil, connectors.Problems{conf.Problemf("path", "cannot read %s: %v", cfg.Path, err)}
	}
	var f file
	if err := json.Unmarshal(raw, &f); err != nil {
		return nil, connectors.Problems{conf.Problemf("path", "%s is not a JSON file of companies and contacts: %v", cfg.Path, err)}
	}
	parser, err := phone.NewParser(region)
	if err != nil {
		return nil, connectors.Problems{conf.Problemf("", "the host's default region: %v", err)}
	}
	if cfg.NewContactsFile != "" {
		err := readLines(cfg.NewContactsFile, func(line []byte) error {
			var ct connectors.Contact
			if err := json.Unmarshal(line, &ct); err != nil {
				return err
			}
			f.Contacts = append(f.Contacts, ct)
			return nil
		})
		if err != nil {
			return nil, connectors.Problems{conf.Problemf("new_contacts_file", "%v", err)}
		}
	}
	logged := map[string]string{}
	if cfg.LogFile != "" {
		err := readLines(cfg.LogFile, func(line []byte) error {
			var l logLine
			if err := json.Unmarshal(line, &l); err != nil {
				return err
			}
			if _, ok := logged[l.Key]; !ok { // the first log of a key is the one
				logged[l.Key] = l.ID
			}
			return nil
		})
		if err != nil {
			return nil, connectors.Problems{conf.Problemf("log_file", "%v", err)}
		}
	}
	d := &data{path: cfg.Path, parser: parser, companies: f.Companies, contacts: f.Contacts,
		logFile: cfg.LogFile, newContactsFile: cfg.NewContactsFile, logged: logged}
	sort.Slice(d.companies, func(i, j int) bool { return d.companies[i].ID < d.companies[j].ID })
	sort.Slice(d.contacts, func(i, j int) bool { return d.contacts[i].ID < d.contacts[j].ID })
	for i := range d.contacts {
		d.numbers = append(d.numbers, d.complete(&d.contacts[i]))
	}
	d.byKey = index(d.numbers)
	return d, nil
}

// complete fills in what the file leaves out of a contact (its company's
// name, its numbers' E.164 forms and extensions) and returns its numbers,
// parsed.
func (d *data) complete(ct *connectors.Contact) []phone.Number {
	if co := d.company(ct.CompanyID); co != nil && ct.CompanyName == "" {
		ct.CompanyName = co.Name
	}
	nums := make([]phone.Number, len(ct.Phones))
	for j := range ct.Phones {
		n, err := d.parser.Parse(ct.Phones[j].Raw)
		if err != nil {
			continue // an unreadable number matches nothing
		}
		nums[j] = n
		ct.Phones[j].E164, ct.Phones[j].Extension = n.E164, n.Extension
	}
	return nums
}

// index maps every E.164 and national number to the contacts holding it
// (indexes into numbers, which are the contacts' parsed numbers).
func index(numbers [][]phone.Number) map[string][]int {
	byKey := map[string][]int{}
	for i, nums := range numbers {
		for _, n := range nums {
			for _, key := range []string{n.E164, n.National} {
				if key != "" {
					byKey[key] = append(byKey[key], i)
				}
			}
		}
	}
	return byKey
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

// loaded returns the data, or an error before the first Configure.
func (c *Connector) loaded(op string) (*data, error) {
	if d := c.data.Load(); d != nil {
		return d, nil
	}
	return nil, connectors.Errorf(connectors.ClassBadConfig, op, "not configured: call Configure first")
}

// Check implements connectors.Connector.
func (c *Connector) Check(context.Context, *connectors.CheckRequest) (*connectors.CheckResponse, error) {
	d, err := c.loaded("Check")
	if err != nil {
		return nil, err
	}
	return &connectors.CheckResponse{
		Records: int64(len(d.contacts)),
		Detail:  fmt.Sprintf("%d contacts, %d companies from %s", len(d.contacts), len(d.companies), d.path),
	}, nil
}

// LookupByPhone implements connectors.Connector: every contact with a
// number matching the query (phone.Match), strongest first.
func (c *Connector) LookupByPhone(_ context.Context, req *connectors.LookupRequest) (*connectors.LookupResponse, error) {
	d, err := c.loaded("LookupByPhone")
	if err != nil {
		return nil, err
	}
	matches := d.lookup(phone.Number{E164: req.E164, National: req.National, Raw: req.Raw})
	if req.Limit > 0 && len(matches) > req.Limit {
		matches = matches[:req.Limit]
	}
	return &connectors.LookupResponse{Matches: matches}, nil
}

// lookup returns the contacts with a number matching query, strongest
// first. CreateContact uses it too, so that "a contact has this number"
// means the same for both.
func (d *data) lookup(query phone.Number) []connectors.Match {
	seen := map[int]bool{}
	var matches []connectors.Match
	candidates := append(append([]int(nil), d.byKey[query.E164]...), d.byKey[query.National]...)
	for _, i := range candidates {
		if seen[i] {
			continue
		}
		seen[i] = true
		best := -1
		var kind connectors.MatchKind
		for j, n := range d.numbers[i] {
			if k := phone.Match(query, n, 0); k.Strength() > kind.Strength() {
				best, kind = j, k
			}
		}
		if best >= 0 {
			ct := d.contacts[i]
			matches = append(matches, connectors.Match{Contact: &ct, Kind: kind, Phone: ct.Phones[best]})
		}
	}
	sort.SliceStable(matches, func(a, b int) bool { return matches[a].Kind.Strength() > matches[b].Kind.Strength() })
	return matches
}

// ListContacts implements connectors.Connector.
func (c *Connector) ListContacts(_ context.Context, req *connectors.ListRequest) (*connectors.ListContactsResponse, error) {
	d, err := c.loaded("ListContacts")
	if err != nil {
		return nil, err
	}
	page, next, err := pageOf(d.contacts, req, func(ct connectors.Contact) (string, bool) {
		return ct.ID, !ct.UpdatedAt.Before(req.ChangedSince)
	})
	if err != nil {
		return nil, err
	}
	return &connectors.ListContactsResponse{Contacts: page, NextCursor: next}, nil
}

// ListCompanies implements connectors.Connector.
func (c *Connector) ListCompanies(_ context.Context, req *connectors.ListRequest) (*connectors.ListCompaniesResponse, error) {
	d, err := c.loaded("ListCompanies")
	if err != nil {
		return nil, err
	}
	page, next, err := pageOf(d.companies, req, func(co connectors.Company) (string, bool) {
		return co.ID, !co.UpdatedAt.Before(req.ChangedSince)
	})
	if err != nil {
		return nil, err
	}
	return &connectors.ListCompaniesResponse{Companies: page, NextCursor: next}, nil
}

// pageOf returns the page of records (sorted by ID) after the cursor: the
// cursor is the base64 of the last ID returned (keyset paging), so a
// reload between pages neither repeats nor skips a record. keep gives a
// record's ID and whether it passes the ChangedSince filter.
func pageOf[T any](records []T, req *connectors.ListRequest, keep func(T) (string, bool)) ([]T, string, error) {
	after := ""
	if req.Cursor != "" {
		raw, err := base64.RawURLEncoding.DecodeString(req.Cursor)
		if err != nil {
			return nil, "", connectors.Errorf(connectors.ClassInvalidRequest, "List",
				"cursor %q was not issued by this connector: start again with an empty cursor", req.Cursor)
		}
		after = string(raw)
	}
	size := req.PageSize
	if size <= 0 {
		size = defaultPageSize
	}
	size = min(size, maxPageSize)
	start := sort.Search(len(records), func(i int) bool { id, _ := keep(records[i]); return id > after })
	var page []T
	for i := start; i < len(records); i++ {
		if _, ok := keep(records[i]); !ok {
			continue
		}
		if len(page) == size { // a record follows the full page: say where to go on
			last, _ := keep(page[size-1])
			return page, base64.RawURLEncoding.EncodeToString([]byte(last)), nil
		}
		page = append(page, records[i])
	}
	return page, "", nil
}
