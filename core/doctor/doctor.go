package doctor

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/switchboard-hq/switchboard/connectors"
	"github.com/switchboard-hq/switchboard/connectors/phone"
	"github.com/switchboard-hq/switchboard/core/crmsync"
	"github.com/switchboard-hq/switchboard/core/routing"
)

// DefaultLimit is how many entries each list keeps when Options.Limit is 0.
const DefaultLimit = 20

// DefaultPageSize is the List page size asked for when none is given.
const DefaultPageSize = 500

// maxPages bounds one listing, against a connector that never ends.
const maxPages = 1_000_000

// Source is one configured connector.
type Source struct {
	// Name is the connector's name in the configuration.
	Name      string
	Connector connectors.Connector
}

// Options say what to diagnose.
type Options struct {
	// Sources are the connectors, in configuration order. Required.
	Sources []Source
	// Parser reads stored numbers as the host does (its default region
	// and national matching rule). Required.
	Parser *phone.Parser
	// Routing is the routing section; its rules' expressions say which
	// record values are needed.
	Routing routing.Config
	// Sync is the sync section: which connectors it reads (Source) and
	// how records map to external_id (Companies/Contacts.Fields).
	Sync crmsync.Config
	// ConnectorLog holds the warnings the connectors logged while
	// loading, for the numbers they dropped (see LogCollector).
	ConnectorLog []LogLine
	// Limit is how many entries each list keeps (default DefaultLimit;
	// negative: none, only the totals).
	Limit int
	// PageSize is the List page size hint (default DefaultPageSize).
	PageSize int
}

// Run lists every record of every source and diagnoses them (see the
// package documentation). It fails only for bad options or a cancelled
// context; a source that cannot be listed is reported in its
// SourceReport.Error, as a problem, and the others are still diagnosed.
func Run(ctx context.Context, opts Options) (*Report, error) {
	if opts.Parser == nil {
		return nil, errors.New("doctor: no phone parser given")
	}
	if len(opts.Sources) == 0 {
		return nil, errors.New("doctor: no connectors to diagnose")
	}
	limit := opts.Limit
	switch {
	case limit == 0:
		limit = DefaultLimit
	case limit < 0:
		limit = 0
	}
	if opts.PageSize <= 0 {
		opts.PageSize = DefaultPageSize
	}
	r := &Report{Region: opts.Parser.Region(), NationalMatch: string(opts.Parser.NationalMatch()), Limit: limit}
	refs, refProblems := ScanRules(opts.Routing.Rules)
	r.RuleRefs = refs
	d := &diagnosis{opts: opts, limit: limit, r: r, refs: refs}

	var all []*listing
	for _, src := range opts.Sources {
		l, err := list(ctx, src, opts.PageSize)
		if cerr := ctx.Err(); cerr != nil {
			return nil, fmt.Errorf("doctor: %w", cerr)
		}
		sr := SourceReport{Name: src.Name, Plugin: l.plugin, Version: l.version, Check: l.check,
			Contacts: len(l.contacts), Companies: len(l.companies)}
		if err != nil {
			sr.Error = err.Error()
			r.Problems++
		}
		r.Sources = append(r.Sources, sr)
		all = append(all, l)
	}
	for i, l := range all {
		d.numbers(&r.Sources[i], l)
		d.missing(&r.Sources[i], l)
	}
	d.fromLog(opts.ConnectorLog)
	d.externalIDs(all)
	for _, p := range refProblems {
		r.ConnectorWarnings.add(limit, LogLine{Source: "routing", Message: p}, Warning)
	}

	for _, s := range []struct{ total, problems int }{
		{r.Unreadable.Total, r.Unreadable.Problems},
		{r.NationalOnly.Total, r.NationalOnly.Problems},
		{r.Shared.Total, r.Shared.Problems},
		{r.ExternalIDs.Total, r.ExternalIDs.Problems},
		{r.Missing.Total, r.Missing.Problems},
	} {
		r.Problems += s.problems
		r.Warnings += s.total - s.problems
	}
	return r, nil
}

// listing is everything one source listed.
type listing struct {
	name            string
	plugin, version string
	check           string
	contacts        []connectors.Contact
	companies       []connectors.Company
}

// list pages a source's records as the directory's index does: contacts
// unless the connector lists companies only, companies when it can.
func list(ctx context.Context, src Source, pageSize int) (*listing, error) {
	l := &listing{name: src.Name}
	if src.Connector == nil {
		return l, errors.New("no connector")
	}
	desc, err := src.Connector.Describe(ctx, &connectors.DescribeRequest{})
	if err != nil {
		return l, fmt.Errorf("describe: %w", err)
	}
	l.plugin, l.version = desc.Name, desc.Version
	if chk, err := src.Connector.Check(ctx, &connectors.CheckRequest{}); err == nil && chk != nil {
		l.check = chk.Detail
	} else if err != nil {
		l.check = "check failed: " + err.Error()
	}
	wantCompanies := desc.Has(connectors.CapListCompanies)
	wantContacts := desc.Has(connectors.CapListContacts) || !wantCompanies
	if wantContacts {
		err := pages(ctx, "ListContacts", pageSize, func(req *connectors.ListRequest) (string, error) {
			resp, err := src.Connector.ListContacts(ctx, req)
			if err != nil {
				return "", err
			}
			l.contacts = append(l.contacts, resp.Contacts...)
			return resp.NextCursor, nil
		})
		if err != nil {
			return l, err
		}
	}
	if wantCompanies {
		err := pages(ctx, "ListCompanies", pageSize, func(req *connectors.ListRequest) (string, error) {
			resp, err := src.Connector.ListCompanies(ctx, req)
			if err != nil {
				return "", err
			}
			l.companies = append(l.companies, resp.Companies...)
			return resp.NextCursor, nil
		})
		if err != nil {
			return l, err
		}
	}
	return l, nil
}

// pages calls page with successive cursors until the last page, refusing
// a repeated cursor.
func pages(ctx context.Context, op string, pageSize int, page func(*connectors.ListRequest) (string, error)) error {
	seen := map[string]bool{}
	cursor := ""
	for n := 1; n <= maxPages; n++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		next, err := page(&connectors.ListRequest{Cursor: cursor, PageSize: pageSize})
		if err != nil {
			return fmt.Errorf("%s page %d: %w", op, n, err)
		}
		if next == "" {
			return nil
		}
		if seen[next] {
			return fmt.Errorf("%s page %d: the connector returned cursor %q twice (a bug in the connector)", op, n, next)
		}
		seen[next] = true
		cursor = next
	}
	return fmt.Errorf("%s: more than %d pages", op, maxPages)
}

// diagnosis is one Run's state.
type diagnosis struct {
	opts  Options
	limit int
	r     *Report
	refs  []RuleRef
}

// holder is one stored number of one record.
type holder struct {
	rec     RecordRef
	company string // company id ("" none); a company's own id
	phone   connectors.Phone
}

// numbers reads every stored number of a source: unreadable, national
// only, and shared.
func (d *diagnosis) numbers(sr *SourceReport, l *listing) {
	var order []string
	groups := map[string][]holder{}
	add := func(rec RecordRef, company string, phones []connectors.Phone) {
		seen := map[string]bool{} // a record holding one number twice is not sharing it
		for _, p := range phones {
			sr.Numbers++
			n, why := read(d.opts.Parser, p)
			if why != "" {
				sr.Unreadable++
				d.r.Unreadable.add(d.limit, UnreadableNumber{Record: rec, Field: p.Label, Raw: p.Raw, Why: why}, Problem)
				continue
			}
			key := n.E164
			if key == "" {
				sr.NationalOnly++
				d.r.NationalOnly.add(d.limit, NationalNumber{Record: rec, Field: p.Label, Raw: p.Raw, National: n.National,
					Why: d.nationalWhy(n)}, Warning)
				key = "national " + n.National
			}
			if seen[key] {
				continue
			}
			seen[key] = true
			if _, ok := groups[key]; !ok {
				order = append(order, key)
			}
			groups[key] = append(groups[key], holder{rec: rec, company: company, phone: p})
		}
	}
	for i := range l.contacts {
		c := &l.contacts[i]
		add(RecordRef{Source: l.name, Type: "contact", ID: c.ID, Name: c.Name()}, c.CompanyID, c.Phones)
	}
	for i := range l.companies {
		c := &l.companies[i]
		add(RecordRef{Source: l.name, Type: "company", ID: c.ID, Name: c.Name}, c.ID, c.Phones)
	}
	for _, key := range order {
		hs := groups[key]
		if len(hs) < 2 {
			continue
		}
		sn := SharedNumber{Source: l.name, Number: key}
		for _, h := range hs {
			sn.Records = append(sn.Records, SharedHolder{RecordRef: h.rec, Field: h.phone.Label, Raw: h.phone.Raw, Company: h.company})
		}
		sn.CommonCompany = commonCompany(hs)
		sn.Resolved = sn.CommonCompany != ""
		sn.Severity = Problem
		if sn.Resolved {
			sn.Severity = Warning
		}
		sr.Shared++
		d.r.Shared.add(d.limit, sn, sn.Severity)
	}
}

// read reads one stored number as the directory's index does: the
// connector's E.164 when it gave a well-formed one, else the raw text
// through the parser. why is "" when it is readable.
func read(p *phone.Parser, ph connectors.Phone) (phone.Number, string) {
	if ph.E164 != "" {
		if n, ok := phone.FromE164(ph.E164); ok {
			return n, ""
		}
	}
	if strings.TrimSpace(ph.Raw) == "" {
		if ph.E164 != "" {
			return phone.Number{}, fmt.Sprintf("the connector's E.164 %q is not a well-formed E.164 number, and there is no raw text", ph.E164)
		}
		return phone.Number{}, "empty"
	}
	n, err := p.Parse(ph.Raw)
	if err != nil {
		var pe *phone.ParseError
		if errors.As(err, &pe) {
			return n, pe.Reason
		}
		return n, err.Error()
	}
	if !n.Valid() {
		return n, "no digits to match on"
	}
	return n, ""
}

// nationalWhy says how a national-only number is matched.
func (d *diagnosis) nationalWhy(n phone.Number) string {
	region := n.InferredRegion
	if region == "" {
		region = d.opts.Parser.Region()
	}
	if d.opts.Parser.NationalMatch() == phone.AnyCountry {
		return fmt.Sprintf("not a valid number of %s; no country, so it matches callers of any country with these national digits (national_match: any_country)", region)
	}
	return fmt.Sprintf("not a valid number of %s; no country, so only callers from %s (or of unknown country) with these national digits match it: add the country code if it is foreign", region, region)
}

// commonCompany is the company every holder belongs to (a company is its
// own), "" when they do not all share one: the rule the after-call CRM
// log follows for a shared number (core/aftercall).
func commonCompany(hs []holder) string {
	company := ""
	for _, h := range hs {
		if h.company == "" || (company != "" && h.company != company) {
			return ""
		}
		company = h.company
	}
	return company
}

// rings reports whether a record has a number a call can find it by.
func (d *diagnosis) rings(phones []connectors.Phone) bool {
	for _, p := range phones {
		if _, why := read(d.opts.Parser, p); why == "" {
			return true
		}
	}
	return false
}

// missing lists the records that lack a value the rules read: a
// standard key (owner, company, company_id, ...) that is empty, or a
// field that is absent or nil. A field holding "" is a value (rules such
// as record.manager_ext != "" test for it); an absent or nil one is not,
// and comparing it (nil > 1000) fails the rule at run time. Records
// without a readable number are left out: no call finds them.
func (d *diagnosis) missing(sr *SourceReport, l *listing) {
	if len(d.refs) == 0 {
		return
	}
	check := func(rec RecordRef, phones []connectors.Phone, standard map[string]string, fields map[string]any) {
		if !d.rings(phones) {
			return // no call ever finds it, so no rule ever reads it
		}
		for _, ref := range d.refs {
			var lacks bool
			if name, ok := strings.CutPrefix(ref.Key, "fields."); ok {
				lacks = fields[name] == nil
			} else if v, ok := standard[ref.Key]; ok {
				lacks = strings.TrimSpace(v) == ""
			} else {
				continue // a key this scan does not check (type, id, phones)
			}
			if !lacks {
				continue
			}
			sr.Missing++
			d.r.Missing.add(d.limit, MissingValue{Record: rec, Path: ref.Path, Rules: ref.Rules}, Problem)
		}
	}
	for i := range l.contacts {
		c := &l.contacts[i]
		check(RecordRef{Source: l.name, Type: "contact", ID: c.ID, Name: c.Name()}, c.Phones, map[string]string{
			"owner": c.OwnerID, "company": c.CompanyName, "company_id": c.CompanyID, "name": c.Name(),
			"first_name": c.FirstName, "last_name": c.LastName, "job_title": c.JobTitle, "email": first(c.Emails),
		}, c.Fields)
	}
	for i := range l.companies {
		c := &l.companies[i]
		// first_name, last_name and job_title are "" for every company by
		// design: not reported.
		check(RecordRef{Source: l.name, Type: "company", ID: c.ID, Name: c.Name}, c.Phones, map[string]string{
			"owner": c.OwnerID, "company": c.Name, "company_id": c.ID, "name": c.Name, "email": first(c.Emails),
		}, c.Fields)
	}
}

func first(s []string) string {
	if len(s) == 0 {
		return ""
	}
	return s[0]
}

// sortedKeys is the keys of m, sorted.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
