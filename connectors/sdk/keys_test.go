package sdk_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/switchboard-hq/switchboard/connectors"
	"github.com/switchboard-hq/switchboard/connectors/sdk"
)

func TestKeyEqual(t *testing.T) {
	tests := []struct {
		name   string
		stored any
		value  string
		want   bool
	}{
		{"same text", "AB-12", "AB-12", true},
		{"letter case", "AB-12", "ab-12", true},
		{"spaces stored", "  ab-12\t", "AB-12", true},
		{"spaces asked", "AB-12", " ab-12 ", true},
		{"non-ASCII case", "ÇELIK-Ø", "çelik-ø", true},
		{"dotted capital I is no i (as strings.EqualFold)", "İ-7", "i-7", false},
		{"Kelvin sign folds as K", "K-1", "\u212a-1", true},
		{"long s folds as s", "s-1", "\u017f-1", true},
		{"a prefix is not the value", "AB-12", "AB-1", false},
		{"the value is not a part of a word", "XAB-12", "AB-12", false},
		{"other value", "AB-12", "AB-13", false},
		{"inner spaces count", "AB 12", "AB12", false},
		{"empty value matches nothing", "", "", false},
		{"empty value, stored text", "AB", "  ", false},
		{"nil", nil, "x", false},

		{"comma-separated, first", "ORD-1, ORD-2, ORD-3", "ord-1", true},
		{"comma-separated, middle", "ORD-1, ORD-2, ORD-3", "ORD-2", true},
		{"semicolon-separated", "ORD-1;ORD-2 ; ORD-3", "ord-3", true},
		{"mixed separators", "ORD-1, ORD-2; ORD-3", "ORD-2", true},
		{"the whole text too", "Smith, John", "smith, john", true},
		{"a separated value is still whole", "ORD-1, ORD-2", "ORD", false},
		{"an empty part is no value", "ORD-1,,", "", false},

		{"list of any", []any{"A-1", " b-2 "}, "B-2", true},
		{"list of strings", []string{"A-1", "B-2"}, "a-1", true},
		{"list elements are split too", []any{"A-1; A-2"}, "a-2", true},
		{"list without it", []any{"A-1", 7.0}, "A-2", false},
		{"number in a list", []any{"A-1", 7.0}, "7", true},

		{"integral float", 1001.0, "1001", true},
		{"integral float is no decimal", 1001.0, "1001.0", false},
		{"decimal float", 12.5, "12.5", true},
		{"int", 42, "42", true},
		{"int64", int64(-42), "-42", true},
		{"json.Number", json.Number("007"), "007", true},
		{"bool", true, "TRUE", true},
		{"map holds nothing", map[string]any{"a": "x"}, "x", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := sdk.KeyEqual(tt.stored, tt.value); got != tt.want {
				t.Errorf("KeyEqual(%#v, %q) = %v; want %v (values %q, fold %q)", tt.stored, tt.value, got, tt.want,
					sdk.KeyValues(tt.stored), sdk.KeyFold(tt.value))
			}
		})
	}
}

func TestKeyFoldAgreesWithEqualFold(t *testing.T) {
	words := []string{"ab-12", "AB-12", "Straße", "STRASSE", "ǅemal", "ǆemal", "Ǆemal", "ΣΊΣΥΦΟΣ", "σίσυφος", "ςίσυφος",
		"\u212a", "k", "K", "\u017f", "s", "İstanbul", "istanbul", "ISTANBUL", "ıstanbul", "Ω", "\u2126", "ω"}
	for _, a := range words {
		for _, b := range words {
			if got, want := sdk.KeyFold(a) == sdk.KeyFold(b), strings.EqualFold(a, b); got != want {
				t.Errorf("KeyFold(%q) == KeyFold(%q) is %v; strings.EqualFold says %v", a, b, got, want)
			}
		}
	}
}

func TestKeyValues(t *testing.T) {
	got := sdk.KeyValues([]any{" ORD-1; ord-2 ", "ORD-2", 3.0, nil, ""})
	want := []string{"ord-1; ord-2", "ord-1", "ord-2", "3"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("KeyValues = %q; want %q", got, want)
	}
	if got := sdk.KeyValues(nil); len(got) != 0 {
		t.Errorf("KeyValues(nil) = %q; want none", got)
	}
}

func TestContactAndCompanyKey(t *testing.T) {
	ct := connectors.Contact{ID: "1001", Emails: []string{"ada@example.com", "a.l@example.org"},
		Fields: map[string]any{"account_no": "AC-1", "empty": nil}}
	withExt := connectors.Contact{ID: "1002", Fields: map[string]any{"external_id": "crm-9"}}
	co := connectors.Company{ID: "2001", Emails: []string{"hi@acme.example"}, Fields: map[string]any{"tier": "gold"}}
	tests := []struct {
		field, value string
		rec          any
		has, want    bool
	}{
		{"id", "1001", &ct, true, true},
		{"id", "1002", &ct, true, false},
		{"email", "A.L@EXAMPLE.ORG", &ct, true, true},
		{"email", "example.org", &ct, true, false},
		{"external_id", "1001", &ct, true, true},
		{"external_id", "CRM-9", &withExt, true, true},
		{"external_id", "1002", &withExt, true, false}, // its own external_id, not its id
		{"account_no", "ac-1", &ct, true, true},
		{"empty", "x", &ct, true, false},
		{"no_such_field", "x", &ct, false, false},
		{"id", "2001", &co, true, true},
		{"email", "hi@acme.example", &co, true, true},
		{"external_id", "2001", &co, true, true},
		{"tier", "GOLD", &co, true, true},
		{"account_no", "ac-1", &co, false, false},
	}
	for _, tt := range tests {
		var v any
		var has bool
		switch r := tt.rec.(type) {
		case *connectors.Contact:
			v, has = sdk.ContactKey(r, tt.field)
		case *connectors.Company:
			v, has = sdk.CompanyKey(r, tt.field)
		}
		if has != tt.has || sdk.KeyEqual(v, tt.value) != tt.want {
			t.Errorf("%T %s: field %q holds %q: has %v, equal %v; want %v, %v", tt.rec, tt.rec, tt.field, tt.value,
				has, sdk.KeyEqual(v, tt.value), tt.has, tt.want)
		}
	}
	for _, f := range []string{"id", "email", "external_id"} {
		if !sdk.StandardKeyField(f) {
			t.Errorf("StandardKeyField(%q) = false", f)
		}
	}
	if sdk.StandardKeyField("account_no") {
		t.Error(`StandardKeyField("account_no") = true`)
	}
}

func TestKeyMatches(t *testing.T) {
	acct := func(id, v string) connectors.Contact {
		return connectors.Contact{ID: id, Fields: map[string]any{"account_no": v}}
	}
	contacts := []connectors.Contact{acct("1", "AC-1"), acct("2", "ac-1 "), acct("3", "AC-10"), acct("4", "AC-1, AC-2"), acct("1", "AC-1")}
	companies := []connectors.Company{{ID: "1", Fields: map[string]any{"account_no": "AC-1"}}}
	ids := func(ms []connectors.Match) []string {
		var out []string
		for _, m := range ms {
			if m.Kind != connectors.MatchKey || m.Phone != (connectors.Phone{}) {
				t.Errorf("match %s: kind %q, phone %+v; want kind key and no phone", m.Key(), m.Kind, m.Phone)
			}
			out = append(out, m.Key())
		}
		return out
	}
	tests := []struct {
		name string
		req  connectors.KeyLookupRequest
		want []string
	}{
		{"every holder, contacts first, no copy", connectors.KeyLookupRequest{Field: "account_no", Value: "ac-1"},
			[]string{"contact:1", "contact:2", "contact:4", "company:1"}},
		{"limit", connectors.KeyLookupRequest{Field: "account_no", Value: "ac-1", Limit: 2}, []string{"contact:1", "contact:2"}},
		{"record id", connectors.KeyLookupRequest{Field: "account_no", Value: "AC-1", RecordID: "4", Limit: 1}, []string{"contact:4"}},
		{"record id of a contact and a company", connectors.KeyLookupRequest{Field: "account_no", Value: "AC-1", RecordID: "1", Limit: 1},
			[]string{"contact:1", "company:1"}},
		{"record id without the value", connectors.KeyLookupRequest{Field: "account_no", Value: "AC-1", RecordID: "3"}, nil},
		{"no holder", connectors.KeyLookupRequest{Field: "account_no", Value: "AC-9"}, nil},
		{"empty value", connectors.KeyLookupRequest{Field: "account_no", Value: ""}, nil},
		{"id", connectors.KeyLookupRequest{Field: "id", Value: "3"}, []string{"contact:3"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ids(sdk.KeyMatches(&tt.req, contacts, companies)); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("KeyMatches = %q; want %q", got, tt.want)
			}
		})
	}
	// Copies: a caller changing an answer changes no candidate.
	m := sdk.KeyMatches(&connectors.KeyLookupRequest{Field: "id", Value: "3"}, contacts, nil)
	m[0].Contact.ID = "changed"
	if contacts[2].ID != "3" {
		t.Error("KeyMatches answered a candidate itself, not a copy")
	}
}

func TestUnknownKeyField(t *testing.T) {
	err := sdk.UnknownKeyField("acount_no", []string{"order_numbers", "account_no"})
	if err.Class != connectors.ClassBadConfig || err.Op != "LookupByKey" {
		t.Errorf("class %q, op %q; want bad_config of LookupByKey", err.Class, err.Op)
	}
	for _, want := range []string{`no field "acount_no"`, `did you mean "account_no"?`, `"account_no", "order_numbers"`, `"external_id"`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%q does not say %q", err, want)
		}
	}
	if err := sdk.UnknownKeyField("x", nil); !strings.Contains(err.Error(), "only the standard") {
		t.Errorf("%q: want it to say the connector has only the standard fields", err)
	}
}

func TestHideKeyValue(t *testing.T) {
	sent := connectors.Errorf(connectors.ClassInvalidRequest, "LookupByKey", `HubSpot refused the search: value "AB-12" is not valid`)
	got := sdk.HideKeyValue(sent, " ab-12 ")
	if connectors.ClassOf(got) != connectors.ClassInvalidRequest || strings.Contains(strings.ToLower(got.Error()), "ab-12") ||
		!strings.Contains(got.Error(), `value "<the value looked for>" is not valid`) || !strings.HasPrefix(got.Error(), "LookupByKey (invalid_request): ") {
		t.Errorf("HideKeyValue = %v", got)
	}
	if other := errors.New("connection refused"); sdk.HideKeyValue(other, "AB-12") != other {
		t.Error("an error without the value was replaced")
	}
	deadline := fmt.Errorf("search for AB-12: %w", context.DeadlineExceeded)
	if got := sdk.HideKeyValue(deadline, "AB-12"); !errors.Is(got, context.DeadlineExceeded) || strings.Contains(got.Error(), "AB-12") {
		t.Errorf("HideKeyValue of a deadline = %v; want a deadline without the value", got)
	}
	if sdk.HideKeyValue(nil, "x") != nil {
		t.Error("HideKeyValue(nil) is not nil")
	}
}
