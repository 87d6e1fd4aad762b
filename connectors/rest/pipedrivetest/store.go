package pipedrivetest

import (
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"time"
)

// Collections, as cursors name them.
const (
	collPersons = "persons"
	collOrgs    = "organizations"
)

// Phone is one phone number of a person or an organization, as stored:
// Value is the text a user typed, never normalised.
type Phone struct {
	Value   string `json:"value"`
	Primary bool   `json:"primary"`
	// Label is work, home, mobile or other (default work).
	Label string `json:"label"`
}

// Email is one email address of a person.
type Email struct {
	Value   string `json:"value"`
	Primary bool   `json:"primary"`
	Label   string `json:"label"`
}

// Address is an organization's address. Its shape is invented (the
// reference names the field only): the full text in Value, and two of its
// parts.
type Address struct {
	Value    string `json:"value"`
	Locality string `json:"locality,omitempty"`
	Country  string `json:"country,omitempty"`
}

// Person is a person (a contact) as stored.
type Person struct {
	// ID is the person's id; AddPerson assigns the next free one when 0.
	ID int
	// Name is the full name; AddPerson makes it from FirstName and
	// LastName when empty.
	Name      string
	FirstName string
	LastName  string
	Phones    []Phone
	Emails    []Email
	// OrgID is the person's organization (0: none); it must exist.
	OrgID int
	// OwnerID is the user who owns the person (0: none).
	OwnerID int
	// AddTime and UpdateTime default to the fake's clock; both are kept
	// to the second, as the API shows them.
	AddTime    time.Time
	UpdateTime time.Time
	// CustomFields are the person's custom field values (text), by the
	// field's key (Pipedrive's are 40-character hashes; any key does).
	CustomFields map[string]string
}

// Organization is an organization (a company) as stored.
type Organization struct {
	// ID is the organization's id; AddOrganization assigns the next free
	// one when 0.
	ID   int
	Name string
	// Phones are invented: the reference names no phone field for
	// organizations; the fake gives them the persons' shape.
	Phones []Phone
	// Address is nil when the organization has none.
	Address *Address
	// OwnerID is the user who owns the organization (0: none).
	OwnerID    int
	AddTime    time.Time
	UpdateTime time.Time
}

func (p Person) clone() Person {
	p.Phones = slices.Clone(p.Phones)
	p.Emails = slices.Clone(p.Emails)
	p.CustomFields = maps.Clone(p.CustomFields)
	return p
}

func (o Organization) clone() Organization {
	o.Phones = slices.Clone(o.Phones)
	if o.Address != nil {
		a := *o.Address
		o.Address = &a
	}
	return o
}

// stampTimes fills in the times, kept to the second.
func (s *Server) stampTimes(add, update *time.Time) {
	now := s.now().UTC().Truncate(time.Second)
	if add.IsZero() {
		*add = now
	}
	if update.IsZero() {
		*update = *add
	}
	*add = add.UTC().Truncate(time.Second)
	*update = update.UTC().Truncate(time.Second)
}

func defaultLabels(phones []Phone, emails []Email) {
	for i := range phones {
		if phones[i].Label == "" {
			phones[i].Label = "work"
		}
	}
	for i := range emails {
		if emails[i].Label == "" {
			emails[i].Label = "work"
		}
	}
}

// checkPerson completes p and says what is wrong with it; its
// organization must exist unless it is keptOrg, the one it had. Callers
// hold mu.
func (s *Server) checkPerson(p *Person, keptOrg int) error {
	if p.Name == "" {
		p.Name = strings.TrimSpace(p.FirstName + " " + p.LastName)
	}
	if p.Name == "" {
		return fmt.Errorf("fake pipedrive: person %d has no name", p.ID)
	}
	if p.OrgID != 0 && p.OrgID != keptOrg && s.orgs[p.OrgID] == nil {
		return fmt.Errorf("fake pipedrive: person %d (%s): organization %d does not exist; add it first", p.ID, p.Name, p.OrgID)
	}
	if p.OrgID < 0 || p.OwnerID < 0 {
		return fmt.Errorf("fake pipedrive: person %d (%s): negative org or owner id", p.ID, p.Name)
	}
	defaultLabels(p.Phones, p.Emails)
	return nil
}

// assignID picks the id of a new record: the one given, which must be
// free, else the next after the largest so far.
func (s *Server) assignID(coll string, id int, taken bool) (int, error) {
	if id < 0 {
		return 0, fmt.Errorf("fake pipedrive: %s id %d is negative", coll, id)
	}
	if id == 0 {
		id = s.nextID[coll]
	} else if taken {
		return 0, fmt.Errorf("fake pipedrive: %s id %d is taken", coll, id)
	}
	s.nextID[coll] = max(s.nextID[coll], id+1)
	return id, nil
}

// AddPerson stores a new person and returns its id. Ids grow as the real
// API's do; a person added with an id below a list's cursor is not seen by
// that listing. It panics on a person without a name, with a taken id or
// with an organization that does not exist.
func (s *Server) AddPerson(p Person) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	p = p.clone()
	id, err := s.assignID(collPersons, p.ID, s.persons[p.ID] != nil)
	if err != nil {
		panic(err)
	}
	p.ID = id
	if err := s.checkPerson(&p, 0); err != nil {
		panic(err)
	}
	s.stampTimes(&p.AddTime, &p.UpdateTime)
	s.persons[id] = &p
	return id
}

// UpdatePerson changes person id with edit, which gets a copy to change
// (its ID cannot change), and sets its update_time to the fake's clock.
// It fails when the person does not exist or the edit leaves it invalid.
func (s *Server) UpdatePerson(id int, edit func(*Person)) error {
	old, ok := s.Person(id)
	if !ok {
		return fmt.Errorf("fake pipedrive: no person %d", id)
	}
	p := old.clone()
	edit(&p) // outside mu: edit may call the Server
	p.ID, p.AddTime = id, old.AddTime
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.persons[id] == nil {
		return fmt.Errorf("fake pipedrive: person %d was deleted during the update", id)
	}
	if err := s.checkPerson(&p, old.OrgID); err != nil {
		return err
	}
	p.UpdateTime = s.now().UTC().Truncate(time.Second)
	s.persons[id] = &p
	return nil
}

// DeletePerson removes a person: lists, gets and searches no longer show
// it. Like the reference, the fake offers no way to list deletions: a
// client learns of them only from a full listing.
func (s *Server) DeletePerson(id int) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.persons[id] == nil {
		return fmt.Errorf("fake pipedrive: no person %d", id)
	}
	delete(s.persons, id)
	return nil
}

// Person returns a copy of person id.
func (s *Server) Person(id int) (Person, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.persons[id]
	if p == nil {
		return Person{}, false
	}
	return p.clone(), true
}

// Persons returns a copy of every person, in id order.
func (s *Server) Persons() []Person {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Person, 0, len(s.persons))
	for _, id := range sortedIDs(s.persons) {
		out = append(out, s.persons[id].clone())
	}
	return out
}

// checkOrganization completes o and says what is wrong with it.
func checkOrganization(o *Organization) error {
	if strings.TrimSpace(o.Name) == "" {
		return fmt.Errorf("fake pipedrive: organization %d has no name", o.ID)
	}
	if o.OwnerID < 0 {
		return fmt.Errorf("fake pipedrive: organization %d (%s): negative owner id", o.ID, o.Name)
	}
	defaultLabels(o.Phones, nil)
	return nil
}

// AddOrganization stores a new organization and returns its id. It
// panics on one without a name or with a taken id.
func (s *Server) AddOrganization(o Organization) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	o = o.clone()
	id, err := s.assignID(collOrgs, o.ID, s.orgs[o.ID] != nil)
	if err != nil {
		panic(err)
	}
	o.ID = id
	if err := checkOrganization(&o); err != nil {
		panic(err)
	}
	s.stampTimes(&o.AddTime, &o.UpdateTime)
	s.orgs[id] = &o
	return id
}

// UpdateOrganization changes organization id with edit, which gets a copy
// to change (its ID cannot change), and sets its update_time to the fake's
// clock.
func (s *Server) UpdateOrganization(id int, edit func(*Organization)) error {
	s.mu.Lock()
	old := s.orgs[id]
	s.mu.Unlock()
	if old == nil {
		return fmt.Errorf("fake pipedrive: no organization %d", id)
	}
	o := old.clone()
	edit(&o) // outside mu: edit may call the Server
	o.ID, o.AddTime = id, old.AddTime
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.orgs[id] == nil {
		return fmt.Errorf("fake pipedrive: organization %d was deleted during the update", id)
	}
	if err := checkOrganization(&o); err != nil {
		return err
	}
	o.UpdateTime = s.now().UTC().Truncate(time.Second)
	s.orgs[id] = &o
	return nil
}

// DeleteOrganization removes an organization; its persons keep their
// org_id, which then names nothing (search shows their organization as
// null), as after a deletion in a CRM.
func (s *Server) DeleteOrganization(id int) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.orgs[id] == nil {
		return fmt.Errorf("fake pipedrive: no organization %d", id)
	}
	delete(s.orgs, id)
	return nil
}

// Organizations returns a copy of every organization, in id order.
func (s *Server) Organizations() []Organization {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Organization, 0, len(s.orgs))
	for _, id := range sortedIDs(s.orgs) {
		out = append(out, s.orgs[id].clone())
	}
	return out
}

// CallLogs returns every call log stored, in the order they were logged.
func (s *Server) CallLogs() []CallLog {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.callLogs)
}

func sortedIDs[T any](m map[int]*T) []int {
	ids := make([]int, 0, len(m))
	for id := range m {
		ids = append(ids, id)
	}
	sort.Ints(ids)
	return ids
}
