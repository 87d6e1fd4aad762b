package journal

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/jackc/pgx/v5/pgxpool"
	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver, for Effects
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"
	"github.com/riverqueue/river/rivertype"
	_ "modernc.org/sqlite" // the "sqlite" database/sql driver, without cgo
)

// Queues, by how soon their work matters.
const (
	// QueueCards holds Insight Card pushes: worthless once the agent has
	// answered, so they have their own workers.
	QueueCards = "cards"
	// QueueEvents holds recorded webhook events, which fan out into
	// actions.
	QueueEvents = "events"
	// QueueActions holds post-call actions and the reconciler.
	QueueActions = river.QueueDefault
)

// Timing of River's work. A job runs at most jobTimeout; a job a killed
// host left running is run again rescueAfter after it started (on
// SQLite, at the next start: reclaim.go).
const (
	jobTimeout  = 30 * time.Second
	rescueAfter = 2 * time.Minute
	// fetchPoll is how often an idle queue looks for new work (SQLite has
	// no LISTEN/NOTIFY; PostgreSQL is told at once).
	fetchPoll = 50 * time.Millisecond
	cardsPoll = 500 * time.Millisecond
)

// client is what the journal uses of a River client, whatever its
// driver's transaction type.
type client interface {
	Start(ctx context.Context) error
	Stop(ctx context.Context) error
	InsertMany(ctx context.Context, params []river.InsertManyParams) ([]*rivertype.JobInsertResult, error)
	Insert(ctx context.Context, args river.JobArgs, opts *river.InsertOpts) (*rivertype.JobInsertResult, error)
	JobList(ctx context.Context, params *river.JobListParams) (*river.JobListResult, error)
	JobRetry(ctx context.Context, id int64) (*rivertype.JobRow, error)
	JobGet(ctx context.Context, id int64) (*rivertype.JobRow, error)
	JobDeleteMany(ctx context.Context, params *river.JobDeleteManyParams) (*river.JobDeleteManyResult, error)
	Subscribe(kinds ...river.EventKind) (<-chan *river.Event, func())
}

// Options configure Open.
type Options struct {
	// Logger receives the journal's log lines (default: none).
	Logger hclog.Logger
	// ID names this host among the journal's clients (default: River's).
	ID string
}

// Journal is an open journal: Register workers, then Start; Record and
// Enqueue work once started.
type Journal struct {
	cfg     Config
	log     hclog.Logger
	db      *sql.DB        // effects; the River database too on SQLite
	pool    *pgxpool.Pool  // River's, on PostgreSQL
	workers *river.Workers // registered before Start
	newCli  func(*river.Config) (client, error)
	cli     client
	effects *Effects
	intake  *intake // SQLite only: Record's own file (intake.go)
	// pgSettled, on PostgreSQL, tracks provisional jobs to delete once
	// settled (provisional_pg.go).
	pgSettled *pgSettled
	// reclaim, on SQLite, makes the jobs a killed process left running
	// available again; Start runs it before River's client starts
	// (reclaim.go).
	reclaim func(ctx context.Context) (int, error)

	batch chan *pending // Record's group commit
	wg    sync.WaitGroup
	stop  context.CancelFunc
	mu    sync.Mutex
	state int // 0 opened, 1 started, 2 stopped
}

// Open opens (creating when missing) the configured journal and brings its
// tables up to date. Close it with Stop.
func Open(ctx context.Context, cfg Config, opts Options) (*Journal, error) {
	if opts.Logger == nil {
		opts.Logger = hclog.NewNullLogger()
	}
	j := &Journal{cfg: cfg, log: opts.Logger, workers: river.NewWorkers(), batch: make(chan *pending, 1024)}
	var err error
	switch strings.ToLower(cfg.Driver) {
	case "", DriverSQLite:
		err = j.openSQLite(ctx, opts)
	case DriverPostgres:
		err = j.openPostgres(ctx, opts)
	default:
		err = fmt.Errorf("journal: unknown driver %q: use %q or %q", cfg.Driver, DriverSQLite, DriverPostgres)
	}
	if err != nil {
		j.closeDB()
		return nil, err
	}
	j.effects = &Effects{db: j.db, positional: j.pool != nil}
	if err := j.effects.migrate(ctx); err != nil {
		j.closeDB()
		return nil, fmt.Errorf("journal: create the effects table: %w", err)
	}
	return j, nil
}

func (j *Journal) openSQLite(ctx context.Context, opts Options) error {
	path := j.cfg.Path
	if strings.TrimSpace(path) == "" {
		return errors.New("journal (sqlite): no file path: set journal.path")
	}
	if strings.ContainsAny(path, "?#") {
		return fmt.Errorf("journal (sqlite): file path %q contains ? or #: rename it", path)
	}
	if _, err := os.Stat(filepath.Dir(path)); err != nil {
		return fmt.Errorf("journal (sqlite): directory of %s: %w (create it, or set journal.path)", path, err)
	}
	// WAL with synchronous NORMAL: a commit is durable across a crash or
	// SIGKILL of the process (not across a power cut, which would need an
	// fsync per commit). One connection: SQLite has one writer.
	db, err := sql.Open("sqlite", path+"?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)")
	if err != nil {
		return fmt.Errorf("journal (sqlite): open %s: %w", path, err)
	}
	db.SetMaxOpenConns(1)
	j.db = db
	if err := db.PingContext(ctx); err != nil {
		return fmt.Errorf("journal (sqlite): open %s: %w (check the path and its permissions)", path, err)
	}
	driver := riversqlite.New(db)
	if err := migrate(ctx, driver); err != nil {
		return err
	}
	if j.intake, err = openIntake(ctx, intakePath(path)); err != nil {
		return err
	}
	j.newCli = func(c *river.Config) (client, error) { return river.NewClient(driver, c) }
	j.reclaim = func(ctx context.Context) (int, error) { return reclaim(ctx, driver.GetExecutor()) }
	return nil
}

func (j *Journal) openPostgres(ctx context.Context, opts Options) error {
	dsn := j.cfg.DSN.Reveal()
	if strings.TrimSpace(dsn) == "" {
		return errors.New("journal (postgres): no DSN: set journal.dsn, such as ${SWITCHBOARD_JOURNAL_DSN}")
	}
	pool, db, err := connectPostgres(ctx, dsn, 4)
	if err != nil {
		return err
	}
	j.pool = pool
	j.db = db
	driver := riverpgxv5.New(pool)
	if err := migrate(ctx, driver); err != nil {
		return err
	}
	j.newCli = func(c *river.Config) (client, error) { return river.NewClient(driver, c) }
	j.pgSettled = newPGSettled()
	return nil
}

// connectPostgres opens River's pgx pool and a database/sql handle (for
// the effects table) on dsn, each of at most conns connections, and checks
// the server answers. Errors never repeat the DSN (it holds a password).
func connectPostgres(ctx context.Context, dsn string, conns int32) (*pgxpool.Pool, *sql.DB, error) {
	pcfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		// pgx's parse errors may quote the DSN: do not repeat it.
		return nil, nil, errors.New("journal (postgres): the DSN cannot be parsed: check journal.dsn (postgres://user:password@host:5432/db)")
	}
	pcfg.MaxConns = conns
	pctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	pool, err := pgxpool.NewWithConfig(pctx, pcfg)
	if err == nil {
		err = pool.Ping(pctx)
	}
	if err != nil {
		if pool != nil {
			pool.Close()
		}
		return nil, nil, fmt.Errorf("journal (postgres): connect: %w (check journal.dsn and that the server is reachable)", err)
	}
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		pool.Close()
		return nil, nil, errors.New("journal (postgres): the DSN cannot be parsed: check journal.dsn")
	}
	db.SetMaxOpenConns(int(conns))
	return pool, db, nil
}

// migrate brings River's tables up to date (River serialises hosts
// migrating at once).
func migrate[TTx any](ctx context.Context, driver riverdriver.Driver[TTx]) error {
	m, err := rivermigrate.New(driver, nil)
	if err != nil {
		return fmt.Errorf("journal: migrations: %w", err)
	}
	if _, err := m.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		return fmt.Errorf("journal: create River's tables: %w (check that the database user may create tables)", err)
	}
	return nil
}

// Register adds a worker for one kind of job. Call it before Start.
func Register[T river.JobArgs](j *Journal, w river.Worker[T]) {
	river.AddWorker(j.workers, w)
	if j.intake != nil {
		learn[T](j.intake)
	}
}

// Start starts working jobs and accepting Record and Enqueue calls.
// Periodic jobs run on one host only (the elected leader).
func (j *Journal) Start(ctx context.Context, periodic ...*river.PeriodicJob) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.state != 0 {
		return errors.New("journal: Start called twice, or after Stop")
	}
	workers := max(j.cfg.Workers, 1)
	cfg := &river.Config{
		Queues: map[string]river.QueueConfig{
			// Card jobs are scheduled seconds ahead (calljobs.CardRecheck)
			// and rarely queued at all (Provisional): a slower poll saves
			// the idle host a query every 50 ms.
			QueueCards:   {MaxWorkers: workers, FetchPollInterval: cardsPoll},
			QueueEvents:  {MaxWorkers: workers},
			QueueActions: {MaxWorkers: workers},
		},
		Workers:                     j.workers,
		PeriodicJobs:                periodic,
		FetchCooldown:               5 * time.Millisecond,
		FetchPollInterval:           fetchPoll,
		JobTimeout:                  jobTimeout,
		RescueStuckJobsAfter:        rescueAfter,
		CompletedJobRetentionPeriod: j.cfg.Keep,
		CancelledJobRetentionPeriod: j.cfg.Keep,
		DiscardedJobRetentionPeriod: 4 * j.cfg.Keep, // dead work stays visible longer
		MaxAttempts:                 25,
		Logger:                      slog.New(hclogHandler{j.log}),
	}
	if j.reclaim != nil {
		n, err := j.reclaim(ctx)
		if err != nil {
			return fmt.Errorf("journal: take back the jobs a stopped process left running: %w", err)
		}
		if n > 0 {
			j.log.Warn("jobs the last process left running (it was killed or crashed) run again now", "jobs", n)
		}
	}
	cli, err := j.newCli(cfg)
	if err != nil {
		return fmt.Errorf("journal: %w", err)
	}
	if err := cli.Start(ctx); err != nil {
		return fmt.Errorf("journal: start: %w", err)
	}
	j.cli = cli
	bctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	j.stop = cancel
	j.wg.Add(1)
	go j.commitLoop(bctx)
	if j.intake != nil {
		j.wg.Add(1)
		go j.moveLoop(bctx)
	}
	if j.pgSettled != nil {
		j.wg.Add(1)
		go j.deleteLoop(bctx)
	}
	j.state = 1
	return nil
}

// Stop stops taking work, lets running jobs finish within ctx, and closes
// the database.
func (j *Journal) Stop(ctx context.Context) error {
	j.mu.Lock()
	state := j.state
	j.state = 2
	j.mu.Unlock()
	var err error
	if state == 1 {
		j.stop() // no more Records; what the intake holds moves at the next start
		j.wg.Wait()
		err = j.cli.Stop(ctx)
	}
	j.closeDB()
	return err
}

func (j *Journal) closeDB() {
	if j.db != nil {
		j.db.Close()
	}
	if j.intake != nil {
		for _, st := range j.intake.inserts {
			st.Close()
		}
		j.intake.db.Close()
		j.intake.ro.Close()
	}
	if j.pool != nil {
		j.pool.Close()
	}
}

// Effects is the journal's record of what non-idempotent requests did.
func (j *Journal) Effects() *Effects { return j.effects }

// errNotStarted is the error of Record and Enqueue outside Start/Stop.
var errNotStarted = errors.New("journal: not started (or stopped): nothing can be recorded")

// started returns the client, or errNotStarted.
func (j *Journal) started() (client, error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.state != 1 {
		return nil, errNotStarted
	}
	return j.cli, nil
}

// Enqueue inserts one job now (not batched): for work that jobs cause.
func (j *Journal) Enqueue(ctx context.Context, args river.JobArgs, opts *river.InsertOpts) (*rivertype.JobInsertResult, error) {
	cli, err := j.started()
	if err != nil {
		return nil, err
	}
	return cli.Insert(ctx, args, opts)
}

// Jobs lists jobs, newest first.
func (j *Journal) Jobs(ctx context.Context, params *river.JobListParams) ([]*rivertype.JobRow, error) {
	cli, err := j.started()
	if err != nil {
		return nil, err
	}
	res, err := cli.JobList(ctx, params)
	if err != nil {
		return nil, err
	}
	return res.Jobs, nil
}

// Retry makes a discarded, cancelled or finished job available to run
// again at once.
func (j *Journal) Retry(ctx context.Context, id int64) (*rivertype.JobRow, error) {
	cli, err := j.started()
	if err != nil {
		return nil, err
	}
	return cli.JobRetry(ctx, id)
}

// Subscribe receives River's events of the given kinds (tests wait on
// completions with it).
func (j *Journal) Subscribe(kinds ...river.EventKind) (<-chan *river.Event, func(), error) {
	cli, err := j.started()
	if err != nil {
		return nil, nil, err
	}
	ch, cancel := cli.Subscribe(kinds...)
	return ch, cancel, nil
}
