package aftercall

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-hq/switchboard/connectors"
)

// exampleConfig is the section as documented.
const exampleConfig = `
actions:
  - name: crm-summary
    when: answered && found
    comment:
      template: |
        **Switchboard** · call with {{ .record.name }}
        Talked {{ .talk_seconds }} s; balance {{ money .record.balance "GBP" }}.
  - name: short-call-contact
    when: answered && talk_seconds < 20 && hangup_by == "contact"
    tags: [5617]
  - name: callback
    when: missed
    disposition: callback_requested
  - name: missed-task
    when: missed && inbound
    task:
      name: "Call back {{ .record.name | default .caller }}"
      description: "Missed call at {{ date .call.started_at \"datetime\" }}"
      due_in: 30m
      default_assignee: 42
      priority: high
  - name: archive
    when: call.record_url != "" || call.voicemail_url != ""
    archive:
      dir: recordings
`

func TestCheckExample(t *testing.T) {
	cfg := decodeConfig(t, exampleConfig)
	if ps := cfg.Check(); len(ps) > 0 {
		t.Fatalf("Check: %v", ps)
	}
	if got := cfg.Actions[3].Task.DueIn; got != 30*time.Minute {
		t.Errorf("due_in = %v", got)
	}
	if _, err := New(cfg, Options{}); err != nil {
		t.Fatalf("New: %v", err)
	}
}

func TestDefaultConfig(t *testing.T) {
	cfg := DefaultConfig()
	if ps := cfg.Check(); len(ps) > 0 {
		t.Fatalf("Check: %v", ps)
	}
	a, err := New(cfg, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if steps := a.Plan(parseCall(t, `{"uuid":"u1","direction":"inbound","missing_call":true}`), notFound(t, "+442045205757"), Links{}); steps != nil {
		t.Errorf("no actions planned %v", steps)
	}
}

func TestCheckProblems(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		// want maps each expected path to a part of its message.
		want map[string]string
	}{
		{"bad expression", `
actions:
  - name: a
    when: missed && nope
    tags: [1]`, map[string]string{"actions.0.when": "unknown name nope"}},
		{"expression not a bool", `
actions:
  - name: a
    when: talk_seconds + 1
    tags: [1]`, map[string]string{"actions.0.when": "bool"}},
		{"two kinds in one action", `
actions:
  - name: a
    comment: {template: "x"}
    tags: [1]`, map[string]string{"actions.0": "got comment and tags: split it into 2 actions"}},
		{"no kind", `
actions:
  - name: a
    when: missed`, map[string]string{"actions.0": "exactly one of comment, tags, disposition, task, archive, crm_log or create_contact, got none"}},
		{"duplicate names", `
actions:
  - {name: a, tags: [1]}
  - {name: b, tags: [1]}
  - {name: a, disposition: x}`, map[string]string{"actions.2.name": "is already used by actions[0]"}},
		{"bad name", `
actions:
  - {name: Missed Task, tags: [1]}`, map[string]string{"actions.0.name": `lower-case letters, digits, - and _`}},
		{"name starting with -", `
actions:
  - {name: -a, tags: [1]}`, map[string]string{"actions.0.name": `got "-a"`}},
		{"name too long", `
actions:
  - {name: ` + strings.Repeat("a", MaxNameLength+1) + `, tags: [1]}`, map[string]string{"actions.0.name": "at most 64"}},
		{"no name", `
actions:
  - {tags: [1]}`, map[string]string{"actions.0.name": "is required"}},
		{"negative due_in", `
actions:
  - name: a
    task: {name: "x", due_in: -5m}`, map[string]string{"actions.0.task.due_in": "must not be negative"}},
		{"negative default assignee", `
actions:
  - name: a
    task: {name: "x", default_assignee: -1}`, map[string]string{"actions.0.task.default_assignee": "whole number above 0"}},
		{"empty comment template", `
actions:
  - name: a
    comment: {template: "  "}`, map[string]string{"actions.0.comment.template": "is required"}},
		{"empty task name", `
actions:
  - name: a
    task: {description: "x"}`, map[string]string{"actions.0.task.name": "is required"}},
		{"template does not parse", `
actions:
  - name: a
    comment:
      template: |
        **Switchboard**
        {{ .record.name | nosuch }}`, map[string]string{"actions.0.comment.template": `does not parse: line 2: function "nosuch" not defined`}},
		{"template fails for the sample", `
actions:
  - name: a
    task:
      name: x
      description: "{{ index .record.emails 5 }}"`, map[string]string{"actions.0.task.description": "fails for a sample call: line 1, column 4"}},
		{"tags empty", `
actions:
  - {name: a, tags: []}`, map[string]string{"actions.0.tags": "at least one"}},
		{"tags not positive, and twice", `
actions:
  - {name: a, tags: [0, 7, -3, 7]}`, map[string]string{
			"actions.0.tags.0": "got 0", "actions.0.tags.2": "got -3", "actions.0.tags.3": "tag 7 again"}},
		{"blank disposition", `
actions:
  - {name: a, disposition: "  "}`, map[string]string{"actions.0.disposition": "must not be blank"}},
		{"disposition on two lines", `
actions:
  - {name: a, disposition: "a\nb"}`, map[string]string{"actions.0.disposition": "on one line"}},
		{"archive without a dir", `
actions:
  - {name: a, archive: {dir: ""}}`, map[string]string{"actions.0.archive.dir": "is required"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := decodeConfig(t, tc.yaml)
			ps := cfg.Check()
			got := map[string]string{}
			for _, p := range ps {
				got[p.Path] += p.Message + "\n"
			}
			for path, part := range tc.want {
				if !strings.Contains(got[path], part) {
					t.Errorf("problem at %s = %q, want it to contain %q (all: %v)", path, got[path], part, ps)
				}
			}
			if len(got) != len(tc.want) {
				t.Errorf("problems at %d paths, want %d: %v", len(got), len(tc.want), ps)
			}
			_, err := New(cfg, Options{})
			var nps connectors.Problems
			if !errors.As(err, &nps) || len(nps) != len(ps) {
				t.Errorf("New error = %v, want the same problems as Check", err)
			}
		})
	}
}

func TestCheckNormalises(t *testing.T) {
	cfg := decodeConfig(t, `
actions:
  - {name: a, when: "  missed  ", disposition: " callback "}
  - {name: b, task: {name: x, priority: " high "}}`)
	if ps := cfg.Check(); len(ps) > 0 {
		t.Fatal(ps)
	}
	if a := cfg.Actions[0]; a.When != "missed" || a.Disposition != "callback" {
		t.Errorf("when %q disposition %q", a.When, a.Disposition)
	}
	if p := cfg.Actions[1].Task.Priority; p != "high" {
		t.Errorf("priority %q", p)
	}
}

func TestNewLeavesTheCallersConfigAlone(t *testing.T) {
	cfg := decodeConfig(t, `
actions:
  - {name: a, when: " missed ", tags: [1]}`)
	if _, err := New(cfg, Options{}); err != nil {
		t.Fatal(err)
	}
	if cfg.Actions[0].When != " missed " {
		t.Errorf("New changed the caller's config: when = %q", cfg.Actions[0].When)
	}
}
