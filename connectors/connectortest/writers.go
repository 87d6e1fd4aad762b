package connectortest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/switchboard-hq/switchboard/connectors"
)

// Numbers the write checks create contacts for: the dataset holds none of
// them.
const (
	newPhone           = "+447700900501" // created, then asked again
	newPhoneConcurrent = "+447700900502" // created by several calls at once
	newPhoneNotMade    = "+447700900503" // asked with a dead context, or of a connector that does not create
	newPhoneStalled    = "+447700900504" // asked of a stalled backend
)

// concurrentWrites is how many calls the concurrency checks of the writes
// make at once, with one key or one number.
const concurrentWrites = 8

// testWrites checks the writes the connector declares once configured (the
// answer the host checks its actions against), and that it refuses those
// it does not declare. It runs last: it adds logs and contacts to the
// standard backend.
func (r *runner) testWrites(t *testing.T) {
	r.configured = r.describe(t, r.conn.host)
	for _, cp := range r.configured.Capabilities {
		if !knownCaps[cp] {
			t.Errorf("Describe after Configure: unknown capability %q", cp)
		}
	}
	var (
		logged  *connectors.LogCallResponse // the first log, of logKey
		created *connectors.Contact         // the contact made for newPhone
	)
	if r.configured.Has(connectors.CapLogCall) {
		t.Run("log_call", func(t *testing.T) { logged = r.testLogCall(t) })
	} else {
		t.Run("log_call_undeclared", r.testLogCallUndeclared)
	}
	if r.configured.Has(connectors.CapCreateContact) {
		t.Run("create_contact", func(t *testing.T) { created = r.testCreateContact(t) })
	} else {
		t.Run("create_contact_undeclared", r.testCreateContactUndeclared)
	}
	if logged != nil || created != nil {
		t.Run("restart", func(t *testing.T) { r.testWriteRestart(t, logged, created) })
	}
}

// logKey is the key of the first log.
const logKey = "conformance-1/crm-log"

// logRequest is an answered inbound call from Ada (contact 1001 of
// company 2001), to be logged under key.
func logRequest(key string) *connectors.LogCallRequest {
	start := time.Date(2024, 3, 4, 10, 0, 0, 0, time.UTC)
	return &connectors.LogCallRequest{
		Key: key, ContactID: "1001", CompanyID: "2001",
		Call: connectors.CallRecord{
			ID: "conformance-call", Direction: connectors.CallInbound, From: AdaPhone, To: "+442045200000",
			StartedAt: start, AnsweredAt: start.Add(7 * time.Second), EndedAt: start.Add(102 * time.Second),
			TalkSeconds: 95, Outcome: connectors.CallAnswered, AgentID: "17", AgentName: "Agent Seventeen", OwnerID: "17",
			Title: "Inbound call", Body: "Call conformance-call · talked 95 s · logged by the conformance suite",
		},
	}
}

// createRequest asks for a contact for the number.
func createRequest(e164 string) *connectors.CreateContactRequest {
	return &connectors.CreateContactRequest{
		Phone: e164, FirstName: "New", LastName: "Caller", Key: "conformance-call/create-contact",
	}
}

// checkLogs checks, when the suite can count the backend's logs
// (Suite.CountLogs), that it holds want logs of the key.
func (r *runner) checkLogs(t testing.TB, key string, want int, why string) {
	t.Helper()
	if r.s.CountLogs == nil {
		return
	}
	if got := r.s.CountLogs(t, r.config, key); got != want {
		t.Errorf("the backend holds %d logs of key %q; want %d (%s)", got, key, want, why)
	}
}

// testLogCall checks LogCall and returns the first log (nil if it
// failed).
func (r *runner) testLogCall(t *testing.T) (first *connectors.LogCallResponse) {
	if _, ok := r.conn.inflight.impl.(connectors.CallLogger); !ok {
		t.Fatalf("Describe declares %q, but the connector (%T) does not implement connectors.CallLogger: "+
			"the host would be refused every log; implement LogCall or do not declare it", connectors.CapLogCall, r.conn.inflight.impl)
	}
	w := r.conn.host.(connectors.CallLogger) // the wire's client has every write

	t.Run("idempotent", func(t *testing.T) {
		const key = logKey
		resp, err := w.LogCall(r.ctx(t), logRequest(key))
		if err != nil {
			t.Fatalf("LogCall of a new key against contact 1001: %v", err)
		}
		if resp.ID == "" {
			t.Fatal("LogCall: empty ID; answer the CRM's ID of the log")
		}
		if resp.Existing {
			t.Errorf("LogCall of a key never logged: Existing; want false (Existing says nothing was written)")
		}
		first = resp
		again, err := w.LogCall(r.ctx(t), logRequest(key))
		switch {
		case err != nil:
			t.Errorf("LogCall again with the same key (the host's retry): %v", err)
		case again.ID != resp.ID || !again.Existing:
			t.Errorf("LogCall again with the same key (the host's retry): ID %q, Existing %v; want ID %q, Existing true: "+
				"a retry must not log the call twice", again.ID, again.Existing, resp.ID)
		}
		r.checkLogs(t, key, 1, "a retry must not log the call twice")
	})

	t.Run("concurrent", func(t *testing.T) {
		const key = "conformance-2/crm-log"
		answers, errs := atOnce(concurrentWrites, func(ctx context.Context) (*connectors.LogCallResponse, error) {
			return w.LogCall(ctx, logRequest(key))
		}, r.s.CallTimeout)
		var ids []string
		var existing []bool
		for _, a := range answers {
			ids, existing = append(ids, a.ID), append(existing, a.Existing)
		}
		checkOnce(t, fmt.Sprintf("%d LogCalls of one key at once", concurrentWrites), ids, existing, errs)
		r.checkLogs(t, key, 1, fmt.Sprintf("%d LogCalls of one key at once must log it once", concurrentWrites))
	})

	t.Run("invalid", func(t *testing.T) {
		req := logRequest("conformance-3/crm-log")
		req.ContactID, req.CompanyID = "", ""
		if _, err := w.LogCall(r.ctx(t), req); connectors.ClassOf(err) != connectors.ClassInvalidRequest {
			t.Errorf("LogCall with neither a contact nor a company: error %v; want ClassInvalidRequest", err)
		}
		r.checkLogs(t, req.Key, 0, "a refused LogCall must write nothing")
		req = logRequest("")
		if _, err := w.LogCall(r.ctx(t), req); connectors.ClassOf(err) != connectors.ClassInvalidRequest {
			t.Errorf("LogCall without a key: error %v; want ClassInvalidRequest (nothing can be logged idempotently without one)", err)
		}
	})

	t.Run("deadlines", func(t *testing.T) {
		const key = "conformance-4/crm-log"
		r.deadWrites(t, "LogCall", func(ctx context.Context) error {
			_, err := w.LogCall(ctx, logRequest(key))
			return err
		})
		r.checkLogs(t, key, 0, "a LogCall whose caller had given up must write nothing")
	})

	if r.s.Stall != nil {
		t.Run("stalled_backend", func(t *testing.T) {
			const key = "conformance-5/crm-log"
			r.stalledWrite(t, "LogCall", func(ctx context.Context) (string, bool, error) {
				resp, err := w.LogCall(ctx, logRequest(key))
				if err != nil {
					return "", false, err
				}
				return resp.ID, resp.Existing, nil
			})
			r.checkLogs(t, key, 1, "a LogCall that timed out and its retry must log the call once")
		})
	}

	return first
}

func (r *runner) testLogCallUndeclared(t *testing.T) {
	const key = "conformance-undeclared/crm-log"
	_, err := r.conn.host.(connectors.CallLogger).LogCall(r.ctx(t), logRequest(key))
	if connectors.ClassOf(err) != connectors.ClassUnsupported {
		t.Errorf("LogCall of a connector that does not declare %q: error %v; want ClassUnsupported "+
			"(do not implement connectors.CallLogger, or answer connectors.Unsupported while the writes are off)",
			connectors.CapLogCall, err)
	}
	r.checkLogs(t, key, 0, "a connector that does not declare log_call must write nothing")
}

// testCreateContact checks CreateContact and returns the contact made
// for newPhone (nil if that failed).
func (r *runner) testCreateContact(t *testing.T) (created *connectors.Contact) {
	if _, ok := r.conn.inflight.impl.(connectors.ContactCreator); !ok {
		t.Fatalf("Describe declares %q, but the connector (%T) does not implement connectors.ContactCreator: "+
			"the host would be refused every contact; implement CreateContact or do not declare it", connectors.CapCreateContact, r.conn.inflight.impl)
	}
	w := r.conn.host.(connectors.ContactCreator)

	t.Run("new_number", func(t *testing.T) {
		req := createRequest(newPhone)
		resp, err := w.CreateContact(r.ctx(t), req)
		if err != nil {
			t.Fatalf("CreateContact(%s), a number no contact has: %v", newPhone, err)
		}
		ct := &resp.Contact
		switch {
		case ct.ID == "":
			t.Fatalf("CreateContact(%s): a contact without an ID; answer it as lookups will return it", newPhone)
		case resp.Existing:
			t.Errorf("CreateContact(%s), a number no contact has: Existing; want false (Existing says nothing was created)", newPhone)
		}
		if !r.holds(ct, newPhone) {
			t.Errorf("CreateContact(%s): contact %s with phones %+v; want the number among them", newPhone, ct.ID, ct.Phones)
		}
		if ct.FirstName != req.FirstName || ct.LastName != req.LastName {
			t.Errorf("CreateContact(%s): contact named %q %q; want %q %q", newPhone, ct.FirstName, ct.LastName, req.FirstName, req.LastName)
		}
		created = ct
		r.checkHolders(t, r.conn.host, newPhone, []string{ct.ID}, "a contact just created")

		again, err := w.CreateContact(r.ctx(t), req)
		switch {
		case err != nil:
			t.Errorf("CreateContact again with the same number (the host's retry): %v", err)
		case again.Contact.ID != ct.ID || !again.Existing:
			t.Errorf("CreateContact again with the same number (the host's retry): contact %q, Existing %v; want %q, Existing true: "+
				"a retry must not create the contact twice", again.Contact.ID, again.Existing, ct.ID)
		}
		r.checkHolders(t, r.conn.host, newPhone, []string{ct.ID}, "a retry must not create the contact twice")
	})

	t.Run("existing_number", func(t *testing.T) {
		resp, err := w.CreateContact(r.ctx(t), createRequest(AdaPhone))
		switch {
		case err != nil:
			t.Errorf("CreateContact(%s), contact 1001's number: %v", AdaPhone, err)
		case resp.Contact.ID != "1001" || !resp.Existing:
			t.Errorf("CreateContact(%s), contact 1001's number: contact %q, Existing %v; want 1001, Existing true: "+
				"a number some contact has (found as LookupByPhone finds it) creates nothing", AdaPhone, resp.Contact.ID, resp.Existing)
		}
		r.checkHolders(t, r.conn.host, AdaPhone, []string{"1001"}, "CreateContact of a number contact 1001 has must create nothing")
	})

	t.Run("concurrent", func(t *testing.T) {
		answers, errs := atOnce(concurrentWrites, func(ctx context.Context) (*connectors.CreateContactResponse, error) {
			return w.CreateContact(ctx, createRequest(newPhoneConcurrent))
		}, r.s.CallTimeout)
		var ids []string
		var existing []bool
		for _, a := range answers {
			ids, existing = append(ids, a.Contact.ID), append(existing, a.Existing)
		}
		checkOnce(t, fmt.Sprintf("%d CreateContacts of one number at once", concurrentWrites), ids, existing, errs)
		if len(ids) > 0 {
			r.checkHolders(t, r.conn.host, newPhoneConcurrent, ids[:1],
				fmt.Sprintf("%d CreateContacts of one number at once must create one contact", concurrentWrites))
		}
	})

	t.Run("invalid", func(t *testing.T) {
		if _, err := w.CreateContact(r.ctx(t), createRequest("")); connectors.ClassOf(err) != connectors.ClassInvalidRequest {
			t.Errorf("CreateContact without a number: error %v; want ClassInvalidRequest", err)
		}
	})

	t.Run("deadlines", func(t *testing.T) {
		r.deadWrites(t, "CreateContact", func(ctx context.Context) error {
			_, err := w.CreateContact(ctx, createRequest(newPhoneNotMade))
			return err
		})
		r.checkHolders(t, r.conn.host, newPhoneNotMade, nil, "a CreateContact whose caller had given up must create nothing")
	})

	if r.s.Stall != nil {
		t.Run("stalled_backend", func(t *testing.T) {
			id := r.stalledWrite(t, "CreateContact", func(ctx context.Context) (string, bool, error) {
				resp, err := w.CreateContact(ctx, createRequest(newPhoneStalled))
				if err != nil {
					return "", false, err
				}
				return resp.Contact.ID, resp.Existing, nil
			})
			if id != "" {
				r.checkHolders(t, r.conn.host, newPhoneStalled, []string{id}, "a CreateContact that timed out and its retry must create one contact")
			}
		})
	}

	return created
}

// testWriteRestart asks a new connector on the same backend (a restarted
// plugin) for the first log's key and the created contact's number: it
// must know both. It runs after every other write check, so that Stall
// still reaches the connector those used.
func (r *runner) testWriteRestart(t *testing.T, logged *connectors.LogCallResponse, created *connectors.Contact) {
	c := r.serve(t)
	if !r.configure(t, c.host, r.config) {
		t.Fatal("the fixture's block was rejected by a fresh connector")
	}
	if logged != nil {
		resp, err := c.host.(connectors.CallLogger).LogCall(r.ctx(t), logRequest(logKey))
		switch {
		case err != nil:
			t.Errorf("LogCall of a logged key by a restarted connector: %v", err)
		case resp.ID != logged.ID || !resp.Existing:
			t.Errorf("LogCall of a logged key by a restarted connector: ID %q, Existing %v; want ID %q, Existing true: "+
				"keep the key with the log in the CRM, not in the connector's memory", resp.ID, resp.Existing, logged.ID)
		}
		r.checkLogs(t, logKey, 1, "a restarted connector must recognise the key")
	}
	if created != nil {
		resp, err := c.host.(connectors.ContactCreator).CreateContact(r.ctx(t), createRequest(newPhone))
		switch {
		case err != nil:
			t.Errorf("CreateContact of a created contact's number by a restarted connector: %v", err)
		case resp.Contact.ID != created.ID || !resp.Existing:
			t.Errorf("CreateContact of a created contact's number by a restarted connector: contact %q, Existing %v; want %q, Existing true",
				resp.Contact.ID, resp.Existing, created.ID)
		}
		r.checkHolders(t, c.host, newPhone, []string{created.ID}, "a restarted connector must find the contact it created")
	}
}

func (r *runner) testCreateContactUndeclared(t *testing.T) {
	_, err := r.conn.host.(connectors.ContactCreator).CreateContact(r.ctx(t), createRequest(newPhoneNotMade))
	if connectors.ClassOf(err) != connectors.ClassUnsupported {
		t.Errorf("CreateContact of a connector that does not declare %q: error %v; want ClassUnsupported "+
			"(do not implement connectors.ContactCreator, or answer connectors.Unsupported while the writes are off)",
			connectors.CapCreateContact, err)
	}
	r.checkHolders(t, r.conn.host, newPhoneNotMade, nil, "a connector that does not declare create_contact must create nothing")
}

// deadWrites checks that a write with a canceled context, and one past
// its deadline, fail with the context's error.
func (r *runner) deadWrites(t *testing.T, op string, do func(ctx context.Context) error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := do(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("%s with a canceled context: error %v; want context.Canceled", op, err)
	}
	ctx, cancel = context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer cancel()
	if err := do(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("%s past its deadline: error %v; want context.DeadlineExceeded", op, err)
	}
}

// stalledWrite makes a write on a stalled backend under a short deadline,
// the way the host loses an answer: the connector must give up soon after
// the deadline (or answer, if the backend stalls no write), and the
// host's retry once the backend recovers must answer the write, once. It
// returns the ID the retry answered ("" on failure).
func (r *runner) stalledWrite(t *testing.T, op string, do func(ctx context.Context) (id string, existing bool, err error)) string {
	t.Helper()
	release := r.s.Stall(t, r.config)
	var once sync.Once
	defer once.Do(release)
	const deadline = 300 * time.Millisecond
	ctx, cancel := context.WithTimeout(context.Background(), deadline)
	start := time.Now()
	firstID, _, err := do(ctx)
	cancel()
	if err != nil && !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("%s on a stalled backend: error %v; want an answer or context.DeadlineExceeded", op, err)
	}
	if !r.waitIdle(start.Add(deadline + grace)) {
		t.Fatalf("%s on a stalled backend: the connector was still running the call %v after the caller gave up; "+
			"pass the request's context to every backend call", op, grace)
	}
	once.Do(release)
	id, existing, err := do(r.ctx(t))
	switch {
	case err != nil:
		t.Errorf("%s again once the backend recovered (the host's retry): %v", op, err)
		return ""
	case firstID != "" && (id != firstID || !existing):
		t.Errorf("%s again once the backend recovered: ID %q, Existing %v; want %q, the first answer's, Existing true",
			op, id, existing, firstID)
	}
	return id
}

// atOnce makes n calls at once (released together, each bounded by
// timeout) and returns their answers and errors.
func atOnce[T any](n int, call func(ctx context.Context) (*T, error), timeout time.Duration) ([]*T, []error) {
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		answers []*T
		errs    []error
		start   = make(chan struct{})
	)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx, cancel := context.WithTimeout(context.Background(), timeout)
			defer cancel()
			<-start
			a, err := call(ctx)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, err)
			} else {
				answers = append(answers, a)
			}
		}()
	}
	close(start)
	wg.Wait()
	return answers, errs
}

// checkOnce checks the answers of concurrent writes of one key or number:
// no error, one ID, and exactly one write (Existing false).
func checkOnce(t *testing.T, what string, ids []string, existing []bool, errs []error) {
	t.Helper()
	for _, err := range errs {
		t.Errorf("%s: %v", what, err)
	}
	if len(ids) == 0 {
		return
	}
	if distinct := slices.Compact(slices.Sorted(slices.Values(ids))); len(distinct) > 1 {
		t.Errorf("%s: IDs %v; want one: serialise the writes of a key (a lock per key, a unique constraint)", what, distinct)
	}
	wrote := 0
	for _, e := range existing {
		if !e {
			wrote++
		}
	}
	if wrote != 1 {
		t.Errorf("%s: %d answers with Existing false; want exactly 1 (the one that wrote; the others found it)", what, wrote)
	}
}

// holds reports whether the contact has the number (E.164), as the
// connector normalised it or as the suite reads its raw form.
func (r *runner) holds(ct *connectors.Contact, e164 string) bool {
	for _, p := range ct.Phones {
		if p.E164 == e164 {
			return true
		}
		if n, err := r.parser.Parse(p.Raw); err == nil && n.E164 == e164 {
			return true
		}
	}
	return false
}

// checkHolders checks that the contacts holding the number are exactly
// want, as LookupByPhone finds them (with CapLookup) and as ListContacts
// lists them (with CapListContacts).
func (r *runner) checkHolders(t *testing.T, c connectors.Connector, e164 string, want []string, why string) {
	t.Helper()
	want = slices.Sorted(slices.Values(want))
	if r.configured.Has(connectors.CapLookup) {
		resp, err := c.LookupByPhone(r.ctx(t), r.request(e164, 10))
		if err != nil {
			t.Errorf("LookupByPhone(%s): %v", e164, err)
		} else {
			var got []string
			for _, m := range resp.Matches {
				if m.Contact != nil {
					got = append(got, m.Contact.ID)
				}
			}
			slices.Sort(got)
			if !slices.Equal(got, want) {
				t.Errorf("LookupByPhone(%s): contacts %v; want %v (%s)", e164, got, want, why)
			}
		}
	}
	if r.configured.Has(connectors.CapListContacts) {
		var got []string
		for cursor, pages := "", 0; ; pages++ {
			if pages > 10000 {
				t.Errorf("ListContacts: still paging after %d pages", pages)
				return
			}
			resp, err := c.ListContacts(r.ctx(t), &connectors.ListRequest{Cursor: cursor, PageSize: 100})
			if err != nil {
				t.Errorf("ListContacts: %v", err)
				return
			}
			for i := range resp.Contacts {
				if r.holds(&resp.Contacts[i], e164) {
					got = append(got, resp.Contacts[i].ID)
				}
			}
			if cursor = resp.NextCursor; cursor == "" {
				break
			}
		}
		slices.Sort(got)
		if !slices.Equal(got, want) {
			t.Errorf("ListContacts: contacts with %s %v; want %v (%s)", e164, got, want, why)
		}
	}
}
