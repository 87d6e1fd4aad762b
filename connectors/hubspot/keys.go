package hubspot

import (
	"context"
	"net/http"
	"strings"

	"github.com/switchboard-hq/switchboard/connectors"
	"github.com/switchboard-hq/switchboard/connectors/conf"
	"github.com/switchboard-hq/switchboard/connectors/sdk"
)

// Lookups by key (connectors.KeyLookuper, capability lookup_by_key): the
// records whose field holds a value, with one search request per object
// type the field belongs to (contacts for fields:, companies for
// company_fields:, both for a name in both). The standard fields search
// contacts: id is hs_object_id, email the email property, external_id a
// field of that name when mapped, else the id.
//
// A field's search ORs two filter groups on its property: EQ the value
// (HubSpot compares text ignoring case), and CONTAINS_TOKEN the value,
// which also finds it among the words of a text (a value stored with
// spaces around it). A field declared multi: true (several values in one
// text, separated by commas or semicolons) is searched with
// CONTAINS_TOKEN *value* instead, as a value next to a separator is not a
// word of its own. The search is loose on purpose: every answer is checked
// with the SDK's rule (sdk.KeyMatches), so "ORD-70" found for ORD-7 is
// dropped. A RecordID adds hs_object_id EQ to each group; an id or record
// id that is not digits finds nothing without a request. Searches count
// against HubSpot's 5 a second like LookupByPhone's, and see a change
// only after its search lag.

var _ connectors.KeyLookuper = (*Connector)(nil)

// keySearch is one object type's search of a lookup by key.
type keySearch struct {
	path     string
	property string
	multi    bool
	company  bool
}

// keySearches are the searches of a lookup by field, or false for a field
// the connector does not have.
func keySearches(s *settings, field string) ([]keySearch, bool) {
	var out []keySearch
	find := func(fields []conf.Field, base, path string, company bool) {
		for _, f := range fields {
			if f.Name == field {
				out = append(out, keySearch{path: path, property: f.Source, multi: s.multi[base+"."+f.Name], company: company})
			}
		}
	}
	if field != sdk.KeyFieldID && field != sdk.KeyFieldEmail {
		find(s.fields, "fields", pathSearchContact, false)
		find(s.companyFields, "company_fields", pathSearchCompany, true)
	}
	switch {
	case len(out) > 0:
	case field == sdk.KeyFieldID || field == sdk.KeyFieldExternalID:
		out = append(out, keySearch{path: pathSearchContact, property: propObjectID})
	case field == sdk.KeyFieldEmail:
		out = append(out, keySearch{path: pathSearchContact, property: propEmail})
	default:
		return nil, false
	}
	return out, true
}

// groups are the filter groups of the search for value (trimmed).
func (ks keySearch) groups(value, recordID string) []filterGroup {
	group := func(op, v string) filterGroup {
		g := filterGroup{Filters: []filter{{PropertyName: ks.property, Operator: op, Value: v}}}
		if recordID != "" {
			g.Filters = append(g.Filters, filter{PropertyName: propObjectID, Operator: "EQ", Value: recordID})
		}
		return g
	}
	switch {
	case ks.property == propObjectID:
		return []filterGroup{group("EQ", value)}
	case ks.multi:
		return []filterGroup{group("EQ", value), group("CONTAINS_TOKEN", "*"+value+"*")}
	}
	return []filterGroup{group("EQ", value), group("CONTAINS_TOKEN", value)}
}

// LookupByKey implements connectors.KeyLookuper. The value looked for may
// be a secret's hash: it travels in the search's body, is never logged,
// and is taken out of HubSpot's error messages (sdk.HideKeyValue).
func (c *Connector) LookupByKey(ctx context.Context, req *connectors.KeyLookupRequest) (*connectors.KeyLookupResponse, error) {
	const op = "LookupByKey"
	st, err := c.current(op)
	if err != nil {
		return nil, err
	}
	searches, ok := keySearches(st.set, req.Field)
	if !ok {
		var names []string
		for _, f := range append(append([]conf.Field(nil), st.set.fields...), st.set.companyFields...) {
			names = append(names, f.Name)
		}
		return nil, sdk.UnknownKeyField(req.Field, names)
	}
	value := strings.TrimSpace(req.Value)
	if value == "" || (req.RecordID != "" && !digits(req.RecordID)) {
		return &connectors.KeyLookupResponse{}, nil
	}
	limit := req.Limit
	if limit <= 0 {
		limit = sdk.DefaultKeyLookupLimit
	}
	var (
		contacts  []connectors.Contact
		companies []connectors.Company
	)
	for _, ks := range searches {
		if ks.property == propObjectID && !digits(value) {
			continue // no record has it
		}
		props := contactProperties(st.set)
		if ks.company {
			props = companyProperties(st.set)
		}
		var p page
		err := st.api.do(ctx, call{op: op, method: http.MethodPost, path: ks.path, search: true,
			body: searchBody{FilterGroups: ks.groups(value, req.RecordID), Properties: props,
				Limit: min(maxSearchLimit, max(2*limit, 20)), After: "0"}}, &p)
		if err != nil {
			return nil, sdk.HideKeyValue(keyError(st, op, ks, err), value)
		}
		for i := range p.Results {
			if ks.company {
				companies = append(companies, toCompany(st.set, c.log, &p.Results[i]))
			} else {
				ct, _ := toContact(st.set, c.log, &p.Results[i])
				contacts = append(contacts, ct)
			}
		}
	}
	return &connectors.KeyLookupResponse{Matches: sdk.KeyMatches(req, contacts, companies)}, nil
}

// keyError classifies a refused search: a property HubSpot does not have
// is the block's fault (bad_config), naming the field's property.
func keyError(st *state, op string, ks keySearch, err error) error {
	status, ae := httpStatus(err)
	if status != http.StatusBadRequest {
		return err
	}
	if m := missingPropertyRE.FindStringSubmatch(ae.Message); m != nil && m[1] == ks.property {
		kind := "contact"
		if ks.company {
			kind = "company"
		}
		return connectors.Errorf(connectors.ClassBadConfig, op, "%s: HubSpot has no %s property %s, which a field of the block names: "+
			"fix the field's property: (its internal name, under Settings > Properties)", ae.describe(status), kind, m[1])
	}
	return err
}

// digits reports whether s is a HubSpot record id.
func digits(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}
