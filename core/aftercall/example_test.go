package aftercall_test

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	yaml "go.yaml.in/yaml/v3"

	"github.com/switchboard-hq/switchboard/connectors/phone"
	"github.com/switchboard-hq/switchboard/core/aftercall"
	"github.com/switchboard-hq/switchboard/core/directory"
	"github.com/switchboard-hq/switchboard/core/webhook"
)

// printAPI prints what it is asked to do.
type printAPI struct{}

func (printAPI) AddComment(_ context.Context, uuid, content string) (string, error) {
	fmt.Printf("POST /calls/%s/comments\n%s\n", uuid, content)
	return "c-1", nil
}

func (printAPI) AddTag(_ context.Context, uuid string, tagID int64) error {
	fmt.Printf("POST /calls/%s/tags %d\n", uuid, tagID)
	return nil
}

func (printAPI) SetDisposition(_ context.Context, uuid, code string) error {
	fmt.Printf("PUT /calls/%s/disposition %s\n", uuid, code)
	return nil
}

func (printAPI) CreateTask(_ context.Context, t aftercall.Task) (string, error) {
	fmt.Printf("POST /tasks %q assigned to %d, due %s\n", t.Name, t.AssignToUserID, t.DueDate)
	return "t-1", nil
}

func (printAPI) Fetch(context.Context, string, io.Writer) error { return nil }

func Example() {
	const section = `
actions:
  - name: callback
    when: missed
    disposition: callback_requested
  - name: missed-task
    when: missed && inbound
    task:
      name: "Call back {{ .record.name | default .caller }}"
      due_in: 30m
      default_assignee: 42
  - name: unknown-caller
    when: missed && !known
    comment:
      template: "**Switchboard** · missed call from {{ .caller_raw }}, who is not in the CRM"
      unknown_callers: true
`
	var cfg aftercall.Config
	if err := yaml.Unmarshal([]byte(section), &cfg); err != nil {
		panic(err)
	}
	if problems := cfg.Check(); len(problems) > 0 {
		panic(problems) // validate reports these, each at its path
	}
	actions, err := aftercall.New(cfg, aftercall.Options{
		Now: func() time.Time { return time.Date(2026, 9, 27, 14, 35, 0, 0, time.UTC) },
	})
	if err != nil {
		panic(err)
	}

	ev, _ := webhook.Parse([]byte(`{"event":"call_hangup","data":{"uuid":"6f1c2a9e","direction":"inbound",
		"caller_number":"+442045205757","ended_at":"2026-09-27T14:30:00Z","missing_call":true,"voicemail_id":null}}`))
	// The directory's lookup of the customer's number: nobody.
	parser, _ := phone.NewParser("GB")
	number, _ := parser.ParseCaller(ev.Call.CustomerNumber())
	res := directory.Result{Query: number, Via: directory.ViaNone}

	for _, step := range actions.Plan(ev.Call, res, aftercall.Links{}) {
		fmt.Println("--", step.Key())
		out, err := actions.Run(context.Background(), step, printAPI{})
		if err != nil {
			fmt.Println("failed:", err, "permanent:", aftercall.IsPermanent(err))
			continue
		}
		fmt.Println(strings.TrimSpace(out.Detail))
	}
	// Output:
	// -- callback
	// PUT /calls/6f1c2a9e/disposition callback_requested
	// disposition set to callback_requested
	// -- missed-task
	// POST /tasks "Call back +442045205757" assigned to 42, due 2026-09-27T15:05:00Z
	// task created
	// -- unknown-caller
	// POST /calls/6f1c2a9e/comments
	// **Switchboard** · missed call from +442045205757, who is not in the CRM
	// comment added
}
