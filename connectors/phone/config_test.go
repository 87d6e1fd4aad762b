package phone

import (
	"strings"
	"testing"
)

func TestConfigNationalMatch(t *testing.T) {
	tests := []struct {
		in, want string // want: the value after Check, or the problem's text
		ok       bool
	}{
		{"", "same_country", true},
		{"same_country", "same_country", true},
		{" Any_Country ", "any_country", true},
		{"anywhere", "must be same_country", false},
	}
	for _, tt := range tests {
		c := Config{DefaultRegion: "gb", NationalMatch: NationalMatch(tt.in)}
		ps := c.Check()
		if tt.ok {
			if len(ps) != 0 || string(c.NationalMatch) != tt.want {
				t.Errorf("national_match %q: Check = %v, value %q; want no problem, %q", tt.in, ps, c.NationalMatch, tt.want)
			}
			continue
		}
		if len(ps) != 1 || ps[0].Path != "national_match" || !strings.Contains(ps[0].Message, tt.want) {
			t.Errorf("national_match %q: Check = %v, want one problem at national_match containing %q", tt.in, ps, tt.want)
		}
	}
}

func TestParserNationalMatch(t *testing.T) {
	p := newParser(t, "GB")
	if got := p.NationalMatch(); got != SameCountry {
		t.Errorf("new parser: NationalMatch = %q, want %q", got, SameCountry)
	}
	loose := p.WithNationalMatch(AnyCountry)
	if got := loose.NationalMatch(); got != AnyCountry {
		t.Errorf("WithNationalMatch(any_country): NationalMatch = %q", got)
	}
	if p.NationalMatch() != SameCountry || loose.Region() != "GB" {
		t.Error("WithNationalMatch changed the original parser or lost the region")
	}
	if got := p.WithNationalMatch("bogus").NationalMatch(); got != SameCountry {
		t.Errorf("WithNationalMatch(bogus): NationalMatch = %q, want the strict %q", got, SameCountry)
	}
}
