package connectortest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/hashicorp/go-hclog"
	"go.yaml.in/yaml/v3"

	"github.com/switchboard-hq/switchboard/connectors"
	"github.com/switchboard-hq/switchboard/connectors/example"
	"github.com/switchboard-hq/switchboard/connectors/phone"
)

// brokenEnv names the variant TestBrokenConnectorChild runs the suite on.
const brokenEnv = "CONNECTORTEST_BROKEN"

// broken is the example connector with one bug (or none), chosen by name.
type broken struct {
	connectors.Connector
	bug string
	log hclog.Logger // the connector's (NewLogged), or nil

	mu      sync.Mutex
	stalled chan struct{} // non-nil while the backend "hangs"
	config  []byte        // the last block configured
	n       int           // the bugs' own counter
	fault   Fault         // the backend's failure, "" when healthy
	leaked  []*os.File    // files the leaking Configure opened
}

// failing returns the error the backend's fault makes a call fail with:
// classified, or plain for the bug that forgets to classify.
func (b *broken) failing(op string) error {
	b.mu.Lock()
	f := b.fault
	b.mu.Unlock()
	if f == "" {
		return nil
	}
	if b.bug == "unclassified_errors" {
		return fmt.Errorf("%s: the backend answered %s", op, f)
	}
	class := map[Fault]connectors.Class{FaultUnauthorized: connectors.ClassUnauthorized,
		FaultRateLimited: connectors.ClassRateLimited, FaultUnavailable: connectors.ClassUnavailable}[f]
	if b.bug == "rate_limit_as_unavailable" && f == FaultRateLimited {
		class = connectors.ClassUnavailable
	}
	return connectors.Errorf(class, op, "the backend answered %s", f)
}

// injectFault makes the backend fail until the returned func is called.
func (b *broken) injectFault(f Fault) func() {
	b.mu.Lock()
	b.fault = f
	b.mu.Unlock()
	return func() {
		b.mu.Lock()
		b.fault = ""
		b.mu.Unlock()
	}
}

// everyContact pages the example's contacts (the bugs that search them
// all, as a connector that filters in memory does).
func (b *broken) everyContact(ctx context.Context) ([]connectors.Contact, error) {
	resp, err := b.Connector.ListContacts(ctx, &connectors.ListRequest{PageSize: 1000})
	if err != nil {
		return nil, err
	}
	return resp.Contacts, nil
}

// digitsOf is the digits of s.
func digitsOf(s string) string {
	var out []byte
	for _, r := range s {
		if r >= '0' && r <= '9' {
			out = append(out, byte(r))
		}
	}
	return string(out)
}

// looseMatches is what the matching bugs add to an answer: contacts whose
// number ends in the query's last 7 digits (reported exact), or whose
// national digits equal the query's whatever the country (reported
// national).
func (b *broken) looseMatches(ctx context.Context, req *connectors.LookupRequest, have []connectors.Match) ([]connectors.Match, error) {
	all, err := b.everyContact(ctx)
	if err != nil {
		return nil, err
	}
	p, err := phone.NewParser(Region)
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	for _, m := range have {
		seen[m.Key()] = true
	}
	q := digitsOf(req.E164 + req.National)
	var out []connectors.Match
	for i := range all {
		ct := all[i]
		for _, ph := range ct.Phones {
			var hit connectors.MatchKind
			switch b.bug {
			case "last_7_digits":
				d := digitsOf(ph.Raw)
				if len(d) >= 7 && len(q) >= 7 && d[len(d)-7:] == q[len(q)-7:] {
					hit = connectors.MatchExact
				}
			case "national_any_country":
				if n, err := p.Parse(ph.Raw); err == nil && n.National != "" && n.National == req.National {
					hit = connectors.MatchNational
				}
			}
			if hit != "" && !seen["contact:"+ct.ID] {
				seen["contact:"+ct.ID] = true
				out = append(out, connectors.Match{Contact: &ct, Kind: hit, Phone: ph})
			}
		}
	}
	return out, nil
}

// offsetPage is the paging bug: the cursor is an offset into the
// current records, so an insert before it repeats a record.
func (b *broken) offsetPage(ctx context.Context, req *connectors.ListRequest) (*connectors.ListContactsResponse, error) {
	all, err := b.everyContact(ctx)
	if err != nil {
		return nil, err
	}
	off := 0
	if req.Cursor != "" {
		if _, err := fmt.Sscanf(req.Cursor, "offset-%d", &off); err != nil {
			return nil, connectors.Errorf(connectors.ClassInvalidRequest, "ListContacts", "bad cursor %q", req.Cursor)
		}
	}
	size := req.PageSize
	if size <= 0 {
		size = 100
	}
	end := min(off+size, len(all))
	resp := &connectors.ListContactsResponse{Contacts: all[min(off, end):end]}
	if end < len(all) {
		resp.NextCursor = fmt.Sprintf("offset-%d", end)
	}
	return resp, nil
}

// stall makes LookupByPhone and the List calls wait until release.
func (b *broken) stall() (release func()) {
	ch := make(chan struct{})
	b.mu.Lock()
	b.stalled = ch
	b.mu.Unlock()
	return func() {
		b.mu.Lock()
		b.stalled = nil
		b.mu.Unlock()
		close(ch)
	}
}

// wait blocks while the backend is stalled: until released, or until ctx
// ends unless the bug is to ignore it.
func (b *broken) wait(ctx context.Context) error {
	b.mu.Lock()
	ch := b.stalled
	b.mu.Unlock()
	if ch == nil {
		return nil
	}
	if b.bug == "ignores_context" {
		<-ch
		return nil
	}
	select {
	case <-ch:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (b *broken) Describe(ctx context.Context, req *connectors.DescribeRequest) (*connectors.DescribeResponse, error) {
	d, err := b.Connector.Describe(ctx, req)
	if err != nil {
		return d, err
	}
	switch b.bug {
	case "protocol":
		d.ProtocolVersion = connectors.ProtocolVersion + 1
	case "undeclared_writes":
		d.Capabilities = slices.DeleteFunc(d.Capabilities, func(c connectors.Capability) bool {
			return c == connectors.CapLogCall || c == connectors.CapCreateContact
		})
	case "key_undeclared":
		d.Capabilities = slices.DeleteFunc(d.Capabilities, func(c connectors.Capability) bool { return c == connectors.CapLookupByKey })
	}
	return d, err
}

func (b *broken) Configure(ctx context.Context, req *connectors.ConfigureRequest) (*connectors.ConfigureResponse, error) {
	resp, err := b.Connector.Configure(ctx, req)
	if err == nil && !req.ValidateOnly && b.bug == "leaks" {
		// A watcher that is never stopped, on a file never closed.
		f, ferr := os.Open(os.Args[0])
		if ferr == nil {
			b.mu.Lock()
			b.leaked = append(b.leaked, f)
			b.mu.Unlock()
		}
		go func() { select {} }()
	}
	if err == nil && b.bug == "lax_config" {
		resp.Problems = nil
	}
	if err == nil && len(resp.Problems) == 0 && !req.ValidateOnly {
		b.mu.Lock()
		b.config = req.Config
		b.mu.Unlock()
	}
	return resp, err
}

// writeFile returns the file the last block names under key.
func (b *broken) writeFile(key string) string {
	b.mu.Lock()
	defer b.mu.Unlock()
	var cfg map[string]string
	if err := yaml.Unmarshal(b.config, &cfg); err != nil {
		panic(err)
	}
	return cfg[key]
}

// appendLine appends v to a JSON-lines file, as the example does, behind
// its back.
func appendLine(path string, v any) {
	raw, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		panic(err)
	}
	defer f.Close()
	if _, err := f.Write(append(raw, '\n')); err != nil {
		panic(err)
	}
}

func (b *broken) LogCall(ctx context.Context, req *connectors.LogCallRequest) (*connectors.LogCallResponse, error) {
	if err := b.wait(ctx); err != nil {
		return nil, err
	}
	r := *req
	switch b.bug {
	case "log_not_idempotent":
		b.mu.Lock()
		b.n++
		r.Key = fmt.Sprintf("%s#%d", r.Key, b.n)
		b.mu.Unlock()
	case "log_accepts_no_record":
		if r.ContactID == "" && r.CompanyID == "" {
			r.ContactID = "1001"
		}
	}
	resp, err := b.Connector.(connectors.CallLogger).LogCall(ctx, &r)
	if err == nil && resp.Existing && b.bug == "log_duplicates_quietly" {
		// The answer is right; the backend holds the log twice.
		appendLine(b.writeFile("log_file"), map[string]string{"id": resp.ID, "key": r.Key})
	}
	return resp, err
}

func (b *broken) CreateContact(ctx context.Context, req *connectors.CreateContactRequest) (*connectors.CreateContactResponse, error) {
	if err := b.wait(ctx); err != nil {
		return nil, err
	}
	resp, err := b.Connector.(connectors.ContactCreator).CreateContact(ctx, req)
	if err != nil || !resp.Existing || b.bug != "create_duplicates" {
		return resp, err
	}
	// Another contact with the number, as a connector that never looks
	// makes: written behind the example's back, then loaded.
	b.mu.Lock()
	b.n++
	ct := connectors.Contact{ID: fmt.Sprintf("dup-%d", b.n), FirstName: req.FirstName, LastName: req.LastName,
		Phones: []connectors.Phone{{Raw: req.Phone, Label: LabelPhone}}}
	config := b.config
	b.mu.Unlock()
	appendLine(b.writeFile("new_contacts_file"), ct)
	if _, err := b.Connector.Configure(ctx, &connectors.ConfigureRequest{Config: config, DefaultRegion: Region}); err != nil {
		return nil, err
	}
	return &connectors.CreateContactResponse{Contact: ct}, nil
}

func (b *broken) LookupByPhone(ctx context.Context, req *connectors.LookupRequest) (*connectors.LookupResponse, error) {
	if err := b.wait(ctx); err != nil {
		return nil, err
	}
	if err := b.failing("LookupByPhone"); err != nil {
		return nil, err
	}
	switch b.bug {
	case "panic":
		panic("boom")
	case "ignores_limit":
		req.Limit = 0
	}
	resp, err := b.Connector.LookupByPhone(ctx, req)
	if err == nil && b.bug == "national_kind" {
		for i := range resp.Matches {
			resp.Matches[i].Kind = connectors.MatchNational
		}
	}
	if err == nil && (b.bug == "last_7_digits" || b.bug == "national_any_country") {
		more, err := b.looseMatches(ctx, req, resp.Matches)
		if err != nil {
			return nil, err
		}
		resp.Matches = append(resp.Matches, more...)
	}
	if err == nil && b.bug == "no_owners" {
		for i := range resp.Matches {
			if ct := resp.Matches[i].Contact; ct != nil {
				ct.OwnerID = ""
			}
		}
	}
	return resp, err
}

// logger is the connector's logger, or one that discards.
func (b *broken) logger() hclog.Logger {
	if b.log == nil {
		return hclog.NewNullLogger()
	}
	return b.log
}

// looseKeyMatches is the key bugs' own search of the example's contacts:
// the field's text compared as the bug has it (case-sensitive, untrimmed,
// not split, or as a substring).
func (b *broken) looseKeyMatches(ctx context.Context, req *connectors.KeyLookupRequest) (*connectors.KeyLookupResponse, error) {
	all, err := b.everyContact(ctx)
	if err != nil {
		return nil, err
	}
	holds := func(stored string) bool {
		switch b.bug {
		case "key_substring":
			return strings.Contains(strings.ToLower(stored), strings.ToLower(strings.TrimSpace(req.Value)))
		case "key_untrimmed":
			return strings.EqualFold(stored, req.Value)
		}
		values := []string{stored}
		if b.bug != "key_single_valued" {
			values = append(values, strings.FieldsFunc(stored, func(r rune) bool { return r == ',' || r == ';' })...)
		}
		for _, v := range values {
			v = strings.TrimSpace(v)
			if v == strings.TrimSpace(req.Value) || (b.bug != "key_case_sensitive" && strings.EqualFold(v, strings.TrimSpace(req.Value))) {
				return true
			}
		}
		return false
	}
	resp := &connectors.KeyLookupResponse{}
	for i := range all {
		ct := all[i]
		v, ok := ct.Fields[req.Field].(string)
		if req.Field == "id" {
			v, ok = ct.ID, true
		}
		if ok && holds(v) && (req.RecordID == "" || req.RecordID == ct.ID) {
			resp.Matches = append(resp.Matches, connectors.Match{Contact: &ct, Kind: connectors.MatchKey})
		}
	}
	return resp, nil
}

func (b *broken) LookupByKey(ctx context.Context, req *connectors.KeyLookupRequest) (*connectors.KeyLookupResponse, error) {
	if err := b.wait(ctx); err != nil {
		return nil, err
	}
	if err := b.failing("LookupByKey"); err != nil {
		return nil, err
	}
	r := *req
	switch b.bug {
	case "key_substring", "key_untrimmed", "key_single_valued", "key_case_sensitive":
		if r.Field == "account_no" || r.Field == "order_numbers" {
			return b.looseKeyMatches(ctx, &r)
		}
	case "key_ignores_record_id":
		r.RecordID = ""
	case "key_ignores_limit":
		r.Limit = 0
	case "key_logs_value":
		b.logger().Debug("looking a record up by key", "field", r.Field, "value", r.Value)
	case "key_no_standard_fields":
		if r.Field == "id" || r.Field == "email" {
			return nil, connectors.Errorf(connectors.ClassBadConfig, "LookupByKey", "no field %q", r.Field)
		}
	}
	resp, err := b.Connector.(connectors.KeyLookuper).LookupByKey(ctx, &r)
	switch {
	case err != nil && b.bug == "key_unknown_field_empty" && connectors.ClassOf(err) == connectors.ClassBadConfig:
		return &connectors.KeyLookupResponse{}, nil
	case err != nil && b.bug == "key_value_in_error":
		return nil, connectors.Errorf(connectors.ClassOf(err), "LookupByKey", "%s (looking for %q)", err, r.Value)
	case err != nil:
		return nil, err
	case len(resp.Matches) == 0 && b.bug == "key_not_found_error":
		return nil, connectors.Errorf(connectors.ClassInvalidRequest, "LookupByKey", "no record holds the value")
	}
	for i := range resp.Matches {
		switch m := &resp.Matches[i]; b.bug {
		case "key_wrong_kind":
			m.Kind, m.Phone = connectors.MatchExact, m.Contact.Phones[0]
		case "key_bare_records":
			m.Contact = &connectors.Contact{ID: m.Contact.ID}
		}
	}
	return resp, nil
}

func (b *broken) ListContacts(ctx context.Context, req *connectors.ListRequest) (*connectors.ListContactsResponse, error) {
	if err := b.wait(ctx); err != nil {
		return nil, err
	}
	if err := b.failing("ListContacts"); err != nil {
		return nil, err
	}
	switch b.bug {
	case "offset_paging":
		return b.offsetPage(ctx, req)
	case "accepts_any_cursor":
		if strings.HasPrefix(req.Cursor, "!!") {
			req.Cursor = ""
		}
	case "ignores_changed_since":
		req.ChangedSince = req.ChangedSince.AddDate(-100, 0, 0)
	}
	resp, err := b.Connector.ListContacts(ctx, req)
	if err == nil && b.bug == "gap" && resp.NextCursor != "" && len(resp.Contacts) > 1 {
		resp.Contacts = resp.Contacts[:len(resp.Contacts)-1]
	}
	if err == nil && b.bug == "no_owners" {
		for i := range resp.Contacts {
			resp.Contacts[i].OwnerID = ""
		}
	}
	return resp, err
}

func (b *broken) Check(ctx context.Context, req *connectors.CheckRequest) (*connectors.CheckResponse, error) {
	if err := b.failing("Check"); err != nil {
		return nil, err
	}
	return b.Connector.Check(ctx, req)
}

func (b *broken) ListCompanies(ctx context.Context, req *connectors.ListRequest) (*connectors.ListCompaniesResponse, error) {
	if err := b.wait(ctx); err != nil {
		return nil, err
	}
	if err := b.failing("ListCompanies"); err != nil {
		return nil, err
	}
	return b.Connector.ListCompanies(ctx, req)
}

// suiteFor is the example connector's suite with the bug; one connector
// value serves every New call so that Stall can reach the one in use.
// Only the check that must catch the bug runs, to keep the test fast.
func suiteFor(bug string) Suite {
	var (
		mu      sync.Mutex
		current *broken
	)
	newBroken := func(logger hclog.Logger) connectors.Connector {
		mu.Lock()
		defer mu.Unlock()
		current = &broken{Connector: example.New(logger), bug: bug, log: logger}
		if bug == "declares_without_writer" || bug == "key_declares_without_lookuper" {
			return struct{ connectors.Connector }{current} // LogCall, CreateContact and LookupByKey hidden
		}
		return current
	}
	return Suite{
		New:       func() connectors.Connector { return newBroken(nil) },
		NewLogged: newBroken,
		Fixture: func(t testing.TB, data *Records) []byte {
			return exampleFixture(t, data, bug != "readonly")
		},
		CountLogs:  exampleCountLogs,
		BadConfigs: []BadConfig{{Name: "missing_path", Config: []byte("{}\n"), Path: "path"}},
		Stall: func(t testing.TB, _ []byte) func() {
			mu.Lock()
			defer mu.Unlock()
			return current.stall()
		},
		Mutate: func(t testing.TB, config []byte, ch Change) {
			exampleMutate(t, config, ch)
		},
		Faults: map[Fault]func(testing.TB, []byte) func(){
			FaultUnauthorized: func(testing.TB, []byte) func() { return current.injectFault(FaultUnauthorized) },
			FaultRateLimited:  func(testing.TB, []byte) func() { return current.injectFault(FaultRateLimited) },
			FaultUnavailable:  func(testing.TB, []byte) func() { return current.injectFault(FaultUnavailable) },
		},
		NoOwners: bug == "control_no_owners",
		only:     checkFor[bug],
	}
}

// exampleMutate rewrites the example's JSON file with the changed
// records and configures the connector again (it reads the file only at
// Configure).
func exampleMutate(t testing.TB, config []byte, ch Change) {
	t.Helper()
	var cfg struct {
		Path string `yaml:"path"`
	}
	if err := yaml.Unmarshal(config, &cfg); err != nil {
		t.Fatal(err)
	}
	raw, err := json.Marshal(map[string]any{"companies": ch.After.Companies, "contacts": ch.After.Contacts})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(cfg.Path, raw, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := ch.Reconfigure(); err != nil {
		t.Fatal(err)
	}
}

// checkFor names the check that must catch each bug. Without a bug only
// the stalled-backend check runs, as a control: connectors/example's own
// test runs the whole suite on the correct connector.
var checkFor = map[string]string{
	"":                      "deadlines",
	"protocol":              "describe",
	"lax_config":            "config",
	"panic":                 "lookup",
	"ignores_limit":         "lookup",
	"national_kind":         "lookup",
	"gap":                   "list",
	"accepts_any_cursor":    "list",
	"ignores_changed_since": "changed_since",
	"ignores_context":       "deadlines",
	// The writes: two controls (the example with its writes on, and off)
	// and the bugs.
	"writes":                  "writes",
	"readonly":                "writes",
	"log_not_idempotent":      "writes",
	"log_duplicates_quietly":  "writes",
	"log_accepts_no_record":   "writes",
	"create_duplicates":       "writes",
	"undeclared_writes":       "writes",
	"declares_without_writer": "writes",
	// The stronger suite (issue 14): controls, then the bugs.
	"control_matching":          "matching",
	"control_paging":            "paging_under_change",
	"control_errors":            "errors",
	"control_leaks":             "leaks",
	"control_no_owners":         "list",
	"last_7_digits":             "matching",
	"national_any_country":      "matching",
	"offset_paging":             "paging_under_change",
	"unclassified_errors":       "errors",
	"rate_limit_as_unavailable": "errors",
	"leaks":                     "leaks",
	"no_owners":                 "list",
	// Lookups by key (issue 16): a control, then the bugs.
	"control_keys":                  "lookup_by_key",
	"key_substring":                 "lookup_by_key",
	"key_case_sensitive":            "lookup_by_key",
	"key_untrimmed":                 "lookup_by_key",
	"key_single_valued":             "lookup_by_key",
	"key_ignores_record_id":         "lookup_by_key",
	"key_ignores_limit":             "lookup_by_key",
	"key_unknown_field_empty":       "lookup_by_key",
	"key_not_found_error":           "lookup_by_key",
	"key_logs_value":                "lookup_by_key",
	"key_value_in_error":            "lookup_by_key",
	"key_no_standard_fields":        "lookup_by_key",
	"key_wrong_kind":                "lookup_by_key",
	"key_bare_records":              "lookup_by_key",
	"key_undeclared":                "lookup_by_key",
	"key_declares_without_lookuper": "lookup_by_key",
}

// TestSuiteFindsBugs runs the suite, in a child process, against the
// example connector with one bug each, and checks that it fails saying
// what is wrong; and once without a bug, to show that a connector that
// honours its context passes the stalled-backend check.
func TestSuiteFindsBugs(t *testing.T) {
	tests := []struct {
		bug  string
		want string // "" = the suite passes
	}{
		{"", ""},
		{"protocol", "protocol version 3, want 2"},
		{"lax_config", `want one at path "conformance_unknown_key"`},
		{"panic", "plugin_bug"},
		{"ignores_limit", "2 matches; want 1"},
		{"national_kind", `kind "national"; want "exact"`},
		{"gap", "missing (a gap in paging?)"},
		{"accepts_any_cursor", "with a cursor it never issued"},
		{"ignores_changed_since", "changed since"},
		{"ignores_context", "still running the call"},
		{"writes", ""},
		{"readonly", ""},
		{"log_not_idempotent", "a retry must not log the call twice"},
		{"log_duplicates_quietly", `the backend holds 2 logs of key "conformance-1/crm-log"; want 1`},
		{"log_accepts_no_record", "neither a contact nor a company: error <nil>; want ClassInvalidRequest"},
		{"create_duplicates", "a retry must not create the contact twice"},
		{"undeclared_writes", `LogCall of a connector that does not declare "log_call": error <nil>; want ClassUnsupported`},
		{"declares_without_writer", "does not implement connectors.CallLogger"},
		{"control_matching", ""},
		{"control_paging", ""},
		{"control_errors", ""},
		{"control_leaks", ""},
		{"control_no_owners", ""}, // a CRM without owners, declared: passes
		{"last_7_digits", `contact 6001 ("+44 20 4520 5757") reported as a "exact" match; it is no match`},
		{"national_any_country", `contact 6003 ("0532 520 57 57") reported as a "national" match; it is no match`},
		{"offset_paging", "returned more than once"},
		{"unclassified_errors", `class ""); want class unauthorized`},
		{"rate_limit_as_unavailable", `(class "unavailable"); want class rate_limited`},
		{"leaks", "goroutines started by the connector still run"},
		{"no_owners", `owner ""; want "u-17"`},
		{"control_keys", ""},
		{"key_substring", `LookupByKey(account_no "AC-100"): contacts [1001 1002 1003]; want none`},
		{"key_case_sensitive", `LookupByKey(account_no "ac-1001"): contacts []; want [1001]`},
		{"key_untrimmed", `LookupByKey(account_no " AC-1001 "): contacts []; want [1001]`},
		{"key_single_valued", `LookupByKey(order_numbers "ORD-8"): contacts []; want [1001]`},
		{"key_ignores_record_id", `LookupByKey(account_no "AC-SHARED", record 1001): contacts [1004 1005 1006]; want none`},
		{"key_ignores_limit", `LookupByKey(account_no "AC-SHARED", limit 1): 3 matches [1004 1005 1006]; want 1`},
		{"key_unknown_field_empty", `a field the connector does not have: no error; want ClassBadConfig`},
		{"key_not_found_error", `LookupByKey(account_no "AC-NOT-HELD-7731"): LookupByKey (invalid_request): no record holds the value; no match is an empty answer`},
		{"key_logs_value", `the connector logged the value looked for ("sha256:9f86d08`},
		{"key_value_in_error", `an error of LookupByKey holds the value looked for ("AC-1001")`},
		{"key_no_standard_fields", `LookupByKey(id "1005"): LookupByKey (bad_config): no field "id"`},
		{"key_wrong_kind", `contact:1001: kind "exact"; want "key"`},
		{"key_bare_records", `contact 1001: first name ""; want "Ada"`},
		{"key_undeclared", `LookupByKey of a connector that does not declare "lookup_by_key": error <nil>; want ClassUnsupported`},
		{"key_declares_without_lookuper", "does not implement connectors.KeyLookuper"},
	}
	for _, tt := range tests {
		name := tt.bug
		if name == "" {
			name = "none"
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			cmd := exec.Command(os.Args[0], "-test.run=^TestBrokenConnectorChild$", "-test.count=1", "-test.v")
			cmd.Env = append(os.Environ(), brokenEnv+"="+name)
			out, err := cmd.CombinedOutput()
			var exit *exec.ExitError
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("the suite failed the correct connector: %v\n%s", err, tail(out))
			case tt.want == "":
				return
			case err == nil:
				t.Fatalf("the suite passed a connector with the bug %q:\n%s", tt.bug, tail(out))
			case !errors.As(err, &exit):
				t.Fatalf("run the child: %v", err)
			case !strings.Contains(string(out), tt.want):
				t.Errorf("the suite failed, but without saying %q:\n%s", tt.want, tail(out))
			}
		})
	}
}

// TestBrokenConnectorChild is TestSuiteFindsBugs's child: it runs the
// suite on the variant named in the environment, and is skipped otherwise.
func TestBrokenConnectorChild(t *testing.T) {
	bug, ok := os.LookupEnv(brokenEnv)
	if !ok {
		t.Skip("run by TestSuiteFindsBugs")
	}
	if bug == "none" {
		bug = ""
	}
	Run(t, suiteFor(bug))
}

// tail keeps the suite's own lines of a child's output (not go-plugin's
// debug log).
func tail(out []byte) string {
	var keep []string
	for _, l := range strings.Split(string(out), "\n") {
		if !strings.Contains(l, "[DEBUG]") && strings.TrimSpace(l) != "" {
			keep = append(keep, l)
		}
	}
	if len(keep) > 80 {
		keep = keep[len(keep)-80:]
	}
	return strings.Join(keep, "\n")
}

// exampleFixture writes the records as the example connector's JSON file
// (as connectors/example's own test does), with its writes' files beside
// it when writes is set.
func exampleFixture(t testing.TB, data *Records, writes bool) []byte {
	t.Helper()
	raw, err := json.Marshal(map[string]any{"companies": data.Companies, "contacts": data.Contacts})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "crm.json")
	if err := os.WriteFile(path, raw, 0o644); err != nil {
		t.Fatal(err)
	}
	block := fmt.Sprintf("path: %q\n", path)
	if writes {
		block += fmt.Sprintf("log_file: %q\nnew_contacts_file: %q\n", filepath.Join(dir, "calls.jsonl"), filepath.Join(dir, "new.jsonl"))
	}
	return []byte(block)
}

// exampleCountLogs counts the lines of the block's log_file with the key
// (none without a log_file).
func exampleCountLogs(t testing.TB, config []byte, key string) int {
	var cfg struct {
		LogFile string `yaml:"log_file"`
	}
	if err := yaml.Unmarshal(config, &cfg); err != nil {
		t.Fatal(err)
	}
	if cfg.LogFile == "" {
		return 0
	}
	raw, err := os.ReadFile(cfg.LogFile)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, line := range strings.Split(strings.TrimSpace(string(raw)), "\n") {
		var l struct{ Key string }
		if line != "" && json.Unmarshal([]byte(line), &l) == nil && l.Key == key {
			n++
		}
	}
	return n
}
