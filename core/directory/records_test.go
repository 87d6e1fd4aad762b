package directory

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-hq/switchboard/connectors"
)

// TestRecordsRoundTrip: what the store packs, it decodes unchanged, field
// by field and value type by value type, records bigger than a chunk
// included; and the head readers agree with the full decoders.
func TestRecordsRoundTrip(t *testing.T) {
	when := time.Date(2026, 3, 29, 1, 30, 15, 123456789, time.UTC)
	before1970 := time.Date(1969, 7, 20, 20, 17, 40, 5, time.UTC)
	big := strings.Repeat("x", chunkSize+10)
	contacts := []connectors.Contact{
		{ID: "empty"},
		{
			ID: "c1", FirstName: "Ada", LastName: "Lovelace", CompanyID: "co1", CompanyName: "Analytical Engines",
			OwnerID: "u7", JobTitle: "Countess",
			Phones: []connectors.Phone{
				{Raw: "020 4520 5757", Label: "phone", E164: "+442045205757", Extension: "101"},
				{Raw: "07911 123456", Label: "mobile"},
			},
			Emails:    []string{"ada@example.com", "ADA@example.org"},
			UpdatedAt: when,
			Fields: map[string]any{
				"tier": "gold", "balance": 12.5, "vip": true, "closed": false, "none": nil, "count": 3.0,
				"tags":   []any{"a", 1.5, []any{}, map[string]any{"k": "v"}},
				"nested": map[string]any{"deep": map[string]any{}, "list": []any{nil, true}},
				"utf8":   "çığüşö 電話", "empty": "",
			},
		},
		{ID: "old", UpdatedAt: before1970, Fields: map[string]any{"big": big}},
	}
	companies := []connectors.Company{
		{ID: "co1", Name: "Analytical Engines", Website: "https://example.com", OwnerID: "u7",
			Phones: []connectors.Phone{{Raw: "+90 212 555 12 34", E164: "+902125551234"}},
			Emails: []string{"info@example.com"}, UpdatedAt: when, Fields: map[string]any{"size": 12.0}},
		{ID: ""},
	}
	ix := &Index{}
	b := builder{ix: ix}
	for i := range contacts {
		b.holdContact(&contacts[i])
	}
	for i := range companies {
		b.enc.Buf = b.enc.Buf[:0]
		b.enc.Company(&companies[i])
		ix.recs.add(b.enc.Buf)
	}
	if got := ix.recs.len(); got != len(contacts)+len(companies) {
		t.Fatalf("store holds %d records, want %d", got, len(contacts)+len(companies))
	}
	for i := range contacts {
		m := ix.recordMatch(i, connectors.MatchKey)
		if m.Contact == nil || !reflect.DeepEqual(*m.Contact, contacts[i]) {
			t.Errorf("contact %d: got %#v, want %#v", i, m.Contact, contacts[i])
		}
		id, phones, updated := ix.recordHead(i)
		if id != contacts[i].ID || !reflect.DeepEqual(phones, contacts[i].Phones) || !updated.Equal(contacts[i].UpdatedAt) {
			t.Errorf("contact %d head: got %q %v %v", i, id, phones, updated)
		}
	}
	for i := range companies {
		rec := len(contacts) + i
		m := ix.recordMatch(rec, connectors.MatchKey)
		if m.Company == nil || !reflect.DeepEqual(*m.Company, companies[i]) {
			t.Errorf("company %d: got %#v, want %#v", i, m.Company, companies[i])
		}
		if id := ix.recordID(rec); id != companies[i].ID {
			t.Errorf("company %d id: got %q", i, id)
		}
		_, phones, updated := ix.recordHead(rec)
		if !reflect.DeepEqual(phones, companies[i].Phones) || !updated.Equal(companies[i].UpdatedAt) {
			t.Errorf("company %d head: got %v %v", i, phones, updated)
		}
	}
	if n := len(ix.recs.chunks); n != 3 {
		t.Errorf("%d chunks, want 3 (the oversize record in its own)", n)
	}
}

// TestRecordsDecodeFresh: each decode is a record of its own, so a caller
// changing what a lookup returned changes nothing the index holds.
func TestRecordsDecodeFresh(t *testing.T) {
	ix := &Index{}
	b := builder{ix: ix}
	b.holdContact(&connectors.Contact{ID: "a", Phones: []connectors.Phone{{Raw: "1"}}, Fields: map[string]any{"k": "v"}})
	m := ix.recordMatch(0, connectors.MatchKey)
	m.Contact.Phones[0].Raw = "changed"
	m.Contact.Fields["k"] = "changed"
	m.Contact.ID = "changed"
	again := ix.recordMatch(0, connectors.MatchKey).Contact
	if again.ID != "a" || again.Phones[0].Raw != "1" || again.Fields["k"] != "v" {
		t.Errorf("a change to a decoded record reached the index: %#v", again)
	}
}
