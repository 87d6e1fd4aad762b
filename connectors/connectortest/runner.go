package connectortest

import (
	"context"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/switchboard-hq/switchboard/connectors"
	"github.com/switchboard-hq/switchboard/connectors/phone"
)

// unknownKey is the key the suite adds to a valid block to check that
// unknown keys are rejected.
const unknownKey = "conformance_unknown_key"

// runner holds one run of the suite.
type runner struct {
	s Suite

	data   *Records // the standard dataset
	config []byte   // the fixture's block for it
	conn   *served  // the connector serving it, configured
	parser *phone.Parser

	// desc is what the connector declares before Configure; configured,
	// what it declares once configured (described again by the write
	// checks).
	desc, configured *connectors.DescribeResponse
}

func (r *runner) run(t *testing.T) {
	t.Helper()
	p, err := phone.NewParser(Region)
	if err != nil {
		t.Fatalf("phone parser: %v", err)
	}
	r.parser = p

	r.check(t, "describe", r.testDescribe)
	r.check(t, "unconfigured", r.testUnconfigured)

	r.data = r.dataset(Dataset())
	r.config = r.s.Fixture(t, r.data)
	r.check(t, "config", r.testConfig)

	r.conn = r.serve(t)
	r.desc = r.describe(t, r.conn.host)
	if !r.configure(t, r.conn.host, r.config) {
		t.Fatalf("the fixture's config block was rejected; nothing else can be checked")
	}
	r.configured = r.describe(t, r.conn.host)
	r.check(t, "check", r.testCheck)
	r.check(t, "lookup", r.testLookup)
	r.check(t, "matching", r.testMatching)
	r.check(t, "lookup_by_key", r.testLookupByKey)
	r.check(t, "list", r.testList)
	r.check(t, "paging_under_change", r.testPagingUnderChange)
	r.check(t, "changed_since", r.testChangedSince)
	r.check(t, "deadlines", r.testDeadlines)
	r.check(t, "concurrency", r.testConcurrency)
	r.check(t, "reconfigure", r.testReconfigure)
	r.check(t, "errors", r.testErrors)
	r.check(t, "large_page", r.testLargePage)
	r.check(t, "leaks", r.testLeaks)
	r.check(t, "writes", r.testWrites) // last: it adds records to the backend
}

// dataset is d as the fixture gets it: without owners for a CRM that
// has none (Suite.NoOwners).
func (r *runner) dataset(d *Records) *Records {
	if r.s.NoOwners {
		for i := range d.Contacts {
			d.Contacts[i].OwnerID = ""
		}
		for i := range d.Companies {
			d.Companies[i].OwnerID = ""
		}
	}
	return d
}

// check runs one check as a subtest (unless the suite's own tests ask
// for another).
func (r *runner) check(t *testing.T, name string, fn func(*testing.T)) {
	if r.s.only == "" || r.s.only == name {
		t.Run(name, fn)
	}
}

// ctx returns a context bounded by the suite's call timeout.
func (r *runner) ctx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), r.s.CallTimeout)
	t.Cleanup(cancel)
	return ctx
}

func (r *runner) describe(t testing.TB, c connectors.Connector) *connectors.DescribeResponse {
	t.Helper()
	d, err := c.Describe(r.ctx(t), &connectors.DescribeRequest{})
	if err != nil {
		t.Fatalf("Describe: %v", err)
	}
	return d
}

// configure sends block (not ValidateOnly) and reports whether it was
// accepted, logging every problem otherwise.
func (r *runner) configure(t testing.TB, c connectors.Connector, block []byte) bool {
	t.Helper()
	resp, err := c.Configure(r.ctx(t), &connectors.ConfigureRequest{
		Config: block, DefaultRegion: Region, BaseDir: r.s.BaseDir,
	})
	if err != nil {
		t.Errorf("Configure: %v", err)
		return false
	}
	for _, p := range resp.Problems {
		t.Errorf("Configure: problem at %q: %s", p.Path, p.Message)
	}
	return len(resp.Problems) == 0
}

var nameRE = regexp.MustCompile(`^[a-z][a-z0-9_-]*$`)

var knownCaps = map[connectors.Capability]bool{
	connectors.CapLookup: true, connectors.CapListCompanies: true,
	connectors.CapListContacts: true, connectors.CapChangedSince: true,
	connectors.CapChangedSinceExact: true, connectors.CapGuardsShrink: true,
	connectors.CapLogCall: true, connectors.CapCreateContact: true,
	connectors.CapLookupByKey: true,
}

func (r *runner) testDescribe(t *testing.T) {
	c := r.serve(t)
	d := r.describe(t, c.host)
	if !nameRE.MatchString(d.Name) {
		t.Errorf("Describe: name %q: want lower case letters, digits, - and _ (it is the name operators write in YAML)", d.Name)
	}
	if strings.TrimSpace(d.Version) == "" {
		t.Error("Describe: empty version; set the connector's release version")
	}
	if d.ProtocolVersion != connectors.ProtocolVersion {
		t.Errorf("Describe: protocol version %d, want %d (connectors.ProtocolVersion)", d.ProtocolVersion, connectors.ProtocolVersion)
	}
	if strings.TrimSpace(d.Description) == "" {
		t.Error("Describe: empty description; `switchboard plugins` shows it to operators")
	}
	seen := map[connectors.Capability]bool{}
	for _, cp := range d.Capabilities {
		if !knownCaps[cp] {
			t.Errorf("Describe: unknown capability %q", cp)
		}
		if seen[cp] {
			t.Errorf("Describe: capability %q listed twice", cp)
		}
		seen[cp] = true
	}
	if seen[connectors.CapChangedSince] && !seen[connectors.CapListContacts] && !seen[connectors.CapListCompanies] {
		t.Error("Describe: changed_since without list_contacts or list_companies means nothing")
	}
	if !seen[connectors.CapLookup] && !seen[connectors.CapListContacts] && !seen[connectors.CapListCompanies] {
		t.Error("Describe: neither lookup nor a list capability: the host could use the connector for nothing")
	}
}

// testUnconfigured checks that calls before Configure fail cleanly.
func (r *runner) testUnconfigured(t *testing.T) {
	c := r.serve(t)
	calls := map[string]func() error{
		"Check": func() error { _, err := c.host.Check(r.ctx(t), &connectors.CheckRequest{}); return err },
		"LookupByPhone": func() error {
			_, err := c.host.LookupByPhone(r.ctx(t), &connectors.LookupRequest{E164: AdaPhone, National: "2045205757", Raw: AdaPhone})
			return err
		},
		"ListContacts":  func() error { _, err := c.host.ListContacts(r.ctx(t), &connectors.ListRequest{}); return err },
		"ListCompanies": func() error { _, err := c.host.ListCompanies(r.ctx(t), &connectors.ListRequest{}); return err },
		// The writes fail too: ClassUnsupported from the wire when the
		// connector has none, its own error when it has them.
		"LogCall": func() error {
			_, err := c.host.(connectors.CallLogger).LogCall(r.ctx(t), logRequest("conformance-unconfigured/crm-log"))
			return err
		},
		"CreateContact": func() error {
			_, err := c.host.(connectors.ContactCreator).CreateContact(r.ctx(t), createRequest(newPhoneNotMade))
			return err
		},
		// So does a lookup by key: ClassUnsupported from the wire, or the
		// connector's not-configured error.
		"LookupByKey": func() error {
			_, err := c.host.(connectors.KeyLookuper).LookupByKey(r.ctx(t), &connectors.KeyLookupRequest{Field: "id", Value: "1001"})
			return err
		},
	}
	for _, op := range slices.Sorted(maps.Keys(calls)) {
		err := calls[op]()
		switch {
		case err == nil:
			t.Errorf("%s before Configure: no error; want one saying the connector is not configured", op)
		case connectors.ClassOf(err) == connectors.ClassPluginBug:
			t.Errorf("%s before Configure: %v; want a clean error, not a panic", op, err)
		}
	}
}

func (r *runner) testConfig(t *testing.T) {
	c := r.serve(t)
	validate := func(block []byte, validateOnly bool) ([]connectors.Problem, error) {
		resp, err := c.host.Configure(r.ctx(t), &connectors.ConfigureRequest{
			Config: block, DefaultRegion: Region, BaseDir: r.s.BaseDir, ValidateOnly: validateOnly,
		})
		if err != nil {
			return nil, err
		}
		return resp.Problems, nil
	}

	t.Run("valid", func(t *testing.T) {
		problems, err := validate(r.config, true)
		if err != nil {
			t.Fatalf("Configure(ValidateOnly) of the fixture's block: %v", err)
		}
		for _, p := range problems {
			t.Errorf("Configure(ValidateOnly) of the fixture's block: problem at %q: %s", p.Path, p.Message)
		}
	})

	t.Run("unknown_key", func(t *testing.T) {
		block, err := withUnknownKey(r.config)
		if err != nil {
			t.Fatalf("the fixture's block: %v", err)
		}
		problems, err := validate(block, true)
		if err != nil {
			t.Fatalf("Configure(ValidateOnly): %v", err)
		}
		if !hasPath(problems, unknownKey) {
			t.Errorf("a block with the extra key %q: problems %v; want one at path %q (decode with conf.Decode)",
				unknownKey, problems, unknownKey)
		}
	})

	for i, bc := range r.s.BadConfigs {
		name := bc.Name
		if name == "" {
			name = fmt.Sprintf("bad_%d", i)
		}
		t.Run(name, func(t *testing.T) {
			for _, only := range []bool{true, false} {
				problems, err := validate(bc.Config, only)
				if err != nil {
					t.Errorf("Configure(ValidateOnly=%v): error %v; want the block's problems in the response", only, err)
					continue
				}
				if len(problems) == 0 {
					t.Errorf("Configure(ValidateOnly=%v) accepted the bad block:\n%s", only, bc.Config)
					continue
				}
				if !hasPath(problems, bc.Path) {
					t.Errorf("Configure(ValidateOnly=%v): problems %v; want one at path %q", only, problems, bc.Path)
				}
				for _, p := range problems {
					if strings.TrimSpace(p.Message) == "" {
						t.Errorf("Configure(ValidateOnly=%v): problem at %q without a message", only, p.Path)
					}
				}
			}
		})
	}
}

// withUnknownKey adds unknownKey to a block that is a YAML mapping.
func withUnknownKey(block []byte) ([]byte, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(block, &doc); err != nil {
		return nil, fmt.Errorf("not YAML: %w", err)
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, fmt.Errorf("not a YAML mapping:\n%s", block)
	}
	m := doc.Content[0]
	m.Content = append(m.Content,
		&yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: unknownKey},
		&yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: "1"})
	return yaml.Marshal(&doc)
}

func hasPath(problems []connectors.Problem, path string) bool {
	for _, p := range problems {
		if p.Path == path {
			return true
		}
	}
	return false
}

func (r *runner) testCheck(t *testing.T) {
	resp, err := r.conn.host.Check(r.ctx(t), &connectors.CheckRequest{})
	if err != nil {
		t.Fatalf("Check on a healthy backend: %v", err)
	}
	n := int64(len(r.data.Contacts))
	if want := []int64{-1, n, n + int64(len(r.data.Companies))}; !containsInt(want, resp.Records) {
		t.Errorf("Check: records %d; want %d contacts (or -1 when unknown)", resp.Records, n)
	}
	if strings.TrimSpace(resp.Detail) == "" {
		t.Error("Check: empty detail; say what the connector sees (\"15 contacts in table crm.contacts\")")
	}
}

func containsInt(list []int64, v int64) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}
