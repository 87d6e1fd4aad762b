package main

// End-to-end tests of the after-call flow (issue 11): the real host and
// CSV plugin record webhooks in the journal and run the post-call actions
// against the fake Hipcall.

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/switchboard-hq/switchboard/core/calljobs"
	"github.com/switchboard-hq/switchboard/core/fakehipcall"
	"github.com/switchboard-hq/switchboard/core/hipcall"
	"github.com/switchboard-hq/switchboard/core/journal"
)

const afterCallActions = `  after_call:
    actions:
      - name: summary
        when: answered && known
        comment:
          template: "**Switchboard** · {{ .record.name }} · talked {{ .talk_seconds }} s"
      - name: short-call
        when: answered && talk_seconds < 20 && hangup_by == "contact"
        tags: [5617]
      - name: missed-task
        when: missed && inbound
        task:
          name: "Call back {{ .record.name }}"
          due_in: 30m
          default_assignee: 7
`

const afterCallOwners = `
sync:
  owners: {u-17: "42"}
`

// hangup is a call_hangup body; talk is the seconds from bridged_at to
// ended_at (-1: never bridged, missed).
func hangup(uuid, caller string, talk int, hangupBy string, contactID int64) string {
	started := time.Date(2026, 3, 25, 10, 39, 51, 0, time.UTC)
	data := map[string]any{
		"uuid": uuid, "direction": "inbound", "caller_number": caller, "callee_number": "+442039960000",
		"started_at": started, "ended_at": started.Add(time.Duration(30+talk) * time.Second),
		"missing_call": talk < 0, "hangup_by": hangupBy, "user_id": 11,
	}
	if contactID != 0 {
		data["contact_id"] = contactID
	}
	if talk >= 0 {
		data["answered_at"], data["bridged_at"] = started.Add(30*time.Second), started.Add(30*time.Second)
	}
	b, _ := json.Marshal(map[string]any{"event": "call_hangup", "data": data})
	return string(b)
}

// TestE2EAfterCall: a missed inbound call gives exactly one task with the
// owner's Hipcall user, the contact link and the due date; an answered
// short call gets the tag; a known caller's answered call gets one
// comment, an unknown caller's none. The same hangups posted again, and
// again after the host was SIGKILLed and restarted on the same journal,
// change nothing.
func TestE2EAfterCall(t *testing.T) {
	t.Parallel()
	fake := fakehipcall.NewServer(fakehipcall.Options{Token: apiToken, RateLimit: fakehipcall.Unlimited})
	t.Cleanup(fake.Close)
	fake.AddTag(5617, "short call")
	ada := fake.AddContact(hipcall.Contact{FirstName: "Ada", LastName: "Lovelace"})
	calls := map[string]string{
		"missed-ada":    hangup("missed-ada", numAda, -1, "contact", ada.ID),
		"short-grace":   hangup("short-grace", numGrace, 10, "contact", 0),
		"long-ada":      hangup("long-ada", numAda, 300, "user", ada.ID),
		"long-stranger": hangup("long-stranger", numUnknown, 300, "user", 0),
	}
	for uuid := range calls {
		fake.AddCall(map[string]any{"uuid": uuid, "direction": "inbound"})
	}
	cfg := writeConfig(t, t.TempDir(), "aftercall.yaml", cardsConfig("info", afterCallActions, afterCallOwners))
	env := []string{"HIPCALL_BASE_URL=" + fake.URL(), "HIPCALL_TOKEN=" + apiToken, "WEBHOOK_TOKEN=" + webhookToken}
	h := startHost(t, cfg, env...)
	h.waitReady(30 * time.Second)

	post := func(h *hostProc) {
		for uuid, body := range calls {
			if code := h.hook("/hipcall/webhook/"+webhookToken, body); code != 200 {
				t.Fatalf("hangup %s answered %d", uuid, code)
			}
		}
	}
	post(h)
	settled := func() (bool, string) {
		tasks, tags := fake.Tasks(), fake.Tags("short-grace")
		comments := len(fake.Comments("long-ada")) + len(fake.Comments("long-stranger")) + len(fake.Comments("short-grace"))
		return len(tasks) == 1 && len(tags) == 1 && comments == 2,
			fmt.Sprintf("%d tasks, %d tags on short-grace, %d comments", len(tasks), len(tags), comments)
	}
	eventually(t, 30*time.Second, settled)

	task := fake.Tasks()[0]
	if task.Name != "Call back Ada Lovelace" || task.AssignToUserID == nil || *task.AssignToUserID != 42 ||
		len(task.ContactIDs) != 1 || task.ContactIDs[0] != ada.ID || task.DueDate == nil {
		t.Errorf("task %+v: want \"Call back Ada Lovelace\" for user 42 (Ada's owner u-17), contact %d, with a due date", task, ada.ID)
	} else if d := task.DueDate.Sub(task.CreatedAt); d < 29*time.Minute || d > 31*time.Minute {
		t.Errorf("task due %s after it was created, want 30m", d)
	}
	if tags := fake.Tags("short-grace"); len(tags) != 1 || tags[0].ID != 5617 {
		t.Errorf("short-grace tags %+v, want 5617", tags)
	}
	if c := fake.Comments("long-ada"); len(c) != 1 || !strings.HasPrefix(c[0].Content, "**Switchboard** · Ada Lovelace · talked 300 s") {
		t.Errorf("long-ada comments %+v", c)
	}
	if c := fake.Comments("long-stranger"); len(c) != 0 {
		t.Errorf("an unknown caller got comments %+v", c)
	}
	if !strings.Contains(h.logs.String(), `outcome=done`) {
		t.Errorf("no step logged done:\n%s", h.logs.String())
	}

	// Again: duplicates within the dedup window are not recorded.
	post(h)
	// Killed and restarted on the same journal: the events are recorded
	// again (the dedup window was in memory) and River's uniqueness per
	// (event, call) keeps them from running twice.
	if err := h.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-h.exited
	h2 := startHost(t, cfg, env...)
	h2.waitReady(30 * time.Second)
	post(h2)
	// A sentinel call posted after them: once its tag and its comment are
	// there (two jobs, in either order), the journal has worked (or, by
	// uniqueness, skipped) everything before.
	fake.AddCall(map[string]any{"uuid": "sentinel", "direction": "inbound"})
	if code := h2.hook("/hipcall/webhook/"+webhookToken, hangup("sentinel", numGrace, 5, "contact", 0)); code != 200 {
		t.Fatalf("sentinel answered %d", code)
	}
	eventually(t, 30*time.Second, func() (bool, string) {
		tags, comments := len(fake.Tags("sentinel")), len(fake.Comments("sentinel"))
		return tags == 1 && comments == 1, fmt.Sprintf("%d sentinel tags, %d sentinel comments", tags, comments)
	})
	if ok, why := settled(); !ok {
		t.Fatalf("after the restart: %s", why)
	}
	// The sentinel: one tag and one comment. Comments and tasks are sent
	// once; a tag (idempotent) may be sent again by a job the kill left
	// running, which the restarted host runs again at once.
	if n := fake.Count("POST /tasks") + fake.Count("POST /calls/{uuid}/comments"); n != 3+1 {
		t.Errorf("%d comment and task requests, want 4: 1 task and 2 comments, then the sentinel's comment", n)
	}
}

// TestE2EReadmeAfterCall runs the README's after-call example as written:
// the real `switchboard fake-hipcall`, the host serving
// configs/example.yaml against it, and the README's curl of a missed call
// from Ada Lovelace, which must become the task the README describes.
func TestE2EReadmeAfterCall(t *testing.T) {
	t.Parallel()
	hostBin, _ := binaries(t)
	readme, err := os.ReadFile(filepath.Join(repoRoot, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, section, _ := strings.Cut(string(readme), "### After the call")
	var curl string
	for _, line := range strings.Split(section, "\n") {
		if strings.HasPrefix(line, "curl ") && strings.Contains(line, "call_hangup") {
			curl = line
			break
		}
	}
	if curl == "" {
		t.Fatal("README.md's \"After the call\" section shows no curl of a call_hangup")
	}
	fake := exec.Command(hostBin, "fake-hipcall", "-listen", "127.0.0.1:0", "-token", "local")
	stdout, stderr := &syncBuffer{}, &syncBuffer{}
	fake.Stdout, fake.Stderr = stdout, stderr
	if err := fake.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { fake.Process.Kill(); fake.Wait() }()
	var base string
	eventually(t, 10*time.Second, func() (bool, string) {
		m := regexp.MustCompile(`base_url: (\S+)`).FindStringSubmatch(stderr.String())
		if m != nil {
			base = m[1]
		}
		return m != nil, "no base URL printed: " + stderr.String()
	})
	h := startHost(t, exampleConfig(t), "HIPCALL_BASE_URL="+base, "HIPCALL_TOKEN=local")
	h.waitReady(30 * time.Second)
	cmd := exec.Command("bash", "-c", strings.ReplaceAll(curl, "localhost:5008", h.addr))
	if out, err := cmd.CombinedOutput(); err != nil || !strings.Contains(string(out), `"status"`) {
		t.Fatalf("the README's curl: %v\n%s", err, out)
	}
	eventually(t, 20*time.Second, func() (bool, string) {
		out := stdout.String()
		return strings.Contains(out, "Call back Ada Lovelace") && strings.Contains(out, `"assign_to_user_id": 42`), "fake-hipcall printed:\n" + out
	})
}

// TestE2EReconcile: a call whose call_hangup never reached the host is
// found in Hipcall's calls list by the reconciler and its actions run;
// a call whose webhook did arrive is not handled twice.
func TestE2EReconcile(t *testing.T) {
	t.Parallel()
	fake := fakehipcall.NewServer(fakehipcall.Options{Token: apiToken, RateLimit: fakehipcall.Unlimited})
	t.Cleanup(fake.Close)
	ended := time.Now().UTC().Add(-5 * time.Minute).Truncate(time.Second)
	started := ended.Add(-time.Minute)
	for _, uuid := range []string{"webhooked", "lost"} {
		fake.AddCall(map[string]any{"uuid": uuid, "direction": "inbound", "caller_number": numAda,
			"callee_number": "+442039960000", "started_at": started, "ended_at": ended, "missing_call": true, "hangup_by": "contact"})
	}
	dir := t.TempDir()
	env := []string{"HIPCALL_BASE_URL=" + fake.URL(), "HIPCALL_TOKEN=" + apiToken, "WEBHOOK_TOKEN=" + webhookToken,
		"SB_JOURNAL=" + filepath.Join(dir, "journal.db")}
	journalAt := "journal:\n  path: ${SB_JOURNAL}\n"
	off := writeConfig(t, dir, "off.yaml", cardsConfig("info", afterCallActions+"    reconcile: {interval: 0}\n", afterCallOwners+journalAt))
	on := writeConfig(t, dir, "on.yaml", cardsConfig("info", afterCallActions+"    reconcile: {interval: 1m, lookback: 1h, grace: 30s}\n", afterCallOwners+journalAt))

	// The first host gets the webhook of one call; nothing reads the list.
	h := startHost(t, off, env...)
	h.waitReady(30 * time.Second)
	body, _ := json.Marshal(map[string]any{"event": "call_hangup", "data": map[string]any{"uuid": "webhooked", "direction": "inbound",
		"caller_number": numAda, "started_at": started, "ended_at": ended, "missing_call": true, "hangup_by": "contact"}})
	if code := h.hook("/hipcall/webhook/"+webhookToken, string(body)); code != 200 {
		t.Fatalf("hangup answered %d", code)
	}
	eventually(t, 20*time.Second, func() (bool, string) { return len(fake.Tasks()) == 1, fmt.Sprintf("%d tasks", len(fake.Tasks())) })
	h.stop()

	// The second host, on the same journal, reads the list at start.
	h2 := startHost(t, on, env...)
	h2.waitReady(30 * time.Second)
	eventually(t, 30*time.Second, func() (bool, string) {
		return strings.Contains(h2.logs.String(), "reconciled calls with Hipcall's list"), "no reconcile run logged"
	})
	eventually(t, 20*time.Second, func() (bool, string) { return len(fake.Tasks()) == 2, fmt.Sprintf("%d tasks", len(fake.Tasks())) })
	if n := h2.metric("switchboard_aftercall_backfilled_total"); n != 1 {
		t.Errorf("backfilled %v calls, want 1 (the lost one)", n)
	}
	if !strings.Contains(h2.logs.String(), "call=lost") || strings.Contains(h2.logs.String(), "webhook reaching us: its post-call actions run now: call=webhooked") {
		t.Errorf("the reconciler's log does not name the lost call alone:\n%s", h2.logs.String())
	}
	if n := fake.Count("POST /tasks"); n != 2 {
		t.Errorf("%d task requests, want 2", n)
	}
}

// TestE2ECardSurvivesSIGKILL: the host is SIGKILLed while its card push is
// on the wire (the fake holds the request and never applies it); the
// restarted host pushes the card from the journal, once.
func TestE2ECardSurvivesSIGKILL(t *testing.T) {
	t.Parallel()
	fake := fakehipcall.NewServer(fakehipcall.Options{Token: apiToken, RateLimit: fakehipcall.Unlimited})
	t.Cleanup(fake.Close)
	dir := t.TempDir()
	env := []string{"HIPCALL_BASE_URL=" + fake.URL(), "HIPCALL_TOKEN=" + apiToken, "WEBHOOK_TOKEN=" + webhookToken,
		"SB_JOURNAL=" + filepath.Join(dir, "journal.db")}
	cfg := writeConfig(t, dir, "cards.yaml", cardsConfig("info", "", cardTemplates+"journal:\n  path: ${SB_JOURNAL}\n"))
	held := fake.HoldWrite(cardsRoute, 1, fakehipcall.BeforeApplying)
	h := startHost(t, cfg, env...)
	h.waitReady(30 * time.Second)
	if code := h.hook("/hipcall/webhook/"+webhookToken, callEvent("call_init", "kill-1", "inbound", numAda, "+442045200000")); code != 200 {
		t.Fatalf("call_init answered %d", code)
	}
	select {
	case <-held.Reached():
	case <-time.After(20 * time.Second):
		t.Fatal("the card push never reached the fake")
	}
	if err := h.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-h.exited
	held.Release()
	if n := len(fake.Cards("kill-1")); n != 0 {
		t.Fatalf("%d cards before the restart, want none (the push was held and dropped)", n)
	}

	h2 := startHost(t, cfg, env...)
	h2.waitReady(30 * time.Second)
	eventually(t, 30*time.Second, func() (bool, string) {
		n := len(fake.Cards("kill-1"))
		return n == 1, fmt.Sprintf("%d cards for kill-1", n)
	})
	// The fake stores the card before its answer reaches the host, which
	// logs the card's outcome when the answer arrives: wait for the line.
	eventually(t, 10*time.Second, func() (bool, string) {
		return strings.Contains(h2.logs.String(), "handled from the journal"), "the restarted host does not say the card came from the journal"
	})
}

// TestE2ECardSettled: a card the fast path handled settles its
// call_init's backstop job, so on SQLite the journal never queues it (no
// River insert, no job run 3 s later); `switchboard calls` still shows the
// call_init and the card's outcome, from the card's mark. A card whose
// push failed is not settled: its job is queued and tries once more.
func TestE2ECardSettled(t *testing.T) {
	t.Parallel()
	fake := fakehipcall.NewServer(fakehipcall.Options{Token: apiToken, RateLimit: fakehipcall.Unlimited})
	t.Cleanup(fake.Close)
	dir := t.TempDir()
	journalPath := filepath.Join(dir, "journal.db")
	env := []string{"HIPCALL_BASE_URL=" + fake.URL(), "HIPCALL_TOKEN=" + apiToken, "WEBHOOK_TOKEN=" + webhookToken,
		"SB_JOURNAL=" + journalPath, "SB_PORT=0"}
	cfg := writeConfig(t, dir, "cards.yaml", cardsConfig("info", "", cardTemplates+"journal:\n  path: ${SB_JOURNAL}\n"))
	// The first push, fail-1's, is refused for good (422); the journal's
	// job then pushes again (the fake accepts).
	fake.Script(cardsRoute, fakehipcall.Fault{Status: 422, Body: `{"errors":{"card":["call is not ringing any more"]}}`})
	h := startHost(t, cfg, env...)
	h.waitReady(30 * time.Second)
	hook := func(uuid string) {
		if code := h.hook("/hipcall/webhook/"+webhookToken, callEvent("call_init", uuid, "inbound", numAda, "+442045200000")); code != 200 {
			t.Fatalf("call_init %s answered %d", uuid, code)
		}
	}
	hook("fail-1")
	eventually(t, 10*time.Second, func() (bool, string) {
		for _, r := range fake.Requests() {
			if r.Path == "/calls/fail-1/cards" && r.Status == 422 {
				return true, ""
			}
		}
		return false, "fail-1's push not refused yet"
	})
	hook("settle-1")
	eventually(t, 10*time.Second, func() (bool, string) {
		n := len(fake.Cards("settle-1"))
		return n == 1, fmt.Sprintf("%d cards for settle-1", n)
	})

	r, err := journal.OpenReader(context.Background(), journal.Config{Path: journalPath})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	eventJobs := func(uuid string) (int, string) {
		res, err := r.Jobs(context.Background(), river.NewJobListParams().Kinds(calljobs.KindEvent).States(rivertype.JobStates()...).First(100))
		if err != nil {
			return -1, err.Error()
		}
		n := 0
		for _, j := range res.Jobs {
			var a calljobs.EventArgs
			if json.Unmarshal(j.EncodedArgs, &a) == nil && a.UUID == uuid {
				n++
			}
		}
		return n, ""
	}
	// fail-1's job is queued after the hold; once it is, settle-1's row
	// (recorded before it) has been decided too.
	eventually(t, 30*time.Second, func() (bool, string) {
		n, why := eventJobs("fail-1")
		return n == 1, fmt.Sprintf("%d jobs for fail-1's call_init %s", n, why)
	})
	eventually(t, 30*time.Second, func() (bool, string) {
		waiting, err := r.Waiting(context.Background())
		return err == nil && len(waiting) == 0, fmt.Sprintf("%d rows in the intake (%v)", len(waiting), err)
	})
	if n, why := eventJobs("settle-1"); n != 0 {
		t.Errorf("settle-1's card was handled on the fast path, yet its call_init has %d jobs %s", n, why)
	}
	eventually(t, 30*time.Second, func() (bool, string) {
		n := len(fake.Cards("fail-1"))
		return n == 1, fmt.Sprintf("%d cards for fail-1 (the journal's job pushes it after the refused push)", n)
	})

	out := cli(t, env, "calls", "-config", cfg, "-json").mustExit(exitOK)
	var calls []callView
	if err := json.Unmarshal([]byte(out.stdout), &calls); err != nil {
		t.Fatalf("calls -json: %v\n%s", err, out.stdout)
	}
	found := false
	for _, c := range calls {
		if c.UUID != "settle-1" {
			continue
		}
		found = true
		if strings.Join(c.Events, ",") != "call_init" || c.Card == nil || c.Card.Outcome != "pushed" || c.Card.HandledAt.IsZero() {
			t.Errorf("settle-1 in calls -json: events %v, card %+v; want call_init and a pushed card", c.Events, c.Card)
		}
	}
	if !found {
		t.Errorf("settle-1 is not in calls -json:\n%s", out.stdout)
	}
	cli(t, env, "calls", "-config", cfg).mustExit(exitOK).stdoutHas("settle-1", "pushed")
}

// TestE2EArchiveRecording: an archive action downloads the call's
// recording from Hipcall's short-lived link into the configured directory
// with a SHA-256 sidecar; the file is written once, whatever happens next.
func TestE2EArchiveRecording(t *testing.T) {
	t.Parallel()
	fake := fakehipcall.NewServer(fakehipcall.Options{Token: apiToken, RateLimit: fakehipcall.Unlimited})
	t.Cleanup(fake.Close)
	fake.AddCall(map[string]any{"uuid": "rec-1", "direction": "inbound"})
	audio := []byte("ID3 fake mp3 bytes of a recorded call")
	link := fake.AddRecording("rec-1", audio, 10*time.Minute)
	dir := t.TempDir()
	archive := filepath.Join(dir, "recordings")
	if err := os.Mkdir(archive, 0o755); err != nil {
		t.Fatal(err)
	}
	actions := "  after_call:\n    actions:\n      - name: archive\n        when: call.record_url != \"\"\n        archive:\n          dir: " + archive + "\n"
	cfg := writeConfig(t, dir, "archive.yaml", cardsConfig("info", actions, ""))
	h := startHost(t, cfg, "HIPCALL_BASE_URL="+fake.URL(), "HIPCALL_TOKEN="+apiToken, "WEBHOOK_TOKEN="+webhookToken)
	h.waitReady(30 * time.Second)
	ended := time.Now().UTC().Truncate(time.Second)
	body, _ := json.Marshal(map[string]any{"event": "call_hangup", "data": map[string]any{"uuid": "rec-1", "direction": "inbound",
		"caller_number": numAda, "started_at": ended.Add(-time.Minute), "bridged_at": ended.Add(-50 * time.Second),
		"ended_at": ended, "record_url": link}})
	if code := h.hook("/hipcall/webhook/"+webhookToken, string(body)); code != 200 {
		t.Fatalf("hangup answered %d", code)
	}
	var files []string
	eventually(t, 20*time.Second, func() (bool, string) {
		files, _ = filepath.Glob(filepath.Join(archive, "*", "rec-1-recording*"))
		return len(files) == 2, fmt.Sprintf("files %v", files)
	})
	var audioFile, sidecar string
	for _, f := range files {
		if strings.HasSuffix(f, ".sha256") {
			sidecar = f
		} else {
			audioFile = f
		}
	}
	got, err := os.ReadFile(audioFile)
	if err != nil || string(got) != string(audio) {
		t.Fatalf("archived %q (%v), want the recording's bytes", got, err)
	}
	sum, err := os.ReadFile(sidecar)
	if err != nil || !strings.Contains(string(sum), filepath.Base(audioFile)) {
		t.Fatalf("sidecar %q (%v) does not name the file", sum, err)
	}
	cmd := exec.Command("sha256sum", "-c", filepath.Base(sidecar))
	cmd.Dir = filepath.Dir(sidecar)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("sha256sum -c: %v\n%s", err, out)
	}
	if n := fake.Count(fakehipcall.RecordingRoute); n != 1 {
		t.Errorf("%d downloads, want 1", n)
	}
}
