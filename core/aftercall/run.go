package aftercall

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
)

// API is what Run needs from Hipcall (and from the host of its recording
// links). Its errors are classified by IsPermanent: an error that got an
// HTTP answer must carry its status (StatusError, or the Hipcall client's
// *hipcall.APIError), and an implementation may mark an error Permanent
// itself. Implementations do their own rate limiting and may retry
// inside a call; Run adds no retries.
type API interface {
	// AddComment adds a Markdown comment to the call
	// (POST /calls/{uuid}/comments {"content": ...}) and returns its id.
	AddComment(ctx context.Context, callUUID, content string) (id string, err error)
	// AddTag tags the call (POST /calls/{uuid}/tags {"tag_id": ...}).
	AddTag(ctx context.Context, callUUID string, tagID int64) error
	// SetDisposition sets the call's disposition
	// (PUT /calls/{uuid}/disposition {"disposition_code": ...}).
	SetDisposition(ctx context.Context, callUUID, code string) error
	// CreateTask creates a task (POST /tasks {"data": t}) and returns its
	// id.
	CreateTask(ctx context.Context, t Task) (id string, err error)
	// Fetch downloads url (a recording link) into w. It may have written
	// part of the body when it fails; Run discards it.
	Fetch(ctx context.Context, url string, w io.Writer) error
}

// Outcome is what a step did.
type Outcome struct {
	// RemoteID is the id Hipcall gave what was created (a comment's, a
	// task's); "" otherwise.
	RemoteID string
	// Detail says what was done, for logs ("tag 5617 added",
	// "archived 48213 bytes to /srv/recordings/...").
	Detail string
	// SHA256 is the archived file's digest, hex (archive steps).
	SHA256 string
}

// Run performs one step through api. It fails with a Permanent error,
// without a request, for a step that says it cannot be done (Problem), is
// incomplete, or is past its NotAfter; api's errors come back wrapped
// (IsPermanent classifies them). An archive step whose file is already
// complete (its SHA-256 sidecar matches) is not downloaded again.
func (a *Actions) Run(ctx context.Context, step Step, api API) (Outcome, error) {
	if step.Problem != "" {
		return Outcome{}, Permanent(fmt.Errorf("after-call action %q: %s", step.Action, step.Problem))
	}
	if strings.TrimSpace(step.CallUUID) == "" && step.Kind != KindTask {
		return Outcome{}, Permanent(fmt.Errorf("after-call step %q has no call uuid: it was not planned by Plan", step.Key()))
	}
	if !step.NotAfter.IsZero() && a.now().After(step.NotAfter) {
		return Outcome{}, Permanent(fmt.Errorf("after-call step %q: too late, Hipcall accepted it until %s (%s after the call)",
			step.Key(), step.NotAfter.Format("2006-01-02T15:04:05Z07:00"), DispositionWindow))
	}
	out, err := a.run(ctx, step, api)
	if err != nil {
		return Outcome{}, fmt.Errorf("after-call step %q of call %s: %w", step.Key(), step.CallUUID, err)
	}
	return out, nil
}

// run performs a valid step.
func (a *Actions) run(ctx context.Context, step Step, api API) (Outcome, error) {
	switch step.Kind {
	case KindComment:
		if strings.TrimSpace(step.Comment) == "" {
			return Outcome{}, Permanent(errors.New("the comment is empty (Hipcall refuses it)"))
		}
		id, err := api.AddComment(ctx, step.CallUUID, step.Comment)
		if err != nil {
			return Outcome{}, err
		}
		return Outcome{RemoteID: id, Detail: "comment added"}, nil
	case KindTag:
		if len(step.TagIDs) == 0 {
			return Outcome{}, Permanent(errors.New("the step names no tag"))
		}
		for _, id := range step.TagIDs {
			if err := api.AddTag(ctx, step.CallUUID, id); err != nil {
				return Outcome{}, err
			}
		}
		return Outcome{Detail: fmt.Sprintf("tag %s added", strings.TrimPrefix(step.Key(), step.Action+"/"))}, nil
	case KindDisposition:
		if step.Disposition == "" {
			return Outcome{}, Permanent(errors.New("the step names no disposition code"))
		}
		if err := api.SetDisposition(ctx, step.CallUUID, step.Disposition); err != nil {
			return Outcome{}, err
		}
		return Outcome{Detail: "disposition set to " + step.Disposition}, nil
	case KindTask:
		if step.Task == nil || strings.TrimSpace(step.Task.Name) == "" {
			return Outcome{}, Permanent(errors.New("the task has no name (Hipcall requires one)"))
		}
		id, err := api.CreateTask(ctx, *step.Task)
		if err != nil {
			return Outcome{}, err
		}
		return Outcome{RemoteID: id, Detail: "task created"}, nil
	case KindArchive:
		return a.runArchive(ctx, step, api)
	}
	return Outcome{}, Permanent(fmt.Errorf("unknown step kind %q: the step was not planned by this version of switchboard", step.Kind))
}
