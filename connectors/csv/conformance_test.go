package csv_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/hashicorp/go-hclog"
	"go.yaml.in/yaml/v3"

	"github.com/switchboard-hq/switchboard/connectors"
	"github.com/switchboard-hq/switchboard/connectors/connectortest"
	"github.com/switchboard-hq/switchboard/connectors/csv"
)

// TestConformance runs the connector contract's conformance suite against
// the CSV connector, over the real plugin wire.
func TestConformance(t *testing.T) {
	connectortest.Run(t, connectortest.Suite{
		New:       func() connectors.Connector { return csv.New(nil) },
		NewLogged: csv.New,
		Fixture:   csvFixture,
		BadConfigs: []connectortest.BadConfig{
			{Name: "missing_path", Config: []byte("columns: {id: id}\n"), Path: "path"},
			{Name: "missing_id_column", Config: []byte("path: x.csv\ncolumns: {first_name: first_name}\n"), Path: "columns.id"},
			{Name: "bad_encoding", Config: []byte("path: x.csv\nencoding: utf-9\ncolumns: {id: id}\n"), Path: "encoding"},
			{Name: "phones_not_a_list", Config: []byte("path: x.csv\ncolumns: {id: id, phones: {a: 1}}\n"), Path: "columns.phones"},
		},
		MaxPageSize: 5000,
		Mutate:      csvMutate,
		// No Faults: a local file cannot refuse credentials, rate limit
		// or be unreachable; the suite skips those checks, saying so.
	})
}

// csvMutate rewrites the CSV file with the changed records (ch.After)
// and configures the connector again (the fixture turns polling off;
// the poller has tests of its own).
func csvMutate(t testing.TB, config []byte, ch connectortest.Change) {
	t.Helper()
	var cfg struct {
		Path string `yaml:"path"`
	}
	if err := yaml.Unmarshal(config, &cfg); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := ch.After.WriteCSV(&buf); err != nil {
		t.Fatal(err)
	}
	// Write beside and rename, as an export tool does.
	tmp := cfg.Path + ".tmp"
	if err := os.WriteFile(tmp, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, cfg.Path); err != nil {
		t.Fatal(err)
	}
	if err := ch.Reconfigure(); err != nil {
		t.Fatalf("configure again after the change: %v", err)
	}
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
	block := fmt.Sprintf(`path: %q
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
`, path)
	if keys := data.KeyFields(); len(keys) > 0 { // the lookup_by_key check's: WriteCSV wrote their columns
		block += "fields:\n"
		for _, k := range keys {
			block += fmt.Sprintf("  %s: {column: %s}\n", k, k)
		}
	}
	return []byte(block)
}

// listedOnly is the CSV connector configured as the host configures a
// connector in mode: index (ConfigureRequest.ListedOnly).
type listedOnly struct {
	*csv.Connector
}

func (l listedOnly) Configure(ctx context.Context, req *connectors.ConfigureRequest) (*connectors.ConfigureResponse, error) {
	r := *req
	r.ListedOnly = true
	return l.Connector.Configure(ctx, &r)
}

func newListedOnly(logger hclog.Logger) connectors.Connector {
	return listedOnly{csv.New(logger).(*csv.Connector)}
}

// TestConformanceListedOnly runs the suite against the listed-only mode:
// listings streamed from the file, lookups from a load on first use.
func TestConformanceListedOnly(t *testing.T) {
	connectortest.Run(t, connectortest.Suite{
		New:       func() connectors.Connector { return newListedOnly(nil) },
		NewLogged: newListedOnly,
		Fixture:   csvFixture,
		BadConfigs: []connectortest.BadConfig{
			{Name: "missing_path", Config: []byte("columns: {id: id}\n"), Path: "path"},
			{Name: "missing_id_column", Config: []byte("path: x.csv\ncolumns: {first_name: first_name}\n"), Path: "columns.id"},
		},
		MaxPageSize: 5000,
		// No Mutate: paging_under_change wants a listing to go on across
		// a change of the backend, and a listed-only listing fails
		// instead (it reads the file page by page and never mixes two
		// versions; the host lists again). TestStreamFileChangedMidListing
		// checks that failure.
	})
}
