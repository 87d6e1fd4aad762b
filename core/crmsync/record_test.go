package crmsync_test

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-hq/switchboard/connectors"
	"github.com/switchboard-hq/switchboard/core/crmsync"
	"github.com/switchboard-hq/switchboard/core/fakehipcall"
	"github.com/switchboard-hq/switchboard/core/hipcall"
	"github.com/switchboard-hq/switchboard/core/store"
)

// savingStore tells every run record the engine saves.
type savingStore struct {
	store.Store
	saved func(store.Run)
}

func (s *savingStore) UpdateRun(ctx context.Context, r store.Run) error {
	err := s.Store.UpdateRun(ctx, r)
	if err == nil && s.saved != nil {
		s.saved(r)
	}
	return err
}

// openTwice opens one SQLite state twice: one handle for the engine, one
// for a reader standing for another process (the console of a serving
// host while `switchboard sync` runs).
func openTwice(t *testing.T) (engine, reader store.Store) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "state.db")
	for _, s := range []*store.Store{&engine, &reader} {
		st, err := store.OpenSQLite(context.Background(), path)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		*s = st
	}
	return engine, reader
}

// changeKeys lists changes as "resource/external_id action [fields]".
func changeKeys(cs []store.RunChange) []string {
	var out []string
	for _, c := range cs {
		out = append(out, fmt.Sprintf("%s/%s %s %v", c.Resource, c.ExternalID, c.Action, c.Fields))
	}
	return out
}

// problemOf finds a run's problem for an external id.
func problemOf(r store.Run, ext string) (store.RunProblem, bool) {
	for _, p := range r.Problems {
		if p.ExternalID == ext {
			return p, true
		}
	}
	return store.RunProblem{}, false
}

// TestRunRecord: while a run goes, its stored record (read through
// another handle on the state, as another process would) shows its phase,
// the current resource's progress, the records that failed or were
// skipped and why, and those created so far; once done, all of them. A
// second run records updates, a relearned record and an adopted one with
// the fields written.
func TestRunRecord(t *testing.T) {
	c := newCRM(2, 6)
	c6 := c.contacts[5]
	c.contacts = append(c.contacts[:5],
		connectors.Contact{ID: "noname", LastName: "Only"}, // fails when read: no first name
		connectors.Contact{ID: "  ", FirstName: "No id"},   // skipped: no external id
	)
	env := newEnv(t, c, envOptions{})
	engStore, reader := openTwice(t)
	midway := make(chan store.Run, 1)
	ss := &savingStore{Store: engStore, saved: func(r store.Run) {
		// Contacts C0001 (failed: 422), C0002 and C0003 are done, and
		// C0004's POST is held: the record stays so until it is let go.
		if r.Status == store.RunRunning && r.Phase == crmsync.PhaseWriting && r.Resource == "contacts" && r.Done == 5 && len(r.Changes) == 4 {
			select {
			case midway <- r:
			default:
			}
		}
	}}
	eng := env.engine(func(o *crmsync.Options) {
		o.Store = ss
		o.Concurrency = 1
		o.ProgressInterval = time.Millisecond
	})
	env.fake.Fail("POST /contacts", 422)
	held := env.fake.HoldWrite("POST /contacts", 4, fakehipcall.AfterApplying)
	type outcome struct {
		sum *crmsync.Summary
		err error
	}
	done := make(chan outcome, 1)
	go func() {
		sum, err := eng.Run(context.Background(), crmsync.RunOptions{})
		done <- outcome{sum, err}
	}()

	var mid store.Run
	select {
	case mid = <-midway:
	case o := <-done:
		held.Release()
		t.Fatalf("the run ended (%v, %+v) without a record of it midway", o.err, o.sum)
	case <-time.After(30 * time.Second): // a failure, not a synchronisation
		held.Release()
		t.Fatal("no record of the run midway within 30s")
	}
	got, ok, err := reader.Run(context.Background(), mid.ID)
	if err != nil || !ok {
		held.Release()
		t.Fatalf("reader: Run(%d) = %v, %v", mid.ID, ok, err)
	}
	if got.Status != store.RunRunning || !got.FinishedAt.IsZero() || got.DryRun || got.Phase != crmsync.PhaseWriting ||
		got.Resource != "contacts" || got.Done != 5 || got.Total != 7 || got.UpdatedAt.IsZero() {
		t.Errorf("the running run as another process reads it: status %q finished %v dry %v phase %q resource %q done %d/%d updated %v",
			got.Status, got.FinishedAt, got.DryRun, got.Phase, got.Resource, got.Done, got.Total, got.UpdatedAt)
	}
	if got.ProblemsTotal != 3 || len(got.Problems) != 3 {
		t.Errorf("problems midway %+v (total %d), want noname, the blank id and C0001", got.Problems, got.ProblemsTotal)
	}
	if p, ok := problemOf(got, "C0001"); !ok || p.Skipped || p.Source != "mem" || !strings.Contains(p.Error, "422") {
		t.Errorf("C0001's problem midway = %+v, %v; want a failure with Hipcall's 422", p, ok)
	}
	if p, ok := problemOf(got, "noname"); !ok || p.Skipped || !strings.Contains(p.Error, "first_name is empty") {
		t.Errorf("noname's problem midway = %+v, %v", p, ok)
	}
	if p, ok := problemOf(got, "  "); !ok || !p.Skipped {
		t.Errorf("the blank id's problem midway = %+v, %v; want it skipped", p, ok)
	}
	companyFields := []string{"name", "phones", "website_url"}
	contactFields := []string{"assign_to_user_id", "company_id", "emails", "first_name", "job_title", "last_name", "phones"}
	wantMid := []string{
		fmt.Sprintf("companies/CO-1 created %v", companyFields),
		fmt.Sprintf("companies/CO-2 created %v", companyFields),
		fmt.Sprintf("contacts/C0002 created %v", contactFields),
		fmt.Sprintf("contacts/C0003 created %v", contactFields),
	}
	if k := changeKeys(got.Changes); !slices.Equal(k, wantMid) || got.ChangesTotal != 4 {
		t.Errorf("changes midway (total %d):\n%s\nwant\n%s", got.ChangesTotal, strings.Join(k, "\n"), strings.Join(wantMid, "\n"))
	}
	if got.Counts["contacts.created"] != 2 || got.Counts["contacts.failed"] != 2 || got.Counts["companies.created"] != 2 {
		t.Errorf("counts midway %v", got.Counts)
	}

	held.Release()
	o := <-done
	if o.err != nil {
		t.Fatal(o.err)
	}
	end, ok, err := reader.Run(context.Background(), o.sum.RunID)
	if err != nil || !ok || end.ID != mid.ID {
		t.Fatalf("reader: Run(%d) = %+v, %v, %v", o.sum.RunID, end, ok, err)
	}
	if end.Status != store.RunFailed || end.Error != "2 record(s) failed" || end.FinishedAt.IsZero() || end.Phase != crmsync.PhaseDone ||
		end.Resource != "contacts" || end.Done != 7 || end.Total != 7 {
		t.Errorf("the finished run: status %q error %q finished %v phase %q resource %q done %d/%d",
			end.Status, end.Error, end.FinishedAt, end.Phase, end.Resource, end.Done, end.Total)
	}
	wantEnd := append(wantMid, fmt.Sprintf("contacts/C0004 created %v", contactFields), fmt.Sprintf("contacts/C0005 created %v", contactFields))
	if k := changeKeys(end.Changes); !slices.Equal(k, wantEnd) || end.ChangesTotal != 6 {
		t.Errorf("changes at the end (total %d):\n%s\nwant\n%s", end.ChangesTotal, strings.Join(k, "\n"), strings.Join(wantEnd, "\n"))
	}
	if end.ProblemsTotal != 3 || len(end.Problems) != 3 {
		t.Errorf("problems at the end %+v", end.Problems)
	}

	// Second run: a company renamed and a job title changed (updated), the
	// contact that failed (created now), a contact deleted in Hipcall
	// (relearned: created again) and a new one Hipcall already holds
	// (adopted).
	env.crm.companies[0].Name = "Renamed Ltd"
	env.crm.contact("C0002").JobTitle = "CTO"
	c3, _ := contactByExt(env.fake, "C0003")
	env.fake.RemoveContact(c3.ID)
	env.crm.contact("C0003").JobTitle = "Boss"
	env.crm.contacts = append(env.crm.contacts, c6)
	env.fake.AddContact(hipcall.Contact{FirstName: c6.FirstName, LastName: c6.LastName, JobTitle: "Old", ExternalID: ptr(c6.ID)})
	sum, err := eng.Run(context.Background(), crmsync.RunOptions{})
	if err != nil {
		t.Fatal(err)
	}
	second, _, err := reader.Run(context.Background(), sum.RunID)
	if err != nil {
		t.Fatal(err)
	}
	k := changeKeys(second.Changes)
	want := []string{
		"companies/CO-1 updated [name]",
		fmt.Sprintf("contacts/C0001 created %v", contactFields),
		"contacts/C0002 updated [job_title]",
		fmt.Sprintf("contacts/C0003 relearned %v", contactFields),
	}
	if len(k) != 5 || !slices.Equal(k[:4], want) || !strings.HasPrefix(k[4], "contacts/C0006 adopted [") || second.ChangesTotal != 5 {
		t.Errorf("changes of the second run (total %d):\n%s\nwant\n%s\ncontacts/C0006 adopted [...]", second.ChangesTotal, strings.Join(k, "\n"), strings.Join(want, "\n"))
	}
	if second.ProblemsTotal != 2 || second.Status != store.RunFailed {
		t.Errorf("second run: status %q, problems %+v", second.Status, second.Problems)
	}
}

// TestDryRunRecord: a dry run is recorded, marked dry, with the changes
// it would make and the fields they would write.
func TestDryRunRecord(t *testing.T) {
	env := newEnv(t, newCRM(3, 3), envOptions{})
	eng := env.engine()
	sum, _ := env.run(eng, crmsync.RunOptions{DryRun: true})
	r, ok, err := env.store.Run(context.Background(), sum.RunID)
	if err != nil || !ok {
		t.Fatalf("Run(%d) = %v, %v: the dry run was not recorded", sum.RunID, ok, err)
	}
	if !r.DryRun || r.Status != store.RunDone || r.ChangesTotal != 6 || len(r.Changes) != 6 || r.Changes[0].Action != store.ChangeCreated ||
		!slices.Contains(r.Changes[0].Fields, "name") {
		t.Errorf("dry run record: dry %v status %q changes %v", r.DryRun, r.Status, changeKeys(r.Changes))
	}
	if recs, _ := env.store.Records(context.Background(), store.Companies); len(recs) != 0 {
		t.Errorf("dry run wrote %d records to the state", len(recs))
	}
	env.run(eng, crmsync.RunOptions{})
	env.crm.contacts[1].JobTitle = "CTO"
	env.crm.contacts[1].Emails = []string{"new@example.com"}
	sum, _ = env.run(eng, crmsync.RunOptions{DryRun: true})
	r, _, err = env.store.Run(context.Background(), sum.RunID)
	if k := changeKeys(r.Changes); err != nil || !r.DryRun || !slices.Equal(k, []string{"contacts/C0002 updated [emails job_title]"}) {
		t.Errorf("dry run record: %v dry %v changes %v", err, r.DryRun, k)
	}
}

// TestRunRecordCap: a run keeps the first store.MaxRunDetails problems
// and changes in its record and counts them all.
func TestRunRecordCap(t *testing.T) {
	c := newCRM(store.MaxRunDetails+20, store.MaxRunDetails+5)
	for i := range c.contacts {
		c.contacts[i].FirstName = "" // every contact fails when read
	}
	env := newEnv(t, c, envOptions{})
	sum, err := env.engine().Run(context.Background(), crmsync.RunOptions{})
	if err != nil {
		t.Fatal(err)
	}
	r, _, err := env.store.Run(context.Background(), sum.RunID)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Changes) != store.MaxRunDetails || r.ChangesTotal != store.MaxRunDetails+20 ||
		len(r.Problems) != store.MaxRunDetails || r.ProblemsTotal != store.MaxRunDetails+5 {
		t.Errorf("record lists %d changes of %d and %d problems of %d; want %d of %d and %d of %d", len(r.Changes), r.ChangesTotal,
			len(r.Problems), r.ProblemsTotal, store.MaxRunDetails, store.MaxRunDetails+20, store.MaxRunDetails, store.MaxRunDetails+5)
	}
}

// TestStaleRunsInterrupted: a run marks runs left "running" interrupted
// when they are known to be over: another non-dry run (the lease says it
// died) and a dry run whose record was not saved for a lease's lifetime;
// a dry run that saved its record lately is left alone, and a dry run
// (which holds no lease) leaves non-dry runs alone.
func TestStaleRunsInterrupted(t *testing.T) {
	ctx := context.Background()
	env := newEnv(t, newCRM(1, 0), envOptions{})
	now := time.Now()
	start := func(r store.Run) int64 {
		r.Status = store.RunRunning
		id, err := env.store.StartRun(ctx, r)
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	other := start(store.Run{Holder: "elsewhere:1:a", StartedAt: now.Add(-time.Hour)})
	staleDry := start(store.Run{Holder: "elsewhere:2:b", StartedAt: now.Add(-time.Hour), UpdatedAt: now.Add(-time.Hour), DryRun: true})
	liveDry := start(store.Run{Holder: "elsewhere:3:c", StartedAt: now.Add(-time.Hour), UpdatedAt: now.Add(-time.Second), DryRun: true})
	status := func(id int64) string {
		r, ok, err := env.store.Run(ctx, id)
		if err != nil || !ok {
			t.Fatalf("Run(%d) = %v, %v", id, ok, err)
		}
		return r.Status
	}
	eng := env.engine(func(o *crmsync.Options) { o.Contacts.Enabled = false })
	env.run(eng, crmsync.RunOptions{DryRun: true})
	if got := status(other); got != store.RunRunning {
		t.Errorf("after a dry run, the other run is %q, want still running (a dry run cannot know)", got)
	}
	if got := status(staleDry); got != store.RunInterrupted {
		t.Errorf("after a dry run, the stale dry run is %q, want interrupted", got)
	}
	env.run(eng, crmsync.RunOptions{})
	if got := status(other); got != store.RunInterrupted {
		t.Errorf("after a run, the other run is %q, want interrupted", got)
	}
	if got := status(liveDry); got != store.RunRunning {
		t.Errorf("after a run, a dry run saved a second ago is %q, want running", got)
	}
}
