package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	_ "modernc.org/sqlite" // the "sqlite" database/sql driver, without cgo
)

// DefaultSQLiteFile is the state file's name when none is configured; it
// lives next to the configuration file.
const DefaultSQLiteFile = "switchboard-state.db"

var sqliteSchema = []string{
	`CREATE TABLE IF NOT EXISTS sync_records (
  resource    TEXT    NOT NULL,
  external_id TEXT    NOT NULL,
  hipcall_id  INTEGER NOT NULL,
  hash        TEXT    NOT NULL,
  fields      TEXT    NOT NULL,
  synced_at   INTEGER NOT NULL,
  in_flight   INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (resource, external_id)
)`,
	`CREATE TABLE IF NOT EXISTS sync_leases (
  name       TEXT    PRIMARY KEY,
  holder     TEXT    NOT NULL,
  expires_at INTEGER NOT NULL
)`,
	`CREATE TABLE IF NOT EXISTS sync_runs (
  id          INTEGER PRIMARY KEY AUTOINCREMENT,
  holder      TEXT    NOT NULL,
  started_at  INTEGER NOT NULL,
  finished_at INTEGER NOT NULL,
  status      TEXT    NOT NULL,
  counts      TEXT    NOT NULL,
  error       TEXT    NOT NULL,
  details     TEXT    NOT NULL DEFAULT '{}'
)`,
	`CREATE TABLE IF NOT EXISTS sync_meta (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
)`,
}

// OpenSQLite opens (creating when missing) the SQLite state file at path,
// in WAL mode: a record written is durable across a crash of the process,
// and readers never block the writer.
func OpenSQLite(ctx context.Context, path string) (Store, error) {
	if strings.TrimSpace(path) == "" {
		return nil, errors.New("store (sqlite): no file path: set sync.store.path")
	}
	if strings.ContainsAny(path, "?#") {
		return nil, fmt.Errorf("store (sqlite): file path %q contains ? or #: rename it", path)
	}
	if dir := filepath.Dir(path); dir != "" {
		if _, err := os.Stat(dir); err != nil {
			return nil, fmt.Errorf("store (sqlite): directory of %s: %w (create it, or set sync.store.path)", path, err)
		}
	}
	dsn := path + "?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_txlock=immediate"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("store (sqlite): open %s: %w", path, err)
	}
	// One connection: writes are serialised in the process, and SQLite's
	// busy timeout serialises them with other processes.
	db.SetMaxOpenConns(1)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("store (sqlite): open %s: %w (check the path and its permissions)", path, err)
	}
	s, err := newSQLStore(ctx, db, dialect{name: "sqlite", schema: sqliteSchema, migrate: migrateSQLite})
	if err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

func migrateSQLite(ctx context.Context, db *sql.DB, stmts []string) error {
	tx, err := db.BeginTx(ctx, nil) // _txlock=immediate: takes the write lock now
	if err != nil {
		return err
	}
	defer tx.Rollback()
	for _, st := range stmts {
		if _, err := tx.ExecContext(ctx, st); err != nil {
			return err
		}
	}
	// States written before the intent log lack in_flight, and those
	// written before runs recorded their progress and details lack details
	// (SQLite has no ADD COLUMN IF NOT EXISTS).
	for _, c := range []struct{ table, column, def string }{
		{"sync_records", "in_flight", "INTEGER NOT NULL DEFAULT 0"},
		{"sync_runs", "details", "TEXT NOT NULL DEFAULT '{}'"},
	} {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM pragma_table_info(?) WHERE name = ?`, c.table, c.column).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			if _, err := tx.ExecContext(ctx, `ALTER TABLE `+c.table+` ADD COLUMN `+c.column+` `+c.def); err != nil {
				return err
			}
		}
	}
	return tx.Commit()
}
