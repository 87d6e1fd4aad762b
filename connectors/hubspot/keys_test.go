package hubspot

import (
	"context"
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/switchboard-hq/switchboard/connectors"
	"github.com/switchboard-hq/switchboard/connectors/hubspot/hubspottest"
)

// searchGroups reads a search request's filter groups as "prop OP value"
// joined by AND.
func searchGroups(t *testing.T, r hubspottest.Request) []string {
	t.Helper()
	var body struct {
		FilterGroups []struct {
			Filters []map[string]string `json:"filters"`
		} `json:"filterGroups"`
	}
	if err := json.Unmarshal(r.Body, &body); err != nil {
		t.Fatal(err)
	}
	var groups []string
	for _, g := range body.FilterGroups {
		var fs []string
		for _, f := range g.Filters {
			fs = append(fs, f["propertyName"]+" "+f["operator"]+" "+f["value"])
		}
		groups = append(groups, strings.Join(fs, " AND "))
	}
	return groups
}

const keyBlock = `fields:
  account_no: {property: account_no}
  orders: {property: order_numbers, multi: true}
company_fields:
  account_no: {property: company_account}
`

// TestLookupByKeySearches: the search each lookup by key sends, and what
// comes back once checked with the SDK's rule.
func TestLookupByKeySearches(t *testing.T) {
	s := newFake(t, unlimited)
	put := func(typ hubspottest.ObjectType, id string, props map[string]string) {
		t.Helper()
		if err := s.Put(typ, hubspottest.Object{ID: id, Properties: props}); err != nil {
			t.Fatal(err)
		}
	}
	put(hubspottest.Contacts, "1", map[string]string{"firstname": "Ada", "email": "ada@example.com", "account_no": "AC-7", "order_numbers": "ORD-7;ORD-8"})
	put(hubspottest.Contacts, "2", map[string]string{"firstname": "Bea", "account_no": "ac-7 extra", "order_numbers": "ORD-70"})
	put(hubspottest.Companies, "3", map[string]string{"name": "Acme", "company_account": "AC-7"})
	c := configured(t, blockFor(s, keyBlock), nil, nil)

	tests := []struct {
		req    connectors.KeyLookupRequest
		groups [][]string // of each request sent, in order
		want   string
	}{
		{connectors.KeyLookupRequest{Field: "account_no", Value: " ac-7 "},
			[][]string{{"account_no EQ ac-7", "account_no CONTAINS_TOKEN ac-7"}, {"company_account EQ ac-7", "company_account CONTAINS_TOKEN ac-7"}},
			"contact:1 company:3"}, // contact 2's "ac-7 extra" holds the word, not the value
		{connectors.KeyLookupRequest{Field: "orders", Value: "ORD-7"},
			[][]string{{"order_numbers EQ ORD-7", "order_numbers CONTAINS_TOKEN *ORD-7*"}}, "contact:1"}, // not ORD-70
		{connectors.KeyLookupRequest{Field: "orders", Value: "ord-8", RecordID: "1"},
			[][]string{{"order_numbers EQ ord-8 AND hs_object_id EQ 1", "order_numbers CONTAINS_TOKEN *ord-8* AND hs_object_id EQ 1"}}, "contact:1"},
		{connectors.KeyLookupRequest{Field: "id", Value: "2"}, [][]string{{"hs_object_id EQ 2"}}, "contact:2"},
		{connectors.KeyLookupRequest{Field: "external_id", Value: "2"}, [][]string{{"hs_object_id EQ 2"}}, "contact:2"},
		{connectors.KeyLookupRequest{Field: "email", Value: "ADA@example.com"},
			[][]string{{"email EQ ADA@example.com", "email CONTAINS_TOKEN ADA@example.com"}}, "contact:1"},
		// Not a HubSpot id: nothing, without a request.
		{connectors.KeyLookupRequest{Field: "id", Value: "AC-7"}, nil, ""},
		{connectors.KeyLookupRequest{Field: "account_no", Value: "AC-7", RecordID: "x1"}, nil, ""},
	}
	for _, tt := range tests {
		from := len(s.Requests())
		resp, err := c.LookupByKey(context.Background(), &tt.req)
		if err != nil {
			t.Fatalf("LookupByKey(%+v): %v", tt.req, err)
		}
		var got []string
		for _, m := range resp.Matches {
			got = append(got, m.Key())
		}
		if strings.Join(got, " ") != tt.want {
			t.Errorf("LookupByKey(%+v) = %v; want %q", tt.req, got, tt.want)
		}
		var groups [][]string
		for _, r := range s.Requests()[from:] {
			groups = append(groups, searchGroups(t, r))
		}
		if !reflect.DeepEqual(groups, tt.groups) {
			t.Errorf("LookupByKey(%+v) searched %q; want %q", tt.req, groups, tt.groups)
		}
	}
}

// TestLookupByKeyMissingProperty: a field whose property HubSpot does not
// have is bad_config naming it; the value is in no error.
func TestLookupByKeyMissingProperty(t *testing.T) {
	s := newFake(t, unlimited)
	c := configured(t, blockFor(s, "fields:\n  pin: {property: pin_hash}\n"), nil, nil)
	_, err := c.LookupByKey(context.Background(), &connectors.KeyLookupRequest{Field: "pin", Value: "sha256:abc123"})
	if connectors.ClassOf(err) != connectors.ClassBadConfig || !strings.Contains(err.Error(), "no contact property pin_hash") ||
		strings.Contains(err.Error(), "abc123") {
		t.Errorf("got %v; want bad_config naming pin_hash, without the value", err)
	}
	_, err = c.LookupByKey(context.Background(), &connectors.KeyLookupRequest{Field: "pn", Value: "x"})
	if connectors.ClassOf(err) != connectors.ClassBadConfig || !strings.Contains(err.Error(), `did you mean "pin"?`) {
		t.Errorf("unknown field: %v", err)
	}
}
