package main

// End-to-end test of `switchboard calls` (issue 11): the real host and CSV
// plugin run the post-call actions against the fake Hipcall, and the CLI
// binary reads the same SQLite journal while the host serves and after it
// stopped.

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-hq/switchboard/core/fakehipcall"
	"github.com/switchboard-hq/switchboard/core/hipcall"
)

// TestE2ECalls: a short call's tag fails for good (the tag id is unknown to
// Hipcall: 404) while its comment is done; `calls` and `calls -failed
// -json` show it, and once the tag exists `calls retry` makes the step
// done (a second retry does nothing). A comment whose request got no
// answer is held; `calls retry` refuses it without -force, and with -force
// (the host stopped: nothing runs it until a host serves again) it is sent
// once.
func TestE2ECalls(t *testing.T) {
	t.Parallel()
	fake := fakehipcall.NewServer(fakehipcall.Options{Token: apiToken, RateLimit: fakehipcall.Unlimited})
	t.Cleanup(fake.Close)
	ada := fake.AddContact(hipcall.Contact{FirstName: "Ada", LastName: "Lovelace"})
	for _, uuid := range []string{"short-grace", "long-ada", "held-ada"} {
		fake.AddCall(map[string]any{"uuid": uuid, "direction": "inbound"})
	}
	// A one-second request timeout, so that the held comment's lost answer
	// comes quickly.
	body := strings.Replace(cardsConfig("info", afterCallActions, afterCallOwners),
		"rate_limit_per_minute: 0\n", "rate_limit_per_minute: 0\n    timeout: 1s\n", 1)
	cfg := writeConfig(t, t.TempDir(), "calls.yaml", body)
	env := []string{"HIPCALL_BASE_URL=" + fake.URL(), "HIPCALL_TOKEN=" + apiToken, "WEBHOOK_TOKEN=" + webhookToken, "SB_PORT=0"}
	h := startHost(t, cfg, env...)

	post := func(h *hostProc, body string) {
		t.Helper()
		if code := h.hook("/hipcall/webhook/"+webhookToken, body); code != 200 {
			t.Fatalf("webhook answered %d to %s", code, body)
		}
	}
	post(h, callEvent("call_init", "short-grace", "inbound", numGrace, "+442039960000"))
	post(h, hangup("short-grace", numGrace, 10, "contact", 0))
	post(h, hangup("long-ada", numAda, 300, "user", ada.ID))

	list := func(args ...string) []callView {
		t.Helper()
		r := cli(t, env, append([]string{"calls", "-config", cfg, "-json"}, args...)...).mustExit(exitOK)
		var calls []callView
		if err := json.Unmarshal([]byte(r.stdout), &calls); err != nil {
			t.Fatalf("%s: %v\n%s", r, err, r.stdout)
		}
		return calls
	}
	step := func(calls []callView, uuid, key string) (stepView, bool) {
		for _, c := range calls {
			if c.UUID != uuid {
				continue
			}
			for _, s := range c.Steps {
				if s.Key == key {
					return s, true
				}
			}
		}
		return stepView{}, false
	}
	// waitStep polls `calls -json` until the step is in state.
	waitStep := func(uuid, key, state string) (stepView, []callView) {
		t.Helper()
		var (
			got   stepView
			calls []callView
		)
		eventually(t, 30*time.Second, func() (bool, string) {
			calls = list()
			s, ok := step(calls, uuid, key)
			got = s
			return ok && s.State == state, fmt.Sprintf("%s/%s: %+v (found %v)", uuid, key, s, ok)
		})
		return got, calls
	}

	tag, _ := waitStep("short-grace", "short-call/5617", stateFailed)
	waitStep("long-ada", "summary", stateDone)
	summary, calls := waitStep("short-grace", "summary", stateDone)
	if comments := fake.Comments("short-grace"); len(comments) != 1 || summary.RemoteID != strconv.FormatInt(comments[0].ID, 10) {
		t.Errorf("short-grace's summary step %+v; Hipcall has comments %+v", summary, comments)
	}
	if tag.Kind != "tag" || tag.Action != "short-call" || !strings.Contains(tag.Error, "404") || tag.FinishedAt == nil || tag.OutcomeUnknown {
		t.Errorf("the failed tag step: %+v", tag)
	}
	if len(calls) != 2 || calls[0].UUID != "long-ada" || calls[1].UUID != "short-grace" {
		t.Fatalf("calls %+v: want long-ada then short-grace, newest first", calls)
	}
	if g := calls[1]; g.Direction != "inbound" || g.CustomerNumber != numGrace || g.Backfilled || g.HangupRecordedAt == nil ||
		strings.Join(g.Events, ",") != "call_init,call_hangup" || g.Planning == nil || g.Planning.State != stateDone || len(g.Steps) != 2 {
		t.Errorf("short-grace: %+v", g)
	}

	cli(t, env, "calls", "-config", cfg).mustExit(exitOK).stdoutHas(
		"HANGUP RECORDED", "short-grace", "long-ada", numGrace, "init,hangup",
		fmt.Sprintf("%d  ", tag.JobID), "short-call/5617", "failed: ", "404",
		"done (Hipcall id "+summary.RemoteID+")", "2 calls since",
		"Not in the journal, so not shown: each call's routing decision",
		"`switchboard calls retry JOB`")
	failed := list("-failed")
	if len(failed) != 1 || failed[0].UUID != "short-grace" {
		t.Errorf("calls -failed -json: %+v, want short-grace only", failed)
	}
	if got := list("-limit", "1"); len(got) != 1 || got[0].UUID != "long-ada" {
		t.Errorf("calls -limit 1: %+v, want long-ada", got)
	}

	// The tag exists now: the dead step runs again and is done.
	fake.AddTag(5617, "short call")
	id := strconv.FormatInt(tag.JobID, 10)
	cli(t, env, "calls", "retry", "-config", cfg, id).mustExit(exitOK).stdoutHas("job "+id, "queued to run again")
	waitStep("short-grace", "short-call/5617", stateDone)
	if tags := fake.Tags("short-grace"); len(tags) != 1 || tags[0].ID != 5617 {
		t.Errorf("short-grace tags %+v, want 5617", tags)
	}
	cli(t, env, "calls", "retry", "-config", cfg, id).mustExit(exitOK).stdoutHas("already done", "nothing to retry")
	cli(t, env, "calls", "retry", "-config", cfg, "short-grace/short-call/5617").mustExit(exitOK).stdoutHas("job "+id, "already done")
	cli(t, env, "calls", "-config", cfg, "-failed").mustExit(exitOK).stdoutHas("no calls with a step failed, held or retrying since")

	// A comment whose request Hipcall never answers: the attempt times
	// out with the step marked sent, and the next attempt holds it.
	held := fake.HoldWrite("POST /calls/{uuid}/comments", 1, fakehipcall.BeforeApplying)
	t.Cleanup(held.Release)
	post(h, hangup("held-ada", numAda, 300, "user", ada.ID))
	select {
	case <-held.Reached():
	case <-time.After(30 * time.Second):
		t.Fatal("the held-ada comment was never sent")
	}
	heldStep, _ := waitStep("held-ada", "summary", stateHeld)
	held.Release() // dropped: Hipcall never got it
	if !heldStep.OutcomeUnknown || heldStep.SentAt == nil || !strings.HasPrefix(heldStep.Error, "held:") || heldStep.RemoteID != "" {
		t.Errorf("the held step: %+v", heldStep)
	}
	cli(t, env, "calls", "-config", cfg, "-failed").mustExit(exitOK).stdoutHas("held-ada", "held (outcome unknown: sent ")
	if got := list("-failed"); len(got) != 1 || got[0].UUID != "held-ada" {
		t.Errorf("calls -failed -json: %+v, want held-ada only", got)
	}

	// Without a host: `calls` reads, and a retry queues without running.
	h.stop()
	hid := strconv.FormatInt(heldStep.JobID, 10)
	cli(t, env, "calls", "retry", "-config", cfg, hid).mustExit(exitFailed).
		stderrHas("warning: job "+hid, "outcome is unknown", "a second comment", "-force")
	if s, _ := step(list(), "held-ada", "summary"); s.State != stateHeld || !s.OutcomeUnknown {
		t.Errorf("after a refused retry: %+v, want still held", s)
	}
	cli(t, env, "calls", "retry", "-config", cfg, "-force", hid).mustExit(exitOK).
		stderrHas("a second comment", "cleared the sent mark").stdoutHas("queued to run again")
	if s, _ := step(list(), "held-ada", "summary"); s.State != stateRetrying || s.OutcomeUnknown || s.SentAt != nil {
		t.Errorf("after the forced retry, no host serving: %+v, want retrying with no sent mark", s)
	}
	// Twice is safe: the job waits to run already.
	cli(t, env, "calls", "retry", "-config", cfg, "-force", hid).mustExit(exitOK).stdoutHas("not dead", "nothing done")
	if n := len(fake.Comments("held-ada")); n != 0 {
		t.Fatalf("held-ada has %d comments with no host serving", n)
	}

	h2 := startHost(t, cfg, env...)
	done, _ := waitStep("held-ada", "summary", stateDone)
	if comments := fake.Comments("held-ada"); len(comments) != 1 || done.RemoteID != strconv.FormatInt(comments[0].ID, 10) {
		t.Errorf("held-ada: step %+v; Hipcall has comments %+v, want exactly one", done, comments)
	}
	cli(t, env, "calls", "retry", "-config", cfg, "-force", hid).mustExit(exitOK).stdoutHas("already done (Hipcall id " + done.RemoteID + ")")
	h2.stop()
	if n := len(fake.Comments("held-ada")); n != 1 {
		t.Errorf("held-ada has %d comments, want 1", n)
	}

	if r := cli(t, env, "calls", "-config", cfg, "-failed", "-json").mustExit(exitOK); r.stdout != "[]\n" {
		t.Errorf("calls -failed -json with nothing failed: %q, want []", r.stdout)
	}
	// A configuration whose journal was never created: nothing is made.
	other := writeConfig(t, t.TempDir(), "calls.yaml", body)
	cli(t, env, "calls", "-config", other).exits(exitFailed).stderrHas("no journal yet at " + filepath.Join(filepath.Dir(other), "switchboard-journal.db"))
	if _, err := os.Stat(filepath.Join(filepath.Dir(other), "switchboard-journal.db")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("calls created the journal file: %v", err)
	}

	// Usage errors.
	cli(t, env, "calls", "retry", "-config", cfg).exits(exitUsage)
	cli(t, env, "calls", "retry", "-config", cfg, "not-a-step").exits(exitUsage).stderrHas("neither a job id nor UUID/STEP")
	cli(t, env, "calls", "-config", cfg, "-since", "yesterday").exits(exitUsage)
	cli(t, env, "calls", "retry", "-config", cfg, "999999").exits(exitFailed).stderrHas("no job 999999")
	cli(t, env, "calls", "retry", "-config", cfg, "held-ada/nope").exits(exitFailed).stderrHas("no step nope of call held-ada")
}
