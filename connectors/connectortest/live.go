package connectortest

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/switchboard-hq/switchboard/connectors"
	"github.com/switchboard-hq/switchboard/connectors/phone"
)

// LiveOptions bound a Live run.
type LiveOptions struct {
	// Region is the host's default phone region (required).
	Region string
	// Numbers are looked up; none: numbers taken from the listed sample.
	Numbers []string
	// Sample is how many records of each list's first page to show
	// (default 5).
	Sample int
	// PageSize and MaxPages bound the paging walk (defaults 100 and 20).
	PageSize, MaxPages int
	// CallTimeout bounds each call (default 30 s).
	CallTimeout time.Duration
}

// LiveReport is what Live found.
type LiveReport struct {
	Describe *connectors.DescribeResponse
	Check    *connectors.CheckResponse
	Lists    []LiveList
	Lookups  []LiveLookup
	// Verdicts say, per check, whether the connector passed.
	Verdicts []Verdict
}

// Verdict is one check's outcome.
type Verdict struct {
	Check  string
	OK     bool
	Detail string
}

// LiveList is one list's sample and paging walk.
type LiveList struct {
	Kind      string // "contacts", "companies"
	Sample    []LiveRecord
	Pages     int
	Records   int
	Complete  bool // the walk reached the last page
	Dups      []string
	PageTimes []time.Duration
	Err       string
}

// LiveRecord is one sampled record and how its numbers read.
type LiveRecord struct {
	Key    string // "contact:1001"
	Name   string
	Phones []LivePhone
}

// LivePhone is one stored number as the host reads it.
type LivePhone struct {
	Raw, Label string
	E164       string // as the host's parser reads Raw; "" when it does not
	National   string
	Why        string // why Raw does not read as a number, or has no E.164
}

// LiveLookup is one lookup and its matches.
type LiveLookup struct {
	Number, E164, National string
	// From is the sampled record the number was taken from, "" for a
	// number given.
	From    string
	Took    time.Duration
	Matches []LiveMatch
	Err     string
}

// LiveMatch is one match and the kind real parsing computes for it.
type LiveMatch struct {
	Key, Name, Phone string
	Kind, Expected   connectors.MatchKind
}

// OK reports whether every verdict passed.
func (r *LiveReport) OK() bool {
	for _, v := range r.Verdicts {
		if !v.OK {
			return false
		}
	}
	return len(r.Verdicts) > 0
}

func (r *LiveReport) verdict(check string, ok bool, format string, args ...any) {
	r.Verdicts = append(r.Verdicts, Verdict{Check: check, OK: ok, Detail: fmt.Sprintf(format, args...)})
}

// Live runs the read-only part of the conformance checks against a
// configured connector serving a real CRM (`switchboard connector test`):
// Describe, Check, a sample of each list's first page with how each number
// reads, a bounded paging walk (duplicates, page sizes, time per page, a
// foreign cursor refused), and lookups with their match kinds compared
// with phone.Match. It never writes: no LogCall, no CreateContact.
func Live(ctx context.Context, c connectors.Connector, opts LiveOptions) *LiveReport {
	if opts.Sample <= 0 {
		opts.Sample = 5
	}
	if opts.PageSize <= 0 {
		opts.PageSize = 100
	}
	if opts.MaxPages <= 0 {
		opts.MaxPages = 20
	}
	if opts.CallTimeout <= 0 {
		opts.CallTimeout = 30 * time.Second
	}
	r := &LiveReport{}
	parser, err := phone.NewParser(opts.Region)
	if err != nil {
		r.verdict("region", false, "%v", err)
		return r
	}
	call := func() (context.Context, context.CancelFunc) { return context.WithTimeout(ctx, opts.CallTimeout) }

	cctx, cancel := call()
	d, err := c.Describe(cctx, &connectors.DescribeRequest{})
	cancel()
	if err != nil {
		r.verdict("describe", false, "Describe: %v", err)
		return r
	}
	r.Describe = d
	var problems []string
	if !nameRE.MatchString(d.Name) {
		problems = append(problems, fmt.Sprintf("name %q is not lower-case letters, digits, - and _", d.Name))
	}
	if d.ProtocolVersion != connectors.ProtocolVersion && d.ProtocolVersion != connectors.ReadOnlyProtocolVersion {
		problems = append(problems, fmt.Sprintf("protocol version %d, want %d", d.ProtocolVersion, connectors.ProtocolVersion))
	}
	for _, cp := range d.Capabilities {
		if !knownCaps[cp] {
			problems = append(problems, fmt.Sprintf("unknown capability %q", cp))
		}
	}
	r.verdict("describe", len(problems) == 0, "%s %s, protocol %d, capabilities %v%s", d.Name, d.Version, d.ProtocolVersion, d.Capabilities, prefixed("; ", problems))

	cctx, cancel = call()
	chk, err := c.Check(cctx, &connectors.CheckRequest{})
	cancel()
	if err != nil {
		r.verdict("check", false, "Check: %v", err)
	} else {
		r.Check = chk
		r.verdict("check", true, "%d records: %s", chk.Records, chk.Detail)
	}

	type sampled struct {
		key, raw, e164 string
	}
	var fromSample []sampled
	phonesSeen, phonesRead := 0, 0
	for _, l := range listers {
		if !d.Has(l.cap) {
			continue
		}
		ll := LiveList{Kind: l.kind}
		seen := map[string]bool{}
		cursor := ""
		pageSizeOK := true
		for ll.Pages < opts.MaxPages {
			cctx, cancel := call()
			start := time.Now()
			var recs []record
			var next string
			var sample []LiveRecord
			if l.kind == "contacts" {
				resp, err2 := c.ListContacts(cctx, &connectors.ListRequest{Cursor: cursor, PageSize: opts.PageSize})
				err = err2
				if err == nil {
					recs, next = listedContacts(resp), resp.NextCursor
					for i := range resp.Contacts {
						ct := &resp.Contacts[i]
						sample = append(sample, LiveRecord{Key: "contact:" + ct.ID, Name: ct.Name(), Phones: livePhones(parser, ct.Phones)})
					}
				}
			} else {
				resp, err2 := c.ListCompanies(cctx, &connectors.ListRequest{Cursor: cursor, PageSize: opts.PageSize})
				err = err2
				if err == nil {
					next = resp.NextCursor
					for i := range resp.Companies {
						co := &resp.Companies[i]
						recs = append(recs, record{id: co.ID, updated: co.UpdatedAt})
						sample = append(sample, LiveRecord{Key: "company:" + co.ID, Name: co.Name, Phones: livePhones(parser, co.Phones)})
					}
				}
			}
			took := time.Since(start)
			cancel()
			if err != nil {
				ll.Err = fmt.Sprintf("%s (cursor %q): %v", l.op, cursor, err)
				break
			}
			ll.Pages++
			ll.PageTimes = append(ll.PageTimes, took)
			if len(recs) > opts.PageSize {
				pageSizeOK = false
			}
			if ll.Pages == 1 {
				ll.Sample = sample[:min(len(sample), opts.Sample)]
				for _, s := range ll.Sample {
					for _, p := range s.Phones {
						phonesSeen++
						if p.E164 != "" || p.National != "" {
							phonesRead++
							if len(fromSample) < 3 && p.E164 != "" {
								fromSample = append(fromSample, sampled{key: s.Key, raw: p.Raw, e164: p.E164})
							}
						}
					}
				}
			}
			for _, rc := range recs {
				if seen[rc.id] {
					ll.Dups = append(ll.Dups, rc.id)
				}
				seen[rc.id] = true
				ll.Records++
			}
			if next == "" {
				ll.Complete = true
				break
			}
			cursor = next
		}
		r.Lists = append(r.Lists, ll)
		walked := fmt.Sprintf("%d records in %d pages of at most %d", ll.Records, ll.Pages, opts.PageSize)
		if !ll.Complete && ll.Err == "" {
			walked += fmt.Sprintf(" (stopped after %d pages; not the end)", opts.MaxPages)
		}
		switch {
		case ll.Err != "":
			r.verdict("paging/"+l.kind, false, "%s after %s", ll.Err, walked)
		case len(ll.Dups) > 0:
			r.verdict("paging/"+l.kind, false, "%s: returned more than once: %v", walked, ll.Dups)
		case !pageSizeOK:
			r.verdict("paging/"+l.kind, false, "%s: a page larger than asked", walked)
		default:
			r.verdict("paging/"+l.kind, true, "%s, no duplicates", walked)
		}
		cctx, cancel := call()
		_, _, err := l.list(cctx, c, &connectors.ListRequest{Cursor: garbageCursor, PageSize: 1})
		cancel()
		r.verdict("cursor/"+l.kind, connectors.ClassOf(err) == connectors.ClassInvalidRequest,
			"a cursor it never issued: %s", errOrNil(err, "accepted"))
	}
	if d.Has(connectors.CapListContacts) || d.Has(connectors.CapListCompanies) {
		switch {
		case phonesSeen == 0:
			r.verdict("phones", false, "no phone number on any sampled record: check the connector's phone mapping (columns.phones, properties)")
		case phonesRead == 0:
			r.verdict("phones", false, "none of the %d sampled phone numbers reads as a number in region %s: the mapping likely points at the wrong field", phonesSeen, opts.Region)
		default:
			r.verdict("phones", true, "%d of %d sampled phone numbers read as numbers", phonesRead, phonesSeen)
		}
	}

	if !d.Has(connectors.CapLookup) {
		return r
	}
	type query struct{ number, from string }
	var queries []query
	for _, n := range opts.Numbers {
		queries = append(queries, query{number: n})
	}
	if len(queries) == 0 {
		for _, s := range fromSample {
			queries = append(queries, query{number: s.e164, from: s.key})
		}
	}
	if len(queries) == 0 {
		r.verdict("lookup", false, "no number to look up: give -number, or make the lists return records with readable numbers")
		return r
	}
	for _, q := range queries {
		ll := LiveLookup{Number: q.number, From: q.from}
		n, err := parser.ParseCaller(q.number)
		if err != nil {
			ll.Err = fmt.Sprintf("%q does not read as a caller's number: %v", q.number, err)
			r.Lookups = append(r.Lookups, ll)
			r.verdict("lookup/"+q.number, false, "%s", ll.Err)
			continue
		}
		ll.E164, ll.National = n.E164, n.National
		cctx, cancel := call()
		start := time.Now()
		resp, err := c.LookupByPhone(cctx, &connectors.LookupRequest{E164: n.E164, National: n.National, Raw: q.number})
		ll.Took = time.Since(start)
		cancel()
		if err != nil {
			ll.Err = err.Error()
			r.Lookups = append(r.Lookups, ll)
			r.verdict("lookup/"+q.number, false, "LookupByPhone: %v", err)
			continue
		}
		var wrong []string
		found := q.from == ""
		for i, m := range resp.Matches {
			lm := LiveMatch{Key: m.Key(), Phone: m.Phone.Raw, Kind: m.Kind}
			switch {
			case m.Contact != nil:
				lm.Name = m.Contact.Name()
			case m.Company != nil:
				lm.Name = m.Company.Name
			}
			if rec, err := parser.Parse(m.Phone.Raw); err == nil {
				lm.Expected = phone.Match(n, rec, 0)
			}
			if lm.Expected != m.Kind {
				wrong = append(wrong, fmt.Sprintf("%s via %q: kind %q, phone.Match says %q", lm.Key, m.Phone.Raw, m.Kind, orNone(lm.Expected)))
			}
			if i > 0 && m.Kind.Strength() > resp.Matches[i-1].Kind.Strength() {
				wrong = append(wrong, "matches not strongest first")
			}
			if lm.Key == q.from {
				found = true
			}
			ll.Matches = append(ll.Matches, lm)
		}
		r.Lookups = append(r.Lookups, ll)
		switch {
		case len(wrong) > 0:
			r.verdict("lookup/"+q.number, false, "%s", strings.Join(wrong, "; "))
		case !found:
			r.verdict("lookup/"+q.number, false, "%s holds %s but the lookup did not return it", q.from, q.number)
		default:
			r.verdict("lookup/"+q.number, true, "%d match(es) in %s, kinds as phone.Match computes", len(resp.Matches), ll.Took.Round(time.Millisecond))
		}
	}
	return r
}

// livePhones reads each stored number as the host would.
func livePhones(p *phone.Parser, phones []connectors.Phone) []LivePhone {
	var out []LivePhone
	for _, ph := range phones {
		lp := LivePhone{Raw: ph.Raw, Label: ph.Label}
		n, err := p.Parse(ph.Raw)
		switch {
		case err != nil:
			lp.Why = err.Error()
		default:
			lp.E164, lp.National = n.E164, n.National
			if n.E164 == "" {
				lp.Why = fmt.Sprintf("not a valid number of region %s: national key %s only", p.Region(), n.National)
			}
		}
		out = append(out, lp)
	}
	return out
}

func prefixed(sep string, list []string) string {
	if len(list) == 0 {
		return ""
	}
	return sep + strings.Join(list, sep)
}

func errOrNil(err error, none string) string {
	if err == nil {
		return none
	}
	return err.Error()
}

func orNone(k connectors.MatchKind) string {
	if k == "" {
		return "no match"
	}
	return string(k)
}

// Print writes the report for an operator.
func (r *LiveReport) Print(w io.Writer) {
	if d := r.Describe; d != nil {
		fmt.Fprintf(w, "Describe: %s %s (protocol %d): %s\n  capabilities: %v\n", d.Name, d.Version, d.ProtocolVersion, d.Description, d.Capabilities)
	}
	if r.Check != nil {
		fmt.Fprintf(w, "Check: %d records: %s\n", r.Check.Records, r.Check.Detail)
	}
	for _, l := range r.Lists {
		fmt.Fprintf(w, "\n%s: sample of the first page\n", l.Kind)
		for _, s := range l.Sample {
			fmt.Fprintf(w, "  %s  %s\n", s.Key, s.Name)
			for _, p := range s.Phones {
				switch {
				case p.E164 != "":
					fmt.Fprintf(w, "    %-8s %q → %s\n", p.Label, p.Raw, p.E164)
				default:
					fmt.Fprintf(w, "    %-8s %q → no E.164: %s\n", p.Label, p.Raw, p.Why)
				}
			}
			if len(s.Phones) == 0 {
				fmt.Fprintf(w, "    (no phone numbers)\n")
			}
		}
		var total time.Duration
		slowest := time.Duration(0)
		for _, d := range l.PageTimes {
			total += d
			slowest = max(slowest, d)
		}
		avg := time.Duration(0)
		if len(l.PageTimes) > 0 {
			avg = total / time.Duration(len(l.PageTimes))
		}
		fmt.Fprintf(w, "  paging: %d pages, %d records, %d duplicates, %s per page (slowest %s), complete: %v\n",
			l.Pages, l.Records, len(l.Dups), avg.Round(time.Millisecond), slowest.Round(time.Millisecond), l.Complete)
		if l.Err != "" {
			fmt.Fprintf(w, "  error: %s\n", l.Err)
		}
	}
	if len(r.Lookups) > 0 {
		fmt.Fprintf(w, "\nlookups\n")
	}
	for _, l := range r.Lookups {
		from := ""
		if l.From != "" {
			from = " (from " + l.From + ")"
		}
		fmt.Fprintf(w, "  %s%s → E.164 %q national %q: %d match(es) in %s\n", l.Number, from, l.E164, l.National, len(l.Matches), l.Took.Round(time.Millisecond))
		for _, m := range l.Matches {
			fmt.Fprintf(w, "    %-8s %s  %s via %q (phone.Match: %s)\n", m.Kind, m.Key, m.Name, m.Phone, orNone(m.Expected))
		}
		if l.Err != "" {
			fmt.Fprintf(w, "    error: %s\n", l.Err)
		}
	}
	fmt.Fprintf(w, "\nverdicts\n")
	for _, v := range r.Verdicts {
		mark := "PASS"
		if !v.OK {
			mark = "FAIL"
		}
		fmt.Fprintf(w, "  %s  %-20s %s\n", mark, v.Check, v.Detail)
	}
}
