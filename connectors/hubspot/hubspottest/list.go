package hubspottest

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Page limits, as HubSpot's.
const (
	// MaxListLimit is the largest limit a list request may ask for.
	MaxListLimit = 100
	// DefaultListLimit is the limit of a list request that names none.
	DefaultListLimit = 10
)

// objectJSON is a record as the API returns it.
type objectJSON struct {
	ID           string                      `json:"id"`
	Properties   map[string]*string          `json:"properties"`
	CreatedAt    string                      `json:"createdAt"`
	UpdatedAt    string                      `json:"updatedAt"`
	Archived     bool                        `json:"archived"`
	Associations map[string]associationsJSON `json:"associations,omitempty"`
}

type associationsJSON struct {
	Results []associationJSON `json:"results"`
}

type associationJSON struct {
	ID   string `json:"id"`
	Type string `json:"type"`
}

// pagingJSON is the "paging" of a page that has a next one.
type pagingJSON struct {
	Next nextJSON `json:"next"`
}

type nextJSON struct {
	After string `json:"after"`
	Link  string `json:"link,omitempty"`
}

// listJSON is a list answer; Paging is nil on the last page.
type listJSON struct {
	Results []objectJSON `json:"results"`
	Paging  *pagingJSON  `json:"paging,omitempty"`
}

// propertyList reads the properties query parameter, which may be given
// comma-separated, repeated, or both.
func propertyList(q url.Values, key string) []string {
	var out []string
	for _, v := range q[key] {
		for _, p := range strings.Split(v, ",") {
			if p = strings.TrimSpace(p); p != "" {
				out = appendUnique(out, p)
			}
		}
	}
	return out
}

// render builds the JSON of a record: the asked-for properties (the type's
// defaults when none are asked for) that exist, null when unset, and
// always the created and last-modified dates and hs_object_id.
func (s *Server) render(t ObjectType, id string, props map[string]string, createdAt, updatedAt time.Time, archived bool, want []string) objectJSON {
	if len(want) == 0 {
		want = defaultProps[t]
	}
	out := objectJSON{
		ID: id, Properties: map[string]*string{},
		CreatedAt: formatTime(createdAt), UpdatedAt: formatTime(updatedAt), Archived: archived,
	}
	for _, p := range append(slices.Clone(want), createDateProp(t), lastModifiedProp(t), propObjectID) {
		if !s.knows(t, p) {
			continue // HubSpot leaves out properties that do not exist
		}
		if v, ok := props[p]; ok {
			out.Properties[p] = &v
		} else {
			out.Properties[p] = nil
		}
	}
	return out
}

// associationsOf returns the associations of o with the asked-for types.
func (s *Server) associationsOf(o *object, want []string) map[string]associationsJSON {
	out := map[string]associationsJSON{}
	for _, w := range want {
		other, ok := parseObjectType(w)
		if !ok {
			continue
		}
		var res []associationJSON
		switch {
		case o.typ == Contacts && other == Companies:
			for i, c := range o.companies {
				typ := AssocContactToCompany
				if i == 0 {
					typ = AssocContactToCompanyPrimary
				}
				res = append(res, associationJSON{ID: c, Type: typ})
			}
		case o.typ == Companies && other == Contacts:
			for _, c := range s.companyContacts(o) {
				res = append(res, associationJSON{ID: c, Type: AssocCompanyToContact})
			}
		case o.typ == Calls && other == Contacts:
			for _, c := range o.contacts {
				res = append(res, associationJSON{ID: c, Type: AssocCallToContact})
			}
		case o.typ == Calls && other == Companies:
			for _, c := range o.companies {
				res = append(res, associationJSON{ID: c, Type: AssocCallToCompany})
			}
		}
		if len(res) > 0 {
			out[string(other)] = associationsJSON{Results: res}
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// list serves GET /crm/v3/objects/{objectType}. Callers hold mu.
func (s *Server) list(t ObjectType, q url.Values) reply {
	limit := DefaultListLimit
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return s.apiErrorLocked(http.StatusBadRequest, CategoryValidation, "limit must be a positive whole number, got "+strconv.Quote(v))
		}
		if n > MaxListLimit {
			return s.apiErrorLocked(http.StatusBadRequest, CategoryValidation,
				"limit must be at most "+strconv.Itoa(MaxListLimit)+", got "+v)
		}
		limit = n
	}
	var after int64
	if v := q.Get("after"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			return s.apiErrorLocked(http.StatusBadRequest, CategoryValidation, "after must be a paging cursor from a previous page, got "+strconv.Quote(v))
		}
		after = n
	}
	archived := false
	if v := q.Get("archived"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return s.apiErrorLocked(http.StatusBadRequest, CategoryValidation, "archived must be true or false, got "+strconv.Quote(v))
		}
		archived = b
	}
	props := propertyList(q, "properties")
	assocs := propertyList(q, "associations")

	out := listJSON{Results: []objectJSON{}}
	s.store[t].each(after, func(o *object) bool {
		if o.archived != archived {
			return true
		}
		if len(out.Results) == limit {
			next := o.idString()
			link := s.lb.URL() + "/crm/v3/objects/" + string(t) + "?" + pageQuery(q, next)
			out.Paging = &pagingJSON{Next: nextJSON{After: next, Link: link}}
			return false
		}
		rec := s.render(t, o.idString(), o.props, o.createdAt, o.updatedAt, o.archived, props)
		rec.Associations = s.associationsOf(o, assocs)
		out.Results = append(out.Results, rec)
		return true
	})
	return reply{http.StatusOK, out}
}

// pageQuery is q with after set, for paging links.
func pageQuery(q url.Values, after string) string {
	next := url.Values{}
	for k, v := range q {
		next[k] = slices.Clone(v)
	}
	next.Set("after", after)
	return next.Encode()
}

// get serves GET /crm/v3/objects/{objectType}/{objectId}. Callers hold mu.
func (s *Server) get(t ObjectType, id string, q url.Values) reply {
	n, err := parseID(id)
	o := s.store[t].byID[n]
	if err != nil || o == nil || o.archived {
		return s.apiErrorLocked(http.StatusNotFound, CategoryObjectNotFound, "resource not found")
	}
	rec := s.render(t, o.idString(), o.props, o.createdAt, o.updatedAt, o.archived, propertyList(q, "properties"))
	rec.Associations = s.associationsOf(o, propertyList(q, "associations"))
	return reply{http.StatusOK, rec}
}
