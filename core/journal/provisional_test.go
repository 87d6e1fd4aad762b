package journal

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/switchboard-hq/switchboard/connectors/connectortest"
)

// backstopArgs is a provisional test job (its key is "b/N").
type backstopArgs struct {
	N int `json:"n"`
}

func (backstopArgs) Kind() string { return "test_backstop" }

func (a backstopArgs) ProvisionalKey() string { return fmt.Sprintf("b/%d", a.N) }

func (backstopArgs) InsertOpts() river.InsertOpts {
	// Scheduled far ahead: the test looks at what was queued, not run.
	return river.InsertOpts{Queue: QueueCards, ScheduledAt: time.Now().Add(time.Hour)}
}

type backstopWorker struct {
	river.WorkerDefaults[backstopArgs]
}

func (backstopWorker) Work(context.Context, *river.Job[backstopArgs]) error { return nil }

// queuedBackstops lists the N of the backstop jobs River holds.
func queuedBackstops(t *testing.T, j *Journal) map[int]bool {
	t.Helper()
	jobs, err := j.Jobs(context.Background(), river.NewJobListParams().Kinds("test_backstop").States(rivertype.JobStates()...).First(1000))
	if err != nil {
		t.Fatal(err)
	}
	got := map[int]bool{}
	for _, job := range jobs {
		var a backstopArgs
		if err := json.Unmarshal(job.EncodedArgs, &a); err != nil {
			t.Fatal(err)
		}
		got[a.N] = true
	}
	return got
}

func openSQLiteJournal(t *testing.T, path string) *Journal {
	t.Helper()
	ctx := context.Background()
	c := DefaultConfig()
	c.Path = path
	j, err := Open(ctx, c, Options{})
	if err != nil {
		t.Fatal(err)
	}
	Register(j, backstopWorker{})
	Register(j, newNoteWorker(-1))
	if err := j.Start(ctx); err != nil {
		t.Fatal(err)
	}
	return j
}

// TestProvisionalSettled: on SQLite a provisional job settled within the
// hold is never queued; one not settled is queued after the hold, and a
// Settle after that answers false (the caller must record the outcome).
// Ordinary jobs recorded alongside move at once.
func TestProvisionalSettled(t *testing.T) {
	ctx := context.Background()
	j := openSQLiteJournal(t, filepath.Join(t.TempDir(), DefaultSQLiteFile))
	defer j.Stop(ctx)
	for i := range 20 {
		if err := j.Record(ctx, backstopArgs{N: i}, nil); err != nil {
			t.Fatal(err)
		}
		if err := j.Record(ctx, noteArgs{N: i}, &river.InsertOpts{ScheduledAt: time.Now().Add(time.Hour)}); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 10 { // the even ones are done by the caller
		if !j.Settle(fmt.Sprintf("b/%d", 2*i)) {
			t.Fatalf("Settle(b/%d) = false within the hold", 2*i)
		}
	}
	connectortest.EventuallyWhy(t, 30*time.Second, func() (bool, string) {
		got := queuedBackstops(t, j)
		return len(got) == 10, fmt.Sprintf("%d backstops queued, want the 10 unsettled: %v", len(got), got)
	})
	for n := range queuedBackstops(t, j) {
		if n%2 == 0 {
			t.Errorf("settled backstop %d was queued", n)
		}
	}
	notes, err := j.Jobs(ctx, river.NewJobListParams().Kinds("test_note").States(rivertype.JobStates()...).First(100))
	if err != nil || len(notes) != 20 {
		t.Fatalf("%d ordinary jobs queued (%v), want 20", len(notes), err)
	}
	if j.Settle("b/1") {
		t.Error("Settle of a queued backstop = true, want false")
	}
	// The intake keeps nothing once everything is decided.
	connectortest.EventuallyWhy(t, 30*time.Second, func() (bool, string) {
		var left int
		err := j.intake.ro.QueryRowContext(ctx, `SELECT count(*) FROM intake`).Scan(&left)
		return err == nil && left == 0, fmt.Sprintf("%d rows left in the intake (%v)", left, err)
	})
}

// TestProvisionalSurvivesStop: provisional jobs a journal still held
// (or had not read) when it stopped are queued by the next start, since
// nothing there settles them: a backstop is never lost.
func TestProvisionalSurvivesStop(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), DefaultSQLiteFile)
	j := openSQLiteJournal(t, path)
	for i := range 5 {
		if err := j.Record(ctx, backstopArgs{N: i}, nil); err != nil {
			t.Fatal(err)
		}
	}
	held := 5 - len(queuedBackstops(t, j))
	if err := j.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	t.Logf("%d of 5 still held or unread at the stop", held)

	j2 := openSQLiteJournal(t, path)
	defer j2.Stop(ctx)
	connectortest.EventuallyWhy(t, 30*time.Second, func() (bool, string) {
		got := queuedBackstops(t, j2)
		return len(got) == 5, fmt.Sprintf("%d of 5 backstops queued after the restart: %v", len(got), got)
	})
}

// TestProvisionalSettledPostgres: on PostgreSQL every provisional job is
// queued (Record inserts into River), Settle answers false (the caller
// must mark), and the settled jobs still scheduled are deleted soon after.
func TestProvisionalSettledPostgres(t *testing.T) {
	ctx := context.Background()
	j, err := Open(ctx, configs(t)[DriverPostgres](t), Options{})
	if err != nil {
		t.Fatal(err)
	}
	Register(j, backstopWorker{})
	if err := j.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer j.Stop(ctx)
	for i := range 10 {
		if err := j.Record(ctx, backstopArgs{N: i}, nil); err != nil {
			t.Fatal(err)
		}
	}
	if got := queuedBackstops(t, j); len(got) != 10 {
		t.Fatalf("%d backstops queued after Record, want all 10", len(got))
	}
	for i := range 5 {
		if j.Settle(fmt.Sprintf("b/%d", 2*i)) {
			t.Fatalf("Settle(b/%d) = true on PostgreSQL, want false (the caller must mark)", 2*i)
		}
	}
	connectortest.EventuallyWhy(t, 30*time.Second, func() (bool, string) {
		got := queuedBackstops(t, j)
		for n := range got {
			if n%2 == 0 {
				return false, fmt.Sprintf("settled backstop %d still queued: %v", n, got)
			}
		}
		return len(got) == 5, fmt.Sprintf("%d backstops left, want the 5 unsettled: %v", len(got), got)
	})
}
