package callview

import (
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/switchboard-hq/switchboard/connectors"
	"github.com/switchboard-hq/switchboard/core/aftercall"
	"github.com/switchboard-hq/switchboard/core/calljobs"
	"github.com/switchboard-hq/switchboard/core/journal"
)

// eventWorker completes every event's job but plan-fail's, which it
// cancels (the planning failed).
type eventWorker struct {
	river.WorkerDefaults[calljobs.EventArgs]
}

func (eventWorker) Work(_ context.Context, j *river.Job[calljobs.EventArgs]) error {
	if j.Args.UUID == "plan-fail" {
		return river.JobCancel(errors.New("looking the caller up: connector down"))
	}
	return nil
}

// actionWorker does a step as its action's name says: ok (a comment
// records its Hipcall id), bad (404, failed), held (a comment sent with
// no answer), hold (a crm_log waiting for a person).
type actionWorker struct {
	river.WorkerDefaults[calljobs.ActionArgs]
	j *journal.Journal
}

func (w actionWorker) Work(ctx context.Context, job *river.Job[calljobs.ActionArgs]) error {
	a := job.Args
	switch a.Step.Action {
	case "bad":
		return river.JobCancel(errors.New(`after-call step "` + a.Key + `" of call ` + a.UUID + `: hipcall: 404 Not Found`))
	case "held":
		if _, _, err := w.j.Effects().Begin(ctx, a.UUID, a.Key); err != nil {
			return err
		}
		return river.JobCancel(errors.New("held: an earlier attempt sent this comment and got no answer"))
	case "hold":
		return river.JobCancel(errors.New("held: needs a person: the number is shared by contact:4, contact:5"))
	}
	if a.Step.Kind == aftercall.KindComment {
		if _, _, err := w.j.Effects().Begin(ctx, a.UUID, a.Key); err != nil {
			return err
		}
		return w.j.Effects().Done(ctx, a.UUID, a.Key, "55")
	}
	return nil
}

func hangupBody(uuid, direction, caller, callee string) json.RawMessage {
	b, _ := json.Marshal(map[string]any{"event": "call_hangup", "data": map[string]any{
		"uuid": uuid, "direction": direction, "caller_number": caller, "callee_number": callee,
		"started_at": "2026-03-25T10:39:51Z", "ended_at": "2026-03-25T10:41:21Z"}})
	return b
}

func step(uuid, action, key string, kind aftercall.Kind) calljobs.ActionArgs {
	return calljobs.ActionArgs{UUID: uuid, Key: key, Step: aftercall.Step{Action: action, Kind: kind}}
}

// fixture is a SQLite journal a host worked, then stopped:
//
//	ok-call    hangup 1h ago; comment done (Hipcall id 55), tag done; +442045205757 -> +442039960000
//	fail-call  hangup 30m ago; tag failed (404)
//	held-call  hangup 20m ago; comment held, outcome unknown
//	crm-call   hangup 10m ago; crm_log held for a person (contact:4, contact:5)
//	plan-fail  hangup 5m ago; planning failed
//	old-call   hangup 48h ago (queued now); tag done
//	card-only  no job: a card pushed on the fast path
type fixture struct {
	cfg journal.Config
	now time.Time
}

func newFixture(t *testing.T) fixture {
	t.Helper()
	ctx := context.Background()
	cfg := journal.DefaultConfig()
	cfg.Path = filepath.Join(t.TempDir(), journal.DefaultSQLiteFile)
	j, err := journal.Open(ctx, cfg, journal.Options{})
	if err != nil {
		t.Fatal(err)
	}
	journal.Register(j, eventWorker{})
	journal.Register(j, actionWorker{j: j})
	if err := j.Start(ctx); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	hangups := []struct {
		uuid, dir, caller, callee string
		ago                       time.Duration
	}{
		{"ok-call", "inbound", "+442045205757", "+442039960000", time.Hour},
		{"fail-call", "inbound", "+441614960000", "+442039960000", 30 * time.Minute},
		{"held-call", "outbound", "+442039960000", "+447700900123", 20 * time.Minute},
		{"crm-call", "inbound", "+447700900999", "+442039960000", 10 * time.Minute},
		{"plan-fail", "inbound", "+447700900555", "+442039960000", 5 * time.Minute},
		{"old-call", "inbound", "+442045205757", "+442039960000", 48 * time.Hour},
	}
	for _, h := range hangups {
		a := calljobs.EventArgs{Name: "call_hangup", UUID: h.uuid, Body: hangupBody(h.uuid, h.dir, h.caller, h.callee), Received: now.Add(-h.ago)}
		if _, err := j.Enqueue(ctx, a, nil); err != nil {
			t.Fatal(err)
		}
	}
	crm := step("crm-call", "hold", "crm-log", aftercall.KindCRMLog)
	crm.Step.CRM = &aftercall.CRMWrite{Connector: "customers", Log: &connectors.LogCallRequest{Key: "crm-call/crm-log"},
		Hold: "the number is shared by contact:4, contact:5", Candidates: []string{"contact:4", "contact:5"}}
	for _, a := range []calljobs.ActionArgs{
		step("ok-call", "ok", "summary", aftercall.KindComment),
		step("ok-call", "ok", "short-call/5617", aftercall.KindTag),
		step("fail-call", "bad", "short-call/5617", aftercall.KindTag),
		step("held-call", "held", "summary", aftercall.KindComment),
		crm,
		step("old-call", "ok", "short-call/5617", aftercall.KindTag),
	} {
		if _, err := j.Enqueue(ctx, a, nil); err != nil {
			t.Fatal(err)
		}
	}
	if err := j.Effects().Mark(ctx, "card-only", calljobs.StepCard, "pushed"); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(time.Minute)
	for {
		left, err := j.Jobs(ctx, river.NewJobListParams().States(rivertype.JobStateAvailable, rivertype.JobStatePending,
			rivertype.JobStateRetryable, rivertype.JobStateRunning, rivertype.JobStateScheduled))
		if err != nil {
			t.Fatal(err)
		}
		if len(left) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d jobs not worked", len(left))
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := j.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	return fixture{cfg: cfg, now: now}
}

func (f fixture) reader(t *testing.T) *journal.Reader {
	t.Helper()
	r, err := journal.OpenReader(context.Background(), f.cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

func uuids(calls []Call) []string {
	out := []string{}
	for _, c := range calls {
		out = append(out, c.UUID)
	}
	return out
}

func findStep(c *Call, key string) *Step {
	for i := range c.Steps {
		if c.Steps[i].Key == key {
			return &c.Steps[i]
		}
	}
	return nil
}

func TestListAndGet(t *testing.T) {
	f := newFixture(t)
	r := f.reader(t)
	ctx := context.Background()
	window := []string{"card-only", "plan-fail", "crm-call", "held-call", "fail-call", "ok-call"}
	for _, tt := range []struct {
		name   string
		filter Filter
		want   []string
		more   int
	}{
		{"default 24h, newest first", Filter{}, window, 0},
		{"failed only", Filter{FailedOnly: true}, []string{"plan-fail", "crm-call", "held-call", "fail-call"}, 0},
		{"limit", Filter{Limit: 2}, window[:2], 4},
		{"failed and limit", Filter{FailedOnly: true, Limit: 3}, []string{"plan-fail", "crm-call", "held-call"}, 1},
		{"since 15m", Filter{Since: 15 * time.Minute}, []string{"card-only", "plan-fail", "crm-call"}, 0},
		{"from 72h ago", Filter{From: f.now.Add(-72 * time.Hour)}, append(slices.Clone(window), "old-call"), 0},
		{"number, national form", Filter{Number: "020 4520 5757"}, []string{"ok-call"}, 0},
		{"number, callee digits", Filter{Number: "7700900123"}, []string{"held-call"}, 0},
		{"number, in every call", Filter{Number: "+44 20 3996 0000", Limit: 1}, []string{"plan-fail"}, 4},
		{"number, none", Filter{Number: "+1 555 0100"}, []string{}, 0},
		{"uuid", Filter{UUID: "held-call"}, []string{"held-call"}, 0},
		{"uuid outside the window", Filter{UUID: "old-call"}, []string{}, 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			calls, more, err := List(ctx, r, tt.filter)
			if err != nil {
				t.Fatal(err)
			}
			if got := uuids(calls); !reflect.DeepEqual(got, tt.want) || more != tt.more {
				t.Errorf("got %v (+%d), want %v (+%d)", got, more, tt.want, tt.more)
			}
		})
	}
	if _, _, err := List(ctx, r, Filter{Limit: -1}); err == nil {
		t.Error("a negative limit: no error")
	}

	calls, _, err := List(ctx, r, Filter{})
	if err != nil {
		t.Fatal(err)
	}
	byUUID := map[string]Call{}
	for _, c := range calls {
		byUUID[c.UUID] = c
	}
	ok := byUUID["ok-call"]
	if ok.Direction != "inbound" || ok.CustomerNumber != "+442045205757" || ok.CallerNumber != "+442045205757" || ok.CalleeNumber != "+442039960000" ||
		ok.Problem || ok.Planning == nil || ok.Planning.State != StateDone || len(ok.Steps) != 2 || ok.UpdatedAt.IsZero() ||
		!reflect.DeepEqual(ok.Events, []string{"call_hangup"}) || len(ok.Received) != 1 || ok.Received[0].Name != "call_hangup" {
		t.Errorf("ok-call: %+v", ok)
	}
	if s := findStep(&ok, "summary"); s == nil || s.State != StateDone || s.RemoteID != "55" || s.SentAt == nil || s.OutcomeUnknown {
		t.Errorf("ok-call's comment: %+v", s)
	}
	if s := findStep(ptr(byUUID["fail-call"]), "short-call/5617"); s == nil || s.State != StateFailed || !strings.Contains(s.Error, "404") || s.FinishedAt == nil {
		t.Errorf("fail-call's tag: %+v", s)
	}
	if s := findStep(ptr(byUUID["held-call"]), "summary"); s == nil || s.State != StateHeld || !s.OutcomeUnknown || s.SentAt == nil {
		t.Errorf("held-call's comment: %+v", s)
	}
	if c := byUUID["plan-fail"]; c.Planning == nil || c.Planning.State != StateFailed || !c.Problem || len(c.Steps) != 0 {
		t.Errorf("plan-fail: %+v", c)
	}
	if c := byUUID["card-only"]; c.Card == nil || c.Card.Outcome != "pushed" || c.Planning != nil || !reflect.DeepEqual(c.Events, []string{"call_init"}) {
		t.Errorf("card-only: %+v", c)
	}

	// Get reads a call as List does, whatever its age.
	for _, u := range []string{"ok-call", "held-call", "crm-call", "plan-fail", "card-only"} {
		got, err := Get(ctx, r, u)
		if err != nil {
			t.Fatal(err)
		}
		if want := byUUID[u]; !reflect.DeepEqual(*got, want) {
			t.Errorf("Get(%s) = %+v\nList has %+v", u, *got, want)
		}
	}
	old, err := Get(ctx, r, "old-call")
	if err != nil || old.HangupRecordedAt == nil || old.HangupRecordedAt.After(f.now.Add(-47*time.Hour)) || len(old.Steps) != 1 {
		t.Errorf("Get(old-call) = %+v, %v", old, err)
	}
	if _, err := Get(ctx, r, "nope"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Get(nope): %v, want ErrNotFound", err)
	}
}

func ptr(c Call) *Call { return &c }

// TestRetryTwice: each retry pressed twice (and more) queues the step
// once; the second press says it is already queued and changes nothing.
func TestRetryTwice(t *testing.T) {
	f := newFixture(t)
	r := f.reader(t)
	ctx := context.Background()
	jobOf := func(uuid, key string) int64 {
		t.Helper()
		c, err := Get(ctx, r, uuid)
		if err != nil {
			t.Fatal(err)
		}
		if key == "" {
			return c.Planning.JobID
		}
		return findStep(c, key).JobID
	}
	tag := StepRef{JobID: jobOf("fail-call", "short-call/5617")}
	held := StepRef{UUID: "held-call", Key: "summary"}
	plan := StepRef{JobID: jobOf("plan-fail", "")}
	done := StepRef{UUID: "ok-call", Key: "summary"}
	type press struct {
		ref     StepRef
		force   bool
		result  Result
		err     error    // errors.Is
		message []string // in the message (or the error)
		notes   int
	}
	for _, tt := range []struct {
		name    string
		presses []press
	}{
		{"a failed tag", []press{
			{tag, false, Queued, nil, []string{"was failed; it is queued to run again"}, 0},
			{tag, false, AlreadyQueued, nil, []string{"is not dead: retrying (attempt 1 of 20, due now)", "nothing done"}, 0},
			{tag, true, AlreadyQueued, nil, []string{"is not dead"}, 0},
		}},
		{"a held comment", []press{
			{held, false, "", ErrRefused, []string{"not retried: run again with -force"}, 1},
			{held, false, "", ErrRefused, []string{"not retried"}, 1},
			{held, true, Queued, nil, []string{"was held; it is queued to run again"}, 2},
			{held, true, AlreadyQueued, nil, []string{"is not dead", "nothing done"}, 0},
		}},
		{"a failed planning", []press{
			{plan, false, Queued, nil, []string{"planning its steps from the call_hangup", "queued to run again"}, 0},
			{plan, false, AlreadyQueued, nil, []string{"not dead"}, 0},
		}},
		{"a done comment", []press{
			{done, false, AlreadyDone, nil, []string{"is already done (Hipcall id 55): nothing to retry"}, 0},
			{done, true, AlreadyDone, nil, []string{"already done"}, 0},
		}},
		{"no such job", []press{{StepRef{JobID: 999999}, false, "", ErrNotFound, []string{"no job 999999 in the journal"}, 0}}},
		{"no such step", []press{{StepRef{UUID: "ok-call", Key: "nope"}, false, "", ErrNotFound, []string{"no step nope of call ok-call"}, 0}}},
		{"a done planning", []press{{StepRef{JobID: jobOf("ok-call", "")}, false, AlreadyDone, nil, []string{"already done"}, 0}}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			for i, p := range tt.presses {
				out, err := Retry(ctx, r, p.ref, p.force)
				text := out.Message
				if err != nil {
					text = err.Error()
				}
				switch {
				case p.err != nil && !errors.Is(err, p.err):
					t.Errorf("press %d: %v, want %v", i+1, err, p.err)
				case p.err == nil && err != nil:
					t.Errorf("press %d: %v", i+1, err)
				case p.err == nil && out.Result != p.result:
					t.Errorf("press %d: %s (%s), want %s", i+1, out.Result, text, p.result)
				}
				for _, m := range p.message {
					if !strings.Contains(text, m) {
						t.Errorf("press %d: %q, want it to say %q", i+1, text, m)
					}
				}
				if len(out.Notes) != p.notes {
					t.Errorf("press %d: notes %q, want %d", i+1, out.Notes, p.notes)
				}
			}
		})
	}
	// The forced retry cleared the sent mark once; the held comment is
	// queued, with no mark.
	if ef, err := r.Effects().Get(ctx, "held-call", "summary"); err != nil || ef.State != journal.EffectNone {
		t.Errorf("held-call's mark after the forced retry: %+v, %v", ef, err)
	}
	c, err := Get(ctx, r, "held-call")
	if err != nil {
		t.Fatal(err)
	}
	if s := findStep(c, "summary"); s.State != StateRetrying || s.OutcomeUnknown || s.SentAt != nil {
		t.Errorf("held-call's comment after the forced retry: %+v", s)
	}
}

// TestResolveTwice: a held crm_log resolved twice to the same record is
// queued once; another record while it is queued is refused.
func TestResolveTwice(t *testing.T) {
	f := newFixture(t)
	r := f.reader(t)
	ctx := context.Background()
	ref := StepRef{UUID: "crm-call", Key: "crm-log"}
	for i, p := range []struct {
		target  string
		result  Result
		err     error
		message string
		notes   int
	}{
		{"nonsense", "", ErrBadTarget, "write contact:<id> or company:<id>", 0},
		{"contact:5", Queued, nil, "will be logged against contact:5 in customers", 0},
		{"contact:5", AlreadyQueued, nil, "already resolved to contact:5", 0},
		{" contact:5 ", AlreadyQueued, nil, "nothing to do", 0},
		{"contact:4", "", ErrRefused, "already resolved to contact:5 and not finished", 0},
	} {
		out, err := Resolve(ctx, r, ref, p.target)
		text := out.Message
		if err != nil {
			text = err.Error()
		}
		if (p.err != nil && !errors.Is(err, p.err)) || (p.err == nil && (err != nil || out.Result != p.result)) ||
			!strings.Contains(text, p.message) || len(out.Notes) != p.notes {
			t.Errorf("press %d (%s): %s %q %v notes %q; want %s %v %q", i+1, p.target, out.Result, out.Message, err, out.Notes, p.result, p.err, p.message)
		}
	}
	// calljobs reads the choice where Resolve's check looks for it.
	if got, err := r.Effects().Meta(ctx, resolveMeta("crm-call", "crm-log")); err != nil || got != "contact:5" {
		t.Errorf("the recorded choice: %q, %v", got, err)
	}
	if _, err := Resolve(ctx, r, StepRef{UUID: "ok-call", Key: "summary"}, "contact:5"); !errors.Is(err, ErrRefused) ||
		!strings.Contains(err.Error(), "only a crm_log step is resolved") {
		t.Errorf("resolve a comment: %v", err)
	}
	if _, err := Resolve(ctx, r, StepRef{JobID: 999999}, "contact:5"); !errors.Is(err, ErrNotFound) {
		t.Errorf("resolve no job: %v", err)
	}
}

// TestResolveNotACandidate: a record the step did not list is used as
// asked, with a note.
func TestResolveNotACandidate(t *testing.T) {
	f := newFixture(t)
	r := f.reader(t)
	out, err := Resolve(context.Background(), r, StepRef{UUID: "crm-call", Key: "crm-log"}, "company:9")
	if err != nil || out.Result != Queued || len(out.Notes) != 1 || !strings.Contains(out.Notes[0], "not one of the records that share the number (contact:4, contact:5)") {
		t.Errorf("%+v, %v", out, err)
	}
}

// TestSince: every call at first; nothing when nothing changed; the call
// whose step was retried once it was.
func TestSince(t *testing.T) {
	f := newFixture(t)
	r := f.reader(t)
	ctx := context.Background()
	all, cursor, err := Since(ctx, r, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"card-only", "crm-call", "fail-call", "held-call", "ok-call", "old-call", "plan-fail"}
	got := uuids(all)
	slices.Sort(got)
	if !reflect.DeepEqual(got, want) || cursor.IsZero() {
		t.Errorf("since the start: %v (cursor %v), want %v", got, cursor, want)
	}
	for _, c := range all {
		if c.UpdatedAt.After(cursor) {
			t.Errorf("%s updated %v, after the cursor %v", c.UUID, c.UpdatedAt, cursor)
		}
	}
	time.Sleep(10 * time.Millisecond)
	mark := time.Now()
	if calls, next, err := Since(ctx, r, mark); err != nil || len(calls) != 0 || !next.Equal(mark) {
		t.Errorf("nothing changed: %v, cursor %v (want %v), %v", uuids(calls), next, mark, err)
	}
	if _, err := Retry(ctx, r, StepRef{UUID: "fail-call", Key: "short-call/5617"}, false); err != nil {
		t.Fatal(err)
	}
	calls, next, err := Since(ctx, r, mark)
	if err != nil || !reflect.DeepEqual(uuids(calls), []string{"fail-call"}) || next.Before(mark) {
		t.Errorf("after a retry: %v, cursor %v, %v", uuids(calls), next, err)
	}
	if len(calls) == 1 {
		if s := findStep(&calls[0], "short-call/5617"); s == nil || s.State != StateRetrying {
			t.Errorf("the retried step: %+v", s)
		}
	}

	// A step marked done after it was sent (a card marked again, its
	// sent mark older than the cursor) is a change too.
	time.Sleep(10 * time.Millisecond)
	mark = time.Now()
	if calls, _, err := Since(ctx, r, mark); err != nil || len(calls) != 0 {
		t.Errorf("nothing changed since the retry: %v, %v", uuids(calls), err)
	}
	if err := r.Effects().Mark(ctx, "card-only", calljobs.StepCard, "skipped"); err != nil {
		t.Fatal(err)
	}
	calls, _, err = Since(ctx, r, mark)
	if err != nil || !reflect.DeepEqual(uuids(calls), []string{"card-only"}) {
		t.Errorf("after a card marked done again: %v, %v", uuids(calls), err)
	} else if c := calls[0]; c.Card == nil || c.Card.Outcome != "skipped" || c.Card.HandledAt.Before(mark.Truncate(time.Millisecond)) {
		t.Errorf("the card marked again: %+v", c.Card)
	}
}

func TestJobState(t *testing.T) {
	errs := func(msgs ...string) []rivertype.AttemptError {
		var out []rivertype.AttemptError
		for i, m := range msgs {
			out = append(out, rivertype.AttemptError{Attempt: i + 1, Error: m})
		}
		return out
	}
	for _, c := range []struct {
		job   rivertype.JobRow
		state string
		msg   string
	}{
		{rivertype.JobRow{State: rivertype.JobStateCompleted, Attempt: 2, Errors: errs("503")}, StateDone, ""},
		{rivertype.JobRow{State: rivertype.JobStateAvailable}, StateScheduled, ""},
		{rivertype.JobRow{State: rivertype.JobStateScheduled}, StateScheduled, ""},
		{rivertype.JobRow{State: rivertype.JobStateAvailable, Attempt: 1, Errors: errs("503")}, StateRetrying, "503"},
		{rivertype.JobRow{State: rivertype.JobStateRetryable, Attempt: 1, Errors: errs("503")}, StateRetrying, "503"},
		{rivertype.JobRow{State: rivertype.JobStateRunning, Attempt: 3}, StateRunning, ""},
		{rivertype.JobRow{State: rivertype.JobStateCancelled, Attempt: 1, Errors: errs("JobCancelError: 404")}, StateFailed, "404"},
		{rivertype.JobRow{State: rivertype.JobStateCancelled, Attempt: 2, Errors: errs("timeout", "JobCancelError: held: sent at ...")}, StateHeld, "held: sent at ..."},
		{rivertype.JobRow{State: rivertype.JobStateDiscarded, Attempt: 20, Errors: errs("503", "502")}, StateFailed, "502"},
	} {
		state, attempt, msg := JobState(&c.job)
		if state != c.state || msg != c.msg || attempt != c.job.Attempt {
			t.Errorf("%s attempt %d %v: got %s %d %q, want %s %q", c.job.State, c.job.Attempt, c.job.Errors, state, attempt, msg, c.state, c.msg)
		}
	}
}

func TestStepOf(t *testing.T) {
	sent := time.Date(2026, 3, 25, 10, 41, 0, 0, time.UTC)
	effects := map[journal.EffectKey]journal.Effect{
		{Call: "c1", Step: "summary"}:     {State: journal.EffectDone, RemoteID: "55", SentAt: sent},
		{Call: "c2", Step: "summary"}:     {State: journal.EffectSent, SentAt: sent},
		{Call: "c3", Step: "missed-task"}: {State: journal.EffectSent, SentAt: sent},
	}
	comment := func(uuid string) calljobs.ActionArgs { return step(uuid, "summary", "summary", aftercall.KindComment) }
	done := stepOf(&rivertype.JobRow{ID: 4, State: rivertype.JobStateCompleted, Attempt: 1, MaxAttempts: 20}, comment("c1"), effects)
	if done.State != StateDone || done.RemoteID != "55" || done.OutcomeUnknown || done.SentAt == nil || !done.SentAt.Equal(sent) {
		t.Errorf("done comment: %+v", done)
	}
	held := stepOf(&rivertype.JobRow{ID: 5, State: rivertype.JobStateCancelled, Attempt: 2, Errors: []rivertype.AttemptError{{Error: "JobCancelError: held: x"}}}, comment("c2"), effects)
	if held.State != StateHeld || !held.OutcomeUnknown || held.RemoteID != "" || held.Error != "held: x" {
		t.Errorf("held comment: %+v", held)
	}
	// A task that timed out until it was discarded: its sent mark is set.
	failed := stepOf(&rivertype.JobRow{ID: 6, State: rivertype.JobStateDiscarded, Attempt: 20, Errors: []rivertype.AttemptError{{Error: "timeout"}}},
		step("c3", "missed-task", "missed-task", aftercall.KindTask), effects)
	if failed.State != StateFailed || !failed.OutcomeUnknown {
		t.Errorf("discarded task with its mark set: %+v", failed)
	}
	next := time.Now().Add(time.Minute)
	retrying := stepOf(&rivertype.JobRow{ID: 7, State: rivertype.JobStateRetryable, Attempt: 1, ScheduledAt: next, Errors: []rivertype.AttemptError{{Error: "503"}}},
		step("c2", "short-call", "short-call/5617", aftercall.KindTag), effects)
	if retrying.State != StateRetrying || retrying.NextAttemptAt == nil || !retrying.NextAttemptAt.Equal(next) || retrying.SentAt != nil || retrying.OutcomeUnknown {
		t.Errorf("retrying tag: %+v", retrying)
	}
}

func TestParseStepRef(t *testing.T) {
	for _, c := range []struct {
		in   string
		want StepRef
		bad  bool
	}{
		{in: "42", want: StepRef{JobID: 42}},
		{in: "3f1c-9a/short-call/5617", want: StepRef{UUID: "3f1c-9a", Key: "short-call/5617"}},
		{in: "abc/summary", want: StepRef{UUID: "abc", Key: "summary"}},
		{in: "0", bad: true},
		{in: "-3", bad: true},
		{in: "summary", bad: true},
		{in: "/summary", bad: true},
		{in: "abc/", bad: true},
	} {
		got, err := ParseStepRef(c.in)
		if (err != nil) != c.bad || got != c.want {
			t.Errorf("ParseStepRef(%q) = %+v, %v", c.in, got, err)
		}
		if !c.bad && got.String() != c.in {
			t.Errorf("%+v.String() = %q, want %q", got, got.String(), c.in)
		}
	}
}

// TestForcedRetryRacesAnotherProcess: processes A and B (two readers on
// one journal, as two hosts, or the CLI and the console) force the retry
// of the same held comment. A reads the step; B retries it, and a host
// runs B's attempt, which marks the comment sent again and is held again;
// then A acts. A must not clear B's fresh mark (a later attempt would post
// the comment a second time): it answers that someone else retried it and
// changes nothing. The interleaving is forced by running Retry's halves in
// order.
func TestForcedRetryRacesAnotherProcess(t *testing.T) {
	f := newFixture(t)
	a, b := f.reader(t), f.reader(t)
	ctx := context.Background()
	ref := StepRef{UUID: "held-call", Key: "summary"}

	// A reads: held, marked sent.
	p, _, err := readRetry(ctx, a, ref, true)
	if err != nil || p == nil || p.seen == nil {
		t.Fatalf("A's read: %+v, %v; want a forced retry of a step marked sent", p, err)
	}
	seen := *p.seen
	for time.Now().UnixMilli() <= seen.SentAt.UnixMilli() {
		// B's attempt must mark it sent at a later millisecond (it is
		// already, by far: the fixture ran its jobs and stopped since).
	}

	// B retries it; a host runs B's attempt, which marks it sent and is
	// held again.
	host, err := journal.Open(ctx, f.cfg, journal.Options{})
	if err != nil {
		t.Fatal(err)
	}
	journal.Register(host, eventWorker{})
	journal.Register(host, actionWorker{j: host})
	if err := host.Start(ctx); err != nil {
		t.Fatal(err)
	}
	events, unsubscribe, err := host.Subscribe(river.EventKindJobCancelled)
	if err != nil {
		t.Fatal(err)
	}
	out, err := Retry(ctx, b, ref, true)
	if err != nil || out.Result != Queued {
		t.Fatalf("B's retry: %+v, %v; want queued", out, err)
	}
	timeout := time.After(time.Minute)
	for held := false; !held; {
		select {
		case ev := <-events:
			held = ev.Job.ID == p.job.ID
		case <-timeout:
			t.Fatal("B's attempt did not end within a minute")
		}
	}
	unsubscribe()
	if err := host.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	fresh, err := b.Effects().Get(ctx, "held-call", "summary")
	if err != nil || fresh.State != journal.EffectSent || fresh.SentAt.Equal(seen.SentAt) {
		t.Fatalf("B's attempt's mark: %+v, %v; want sent anew (A saw %v)", fresh, err, seen.SentAt)
	}

	// A acts: nothing done, B's mark kept, the job left held.
	out, err = p.act(ctx, a)
	if err != nil || out.Result != AlreadyQueued || !strings.Contains(out.Message, "already retried by someone else") ||
		!strings.Contains(out.Message, "nothing done") {
		t.Errorf("A's retry after B's: %+v, %v; want already retried by someone else, nothing done", out, err)
	}
	if ef, err := a.Effects().Get(ctx, "held-call", "summary"); err != nil || ef != fresh {
		t.Errorf("B's mark after A's retry: %+v, %v; want it kept: %+v", ef, err, fresh)
	}
	if job, err := a.Job(ctx, p.job.ID); err != nil || job.State != rivertype.JobStateCancelled {
		t.Errorf("the job after A's retry: %v, %v; want it left held (cancelled)", job.State, err)
	}

	// A, pressing again, sees B's mark and may clear that one.
	out, err = Retry(ctx, a, ref, true)
	if err != nil || out.Result != Queued || len(out.Notes) != 2 || !strings.Contains(out.Notes[0], FormatTime(fresh.SentAt)) {
		t.Errorf("A's second forced retry: %+v, %v; want queued, warned of B's mark", out, err)
	}
	if ef, err := a.Effects().Get(ctx, "held-call", "summary"); err != nil || ef.State != journal.EffectNone {
		t.Errorf("the mark after A's second retry: %+v, %v; want cleared", ef, err)
	}
}
