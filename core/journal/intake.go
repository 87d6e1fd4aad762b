package journal

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
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

// moveBatch caps the rows one move copies; moveGather is how long the
// mover lets commits gather after one wakes it (a call_hangup reaches
// River at most this much later).
const (
	moveBatch  = 500
	moveGather = 20 * time.Millisecond
)

const intakeTable = `CREATE TABLE IF NOT EXISTS intake (
  id   INTEGER PRIMARY KEY AUTOINCREMENT,
  kind TEXT NOT NULL,
  args BLOB NOT NULL,
  opts BLOB
)`

// intake is the SQLite journal's front door. Only commits use db (the
// one writer connection) in the path of an answer; the mover reads through
// ro, which never waits for the writer in WAL mode, and deletes what it
// moved in large batches, when the intake is idle or far behind (a crash
// in between moves those rows again: uniqueness skips them).
type intake struct {
	db    *sql.DB
	ro    *sql.DB
	wake  chan struct{}
	kinds map[string]func([]byte) (river.JobArgs, error) // decoders, by kind
	mu    sync.Mutex                                     // guards kinds

	lastCommit atomic.Int64 // unix nanoseconds of the last commit
	// Mover state (the mover's goroutine only): the highest id moved,
	// the highest id deleted, rows that cannot be moved (kept, and
	// reported, until a version that knows them runs), and whether the
	// log was checkpointed since the last delete.
	moved, deleted int64
	bad            map[int64]bool
	checkpointed   bool
	// held are provisional jobs waiting for their Settle, by id
	// (provisional.go); settle is what Settle reported; startTop is the
	// last row recorded before this process opened the intake.
	held     []heldJob
	settle   *settlements
	startTop int64
	// inserts are the prepared INSERTs by batch size (the commit loop's).
	inserts map[int]*sql.Stmt
}

// Mover pacing: rows moved are deleted at most deleteChunk at a time
// while commits come (each delete holds the writer for about a
// millisecond), all at once when the intake has been idle intakeIdle.
const (
	intakeIdle  = time.Second
	deleteChunk = 128
)

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
	ro, err := sql.Open("sqlite", path+"?mode=ro&_pragma=busy_timeout(10000)")
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("journal (sqlite): open %s for reading: %w", path, err)
	}
	in := &intake{db: db, ro: ro, wake: make(chan struct{}, 1), kinds: map[string]func([]byte) (river.JobArgs, error){},
		bad: map[int64]bool{}, settle: newSettlements(), inserts: map[int]*sql.Stmt{}}
	if err := db.QueryRowContext(ctx, `SELECT coalesce(max(id), 0) FROM intake`).Scan(&in.startTop); err != nil {
		db.Close()
		ro.Close()
		return nil, fmt.Errorf("journal (sqlite): read the intake in %s: %w", path, err)
	}
	return in, nil
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

// encode prepares a Record for the intake, on the caller's goroutine (so
// that concurrent webhooks encode in parallel, not in the commit loop).
func (p *pending) encode() error {
	args, err := json.Marshal(p.params.Args)
	if err != nil {
		return fmt.Errorf("encode %s: %w", p.params.Args.Kind(), err)
	}
	p.kind, p.args = p.params.Args.Kind(), args
	if p.params.InsertOpts != nil {
		if p.opts, err = json.Marshal(p.params.InsertOpts); err != nil {
			return fmt.Errorf("encode the insert options of %s: %w", p.kind, err)
		}
	}
	return nil
}

// commit stores a batch with one statement (atomic on its own): one
// multi-row INSERT costs SQLite far less than one per row, and the
// statement for each batch size is prepared once (the commit loop is its
// only user).
func (in *intake) commit(ctx context.Context, batch []*pending) error {
	st, err := in.insertFor(ctx, len(batch))
	if err != nil {
		return err
	}
	args := make([]any, 0, 3*len(batch))
	for _, p := range batch {
		args = append(args, p.kind, p.args, p.opts)
	}
	if _, err := st.ExecContext(ctx, args...); err != nil {
		return err
	}
	in.lastCommit.Store(time.Now().UnixNano())
	select {
	case in.wake <- struct{}{}:
	default:
	}
	return nil
}

// insertFor returns the prepared INSERT of n rows.
func (in *intake) insertFor(ctx context.Context, n int) (*sql.Stmt, error) {
	if st := in.inserts[n]; st != nil {
		return st, nil
	}
	var q strings.Builder
	q.WriteString(`INSERT INTO intake (kind, args, opts) VALUES `)
	for i := range n {
		if i > 0 {
			q.WriteString(", ")
		}
		q.WriteString("(?, ?, ?)")
	}
	st, err := in.db.PrepareContext(ctx, q.String())
	if err != nil {
		return nil, err
	}
	in.inserts[n] = st
	return st, nil
}

// moveLoop copies intake rows into River until ctx ends.
func (j *Journal) moveLoop(ctx context.Context) {
	defer j.wg.Done()
	t := time.NewTicker(intakeIdle / 4) // idle clean-up, and rows a failed move left
	defer t.Stop()
	lastErr := ""
	report := func(err error) {
		if err == nil {
			lastErr = ""
			return
		}
		if msg := err.Error(); msg != lastErr {
			lastErr = msg
			j.log.Error("moving recorded events into the journal's queue failed; they stay recorded and are tried again", "error", err)
		}
	}
	for {
		for {
			n, err := j.move(context.WithoutCancel(ctx))
			report(err)
			if err != nil || n < moveBatch {
				break
			}
		}
		report(j.intake.cleanUp(context.WithoutCancel(ctx)))
		select {
		case <-ctx.Done():
			return
		case <-j.intake.wake:
			// Let a burst's commits gather: one pass moves them all,
			// instead of a query per commit competing with the next.
			gather := time.NewTimer(moveGather)
			select {
			case <-ctx.Done():
				gather.Stop()
				return
			case <-gather.C:
			}
		case <-t.C:
		}
	}
}

// move copies up to moveBatch rows past the last one moved into River,
// holding provisional jobs for their Settle (provisional.go); it returns
// the rows read.
func (j *Journal) move(ctx context.Context) (int, error) {
	in := j.intake
	now := time.Now()
	rows, err := in.ro.QueryContext(ctx, `SELECT id, kind, args, opts FROM intake WHERE id > ? ORDER BY id LIMIT ?`, in.moved, moveBatch)
	if err != nil {
		return 0, err
	}
	var (
		n      int
		last   int64
		params []river.InsertManyParams
		bad    []error
		ps     pass
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
		n, last = n+1, id
		p, err := in.decode(id, kind, args, opts)
		if err != nil {
			in.bad[id] = true
			bad = append(bad, err)
			continue
		}
		if key := provisionalKey(p.Args); key != "" {
			if in.admit(&ps, heldJob{id: id, key: key, p: p, since: now}) {
				params = append(params, p)
			}
			continue
		}
		params = append(params, p)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	params = append(params, in.release(&ps, now)...)
	if len(params) > 0 {
		if err := j.insert(ctx, params); err != nil {
			in.undo(&ps, now)
			return 0, err
		}
	}
	in.commitPass(&ps)
	in.settle.prune(now)
	if n > 0 {
		in.moved = last
	}
	return n, errors.Join(bad...)
}

// decode reads one intake row back into insert parameters.
func (in *intake) decode(id int64, kind string, args, opts []byte) (river.InsertManyParams, error) {
	in.mu.Lock()
	decode := in.kinds[kind]
	in.mu.Unlock()
	if decode == nil {
		return river.InsertManyParams{}, fmt.Errorf("intake row %d: no worker for job kind %q (a newer version recorded it?); it is kept", id, kind)
	}
	a, err := decode(args)
	if err != nil {
		return river.InsertManyParams{}, fmt.Errorf("intake row %d (%s): %w; it is kept", id, kind, err)
	}
	p := river.InsertManyParams{Args: a}
	if len(opts) > 0 {
		p.InsertOpts = &river.InsertOpts{}
		if err := json.Unmarshal(opts, p.InsertOpts); err != nil {
			return river.InsertManyParams{}, fmt.Errorf("intake row %d (%s) options: %w; it is kept", id, kind, err)
		}
	}
	return p, nil
}

// cleanUp deletes moved rows and folds the log into the file, when the
// intake is idle (no commit for intakeIdle) or far behind: not in the way
// of a burst's commits.
func (in *intake) cleanUp(ctx context.Context) error {
	idle := time.Since(time.Unix(0, in.lastCommit.Load())) >= intakeIdle
	if top := in.deletable(); top > in.deleted {
		upTo := top
		if !idle {
			upTo = min(upTo, in.deleted+deleteChunk)
		}
		if err := in.remove(ctx, upTo); err != nil {
			return err
		}
		in.checkpointed = false
	}
	if idle && !in.checkpointed {
		if _, err := in.db.ExecContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
			return err
		}
		in.checkpointed = true
	}
	return nil
}

// remove deletes the rows moved up to id upTo, keeping those that could
// not be moved.
func (in *intake) remove(ctx context.Context, upTo int64) error {
	tx, err := in.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	query, args := `DELETE FROM intake WHERE id > ? AND id <= ?`, []any{in.deleted, upTo}
	if len(in.bad) > 0 {
		// Rows that could not be moved stay for a version that can.
		keep := make([]string, 0, len(in.bad))
		for id := range in.bad {
			keep, args = append(keep, "?"), append(args, id)
		}
		query += " AND id NOT IN (" + strings.Join(keep, ", ") + ")"
	}
	if _, err := tx.ExecContext(ctx, query, args...); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	in.deleted = upTo
	return nil
}

// insert puts jobs into River: in one call, or one by one when that fails
// (two deliveries of one event in a batch are refused as a unique key
// seen twice; one by one, uniqueness skips the repeat). On PostgreSQL the
// provisional jobs inserted are noted for Settle (provisional_pg.go).
func (j *Journal) insert(ctx context.Context, params []river.InsertManyParams) error {
	res, err := j.cli.InsertMany(ctx, params)
	if err == nil || len(params) == 1 {
		if err == nil && j.pgSettled != nil {
			j.pgSettled.inserted(params, res)
		}
		return err
	}
	var errs []error
	for _, p := range params {
		one := []river.InsertManyParams{p}
		res, err := j.cli.InsertMany(ctx, one)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if j.pgSettled != nil {
			j.pgSettled.inserted(one, res)
		}
	}
	return errors.Join(errs...)
}
