package main

import (
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

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
