package aftercall

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/file"
	"github.com/expr-lang/expr/vm"

	"github.com/switchboard-hq/switchboard/connectors"
	"github.com/switchboard-hq/switchboard/core/cards"
	"github.com/switchboard-hq/switchboard/core/webhook"
)

// Limits of the hipcall.after_call section.
const (
	// MaxNameLength is the longest action name: the name is part of each
	// step's key in the job journal.
	MaxNameLength = 64
	// MaxDispositionLength is the longest disposition code.
	MaxDispositionLength = 255
)

// nameRE is the shape of an action's name.
var nameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]*$`)

// Config is the hipcall.after_call section: what is done in Hipcall (and
// on disk) when a call ends. Each action has a condition over the call and
// its caller (EnvDoc) and does exactly one thing: add a comment to the
// call, tag it, set its disposition, create a task, or archive its
// recording. The section is decoded strictly from its yaml tags; Check
// compiles every condition and template, so `switchboard validate`
// reports mistakes by path.
type Config struct {
	// Actions are evaluated in order on every call_hangup; each whose
	// When holds is planned. No actions: nothing is done after calls.
	Actions []ActionConfig `yaml:"actions"`
	// Reconcile finds calls whose call_hangup never arrived.
	Reconcile ReconcileConfig `yaml:"reconcile"`
}

// ReconcileConfig is hipcall.after_call.reconcile: how often Hipcall's
// calls list is read for calls whose call_hangup webhook never came (the
// integration marked broken, the host down, a lost delivery), whose
// actions then run as if it had.
type ReconcileConfig struct {
	// Interval is how often the list is read; 0 turns the reconciler off.
	Interval time.Duration `yaml:"interval"`
	// Lookback is how far back the first run reads (later runs read
	// from where the last one stopped).
	Lookback time.Duration `yaml:"lookback"`
	// Grace is how long after a call ended its webhook is waited for.
	Grace time.Duration `yaml:"grace"`
}

// DefaultReconcileConfig is the reconciler when nothing is written.
func DefaultReconcileConfig() ReconcileConfig {
	return ReconcileConfig{Interval: 5 * time.Minute, Lookback: 24 * time.Hour, Grace: 2 * time.Minute}
}

// Check reports what is wrong with the reconciler's settings.
func (c *ReconcileConfig) Check() connectors.Problems {
	var ps connectors.Problems
	if c.Interval != 0 && c.Interval < time.Minute {
		ps.Addf("interval", "must be 0 (off) or at least 1m, got %s: every run reads Hipcall's calls list from the shared request budget", c.Interval)
	}
	if c.Lookback < time.Hour {
		ps.Addf("lookback", "must be at least 1h, got %s", c.Lookback)
	}
	if c.Grace < 30*time.Second {
		ps.Addf("grace", "must be at least 30s, got %s: a call's own webhook usually arrives within seconds, and the reconciler must not race it", c.Grace)
	}
	return ps
}

// ActionConfig is one after-call action: a name, a condition, and exactly
// one of Comment, Tags, Disposition, Task and Archive.
type ActionConfig struct {
	// Name identifies the action in logs and in the job journal, where
	// (call uuid, step key) must be unique: required, unique,
	// [a-z0-9][a-z0-9_-]*, at most MaxNameLength characters.
	Name string `yaml:"name"`
	// When is a boolean expr expression over the variables EnvDoc lists;
	// empty means every call.
	When string `yaml:"when"`
	// Comment adds a Markdown comment to the call.
	Comment *CommentConfig `yaml:"comment"`
	// Tags adds these Hipcall tag ids to the call, one request each.
	Tags []int64 `yaml:"tags"`
	// Disposition sets the call's disposition code (Hipcall allows edits
	// for 15 minutes after the call).
	Disposition string `yaml:"disposition"`
	// Task creates a Hipcall task.
	Task *TaskConfig `yaml:"task"`
	// Archive downloads the call's recording and voicemail to disk.
	Archive *ArchiveConfig `yaml:"archive"`
	// CRMLog logs the call in a CRM connector (crm.go).
	CRMLog *CRMLogConfig `yaml:"crm_log"`
	// CreateContact creates a contact for an unknown caller (crm.go).
	CreateContact *CreateContactConfig `yaml:"create_contact"`
}

// CommentConfig is an action's comment.
type CommentConfig struct {
	// Template is the comment's Go template (Markdown and "\n" line breaks;
	// Hipcall shows HTML as text). Required; it must not render empty.
	// Hipcall shows the comment as written by the API token's owner, so
	// start it with a header that says it is automatic.
	Template string `yaml:"template"`
	// UnknownCallers also comments on calls whose customer matched no
	// single CRM record (not found, ambiguous, or no number); by default
	// those are skipped.
	UnknownCallers bool `yaml:"unknown_callers"`
}

// TaskConfig is an action's Hipcall task.
type TaskConfig struct {
	// Name is the task's title, a Go template; required, must not render
	// empty.
	Name string `yaml:"name"`
	// Description is an optional Go template.
	Description string `yaml:"description"`
	// DueIn sets the due date to the time the actions are planned plus
	// DueIn (0: due at once).
	DueIn time.Duration `yaml:"due_in"`
	// DefaultAssignee is the Hipcall user id the task goes to when the
	// record's owner is not mapped to a Hipcall user and the call reached
	// no user; 0 leaves such a task unassigned.
	DefaultAssignee int64 `yaml:"default_assignee"`
	// Priority is sent to Hipcall as written (Hipcall's API takes it as
	// text); empty sends none.
	Priority string `yaml:"priority"`
}

// ArchiveConfig is an action's recording archive.
type ArchiveConfig struct {
	// Dir is where recordings are written, in one directory per day
	// (<dir>/<YYYY-MM-DD>/<uuid>-recording.<ext>); relative to the
	// configuration file's directory. Required.
	Dir string `yaml:"dir" resolve:"path"`
}

// DefaultConfig is the hipcall.after_call section when nothing is
// written: no actions.
func DefaultConfig() Config { return Config{Reconcile: DefaultReconcileConfig()} }

// Check trims conditions and codes, and reports what is wrong, with paths
// relative to the section ("actions.2.task.due_in"): names, the one kind
// per action, every when expression compiled against a sample call, every
// template parsed and rendered for a sample call.
func (c *Config) Check() connectors.Problems {
	_, ps := compileConfig(c)
	return ps
}

// compiled is one action ready to plan.
type compiled struct {
	name string
	kind Kind
	// when is nil for an action without a condition.
	when *vm.Program
	// comment and unknownCallers: KindComment.
	comment        tmpl
	unknownCallers bool
	// tags: KindTag.
	tags []int64
	// disposition: KindDisposition.
	disposition string
	// task: KindTask.
	taskName, taskDescription tmpl
	dueIn                     time.Duration
	defaultAssignee           int64
	priority                  string
	// archiveDir: KindArchive.
	archiveDir string
	// connector: KindCRMLog and KindCreateContact; logTitle, logBody:
	// KindCRMLog; firstName, lastName: KindCreateContact.
	connector           string
	logTitle, logBody   tmpl
	firstName, lastName tmpl
}

// compileConfig normalises c, compiles every action and returns every
// problem found. The actions are usable only when there are no problems.
func compileConfig(c *Config) ([]compiled, connectors.Problems) {
	var ps connectors.Problems
	sample := sampleEnv()
	seen := make(map[string]int, len(c.Actions))
	out := make([]compiled, 0, len(c.Actions))
	for i := range c.Actions {
		a := &c.Actions[i]
		at := "actions." + strconv.Itoa(i)
		ca := compiled{name: a.Name}

		switch prev, dup := seen[a.Name]; {
		case strings.TrimSpace(a.Name) == "":
			ps.Addf(at+".name", "is required: give every action a unique name such as \"missed-task\" (it keys the action's steps in the job journal)")
		case len(a.Name) > MaxNameLength || !nameRE.MatchString(a.Name):
			ps.Addf(at+".name", "must be at most %d lower-case letters, digits, - and _, starting with a letter or digit, such as \"missed-task\", got %q",
				MaxNameLength, a.Name)
		case dup:
			ps.Addf(at+".name", "is already used by actions[%d]: action names must be unique (a name keys its steps in the job journal)", prev)
		default:
			seen[a.Name] = i
		}

		a.When = strings.TrimSpace(a.When)
		if a.When != "" {
			prog, err := expr.Compile(a.When, expr.Env(sample), expr.AsBool())
			if err != nil {
				ps = append(ps, exprProblem(at+".when", err))
			} else {
				ca.when = prog
			}
		}

		var kinds []string
		if a.Comment != nil {
			kinds = append(kinds, "comment")
			ca.kind = KindComment
			ca.unknownCallers = a.Comment.UnknownCallers
			ca.comment = compileTemplate(&ps, at+".comment.template", a.Comment.Template, true, sample,
				"the comment's Markdown, such as \"**Switchboard** · call with {{ .record.name }}\"")
		}
		if a.Tags != nil {
			kinds = append(kinds, "tags")
			ca.kind = KindTag
			ca.tags = checkTags(&ps, at+".tags", a.Tags)
		}
		if a.Disposition != "" {
			kinds = append(kinds, "disposition")
			ca.kind = KindDisposition
			a.Disposition = strings.TrimSpace(a.Disposition)
			switch {
			case a.Disposition == "":
				ps.Addf(at+".disposition", "must not be blank: write the disposition code as Hipcall lists it, such as \"callback_requested\"")
			case len(a.Disposition) > MaxDispositionLength || strings.ContainsFunc(a.Disposition, isControl):
				ps.Addf(at+".disposition", "must be a disposition code of at most %d characters on one line, such as \"callback_requested\"",
					MaxDispositionLength)
			}
			ca.disposition = a.Disposition
		}
		if t := a.Task; t != nil {
			kinds = append(kinds, "task")
			ca.kind = KindTask
			ca.taskName = compileTemplate(&ps, at+".task.name", t.Name, true, sample,
				"the task's title, such as \"Call back {{ .record.name | default .caller }}\"")
			ca.taskDescription = compileTemplate(&ps, at+".task.description", t.Description, false, sample, "")
			if t.DueIn < 0 {
				ps.Addf(at+".task.due_in", "must not be negative: the task is due this long after the call's hangup is handled, such as \"30m\" (0: at once)")
			}
			if t.DefaultAssignee < 0 {
				ps.Addf(at+".task.default_assignee", "must be a Hipcall user id (a whole number above 0), or 0 for none, got %d", t.DefaultAssignee)
			}
			t.Priority = strings.TrimSpace(t.Priority)
			ca.dueIn, ca.defaultAssignee, ca.priority = t.DueIn, max(t.DefaultAssignee, 0), t.Priority
		}
		if ar := a.Archive; ar != nil {
			kinds = append(kinds, "archive")
			ca.kind = KindArchive
			switch {
			case strings.TrimSpace(ar.Dir) == "":
				ps.Addf(at+".archive.dir", "is required: the directory recordings are written to, such as \"recordings\" (relative to the configuration file)")
			case strings.ContainsRune(ar.Dir, 0):
				ps.Addf(at+".archive.dir", "must be a directory path, got one with a NUL byte")
			}
			ca.archiveDir = ar.Dir
		}
		kinds = append(kinds, compileCRM(&ps, at, a, &ca, sample)...)
		switch len(kinds) {
		case 0:
			ps.Addf(at, "must have exactly one of comment, tags, disposition, task, archive, crm_log or create_contact, got none")
		case 1:
		default:
			ps.Addf(at, "must have exactly one of comment, tags, disposition, task, archive, crm_log or create_contact, got %s: split it into %d actions, each with its own name",
				strings.Join(kinds, " and "), len(kinds))
		}
		out = append(out, ca)
	}
	return out, ps
}

// checkTags reports tag ids that are not positive or listed twice, and
// returns the good ones.
func checkTags(ps *connectors.Problems, path string, tags []int64) []int64 {
	if len(tags) == 0 {
		ps.Addf(path, "must list at least one Hipcall tag id, such as [5617]")
		return nil
	}
	good := make([]int64, 0, len(tags))
	for j, id := range tags {
		switch {
		case id <= 0:
			ps.Addf(path+"."+strconv.Itoa(j), "must be a Hipcall tag id (a whole number above 0), got %d", id)
		case slices.Contains(good, id):
			ps.Addf(path+"."+strconv.Itoa(j), "is tag %d again: list each tag once", id)
		default:
			good = append(good, id)
		}
	}
	return good
}

// compileTemplate parses the template at path and renders it for the
// sample call, reporting what fails. A required template must not be
// blank; example says what to write.
func compileTemplate(ps *connectors.Problems, path, src string, required bool, sample map[string]any, example string) tmpl {
	if strings.TrimSpace(src) == "" {
		if required {
			ps.Addf(path, "is required: %s", example)
		}
		return tmpl{}
	}
	t, err := parseTemplate(path, src)
	if err != nil {
		ps.Addf(path, "does not parse: %v", err)
		return tmpl{}
	}
	if _, err := t.render(sample); err != nil {
		ps.Addf(path, "fails for a sample call: %v; guard values that may be absent with {{ with }} or default", err)
	}
	return t
}

// isControl reports control characters, which a code on one line has none of.
func isControl(r rune) bool { return r < 0x20 || r == 0x7f }

// exprProblem turns a compile error from expr into a problem at path,
// keeping expr's message and position inside the expression and adding a
// hint where one helps.
func exprProblem(path string, err error) connectors.Problem {
	msg := err.Error()
	var fe *file.Error
	if errors.As(err, &fe) {
		msg = fe.Message
		if fe.Snippet != "" {
			msg = fmt.Sprintf("%s (%d:%d)", fe.Message, fe.Line, fe.Column+1)
		}
	}
	switch {
	case strings.Contains(err.Error(), `Operator("matches")`):
		msg += "; `matches` is expr's regex operator: write $env.matches or candidates for the candidate count"
	case strings.HasPrefix(msg, "unknown name"):
		msg += "; conditions see missed, answered, voicemail, talk_seconds, hangup_by, found, record.*, call.* " +
			"and the other variables listed for hipcall.after_call in docs/configuration.md"
	}
	return connectors.Problem{Path: path, Message: msg}
}

// sampleTime is the sample call's hangup.
var sampleTime = time.Date(2026, 9, 27, 14, 30, 0, 0, time.UTC)

// sampleCall is the call conditions are compiled for and templates
// rendered for: an answered inbound call with every field set, so that a
// template may use any of them.
func sampleCall() *webhook.Call {
	at := func(d time.Duration) *time.Time { t := sampleTime.Add(d); return &t }
	i := func(n int64) *int64 { return &n }
	f := false
	c := cards.SampleCall()
	c.CallerType, c.CalleeType = "contact", "user"
	c.StartedAt, c.AnsweredAt, c.BridgedAt, c.EndedAt = at(-3*time.Minute), at(-170*time.Second), at(-160*time.Second), at(0)
	c.CallDuration, c.FirstTouchDuration, c.MissingCall = i(180), i(20), &f
	c.HangupBy, c.UserID, c.ContactID, c.CompanyID = "contact", "17", "3001", "4001"
	c.RecordURL = "https://recordings.example/sample-call.mp3"
	c.CallFlow = []webhook.FlowStep{{Action: "init", Timestamp: at(-3 * time.Minute)}, {Action: "hangup", Detail: `{"hangup_by":"contact"}`, Timestamp: at(0)}}
	return c
}

// sampleEnv is the environment for the sample call and card's sample
// contact.
func sampleEnv() map[string]any {
	return buildEnv(sampleCall(), cards.SampleResult("sample-owner"), sampleTime, time.UTC)
}
