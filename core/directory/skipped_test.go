package directory

import (
	"context"
	"testing"

	"github.com/switchboard-hq/switchboard/connectors"
)

// TestSkippedCounts: Stats counts the stored numbers that could not be
// read and the records holding them, from a full build and over changed
// records (a changed record's old version no longer counts); a rebuild
// of the same records counts the same.
func TestSkippedCounts(t *testing.T) {
	const (
		bad = "not a number"
		a1  = "+442045205757"
		a2  = "+442079460001"
		a3  = "+442079460002"
	)
	noE164 := contact("e")
	noE164.Phones = []connectors.Phone{{E164: "+0", Label: "phone"}} // neither a valid E.164 nor a raw value
	for _, tt := range []struct {
		name      string
		contacts  []connectors.Contact
		companies []connectors.Company
		// changes are upserted, then one poll applies them.
		changes []connectors.Contact
		// what Stats says, before and after a rebuild
		records, phones, skippedNumbers, skippedRecords int
	}{
		{name: "all read", contacts: []connectors.Contact{contact("a", a1), contact("b", a2, a3)},
			records: 2, phones: 3},
		{name: "no phones", contacts: []connectors.Contact{contact("a")},
			records: 1},
		{name: "one bad number of two", contacts: []connectors.Contact{contact("a", a1, bad)},
			records: 1, phones: 1, skippedNumbers: 1, skippedRecords: 1},
		{name: "bad numbers in two records", contacts: []connectors.Contact{contact("a", bad, a1, bad), contact("b", bad), contact("c", a2)},
			records: 3, phones: 2, skippedNumbers: 3, skippedRecords: 2},
		{name: "a record with no number read is kept and counted", contacts: []connectors.Contact{contact("a", bad, ""), noE164},
			records: 2, skippedNumbers: 3, skippedRecords: 2},
		{name: "companies", contacts: []connectors.Contact{contact("a", bad)}, companies: []connectors.Company{company("k", a1, bad, bad)},
			records: 2, phones: 1, skippedNumbers: 3, skippedRecords: 2},
		{name: "a change fixes a record's number", contacts: []connectors.Contact{contact("a", bad, a1)},
			changes: []connectors.Contact{contact("a", a2, a1)},
			records: 1, phones: 2},
		{name: "a change breaks a record's number", contacts: []connectors.Contact{contact("a", a1), contact("b", a2)},
			changes: []connectors.Contact{contact("b", bad)},
			records: 2, phones: 1, skippedNumbers: 1, skippedRecords: 1},
		{name: "a changed record keeps its bad number", contacts: []connectors.Contact{contact("a", bad, a1), contact("b", bad)},
			changes: []connectors.Contact{contact("a", bad, a2)},
			records: 2, phones: 1, skippedNumbers: 2, skippedRecords: 2},
		{name: "a new record with a bad number", contacts: []connectors.Contact{contact("a", a1)},
			changes: []connectors.Contact{contact("c", bad, a2, bad)},
			records: 2, phones: 2, skippedNumbers: 2, skippedRecords: 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := newChangedFake(tt.contacts...)
			if tt.companies != nil {
				f.caps = append(f.caps, connectors.CapListCompanies)
				f.companies = tt.companies
			}
			d := newDir(t, Options{Sources: []Source{{Name: "idx", Connector: f}}})
			ctx := context.Background()
			if len(tt.changes) > 0 {
				for _, c := range tt.changes {
					f.upsert(c)
				}
				if n, err := d.Poll(ctx, "idx"); err != nil || n != len(tt.changes) {
					t.Fatalf("Poll applied %d changes, %v; want %d", n, err, len(tt.changes))
				}
			}
			check := func(when string, wantChanged int) {
				t.Helper()
				st := d.Stats()[0]
				if st.Records != tt.records || st.Phones != tt.phones || st.SkippedNumbers != tt.skippedNumbers ||
					st.SkippedRecords != tt.skippedRecords || st.Changed != wantChanged {
					t.Errorf("%s: records %d, phones %d, skipped numbers %d, skipped records %d, changed %d; want %d, %d, %d, %d, %d",
						when, st.Records, st.Phones, st.SkippedNumbers, st.SkippedRecords, st.Changed,
						tt.records, tt.phones, tt.skippedNumbers, tt.skippedRecords, wantChanged)
				}
			}
			check("served", len(tt.changes))
			if err := d.Rebuild(ctx, "idx"); err != nil {
				t.Fatal(err)
			}
			check("after a rebuild", 0)
		})
	}
}

// TestUnreadAgreesWithTheBuilder: unread counts what addPhones skips.
func TestUnreadAgreesWithTheBuilder(t *testing.T) {
	p := gbParser(t)
	for _, phones := range [][]connectors.Phone{
		nil,
		contact("a", "+442045205757", "07911 123456", "+44 7400 123456", "07400 123456").Phones,
		contact("a", "not a number", "", "2045205757", "+90 532 123 45 67", "abc 123").Phones,
		{{E164: "+0"}, {E164: "+442045205757"}, {E164: "+1", Raw: "020 4520 5757"}, {Raw: "+"}},
	} {
		ix := &Index{}
		b := builder{ix: ix, parser: p}
		b.addPhones(0, "a", phones)
		if got := unread(p, phones); got != ix.skipped || ix.phones+ix.skipped != len(phones) {
			t.Errorf("%v: unread %d, the builder skipped %d and indexed %d", phones, got, ix.skipped, ix.phones)
		}
	}
}
