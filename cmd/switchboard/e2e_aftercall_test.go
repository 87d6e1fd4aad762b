package main

// End-to-end tests of the after-call flow (issue 11): the real host and
// CSV plugin record webhooks in the journal and run the post-call actions
// against the fake Hipcall.

import (
	"encoding/json"
	"fmt"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/switchboard-hq/switchboard/core/fakehipcall"
	"github.com/switchboard-hq/switchboard/core/hipcall"
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
	// A sentinel call posted after them: once its tag is there, the
	// journal has worked (or, by uniqueness, skipped) everything before.
	fake.AddCall(map[string]any{"uuid": "sentinel", "direction": "inbound"})
	if code := h2.hook("/hipcall/webhook/"+webhookToken, hangup("sentinel", numGrace, 5, "contact", 0)); code != 200 {
		t.Fatalf("sentinel answered %d", code)
	}
	eventually(t, 30*time.Second, func() (bool, string) {
		n := len(fake.Tags("sentinel"))
		return n == 1, fmt.Sprintf("%d sentinel tags", n)
	})
	if ok, why := settled(); !ok {
		t.Fatalf("after the restart: %s", why)
	}
	// The sentinel: one tag and one comment.
	if n := fake.Count("POST /tasks") + fake.Count("POST /calls/{uuid}/comments") + fake.Count("POST /calls/{uuid}/tags"); n != 4+2 {
		t.Errorf("%d write requests, want 6: 1 task, 2 comments and 1 tag, then the sentinel's tag and comment", n)
	}
}
