package pipedrivetest

import (
	"fmt"
	"maps"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"unicode/utf8"
)

// Search term lengths, in characters, after trimming surrounding spaces.
const (
	// MinTermLength is the shortest term a substring search takes.
	MinTermLength = 2
	// MinExactTermLength is the shortest term an exact_match search takes.
	MinExactTermLength = 1
)

// searchFields are the fields each collection's search may look in; the
// default is all of them. Organizations' "phone" is invented, like their
// phones.
var searchFields = map[string][]string{
	collPersons: {"name", "email", "phone", "custom_fields"},
	collOrgs:    {"name", "address", "phone"},
}

// personItemJSON is a person as a search result shows it.
type personItemJSON struct {
	ID           int       `json:"id"`
	Type         string    `json:"type"`
	Name         string    `json:"name"`
	Phones       []string  `json:"phones"`
	Emails       []string  `json:"emails"`
	Organization *orgRef   `json:"organization"` // null when none
	Owner        *ownerRef `json:"owner"`        // null when none
}

// organizationItemJSON is an organization as a search result shows it.
type organizationItemJSON struct {
	ID      int       `json:"id"`
	Type    string    `json:"type"`
	Name    string    `json:"name"`
	Address *string   `json:"address"`
	Phones  []string  `json:"phones"`
	Owner   *ownerRef `json:"owner"`
}

type orgRef struct {
	ID   int    `json:"id"`
	Name string `json:"name"`
}

type ownerRef struct {
	ID int `json:"id"`
}

type searchItemJSON struct {
	ResultScore float64 `json:"result_score"`
	Item        any     `json:"item"`
}

type searchJSON struct {
	Success        bool           `json:"success"`
	Data           searchDataJSON `json:"data"`
	AdditionalData additionalJSON `json:"additional_data"`
}

type searchDataJSON struct {
	Items []searchItemJSON `json:"items"`
}

// searchable is one record as search sees it: its values per field.
type searchable struct {
	id     int
	orgID  int
	values map[string][]string
	item   func() any
}

// searchables returns coll's records for search, in id order. Callers
// hold mu.
func (s *Server) searchables(coll string) []searchable {
	var out []searchable
	if coll == collPersons {
		for _, id := range sortedIDs(s.persons) {
			p := s.persons[id]
			vals := map[string][]string{"name": {p.Name}, "email": emailValues(p.Emails), "phone": phoneValues(p.Phones),
				"custom_fields": slices.Sorted(maps.Values(p.CustomFields))}
			out = append(out, searchable{p.ID, p.OrgID, vals, func() any {
				it := personItemJSON{ID: p.ID, Type: "person", Name: p.Name, Phones: vals["phone"], Emails: vals["email"]}
				if o := s.orgs[p.OrgID]; o != nil {
					it.Organization = &orgRef{o.ID, o.Name}
				}
				if p.OwnerID != 0 {
					it.Owner = &ownerRef{p.OwnerID}
				}
				return it
			}})
		}
		return out
	}
	for _, id := range sortedIDs(s.orgs) {
		o := s.orgs[id]
		vals := map[string][]string{"name": {o.Name}, "phone": phoneValues(o.Phones)}
		if o.Address != nil && o.Address.Value != "" {
			vals["address"] = []string{o.Address.Value}
		}
		out = append(out, searchable{o.ID, 0, vals, func() any {
			it := organizationItemJSON{ID: o.ID, Type: "organization", Name: o.Name, Phones: vals["phone"]}
			if a := vals["address"]; len(a) > 0 {
				it.Address = &a[0]
			}
			if o.OwnerID != 0 {
				it.Owner = &ownerRef{o.OwnerID}
			}
			return it
		}})
	}
	return out
}

func phoneValues(ps []Phone) []string {
	out := []string{}
	for _, p := range ps {
		out = append(out, p.Value)
	}
	return out
}

func emailValues(es []Email) []string {
	out := []string{}
	for _, e := range es {
		out = append(out, e.Value)
	}
	return out
}

// score rates how well term matches value, both lower-cased, or returns 0
// when it does not match. The figures are invented: 1 for the whole value,
// else the share of the value the term covers, at most 0.99.
func score(value, term string, exact bool) float64 {
	if value == term {
		return 1
	}
	if exact || !strings.Contains(value, term) {
		return 0
	}
	share := float64(utf8.RuneCountInString(term)) / float64(utf8.RuneCountInString(value))
	return math.Min(math.Round(share*1000)/1000, 0.99)
}

// search serves GET /api/v2/persons/search and
// GET /api/v2/organizations/search. See doc.go for the semantics.
func (s *Server) search(coll string, q url.Values) reply {
	known := []string{"term", "fields", "exact_match", "limit", "cursor"}
	if coll == collPersons {
		known = append(known, "organization_id")
	}
	if rep, ok := checkQuery(q, known...); !ok {
		return rep
	}
	exact := false
	switch v := q.Get("exact_match"); v {
	case "", "false":
	case "true":
		exact = true
	default:
		return badRequest(fmt.Sprintf("exact_match must be true or false, got %q", v))
	}
	term := strings.TrimSpace(q.Get("term"))
	minLen := MinTermLength
	if exact {
		minLen = MinExactTermLength
	}
	if n := utf8.RuneCountInString(term); n < minLen {
		if !q.Has("term") {
			return badRequest("term is required")
		}
		return badRequest(fmt.Sprintf("term must be at least %d characters long (%d with exact_match=true), got %q", MinTermLength, MinExactTermLength, term))
	}
	fields := searchFields[coll]
	if v := q.Get("fields"); v != "" {
		fields = nil
		for _, f := range strings.Split(v, ",") {
			f = strings.TrimSpace(f)
			if !slices.Contains(searchFields[coll], f) {
				return badRequest(fmt.Sprintf("fields: %q is not a searchable field of %s; use a comma-separated list of %s",
					f, coll, strings.Join(searchFields[coll], ", ")))
			}
			fields = append(fields, f)
		}
	}
	limit, err := s.parseLimit(q)
	if err != nil {
		return badRequest(err.Error())
	}
	cur, err := decodeCursor(q.Get("cursor"), coll+"/search")
	if err != nil {
		return badRequest(err.Error())
	}
	orgFilter, err := parseID(q, "organization_id")
	if err != nil {
		return badRequest(err.Error())
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	lterm := strings.ToLower(term)
	type hit struct {
		score float64
		rec   searchable
	}
	var hits []hit
	for _, rec := range s.searchables(coll) {
		if orgFilter != 0 && rec.orgID != orgFilter {
			continue
		}
		best := 0.0
		for _, f := range fields {
			for _, v := range rec.values[f] {
				best = max(best, score(strings.ToLower(v), lterm, exact))
			}
		}
		if best > 0 {
			hits = append(hits, hit{best, rec})
		}
	}
	slices.SortStableFunc(hits, func(a, b hit) int {
		switch {
		case a.score > b.score:
			return -1
		case a.score < b.score:
			return 1
		}
		return 0 // stable: id order
	})
	out := searchJSON{Success: true, Data: searchDataJSON{Items: []searchItemJSON{}}}
	start := min(cur.Offset, len(hits))
	end := min(start+limit, len(hits))
	for _, h := range hits[start:end] {
		out.Data.Items = append(out.Data.Items, searchItemJSON{ResultScore: h.score, Item: h.rec.item()})
	}
	if end < len(hits) {
		out.AdditionalData.NextCursor = encodeCursor(cursorJSON{Collection: coll + "/search", Offset: end})
	}
	return reply{http.StatusOK, out}
}
