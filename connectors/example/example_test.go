package example_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/switchboard-hq/switchboard/connectors"
	"github.com/switchboard-hq/switchboard/connectors/connectortest"
	"github.com/switchboard-hq/switchboard/connectors/example"
)

// TestConformance runs the conformance suite against the example
// connector, its writes on: this is the test a new connector copies.
func TestConformance(t *testing.T) {
	connectortest.Run(t, connectortest.Suite{
		New:       func() connectors.Connector { return example.New(nil) },
		NewLogged: example.New, // lookup_by_key: the suite checks the logs hold no value looked for
		Fixture:   fixture,
		CountLogs: countLogs,
		Mutate:    mutate,
		// No Faults: a local file cannot refuse credentials, rate limit
		// or be unreachable; the suite skips those checks, saying so.
		BadConfigs: []connectortest.BadConfig{
			{Name: "missing_path", Config: []byte("{}\n"), Path: "path"},
			{Name: "path_not_a_string", Config: []byte("path: [a, b]\n"), Path: "path"},
			{Name: "one_file_for_both_writes", Config: []byte("path: crm.json\nlog_file: w.jsonl\nnew_contacts_file: w.jsonl\n"), Path: "new_contacts_file"},
		},
	})
}

// fixture writes the records as the connector's JSON file and returns a
// block naming it, with both writes on (their files beside it, made at
// Configure). Phones go in raw, as a CRM would hold them: the connector
// normalises them itself.
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
	dir := t.TempDir()
	path := filepath.Join(dir, "crm.json")
	if err := os.WriteFile(path, raw, 0o644); err != nil {
		t.Fatal(err)
	}
	return []byte(fmt.Sprintf("path: %q\nlog_file: %q\nnew_contacts_file: %q\n",
		path, filepath.Join(dir, "calls.jsonl"), filepath.Join(dir, "new-contacts.jsonl")))
}

// mutate rewrites the JSON file with the changed records (ch.After) and
// configures the connector again: it reads the file only at Configure.
func mutate(t testing.TB, config []byte, ch connectortest.Change) {
	t.Helper()
	var cfg struct {
		Path string `yaml:"path"`
	}
	if err := yaml.Unmarshal(config, &cfg); err != nil {
		t.Fatal(err)
	}
	contacts := make([]connectors.Contact, len(ch.After.Contacts))
	for i, c := range ch.After.Contacts {
		c.Phones = append([]connectors.Phone(nil), c.Phones...)
		for j := range c.Phones {
			c.Phones[j].E164 = ""
		}
		contacts[i] = c
	}
	raw, err := json.Marshal(map[string]any{"companies": ch.After.Companies, "contacts": contacts})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(cfg.Path, raw, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := ch.Reconfigure(); err != nil {
		t.Fatalf("configure again after the change: %v", err)
	}
}

// countLogs counts the lines of the block's log_file with the key.
func countLogs(t testing.TB, config []byte, key string) int {
	t.Helper()
	var cfg struct {
		LogFile string `yaml:"log_file"`
	}
	if err := yaml.Unmarshal(config, &cfg); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(cfg.LogFile)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	n := 0
	for sc := bufio.NewScanner(f); sc.Scan(); {
		var line struct{ Key string }
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
			t.Fatalf("%s: %v", cfg.LogFile, err)
		}
		if line.Key == key {
			n++
		}
	}
	return n
}
