package connectortest_test

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

// The conformance test of a connector, here connectors/example's: one call
// to Run in a Test function of the connector's package, with a Fixture
// that loads the standard dataset into a fresh backend (a JSON file). Run
// needs the test's *testing.T, so this example only shows the test; it is
// run for real by connectors/example's TestConformance.
func Example() {
	TestConformance := func(t *testing.T) {
		connectortest.Run(t, connectortest.Suite{
			New: func() connectors.Connector { return example.New(nil) },
			Fixture: func(t testing.TB, data *connectortest.Records) []byte {
				// Phones go in raw, as a CRM holds them: the connector
				// normalises them itself.
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
			},
			BadConfigs: []connectortest.BadConfig{
				{Name: "missing_path", Config: []byte("{}\n"), Path: "path"},
			},
		})
	}
	_ = TestConformance
}

// The standard dataset every fixture loads.
func ExampleDataset() {
	data := connectortest.Dataset()
	fmt.Println(len(data.Companies), "companies,", len(data.Contacts), "contacts, region", connectortest.Region)
	// Output: 4 companies, 15 contacts, region GB
}
