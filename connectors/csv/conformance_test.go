package csv_test

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/switchboard-hq/switchboard/connectors"
	"github.com/switchboard-hq/switchboard/connectors/connectortest"
	"github.com/switchboard-hq/switchboard/connectors/csv"
)

// TestConformance runs the connector contract's conformance suite against
// the CSV connector, over the real plugin wire.
func TestConformance(t *testing.T) {
	connectortest.Run(t, connectortest.Suite{
		New:     func() connectors.Connector { return csv.New(nil) },
		Fixture: csvFixture,
		BadConfigs: []connectortest.BadConfig{
			{Name: "missing_path", Config: []byte("columns: {id: id}\n"), Path: "path"},
			{Name: "missing_id_column", Config: []byte("path: x.csv\ncolumns: {first_name: first_name}\n"), Path: "columns.id"},
			{Name: "bad_encoding", Config: []byte("path: x.csv\nencoding: utf-9\ncolumns: {id: id}\n"), Path: "encoding"},
			{Name: "phones_not_a_list", Config: []byte("path: x.csv\ncolumns: {id: id, phones: {a: 1}}\n"), Path: "columns.phones"},
		},
		MaxPageSize: 5000,
	})
}

// csvFixture writes the records as a CSV file and returns a block mapping
// its columns.
func csvFixture(t testing.TB, data *connectortest.Records) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := data.WriteCSV(&buf); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "contacts.csv")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return []byte(fmt.Sprintf(`path: %q
reload_interval: 0s
columns:
  id: id
  first_name: first_name
  last_name: last_name
  company_id: company_id
  company: company
  phones: [phone, mobile]
  emails: [email]
  owner: owner
`, path))
}
