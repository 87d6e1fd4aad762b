package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestE2EDoctorExample runs `switchboard doctor` on configs/example.yaml:
// the sample's "call me maybe" (which the CSV connector drops while
// loading, logging why) is named with its place and reason, the number
// C007 and C008 share is named with their common company, the UK mobile
// read without a country is a warning; exit 1 for the unreadable number.
// -json carries the same findings; -limit 0 keeps only the totals.
func TestE2EDoctorExample(t *testing.T) {
	cli(t, nil, "doctor", "-config", exampleConfig(t)).
		mustExit(1).
		stdoutHas(
			"customers  csv ", "1 unreadable phone numbers dropped",
			"Unreadable numbers: 1", `customers sample/customers.csv:11  Phone "call me maybe": it has letters`,
			"National-only numbers: 1", `contact:C002 Charles Babbage  Mobile "07700 900123" → national 7700900123`,
			"Shared numbers: 1", "customers +442079460999  2 records, common company CO-5",
			`contact:C007 Front Desk  Phone "+44 20 7946 0999"`, `contact:C008 Back Office  Phone "020 7946 0999"`,
			"external_id collisions in the sync: none",
			"Routing rules read: record.balance (vip); record.manager_ext (account-manager)",
			"Records without a value a rule reads: none",
			"1 problem(s), 2 warning(s)")

	r := cli(t, nil, "doctor", "-config", exampleConfig(t), "-json").mustExit(1)
	var rep struct {
		Sources []struct {
			Name     string `json:"name"`
			Contacts int    `json:"contacts"`
		} `json:"sources"`
		Unreadable struct {
			Total int `json:"total"`
			Items []struct {
				Where, Field, Raw, Why string
			} `json:"items"`
		} `json:"unreadable_numbers"`
		Shared struct {
			Items []struct {
				Number        string `json:"number"`
				CommonCompany string `json:"common_company"`
				Records       []struct {
					ID string `json:"id"`
				} `json:"records"`
			} `json:"items"`
		} `json:"shared_numbers"`
		Problems int `json:"problems"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("%v:\n%s", err, r.stdout)
	}
	if len(rep.Sources) != 1 || rep.Sources[0].Contacts != 10 || rep.Problems != 1 ||
		rep.Unreadable.Total != 1 || rep.Unreadable.Items[0].Raw != "call me maybe" || rep.Unreadable.Items[0].Field != "Phone" ||
		len(rep.Shared.Items) != 1 || rep.Shared.Items[0].Number != "+442079460999" || rep.Shared.Items[0].CommonCompany != "CO-5" ||
		len(rep.Shared.Items[0].Records) != 2 || rep.Shared.Items[0].Records[1].ID != "C008" {
		t.Errorf("JSON report: %+v\n%s", rep, r.stdout)
	}

	cli(t, nil, "doctor", "-config", exampleConfig(t), "-limit", "0").
		mustExit(1).
		stdoutHas("Unreadable numbers: 1", "... and 1 more (-limit to see more)")
}

// TestE2EDoctorClean: a CSV with clean, distinct numbers passes (exit 0);
// collisions and a rule's missing owner fail it (exit 1).
func TestE2EDoctorClean(t *testing.T) {
	dir := t.TempDir()
	csv := func(name, body string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	config := func(csvName string) string {
		return writeConfig(t, dir, strings.TrimSuffix(csvName, ".csv")+".yaml", `
phone:
  default_region: GB
plugins:
  dir: ${SB_PLUGIN_DIR}
connectors:
  - name: crm
    plugin: csv
    mode: index
    config:
      path: `+csvName+`
      columns:
        id: ID
        first_name: Name
        company: Company
        phones: [Phone]
        owner: Owner
routing:
  default:
    hipcall: "1000"
  rules:
    - name: owned
      when: found && record.owner != ""
      to:
        hipcall: "1001"
`)
	}
	csv("clean.csv", "ID,Name,Company,Phone,Owner\nA1,Ada,X,+44 20 4520 5757,u-1\nA2,Bob,Y,020 7946 0018,u-2\n")
	cli(t, nil, "doctor", "-config", config("clean.csv")).
		mustExit(0).
		stdoutHas("Unreadable numbers: none", "Shared numbers: none", "external_id collisions in the sync: none",
			"Routing rules read: record.owner (owned)", "0 problem(s), 0 warning(s)")

	csv("dirty.csv", "ID,Name,Company,Phone,Owner\nA1,Ada,X,+44 20 4520 5757,u-1\na1,Bob,Y,020 4520 5757,\n")
	cli(t, nil, "doctor", "-config", config("dirty.csv")).
		mustExit(1).
		stdoutHas(`contacts "A1": 2 records, external_ids that differ only in letter case (warning)`,
			"crm +442045205757  2 records, no common company", "crm contact:a1 Bob  no record.owner (rules owned)",
			"2 problem(s), 1 warning(s)")
}

// TestE2EDoctorUsage: bad flags and configurations exit 2.
func TestE2EDoctorUsage(t *testing.T) {
	cli(t, nil, "doctor", "-config", exampleConfig(t), "-limit", "-1").mustExit(2).stderrHas("-limit must be 0 or more")
	cli(t, nil, "doctor", "-config", exampleConfig(t), "extra").mustExit(2).stderrHas("Usage: switchboard doctor")
	cli(t, nil, "doctor", "-config", filepath.Join(t.TempDir(), "missing.yaml")).mustExit(2)
}
