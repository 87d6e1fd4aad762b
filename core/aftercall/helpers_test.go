package aftercall

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	yaml "go.yaml.in/yaml/v3"

	"github.com/switchboard-hq/switchboard/connectors"
	"github.com/switchboard-hq/switchboard/connectors/phone"
	"github.com/switchboard-hq/switchboard/core/directory"
	"github.com/switchboard-hq/switchboard/core/webhook"
)

// planTime is the fixed clock of the tests: five minutes after the
// sample calls ended.
var planTime = time.Date(2026, 9, 27, 14, 35, 0, 0, time.UTC)

// fixedClock returns a clock that always answers t.
func fixedClock(t time.Time) func() time.Time { return func() time.Time { return t } }

// parseCall parses a call_hangup body's data object.
func parseCall(t *testing.T, data string) *webhook.Call {
	t.Helper()
	ev, err := webhook.Parse([]byte(`{"event":"call_hangup","data":` + data + `}`))
	if err != nil || ev.Call == nil {
		t.Fatalf("parse call %s: %v", data, err)
	}
	return ev.Call
}

// customerNumber is the customer's number the tests look up.
func customerNumber(t *testing.T, raw string) phone.Number {
	t.Helper()
	p, err := phone.NewParser("GB")
	if err != nil {
		t.Fatal(err)
	}
	n, err := p.ParseCaller(raw)
	if err != nil {
		t.Fatalf("number %q: %v", raw, err)
	}
	return n
}

// found is a lookup that found one contact owned by owner.
func found(t *testing.T, raw, owner string) directory.Result {
	t.Helper()
	n := customerNumber(t, raw)
	p := connectors.Phone{Raw: n.E164, E164: n.E164}
	m := connectors.Match{Kind: connectors.MatchExact, Phone: p, Contact: &connectors.Contact{
		ID: "C-1", FirstName: "Ada", LastName: "Lovelace", CompanyName: "Analytical Engines Ltd", CompanyID: "K-1",
		OwnerID: owner, Emails: []string{"ada@example.com"}, Phones: []connectors.Phone{p},
		Fields: map[string]any{"balance": "1500"}}}
	return directory.Result{Query: n, Found: true, Match: &m, Matches: []connectors.Match{m}, Source: "crm", Via: directory.ViaIndex}
}

// notFound is a lookup that found nobody.
func notFound(t *testing.T, raw string) directory.Result {
	t.Helper()
	return directory.Result{Query: customerNumber(t, raw), Via: directory.ViaNone}
}

// ambiguousResult is a lookup that found two contacts, both owned by owner.
func ambiguousResult(t *testing.T, raw, owner string) directory.Result {
	t.Helper()
	res := found(t, raw, owner)
	other := *res.Match
	c := *other.Contact
	c.ID = "C-2"
	other.Contact = &c
	res.Found, res.Ambiguous, res.Matches, res.Match = false, true, []connectors.Match{*res.Match, other}, nil
	return res
}

// decodeConfig decodes a hipcall.after_call section strictly.
func decodeConfig(t *testing.T, src string) Config {
	t.Helper()
	cfg := DefaultConfig()
	dec := yaml.NewDecoder(strings.NewReader(src))
	dec.KnownFields(true)
	if err := dec.Decode(&cfg); err != nil {
		t.Fatalf("decode config: %v\n%s", err, src)
	}
	return cfg
}

// mustNew builds Actions from YAML with the test clock.
func mustNew(t *testing.T, src string, opts Options) *Actions {
	t.Helper()
	if opts.Now == nil {
		opts.Now = fixedClock(planTime)
	}
	if opts.Location == nil {
		opts.Location = time.UTC
	}
	a, err := New(decodeConfig(t, src), opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return a
}

// statusErr is an API error with an HTTP status, as an API
// implementation returns it.
type statusErr struct {
	status int
}

func (e statusErr) Error() string   { return fmt.Sprintf("HTTP %d", e.status) }
func (e statusErr) HTTPStatus() int { return e.status }

// fakeAPI records what Run asks of it. Err, when set, is returned by
// every method; Bodies maps a link to what Fetch writes, and FetchErr a
// link to the error Fetch returns after writing half of its body.
type fakeAPI struct {
	mu       sync.Mutex
	Err      error
	Bodies   map[string][]byte
	FetchErr map[string]error
	Calls    []string
	Fetches  int
	Tasks    []Task
}

func (f *fakeAPI) record(format string, args ...any) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.Calls = append(f.Calls, fmt.Sprintf(format, args...))
	return f.Err
}

func (f *fakeAPI) AddComment(_ context.Context, uuid, content string) (string, error) {
	if err := f.record("comment %s %q", uuid, content); err != nil {
		return "", err
	}
	return "cm-1", nil
}

func (f *fakeAPI) AddTag(_ context.Context, uuid string, tagID int64) error {
	return f.record("tag %s %d", uuid, tagID)
}

func (f *fakeAPI) SetDisposition(_ context.Context, uuid, code string) error {
	return f.record("disposition %s %s", uuid, code)
}

func (f *fakeAPI) CreateTask(_ context.Context, task Task) (string, error) {
	if err := f.record("task %s", task.Name); err != nil {
		return "", err
	}
	f.mu.Lock()
	f.Tasks = append(f.Tasks, task)
	f.mu.Unlock()
	return "t-9", nil
}

func (f *fakeAPI) Fetch(_ context.Context, url string, w io.Writer) error {
	if err := f.record("fetch %s", url); err != nil {
		return err
	}
	f.mu.Lock()
	f.Fetches++
	body, ok := f.Bodies[url]
	ferr := f.FetchErr[url]
	f.mu.Unlock()
	if ferr != nil {
		_, _ = w.Write(body[:len(body)/2])
		return ferr
	}
	if !ok {
		return statusErr{404}
	}
	_, err := io.Copy(w, bytes.NewReader(body))
	return err
}
