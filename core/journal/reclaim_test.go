package journal

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
)

// TestStartReclaimsJobsLeftRunning: a SQLite journal whose last process
// was killed while it worked jobs (left in state running) works them again
// as soon as it starts, not after River's rescuer's 2 minutes; a job that
// had used its last attempt is discarded, as the rescuer would.
func TestStartReclaimsJobsLeftRunning(t *testing.T) {
	ctx := context.Background()
	cfg := DefaultConfig()
	cfg.Path = filepath.Join(t.TempDir(), DefaultSQLiteFile)

	// A first process enqueues two jobs for later and stops.
	j, err := Open(ctx, cfg, Options{})
	if err != nil {
		t.Fatal(err)
	}
	Register(j, newNoteWorker(1))
	if err := j.Start(ctx); err != nil {
		t.Fatal(err)
	}
	later := time.Now().Add(time.Hour)
	var ids []int64
	for i, maxAttempts := range []int{5, 1} {
		res, err := j.Enqueue(ctx, noteArgs{N: i}, &river.InsertOpts{ScheduledAt: later, MaxAttempts: maxAttempts})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, res.Job.ID)
	}
	if err := j.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	// As a SIGKILL leaves them: running, one attempt made.
	db, err := sql.Open("sqlite", cfg.Path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`UPDATE river_job SET state = 'running', attempt = 1, attempted_at = created_at, scheduled_at = created_at`); err != nil {
		t.Fatal(err)
	}
	db.Close()

	j, err = Open(ctx, cfg, Options{})
	if err != nil {
		t.Fatal(err)
	}
	w := newNoteWorker(1)
	Register(j, w)
	if err := j.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer j.Stop(ctx)
	select {
	case <-w.all:
	case <-time.After(20 * time.Second):
		t.Fatal("the job left running was not worked within 20s of the start")
	}
	var states []rivertype.JobState
	for range 200 {
		states = states[:0]
		for _, id := range ids {
			job, err := j.cli.JobGet(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			states = append(states, job.State)
		}
		if states[0] == rivertype.JobStateCompleted {
			break
		}
		time.Sleep(10 * time.Millisecond) // paces the polling of the completer's write
	}
	if states[0] != rivertype.JobStateCompleted || states[1] != rivertype.JobStateDiscarded {
		t.Errorf("states %v, want completed (worked again) and discarded (no attempt left)", states)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.seen[0] != 1 || w.seen[1] != 0 {
		t.Errorf("worked %v, want job 0 once and job 1 never", w.seen)
	}
}
