package fakehipcall

import (
	"slices"

	"github.com/switchboard-hq/switchboard/core/hipcall"
)

// Seed helpers change the fake's data directly: no HTTP, no token, no rate
// limit, no validation, no request records.

// AddCompany stores a company as given, assigning the next id when ID is
// 0, and returns it.
func (s *Server) AddCompany(c hipcall.Company) hipcall.Company {
	s.mu.Lock()
	defer s.mu.Unlock()
	c = *cloneCompany(&c)
	if c.ID == 0 {
		c.ID = s.state.nextCompany
	}
	s.state.nextCompany = max(s.state.nextCompany, c.ID+1)
	s.state.companies[c.ID] = &c
	return *cloneCompany(&c)
}

// AddContact stores a contact as given, assigning the next id when ID is
// 0, and returns it.
func (s *Server) AddContact(c hipcall.Contact) hipcall.Contact {
	s.mu.Lock()
	defer s.mu.Unlock()
	c = *cloneContact(&c)
	if c.ID == 0 {
		c.ID = s.state.nextContact
	}
	s.state.nextContact = max(s.state.nextContact, c.ID+1)
	s.state.contacts[c.ID] = &c
	return *cloneContact(&c)
}

// AddExtension appends extensions to GET /extensions.
func (s *Server) AddExtension(exts ...hipcall.Extension) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.state.extensions = append(s.state.extensions, exts...)
}

// Companies returns every company, by ascending id.
func (s *Server) Companies() []hipcall.Company {
	s.mu.Lock()
	defer s.mu.Unlock()
	return cloneSorted(s.state.companies, cloneCompany)
}

// Company returns the company with the id.
func (s *Server) Company(id int64) (hipcall.Company, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.state.companies[id]
	if !ok {
		return hipcall.Company{}, false
	}
	return *cloneCompany(c), true
}

// Contacts returns every contact, by ascending id.
func (s *Server) Contacts() []hipcall.Contact {
	s.mu.Lock()
	defer s.mu.Unlock()
	return cloneSorted(s.state.contacts, cloneContact)
}

// Contact returns the contact with the id.
func (s *Server) Contact(id int64) (hipcall.Contact, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.state.contacts[id]
	if !ok {
		return hipcall.Contact{}, false
	}
	return *cloneContact(c), true
}

// Extensions returns the seeded extensions.
func (s *Server) Extensions() []hipcall.Extension {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.state.extensions)
}
