package hubspottest

import "github.com/switchboard-hq/switchboard/connectors/connectortest"

// SeedRecords stores a connectortest dataset the way a HubSpot
// account holds it: companies with their name, contacts with phone,
// mobilephone, email, company (the name) and hubspot_owner_id, associated
// with their company, UpdatedAt as HubSpot's updatedAt; a contact's text
// Fields (KeyDataset's key fields) as custom properties of their names,
// verbatim.
func (s *Server) SeedRecords(data *connectortest.Records) error {
	for _, co := range data.Companies {
		if err := s.Put(Companies, Object{
			ID: co.ID, Properties: map[string]string{"name": co.Name}, UpdatedAt: co.UpdatedAt, CreatedAt: co.UpdatedAt,
		}); err != nil {
			return err
		}
	}
	for i := range data.Contacts {
		c := &data.Contacts[i]
		props := map[string]string{
			"firstname": c.FirstName, "lastname": c.LastName, "company": c.CompanyName, "hubspot_owner_id": c.OwnerID,
			"phone":       connectortest.PhoneRaw(c, connectortest.LabelPhone),
			"mobilephone": connectortest.PhoneRaw(c, connectortest.LabelMobile),
		}
		if len(c.Emails) > 0 {
			props["email"] = c.Emails[0]
		}
		for k, v := range c.Fields {
			if text, ok := v.(string); ok {
				props[k] = text
			}
		}
		obj := Object{ID: c.ID, Properties: props, UpdatedAt: c.UpdatedAt, CreatedAt: c.UpdatedAt}
		if c.CompanyID != "" {
			obj.Companies = []string{c.CompanyID}
		}
		if err := s.Put(Contacts, obj); err != nil {
			return err
		}
	}
	return nil
}
