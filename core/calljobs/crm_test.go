package calljobs

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/switchboard-hq/switchboard/connectors"
	"github.com/switchboard-hq/switchboard/core/aftercall"
)

// fakeCRM is a connector that logs calls and creates contacts in memory,
// idempotently, failing with err while it is set.
type fakeCRM struct {
	connectors.Connector
	mu       sync.Mutex
	err      error
	logs     map[string]connectors.LogCallRequest
	contacts map[string]string // phone → id
}

func newFakeCRM() *fakeCRM {
	return &fakeCRM{logs: map[string]connectors.LogCallRequest{}, contacts: map[string]string{}}
}

func (f *fakeCRM) LogCall(_ context.Context, req *connectors.LogCallRequest) (*connectors.LogCallResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return nil, f.err
	}
	_, existing := f.logs[req.Key]
	if !existing {
		f.logs[req.Key] = *req
	}
	return &connectors.LogCallResponse{ID: "log-" + req.Key, Existing: existing}, nil
}

func (f *fakeCRM) CreateContact(_ context.Context, req *connectors.CreateContactRequest) (*connectors.CreateContactResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return nil, f.err
	}
	id, existing := f.contacts[req.Phone]
	if !existing {
		id = "new-" + req.Phone
		f.contacts[req.Phone] = id
	}
	return &connectors.CreateContactResponse{Existing: existing, Contact: connectors.Contact{ID: id, FirstName: req.FirstName,
		Phones: []connectors.Phone{{Raw: req.Phone, E164: req.Phone}}}}, nil
}

func crmJob(id int64, key string, w *aftercall.CRMWrite) *river.Job[ActionArgs] {
	kind := aftercall.KindCRMLog
	if w.Create != nil {
		kind = aftercall.KindCreateContact
	}
	st := aftercall.Step{Action: key, Kind: kind, CallUUID: "call-1", CRM: w}
	return &river.Job[ActionArgs]{JobRow: &rivertype.JobRow{ID: id, Attempt: 1}, Args: ActionArgs{UUID: "call-1", Key: key, Step: st}}
}

// TestCRMSteps walks the CRM writes through what can happen to them: a
// log against a known record, a held log resolved by a person, a log
// waiting for the contact its call creates, and the CRM failing.
func TestCRMSteps(t *testing.T) {
	ctx := context.Background()
	j := openJournal(t)
	crm := newFakeCRM()
	var learned []string
	m, _ := NewMetrics(nil)
	w := &ActionWorker{deps: Deps{Journal: j, Logger: nullLogger(), Metrics: m,
		CRM:   func(name string) (connectors.Connector, bool) { return crm, name == "crm" },
		Learn: func(source string, c connectors.Contact) { learned = append(learned, source+"/"+c.ID) }}}
	var cancel *river.JobCancelError

	// A known record: logged, and again: still one log.
	known := &aftercall.CRMWrite{Connector: "crm", Log: &connectors.LogCallRequest{Key: "call-1/known", ContactID: "C-1"}}
	for range 2 {
		if err := w.Work(ctx, crmJob(1, "known", known)); err != nil {
			t.Fatal(err)
		}
	}
	if len(crm.logs) != 1 || crm.logs["call-1/known"].ContactID != "C-1" {
		t.Errorf("logs %v", crm.logs)
	}

	// Held: cancelled for a person, then resolved.
	held := &aftercall.CRMWrite{Connector: "crm", Hold: "the number is shared by 2 records", Candidates: []string{"contact:A", "contact:B"},
		Log: &connectors.LogCallRequest{Key: "call-1/held"}}
	err := w.Work(ctx, crmJob(2, "held", held))
	if !errors.As(err, &cancel) || !strings.Contains(err.Error(), "needs a person") || !strings.Contains(err.Error(), "calls resolve call-1/held") {
		t.Fatalf("held step: %v", err)
	}
	if err := Resolve(ctx, j.Effects(), "call-1", "held", "contact:B"); err != nil {
		t.Fatal(err)
	}
	if err := Resolve(ctx, j.Effects(), "call-1", "held", "person:B"); err == nil {
		t.Error("Resolve took a record that is neither contact: nor company:")
	}
	if err := w.Work(ctx, crmJob(2, "held", held)); err != nil {
		t.Fatal(err)
	}
	if got := crm.logs["call-1/held"].ContactID; got != "B" {
		t.Errorf("resolved log went to %q, want B", got)
	}

	// A log waiting for its call's new contact: retried until it exists.
	after := &aftercall.CRMWrite{Connector: "crm", AfterCreate: "new", Log: &connectors.LogCallRequest{Key: "call-1/after"}}
	if err := w.Work(ctx, crmJob(3, "after", after)); err == nil || errors.As(err, &cancel) {
		t.Fatalf("log before its contact exists: %v, want a retry", err)
	}
	create := &aftercall.CRMWrite{Connector: "crm", Create: &connectors.CreateContactRequest{Phone: "+442045205757", FirstName: "Caller"}}
	if err := w.Work(ctx, crmJob(4, "new", create)); err != nil {
		t.Fatal(err)
	}
	if err := w.Work(ctx, crmJob(3, "after", after)); err != nil {
		t.Fatal(err)
	}
	if got := crm.logs["call-1/after"].ContactID; got != "new-+442045205757" || len(learned) != 1 || learned[0] != "crm/new-+442045205757" {
		t.Errorf("log after create went to %q; learned %v", got, learned)
	}

	// The CRM down: retried; refusing the write: failed for good.
	crm.err = &connectors.Error{Class: connectors.ClassUnavailable, Op: "LogCall", Message: "down"}
	other := &aftercall.CRMWrite{Connector: "crm", Log: &connectors.LogCallRequest{Key: "call-1/other", ContactID: "C-1"}}
	if err := w.Work(ctx, crmJob(5, "other", other)); err == nil || errors.As(err, &cancel) {
		t.Errorf("CRM unavailable: %v, want a retry", err)
	}
	crm.err = &connectors.Error{Class: connectors.ClassBadConfig, Op: "LogCall", Message: "no such table"}
	if err := w.Work(ctx, crmJob(5, "other", other)); !errors.As(err, &cancel) {
		t.Errorf("CRM refusing the write: %v, want the step failed", err)
	}
	crm.err = nil

	// A connector no longer configured.
	gone := &aftercall.CRMWrite{Connector: "old", Log: &connectors.LogCallRequest{Key: "call-1/gone", ContactID: "C-1"}}
	if err := w.Work(ctx, crmJob(6, "gone", gone)); !errors.As(err, &cancel) || !strings.Contains(err.Error(), `connector "old" is not configured`) {
		t.Errorf("unknown connector: %v", err)
	}
}
