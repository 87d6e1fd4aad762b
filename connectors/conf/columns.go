package conf

import (
	"strings"

	"github.com/switchboard-hq/switchboard/connectors"
)

// ContactColumns is a columns: block as written: which column holds each
// attribute of a Contact, in a table, a file or the rows a query returns.
// Connectors that read rows (csv, postgres) decode it, inline, into their
// own block, which may add keys of their own:
//
//	type columnsConfig struct {
//		conf.ContactColumns `yaml:",inline"`
//		UpdatedAt string `yaml:"updated_at"`
//	}
type ContactColumns struct {
	ID        string   `yaml:"id"`
	FirstName string   `yaml:"first_name"`
	LastName  string   `yaml:"last_name"`
	Name      string   `yaml:"name"`
	Company   string   `yaml:"company"`
	CompanyID string   `yaml:"company_id"`
	Phones    NameList `yaml:"phones"`
	Emails    NameList `yaml:"emails"`
	Owner     string   `yaml:"owner"`
	JobTitle  string   `yaml:"job_title"`
}

// Column is one configured column and where it sits in the block.
type Column struct {
	Name string // as written, trimmed; "" when not set
	Path string // "columns.phones.1"
}

// Set reports whether the column was written.
func (c Column) Set() bool { return c.Name != "" }

// ContactMap is a validated ContactColumns.
type ContactMap struct {
	ID, FirstName, LastName, Name, Company, CompanyID, Owner, JobTitle Column
	Phones, Emails                                                     []Column
}

// Map validates the block found at base ("columns") and maps it. check,
// if set, checks every column written (trimmed, never empty): an error
// becomes a problem at the column's path with the error's text. Map also
// reports each empty phones or emails entry and a name set together with
// first_name or last_name, in that order after the checks. It does not
// require id: the connector says when a missing one matters, in its own
// words.
func (c ContactColumns) Map(base string, check func(column string) error) (ContactMap, connectors.Problems) {
	var problems connectors.Problems
	one := func(key, name string) Column {
		col := Column{Name: strings.TrimSpace(name), Path: JoinPath(base, key)}
		if col.Set() && check != nil {
			if err := check(col.Name); err != nil {
				problems = append(problems, Problemf(col.Path, "%v", err))
			}
		}
		return col
	}
	m := ContactMap{
		ID:        one("id", c.ID),
		FirstName: one("first_name", c.FirstName),
		LastName:  one("last_name", c.LastName),
		Name:      one("name", c.Name),
		Company:   one("company", c.Company),
		CompanyID: one("company_id", c.CompanyID),
		Owner:     one("owner", c.Owner),
		JobTitle:  one("job_title", c.JobTitle),
	}
	if m.Name.Set() && (m.FirstName.Set() || m.LastName.Set()) {
		problems = append(problems, Problemf(JoinPath(base, "name"),
			"set either name (a full-name column) or first_name/last_name, not both: remove one"))
	}
	var more connectors.Problems
	m.Phones, more = ColumnList(JoinPath(base, "phones"), c.Phones, check)
	problems = append(problems, more...)
	m.Emails, more = ColumnList(JoinPath(base, "emails"), c.Emails, check)
	problems = append(problems, more...)
	return m, problems
}

// ColumnList validates a list of columns found at path ("columns.phones"):
// an empty entry is a problem at its index ("columns.phones.1"), and check,
// if set, checks every other entry as Map does.
func ColumnList(path string, names NameList, check func(column string) error) ([]Column, connectors.Problems) {
	var (
		out      []Column
		problems connectors.Problems
	)
	for i, n := range names {
		col := Column{Name: strings.TrimSpace(n), Path: JoinPath(path, i)}
		if !col.Set() {
			problems = append(problems, Problemf(col.Path, "empty column name: remove the entry or name a column"))
			continue
		}
		if check != nil {
			if err := check(col.Name); err != nil {
				problems = append(problems, Problemf(col.Path, "%v", err))
			}
		}
		out = append(out, col)
	}
	return out, problems
}
