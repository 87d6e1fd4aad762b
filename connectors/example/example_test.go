package example_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/switchboard-hq/switchboard/connectors"
	"github.com/switchboard-hq/switchboard/connectors/connectortest"
	"github.com/switchboard-hq/switchboard/connectors/example"
)

// TestConformance runs the conformance suite against the example
// connector: this is the test a new connector copies.
func TestConformance(t *testing.T) {
	connectortest.Run(t, connectortest.Suite{
		New:     func() connectors.Connector { return example.New(nil) },
		Fixture: fixture,
		BadConfigs: []connectortest.BadConfig{
			{Name: "missing_path", Config: []byte("{}\n"), Path: "path"},
			{Name: "path_not_a_string", Config: []byte("path: [a, b]\n"), Path: "path"},
		},
	})
}

// fixture writes the records as the connector's JSON file and returns a
// block naming it. Phones go in raw, as a CRM would hold them: the
// connector normalises them itself.
func fixture(t testing.TB, data *connectortest.Records) []byte {
	t.Helper()
	contacts := make([]connectors.Contact, len(data.Contacts))
	for i, c := range data.Contacts {
		c.Phones = append([]connectors.Phone(nil), c.Phones...)
		for j := range c.Phones {
			c.Phones[j].E164 = ""
		}
		contacts[i] = c
	}
	raw, err := json.Marshal(map[string]any{"companies": data.Companies, "contacts": contacts})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "crm.json")
	if err := os.WriteFile(path, raw, 0o644); err != nil {
		t.Fatal(err)
	}
	return []byte(fmt.Sprintf("path: %q\n", path))
}
