package calljobs

import (
	"context"
	"errors"
	"fmt"
	"net"
	"syscall"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/riverqueue/river"

	"github.com/switchboard-hq/switchboard/connectors"
	"github.com/switchboard-hq/switchboard/core/aftercall"
	"github.com/switchboard-hq/switchboard/core/directory"
	"github.com/switchboard-hq/switchboard/core/hipcall"
	"github.com/switchboard-hq/switchboard/core/journal"
	"github.com/switchboard-hq/switchboard/core/webhook"
)

// Lookuper finds a caller; *directory.Directory is one.
type Lookuper interface {
	Lookup(ctx context.Context, raw string) directory.Result
}

// Deps is what the workers need.
type Deps struct {
	Journal   *journal.Journal
	Actions   *aftercall.Actions
	Directory Lookuper
	API       aftercall.API
	// Links finds Hipcall's ids of a matched record when the webhook did
	// not carry them (the sync state); nil: none.
	Links func(ctx context.Context, res directory.Result) aftercall.Links
	// WaitReady, when set, waits until the directory can answer (its
	// indexes built): a host restarted with work in its journal does not
	// plan calls against an index still loading.
	WaitReady func(ctx context.Context) error
	// Card pushes the Insight Card of a call_init whose fast-path push
	// never finished (the host was killed); nil: cards are off.
	Card func(ctx context.Context, ev *webhook.Event) webhook.Result
	// CRM is the connector a crm_log or create_contact step writes to,
	// by connectors: entry name (crm.go); nil: none.
	CRM func(name string) (connectors.Connector, bool)
	// Learn puts a contact a create_contact step made into the ring-time
	// index at once, so the next call from the number is known.
	Learn func(source string, c connectors.Contact)
	// Logger receives one line per event and per step.
	Logger  hclog.Logger
	Metrics *Metrics
}

// Register adds the workers to the journal (before its Start).
func Register(d Deps) {
	if d.Logger == nil {
		d.Logger = hclog.NewNullLogger()
	}
	journal.Register(d.Journal, &EventWorker{deps: d})
	journal.Register(d.Journal, &ActionWorker{deps: d})
}

// EventWorker handles a recorded event: a call_hangup is planned into
// its post-call steps, each enqueued as its own job.
type EventWorker struct {
	river.WorkerDefaults[EventArgs]
	deps Deps
}

// lookupTimeout bounds the caller's lookup when planning, and readyTimeout
// the wait for the directory's indexes after a start.
const (
	lookupTimeout = 10 * time.Second
	readyTimeout  = 20 * time.Second
)

// NextRetry spaces an event's retries (the CRM could not answer): 1 s,
// 2 s, 4 s, ... up to 30 s, not River's default (attempt⁴ seconds), so
// a call is planned soon after the CRM is back.
func (w *EventWorker) NextRetry(job *river.Job[EventArgs]) time.Time {
	return time.Now().Add(min(time.Second<<min(job.Attempt, 5), 30*time.Second))
}

// Steps the effects table records for events (besides post-call steps).
const (
	stepCard   = StepCard
	stepHangup = "hangup" // the call_hangup was handled
)

// Work implements river.Worker.
func (w *EventWorker) Work(ctx context.Context, job *river.Job[EventArgs]) error {
	switch job.Args.Name {
	case webhook.CallInit, webhook.CallHangup:
	default:
		return nil // other events need no durable work yet
	}
	ev, err := webhook.Parse(job.Args.Body)
	if err != nil || ev.Call == nil || ev.Call.UUID == "" {
		// Nothing to act on, and retrying cannot change that.
		return river.JobCancel(fmt.Errorf("the recorded %s has no call: %v", job.Args.Name, err))
	}
	ev.Received = job.Args.Received
	if job.Args.Name == webhook.CallInit {
		return w.card(ctx, ev)
	}
	if err := w.deps.Journal.Effects().Mark(ctx, ev.Call.UUID, stepHangup, ""); err != nil {
		return err
	}
	if w.deps.Actions == nil {
		return nil
	}
	call := ev.Call
	var res directory.Result
	if number := call.CustomerNumber(); number != "" {
		if w.deps.WaitReady != nil {
			// Not ready within the timeout: the lookup below fails and
			// the job is retried.
			rctx, cancel := context.WithTimeout(ctx, readyTimeout)
			_ = w.deps.WaitReady(rctx)
			cancel()
		}
		lctx, cancel := context.WithTimeout(ctx, lookupTimeout)
		res = w.deps.Directory.Lookup(lctx, number)
		cancel()
		if !res.Found && !res.Ambiguous && len(res.Errors) > 0 {
			// The CRM could not answer: decide later, not on a guess.
			errs := make([]error, len(res.Errors))
			for i := range res.Errors {
				errs[i] = res.Errors[i]
			}
			return fmt.Errorf("looking the caller up for the post-call actions: %w", errors.Join(errs...))
		}
	}
	var links aftercall.Links
	if w.deps.Links != nil {
		links = w.deps.Links(ctx, res)
	}
	steps := w.deps.Actions.Plan(call, res, links)
	for _, st := range steps {
		if _, err := w.deps.Journal.Enqueue(ctx, ActionArgs{UUID: call.UUID, Key: st.Key(), Step: st}, nil); err != nil {
			return fmt.Errorf("enqueue post-call step %s: %w", st.Key(), err)
		}
	}
	w.deps.Logger.Info("call ended: post-call steps planned", "call", call.UUID, "steps", len(steps),
		"match", res.Outcome(), "backfilled", job.Args.Backfilled)
	return nil
}

// card makes sure the call's Insight Card went out: the fast path marks
// it done; a card it never finished is pushed now, unless the call has
// ended (a card after hangup is never shown).
func (w *EventWorker) card(ctx context.Context, ev *webhook.Event) error {
	if w.deps.Card == nil {
		return nil
	}
	effects := w.deps.Journal.Effects()
	uuid := ev.Call.UUID
	for _, step := range []string{stepCard, stepHangup} {
		ef, err := effects.Get(ctx, uuid, step)
		if err != nil {
			return err
		}
		if ef.State == journal.EffectDone {
			return nil
		}
	}
	res := w.deps.Card(ctx, ev)
	w.deps.Logger.Warn("an Insight Card the fast path did not finish (the host stopped?) was handled from the journal",
		"call", uuid, "outcome", res.Outcome, "reason", res.Reason, "error", res.Err)
	if res.Outcome == webhook.OutcomeFailed {
		return nil // a card is worth one late try, not a retry storm
	}
	return effects.Mark(ctx, uuid, stepCard, res.Outcome)
}

// CardsDone records the cards the fast path handled (any outcome but a
// failure; the outcome is kept as the step's remote id, for operators), so
// that their durable jobs, if queued, do nothing. One statement for all.
func CardsDone(ctx context.Context, j *journal.Journal, cards map[string]webhook.Result) error {
	marks := make([]journal.Marked, 0, len(cards))
	for uuid, res := range cards {
		if uuid == "" || res.Outcome == webhook.OutcomeFailed {
			continue
		}
		marks = append(marks, journal.Marked{Call: uuid, RemoteID: res.Outcome})
	}
	return j.Effects().MarkMany(ctx, stepCard, marks)
}

// ActionWorker performs one post-call step.
type ActionWorker struct {
	river.WorkerDefaults[ActionArgs]
	deps Deps
}

// Outcomes of a step (label of switchboard_aftercall_steps_total).
const (
	OutcomeDone    = "done"
	OutcomeSkipped = "already_done"
	OutcomeRetry   = "retry"
	OutcomeFailed  = "failed" // permanent: cancelled
	OutcomeHeld    = "held"   // outcome unknown: cancelled for a person
)

// NextRetry spaces retries: quick at first (a brief 503), then up to five
// minutes (Hipcall down for a while).
func (w *ActionWorker) NextRetry(job *river.Job[ActionArgs]) time.Time {
	d := time.Second << min(job.Attempt, 9)
	return time.Now().Add(min(d, 5*time.Minute))
}

// Work implements river.Worker.
func (w *ActionWorker) Work(ctx context.Context, job *river.Job[ActionArgs]) error {
	a := job.Args
	log := w.deps.Logger.With("call", a.UUID, "step", a.Key, "kind", string(a.Step.Kind), "attempt", job.Attempt)
	if isCRM(a.Step.Kind) {
		return w.runCRM(ctx, job, log)
	}
	once := !a.Step.Kind.Idempotent()
	effects := w.deps.Journal.Effects()
	var sent time.Time
	if once {
		sent = time.Now()
		prev, ok, err := effects.Begin(ctx, a.UUID, a.Key)
		if err != nil {
			return err
		}
		if !ok {
			switch prev.State {
			case journal.EffectDone:
				w.outcome(log, a, OutcomeSkipped, nil, "remote_id", prev.RemoteID)
				return nil
			default:
				err := fmt.Errorf("held: an earlier attempt sent this %s at %s and its outcome is unknown (the host stopped, or the answer was lost); "+
					"check the call in Hipcall, then `switchboard calls retry %d` to send it again if it is missing",
					a.Step.Kind, prev.SentAt.Format(time.RFC3339), job.ID)
				w.outcome(log, a, OutcomeHeld, err)
				return river.JobCancel(err)
			}
		}
	}
	out, err := w.deps.Actions.Run(hipcall.WithPriority(ctx, hipcall.PriorityAction), a.Step, w.deps.API)
	if err != nil {
		if once && notApplied(err) {
			if aerr := effects.Abort(ctx, a.UUID, a.Key); aerr != nil {
				log.Error("could not clear the sent mark; the next attempt will hold the step", "error", aerr)
			}
		}
		if aftercall.IsPermanent(err) {
			w.outcome(log, a, OutcomeFailed, err)
			return river.JobCancel(err)
		}
		w.outcome(log, a, OutcomeRetry, err)
		return err
	}
	if once {
		if err := effects.Done(ctx, a.UUID, a.Key, out.RemoteID); err != nil {
			// Done but not recorded: the next attempt holds the step
			// rather than post it again.
			return err
		}
		w.deps.Metrics.exposed(string(a.Step.Kind), time.Since(sent))
	}
	w.outcome(log, a, OutcomeDone, nil, "remote_id", out.RemoteID, "detail", out.Detail)
	return nil
}

// outcome logs the step's one line and counts it.
func (w *ActionWorker) outcome(log hclog.Logger, a ActionArgs, outcome string, err error, kv ...any) {
	w.deps.Metrics.step(a.Step.Action, outcome)
	kv = append(kv, "outcome", outcome)
	switch {
	case err == nil:
		log.Info("post-call step", kv...)
	case outcome == OutcomeRetry:
		log.Warn("post-call step failed; it will be retried", append(kv, "error", err)...)
	default:
		log.Error("post-call step given up", append(kv, "error", err)...)
	}
}

// notApplied reports whether err proves the request did nothing: Hipcall
// refused it before doing anything (429, a 4xx, 502-504 from its edge),
// the connection was never made, or the step was refused before any
// request (a permanent error with no HTTP answer: a step whose template
// failed, an empty comment, input the client will not send).
func notApplied(err error) bool {
	var se interface{ HTTPStatus() int }
	if errors.As(err, &se) && se.HTTPStatus() != 0 {
		s := se.HTTPStatus()
		return s == 429 || (s >= 400 && s < 500) || s == 502 || s == 503 || s == 504
	}
	if aftercall.IsPermanent(err) {
		return true
	}
	if errors.Is(err, syscall.ECONNREFUSED) {
		return true
	}
	var oe *net.OpError
	return errors.As(err, &oe) && oe.Op == "dial"
}
