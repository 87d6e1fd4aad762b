package calljobs

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/switchboard-hq/switchboard/core/aftercall"
	"github.com/switchboard-hq/switchboard/core/hipcall"
	"github.com/switchboard-hq/switchboard/core/journal"
	"github.com/switchboard-hq/switchboard/core/webhook"
)

// KindReconcile is the reconciler's job kind.
const KindReconcile = "hipcall_reconcile"

// reconcileCursor is the meta key of the end of the last window read.
const reconcileCursor = "reconcile.cursor"

// reconcileOverlap is how far before the last window's end each run reads
// again: a call can appear in the list a little after it ended.
const reconcileOverlap = 10 * time.Minute

// ReconcileArgs is one run of the reconciler.
type ReconcileArgs struct{}

// Kind implements river.JobArgs.
func (ReconcileArgs) Kind() string { return KindReconcile }

// InsertOpts implements river.JobArgsWithInsertOpts: one run at a time.
func (ReconcileArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: journal.QueueActions, MaxAttempts: 3,
		UniqueOpts: river.UniqueOpts{ByArgs: true, ByState: []rivertype.JobState{rivertype.JobStateAvailable, rivertype.JobStatePending,
			rivertype.JobStateRunning, rivertype.JobStateRetryable, rivertype.JobStateScheduled}}}
}

// Calls pages Hipcall's calls list; *hipcall.Client is one.
type Calls interface {
	EachCall(ctx context.Context, from, to time.Time, fn func(hipcall.CallRow) error) error
}

// ReconcileJob is the periodic job that runs the reconciler every
// interval on the journal's leader (one host of several), at start too.
func ReconcileJob(interval time.Duration) *river.PeriodicJob {
	return river.NewPeriodicJob(river.PeriodicInterval(interval),
		func() (river.JobArgs, *river.InsertOpts) { return ReconcileArgs{}, nil },
		&river.PeriodicJobOpts{RunOnStart: true, ID: KindReconcile})
}

// ReconcileWorker reads the calls that ended in the window since its last
// run and records a call_hangup for each: the journal's uniqueness per
// (event, call) skips every call whose webhook did arrive, so only the
// missing ones run their actions.
type ReconcileWorker struct {
	river.WorkerDefaults[ReconcileArgs]
	deps  Deps
	calls Calls
	cfg   aftercall.ReconcileConfig
	now   func() time.Time
}

// RegisterReconciler adds the reconciler's worker (before Start); pass
// ReconcileJob to Start.
func RegisterReconciler(d Deps, calls Calls, cfg aftercall.ReconcileConfig) {
	journal.Register(d.Journal, &ReconcileWorker{deps: d, calls: calls, cfg: cfg, now: time.Now})
}

// Timeout implements river.Worker: a long window takes many pages at 60
// requests a minute.
func (w *ReconcileWorker) Timeout(*river.Job[ReconcileArgs]) time.Duration { return time.Hour }

// Work implements river.Worker.
func (w *ReconcileWorker) Work(ctx context.Context, job *river.Job[ReconcileArgs]) error {
	effects := w.deps.Journal.Effects()
	now := w.now().UTC()
	to := now.Add(-w.cfg.Grace)
	from := now.Add(-w.cfg.Lookback)
	if s, err := effects.Meta(ctx, reconcileCursor); err != nil {
		return err
	} else if s != "" {
		if last, err := time.Parse(time.RFC3339Nano, s); err == nil && last.Add(-reconcileOverlap).After(from) {
			from = last.Add(-reconcileOverlap)
		}
	}
	if !to.After(from) {
		return nil
	}
	// A routine run (a few minutes of calls) goes with the post-call
	// actions it may cause; a catch-up over hours yields to everything,
	// the sync included.
	prio := hipcall.PriorityAction
	if to.Sub(from) > 2*(w.cfg.Interval+reconcileOverlap) {
		prio = hipcall.PriorityBackfill
	}
	ctx = hipcall.WithPriority(ctx, prio)
	var seen, added int
	err := w.calls.EachCall(ctx, from, to, func(row hipcall.CallRow) error {
		if row.UUID == "" || row.EndedAt == nil {
			return nil // still going: its webhook may yet come
		}
		seen++
		body, err := json.Marshal(map[string]json.RawMessage{"event": json.RawMessage(`"call_hangup"`), "data": row.Raw})
		if err != nil {
			return err
		}
		res, err := w.deps.Journal.Enqueue(ctx, EventArgs{Name: webhook.CallHangup, UUID: row.UUID, Body: body,
			Received: now, Backfilled: true}, nil)
		if err != nil {
			return fmt.Errorf("record the call_hangup of %s: %w", row.UUID, err)
		}
		if !res.UniqueSkippedAsDuplicate {
			added++
			w.deps.Logger.Warn("a call ended without its call_hangup webhook reaching us: its post-call actions run now",
				"call", row.UUID, "ended_at", row.EndedAt.Format(time.RFC3339))
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("reading Hipcall's calls from %s to %s: %w", from.Format(time.RFC3339), to.Format(time.RFC3339), err)
	}
	if err := effects.SetMeta(ctx, reconcileCursor, to.Format(time.RFC3339Nano)); err != nil {
		return err
	}
	w.deps.Metrics.backfilled(added)
	w.deps.Logger.Info("reconciled calls with Hipcall's list", "from", from.Format(time.RFC3339), "to", to.Format(time.RFC3339),
		"calls", seen, "missing_webhooks", added)
	return nil
}
