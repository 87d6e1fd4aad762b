package rest

import (
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/tidwall/gjson"

	"github.com/switchboard-hq/switchboard/connectors"
	"github.com/switchboard-hq/switchboard/connectors/conf"
	"github.com/switchboard-hq/switchboard/connectors/phone"
)

// mapping reads records from JSON with gjson paths; an empty path is a
// field not mapped.
type mapping struct {
	kind                                   string
	id, firstName, lastName, name, company string
	companyID, owner, jobTitle, website    string
	updatedAt                              string
	phones                                 []phoneField // sorted by label
	emails                                 []string
	fields                                 []conf.Field // Source is the path
}

type phoneField struct{ label, path string }

func parseMapping(ps *problems, path, kind string, mc *mappingConfig) *mapping {
	m := &mapping{kind: kind, id: mc.ID, firstName: mc.FirstName, lastName: mc.LastName, name: mc.Name,
		company: mc.Company, companyID: mc.CompanyID, owner: mc.Owner, jobTitle: mc.JobTitle, website: mc.Website,
		updatedAt: mc.UpdatedAt, emails: mc.Emails}
	checkPath(ps, conf.JoinPath(path, "id"), m.id, true, "the path to the record's id, like id")
	for key, p := range map[string]string{"first_name": m.firstName, "last_name": m.lastName, "name": m.name,
		"company": m.company, "company_id": m.companyID, "owner": m.owner, "job_title": m.jobTitle,
		"website": m.website, "updated_at": m.updatedAt} {
		checkPath(ps, conf.JoinPath(path, key), p, false, "")
	}
	if kind == kindCompany {
		for key, p := range map[string]string{"first_name": m.firstName, "last_name": m.lastName, "company": m.company,
			"company_id": m.companyID, "job_title": m.jobTitle} {
			if p != "" {
				ps.add(conf.JoinPath(path, key), "a company has no %s: map it on contacts", key)
			}
		}
		if m.name == "" {
			ps.add(conf.JoinPath(path, "name"), "missing name: the path to the company's name")
		}
	} else {
		if m.website != "" {
			ps.add(conf.JoinPath(path, "website"), "a contact has no website: map it on companies, or as one of fields:")
		}
		if m.firstName == "" && m.lastName == "" && m.name == "" {
			ps.add(path, "map none of first_name, last_name and name: map at least one, the contact's name")
		}
	}
	for _, label := range slices.Sorted(maps.Keys(mc.Phones)) {
		if strings.TrimSpace(label) == "" {
			ps.add(conf.JoinPath(path, "phones"), "empty phone label: phones: maps a label (phone, mobile, work...) to a path")
		}
		checkPath(ps, conf.JoinPath(path, "phones", label), mc.Phones[label], true, "the path to the numbers with this label")
		m.phones = append(m.phones, phoneField{label, mc.Phones[label]})
	}
	for i, p := range m.emails {
		checkPath(ps, conf.JoinPath(path, "emails", i), p, true, "a path to email addresses")
	}
	fields := make(map[string]conf.FieldConfig, len(mc.Fields))
	for name, f := range mc.Fields {
		fields[name] = conf.FieldConfig{Source: f.Path, Type: f.Type}
	}
	var fps connectors.Problems
	m.fields, fps = conf.ParseFields(conf.JoinPath(path, "fields"), fields, conf.FieldRules{
		Key: "path", Missing: "the gjson path to the value", Default: conf.FieldString,
		Check: func(p string) error { return validPath(p) },
	})
	ps.list = append(ps.list, fps...)
	return m
}

// str reads a scalar as a string: strings as they are, numbers as written
// in the JSON (42, not 42.0), true/false; "" for null, absent, an object
// or an array (the first element of an array of scalars is used).
func str(r gjson.Result) string {
	switch r.Type {
	case gjson.String:
		return r.Str
	case gjson.Number:
		return r.Raw
	case gjson.True, gjson.False:
		return r.Raw
	case gjson.JSON:
		if r.IsArray() {
			for _, e := range r.Array() {
				if s := str(e); s != "" && !e.IsObject() && !e.IsArray() {
					return s
				}
			}
		}
	}
	return ""
}

// strs reads a path that may give one value or an array of them (objects
// in it skipped; an object with a "value" key gives that value).
func strs(r gjson.Result) []string {
	var out []string
	add := func(e gjson.Result) {
		if e.IsObject() {
			e = e.Get("value")
		}
		if s := str(e); s != "" && !e.IsArray() {
			out = append(out, s)
		}
	}
	if r.IsArray() {
		for _, e := range r.Array() {
			add(e)
		}
	} else {
		add(r)
	}
	return out
}

func get(rec gjson.Result, path string) string {
	if path == "" {
		return ""
	}
	return str(rec.Get(path))
}

// readTime reads RFC 3339 (with or without a fraction), "2006-01-02
// 15:04:05" (UTC), a date, or a Unix time in seconds or milliseconds.
func readTime(r gjson.Result) time.Time {
	if r.Type == gjson.Number {
		n := r.Int()
		if n > 100_000_000_000 {
			return time.UnixMilli(n).UTC()
		}
		return time.Unix(n, 0).UTC()
	}
	s := str(r)
	if s == "" {
		return time.Time{}
	}
	for _, l := range []string{time.RFC3339Nano, "2006-01-02 15:04:05", "2006-01-02T15:04:05", time.DateOnly} {
		if t, err := time.Parse(l, s); err == nil {
			return t.UTC()
		}
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return readTime(gjson.Result{Type: gjson.Number, Raw: s, Num: float64(n)})
	}
	return time.Time{}
}

// parsedPhone is a record's number with its parse.
type parsedPhone struct {
	phone connectors.Phone
	num   phone.Number
	ok    bool // parsed: matchable
}

// record is one mapped record: a contact or a company, and its numbers.
type record struct {
	contact *connectors.Contact
	company *connectors.Company
	phones  []parsedPhone
}

func (r *record) id() string {
	if r.contact != nil {
		return r.contact.ID
	}
	return r.company.ID
}

func (r *record) key() string {
	if r.contact != nil {
		return "contact:" + r.contact.ID
	}
	return "company:" + r.company.ID
}

// read maps one JSON record. A record without an id gives false.
func (m *mapping) read(p *phone.Parser, log hclog.Logger, rec gjson.Result) (record, bool) {
	id := strings.TrimSpace(get(rec, m.id))
	if id == "" {
		log.Debug("a record without an id in the answer is skipped; check map.id", "path", m.id)
		return record{}, false
	}
	var phones []parsedPhone
	var list []connectors.Phone
	for _, pf := range m.phones {
		for _, raw := range strs(rec.Get(pf.path)) {
			nums, errs := p.ParseAll(raw)
			for _, err := range errs {
				log.Debug("unreadable phone number in the record; fix it in the CRM", "record", id, "label", pf.label, "error", err)
			}
			if len(nums) == 0 {
				ph := connectors.Phone{Raw: raw, Label: pf.label}
				phones = append(phones, parsedPhone{phone: ph})
				list = append(list, ph)
				continue
			}
			for _, n := range nums {
				ph := connectors.Phone{Raw: n.Raw, Label: pf.label, E164: n.E164, Extension: n.Extension}
				phones = append(phones, parsedPhone{phone: ph, num: n, ok: true})
				list = append(list, ph)
			}
		}
	}
	var emails []string
	for _, path := range m.emails {
		emails = append(emails, strs(rec.Get(path))...)
	}
	var fields map[string]any
	if len(m.fields) > 0 {
		fields = make(map[string]any, len(m.fields))
		for _, f := range m.fields {
			r := rec.Get(f.Source)
			raw := str(r)
			if r.IsObject() || r.IsArray() {
				raw = r.Raw
			}
			v, err := conf.ConvertField(f.Type, raw)
			if err != nil {
				log.Debug("a field's value does not read as its type", "record", id, "field", f.Name, "error", err)
			}
			fields[f.Name] = v
		}
	}
	var updated time.Time
	if m.updatedAt != "" {
		updated = readTime(rec.Get(m.updatedAt))
	}
	if m.kind == kindCompany {
		return record{company: &connectors.Company{
			ID: id, Name: get(rec, m.name), Phones: list, Emails: emails, Website: get(rec, m.website),
			OwnerID: get(rec, m.owner), Fields: fields, UpdatedAt: updated,
		}, phones: phones}, true
	}
	c := &connectors.Contact{
		ID: id, FirstName: get(rec, m.firstName), LastName: get(rec, m.lastName),
		CompanyID: get(rec, m.companyID), CompanyName: get(rec, m.company),
		Phones: list, Emails: emails, OwnerID: get(rec, m.owner), JobTitle: get(rec, m.jobTitle),
		Fields: fields, UpdatedAt: updated,
	}
	if c.FirstName == "" && c.LastName == "" {
		c.FirstName = get(rec, m.name) // the whole name: Contact.Name() shows it as it is
	}
	return record{contact: c, phones: phones}, true
}
