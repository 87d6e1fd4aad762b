package calljobs

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/hashicorp/go-hclog"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/switchboard-hq/switchboard/core/aftercall"
	"github.com/switchboard-hq/switchboard/core/journal"
)

// statusErr is an HTTP answer, as the Hipcall client's errors carry it.
type statusErr int

func (e statusErr) Error() string   { return fmt.Sprintf("hipcall: %d", int(e)) }
func (e statusErr) HTTPStatus() int { return int(e) }

// fakeAPI counts comments and fails as told: err for the next call, and
// apply says whether a failed call still took effect (an answer lost
// after Hipcall did the work).
type fakeAPI struct {
	mu       sync.Mutex
	comments int
	err      error
	apply    bool
}

func (f *fakeAPI) AddComment(context.Context, string, string) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	err := f.err
	f.err = nil
	if err == nil || f.apply {
		f.comments++
	}
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("c-%d", f.comments), nil
}
func (f *fakeAPI) AddTag(context.Context, string, int64) error          { return nil }
func (f *fakeAPI) SetDisposition(context.Context, string, string) error { return nil }
func (f *fakeAPI) CreateTask(context.Context, aftercall.Task) (string, error) {
	return "", errors.New("not used")
}
func (f *fakeAPI) Fetch(context.Context, string, io.Writer) error { return errors.New("not used") }

func openJournal(t *testing.T) *journal.Journal {
	t.Helper()
	cfg := journal.DefaultConfig()
	cfg.Path = filepath.Join(t.TempDir(), "journal.db")
	j, err := journal.Open(context.Background(), cfg, journal.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { j.Stop(context.Background()) })
	return j
}

func commentJob(attempt int) *river.Job[ActionArgs] {
	st := aftercall.Step{Action: "summary", Kind: aftercall.KindComment, CallUUID: "call-1", Comment: "**Switchboard** · hi"}
	return &river.Job[ActionArgs]{JobRow: &rivertype.JobRow{ID: 7, Attempt: attempt}, Args: ActionArgs{UUID: "call-1", Key: st.Key(), Step: st}}
}

// TestCommentExactlyOnce walks a comment step through the answers Hipcall
// can give: each attempt's outcome, the comments that exist afterwards,
// and whether the next attempt may send again.
func TestCommentExactlyOnce(t *testing.T) {
	actions, err := aftercall.New(aftercall.DefaultConfig(), aftercall.Options{})
	if err != nil {
		t.Fatal(err)
	}
	refused := &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")}
	tests := []struct {
		name     string
		first    error // the first attempt's error (nil: success)
		applied  bool  // the first attempt took effect although it failed
		outcome  string
		comments int // after both attempts
		second   string
	}{
		{"success, then a rerun skips", nil, false, OutcomeDone, 1, OutcomeSkipped},
		{"429: nothing done, the retry sends", statusErr(429), false, OutcomeRetry, 1, OutcomeDone},
		{"503 from the edge: the retry sends", statusErr(503), false, OutcomeRetry, 1, OutcomeDone},
		{"refused connection: the retry sends", refused, false, OutcomeRetry, 1, OutcomeDone},
		{"500 after Hipcall did it: held, no second comment", statusErr(500), true, OutcomeRetry, 1, OutcomeHeld},
		{"timeout, not done: held rather than guessed", context.DeadlineExceeded, false, OutcomeRetry, 0, OutcomeHeld},
		{"404: failed for good", statusErr(404), false, OutcomeFailed, 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			j := openJournal(t)
			api := &fakeAPI{err: tt.first, apply: tt.applied}
			m, _ := NewMetrics(nil)
			w := &ActionWorker{deps: Deps{Journal: j, Actions: actions, API: api, Logger: nil, Metrics: m}}
			w.deps.Logger = nullLogger()
			err := w.Work(context.Background(), commentJob(1))
			var cancel *river.JobCancelError
			switch tt.outcome {
			case OutcomeDone:
				if err != nil {
					t.Fatalf("first attempt: %v", err)
				}
			case OutcomeRetry:
				if err == nil || errors.As(err, &cancel) {
					t.Fatalf("first attempt = %v, want an error River retries", err)
				}
			case OutcomeFailed:
				if !errors.As(err, &cancel) {
					t.Fatalf("first attempt = %v, want the job cancelled", err)
				}
				return // River does not run a cancelled job again
			}
			err = w.Work(context.Background(), commentJob(2))
			switch tt.second {
			case OutcomeDone, OutcomeSkipped:
				if err != nil {
					t.Fatalf("second attempt: %v", err)
				}
			case OutcomeHeld:
				if !errors.As(err, &cancel) || !strings.Contains(err.Error(), "held:") || !strings.Contains(err.Error(), "calls retry 7") {
					t.Fatalf("second attempt = %v, want it held for a person", err)
				}
			}
			if api.comments != tt.comments {
				t.Errorf("%d comments in Hipcall, want %d", api.comments, tt.comments)
			}
		})
	}
}

func TestNotApplied(t *testing.T) {
	for _, tt := range []struct {
		err  error
		want bool
	}{
		{statusErr(429), true}, {statusErr(422), true}, {statusErr(502), true}, {statusErr(503), true}, {statusErr(504), true},
		{statusErr(500), false}, {context.DeadlineExceeded, false}, {errors.New("connection reset by peer"), false},
		{fmt.Errorf("wrapped: %w", statusErr(503)), true},
		{&net.OpError{Op: "dial", Err: errors.New("refused")}, true}, {&net.OpError{Op: "read", Err: errors.New("reset")}, false},
		{aftercall.Permanent(errors.New("the comment is empty")), true}, // refused before any request
	} {
		if got := notApplied(tt.err); got != tt.want {
			t.Errorf("notApplied(%v) = %v, want %v", tt.err, got, tt.want)
		}
	}
}

func nullLogger() hclog.Logger { return hclog.NewNullLogger() }
