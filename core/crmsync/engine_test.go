package crmsync_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/switchboard-hq/switchboard/connectors"
	"github.com/switchboard-hq/switchboard/core/crmsync"
	"github.com/switchboard-hq/switchboard/core/fakehipcall"
	"github.com/switchboard-hq/switchboard/core/hipcall"
	"github.com/switchboard-hq/switchboard/core/store"
)

func ptr[T any](v T) *T { return &v }

func TestFirstSyncIntoEmptyHipcallThenNothing(t *testing.T) {
	for _, pg := range []bool{false, true} {
		name := "sqlite"
		if pg {
			name = "postgres"
		}
		t.Run(name, func(t *testing.T) {
			e := newEnv(t, newCRM(120, 250), envOptions{postgres: pg})
			eng := e.engine()
			sum, counts := e.run(eng, crmsync.RunOptions{})
			// One listing request per resource (Hipcall is empty), one POST a record.
			want := map[string]int{"GET /companies": 1, "POST /companies": 120, "GET /contacts": 1, "POST /contacts": 250}
			for route, n := range want {
				if counts[route] != n {
					t.Errorf("%s: %d requests, want %d (all: %v)", route, counts[route], n, counts)
				}
			}
			if len(counts) != len(want) {
				t.Errorf("requests %v, want only %v", counts, want)
			}
			if sum.Companies.Created != 120 || sum.Contacts.Created != 250 || sum.Failed() != 0 {
				t.Errorf("summary %+v", sum)
			}
			if sum.Requests != 372 {
				t.Errorf("summary counts %d requests, want 372", sum.Requests)
			}
			e.checkMirror()
			// Owners map to Hipcall users; phones are E.164 with a region.
			c := e.fake.Contacts()[0]
			if c.AssignToUserID == nil || *c.AssignToUserID != 42 {
				t.Errorf("assign_to_user_id = %v, want 42", c.AssignToUserID)
			}
			// 07911 numbers are Guernsey's: the region is the number's own.
			if len(c.Phones) != 1 || c.Phones[0].Country != "GG" || !strings.HasPrefix(c.Phones[0].Number, "+447911") {
				t.Errorf("phones = %+v, want one +447911... with country GG", c.Phones)
			}

			// A second run with nothing changed sends nothing at all.
			sum, counts = e.run(eng, crmsync.RunOptions{})
			if len(counts) != 0 || sum.Requests != 0 {
				t.Errorf("unchanged re-run made requests: %v", counts)
			}
			if sum.Companies.Unchanged != 120 || sum.Contacts.Unchanged != 250 {
				t.Errorf("re-run summary %+v", sum)
			}
			runs, err := e.store.Runs(context.Background(), 5)
			if err != nil || len(runs) != 2 || runs[0].Status != store.RunDone || runs[1].Counts["contacts.created"] != 250 {
				t.Errorf("runs in the store = %+v, %v", runs, err)
			}
		})
	}
}

func TestChangedRecordsCostOnePatchEach(t *testing.T) {
	e := newEnv(t, newCRM(50, 300), envOptions{})
	eng := e.engine()
	e.run(eng, crmsync.RunOptions{})

	// 1% of the contacts change a scalar field; one company changes name.
	for i := 0; i < 3; i++ {
		e.crm.contacts[i*100].JobTitle = "CTO"
	}
	e.crm.companies[7].Name = "Renamed Ltd"
	sum, counts := e.run(eng, crmsync.RunOptions{})
	if counts["PATCH /contacts/{id}"] != 3 || counts["PATCH /companies/{id}"] != 1 || writes(counts) != 4 || len(counts) != 2 {
		t.Errorf("requests %v, want 3 contact PATCHes and 1 company PATCH only", counts)
	}
	if sum.Contacts.Updated != 3 || sum.Contacts.Unchanged != 297 || sum.Companies.Updated != 1 {
		t.Errorf("summary %+v", sum)
	}
	// The PATCH carries only the changed field.
	for _, r := range e.fake.Requests() {
		if r.Route == "PATCH /contacts/{id}" && string(r.Body) != `{"job_title":"CTO"}` {
			t.Errorf("PATCH body %s, want only the job title", r.Body)
		}
	}
	e.checkMirror()

	// A phone replaced and an email added: one DELETE, one POST each.
	c := e.crm.contact("C0010")
	c.Phones = []connectors.Phone{{Raw: "+44 7700 900999"}}
	c.Emails = append(c.Emails, "second@example.com")
	_, counts = e.run(eng, crmsync.RunOptions{})
	want := map[string]int{"DELETE /contacts/{id}/phones/{number}": 1, "POST /contacts/{id}/phones": 1, "POST /contacts/{id}/emails": 1}
	if fmt.Sprint(counts) != fmt.Sprint(want) {
		t.Errorf("requests %v, want %v", counts, want)
	}
	e.checkMirror()
	for _, hc := range e.fake.Contacts() {
		if *hc.ExternalID == "C0010" && (len(hc.Phones) != 1 || hc.Phones[0].Number != "+447700900999") {
			t.Errorf("C0010's phones = %+v", hc.Phones)
		}
	}
	// Nothing changed since: no request.
	if _, counts = e.run(eng, crmsync.RunOptions{}); len(counts) != 0 {
		t.Errorf("re-run made requests: %v", counts)
	}
}

func TestFirstSyncIntoPopulatedHipcall(t *testing.T) {
	e := newCRM(30, 0)
	env := newEnv(t, e, envOptions{})
	// Hipcall already has 20 of the 30 companies: 15 identical, 5 with an
	// old name. One more has no external id and is not ours.
	for i := range 20 {
		c := e.companies[i]
		name := c.Name
		if i >= 15 {
			name = "Old name"
		}
		n, _ := env.parser.Parse(c.Phones[0].Raw)
		env.fake.AddCompany(hipcall.Company{Name: name, ExternalID: ptr(c.ID), WebsiteURL: c.Website,
			Phones: []hipcall.Phone{{Country: "GB", Number: n.E164, Order: 1}}})
	}
	env.fake.AddCompany(hipcall.Company{Name: "Someone else's"})
	eng := env.engine(func(o *crmsync.Options) { o.Contacts.Enabled = false })
	sum, counts := env.run(eng, crmsync.RunOptions{})
	want := map[string]int{"GET /companies": 1, "POST /companies": 10, "PATCH /companies/{id}": 5}
	if fmt.Sprint(counts) != fmt.Sprint(want) {
		t.Errorf("requests %v, want %v", counts, want)
	}
	if sum.Companies.Adopted != 20 || sum.Companies.Created != 10 || sum.Companies.Updated != 5 || sum.Companies.Unchanged != 15 {
		t.Errorf("summary %+v", sum.Companies)
	}
	env.checkMirror()
	if n := len(env.fake.Companies()); n != 31 {
		t.Errorf("Hipcall has %d companies, want 31", n)
	}
	if _, counts = env.run(eng, crmsync.RunOptions{}); len(counts) != 0 {
		t.Errorf("re-run made requests: %v", counts)
	}
}

func TestLearningPaysOnlyForManyUnknowns(t *testing.T) {
	env := newEnv(t, newCRM(250, 0), envOptions{})
	eng := env.engine(func(o *crmsync.Options) { o.Contacts.Enabled = false })
	env.run(eng, crmsync.RunOptions{})
	// Two new records: a POST each, no listing (3 pages would cost more).
	env.crm.companies = append(env.crm.companies, connectors.Company{ID: "N1", Name: "New 1"}, connectors.Company{ID: "N2", Name: "New 2"})
	_, counts := env.run(eng, crmsync.RunOptions{})
	if fmt.Sprint(counts) != fmt.Sprint(map[string]int{"POST /companies": 2}) {
		t.Errorf("requests %v, want 2 POSTs", counts)
	}
	// Ten new ones: listing (3 pages) is cheaper than risking 3 requests each.
	for i := range 10 {
		env.crm.companies = append(env.crm.companies, connectors.Company{ID: fmt.Sprintf("M%d", i), Name: "More"})
	}
	sum, counts := env.run(eng, crmsync.RunOptions{})
	if counts["GET /companies"] != 3 || counts["POST /companies"] != 10 {
		t.Errorf("requests %v, want 3 list pages and 10 POSTs", counts)
	}
	if len(sum.Learned) != 1 {
		t.Errorf("summary says learned %v", sum.Learned)
	}
	env.checkMirror()
}

// TestRaceCreatedBehindOurBack: between the learning pass and the POST,
// another job creates the record: the POST gets 422, the engine looks the
// record up and PATCHes it, and no duplicate appears.
func TestRaceCreatedBehindOurBack(t *testing.T) {
	var fake atomic.Pointer[fakehipcall.Server]
	var raced atomic.Bool
	env := newEnv(t, newCRM(5, 0), envOptions{wrap: func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/companies") && raced.CompareAndSwap(false, true) {
				fake.Load().AddCompany(hipcall.Company{Name: "Made by another job", ExternalID: ptr("CO-3")})
			}
			h.ServeHTTP(w, r)
		})
	}})
	fake.Store(env.fake)
	eng := env.engine(func(o *crmsync.Options) { o.Contacts.Enabled = false; o.Concurrency = 1 })
	sum, counts := env.run(eng, crmsync.RunOptions{})
	if sum.Failed() != 0 {
		t.Fatalf("failures: %+v", sum.Problems)
	}
	// CO-1's POST triggered the other job's CO-3; CO-3's POST then got 422.
	want := map[string]int{"GET /companies": 1, "POST /companies": 5, "GET /companies/by-external-id/{external_id}": 1, "PATCH /companies/{id}": 1}
	if fmt.Sprint(counts) != fmt.Sprint(want) {
		t.Errorf("requests %v, want %v", counts, want)
	}
	env.checkMirror()
	if sum.Companies.Adopted != 1 || sum.Companies.Created != 4 || sum.Companies.Updated != 1 {
		t.Errorf("summary %+v", sum.Companies)
	}
}

func TestRecordDeletedInHipcall(t *testing.T) {
	env := newEnv(t, newCRM(3, 4), envOptions{})
	eng := env.engine()
	env.run(eng, crmsync.RunOptions{})
	// A user deletes a contact and a company in Hipcall; both change in the CRM.
	var contactID, companyID int64
	for _, c := range env.fake.Contacts() {
		if *c.ExternalID == "C0002" {
			contactID = c.ID
		}
	}
	for _, c := range env.fake.Companies() {
		if *c.ExternalID == "CO-3" {
			companyID = c.ID
		}
	}
	env.fake.RemoveContact(contactID)
	env.fake.RemoveCompany(companyID)
	env.crm.contact("C0002").JobTitle = "Boss"
	env.crm.companies[2].Name = "CO-3 renamed"
	sum, counts := env.run(eng, crmsync.RunOptions{})
	if sum.Failed() != 0 {
		t.Fatalf("failures: %+v", sum.Problems)
	}
	// PATCH → 404 → lookup → 404 → POST, for each; and C0003, whose
	// company was recreated under a new id, gets a PATCH of its company_id.
	want := map[string]int{"PATCH /companies/{id}": 1, "GET /companies/by-external-id/{external_id}": 1, "POST /companies": 1,
		"PATCH /contacts/{id}": 2, "GET /contacts/by-external-id/{external_id}": 1, "POST /contacts": 1}
	if fmt.Sprint(counts) != fmt.Sprint(want) {
		t.Errorf("requests %v, want %v", counts, want)
	}
	env.checkMirror()
	// --full finds a record deleted in Hipcall even when it did not change.
	for _, c := range env.fake.Contacts() {
		if *c.ExternalID == "C0003" {
			env.fake.RemoveContact(c.ID)
		}
	}
	sum, counts = env.run(eng, crmsync.RunOptions{Full: true})
	if counts["POST /contacts"] != 1 || sum.Contacts.Created != 1 || counts["PATCH /contacts/{id}"] != 0 {
		t.Errorf("--full: requests %v, summary %+v", counts, sum.Contacts)
	}
	env.checkMirror()
}

// TestLostAnswers: POSTs whose answers are lost (a timeout after they
// reached Hipcall, a 500, a 201 without the record) are looked up before
// being sent again.
func TestLostAnswers(t *testing.T) {
	env := newEnv(t, newCRM(6, 0), envOptions{client: hipcall.Options{Timeout: 150 * time.Millisecond}})
	// The first POST is held past the client's timeout, then applied; the
	// second is answered 500 without being applied.
	env.fake.Script("POST /companies", fakehipcall.Fault{Delay: 400 * time.Millisecond})
	env.fake.Script("POST /companies", fakehipcall.Fault{Status: 500})
	// The third is answered 201 without the record (a broken proxy).
	env.fake.Script("POST /companies", fakehipcall.Fault{Status: 201, Body: `{"data":{}}`})
	eng := env.engine(func(o *crmsync.Options) { o.Contacts.Enabled = false; o.Concurrency = 1 })
	sum, counts := env.run(eng, crmsync.RunOptions{})
	if sum.Failed() != 0 {
		t.Fatalf("failures: %+v", sum.Problems)
	}
	if counts["GET /companies/by-external-id/{external_id}"] != 3 {
		t.Errorf("requests %v, want 3 lookups", counts)
	}
	// The held POST lands eventually; it must not make a duplicate.
	deadline := time.Now().Add(5 * time.Second)
	for env.fake.PendingFaults() > 0 || countStatus(env.fake, "POST /companies", 0) > 0 {
		if time.Now().After(deadline) {
			t.Fatal("the held POST never finished")
		}
		time.Sleep(10 * time.Millisecond) // polling
	}
	env.checkMirror()
}

func countStatus(f *fakehipcall.Server, route string, status int) int {
	n := 0
	for _, r := range f.Requests() {
		if r.Route == route && r.Status == status {
			n++
		}
	}
	return n
}

func TestRateLimitStormAndServerErrors(t *testing.T) {
	clock := fakehipcall.NewClock(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
	env := newEnv(t, newCRM(40, 60), envOptions{
		fake:   fakehipcall.Options{RateLimit: 25, Now: clock.Now, RetryAfter: true},
		client: hipcall.Options{Now: clock.Now, Sleep: clock.Sleep, MaxRetries: 20},
	})
	env.fake.FailN("PATCH /contacts/{id}", 2, 503)
	env.fake.FailN("GET /contacts", 2, 502)
	env.fake.Fail("POST /contacts", 500)
	// The client paces itself by the x-ratelimit headers, so 429s come
	// from requests racing past them; script two so the test does not
	// depend on that race.
	env.fake.TooManyRequests("POST /companies", "")
	env.fake.TooManyRequests("POST /contacts", "30")
	eng := env.engine(func(o *crmsync.Options) { o.Concurrency = 4; o.Now = clock.Now })
	sum, _ := env.run(eng, crmsync.RunOptions{})
	if sum.Failed() != 0 {
		t.Fatalf("failures: %+v", sum.Problems)
	}
	if sum.RateLimited == 0 || sum.Waited < time.Minute {
		t.Errorf("summary: %d 429s, waited %s; want a storm of 429s and minutes waited", sum.RateLimited, sum.Waited)
	}
	env.checkMirror()
	env.crm.contacts[5].JobTitle = "Changed"
	sum, counts := env.run(eng, crmsync.RunOptions{})
	if sum.Failed() != 0 || counts["PATCH /contacts/{id}"] != 3 {
		t.Errorf("PATCH with two 503s: requests %v, failures %+v", counts, sum.Problems)
	}
	env.checkMirror()
}

func TestRecordProblems(t *testing.T) {
	c := newCRM(2, 0)
	c.contacts = []connectors.Contact{
		{ID: "ok", FirstName: "Ok"},
		{ID: "  ", FirstName: "No id"},
		{ID: strings.Repeat("x", 256), FirstName: "Long id"},
		{ID: "dup", FirstName: "First"},
		{ID: " dup ", FirstName: "Second"}, // the same id once trimmed, as Hipcall would
		{ID: "noname"},
		{ID: "phones", FirstName: "Many", Phones: []connectors.Phone{
			{Raw: "+44 7700 900001"}, {Raw: "+44 7700 900002"}, {Raw: "+44 7700 900003"}, {Raw: "+44 7700 900004"},
			{Raw: "+44 7700 900005"}, {Raw: "+44 7700 900006"}, {Raw: "+44 7700 900007"}, {Raw: "12"},
		}},
		{ID: "owner", FirstName: "Owned", OwnerID: "u-99", CompanyID: "CO-404"},
	}
	env := newEnv(t, c, envOptions{})
	eng := env.engine()
	sum, err := eng.Run(context.Background(), crmsync.RunOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ct := sum.Contacts
	if ct.Created != 4 || ct.Skipped != 1 || ct.Failed != 3 || ct.Warnings != 2 {
		t.Errorf("contacts %+v, want 4 created (ok, dup, phones, owner), 1 skipped, 3 failed, 2 with warnings", ct)
	}
	wantErrs := map[string]string{
		"":                     "external_id is empty",
		strings.Repeat("x", 5): "256 characters long",
		"dup":                  `CRM records "dup" (connector mem) and " dup " (connector mem)`,
		"noname":               "first_name is empty",
	}
	for prefix, want := range wantErrs {
		found := false
		for _, p := range sum.Problems {
			if strings.HasPrefix(strings.TrimSpace(p.ExternalID), prefix) && strings.Contains(p.Err, want) {
				found = true
			}
		}
		if !found {
			t.Errorf("no problem for %q mentioning %q in %+v", prefix, want, sum.Problems)
		}
	}
	logs := env.logText()
	for _, want := range []string{"at most 6 per contact", "is not in sync.owners", "is not synced to Hipcall"} {
		if !strings.Contains(logs, want) {
			t.Errorf("logs do not mention %q", want)
		}
	}
	for _, hc := range env.fake.Contacts() {
		if *hc.ExternalID == "phones" && len(hc.Phones) != 6 {
			t.Errorf("contact with 8 numbers has %d phones in Hipcall, want the first 6", len(hc.Phones))
		}
	}
}

func TestDryRun(t *testing.T) {
	env := newEnv(t, newCRM(3, 3), envOptions{})
	eng := env.engine()
	sum, counts := env.run(eng, crmsync.RunOptions{DryRun: true})
	if writes(counts) != 0 {
		t.Errorf("dry run wrote: %v", counts)
	}
	if len(sum.Plan) != 6 || sum.Plan[0].Action != "create" || sum.Companies.Created != 3 {
		t.Errorf("plan %+v", sum.Plan)
	}
	if recs, _ := env.store.Records(context.Background(), store.Companies); len(recs) != 0 {
		t.Errorf("dry run wrote %d records to the state", len(recs))
	}
	env.run(eng, crmsync.RunOptions{})
	env.crm.contacts[1].JobTitle = "CTO"
	env.crm.contacts[1].Emails = []string{"new@example.com"}
	sum, counts = env.run(eng, crmsync.RunOptions{DryRun: true})
	if writes(counts) != 0 || len(counts) != 0 {
		t.Errorf("dry run made requests: %v", counts)
	}
	if len(sum.Plan) != 1 {
		t.Fatalf("plan %+v, want one update", sum.Plan)
	}
	got, _ := json.Marshal(sum.Plan[0].Fields)
	want := `[{"field":"job_title","old":"Engineer","new":"CTO"},{"field":"emails","old":"c2@example.com"},{"field":"emails","new":"new@example.com"}]`
	if string(got) != want {
		t.Errorf("field changes %s, want %s", got, want)
	}
}

func TestMissingFromCRM(t *testing.T) {
	env := newEnv(t, newCRM(3, 0), envOptions{})
	eng := env.engine(func(o *crmsync.Options) { o.Contacts.Enabled = false })
	env.run(eng, crmsync.RunOptions{})
	env.crm.companies = env.crm.companies[1:]
	sum, counts := env.run(eng, crmsync.RunOptions{})
	if sum.Companies.Missing != 1 || len(sum.MissingIDs) != 1 || sum.MissingIDs[0] != "companies/CO-1" || len(counts) != 0 {
		t.Errorf("summary %+v, missing %v, requests %v", sum.Companies, sum.MissingIDs, counts)
	}
	ignore := env.engine(func(o *crmsync.Options) { o.Contacts.Enabled = false; o.OnMissing = crmsync.OnMissingIgnore })
	if sum, _ := env.run(ignore, crmsync.RunOptions{}); len(sum.MissingIDs) != 0 {
		t.Errorf("on_missing ignore still listed %v", sum.MissingIDs)
	}
}

func TestFieldMapping(t *testing.T) {
	c := newCRM(1, 1)
	c.contacts[0].Fields = map[string]any{"tier": "gold", "balance": 4250.0}
	env := newEnv(t, c, envOptions{})
	eng := env.engine(func(o *crmsync.Options) {
		o.Contacts.Fields = map[string]string{
			"custom_url":           "https://crm.example/c/{{.id}}",
			"custom_fields.tier":   "fields.tier",
			"custom_fields.amount": "balance",
			"job_title":            "", // default off
			"last_name":            "{{.last_name | printf \"%s (CRM)\"}}",
		}
		o.Companies.Fields = map[string]string{"description": "{{.name}} via Switchboard", "phones": ""}
	})
	env.run(eng, crmsync.RunOptions{})
	ct := env.fake.Contacts()[0]
	if ct.CustomURL != "https://crm.example/c/C0001" || ct.LastName != "Last (CRM)" || ct.JobTitle != "" ||
		ct.CustomFields["tier"] != "gold" || ct.CustomFields["amount"] != "4250" {
		t.Errorf("contact %+v", ct)
	}
	co := env.fake.Companies()[0]
	if co.Description != "Company 1 Ltd via Switchboard" || len(co.Phones) != 0 {
		t.Errorf("company %+v", co)
	}
	_, err := crmsync.New(crmsync.Options{Client: env.client, Store: env.store, Parser: env.parser,
		Contacts: crmsync.ResourceOptions{Enabled: true, Fields: map[string]string{"nickname": "x", "first_name": "{{.id", "external_id": ""}}})
	for _, want := range []string{`no field "nickname"`, "template for first_name", "external_id must be mapped"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("New with a bad mapping: %v, want it to mention %q", err, want)
		}
	}
}

// TestInterruptedAndResumed cancels a run midway, with writes in flight,
// then resumes with a fresh engine: nothing is duplicated or lost.
func TestInterruptedAndResumed(t *testing.T) {
	env := newEnv(t, newCRM(10, 200), envOptions{fake: fakehipcall.Options{Latency: 2 * time.Millisecond}})
	ctx, cancel := context.WithCancel(context.Background())
	var once sync.Once
	eng := env.engine(func(o *crmsync.Options) {
		o.Concurrency = 4
		o.ProgressInterval = time.Millisecond
		o.OnProgress = func(p crmsync.Progress) {
			if p.Contacts.Created >= 50 {
				once.Do(cancel)
			}
		}
	})
	sum, err := eng.Run(ctx, crmsync.RunOptions{})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("interrupted run: %v", err)
	}
	if sum.Contacts.Created == 0 || sum.Contacts.Created >= 200 {
		t.Fatalf("interrupted run created %d contacts; want it stopped midway", sum.Contacts.Created)
	}
	runs, _ := env.store.Runs(context.Background(), 1)
	if runs[0].Status != store.RunInterrupted {
		t.Errorf("run status %q, want interrupted", runs[0].Status)
	}
	created := sum.Contacts.Created
	sum, _ = env.run(env.engine(), crmsync.RunOptions{})
	if sum.Contacts.Created != 200-created || sum.Failed() != 0 {
		t.Errorf("resumed run %+v after %d created", sum.Contacts, created)
	}
	env.checkMirror()
}

// TestStateWriteLost: Hipcall answered 201 but the state was not written
// (the process died in between): the intent log left the record in flight,
// so the next run looks it up (one GET) instead of creating it again.
func TestStateWriteLost(t *testing.T) {
	env := newEnv(t, newCRM(120, 0), envOptions{})
	failing := &flakyStore{Store: env.store, failFor: "CO-7"}
	eng := env.engine(func(o *crmsync.Options) { o.Store = failing; o.Contacts.Enabled = false })
	sum, _ := env.run(eng, crmsync.RunOptions{})
	if sum.Companies.Failed != 1 || !strings.Contains(sum.Problems[0].Err, "the state store failed") {
		t.Fatalf("summary %+v %+v", sum.Companies, sum.Problems)
	}
	failing.failFor = ""
	sum, counts := env.run(eng, crmsync.RunOptions{})
	want := map[string]int{"GET /companies/by-external-id/{external_id}": 1}
	if fmt.Sprint(counts) != fmt.Sprint(want) || sum.Companies.Adopted != 1 || sum.Failed() != 0 {
		t.Errorf("requests %v (want %v), summary %+v", counts, want, sum.Companies)
	}
	env.checkMirror()
}

type flakyStore struct {
	store.Store
	failFor string
}

// Put fails the record's state writes after Hipcall was written (the
// in-flight mark before the write succeeds).
func (f *flakyStore) Put(ctx context.Context, r store.Record) error {
	if r.ExternalID == f.failFor && !r.InFlight {
		return errors.New("disk full")
	}
	return f.Store.Put(ctx, r)
}

// TestConcurrentRuns: two runs against one store exclude each other; two
// runs against separate stores (no shared lease) race on Hipcall and still
// make no duplicate.
func TestConcurrentRuns(t *testing.T) {
	env := newEnv(t, newCRM(40, 40), envOptions{fake: fakehipcall.Options{Latency: time.Millisecond}})
	a := env.engine()
	started := make(chan struct{})
	var once sync.Once
	b := env.engine(func(o *crmsync.Options) {
		o.ProgressInterval = time.Millisecond
		o.OnProgress = func(crmsync.Progress) { once.Do(func() { close(started) }) }
	})
	errc := make(chan error, 1)
	go func() { _, err := b.Run(context.Background(), crmsync.RunOptions{}); errc <- err }()
	<-started
	if _, err := a.Run(context.Background(), crmsync.RunOptions{}); !errors.Is(err, crmsync.ErrBusy) {
		t.Errorf("second run on the same store: %v, want ErrBusy", err)
	}
	if err := <-errc; err != nil {
		t.Fatal(err)
	}

	// Separate stores, same Hipcall, at once.
	env2 := newEnv(t, newCRM(40, 40), envOptions{fake: fakehipcall.Options{Latency: time.Millisecond}})
	other := *env2
	other.store = mustSQLite(t)
	var wg sync.WaitGroup
	for _, e := range []*testEnv{env2, &other} {
		eng := e.engine(func(o *crmsync.Options) { o.Concurrency = 3 })
		wg.Add(1)
		go func() {
			defer wg.Done()
			if sum, err := eng.Run(context.Background(), crmsync.RunOptions{}); err != nil || sum.Failed() != 0 {
				t.Errorf("racing run: %v %+v", err, sum.Problems)
			}
		}()
	}
	wg.Wait()
	env2.checkMirror()
}

func mustSQLite(t *testing.T) store.Store {
	s, err := store.OpenSQLite(context.Background(), t.TempDir()+"/other.db")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// TestDryRunUsesCompaniesFoundInHipcall: with no state, a dry run links
// contacts to the companies the learning pass found in Hipcall, without
// "sync companies first" warnings.
func TestDryRunUsesCompaniesFoundInHipcall(t *testing.T) {
	env := newEnv(t, newCRM(3, 6), envOptions{})
	ids := map[string]int64{}
	for _, c := range env.crm.companies {
		ids[c.ID] = env.fake.AddCompany(hipcall.Company{Name: c.Name, WebsiteURL: c.Website, ExternalID: ptr(c.ID)}).ID
	}
	sum, counts := env.run(env.engine(), crmsync.RunOptions{DryRun: true})
	if writes(counts) != 0 {
		t.Errorf("dry run wrote: %v", counts)
	}
	if sum.Contacts.Warnings != 0 || strings.Contains(env.logText(), "sync companies first") {
		t.Errorf("dry run warned about companies Hipcall holds: %d warnings\n%s", sum.Contacts.Warnings, env.logText())
	}
	linked := 0
	for _, c := range sum.Plan {
		if c.Resource != store.Contacts {
			continue
		}
		want := fmt.Sprint(ids[env.crm.contact(c.ExternalID).CompanyID])
		for _, f := range c.Fields {
			if f.Field == "company_id" {
				if f.New != want {
					t.Errorf("planned %s company_id %q, want %s", c.ExternalID, f.New, want)
				}
				linked++
			}
		}
	}
	if linked != 6 {
		t.Errorf("%d planned contacts have a company_id, want 6: %+v", linked, sum.Plan)
	}
}

// fakeRetries counts the retries in the fake's request log: requests that
// repeat (method, path, query, body) one that got no usable answer (429,
// 5xx, or none).
func fakeRetries(f *fakehipcall.Server) int {
	failed := map[string]int{}
	n := 0
	for _, r := range f.Requests() {
		sig := r.Method + " " + r.Path + "?" + r.Query.Encode() + "\n" + string(r.Body)
		if failed[sig] > 0 {
			failed[sig]--
			n++
		}
		if r.Status == 0 || r.Status == http.StatusTooManyRequests || r.Status >= 500 {
			failed[sig]++
		}
	}
	return n
}

// TestSummaryCountsWhatHipcallSaw: the summary's requests and retries are
// those in the fake's log, whichever level resent them: the client (429s,
// 5xx on reads and PATCHes) or the engine (a create re-POSTed after a 5xx
// and a lookup, a PATCH sent again after the client gave up on it).
func TestSummaryCountsWhatHipcallSaw(t *testing.T) {
	clock := fakehipcall.NewClock(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
	env := newEnv(t, newCRM(20, 30), envOptions{
		fake:   fakehipcall.Options{RateLimit: 40, Now: clock.Now, RetryAfter: true},
		client: hipcall.Options{Now: clock.Now, Sleep: clock.Sleep, MaxRetries: 2},
	})
	env.fake.Fail("GET /companies", 502)
	env.fake.Fail("POST /companies", 500, 503)
	env.fake.Fail("POST /contacts", 500)
	env.fake.TooManyRequests("POST /contacts", "0")
	env.fake.TooManyRequests("POST /companies", "")
	eng := env.engine(func(o *crmsync.Options) { o.Concurrency = 3; o.Now = clock.Now })
	check := func(label string, sum *crmsync.Summary) {
		t.Helper()
		if sum.Failed() != 0 {
			t.Fatalf("%s: failures %+v", label, sum.Problems)
		}
		reqs, retries := len(env.fake.Requests()), fakeRetries(env.fake)
		if sum.Requests != int64(reqs) || sum.Retries != int64(retries) {
			t.Errorf("%s: summary says %d requests, %d retries; Hipcall saw %d and %d", label, sum.Requests, sum.Retries, reqs, retries)
		}
		if retries == 0 {
			t.Errorf("%s: the faults made no retry", label)
		}
	}
	sum, _ := env.run(eng, crmsync.RunOptions{})
	check("first run", sum)
	env.checkMirror()

	// A PATCH the client gives up on (three 503s) is sent again by the
	// engine after reading the contact back.
	env.crm.contacts[4].JobTitle = "Changed"
	env.fake.FailN("PATCH /contacts/{id}", 3, 503)
	sum, counts := env.run(eng, crmsync.RunOptions{})
	check("PATCH behind 503s", sum)
	if counts["PATCH /contacts/{id}"] != 4 {
		t.Errorf("PATCHes: %v", counts)
	}
	env.checkMirror()
}

// TestWaitedIsWallTime: two workers waiting out the same rate limit at
// once wait one second of wall time, not two.
func TestWaitedIsWallTime(t *testing.T) {
	env := newEnv(t, newCRM(0, 20), envOptions{client: hipcall.Options{MaxRetryWait: 2 * time.Second}})
	env.fake.Script("POST /contacts",
		fakehipcall.Fault{Status: http.StatusTooManyRequests, RetryAfter: "1"},
		fakehipcall.Fault{Status: http.StatusTooManyRequests, RetryAfter: "1"})
	eng := env.engine(func(o *crmsync.Options) { o.Companies.Enabled = false; o.Concurrency = 2 })
	sum, _ := env.run(eng, crmsync.RunOptions{})
	if sum.Failed() != 0 || sum.RateLimited != 2 {
		t.Fatalf("summary %+v, problems %+v", sum, sum.Problems)
	}
	if sum.Waited > sum.Wall || sum.Waited < 900*time.Millisecond {
		t.Errorf("waited %s in a run of %s: want about 1s, never more than the wall time", sum.Waited, sum.Wall)
	}
}

// TestFullNameIsNotSplit pins the documented behaviour: a record that has
// only a full name (the CSV connector's columns.name) gets it whole as
// Hipcall's first_name, and last_name stays empty.
func TestFullNameIsNotSplit(t *testing.T) {
	c := newCRM(0, 1)
	c.contacts[0].FirstName, c.contacts[0].LastName = "Maria de la Cruz", ""
	env := newEnv(t, c, envOptions{})
	env.run(env.engine(func(o *crmsync.Options) { o.Companies.Enabled = false }), crmsync.RunOptions{})
	got, ok := contactByExt(env.fake, c.contacts[0].ID)
	if !ok || got.FirstName != "Maria de la Cruz" || got.LastName != "" {
		t.Errorf("contact in Hipcall: %+v, want first_name %q and no last_name", got, "Maria de la Cruz")
	}
}
