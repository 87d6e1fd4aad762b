package fakehipcall

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"

	"github.com/switchboard-hq/switchboard/core/hipcall"
)

var msgTooManyPhones = fmt.Sprintf("should have at most %d item(s)", hipcall.MaxContactPhones)

func contactJSON(c *hipcall.Contact) map[string]any {
	emails := make([]map[string]any, len(c.Emails))
	for i, e := range c.Emails {
		emails[i] = map[string]any{"email": e.Email}
	}
	phones := make([]map[string]any, len(c.Phones))
	for i, p := range c.Phones {
		phones[i] = map[string]any{"country": orNull(p.Country), "number": p.Number}
	}
	var custom any
	if c.CustomFields != nil {
		custom = c.CustomFields
	}
	return map[string]any{
		"id":                c.ID,
		"first_name":        c.FirstName,
		"last_name":         orNull(c.LastName),
		"external_id":       c.ExternalID,
		"company_id":        c.CompanyID,
		"assign_to_user_id": c.AssignToUserID,
		"job_title":         orNull(c.JobTitle),
		"custom_url":        orNull(c.CustomURL),
		"custom_fields":     custom,
		"phones":            phones,
		"emails":            emails,
	}
}

func cloneContact(c *hipcall.Contact) *hipcall.Contact {
	out := *c
	out.ExternalID = clonePtr(c.ExternalID)
	out.CompanyID = clonePtr(c.CompanyID)
	out.AssignToUserID = clonePtr(c.AssignToUserID)
	out.CustomFields = maps.Clone(c.CustomFields)
	out.Phones = slices.Clone(c.Phones)
	out.Emails = slices.Clone(c.Emails)
	return &out
}

// applyContact applies a create (create true) or PATCH body to c and
// validates the result. PATCH rejects phones and emails.
func (s *Server) applyContact(c *hipcall.Contact, in map[string]json.RawMessage, create bool) fieldErrors {
	e := fieldErrors{}
	for _, k := range slices.Sorted(maps.Keys(in)) {
		v := in[k]
		switch k {
		case "first_name":
			c.FirstName = str(e, k, v)
		case "last_name":
			c.LastName = str(e, k, v)
		case "external_id":
			c.ExternalID = externalID(e, v)
		case "company_id":
			c.CompanyID = optInt(e, k, v)
			if c.CompanyID != nil && s.state.companies[*c.CompanyID] == nil {
				e.add(k, msgNotExist)
			}
		case "assign_to_user_id":
			c.AssignToUserID = optInt(e, k, v)
		case "job_title":
			c.JobTitle = str(e, k, v)
		case "custom_url":
			c.CustomURL = str(e, k, v)
		case "custom_fields":
			c.CustomFields = nil
			if !isNull(v) {
				if err := json.Unmarshal(v, &c.CustomFields); err != nil || c.CustomFields == nil {
					e.add(k, msgInvalid)
				}
			}
		case "phones":
			if !create {
				e.add(k, msgUnexpected)
				continue
			}
			c.Phones = phones(e, v, false)
		case "emails":
			if !create {
				e.add(k, msgUnexpected)
				continue
			}
			c.Emails = emails(e, v, false)
		default:
			e.add(k, msgUnexpected)
		}
	}
	if strings.TrimSpace(c.FirstName) == "" {
		e.add("first_name", msgBlank)
	}
	if len(c.Phones) > hipcall.MaxContactPhones {
		e.add("phones", msgTooManyPhones)
	}
	if externalIDTaken(s.state.contacts, c.ID, c.ExternalID, contactExternalID) {
		e.add("external_id", msgTaken)
	}
	return e
}

func (s *Server) listContacts(c *call) reply {
	return listPage(c.query, s.state.contacts, contactJSON)
}

func (s *Server) createContact(c *call) reply {
	in, ok := object(c.body)
	if !ok {
		return detail(http.StatusBadRequest, "Bad Request")
	}
	ct := &hipcall.Contact{}
	if e := s.applyContact(ct, in, true); len(e) > 0 {
		return invalid(e)
	}
	ct.ID = s.state.nextContact
	s.state.nextContact++
	s.state.contacts[ct.ID] = ct
	return data(http.StatusCreated, contactJSON(ct))
}

// contact returns the contact of the {id} path parameter, or nil.
func (s *Server) contact(c *call) *hipcall.Contact {
	id, ok := pathID(c)
	if !ok {
		return nil
	}
	return s.state.contacts[id]
}

func (s *Server) getContact(c *call) reply {
	if ct := s.contact(c); ct != nil {
		return data(http.StatusOK, contactJSON(ct))
	}
	return notFound()
}

func (s *Server) updateContact(c *call) reply {
	cur := s.contact(c)
	if cur == nil {
		return notFound()
	}
	in, ok := object(c.body)
	if !ok {
		return detail(http.StatusBadRequest, "Bad Request")
	}
	ct := cloneContact(cur)
	if e := s.applyContact(ct, in, false); len(e) > 0 {
		return invalid(e)
	}
	s.state.contacts[ct.ID] = ct
	return data(http.StatusOK, contactJSON(ct))
}

func (s *Server) contactByExternalID(c *call) reply {
	return byExternalID(c, s.state.contacts, contactExternalID, contactJSON)
}

func contactExternalID(c *hipcall.Contact) *string { return c.ExternalID }

// subBody decodes {"<field>": [...]} for the phones and emails
// sub-resources, rejecting other keys and an empty list.
func subBody(body []byte, field string) (json.RawMessage, *reply) {
	in, ok := object(body)
	if !ok {
		rep := detail(http.StatusBadRequest, "Bad Request")
		return nil, &rep
	}
	e := fieldErrors{}
	for _, k := range slices.Sorted(maps.Keys(in)) {
		if k != field {
			e.add(k, msgUnexpected)
		}
	}
	raw, ok := in[field]
	if !ok || isNull(raw) || strings.TrimSpace(string(raw)) == "[]" {
		e.add(field, msgBlank)
	}
	if len(e) > 0 {
		rep := invalid(e)
		return nil, &rep
	}
	return raw, nil
}

func (s *Server) addContactPhones(c *call) reply {
	ct := s.contact(c)
	if ct == nil {
		return notFound()
	}
	raw, bad := subBody(c.body, "phones")
	if bad != nil {
		return *bad
	}
	e := fieldErrors{}
	added := phones(e, raw, false)
	if len(e) == 0 && len(ct.Phones)+len(added) > hipcall.MaxContactPhones {
		e.add("phones", msgTooManyPhones)
	}
	if len(e) > 0 {
		return invalid(e)
	}
	ct = cloneContact(ct)
	ct.Phones = append(ct.Phones, added...)
	s.state.contacts[ct.ID] = ct
	return data(http.StatusCreated, contactJSON(ct))
}

func (s *Server) deleteContactPhone(c *call) reply {
	ct := s.contact(c)
	if ct == nil {
		return notFound()
	}
	number := c.params["number"]
	kept := slices.DeleteFunc(slices.Clone(ct.Phones), func(p hipcall.Phone) bool { return p.Number == number })
	if len(kept) == len(ct.Phones) {
		return notFound()
	}
	ct = cloneContact(ct)
	ct.Phones = kept
	s.state.contacts[ct.ID] = ct
	return reply{status: http.StatusNoContent}
}

func (s *Server) addContactEmails(c *call) reply {
	ct := s.contact(c)
	if ct == nil {
		return notFound()
	}
	raw, bad := subBody(c.body, "emails")
	if bad != nil {
		return *bad
	}
	e := fieldErrors{}
	added := emails(e, raw, false)
	if len(e) > 0 {
		return invalid(e)
	}
	ct = cloneContact(ct)
	ct.Emails = append(ct.Emails, added...)
	s.state.contacts[ct.ID] = ct
	return data(http.StatusCreated, contactJSON(ct))
}

func (s *Server) deleteContactEmail(c *call) reply {
	ct := s.contact(c)
	if ct == nil {
		return notFound()
	}
	email := c.params["email"]
	kept := slices.DeleteFunc(slices.Clone(ct.Emails), func(m hipcall.Email) bool { return m.Email == email })
	if len(kept) == len(ct.Emails) {
		return notFound()
	}
	ct = cloneContact(ct)
	ct.Emails = kept
	s.state.contacts[ct.ID] = ct
	return reply{status: http.StatusNoContent}
}
