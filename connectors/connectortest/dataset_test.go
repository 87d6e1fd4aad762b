package connectortest

import (
	"testing"

	"github.com/switchboard-hq/switchboard/connectors/phone"
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
