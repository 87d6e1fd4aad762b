package rest

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/switchboard-hq/switchboard/connectors"
	"github.com/switchboard-hq/switchboard/connectors/connectortest"
	"github.com/switchboard-hq/switchboard/connectors/rest/pipedrivetest"
)

// pipedriveFieldKeys are the custom field keys the fake Pipedrive stores
// the key dataset's fields under (Pipedrive's keys are hashes like these).
var pipedriveFieldKeys = map[string]string{
	connectortest.FieldAccountNo:    "5f7a0c9e2b4d8e1f3a6c9b0d2e4f6a8c1b3d5e7f",
	connectortest.FieldOrderNumbers: "a2c4e6f8b1d3e5a7c9b0d2f4e6a8c1b3d5f7e9a0",
}

// withKeyLookups is a block with more keys: each of more replaces the
// block's key of its name, a path of names ("contacts.map.fields") sets
// one inside the block's mappings.
func withKeyLookups(t testing.TB, block []byte, more map[string]any) []byte {
	t.Helper()
	var doc map[string]any
	if err := yaml.Unmarshal(block, &doc); err != nil {
		t.Fatal(err)
	}
	for path, v := range more {
		m := doc
		parts := strings.Split(path, ".")
		for _, p := range parts[:len(parts)-1] {
			next, ok := m[p].(map[string]any)
			if !ok {
				t.Fatalf("the block has no mapping at %s", path)
			}
			m = next
		}
		m[parts[len(parts)-1]] = v
	}
	out, err := yaml.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// pipedriveKeyLookups is what the Pipedrive fixture adds for the key
// dataset: the key fields, read from the persons' custom fields; searches
// of them (substring: the values are stored as typed, spaces included),
// and of e-mail addresses (exact), each result read again with
// contacts.get, which maps the fields; id by contacts.get.
func pipedriveKeyLookups(t testing.TB, block []byte) []byte {
	search := func(fields, exact string) []any {
		q := map[string]any{"term": "{{.Value}}", "fields": fields, "limit": "100"}
		if exact != "" {
			q["exact_match"] = exact
		}
		return []any{map[string]any{
			"path": "/api/v2/persons/search", "query": q, "results": "data.items",
			"map":   map[string]any{"id": "item.id", "name": "item.name", "phones": map[string]any{"phone": "item.phones"}},
			"fetch": true,
		}}
	}
	fields := map[string]any{}
	for name, key := range pipedriveFieldKeys {
		fields[name] = map[string]any{"path": "custom_fields." + key}
	}
	return withKeyLookups(t, block, map[string]any{
		"contacts.map.fields": fields,
		"lookup_by_key": map[string]any{
			"email":                         search("email", "true"),
			connectortest.FieldAccountNo:    search("custom_fields", ""),
			connectortest.FieldOrderNumbers: search("custom_fields", ""),
		},
	})
}

// hubspotKeyLookups is what the HubSpot-shaped fixture adds for the key
// dataset: the fields as contact properties, and one search each (EQ, or
// CONTAINS_TOKEN the value, *value* for the field of several values).
func hubspotKeyLookups(t testing.TB, block []byte) []byte {
	const props = `"firstname", "lastname", "email", "phone", "mobilephone", "company", "associatedcompanyid", "hubspot_owner_id", "jobtitle", "account_no", "order_numbers"`
	search := func(prop, token string) []any {
		return []any{map[string]any{
			"method": "POST", "path": "/crm/v3/objects/contacts/search", "results": "results",
			"body": fmt.Sprintf(`{"filterGroups": [
  {"filters": [{"propertyName": %q, "operator": "EQ", "value": {{json .Value}}}]},
  {"filters": [{"propertyName": %q, "operator": "CONTAINS_TOKEN", "value": {{json %s}}}]}],
 "properties": [%s], "limit": 100}`, prop, prop, token, props),
		}}
	}
	return withKeyLookups(t, block, map[string]any{
		"contacts.map.fields": map[string]any{
			connectortest.FieldAccountNo:    map[string]any{"path": "properties.account_no"},
			connectortest.FieldOrderNumbers: map[string]any{"path": "properties.order_numbers"},
		},
		"lookup_by_key": map[string]any{
			"id": []any{map[string]any{ // this API has no contacts.get: a search
				"method": "POST", "path": "/crm/v3/objects/contacts/search", "results": "results",
				"body": fmt.Sprintf(`{"filterGroups": [{"filters": [{"propertyName": "hs_object_id", "operator": "EQ", "value": {{json .Value}}}]}],
 "properties": [%s], "limit": 10}`, props),
			}},
			"email":                         search("email", ".Value"),
			connectortest.FieldAccountNo:    search("account_no", ".Value"),
			connectortest.FieldOrderNumbers: search("order_numbers", `(printf "*%s*" .Value)`),
		},
	})
}

// TestLookupByKeyConfig: lookup_by_key's problems carry their paths, and
// the capability follows the block.
func TestLookupByKeyConfig(t *testing.T) {
	base := "base_url: http://127.0.0.1:9\ncontacts: {path: /p, results: data, paging: {style: none}, map: {id: id, name: name}}\n"
	for _, tt := range []struct{ block, path string }{
		{"lookup_by_key: {account_no: []}\n", "lookup_by_key.account_no"},
		{"lookup_by_key: {account_no: [{path: /s, query: {q: '{{.Valeu}}'}, results: data}]}\n", "lookup_by_key.account_no.0.query.q"},
		{"lookup_by_key: {account_no: [{path: /s, results: data, fetch: true}]}\n", "lookup_by_key.account_no.0.fetch"},
	} {
		s, problems := parseConfig(&connectors.ConfigureRequest{Config: []byte(base + tt.block), DefaultRegion: "GB"})
		found := false
		for _, p := range problems {
			found = found || p.Path == tt.path
		}
		if s != nil || !found {
			t.Errorf("%s: problems %v; want one at %s", tt.block, problems, tt.path)
		}
	}
	s, problems := parseConfig(&connectors.ConfigureRequest{Config: []byte(base), DefaultRegion: "GB"})
	if len(problems) > 0 || hasCap(s.capabilities(), connectors.CapLookupByKey) {
		t.Errorf("without lookup_by_key: %v, %v; want no lookup_by_key", problems, s.capabilities())
	}
	s, problems = parseConfig(&connectors.ConfigureRequest{DefaultRegion: "GB",
		Config: []byte(base + "lookup_by_key: {account_no: [{path: /s, query: {q: '{{.Value}}'}, results: data}]}\n")})
	if len(problems) > 0 || !hasCap(s.capabilities(), connectors.CapLookupByKey) {
		t.Errorf("with lookup_by_key: %v, %v; want lookup_by_key", problems, s.capabilities())
	}
}

func hasCap(caps []connectors.Capability, c connectors.Capability) bool {
	for _, x := range caps {
		if x == c {
			return true
		}
	}
	return false
}

// TestLookupByKeyPipedrive: what a lookup by key sends and keeps, against
// the fake Pipedrive: the search's loose results are fetched and checked,
// an id is read with contacts.get (an id Pipedrive refuses is no
// record), an unnamed field is unknown, and the value is in no error.
func TestLookupByKeyPipedrive(t *testing.T) {
	s := newPipedrive(t, pipedrivetest.Options{RateLimit: pipedrivetest.Unlimited})
	seedPipedrive(t, s.Server, connectortest.KeyDataset())
	c := configured(t, pipedriveKeyLookups(t, exampleBlock(t, "rest-pipedrive.yaml", pipedriveEnv(s.url))), nil)
	ids := func(req connectors.KeyLookupRequest) string {
		t.Helper()
		resp, err := c.LookupByKey(context.Background(), &req)
		if err != nil {
			t.Fatalf("LookupByKey(%+v): %v", req, err)
		}
		var out []string
		for _, m := range resp.Matches {
			out = append(out, m.Key())
		}
		return strings.Join(out, " ")
	}
	for _, tt := range []struct {
		req  connectors.KeyLookupRequest
		want string
	}{
		{connectors.KeyLookupRequest{Field: "account_no", Value: "AC-1001"}, "contact:1001"}, // not AC-10010
		{connectors.KeyLookupRequest{Field: "order_numbers", Value: "ord-8"}, "contact:1001"},
		{connectors.KeyLookupRequest{Field: "id", Value: "1002"}, "contact:1002"},
		{connectors.KeyLookupRequest{Field: "external_id", Value: "1002"}, "contact:1002"},
		{connectors.KeyLookupRequest{Field: "id", Value: "not-an-id"}, ""},
		{connectors.KeyLookupRequest{Field: "id", Value: "../organizations/2001"}, ""},
		{connectors.KeyLookupRequest{Field: "account_no", Value: "AC-SHARED", Limit: 1}, "contact:1004"},
	} {
		if got := ids(tt.req); got != tt.want {
			t.Errorf("LookupByKey(%+v) = %q; want %q", tt.req, got, tt.want)
		}
	}
	_, err := c.LookupByKey(context.Background(), &connectors.KeyLookupRequest{Field: "pin", Value: "1234"})
	if connectors.ClassOf(err) != connectors.ClassBadConfig || !strings.Contains(err.Error(), `"account_no", "email", "order_numbers", "id"`) {
		t.Errorf("unknown field: %v", err)
	}
	// The fake refuses a one-letter substring term: its 400 quotes it.
	_, err = c.LookupByKey(context.Background(), &connectors.KeyLookupRequest{Field: "account_no", Value: "Q"})
	if err == nil || strings.Contains(err.Error(), `"Q"`) {
		t.Errorf("a refused search: %v; want an error without the value", err)
	}
}
