package fakehipcall

import (
	"encoding/json"
	"maps"
	"net/http"
	"slices"
	"strings"

	"github.com/switchboard-hq/switchboard/core/hipcall"
)

func companyJSON(c *hipcall.Company) map[string]any {
	emails := make([]map[string]any, len(c.Emails))
	for i, e := range c.Emails {
		emails[i] = map[string]any{"email": e.Email, "order": e.Order}
	}
	phones := make([]map[string]any, len(c.Phones))
	for i, p := range c.Phones {
		phones[i] = map[string]any{"country": orNull(p.Country), "number": p.Number, "order": p.Order}
	}
	return map[string]any{
		"id":                c.ID,
		"name":              c.Name,
		"external_id":       c.ExternalID,
		"website_url":       orNull(c.WebsiteURL),
		"custom_url":        orNull(c.CustomURL),
		"linkedin_url":      orNull(c.LinkedinURL),
		"description":       orNull(c.Description),
		"assign_to_user_id": c.AssignToUserID,
		"emails":            emails,
		"phones":            phones,
	}
}

func cloneCompany(c *hipcall.Company) *hipcall.Company {
	out := *c
	out.ExternalID = clonePtr(c.ExternalID)
	out.AssignToUserID = clonePtr(c.AssignToUserID)
	out.Emails = slices.Clone(c.Emails)
	out.Phones = slices.Clone(c.Phones)
	return &out
}

func clonePtr[T any](p *T) *T {
	if p == nil {
		return nil
	}
	v := *p
	return &v
}

// applyCompany applies a create or PATCH body to c and validates the
// result.
func (s *Server) applyCompany(c *hipcall.Company, in map[string]json.RawMessage) fieldErrors {
	e := fieldErrors{}
	for _, k := range slices.Sorted(maps.Keys(in)) {
		v := in[k]
		switch k {
		case "name":
			c.Name = str(e, k, v)
		case "external_id":
			c.ExternalID = externalID(e, v)
		case "website_url":
			c.WebsiteURL = str(e, k, v)
		case "custom_url":
			c.CustomURL = str(e, k, v)
		case "linkedin_url":
			c.LinkedinURL = str(e, k, v)
		case "description":
			c.Description = str(e, k, v)
		case "assign_to_user_id":
			c.AssignToUserID = optInt(e, k, v)
		case "emails":
			c.Emails = emails(e, v, true)
		case "phones":
			c.Phones = phones(e, v, true)
		default:
			e.add(k, msgUnexpected)
		}
	}
	if strings.TrimSpace(c.Name) == "" {
		e.add("name", msgBlank)
	}
	if externalIDTaken(s.state.companies, c.ID, c.ExternalID, companyExternalID) {
		e.add("external_id", msgTaken)
	}
	return e
}

func (s *Server) listCompanies(c *call) reply {
	return listPage(c.query, s.state.companies, companyJSON)
}

func (s *Server) createCompany(c *call) reply {
	in, ok := object(c.body)
	if !ok {
		return detail(http.StatusBadRequest, "Bad Request")
	}
	co := &hipcall.Company{}
	if e := s.applyCompany(co, in); len(e) > 0 {
		return invalid(e)
	}
	co.ID = s.state.nextCompany
	s.state.nextCompany++
	s.state.companies[co.ID] = co
	return data(http.StatusCreated, companyJSON(co))
}

func (s *Server) getCompany(c *call) reply {
	id, ok := pathID(c)
	if co := s.state.companies[id]; ok && co != nil {
		return data(http.StatusOK, companyJSON(co))
	}
	return notFound()
}

func (s *Server) updateCompany(c *call) reply {
	id, ok := pathID(c)
	cur := s.state.companies[id]
	if !ok || cur == nil {
		return notFound()
	}
	in, ok := object(c.body)
	if !ok {
		return detail(http.StatusBadRequest, "Bad Request")
	}
	co := cloneCompany(cur)
	if e := s.applyCompany(co, in); len(e) > 0 {
		return invalid(e)
	}
	s.state.companies[id] = co
	return data(http.StatusOK, companyJSON(co))
}

func (s *Server) companyByExternalID(c *call) reply {
	return byExternalID(c, s.state.companies, companyExternalID, companyJSON)
}

func companyExternalID(c *hipcall.Company) *string { return c.ExternalID }
