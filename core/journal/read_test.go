package journal

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
)

// stepArgs is a test job named like a post-call step; Fail cancels it.
type stepArgs struct {
	UUID string `json:"uuid"`
	Key  string `json:"key"`
	Fail bool   `json:"fail"`
}

func (stepArgs) Kind() string { return "test_step" }

func (stepArgs) InsertOpts() river.InsertOpts { return river.InsertOpts{Queue: QueueActions} }

type stepWorker struct {
	river.WorkerDefaults[stepArgs]
	done chan int64
}

func (w *stepWorker) Work(_ context.Context, j *river.Job[stepArgs]) error {
	defer func() { w.done <- j.ID }()
	if j.Args.Fail {
		return river.JobCancel(errors.New("held: outcome unknown"))
	}
	return nil
}

// TestReader: a reader opened on a journal that a host has worked lists
// its jobs (by kind, by an argument field), reads the effects and retries
// a dead job without working it; the next host works it.
func TestReader(t *testing.T) {
	for name, cfgOf := range configs(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			cfg := cfgOf(t)
			j, err := Open(ctx, cfg, Options{})
			if err != nil {
				t.Fatal(err)
			}
			w := &stepWorker{done: make(chan int64, 10)}
			Register(j, w)
			if err := j.Start(ctx); err != nil {
				t.Fatal(err)
			}
			var ids []int64
			for _, a := range []stepArgs{{UUID: "call-1", Key: "summary"}, {UUID: "call-1", Key: "short-call/5617", Fail: true}, {UUID: "call-2", Key: "summary"}} {
				res, err := j.Enqueue(ctx, a, nil)
				if err != nil {
					t.Fatal(err)
				}
				ids = append(ids, res.Job.ID)
			}
			for range ids {
				select {
				case <-w.done:
				case <-time.After(time.Minute):
					t.Fatal("the jobs were not worked")
				}
			}
			if _, _, err := j.Effects().Begin(ctx, "call-1", "summary"); err != nil {
				t.Fatal(err)
			}
			if err := j.Stop(ctx); err != nil {
				t.Fatal(err)
			}

			r, err := OpenReader(ctx, cfg)
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			res, err := r.Jobs(ctx, river.NewJobListParams().Kinds("test_step").OrderBy(river.JobListOrderByID, river.SortOrderDesc).First(2))
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Jobs) != 2 || res.Jobs[0].ID != ids[2] || res.Jobs[1].ID != ids[1] {
				t.Fatalf("first page %v, want jobs %d and %d", jobIDs(res.Jobs), ids[2], ids[1])
			}
			res, err = r.Jobs(ctx, river.NewJobListParams().Kinds("test_step").OrderBy(river.JobListOrderByID, river.SortOrderDesc).First(2).After(res.LastCursor))
			if err != nil || len(res.Jobs) != 1 || res.Jobs[0].ID != ids[0] {
				t.Fatalf("second page %v, %v; want job %d", jobIDs(res.Jobs), err, ids[0])
			}
			p := WhereArg(river.NewJobListParams().Kinds("test_step"), "uuid", "call-1")
			p = WhereArg(p, "key", "short-call/5617")
			res, err = r.Jobs(ctx, p)
			if err != nil || len(res.Jobs) != 1 || res.Jobs[0].ID != ids[1] || res.Jobs[0].State != rivertype.JobStateCancelled {
				t.Fatalf("WhereArg uuid and key: %v, %v; want the cancelled job %d", jobIDs(res.Jobs), err, ids[1])
			}
			effects, err := r.Effects().Since(ctx, time.Now().Add(-time.Hour))
			if err != nil || len(effects) != 1 || effects[EffectKey{"call-1", "summary"}].State != EffectSent {
				t.Fatalf("effects %+v, %v; want call-1/summary sent", effects, err)
			}
			if effects, err := r.Effects().Since(ctx, time.Now().Add(time.Hour)); err != nil || len(effects) != 0 {
				t.Fatalf("effects since an hour ahead: %+v, %v", effects, err)
			}
			job, err := r.Retry(ctx, ids[1])
			if err != nil || job.State != rivertype.JobStateAvailable {
				t.Fatalf("Retry: %v, %v; want available", job, err)
			}
			if _, err := r.Job(ctx, 1<<40); !errors.Is(err, rivertype.ErrNotFound) {
				t.Fatalf("Job of an unknown id: %v", err)
			}
			// Nothing works it while only the reader is open.
			if job, err := r.Job(ctx, ids[1]); err != nil || job.State != rivertype.JobStateAvailable || job.Attempt != 1 {
				t.Fatalf("retried job: %+v, %v; want available after 1 attempt", job, err)
			}
			if waiting, err := r.Waiting(ctx); err != nil || len(waiting) != 0 {
				t.Fatalf("Waiting: %v, %v; want none", waiting, err)
			}

			j2, err := Open(ctx, cfg, Options{})
			if err != nil {
				t.Fatal(err)
			}
			w2 := &stepWorker{done: make(chan int64, 10)}
			Register(j2, w2)
			if err := j2.Start(ctx); err != nil {
				t.Fatal(err)
			}
			defer j2.Stop(ctx)
			select {
			case id := <-w2.done:
				if id != ids[1] {
					t.Fatalf("the next host worked job %d, want the retried %d", id, ids[1])
				}
			case <-time.After(time.Minute):
				t.Fatal("the retried job was not worked")
			}
		})
	}
}

func jobIDs(jobs []*rivertype.JobRow) []int64 {
	out := make([]int64, len(jobs))
	for i, j := range jobs {
		out[i] = j.ID
	}
	return out
}

// TestReaderCreatesNothing: on a missing SQLite file the reader fails with
// ErrNoJournal and creates no file; on a database without River's tables it
// fails and does not migrate it.
func TestReaderCreatesNothing(t *testing.T) {
	ctx := context.Background()
	cfg := DefaultConfig()
	dir := t.TempDir()
	cfg.Path = filepath.Join(dir, DefaultSQLiteFile)
	if _, err := OpenReader(ctx, cfg); !errors.Is(err, ErrNoJournal) {
		t.Fatalf("OpenReader of a missing file: %v, want ErrNoJournal", err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Fatalf("OpenReader created %v", entries)
	}
	if err := os.WriteFile(cfg.Path, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := OpenReader(ctx, cfg); err == nil {
		t.Fatal("OpenReader of an empty file: no error")
	}
	if _, err := OpenReader(ctx, cfg); err == nil { // still not migrated
		t.Fatal("OpenReader of an empty file, again: no error")
	}
}

// TestReaderWaiting: events still in the SQLite intake (no host moved
// them) are listed.
func TestReaderWaiting(t *testing.T) {
	ctx := context.Background()
	cfg := DefaultConfig()
	cfg.Path = filepath.Join(t.TempDir(), DefaultSQLiteFile)
	j, err := Open(ctx, cfg, Options{})
	if err != nil {
		t.Fatal(err)
	}
	// Recorded straight into the intake, as Record does, with no mover.
	p := &pending{params: river.InsertManyParams{Args: stepArgs{UUID: "call-9", Key: "summary"}}}
	if err := p.encode(); err != nil {
		t.Fatal(err)
	}
	if err := j.intake.commit(ctx, []*pending{p}); err != nil {
		t.Fatal(err)
	}
	if err := j.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	r, err := OpenReader(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	waiting, err := r.Waiting(ctx)
	if err != nil || len(waiting) != 1 || waiting[0].Kind != "test_step" || string(waiting[0].Args) != `{"uuid":"call-9","key":"summary","fail":false}` {
		t.Fatalf("Waiting: %+v, %v", waiting, err)
	}
}
