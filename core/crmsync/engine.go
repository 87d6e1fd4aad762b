package crmsync

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/switchboard-hq/switchboard/connectors"
	"github.com/switchboard-hq/switchboard/connectors/phone"
	"github.com/switchboard-hq/switchboard/core/hipcall"
	"github.com/switchboard-hq/switchboard/core/store"
)

// On-missing policies: what to do about records that vanished from the CRM.
const (
	OnMissingReport = "report"
	OnMissingIgnore = "ignore"
)

// Defaults for zero Options fields.
const (
	DefaultConcurrency      = 2
	DefaultProgressInterval = 2 * time.Second
	// DefaultGrace is how long records already being written may finish
	// after the run's context ends (SIGINT), so their state is saved.
	DefaultGrace = 5 * time.Second
)

// Source is a CRM connector the sync reads records from.
type Source struct {
	// Name is the connector's instance name, for messages.
	Name      string
	Connector connectors.Connector
}

// ResourceOptions configure one resource's sync.
type ResourceOptions struct {
	// Enabled turns the resource's sync on.
	Enabled bool `yaml:"enabled"`
	// Fields maps Hipcall fields to record paths ("first_name",
	// "fields.tier") or templates ("{{.first_name}} {{.last_name}}"), over
	// the defaults (DefaultCompanyFields, DefaultContactFields); "" (or
	// null) turns a default off. ValidateFields checks it.
	Fields map[string]string `yaml:"fields"`
}

// Options configure an Engine.
type Options struct {
	// Client writes to Hipcall; its limiter, retries and Stats are used.
	Client *hipcall.Client
	// Store keeps the state between runs.
	Store store.Store
	// Sources are the CRM connectors to read, in order; a record id found
	// in two sources is a duplicate.
	Sources []Source
	// Parser normalises phone numbers (the host's default region).
	Parser *phone.Parser
	// Companies and Contacts configure each resource.
	Companies, Contacts ResourceOptions
	// Owners maps CRM owner ids to Hipcall user ids (assign_to_user_id).
	Owners map[string]int64
	// Concurrency is how many records are written at once (default 2).
	Concurrency int
	// OnMissing is OnMissingReport (default) or OnMissingIgnore.
	OnMissing string
	// LeaseTTL is the store lease's lifetime (default DefaultLeaseTTL).
	LeaseTTL time.Duration
	// Grace is how long records in flight may finish once the run's
	// context ends (default DefaultGrace).
	Grace time.Duration
	// OnProgress, when set, receives a snapshot every ProgressInterval
	// (default 2s) and when the run ends. The run's record in the store
	// (store.Run: counts, phase and progress, problems and changes so
	// far) is written at the same pace, set or not.
	OnProgress       func(Progress)
	ProgressInterval time.Duration
	// Logger receives warnings about records and the run (default none).
	Logger hclog.Logger
	// Now is the clock for leases and timestamps (default time.Now).
	Now func() time.Time
}

// RunOptions choose what one run does.
type RunOptions struct {
	// Companies and Contacts pick the resources to sync; both false means
	// every enabled one.
	Companies, Contacts bool
	// DryRun reads the CRM, the state and (when needed) Hipcall, and
	// returns the planned writes in Summary.Plan without making them. It
	// writes nothing to the state but its run's record, marked DryRun,
	// whose changes are the planned ones.
	DryRun bool
	// Full ignores the saved hashes: Hipcall's records are paged again and
	// every record is compared with what Hipcall holds.
	Full bool
	// Relearn discards the stored Hipcall ids (and the account the state
	// was bound to) and matches every record by external_id again: the way
	// out of a state refused with ErrOtherAccount.
	Relearn bool
}

// Engine runs syncs. It is safe for concurrent use, but runs against one
// store exclude each other through the store's lease.
type Engine struct {
	opts     Options
	log      hclog.Logger
	holder   string
	mappings map[store.Resource]*mapping
}

// New checks the options and compiles the field mappings.
func New(opts Options) (*Engine, error) {
	var errs []error
	if opts.Client == nil {
		errs = append(errs, errors.New("no Hipcall client: configure hipcall.api"))
	}
	if opts.Store == nil {
		errs = append(errs, errors.New("no state store"))
	}
	if opts.Parser == nil {
		errs = append(errs, errors.New("no phone parser"))
	}
	if opts.Concurrency <= 0 {
		opts.Concurrency = DefaultConcurrency
	}
	switch opts.OnMissing {
	case "":
		opts.OnMissing = OnMissingReport
	case OnMissingReport, OnMissingIgnore:
	default:
		errs = append(errs, fmt.Errorf("on_missing %q: use %q or %q", opts.OnMissing, OnMissingReport, OnMissingIgnore))
	}
	if opts.LeaseTTL <= 0 {
		opts.LeaseTTL = DefaultLeaseTTL
	}
	if opts.Grace <= 0 {
		opts.Grace = DefaultGrace
	}
	if opts.ProgressInterval <= 0 {
		opts.ProgressInterval = DefaultProgressInterval
	}
	if opts.Logger == nil {
		opts.Logger = hclog.NewNullLogger()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	e := &Engine{opts: opts, log: opts.Logger, holder: newHolder(), mappings: map[store.Resource]*mapping{}}
	for res, ro := range map[store.Resource]ResourceOptions{store.Companies: opts.Companies, store.Contacts: opts.Contacts} {
		if !ro.Enabled || opts.Parser == nil {
			continue
		}
		m, err := newMapping(res, ro.Fields, opts.Owners, opts.Parser)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		e.mappings[res] = m
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("sync: %w", errors.Join(errs...))
	}
	return e, nil
}

// Run syncs once. Records that fail are counted and listed in the summary
// and do not stop the run; the error is for a run that could not be done
// (another run holds the lease, a source or the store failed, the context
// ended). The summary is returned in both cases.
func (e *Engine) Run(ctx context.Context, ro RunOptions) (*Summary, error) {
	r := &run{
		e: e, ro: ro, start: e.opts.Now(), meter: &hipcall.Meter{},
		counts: map[store.Resource]*counters{store.Companies: {}, store.Contacts: {}},
		sum:    &Summary{DryRun: ro.DryRun},
	}
	// The run's requests are metered on their own: the client may be
	// shared (serve pushes cards with it), and its retries are told by
	// what Hipcall sees, whichever level resends. They wait for the
	// token's request budget behind cards and post-call actions.
	ctx = hipcall.WithPriority(hipcall.WithMeter(ctx, r.meter), hipcall.PrioritySync)
	resources := e.resources(ro)
	if len(resources) == 0 {
		return r.sum, errors.New("sync: nothing to sync: companies and contacts are both disabled (sync.companies.enabled, sync.contacts.enabled)")
	}
	runCtx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	if !ro.DryRun {
		l, err := e.acquireLease(ctx)
		if err != nil {
			return r.sum, fmt.Errorf("sync: %w", err)
		}
		defer l.release()
		go func() {
			select {
			case err := <-l.lost:
				cancel(err)
			case <-runCtx.Done():
			}
		}()
	}
	// A dry run is recorded too (marked so), without the lease: it
	// writes nothing but its own record.
	r.startRecord(ctx)
	if err := r.bind(runCtx); err != nil {
		err = fmt.Errorf("sync: %w", err)
		r.finish(ctx, err)
		return r.sum, err
	}
	stopTicker := r.tick(runCtx)
	err := r.all(runCtx, resources)
	stopTicker()
	if cause := context.Cause(runCtx); err != nil && cause != nil && !errors.Is(cause, context.Canceled) {
		err = cause
	}
	r.finish(ctx, err)
	return r.sum, err
}

// resources lists what a run syncs, companies first (contacts link to
// them).
func (e *Engine) resources(ro RunOptions) []store.Resource {
	all := !ro.Companies && !ro.Contacts
	var out []store.Resource
	if _, ok := e.mappings[store.Companies]; ok && (all || ro.Companies) {
		out = append(out, store.Companies)
	}
	if _, ok := e.mappings[store.Contacts]; ok && (all || ro.Contacts) {
		out = append(out, store.Contacts)
	}
	return out
}

// run is one Run's working state.
type run struct {
	e      *Engine
	ro     RunOptions
	start  time.Time
	meter  *hipcall.Meter // counts the run's requests (every call is made under ctx carrying it)
	runID  int64
	counts map[store.Resource]*counters

	mu       sync.Mutex
	sum      *Summary
	phase    string
	resource store.Resource
	warned   int
	planned  map[string]bool // companies a dry run would create
	// companyIDs are the Hipcall ids of the companies this run's learning
	// pass found, by external id: a dry run (which saves nothing) links
	// contacts to them as a real run links them through the state.
	companyIDs map[string]int64
	// problems and changes are the first store.MaxRunDetails of each, for
	// the run's record; problemsTotal and changesTotal count them all.
	problems                    []store.RunProblem
	changes                     []store.RunChange
	problemsTotal, changesTotal int64
}

func (r *run) all(ctx context.Context, resources []store.Resource) error {
	for _, res := range resources {
		if err := r.resourceRun(ctx, res); err != nil {
			return err
		}
	}
	return nil
}

func (r *run) setPhase(phase string, res store.Resource) {
	r.mu.Lock()
	r.phase, r.resource = phase, res
	r.mu.Unlock()
	r.e.log.Debug("sync phase", "phase", phase, "resource", res)
}

// progress snapshots the run.
func (r *run) progress() Progress {
	r.mu.Lock()
	phase, res := r.phase, r.resource
	r.mu.Unlock()
	st := r.meter.Stats()
	p := Progress{
		Phase: phase, Resource: res, DryRun: r.ro.DryRun,
		Companies: r.counts[store.Companies].snapshot(), Contacts: r.counts[store.Contacts].snapshot(),
		Requests: st.Requests, RateLimited: st.RateLimited,
		Elapsed: r.e.opts.Now().Sub(r.start),
	}
	if c := r.counts[res]; c != nil {
		p.Total = c.total.Load()
		cur := c.snapshot()
		p.Done = cur.Done()
	}
	return p
}

// tick reports progress (and saves the run's counts) until stopped.
func (r *run) tick(ctx context.Context) (stop func()) {
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(r.e.opts.ProgressInterval)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-ctx.Done():
				return
			case <-t.C:
				p := r.progress()
				if r.e.opts.OnProgress != nil {
					r.e.opts.OnProgress(p)
				}
				r.saveRecord(ctx, store.RunRunning, "", time.Time{}, p)
			}
		}
	}()
	return func() { close(done); <-finished }
}

func (r *run) countsMap() map[string]int64 {
	out := map[string]int64{}
	for res, c := range r.counts {
		s := c.snapshot()
		for k, v := range map[string]int64{"read": s.Read, "created": s.Created, "updated": s.Updated, "unchanged": s.Unchanged,
			"skipped": s.Skipped, "failed": s.Failed, "missing": s.Missing, "adopted": s.Adopted, "relearned": s.Relearned} {
			if v != 0 {
				out[string(res)+"."+k] = v
			}
		}
	}
	out["requests"] = r.meter.Stats().Requests
	return out
}

// startRecord records the run in the store, marking runs left "running"
// by processes that died as interrupted (see stale).
func (r *run) startRecord(ctx context.Context) {
	st := r.e.opts.Store
	if runs, err := st.Runs(ctx, 20); err == nil {
		for _, old := range runs {
			if old.Status == store.RunRunning && r.stale(old) {
				old.Status = store.RunInterrupted
				if err := st.UpdateRun(ctx, old); err != nil {
					r.e.log.Warn("could not mark an old run interrupted", "run", old.ID, "error", err)
				}
			}
		}
	}
	id, err := st.StartRun(ctx, store.Run{Holder: r.e.holder, StartedAt: r.start, UpdatedAt: r.start, Status: store.RunRunning, DryRun: r.ro.DryRun})
	if err != nil {
		r.e.log.Warn("could not record the run in the state store", "error", err)
		return
	}
	r.runID = id
	r.sum.RunID = id
}

// stale reports whether a run recorded as running is no longer going. A
// run that is not dry held the lease, which this run now holds: it died
// (a dry run, holding no lease, cannot tell). A dry run holds no lease:
// it is taken for dead when its process is gone from this host, or when
// its record was not saved for a lease's lifetime (should it still go,
// its next save records it running again).
func (r *run) stale(old store.Run) bool {
	if !old.DryRun {
		return !r.ro.DryRun
	}
	if deadOnThisHost(old.Holder) {
		return true
	}
	last := old.UpdatedAt
	if last.IsZero() {
		last = old.StartedAt
	}
	return r.e.opts.Now().Sub(last) > r.e.opts.LeaseTTL
}

// saveRecord writes the run's record: its status, counts and p's phase
// and progress, and the problems and changes so far.
func (r *run) saveRecord(ctx context.Context, status, errText string, finished time.Time, p Progress) {
	if r.runID == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	rec := store.Run{ID: r.runID, Holder: r.e.holder, StartedAt: r.start, FinishedAt: finished, UpdatedAt: r.e.opts.Now(),
		Status: status, DryRun: r.ro.DryRun, Counts: r.countsMap(), Error: errText,
		Phase: p.Phase, Resource: string(p.Resource), Done: p.Done, Total: p.Total}
	r.mu.Lock()
	rec.Problems, rec.ProblemsTotal = slices.Clone(r.problems), r.problemsTotal
	rec.Changes, rec.ChangesTotal = slices.Clone(r.changes), r.changesTotal
	r.mu.Unlock()
	if err := r.e.opts.Store.UpdateRun(ctx, rec); err != nil {
		r.e.log.Warn("could not save the run's progress", "error", err)
	}
}

// finish completes the summary and the run's record.
func (r *run) finish(ctx context.Context, err error) {
	// Every worker has returned: nothing is in flight any more.
	st := r.meter.Stats()
	s := r.sum
	s.Companies = r.counts[store.Companies].snapshot()
	s.Contacts = r.counts[store.Contacts].snapshot()
	s.Requests = st.Requests
	s.Retries = st.Retries
	s.RateLimited = st.RateLimited
	s.Waited = st.Waited
	s.Wall = r.e.opts.Now().Sub(r.start)
	// The record keeps where the run stopped: the phase it failed or was
	// interrupted in, or done, with the last resource's progress.
	last := r.progress()
	if err == nil {
		last.Phase = PhaseDone
	}
	r.setPhase(PhaseDone, "")
	if r.e.opts.OnProgress != nil {
		r.e.opts.OnProgress(r.progress())
	}
	status, errText := store.RunDone, ""
	switch {
	case err != nil && ctx.Err() != nil:
		status, errText = store.RunInterrupted, err.Error()
	case err != nil:
		status, errText = store.RunFailed, err.Error()
	case s.Failed() > 0:
		status = store.RunFailed
		errText = fmt.Sprintf("%d record(s) failed", s.Failed())
	}
	r.saveRecord(ctx, status, errText, r.e.opts.Now(), last)
}

// problem records a skipped or failed record.
func (r *run) problem(p Problem) {
	level := hclog.Error
	if p.Skipped {
		level = hclog.Warn
	}
	r.e.log.Log(level, "record not synced", "resource", p.Resource, "external_id", p.ExternalID, "source", p.Source, "reason", p.Err)
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.sum.Problems) < MaxProblems {
		r.sum.Problems = append(r.sum.Problems, p)
	}
	r.problemsTotal++
	if len(r.problems) < store.MaxRunDetails {
		r.problems = append(r.problems, store.RunProblem{Resource: string(p.Resource), ExternalID: p.ExternalID, Source: p.Source, Skipped: p.Skipped, Error: p.Err})
	}
}

// change records, for the run's record, a record created, updated,
// adopted or relearned (in a dry run: that would be).
func (r *run) change(c store.RunChange) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.changesTotal++
	if len(r.changes) < store.MaxRunDetails {
		r.changes = append(r.changes, c)
	}
}

// warn logs a record's warnings (the first hundred of the run; the count
// is complete).
func (r *run) warn(res store.Resource, ext string, warnings []string) {
	if len(warnings) == 0 {
		return
	}
	r.counts[res].warnings.Add(1)
	r.mu.Lock()
	r.warned++
	n := r.warned
	r.mu.Unlock()
	switch {
	case n <= 100:
		r.e.log.Warn("record synced with a warning", "resource", res, "external_id", ext, "warning", strings.Join(warnings, "; "))
	case n == 101:
		r.e.log.Warn("more records have warnings; only the first 100 are logged (see the summary's count)")
	}
}

func (r *run) plan(c Change) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.sum.Plan = append(r.sum.Plan, c)
	if c.Resource == store.Companies && c.Action == "create" {
		if r.planned == nil {
			r.planned = map[string]bool{}
		}
		r.planned[c.ExternalID] = true
	}
}

// learnedCompany returns the Hipcall id of a company this run's learning
// pass found.
func (r *run) learnedCompany(ext string) (int64, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	id, ok := r.companyIDs[ext]
	return id, ok
}

// plannedCompany reports whether a dry run plans to create the company.
func (r *run) plannedCompany(ext string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.planned[ext]
}
