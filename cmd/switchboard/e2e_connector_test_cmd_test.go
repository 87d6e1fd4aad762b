package main

import (
	"testing"
)

// TestE2EConnectorTest runs `switchboard connector test` against the
// example configuration's CSV connector: the sample, the paging walk and
// the lookups are printed, every verdict passes, exit 0.
func TestE2EConnectorTest(t *testing.T) {
	cli(t, nil, "connector", "test", "customers", "-config", exampleConfig(t)).
		mustExit(0).
		stdoutHas(
			`connector "customers" (csv plugin`, "nothing is written to the CRM",
			"Describe: csv ", "Check: 10 records",
			"contacts: sample of the first page", "contact:C001  Ada Lovelace", `"+44 20 4520 5757" → +442045205757`,
			"paging: 1 pages, 10 records, 0 duplicates",
			"lookups", "exact    contact:C001  Ada Lovelace", "(phone.Match: exact)",
			"PASS  paging/contacts", "PASS  lookup/+442045205757", "\nPASS\n")
	// A number given on the command line, nobody's: no match, still a pass.
	cli(t, nil, "connector", "test", "customers", "-config", exampleConfig(t), "-number", "+447700900999").
		mustExit(0).
		stdoutHas("+447700900999 → E.164 \"+447700900999\"", "0 match(es)")
}

// TestE2EConnectorTestWrongMapping maps the phones to the email column:
// no sampled number reads as a number, the check fails saying so, exit 1.
func TestE2EConnectorTestWrongMapping(t *testing.T) {
	cfg := writeConfig(t, t.TempDir(), "wrong.yaml", `
phone:
  default_region: GB
plugins:
  dir: ${SB_PLUGIN_DIR}
connectors:
  - name: customers
    plugin: csv
    mode: live
    config:
      path: {{root}}/configs/sample/customers.csv
      columns:
        id: CustomerID
        first_name: FirstName
        phones: [Email]
`)
	cli(t, nil, "connector", "test", "customers", "-config", cfg).
		mustExit(1).
		stdoutHas("FAIL  phones", "check the connector's phone mapping", "FAIL  lookup", "\nFAIL\n")
}

// TestE2EConnectorTestUnknown names a connector the config does not have.
func TestE2EConnectorTestUnknown(t *testing.T) {
	cli(t, nil, "connector", "test", "nobody", "-config", exampleConfig(t)).
		mustExit(2).
		stderrHas(`no connector "nobody"`, "it has: customers")
}
