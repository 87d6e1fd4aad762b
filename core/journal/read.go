package journal

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"regexp"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivertype"
)

// Reader is the journal opened for an operator's commands (`switchboard
// calls`): it lists jobs, reads the effects and the intake, and makes a
// dead job available again — nothing else. No worker starts (its River
// client is insert-only and never started), nothing is recorded, and no
// file, table or migration is made: the host that serves creates and
// migrates the journal. It may be opened while a host serves on the same
// journal: its few writes (Retry, Effects().AbortIf) are single statements
// that wait their turn for SQLite's one writer.
type Reader struct {
	cfg     Config
	db      *sql.DB
	pool    *pgxpool.Pool
	cli     readClient
	effects *Effects
	intake  string // SQLite: the intake file, which may not exist
}

// readClient is what Reader uses of a River client.
type readClient interface {
	JobList(ctx context.Context, params *river.JobListParams) (*river.JobListResult, error)
	JobRetry(ctx context.Context, id int64) (*rivertype.JobRow, error)
	JobGet(ctx context.Context, id int64) (*rivertype.JobRow, error)
}

// ErrNoJournal is OpenReader's error when the SQLite journal file does not
// exist (the host has not served with the webhook on yet).
var ErrNoJournal = errors.New("journal: no journal yet")

// OpenReader opens the configured journal for reading and for an
// operator's retries. Close it with Close.
func OpenReader(ctx context.Context, cfg Config) (*Reader, error) {
	r := &Reader{cfg: cfg}
	var err error
	switch strings.ToLower(cfg.Driver) {
	case "", DriverSQLite:
		err = r.openSQLite(ctx)
	case DriverPostgres:
		err = r.openPostgres(ctx)
	default:
		err = fmt.Errorf("journal: unknown driver %q: use %q or %q", cfg.Driver, DriverSQLite, DriverPostgres)
	}
	if err == nil {
		r.effects = &Effects{db: r.db, positional: r.pool != nil}
		err = r.check(ctx)
	}
	if err != nil {
		r.Close()
		return nil, err
	}
	return r, nil
}

// readerClientConfig is an insert-only River client's: no queues, no
// workers, no log lines.
func readerClientConfig() *river.Config {
	return &river.Config{Logger: slog.New(slog.DiscardHandler)}
}

func (r *Reader) openSQLite(ctx context.Context) error {
	path := r.cfg.Path
	if strings.TrimSpace(path) == "" {
		return errors.New("journal (sqlite): no file path: set journal.path")
	}
	if strings.ContainsAny(path, "?#") {
		return fmt.Errorf("journal (sqlite): file path %q contains ? or #: rename it", path)
	}
	// Opening a missing file would create an empty one.
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("%w at %s: `switchboard serve` creates it when hipcall.webhook is enabled (check journal.path and -config)", ErrNoJournal, path)
	} else if err != nil {
		return fmt.Errorf("journal (sqlite): %w", err)
	}
	db, err := sql.Open("sqlite", path+"?_pragma=busy_timeout(10000)")
	if err != nil {
		return fmt.Errorf("journal (sqlite): open %s: %w", path, err)
	}
	db.SetMaxOpenConns(1)
	r.db = db
	if err := db.PingContext(ctx); err != nil {
		return fmt.Errorf("journal (sqlite): open %s: %w (check the path and its permissions)", path, err)
	}
	cli, err := river.NewClient(riversqlite.New(db), readerClientConfig())
	if err != nil {
		return fmt.Errorf("journal: %w", err)
	}
	r.cli, r.intake = cli, intakePath(path)
	return nil
}

func (r *Reader) openPostgres(ctx context.Context) error {
	dsn := r.cfg.DSN.Reveal()
	if strings.TrimSpace(dsn) == "" {
		return errors.New("journal (postgres): no DSN: set journal.dsn, such as ${SWITCHBOARD_JOURNAL_DSN}")
	}
	pool, db, err := connectPostgres(ctx, dsn, 2)
	if err != nil {
		return err
	}
	r.pool = pool
	r.db = db
	cli, err := river.NewClient(riverpgxv5.New(pool), readerClientConfig())
	if err != nil {
		return fmt.Errorf("journal: %w", err)
	}
	r.cli = cli
	return nil
}

// check reads one job, to report a database that is not a journal at
// open rather than at the first listing.
func (r *Reader) check(ctx context.Context) error {
	if _, err := r.cli.JobList(ctx, river.NewJobListParams().First(1)); err != nil {
		return fmt.Errorf("journal: cannot read its jobs (is this the journal `switchboard serve` uses, and has it served with hipcall.webhook enabled?): %w", err)
	}
	return nil
}

// Close closes the databases.
func (r *Reader) Close() error {
	if r.db != nil {
		r.db.Close()
	}
	if r.pool != nil {
		r.pool.Close()
	}
	return nil
}

// Jobs lists jobs as params say; the result's LastCursor pages on.
func (r *Reader) Jobs(ctx context.Context, params *river.JobListParams) (*river.JobListResult, error) {
	return r.cli.JobList(ctx, params)
}

// Job returns one job (rivertype.ErrNotFound when there is none).
func (r *Reader) Job(ctx context.Context, id int64) (*rivertype.JobRow, error) {
	return r.cli.JobGet(ctx, id)
}

// Retry makes a finished job (cancelled, discarded, or completed: check the
// state first) available to run again at once, by a host that serves. A
// running job is left alone; an available one is left where it is in line.
func (r *Reader) Retry(ctx context.Context, id int64) (*rivertype.JobRow, error) {
	return r.cli.JobRetry(ctx, id)
}

// Effects is the journal's record of non-idempotent requests.
func (r *Reader) Effects() *Effects { return r.effects }

var argField = regexp.MustCompile(`^[a-z_][a-z0-9_]*$`)

// WhereArg narrows params to jobs whose top-level JSON argument field (a
// lower-case identifier; it panics on anything else) is the string value,
// on either driver.
func WhereArg(params *river.JobListParams, field, value string) *river.JobListParams {
	if !argField.MatchString(field) {
		panic(fmt.Sprintf("journal: WhereArg: field %q is not a lower-case identifier", field))
	}
	// ->> with a text label is a top-level field on both PostgreSQL (jsonb)
	// and SQLite (River stores jsonb there too).
	return params.Where("args ->> '"+field+"' = @arg_"+field, river.NamedArgs{"arg_" + field: value})
}

// Waiting is a job recorded in the SQLite journal's intake: not yet moved
// into River's queue, or moved and not yet deleted (the host deletes moved
// rows when the intake is idle). A serving host moves rows within moments,
// so rows not in River stay only while no host serves (or while it cannot
// move them; it logs why). Tell the two apart by the job kind's uniqueness
// (River holds one event per name and call).
type Waiting struct {
	// ID is the intake row's id (not a River job id).
	ID int64
	// Kind is the job kind; Args its arguments as recorded.
	Kind string
	Args json.RawMessage
}

// Waiting lists the intake's rows, oldest first; none on PostgreSQL
// (Record inserts into River there) or when the intake file does not exist.
func (r *Reader) Waiting(ctx context.Context) ([]Waiting, error) {
	if r.intake == "" {
		return nil, nil
	}
	if _, err := os.Stat(r.intake); errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	db, err := sql.Open("sqlite", r.intake+"?_pragma=busy_timeout(10000)")
	if err != nil {
		return nil, fmt.Errorf("journal (sqlite): open %s: %w", r.intake, err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	rows, err := db.QueryContext(ctx, `SELECT id, kind, args FROM intake ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("journal (sqlite): read the intake %s: %w", r.intake, err)
	}
	defer rows.Close()
	var out []Waiting
	for rows.Next() {
		var w Waiting
		var args []byte
		if err := rows.Scan(&w.ID, &w.Kind, &args); err != nil {
			return nil, fmt.Errorf("journal (sqlite): read the intake %s: %w", r.intake, err)
		}
		w.Args = json.RawMessage(args)
		out = append(out, w)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("journal (sqlite): read the intake %s: %w", r.intake, err)
	}
	return out, nil
}

// EffectKey names one step's record.
type EffectKey struct{ Call, Step string }

// sinceQuery reads the steps marked sent, or done, at or after its
// argument: one range of each of the indexes on sent_at and done_at
// (effectsIndexes). A step both sent and done since comes twice.
const sinceQuery = `SELECT call_uuid, step, state, remote_id, sent_at, done_at FROM switchboard_effects WHERE sent_at >= ?
UNION ALL
SELECT call_uuid, step, state, remote_id, sent_at, done_at FROM switchboard_effects WHERE done_at >= ?`

// Since returns the records of the steps marked sent, or marked done, at
// or after t: a step sent earlier and done since is among them. It reads
// a range of an index on each time. A journal no host has opened since
// the indexes were added (Open adds them) has none: it is scanned.
func (e *Effects) Since(ctx context.Context, t time.Time) (map[EffectKey]Effect, error) {
	ms := t.UnixMilli()
	rows, err := e.db.QueryContext(ctx, e.q(sinceQuery), ms, ms)
	if err != nil {
		return nil, fmt.Errorf("journal: read the effects: %w", err)
	}
	defer rows.Close()
	out := map[EffectKey]Effect{}
	for rows.Next() {
		var (
			k            EffectKey
			ef           Effect
			state        string
			sent, doneAt int64
		)
		if err := rows.Scan(&k.Call, &k.Step, &state, &ef.RemoteID, &sent, &doneAt); err != nil {
			return nil, fmt.Errorf("journal: read the effects: %w", err)
		}
		ef.State, ef.SentAt = EffectState(state), time.UnixMilli(sent)
		if doneAt > 0 {
			ef.DoneAt = time.UnixMilli(doneAt)
		}
		out[k] = ef
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("journal: read the effects: %w", err)
	}
	return out, nil
}
