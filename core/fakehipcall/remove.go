package fakehipcall

// RemoveCompany deletes a company as a user deleting it in Hipcall's web
// interface would (the API has no DELETE for it). It reports whether the
// company existed. Like the other seed helpers it makes no request record.
func (s *Server) RemoveCompany(id int64) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.state.companies[id]
	delete(s.state.companies, id)
	return ok
}

// RemoveContact deletes a contact, like RemoveCompany.
func (s *Server) RemoveContact(id int64) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.state.contacts[id]
	delete(s.state.contacts, id)
	return ok
}
