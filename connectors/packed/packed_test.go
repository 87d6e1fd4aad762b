package packed

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-hq/switchboard/connectors"
)

var when = time.Date(2026, 3, 29, 1, 30, 15, 123456789, time.UTC)

func sampleContacts() []connectors.Contact {
	return []connectors.Contact{
		{ID: "empty"},
		{ID: "no fields but a map", Fields: map[string]any{}},
		{
			ID: "c1", FirstName: "Ada", LastName: "Lovelace", CompanyID: "co1", CompanyName: "Analytical Engines",
			OwnerID: "u7", JobTitle: "Countess",
			Phones: []connectors.Phone{
				{Raw: "020 4520 5757", Label: "phone", E164: "+442045205757", Extension: "101"},
				{Raw: "07911 123456", Label: "mobile"},
			},
			Emails:    []string{"ada@example.com"},
			UpdatedAt: when,
			Fields: map[string]any{
				"tier": "gold", "balance": 12.5, "vip": true, "closed": false, "none": nil,
				"tags":   []any{"a", 1.5, []any{}, map[string]any{"k": "v"}},
				"nested": map[string]any{"deep": map[string]any{}, "list": []any{nil, true}},
				"utf8":   "çığüşö 電話",
			},
		},
		{ID: "one", Phones: []connectors.Phone{{Raw: "+90 212 555 12 34", E164: "+902125551234"}},
			UpdatedAt: time.Date(1969, 7, 20, 20, 17, 40, 5, time.UTC)},
	}
}

// TestPageRoundTrip: a page of contacts or companies decodes to what was
// encoded, field by field, and a single record decodes the same way.
func TestPageRoundTrip(t *testing.T) {
	contacts := sampleContacts()
	var page []byte
	for i := range contacts {
		page = AppendContact(page, &contacts[i])
	}
	got, err := Contacts(page, len(contacts))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, contacts) {
		t.Errorf("contacts:\n got %#v\nwant %#v", got, contacts)
	}
	d := Decoder{B: page}
	for i := range contacts {
		if c := d.Contact(); c == nil || !reflect.DeepEqual(*c, contacts[i]) {
			t.Errorf("Decoder.Contact %d: got %#v (err %v)", i, c, d.Err())
		}
	}
	if d.More() {
		t.Error("bytes left after the last contact")
	}

	companies := []connectors.Company{
		{ID: "co1", Name: "Analytical Engines", Website: "https://example.com", OwnerID: "u7",
			Phones: []connectors.Phone{{Raw: "+90 212 555 12 34", E164: "+902125551234"}},
			Emails: []string{"info@example.com"}, UpdatedAt: when, Fields: map[string]any{"size": 12.0}},
		{},
	}
	page = nil
	for i := range companies {
		page = AppendCompany(page, &companies[i])
	}
	gotCo, err := Companies(page, len(companies))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(gotCo, companies) {
		t.Errorf("companies:\n got %#v\nwant %#v", gotCo, companies)
	}
}

// TestEncodingNormalises: numbers of every Go type are float64, as in
// JSON; invalid UTF-8 becomes U+FFFD; other types go through JSON.
func TestEncodingNormalises(t *testing.T) {
	c := connectors.Contact{ID: "a\xffb", Fields: map[string]any{
		"int": 3, "int64": int64(-4), "uint8": uint8(5), "float32": float32(1.5), "json": json.Number("2.5"),
		"strs": []string{"x", "y"}, "time": when,
	}}
	var e Encoder
	e.Contact(&c)
	if e.Err() != nil {
		t.Fatalf("Err() = %v", e.Err())
	}
	got, err := Contacts(e.Buf, 1)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"int": 3.0, "int64": -4.0, "uint8": 5.0, "float32": 1.5, "json": 2.5,
		"strs": []any{"x", "y"}, "time": "2026-03-29T01:30:15.123456789Z"}
	if got[0].ID != "a\uFFFDb" || !reflect.DeepEqual(got[0].Fields, want) {
		t.Errorf("got %q %#v, want %q %#v", got[0].ID, got[0].Fields, "a\uFFFDb", want)
	}
}

// TestEncoderRefuses: a value JSON cannot write is written as null and
// named by Err, with its path.
func TestEncoderRefuses(t *testing.T) {
	var e Encoder
	e.Contact(&connectors.Contact{ID: "a", Fields: map[string]any{"ok": 1.0, "list": []any{"x", map[string]any{"ch": make(chan int)}}}})
	if err := e.Err(); err == nil || !strings.Contains(err.Error(), "fields.list.1.ch: value of type chan int is not JSON-like") {
		t.Fatalf("Err() = %v", err)
	}
	got, err := Contacts(e.Buf, 1)
	if err != nil {
		t.Fatal(err)
	}
	if want := []any{"x", map[string]any{"ch": nil}}; !reflect.DeepEqual(got[0].Fields["list"], want) {
		t.Errorf("got %#v, want %#v", got[0].Fields["list"], want)
	}
}

// TestCorruptPages: a page no encoder wrote, or a wrong count, is an
// error wrapping ErrCorrupt, never a panic or a partial page.
func TestCorruptPages(t *testing.T) {
	contacts := sampleContacts()
	var page []byte
	for i := range contacts {
		page = AppendContact(page, &contacts[i])
	}
	for _, tt := range []struct {
		name string
		b    []byte
		n    int
	}{
		{"truncated", page[:len(page)-3], len(contacts)},
		{"count too high", page, len(contacts) + 1},
		{"count too low", page, len(contacts) - 1},
		{"negative count", page, -1},
		{"huge string length", []byte{0xff, 0xff, 0xff, 0xff, 0x0f}, 1},
		{"huge phone count", append([]byte{0, 0, 0, 0, 0, 0, 0}, 0xff, 0xff, 0xff, 0x7f), 1},
		{"unknown value tag", append(AppendContact(nil, &connectors.Contact{})[:10], 2, 1, 'k', 99), 1},
		{"nil map in a value", append(AppendContact(nil, &connectors.Contact{})[:10], 2, 1, 'k', 7, 0), 1},
		{"deep nesting", append(append([]byte{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 1, 'k'}, []byte(strings.Repeat("\x06\x01", 100))...), 0), 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Contacts(tt.b, tt.n)
			if !errors.Is(err, ErrCorrupt) || got != nil {
				t.Errorf("got %d contacts, error %v; want none and ErrCorrupt", len(got), err)
			}
		})
	}
}

// FuzzDecode: no input makes a decoder panic, and whatever decodes
// re-encodes to bytes that decode to the same records.
func FuzzDecode(f *testing.F) {
	contacts := sampleContacts()
	for i := range contacts {
		f.Add(AppendContact(nil, &contacts[i]), 1)
	}
	f.Add([]byte{0xff, 0xff}, 3)
	f.Fuzz(func(t *testing.T, b []byte, n int) {
		n = n % 8
		got, err := Contacts(b, n)
		if err != nil {
			return
		}
		var again []byte
		for i := range got {
			again = AppendContact(again, &got[i])
		}
		// Compared as bytes: a NaN is not equal to itself.
		back, err := Contacts(again, n)
		if err != nil {
			t.Fatalf("re-encoded page: %v", err)
		}
		var third []byte
		for i := range back {
			third = AppendContact(third, &back[i])
		}
		if !bytes.Equal(third, again) {
			t.Fatalf("a decoded page re-encodes differently:\n%x\n%x", third, again)
		}
		_, _ = Companies(b, n)
		d := Decoder{B: b}
		for d.More() {
			d.ContactHead()
		}
	})
}
