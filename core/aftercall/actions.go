package aftercall

import (
	"fmt"
	"maps"
	"strconv"
	"strings"
	"time"

	"github.com/expr-lang/expr/vm"

	"github.com/switchboard-hq/switchboard/connectors"
	"github.com/switchboard-hq/switchboard/core/directory"
	"github.com/switchboard-hq/switchboard/core/webhook"
)

// Kind is what a step does.
type Kind string

// Step kinds.
const (
	// KindComment adds a comment: POST /calls/{uuid}/comments. Not
	// idempotent.
	KindComment Kind = "comment"
	// KindTag adds one tag: POST /calls/{uuid}/tags. Idempotent.
	KindTag Kind = "tag"
	// KindDisposition sets the disposition: PUT /calls/{uuid}/disposition.
	// Idempotent within Hipcall's 15-minute edit window.
	KindDisposition Kind = "disposition"
	// KindTask creates a task: POST /tasks. Not idempotent.
	KindTask Kind = "task"
	// KindArchive downloads a recording or voicemail to disk. Idempotent.
	KindArchive Kind = "archive"
)

// Idempotent reports whether doing a step of this kind twice has the
// effect of doing it once. A comment or task whose answer was lost (a
// timeout after the request left) may already exist, and sending it again
// may duplicate it: the caller decides whether to.
func (k Kind) Idempotent() bool {
	switch k {
	case KindTag, KindDisposition, KindArchive, KindCRMLog, KindCreateContact:
		return true
	}
	return false
}

// DispositionWindow is how long after a call Hipcall accepts its
// disposition.
const DispositionWindow = 15 * time.Minute

// Step is one request (or download) an action plans for a call, fully
// rendered: running it needs nothing but the step, so a job journal can
// store it (it marshals to JSON) and run it later. (CallUUID, Key()) is
// unique among the steps of all actions.
type Step struct {
	// Action is the configured action's name.
	Action string `json:"action"`
	// Kind says which of the fields below is set.
	Kind Kind `json:"kind"`
	// CallUUID is the call the step is about.
	CallUUID string `json:"call_uuid"`
	// Comment is the comment's Markdown (KindComment).
	Comment string `json:"comment,omitempty"`
	// TagIDs holds the one tag id of a KindTag step.
	TagIDs []int64 `json:"tag_ids,omitempty"`
	// Disposition is the disposition code (KindDisposition).
	Disposition string `json:"disposition,omitempty"`
	// Task is the task to create (KindTask).
	Task *Task `json:"task,omitempty"`
	// Archive is the file to download (KindArchive).
	Archive *Archive `json:"archive,omitempty"`
	// CRM is the write (KindCRMLog, KindCreateContact).
	CRM *CRMWrite `json:"crm,omitempty"`
	// NotAfter, when set, is when the step stops making sense: Hipcall
	// refuses a disposition 15 minutes after the call ended. Run fails
	// such a step permanently once it has passed.
	NotAfter time.Time `json:"not_after,omitzero"`
	// Problem, when set, says why the step cannot be done (its template
	// failed or rendered empty for this call, a link is not http(s)); Run
	// fails it permanently without a request, so that the failure is
	// recorded where the step's outcome is.
	Problem string `json:"problem,omitempty"`
}

// Key identifies the step among a call's steps: the action's name, and
// for a tag the tag id ("short-call/5617"), for an archive what is
// archived ("archive/recording", "archive/voicemail").
func (s Step) Key() string {
	switch {
	case s.Kind == KindTag:
		ids := make([]string, len(s.TagIDs))
		for i, id := range s.TagIDs {
			ids[i] = strconv.FormatInt(id, 10)
		}
		return s.Action + "/" + strings.Join(ids, "+")
	case s.Kind == KindArchive && s.Archive != nil:
		return s.Action + "/" + s.Archive.Source
	}
	return s.Action
}

// Task is a Hipcall task as POST /tasks takes it in "data"; the JSON
// field names are Hipcall's.
type Task struct {
	// Name is the title (required).
	Name string `json:"name"`
	// Description is optional.
	Description string `json:"description,omitempty"`
	// AssignToUserID is the Hipcall user the task goes to; 0 for none.
	AssignToUserID int64 `json:"assign_to_user_id,omitempty"`
	// DueDate is RFC 3339 in UTC ("2026-09-27T15:00:00Z").
	DueDate string `json:"due_date,omitempty"`
	// ContactIDs and CompanyIDs are the Hipcall records the task is
	// about.
	ContactIDs []int64 `json:"contact_ids,omitempty"`
	CompanyIDs []int64 `json:"company_ids,omitempty"`
	// Priority is sent as configured; "" for none.
	Priority string `json:"priority,omitempty"`
}

// Archive sources.
const (
	SourceRecording = "recording"
	SourceVoicemail = "voicemail"
)

// Archive is one file to download.
type Archive struct {
	// Source is SourceRecording (record_url) or SourceVoicemail
	// (voicemail_url).
	Source string `json:"source"`
	// URL is the short-lived pre-signed link to fetch.
	URL string `json:"url"`
	// Path is the file to write, inside the action's archive.dir:
	// <dir>/<YYYY-MM-DD>/<uuid>-<source><ext>, the date the call's start
	// in Options.Location, the uuid sanitised. A SHA-256 sidecar is
	// written next to it as Path + ".sha256".
	Path string `json:"path"`
}

// Links are the Hipcall ids of the customer's records, for a task's
// contact_ids and company_ids, as the caller resolved them (from the sync
// state, say). The webhook's own contact_id and company_id win over them
// when present; 0 means unknown.
type Links struct {
	ContactID int64
	CompanyID int64
}

// Options configure Actions besides its Config.
type Options struct {
	// Owners maps CRM owner ids (record.owner) to Hipcall user ids; a task
	// goes to the owner of the customer's record when it is listed.
	Owners map[string]int64
	// Now is the clock behind due dates, now/hour/minute/weekday and the
	// disposition window; nil means time.Now.
	Now func() time.Time
	// Location is the zone templates see times in (now, call.started_at,
	// ...) and archive directories are dated in; nil means time.Local.
	Location *time.Location
	// Writers, when set, is what each connectors: entry can write: New
	// refuses a crm_log or create_contact action whose connector cannot.
	Writers WriteCaps
}

// Actions plans and runs the configured after-call actions. It is
// immutable after New and safe for concurrent use.
type Actions struct {
	actions []compiled
	owners  map[string]int64
	now     func() time.Time
	loc     *time.Location
	// archiveDirs are the cleaned archive directories, which every archive
	// step's path must lie in.
	archiveDirs []string
}

// New compiles cfg. When anything is wrong it returns
// connectors.Problems listing every problem, with paths inside the
// section, as Check does.
func New(cfg Config, opts Options) (*Actions, error) {
	// compileConfig normalises what it checks: leave the caller's copy alone.
	cfg.Actions = append([]ActionConfig(nil), cfg.Actions...)
	for i := range cfg.Actions {
		if t := cfg.Actions[i].Task; t != nil {
			c := *t
			cfg.Actions[i].Task = &c
		}
	}
	actions, ps := compileConfig(&cfg)
	for i, ca := range actions {
		at := "actions." + strconv.Itoa(i)
		switch ca.kind {
		case KindCRMLog:
			opts.Writers.checkWriter(&ps, at+".crm_log.connector", ca.connector, connectors.CapLogCall, "log calls")
		case KindCreateContact:
			opts.Writers.checkWriter(&ps, at+".create_contact.connector", ca.connector, connectors.CapCreateContact, "create contacts")
		}
	}
	if len(ps) > 0 {
		return nil, ps
	}
	a := &Actions{actions: actions, owners: maps.Clone(opts.Owners), now: opts.Now, loc: opts.Location}
	if a.now == nil {
		a.now = time.Now
	}
	if a.loc == nil {
		a.loc = time.Local
	}
	for _, ca := range actions {
		if ca.kind == KindArchive {
			a.archiveDirs = append(a.archiveDirs, cleanDir(ca.archiveDir))
		}
	}
	return a, nil
}

// Names lists the actions' names in order.
func (a *Actions) Names() []string {
	names := make([]string, len(a.actions))
	for i, ca := range a.actions {
		names[i] = ca.name
	}
	return names
}

// Env is the environment the actions see for a call and its lookup, at
// the time of the Options' clock in its zone.
func (a *Actions) Env(call *webhook.Call, res directory.Result) map[string]any {
	return buildEnv(call, res, a.now(), a.loc)
}

// Evaluation is what became of one action for a call.
type Evaluation struct {
	// Action is the action's name and Kind what it does.
	Action string
	Kind   Kind
	// Matched is true when its condition held (or it has none).
	Matched bool
	// Skipped says why a matched action planned nothing ("the caller
	// matched no single record", "the call has no recording"); "" when it
	// planned its steps.
	Skipped string
	// Err is why the condition could not be evaluated (record.balance >
	// 1000 on a record without a balance); such an action does not match.
	Err error
	// Steps are the action's steps, when Matched and not Skipped.
	Steps []Step
}

// Plan is the steps of every action whose condition holds for the call,
// in the order the actions are configured, rendered at the Options'
// clock: the same call, result, links and clock give the same steps. The
// caller is the call's customer and res the lookup of their number. A
// call without a uuid plans nothing (no step could be addressed or
// keyed). Explain says why actions planned nothing.
func (a *Actions) Plan(call *webhook.Call, res directory.Result, links Links) []Step {
	var steps []Step
	for _, ev := range a.Explain(call, res, links) {
		steps = append(steps, ev.Steps...)
	}
	return steps
}

// Explain evaluates every action for the call as Plan does and reports
// each one's outcome, for logs and `explain`-style tooling.
func (a *Actions) Explain(call *webhook.Call, res directory.Result, links Links) []Evaluation {
	out := make([]Evaluation, 0, len(a.actions))
	if call == nil || strings.TrimSpace(call.UUID) == "" {
		for _, ca := range a.actions {
			out = append(out, Evaluation{Action: ca.name, Kind: ca.kind, Skipped: "the call has no uuid"})
		}
		return out
	}
	now := a.now()
	env := buildEnv(call, res, now, a.loc)
	var machine vm.VM
	for i := range a.actions {
		ca := &a.actions[i]
		ev := Evaluation{Action: ca.name, Kind: ca.kind}
		if ca.when != nil {
			v, err := machine.Run(ca.when, env)
			if err != nil {
				ev.Err = fmt.Errorf("when: %w", err)
				out = append(out, ev)
				continue
			}
			ev.Matched, _ = v.(bool)
		} else {
			ev.Matched = true
		}
		if ev.Matched {
			ev.Steps, ev.Skipped = a.steps(ca, call, res, links, env, now)
		}
		out = append(out, ev)
	}
	linkCreated(out)
	return out
}

// steps renders a matched action's steps, or says why there are none.
func (a *Actions) steps(ca *compiled, call *webhook.Call, res directory.Result, links Links, env map[string]any, now time.Time) ([]Step, string) {
	base := Step{Action: ca.name, Kind: ca.kind, CallUUID: call.UUID}
	switch ca.kind {
	case KindComment:
		if !res.Found && !ca.unknownCallers {
			return nil, "the customer matched no single record (set comment.unknown_callers to comment anyway)"
		}
		s := base
		s.Comment, s.Problem = renderRequired(ca.comment, env, "comment.template", "Hipcall refuses an empty comment")
		return []Step{s}, ""
	case KindTag:
		steps := make([]Step, len(ca.tags))
		for i, id := range ca.tags {
			s := base
			s.TagIDs = []int64{id}
			steps[i] = s
		}
		return steps, ""
	case KindDisposition:
		s := base
		s.Disposition = ca.disposition
		ended := now
		if call.EndedAt != nil {
			ended = *call.EndedAt
		}
		s.NotAfter = ended.Add(DispositionWindow).UTC()
		return []Step{s}, ""
	case KindTask:
		s := base
		s.Task = a.task(ca, call, res, links, env, now, &s.Problem)
		return []Step{s}, ""
	case KindArchive:
		steps := a.archiveSteps(ca, call, base, now)
		if len(steps) == 0 {
			return nil, "the call has no record_url or voicemail_url"
		}
		return steps, ""
	case KindCRMLog, KindCreateContact:
		return a.crmSteps(ca, call, res, env, base)
	}
	return nil, "unknown kind " + string(ca.kind)
}

// renderRequired renders a template that must give text; problem says
// why it did not.
func renderRequired(t tmpl, env map[string]any, key, why string) (text, problem string) {
	text, err := t.render(env)
	switch {
	case err != nil:
		return "", key + " failed for this call: " + err.Error() + "; fix the template (guard absent values with {{ with }} or default)"
	case text == "":
		return "", key + " rendered nothing for this call (" + why + "); make it always write something"
	}
	return text, ""
}

// task renders a task and resolves its assignee and links; *problem
// receives why it cannot be created.
func (a *Actions) task(ca *compiled, call *webhook.Call, res directory.Result, links Links, env map[string]any, now time.Time, problem *string) *Task {
	t := &Task{
		AssignToUserID: a.assignee(ca, call, env),
		DueDate:        now.Add(ca.dueIn).UTC().Truncate(time.Second).Format(time.RFC3339),
		Priority:       ca.priority,
	}
	t.Name, *problem = renderRequired(ca.taskName, env, "task.name", "Hipcall requires a task name")
	if *problem == "" {
		desc, err := ca.taskDescription.render(env)
		if err != nil {
			*problem = "task.description failed for this call: " + err.Error() + "; fix the template (guard absent values with {{ with }} or default)"
		}
		t.Description = desc
	}
	if id := hipcallID(call.ContactID, links.ContactID); id > 0 {
		t.ContactIDs = []int64{id}
	}
	if id := hipcallID(call.CompanyID, links.CompanyID); id > 0 {
		t.CompanyIDs = []int64{id}
	}
	return t
}

// assignee is who a task goes to: the Hipcall user of the customer's
// record's CRM owner (Options.Owners), else the user the call reached
// (user_id), else the action's default_assignee, else nobody (0).
func (a *Actions) assignee(ca *compiled, call *webhook.Call, env map[string]any) int64 {
	if found, _ := env[varFound].(bool); found {
		rec, _ := env[varRecord].(map[string]any)
		if owner, _ := rec["owner"].(string); owner != "" {
			if id, ok := a.owners[owner]; ok && id > 0 {
				return id
			}
		}
	}
	if id := positiveID(call.UserID); id > 0 {
		return id
	}
	return ca.defaultAssignee
}

// hipcallID is the webhook's id when it is one, else the fallback.
func hipcallID(fromWebhook string, fallback int64) int64 {
	if id := positiveID(fromWebhook); id > 0 {
		return id
	}
	return max(fallback, 0)
}

// positiveID reads a Hipcall id sent as text; 0 when it is not one.
func positiveID(s string) int64 {
	id, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil || id <= 0 {
		return 0
	}
	return id
}
