package sdk

import (
	"database/sql"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/switchboard-hq/switchboard/connectors"
)

// ScanContacts reads rows to the end, one contact a row, and closes them.
// It reads each column by its name (alias a column in the SELECT to give
// it one: `c.cell AS mobile`):
//
//	id          ID (required, never NULL)
//	first_name  FirstName
//	last_name   LastName
//	company     CompanyName
//	company_id  CompanyID
//	owner       OwnerID
//	job_title   JobTitle
//	email       Emails, one
//	updated_at  UpdatedAt
//
// and each column named in phones as a number of Phones, labelled with
// the column's name ("mobile"), in the order of the columns. Any other
// column is an error, so that a column the query selects is never
// dropped unseen.
//
// A NULL, like an empty text, leaves its field empty: no email, no phone,
// a zero UpdatedAt. The ids (id, company_id, owner) and the numbers may be
// integers, read as their decimal digits; the other text columns must be
// text. updated_at is a time the driver returns, or text in RFC 3339
// ("2024-03-01T09:00:00Z") or in SQLite's "2024-03-01 09:00:00" (UTC).
// A value of another type is an error that names the row's id, the column
// and what it held, and stops the scan. An error of the rows themselves
// (rows.Err) is returned as it is; classify either with Unavailable.
func ScanContacts(rows *sql.Rows, phones ...string) ([]connectors.Contact, error) {
	return scan(rows, "contact", contactColumns, phones, func(ct *connectors.Contact) *[]connectors.Phone { return &ct.Phones })
}

// ScanCompanies is ScanContacts for companies: rows to the end, one
// company a row, by the names of their columns, with the same types and
// NULLs and the same errors:
//
//	id          ID (required, never NULL)
//	name        Name
//	website     Website
//	owner       OwnerID
//	email       Emails, one
//	updated_at  UpdatedAt
//
// and each column named in phones as a number of Phones, labelled with
// the column's name, in the order of the columns.
func ScanCompanies(rows *sql.Rows, phones ...string) ([]connectors.Company, error) {
	return scan(rows, "company", companyColumns, phones, func(co *connectors.Company) *[]connectors.Phone { return &co.Phones })
}

// A setter stores one column's value in a record.
type setter[T any] func(r *T, v any) error

// contactColumns and companyColumns are the conventions of ScanContacts
// and ScanCompanies.
var (
	contactColumns = map[string]setter[connectors.Contact]{
		"id":         id(func(ct *connectors.Contact) *string { return &ct.ID }),
		"first_name": text(false, func(ct *connectors.Contact) *string { return &ct.FirstName }),
		"last_name":  text(false, func(ct *connectors.Contact) *string { return &ct.LastName }),
		"company":    text(false, func(ct *connectors.Contact) *string { return &ct.CompanyName }),
		"company_id": text(true, func(ct *connectors.Contact) *string { return &ct.CompanyID }),
		"owner":      text(true, func(ct *connectors.Contact) *string { return &ct.OwnerID }),
		"job_title":  text(false, func(ct *connectors.Contact) *string { return &ct.JobTitle }),
		"email":      email(func(ct *connectors.Contact) *[]string { return &ct.Emails }),
		"updated_at": updated(func(ct *connectors.Contact) *time.Time { return &ct.UpdatedAt }),
	}
	companyColumns = map[string]setter[connectors.Company]{
		"id":         id(func(co *connectors.Company) *string { return &co.ID }),
		"name":       text(false, func(co *connectors.Company) *string { return &co.Name }),
		"website":    text(false, func(co *connectors.Company) *string { return &co.Website }),
		"owner":      text(true, func(co *connectors.Company) *string { return &co.OwnerID }),
		"email":      email(func(co *connectors.Company) *[]string { return &co.Emails }),
		"updated_at": updated(func(co *connectors.Company) *time.Time { return &co.UpdatedAt }),
	}
)

// scan is ScanContacts and ScanCompanies: record names the records in
// errors, known holds the convention, and field returns a record's Phones.
func scan[T any](rows *sql.Rows, record string, known map[string]setter[T], phones []string,
	field func(*T) *[]connectors.Phone) ([]T, error) {
	defer rows.Close()
	names, err := rows.Columns()
	if err != nil {
		return nil, err
	}
	sets, err := setters(record, known, phones, names, field)
	if err != nil {
		return nil, err
	}
	values := make([]any, len(names))
	dest := make([]any, len(names))
	for i := range values {
		dest[i] = &values[i]
	}
	var out []T
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return nil, err
		}
		var r T
		for i, set := range sets {
			if err := set(&r, values[i]); err != nil {
				return nil, fmt.Errorf("%s %s: column %s: %w", record, rowID(names, values), names[i], err)
			}
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

// setters returns the setter of each column, in the order of names, and
// an error for a column that is neither in known nor in phones, for a
// column named twice, and for no id column.
func setters[T any](record string, known map[string]setter[T], phones, names []string,
	field func(*T) *[]connectors.Phone) ([]setter[T], error) {
	for i, p := range phones {
		if _, ok := known[p]; ok {
			return nil, fmt.Errorf("phone column %s: %s is the %s's own column; alias the number in the query", p, p, record)
		}
		if slices.Contains(phones[:i], p) {
			return nil, fmt.Errorf("phone column %s is named twice", p)
		}
	}
	sets := make([]setter[T], len(names))
	for i, name := range names {
		if slices.Contains(names[:i], name) {
			return nil, fmt.Errorf("the query selects two columns named %s: alias one of them", name)
		}
		if slices.Contains(phones, name) {
			sets[i] = number(name, field)
		} else if sets[i] = known[name]; sets[i] == nil {
			return nil, fmt.Errorf("the query selects column %s, which is no %s field (%s) and not among the phone columns %v: alias it or pass it as a phone column",
				name, record, strings.Join(slices.Sorted(maps.Keys(known)), ", "), phones)
		}
	}
	if !slices.Contains(names, "id") {
		return nil, fmt.Errorf("the query selects no id column: every %s needs its id", record)
	}
	return sets, nil
}

// number returns the setter of the phone column name: a number (text, or
// an integer as its digits) labelled name.
func number[T any](name string, field func(*T) *[]connectors.Phone) setter[T] {
	return func(r *T, v any) error {
		s, err := str(v, true)
		if s != "" {
			*field(r) = append(*field(r), connectors.Phone{Raw: s, Label: name})
		}
		return err
	}
}

// id returns the setter of a record's id: text or an integer, never NULL
// or empty.
func id[T any](field func(*T) *string) setter[T] {
	return func(r *T, v any) error {
		s, err := str(v, true)
		if err == nil && s == "" {
			err = fmt.Errorf("%s where the record's id was expected: every record needs one", kind(v))
		}
		*field(r) = s
		return err
	}
}

// text returns the setter of a text field; ints says whether an integer
// is read too (an id), as its digits.
func text[T any](ints bool, field func(*T) *string) setter[T] {
	return func(r *T, v any) error {
		s, err := str(v, ints)
		*field(r) = s
		return err
	}
}

// email returns the setter of a record's one email.
func email[T any](field func(*T) *[]string) setter[T] {
	return func(r *T, v any) error {
		s, err := str(v, false)
		if s != "" {
			*field(r) = append(*field(r), s)
		}
		return err
	}
}

// Layouts updated_at's text is read in: RFC 3339, then SQLite's
// datetime() in UTC. Fractional seconds are read in either.
var timeLayouts = []string{time.RFC3339, time.DateTime}

// updated returns the setter of a record's UpdatedAt.
func updated[T any](field func(*T) *time.Time) setter[T] {
	return func(r *T, v any) error {
		if t, ok := v.(time.Time); ok {
			*field(r) = t
			return nil
		}
		s, err := str(v, false)
		if err != nil {
			return fmt.Errorf("%s where a time or text in RFC 3339 was expected: convert it in the query", kind(v))
		}
		if s == "" {
			return nil
		}
		for _, layout := range timeLayouts {
			if t, err := time.Parse(layout, s); err == nil {
				*field(r) = t
				return nil
			}
		}
		return fmt.Errorf("cannot read %q as a time: want RFC 3339 (2024-03-01T09:00:00Z) or 2024-03-01 09:00:00 (UTC)", s)
	}
}

// str reads a text value ("" for NULL), and an integer as its digits when
// ints is set.
func str(v any, ints bool) (string, error) {
	switch v := v.(type) {
	case nil:
		return "", nil
	case string:
		return v, nil
	case []byte:
		return string(v), nil
	case int64:
		if ints {
			return strconv.FormatInt(v, 10), nil
		}
	}
	want := "text"
	if ints {
		want = "text or an integer"
	}
	return "", fmt.Errorf("%s where %s was expected: convert it in the query", kind(v), want)
}

// kind names the type of a value the driver returned, for errors.
func kind(v any) string {
	switch v.(type) {
	case nil:
		return "NULL"
	case int64:
		return "an integer"
	case float64:
		return "a real number"
	case bool:
		return "a boolean"
	case time.Time:
		return "a time"
	case string, []byte:
		return "empty text" // str reads any other
	}
	return fmt.Sprintf("a %T", v)
}

// rowID is the row's id for an error, or "(no id)" when it has none to
// show.
func rowID(names []string, values []any) string {
	i := slices.Index(names, "id")
	if s, err := str(values[i], true); err == nil && s != "" {
		return s
	}
	return "(no id)"
}
