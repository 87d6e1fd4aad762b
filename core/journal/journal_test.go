package journal

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/switchboard-hq/switchboard/connectors/conf"
	"github.com/switchboard-hq/switchboard/connectors/connectortest"
	"github.com/switchboard-hq/switchboard/connectors/postgres/pgtest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// noteArgs is a test job: N is counted when worked.
type noteArgs struct {
	N int `json:"n"`
}

func (noteArgs) Kind() string { return "test_note" }

func (noteArgs) InsertOpts() river.InsertOpts { return river.InsertOpts{Queue: QueueEvents} }

type noteWorker struct {
	river.WorkerDefaults[noteArgs]
	mu   sync.Mutex
	seen map[int]int
	all  chan struct{}
	want int
}

func newNoteWorker(want int) *noteWorker {
	return &noteWorker{seen: map[int]int{}, all: make(chan struct{}), want: want}
}

func (w *noteWorker) Work(_ context.Context, j *river.Job[noteArgs]) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.seen[j.Args.N]++
	if len(w.seen) == w.want {
		close(w.all)
	}
	return nil
}

// configs is one journal configuration per driver: SQLite in a temporary
// directory and a fresh PostgreSQL database.
func configs(t *testing.T) map[string]func(t *testing.T) Config {
	return map[string]func(t *testing.T) Config{
		DriverSQLite: func(t *testing.T) Config {
			c := DefaultConfig()
			c.Path = filepath.Join(t.TempDir(), DefaultSQLiteFile)
			return c
		},
		DriverPostgres: func(t *testing.T) Config {
			c := DefaultConfig()
			c.Driver, c.DSN = DriverPostgres, conf.Secret(pgtest.NewDatabase(t))
			return c
		},
	}
}

// TestRecordBurst records 5,000 jobs (800 under the race detector) from 64
// goroutines at once: every
// Record returns once its job is committed, every job is worked exactly
// once, and the wait for a commit stays short (logged, not asserted:
// speed is measured by make bench).
func TestRecordBurst(t *testing.T) {
	for name, cfgOf := range configs(t) {
		t.Run(name, func(t *testing.T) {
			n := 5000
			if raceEnabled {
				n = 800
			}
			ctx := context.Background()
			j, err := Open(ctx, cfgOf(t), Options{})
			if err != nil {
				t.Fatal(err)
			}
			w := newNoteWorker(n)
			Register(j, w)
			if err := j.Start(ctx); err != nil {
				t.Fatal(err)
			}
			defer j.Stop(ctx)
			var next atomic.Int64
			took := make([]time.Duration, n)
			var wg sync.WaitGroup
			for range 64 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for {
						i := int(next.Add(1)) - 1
						if i >= n {
							return
						}
						start := time.Now()
						if err := j.Record(ctx, noteArgs{N: i}, nil); err != nil {
							t.Error(err)
							return
						}
						took[i] = time.Since(start)
					}
				}()
			}
			wg.Wait()
			select {
			case <-w.all:
			case <-time.After(2 * time.Minute):
				t.Fatalf("only %d of %d jobs worked", len(w.seen), n)
			}
			w.mu.Lock()
			for i, c := range w.seen {
				if c != 1 {
					t.Errorf("job %d worked %d times", i, c)
				}
			}
			w.mu.Unlock()
			slices.Sort(took)
			t.Logf("%s: Record p50 %v, p99 %v, max %v", name, took[n/2], took[n*99/100], took[n-1])
		})
	}
}

// TestRecordedSurvivesRestart: jobs recorded by a journal that stops
// before working them are worked by the next one on the same database.
func TestRecordedSurvivesRestart(t *testing.T) {
	for name, cfgOf := range configs(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			cfg := cfgOf(t)
			j, err := Open(ctx, cfg, Options{})
			if err != nil {
				t.Fatal(err)
			}
			// No worker for the kind in this queue: nothing is worked.
			Register(j, newNoteWorker(0))
			j.cfg.Workers = 1
			if err := j.Start(ctx); err != nil {
				t.Fatal(err)
			}
			stopCtx, cancel := context.WithCancel(ctx)
			cancel() // stop at once: whatever was fetched is abandoned
			for i := range 20 {
				if err := j.Record(ctx, noteArgs{N: i}, &river.InsertOpts{ScheduledAt: time.Now().Add(time.Hour)}); err != nil {
					t.Fatal(err)
				}
			}
			_ = j.Stop(stopCtx)

			j2, err := Open(ctx, cfg, Options{})
			if err != nil {
				t.Fatal(err)
			}
			w := newNoteWorker(20)
			Register(j2, w)
			if err := j2.Start(ctx); err != nil {
				t.Fatal(err)
			}
			defer j2.Stop(ctx)
			// The intake moves what the first journal recorded into River
			// in the background after Start.
			var jobs []*rivertype.JobRow
			connectortest.EventuallyWhy(t, 30*time.Second, func() (bool, string) {
				jobs, err = j2.Jobs(ctx, river.NewJobListParams().Kinds("test_note").States("scheduled").First(100))
				return err == nil && len(jobs) == 20, fmt.Sprintf("%d scheduled jobs after the restart, want 20 (%v)", len(jobs), err)
			})
			for _, job := range jobs {
				if _, err := j2.Retry(ctx, job.ID); err != nil { // run now
					t.Fatal(err)
				}
			}
			select {
			case <-w.all:
			case <-time.After(time.Minute):
				t.Fatalf("%d of 20 recorded jobs worked after the restart", len(w.seen))
			}
		})
	}
}

func TestEffects(t *testing.T) {
	for name, cfgOf := range configs(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			j, err := Open(ctx, cfgOf(t), Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer j.Stop(ctx)
			e := j.Effects()
			if _, ok, err := e.Begin(ctx, "call-1", "comment"); err != nil || !ok {
				t.Fatalf("first Begin = %v, %v; want ok", ok, err)
			}
			prev, ok, err := e.Begin(ctx, "call-1", "comment")
			if err != nil || ok || prev.State != EffectSent {
				t.Fatalf("second Begin = %+v, %v, %v; want the sent mark, not ok", prev, ok, err)
			}
			if err := e.Abort(ctx, "call-1", "comment"); err != nil {
				t.Fatal(err)
			}
			if _, ok, err := e.Begin(ctx, "call-1", "comment"); err != nil || !ok {
				t.Fatalf("Begin after Abort = %v, %v; want ok", ok, err)
			}
			if err := e.Done(ctx, "call-1", "comment", "c-77"); err != nil {
				t.Fatal(err)
			}
			if err := e.Abort(ctx, "call-1", "comment"); err != nil { // a done step stays done
				t.Fatal(err)
			}
			prev, ok, err = e.Begin(ctx, "call-1", "comment")
			if err != nil || ok || prev.State != EffectDone || prev.RemoteID != "c-77" {
				t.Fatalf("Begin after Done = %+v, %v, %v; want done with its id", prev, ok, err)
			}
			if got, err := e.Get(ctx, "call-2", "comment"); err != nil || got.State != EffectNone {
				t.Fatalf("Get of an unknown step = %+v, %v", got, err)
			}
		})
	}
	_ = fmt.Sprint()
}
