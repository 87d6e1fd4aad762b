package main

import (
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/riverqueue/river/rivertype"

	"github.com/switchboard-hq/switchboard/core/aftercall"
	"github.com/switchboard-hq/switchboard/core/calljobs"
	"github.com/switchboard-hq/switchboard/core/journal"
)

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
		{rivertype.JobRow{State: rivertype.JobStateCompleted, Attempt: 2, Errors: errs("503")}, stateDone, ""},
		{rivertype.JobRow{State: rivertype.JobStateAvailable}, stateScheduled, ""},
		{rivertype.JobRow{State: rivertype.JobStateScheduled}, stateScheduled, ""},
		{rivertype.JobRow{State: rivertype.JobStateAvailable, Attempt: 1, Errors: errs("503")}, stateRetrying, "503"},
		{rivertype.JobRow{State: rivertype.JobStateRetryable, Attempt: 1, Errors: errs("503")}, stateRetrying, "503"},
		{rivertype.JobRow{State: rivertype.JobStateRunning, Attempt: 3}, stateRunning, ""},
		{rivertype.JobRow{State: rivertype.JobStateCancelled, Attempt: 1, Errors: errs("JobCancelError: 404")}, stateFailed, "404"},
		{rivertype.JobRow{State: rivertype.JobStateCancelled, Attempt: 2, Errors: errs("timeout", "JobCancelError: held: sent at ...")}, stateHeld, "held: sent at ..."},
		{rivertype.JobRow{State: rivertype.JobStateDiscarded, Attempt: 20, Errors: errs("503", "502")}, stateFailed, "502"},
	} {
		state, attempt, msg := jobState(&c.job)
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
	comment := func(uuid string) calljobs.ActionArgs {
		return calljobs.ActionArgs{UUID: uuid, Key: "summary", Step: aftercall.Step{Action: "summary", Kind: aftercall.KindComment}}
	}
	done := stepOf(&rivertype.JobRow{ID: 4, State: rivertype.JobStateCompleted, Attempt: 1, MaxAttempts: 20}, comment("c1"), effects)
	if done.State != stateDone || done.RemoteID != "55" || done.OutcomeUnknown || done.SentAt == nil || !done.SentAt.Equal(sent) {
		t.Errorf("done comment: %+v", done)
	}
	held := stepOf(&rivertype.JobRow{ID: 5, State: rivertype.JobStateCancelled, Attempt: 2, Errors: []rivertype.AttemptError{{Error: "JobCancelError: held: x"}}}, comment("c2"), effects)
	if held.State != stateHeld || !held.OutcomeUnknown || held.RemoteID != "" || held.Error != "held: x" {
		t.Errorf("held comment: %+v", held)
	}
	// A task that timed out until it was discarded: its sent mark is set.
	task := calljobs.ActionArgs{UUID: "c3", Key: "missed-task", Step: aftercall.Step{Action: "missed-task", Kind: aftercall.KindTask}}
	failed := stepOf(&rivertype.JobRow{ID: 6, State: rivertype.JobStateDiscarded, Attempt: 20, Errors: []rivertype.AttemptError{{Error: "timeout"}}}, task, effects)
	if failed.State != stateFailed || !failed.OutcomeUnknown {
		t.Errorf("discarded task with its mark set: %+v", failed)
	}
	next := time.Now().Add(time.Minute)
	tag := calljobs.ActionArgs{UUID: "c2", Key: "short-call/5617", Step: aftercall.Step{Action: "short-call", Kind: aftercall.KindTag, TagIDs: []int64{5617}}}
	retrying := stepOf(&rivertype.JobRow{ID: 7, State: rivertype.JobStateRetryable, Attempt: 1, ScheduledAt: next, Errors: []rivertype.AttemptError{{Error: "503"}}}, tag, effects)
	if retrying.State != stateRetrying || retrying.NextAttemptAt == nil || !retrying.NextAttemptAt.Equal(next) || retrying.SentAt != nil || retrying.OutcomeUnknown {
		t.Errorf("retrying tag: %+v", retrying)
	}
}

// TestCallsJSONFields pins the field names of `calls -json`
// (docs/configuration.md lists them).
func TestCallsJSONFields(t *testing.T) {
	now := time.Now()
	c := callView{UUID: "u", HangupRecordedAt: &now, Events: []string{}, Planning: &planView{}, Steps: []stepView{{}}}
	b, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	keys := func(m map[string]json.RawMessage) []string {
		var out []string
		for k := range m {
			out = append(out, k)
		}
		slices.Sort(out)
		return out
	}
	want := []string{"backfilled", "card", "customer_number", "direction", "events", "hangup_recorded_at", "planning", "steps", "uuid"}
	if got := keys(m); !reflect.DeepEqual(got, want) {
		t.Errorf("call fields %v, want %v", got, want)
	}
	var plan map[string]json.RawMessage
	json.Unmarshal(m["planning"], &plan)
	if got, want := keys(plan), []string{"attempt", "error", "job_id", "state"}; !reflect.DeepEqual(got, want) {
		t.Errorf("planning fields %v, want %v", got, want)
	}
	var steps []map[string]json.RawMessage
	json.Unmarshal(m["steps"], &steps)
	want = []string{"action", "attempt", "error", "finished_at", "job_id", "key", "kind", "max_attempts", "next_attempt_at", "outcome_unknown", "remote_id", "sent_at", "state"}
	if got := keys(steps[0]); !reflect.DeepEqual(got, want) {
		t.Errorf("step fields %v, want %v", got, want)
	}
}

func TestPrintCalls(t *testing.T) {
	at := time.Date(2026, 3, 25, 10, 41, 21, 0, time.UTC)
	sent := at.Add(time.Second)
	calls := []*callView{
		{UUID: "held-ada", HangupRecordedAt: &at, Direction: "inbound", CustomerNumber: "+442045205757", Events: []string{"call_hangup"},
			Planning: &planView{JobID: 8, State: stateDone, Attempt: 1},
			Steps: []stepView{{JobID: 9, Action: "summary", Key: "summary", Kind: "comment", State: stateHeld, Attempt: 2, SentAt: &sent, OutcomeUnknown: true,
				Error: "held: an earlier attempt sent this comment"}}},
		{UUID: "short-grace", HangupRecordedAt: &at, Direction: "inbound", CustomerNumber: "00441614960000", Events: []string{"call_init", "call_hangup"},
			Card:     &cardView{Outcome: "pushed", HandledAt: at.Add(-time.Minute)},
			Planning: &planView{JobID: 2, State: stateDone, Attempt: 1},
			Steps: []stepView{
				{JobID: 4, Action: "summary", Key: "summary", Kind: "comment", State: stateDone, Attempt: 1, RemoteID: "1"},
				{JobID: 5, Action: "short-call", Key: "short-call/5617", Kind: "tag", State: stateFailed, Attempt: 1,
					Error: `after-call step "short-call/5617" of call short-grace: hipcall: POST /calls/short-grace/tags: 404 Not Found`},
			}},
		{UUID: "backfilled", HangupRecordedAt: &at, Direction: "outbound", Backfilled: true, Events: []string{"call_hangup"},
			Planning: &planView{JobID: 11, State: stateRetrying, Attempt: 2, Error: "looking the caller up: connector down"}},
		{UUID: "quiet", HangupRecordedAt: &at, Direction: "inbound", Events: []string{"call_hangup"}, Planning: &planView{JobID: 12, State: stateDone}},
		{UUID: "going-on", Events: []string{"call_init"}, Card: &cardView{Outcome: "skipped", HandledAt: at}},
		{UUID: "stopped-host", HangupRecordedAt: &at, Events: []string{"call_hangup"}, Planning: &planView{State: stateWaiting}},
	}
	var b strings.Builder
	printCalls(&b, calls, at.Add(-24*time.Hour), false, 3)
	ts := showTime(at)
	header := `HANGUP RECORDED` + strings.Repeat(" ", len(ts)-len("HANGUP RECORDED")) + `  CALL          DIRECTION  CUSTOMER        EVENTS               CARD     JOB  STEP             KIND     STATE`
	pad := strings.Repeat(" ", strings.Index(header, "JOB"))
	want := header + `
` + ts + `  held-ada      inbound    +442045205757   hangup               -        9    summary          comment  held (outcome unknown: sent ` + showTime(sent) + `, no answer recorded; check Hipcall)
` + ts + `  short-grace   inbound    00441614960000  init,hangup          pushed   4    summary          comment  done (Hipcall id 1)
` + pad + `5    short-call/5617  tag      failed: hipcall: POST /calls/short-grace/tags: 404 Not Found
` + ts + `  backfilled    outbound   -               hangup (backfilled)  -        11   (planning)       -        retrying (attempt 2): looking the caller up: connector down
` + ts + `  quiet         inbound    -               hangup               -        -    -                -        no steps: no action's condition held
-` + strings.Repeat(" ", len(ts)-1) + `  going-on      -          -               init                 skipped  -    -                -        no call_hangup recorded: the call is going on, or its webhook was lost (the reconciler backfills it)
` + ts + `  stopped-host  -          -               hangup               -        -    (planning)       -        waiting: recorded, not yet queued (queued when a host serves)

6 calls since ` + showTime(at.Add(-24*time.Hour)) + ` (and 3 older ones: raise -limit to see them)
Not in the journal, so not shown: each call's routing decision (see the host's log).
` + "`switchboard calls retry JOB` runs a failed or held step again.\n"
	if b.String() != want {
		t.Errorf("table:\n%s\nwant:\n%s", b.String(), want)
	}

	// A held step queued again by `calls retry` keeps its held error.
	rows := callRows(&callView{Planning: &planView{State: stateDone}, Steps: []stepView{{JobID: 9, Key: "summary", Kind: "comment",
		State: stateRetrying, Attempt: 2, MaxAttempts: 20, Error: "held: an earlier attempt sent this comment"}}})
	if want := "retrying (attempt 2 of 20): queued again by `calls retry` after it was held"; len(rows) != 1 || rows[0][3] != want {
		t.Errorf("a held step retried: %q, want %q", rows, want)
	}

	b.Reset()
	printCalls(&b, nil, at, true, 0)
	if want := "no calls with a step failed, held or retrying since " + showTime(at) + "\n"; !strings.HasPrefix(b.String(), want) {
		t.Errorf("empty -failed: %q, want it to start %q", b.String(), want)
	}
}

func TestParseStepRef(t *testing.T) {
	for _, c := range []struct {
		in        string
		id        int64
		uuid, key string
		bad       bool
	}{
		{in: "42", id: 42},
		{in: "3f1c-9a/short-call/5617", uuid: "3f1c-9a", key: "short-call/5617"},
		{in: "abc/summary", uuid: "abc", key: "summary"},
		{in: "0", bad: true},
		{in: "-3", bad: true},
		{in: "summary", bad: true},
		{in: "/summary", bad: true},
		{in: "abc/", bad: true},
	} {
		id, uuid, key, err := parseStepRef(c.in)
		if (err != nil) != c.bad || id != c.id || uuid != c.uuid || key != c.key {
			t.Errorf("parseStepRef(%q) = %d %q %q %v", c.in, id, uuid, key, err)
		}
	}
}

func TestParseDays(t *testing.T) {
	for in, want := range map[string]time.Duration{"24h": 24 * time.Hour, "90m": 90 * time.Minute, "7d": 7 * 24 * time.Hour} {
		if got, err := parseDays(in); err != nil || got != want {
			t.Errorf("parseDays(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"yesterday", "d", "1.5d", ""} {
		if _, err := parseDays(in); err == nil {
			t.Errorf("parseDays(%q): no error", in)
		}
	}
	var d time.Duration
	f := daysDuration{&d}
	if err := f.Set("0s"); err == nil {
		t.Error("-since 0s: no error")
	}
	if err := f.Set("36h"); err != nil || f.String() != "36h" {
		t.Errorf("-since 36h: %v, shown %q", err, f.String())
	}
}

func TestShortError(t *testing.T) {
	if got := shortError("after-call step \"summary\" of call u1: hipcall: 422\n  too long"); got != "hipcall: 422 too long" {
		t.Errorf("shortError: %q", got)
	}
	if got := shortError(strings.Repeat("é", 300)); len([]rune(got)) != 240 || !strings.HasSuffix(got, "…") {
		t.Errorf("shortError of 300 runes: %d runes", len([]rune(got)))
	}
}
