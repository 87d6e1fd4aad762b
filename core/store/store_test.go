package store_test

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-hq/switchboard/connectors/postgres/pgtest"
	"github.com/switchboard-hq/switchboard/core/store"
	"github.com/switchboard-hq/switchboard/core/store/storetest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

func TestSQLite(t *testing.T) {
	storetest.Run(t, func(t *testing.T) func() store.Store {
		path := filepath.Join(t.TempDir(), "state.db")
		return func() store.Store {
			s, err := store.OpenSQLite(context.Background(), path)
			if err != nil {
				t.Fatal(err)
			}
			return s
		}
	})
}

func TestPostgres(t *testing.T) {
	storetest.Run(t, func(t *testing.T) func() store.Store {
		dsn := pgtest.NewDatabase(t)
		return func() store.Store {
			s, err := store.OpenPostgres(context.Background(), dsn)
			if err != nil {
				t.Fatal(err)
			}
			return s
		}
	})
}

func TestSQLiteWAL(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.db")
	s, err := store.OpenSQLite(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Put(context.Background(), store.Record{Resource: store.Companies, ExternalID: "a", HipcallID: 1}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path + "-wal"); err != nil {
		t.Errorf("no write-ahead log next to the state file: %v", err)
	}
}

func TestOpenErrors(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		name string
		cfg  store.Config
		want string
	}{
		{"unknown driver", store.Config{Driver: "mysql"}, "unknown driver"},
		{"sqlite without path", store.Config{Driver: "sqlite"}, "set sync.store.path"},
		{"sqlite in a missing directory", store.Config{Path: "/nonexistent/dir/state.db"}, "create it"},
		{"postgres without dsn", store.Config{Driver: "postgres"}, "set sync.store.dsn"},
		{"postgres with a bad dsn", store.Config{Driver: "postgres", DSN: "postgres://u:hunter2@127.0.0.1:1/db?connect_timeout=1"}, "check sync.store.dsn"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s, err := store.Open(ctx, tc.cfg)
			if err == nil {
				s.Close()
				t.Fatal("Open succeeded")
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not contain %q", err, tc.want)
			}
			if strings.Contains(err.Error(), "hunter2") {
				t.Errorf("error %q shows the password", err)
			}
		})
	}
}

// TestSQLiteOldSchema: a state file written before the intent log (no
// in_flight column, no sync_meta table) opens, keeps its records and
// takes the new fields.
func TestSQLiteOldSchema(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "state.db")
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range []string{
		`CREATE TABLE sync_records (resource TEXT NOT NULL, external_id TEXT NOT NULL, hipcall_id INTEGER NOT NULL, hash TEXT NOT NULL,
  fields TEXT NOT NULL, synced_at INTEGER NOT NULL, PRIMARY KEY (resource, external_id))`,
		`INSERT INTO sync_records VALUES ('contacts', 'old', 3, 'h', '{}', 0)`,
	} {
		if _, err := db.ExecContext(ctx, st); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	for range 2 { // the second open finds the column added
		s, err := store.OpenSQLite(ctx, path)
		if err != nil {
			t.Fatal(err)
		}
		if got, ok, err := s.Get(ctx, store.Contacts, "old"); err != nil || !ok || got.HipcallID != 3 || got.InFlight {
			t.Fatalf("old record = %+v, %v, %v", got, ok, err)
		}
		if err := s.Put(ctx, store.Record{Resource: store.Contacts, ExternalID: "new", HipcallID: 4, InFlight: true}); err != nil {
			t.Fatal(err)
		}
		if err := s.SetMeta(ctx, "k", "v"); err != nil {
			t.Fatal(err)
		}
		s.Close()
	}
}

// oldRuns is sync_runs as each dialect created it before runs recorded
// their progress and details (no details column), with one finished run.
func oldRuns(idColumn string) []string {
	return []string{
		`CREATE TABLE sync_runs (id ` + idColumn + `, holder TEXT NOT NULL, started_at BIGINT NOT NULL, finished_at BIGINT NOT NULL,
  status TEXT NOT NULL, counts TEXT NOT NULL, error TEXT NOT NULL)`,
		`INSERT INTO sync_runs (holder, started_at, finished_at, status, counts, error) VALUES ('old', 1000, 2000, 'done', '{"companies.created":3}', '')`,
	}
}

// checkOldRuns opens a state whose sync_runs predates the details column
// (twice: the second open finds it added) and checks that the old run
// reads back without details, takes them, and that new runs record them.
func checkOldRuns(t *testing.T, open func() store.Store) {
	t.Helper()
	ctx := context.Background()
	for i := range 2 {
		s := open()
		runs, err := s.Runs(ctx, 10)
		if err != nil || len(runs) != 1+i || runs[len(runs)-1].ID != 1 || runs[len(runs)-1].Counts["companies.created"] != 3 {
			t.Fatalf("open %d: Runs = %+v, %v", i+1, runs, err)
		}
		old, ok, err := s.Run(ctx, 1)
		// It has no details, until the first open gave it a problem.
		if err != nil || !ok || old.Holder != "old" || old.Status != store.RunDone || len(old.Problems) != i {
			t.Fatalf("open %d: the old run = %+v, %v, %v", i+1, old, ok, err)
		}
		old.Problems = []store.RunProblem{{Resource: "contacts", ExternalID: "C1", Error: "boom"}}
		if err := s.UpdateRun(ctx, old); err != nil {
			t.Fatal(err)
		}
		if got, _, err := s.Run(ctx, 1); err != nil || len(got.Problems) != 1 || got.ProblemsTotal != 1 {
			t.Fatalf("open %d: the old run after an update = %+v, %v", i+1, got, err)
		}
		id, err := s.StartRun(ctx, store.Run{Holder: "new", StartedAt: time.UnixMilli(3000), DryRun: true, Phase: "reading"})
		if err != nil {
			t.Fatal(err)
		}
		if got, ok, err := s.Run(ctx, id); err != nil || !ok || !got.DryRun || got.Phase != "reading" {
			t.Fatalf("open %d: a new run = %+v, %v, %v", i+1, got, ok, err)
		}
		s.Close()
	}
}

// TestSQLiteOldRuns: a state file whose runs table predates the details
// column opens, and its runs read and take details.
func TestSQLiteOldRuns(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.db")
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range oldRuns("INTEGER PRIMARY KEY AUTOINCREMENT") {
		if _, err := db.Exec(st); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	checkOldRuns(t, func() store.Store {
		s, err := store.OpenSQLite(context.Background(), path)
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}

// TestPostgresOldRuns is TestSQLiteOldRuns for PostgreSQL.
func TestPostgresOldRuns(t *testing.T) {
	dsn := pgtest.NewDatabase(t)
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range oldRuns("BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY") {
		if _, err := db.Exec(st); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	checkOldRuns(t, func() store.Store {
		s, err := store.OpenPostgres(context.Background(), dsn)
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}
