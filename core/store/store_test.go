package store_test

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"

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
