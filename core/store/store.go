// Package store keeps the state of the CRM → Hipcall sync: for every record
// synced, the Hipcall id it got and the fields last written there (and their
// hash, so that an unchanged record costs no request); a lease so that two
// sync runs never work against one state at once; and a log of runs with
// their progress.
//
// Two implementations share one SQL core: SQLite (the default, a file next
// to the configuration, through the cgo-free modernc.org/sqlite) and
// PostgreSQL (through pgx), for state shared by several hosts. storetest
// holds the test suite both pass.
package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Resource names a kind of Hipcall record.
type Resource string

// The resources the sync writes.
const (
	Companies Resource = "companies"
	Contacts  Resource = "contacts"
)

// Record is what the store knows of one synced record.
type Record struct {
	// Resource and ExternalID identify the record: ExternalID is the CRM's
	// id as Hipcall stores it (trimmed).
	Resource   Resource
	ExternalID string
	// HipcallID is Hipcall's id for the record.
	HipcallID int64
	// Hash is the hash of the fields last sent, once all of them were
	// written; "" while a change was only partly written (the next run then
	// compares Fields).
	Hash string
	// Fields is the JSON of the Hipcall fields as last written, as far as
	// the sync knows: what the next change is diffed against.
	Fields []byte
	// SyncedAt is when the record was last written or confirmed.
	SyncedAt time.Time
	// InFlight marks a record whose writes to Hipcall started and were not
	// all recorded yet (the intent log): Fields may no longer describe
	// Hipcall, so the next run reads the record back before trusting them.
	InFlight bool
}

// LeaseRequest asks for (or renews) a named lease.
type LeaseRequest struct {
	// Name is the lease's name ("sync").
	Name string
	// Holder identifies the asker; asking again with the same holder
	// renews the lease.
	Holder string
	// TTL is how long the lease lasts from Now unless renewed.
	TTL time.Duration
	// Now is the asker's clock.
	Now time.Time
	// TakeOver, when not empty, names a holder whose lease may be taken
	// even before it expires (one the asker knows to be dead).
	TakeOver string
}

// Lease is a held lease.
type Lease struct {
	Name    string
	Holder  string
	Expires time.Time
}

// ErrLeaseHeld is returned (wrapped) by Acquire when another holder has the
// lease.
var ErrLeaseHeld = errors.New("the lease is held by another holder")

// LeaseHeldError says who holds a lease.
type LeaseHeldError struct {
	Lease Lease
}

func (e *LeaseHeldError) Error() string {
	return fmt.Sprintf("%s lease is held by %s until %s", e.Lease.Name, e.Lease.Holder, e.Lease.Expires.UTC().Format(time.RFC3339))
}

// Unwrap makes errors.Is(err, ErrLeaseHeld) hold.
func (e *LeaseHeldError) Unwrap() error { return ErrLeaseHeld }

// Run statuses.
const (
	RunRunning     = "running"
	RunDone        = "done"
	RunFailed      = "failed"
	RunInterrupted = "interrupted"
)

// MaxRunDetails bounds the problems and the changes a Run lists: the
// first MaxRunDetails of each are kept, and ProblemsTotal and
// ChangesTotal count them all.
const MaxRunDetails = 100

// Actions of a RunChange.
const (
	ChangeCreated   = "created"
	ChangeUpdated   = "updated"
	ChangeAdopted   = "adopted"
	ChangeRelearned = "relearned"
)

// Run is one sync run and its progress, as the run records it while it
// goes and when it ends: another process reading the store sees how far
// it got, what it changed and what failed.
type Run struct {
	ID     int64  `json:"id"`
	Holder string `json:"holder"`
	// StartedAt and FinishedAt (zero while running).
	StartedAt  time.Time `json:"started_at"`
	FinishedAt time.Time `json:"finished_at,omitzero"`
	// UpdatedAt is when the run last saved this record (every progress
	// interval while it runs): a "running" run whose UpdatedAt is old is
	// likely dead.
	UpdatedAt time.Time `json:"updated_at,omitzero"`
	// Status is RunRunning, RunDone, RunFailed or RunInterrupted.
	Status string `json:"status"`
	// DryRun says the run wrote nothing: its Changes are what it would do.
	DryRun bool `json:"dry_run,omitempty"`
	// Counts are the run's counters so far ("companies.created": 12).
	Counts map[string]int64 `json:"counts"`
	// Error is why the run failed, if it did.
	Error string `json:"error,omitempty"`

	// Phase is the run's phase ("reading", "learning", "writing", "done"),
	// and Resource the resource it is (or was last) working on, of which
	// Done records out of Total reached an outcome. A run that failed or
	// was interrupted keeps the phase it stopped in.
	Phase    string `json:"phase,omitempty"`
	Resource string `json:"resource,omitempty"`
	Done     int64  `json:"done"`
	Total    int64  `json:"total"`

	// Problems are the first MaxRunDetails records skipped or failed,
	// ProblemsTotal counts them all.
	Problems      []RunProblem `json:"problems,omitempty"`
	ProblemsTotal int64        `json:"problems_total"`
	// Changes are the first MaxRunDetails records created, updated,
	// adopted or relearned (in a dry run: that would be), ChangesTotal
	// counts them all.
	Changes      []RunChange `json:"changes,omitempty"`
	ChangesTotal int64       `json:"changes_total"`
}

// RunProblem is a record a run skipped or failed to sync.
type RunProblem struct {
	Resource   string `json:"resource"`
	ExternalID string `json:"external_id"`
	// Source names the CRM connector the record came from.
	Source string `json:"source,omitempty"`
	// Skipped is true for a record left out on purpose (no external id),
	// false for a failure.
	Skipped bool `json:"skipped,omitempty"`
	// Error says why.
	Error string `json:"error"`
}

// RunChange is a record a run changed in Hipcall (or, in a dry run, would
// change).
type RunChange struct {
	Resource   string `json:"resource"`
	ExternalID string `json:"external_id"`
	// Action is ChangeCreated, ChangeUpdated, ChangeAdopted (matched to a
	// record Hipcall already held) or ChangeRelearned (its stored Hipcall
	// id no longer held it; it was looked up again).
	Action string `json:"action"`
	// Fields names the Hipcall fields written ("first_name", "phones",
	// "custom_fields"); empty when none was (an adoption of an identical
	// record).
	Fields []string `json:"fields,omitempty"`
}

// Store is the sync's state. Implementations are safe for concurrent use,
// and for use by several processes at once.
type Store interface {
	// Records returns every record of a resource, by external id.
	Records(ctx context.Context, res Resource) (map[string]Record, error)
	// Get returns one record; ok is false when the store has none.
	Get(ctx context.Context, res Resource, externalID string) (rec Record, ok bool, err error)
	// Put stores a record, replacing the one with the same resource and
	// external id. It is durable when it returns.
	Put(ctx context.Context, rec Record) error
	// Delete forgets a record; forgetting a missing one is not an error.
	Delete(ctx context.Context, res Resource, externalID string) error
	// DeleteAll forgets every record of a resource.
	DeleteAll(ctx context.Context, res Resource) error

	// Meta returns a value of the state's metadata (such as the Hipcall
	// account it describes); ok is false when it was never set.
	Meta(ctx context.Context, key string) (value string, ok bool, err error)
	// SetMeta sets a metadata value.
	SetMeta(ctx context.Context, key, value string) error

	// Acquire takes the named lease, or renews it for the same holder. It
	// succeeds when nobody holds it, when it expired, or when it is held by
	// req.TakeOver; otherwise it returns a *LeaseHeldError.
	Acquire(ctx context.Context, req LeaseRequest) (Lease, error)
	// Release gives the lease up if holder has it.
	Release(ctx context.Context, name, holder string) error

	// StartRun records a new run and returns its id.
	StartRun(ctx context.Context, run Run) (int64, error)
	// UpdateRun rewrites a run's status, counts, end, error, progress,
	// problems and changes (everything but its holder and start). Problems
	// and Changes beyond MaxRunDetails are dropped (the totals count them).
	UpdateRun(ctx context.Context, run Run) error
	// Runs returns the latest runs, newest first.
	Runs(ctx context.Context, limit int) ([]Run, error)
	// Run returns one run; ok is false when the store has none with the id.
	Run(ctx context.Context, id int64) (run Run, ok bool, err error)

	// Close releases the store's connections.
	Close() error
}

// Drivers.
const (
	DriverSQLite   = "sqlite"
	DriverPostgres = "postgres"
)

// Config says which store to open.
type Config struct {
	// Driver is DriverSQLite (default) or DriverPostgres.
	Driver string
	// Path is the SQLite file.
	Path string
	// DSN is the PostgreSQL connection string (a secret).
	DSN string
}

// Open opens (and creates, when needed) the configured store.
func Open(ctx context.Context, cfg Config) (Store, error) {
	switch strings.ToLower(cfg.Driver) {
	case "", DriverSQLite:
		return OpenSQLite(ctx, cfg.Path)
	case DriverPostgres:
		return OpenPostgres(ctx, cfg.DSN)
	default:
		return nil, fmt.Errorf("store: unknown driver %q: use %q or %q", cfg.Driver, DriverSQLite, DriverPostgres)
	}
}
