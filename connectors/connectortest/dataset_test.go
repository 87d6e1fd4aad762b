package connectortest

import (
	"strings"
	"testing"

	"github.com/switchboard-hq/switchboard/connectors/phone"
	"github.com/switchboard-hq/switchboard/connectors/sdk"
)

// TestDatasetNumbers checks that every raw number of the datasets is read
// by core/phone (as connectors read them) as the E.164 the suite expects,
// with its country known or taken from the default region.
func TestDatasetNumbers(t *testing.T) {
	p, err := phone.NewParser(Region)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range []*Records{Dataset(), LargeDataset(1000, 10)} {
		for _, c := range d.Contacts {
			for _, ph := range c.Phones {
				n, err := p.Parse(ph.Raw)
				if err != nil {
					t.Errorf("contact %s: %q: %v", c.ID, ph.Raw, err)
					continue
				}
				if n.E164 != ph.E164 {
					t.Errorf("contact %s: %q reads as %q (%+v); the dataset says %q", c.ID, ph.Raw, n.E164, n, ph.E164)
				}
			}
		}
	}
}

// TestNewDatasetNumbers checks MatchDataset's and PagingDataset's
// numbers as TestDatasetNumbers does the others'.
func TestNewDatasetNumbers(t *testing.T) {
	p, err := phone.NewParser(Region)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range []*Records{MatchDataset(), PagingDataset()} {
		for _, c := range d.Contacts {
			for _, ph := range c.Phones {
				n, err := p.Parse(ph.Raw)
				if err != nil || n.E164 != ph.E164 {
					t.Errorf("contact %s: %q reads as %+v (%v); the dataset says %q", c.ID, ph.Raw, n, err, ph.E164)
				}
			}
		}
	}
}

// TestKeyDataset checks that KeyDataset is the standard dataset with key
// fields, and that its cases hold what they say: every case's wanted
// contacts are exactly those the contract's rule (sdk.KeyMatches) finds.
func TestKeyDataset(t *testing.T) {
	d, std := KeyDataset(), Dataset()
	if len(d.Contacts) != len(std.Contacts) || len(d.Companies) != len(std.Companies) {
		t.Fatalf("KeyDataset has %d contacts and %d companies; the standard dataset %d and %d",
			len(d.Contacts), len(d.Companies), len(std.Contacts), len(std.Companies))
	}
	for i := range d.Contacts {
		if diff := diffContact(&std.Contacts[i], &d.Contacts[i]); len(diff) > 0 {
			t.Errorf("contact %s differs from the standard dataset's: %v", d.Contacts[i].ID, diff)
		}
	}
	for _, g := range keyChecks() {
		for _, kc := range g.cases {
			var got []string
			req := kc.req
			req.Limit = 0
			for _, m := range sdk.KeyMatches(&req, d.Contacts, d.Companies) {
				got = append(got, m.Key())
			}
			var want []string
			for _, id := range kc.want {
				want = append(want, "contact:"+id)
			}
			if strings.Join(got, ",") != strings.Join(want, ",") {
				t.Errorf("%s/%s: sdk.KeyMatches finds %v; the case wants %v", g.name, kc.name, got, want)
			}
		}
	}
}
