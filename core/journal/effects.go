package journal

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Effects records what a request that is not idempotent (a comment, a
// task) did, so that a job run again — after a crash, a SIGKILL or a lost
// answer — never posts it twice:
//
//	Begin  before the request: marks (call, step) sent
//	Done   after a success: records the id Hipcall gave
//	Abort  after an answer that proves nothing was done (429, 502-504,
//	       a refused connection): clears the mark, so a retry may send
//	AbortIf  a person's forced retry of a held step: clears the mark
//	         the person saw, never one a later attempt made
//
// A job that finds the mark still set (Begin answers Sent) cannot know
// whether Hipcall did the work: the window between the request leaving
// and Done is the residual risk, and such a step is held for a person
// instead of being guessed either way.
type Effects struct {
	db         *sql.DB
	positional bool // $1 placeholders (PostgreSQL)
}

// EffectState is where a step stands.
type EffectState string

// States.
const (
	EffectNone EffectState = ""     // never sent, or aborted
	EffectSent EffectState = "sent" // sent; no answer recorded
	EffectDone EffectState = "done" // done; RemoteID is Hipcall's id
)

// Effect is one step's record.
type Effect struct {
	State    EffectState
	RemoteID string
	SentAt   time.Time
	DoneAt   time.Time
}

const effectsTable = `CREATE TABLE IF NOT EXISTS switchboard_effects (
  call_uuid TEXT   NOT NULL,
  step      TEXT   NOT NULL,
  state     TEXT   NOT NULL,
  remote_id TEXT   NOT NULL DEFAULT '',
  sent_at   BIGINT NOT NULL,
  done_at   BIGINT NOT NULL DEFAULT 0,
  PRIMARY KEY (call_uuid, step)
)`

const metaTable = `CREATE TABLE IF NOT EXISTS switchboard_meta (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
)`

// effectsIndexes make Since two index range reads instead of a scan of
// the table (one row per card, comment and task kept): a step is marked
// sent (sent_at), and later done (done_at). Open creates them in a new
// journal and adds them to one made before they existed.
var effectsIndexes = []string{
	`CREATE INDEX IF NOT EXISTS switchboard_effects_sent_at ON switchboard_effects (sent_at)`,
	`CREATE INDEX IF NOT EXISTS switchboard_effects_done_at ON switchboard_effects (done_at)`,
}

// migrateLock is the PostgreSQL advisory lock under which a host creates
// the effects tables and indexes ("SBEF").
const migrateLock = 0x53424546

func (e *Effects) migrate(ctx context.Context) error {
	statements := append([]string{effectsTable, metaTable}, effectsIndexes...)
	if !e.positional {
		// SQLite: each statement takes the database's one writer lock in
		// turn (busy_timeout waits for another process's).
		for _, st := range statements {
			if _, err := e.db.ExecContext(ctx, st); err != nil {
				return err
			}
		}
		return nil
	}
	// PostgreSQL: CREATE ... IF NOT EXISTS run by two hosts at once may
	// fail on a duplicate name; one host at a time creates, the next finds
	// everything there. Building an index on an existing journal holds
	// writes to the effects table until it is built.
	tx, err := e.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(migrateLock)); err != nil {
		return err
	}
	for _, st := range statements {
		if _, err := tx.ExecContext(ctx, st); err != nil {
			return err
		}
	}
	return tx.Commit()
}

// Meta returns a value the host keeps in the journal (the reconciler's
// cursor), or "" when none is set.
func (e *Effects) Meta(ctx context.Context, key string) (string, error) {
	var v string
	err := e.db.QueryRowContext(ctx, e.q(`SELECT value FROM switchboard_meta WHERE key = ?`), key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("journal: read %s: %w", key, err)
	}
	return v, nil
}

// SetMeta sets a value the host keeps in the journal.
func (e *Effects) SetMeta(ctx context.Context, key, value string) error {
	_, err := e.db.ExecContext(ctx, e.q(`INSERT INTO switchboard_meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`), key, value)
	if err != nil {
		return fmt.Errorf("journal: write %s: %w", key, err)
	}
	return nil
}

// q rewrites ? placeholders as $n for PostgreSQL.
func (e *Effects) q(query string) string {
	if !e.positional {
		return query
	}
	var b strings.Builder
	n := 0
	for _, r := range query {
		if r == '?' {
			n++
			fmt.Fprintf(&b, "$%d", n)
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// Get returns the step's record (State EffectNone when there is none).
func (e *Effects) Get(ctx context.Context, call, step string) (Effect, error) {
	var (
		ef           Effect
		state        string
		sent, doneAt int64
	)
	err := e.db.QueryRowContext(ctx, e.q(`SELECT state, remote_id, sent_at, done_at FROM switchboard_effects WHERE call_uuid = ? AND step = ?`),
		call, step).Scan(&state, &ef.RemoteID, &sent, &doneAt)
	if errors.Is(err, sql.ErrNoRows) {
		return Effect{}, nil
	}
	if err != nil {
		return Effect{}, fmt.Errorf("journal: read effect %s/%s: %w", call, step, err)
	}
	ef.State, ef.SentAt = EffectState(state), time.UnixMilli(sent)
	if doneAt > 0 {
		ef.DoneAt = time.UnixMilli(doneAt)
	}
	return ef, nil
}

// Begin marks the step sent, unless a record exists: then it returns that
// record unchanged (Done: skip the request; Sent: the outcome of an
// earlier attempt is unknown) and ok false. ok true: the caller may send.
func (e *Effects) Begin(ctx context.Context, call, step string) (prev Effect, ok bool, err error) {
	res, err := e.db.ExecContext(ctx, e.q(`INSERT INTO switchboard_effects (call_uuid, step, state, sent_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING`),
		call, step, string(EffectSent), time.Now().UnixMilli())
	if err != nil {
		return Effect{}, false, fmt.Errorf("journal: mark %s/%s sent: %w", call, step, err)
	}
	if n, err := res.RowsAffected(); err == nil && n == 1 {
		return Effect{}, true, nil
	}
	prev, err = e.Get(ctx, call, step)
	return prev, false, err
}

// Done records the step's success and Hipcall's id for it.
func (e *Effects) Done(ctx context.Context, call, step, remoteID string) error {
	_, err := e.db.ExecContext(ctx, e.q(`UPDATE switchboard_effects SET state = ?, remote_id = ?, done_at = ? WHERE call_uuid = ? AND step = ?`),
		string(EffectDone), remoteID, time.Now().UnixMilli(), call, step)
	if err != nil {
		return fmt.Errorf("journal: record %s/%s done: %w", call, step, err)
	}
	return nil
}

// Mark records the step done whether or not it was begun: for work done
// outside a job (an Insight Card pushed on the fast path).
func (e *Effects) Mark(ctx context.Context, call, step, remoteID string) error {
	now := time.Now().UnixMilli()
	_, err := e.db.ExecContext(ctx, e.q(`INSERT INTO switchboard_effects (call_uuid, step, state, remote_id, sent_at, done_at) VALUES (?, ?, ?, ?, ?, ?)
ON CONFLICT (call_uuid, step) DO UPDATE SET state = excluded.state, remote_id = excluded.remote_id, done_at = excluded.done_at`),
		call, step, string(EffectDone), remoteID, now, now)
	if err != nil {
		return fmt.Errorf("journal: record %s/%s done: %w", call, step, err)
	}
	return nil
}

// Marked is one call's outcome for MarkMany.
type Marked struct {
	Call, RemoteID string
}

// MarkMany records step done for many calls in one statement (the cards
// the webhook's fast path handled, written in batches off its path). A
// call listed twice keeps its last outcome.
func (e *Effects) MarkMany(ctx context.Context, step string, marks []Marked) error {
	if len(marks) == 0 {
		return nil
	}
	last := make(map[string]int, len(marks))
	for i, m := range marks {
		last[m.Call] = i
	}
	now := time.Now().UnixMilli()
	var q strings.Builder
	q.WriteString(`INSERT INTO switchboard_effects (call_uuid, step, state, remote_id, sent_at, done_at) VALUES `)
	args := make([]any, 0, 6*len(last))
	for i, m := range marks {
		if last[m.Call] != i {
			continue
		}
		if len(args) > 0 {
			q.WriteString(", ")
		}
		q.WriteString("(?, ?, ?, ?, ?, ?)")
		args = append(args, m.Call, step, string(EffectDone), m.RemoteID, now, now)
	}
	q.WriteString(` ON CONFLICT (call_uuid, step) DO UPDATE SET state = excluded.state, remote_id = excluded.remote_id, done_at = excluded.done_at`)
	if _, err := e.db.ExecContext(ctx, e.q(q.String()), args...); err != nil {
		return fmt.Errorf("journal: record %s done for %d calls: %w", step, len(last), err)
	}
	return nil
}

// Abort clears the step's mark after an answer that proves the request did
// nothing, so that the next attempt sends again. An operator's retry of a
// held step uses AbortIf.
func (e *Effects) Abort(ctx context.Context, call, step string) error {
	_, err := e.db.ExecContext(ctx, e.q(`DELETE FROM switchboard_effects WHERE call_uuid = ? AND step = ? AND state = ?`),
		call, step, string(EffectSent))
	if err != nil {
		return fmt.Errorf("journal: clear %s/%s: %w", call, step, err)
	}
	return nil
}

// AbortIf clears the step's sent mark only if it is still the one a
// person saw: marked sent at sentAt (Effect.SentAt, as Get returned it)
// and not done. cleared false: the mark changed or is gone — another
// process retried the step meanwhile and a later attempt may have marked
// it sent again — and nothing was cleared. An operator's forced retry
// calls it, so that it never clears the mark of an attempt it did not see.
func (e *Effects) AbortIf(ctx context.Context, call, step string, sentAt time.Time) (cleared bool, err error) {
	res, err := e.db.ExecContext(ctx, e.q(`DELETE FROM switchboard_effects WHERE call_uuid = ? AND step = ? AND state = ? AND sent_at = ?`),
		call, step, string(EffectSent), sentAt.UnixMilli())
	if err != nil {
		return false, fmt.Errorf("journal: clear %s/%s: %w", call, step, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("journal: clear %s/%s: %w", call, step, err)
	}
	return n == 1, nil
}
