package rest

import (
	"strings"
	"testing"

	"github.com/switchboard-hq/switchboard/connectors"
	"github.com/switchboard-hq/switchboard/connectors/rest/pipedrivetest"
)

// seeded returns the fake Pipedrive with its messy seed and a connector
// configured with configs/rest-pipedrive.yaml for it.
func seeded(t *testing.T, opts pipedrivetest.Options) (*pdFake, *Connector) {
	t.Helper()
	s := newPipedrive(t, opts)
	s.Seed()
	return s, configured(t, exampleBlock(t, "rest-pipedrive.yaml", pipedriveEnv(s.url)), nil)
}

func lookup(t *testing.T, c *Connector, e164, national string) []connectors.Match {
	t.Helper()
	resp, err := c.LookupByPhone(ctx(t), &connectors.LookupRequest{E164: e164, National: national, Raw: e164})
	if err != nil {
		t.Fatalf("LookupByPhone(%s): %v", e164, err)
	}
	return resp.Matches
}

func keys(ms []connectors.Match) string {
	var out []string
	for _, m := range ms {
		out = append(out, m.Key()+"/"+string(m.Kind)+"/"+m.Phone.Raw)
	}
	return strings.Join(out, " ")
}

// TestPipedriveStoredForms looks up the seed's numbers, stored as people
// type them: the national and international forms of one number find both
// persons, a shared office line is ambiguous, an extension is kept, and
// search hits whose numbers only look alike are dropped.
func TestPipedriveStoredForms(t *testing.T) {
	_, c := seeded(t, pipedrivetest.Options{})
	cases := []struct{ name, e164, national, want string }{
		{"national and international text", "+442045205757", "2045205757",
			"contact:1/exact/020 4520 5757 contact:2/exact/+44 20 4520 5757"},
		{"shared office line", "+442045205700", "2045205700",
			"contact:6/exact/+44 20 4520 5700 contact:7/exact/+44 20 4520 5700"},
		{"extension", "+442079460018", "2079460018", "contact:3/exact/+44 20 7946 0018 ext. 12"},
		{"mobile in 00 form and national form", "+905321234567", "5321234567", "contact:4/exact/00905321234567"},
		{"us number", "+14155550132", "4155550132", "contact:9/exact/+1 (415) 555-0132"},
		{"unknown", "+447700900999", "7700900999", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := keys(lookup(t, c, tc.e164, tc.national))
			if got != tc.want {
				t.Errorf("LookupByPhone(%s):\n got %s\nwant %s", tc.e164, got, tc.want)
			}
		})
	}
	// Ayşe's "0532 123 45 67" is read in GB, where it is not valid: no
	// E.164, only its national digits, which a Turkish caller does not
	// meet under the same-country rule; Ahmet's "00905321234567" does.
	for _, m := range lookup(t, c, "+905321234567", "5321234567") {
		if m.Contact.ID == "5" {
			t.Errorf("contact 5 matched %s: %q read in GB is no Turkish number", m.Kind, m.Phone.Raw)
		}
		if m.Contact.CompanyName != "Boğaziçi Tekstil A.Ş." || m.Contact.FirstName != "Ahmet" || m.Contact.OwnerID != "u-12" {
			t.Errorf("contact %+v: want Ahmet of Boğaziçi Tekstil A.Ş., owner u-12 (fetched, company name joined)", m.Contact)
		}
	}
}
