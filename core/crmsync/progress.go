package crmsync

import (
	"sync/atomic"
	"time"

	"github.com/switchboard-hq/switchboard/core/store"
)

// Counts are a resource's outcomes in a run.
type Counts struct {
	// Read is how many records the CRM sources returned.
	Read int64 `json:"read"`
	// Created, Updated and Unchanged count records written by POST, by
	// PATCH (or sub-resource requests), or left alone. In a dry run they
	// count what would be done.
	Created   int64 `json:"created"`
	Updated   int64 `json:"updated"`
	Unchanged int64 `json:"unchanged"`
	// Skipped records have no external id; Failed ones could not be
	// synced (see Summary.Problems).
	Skipped int64 `json:"skipped"`
	Failed  int64 `json:"failed"`
	// Missing counts records in the state that the CRM no longer has.
	Missing int64 `json:"missing"`
	// Adopted counts records found already in Hipcall (by the learning
	// pass, or after a 422 "already taken") and matched instead of created.
	Adopted int64 `json:"adopted"`
	// Relearned counts records whose stored Hipcall id no longer held them
	// (404, or a record with another external_id): they were looked up by
	// external_id instead (see Summary.Relearned).
	Relearned int64 `json:"relearned,omitempty"`
	// Warnings counts records synced with a warning (a phone left out, an
	// owner not mapped, ...).
	Warnings int64 `json:"warnings"`
}

// Done is how many records reached an outcome.
func (c Counts) Done() int64 { return c.Created + c.Updated + c.Unchanged + c.Skipped + c.Failed }

// counters are Counts updated concurrently.
type counters struct {
	read, created, updated, unchanged, skipped, failed, missing, adopted, warnings, relearned atomic.Int64
	total                                                                                     atomic.Int64
}

func (c *counters) snapshot() Counts {
	return Counts{
		Read: c.read.Load(), Created: c.created.Load(), Updated: c.updated.Load(), Unchanged: c.unchanged.Load(),
		Skipped: c.skipped.Load(), Failed: c.failed.Load(), Missing: c.missing.Load(), Adopted: c.adopted.Load(),
		Warnings: c.warnings.Load(), Relearned: c.relearned.Load(),
	}
}

// Phases of a run, as Progress reports them.
const (
	PhaseReading  = "reading"  // paging the CRM connectors
	PhaseLearning = "learning" // paging Hipcall's records
	PhaseWriting  = "writing"  // syncing records
	PhaseDone     = "done"
)

// Progress is a snapshot of a running sync, for progress bars and logs.
type Progress struct {
	// Phase is PhaseReading, PhaseLearning, PhaseWriting or PhaseDone, and
	// Resource the resource it is working on.
	Phase    string
	Resource store.Resource
	// Done and Total count the current resource's records.
	Done, Total int64
	// Companies and Contacts are the outcomes so far.
	Companies, Contacts Counts
	// Requests and RateLimited count the Hipcall requests of the run.
	Requests, RateLimited int64
	// Elapsed is the run's wall time so far.
	Elapsed time.Duration
	// DryRun says nothing is written.
	DryRun bool
}

// Problem is a record that was skipped or failed.
type Problem struct {
	Resource   store.Resource `json:"resource"`
	ExternalID string         `json:"external_id"`
	// Source names the connector the record came from.
	Source string `json:"source,omitempty"`
	// Skipped is true for a record left out on purpose, false for a
	// failure.
	Skipped bool   `json:"skipped,omitempty"`
	Err     string `json:"error"`
}

// Change is a write a dry run would make.
type Change struct {
	Resource   store.Resource `json:"resource"`
	ExternalID string         `json:"external_id"`
	// Action is "create" or "update".
	Action    string        `json:"action"`
	HipcallID int64         `json:"hipcall_id,omitempty"`
	Fields    []FieldChange `json:"fields"`
}

// Summary is the outcome of a run.
type Summary struct {
	RunID     int64  `json:"run_id,omitempty"`
	DryRun    bool   `json:"dry_run,omitempty"`
	Companies Counts `json:"companies"`
	Contacts  Counts `json:"contacts"`
	// Requests is how many HTTP requests of the run reached Hipcall,
	// retries included; Retries how many were retries: resends of a
	// request (same method, path, query and body) that got no usable
	// answer (429, 5xx, timeout, dropped connection), whether the client
	// resent it or the engine did (a create re-POSTed after a lookup, a
	// PATCH whose answer was lost sent again); RateLimited how many were
	// answered 429. Waited is the wall time during which at least one of
	// the run's requests was waiting (for the rate limit, or between
	// retries): concurrent waits count once, so it is at most Wall.
	Requests    int64         `json:"requests"`
	Retries     int64         `json:"retries"`
	RateLimited int64         `json:"rate_limited"`
	Waited      time.Duration `json:"waited_ns"`
	Wall        time.Duration `json:"wall_ns"`
	// Learned lists the resources whose Hipcall records were paged.
	Learned []store.Resource `json:"learned,omitempty"`
	// Problems lists skipped and failed records (at most MaxProblems);
	// MissingIDs the external ids of records gone from the CRM (at most
	// MaxProblems).
	Problems   []Problem `json:"problems,omitempty"`
	MissingIDs []string  `json:"missing,omitempty"`
	// Relearned lists records whose stored Hipcall id no longer held them,
	// with the id and why (at most MaxProblems).
	Relearned []string `json:"relearned,omitempty"`
	// Plan lists the writes a dry run would make.
	Plan []Change `json:"plan,omitempty"`
}

// Failed is how many records failed.
func (s *Summary) Failed() int64 { return s.Companies.Failed + s.Contacts.Failed }

// MaxProblems bounds the problems and missing ids a Summary lists; the
// counts are always complete.
const MaxProblems = 200
