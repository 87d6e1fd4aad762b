package hubspottest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Creating records: POST /crm/v3/objects/{objectType} with
//
//	{"properties":{"name":"value",...},
//	 "associations":[{"to":{"id":"123"},"types":[{"associationCategory":"HUBSPOT_DEFINED","associationTypeId":194}]}]}
//
// answers 201 with the record: {"id","properties","createdAt","updatedAt",
// "archived"}, its properties being those sent plus the created and
// last-modified dates and hs_object_id (no associations, as HubSpot).
// Validation follows HubSpot's, and every refusal is a 400
// VALIDATION_ERROR in HubSpot's error body unless said otherwise:
//
//   - a property that does not exist for the type (HubSpot's own, or one
//     defined with DefineProperty or held by a record put): "Property
//     values were not valid: [{..."message":"Property \"x\" does not
//     exist","error":"PROPERTY_DOESNT_EXIST","name":"x"}]", every bad
//     property listed;
//   - a read-only property (hs_object_id, the dates, the computed phone
//     properties): READ_ONLY_VALUE;
//   - a value outside an enumeration (hs_call_direction, hs_call_status,
//     hubspot_owner_id must be an owner id: digits): INVALID_OPTION;
//     hs_timestamp neither RFC 3339 nor epoch milliseconds: INVALID_DATE;
//     hs_call_duration not a whole number of milliseconds: INVALID_INTEGER;
//   - a call without hs_timestamp: REQUIRED_PROPERTY;
//   - an association of a category other than HUBSPOT_DEFINED, of a type
//     id that does not go from this type (calls: 194 to a contact, 182 to
//     a company; contacts: 1 or 279 to a company; companies: none), or to
//     a record that does not exist or is archived. (The reference we
//     follow allows 400 or 404 for a missing record; the fake answers
//     400, which is also what a client must treat as "fix the request".)
//   - a contact whose email (HubSpot's unique contact property) another
//     contact has: 409 {"status":"error","message":"Contact already
//     exists. Existing ID: 123","category":"CONFLICT"}. Phone numbers are
//     not unique: two contacts may share one.
//
// Created records go through the search lag like any write.

// Property is a property definition, as GET
// /crm/v3/properties/{objectType}/{name} answers it.
type Property struct {
	Name string
	// Label defaults to Name.
	Label string
	// Type is HubSpot's data type: string (the default), number, date,
	// datetime, enumeration or bool.
	Type string
	// Options are an enumeration's allowed values.
	Options []string
}

// standardTypes are the data types of HubSpot's own properties that are
// not plain strings, with the enumerations' options.
var standardTypes = map[string]Property{
	PropCallTimestamp:     {Type: "datetime"},
	PropCallDuration:      {Type: "number"},
	PropCallDirection:     {Type: "enumeration", Options: []string{"INBOUND", "OUTBOUND"}},
	PropCallStatus:        {Type: "enumeration", Options: []string{"BUSY", "CANCELED", "COMPLETED", "FAILED", "NO_ANSWER"}},
	PropOwner:             {Type: "enumeration"},
	propObjectID:          {Type: "number"},
	propCreateDate:        {Type: "datetime"},
	propCallCreateDate:    {Type: "datetime"},
	"lastmodifieddate":    {Type: "datetime"},
	"hs_lastmodifieddate": {Type: "datetime"},
	PropAssociatedCompany: {Type: "number"},
}

// readOnly are the properties HubSpot computes; a create may not set them.
var readOnly = map[string]bool{
	propObjectID: true, propCreateDate: true, propCallCreateDate: true, "lastmodifieddate": true,
	"hs_lastmodifieddate": true, PropSearchablePhone: true, PropSearchableMobile: true, PropAssociatedCompany: true,
}

// fieldTypes maps data types to the field type a property of it shows as.
var fieldTypes = map[string]string{
	"string": "text", "number": "number", "date": "date", "datetime": "date", "enumeration": "select", "bool": "booleancheckbox",
}

// DefineProperty defines a custom property of a type, as creating it in
// HubSpot's settings does: records may then be created with it and
// searched by it. It fails on an unknown object type, a name that is not
// an internal name (lower case letters, digits and _) or an unknown data
// type.
func (s *Server) DefineProperty(t ObjectType, p Property) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.store[t]
	if st == nil {
		return fmt.Errorf("fake hubspot: unknown object type %q", t)
	}
	if !internalName.MatchString(p.Name) {
		return fmt.Errorf("fake hubspot: property name %q is not an internal name (lower case letters, digits and _)", p.Name)
	}
	if p.Type == "" {
		p.Type = "string"
	}
	if _, ok := fieldTypes[p.Type]; !ok {
		return fmt.Errorf("fake hubspot: property %s: unknown type %q", p.Name, p.Type)
	}
	st.defined[p.Name] = p
	st.known[p.Name] = true
	return nil
}

// DefineCallProperty defines a custom call property holding text (a
// single-line text property). It panics on a name DefineProperty refuses.
func (s *Server) DefineCallProperty(name string) {
	if err := s.DefineProperty(Calls, Property{Name: name}); err != nil {
		panic(err)
	}
}

var internalName = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)

// LoggedCalls returns every call stored, in id order, with its
// properties (computed ones included) and its associations.
func (s *Server) LoggedCalls() []Object {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Object
	for _, o := range s.store[Calls].sorted() {
		out = append(out, s.export(o))
	}
	return out
}

// CountCalls returns how many calls hold value in property (exactly).
func (s *Server) CountCalls(property, value string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, o := range s.store[Calls].byID {
		if v, ok := o.props[property]; ok && v == value {
			n++
		}
	}
	return n
}

// createRequest is the body of a create.
type createRequest struct {
	Properties   map[string]json.RawMessage `json:"properties"`
	Associations []associationInput         `json:"associations"`
}

type associationInput struct {
	To struct {
		ID json.RawMessage `json:"id"`
	} `json:"to"`
	Types []associationSpec `json:"types"`
}

type associationSpec struct {
	AssociationCategory string `json:"associationCategory"`
	AssociationTypeID   *int   `json:"associationTypeId"`
}

// propertyProblem is one entry of HubSpot's "Property values were not
// valid" list.
type propertyProblem struct {
	IsValid bool   `json:"isValid"`
	Message string `json:"message"`
	Error   string `json:"error"`
	Name    string `json:"name"`
}

// create serves POST /crm/v3/objects/{objectType}. Callers hold mu.
func (s *Server) create(t ObjectType, body []byte) reply {
	bad := func(format string, args ...any) reply {
		return s.apiErrorLocked(http.StatusBadRequest, CategoryValidation, fmt.Sprintf(format, args...))
	}
	var req createRequest
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		return bad("Invalid input JSON on line 1: %v", err)
	}
	props, problems := s.createProperties(t, req.Properties)
	if len(problems) > 0 {
		list, _ := json.Marshal(problems)
		return bad("Property values were not valid: %s", list)
	}
	links, msg := s.createAssociations(t, req.Associations)
	if msg != "" {
		return bad("%s", msg)
	}
	if t == Contacts && props["email"] != "" {
		for _, o := range s.store[Contacts].byID {
			if !o.archived && strings.EqualFold(o.props["email"], props["email"]) {
				return s.apiErrorLocked(http.StatusConflict, CategoryConflict, "Contact already exists. Existing ID: "+o.idString())
			}
		}
	}

	now := s.now()
	o := &object{id: s.nextID, typ: t, createdAt: now, updatedAt: now}
	s.nextID++
	for _, l := range links {
		switch {
		case l.to == Companies && l.primary:
			o.companies = slices.Insert(slices.DeleteFunc(o.companies, func(id string) bool { return id == l.id }), 0, l.id)
		case l.to == Companies:
			o.companies = appendUnique(o.companies, l.id)
		case l.to == Contacts:
			o.contacts = appendUnique(o.contacts, l.id)
		}
	}
	o.props = s.withComputed(o, props)
	s.store[t].add(o)
	if t == Contacts {
		s.linkCompanies(o)
	}
	s.snapshot(o, now)

	sent := make([]string, 0, len(props))
	for k := range props {
		sent = append(sent, k)
	}
	sort.Strings(sent)
	return reply{http.StatusCreated, s.render(t, o.idString(), o.props, o.createdAt, o.updatedAt, false, sent)}
}

// createProperties checks a create's properties and returns them as the
// record will hold them (hs_timestamp in HubSpot's format).
func (s *Server) createProperties(t ObjectType, in map[string]json.RawMessage) (map[string]string, []propertyProblem) {
	var problems []propertyProblem
	add := func(name, code, format string, args ...any) {
		problems = append(problems, propertyProblem{Message: fmt.Sprintf(format, args...), Error: code, Name: name})
	}
	names := make([]string, 0, len(in))
	for k := range in {
		names = append(names, k)
	}
	sort.Strings(names)
	props := map[string]string{}
	for _, name := range names {
		raw := in[name]
		if !s.knows(t, name) {
			add(name, "PROPERTY_DOESNT_EXIST", "Property %q does not exist", name)
			continue
		}
		if readOnly[name] {
			add(name, "READ_ONLY_VALUE", "%s is a read only property; its value cannot be set", name)
			continue
		}
		if string(raw) == "null" {
			continue
		}
		v, ok := scalar(raw)
		if !ok {
			add(name, "INVALID_VALUE", "%s must be a string, a number or a boolean, got %s", name, raw)
			continue
		}
		if v == "" {
			continue
		}
		def := s.definition(t, name)
		switch {
		case name == PropOwner:
			if !isDigits(v) {
				add(name, "INVALID_OPTION", "%s was not one of the allowed options: owner ids are numbers", strconv.Quote(v))
				continue
			}
		case def.Type == "enumeration" && len(def.Options) > 0:
			if !slices.Contains(def.Options, v) {
				add(name, "INVALID_OPTION", "%s was not one of the allowed options: [%s]", strconv.Quote(v), strings.Join(def.Options, ", "))
				continue
			}
		case def.Type == "datetime" || def.Type == "date":
			at, ok := parseInstant(v)
			if !ok {
				add(name, "INVALID_DATE", "%s was not a valid date: use epoch milliseconds or ISO 8601 (2026-12-01T10:00:00.000Z)", strconv.Quote(v))
				continue
			}
			v = formatTime(at)
		case def.Type == "number":
			if name == PropCallDuration {
				if n, err := strconv.ParseInt(v, 10, 64); err != nil || n < 0 {
					add(name, "INVALID_INTEGER", "%s was not a valid duration: a whole number of milliseconds", strconv.Quote(v))
					continue
				}
			} else if _, err := strconv.ParseFloat(v, 64); err != nil {
				add(name, "INVALID_LONG", "%s was not a valid number", strconv.Quote(v))
				continue
			}
		}
		props[name] = v
	}
	if t == Calls && props[PropCallTimestamp] == "" && !slices.ContainsFunc(problems, func(p propertyProblem) bool { return p.Name == PropCallTimestamp }) {
		add(PropCallTimestamp, "REQUIRED_PROPERTY", "%s is required: the time the call happened", PropCallTimestamp)
	}
	return props, problems
}

// definition is a property's definition (data type and options).
func (s *Server) definition(t ObjectType, name string) Property {
	if p, ok := s.store[t].defined[name]; ok {
		return p
	}
	p := standardTypes[name]
	p.Name = name
	if p.Type == "" {
		p.Type = "string"
	}
	return p
}

// parseInstant reads a date-time as HubSpot accepts it on input: RFC 3339
// or epoch milliseconds.
func parseInstant(v string) (time.Time, bool) {
	if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
		return t, true
	}
	if ms, err := strconv.ParseInt(v, 10, 64); err == nil && ms >= 0 {
		return time.UnixMilli(ms), true
	}
	return time.Time{}, false
}

func isDigits(s string) bool {
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

// link is one checked association of a create.
type link struct {
	to      ObjectType
	id      string
	primary bool
}

// createAssociations checks a create's associations; msg says what is
// wrong.
func (s *Server) createAssociations(t ObjectType, in []associationInput) (links []link, msg string) {
	for i, a := range in {
		id, ok := scalar(a.To.ID)
		if !ok || id == "" {
			return nil, fmt.Sprintf("associations[%d].to.id is required", i)
		}
		if len(a.Types) == 0 {
			return nil, fmt.Sprintf("associations[%d].types must name at least one association type", i)
		}
		for j, ty := range a.Types {
			if ty.AssociationTypeID == nil {
				return nil, fmt.Sprintf("associations[%d].types[%d].associationTypeId is required", i, j)
			}
			switch ty.AssociationCategory {
			case "HUBSPOT_DEFINED":
			case "USER_DEFINED", "INTEGRATOR_DEFINED":
				return nil, fmt.Sprintf("associations[%d].types[%d]: association type %d of category %s is not defined in this account",
					i, j, *ty.AssociationTypeID, ty.AssociationCategory)
			default:
				return nil, fmt.Sprintf("associations[%d].types[%d].associationCategory must be HUBSPOT_DEFINED, USER_DEFINED or INTEGRATOR_DEFINED, got %q",
					i, j, ty.AssociationCategory)
			}
			to, ok := assocTypes[t][*ty.AssociationTypeID]
			if !ok {
				return nil, fmt.Sprintf("associations[%d].types[%d]: %d is not a valid association type id from %s (HUBSPOT_DEFINED)",
					i, j, *ty.AssociationTypeID, t)
			}
			n, err := strconv.ParseInt(id, 10, 64)
			if o := s.store[to].byID[n]; err != nil || o == nil || o.archived {
				return nil, fmt.Sprintf("One or more associations are invalid: associations[%d]: no %s record with id %s (association type %d)",
					i, to, id, *ty.AssociationTypeID)
			}
			links = append(links, link{to: to, id: strconv.FormatInt(n, 10),
				primary: t == Contacts && *ty.AssociationTypeID == AssocTypeContactToCompanyPrimary})
		}
	}
	return links, ""
}

// propertyJSON is a property definition as the properties API returns it.
type propertyJSON struct {
	Name           string       `json:"name"`
	Label          string       `json:"label"`
	Type           string       `json:"type"`
	FieldType      string       `json:"fieldType"`
	Description    string       `json:"description"`
	GroupName      string       `json:"groupName"`
	Options        []optionJSON `json:"options"`
	Calculated     bool         `json:"calculated"`
	HasUniqueValue bool         `json:"hasUniqueValue"`
	Hidden         bool         `json:"hidden"`
	FormField      bool         `json:"formField"`
	Archived       bool         `json:"archived"`
}

type optionJSON struct {
	Label        string `json:"label"`
	Value        string `json:"value"`
	DisplayOrder int    `json:"displayOrder"`
	Hidden       bool   `json:"hidden"`
}

// property serves GET /crm/v3/properties/{objectType}/{propertyName}.
// Callers hold mu.
func (s *Server) property(t ObjectType, name string) reply {
	if !s.knows(t, name) {
		return s.apiErrorLocked(http.StatusNotFound, CategoryObjectNotFound,
			fmt.Sprintf("Property %s does not exist for object type %s", name, t))
	}
	def := s.definition(t, name)
	_, custom := s.store[t].defined[name]
	label := def.Label
	if label == "" {
		label = name
	}
	group := map[ObjectType]string{Contacts: "contactinformation", Companies: "companyinformation", Calls: "call"}[t]
	out := propertyJSON{
		Name: name, Label: label, Type: def.Type, FieldType: fieldTypes[def.Type], GroupName: group,
		Options: []optionJSON{}, Calculated: readOnly[name], FormField: custom,
	}
	for i, o := range def.Options {
		out.Options = append(out.Options, optionJSON{Label: o, Value: o, DisplayOrder: i})
	}
	return reply{http.StatusOK, out}
}
