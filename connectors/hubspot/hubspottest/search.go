package hubspottest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// Search limits, as HubSpot's.
const (
	MaxSearchLimit     = 200
	DefaultSearchLimit = 10
	MaxSearchResults   = 10_000
	MaxFilterGroups    = 5
	MaxFiltersPerGroup = 6
	MaxFilters         = 18
)

// searchRequest is the body of a search.
type searchRequest struct {
	FilterGroups []filterGroup     `json:"filterGroups"`
	Sorts        []json.RawMessage `json:"sorts"`
	Query        string            `json:"query"`
	Properties   []string          `json:"properties"`
	Limit        *int              `json:"limit"`
	After        json.RawMessage   `json:"after"`
}

type filterGroup struct {
	Filters []filter `json:"filters"`
}

type filter struct {
	PropertyName string            `json:"propertyName"`
	Operator     string            `json:"operator"`
	Value        json.RawMessage   `json:"value"`
	HighValue    json.RawMessage   `json:"highValue"`
	Values       []json.RawMessage `json:"values"`
}

// searchJSON is a search answer.
type searchJSON struct {
	Total   int          `json:"total"`
	Results []objectJSON `json:"results"`
	Paging  *pagingJSON  `json:"paging,omitempty"`
}

// sortSpec is a parsed sort.
type sortSpec struct {
	prop string
	desc bool
}

// search serves POST /crm/v3/objects/{objectType}/search. Callers hold mu.
func (s *Server) search(t ObjectType, body []byte) reply {
	bad := func(format string, args ...any) reply {
		return s.apiErrorLocked(http.StatusBadRequest, CategoryValidation, fmt.Sprintf(format, args...))
	}
	var req searchRequest
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		return bad("Invalid input JSON: %v", err)
	}
	if req.Query != "" {
		return bad("the fake HubSpot does not implement free-text query; use filterGroups")
	}
	limit := DefaultSearchLimit
	if req.Limit != nil {
		limit = *req.Limit
	}
	if limit < 0 || limit > MaxSearchLimit {
		return bad("limit must be between 0 and %d, got %d", MaxSearchLimit, limit)
	}
	offset, err := searchOffset(req.After)
	if err != nil {
		return bad("%v", err)
	}
	if offset >= MaxSearchResults {
		return bad("Search results are limited to %d per query: after %d is past the end; narrow the filters", MaxSearchResults, offset)
	}
	if len(req.FilterGroups) > MaxFilterGroups {
		return bad("too many filterGroups: %d, the limit is %d", len(req.FilterGroups), MaxFilterGroups)
	}
	total := 0
	for i, g := range req.FilterGroups {
		if len(g.Filters) > MaxFiltersPerGroup {
			return bad("filterGroups[%d] has %d filters, the limit is %d", i, len(g.Filters), MaxFiltersPerGroup)
		}
		total += len(g.Filters)
		for j, f := range g.Filters {
			if msg := s.checkFilter(t, f); msg != "" {
				return bad("filterGroups[%d].filters[%d]: %s", i, j, msg)
			}
		}
	}
	if total > MaxFilters {
		return bad("too many filters: %d, the limit is %d in all", total, MaxFilters)
	}
	sorts, msg := s.parseSorts(t, req.Sorts)
	if msg != "" {
		return bad("%s", msg)
	}

	now := s.now()
	type hit struct {
		o *object
		v *version
	}
	var hits []hit
	for _, o := range s.candidates(t, req.FilterGroups) {
		v := s.searchView(o, now)
		if v == nil || v.archived || !matchesGroups(req.FilterGroups, v.props) {
			continue
		}
		hits = append(hits, hit{o, v})
	}
	if len(sorts) > 0 {
		sp := sorts[0]
		slices.SortStableFunc(hits, func(a, b hit) int {
			c := compareAs(a.v.props[sp.prop], b.v.props[sp.prop], true)
			if sp.desc {
				c = -c
			}
			return c
		})
	}

	out := searchJSON{Total: len(hits), Results: []objectJSON{}}
	end := min(offset+limit, len(hits))
	for _, h := range hits[min(offset, len(hits)):end] {
		out.Results = append(out.Results, s.render(t, h.o.idString(), h.v.props, h.v.createdAt, h.v.updatedAt, false, req.Properties))
	}
	if end < len(hits) && end < MaxSearchResults && limit > 0 {
		out.Paging = &pagingJSON{Next: nextJSON{After: strconv.Itoa(end)}}
	}
	return reply{http.StatusOK, out}
}

// candidates returns, in id order, the records a search must check: when
// every filter group has an EQ filter on a text value, those the EQ index
// names for them, else every record.
func (s *Server) candidates(t ObjectType, groups []filterGroup) []*object {
	st := s.store[t]
	if len(groups) == 0 {
		return st.sorted()
	}
	ids := map[int64]struct{}{}
	for _, g := range groups {
		indexed := false
		for _, f := range g.Filters {
			v, _ := scalar(f.Value)
			if f.Operator != "EQ" || numericProps[f.PropertyName] {
				continue
			}
			for _, id := range st.eqIndex(f.PropertyName)[strings.ToLower(v)] {
				ids[id] = struct{}{}
			}
			indexed = true
			break
		}
		if !indexed {
			return st.sorted()
		}
	}
	out := make([]*object, 0, len(ids))
	for id := range ids {
		out = append(out, st.byID[id])
	}
	slices.SortFunc(out, func(a, b *object) int { return cmpInt(a.id, b.id) })
	return out
}

// numericProps are the properties whose values compare as numbers or
// instants for every operator; other properties are text, compared
// ignoring case, except by the range operators (LT, LTE, GT, GTE,
// BETWEEN), which compare numbers and instants as such.
var numericProps = map[string]bool{
	propObjectID: true, PropAssociatedCompany: true, propCreateDate: true, propCallCreateDate: true,
	"lastmodifieddate": true, "hs_lastmodifieddate": true, PropCallTimestamp: true, PropCallDuration: true,
}

// searchOffset reads a search's after: an offset, as a string or a number.
func searchOffset(raw json.RawMessage) (int, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return 0, nil
	}
	v, ok := scalar(raw)
	if !ok {
		return 0, fmt.Errorf("after must be a paging cursor (a string), got %s", raw)
	}
	if v == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("after must be the paging.next.after of a previous page, got %q", v)
	}
	return n, nil
}

// scalar reads a JSON string, number or boolean as text.
func scalar(raw json.RawMessage) (string, bool) {
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return "", false
	}
	switch x := v.(type) {
	case string:
		return x, true
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64), true
	case bool:
		return strconv.FormatBool(x), true
	}
	return "", false
}

// operators lists the filter operators and whether each needs a value
// ("value"), a range ("range"), a list ("values") or nothing ("").
var operators = map[string]string{
	"EQ": "value", "NEQ": "value", "LT": "value", "LTE": "value", "GT": "value", "GTE": "value",
	"BETWEEN": "range", "IN": "values", "NOT_IN": "values",
	"HAS_PROPERTY": "", "NOT_HAS_PROPERTY": "",
	"CONTAINS_TOKEN": "value", "NOT_CONTAINS_TOKEN": "value",
}

// checkFilter says what is wrong with a filter, or "".
func (s *Server) checkFilter(t ObjectType, f filter) string {
	if f.PropertyName == "" {
		return "propertyName is required"
	}
	if !s.knows(t, f.PropertyName) {
		return fmt.Sprintf("Property %q does not exist", f.PropertyName)
	}
	needs, ok := operators[f.Operator]
	if !ok {
		return fmt.Sprintf("unknown operator %q", f.Operator)
	}
	switch needs {
	case "value":
		if _, ok := scalar(f.Value); !ok {
			return fmt.Sprintf("operator %s needs a value", f.Operator)
		}
	case "range":
		_, lo := scalar(f.Value)
		_, hi := scalar(f.HighValue)
		if !lo || !hi {
			return "operator BETWEEN needs value and highValue"
		}
	case "values":
		if len(f.Values) == 0 {
			return fmt.Sprintf("operator %s needs values", f.Operator)
		}
		for _, v := range f.Values {
			if _, ok := scalar(v); !ok {
				return fmt.Sprintf("operator %s: values must be strings or numbers", f.Operator)
			}
		}
	}
	return ""
}

// parseSorts reads the sorts: "prop", "-prop" or {propertyName, direction};
// HubSpot allows one.
func (s *Server) parseSorts(t ObjectType, raw []json.RawMessage) ([]sortSpec, string) {
	if len(raw) > 1 {
		return nil, fmt.Sprintf("only one sort is allowed, got %d", len(raw))
	}
	var out []sortSpec
	for _, r := range raw {
		var sp sortSpec
		var name string
		if err := json.Unmarshal(r, &name); err == nil {
			sp.prop, sp.desc = strings.TrimPrefix(name, "-"), strings.HasPrefix(name, "-")
		} else {
			var obj struct {
				PropertyName string `json:"propertyName"`
				Direction    string `json:"direction"`
			}
			if err := json.Unmarshal(r, &obj); err != nil {
				return nil, fmt.Sprintf("a sort must be a property name or {propertyName, direction}, got %s", r)
			}
			sp.prop = obj.PropertyName
			switch obj.Direction {
			case "", "ASCENDING":
			case "DESCENDING":
				sp.desc = true
			default:
				return nil, fmt.Sprintf("sort direction must be ASCENDING or DESCENDING, got %q", obj.Direction)
			}
		}
		if !s.knows(t, sp.prop) {
			return nil, fmt.Sprintf("cannot sort by %q: the property does not exist", sp.prop)
		}
		out = append(out, sp)
	}
	return out, ""
}

// matchesGroups applies the filter groups: ORed groups of ANDed filters;
// no groups match everything.
func matchesGroups(groups []filterGroup, props map[string]string) bool {
	if len(groups) == 0 {
		return true
	}
	for _, g := range groups {
		all := true
		for _, f := range g.Filters {
			if !matchesFilter(f, props) {
				all = false
				break
			}
		}
		if all {
			return true
		}
	}
	return false
}

// matchesFilter applies one (checked) filter to a record's properties.
func matchesFilter(f filter, props map[string]string) bool {
	v, has := props[f.PropertyName]
	has = has && v != ""
	val, _ := scalar(f.Value)
	numeric := numericProps[f.PropertyName]
	compareValues := func(a, b string) int { return compareAs(a, b, numeric) }
	switch f.Operator {
	case "HAS_PROPERTY":
		return has
	case "NOT_HAS_PROPERTY":
		return !has
	case "EQ":
		return has && compareValues(v, val) == 0
	case "NEQ":
		return !has || compareValues(v, val) != 0
	case "LT":
		return has && compareAs(v, val, true) < 0
	case "LTE":
		return has && compareAs(v, val, true) <= 0
	case "GT":
		return has && compareAs(v, val, true) > 0
	case "GTE":
		return has && compareAs(v, val, true) >= 0
	case "BETWEEN":
		hi, _ := scalar(f.HighValue)
		return has && compareAs(v, val, true) >= 0 && compareAs(v, hi, true) <= 0
	case "IN", "NOT_IN":
		in := false
		for _, raw := range f.Values {
			if x, _ := scalar(raw); has && compareValues(v, x) == 0 {
				in = true
				break
			}
		}
		return in == (f.Operator == "IN")
	case "CONTAINS_TOKEN":
		return has && containsToken(v, val)
	case "NOT_CONTAINS_TOKEN":
		return !has || !containsToken(v, val)
	}
	return false
}

// compareAs compares a property value with a filter value. With numeric,
// as numbers when both are numbers, as instants when the property is a
// date-time (the filter value in epoch milliseconds or RFC 3339); else, and
// otherwise, as text ignoring case.
func compareAs(a, b string, numeric bool) int {
	if !numeric {
		return strings.Compare(strings.ToLower(a), strings.ToLower(b))
	}
	if x, err := strconv.ParseFloat(a, 64); err == nil {
		if y, err := strconv.ParseFloat(b, 64); err == nil {
			return cmpFloat(x, y)
		}
	}
	if ta, err := time.Parse(time.RFC3339Nano, a); err == nil {
		if ms, err := strconv.ParseInt(b, 10, 64); err == nil {
			return cmpFloat(float64(ta.UnixMilli()), float64(ms))
		}
		if tb, err := time.Parse(time.RFC3339Nano, b); err == nil {
			return ta.Compare(tb)
		}
	}
	return strings.Compare(strings.ToLower(a), strings.ToLower(b))
}

func cmpFloat(x, y float64) int {
	switch {
	case x < y:
		return -1
	case x > y:
		return 1
	case math.IsNaN(x) || math.IsNaN(y):
		return -1
	}
	return 0
}

// containsToken reports whether every word of the filter value matches a
// word of the property value, ignoring case; * in the filter value matches
// any run of characters ("*@example.com").
func containsToken(value, pattern string) bool {
	words := strings.FieldsFunc(strings.ToLower(value), unicode.IsSpace)
	for _, p := range strings.FieldsFunc(strings.ToLower(pattern), unicode.IsSpace) {
		found := false
		for _, w := range words {
			if wildcard(p, w) {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

// wildcard reports whether s matches pattern, where * matches any run of
// characters (none included) and everything else itself.
func wildcard(pattern, s string) bool {
	parts := strings.Split(pattern, "*")
	if len(parts) == 1 {
		return pattern == s
	}
	if !strings.HasPrefix(s, parts[0]) {
		return false
	}
	s = s[len(parts[0]):]
	last := parts[len(parts)-1]
	for _, mid := range parts[1 : len(parts)-1] {
		i := strings.Index(s, mid)
		if i < 0 {
			return false
		}
		s = s[i+len(mid):]
	}
	return len(s) >= len(last) && strings.HasSuffix(s, last)
}
