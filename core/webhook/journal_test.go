package webhook

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
)

// memJournal records events in memory, or fails.
type memJournal struct {
	mu     sync.Mutex
	bodies []string
	fail   error
}

func (j *memJournal) Record(_ context.Context, ev *Event, body []byte) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.fail != nil {
		return j.fail
	}
	j.bodies = append(j.bodies, ev.Name+" "+string(body))
	return nil
}

// TestJournalRecordsBeforeAnswering: with a journal, every accepted event
// is recorded (body as sent) before its 200; a duplicate is not recorded
// again; an event the journal cannot store is answered 503, counted, and
// not handled (Hipcall sees a failure, not a silent loss).
func TestJournalRecordsBeforeAnswering(t *testing.T) {
	j := &memJournal{}
	f := newFixture(t, func(o *Options) { o.Journal = j })
	body := callInit("c-1")
	if rec := f.post("/hipcall/webhook/"+testToken, body); rec.Code != http.StatusOK {
		t.Fatalf("first: %d %s", rec.Code, rec.Body)
	}
	if rec := f.post("/hipcall/webhook/"+testToken, body); rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), OutcomeDuplicate) {
		t.Fatalf("duplicate: %d %s", rec.Code, rec.Body)
	}
	if rec := f.post("/hipcall/webhook/"+testToken, `{"event":"contact_create","data":{"id":7}}`); rec.Code != http.StatusOK {
		t.Fatalf("other event: %d %s", rec.Code, rec.Body)
	}
	j.mu.Lock()
	got := append([]string(nil), j.bodies...)
	j.mu.Unlock()
	if len(got) != 2 || got[0] != "call_init "+body || !strings.HasPrefix(got[1], "contact_create ") {
		t.Fatalf("recorded %q, want the call_init body once and the contact_create", got)
	}

	j.fail = errors.New("disk full")
	rec := f.post("/hipcall/webhook/"+testToken, callInit("c-2"))
	if rec.Code != http.StatusServiceUnavailable {
		t.Fatalf("unrecordable event answered %d %s, want 503", rec.Code, rec.Body)
	}
	if n := value(f.p.metrics.notRecorded); n != 1 {
		t.Errorf("not-recorded counter %v, want 1", n)
	}
	if !strings.Contains(f.logs.String(), "could not be stored in the journal") || !strings.Contains(f.logs.String(), "disk full") {
		t.Errorf("log does not say why:\n%s", f.logs)
	}
	if f.p.dedup.Has(dedupKey(CallInit, "c-2")) {
		t.Error("an event that was refused is marked seen: Hipcall's next attempt would be dropped as a duplicate")
	}
}

// TestDuplicateKeysRefused: a body holding a key twice (compared
// case-insensitively) is answered 400 saying it is ambiguous, logged as
// refused with reason=duplicate_key like a body that is not JSON, and
// neither journaled, counted as an event, nor handled.
func TestDuplicateKeysRefused(t *testing.T) {
	j := &memJournal{}
	f := newFixture(t, func(o *Options) { o.Journal = j })
	target := "/hipcall/webhook/" + testToken
	for _, body := range []string{
		`{"event":"call_init","data":{"uuid":"a","UUID":"b","direction":"inbound","caller_number":"1"}}`,
		`{"event":"call_init","Event":"call_hangup","data":{"uuid":"a"}}`,
		`{"event":"call_init","data":{"uuid":"a","uuid":"a"}}`,
	} {
		rec := f.post(target, body)
		if rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), "ambiguous") {
			t.Errorf("%s: %d %s, want 400 saying the body is ambiguous", body, rec.Code, rec.Body)
		}
	}
	if n := strings.Count(f.logs.String(), "webhook refused: status=400 reason=duplicate_key"); n != 3 {
		t.Errorf("%d refusals logged with reason=duplicate_key, want 3:\n%s", n, f.logs)
	}
	if len(j.bodies) != 0 || f.h.count() != 0 {
		t.Errorf("journaled %q, handled %d: want nothing", j.bodies, f.h.count())
	}
	for _, name := range append(slices.Clone(KnownEvents), "unknown") {
		if got := value(f.p.metrics.events.WithLabelValues(name)); got != 0 {
			t.Errorf("events{event=%s} = %v, want 0", name, got)
		}
	}
}
