package aftercall

import (
	"errors"
	"strings"
	"testing"

	"github.com/switchboard-hq/switchboard/connectors"
	"github.com/switchboard-hq/switchboard/core/directory"
)

const crmActions = `
actions:
  - name: crm-log
    crm_log:
      connector: crm
  - name: new-contact
    when: inbound && answered && talk_seconds > 20
    create_contact:
      connector: crm
      first_name: "Caller"
      last_name: "{{ .caller }}"
`

const (
	answeredInbound = `{"uuid":"u-1","direction":"inbound","caller_number":"+442045205757","callee_number":"+442045200000","user_id":"17",
	"started_at":"2026-09-27T14:30:00Z","bridged_at":"2026-09-27T14:30:10Z","ended_at":"2026-09-27T14:31:10Z","hangup_by":"contact"}`
	shortInbound = `{"uuid":"u-2","direction":"inbound","caller_number":"+442045205757","user_id":"17",
	"started_at":"2026-09-27T14:30:00Z","bridged_at":"2026-09-27T14:30:10Z","ended_at":"2026-09-27T14:30:15Z"}`
	internalCall = `{"uuid":"u-3","direction":"internal","caller_number":"101","callee_number":"102"}`
)

// crmSteps plans the call and returns its CRM steps by action name.
func crmPlan(t *testing.T, a *Actions, data string, res directory.Result) (map[string]Step, map[string]string) {
	t.Helper()
	steps, skipped := map[string]Step{}, map[string]string{}
	for _, ev := range a.Explain(parseCall(t, data), res, Links{}) {
		if ev.Skipped != "" {
			skipped[ev.Action] = ev.Skipped
		}
		for _, s := range ev.Steps {
			steps[ev.Action] = s
		}
	}
	return steps, skipped
}

func TestPlanCRMLog(t *testing.T) {
	a := mustNew(t, crmActions, Options{Owners: map[string]int64{"owner-9": 17}})

	t.Run("one record: its contact and company", func(t *testing.T) {
		steps, _ := crmPlan(t, a, answeredInbound, found(t, "+442045205757", "o"))
		log := steps["crm-log"].CRM.Log
		if log == nil || log.ContactID != "C-1" || log.CompanyID != "K-1" || log.Key != "u-1/crm-log" {
			t.Fatalf("log %+v", log)
		}
		c := log.Call
		if c.Outcome != connectors.CallAnswered || c.TalkSeconds != 60 || c.From != "+442045205757" || c.OwnerID != "owner-9" ||
			c.Direction != connectors.CallInbound || c.AnsweredAt.IsZero() || c.Title != "Inbound call" || !strings.Contains(c.Body, "talked 60 s") {
			t.Errorf("call %+v", c)
		}
		if _, ok := steps["new-contact"]; ok {
			t.Error("a contact is created for a known caller")
		}
	})

	t.Run("shared number, common company: the company", func(t *testing.T) {
		steps, _ := crmPlan(t, a, answeredInbound, ambiguousResult(t, "+442045205757", "o"))
		w := steps["crm-log"].CRM
		if w.Log.ContactID != "" || w.Log.CompanyID != "K-1" || w.Hold != "" {
			t.Errorf("write %+v, log %+v; want company K-1", w, w.Log)
		}
	})

	t.Run("shared number, no common company: held with the candidates", func(t *testing.T) {
		res := ambiguousResult(t, "+442045205757", "o")
		c := *res.Matches[1].Contact
		c.CompanyID = "K-2"
		res.Matches[1].Contact = &c
		steps, _ := crmPlan(t, a, answeredInbound, res)
		w := steps["crm-log"].CRM
		if w.Log.ContactID != "" || w.Log.CompanyID != "" || !strings.Contains(w.Hold, "shared by 2 records") ||
			strings.Join(w.Candidates, " ") != "contact:C-1 contact:C-2" {
			t.Errorf("write %+v; want held between contact:C-1 and contact:C-2", w)
		}
	})

	t.Run("unknown caller, long call: contact created, log after it", func(t *testing.T) {
		steps, _ := crmPlan(t, a, answeredInbound, notFound(t, "+442045205757"))
		create := steps["new-contact"].CRM.Create
		if create == nil || create.Phone != "+442045205757" || create.FirstName != "Caller" || create.LastName != "+442045205757" || create.OwnerID != "owner-9" {
			t.Fatalf("create %+v", create)
		}
		if w := steps["crm-log"].CRM; w.AfterCreate != "new-contact" {
			t.Errorf("log waits for %q, want new-contact", w.AfterCreate)
		}
	})

	t.Run("unknown caller, short call: nothing", func(t *testing.T) {
		steps, skipped := crmPlan(t, a, shortInbound, notFound(t, "+442045205757"))
		if len(steps) != 0 || !strings.Contains(skipped["crm-log"], "no create_contact") {
			t.Errorf("steps %v, skipped %v", steps, skipped)
		}
	})

	t.Run("internal call: nothing", func(t *testing.T) {
		steps, skipped := crmPlan(t, a, internalCall, directory.Result{})
		if len(steps) != 0 || !strings.Contains(skipped["crm-log"], "no customer") {
			t.Errorf("steps %v, skipped %v", steps, skipped)
		}
	})

	t.Run("record in another connector: nothing", func(t *testing.T) {
		res := found(t, "+442045205757", "o")
		res.Source = "other"
		_, skipped := crmPlan(t, a, answeredInbound, res)
		if !strings.Contains(skipped["crm-log"], `in connector "other"`) {
			t.Errorf("skipped %v", skipped)
		}
	})
}

func TestCRMConfigProblems(t *testing.T) {
	csv := connectors.DescribeResponse{Name: "csv", Version: "1.0.0", Capabilities: []connectors.Capability{connectors.CapListContacts}}
	pg := connectors.DescribeResponse{Name: "postgres", Version: "1.0.0", Capabilities: []connectors.Capability{connectors.CapLogCall}}
	for _, tt := range []struct {
		name, src string
		writers   WriteCaps
		path      string
		want      string
	}{
		{"connector required", "actions:\n  - name: x\n    crm_log: {}\n", nil, "actions.0.crm_log.connector", "is required"},
		{"first name required", "actions:\n  - name: x\n    create_contact: {connector: crm}\n", nil, "actions.0.create_contact.first_name", "is required"},
		{"csv is read-only", "actions:\n  - name: x\n    crm_log: {connector: customers}\n", WriteCaps{"customers": csv}, "actions.0.crm_log.connector", "CSV connector is read-only"},
		{"log but not create", "actions:\n  - name: x\n    create_contact: {connector: crm, first_name: A}\n", WriteCaps{"crm": pg}, "actions.0.create_contact.connector", `does not declare "create_contact"`},
		{"unknown connector", "actions:\n  - name: x\n    crm_log: {connector: nope}\n", WriteCaps{"crm": pg}, "actions.0.crm_log.connector", "entries: crm"},
		{"two kinds", "actions:\n  - name: x\n    crm_log: {connector: crm}\n    tags: [1]\n", nil, "actions.0", "got tags and crm_log"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(decodeConfig(t, tt.src), Options{Writers: tt.writers})
			var ps connectors.Problems
			if !errors.As(err, &ps) {
				t.Fatalf("New: %v, want problems", err)
			}
			for _, p := range ps {
				if p.Path == tt.path && strings.Contains(p.Message, tt.want) {
					return
				}
			}
			t.Errorf("problems %v; want one at %s saying %q", ps, tt.path, tt.want)
		})
	}
	if _, err := New(decodeConfig(t, "actions:\n  - name: x\n    crm_log: {connector: crm}\n"), Options{Writers: WriteCaps{"crm": pg}}); err != nil {
		t.Errorf("a connector that logs calls: %v", err)
	}
}
