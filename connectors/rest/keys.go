package rest

import (
	"context"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/switchboard-hq/switchboard/connectors"
	"github.com/switchboard-hq/switchboard/connectors/conf"
	"github.com/switchboard-hq/switchboard/connectors/sdk"
)

// Lookups by key (connectors.KeyLookuper, capability lookup_by_key): the
// records whose field holds a value, found by the requests lookup_by_key
// names for the field. Each is a request of lookup:'s shape (method,
// path, query, headers, body, results, map, kind, fetch) whose templates
// see {{.Value}}, the value looked for (trimmed, in the case asked), and
// {{.RecordID}} (or ""):
//
//	lookup_by_key:
//	  account_no:
//	    - path: /api/v2/persons/search
//	      query: {term: "{{.Value}}", fields: custom_fields, exact_match: "true"}
//	      results: data.items
//	      map: {id: item.id, name: item.name}
//	      fetch: true          # the search items lack the field: read each person
//
// The connector never trusts the API's search: every record found (after
// fetch:, when set) is kept only when its mapped field holds the value
// under the contract's rule (sdk.KeyMatches: trimmed, ignoring case, each
// value of a list or of a text separated by commas or semicolons), so the
// record's map: (or its list's, with fetch:) must map the field, under
// fields: (or emails: for email). A loose search (a substring term, no
// exact_match) costs requests, never wrong answers. RecordID is applied
// to what comes back too.
//
// The standard fields are those lookup_by_key names (email among them:
// the API must be told how to search it), and id, without a request of
// its own, is read with contacts.get (a 404 or 400 is no record); so is
// external_id unless named. A field neither names is unknown
// (bad_config). The value travels in the requests the operator wrote (in
// a GET's query string when they put it there); the connector never logs
// it and takes it out of the API's error messages.

var _ connectors.KeyLookuper = (*Connector)(nil)

// parseKeyLookups validates lookup_by_key: each field's requests, like
// lookup:'s, at lookup_by_key.<field>.<i>.
func parseKeyLookups(ps *problems, in map[string][]lookupConfig, contacts, companies *listConfig) map[string][]*lookupSettings {
	if len(in) == 0 {
		return nil
	}
	out := map[string][]*lookupSettings{}
	for _, field := range slices.Sorted(maps.Keys(in)) {
		path := conf.JoinPath("lookup_by_key", field)
		reqs := in[field]
		switch {
		case strings.TrimSpace(field) == "":
			ps.add("lookup_by_key", "empty field name: name the field each request searches (a field of map.fields, or email)")
		case len(reqs) == 0:
			ps.add(path, "no request: give at least one request that searches %s for {{.Value}}", field)
		case len(reqs) > maxLookupRequests:
			ps.add(path, "at most %d requests a field, got %d", maxLookupRequests, len(reqs))
		}
		for i := range reqs {
			if l := parseLookup(ps, conf.JoinPath(path, i), &reqs[i], contacts, companies); l != nil {
				out[field] = append(out[field], l)
			}
		}
	}
	return out
}

// keyFields are the fields a configuration looks up: those lookup_by_key
// names, and id with contacts.get.
func (s *settings) keyFields() []string {
	names := slices.Sorted(maps.Keys(s.keyLookups))
	if s.contacts != nil && s.contacts.get != nil && s.keyLookups[sdk.KeyFieldID] == nil {
		names = append(names, sdk.KeyFieldID)
	}
	return names
}

// LookupByKey implements connectors.KeyLookuper.
func (c *Connector) LookupByKey(ctx context.Context, req *connectors.KeyLookupRequest) (*connectors.KeyLookupResponse, error) {
	const op = "LookupByKey"
	st, err := c.current(op)
	if err != nil {
		return nil, err
	}
	s := st.set
	if len(s.keyLookups) == 0 {
		return nil, &connectors.Error{Class: connectors.ClassUnsupported, Op: op,
			Message: "this rest connector has no lookups by key: describe each field's search under lookup_by_key"}
	}
	reqs := s.keyLookups[req.Field]
	if reqs == nil && req.Field == sdk.KeyFieldExternalID {
		reqs = s.keyLookups[sdk.KeyFieldID]
	}
	byGet := reqs == nil && (req.Field == sdk.KeyFieldID || req.Field == sdk.KeyFieldExternalID) &&
		s.contacts != nil && s.contacts.get != nil
	if reqs == nil && !byGet {
		return nil, unknownKeyField(req.Field, s.keyFields())
	}
	value := strings.TrimSpace(req.Value)
	if value == "" {
		return &connectors.KeyLookupResponse{}, nil
	}
	var recs []record
	if byGet {
		recs, err = c.keyByGet(ctx, st, op, value)
	} else {
		recs, err = c.keySearch(ctx, st, op, reqs, req)
	}
	if err != nil {
		return nil, sdk.HideKeyValue(err, value)
	}
	var (
		contacts  []connectors.Contact
		companies []connectors.Company
	)
	for _, r := range recs {
		if r.contact != nil {
			contacts = append(contacts, *r.contact)
		} else if r.company != nil {
			companies = append(companies, *r.company)
		}
	}
	matches := sdk.KeyMatches(req, contacts, companies)
	if err := c.fillCompanyNames(ctx, st, op, matchContacts(matches)); err != nil {
		return nil, sdk.HideKeyValue(err, value)
	}
	return &connectors.KeyLookupResponse{Matches: matches}, nil
}

// keyByGet reads the contact whose id is value with contacts.get; an
// answer of 404 or 400 (not an id the API has) is none.
func (c *Connector) keyByGet(ctx context.Context, st *state, op, value string) ([]record, error) {
	r, err := c.fetch(ctx, st, op, kindContact, url.PathEscape(value))
	switch status := httpStatus(err); {
	case status == http.StatusNotFound || status == http.StatusBadRequest:
		return nil, nil
	case err != nil:
		return nil, err
	}
	return []record{r}, nil
}

// keySearch sends every request of a field at once, merges the records
// found by kind and id, and reads each again with its kind's get when the
// request says fetch: (the record as the search shows it may lack the
// field), until enough hold the value: the request's limit (all of the
// record's, with a RecordID).
func (c *Connector) keySearch(ctx context.Context, st *state, op string, reqs []*lookupSettings, req *connectors.KeyLookupRequest) ([]record, error) {
	v := vars{Value: strings.TrimSpace(req.Value), RecordID: req.RecordID}
	results := make([][]record, len(reqs))
	errs := make([]error, len(reqs))
	var wg sync.WaitGroup
	for i, l := range reqs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i], errs[i] = c.search(ctx, st, op, l, &v)
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	limit := req.Limit
	if limit <= 0 {
		limit = sdk.DefaultKeyLookupLimit
	}
	var out []record
	seen := map[string]bool{}
	for i, recs := range results {
		l := reqs[i]
		for _, r := range recs {
			if seen[r.key()] || (req.RecordID != "" && r.id() != req.RecordID) {
				continue
			}
			seen[r.key()] = true
			if l.fetch {
				fetched, err := c.fetch(ctx, st, op, l.kind, r.id())
				if httpStatus(err) == http.StatusNotFound {
					continue // deleted since the search
				}
				if err != nil {
					return nil, err
				}
				r = fetched
			}
			if !holds(r, req) {
				continue
			}
			out = append(out, r)
			if req.RecordID == "" && len(out) >= limit {
				return out, nil
			}
		}
	}
	return out, nil
}

// holds reports whether a record holds the request's value in its field.
func holds(r record, req *connectors.KeyLookupRequest) bool {
	switch {
	case r.contact != nil:
		v, ok := sdk.ContactKey(r.contact, req.Field)
		return ok && sdk.KeyEqual(v, req.Value)
	case r.company != nil:
		v, ok := sdk.CompanyKey(r.company, req.Field)
		return ok && sdk.KeyEqual(v, req.Value)
	}
	return false
}

// unknownKeyField is the error of a lookup by a field the block does not
// describe (bad_config): unlike sdk.UnknownKeyField's connectors, this
// one has only the standard fields it is told how to search.
func unknownKeyField(field string, known []string) error {
	msg := fmt.Sprintf("no field %q to look records up by", field)
	if sug := conf.Suggest(field, known); sug != "" {
		msg += fmt.Sprintf(" (did you mean %q?)", sug)
	}
	quoted := make([]string, len(known))
	for i, k := range known {
		quoted[i] = strconv.Quote(k)
	}
	msg += fmt.Sprintf(": lookup_by_key describes %s; add the field's search there (id is read with contacts.get when it has one)",
		strings.Join(quoted, ", "))
	return &connectors.Error{Class: connectors.ClassBadConfig, Op: "LookupByKey", Message: msg}
}
