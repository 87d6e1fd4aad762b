package pipedrivetest

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// TimeFormat is how update_time and add_time are written: RFC 3339, UTC,
// to the second ("2026-11-30T10:00:00Z").
const TimeFormat = "2006-01-02T15:04:05Z"

// personJSON is a person as lists and gets answer it.
type personJSON struct {
	ID         int     `json:"id"`
	Name       string  `json:"name"`
	FirstName  string  `json:"first_name"`
	LastName   string  `json:"last_name"`
	Phones     []Phone `json:"phones"`
	Emails     []Email `json:"emails"`
	OrgID      *int    `json:"org_id"`   // null when none
	OwnerID    *int    `json:"owner_id"` // null when none
	AddTime    string  `json:"add_time"`
	UpdateTime string  `json:"update_time"`
	// CustomFields are the values of the person's custom fields by key;
	// left out when it has none.
	CustomFields map[string]string `json:"custom_fields,omitempty"`
}

// organizationJSON is an organization as lists and gets answer it.
type organizationJSON struct {
	ID         int      `json:"id"`
	Name       string   `json:"name"`
	Phones     []Phone  `json:"phones"`
	Address    *Address `json:"address"` // null when none
	OwnerID    *int     `json:"owner_id"`
	AddTime    string   `json:"add_time"`
	UpdateTime string   `json:"update_time"`
}

// listJSON is a list answer.
type listJSON struct {
	Success        bool           `json:"success"`
	Data           any            `json:"data"`
	AdditionalData additionalJSON `json:"additional_data"`
}

type additionalJSON struct {
	// NextCursor is null on the last page.
	NextCursor *string `json:"next_cursor"`
}

func optID(id int) *int {
	if id == 0 {
		return nil
	}
	return &id
}

func renderPerson(p *Person) personJSON {
	return personJSON{
		ID: p.ID, Name: p.Name, FirstName: p.FirstName, LastName: p.LastName,
		Phones: nonNil(p.Phones), Emails: nonNil(p.Emails),
		OrgID: optID(p.OrgID), OwnerID: optID(p.OwnerID),
		AddTime: p.AddTime.Format(TimeFormat), UpdateTime: p.UpdateTime.Format(TimeFormat),
		CustomFields: p.CustomFields,
	}
}

func renderOrganization(o *Organization) organizationJSON {
	return organizationJSON{
		ID: o.ID, Name: o.Name, Phones: nonNil(o.Phones), Address: o.Address, OwnerID: optID(o.OwnerID),
		AddTime: o.AddTime.Format(TimeFormat), UpdateTime: o.UpdateTime.Format(TimeFormat),
	}
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// cursorJSON is what a cursor holds, before base64: the collection it
// pages (a cursor of another list or of a search is refused) and, for a
// list, the id of the last record of the previous page (keyset paging) or,
// for a search, the offset of the next result. Clients must treat it as
// opaque.
type cursorJSON struct {
	Collection string `json:"c"`
	AfterID    int    `json:"after_id,omitempty"`
	Offset     int    `json:"offset,omitempty"`
}

// encodeCursor writes a cursor: base64url without padding of its JSON, so
// that it needs no escaping in a query string.
func encodeCursor(c cursorJSON) *string {
	b, _ := json.Marshal(c)
	s := base64.RawURLEncoding.EncodeToString(b)
	return &s
}

// decodeCursor reads a cursor for coll; an empty one is the first page.
func decodeCursor(raw, coll string) (cursorJSON, error) {
	var c cursorJSON
	if raw == "" {
		return c, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(raw)
	if err != nil {
		return c, fmt.Errorf("cursor %q is not a cursor this API issued: pass next_cursor back unchanged", raw)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil || dec.More() || c.Collection != coll || c.AfterID < 0 || c.Offset < 0 {
		return cursorJSON{}, fmt.Errorf("cursor %q is not a cursor of this endpoint: pass the next_cursor of its previous page back unchanged", raw)
	}
	return c, nil
}

// parseLimit reads the limit parameter: 1 to Options.MaxLimit, default
// DefaultLimit.
func (s *Server) parseLimit(q url.Values) (int, error) {
	v := q.Get("limit")
	if v == "" {
		return min(DefaultLimit, s.opts.MaxLimit), nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		return 0, fmt.Errorf("limit must be a whole number from 1 to %d, got %q", s.opts.MaxLimit, v)
	}
	if n > s.opts.MaxLimit {
		return 0, fmt.Errorf("limit must be at most %d, got %d", s.opts.MaxLimit, n)
	}
	return n, nil
}

// parseTime reads an RFC 3339 time parameter; zero when absent.
func parseTime(q url.Values, key string) (time.Time, error) {
	v := q.Get(key)
	if v == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return time.Time{}, fmt.Errorf("%s must be an RFC 3339 time such as 2026-11-30T10:00:00Z, got %q", key, v)
	}
	return t, nil
}

// parseID reads an id parameter; 0 when absent.
func parseID(q url.Values, key string) (int, error) {
	v := q.Get(key)
	if v == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		return 0, fmt.Errorf("%s must be a positive whole number, got %q", key, v)
	}
	return n, nil
}

// record is what lists filter on, for both collections.
type record struct {
	id, orgID, ownerID int
	update             time.Time
	render             func() any
}

// records returns coll's records in id order. Callers hold mu.
func (s *Server) records(coll string) []record {
	var out []record
	if coll == collPersons {
		for _, id := range sortedIDs(s.persons) {
			p := s.persons[id]
			out = append(out, record{p.ID, p.OrgID, p.OwnerID, p.UpdateTime, func() any { return renderPerson(p) }})
		}
		return out
	}
	for _, id := range sortedIDs(s.orgs) {
		o := s.orgs[id]
		out = append(out, record{o.ID, 0, o.OwnerID, o.UpdateTime, func() any { return renderOrganization(o) }})
	}
	return out
}

// list serves GET /api/v2/persons and GET /api/v2/organizations: records
// in ascending id order, keyset-paged by id. See doc.go for the parameters.
func (s *Server) list(coll string, q url.Values) reply {
	known := []string{"limit", "cursor", "updated_since", "updated_until", "owner_id", "sort_by", "sort_direction"}
	if coll == collPersons {
		known = append(known, "org_id")
	}
	if rep, ok := checkQuery(q, known...); !ok {
		return rep
	}
	limit, err := s.parseLimit(q)
	if err != nil {
		return badRequest(err.Error())
	}
	cur, err := decodeCursor(q.Get("cursor"), coll)
	if err != nil {
		return badRequest(err.Error())
	}
	since, err := parseTime(q, "updated_since")
	if err != nil {
		return badRequest(err.Error())
	}
	until, err := parseTime(q, "updated_until")
	if err != nil {
		return badRequest(err.Error())
	}
	owner, err := parseID(q, "owner_id")
	if err != nil {
		return badRequest(err.Error())
	}
	org, err := parseID(q, "org_id")
	if err != nil {
		return badRequest(err.Error())
	}
	if v := q.Get("sort_by"); v != "" && v != "id" {
		return badRequest(fmt.Sprintf("the fake sorts by id only, got sort_by=%q", v))
	}
	if v := q.Get("sort_direction"); v != "" && v != "asc" {
		return badRequest(fmt.Sprintf("the fake sorts in ascending order only, got sort_direction=%q", v))
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	data := []any{}
	var next *string
	for _, r := range s.records(coll) {
		switch {
		case r.id <= cur.AfterID,
			!since.IsZero() && r.update.Before(since),
			!until.IsZero() && !r.update.Before(until),
			owner != 0 && r.ownerID != owner,
			org != 0 && r.orgID != org:
			continue
		}
		if len(data) == limit { // one more matches: there is a next page
			next = encodeCursor(cursorJSON{Collection: coll, AfterID: lastID(data)})
			break
		}
		data = append(data, r.render())
	}
	return reply{http.StatusOK, listJSON{Success: true, Data: data, AdditionalData: additionalJSON{NextCursor: next}}}
}

func lastID(data []any) int {
	switch r := data[len(data)-1].(type) {
	case personJSON:
		return r.ID
	case organizationJSON:
		return r.ID
	}
	return 0
}

// get serves GET /api/v2/persons/{id} and GET /api/v2/organizations/{id}.
func (s *Server) get(coll, id string, q url.Values) reply {
	if rep, ok := checkQuery(q); !ok {
		return rep
	}
	n, err := strconv.Atoi(id)
	if err != nil || n < 1 {
		return badRequest(fmt.Sprintf("the id in the path must be a positive whole number, got %q", id))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var data any
	if coll == collPersons {
		if p := s.persons[n]; p != nil {
			data = renderPerson(p)
		}
	} else if o := s.orgs[n]; o != nil {
		data = renderOrganization(o)
	}
	if data == nil {
		return apiError(http.StatusNotFound, "Not found", fmt.Sprintf("no %s with id %d", coll[:len(coll)-1], n))
	}
	return reply{http.StatusOK, map[string]any{"success": true, "data": data}}
}
