package fakehipcall

import (
	"bytes"
	"encoding/json"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Task is a task the fake created (POST /tasks).
type Task struct {
	ID             int64
	Name           string
	Description    string
	AssignToUserID *int64
	DueDate        *time.Time // UTC
	ContactIDs     []int64
	CompanyIDs     []int64
	Priority       string
	Done           bool
	// CreatedAt is when it was created, by Options.Now.
	CreatedAt time.Time
}

// Tasks returns every task created, in order: one per accepted POST, so
// its length is what an exactly-once test counts.
func (s *Server) Tasks() []Task {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Task, len(s.state.tasks))
	for i, t := range s.state.tasks {
		out[i] = cloneTask(t)
	}
	return out
}

func cloneTask(t *Task) Task {
	out := *t
	out.AssignToUserID = clonePtr(t.AssignToUserID)
	out.DueDate = clonePtr(t.DueDate)
	out.ContactIDs = slices.Clone(t.ContactIDs)
	out.CompanyIDs = slices.Clone(t.CompanyIDs)
	return out
}

// jsonType names a JSON value's type as Hipcall's schema errors do.
func jsonType(raw json.RawMessage) string {
	t := bytes.TrimSpace(raw)
	switch {
	case len(t) == 0 || bytes.Equal(t, []byte("null")):
		return "null"
	case t[0] == '"':
		return "string"
	case t[0] == '{':
		return "object"
	case t[0] == '[':
		return "array"
	case t[0] == 't' || t[0] == 'f':
		return "boolean"
	}
	if _, ok := integer(t); ok {
		return "integer"
	}
	return "number"
}

// schemaErrors collects the messages of Hipcall's schema check, a 400
// {"errors":{"data":["#/data/name: Missing field: name"]}}.
type schemaErrors []string

func (e *schemaErrors) add(path, msg string) { *e = append(*e, "#/data"+path+": "+msg) }

func (e *schemaErrors) wrongType(path, want string, raw json.RawMessage) {
	e.add(path, "Invalid "+want+". Got: "+jsonType(raw))
}

// taskIDs decodes a list of integer ids (null: none).
func taskIDs(se *schemaErrors, field string, raw json.RawMessage) []int64 {
	if isNull(raw) {
		return nil
	}
	var items []json.RawMessage
	if err := json.Unmarshal(raw, &items); err != nil {
		se.wrongType("/"+field, "array", raw)
		return nil
	}
	ids := make([]int64, 0, len(items))
	for i, it := range items {
		n, ok := integer(it)
		if !ok {
			se.wrongType("/"+field+"/"+strconv.Itoa(i), "integer", it)
			continue
		}
		ids = append(ids, n)
	}
	return ids
}

// createTask answers POST /tasks {"data":{...}}. Hipcall checks the body's
// shape first (400, schema messages under errors.data: a missing name, a
// value of the wrong type), then its values (422 per field: unexpected
// fields, a blank name, a due_date without a zone, unknown contact or
// company ids). It is not idempotent: every accepted POST adds a task.
func (s *Server) createTask(c *call) reply {
	top, ok := object(c.body)
	if !ok {
		return detail(http.StatusBadRequest, "Bad Request")
	}
	e := fieldErrors{}
	for _, k := range slices.Sorted(maps.Keys(top)) {
		if k != "data" {
			e.add(k, msgUnexpected)
		}
	}
	schema400 := func(se schemaErrors) reply {
		return reply{http.StatusBadRequest, apiError{map[string][]string{"data": se}}}
	}
	raw, has := top["data"]
	if !has || isNull(raw) {
		return schema400(schemaErrors{"#/data: Missing field: data"})
	}
	in, ok := object(raw)
	if !ok {
		return schema400(schemaErrors{"#/data: Invalid object. Got: " + jsonType(raw)})
	}
	var se schemaErrors
	t := &Task{}
	var dueRaw string
	hasName := false
	text := func(k string, v json.RawMessage) string {
		var str string
		if !isNull(v) && json.Unmarshal(v, &str) != nil {
			se.wrongType("/"+k, "string", v)
		}
		return str
	}
	for _, k := range slices.Sorted(maps.Keys(in)) {
		v := in[k]
		switch k {
		case "name":
			hasName = !isNull(v)
			t.Name = text(k, v)
		case "description":
			t.Description = text(k, v)
		case "priority":
			t.Priority = text(k, v)
		case "due_date":
			dueRaw = text(k, v)
		case "assign_to_user_id":
			if !isNull(v) {
				n, ok := integer(v)
				if !ok {
					se.wrongType("/"+k, "integer", v)
				}
				t.AssignToUserID = &n
			}
		case "contact_ids":
			t.ContactIDs = taskIDs(&se, k, v)
		case "company_ids":
			t.CompanyIDs = taskIDs(&se, k, v)
		default:
			e.add(k, msgUnexpected)
		}
	}
	if !hasName {
		se.add("/name", "Missing field: name")
	}
	if len(se) > 0 {
		return schema400(se)
	}
	if strings.TrimSpace(t.Name) == "" {
		e.add("name", msgBlank)
	}
	if dueRaw != "" {
		due, err := time.Parse(time.RFC3339Nano, dueRaw) // needs a zone: Z or an offset
		if err != nil {
			e.add("due_date", "Invalid format")
		} else {
			due = due.UTC()
			t.DueDate = &due
		}
	}
	var contacts, companies []map[string]any
	for _, id := range t.ContactIDs {
		ct := s.state.contacts[id]
		if ct == nil {
			e.add("contact_ids", msgNotExist)
			break
		}
		contacts = append(contacts, map[string]any{"id": id, "name": strings.TrimSpace(ct.FirstName + " " + ct.LastName)})
	}
	for _, id := range t.CompanyIDs {
		co := s.state.companies[id]
		if co == nil {
			e.add("company_ids", msgNotExist)
			break
		}
		companies = append(companies, map[string]any{"id": id, "name": co.Name})
	}
	if len(e) > 0 {
		return invalid(e)
	}
	t.ID = s.state.nextTask
	s.state.nextTask++
	t.CreatedAt = s.now()
	s.state.tasks = append(s.state.tasks, t)
	var due any
	if t.DueDate != nil {
		due = t.DueDate.Format(time.RFC3339)
	}
	if contacts == nil {
		contacts = []map[string]any{}
	}
	if companies == nil {
		companies = []map[string]any{}
	}
	return data(http.StatusCreated, map[string]any{
		"id":                t.ID,
		"name":              t.Name,
		"description":       orNull(t.Description),
		"done":              false,
		"done_at":           nil,
		"due_date":          due,
		"priority":          orNull(t.Priority),
		"assign_to_user_id": t.AssignToUserID,
		"contacts":          contacts,
		"companies":         companies,
	})
}
