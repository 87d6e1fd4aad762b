// Package storetest is the test suite every store.Store implementation
// passes: records, leases (including two holders racing for one), and runs.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/switchboard-hq/switchboard/core/store"
)

// Opener opens a fresh, empty store for one test. The suite closes it.
// Calling it twice in one test must open the same store twice (two
// processes sharing the state).
type Opener func(t *testing.T) func() store.Store

var epoch = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// Run runs the suite.
func Run(t *testing.T, open Opener) {
	t.Run("Records", func(t *testing.T) { testRecords(t, open(t)) })
	t.Run("Lease", func(t *testing.T) { testLease(t, open(t)) })
	t.Run("LeaseRace", func(t *testing.T) { testLeaseRace(t, open(t)) })
	t.Run("Runs", func(t *testing.T) { testRuns(t, open(t)) })
	t.Run("Reopen", func(t *testing.T) { testReopen(t, open(t)) })
	t.Run("IntentAndMeta", func(t *testing.T) { testIntentAndMeta(t, open(t)) })
	t.Run("RunDetails", func(t *testing.T) { testRunDetails(t, open(t)) })
	t.Run("RunDetailsCap", func(t *testing.T) { testRunDetailsCap(t, open(t)) })
}

// testIntentAndMeta: the in-flight mark survives Put/Get/Records and is
// cleared by the next Put; DeleteAll forgets one resource; metadata keeps
// values by key.
func testIntentAndMeta(t *testing.T, open func() store.Store) {
	ctx := context.Background()
	s := mustOpen(t, open)
	rec := store.Record{Resource: store.Contacts, ExternalID: "X1", HipcallID: 5, Fields: []byte(`{}`), SyncedAt: epoch, InFlight: true}
	if err := s.Put(ctx, rec); err != nil {
		t.Fatal(err)
	}
	if got, ok, err := s.Get(ctx, store.Contacts, "X1"); err != nil || !ok || !got.InFlight {
		t.Fatalf("Get after an in-flight Put = %+v, %v, %v; want InFlight", got, ok, err)
	}
	if all, err := s.Records(ctx, store.Contacts); err != nil || !all["X1"].InFlight {
		t.Fatalf("Records after an in-flight Put = %+v, %v; want InFlight", all, err)
	}
	rec.InFlight, rec.Hash = false, "h"
	if err := s.Put(ctx, rec); err != nil {
		t.Fatal(err)
	}
	if got, _, _ := s.Get(ctx, store.Contacts, "X1"); got.InFlight || got.Hash != "h" {
		t.Errorf("Get after clearing = %+v; want not in flight", got)
	}
	if err := s.Put(ctx, store.Record{Resource: store.Companies, ExternalID: "K1", HipcallID: 1, SyncedAt: epoch}); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteAll(ctx, store.Contacts); err != nil {
		t.Fatal(err)
	}
	if all, _ := s.Records(ctx, store.Contacts); len(all) != 0 {
		t.Errorf("contacts after DeleteAll: %v", all)
	}
	if all, _ := s.Records(ctx, store.Companies); len(all) != 1 {
		t.Errorf("DeleteAll(contacts) touched companies: %v", all)
	}
	if _, ok, err := s.Meta(ctx, "k"); ok || err != nil {
		t.Fatalf("Meta of an unset key = %v, %v", ok, err)
	}
	for _, v := range []string{"v1", "v2"} {
		if err := s.SetMeta(ctx, "k", v); err != nil {
			t.Fatal(err)
		}
		if got, ok, err := s.Meta(ctx, "k"); got != v || !ok || err != nil {
			t.Errorf("Meta = %q, %v, %v; want %q", got, ok, err, v)
		}
	}
}

func mustOpen(t *testing.T, open func() store.Store) store.Store {
	t.Helper()
	s := open()
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

func testRecords(t *testing.T, open func() store.Store) {
	ctx := context.Background()
	s := mustOpen(t, open)
	if got, err := s.Records(ctx, store.Companies); err != nil || len(got) != 0 {
		t.Fatalf("Records on an empty store = %v, %v; want none", got, err)
	}
	if _, ok, err := s.Get(ctx, store.Companies, "C1"); err != nil || ok {
		t.Fatalf("Get on an empty store = %v, %v; want not found", ok, err)
	}
	recs := []store.Record{
		{Resource: store.Companies, ExternalID: "C1", HipcallID: 7, Hash: "h1", Fields: []byte(`{"name":"A"}`), SyncedAt: epoch},
		{Resource: store.Companies, ExternalID: "C2", HipcallID: 8, Hash: "h2", Fields: []byte(`{"name":"B"}`), SyncedAt: epoch},
		// The same external id under another resource is another record.
		{Resource: store.Contacts, ExternalID: "C1", HipcallID: 9, Hash: "", Fields: []byte(`{"first_name":"C"}`), SyncedAt: epoch.Add(time.Second)},
		// Unicode and long ids survive.
		{Resource: store.Contacts, ExternalID: "müşteri-ğ", HipcallID: 1 << 40, Hash: "h", Fields: []byte(`{}`), SyncedAt: epoch},
	}
	for _, r := range recs {
		if err := s.Put(ctx, r); err != nil {
			t.Fatalf("Put(%s %s): %v", r.Resource, r.ExternalID, err)
		}
	}
	companies, err := s.Records(ctx, store.Companies)
	if err != nil {
		t.Fatal(err)
	}
	if len(companies) != 2 {
		t.Fatalf("Records(companies) has %d records, want 2: %v", len(companies), companies)
	}
	for _, want := range recs {
		got, ok, err := s.Get(ctx, want.Resource, want.ExternalID)
		if err != nil || !ok {
			t.Fatalf("Get(%s %s) = %v, %v", want.Resource, want.ExternalID, ok, err)
		}
		if !equal(got, want) {
			t.Errorf("Get(%s %s) = %+v, want %+v", want.Resource, want.ExternalID, got, want)
		}
	}
	// Put replaces.
	upd := recs[0]
	upd.HipcallID, upd.Hash, upd.Fields, upd.SyncedAt = 70, "h1b", []byte(`{"name":"A2"}`), epoch.Add(time.Hour)
	if err := s.Put(ctx, upd); err != nil {
		t.Fatal(err)
	}
	if got, _, _ := s.Get(ctx, store.Companies, "C1"); !equal(got, upd) {
		t.Errorf("after replacing, Get = %+v, want %+v", got, upd)
	}
	if err := s.Delete(ctx, store.Companies, "C1"); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete(ctx, store.Companies, "C1"); err != nil {
		t.Errorf("deleting a missing record: %v, want nil", err)
	}
	if _, ok, _ := s.Get(ctx, store.Companies, "C1"); ok {
		t.Error("deleted record still found")
	}
	if _, ok, _ := s.Get(ctx, store.Contacts, "C1"); !ok {
		t.Error("deleting companies/C1 deleted contacts/C1")
	}
	if err := s.Put(ctx, store.Record{Resource: store.Companies}); err == nil {
		t.Error("Put without an external id succeeded")
	}
}

func equal(a, b store.Record) bool {
	return a.Resource == b.Resource && a.ExternalID == b.ExternalID && a.HipcallID == b.HipcallID &&
		a.Hash == b.Hash && string(a.Fields) == string(b.Fields) && a.SyncedAt.Equal(b.SyncedAt) && a.InFlight == b.InFlight
}

func testLease(t *testing.T, open func() store.Store) {
	ctx := context.Background()
	s := mustOpen(t, open)
	req := store.LeaseRequest{Name: "sync", Holder: "a", TTL: time.Minute, Now: epoch}
	l, err := s.Acquire(ctx, req)
	if err != nil {
		t.Fatalf("first Acquire: %v", err)
	}
	if l.Holder != "a" || !l.Expires.Equal(epoch.Add(time.Minute)) {
		t.Errorf("lease = %+v", l)
	}
	// Another holder is refused while it lasts, and told who holds it.
	_, err = s.Acquire(ctx, store.LeaseRequest{Name: "sync", Holder: "b", TTL: time.Minute, Now: epoch.Add(30 * time.Second)})
	var held *store.LeaseHeldError
	if !errors.As(err, &held) || !errors.Is(err, store.ErrLeaseHeld) || held.Lease.Holder != "a" {
		t.Fatalf("Acquire by b while a holds it: %v, want a LeaseHeldError naming a", err)
	}
	// Another lease name is independent.
	if _, err := s.Acquire(ctx, store.LeaseRequest{Name: "other", Holder: "b", TTL: time.Minute, Now: epoch}); err != nil {
		t.Errorf("Acquire of another lease: %v", err)
	}
	// The holder renews.
	req.Now = epoch.Add(50 * time.Second)
	if l, err := s.Acquire(ctx, req); err != nil || !l.Expires.Equal(epoch.Add(110*time.Second)) {
		t.Fatalf("renew = %+v, %v", l, err)
	}
	// Not expired at 100s; expired at 110s.
	if _, err := s.Acquire(ctx, store.LeaseRequest{Name: "sync", Holder: "b", TTL: time.Minute, Now: epoch.Add(100 * time.Second)}); err == nil {
		t.Fatal("b took a renewed lease before it expired")
	}
	if _, err := s.Acquire(ctx, store.LeaseRequest{Name: "sync", Holder: "b", TTL: time.Minute, Now: epoch.Add(110 * time.Second)}); err != nil {
		t.Fatalf("b could not take an expired lease: %v", err)
	}
	// TakeOver takes a live lease from a holder known to be dead.
	if _, err := s.Acquire(ctx, store.LeaseRequest{Name: "sync", Holder: "c", TTL: time.Minute, Now: epoch.Add(111 * time.Second), TakeOver: "b"}); err != nil {
		t.Fatalf("c could not take over b's lease: %v", err)
	}
	// Release by a non-holder does nothing; by the holder frees it.
	if err := s.Release(ctx, "sync", "b"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Acquire(ctx, store.LeaseRequest{Name: "sync", Holder: "d", TTL: time.Minute, Now: epoch.Add(112 * time.Second)}); err == nil {
		t.Fatal("a release by a former holder freed the lease")
	}
	if err := s.Release(ctx, "sync", "c"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Acquire(ctx, store.LeaseRequest{Name: "sync", Holder: "d", TTL: time.Minute, Now: epoch.Add(112 * time.Second)}); err != nil {
		t.Fatalf("Acquire after release: %v", err)
	}
	if _, err := s.Acquire(ctx, store.LeaseRequest{Name: "sync", Holder: "d"}); err == nil {
		t.Error("Acquire without a TTL succeeded")
	}
}

// testLeaseRace opens the store several times (as several processes would)
// and has every opener race for one lease at the same instant: exactly one
// wins.
func testLeaseRace(t *testing.T, open func() store.Store) {
	ctx := context.Background()
	const n = 6
	stores := make([]store.Store, n)
	for i := range stores {
		stores[i] = mustOpen(t, open)
	}
	var wg sync.WaitGroup
	wins := make(chan string, n)
	errs := make(chan error, n)
	start := make(chan struct{})
	for i, s := range stores {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			holder := fmt.Sprintf("h%d", i)
			_, err := s.Acquire(ctx, store.LeaseRequest{Name: "sync", Holder: holder, TTL: time.Minute, Now: epoch})
			switch {
			case err == nil:
				wins <- holder
			case !errors.Is(err, store.ErrLeaseHeld):
				errs <- err
			}
		}()
	}
	close(start)
	wg.Wait()
	close(wins)
	close(errs)
	for err := range errs {
		t.Errorf("Acquire failed other than by the lease being held: %v", err)
	}
	var winners []string
	for w := range wins {
		winners = append(winners, w)
	}
	if len(winners) != 1 {
		t.Fatalf("%d holders won the lease (%v), want exactly 1", len(winners), winners)
	}
}

func testRuns(t *testing.T, open func() store.Store) {
	ctx := context.Background()
	s := mustOpen(t, open)
	if runs, err := s.Runs(ctx, 5); err != nil || len(runs) != 0 {
		t.Fatalf("Runs on an empty store = %v, %v", runs, err)
	}
	id1, err := s.StartRun(ctx, store.Run{Holder: "a", StartedAt: epoch})
	if err != nil {
		t.Fatal(err)
	}
	id2, err := s.StartRun(ctx, store.Run{Holder: "b", StartedAt: epoch.Add(time.Minute), Counts: map[string]int64{"companies.created": 1}})
	if err != nil {
		t.Fatal(err)
	}
	if id2 <= id1 {
		t.Errorf("run ids %d then %d, want increasing", id1, id2)
	}
	done := store.Run{ID: id1, Holder: "a", StartedAt: epoch, FinishedAt: epoch.Add(time.Second), Status: store.RunFailed,
		Counts: map[string]int64{"companies.created": 3, "requests": 9}, Error: "boom"}
	if err := s.UpdateRun(ctx, done); err != nil {
		t.Fatal(err)
	}
	if err := s.UpdateRun(ctx, store.Run{ID: 999999, Status: store.RunDone}); err == nil {
		t.Error("UpdateRun of a missing run succeeded")
	}
	runs, err := s.Runs(ctx, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) != 2 || runs[0].ID != id2 || runs[1].ID != id1 {
		t.Fatalf("Runs = %+v, want runs %d then %d", runs, id2, id1)
	}
	if r := runs[0]; r.Status != store.RunRunning || !r.FinishedAt.IsZero() || r.Counts["companies.created"] != 1 {
		t.Errorf("running run = %+v", r)
	}
	if r := runs[1]; r.Status != store.RunFailed || r.Error != "boom" || r.Counts["requests"] != 9 ||
		!r.StartedAt.Equal(epoch) || !r.FinishedAt.Equal(epoch.Add(time.Second)) || r.Holder != "a" {
		t.Errorf("finished run = %+v", r)
	}
	if runs, _ := s.Runs(ctx, 1); len(runs) != 1 {
		t.Errorf("Runs(1) returned %d runs", len(runs))
	}
}

// testReopen checks that what is written survives closing the store.
func testReopen(t *testing.T, open func() store.Store) {
	ctx := context.Background()
	s := open()
	rec := store.Record{Resource: store.Contacts, ExternalID: "X", HipcallID: 3, Hash: "h", Fields: []byte(`{"a":1}`), SyncedAt: epoch}
	if err := s.Put(ctx, rec); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s2 := mustOpen(t, open)
	if got, ok, err := s2.Get(ctx, store.Contacts, "X"); err != nil || !ok || !equal(got, rec) {
		t.Errorf("after reopening, Get = %+v, %v, %v", got, ok, err)
	}
}

// testRunDetails: a run's progress, problems and changes round-trip
// through StartRun, UpdateRun, Run and Runs, and another opener of the
// store (another process) reads them; Run of a missing id is not found.
func testRunDetails(t *testing.T, open func() store.Store) {
	ctx := context.Background()
	s := mustOpen(t, open)
	if _, ok, err := s.Run(ctx, 1); ok || err != nil {
		t.Fatalf("Run(1) on an empty store = %v, %v; want not found", ok, err)
	}
	start := store.Run{Holder: "h", StartedAt: epoch, UpdatedAt: epoch, DryRun: true, Phase: "reading", Resource: "companies"}
	id, err := s.StartRun(ctx, start)
	if err != nil {
		t.Fatal(err)
	}
	start.ID, start.Status = id, store.RunRunning
	got, ok, err := s.Run(ctx, id)
	if err != nil || !ok {
		t.Fatalf("Run(%d) = %v, %v", id, ok, err)
	}
	if !equalRun(got, start) {
		t.Errorf("Run(%d) after StartRun = %+v, want %+v", id, got, start)
	}

	mid := start
	mid.UpdatedAt = epoch.Add(2 * time.Second)
	mid.Phase, mid.Resource, mid.Done, mid.Total = "writing", "contacts", 40, 250
	mid.Counts = map[string]int64{"contacts.created": 39, "contacts.failed": 1}
	mid.Problems = []store.RunProblem{
		{Resource: "contacts", ExternalID: "C7", Source: "hubspot", Error: "create in Hipcall: 422 phone is invalid"},
		{Resource: "contacts", ExternalID: "", Source: "csv", Skipped: true, Error: "no external id"},
	}
	mid.ProblemsTotal = 2
	mid.Changes = []store.RunChange{
		{Resource: "companies", ExternalID: "K1", Action: store.ChangeCreated, Fields: []string{"name", "phones"}},
		{Resource: "contacts", ExternalID: "müşteri-ğ", Action: store.ChangeUpdated, Fields: []string{"job_title"}},
		{Resource: "contacts", ExternalID: "C2", Action: store.ChangeAdopted},
		{Resource: "contacts", ExternalID: "C3", Action: store.ChangeRelearned, Fields: []string{"emails"}},
	}
	mid.ChangesTotal = 4
	if err := s.UpdateRun(ctx, mid); err != nil {
		t.Fatal(err)
	}
	// Another process sees the running run's progress.
	other := mustOpen(t, open)
	if got, ok, err := other.Run(ctx, id); err != nil || !ok || !equalRun(got, mid) {
		t.Errorf("Run(%d) from another opener = %+v, %v, %v\nwant %+v", id, got, ok, err, mid)
	}
	if runs, err := other.Runs(ctx, 5); err != nil || len(runs) != 1 || !equalRun(runs[0], mid) {
		t.Errorf("Runs from another opener = %+v, %v\nwant [%+v]", runs, err, mid)
	}

	// The end rewrites everything but the holder and the start.
	end := mid
	end.FinishedAt, end.UpdatedAt = epoch.Add(time.Minute), epoch.Add(time.Minute)
	end.Status, end.Error, end.Phase, end.Done = store.RunFailed, "1 record(s) failed", "done", 250
	end.Changes, end.ChangesTotal = end.Changes[:1], 1
	if err := s.UpdateRun(ctx, end); err != nil {
		t.Fatal(err)
	}
	if got, _, err := s.Run(ctx, id); err != nil || !equalRun(got, end) {
		t.Errorf("Run(%d) after the end = %+v, %v\nwant %+v", id, got, err, end)
	}
	if _, ok, err := s.Run(ctx, id+1000); ok || err != nil {
		t.Errorf("Run(%d) of a missing run = %v, %v; want not found", id+1000, ok, err)
	}
	// A run recorded without details reads back with none.
	plain, err := s.StartRun(ctx, store.Run{Holder: "p", StartedAt: epoch})
	if err != nil {
		t.Fatal(err)
	}
	want := store.Run{ID: plain, Holder: "p", StartedAt: epoch, Status: store.RunRunning}
	if got, ok, err := s.Run(ctx, plain); err != nil || !ok || !equalRun(got, want) {
		t.Errorf("Run(%d) without details = %+v, %v, %v", plain, got, ok, err)
	}
}

// testRunDetailsCap: only the first MaxRunDetails problems and changes are
// kept; the totals count them all, and are never below what is listed.
func testRunDetailsCap(t *testing.T, open func() store.Store) {
	ctx := context.Background()
	s := mustOpen(t, open)
	id, err := s.StartRun(ctx, store.Run{Holder: "h", StartedAt: epoch})
	if err != nil {
		t.Fatal(err)
	}
	run := store.Run{ID: id, Status: store.RunRunning, StartedAt: epoch}
	for i := range store.MaxRunDetails + 50 {
		run.Problems = append(run.Problems, store.RunProblem{Resource: "contacts", ExternalID: fmt.Sprintf("P%d", i), Error: "boom"})
		run.Changes = append(run.Changes, store.RunChange{Resource: "contacts", ExternalID: fmt.Sprintf("C%d", i), Action: store.ChangeCreated, Fields: []string{"first_name"}})
	}
	// The caller counted more changes than it listed; it counted no
	// problems (the store counts the listed ones).
	run.ChangesTotal = 2345
	if err := s.UpdateRun(ctx, run); err != nil {
		t.Fatal(err)
	}
	got, ok, err := s.Run(ctx, id)
	if err != nil || !ok {
		t.Fatalf("Run(%d) = %v, %v", id, ok, err)
	}
	if len(got.Problems) != store.MaxRunDetails || got.Problems[0].ExternalID != "P0" || got.Problems[store.MaxRunDetails-1].ExternalID != fmt.Sprintf("P%d", store.MaxRunDetails-1) {
		t.Errorf("%d problems kept (first %+v), want the first %d", len(got.Problems), got.Problems[:min(1, len(got.Problems))], store.MaxRunDetails)
	}
	if got.ProblemsTotal != store.MaxRunDetails+50 {
		t.Errorf("ProblemsTotal = %d, want %d", got.ProblemsTotal, store.MaxRunDetails+50)
	}
	if len(got.Changes) != store.MaxRunDetails || got.Changes[store.MaxRunDetails-1].ExternalID != fmt.Sprintf("C%d", store.MaxRunDetails-1) {
		t.Errorf("%d changes kept, want the first %d", len(got.Changes), store.MaxRunDetails)
	}
	if got.ChangesTotal != 2345 {
		t.Errorf("ChangesTotal = %d, want 2345", got.ChangesTotal)
	}
	if len(run.Problems) != store.MaxRunDetails+50 {
		t.Errorf("UpdateRun changed the caller's problems (%d left)", len(run.Problems))
	}
}

// equalRun compares runs, times by instant, nil and empty lists and maps
// alike.
func equalRun(a, b store.Run) bool {
	norm := func(r store.Run) store.Run {
		if len(r.Counts) == 0 {
			r.Counts = nil
		}
		if len(r.Problems) == 0 {
			r.Problems = nil
		}
		if len(r.Changes) == 0 {
			r.Changes = nil
		}
		r.Changes = append([]store.RunChange(nil), r.Changes...)
		for i := range r.Changes {
			if len(r.Changes[i].Fields) == 0 {
				r.Changes[i].Fields = nil
			}
		}
		for _, t := range []*time.Time{&r.StartedAt, &r.FinishedAt, &r.UpdatedAt} {
			if !t.IsZero() {
				*t = t.UTC()
			}
		}
		return r
	}
	return reflect.DeepEqual(norm(a), norm(b))
}
