package sdk_test

import (
	"testing"

	"github.com/switchboard-hq/switchboard/connectors"
	"github.com/switchboard-hq/switchboard/connectors/phone"
	"github.com/switchboard-hq/switchboard/connectors/sdk"
)

func gb(t testing.TB) *phone.Parser {
	t.Helper()
	p, err := phone.NewParser("GB")
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func contact(id string, raws ...string) connectors.Contact {
	ct := connectors.Contact{ID: id}
	for _, raw := range raws {
		ct.Phones = append(ct.Phones, connectors.Phone{Raw: raw, Label: "phone"})
	}
	return ct
}

// The caller, as the host sends +44 20 4520 5757.
var caller = &connectors.LookupRequest{E164: "+442045205757", National: "2045205757", Raw: "442045205757"}

func TestRank(t *testing.T) {
	type want struct {
		key  string
		kind connectors.MatchKind
		raw  string
	}
	for _, tt := range []struct {
		name      string
		req       *connectors.LookupRequest
		contacts  []connectors.Contact
		companies []connectors.Company
		want      []want
	}{
		{"no candidates", caller, nil, nil, nil},
		{"national format", caller, []connectors.Contact{contact("1", "020 4520 5757")}, nil,
			[]want{{"contact:1", connectors.MatchExact, "020 4520 5757"}}},
		{"international with spaces and a trunk zero", caller, []connectors.Contact{contact("1", "+44 (0)20 4520 5757")}, nil,
			[]want{{"contact:1", connectors.MatchExact, "+44 (0)20 4520 5757"}}},
		{"extension", caller, []connectors.Contact{contact("1", "020 4520 5757 ext. 12")}, nil,
			[]want{{"contact:1", connectors.MatchExact, "020 4520 5757 ext. 12"}}},
		{"same last digits, another number: dropped", caller,
			[]connectors.Contact{contact("1", "020 7946 5757"), contact("2", "+1 212 452 5757")}, nil, nil},
		{"unparseable: dropped", caller, []connectors.Contact{contact("1", "call reception")}, nil, nil},
		{"the best of a record's numbers", caller, []connectors.Contact{contact("1", "07911 123456", "+442045205757")}, nil,
			[]want{{"contact:1", connectors.MatchExact, "+442045205757"}}},
		{"a shared number: every record", caller,
			[]connectors.Contact{contact("1", "020 4520 5757"), contact("2", "+44 20 4520 5757")}, nil,
			[]want{{"contact:1", connectors.MatchExact, "020 4520 5757"}, {"contact:2", connectors.MatchExact, "+44 20 4520 5757"}}},
		{"a duplicate row: once", caller,
			[]connectors.Contact{contact("1", "020 4520 5757"), contact("1", "020 4520 5757")}, nil,
			[]want{{"contact:1", connectors.MatchExact, "020 4520 5757"}}},
		{"a caller without a country: national", &connectors.LookupRequest{National: "2045205757", Raw: "2045205757"},
			[]connectors.Contact{contact("1", "020 4520 5757"), contact("2", "2045205757")}, nil,
			[]want{{"contact:1", connectors.MatchNational, "020 4520 5757"}, {"contact:2", connectors.MatchNational, "2045205757"}}},
		{"contacts before companies", caller, []connectors.Contact{contact("1", "020 4520 5757")},
			[]connectors.Company{{ID: "9", Phones: []connectors.Phone{{Raw: "02045205757"}}}},
			[]want{{"contact:1", connectors.MatchExact, "020 4520 5757"}, {"company:9", connectors.MatchExact, "02045205757"}}},
		{"a stored E.164 without raw", caller, []connectors.Contact{{ID: "1", Phones: []connectors.Phone{{E164: "+442045205757"}}}}, nil,
			[]want{{"contact:1", connectors.MatchExact, ""}}},
		{"limit", &connectors.LookupRequest{E164: caller.E164, National: caller.National, Limit: 1},
			[]connectors.Contact{contact("1", "020 4520 5757"), contact("2", "020 4520 5757")}, nil,
			[]want{{"contact:1", connectors.MatchExact, "020 4520 5757"}}},
		{"a caller only the raw form of", &connectors.LookupRequest{Raw: "+44 20 4520 5757"},
			[]connectors.Contact{contact("1", "020 4520 5757")}, nil,
			[]want{{"contact:1", connectors.MatchExact, "020 4520 5757"}}},
		{"no caller number", &connectors.LookupRequest{}, []connectors.Contact{contact("1", "020 4520 5757")}, nil, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := sdk.Rank(gb(t), tt.req, tt.contacts, tt.companies)
			if len(got) != len(tt.want) {
				t.Fatalf("got %d matches %+v; want %+v", len(got), got, tt.want)
			}
			for i, w := range tt.want {
				if got[i].Key() != w.key || got[i].Kind != w.kind || got[i].Phone.Raw != w.raw {
					t.Errorf("match %d: %s %s %q; want %s %s %q", i, got[i].Key(), got[i].Kind, got[i].Phone.Raw, w.key, w.kind, w.raw)
				}
				if got[i].Phone.E164 == "" {
					t.Errorf("match %d: the matched phone has no E.164", i)
				}
			}
		})
	}
}

func TestRankFillsInAndLeavesCandidates(t *testing.T) {
	candidates := []connectors.Contact{contact("1", "020 4520 5757 x12", "not a number")}
	got := sdk.Rank(gb(t), caller, candidates, nil)
	if len(got) != 1 {
		t.Fatalf("got %+v", got)
	}
	ph := got[0].Contact.Phones
	if ph[0].E164 != "+442045205757" || ph[0].Extension != "12" || ph[1].E164 != "" || got[0].Phone.Extension != "12" {
		t.Errorf("phones %+v; want the first normalised with its extension", ph)
	}
	if candidates[0].Phones[0].E164 != "" {
		t.Errorf("Rank changed its candidates: %+v", candidates[0].Phones)
	}
}

func TestRankDefaultLimit(t *testing.T) {
	var many []connectors.Contact
	for i := range sdk.DefaultLookupLimit + 5 {
		many = append(many, contact(string(rune('a'+i)), "020 4520 5757"))
	}
	if got := sdk.Rank(gb(t), caller, many, nil); len(got) != sdk.DefaultLookupLimit {
		t.Errorf("got %d matches; want DefaultLookupLimit", len(got))
	}
}

func TestCaller(t *testing.T) {
	p := gb(t)
	if n := sdk.Caller(p, caller); n.E164 != caller.E164 || n.National != caller.National {
		t.Errorf("the host's number: got %+v", n)
	}
	if n := sdk.Caller(p, &connectors.LookupRequest{Raw: "020 4520 5757"}); n.E164 != "+442045205757" {
		t.Errorf("parsed from Raw: got %+v", n)
	}
	if n := sdk.Caller(nil, &connectors.LookupRequest{Raw: "020 4520 5757"}); n.Valid() {
		t.Errorf("without a parser: got %+v", n)
	}
	if got := phone.Suffix(sdk.Caller(p, caller), 7); got != "5205757" {
		t.Errorf("the loose query's key: %q", got)
	}
}

// Under the parser's national rule: with any_country, a Turkish number
// stored without its country code (read in GB) meets the Turkish caller
// nationally, after the record that holds it in full.
func TestRankStrongestFirst(t *testing.T) {
	p := gb(t).WithNationalMatch(phone.AnyCountry)
	req := &connectors.LookupRequest{E164: "+902125551234", National: "2125551234", Raw: "902125551234"}
	got := sdk.Rank(p, req, []connectors.Contact{contact("1", "0212 555 12 34"), contact("2", "+90 212 555 12 34")}, nil)
	if len(got) != 2 || got[0].Key() != "contact:2" || got[0].Kind != connectors.MatchExact ||
		got[1].Key() != "contact:1" || got[1].Kind != connectors.MatchNational {
		t.Errorf("got %+v; want contact 2 exact, then contact 1 national", got)
	}
	if got := sdk.Rank(gb(t), req, []connectors.Contact{contact("1", "0212 555 12 34")}, nil); len(got) != 0 {
		t.Errorf("same_country: got %+v; want no match", got)
	}
}

func TestLastDigits(t *testing.T) {
	p := gb(t)
	for _, tt := range []struct {
		req  *connectors.LookupRequest
		n    int
		want string
	}{
		{caller, 7, "5205757"},
		{caller, 20, "2045205757"},
		{&connectors.LookupRequest{Raw: "+44 20 4520 5757"}, 4, "5757"},
		{&connectors.LookupRequest{National: "999"}, 7, "999"},
		{&connectors.LookupRequest{}, 7, ""},
	} {
		if got := sdk.LastDigits(p, tt.req, tt.n); got != tt.want {
			t.Errorf("LastDigits(%+v, %d) = %q; want %q", tt.req, tt.n, got, tt.want)
		}
	}
}
