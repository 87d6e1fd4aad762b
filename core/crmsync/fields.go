package crmsync

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/switchboard-hq/switchboard/connectors/phone"
	"github.com/switchboard-hq/switchboard/core/hipcall"
)

// Hipcall's field names.
const (
	fieldName         = "name"
	fieldExternalID   = "external_id"
	fieldWebsiteURL   = "website_url"
	fieldCustomURL    = "custom_url"
	fieldLinkedinURL  = "linkedin_url"
	fieldDescription  = "description"
	fieldAssignTo     = "assign_to_user_id"
	fieldEmails       = "emails"
	fieldPhones       = "phones"
	fieldFirstName    = "first_name"
	fieldLastName     = "last_name"
	fieldCompanyID    = "company_id"
	fieldJobTitle     = "job_title"
	fieldCustomFields = "custom_fields"
	// customPrefix names one custom field of a contact: custom_fields.tier.
	customPrefix = fieldCustomFields + "."
)

// Scalar fields each resource has, besides external_id, phones and emails.
var (
	companyScalars = []string{fieldName, fieldWebsiteURL, fieldCustomURL, fieldLinkedinURL, fieldDescription, fieldAssignTo}
	contactScalars = []string{fieldFirstName, fieldLastName, fieldCompanyID, fieldAssignTo, fieldJobTitle, fieldCustomURL}
	// idFields hold Hipcall ids: integers on the wire, decimal strings in
	// a Doc.
	idFields = map[string]bool{fieldAssignTo: true, fieldCompanyID: true}
)

// Doc is a record's Hipcall fields as the sync manages them. Only the
// fields present are managed: Hipcall's other fields are left alone.
type Doc struct {
	// Fields holds scalar fields by Hipcall name; "" means empty (null in
	// Hipcall). Ids (assign_to_user_id, company_id) are decimal strings.
	Fields map[string]string `json:"fields,omitempty"`
	// Custom holds a contact's custom_fields, as text.
	Custom map[string]string `json:"custom,omitempty"`
	// Phones and Emails are managed when ManagePhones/ManageEmails.
	Phones       []Phone  `json:"phones,omitempty"`
	Emails       []string `json:"emails,omitempty"`
	ManagePhones bool     `json:"manage_phones,omitempty"`
	ManageEmails bool     `json:"manage_emails,omitempty"`
}

// Phone is a phone number as Hipcall holds it: the number as stored
// (E.164 when the sync wrote it) and its ISO 3166 region ("GB").
type Phone struct {
	Country string `json:"country,omitempty"`
	Number  string `json:"number"`
}

// hash is the hex SHA-256 of the document's canonical JSON (encoding/json
// sorts map keys).
func (d *Doc) hash() string {
	b, _ := json.Marshal(d)
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:16])
}

func (d *Doc) encode() []byte {
	b, _ := json.Marshal(d)
	return b
}

func decodeDoc(b []byte) (Doc, error) {
	var d Doc
	if len(b) == 0 {
		return d, nil
	}
	if err := json.Unmarshal(b, &d); err != nil {
		return d, fmt.Errorf("stored fields are not a document: %w", err)
	}
	return d, nil
}

// clone returns a deep copy.
func (d Doc) clone() Doc {
	d.Fields = maps.Clone(d.Fields)
	d.Custom = maps.Clone(d.Custom)
	d.Phones = slices.Clone(d.Phones)
	d.Emails = slices.Clone(d.Emails)
	return d
}

// project keeps only the fields want manages, so that a document read from
// Hipcall compares with a desired one.
func (d Doc) project(want *Doc) Doc {
	out := Doc{Fields: map[string]string{}, ManagePhones: want.ManagePhones, ManageEmails: want.ManageEmails}
	for k := range want.Fields {
		out.Fields[k] = d.Fields[k]
	}
	if want.Custom != nil {
		out.Custom = map[string]string{}
		for k := range want.Custom {
			if v, ok := d.Custom[k]; ok {
				out.Custom[k] = v
			}
		}
	}
	if want.ManagePhones {
		out.Phones = slices.Clone(d.Phones)
	}
	if want.ManageEmails {
		out.Emails = slices.Clone(d.Emails)
	}
	return out
}

// phoneKey is what two numbers are compared by: the E.164 form when the
// number can be read, else its digits.
func phoneKey(p *phone.Parser, number string) string {
	if n, err := p.Parse(number); err == nil && n.E164 != "" {
		return n.E164
	}
	var b strings.Builder
	for _, r := range number {
		if r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

func emailKey(e string) string { return strings.ToLower(strings.TrimSpace(e)) }

// diff is what turns a document Hipcall holds into the wanted one.
type diff struct {
	// Scalars are the scalar fields to set ("" clears).
	Scalars map[string]string
	// Custom is set when the custom fields differ: the whole new set.
	Custom map[string]string
	// PhonesChanged and EmailsChanged say the lists differ (in order, for
	// companies, which replace them whole by PATCH).
	PhonesChanged, EmailsChanged bool
	// Phones to add and to remove (as Hipcall stores them), for contacts.
	AddPhones, RemovePhones []Phone
	// Emails to add and to remove, for contacts.
	AddEmails, RemoveEmails []string
}

func (d *diff) empty() bool {
	return len(d.Scalars) == 0 && d.Custom == nil && !d.PhonesChanged && !d.EmailsChanged
}

// computeDiff compares have (from Hipcall or the store) with want.
func computeDiff(p *phone.Parser, have, want *Doc) diff {
	var d diff
	for _, k := range slices.Sorted(maps.Keys(want.Fields)) {
		if strings.TrimSpace(have.Fields[k]) != strings.TrimSpace(want.Fields[k]) {
			if d.Scalars == nil {
				d.Scalars = map[string]string{}
			}
			d.Scalars[k] = want.Fields[k]
		}
	}
	if want.Custom != nil {
		for k, v := range want.Custom {
			if hv, ok := have.Custom[k]; !ok || hv != v {
				d.Custom = want.Custom
				break
			}
		}
	}
	if want.ManagePhones {
		haveKeys := make([]string, len(have.Phones))
		for i, ph := range have.Phones {
			haveKeys[i] = phoneKey(p, ph.Number)
		}
		wantKeys := make([]string, len(want.Phones))
		for i, ph := range want.Phones {
			wantKeys[i] = phoneKey(p, ph.Number)
		}
		d.PhonesChanged = !slices.Equal(haveKeys, wantKeys)
		for i, ph := range have.Phones {
			if !slices.Contains(wantKeys, haveKeys[i]) {
				d.RemovePhones = append(d.RemovePhones, ph)
			}
		}
		for i, ph := range want.Phones {
			if !slices.Contains(haveKeys, wantKeys[i]) {
				d.AddPhones = append(d.AddPhones, ph)
			}
		}
	}
	if want.ManageEmails {
		haveKeys := make([]string, len(have.Emails))
		for i, e := range have.Emails {
			haveKeys[i] = emailKey(e)
		}
		wantKeys := make([]string, len(want.Emails))
		for i, e := range want.Emails {
			wantKeys[i] = emailKey(e)
		}
		d.EmailsChanged = !slices.Equal(haveKeys, wantKeys)
		for i, e := range have.Emails {
			if !slices.Contains(wantKeys, haveKeys[i]) {
				d.RemoveEmails = append(d.RemoveEmails, e)
			}
		}
		for i, e := range want.Emails {
			if !slices.Contains(haveKeys, wantKeys[i]) {
				d.AddEmails = append(d.AddEmails, e)
			}
		}
	}
	return d
}

// FieldChange is one field a planned write changes, for --dry-run.
type FieldChange struct {
	Field string `json:"field"`
	Old   string `json:"old,omitempty"`
	New   string `json:"new,omitempty"`
}

// describe lists a diff's changes against have.
func (d *diff) describe(have *Doc, contact bool) []FieldChange {
	var out []FieldChange
	for _, k := range slices.Sorted(maps.Keys(d.Scalars)) {
		out = append(out, FieldChange{Field: k, Old: have.Fields[k], New: d.Scalars[k]})
	}
	if d.Custom != nil {
		out = append(out, FieldChange{Field: fieldCustomFields, Old: formatMap(have.Custom), New: formatMap(d.Custom)})
	}
	if contact {
		for _, p := range d.RemovePhones {
			out = append(out, FieldChange{Field: fieldPhones, Old: p.Number})
		}
		for _, p := range d.AddPhones {
			out = append(out, FieldChange{Field: fieldPhones, New: p.Number})
		}
		for _, e := range d.RemoveEmails {
			out = append(out, FieldChange{Field: fieldEmails, Old: e})
		}
		for _, e := range d.AddEmails {
			out = append(out, FieldChange{Field: fieldEmails, New: e})
		}
		return out
	}
	if d.PhonesChanged {
		out = append(out, FieldChange{Field: fieldPhones, Old: formatPhones(have.Phones), New: formatPhones(applyPhones(have.Phones, d))})
	}
	if d.EmailsChanged {
		out = append(out, FieldChange{Field: fieldEmails, Old: strings.Join(have.Emails, ", "), New: strings.Join(applyEmails(have.Emails, d), ", ")})
	}
	return out
}

// patchFields names the fields a PATCH of the diff (patchBody) writes,
// sorted.
func patchFields(d *diff, company bool) []string {
	out := slices.Sorted(maps.Keys(d.Scalars))
	if d.Custom != nil {
		out = append(out, fieldCustomFields)
	}
	if company && d.PhonesChanged {
		out = append(out, fieldPhones)
	}
	if company && d.EmailsChanged {
		out = append(out, fieldEmails)
	}
	slices.Sort(out)
	return out
}

// stepFields names the fields a contact's steps write, sorted.
func stepFields(d *diff, steps []step) []string {
	var out []string
	for _, s := range steps {
		switch s.kind {
		case "patch":
			out = mergeFields(out, patchFields(d, false))
		case "add-phones", "delete-phone":
			out = mergeFields(out, []string{fieldPhones})
		case "add-emails", "delete-email":
			out = mergeFields(out, []string{fieldEmails})
		}
	}
	return out
}

// changeFields names the fields of a planned write, sorted.
func changeFields(fc []FieldChange) []string {
	var out []string
	for _, c := range fc {
		out = mergeFields(out, []string{c.Field})
	}
	return out
}

// mergeFields adds b's field names to the sorted a, once each.
func mergeFields(a, b []string) []string {
	for _, f := range b {
		if i, found := slices.BinarySearch(a, f); !found {
			a = slices.Insert(a, i, f)
		}
	}
	return a
}

// createChanges lists a new record's fields, for --dry-run.
func createChanges(want *Doc) []FieldChange {
	out := []FieldChange{}
	for _, k := range slices.Sorted(maps.Keys(want.Fields)) {
		if want.Fields[k] != "" {
			out = append(out, FieldChange{Field: k, New: want.Fields[k]})
		}
	}
	if len(want.Custom) > 0 {
		out = append(out, FieldChange{Field: fieldCustomFields, New: formatMap(want.Custom)})
	}
	if len(want.Phones) > 0 {
		out = append(out, FieldChange{Field: fieldPhones, New: formatPhones(want.Phones)})
	}
	if len(want.Emails) > 0 {
		out = append(out, FieldChange{Field: fieldEmails, New: strings.Join(want.Emails, ", ")})
	}
	return out
}

func applyPhones(have []Phone, d *diff) []Phone {
	var out []Phone
	for _, p := range have {
		if !slices.Contains(d.RemovePhones, p) {
			out = append(out, p)
		}
	}
	return append(out, d.AddPhones...)
}

func applyEmails(have []string, d *diff) []string {
	var out []string
	for _, e := range have {
		if !slices.Contains(d.RemoveEmails, e) {
			out = append(out, e)
		}
	}
	return append(out, d.AddEmails...)
}

func formatPhones(ps []Phone) string {
	s := make([]string, len(ps))
	for i, p := range ps {
		s[i] = p.Number
	}
	return strings.Join(s, ", ")
}

func formatMap(m map[string]string) string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		parts = append(parts, k+"="+m[k])
	}
	return strings.Join(parts, ", ")
}

// Documents of records as Hipcall returns them.

func companyDoc(c *hipcall.Company) Doc {
	d := Doc{Fields: map[string]string{
		fieldName:        c.Name,
		fieldWebsiteURL:  c.WebsiteURL,
		fieldCustomURL:   c.CustomURL,
		fieldLinkedinURL: c.LinkedinURL,
		fieldDescription: c.Description,
		fieldAssignTo:    idString(c.AssignToUserID),
	}}
	for _, p := range c.Phones {
		d.Phones = append(d.Phones, Phone{Country: p.Country, Number: p.Number})
	}
	for _, e := range c.Emails {
		d.Emails = append(d.Emails, e.Email)
	}
	return d
}

func contactDoc(c *hipcall.Contact) Doc {
	d := Doc{Fields: map[string]string{
		fieldFirstName: c.FirstName,
		fieldLastName:  c.LastName,
		fieldCompanyID: idString(c.CompanyID),
		fieldAssignTo:  idString(c.AssignToUserID),
		fieldJobTitle:  c.JobTitle,
		fieldCustomURL: c.CustomURL,
	}}
	if c.CustomFields != nil {
		d.Custom = map[string]string{}
		for k, v := range c.CustomFields {
			d.Custom[k] = text(v)
		}
	}
	for _, p := range c.Phones {
		d.Phones = append(d.Phones, Phone{Country: p.Country, Number: p.Number})
	}
	for _, e := range c.Emails {
		d.Emails = append(d.Emails, e.Email)
	}
	return d
}

func idString(id *int64) string {
	if id == nil {
		return ""
	}
	return strconv.FormatInt(*id, 10)
}

// Request bodies.

// patchBody is the PATCH body for a diff's scalar fields (and, for
// companies, the phones and emails lists).
func patchBody(d *diff, want *Doc, company bool) hipcall.Patch {
	p := hipcall.Patch{}
	for k, v := range d.Scalars {
		p[k] = wireValue(k, v)
	}
	if d.Custom != nil {
		p[fieldCustomFields] = customWire(d.Custom)
	}
	if company && d.PhonesChanged {
		p[fieldPhones] = companyPhones(want.Phones)
	}
	if company && d.EmailsChanged {
		p[fieldEmails] = companyEmails(want.Emails)
	}
	return p
}

// wireValue is a scalar field's JSON value: null for "", an integer for
// ids, else the string.
func wireValue(field, v string) any {
	if v == "" {
		return nil
	}
	if idFields[field] {
		if n, err := strconv.ParseInt(v, 10, 64); err == nil {
			return n
		}
	}
	return v
}

func customWire(m map[string]string) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

func companyPhones(ps []Phone) []hipcall.Phone {
	out := make([]hipcall.Phone, len(ps))
	for i, p := range ps {
		out[i] = hipcall.Phone{Country: p.Country, Number: p.Number, Order: i + 1}
	}
	return out
}

func companyEmails(es []string) []hipcall.Email {
	out := make([]hipcall.Email, len(es))
	for i, e := range es {
		out[i] = hipcall.Email{Email: e, Order: i + 1}
	}
	return out
}

func contactPhones(ps []Phone) []hipcall.Phone {
	out := make([]hipcall.Phone, len(ps))
	for i, p := range ps {
		out[i] = hipcall.Phone{Country: p.Country, Number: p.Number}
	}
	return out
}

func contactEmails(es []string) []hipcall.Email {
	out := make([]hipcall.Email, len(es))
	for i, e := range es {
		out[i] = hipcall.Email{Email: e}
	}
	return out
}

func optID(fields map[string]string, k string) *int64 {
	v, ok := fields[k]
	if !ok || v == "" {
		return nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return nil
	}
	return &n
}

func companyInput(ext string, want *Doc) hipcall.CompanyInput {
	f := want.Fields
	in := hipcall.CompanyInput{
		Name:           f[fieldName],
		ExternalID:     &ext,
		WebsiteURL:     f[fieldWebsiteURL],
		CustomURL:      f[fieldCustomURL],
		LinkedinURL:    f[fieldLinkedinURL],
		Description:    f[fieldDescription],
		AssignToUserID: optID(f, fieldAssignTo),
	}
	if len(want.Phones) > 0 {
		in.Phones = companyPhones(want.Phones)
	}
	if len(want.Emails) > 0 {
		in.Emails = companyEmails(want.Emails)
	}
	return in
}

func contactInput(ext string, want *Doc) hipcall.ContactInput {
	f := want.Fields
	in := hipcall.ContactInput{
		FirstName:      f[fieldFirstName],
		LastName:       f[fieldLastName],
		ExternalID:     &ext,
		CompanyID:      optID(f, fieldCompanyID),
		AssignToUserID: optID(f, fieldAssignTo),
		JobTitle:       f[fieldJobTitle],
		CustomURL:      f[fieldCustomURL],
	}
	if len(want.Custom) > 0 {
		in.CustomFields = customWire(want.Custom)
	}
	if len(want.Phones) > 0 {
		in.Phones = contactPhones(want.Phones)
	}
	if len(want.Emails) > 0 {
		in.Emails = contactEmails(want.Emails)
	}
	return in
}
