package connectortest

import (
	"sort"
	"strings"
	"testing"

	"github.com/switchboard-hq/switchboard/connectors"
)

// lookupCase is one LookupByPhone query of the standard dataset and the
// contacts it must find.
type lookupCase struct {
	name  string
	e164  string
	limit int
	want  []string // contact IDs, sorted (with a limit: those it may pick from)
	// phones maps each wanted contact to the raw number that must be
	// reported as the one that matched.
	phones map[string]string
}

// lookupCases derives the cases from the dataset: every stored number
// (each must find exactly the contacts holding it), the unknown number,
// and the shared number with a limit.
func lookupCases(d *Records) []lookupCase {
	byNumber := map[string]*lookupCase{}
	var order []string
	for _, c := range d.Contacts {
		for _, p := range c.Phones {
			lc := byNumber[p.E164]
			if lc == nil {
				lc = &lookupCase{name: strings.TrimPrefix(p.E164, "+"), e164: p.E164, phones: map[string]string{}}
				byNumber[p.E164] = lc
				order = append(order, p.E164)
			}
			lc.want = append(lc.want, c.ID)
			lc.phones[c.ID] = p.Raw
		}
	}
	var cases []lookupCase
	for _, n := range order {
		lc := byNumber[n]
		sort.Strings(lc.want)
		cases = append(cases, *lc)
	}
	shared := *byNumber[SharedPhone]
	shared.name, shared.limit = "limit_1", 1
	cases = append(cases,
		lookupCase{name: "unknown", e164: UnknownPhone},
		shared)
	return cases
}

func (r *runner) testLookup(t *testing.T) {
	if !r.desc.Has(connectors.CapLookup) {
		_, err := r.conn.host.LookupByPhone(r.ctx(t), r.request(AdaPhone, 0))
		if connectors.ClassOf(err) != connectors.ClassUnsupported {
			t.Errorf("LookupByPhone without the lookup capability: error %v; want class %s (connectors.Unsupported)",
				err, connectors.ClassUnsupported)
		}
		return
	}
	for _, lc := range lookupCases(r.data) {
		t.Run(lc.name, func(t *testing.T) {
			resp, err := r.conn.host.LookupByPhone(r.ctx(t), r.request(lc.e164, lc.limit))
			if err != nil {
				t.Fatalf("LookupByPhone(%s): %v", lc.e164, err)
			}
			r.checkMatches(t, lc, resp.Matches)
		})
	}
}

// request builds the LookupRequest the host sends for an E.164 number.
func (r *runner) request(e164 string, limit int) *connectors.LookupRequest {
	n, err := r.parser.ParseCaller(e164)
	if err != nil {
		panic("connectortest: a dataset number does not parse: " + e164)
	}
	return &connectors.LookupRequest{E164: n.E164, National: n.National, Raw: strings.TrimPrefix(e164, "+"), Limit: limit}
}

func (r *runner) checkMatches(t *testing.T, lc lookupCase, matches []connectors.Match) {
	t.Helper()
	if lc.limit > 0 {
		if len(matches) != lc.limit {
			t.Errorf("LookupByPhone(%s, limit %d): %d matches; want %d (the limit, as more records have the number)",
				lc.e164, lc.limit, len(matches), lc.limit)
		}
		for _, m := range matches {
			if m.Contact == nil || lc.phones[m.Contact.ID] == "" {
				t.Errorf("LookupByPhone(%s, limit %d): match %s does not hold the number; want one of %v",
					lc.e164, lc.limit, m.Key(), lc.want)
			}
		}
		return
	}
	var got []string
	for i, m := range matches {
		if (m.Contact == nil) == (m.Company == nil) {
			t.Errorf("match %d: exactly one of Contact and Company must be set", i)
			continue
		}
		if m.Company != nil {
			t.Errorf("match %d: company %s; the dataset's companies have no numbers", i, m.Company.ID)
			continue
		}
		got = append(got, m.Contact.ID)
		if i > 0 && m.Kind.Strength() > matches[i-1].Kind.Strength() {
			t.Errorf("match %d (%s) is stronger than match %d (%s): strongest first", i, m.Kind, i-1, matches[i-1].Kind)
		}
		want := r.data.Contact(m.Contact.ID)
		if want == nil {
			t.Errorf("match %d: contact %q is not in the dataset", i, m.Contact.ID)
			continue
		}
		if m.Kind != connectors.MatchExact {
			t.Errorf("contact %s: kind %q; want %q (the stored number is in E.164 %s)", want.ID, m.Kind, connectors.MatchExact, lc.e164)
		}
		if raw := lc.phones[want.ID]; raw != "" && m.Phone.Raw != raw {
			t.Errorf("contact %s: matched phone %q; want the stored %q", want.ID, m.Phone.Raw, raw)
		}
		for _, d := range diffContact(want, m.Contact) {
			t.Errorf("contact %s: %s", want.ID, d)
		}
	}
	sort.Strings(got)
	if strings.Join(got, ",") != strings.Join(lc.want, ",") {
		t.Errorf("LookupByPhone(%s): contacts %v; want %v", lc.e164, got, lc.want)
	}
}
