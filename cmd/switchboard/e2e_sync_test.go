package main

// End-to-end tests of `switchboard sync`: the real binaries (host and CSV
// plugin) against the fake Hipcall (core/fakehipcall) started in
// this process on 127.0.0.1, its URL given through the config, with state
// in a SQLite file or a real PostgreSQL (pgtest).

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/switchboard-hq/switchboard/connectors/postgres/pgtest"
	"github.com/switchboard-hq/switchboard/core/crmsync"
	"github.com/switchboard-hq/switchboard/core/fakehipcall"
	"github.com/switchboard-hq/switchboard/core/hipcall"
	"github.com/switchboard-hq/switchboard/core/store"
)

const syncToken = "e2e-sync-token"

// syncRow is one CSV row: a contact and its company.
type syncRow struct {
	id, first, last, company, companyID, phone, email, owner, title string
}

func syncRows(n int) []syncRow {
	rows := make([]syncRow, n)
	for i := range rows {
		co := i%max(n/10, 1) + 1
		rows[i] = syncRow{
			id: fmt.Sprintf("C%04d", i+1), first: fmt.Sprintf("First%d", i+1), last: "Last",
			company: fmt.Sprintf("Company %d Ltd", co), companyID: fmt.Sprintf("CO-%d", co),
			phone: fmt.Sprintf("+44 20 7946 %04d", i), email: fmt.Sprintf("c%d@example.com", i+1),
			owner: "u-17", title: "Engineer",
		}
	}
	return rows
}

// syncFixture is a fake Hipcall, a CSV file and a config.
type syncFixture struct {
	t    *testing.T
	dir  string
	fake *fakehipcall.Server
	url  string
	csv  string
	cfg  string
	rows []syncRow
	dsn  string // the PostgreSQL state store's, when used
	// extraEnv is added to the sync process's environment.
	extraEnv []string
	// latency delays every request to the fake (nanoseconds).
	latency atomic.Int64
	// beforeRequest, when set, runs before the fake serves a request.
	beforeRequest atomic.Pointer[func(r *http.Request, body []byte)]
}

// newSyncFixture writes n rows and a config whose state store is driver
// ("sqlite" or "postgres").
func newSyncFixture(t *testing.T, driver string, n int) *syncFixture {
	t.Helper()
	f := &syncFixture{t: t, dir: t.TempDir()}
	f.fake = fakehipcall.New(fakehipcall.Options{Token: syncToken, RateLimit: 1_000_000})
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if d := f.latency.Load(); d > 0 {
			time.Sleep(time.Duration(d)) // simulated network latency
		}
		if fn := f.beforeRequest.Load(); fn != nil {
			var body bytes.Buffer
			body.ReadFrom(r.Body)
			r.Body.Close()
			(*fn)(r, body.Bytes())
			r.Body = readCloser{bytes.NewReader(body.Bytes())}
		}
		f.fake.ServeHTTP(w, r)
	}))
	t.Cleanup(hs.Close)
	t.Cleanup(f.fake.Close)
	f.url = hs.URL + fakehipcall.PathPrefix
	f.csv = filepath.Join(f.dir, "customers.csv")
	f.writeCSV(syncRows(n))
	store := "    driver: sqlite\n    path: state.db"
	if driver == "postgres" {
		store = "    driver: postgres\n    dsn: ${STATE_DSN}"
		f.dsn = pgtest.NewDatabase(t)
	}
	f.cfg = writeConfig(t, f.dir, "sync.yaml", `
server:
  listen: "127.0.0.1:${SB_PORT:0}"
log:
  level: ${SB_LOG_LEVEL:warn}
phone:
  default_region: GB
plugins:
  dir: ${SB_PLUGIN_DIR}
connectors:
  - name: customers
    plugin: csv
    config:
      path: customers.csv
      reload_interval: 0
      columns:
        id: CustomerID
        first_name: FirstName
        last_name: LastName
        company: Company
        company_id: CompanyID
        phones: [Phone]
        emails: [Email]
        owner: Owner
        job_title: Title
hipcall:
  api:
    base_url: ${HIPCALL_URL}
    token: ${HIPCALL_TOKEN}
    rate_limit_per_minute: 0
sync:
  interval: ${SYNC_INTERVAL:0}
  concurrency: ${SYNC_CONCURRENCY:2}
  store:
`+store+`
  owners:
    u-17: 42
routing:
  default:
    hipcall: "100"
`)
	return f
}

type readCloser struct{ *bytes.Reader }

func (readCloser) Close() error { return nil }

func (f *syncFixture) writeCSV(rows []syncRow) {
	f.t.Helper()
	f.rows = rows
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	w.Write([]string{"CustomerID", "FirstName", "LastName", "Company", "CompanyID", "Phone", "Email", "Owner", "Title"})
	for _, r := range rows {
		w.Write([]string{r.id, r.first, r.last, r.company, r.companyID, r.phone, r.email, r.owner, r.title})
	}
	w.Flush()
	if err := os.WriteFile(f.csv, b.Bytes(), 0o600); err != nil {
		f.t.Fatal(err)
	}
}

func (f *syncFixture) env() []string {
	return append([]string{"HIPCALL_URL=" + f.url, "HIPCALL_TOKEN=" + syncToken, "STATE_DSN=" + f.dsn}, f.extraEnv...)
}

// sync runs `switchboard sync -json` and returns its exit code, summary
// and the requests it made by route.
func (f *syncFixture) sync(args ...string) (int, crmsync.Summary, map[string]int) {
	f.t.Helper()
	f.fake.ResetRequests()
	code, stdout, stderr := runCLI(f.t, f.env(), append([]string{"sync", "-config", f.cfg, "-json"}, args...)...)
	var sum crmsync.Summary
	if err := json.Unmarshal([]byte(stdout), &sum); err != nil {
		f.t.Fatalf("sync %v: exit %d, output is not a JSON summary: %v\nstdout:\n%s\nstderr:\n%s", args, code, err, stdout, stderr)
	}
	if code != 0 && sum.Failed() == 0 {
		f.t.Logf("sync %v exited %d:\n%s", args, code, stderr)
	}
	return code, sum, f.fake.Counts()
}

// mustSync runs a sync that must succeed.
func (f *syncFixture) mustSync(args ...string) (crmsync.Summary, map[string]int) {
	f.t.Helper()
	code, sum, counts := f.sync(args...)
	if code != 0 {
		f.t.Fatalf("sync %v exited %d: %+v", args, code, sum.Problems)
	}
	return sum, counts
}

// startSync starts `switchboard sync -json` without waiting for it: for a
// test that kills it. exited delivers cmd.Wait's error; out (stdout and
// stderr) may be read once it has.
func (f *syncFixture) startSync() (cmd *exec.Cmd, exited <-chan error, out *bytes.Buffer) {
	f.t.Helper()
	hostBin, pluginDir := binaries(f.t)
	cmd = exec.Command(hostBin, "sync", "-config", f.cfg, "-json")
	cmd.Env = append(append(os.Environ(), "SB_PLUGIN_DIR="+pluginDir), f.env()...)
	out = &bytes.Buffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		f.t.Fatal(err)
	}
	ch := make(chan error, 1)
	go func() { ch <- cmd.Wait() }()
	// A test that fails before killing it must not leave it running.
	f.t.Cleanup(func() { _ = cmd.Process.Kill() })
	return cmd, ch, out
}

// checkMirror checks that Hipcall holds each CSV row once, with its fields
// (its one phone number, in E.164, and its company's name included).
func (f *syncFixture) checkMirror() {
	f.t.Helper()
	companies := map[string]hipcall.Company{}
	for _, c := range f.fake.Companies() {
		if c.ExternalID == nil {
			continue
		}
		if _, dup := companies[*c.ExternalID]; dup {
			f.t.Errorf("duplicate company %q in Hipcall", *c.ExternalID)
		}
		companies[*c.ExternalID] = c
	}
	contacts := map[string]hipcall.Contact{}
	for _, c := range f.fake.Contacts() {
		if c.ExternalID == nil {
			continue
		}
		if _, dup := contacts[*c.ExternalID]; dup {
			f.t.Errorf("duplicate contact %q in Hipcall", *c.ExternalID)
		}
		contacts[*c.ExternalID] = c
	}
	wantCompanies := map[string]bool{}
	for _, r := range f.rows {
		wantCompanies[r.companyID] = true
		c, ok := contacts[r.id]
		if !ok {
			f.t.Errorf("contact %s missing from Hipcall", r.id)
			continue
		}
		co := companies[r.companyID]
		if c.FirstName != r.first || c.LastName != r.last || c.JobTitle != r.title || c.CompanyID == nil || *c.CompanyID != co.ID ||
			c.AssignToUserID == nil || *c.AssignToUserID != 42 || len(c.Phones) != 1 || len(c.Emails) != 1 ||
			c.Phones[0].Number != strings.ReplaceAll(r.phone, " ", "") || c.Emails[0].Email != r.email {
			f.t.Errorf("contact %s in Hipcall = %+v, want %+v (company id %d)", r.id, c, r, co.ID)
		}
		if co.Name != r.company {
			f.t.Errorf("company %s in Hipcall is named %q, want %q", r.companyID, co.Name, r.company)
		}
	}
	if len(contacts) != len(f.rows) || len(companies) != len(wantCompanies) {
		f.t.Errorf("Hipcall has %d contacts and %d companies, the CSV %d and %d", len(contacts), len(companies), len(f.rows), len(wantCompanies))
	}
}

func writeCount(counts map[string]int) int {
	n := 0
	for route, c := range counts {
		if !strings.HasPrefix(route, "GET ") {
			n += c
		}
	}
	return n
}

func TestE2ESync(t *testing.T) {
	for _, driver := range []string{"sqlite", "postgres"} {
		t.Run(driver, func(t *testing.T) {
			t.Parallel()
			const n = 200 // contacts, in 20 companies
			f := newSyncFixture(t, driver, n)

			// Dry run: the plan, nothing written.
			cli(t, f.env(), "sync", "-config", f.cfg, "-dry-run").exits(0).
				stdoutHas(`create contacts/C0001: assign_to_user_id="42"; company_id="(new company CO-1)"; first_name="First1"`)
			if len(f.fake.Companies())+len(f.fake.Contacts()) != 0 {
				t.Fatal("the dry run wrote to Hipcall")
			}

			// First sync into an empty Hipcall: one listing page per
			// resource, one POST per record.
			sum, counts := f.mustSync()
			want := map[string]int{"GET /companies": 1, "POST /companies": 20, "GET /contacts": 1, "POST /contacts": n}
			if fmt.Sprint(counts) != fmt.Sprint(want) {
				t.Errorf("first sync: requests %v, want %v", counts, want)
			}
			if sum.Contacts.Created != n || sum.Companies.Created != 20 || sum.Requests != int64(n+22) {
				t.Errorf("first sync summary %+v", sum)
			}
			f.checkMirror()

			// Nothing changed: no request at all.
			if sum, counts := f.mustSync(); len(counts) != 0 || sum.Requests != 0 || sum.Contacts.Unchanged != n {
				t.Errorf("unchanged re-sync: requests %v, summary %+v", counts, sum)
			}

			// 1% changed: that many PATCHes and nothing else.
			rows := f.rows
			rows[10].title, rows[110].title = "CTO", "CFO"
			f.writeCSV(rows)
			if sum, counts := f.mustSync(); counts["PATCH /contacts/{id}"] != 2 || writeCount(counts) != 2 || len(counts) != 1 || sum.Contacts.Updated != 2 {
				t.Errorf("1%% changed: requests %v, summary %+v", counts, sum.Contacts)
			}
			f.checkMirror()

			// A contact deleted in Hipcall (and changed in the CRM) is
			// recreated; one created behind our back is adopted (422).
			for _, c := range f.fake.Contacts() {
				if *c.ExternalID == "C0050" {
					f.fake.RemoveContact(c.ID)
				}
			}
			rows[49].email = "changed@example.com"
			rows = append(rows, syncRow{id: "C-RACE", first: "Racy", last: "Last", company: "Company 1 Ltd", companyID: "CO-1",
				phone: "+44 20 7946 9999", email: "race@example.com", owner: "u-17", title: "Engineer"})
			f.writeCSV(rows)
			race := func(r *http.Request, body []byte) {
				if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/contacts") && bytes.Contains(body, []byte(`"external_id":"C-RACE"`)) {
					f.fake.AddContact(hipcall.Contact{FirstName: "Made elsewhere", ExternalID: ptrTo("C-RACE")})
				}
			}
			f.beforeRequest.Store(&race)
			sum, counts = f.mustSync()
			f.beforeRequest.Store(nil)
			want = map[string]int{
				"POST /contacts": 2, "GET /contacts/by-external-id/{external_id}": 2, // C0050 recreated, C-RACE raced
				"POST /contacts/{id}/emails": 1, "DELETE /contacts/{id}/emails/{email}": 1, // C0050's email, before the 404
				"PATCH /contacts/{id}": 1, "POST /contacts/{id}/phones": 1, // C-RACE's fields after the 422
			}
			if sum.Failed() != 0 || sum.Contacts.Adopted != 1 {
				t.Errorf("deleted and raced: summary %+v, problems %+v", sum.Contacts, sum.Problems)
			}
			if counts["POST /contacts"] != 2 || counts["GET /contacts/by-external-id/{external_id}"] != 2 || counts["PATCH /contacts/{id}"] != 1 {
				t.Errorf("deleted and raced: requests %v, want about %v", counts, want)
			}
			f.checkMirror()

			// --full compares everything with Hipcall again: a name changed
			// by hand in Hipcall is put back with one PATCH.
			for _, c := range f.fake.Contacts() {
				if *c.ExternalID == "C0007" {
					c.FirstName = "Edited by hand"
					f.fake.AddContact(c)
				}
			}
			if sum, counts := f.mustSync("-full"); counts["PATCH /contacts/{id}"] != 1 || writeCount(counts) != 1 || counts["GET /contacts"] != 3 {
				t.Errorf("--full: requests %v, summary %+v", counts, sum.Contacts)
			}
			f.checkMirror()
		})
	}
}

func ptrTo[T any](v T) *T { return &v }

// TestE2ESyncIntoPopulatedHipcall: Hipcall already holds half the records,
// some with other fields: nothing is duplicated, only differences are sent.
func TestE2ESyncIntoPopulatedHipcall(t *testing.T) {
	t.Parallel()
	f := newSyncFixture(t, "sqlite", 100)
	coIDs := map[string]int64{}
	for i := 1; i <= 10; i++ {
		co := f.fake.AddCompany(hipcall.Company{Name: fmt.Sprintf("Company %d Ltd", i), ExternalID: ptrTo(fmt.Sprintf("CO-%d", i))})
		coIDs[*co.ExternalID] = co.ID
	}
	for i, r := range f.rows[:50] {
		title := r.title
		if i < 5 {
			title = "Old title"
		}
		f.fake.AddContact(hipcall.Contact{FirstName: r.first, LastName: r.last, ExternalID: ptrTo(r.id), JobTitle: title,
			CompanyID: ptrTo(coIDs[r.companyID]), AssignToUserID: ptrTo(int64(42)),
			Phones: []hipcall.Phone{{Country: "GB", Number: strings.ReplaceAll(r.phone, " ", "")}},
			Emails: []hipcall.Email{{Email: r.email}}})
	}
	sum, counts := f.mustSync()
	want := map[string]int{"GET /companies": 1, "GET /contacts": 1, "POST /contacts": 50, "PATCH /contacts/{id}": 5}
	if fmt.Sprint(counts) != fmt.Sprint(want) {
		t.Errorf("requests %v, want %v", counts, want)
	}
	if sum.Contacts.Adopted != 50 || sum.Companies.Adopted != 10 {
		t.Errorf("summary %+v %+v", sum.Companies, sum.Contacts)
	}
	f.checkMirror()
}

// TestE2ESyncKilledAndResumed: SIGKILL mid-run (Hipcall slowed so that the
// kill lands with writes in flight), then a second run completes the job
// with no duplicate and nothing lost.
func TestE2ESyncKilledAndResumed(t *testing.T) {
	t.Parallel()
	const n = 300
	f := newSyncFixture(t, "sqlite", n)
	f.latency.Store(int64(10 * time.Millisecond))
	cmd, exited, _ := f.startSync()
	eventually(t, 30*time.Second, func() (bool, string) {
		c := f.fake.Count("POST /contacts")
		return c >= 60, fmt.Sprintf("%d contacts created", c)
	})
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	<-exited
	before := len(f.fake.Contacts())
	if before >= n {
		t.Fatalf("the kill came too late: all %d contacts were created", before)
	}
	f.latency.Store(0)
	sum, counts := f.mustSync()
	if sum.Failed() != 0 || counts["POST /contacts"] > n-before+2 {
		t.Errorf("resumed: %d POSTs for %d missing contacts; summary %+v", counts["POST /contacts"], n-before, sum.Contacts)
	}
	f.checkMirror()
	if sum, counts := f.mustSync(); len(counts) != 0 {
		t.Errorf("after resuming, a re-sync still made requests: %v (%+v)", counts, sum.Contacts)
	}
}

// killRows is the CRM of TestE2ESyncKilledAtWrites: version 1, six
// contacts across two companies; version 2 changes K2's number, renames
// company CO-2, changes K5's first name and adds K7; version 3 is version
// 2 with K2's number back to version 1's, the number a run killed after
// deleting it from Hipcall had just taken away.
func killRows(version int) []syncRow {
	rows := syncRows(6)
	for i := range rows {
		rows[i].id = fmt.Sprintf("K%d", i+1)
		if i%2 == 1 {
			rows[i].company, rows[i].companyID = "Company 2 Ltd", "CO-2"
		}
	}
	if version == 1 {
		return rows
	}
	v1Phone := rows[1].phone
	rows[1].phone = "+44 20 7946 0901"
	for i := range rows {
		if rows[i].companyID == "CO-2" {
			rows[i].company = "Company 2 Group"
		}
	}
	rows[4].first = "Fifth"
	rows = append(rows, syncRow{id: "K7", first: "Seventh", last: "Last", company: "Company 2 Group", companyID: "CO-2",
		phone: "+44 20 7946 0907", email: "k7@example.com", owner: "u-17", title: "Engineer"})
	if version == 3 {
		rows[1].phone = v1Phone
	}
	return rows
}

// writeRoutes lists the routes of the write requests in a log, in order.
func writeRoutes(reqs []fakehipcall.RecordedRequest) []string {
	var out []string
	for _, r := range reqs {
		if r.Method != http.MethodGet {
			out = append(out, r.Route)
		}
	}
	return out
}

// TestE2ESyncKilledAtWrites proves the intent log's promise, "a run killed
// at any point resumes where it stopped", with the real binary and a real
// SIGKILL at every write boundary of a sync of changes: the fake holds the
// run's k-th write just before or just after applying it
// (fakehipcall.HoldWrite), the test kills the process while it waits for
// the answer, the CRM changes again (K2's number flips back to the one the
// killed run may just have deleted from Hipcall), and a plain sync must
// leave Hipcall exactly equal to the CRM, after which a further sync must
// write nothing. One record at a time (SYNC_CONCURRENCY=1), so that the
// k-th write is the same request in every run.
//
// The sync of changes makes few writes (W, learnt from an unkilled run:
// 5), so every boundary is tried, both ways: 2W cases of four runs each
// (first sync, killed run, resumed run, check run).
func TestE2ESyncKilledAtWrites(t *testing.T) {
	t.Parallel()
	newFixture := func(t *testing.T) *syncFixture {
		f := newSyncFixture(t, "sqlite", 0)
		f.extraEnv = []string{"SYNC_CONCURRENCY=1"}
		f.writeCSV(killRows(1))
		f.mustSync()
		return f
	}

	// W: the writes of the unkilled sync of changes.
	ref := newFixture(t)
	ref.checkMirror()
	ref.writeCSV(killRows(2))
	ref.mustSync()
	ref.checkMirror()
	writes := writeRoutes(ref.fake.Requests())
	w := len(writes)
	t.Logf("the sync of changes makes %d writes: %v", w, writes)
	// K2's number changes make-before-break: the new number is added
	// before the old one is deleted, so the kill lands between them too.
	add := slices.Index(writes, "POST /contacts/{id}/phones")
	del := slices.Index(writes, "DELETE /contacts/{id}/phones/{number}")
	if w < 5 || add < 0 || del < add {
		t.Fatalf("the sync of changes wrote %v: want a company PATCH, a contact PATCH and POST, and K2's number added before the old one is deleted", writes)
	}
	// Control: unkilled, version 3 after version 2 leaves Hipcall exact
	// too, so that a failure below is the kill's doing.
	ref.writeCSV(killRows(3))
	ref.mustSync()
	ref.checkMirror()

	points := []struct {
		at   fakehipcall.HoldPoint
		name string
	}{{fakehipcall.BeforeApplying, "before"}, {fakehipcall.AfterApplying, "after"}}
	for k := 1; k <= w; k++ {
		for _, p := range points {
			t.Run(fmt.Sprintf("write%d-%s", k, p.name), func(t *testing.T) {
				t.Parallel()
				f := newFixture(t)
				f.writeCSV(killRows(2))
				f.fake.ResetRequests()
				held := f.fake.HoldWrite(fakehipcall.AnyRoute, k, p.at)
				t.Cleanup(held.Release)
				cmd, exited, out := f.startSync()
				select {
				case <-held.Reached():
				case err := <-exited:
					t.Fatalf("the run ended (%v) before its write %d:\n%s", err, k, out)
				case <-time.After(30 * time.Second):
					_ = cmd.Process.Kill()
					<-exited
					t.Fatalf("write %d never came:\n%s", k, out)
				}
				if err := cmd.Process.Kill(); err != nil {
					t.Fatal(err)
				}
				<-exited
				if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || ws.Signal() != syscall.SIGKILL {
					t.Fatalf("the run was not killed: %v\n%s", cmd.ProcessState, out)
				}
				// The process is gone: let the fake finish with the request
				// (drop it unapplied, or answer nobody).
				held.Release()
				killed := held.Request()
				if killed.Route != writes[k-1] {
					t.Fatalf("write %d is %s %s, but %s in the unkilled run: the write order is not deterministic", k, killed.Method, killed.Path, writes[k-1])
				}

				f.writeCSV(killRows(3))
				sum, _ := f.mustSync()
				f.checkMirror()
				// Nothing is left to write, nor (every record settled, none
				// in flight) to read back.
				if sum, counts := f.mustSync(); writeCount(counts) != 0 {
					t.Errorf("a sync after the resumed one still wrote: requests %v, summary %+v", counts, sum.Contacts)
				} else if len(counts) != 0 {
					t.Errorf("a sync after the resumed one still read: requests %v", counts)
				}
				if t.Failed() {
					t.Logf("killed at write %d (%s %s, %s applying it); the resumed run: %+v %+v, relearned %v, problems %v",
						k, killed.Method, killed.Path, p.name, sum.Companies, sum.Contacts, sum.Relearned, sum.Problems)
				}
			})
		}
	}
}

// TestE2ESyncFaults: a storm of 429s and 5xx answers (on listings, lookups,
// PATCHes and POSTs, whose answers may have been applied) cost time, not
// records. One record at a time, so that the faults land deterministically.
func TestE2ESyncFaults(t *testing.T) {
	t.Parallel()
	f := newSyncFixture(t, "sqlite", 60)
	f.extraEnv = []string{"SYNC_CONCURRENCY=1"}
	var storm []fakehipcall.Fault
	for range 20 {
		storm = append(storm, fakehipcall.Fault{Status: http.StatusTooManyRequests, RetryAfter: "0"}, fakehipcall.Fault{})
	}
	f.fake.Script(fakehipcall.AnyRoute, storm...)
	f.fake.Fail("GET /companies", 502, 503)
	f.fake.Fail("POST /companies", 500)
	f.fake.Script("POST /contacts", fakehipcall.Fault{Status: 503}, fakehipcall.Fault{}, fakehipcall.Fault{Status: 502})
	sum, counts := f.mustSync()
	// Every answer the storm spoiled was followed by the same request again:
	// 20 429s, 2 GET /companies and 3 POSTs (each looked up, found missing
	// and sent again).
	reqs := f.fake.Requests()
	if retried, spoiled := retriedRequests(reqs), failedRequests(reqs); sum.RateLimited != 20 || sum.Retries != retried || retried != spoiled || spoiled != 25 {
		t.Errorf("summary: %d 429s and %d retries; the fake answered %d requests 429 or 5xx, and saw %d of them sent again; want 20 429s and 25 of each",
			sum.RateLimited, sum.Retries, spoiled, retried)
	}
	// Each POST answered 5xx is followed by a lookup (404) and a new POST.
	lookups := map[string]int{}
	for _, r := range f.fake.Requests() {
		if strings.Contains(r.Route, "by-external-id") && r.Status == http.StatusNotFound {
			lookups[r.Route]++
		}
	}
	if lookups["GET /companies/by-external-id/{external_id}"] != 1 || lookups["GET /contacts/by-external-id/{external_id}"] != 2 {
		t.Errorf("lookups %v (requests %v): want one per POST answered 5xx", lookups, counts)
	}
	if f.fake.PendingFaults() != 0 {
		t.Errorf("%d faults were not used", f.fake.PendingFaults())
	}
	f.checkMirror()

	// PATCHes are retried by the client.
	f.fake.FailN("PATCH /contacts/{id}", 3, 503)
	f.rows[3].title = "Changed"
	f.writeCSV(f.rows)
	if sum, counts := f.mustSync(); counts["PATCH /contacts/{id}"] != 4 || writeCount(counts) != 4 || sum.Contacts.Updated != 1 ||
		sum.Retries != 3 || retriedRequests(f.fake.Requests()) != 3 {
		t.Errorf("PATCH behind three 503s: requests %v, summary %+v, %d retries", counts, sum.Contacts, sum.Retries)
	}
	f.checkMirror()
}

// retriedRequests counts the requests in a run's log that were retries by
// the summary's definition (hipcall.Stats.Retries, counted by
// hipcall.Meter): a request identical to an earlier one (method, path,
// query, body) that got no usable answer (429, 5xx, or none: a dropped
// connection, Status 0) and was not sent again yet. Whoever resent it
// counts: the client retrying a 429 or a GET's 5xx, or the sync
// re-POSTing a create that was answered 5xx after looking it up (404).
// A spoiled request that was not sent again (a POST found by the lookup)
// is no retry.
func retriedRequests(reqs []fakehipcall.RecordedRequest) int64 {
	spoiled := map[string]int{}
	var n int64
	for _, r := range reqs {
		sig := r.Method + " " + r.Path + "?" + r.Query.Encode() + "\n" + string(r.Body)
		if spoiled[sig] > 0 {
			n++
			spoiled[sig]--
		}
		if r.Status == 0 || r.Status == http.StatusTooManyRequests || r.Status >= 500 {
			spoiled[sig]++
		}
	}
	return n
}

// failedRequests counts the requests the fake answered 429 or 5xx.
func failedRequests(reqs []fakehipcall.RecordedRequest) int64 {
	var n int64
	for _, r := range reqs {
		if r.Status == http.StatusTooManyRequests || r.Status >= 500 {
			n++
		}
	}
	return n
}

// TestE2ESyncBadRecords: a record that cannot be synced is reported, the
// others are synced, and the exit status says so.
func TestE2ESyncBadRecords(t *testing.T) {
	t.Parallel()
	f := newSyncFixture(t, "sqlite", 5)
	rows := f.rows
	rows = append(rows, syncRow{id: strings.Repeat("x", 300), first: "Long"}, syncRow{id: "C-NONAME", last: "Nameless"})
	f.writeCSV(rows)
	code, sum, _ := f.sync()
	if code != exitFailed || sum.Contacts.Failed != 2 || sum.Contacts.Created != 5 {
		t.Errorf("exit %d, summary %+v, problems %+v", code, sum.Contacts, sum.Problems)
	}
	f.rows = rows[:5]
	f.checkMirror()
}

// TestE2ESyncScheduled: serve runs the sync at once and every
// sync.interval.
func TestE2ESyncScheduled(t *testing.T) {
	t.Parallel()
	f := newSyncFixture(t, "sqlite", 20)
	h := startHost(t, f.cfg, append(f.env(), "SYNC_INTERVAL=10s")...)
	eventually(t, 20*time.Second, func() (bool, string) {
		n := len(f.fake.Contacts())
		return n == 20 && h.metric("switchboard_sync_runs_total", `outcome="done"`) == 1, fmt.Sprintf("%d contacts in Hipcall", n)
	})
	f.checkMirror()
	// A CLI run meanwhile shares the state: nothing left to do.
	if sum, counts := f.mustSync(); writeCount(counts) != 0 || sum.Contacts.Unchanged != 20 {
		t.Errorf("CLI run after the scheduled one: requests %v, summary %+v", counts, sum.Contacts)
	}
}

// TestE2ESyncValidate: a bad field mapping is reported by validate (and
// refused by sync) at its file:line:col.
func TestE2ESyncValidate(t *testing.T) {
	t.Parallel()
	f := newSyncFixture(t, "sqlite", 1)
	b, err := os.ReadFile(f.cfg)
	if err != nil {
		t.Fatal(err)
	}
	cfg := strings.Replace(string(b), "  owners:\n", "  contacts:\n    fields:\n      nickname: first_name\n      first_name: \"{{.first_name\"\n  owners:\n", 1)
	if err := os.WriteFile(f.cfg, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	line := 1 + strings.Count(cfg[:strings.Index(cfg, "      nickname:")], "\n")
	for _, cmd := range []string{"validate", "sync"} {
		cli(t, f.env(), cmd, "-config", f.cfg).exits(exitUsage).outputHas(
			fmt.Sprintf("sync.yaml:%d:17: sync.contacts.fields: contacts has no field \"nickname\"", line),
			fmt.Sprintf("sync.yaml:%d:19: sync.contacts.fields: template for first_name", line+1),
		)
	}
	if n := len(f.fake.Requests()); n != 0 {
		t.Errorf("a refused configuration made %d requests", n)
	}
}

// TestE2ESyncOtherAccount: a state made against one Hipcall is refused
// against another (the base URL changed), naming -relearn; `sync
// -relearn` then matches the records by external_id and the next sync
// sends nothing.
func TestE2ESyncOtherAccount(t *testing.T) {
	t.Parallel()
	f := newSyncFixture(t, "sqlite", 20)
	f.mustSync()
	other := newSyncFixture(t, "sqlite", 20)
	f.extraEnv = []string{"HIPCALL_URL=" + other.url}
	other.fake.ResetRequests()
	code, stdout, stderr := runCLI(t, f.env(), "sync", "-config", f.cfg)
	if code == 0 || !strings.Contains(stderr, "-relearn") || !strings.Contains(stderr, other.url) {
		t.Fatalf("sync against another Hipcall: exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	if n := len(other.fake.Requests()); n != 0 {
		t.Errorf("a refused state sent %d requests", n)
	}
	sum, _ := f.mustSync("-relearn")
	if sum.Contacts.Created != 20 {
		t.Errorf("relearn: %+v", sum.Contacts)
	}
	other.checkMirror()
	other.fake.ResetRequests()
	f.mustSync()
	if counts := other.fake.Counts(); len(counts) != 0 {
		t.Errorf("after relearning: requests %v", counts)
	}
}

// TestE2ESyncBusy: a run that finds the lease held by another run prints
// only the error (who holds it, what to do), no all-zero summary, and
// exits non-zero, with or without -json.
func TestE2ESyncBusy(t *testing.T) {
	t.Parallel()
	f := newSyncFixture(t, "sqlite", 3)
	st, err := store.OpenSQLite(context.Background(), filepath.Join(f.dir, "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := st.Acquire(context.Background(), store.LeaseRequest{Name: "sync", Holder: "elsewhere:1:cafe", TTL: time.Hour, Now: time.Now()}); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{}, {"-json"}} {
		code, stdout, stderr := runCLI(t, f.env(), append([]string{"sync", "-config", f.cfg}, args...)...)
		if code == 0 || strings.TrimSpace(stdout) != "" ||
			!strings.Contains(stderr, "another sync run is in progress") || !strings.Contains(stderr, "elsewhere:1:cafe") ||
			!strings.Contains(stderr, "wait for it to finish") || strings.Contains(stderr, "requests:") {
			t.Errorf("sync %v with the lease held: exit %d\nstdout:\n%s\nstderr:\n%s", args, code, stdout, stderr)
		}
	}
	if n := len(f.fake.Requests()); n != 0 {
		t.Errorf("a run that did not get the lease made %d requests", n)
	}
}
