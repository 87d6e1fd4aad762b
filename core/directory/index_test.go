package directory

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/switchboard-hq/switchboard/connectors"
	"github.com/switchboard-hq/switchboard/connectors/phone"
)

func TestPackDigits(t *testing.T) {
	tests := []struct {
		in string
		ok bool
	}{
		{"123", true},
		{"0123", true},
		{"00123", true},
		{"12345678901234567", true},
		{"123456789012345678", false},
		{"", false},
		{"12a3", false},
		{"+123", false},
	}
	seen := map[uint64]string{}
	for _, tt := range tests {
		k, ok := packDigits(tt.in)
		if ok != tt.ok {
			t.Errorf("packDigits(%q) ok = %v, want %v", tt.in, ok, tt.ok)
			continue
		}
		if !ok {
			continue
		}
		if prev, dup := seen[k]; dup {
			t.Errorf("packDigits(%q) = packDigits(%q) = %#x; keys must differ", tt.in, prev, k)
		}
		seen[k] = tt.in
	}
	if k1, _ := packE164("+4412"); k1 == 0 {
		t.Errorf("packE164(+4412) gave the zero key")
	}
	if _, ok := packE164("4412"); ok {
		t.Errorf("packE164 accepted a number without '+'")
	}
}

// testIndex builds an index over the fake's records with GB as the default
// region.
func testIndex(t *testing.T, f *fakeConn, suffix int) *Index {
	t.Helper()
	ix, err := BuildIndex(context.Background(), f, IndexOptions{Parser: gbParser(t), SuffixDigits: suffix, PageSize: 2})
	if err != nil {
		t.Fatalf("BuildIndex: %v", err)
	}
	return ix
}

func TestIndexLookup(t *testing.T) {
	f := newFake(
		contact("alice", "+44 20 4520 5757", "07911 123456"),
		contact("bob", "+90 532 123 45 67"),
		contact("carol", "+44 20 7946 0000"),
		contact("dave", "+44 20 7946 0000"),                 // shares carol's number
		contact("erin", "+44 161 496 0999"),                 // suffix 4960999
		contact("frank", "+44 113 496 0999"),                // same suffix as erin
		contact("grace", "+44 7400 123456", "07400 123456"), // one number twice
		contact("heidi", "not a number", "+44 20 7946 0111"),
	)
	f.caps = append(f.caps, connectors.CapListCompanies)
	f.companies = []connectors.Company{company("acme", "+44 20 3000 4000")}
	ix := testIndex(t, f, 7)
	p := gbParser(t)

	if got, want := ix.Len(), 9; got != want {
		t.Errorf("Len() = %d, want %d", got, want)
	}
	if ix.Skipped() != 1 {
		t.Errorf("Skipped() = %d, want 1 (heidi's bad number)", ix.Skipped())
	}

	tests := []struct {
		name   string
		query  string
		suffix int
		kind   connectors.MatchKind
		keys   []string
		phone  string // raw of the phone that matched (first match)
	}{
		{"exact E164", "+442045205757", 0, connectors.MatchExact, []string{"contact:alice"}, "+44 20 4520 5757"},
		{"exact from national caller", "02045205757", 0, connectors.MatchExact, []string{"contact:alice"}, "+44 20 4520 5757"},
		{"second phone", "+447911123456", 0, connectors.MatchExact, []string{"contact:alice"}, "07911 123456"},
		{"other country", "+905321234567", 0, connectors.MatchExact, []string{"contact:bob"}, "+90 532 123 45 67"},
		{"shared number is ambiguous", "+442079460000", 0, connectors.MatchExact, []string{"contact:carol", "contact:dave"}, "+44 20 7946 0000"},
		{"company", "+442030004000", 0, connectors.MatchExact, []string{"company:acme"}, "+44 20 3000 4000"},
		{"record with a number twice appears once", "+447400123456", 0, connectors.MatchExact, []string{"contact:grace"}, "+44 7400 123456"},
		{"record after a bad number", "+442079460111", 0, connectors.MatchExact, []string{"contact:heidi"}, "+44 20 7946 0111"},
		{"suffix off", "+441514960999", 0, "", nil, ""},
		{"suffix on", "+441514960999", 7, connectors.MatchSuffix, []string{"contact:erin", "contact:frank"}, "+44 161 496 0999"},
		{"suffix with other digits than built", "+441514960999", 6, "", nil, ""},
		{"exact beats suffix", "+441614960999", 7, connectors.MatchExact, []string{"contact:erin"}, "+44 161 496 0999"},
		{"unknown", "+442000000001", 7, "", nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q, err := p.ParseCaller(tt.query)
			if err != nil {
				t.Fatalf("ParseCaller(%q): %v", tt.query, err)
			}
			got := ix.Lookup(q, tt.suffix)
			if !slices.Equal(keys(got), tt.keys) {
				t.Fatalf("Lookup(%q) = %v, want %v", tt.query, keys(got), tt.keys)
			}
			for _, m := range got {
				if m.Kind != tt.kind {
					t.Errorf("%s kind = %q, want %q", m.Key(), m.Kind, tt.kind)
				}
			}
			if len(got) > 0 && got[0].Phone.Raw != tt.phone {
				t.Errorf("matched phone = %q, want %q", got[0].Phone.Raw, tt.phone)
			}
		})
	}
}

// TestIndexNationalOnly covers numbers stored without a country: a GB
// index reads "2045205757"-style numbers nationally when they are not
// valid numbers, and a query without a country meets numbers by their
// national number.
func TestIndexNationalOnly(t *testing.T) {
	c := contact("nat")
	c.Phones = []connectors.Phone{{Raw: "stored", E164: ""}}
	ix := &Index{}
	b := builder{ix: ix, parser: gbParser(t)}
	b.holdContact(&c)
	if !b.add(0, 0, phone.Number{National: "4441234"}) {
		t.Fatal("add of a national-only number indexed nothing")
	}
	withCountry := contact("cc")
	withCountry.Phones = []connectors.Phone{{E164: "+904441234"}}
	b.holdContact(&withCountry)
	b.add(1, 0, phone.Number{E164: "+904441234", CountryCode: 90, National: "4441234"})
	ix.finish()

	// Without a country, the query meets both nationally.
	got := ix.Lookup(phone.Number{National: "4441234"}, 0)
	if want := []string{"contact:nat", "contact:cc"}; !slices.Equal(keys(got), want) {
		t.Fatalf("national query: got %v, want %v", keys(got), want)
	}
	for _, m := range got {
		if m.Kind != connectors.MatchNational {
			t.Errorf("%s kind = %q, want national", m.Key(), m.Kind)
		}
	}
	// With the same country, the stored E.164 wins alone.
	got = ix.Lookup(phone.Number{E164: "+904441234", CountryCode: 90, National: "4441234"}, 0)
	if want := []string{"contact:cc"}; !slices.Equal(keys(got), want) || got[0].Kind != connectors.MatchExact {
		t.Fatalf("exact query: got %v, want %v exact", keys(got), want)
	}
	// "0123" and "123" are different keys.
	if got := ix.Lookup(phone.Number{National: "04441234"}, 0); got != nil {
		t.Errorf("leading zero matched: %v", keys(got))
	}
}

// TestIndexNationalCountries is issue 10 item 4 through Lookup: with
// default region GB, Turkish numbers stored nationally are GB national keys
// ("0212 444 55 66" is no valid UK number) and callers from the US, whose
// national digits are the same, must not meet them; with national_match
// any_country they do, as before.
func TestIndexNationalCountries(t *testing.T) {
	f := newFake(
		contact("ayse", "0212 444 55 66"),
		contact("mehmet", "0212 444 55 66"),
		contact("zeynep", "0216 333 44 55"),
		contact("can", "0532 123 45 67"),
		contact("london", "020 4520 5757"),
		contact("newrange", "07700 900123"), // a UK mobile the metadata does not know
	)
	build := func(region string, rule phone.NationalMatch) *Index {
		t.Helper()
		p, err := phone.NewParser(region)
		if err != nil {
			t.Fatal(err)
		}
		ix, err := BuildIndex(context.Background(), f, IndexOptions{Parser: p.WithNationalMatch(rule)})
		if err != nil {
			t.Fatalf("BuildIndex: %v", err)
		}
		return ix
	}
	tests := []struct {
		region string
		rule   phone.NationalMatch
		query  string
		kind   connectors.MatchKind
		keys   []string
	}{
		{"GB", "", "+12124445566", "", nil}, // New York
		{"GB", "", "+12163334455", "", nil}, // Cleveland
		{"GB", "", "+15321234567", "", nil},
		{"GB", phone.SameCountry, "+12124445566", "", nil},
		{"GB", "", "+902124445566", "", nil}, // stored as a GB national key: the region says GB
		{"GB", "", "+442045205757", connectors.MatchExact, []string{"contact:london"}},
		{"GB", "", "020 4520 5757", connectors.MatchExact, []string{"contact:london"}},
		{"GB", "", "+447700900123", connectors.MatchNational, []string{"contact:newrange"}},
		{"GB", "", "0212 444 55 66", connectors.MatchNational, []string{"contact:ayse", "contact:mehmet"}},
		{"GB", phone.AnyCountry, "+12124445566", connectors.MatchNational, []string{"contact:ayse", "contact:mehmet"}},
		{"GB", phone.AnyCountry, "+12163334455", connectors.MatchNational, []string{"contact:zeynep"}},
		{"GB", phone.AnyCountry, "+15321234567", connectors.MatchNational, []string{"contact:can"}},
		{"GB", phone.AnyCountry, "+902124445566", connectors.MatchNational, []string{"contact:ayse", "contact:mehmet"}},
		{"TR", "", "+902124445566", connectors.MatchExact, []string{"contact:ayse", "contact:mehmet"}},
		{"TR", "", "+12124445566", "", nil},
		{"TR", "", "+447700900123", "", nil}, // "07700 900123" is a TR national key in a TR CRM
		{"TR", phone.AnyCountry, "+447700900123", connectors.MatchNational, []string{"contact:newrange"}},
	}
	for _, tt := range tests {
		ix := build(tt.region, tt.rule)
		p, _ := phone.NewParser(tt.region)
		q, err := p.ParseCaller(tt.query)
		if err != nil {
			t.Fatalf("ParseCaller(%q): %v", tt.query, err)
		}
		got := ix.Lookup(q, 0)
		if !slices.Equal(keys(got), tt.keys) {
			t.Errorf("%s %q: Lookup(%q) = %v, want %v", tt.region, tt.rule, tt.query, keys(got), tt.keys)
		}
		for _, m := range got {
			if m.Kind != tt.kind {
				t.Errorf("%s %q: Lookup(%q): %s kind %q, want %q", tt.region, tt.rule, tt.query, m.Key(), m.Kind, tt.kind)
			}
		}
	}
}

// TestIndexAgreesWithPhoneMatch checks the index against a brute-force scan
// with phone.NationalMatch.Match, which defines what matches, under both
// national rules.
func TestIndexAgreesWithPhoneMatch(t *testing.T) {
	for _, rule := range []phone.NationalMatch{phone.SameCountry, phone.AnyCountry} {
		t.Run(string(rule), func(t *testing.T) { testIndexAgreesWithPhoneMatch(t, rule) })
	}
}

func testIndexAgreesWithPhoneMatch(t *testing.T, rule phone.NationalMatch) {
	p := gbParser(t).WithNationalMatch(rule)
	stored := []string{
		"+44 20 4520 5757", "020 4520 5757", "+1 204 520 5757", "+90 532 123 45 67",
		"0532 123 45 67", "+44 7700 900123", "+44 7700 800123", "+44 161 496 0999",
		"+44 113 496 0999", "+353 1 496 0999", "2045205757", "+49 30 4520 5757",
		"0212 444 55 66", "+90 212 444 55 66", "07700 900123", "0216 333 44 55",
	}
	var contacts []connectors.Contact
	for i, raw := range stored {
		contacts = append(contacts, contact(fmt.Sprintf("c%02d", i), raw))
	}
	// Queries from countries no record has (+61, +7) meet, under
	// any_country, the records whose country was not written in their own
	// digits nationally, and only those; under same_country none.
	queries := append([]string{"+12045205757", "442045205757", "5321234567", "+447700700123", "+4930999999",
		"+61 2045205757", "+7 204 520 5757", "+61 5321234567", "+12124445566", "+12163334455",
		"+15321234567", "+902124445566", "+447700900123", "0216 333 44 55"}, stored...)
	for _, suffix := range []int{0, 6, 7} {
		ix, err := BuildIndex(context.Background(), newFake(contacts...), IndexOptions{Parser: p, SuffixDigits: suffix, PageSize: 2})
		if err != nil {
			t.Fatalf("BuildIndex: %v", err)
		}
		for _, raw := range queries {
			q, err := p.ParseCaller(raw)
			if err != nil {
				continue
			}
			// Brute force: the strongest kind over every record's phones.
			var best connectors.MatchKind
			var want []string
			for i := range contacts {
				n, ok := readStored(p, &contacts[i].Phones[0])
				if !ok {
					continue
				}
				k := rule.Match(q, n, suffix)
				switch {
				case k == "" || k.Strength() < best.Strength():
				case k.Strength() > best.Strength():
					best, want = k, []string{contacts[i].ID}
				default:
					want = append(want, contacts[i].ID)
				}
			}
			got := ix.Lookup(q, suffix)
			var gotIDs []string
			for _, m := range got {
				gotIDs = append(gotIDs, m.Contact.ID)
				if m.Kind != best {
					t.Errorf("suffix %d, query %q: %s kind %q, brute force says %q", suffix, raw, m.Contact.ID, m.Kind, best)
				}
			}
			if !slices.Equal(gotIDs, want) {
				t.Errorf("suffix %d, query %q (%+v): index %v, brute force %v", suffix, raw, q, gotIDs, want)
			}
		}
	}
}

func TestBuildIndexPaging(t *testing.T) {
	var contacts []connectors.Contact
	for i := range 7 {
		contacts = append(contacts, contact(fmt.Sprintf("p%d", i), fmt.Sprintf("+44 20 7946 00%02d", i)))
	}
	tests := []struct {
		name      string
		caps      []connectors.Capability
		wantLen   int
		wantLists int64
	}{
		// 7 contacts in pages of 3: 3 calls; 2 companies: 1 call.
		{"contacts and companies", []connectors.Capability{connectors.CapListContacts, connectors.CapListCompanies}, 9, 4},
		{"contacts only", []connectors.Capability{connectors.CapListContacts}, 7, 3},
		{"companies only", []connectors.Capability{connectors.CapListCompanies}, 2, 1},
		{"no capability declared: contacts", nil, 7, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(contacts...)
			f.caps = tt.caps
			f.companies = []connectors.Company{company("x", "+44 20 3000 4000"), company("y", "+44 20 3000 4001")}
			ix, err := BuildIndex(context.Background(), f, IndexOptions{Parser: gbParser(t), PageSize: 3})
			if err != nil {
				t.Fatalf("BuildIndex: %v", err)
			}
			if ix.Len() != tt.wantLen {
				t.Errorf("Len() = %d, want %d", ix.Len(), tt.wantLen)
			}
			if got := f.lists.Load(); got != tt.wantLists {
				t.Errorf("List calls = %d, want %d", got, tt.wantLists)
			}
		})
	}
}

func TestBuildIndexErrors(t *testing.T) {
	boom := connectors.Errorf(connectors.ClassUnavailable, "ListContacts", "CRM down")
	canceled, cancel := context.WithCancel(context.Background())
	cancel()
	tests := []struct {
		name  string
		ctx   context.Context
		setup func(f *fakeConn)
		opts  IndexOptions
		want  string
		is    error
	}{
		{"list fails on a later page", context.Background(), func(f *fakeConn) { f.listErr, f.failAfter = boom, 2 }, IndexOptions{PageSize: 2}, "page 2", boom},
		{"repeated cursor", context.Background(), func(f *fakeConn) { f.loopy = true }, IndexOptions{PageSize: 1}, "twice", nil},
		{"cancelled", canceled, func(*fakeConn) {}, IndexOptions{}, "stopped", context.Canceled},
		{"no parser", context.Background(), func(*fakeConn) {}, IndexOptions{}, "no phone parser", nil},
		{"negative suffix", context.Background(), func(*fakeConn) {}, IndexOptions{SuffixDigits: -1}, "negative", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(contact("a", "+442079460001"), contact("b", "+442079460002"), contact("c", "+442079460003"))
			tt.setup(f)
			if tt.name != "no parser" {
				tt.opts.Parser = gbParser(t)
			}
			ix, err := BuildIndex(tt.ctx, f, tt.opts)
			if err == nil {
				t.Fatalf("BuildIndex succeeded with %d records, want an error", ix.Len())
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not mention %q", err, tt.want)
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("error %v does not wrap %v", err, tt.is)
			}
		})
	}
}

func TestIndexLookupAllocations(t *testing.T) {
	ix := testIndex(t, newFake(contact("a", "+442045205757")), 0)
	q, err := gbParser(t).ParseCaller("+442045205757")
	if err != nil {
		t.Fatal(err)
	}
	allocs := testing.AllocsPerRun(100, func() {
		if len(ix.Lookup(q, 0)) != 1 {
			t.Fatal("no match")
		}
	})
	// The result slice and the decoded contact with its one phone: the
	// strings share the index's packed bytes.
	if allocs > 2 {
		t.Errorf("Lookup allocates %.0f times per hit, want at most 2 (the result slice, the record with its phone)", allocs)
	}
}
