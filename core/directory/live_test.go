package directory

import (
	"slices"
	"testing"

	"github.com/switchboard-hq/switchboard/connectors"
	"github.com/switchboard-hq/switchboard/connectors/phone"
)

// TestRecheckNationalRule: a live connector's answer is re-checked with the
// parser's national rule, so a connector that matched national digits
// across countries cannot route a New York caller to Turkish customers
// stored nationally, unless national_match is any_country.
func TestRecheckNationalRule(t *testing.T) {
	ayse := contact("ayse", "0212 444 55 66")
	mehmet := contact("mehmet", "+90 212 444 55 66", "0212 444 55 66")
	answer := []connectors.Match{
		{Contact: &ayse, Kind: connectors.MatchNational, Phone: ayse.Phones[0]},
		{Contact: &mehmet, Kind: connectors.MatchNational, Phone: mehmet.Phones[0]},
	}
	for _, tt := range []struct {
		rule  phone.NationalMatch
		query string
		want  []string
	}{
		{phone.SameCountry, "+12124445566", nil},
		{phone.AnyCountry, "+12124445566", []string{"contact:ayse", "contact:mehmet"}},
		{phone.SameCountry, "+902124445566", []string{"contact:mehmet"}}, // exact on +90, ayse's is a GB key
	} {
		d := &Directory{parser: gbParser(t).WithNationalMatch(tt.rule)}
		q, err := d.parser.ParseCaller(tt.query)
		if err != nil {
			t.Fatal(err)
		}
		if got := keys(d.recheck(q, answer)); !slices.Equal(got, tt.want) {
			t.Errorf("%s: recheck(%q) = %v, want %v", tt.rule, tt.query, got, tt.want)
		}
	}
}
