package journal

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/riverqueue/river"
)

// The intake (SQLite only). River's SQLite driver works through one
// connection that its producers, completer and maintenance share, so an
// insert from a webhook waits behind whatever River is writing: in a burst
// of 5,000 webhooks the answer's p99 was 68 ms. Record therefore commits
// to a second SQLite file of its own, on its own connection, a plain
// append-only table (one group commit per batch, durable like River's),
// and a mover copies the rows into River in batches and deletes them.
// Rows are deleted only after River holds them; a crash in between copies
// them again, and the jobs' uniqueness (an event per call and name) skips
// the repeat. PostgreSQL needs none of this: Record inserts into River.

// intakeSuffix is appended to the journal file's name (without .db) to name
// the intake's file.
const intakeSuffix = "-intake.db"

// moveBatch caps the rows one move copies.
const moveBatch = 500

const intakeTable = `CREATE TABLE IF NOT EXISTS intake (
  id   INTEGER PRIMARY KEY AUTOINCREMENT,
  kind TEXT NOT NULL,
  args BLOB NOT NULL,
  opts BLOB
)`

// intake is the SQLite journal's front door.
type intake struct {
	db    *sql.DB
	wake  chan struct{}
	kinds map[string]func([]byte) (river.JobArgs, error) // decoders, by kind
	mu    sync.Mutex                                     // guards kinds
}

// intakePath is the intake file of the journal file path.
func intakePath(path string) string {
	return strings.TrimSuffix(path, ".db") + intakeSuffix
}

func openIntake(ctx context.Context, path string) (*intake, error) {
	// No automatic checkpoint: it would run inside a Record's commit and
	// stall the answer; the mover checkpoints when the intake is empty.
	db, err := sql.Open("sqlite", path+"?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_pragma=wal_autocheckpoint(0)")
	if err != nil {
		return nil, fmt.Errorf("journal (sqlite): open %s: %w", path, err)
	}
	db.SetMaxOpenConns(1)
	if _, err := db.ExecContext(ctx, intakeTable); err != nil {
		db.Close()
		return nil, fmt.Errorf("journal (sqlite): create the intake in %s: %w (check the path and its permissions)", path, err)
	}
	return &intake{db: db, wake: make(chan struct{}, 1), kinds: map[string]func([]byte) (river.JobArgs, error){}}, nil
}

// learn registers how to read back a job kind's arguments.
func learn[T river.JobArgs](in *intake) {
	var zero T
	in.mu.Lock()
	defer in.mu.Unlock()
	in.kinds[zero.Kind()] = func(b []byte) (river.JobArgs, error) {
		var v T
		if err := json.Unmarshal(b, &v); err != nil {
			return nil, err
		}
		return v, nil
	}
}

// commit stores a batch in one transaction.
func (in *intake) commit(ctx context.Context, batch []*pending) error {
	tx, err := in.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	stmt, err := tx.PrepareContext(ctx, `INSERT INTO intake (kind, args, opts) VALUES (?, ?, ?)`)
	if err != nil {
		return err
	}
	defer stmt.Close()
	for _, p := range batch {
		args, err := json.Marshal(p.params.Args)
		if err != nil {
			return fmt.Errorf("encode %s: %w", p.params.Args.Kind(), err)
		}
		var opts []byte
		if p.params.InsertOpts != nil {
			if opts, err = json.Marshal(p.params.InsertOpts); err != nil {
				return fmt.Errorf("encode the insert options of %s: %w", p.params.Args.Kind(), err)
			}
		}
		if _, err := stmt.ExecContext(ctx, p.params.Args.Kind(), args, opts); err != nil {
			return err
		}
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	select {
	case in.wake <- struct{}{}:
	default:
	}
	return nil
}

// moveLoop copies intake rows into River until ctx ends, then once more.
func (j *Journal) moveLoop(ctx context.Context) {
	defer j.wg.Done()
	t := time.NewTicker(time.Second) // rows a failed move left behind
	defer t.Stop()
	lastErr := ""
	for {
		for {
			n, err := j.move(context.WithoutCancel(ctx))
			if err != nil {
				if msg := err.Error(); msg != lastErr {
					lastErr = msg
					j.log.Error("moving recorded events into the journal's queue failed; they stay recorded and are tried again every second", "error", err)
				}
				break
			}
			lastErr = ""
			if n < moveBatch {
				break
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-j.intake.wake:
		case <-t.C:
		}
	}
}

// move copies up to moveBatch rows into River and deletes them.
func (j *Journal) move(ctx context.Context) (int, error) {
	rows, err := j.intake.db.QueryContext(ctx, `SELECT id, kind, args, opts FROM intake ORDER BY id LIMIT ?`, moveBatch)
	if err != nil {
		return 0, err
	}
	var (
		ids    []int64
		params []river.InsertManyParams
		bad    []error
	)
	for rows.Next() {
		var (
			id         int64
			kind       string
			args, opts []byte
		)
		if err := rows.Scan(&id, &kind, &args, &opts); err != nil {
			rows.Close()
			return 0, err
		}
		j.intake.mu.Lock()
		decode := j.intake.kinds[kind]
		j.intake.mu.Unlock()
		if decode == nil {
			bad = append(bad, fmt.Errorf("intake row %d: no worker for job kind %q (a newer version recorded it?)", id, kind))
			continue
		}
		a, err := decode(args)
		if err != nil {
			bad = append(bad, fmt.Errorf("intake row %d (%s): %w", id, kind, err))
			continue
		}
		p := river.InsertManyParams{Args: a}
		if len(opts) > 0 {
			p.InsertOpts = &river.InsertOpts{}
			if err := json.Unmarshal(opts, p.InsertOpts); err != nil {
				bad = append(bad, fmt.Errorf("intake row %d (%s) options: %w", id, kind, err))
				continue
			}
		}
		ids, params = append(ids, id), append(params, p)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	if len(params) > 0 {
		if err := j.insert(ctx, params); err != nil {
			return 0, err
		}
		if err := j.intake.remove(ctx, ids, len(bad) == 0); err != nil {
			return 0, err
		}
	}
	if len(ids) > 0 && len(ids)+len(bad) < moveBatch {
		// Caught up: fold the log into the file while nothing waits.
		if _, err := j.intake.db.ExecContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
			return 0, err
		}
	}
	return len(ids) + len(bad), errors.Join(bad...)
}

// remove deletes moved rows, ids ascending; upTo: every row up to the last
// id was moved (one statement).
func (in *intake) remove(ctx context.Context, ids []int64, upTo bool) error {
	if upTo {
		_, err := in.db.ExecContext(ctx, `DELETE FROM intake WHERE id <= ?`, ids[len(ids)-1])
		return err
	}
	tx, err := in.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	for _, id := range ids {
		if _, err := tx.ExecContext(ctx, `DELETE FROM intake WHERE id = ?`, id); err != nil {
			return err
		}
	}
	return tx.Commit()
}

// insert puts jobs into River: in one call, or one by one when that fails
// (two deliveries of one event in a batch are refused as a unique key
// seen twice; one by one, uniqueness skips the repeat).
func (j *Journal) insert(ctx context.Context, params []river.InsertManyParams) error {
	if _, err := j.cli.InsertMany(ctx, params); err == nil || len(params) == 1 {
		return err
	}
	var errs []error
	for _, p := range params {
		if _, err := j.cli.InsertMany(ctx, []river.InsertManyParams{p}); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
