package main

import (
	"strings"
	"testing"
	"time"

	"github.com/switchboard-hq/switchboard/core/crmsync"
	"github.com/switchboard-hq/switchboard/core/store"
)

func TestPrintPlanAndSummary(t *testing.T) {
	plan := []crmsync.Change{
		{Resource: "companies", ExternalID: "CO-1", Action: "create", Fields: []crmsync.FieldChange{{Field: "name", New: "Acme"}}},
		{Resource: "contacts", ExternalID: "C1", Action: "update", HipcallID: 7, Fields: []crmsync.FieldChange{
			{Field: "job_title", Old: "Engineer", New: "CTO"}, {Field: "phones", Old: "+442079460000"}, {Field: "emails", New: "a@example.com"},
		}},
	}
	var b strings.Builder
	printPlan(&b, plan)
	want := `create companies/CO-1: name="Acme"
update contacts/C1 (Hipcall id 7): job_title: "Engineer" → "CTO"; phones: -"+442079460000"; emails: +"a@example.com"
`
	if b.String() != want {
		t.Errorf("plan:\n%s\nwant:\n%s", b.String(), want)
	}
	b.Reset()
	printPlan(&b, nil)
	if b.String() != "nothing to write\n" {
		t.Errorf("empty plan: %q", b.String())
	}

	b.Reset()
	printSummary(&b, &crmsync.Summary{
		Companies: crmsync.Counts{Read: 3, Created: 2, Unchanged: 1},
		Contacts:  crmsync.Counts{Read: 5, Updated: 1, Unchanged: 2, Skipped: 1, Failed: 1, Missing: 2, Adopted: 1},
		Requests:  4, Retries: 1, RateLimited: 1, Waited: 1500 * time.Millisecond, Wall: 2 * time.Second,
		Learned: []store.Resource{store.Contacts},
		Problems: []crmsync.Problem{
			{Resource: "contacts", ExternalID: "", Source: "crm", Skipped: true, Err: "its external_id is empty"},
			{Resource: "contacts", ExternalID: "C9", Source: "crm", Err: "first_name is empty"},
		},
		MissingIDs: []string{"contacts/C7", "contacts/C8"},
	})
	want = `sync finished in 2s
             read  created  updated  unchanged  skipped  failed  missing  adopted
  companies     3        2        0          1        0       0        0        0
   contacts     5        0        1          2        1       1        2        1
requests: 4 (1 retries), 429s: 1, wall time: 2s, of which waiting for the rate limit or a retry: 1.5s
listed Hipcall's contacts to match records by external_id
problems:
  skipped contacts/"" (connector crm): its external_id is empty
  failed contacts/C9 (connector crm): first_name is empty
no longer in the CRM (left in Hipcall): contacts/C7, contacts/C8
`
	if b.String() != want {
		t.Errorf("summary:\n%s\nwant:\n%s", b.String(), want)
	}
}
