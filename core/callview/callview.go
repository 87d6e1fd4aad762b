// Package callview reads what happened after each call from the journal
// (core/journal) and acts on its post-call steps: the library behind
// `switchboard calls`, `calls retry` and `calls resolve`, and behind the
// operator console. It starts no worker: it reads a journal.Reader, which
// may be open while a host serves on the same journal.
package callview

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/switchboard-hq/switchboard/core/calljobs"
	"github.com/switchboard-hq/switchboard/core/journal"
	"github.com/switchboard-hq/switchboard/core/webhook"
)

// States of a post-call step (and of a call's planning job).
const (
	StateDone      = "done"      // completed; RemoteID is Hipcall's id for a comment or task
	StateScheduled = "scheduled" // waiting for its first attempt
	StateRunning   = "running"   // an attempt is under way
	StateRetrying  = "retrying"  // an attempt failed; it runs again (NextAttemptAt)
	StateFailed    = "failed"    // given up: an error retrying cannot fix, or too many attempts
	StateHeld      = "held"      // a step waiting for a person (outcome unknown, or a record to choose)
	StateWaiting   = "waiting"   // planning only: recorded, not yet queued (no host serving)
)

// HeldPrefix starts the error of a step calljobs held for a person.
const HeldPrefix = "held:"

// Call is one call as the journal knows it. Fields are always present in
// JSON, null or "" when unknown. `switchboard calls -json` prints the
// fields up to Steps (docs/configuration.md lists them); the console
// gets all.
type Call struct {
	UUID string `json:"uuid"`
	// HangupRecordedAt is when the call_hangup was recorded (received
	// from Hipcall, or made by the reconciler); null when the journal holds
	// none for the call.
	HangupRecordedAt *time.Time `json:"hangup_recorded_at"`
	// Direction and CustomerNumber are from the call_hangup's payload.
	Direction      string `json:"direction"`
	CustomerNumber string `json:"customer_number"`
	// Backfilled: the reconciler made the call_hangup from Hipcall's calls
	// list because the webhook never came.
	Backfilled bool `json:"backfilled"`
	// Events are the call's events recorded, in the order received
	// (call_init, call_bridged, call_hangup).
	Events []string `json:"events"`
	// Card is what became of the call's Insight Card; null when no card
	// was handled (cards off, or not yet).
	Card *Card `json:"card"`
	// Planning is the call_hangup's job, which plans the steps; null when
	// no call_hangup is recorded.
	Planning *Planning `json:"planning"`
	// Steps are the post-call steps, in the order planned.
	Steps []Step `json:"steps"`

	// CallerNumber and CalleeNumber are from the call_hangup's payload,
	// else from another event's ("" when no payload is kept: a call_init
	// whose card the fast path handled leaves none).
	CallerNumber string `json:"caller_number"`
	CalleeNumber string `json:"callee_number"`
	// Received are Events with when each was received.
	Received []Event `json:"received"`
	// Problem: a step (or the planning) failed, held or retrying — what
	// Filter.FailedOnly keeps.
	Problem bool `json:"problem"`
	// UpdatedAt is the latest change the journal shows for the call: a job
	// created, attempted, failed, finished or retried, an event received,
	// a card handled, a request marked sent or done.
	UpdatedAt time.Time `json:"updated_at"`
}

// Event is one of a call's events and when it was received.
type Event struct {
	Name string    `json:"name"`
	At   time.Time `json:"at"`
}

// Card is a call's Insight Card.
type Card struct {
	// Outcome is the card service's word: "pushed", or "skipped" (no
	// card for this caller).
	Outcome   string    `json:"outcome"`
	HandledAt time.Time `json:"handled_at"`
}

// Planning is a call_hangup's job.
type Planning struct {
	// JobID is River's job id; 0 while the event waits in the intake.
	JobID   int64  `json:"job_id"`
	State   string `json:"state"`
	Attempt int    `json:"attempt"`
	Error   string `json:"error"`
}

// Step is one post-call step.
type Step struct {
	JobID       int64  `json:"job_id"`
	Action      string `json:"action"`
	Key         string `json:"key"`
	Kind        string `json:"kind"`
	State       string `json:"state"`
	Attempt     int    `json:"attempt"`
	MaxAttempts int    `json:"max_attempts"`
	// Error is the last attempt's error ("" when none).
	Error string `json:"error"`
	// RemoteID is Hipcall's id of the comment or task, once done.
	RemoteID string `json:"remote_id"`
	// SentAt is when a comment or task was first marked sent.
	SentAt *time.Time `json:"sent_at"`
	// OutcomeUnknown: a comment or task is marked sent and not done, and
	// the step stopped: Hipcall may or may not have it, so Retry asks for
	// force.
	OutcomeUnknown bool       `json:"outcome_unknown"`
	NextAttemptAt  *time.Time `json:"next_attempt_at"`
	FinishedAt     *time.Time `json:"finished_at"`
	// Candidates are, for a crm_log step held because several records
	// share the number, those records ("contact:<id>", "company:<id>"):
	// what Resolve chooses from.
	Candidates []string `json:"candidates,omitempty"`
}

// problem reports whether the call has a step (or planning) failed, held
// or retrying.
func (c *Call) problem() bool {
	if c.Planning != nil && (c.Planning.State == StateFailed || c.Planning.State == StateRetrying) {
		return true
	}
	for _, s := range c.Steps {
		switch s.State {
		case StateFailed, StateHeld, StateRetrying:
			return true
		}
	}
	return false
}

// Filter narrows List.
type Filter struct {
	// Since: calls whose hangup was recorded this long ago or less (calls
	// with no hangup: whose latest job was). 0 means 24h.
	Since time.Duration
	// From, when set, is the window's start instead of now - Since.
	From time.Time
	// FailedOnly keeps the calls with a step failed, held or retrying.
	FailedOnly bool
	// Limit keeps at most this many calls, newest first (0: all).
	Limit int
	// Number keeps the calls whose caller or callee number holds its
	// digits (leading zeros dropped: "020 4520 5757" finds +442045205757).
	Number string
	// UUID keeps that call only.
	UUID string
}

// DefaultSince is Filter.Since when it is 0.
const DefaultSince = 24 * time.Hour

// Start is the window's start for a list made at now.
func (f Filter) Start(now time.Time) time.Time {
	if !f.From.IsZero() {
		return f.From
	}
	if f.Since <= 0 {
		return now.Add(-DefaultSince)
	}
	return now.Add(-f.Since)
}

// ErrNotFound is the error (errors.Is) when no call, job or step answers
// a reference.
var ErrNotFound = errors.New("not found in the journal")

// List reads the calls in the filter's window, newest first (by when the
// hangup was recorded, else by when the call's latest job was), and how
// many more matched beyond f.Limit. It reads every job created in the
// window (a page of 500 at a time, by id), the SQLite intake and the
// effects marked since an hour before the window.
func List(ctx context.Context, r *journal.Reader, f Filter) (calls []Call, more int, err error) {
	if f.Limit < 0 {
		return nil, 0, fmt.Errorf("limit must be 0 or more, got %d", f.Limit)
	}
	cutoff := f.Start(time.Now())
	all, err := readWindow(ctx, r, cutoff)
	if err != nil {
		return nil, 0, err
	}
	digits := numberQuery(f.Number)
	calls = []Call{}
	for _, c := range all {
		switch {
		case f.FailedOnly && !c.Problem:
		case f.UUID != "" && c.UUID != f.UUID:
		case f.Number != "" && !matchesNumber(c, digits):
		default:
			calls = append(calls, *c)
		}
	}
	if f.Limit > 0 && len(calls) > f.Limit {
		more = len(calls) - f.Limit
		calls = calls[:f.Limit]
	}
	return calls, more, nil
}

// numberQuery is the digits a Number filter looks for.
func numberQuery(s string) string { return strings.TrimLeft(digitsOf(s), "0") }

func digitsOf(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

func matchesNumber(c *Call, q string) bool {
	if q == "" {
		return false
	}
	for _, n := range []string{c.CallerNumber, c.CalleeNumber, c.CustomerNumber} {
		if strings.Contains(digitsOf(n), q) {
			return true
		}
	}
	return false
}

// Get reads one call, whatever its age (as long as the journal keeps its
// jobs: journal.keep); ErrNotFound when the journal holds nothing of it.
func Get(ctx context.Context, r *journal.Reader, uuid string) (*Call, error) {
	if uuid == "" {
		return nil, fmt.Errorf("call %w: no uuid given", ErrNotFound)
	}
	calls, err := readCalls(ctx, r, []string{uuid})
	if err != nil {
		return nil, err
	}
	if len(calls) == 0 {
		return nil, fmt.Errorf("call %s: %w", uuid, ErrNotFound)
	}
	return calls[0], nil
}

// Since returns the calls that changed at or after after (see
// Call.UpdatedAt), newest first, whatever their age, and the cursor to
// pass next time: the latest UpdatedAt returned, else after. A call may
// come again in the next answer (changes at the cursor's instant): replace
// it by its UUID. Pass a cursor a few seconds back when several hosts
// with unsynchronised clocks share the journal.
//
// Cost, for polling every second: three index range reads of the jobs
// finished since after (River's (state, finalized_at) index: only the rows
// changed), one read of the unfinished jobs (the queue: usually few, the
// backlog during an outage), two index range reads of the effects marked
// sent, or done, since after (switchboard_effects' indexes on sent_at and
// done_at: a step done after it was sent, such as a card marked again or
// a comment done before its job finishes, counts as a change; a journal
// no host of this version has opened yet lacks the indexes, and the
// effects table is scanned), and on SQLite the intake. Only when calls
// changed: one read of their jobs by uuid (a scan of River's jobs table
// filtered by kind, 100 calls per query) and one effect lookup per card,
// comment and task of those calls.
func Since(ctx context.Context, r *journal.Reader, after time.Time) ([]Call, time.Time, error) {
	changed := map[string]bool{}
	note := func(j *rivertype.JobRow) {
		if u := jobUUID(j); u != "" {
			changed[u] = true
		}
	}
	// Finished jobs, newest finish first, one state at a time so that
	// each is an index range.
	for _, st := range []rivertype.JobState{rivertype.JobStateCompleted, rivertype.JobStateCancelled, rivertype.JobStateDiscarded} {
		p := river.NewJobListParams().States(st).Kinds(calljobs.KindEvent, calljobs.KindAction).
			OrderBy(river.JobListOrderByFinalizedAt, river.SortOrderDesc).First(listPage)
		if err := eachPage(ctx, r, p, func(j *rivertype.JobRow) bool {
			if j.FinalizedAt == nil || j.FinalizedAt.Before(after) {
				return false
			}
			note(j)
			return true
		}); err != nil {
			return nil, after, err
		}
	}
	now := time.Now()
	p := river.NewJobListParams().States(rivertype.JobStateAvailable, rivertype.JobStatePending, rivertype.JobStateRetryable,
		rivertype.JobStateRunning, rivertype.JobStateScheduled).Kinds(calljobs.KindEvent, calljobs.KindAction).First(listPage)
	if err := eachPage(ctx, r, p, func(j *rivertype.JobRow) bool {
		if !changedAt(j, now).Before(after) {
			note(j)
		}
		return true
	}); err != nil {
		return nil, after, err
	}
	effects, err := r.Effects().Since(ctx, after)
	if err != nil {
		return nil, after, err
	}
	for k := range effects {
		changed[k.Call] = true
	}
	waiting, err := r.Waiting(ctx)
	if err != nil {
		return nil, after, err
	}
	for _, w := range waiting {
		var a calljobs.EventArgs
		if w.Kind == calljobs.KindEvent && json.Unmarshal(w.Args, &a) == nil && a.UUID != "" && !a.Received.Before(after) {
			changed[a.UUID] = true
		}
	}
	if len(changed) == 0 {
		return []Call{}, after, nil
	}
	uuids := make([]string, 0, len(changed))
	for u := range changed {
		uuids = append(uuids, u)
	}
	slices.Sort(uuids)
	calls, err := readCalls(ctx, r, uuids)
	if err != nil {
		return nil, after, err
	}
	out := make([]Call, len(calls))
	cursor := after
	for i, c := range calls {
		out[i] = *c
		if c.UpdatedAt.After(cursor) {
			cursor = c.UpdatedAt
		}
	}
	return out, cursor, nil
}

// changedAt is the latest change a job shows.
func changedAt(j *rivertype.JobRow, now time.Time) time.Time {
	t := j.CreatedAt
	later := func(u time.Time) {
		if u.After(t) {
			t = u
		}
	}
	if j.AttemptedAt != nil {
		later(*j.AttemptedAt)
	}
	if j.FinalizedAt != nil {
		later(*j.FinalizedAt)
	}
	if n := len(j.Errors); n > 0 {
		later(j.Errors[n-1].At)
	}
	// A job retried by hand (or due again) is scheduled at that moment.
	if j.FinalizedAt == nil && !j.ScheduledAt.After(now) {
		later(j.ScheduledAt)
	}
	return t
}

// jobUUID is the call uuid in a job's arguments.
func jobUUID(j *rivertype.JobRow) string {
	var a struct {
		UUID string `json:"uuid"`
	}
	if json.Unmarshal(j.EncodedArgs, &a) != nil {
		return ""
	}
	return a.UUID
}

// listPage is how many jobs one query reads.
const listPage = 500

// eachPage calls fn for the jobs p lists, page after page, until fn
// answers false or the jobs end.
func eachPage(ctx context.Context, r *journal.Reader, p *river.JobListParams, fn func(*rivertype.JobRow) bool) error {
	for {
		res, err := r.Jobs(ctx, p)
		if err != nil {
			return fmt.Errorf("journal: list jobs: %w", err)
		}
		for _, j := range res.Jobs {
			if !fn(j) {
				return nil
			}
		}
		if len(res.Jobs) < listPage {
			return nil
		}
		p = p.After(res.LastCursor)
	}
}

// eachJob calls fn for the jobs of kind created at or after cutoff, newest
// first. Job ids grow with creation, so the listing stops at the first
// page that reaches past the cutoff (by a minute, for the clocks of
// several hosts).
func eachJob(ctx context.Context, r *journal.Reader, kind string, cutoff time.Time, fn func(*rivertype.JobRow)) error {
	p := river.NewJobListParams().Kinds(kind).OrderBy(river.JobListOrderByID, river.SortOrderDesc).First(listPage)
	for {
		res, err := r.Jobs(ctx, p)
		if err != nil {
			return fmt.Errorf("journal: list %s jobs: %w", kind, err)
		}
		for _, j := range res.Jobs {
			if !j.CreatedAt.Before(cutoff) {
				fn(j)
			}
		}
		if len(res.Jobs) < listPage || res.Jobs[len(res.Jobs)-1].CreatedAt.Before(cutoff.Add(-time.Minute)) {
			return nil
		}
		p = p.After(res.LastCursor)
	}
}

// readWindow gathers the calls whose jobs were created since cutoff,
// newest first.
func readWindow(ctx context.Context, r *journal.Reader, cutoff time.Time) ([]*Call, error) {
	b := newBuilder()
	if err := eachJob(ctx, r, calljobs.KindEvent, cutoff, b.addEventJob); err != nil {
		return nil, err
	}
	waiting, err := r.Waiting(ctx)
	if err != nil {
		return nil, err
	}
	for _, w := range waiting {
		b.addWaiting(w, func(a calljobs.EventArgs) bool { return !a.Received.Before(cutoff) })
	}
	effects, err := r.Effects().Since(ctx, cutoff.Add(-time.Hour))
	if err != nil {
		return nil, err
	}
	b.effects = effects
	for k, ef := range effects {
		if k.Step == calljobs.StepCard && !ef.DoneAt.Before(cutoff) {
			b.addCard(k.Call, ef)
		}
	}
	var actions []*rivertype.JobRow
	if err := eachJob(ctx, r, calljobs.KindAction, cutoff, func(j *rivertype.JobRow) { actions = append(actions, j) }); err != nil {
		return nil, err
	}
	for _, j := range actions {
		b.addActionJob(j)
	}
	return b.finish(cutoff), nil
}

// uuidChunk is how many calls one query of readCalls names.
const uuidChunk = 100

// readCalls gathers the named calls whatever their age, newest first;
// calls the journal holds nothing of are left out.
func readCalls(ctx context.Context, r *journal.Reader, uuids []string) ([]*Call, error) {
	b := newBuilder()
	want := map[string]bool{}
	var actions []*rivertype.JobRow
	for len(uuids) > 0 {
		chunk := uuids[:min(len(uuids), uuidChunk)]
		uuids = uuids[len(chunk):]
		names := make([]string, len(chunk))
		args := river.NamedArgs{}
		for i, u := range chunk {
			want[u] = true
			names[i] = fmt.Sprintf("@call_uuid_%d", i)
			args[fmt.Sprintf("call_uuid_%d", i)] = u
		}
		p := river.NewJobListParams().Kinds(calljobs.KindEvent, calljobs.KindAction).
			Where("args ->> 'uuid' IN ("+strings.Join(names, ", ")+")", args).
			OrderBy(river.JobListOrderByID, river.SortOrderDesc).First(listPage)
		err := eachPage(ctx, r, p, func(j *rivertype.JobRow) bool {
			if j.Kind == calljobs.KindEvent {
				b.addEventJob(j)
			} else {
				actions = append(actions, j)
			}
			return true
		})
		if err != nil {
			return nil, err
		}
	}
	waiting, err := r.Waiting(ctx)
	if err != nil {
		return nil, err
	}
	for _, w := range waiting {
		b.addWaiting(w, func(a calljobs.EventArgs) bool { return want[a.UUID] })
	}
	// The effects of the calls' cards, comments and tasks.
	keys := make([]journal.EffectKey, 0, len(want))
	for u := range want {
		keys = append(keys, journal.EffectKey{Call: u, Step: calljobs.StepCard})
	}
	for _, j := range actions {
		var a calljobs.ActionArgs
		if json.Unmarshal(j.EncodedArgs, &a) == nil && a.UUID != "" && !a.Step.Kind.Idempotent() {
			keys = append(keys, journal.EffectKey{Call: a.UUID, Step: a.Key})
		}
	}
	for _, k := range keys {
		ef, err := r.Effects().Get(ctx, k.Call, k.Step)
		if err != nil {
			return nil, err
		}
		if ef.State != journal.EffectNone {
			b.effects[k] = ef
		}
	}
	for u := range want {
		if ef, ok := b.effects[journal.EffectKey{Call: u, Step: calljobs.StepCard}]; ok {
			b.addCard(u, ef)
		}
	}
	for _, j := range actions {
		b.addActionJob(j)
	}
	return b.finish(time.Time{}), nil
}

// builder assembles calls from their jobs, intake rows and effects.
type builder struct {
	byUUID   map[string]*Call
	lastSeen map[string]time.Time // the latest job (or card) of each call: the order of calls without a call_hangup
	hangupID map[string]int64     // the call_hangup job each call shows
	numbered map[string]bool      // the call's numbers are from its call_hangup
	queued   map[[2]string]bool   // (event, call uuid): unique in River
	effects  map[journal.EffectKey]journal.Effect
	now      time.Time
}

func newBuilder() *builder {
	return &builder{byUUID: map[string]*Call{}, lastSeen: map[string]time.Time{}, hangupID: map[string]int64{},
		numbered: map[string]bool{}, queued: map[[2]string]bool{}, effects: map[journal.EffectKey]journal.Effect{}, now: time.Now()}
}

func (b *builder) call(uuid string) *Call {
	c := b.byUUID[uuid]
	if c == nil {
		c = &Call{UUID: uuid, Events: []string{}, Steps: []Step{}, Received: []Event{}}
		b.byUUID[uuid] = c
	}
	return c
}

func (b *builder) seen(c *Call, t time.Time) {
	if b.lastSeen[c.UUID].Before(t) {
		b.lastSeen[c.UUID] = t
	}
	b.touched(c, t)
}

func (b *builder) touched(c *Call, t time.Time) {
	if c.UpdatedAt.Before(t) {
		c.UpdatedAt = t.UTC()
	}
}

// addEvent notes one of the call's events, once.
func addEvent(c *Call, name string, at time.Time) {
	for _, e := range c.Received {
		if e.Name == name {
			return
		}
	}
	c.Received = append(c.Received, Event{name, at.UTC()})
}

// addEventJob adds an event's job.
func (b *builder) addEventJob(j *rivertype.JobRow) {
	var a calljobs.EventArgs
	if err := json.Unmarshal(j.EncodedArgs, &a); err != nil || a.UUID == "" {
		return // not a call's event (or unreadable): nothing to show
	}
	b.queued[[2]string{a.Name, a.UUID}] = true
	c := b.call(a.UUID)
	addEvent(c, a.Name, a.Received)
	b.seen(c, j.CreatedAt)
	b.touched(c, changedAt(j, b.now))
	b.touched(c, a.Received)
	if a.Name != webhook.CallHangup {
		if !b.numbered[a.UUID] {
			b.setNumbers(c, a, false)
		}
		return
	}
	if b.hangupID[a.UUID] > j.ID {
		return
	}
	b.hangupID[a.UUID] = j.ID
	b.setHangup(c, a)
	state, attempt, msg := JobState(j)
	c.Planning = &Planning{JobID: j.ID, State: state, Attempt: attempt, Error: msg}
}

// addWaiting adds a recorded event not yet in River's queue (SQLite, no
// host serving), when keep says so; the intake also keeps moved rows for
// a moment, which River holds.
func (b *builder) addWaiting(w journal.Waiting, keep func(calljobs.EventArgs) bool) {
	var a calljobs.EventArgs
	if w.Kind != calljobs.KindEvent || json.Unmarshal(w.Args, &a) != nil || a.UUID == "" || !keep(a) ||
		b.queued[[2]string{a.Name, a.UUID}] {
		return
	}
	b.queued[[2]string{a.Name, a.UUID}] = true
	c := b.call(a.UUID)
	addEvent(c, a.Name, a.Received)
	b.seen(c, a.Received)
	if a.Name == webhook.CallHangup && c.Planning == nil {
		b.setHangup(c, a)
		c.Planning = &Planning{State: StateWaiting}
	} else if !b.numbered[a.UUID] {
		b.setNumbers(c, a, false)
	}
}

// addCard adds a call's card mark. A call_init whose card the fast path
// handled leaves no job (journal.Provisional): its card's mark records it.
func (b *builder) addCard(uuid string, ef journal.Effect) {
	if ef.State != journal.EffectDone {
		return
	}
	c := b.call(uuid)
	addEvent(c, webhook.CallInit, ef.SentAt)
	c.Card = &Card{Outcome: ef.RemoteID, HandledAt: ef.DoneAt.UTC()}
	b.seen(c, ef.DoneAt)
}

// addActionJob adds a post-call step's job (after the effects are in).
func (b *builder) addActionJob(j *rivertype.JobRow) {
	var a calljobs.ActionArgs
	if err := json.Unmarshal(j.EncodedArgs, &a); err != nil || a.UUID == "" {
		return
	}
	c := b.call(a.UUID)
	b.seen(c, j.CreatedAt)
	b.touched(c, changedAt(j, b.now))
	s := stepOf(j, a, b.effects)
	if s.SentAt != nil {
		b.touched(c, *s.SentAt)
	}
	if ef, ok := b.effects[journal.EffectKey{Call: a.UUID, Step: a.Key}]; ok && !ef.DoneAt.IsZero() {
		b.touched(c, ef.DoneAt)
	}
	c.Steps = append(c.Steps, s)
}

// setHangup fills the call from its call_hangup.
func (b *builder) setHangup(c *Call, a calljobs.EventArgs) {
	at := a.Received.UTC()
	c.HangupRecordedAt, c.Backfilled = &at, a.Backfilled
	c.Direction, c.CustomerNumber = "", ""
	b.setNumbers(c, a, true)
}

// setNumbers fills the call's numbers from an event's payload.
func (b *builder) setNumbers(c *Call, a calljobs.EventArgs, hangup bool) {
	ev, err := webhook.Parse(a.Body)
	if err != nil || ev.Call == nil {
		return
	}
	if hangup {
		c.Direction, c.CustomerNumber = ev.Call.Direction, ev.Call.CustomerNumber()
		b.numbered[c.UUID] = true
	}
	if hangup || c.CallerNumber == "" && c.CalleeNumber == "" {
		c.CallerNumber, c.CalleeNumber = ev.Call.CallerNumber, ev.Call.CalleeNumber
	}
}

// finish sorts each call's events and steps and the calls, newest first;
// a call whose hangup was recorded before cutoff is left out (queued or
// planned in the window).
func (b *builder) finish(cutoff time.Time) []*Call {
	out := make([]*Call, 0, len(b.byUUID))
	for _, c := range b.byUUID {
		// In the order received (a job's id is the order it was queued:
		// a call_init's job may be queued after its call_hangup's).
		slices.SortStableFunc(c.Received, func(a, b Event) int { return a.At.Compare(b.At) })
		for _, e := range c.Received {
			c.Events = append(c.Events, e.Name)
		}
		if c.HangupRecordedAt != nil && c.HangupRecordedAt.Before(cutoff) {
			continue
		}
		slices.SortFunc(c.Steps, func(a, b Step) int { return cmpInt64(a.JobID, b.JobID) })
		c.Problem = c.problem()
		out = append(out, c)
	}
	key := func(c *Call) time.Time {
		if c.HangupRecordedAt != nil {
			return *c.HangupRecordedAt
		}
		return b.lastSeen[c.UUID]
	}
	slices.SortFunc(out, func(x, y *Call) int {
		if c := key(y).Compare(key(x)); c != 0 {
			return c
		}
		return strings.Compare(x.UUID, y.UUID)
	})
	return out
}

func cmpInt64(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// lastError is the job's last attempt's error, without the prefix River
// gives the error of a cancelled job.
func lastError(j *rivertype.JobRow) string {
	if n := len(j.Errors); n > 0 {
		return strings.TrimPrefix(j.Errors[n-1].Error, "JobCancelError: ")
	}
	return ""
}

// JobState is where a job stands, in this package's words (StateDone...),
// with its attempt and last error.
func JobState(j *rivertype.JobRow) (state string, attempt int, msg string) {
	msg = lastError(j)
	switch j.State {
	case rivertype.JobStateCompleted:
		return StateDone, j.Attempt, ""
	case rivertype.JobStateRunning:
		state = StateRunning
	case rivertype.JobStateRetryable:
		state = StateRetrying
	case rivertype.JobStateAvailable, rivertype.JobStateScheduled, rivertype.JobStatePending:
		state = StateScheduled
		if j.Attempt > 0 && msg != "" {
			state = StateRetrying // due again (or made available by Retry)
		}
	case rivertype.JobStateCancelled:
		state = StateFailed
		if strings.HasPrefix(msg, HeldPrefix) {
			state = StateHeld
		}
	case rivertype.JobStateDiscarded:
		state = StateFailed
	default:
		state = string(j.State)
	}
	return state, j.Attempt, msg
}

// stepOf describes a post-call step's job.
func stepOf(j *rivertype.JobRow, a calljobs.ActionArgs, effects map[journal.EffectKey]journal.Effect) Step {
	state, attempt, msg := JobState(j)
	s := Step{JobID: j.ID, Action: a.Step.Action, Key: a.Key, Kind: string(a.Step.Kind), State: state,
		Attempt: attempt, MaxAttempts: j.MaxAttempts, Error: msg, FinishedAt: j.FinalizedAt}
	if crm := a.Step.CRM; crm != nil && crm.Log != nil && crm.Log.ContactID == "" && crm.Log.CompanyID == "" {
		s.Candidates = crm.Candidates
	}
	if s.FinishedAt != nil {
		t := s.FinishedAt.UTC()
		s.FinishedAt = &t
	}
	if state == StateScheduled || state == StateRetrying {
		t := j.ScheduledAt.UTC()
		s.NextAttemptAt = &t
	}
	if !a.Step.Kind.Idempotent() {
		ef, ok := effects[journal.EffectKey{Call: a.UUID, Step: a.Key}]
		if ok {
			t := ef.SentAt.UTC()
			s.SentAt = &t
		}
		switch {
		case ok && ef.State == journal.EffectDone:
			s.RemoteID = ef.RemoteID
		case ok && ef.State == journal.EffectSent && (state == StateFailed || state == StateHeld):
			s.OutcomeUnknown = true
		}
	}
	return s
}
