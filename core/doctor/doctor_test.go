package doctor

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/hashicorp/go-hclog"

	"github.com/switchboard-hq/switchboard/connectors"
	"github.com/switchboard-hq/switchboard/connectors/phone"
	"github.com/switchboard-hq/switchboard/core/crmsync"
	"github.com/switchboard-hq/switchboard/core/routing"
)

// fake is an in-process connector serving fixed records, two a page.
type fake struct {
	contacts  []connectors.Contact
	companies []connectors.Company
	listErr   error
}

func (f *fake) Describe(context.Context, *connectors.DescribeRequest) (*connectors.DescribeResponse, error) {
	caps := []connectors.Capability{connectors.CapListContacts}
	if f.companies != nil {
		caps = append(caps, connectors.CapListCompanies)
	}
	return &connectors.DescribeResponse{Name: "fake", Version: "0.1", Capabilities: caps}, nil
}
func (f *fake) Configure(context.Context, *connectors.ConfigureRequest) (*connectors.ConfigureResponse, error) {
	return &connectors.ConfigureResponse{}, nil
}
func (f *fake) Check(context.Context, *connectors.CheckRequest) (*connectors.CheckResponse, error) {
	return &connectors.CheckResponse{Records: int64(len(f.contacts)), Detail: "fake data"}, nil
}
func (f *fake) LookupByPhone(context.Context, *connectors.LookupRequest) (*connectors.LookupResponse, error) {
	return &connectors.LookupResponse{}, nil
}
func (f *fake) ListCompanies(_ context.Context, req *connectors.ListRequest) (*connectors.ListCompaniesResponse, error) {
	from, to, next := window(req.Cursor, len(f.companies))
	return &connectors.ListCompaniesResponse{Companies: f.companies[from:to], NextCursor: next}, nil
}
func (f *fake) ListContacts(_ context.Context, req *connectors.ListRequest) (*connectors.ListContactsResponse, error) {
	if f.listErr != nil && req.Cursor != "" {
		return nil, f.listErr // fails on the second page
	}
	from, to, next := window(req.Cursor, len(f.contacts))
	return &connectors.ListContactsResponse{Contacts: f.contacts[from:to], NextCursor: next}, nil
}

// window pages n records two at a time; the cursor is the next offset.
func window(cursor string, n int) (from, to int, next string) {
	from, _ = strconv.Atoi(cursor)
	to = min(from+2, n)
	if to < n {
		next = strconv.Itoa(to)
	}
	return from, to, next
}

func ph(label, raw string) connectors.Phone { return connectors.Phone{Label: label, Raw: raw} }

func contact(id, companyID, owner string, phones ...connectors.Phone) connectors.Contact {
	return connectors.Contact{ID: id, FirstName: "N" + id, CompanyID: companyID, CompanyName: companyID, OwnerID: owner, Phones: phones}
}

func gbParser(t *testing.T) *phone.Parser {
	t.Helper()
	p, err := phone.NewParser("GB")
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func defaultSync() crmsync.Config { return crmsync.DefaultConfig() }

func run(t *testing.T, opts Options) *Report {
	t.Helper()
	if opts.Parser == nil {
		opts.Parser = gbParser(t)
	}
	r, err := Run(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func keys(rs []RecordRef) string {
	var out []string
	for _, r := range rs {
		out = append(out, r.Key())
	}
	return strings.Join(out, ",")
}

// TestNumbers: unreadable numbers with the parser's reason, national-only
// numbers, shared numbers with and without a common company, per source.
func TestNumbers(t *testing.T) {
	tests := []struct {
		name                 string
		contacts             []connectors.Contact
		companies            []connectors.Company
		unreadable, national []string // "key field raw"
		shared               []string // "number keys resolved"
		problems, warnings   int
	}{
		{
			name:     "clean",
			contacts: []connectors.Contact{contact("1", "CO", "u", ph("Phone", "+44 20 4520 5757")), contact("2", "CO", "u", ph("Phone", "020 7946 0018"))},
		},
		{
			name:       "letters and extension only",
			contacts:   []connectors.Contact{contact("1", "", "", ph("Phone", "call me maybe"), ph("Mobile", "x101"), ph("Work", "020 4520 5757"))},
			unreadable: []string{"contact:1 Phone call me maybe", "contact:1 Mobile x101"},
			problems:   2,
		},
		{
			name:     "national only: a UK mobile range not valid in metadata",
			contacts: []connectors.Contact{contact("1", "", "", ph("Mobile", "07700 900123"))},
			national: []string{"contact:1 Mobile 07700 900123"},
			warnings: 1,
		},
		{
			name: "shared within one company, written differently, extension ignored: a warning",
			contacts: []connectors.Contact{
				contact("1", "CO-5", "", ph("Phone", "+44 20 7946 0999")),
				contact("2", "CO-5", "", ph("Phone", "020 7946 0999 ext. 12")),
			},
			shared:   []string{"+442079460999 contact:1,contact:2 true"},
			warnings: 1,
		},
		{
			name: "shared across companies and with a company: a problem",
			contacts: []connectors.Contact{
				contact("1", "A", "", ph("Phone", "+44 20 7946 0999")),
				contact("2", "B", "", ph("Phone", "020 7946 0999")),
			},
			companies: []connectors.Company{{ID: "A", Name: "A Ltd", Phones: []connectors.Phone{ph("main", "02079460999")}}},
			shared:    []string{"+442079460999 contact:1,contact:2,company:A false"},
			problems:  1,
		},
		{
			name: "a contact and its own company: resolved",
			contacts: []connectors.Contact{
				contact("1", "A", "", ph("Phone", "+44 20 7946 0999")),
			},
			companies: []connectors.Company{{ID: "A", Name: "A Ltd", Phones: []connectors.Phone{ph("main", "02079460999")}}},
			shared:    []string{"+442079460999 contact:1,company:A true"},
			warnings:  1,
		},
		{
			name:     "one record holding a number twice is not sharing it",
			contacts: []connectors.Contact{contact("1", "", "", ph("Phone", "+44 20 7946 0999"), ph("Mobile", "020 7946 0999"))},
		},
		{
			name: "national-only numbers shared by their national key, no company",
			contacts: []connectors.Contact{
				contact("1", "", "", ph("Mobile", "07700 900123")),
				contact("2", "", "", ph("Mobile", "07700900123")),
			},
			national: []string{"contact:1 Mobile 07700 900123", "contact:2 Mobile 07700900123"},
			shared:   []string{"national 7700900123 contact:1,contact:2 false"},
			problems: 1, warnings: 2,
		},
		{
			name:     "the connector's E.164 wins over its raw text",
			contacts: []connectors.Contact{contact("1", "", "", connectors.Phone{Label: "Phone", Raw: "office", E164: "+442045205757"})},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &fake{contacts: tt.contacts, companies: tt.companies}
			r := run(t, Options{Sources: []Source{{"crm", f}}})
			var got []string
			for _, u := range r.Unreadable.Items {
				got = append(got, u.Record.Key()+" "+u.Field+" "+u.Raw)
				if u.Why == "" {
					t.Errorf("%s: no reason", u.Raw)
				}
			}
			assertList(t, "unreadable", got, tt.unreadable)
			got = nil
			for _, n := range r.NationalOnly.Items {
				got = append(got, n.Record.Key()+" "+n.Field+" "+n.Raw)
			}
			assertList(t, "national", got, tt.national)
			got = nil
			for _, s := range r.Shared.Items {
				var rs []RecordRef
				for _, h := range s.Records {
					rs = append(rs, h.RecordRef)
				}
				got = append(got, s.Number+" "+keys(rs)+" "+strconv.FormatBool(s.Resolved))
			}
			assertList(t, "shared", got, tt.shared)
			if r.Problems != tt.problems || r.Warnings != tt.warnings {
				t.Errorf("problems %d warnings %d, want %d %d", r.Problems, r.Warnings, tt.problems, tt.warnings)
			}
			s := r.Sources[0]
			if s.Contacts != len(tt.contacts) || s.Companies != len(tt.companies) || s.Unreadable != len(tt.unreadable) ||
				s.NationalOnly != len(tt.national) || s.Shared != len(tt.shared) || s.Check != "fake data" {
				t.Errorf("source counts %+v", s)
			}
		})
	}
}

func assertList(t *testing.T, what string, got, want []string) {
	t.Helper()
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("%s:\n got  %q\n want %q", what, got, want)
	}
}

// TestSharedIsPerSource: the same number in two sources is not a shared
// number (each source answers its own rings).
func TestSharedIsPerSource(t *testing.T) {
	a := &fake{contacts: []connectors.Contact{contact("1", "", "", ph("Phone", "+44 20 7946 0999"))}}
	b := &fake{contacts: []connectors.Contact{contact("1", "", "", ph("Phone", "+44 20 7946 0999"))}}
	r := run(t, Options{Sources: []Source{{"a", a}, {"b", b}}, Sync: crmsync.Config{}})
	if r.Shared.Total != 0 {
		t.Errorf("shared %+v", r.Shared)
	}
}

// TestExternalIDs: collisions as core/crmsync would meet them.
func TestExternalIDs(t *testing.T) {
	c := func(id string) connectors.Contact {
		return connectors.Contact{ID: id, FirstName: "x", Fields: map[string]any{"crm_no": 7.0, "code": id}}
	}
	tests := []struct {
		name    string
		sources map[string][]connectors.Contact
		order   []string
		sync    func(*crmsync.Config)
		want    []string // "resource kind id keys"
		probs   int
	}{
		{
			name:    "unique ids",
			sources: map[string][]connectors.Contact{"a": {c("C1"), c("C2")}},
			order:   []string{"a"},
		},
		{
			name:    "whitespace: the sync trims, so they collide",
			sources: map[string][]connectors.Contact{"a": {c("C1"), c(" C1 ")}},
			order:   []string{"a"},
			want:    []string{"contacts same C1 contact:C1,contact: C1 "},
			probs:   1,
		},
		{
			name:    "the same id in two sources",
			sources: map[string][]connectors.Contact{"a": {c("C1")}, "b": {c("C1")}},
			order:   []string{"a", "b"},
			want:    []string{"contacts same C1 contact:C1,contact:C1"},
			probs:   1,
		},
		{
			name:    "sync.source reads one source only",
			sources: map[string][]connectors.Contact{"a": {c("C1")}, "b": {c("C1")}},
			order:   []string{"a", "b"},
			sync:    func(s *crmsync.Config) { s.Source = "b" },
		},
		{
			name:    "case only: a warning",
			sources: map[string][]connectors.Contact{"a": {c("ab-1"), c("AB-1")}},
			order:   []string{"a"},
			want:    []string{"contacts case ab-1 contact:ab-1,contact:AB-1"},
		},
		{
			name:    "a mapping to a field every record shares (a number, sent as digits)",
			sources: map[string][]connectors.Contact{"a": {c("C1"), c("C2")}},
			order:   []string{"a"},
			sync:    func(s *crmsync.Config) { s.Contacts.Fields = map[string]string{"external_id": "fields.crm_no"} },
			want:    []string{"contacts same 7 contact:C1,contact:C2"},
			probs:   1,
		},
		{
			name:    "a template mapping",
			sources: map[string][]connectors.Contact{"a": {c("C1"), c("c1")}},
			order:   []string{"a"},
			sync: func(s *crmsync.Config) {
				s.Contacts.Fields = map[string]string{"external_id": `crm-{{ .code | printf "%.1s" }}`}
			},
			want:  []string{"contacts case crm-C contact:C1,contact:c1"},
			probs: 0,
		},
		{
			name:    "contacts sync off",
			sources: map[string][]connectors.Contact{"a": {c("C1"), c("C1 ")}},
			order:   []string{"a"},
			sync:    func(s *crmsync.Config) { s.Contacts.Enabled = false },
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := defaultSync()
			if tt.sync != nil {
				tt.sync(&cfg)
			}
			var srcs []Source
			for _, name := range tt.order {
				srcs = append(srcs, Source{name, &fake{contacts: tt.sources[name]}})
			}
			r := run(t, Options{Sources: srcs, Sync: cfg})
			var got []string
			for _, col := range r.ExternalIDs.Items {
				var rs []RecordRef
				for _, h := range col.Records {
					rs = append(rs, h.RecordRef)
				}
				got = append(got, col.Resource+" "+col.Kind+" "+col.ExternalID+" "+keys(rs))
			}
			assertList(t, "collisions", got, tt.want)
			if r.ExternalIDs.Problems != tt.probs {
				t.Errorf("problems %d, want %d", r.ExternalIDs.Problems, tt.probs)
			}
		})
	}
}

// TestScanRules: what rules read of the record, from their expressions.
func TestScanRules(t *testing.T) {
	tests := []struct {
		when   string
		toExpr string
		want   string // "path=key" joined by ","
	}{
		{`found`, "", ""},
		{`found && record.owner != ""`, "", "record.owner=owner"},
		{`record["company"] == "ACME" || record?.company_id == "1"`, "", "record.company=company,record.company_id=company_id"},
		{`record.fields.tier == "gold"`, "", "record.fields.tier=fields.tier"},
		{`(record.balance ?? 0) > 1000`, "record.manager_ext", "record.balance=fields.balance,record.manager_ext=fields.manager_ext"},
		{`$env.record.owner in ["u-1"]`, "", "record.owner=owner"},
		{`len(record.fields) > 0 && record[caller] == ""`, "", ""},
		{`owner == "x" && match == "exact"`, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.when, func(t *testing.T) {
			rule := routing.Rule{Name: "r", When: tt.when}
			if tt.toExpr != "" {
				rule.ToExpr = map[string]string{"hipcall": tt.toExpr}
			}
			refs, notes := ScanRules([]routing.Rule{rule})
			if len(notes) > 0 {
				t.Fatal(notes)
			}
			var got []string
			for _, r := range refs {
				got = append(got, r.Path+"="+r.Key)
			}
			if strings.Join(got, ",") != tt.want {
				t.Errorf("got %q, want %q", strings.Join(got, ","), tt.want)
			}
		})
	}
	_, notes := ScanRules([]routing.Rule{{Name: "bad", When: "found &&"}})
	if len(notes) != 1 || !strings.Contains(notes[0], `rule "bad"`) {
		t.Errorf("notes %q", notes)
	}
}

// TestMissingRuleValues: records without a value a rule reads; records
// no call can find are left out, and a field holding "" is a value.
func TestMissingRuleValues(t *testing.T) {
	rules := []routing.Rule{
		{Name: "owner", When: `found && record.owner != ""`},
		{Name: "vip", When: `found && record.balance > 1000`, ToExpr: map[string]string{"hipcall": "record.manager_ext"}},
		{Name: "by-company", When: `record.company == "ACME"`},
	}
	withFields := func(c connectors.Contact, f map[string]any) connectors.Contact { c.Fields = f; return c }
	f := &fake{contacts: []connectors.Contact{
		withFields(contact("1", "A", "u-1", ph("Phone", "+44 20 4520 5757")), map[string]any{"balance": 5.0, "manager_ext": ""}),
		withFields(contact("2", "", "", ph("Phone", "+44 20 4520 5758")), map[string]any{"balance": nil}),
		withFields(contact("3", "", "", ph("Phone", "no number")), nil), // never rings
	}}
	r := run(t, Options{Sources: []Source{{"crm", f}}, Routing: routing.Config{Rules: rules}})
	var got []string
	for _, m := range r.Missing.Items {
		got = append(got, m.Record.Key()+" "+m.Path+" "+strings.Join(m.Rules, "+"))
	}
	assertList(t, "missing", got, []string{
		"contact:2 record.balance vip", "contact:2 record.company by-company",
		"contact:2 record.manager_ext vip", "contact:2 record.owner owner",
	})
	if r.Sources[0].Missing != 4 || r.Missing.Problems != 4 {
		t.Errorf("counts %+v %+v", r.Sources[0], r.Missing)
	}
}

// TestLimit: lists keep the first entries, totals count every one.
func TestLimit(t *testing.T) {
	var cs []connectors.Contact
	for i := range 7 {
		cs = append(cs, contact(strconv.Itoa(i), "", "", ph("Phone", "bad "+strconv.Itoa(i))))
	}
	for _, tt := range []struct{ limit, kept int }{{0, 7}, {3, 3}, {-1, 0}} {
		r := run(t, Options{Sources: []Source{{"crm", &fake{contacts: cs}}}, Limit: tt.limit})
		if r.Unreadable.Total != 7 || len(r.Unreadable.Items) != tt.kept || r.Problems != 7 {
			t.Errorf("limit %d: total %d kept %d problems %d", tt.limit, r.Unreadable.Total, len(r.Unreadable.Items), r.Problems)
		}
		if tt.limit > 0 && r.Unreadable.Items[0].Raw != "bad 0" {
			t.Errorf("limit %d: first kept %q", tt.limit, r.Unreadable.Items[0].Raw)
		}
	}
}

// TestListError: a source failing mid-listing is a problem; the others
// are still diagnosed.
func TestListError(t *testing.T) {
	broken := &fake{contacts: []connectors.Contact{contact("1", "", ""), contact("2", "", ""), contact("3", "", "")}, listErr: errors.New("CRM down")}
	good := &fake{contacts: []connectors.Contact{contact("1", "", "", ph("Phone", "nope"))}}
	r := run(t, Options{Sources: []Source{{"broken", broken}, {"good", good}}})
	if !strings.Contains(r.Sources[0].Error, "CRM down") || r.Sources[0].Contacts != 2 {
		t.Errorf("broken source %+v", r.Sources[0])
	}
	if r.Unreadable.Total != 1 || r.Problems != 2 {
		t.Errorf("unreadable %d problems %d", r.Unreadable.Total, r.Problems)
	}
	if _, err := Run(context.Background(), Options{Parser: gbParser(t)}); err == nil {
		t.Error("no sources: want an error")
	}
	if _, err := Run(context.Background(), Options{Sources: []Source{{"good", good}}}); err == nil {
		t.Error("no parser: want an error")
	}
}

// TestConnectorLog: numbers a connector dropped while loading, from its
// warnings; other warnings are kept as they are.
func TestConnectorLog(t *testing.T) {
	tests := []struct {
		msg                    string
		ok                     bool
		where, field, raw, why string
	}{
		{`sample/customers.csv:11: column Phone: cannot read "call me maybe" as a phone number: it has letters ("call"); only digits (number dropped, row kept)`,
			true, "sample/customers.csv:11", "Phone", "call me maybe", `it has letters ("call"); only digits`},
		{`x.csv:3: column Mobile: cannot read "07\"7" as a phone number (number dropped, row kept)`, true, "x.csv:3", "Mobile", `07"7`, "not a phone number"},
		{`cannot read "abc" as a phone number: no digits`, true, "", "", "abc", "no digits"},
		{`x.csv:4: duplicate id "C1" (first on line 2) (row skipped)`, false, "", "", "", ""},
	}
	for _, tt := range tests {
		u, ok := parseDropped(tt.msg)
		if ok != tt.ok || u.Where != tt.where || u.Field != tt.field || u.Raw != tt.raw || u.Why != tt.why {
			t.Errorf("%s:\n got %v %+v", tt.msg, ok, u)
		}
	}

	c := NewLogCollector()
	log := hclog.NewInterceptLogger(&hclog.LoggerOptions{Output: &bytes.Buffer{}, Level: hclog.Trace})
	log.RegisterSink(c)
	log.Named("plugin.customers").Named("switchboard-connector-csv").Warn(tests[0].msg)
	log.Named("plugin.customers").Info("started")
	log.Named("directory").Warn("not a plugin")
	log.Named("plugin.customers").Error(tests[3].msg)
	log.Named("plugin.customers").Warn(tests[0].msg)                     // logged again (a reload): kept once
	log.Named("switchboard").Named("plugin.orders").Warn("under a name") // a serving host's logger has a name
	log.Named("replugin.x").Warn("not a plugin either")
	lines := c.Lines()
	if len(lines) != 3 || lines[0].Source != "customers" || lines[2].Source != "orders" {
		t.Fatalf("collected %+v", lines)
	}
	f := &fake{contacts: []connectors.Contact{contact("1", "", "", ph("Phone", "+44 20 4520 5757"))}}
	r := run(t, Options{Sources: []Source{{"customers", f}}, ConnectorLog: lines[:2]})
	if r.Unreadable.Total != 1 || r.Unreadable.Items[0].Where != "sample/customers.csv:11" || r.Sources[0].Unreadable != 1 {
		t.Errorf("unreadable %+v, source %+v", r.Unreadable, r.Sources[0])
	}
	if r.ConnectorWarnings.Total != 1 || !strings.Contains(r.ConnectorWarnings.Items[0].Message, "duplicate id") || r.Problems != 1 {
		t.Errorf("warnings %+v, problems %d", r.ConnectorWarnings, r.Problems)
	}
}

// TestText and TestJSON: both renderings name the findings.
func TestRenderings(t *testing.T) {
	f := &fake{contacts: []connectors.Contact{
		contact("C007", "CO-5", "", ph("Phone", "+44 20 7946 0999")),
		contact("C008", "CO-5", "", ph("Phone", "020 7946 0999")),
		contact("C010", "", "", ph("Phone", "call me maybe")),
	}}
	r := run(t, Options{Sources: []Source{{"customers", f}}, Limit: 1})
	var text bytes.Buffer
	if err := r.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"SOURCE", "customers  fake 0.1  3", "Unreadable numbers: 1", `contact:C010 NC010  Phone "call me maybe": it has letters`,
		"Shared numbers: 1", "+442079460999  2 records, common company CO-5", "contact:C008 NC008", "1 problem(s), 1 warning(s)",
	} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("text lacks %q:\n%s", want, text.String())
		}
	}
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"unreadable_numbers":{"total":1`, `"raw":"call me maybe"`, `"common_company":"CO-5"`, `"problems":1`} {
		if !bytes.Contains(b, []byte(want)) {
			t.Errorf("JSON lacks %s:\n%s", want, b)
		}
	}
}
