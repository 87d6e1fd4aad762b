// Package example is the smallest complete connector: it serves the
// contacts and companies of a JSON file from memory. It exists to be read
// (docs/writing-a-connector.md walks through it) and copied; CI keeps it
// passing the conformance suite (connectors/connectortest).
//
// # Configuration
//
//	path: crm.json   # required; relative to the host config's directory
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
// The file is read once, at Configure; configure again to re-read it.
package example

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
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
// read uses the data loaded by the last successful Configure.
type Connector struct {
	log  hclog.Logger
	data atomic.Pointer[data]
}

// data is one loaded file: records sorted by ID, and an index of numbers.
type data struct {
	path      string
	companies []connectors.Company
	contacts  []connectors.Contact
	numbers   [][]phone.Number // numbers[i] are contacts[i].Phones, parsed
	byKey     map[string][]int // E.164 or national number → contact indexes
}

// config is the connector's YAML block.
type config struct {
	Path string `yaml:"path"`
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

// Describe implements connectors.Connector.
func (c *Connector) Describe(context.Context, *connectors.DescribeRequest) (*connectors.DescribeResponse, error) {
	return &connectors.DescribeResponse{
		Name:            "example",
		Version:         Version,
		ProtocolVersion: connectors.ProtocolVersion,
		Capabilities: []connectors.Capability{
			connectors.CapLookup, connectors.CapListContacts, connectors.CapListCompanies, connectors.CapChangedSince,
		},
		Description: "contacts and companies from a JSON file (the example connector)",
	}, nil
}

// Configure implements connectors.Connector: it checks the block and,
// unless only validating, loads the file.
func (c *Connector) Configure(_ context.Context, req *connectors.ConfigureRequest) (*connectors.ConfigureResponse, error) {
	var cfg config
	problems := conf.Decode(req.Config, &cfg)
	if cfg.Path == "" && len(problems) == 0 {
		problems = append(problems, conf.Problemf("path", "missing path: the JSON file to serve"))
	}
	if len(problems) > 0 || req.ValidateOnly {
		return &connectors.ConfigureResponse{Problems: problems}, nil
	}
	path := cfg.Path
	if !filepath.IsAbs(path) {
		path = filepath.Join(req.BaseDir, path)
	}
	d, err := load(path, req.DefaultRegion)
	if err != nil {
		return &connectors.ConfigureResponse{Problems: []connectors.Problem{
			conf.Problemf("path", "%v", err),
		}}, nil
	}
	c.data.Store(d)
	c.log.Info("loaded", "path", path, "contacts", len(d.contacts), "companies", len(d.companies))
	return &connectors.ConfigureResponse{}, nil
}

// load reads and indexes the file.
func load(path, region string) (*data, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("cannot read %s: %w", path, err)
	}
	var f file
	if err := json.Unmarshal(raw, &f); err != nil {
		return nil, fmt.Errorf("%s is not a JSON file of companies and contacts: %w", path, err)
	}
	parser, err := phone.NewParser(region)
	if err != nil {
		return nil, fmt.Errorf("the host's default region: %w", err)
	}
	d := &data{path: path, companies: f.Companies, contacts: f.Contacts, byKey: map[string][]int{}}
	sort.Slice(d.companies, func(i, j int) bool { return d.companies[i].ID < d.companies[j].ID })
	sort.Slice(d.contacts, func(i, j int) bool { return d.contacts[i].ID < d.contacts[j].ID })
	names := map[string]string{}
	for _, co := range d.companies {
		names[co.ID] = co.Name
	}
	for i := range d.contacts {
		ct := &d.contacts[i]
		if ct.CompanyName == "" {
			ct.CompanyName = names[ct.CompanyID]
		}
		nums := make([]phone.Number, len(ct.Phones))
		for j := range ct.Phones {
			n, err := parser.Parse(ct.Phones[j].Raw)
			if err != nil {
				continue // an unreadable number matches nothing
			}
			nums[j] = n
			ct.Phones[j].E164, ct.Phones[j].Extension = n.E164, n.Extension
			for _, key := range []string{n.E164, n.National} {
				if key != "" {
					d.byKey[key] = append(d.byKey[key], i)
				}
			}
		}
		d.numbers = append(d.numbers, nums)
	}
	return d, nil
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
	query := phone.Number{E164: req.E164, National: req.National, Raw: req.Raw}
	seen := map[int]bool{}
	var matches []connectors.Match
	candidates := append(append([]int(nil), d.byKey[req.E164]...), d.byKey[req.National]...)
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
	if req.Limit > 0 && len(matches) > req.Limit {
		matches = matches[:req.Limit]
	}
	return &connectors.LookupResponse{Matches: matches}, nil
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
