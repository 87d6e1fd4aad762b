package calljobs

import (
	"context"
	"encoding/json"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/switchboard-hq/switchboard/core/aftercall"
	"github.com/switchboard-hq/switchboard/core/journal"
	"github.com/switchboard-hq/switchboard/core/webhook"
)

// Job kinds (river_job.kind), stable across versions: recorded jobs
// outlive the binary that wrote them.
const (
	KindEvent  = "hipcall_event"
	KindAction = "aftercall_action"
)

// EventArgs is one webhook event as Hipcall sent it. Events of one call
// are unique by (name, call uuid): a repeated delivery, or the reconciler
// finding a call whose webhook did arrive, records nothing new.
type EventArgs struct {
	Name     string          `json:"name" river:"unique"`
	UUID     string          `json:"uuid" river:"unique"`
	Body     json.RawMessage `json:"body"`
	Received time.Time       `json:"received"`
	// Backfilled is set for a call_hangup the reconciler made from the
	// calls list because the webhook never came.
	Backfilled bool `json:"backfilled,omitempty"`
}

// Kind implements river.JobArgs.
func (EventArgs) Kind() string { return KindEvent }

// CardRecheck is how long after a call_init its durable job waits before
// it checks that the card went out: the fast path pushes it within
// milliseconds, and only a host killed meanwhile leaves it to the job.
const CardRecheck = 3 * time.Second

// StepCard is the effects step of a call's Insight Card: done once the
// card was handled (pushed, or decided against), its remote id the
// outcome ("pushed", "skipped", ...).
const StepCard = "card"

// CardKey names a call's Insight Card for journal.Settle.
func CardKey(uuid string) string { return "card/" + uuid }

// ProvisionalKey implements journal.Provisional: a call_init's job is only
// the backstop of the card the fast path pushes, so the host settles it
// once the card is handled and, on SQLite, it is never queued (the card's
// mark, StepCard, records the call_init for operators). With cards off
// nothing settles it: it is queued, and shows in `switchboard calls`.
func (a EventArgs) ProvisionalKey() string {
	if a.Name != webhook.CallInit || a.UUID == "" {
		return ""
	}
	return CardKey(a.UUID)
}

// InsertOpts implements river.JobArgsWithInsertOpts.
func (a EventArgs) InsertOpts() river.InsertOpts {
	o := river.InsertOpts{Queue: journal.QueueEvents, MaxAttempts: 10}
	if a.Name == webhook.CallInit {
		o.Queue, o.ScheduledAt = journal.QueueCards, time.Now().Add(CardRecheck)
	}
	if a.UUID != "" {
		o.UniqueOpts = river.UniqueOpts{ByArgs: true, ByState: everyState}
	}
	return o
}

// ActionArgs is one post-call step, rendered when the call_hangup was
// handled (so a retry does exactly what was decided). Unique by (call
// uuid, step key).
type ActionArgs struct {
	UUID string         `json:"uuid" river:"unique"`
	Key  string         `json:"key" river:"unique"`
	Step aftercall.Step `json:"step"`
}

// Kind implements river.JobArgs.
func (ActionArgs) Kind() string { return KindAction }

// InsertOpts implements river.JobArgsWithInsertOpts.
func (ActionArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: journal.QueueActions, MaxAttempts: 20, UniqueOpts: river.UniqueOpts{ByArgs: true, ByState: everyState}}
}

// everyState makes a job unique in every state while the journal keeps
// it: River's default leaves out cancelled and discarded jobs, so an event
// handled again would plan a failed or held step a second time.
var everyState = rivertype.JobStates()

// Recorder is the webhook processor's journal: it records each event as an
// EventArgs job.
type Recorder struct{ J *journal.Journal }

// Record implements webhook.Recorder.
func (r Recorder) Record(ctx context.Context, ev *webhook.Event, body []byte) error {
	return r.J.Record(ctx, EventArgs{Name: ev.Name, UUID: ev.UUID(), Body: body, Received: ev.Received}, nil)
}
