package hubspot

import (
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/switchboard-hq/switchboard/connectors"
	"github.com/switchboard-hq/switchboard/connectors/conf"
	"github.com/switchboard-hq/switchboard/connectors/phone"
)

// HubSpot properties the connector reads.
const (
	propFirstName        = "firstname"
	propLastName         = "lastname"
	propEmail            = "email"
	propPhone            = "phone"
	propMobile           = "mobilephone"
	propCompany          = "company"
	propJobTitle         = "jobtitle"
	propOwner            = "hubspot_owner_id"
	propAssociatedCo     = "associatedcompanyid"
	propSearchablePhone  = "hs_searchable_calculated_phone_number"
	propSearchableMobile = "hs_searchable_calculated_mobile_number"
	propName             = "name"
	propDomain           = "domain"

	// assocPrimaryCompany is the association type of a contact's primary
	// company.
	assocPrimaryCompany = "contact_to_company"
)

// Phone labels: the slot a number came from.
const (
	LabelPhone  = "phone"
	LabelMobile = "mobile"
)

// phoneProps are the contact properties holding numbers, with their labels.
var phoneProps = []struct{ prop, label string }{{propPhone, LabelPhone}, {propMobile, LabelMobile}}

// object is a CRM record as the API returns it. Property values are
// strings, or null (nil) for a requested property without a value.
type object struct {
	ID           string                  `json:"id"`
	Properties   map[string]*string      `json:"properties"`
	UpdatedAt    string                  `json:"updatedAt"`
	Archived     bool                    `json:"archived"`
	Associations map[string]associations `json:"associations"`
}

type associations struct {
	Results []struct {
		ID   string `json:"id"`
		Type string `json:"type"`
	} `json:"results"`
}

// prop returns a property's value, "" when null or absent.
func (o *object) prop(name string) string {
	if v := o.Properties[name]; v != nil {
		return strings.TrimSpace(*v)
	}
	return ""
}

// page is a list or search answer.
type page struct {
	Total   int      `json:"total"`
	Results []object `json:"results"`
	Paging  *struct {
		Next *struct {
			After string `json:"after"`
		} `json:"next"`
	} `json:"paging"`
}

// next returns the page's next cursor, "" on the last page.
func (p *page) next() string {
	if p.Paging == nil || p.Paging.Next == nil {
		return ""
	}
	return p.Paging.Next.After
}

// contactProperties lists the properties a contact is read from.
func contactProperties(s *settings) []string {
	props := []string{propFirstName, propLastName, propEmail, propPhone, propMobile, propCompany,
		propJobTitle, propOwner, propAssociatedCo}
	return appendFieldProps(props, s.fields)
}

// companyProperties lists the properties a company is read from.
func companyProperties(s *settings) []string {
	return appendFieldProps([]string{propName, propDomain, propPhone, propOwner}, s.companyFields)
}

func appendFieldProps(props []string, fields []conf.Field) []string {
	for _, f := range fields {
		dup := false
		for _, p := range props {
			dup = dup || p == f.Source
		}
		if !dup {
			props = append(props, f.Source)
		}
	}
	return props
}

// parsedPhone is a record's number with the parse the matcher needs.
type parsedPhone struct {
	phone connectors.Phone
	num   phone.Number
}

// readPhones reads a property that may hold several numbers. Unreadable
// numbers are dropped and logged at debug.
func readPhones(p *phone.Parser, log hclog.Logger, id, label, value string) []parsedPhone {
	if value == "" {
		return nil
	}
	nums, errs := p.ParseAll(value)
	for _, err := range errs {
		log.Debug("unreadable phone number in HubSpot; fix it in the record", "record", id, "label", label, "error", err)
	}
	out := make([]parsedPhone, 0, len(nums))
	for _, n := range nums {
		out = append(out, parsedPhone{
			phone: connectors.Phone{Raw: n.Raw, Label: label, E164: n.E164, Extension: n.Extension},
			num:   n,
		})
	}
	return out
}

// toContact converts a contact object. It also returns its parsed numbers,
// in the order of Contact.Phones.
func toContact(s *settings, log hclog.Logger, o *object) (connectors.Contact, []parsedPhone) {
	c := connectors.Contact{
		ID:          o.ID,
		FirstName:   o.prop(propFirstName),
		LastName:    o.prop(propLastName),
		CompanyName: o.prop(propCompany),
		CompanyID:   primaryCompany(o),
		OwnerID:     o.prop(propOwner),
		JobTitle:    o.prop(propJobTitle),
		UpdatedAt:   parseTime(o.UpdatedAt),
	}
	if e := o.prop(propEmail); e != "" {
		c.Emails = []string{e}
	}
	var phones []parsedPhone
	for _, pp := range phoneProps {
		phones = append(phones, readPhones(s.parser, log, o.ID, pp.label, o.prop(pp.prop))...)
	}
	for _, p := range phones {
		c.Phones = append(c.Phones, p.phone)
	}
	c.Fields = readFields(log, o, s.fields)
	return c, phones
}

// primaryCompany is the contact's primary company: the association of the
// primary type, else associatedcompanyid (which search answers carry, as
// they have no associations), else the first association.
func primaryCompany(o *object) string {
	res := o.Associations["companies"].Results
	for _, a := range res {
		if a.Type == assocPrimaryCompany {
			return a.ID
		}
	}
	if id := o.prop(propAssociatedCo); id != "" {
		return id
	}
	if len(res) > 0 {
		return res[0].ID
	}
	return ""
}

// toCompany converts a company object.
func toCompany(s *settings, log hclog.Logger, o *object) connectors.Company {
	c := connectors.Company{
		ID:        o.ID,
		Name:      o.prop(propName),
		Website:   o.prop(propDomain),
		OwnerID:   o.prop(propOwner),
		UpdatedAt: parseTime(o.UpdatedAt),
	}
	for _, p := range readPhones(s.parser, log, o.ID, LabelPhone, o.prop(propPhone)) {
		c.Phones = append(c.Phones, p.phone)
	}
	c.Fields = readFields(log, o, s.companyFields)
	return c
}

// readFields reads the mapped extra fields with conf.ConvertField:
// strings as written ("" when empty); numbers, bools and dates nil when
// empty or unreadable (logged at debug). A date may also be epoch
// milliseconds, as older date properties hold it.
func readFields(log hclog.Logger, o *object, fields []conf.Field) map[string]any {
	if len(fields) == 0 {
		return nil
	}
	out := make(map[string]any, len(fields))
	for _, f := range fields {
		raw := o.prop(f.Source)
		v, err := conf.ConvertField(f.Type, raw)
		if err != nil && f.Type == conf.FieldDate {
			if t := parseTime(raw); !t.IsZero() {
				v, err = t.UTC().Format(time.RFC3339), nil
			}
		}
		if err != nil {
			log.Debug("HubSpot property value does not read as its field type", "record", o.ID,
				"property", f.Source, "type", f.Type, "value", raw)
		}
		out[f.Name] = v
	}
	return out
}

// parseTime reads HubSpot's times: RFC 3339 (with milliseconds), a plain
// date, or epoch milliseconds (older date properties). Zero when none fits.
func parseTime(s string) time.Time {
	if s == "" {
		return time.Time{}
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.UTC()
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t
	}
	if ms, err := strconv.ParseInt(s, 10, 64); err == nil {
		return time.UnixMilli(ms).UTC()
	}
	return time.Time{}
}
