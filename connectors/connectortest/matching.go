package connectortest

import (
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-hq/switchboard/connectors"
	"github.com/switchboard-hq/switchboard/connectors/phone"
)

// matchRow is one contact of MatchDataset.
type matchRow struct {
	id, first, raw, e164 string
}

// matchRows are MatchDataset's contacts: numbers that share their last 7
// or more digits (or all their national digits) with numbers of another
// country, a national-only number, and a number with an extension.
var matchRows = []matchRow{
	{"6001", "London", "+44 20 4520 5757", "+442045205757"},
	{"6002", "Istanbul", "+90 532 520 57 57", "+905325205757"}, // last 7 = London's
	{"6003", "Stored Nationally", "0532 520 57 57", ""},        // Istanbul's national digits, read in GB: no E.164
	{"6004", "Duisburg", "+49 2045 205757", "+492045205757"},   // London's national digits, in Germany
	{"6005", "Not Valid In GB", "0212 444 55 66", ""},          // national only, inferred GB
	{"6006", "New York", "+1 212 444 5566", "+12124445566"},    // 6005's national digits, in the US
	{"6007", "Extension", "+44 20 7946 0018 ext. 12", "+442079460018"},
	{"6008", "Manchester", "+44 161 520 5757", "+441615205757"}, // last 7 = London's
	{"6009", "Dublin", "+353 1 520 5757", "+35315205757"},       // last 7 = London's
}

// MatchDataset returns the dataset of the matching check (a fresh copy
// each call): 9 contacts of company 2001, one number each in the phone
// slot, chosen so that a lookup which compares only the last digits, or
// national digits whatever the country, reports records that are not
// the caller's. Numbers without a country code are read in Region; those
// not valid there have no E.164 (Phone.E164 is empty).
func MatchDataset() *Records {
	d := &Records{Companies: []connectors.Company{{ID: "2001", Name: "Analytical Engines Ltd", UpdatedAt: base}}}
	for i, r := range matchRows {
		d.Contacts = append(d.Contacts, connectors.Contact{
			ID: r.id, FirstName: r.first, LastName: "Match", CompanyID: "2001", CompanyName: "Analytical Engines Ltd",
			Emails:    []string{"m" + r.id + "@example.com"},
			OwnerID:   "u-60",
			Phones:    []connectors.Phone{{Raw: r.raw, Label: LabelPhone, E164: r.e164}},
			UpdatedAt: base.Add(time.Duration(i) * time.Minute),
		})
	}
	return d
}

// matchQuery is one lookup of the matching check.
type matchQuery struct {
	name string
	req  connectors.LookupRequest
	// must names contacts the answer must hold (the check also computes
	// the full expectation from phone.Match; must guards the dataset).
	must map[string]connectors.MatchKind
}

// matchQueries are the lookups of the matching check, as the host sends
// them (ParseCaller of the E.164 number; one with no country).
func (r *runner) matchQueries() []matchQuery {
	q := func(name, e164 string, must map[string]connectors.MatchKind) matchQuery {
		return matchQuery{name: name, req: *r.request(e164, 0), must: must}
	}
	ex, nat := connectors.MatchExact, connectors.MatchNational
	return []matchQuery{
		q("turkish_caller", "+905325205757", map[string]connectors.MatchKind{"6002": ex}),
		q("london_caller", "+442045205757", map[string]connectors.MatchKind{"6001": ex}),
		q("german_caller", "+492045205757", map[string]connectors.MatchKind{"6004": ex}),
		q("new_york_caller", "+12124445566", map[string]connectors.MatchKind{"6006": ex}),
		q("british_caller_national_record", "+442124445566", map[string]connectors.MatchKind{"6005": nat}),
		q("extension_record", "+442079460018", map[string]connectors.MatchKind{"6007": ex}),
		q("manchester_caller", "+441615205757", map[string]connectors.MatchKind{"6008": ex}),
		{name: "caller_of_unknown_country", req: connectors.LookupRequest{National: "2045205757", Raw: "2045205757"},
			must: map[string]connectors.MatchKind{"6001": nat, "6004": nat}},
	}
}

// expectedMatches is what phone.Match (the rule connectors match with;
// suffix matching off, as no request asks for it) says of every contact
// of d for the request: contact ID → kind and the raw number that meets.
func (r *runner) expectedMatches(d *Records, req connectors.LookupRequest) map[string]expected {
	query := phone.Number{E164: req.E164, National: req.National, Raw: req.Raw}
	out := map[string]expected{}
	for _, c := range d.Contacts {
		var best expected
		for _, p := range c.Phones {
			n, err := r.parser.Parse(p.Raw)
			if err != nil {
				continue
			}
			if k := phone.Match(query, n, 0); k.Strength() > best.kind.Strength() {
				best = expected{kind: k, raw: p.Raw, ext: n.Extension}
			}
		}
		if best.kind != "" {
			out[c.ID] = best
		}
	}
	return out
}

// expected is how one record must meet a query.
type expected struct {
	kind connectors.MatchKind
	raw  string
	ext  string
}

// testMatching loads MatchDataset into a fresh backend and checks that
// every lookup answers exactly the records real parsing matches, with the
// kind phone.Match computes: a record sharing only the last digits with
// the caller is no match, one sharing the national digits of another
// country is no national match, and no answer is a suffix match (the
// contract has no way to ask for one: suffix matching is the host's
// configured fallback on its own index).
func (r *runner) testMatching(t *testing.T) {
	if !r.desc.Has(connectors.CapLookup) {
		t.Skip("the connector does not declare lookup")
	}
	data := r.dataset(MatchDataset())
	block := r.s.Fixture(t, data)
	c := r.serve(t)
	if !r.configure(t, c.host, block) {
		t.Fatal("the fixture's block for the match dataset was rejected")
	}
	for _, mq := range r.matchQueries() {
		t.Run(mq.name, func(t *testing.T) {
			want := r.expectedMatches(data, mq.req)
			for id, kind := range mq.must {
				if want[id].kind != kind {
					t.Fatalf("connectortest: phone.Match says %q for contact %s, the dataset expects %q: the phone package's rules changed; update MatchDataset",
						want[id].kind, id, kind)
				}
			}
			req := mq.req
			resp, err := c.host.LookupByPhone(r.ctx(t), &req)
			if err != nil {
				t.Fatalf("LookupByPhone(E164 %q, National %q): %v", req.E164, req.National, err)
			}
			r.checkKinds(t, data, req, want, resp.Matches)
		})
	}
}

// checkKinds compares a lookup's answer with the expectation.
func (r *runner) checkKinds(t *testing.T, data *Records, req connectors.LookupRequest, want map[string]expected, matches []connectors.Match) {
	t.Helper()
	what := fmt.Sprintf("LookupByPhone(E164 %q, National %q)", req.E164, req.National)
	got := map[string]bool{}
	for i, m := range matches {
		if m.Contact == nil {
			t.Errorf("%s: match %d is not a contact (%s)", what, i, m.Key())
			continue
		}
		id := m.Contact.ID
		got[id] = true
		if i > 0 && m.Kind.Strength() > matches[i-1].Kind.Strength() {
			t.Errorf("%s: match %d (%s) is stronger than match %d (%s): strongest first", what, i, m.Kind, i-1, matches[i-1].Kind)
		}
		rec := data.Contact(id)
		if rec == nil {
			t.Errorf("%s: contact %q is not in the dataset", what, id)
			continue
		}
		w, ok := want[id]
		if !ok {
			t.Errorf("%s: contact %s (%q) reported as a %q match; it is no match under phone.Match: "+
				"sharing the last digits, or the national digits of another country, is not the caller's number "+
				"(compare with phone.Match(query, record, 0))", what, id, PhoneRaw(rec, LabelPhone), m.Kind)
			continue
		}
		if m.Kind != w.kind {
			t.Errorf("%s: contact %s (%q): kind %q; phone.Match says %q", what, id, w.raw, m.Kind, w.kind)
		}
		if m.Phone.Raw != w.raw {
			t.Errorf("%s: contact %s: matched phone %q; want the stored %q", what, id, m.Phone.Raw, w.raw)
		}
		if m.Phone.Extension != "" && m.Phone.Extension != w.ext {
			t.Errorf("%s: contact %s: matched phone's extension %q; the stored number's is %q", what, id, m.Phone.Extension, w.ext)
		}
	}
	var missing []string
	for id, w := range want {
		if got[id] {
			continue
		}
		if w.kind != connectors.MatchExact && r.s.ExactOnly {
			continue
		}
		missing = append(missing, fmt.Sprintf("%s (%q, %s)", id, w.raw, w.kind))
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("%s: missing %s", what, strings.Join(missing, ", "))
	}
}
