package callview

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/switchboard-hq/switchboard/core/aftercall"
	"github.com/switchboard-hq/switchboard/core/calljobs"
	"github.com/switchboard-hq/switchboard/core/journal"
	"github.com/switchboard-hq/switchboard/core/webhook"
)

// StepRef names a post-call step: by its job id, or by its call's uuid
// and its key.
type StepRef struct {
	JobID     int64
	UUID, Key string
}

// String is the reference as ParseStepRef reads it.
func (s StepRef) String() string {
	if s.JobID != 0 {
		return strconv.FormatInt(s.JobID, 10)
	}
	return s.UUID + "/" + s.Key
}

// ParseStepRef reads a job id, or UUID/STEP (the step key may hold
// slashes; a call uuid does not).
func ParseStepRef(s string) (StepRef, error) {
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		if n <= 0 {
			return StepRef{}, fmt.Errorf("job id %d: must be above 0", n)
		}
		return StepRef{JobID: n}, nil
	}
	uuid, key, ok := strings.Cut(s, "/")
	if !ok || uuid == "" || key == "" {
		return StepRef{}, fmt.Errorf("%q is neither a job id nor UUID/STEP", s)
	}
	return StepRef{UUID: uuid, Key: key}, nil
}

// Result is what Retry or Resolve did.
type Result string

// Results. Every one but Queued changed nothing.
const (
	Queued         Result = "queued"          // the step will run again (Resolve: with the record named)
	AlreadyQueued  Result = "already_queued"  // waiting to run (or to run again), or retried meanwhile by another process: nothing to do
	AlreadyRunning Result = "already_running" // an attempt is under way: nothing to do
	AlreadyDone    Result = "already_done"    // done: nothing to do
)

// Outcome is what Retry or Resolve did, for a person.
type Outcome struct {
	Result Result `json:"result"`
	JobID  int64  `json:"job_id"`
	// Message says what was done, or why nothing was (the CLI prints it
	// on stdout).
	Message string `json:"message"`
	// Notes are warnings and remarks on the side (the CLI prints them on
	// stderr): a step whose outcome is unknown, a sent mark cleared, a
	// record that is not among the candidates.
	Notes []string `json:"notes"`
}

// Errors Retry and Resolve answer (errors.Is) besides ErrNotFound; the
// error's text is the reason, for a person.
var (
	// ErrRefused: the step is not one the action applies to, or needs
	// force (its outcome is unknown), or was resolved to another record.
	ErrRefused = errors.New("refused")
	// ErrBadTarget: Resolve's target is not contact:<id> or company:<id>.
	ErrBadTarget = errors.New("not a record reference")
)

// reason is an error for a person that matches one of the errors above.
type reason struct {
	msg  string
	kind error
}

func (e *reason) Error() string        { return e.msg }
func (e *reason) Is(target error) bool { return target == e.kind }

func refused(format string, args ...any) error {
	return &reason{fmt.Sprintf(format, args...), ErrRefused}
}

// acting serialises this process's Retry and Resolve calls, so that a
// button pressed twice in the console acts once; the second press finds
// the job queued.
var acting sync.Mutex

// findJob finds a step's job by its id or by its call uuid and key.
func findJob(ctx context.Context, r *journal.Reader, ref StepRef) (*rivertype.JobRow, error) {
	if ref.JobID != 0 {
		job, err := r.Job(ctx, ref.JobID)
		if errors.Is(err, rivertype.ErrNotFound) {
			return nil, &reason{fmt.Sprintf("no job %d in the journal (finished jobs are kept journal.keep)", ref.JobID), ErrNotFound}
		}
		return job, err
	}
	if ref.UUID == "" || ref.Key == "" {
		return nil, &reason{"no step named: give a job id or UUID/STEP", ErrNotFound}
	}
	p := river.NewJobListParams().Kinds(calljobs.KindAction).OrderBy(river.JobListOrderByID, river.SortOrderDesc).First(1)
	p = journal.WhereArg(journal.WhereArg(p, "uuid", ref.UUID), "key", ref.Key)
	res, err := r.Jobs(ctx, p)
	if err != nil {
		return nil, err
	}
	if len(res.Jobs) == 0 {
		return nil, &reason{fmt.Sprintf("no step %s of call %s in the journal (`switchboard calls` lists the steps)", ref.Key, ref.UUID), ErrNotFound}
	}
	return res.Jobs[0], nil
}

// dead reports whether a job stopped for good (cancelled or discarded):
// what Retry and Resolve make run again.
func dead(j *rivertype.JobRow) bool {
	return j.State == rivertype.JobStateCancelled || j.State == rivertype.JobStateDiscarded
}

// liveResult is the Result for a job that is not dead.
func liveResult(j *rivertype.JobRow) Result {
	switch j.State {
	case rivertype.JobStateCompleted:
		return AlreadyDone
	case rivertype.JobStateRunning:
		return AlreadyRunning
	}
	return AlreadyQueued
}

// Retry makes a failed or held step (or a call's failed planning) run
// again: River queues its job, and a host that serves runs it. A step
// whose comment or task was sent with no answer recorded (outcome unknown)
// is refused unless force, which clears the sent mark: Hipcall may then
// get it twice. Pressing twice is safe: a step already queued, running or
// done answers AlreadyQueued, AlreadyRunning or AlreadyDone and nothing
// changes. So is a forced retry racing one by another process on the
// same journal (a second host, the CLI and the console): it clears only
// the sent mark it read, never the one a later attempt made, and answers
// AlreadyQueued when that mark changed. Refusals are errors matching
// ErrRefused or ErrNotFound; the Outcome's Notes may still hold a warning.
func Retry(ctx context.Context, r *journal.Reader, ref StepRef, force bool) (Outcome, error) {
	acting.Lock()
	defer acting.Unlock()
	p, out, err := readRetry(ctx, r, ref, force)
	if p == nil {
		return out, err
	}
	return p.act(ctx, r)
}

// retry is a Retry read and decided, not yet acted on. Retry runs both
// halves under acting; another process may act between them (a test
// plays one there).
type retry struct {
	out   Outcome
	job   *rivertype.JobRow
	name  string // what the job is, for messages
	state string // the job's state as read
	step  calljobs.ActionArgs
	// seen, for a forced retry of a step marked sent, is that mark: act
	// clears it only if it is still the same.
	seen *journal.Effect
}

// readRetry is Retry's first half: it finds the job and decides. A nil
// retry is Retry's answer, the Outcome and error.
func readRetry(ctx context.Context, r *journal.Reader, ref StepRef, force bool) (*retry, Outcome, error) {
	job, err := findJob(ctx, r, ref)
	if err != nil {
		return nil, Outcome{}, err
	}
	out := Outcome{JobID: job.ID, Notes: []string{}}
	var (
		name string // what the job is, for messages
		step calljobs.ActionArgs
	)
	switch job.Kind {
	case calljobs.KindAction:
		if err := json.Unmarshal(job.EncodedArgs, &step); err != nil {
			return nil, out, fmt.Errorf("job %d: %w", job.ID, err)
		}
		name = fmt.Sprintf("job %d (call %s, step %s, %s)", job.ID, step.UUID, step.Key, step.Step.Kind)
	case calljobs.KindEvent:
		var event calljobs.EventArgs
		if err := json.Unmarshal(job.EncodedArgs, &event); err != nil {
			return nil, out, fmt.Errorf("job %d: %w", job.ID, err)
		}
		if event.Name != webhook.CallHangup {
			return nil, out, refused("job %d is the %s event of call %s, not a post-call step", job.ID, event.Name, event.UUID)
		}
		name = fmt.Sprintf("job %d (call %s, planning its steps from the call_hangup)", job.ID, event.UUID)
	default:
		return nil, out, refused("job %d is a %s job, not a post-call step", job.ID, job.Kind)
	}
	oneShot := job.Kind == calljobs.KindAction && !step.Step.Kind.Idempotent()

	state, attempt, msg := JobState(job)
	if !dead(job) {
		out.Result = liveResult(job)
		if out.Result == AlreadyDone {
			done := ""
			if oneShot {
				if ef, err := r.Effects().Get(ctx, step.UUID, step.Key); err == nil && ef.RemoteID != "" {
					done = " (Hipcall id " + ef.RemoteID + ")"
				}
			}
			out.Message = fmt.Sprintf("%s is already done%s: nothing to retry", name, done)
			return nil, out, nil
		}
		var next *rivertype.JobRow
		if state != StateRunning {
			next = job
		}
		out.Message = fmt.Sprintf("%s is not dead: %s; nothing done", name, StateText(state, attempt, job.MaxAttempts, msg, scheduledAt(next)))
		return nil, out, nil
	}

	p := &retry{job: job, name: name, state: state, step: step}
	if oneShot {
		ef, err := r.Effects().Get(ctx, step.UUID, step.Key)
		if err != nil {
			return nil, out, err
		}
		if ef.State == journal.EffectSent {
			out.Notes = append(out.Notes, fmt.Sprintf("warning: %s was sent to Hipcall at %s and its outcome is unknown (%s).\n"+
				"If Hipcall did receive it, running it again posts a second %s. Check the call in Hipcall first.",
				name, FormatTime(ef.SentAt), state, step.Step.Kind))
			if !force {
				return nil, out, refused("not retried: run again with -force if the %s is missing in Hipcall", step.Step.Kind)
			}
			p.seen = &ef
		}
	}
	p.out = out
	return p, out, nil
}

// act is Retry's second half: it clears the sent mark seen, if any, and
// queues the job.
func (p *retry) act(ctx context.Context, r *journal.Reader) (Outcome, error) {
	out, name := p.out, p.name
	if p.seen != nil {
		// Another process may have retried it meanwhile: clearing the
		// mark of a running attempt would let a later one send again.
		again, err := r.Job(ctx, p.job.ID)
		if err != nil {
			return out, err
		}
		if !dead(again) {
			st, at, m := JobState(again)
			out.Result = liveResult(again)
			out.Message = fmt.Sprintf("%s is not dead: %s; nothing done", name, StateText(st, at, again.MaxAttempts, m, nil))
			return out, nil
		}
		// Dead again, or not yet queued: another process may have retried
		// it, and its attempt marked it sent anew and stopped. Only the
		// mark read is cleared.
		cleared, err := r.Effects().AbortIf(ctx, p.step.UUID, p.step.Key, p.seen.SentAt)
		if err != nil {
			return out, err
		}
		if !cleared {
			out.Result = AlreadyQueued
			out.Message = fmt.Sprintf("%s was already retried by someone else (its sent mark changed since it was read); nothing done: "+
				"`switchboard calls` shows how it stands, and a step held again needs its own -force", name)
			return out, nil
		}
		out.Notes = append(out.Notes, fmt.Sprintf("-force: cleared the sent mark; the %s will be sent again", p.step.Step.Kind))
	}
	if _, err := r.Retry(ctx, p.job.ID); err != nil {
		return out, fmt.Errorf("retry %s: %w", name, err)
	}
	out.Result = Queued
	out.Message = fmt.Sprintf("%s was %s; it is queued to run again: a serving host runs it, and `switchboard calls` shows how it ends", name, p.state)
	return out, nil
}

func scheduledAt(j *rivertype.JobRow) *time.Time {
	if j == nil {
		return nil
	}
	t := j.ScheduledAt
	return &t
}

// wellFormed reports whether target reads as contact:<id> or
// company:<id> (calljobs.Resolve says why not).
func wellFormed(target string) bool {
	kind, id, ok := strings.Cut(target, ":")
	return ok && strings.TrimSpace(id) != "" && (kind == "contact" || kind == "company")
}

// resolveMeta is the journal's meta key under which calljobs.Resolve
// keeps a person's choice of record (calljobs' own resolveMeta: a test
// checks they agree).
func resolveMeta(uuid, key string) string { return "resolve/" + uuid + "/" + key }

// Resolve names the record (target "contact:<id>" or "company:<id>") a
// held crm_log step logs its call against, and makes the step run again.
// Pressing twice is safe: with the same target it answers AlreadyQueued,
// AlreadyRunning or AlreadyDone and changes nothing; with another target
// while the step is queued, running or done it is refused (ErrRefused).
// Once the step failed again, it may be resolved anew. A target not among
// the step's candidates is used as asked, with a note.
func Resolve(ctx context.Context, r *journal.Reader, ref StepRef, target string) (Outcome, error) {
	acting.Lock()
	defer acting.Unlock()
	target = strings.TrimSpace(target)
	job, err := findJob(ctx, r, ref)
	if err != nil {
		return Outcome{}, err
	}
	out := Outcome{JobID: job.ID, Notes: []string{}}
	var step calljobs.ActionArgs
	if err := json.Unmarshal(job.EncodedArgs, &step); err != nil || job.Kind != calljobs.KindAction {
		return out, refused("job %d is not a post-call step", job.ID)
	}
	crm := step.Step.CRM
	if step.Step.Kind != aftercall.KindCRMLog || crm == nil || crm.Log == nil {
		return out, refused("step %s of call %s is a %s step: only a crm_log step is resolved to a record", step.Key, step.UUID, step.Step.Kind)
	}
	if crm.Log.ContactID != "" || crm.Log.CompanyID != "" {
		return out, refused("step %s of call %s already has its record; nothing to resolve", step.Key, step.UUID)
	}
	name := fmt.Sprintf("job %d (call %s, step %s)", job.ID, step.UUID, step.Key)
	if !dead(job) {
		prev, err := r.Effects().Meta(ctx, resolveMeta(step.UUID, step.Key))
		if err != nil {
			return out, err
		}
		state, attempt, msg := JobState(job)
		text := StateText(state, attempt, job.MaxAttempts, msg, nil)
		out.Result = liveResult(job)
		switch {
		case prev == "":
			out.Message = fmt.Sprintf("%s is not held: %s; nothing done", name, text)
		case prev == target:
			out.Message = fmt.Sprintf("%s is already resolved to %s (%s); nothing to do", name, target, text)
		case out.Result == AlreadyDone:
			return out, refused("%s was logged against %s: it is not logged against %s as well", name, prev, target)
		default:
			return out, refused("%s is already resolved to %s and not finished (%s): it cannot be resolved to %s now; "+
				"if %s is wrong, resolve it again once the step has failed", name, prev, text, target, prev)
		}
		return out, nil
	}
	if err := calljobs.Resolve(ctx, r.Effects(), step.UUID, step.Key, target); err != nil {
		if wellFormed(target) {
			return out, err
		}
		return out, &reason{err.Error(), ErrBadTarget}
	}
	if len(crm.Candidates) > 0 && !slices.Contains(crm.Candidates, target) {
		out.Notes = append(out.Notes, fmt.Sprintf("warning: %s is not one of the records that share the number (%s); logging against it as you asked",
			target, strings.Join(crm.Candidates, ", ")))
	}
	if _, err := r.Retry(ctx, job.ID); err != nil {
		return out, fmt.Errorf("retry job %d: %w", job.ID, err)
	}
	out.Result = Queued
	out.Message = fmt.Sprintf("%s: the call will be logged against %s in %s; a serving host runs it now", name, target, crm.Connector)
	return out, nil
}
