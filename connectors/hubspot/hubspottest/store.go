package hubspottest

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"
)

// ObjectType is a CRM object type the fake holds.
type ObjectType string

// Object types.
const (
	Contacts  ObjectType = "contacts"
	Companies ObjectType = "companies"
	// Calls are call engagements (activities), logged against contacts
	// and companies.
	Calls ObjectType = "calls"
)

// parseObjectType reads an object type as HubSpot accepts it in paths: by
// name (singular or plural) or by type id.
func parseObjectType(s string) (ObjectType, bool) {
	switch strings.ToLower(s) {
	case "contacts", "contact", "0-1":
		return Contacts, true
	case "companies", "company", "0-2":
		return Companies, true
	case "calls", "call", "0-48":
		return Calls, true
	}
	return "", false
}

// Association types the fake uses. The first company associated with a
// contact is its primary company.
const (
	AssocContactToCompanyPrimary = "contact_to_company"
	AssocContactToCompany        = "contact_to_company_unlabeled"
	AssocCompanyToContact        = "company_to_contact"
	AssocCallToContact           = "call_to_contact"
	AssocCallToCompany           = "call_to_company"
)

// HubSpot-defined association type ids, as a create request's
// associations name them (category HUBSPOT_DEFINED).
const (
	// AssocTypeContactToCompanyPrimary makes the company the contact's
	// primary one; AssocTypeContactToCompany is the unlabelled
	// association. The fake makes a contact's first company its primary
	// one either way.
	AssocTypeContactToCompanyPrimary = 1
	AssocTypeContactToCompany        = 279
	AssocTypeCallToContact           = 194
	AssocTypeCallToCompany           = 182
)

// assocTypes says, per object type being created, which record type each
// HUBSPOT_DEFINED association type id points at.
var assocTypes = map[ObjectType]map[int]ObjectType{
	Contacts: {AssocTypeContactToCompanyPrimary: Companies, AssocTypeContactToCompany: Companies},
	Calls:    {AssocTypeCallToContact: Contacts, AssocTypeCallToCompany: Companies},
}

// Computed and default properties.
const (
	PropSearchablePhone   = "hs_searchable_calculated_phone_number"
	PropSearchableMobile  = "hs_searchable_calculated_mobile_number"
	PropAssociatedCompany = "associatedcompanyid"
	propObjectID          = "hs_object_id"
	propCreateDate        = "createdate"
	propCallCreateDate    = "hs_createdate"
)

// Call properties (HubSpot's own; a custom one must be defined first, see
// DefineCallProperty).
const (
	PropCallTimestamp    = "hs_timestamp" // required
	PropCallTitle        = "hs_call_title"
	PropCallBody         = "hs_call_body"
	PropCallDirection    = "hs_call_direction" // INBOUND or OUTBOUND
	PropCallDuration     = "hs_call_duration"  // milliseconds
	PropCallFrom         = "hs_call_from_number"
	PropCallTo           = "hs_call_to_number"
	PropCallStatus       = "hs_call_status" // COMPLETED, NO_ANSWER, BUSY, FAILED or CANCELED
	PropCallRecordingURL = "hs_call_recording_url"
	PropOwner            = "hubspot_owner_id"
)

// lastModifiedProp is the type's "last modified" property.
func lastModifiedProp(t ObjectType) string {
	if t == Contacts {
		return "lastmodifieddate"
	}
	return "hs_lastmodifieddate"
}

// createDateProp is the type's "created" property.
func createDateProp(t ObjectType) string {
	if t == Calls {
		return propCallCreateDate
	}
	return propCreateDate
}

// standardProps are the properties every account has, by type; filters on
// any other property that no record has ever held are refused as HubSpot
// refuses properties that do not exist.
var standardProps = map[ObjectType][]string{
	Contacts: {
		"firstname", "lastname", "email", "phone", "mobilephone", "company", "jobtitle", "website",
		"hubspot_owner_id", "lifecyclestage", "city", "country", "hs_additional_emails",
		PropAssociatedCompany, PropSearchablePhone, PropSearchableMobile,
		propCreateDate, "lastmodifieddate", propObjectID,
	},
	Companies: {
		"name", "domain", "phone", "website", "hubspot_owner_id", "city", "country", "industry",
		propCreateDate, "hs_lastmodifieddate", propObjectID,
	},
	Calls: {
		PropCallTimestamp, PropCallTitle, PropCallBody, PropCallDirection, PropCallDuration, PropCallFrom, PropCallTo,
		PropCallStatus, PropCallRecordingURL, PropOwner,
		propCallCreateDate, "hs_lastmodifieddate", propObjectID,
	},
}

// defaultProps are returned when a request names no properties.
var defaultProps = map[ObjectType][]string{
	Contacts:  {"firstname", "lastname", "email"},
	Companies: {"name", "domain"},
}

// Object is a record as seeded with Put or read back with Get.
type Object struct {
	// ID is the record's id: digits, as HubSpot's.
	ID string
	// Properties holds the record's values; an empty value is no value.
	// Computed properties are ignored on input and filled in on output.
	Properties map[string]string
	// CreatedAt and UpdatedAt default to the fake's clock at Put.
	CreatedAt time.Time
	UpdatedAt time.Time
	Archived  bool
	// Companies are the ids of the associated companies: a contact's, the
	// first being its primary one, or a call's.
	Companies []string
	// Contacts (calls only) are the ids of the associated contacts.
	Contacts []string
}

// version is a record as search sees it from a point in time on.
type version struct {
	at        time.Time // when it was written
	props     map[string]string
	createdAt time.Time
	updatedAt time.Time
	archived  bool
}

// object is one stored record.
type object struct {
	id    int64
	typ   ObjectType
	props map[string]string // current values, computed ones included
	// createdAt, updatedAt and archived are the current ones.
	createdAt, updatedAt time.Time
	archived             bool
	companies            []string // associated companies (contacts, primary first; calls)
	contacts             []string // associated contacts (companies, calls)
	// versions is the history search reads, oldest first; versions that
	// can no longer be seen are trimmed.
	versions []version
}

func (o *object) idString() string { return strconv.FormatInt(o.id, 10) }

// objectStore holds one type's records.
type objectStore struct {
	byID  map[int64]*object
	order []int64         // every id, ascending
	known map[string]bool // property names that exist
	// defined are the properties defined with DefineProperty, by name.
	defined map[string]Property
	// eq indexes, for search, every value a version of a record has held,
	// for the properties searched with EQ so far: property → lower-cased
	// value → record ids. It may name records that no longer match; search
	// checks every candidate.
	eq map[string]map[string][]int64
}

func newObjectStore() *objectStore {
	return &objectStore{byID: map[int64]*object{}, known: map[string]bool{}, defined: map[string]Property{},
		eq: map[string]map[string][]int64{}}
}

// add stores o, keeping order sorted (appending is the common case).
func (st *objectStore) add(o *object) {
	if _, ok := st.byID[o.id]; !ok {
		i, _ := slices.BinarySearch(st.order, o.id)
		st.order = slices.Insert(st.order, i, o.id)
	}
	st.byID[o.id] = o
}

// sorted returns the records in id order.
func (st *objectStore) sorted() []*object {
	out := make([]*object, 0, len(st.order))
	st.each(0, func(o *object) bool { out = append(out, o); return true })
	return out
}

// each calls fn with the records whose ids are at or above id, in id
// order, until fn returns false.
func (st *objectStore) each(id int64, fn func(*object) bool) {
	i, _ := slices.BinarySearch(st.order, id)
	for _, id := range st.order[i:] {
		if !fn(st.byID[id]) {
			return
		}
	}
}

// index records a version's values in the EQ indexes that exist.
func (st *objectStore) index(id int64, props map[string]string) {
	for prop, byValue := range st.eq {
		if v, ok := props[prop]; ok {
			lv := strings.ToLower(v)
			if ids := byValue[lv]; len(ids) == 0 || ids[len(ids)-1] != id {
				byValue[lv] = append(ids, id)
			}
		}
	}
}

// eqIndex returns the EQ index of a property, building it on first use.
func (st *objectStore) eqIndex(prop string) map[string][]int64 {
	if byValue, ok := st.eq[prop]; ok {
		return byValue
	}
	byValue := map[string][]int64{}
	st.eq[prop] = byValue
	for _, id := range st.order {
		for _, v := range st.byID[id].versions {
			st.index(id, v.props)
		}
	}
	return byValue
}

func cmpInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// knows reports whether the property exists for the type.
func (s *Server) knows(t ObjectType, prop string) bool {
	return slices.Contains(standardProps[t], prop) || s.store[t].known[prop]
}

// parseID reads a record id.
func parseID(id string) (int64, error) {
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("fake hubspot: record id %q is not a positive number; HubSpot ids are digits", id)
	}
	return n, nil
}

// Put stores records with the ids they carry, replacing any with the same
// id. For contacts, Companies sets the associations (the companies need not
// exist yet); for calls, Contacts and Companies do. Like a record that
// HubSpot holds, a record put defines the properties it has. It fails on a
// record without a numeric id.
func (s *Server) Put(t ObjectType, objs ...Object) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.putLocked(t, objs)
}

// putLocked is Put for callers holding mu.
func (s *Server) putLocked(t ObjectType, objs []Object) error {
	if _, ok := s.store[t]; !ok {
		return fmt.Errorf("fake hubspot: unknown object type %q; use Contacts or Companies", t)
	}
	now := s.now()
	for _, in := range objs {
		id, err := parseID(in.ID)
		if err != nil {
			return err
		}
		o := &object{id: id, typ: t, createdAt: in.CreatedAt, updatedAt: in.UpdatedAt, archived: in.Archived}
		if o.createdAt.IsZero() {
			o.createdAt = now
		}
		if o.updatedAt.IsZero() {
			o.updatedAt = o.createdAt
		}
		if old := s.store[t].byID[id]; old != nil {
			o.versions, o.contacts = old.versions, old.contacts
			if t == Contacts {
				s.unlinkCompanies(old)
			}
		}
		if t == Contacts || t == Calls {
			for _, c := range in.Companies {
				if _, err := parseID(c); err != nil {
					return err
				}
				o.companies = appendUnique(o.companies, c)
			}
		}
		if t == Calls {
			o.contacts = nil
			for _, c := range in.Contacts {
				if _, err := parseID(c); err != nil {
					return err
				}
				o.contacts = appendUnique(o.contacts, c)
			}
		}
		o.props = s.withComputed(o, in.Properties)
		s.store[t].add(o)
		if t == Contacts {
			s.linkCompanies(o)
		}
		s.snapshot(o, now)
		if id >= s.nextID {
			s.nextID = id + 1
		}
	}
	return nil
}

// Create stores a new record with the next free id and returns the id.
// It panics on an unknown object type. (The API's create is
// POST /crm/v3/objects/{objectType}; this is for seeding.)
func (s *Server) Create(t ObjectType, props map[string]string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	id := strconv.FormatInt(s.nextID, 10)
	if err := s.putLocked(t, []Object{{ID: id, Properties: props}}); err != nil {
		panic(err)
	}
	return id
}

// Update sets properties of a record (an empty value clears one) and
// moves its UpdatedAt to now, as an edit in HubSpot does.
func (s *Server) Update(t ObjectType, id string, props map[string]string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, err := s.find(t, id)
	if err != nil {
		return err
	}
	merged := maps.Clone(o.props)
	maps.Copy(merged, props)
	now := s.now()
	o.updatedAt = now
	o.props = s.withComputed(o, merged)
	s.snapshot(o, now)
	return nil
}

// Archive archives a record: lists and search no longer return it, except
// lists asked for archived records.
func (s *Server) Archive(t ObjectType, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, err := s.find(t, id)
	if err != nil {
		return err
	}
	now := s.now()
	o.archived, o.updatedAt = true, now
	s.snapshot(o, now)
	return nil
}

// Associate associates a contact with a company; the contact's first
// company becomes its primary one (associatedcompanyid).
func (s *Server) Associate(contactID, companyID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	ct, err := s.find(Contacts, contactID)
	if err != nil {
		return err
	}
	if _, err := s.find(Companies, companyID); err != nil {
		return err
	}
	if slices.Contains(ct.companies, companyID) {
		return nil
	}
	ct.companies = append(ct.companies, companyID)
	s.linkCompanies(ct)
	now := s.now()
	ct.updatedAt = now
	ct.props = s.withComputed(ct, ct.props)
	s.snapshot(ct, now)
	return nil
}

// Get returns a record as it is now, computed properties included.
func (s *Server) Get(t ObjectType, id string) (Object, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, err := s.find(t, id)
	if err != nil {
		return Object{}, false
	}
	return s.export(o), true
}

// export copies a stored record out. Callers hold mu.
func (s *Server) export(o *object) Object {
	out := Object{
		ID: o.idString(), Properties: maps.Clone(o.props), CreatedAt: o.createdAt, UpdatedAt: o.updatedAt,
		Archived: o.archived, Companies: slices.Clone(o.companies),
	}
	if o.typ == Calls {
		out.Contacts = slices.Clone(o.contacts)
	}
	return out
}

// Len returns how many records of the type are stored, archived ones
// included.
func (s *Server) Len(t ObjectType) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if st := s.store[t]; st != nil {
		return len(st.byID)
	}
	return 0
}

func (s *Server) find(t ObjectType, id string) (*object, error) {
	st := s.store[t]
	if st == nil {
		return nil, fmt.Errorf("fake hubspot: unknown object type %q", t)
	}
	n, err := parseID(id)
	if err != nil {
		return nil, err
	}
	o := st.byID[n]
	if o == nil {
		return nil, fmt.Errorf("fake hubspot: no %s record %s", t, id)
	}
	return o, nil
}

// linkCompanies records ct on the companies it is associated with.
func (s *Server) linkCompanies(ct *object) {
	for _, c := range ct.companies {
		n, _ := parseID(c)
		if co := s.store[Companies].byID[n]; co != nil {
			co.contacts = appendUnique(co.contacts, ct.idString())
		}
	}
}

// unlinkCompanies removes ct from its companies' associations.
func (s *Server) unlinkCompanies(ct *object) {
	for _, c := range ct.companies {
		n, _ := parseID(c)
		if co := s.store[Companies].byID[n]; co != nil {
			co.contacts = slices.DeleteFunc(co.contacts, func(id string) bool { return id == ct.idString() })
		}
	}
}

// companyContacts returns the contacts associated with a company: those
// recorded on it plus those put before the company existed.
func (s *Server) companyContacts(co *object) []string {
	ids := slices.Clone(co.contacts)
	for _, ct := range s.store[Contacts].byID {
		if slices.Contains(ct.companies, co.idString()) {
			ids = appendUnique(ids, ct.idString())
		}
	}
	slices.SortFunc(ids, func(a, b string) int {
		x, _ := strconv.ParseInt(a, 10, 64)
		y, _ := strconv.ParseInt(b, 10, 64)
		return cmpInt(x, y)
	})
	return ids
}

func appendUnique(list []string, v string) []string {
	if slices.Contains(list, v) {
		return list
	}
	return append(list, v)
}

// withComputed returns the record's properties with the computed and
// default ones filled in, and marks every property name as existing.
func (s *Server) withComputed(o *object, in map[string]string) map[string]string {
	props := make(map[string]string, len(in)+6)
	for k, v := range in {
		if v != "" {
			props[k] = v
		}
	}
	delete(props, PropSearchablePhone)
	delete(props, PropSearchableMobile)
	delete(props, PropAssociatedCompany)
	if o.typ == Contacts {
		if v := s.searchable(props["phone"]); v != "" {
			props[PropSearchablePhone] = v
		}
		if v := s.searchable(props["mobilephone"]); v != "" {
			props[PropSearchableMobile] = v
		}
		if len(o.companies) > 0 {
			props[PropAssociatedCompany] = o.companies[0]
		}
	}
	props[propObjectID] = o.idString()
	props[createDateProp(o.typ)] = formatTime(o.createdAt)
	props[lastModifiedProp(o.typ)] = formatTime(o.updatedAt)
	for k := range props {
		s.store[o.typ].known[k] = true
	}
	return props
}

// searchable computes HubSpot's searchable form of a phone value: its
// national significant number (no country code, no trunk zero), or, when
// the value cannot be read as a number, its digits without leading zeros.
func (s *Server) searchable(value string) string {
	if strings.TrimSpace(value) == "" {
		return ""
	}
	if n, err := s.parser.Parse(value); err == nil && n.National != "" {
		return n.National
	}
	var b strings.Builder
	for _, r := range value {
		if r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return strings.TrimLeft(b.String(), "0")
}

// snapshot records o's current state as a version search will see from
// now+lag, and trims versions no search can see any more.
func (s *Server) snapshot(o *object, now time.Time) {
	o.versions = append(o.versions, version{
		at: now, props: o.props, createdAt: o.createdAt, updatedAt: o.updatedAt, archived: o.archived,
	})
	s.store[o.typ].index(o.id, o.props)
	horizon := now.Add(-s.opts.SearchLag)
	// Keep the newest version visible at the horizon and everything after.
	keep := 0
	for i, v := range o.versions {
		if !v.at.After(horizon) {
			keep = i
		}
	}
	o.versions = o.versions[keep:]
}

// searchView returns the version of o that search sees at now, or nil.
func (s *Server) searchView(o *object, now time.Time) *version {
	horizon := now.Add(-s.opts.SearchLag)
	for i := len(o.versions) - 1; i >= 0; i-- {
		if !o.versions[i].at.After(horizon) {
			return &o.versions[i]
		}
	}
	return nil
}

// formatTime formats a time as HubSpot does: UTC with milliseconds.
func formatTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }
