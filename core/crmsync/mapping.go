package crmsync

import (
	"bytes"
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"text/template"
	"unicode/utf8"

	"github.com/nyaruka/phonenumbers"

	"github.com/switchboard-hq/switchboard/connectors"
	"github.com/switchboard-hq/switchboard/connectors/phone"
	"github.com/switchboard-hq/switchboard/core/hipcall"
	"github.com/switchboard-hq/switchboard/core/store"
)

// DefaultCompanyFields and DefaultContactFields map Hipcall fields to
// record paths when the configuration does not say otherwise. Owners
// (assign_to_user_id ← owner) are added when an owners map is configured.
//
// Names are never split: a connector that knows only a full name (the CSV
// connector's columns.name: FullName) gives the record the whole name as
// first_name and no last_name, and the default first_name: first_name
// writes it whole to Hipcall's first_name, leaving last_name empty.
// Splitting "Maria de la Cruz" or "Nguyễn Văn An" cannot be done right by
// rule; a mapping (a template over fields the CRM does split) is the way
// to fill last_name.
var (
	DefaultCompanyFields = map[string]string{
		fieldExternalID: "id",
		fieldName:       "name",
		fieldWebsiteURL: "website",
		fieldPhones:     "phones",
		fieldEmails:     "emails",
	}
	DefaultContactFields = map[string]string{
		fieldExternalID: "id",
		fieldFirstName:  "first_name",
		fieldLastName:   "last_name",
		fieldJobTitle:   "job_title",
		fieldCompanyID:  "company_id",
		fieldPhones:     "phones",
		fieldEmails:     "emails",
	}
)

// CompanyFields and ContactFields list the Hipcall fields a mapping may
// set (contacts also custom_fields.<name>).
func CompanyFields() []string {
	return append([]string{fieldExternalID, fieldPhones, fieldEmails}, companyScalars...)
}

// ContactFields lists the contact fields a mapping may set.
func ContactFields() []string {
	return append([]string{fieldExternalID, fieldPhones, fieldEmails}, contactScalars...)
}

// valueSource yields one Hipcall field's value from a record view.
type valueSource struct {
	spec string
	tmpl *template.Template // a template, or
	path []string           // a record path
}

// compileSource reads a mapping value: a Go template when it holds "{{",
// else a dotted record path ("first_name", "fields.tier").
func compileSource(field, spec string) (valueSource, error) {
	spec = strings.TrimSpace(spec)
	if strings.Contains(spec, "{{") {
		t, err := template.New(field).Option("missingkey=zero").Parse(spec)
		if err != nil {
			return valueSource{}, fmt.Errorf("template for %s: %w", field, err)
		}
		return valueSource{spec: spec, tmpl: t}, nil
	}
	if spec == "" || strings.ContainsAny(spec, " \t") {
		return valueSource{}, fmt.Errorf("%s: %q is neither a record path (first_name, fields.tier) nor a template ({{.first_name}})", field, spec)
	}
	return valueSource{spec: spec, path: strings.Split(spec, ".")}, nil
}

func (s *valueSource) eval(view map[string]any) (any, error) {
	if s.tmpl != nil {
		var b bytes.Buffer
		if err := s.tmpl.Execute(&b, view); err != nil {
			return nil, err
		}
		return strings.TrimSpace(strings.ReplaceAll(b.String(), "<no value>", "")), nil
	}
	var cur any = view
	for _, seg := range s.path {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, nil
		}
		cur = m[seg]
	}
	return cur, nil
}

// validateFieldName checks that a mapping key is a Hipcall field of res.
func validateFieldName(res store.Resource, field string) error {
	known := CompanyFields()
	if res == store.Contacts {
		known = ContactFields()
		if name, ok := strings.CutPrefix(field, customPrefix); ok && name != "" {
			return nil
		}
	}
	if slices.Contains(known, field) {
		return nil
	}
	extra := ""
	if res == store.Contacts {
		extra = ", or custom_fields.<name>"
	}
	return fmt.Errorf("%s has no field %q: use one of %s%s", res, field, strings.Join(known, ", "), extra)
}

// FieldError is a problem with one mapped field ("" for the mapping as a
// whole).
type FieldError struct {
	Field string
	Err   error
}

func (e FieldError) Error() string { return e.Err.Error() }

// ValidateFields checks a resource's field mapping as configured: every
// key a Hipcall field of the resource, every value a record path or a
// template that parses, and external_id and the field Hipcall requires
// still mapped. The host calls it so that problems are reported at load.
func ValidateFields(res store.Resource, fields map[string]string) []FieldError {
	_, errs := compileFields(res, fields, nil)
	return errs
}

// compileFields merges the configured fields over the defaults ("" drops a
// default) and compiles them.
func compileFields(res store.Resource, configured map[string]string, owners map[string]int64) (map[string]valueSource, []FieldError) {
	fields := map[string]string{}
	defaults := DefaultCompanyFields
	if res == store.Contacts {
		defaults = DefaultContactFields
	}
	for k, v := range defaults {
		fields[k] = v
	}
	if len(owners) > 0 {
		fields[fieldAssignTo] = "owner"
	}
	for k, v := range configured {
		fields[k] = v
	}
	sources := map[string]valueSource{}
	var errs []FieldError
	for _, k := range slices.Sorted(maps.Keys(fields)) {
		if err := validateFieldName(res, k); err != nil {
			errs = append(errs, FieldError{k, err})
			continue
		}
		if strings.TrimSpace(fields[k]) == "" {
			continue
		}
		src, err := compileSource(k, fields[k])
		if err != nil {
			errs = append(errs, FieldError{k, err})
			continue
		}
		sources[k] = src
	}
	if _, ok := sources[fieldExternalID]; !ok && !hasField(errs, fieldExternalID) {
		errs = append(errs, FieldError{fieldExternalID, fmt.Errorf("%s: external_id must be mapped (it is the key the sync matches records by); leave it out for the default, the record's id", res)})
	}
	required := fieldName
	if res == store.Contacts {
		required = fieldFirstName
	}
	if _, ok := sources[required]; !ok && !hasField(errs, required) {
		errs = append(errs, FieldError{required, fmt.Errorf("%s: %s must be mapped: Hipcall requires it", res, required)})
	}
	return sources, errs
}

func hasField(errs []FieldError, field string) bool {
	for _, e := range errs {
		if e.Field == field {
			return true
		}
	}
	return false
}

// mapping turns connector records into Hipcall documents.
type mapping struct {
	res     store.Resource
	sources map[string]valueSource
	owners  map[string]int64
	parser  *phone.Parser
}

// newMapping compiles a resource's mapping.
func newMapping(res store.Resource, configured map[string]string, owners map[string]int64, parser *phone.Parser) (*mapping, error) {
	sources, ferrs := compileFields(res, configured, owners)
	if len(ferrs) > 0 {
		errs := make([]error, len(ferrs))
		for i, e := range ferrs {
			errs[i] = e.Err
		}
		return nil, errors.Join(errs...)
	}
	return &mapping{res: res, sources: sources, owners: owners, parser: parser}, nil
}

// companyLookup finds a company's Hipcall id (as text) by its external
// id.
type companyLookup func(externalID string) (string, bool)

// mapped is one record turned into a Hipcall document.
type mapped struct {
	ext      string // normalised external id
	doc      Doc
	warnings []string
}

// errSkip marks a record skipped on purpose (no external id).
var errSkip = errors.New("skipped")

// apply maps a record view. It returns errSkip (wrapped) for a record to
// skip, another error for a record that cannot be synced.
func (m *mapping) apply(view map[string]any, companies companyLookup) (*mapped, error) {
	out := &mapped{doc: Doc{Fields: map[string]string{}}}
	for _, k := range slices.Sorted(maps.Keys(m.sources)) {
		src := m.sources[k]
		v, err := src.eval(view)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", k, err)
		}
		switch {
		case k == fieldExternalID:
			ext, err := normalizeExternalID(v)
			if err != nil {
				return nil, err
			}
			out.ext = ext
		case k == fieldPhones:
			out.doc.ManagePhones = true
			out.doc.Phones, out.warnings = m.phones(v, out.warnings)
			if m.res == store.Contacts && len(out.doc.Phones) > hipcall.MaxContactPhones {
				extra := out.doc.Phones[hipcall.MaxContactPhones:]
				out.warnings = append(out.warnings, fmt.Sprintf("has %d phone numbers; Hipcall keeps at most %d per contact, so %s not sent",
					len(out.doc.Phones), hipcall.MaxContactPhones, formatPhones(extra)))
				out.doc.Phones = out.doc.Phones[:hipcall.MaxContactPhones]
			}
		case k == fieldEmails:
			out.doc.ManageEmails = true
			out.doc.Emails = emailsOf(v)
		case k == fieldAssignTo:
			owner := text(v)
			if owner == "" {
				out.doc.Fields[k] = ""
				continue
			}
			id, ok := m.owners[owner]
			if !ok {
				out.warnings = append(out.warnings, fmt.Sprintf("owner %q is not in sync.owners, so assign_to_user_id is left as it is in Hipcall", owner))
				continue
			}
			out.doc.Fields[k] = strconv.FormatInt(id, 10)
		case k == fieldCompanyID:
			crmID := text(v)
			if crmID == "" {
				out.doc.Fields[k] = ""
				continue
			}
			ext := strings.TrimSpace(crmID)
			id, ok := companies(ext)
			if !ok {
				out.warnings = append(out.warnings, fmt.Sprintf("company %q is not synced to Hipcall (sync companies first), so company_id is left as it is", crmID))
				continue
			}
			out.doc.Fields[k] = id
		case strings.HasPrefix(k, customPrefix):
			if out.doc.Custom == nil {
				out.doc.Custom = map[string]string{}
			}
			out.doc.Custom[strings.TrimPrefix(k, customPrefix)] = text(v)
		default:
			out.doc.Fields[k] = text(v)
		}
	}
	if out.ext == "" {
		return nil, fmt.Errorf("%w: its external_id is empty (Hipcall stores an empty external_id as null, so the record could not be matched again)", errSkip)
	}
	required := fieldName
	if m.res == store.Contacts {
		required = fieldFirstName
	}
	if strings.TrimSpace(out.doc.Fields[required]) == "" {
		return out, fmt.Errorf("%s is empty, and Hipcall requires it: fill it in the CRM or map it to another field", required)
	}
	return out, nil
}

// normalizeExternalID turns a mapped external id into the string Hipcall
// stores: an integer as its digits, surrounding whitespace trimmed. Longer
// than 255 characters is an error.
func normalizeExternalID(v any) (string, error) {
	s := text(v)
	id := hipcall.NormalizeExternalID(s)
	if id == nil {
		return "", nil
	}
	if n := utf8.RuneCountInString(*id); n > hipcall.MaxExternalIDLength {
		return "", fmt.Errorf("external_id is %d characters long; Hipcall stores at most %d: map external_id to a shorter id", n, hipcall.MaxExternalIDLength)
	}
	return *id, nil
}

// phones turns a mapped value into Hipcall phones: E.164 numbers with
// their ISO 3166 region, without extensions or duplicates. Numbers that
// cannot be placed in a country are left out with a warning.
func (m *mapping) phones(v any, warnings []string) ([]Phone, []string) {
	var nums []phone.Number
	parse := func(raw string) {
		if strings.TrimSpace(raw) == "" {
			return
		}
		n, err := m.parser.Parse(raw)
		if err != nil {
			warnings = append(warnings, fmt.Sprintf("phone number left out: %v", err))
			return
		}
		nums = append(nums, n)
	}
	switch x := v.(type) {
	case nil:
	case []connectors.Phone:
		for _, p := range x {
			if p.E164 != "" {
				parse(p.E164)
			} else {
				parse(p.Raw)
			}
		}
	case []any:
		for _, e := range x {
			parse(text(e))
		}
	case []string:
		for _, e := range x {
			parse(e)
		}
	default:
		all, errs := m.parser.ParseAll(text(x))
		for _, err := range errs {
			warnings = append(warnings, fmt.Sprintf("phone number left out: %v", err))
		}
		nums = append(nums, all...)
	}
	var out []Phone
	seen := map[string]bool{}
	for _, n := range nums {
		if n.E164 == "" {
			warnings = append(warnings, fmt.Sprintf("phone number %q left out: its country is unknown (write it with its country code)", n.Raw))
			continue
		}
		if seen[n.E164] {
			continue
		}
		seen[n.E164] = true
		out = append(out, Phone{Country: m.region(n), Number: n.E164})
	}
	return out, warnings
}

// region is the ISO 3166 region Hipcall gets as a number's country: the
// number's own, else the default region when it shares the calling code
// (+44 in GB), else the main region of the calling code (GB for +44).
func (m *mapping) region(n phone.Number) string {
	if n.Region != "" {
		return n.Region
	}
	if n.CountryCode == phonenumbers.GetCountryCodeForRegion(m.parser.Region()) {
		return m.parser.Region()
	}
	if r := phonenumbers.GetRegionCodeForCountryCode(n.CountryCode); r != "ZZ" && r != "001" {
		return r
	}
	return ""
}

// emailsOf turns a mapped value into a list of addresses, without empties
// or duplicates (ignoring case).
func emailsOf(v any) []string {
	var raw []string
	switch x := v.(type) {
	case nil:
	case []string:
		raw = x
	case []any:
		for _, e := range x {
			raw = append(raw, text(e))
		}
	default:
		raw = strings.FieldsFunc(text(x), func(r rune) bool { return r == ',' || r == ';' || r == ' ' })
	}
	var out []string
	seen := map[string]bool{}
	for _, e := range raw {
		e = strings.TrimSpace(e)
		if e == "" || seen[emailKey(e)] {
			continue
		}
		seen[emailKey(e)] = true
		out = append(out, e)
	}
	return out
}

// text formats a mapped value as text: integers without a decimal point,
// nil as "".
func text(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return strings.TrimSpace(x)
	case float64:
		if x == math.Trunc(x) && math.Abs(x) < 1e15 {
			return strconv.FormatInt(int64(x), 10)
		}
		return strconv.FormatFloat(x, 'f', -1, 64)
	case int:
		return strconv.Itoa(x)
	case int64:
		return strconv.FormatInt(x, 10)
	case bool:
		return strconv.FormatBool(x)
	default:
		return strings.TrimSpace(fmt.Sprint(x))
	}
}

// Record views: what mapping paths and templates see.

func companyView(c *connectors.Company) map[string]any {
	v := map[string]any{}
	for k, f := range c.Fields {
		v[k] = f
	}
	emails := c.Emails
	first := ""
	if len(emails) > 0 {
		first = emails[0]
	}
	for k, f := range map[string]any{
		"type":       "company",
		"id":         c.ID,
		"name":       c.Name,
		"company":    c.Name,
		"company_id": c.ID,
		"website":    c.Website,
		"owner":      c.OwnerID,
		"email":      first,
		"emails":     emails,
		"phones":     c.Phones,
		"fields":     fieldsMap(c.Fields),
	} {
		v[k] = f
	}
	return v
}

func contactView(c *connectors.Contact) map[string]any {
	v := map[string]any{}
	for k, f := range c.Fields {
		v[k] = f
	}
	first := ""
	if len(c.Emails) > 0 {
		first = c.Emails[0]
	}
	for k, f := range map[string]any{
		"type":       "contact",
		"id":         c.ID,
		"name":       c.Name(),
		"first_name": c.FirstName, // a full-name-only record's whole name (never split)
		"last_name":  c.LastName,
		"company":    c.CompanyName,
		"company_id": c.CompanyID,
		"owner":      c.OwnerID,
		"job_title":  c.JobTitle,
		"email":      first,
		"emails":     c.Emails,
		"phones":     c.Phones,
		"fields":     fieldsMap(c.Fields),
	} {
		v[k] = f
	}
	return v
}

func fieldsMap(f map[string]any) map[string]any {
	if f == nil {
		return map[string]any{}
	}
	return f
}
