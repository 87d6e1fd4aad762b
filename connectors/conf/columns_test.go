package conf

import (
	"errors"
	"reflect"
	"testing"

	"github.com/switchboard-hq/switchboard/connectors"
)

func TestContactColumnsMap(t *testing.T) {
	type block struct {
		Columns struct {
			ContactColumns `yaml:",inline"`
			UpdatedAt      string `yaml:"updated_at"`
		} `yaml:"columns"`
	}
	var b block
	if ps := Decode([]byte("columns: {id: ' id ', name: n, first_name: f, phones: [p1, ' '], emails: e, updated_at: u}\n"), &b); len(ps) != 0 {
		t.Fatalf("Decode: %v", ps)
	}
	check := func(col string) error {
		if col == "p1" {
			return errors.New("no such column p1")
		}
		return nil
	}
	m, problems := b.Columns.Map("columns", check)
	if m.ID != (Column{Name: "id", Path: "columns.id"}) || m.LastName.Set() || b.Columns.UpdatedAt != "u" {
		t.Errorf("map = %+v", m)
	}
	if want := []Column{{Name: "p1", Path: "columns.phones.0"}}; !reflect.DeepEqual(m.Phones, want) {
		t.Errorf("phones = %+v, want %+v", m.Phones, want)
	}
	if want := []Column{{Name: "e", Path: "columns.emails.0"}}; !reflect.DeepEqual(m.Emails, want) {
		t.Errorf("emails = %+v, want %+v", m.Emails, want)
	}
	want := connectors.Problems{
		{Path: "columns.name", Message: "set either name (a full-name column) or first_name/last_name, not both: remove one"},
		{Path: "columns.phones.0", Message: "no such column p1"},
		{Path: "columns.phones.1", Message: "empty column name: remove the entry or name a column"},
	}
	if !reflect.DeepEqual(problems, want) {
		t.Errorf("problems:\n%v\nwant:\n%v", problems, want)
	}
}
