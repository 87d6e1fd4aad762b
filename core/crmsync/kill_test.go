package crmsync_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	stdsync "sync"
	"sync/atomic"
	"testing"

	"github.com/switchboard-hq/switchboard/connectors"
	"github.com/switchboard-hq/switchboard/core/crmsync"
	"github.com/switchboard-hq/switchboard/core/store"
)

// killer simulates a SIGKILL at a write boundary: the at-th write request
// (POST, PATCH, DELETE) that reaches Hipcall is applied (applied true: the
// process died after Hipcall did it, before the answer was read) or not
// (false: died just before sending it). From then on no request reaches
// Hipcall (connections are dropped) and no state write reaches the store.
// Only the lease is left alone: a dead process's lease would otherwise
// hold up the next run for its TTL, which is not what is tested here.
type killer struct {
	at      int
	applied bool
	mu      stdsync.Mutex
	writes  int
	dead    atomic.Bool
}

func (k *killer) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if k.dead.Load() {
			drop(w)
			return
		}
		if r.Method != http.MethodGet {
			k.mu.Lock()
			k.writes++
			hit := k.at > 0 && k.writes == k.at
			if hit {
				k.dead.Store(true)
			}
			k.mu.Unlock()
			if hit {
				if k.applied {
					h.ServeHTTP(httptest.NewRecorder(), r)
				}
				drop(w)
				return
			}
		}
		h.ServeHTTP(w, r)
	})
}

func drop(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic(err)
	}
	conn.Close()
}

// killStore refuses every state write once the killer fired.
type killStore struct {
	store.Store
	k *killer
}

var errKilled = errors.New("killed")

func (s *killStore) Put(ctx context.Context, r store.Record) error {
	if s.k.dead.Load() {
		return errKilled
	}
	return s.Store.Put(ctx, r)
}

func (s *killStore) UpdateRun(ctx context.Context, r store.Run) error {
	if s.k.dead.Load() {
		return errKilled
	}
	return s.Store.UpdateRun(ctx, r)
}

// killCRM versions: v1, v2 (phones replaced, removed, added; e-mails and
// scalars changed; a record added) and v3, which flips some of v2's
// changes back to v1 (the number deleted in Hipcall just before a kill is
// wanted again).
func killCRM(version int) *crm {
	c := &crm{}
	for i := range 2 {
		c.companies = append(c.companies, connectors.Company{ID: fmt.Sprintf("CO-%d", i+1), Name: fmt.Sprintf("Company %d", i+1),
			Phones: []connectors.Phone{{Raw: fmt.Sprintf("020 7946 000%d", i)}}})
	}
	for i := range 3 {
		c.contacts = append(c.contacts, connectors.Contact{
			ID: fmt.Sprintf("C%d", i+1), FirstName: fmt.Sprintf("First%d", i+1), LastName: "Last", CompanyID: fmt.Sprintf("CO-%d", i%2+1),
			JobTitle: "Engineer",
			Phones:   []connectors.Phone{{Raw: fmt.Sprintf("07911 1900%d1", i)}, {Raw: fmt.Sprintf("07911 1900%d2", i)}},
			Emails:   []string{fmt.Sprintf("c%d@example.com", i+1)},
		})
	}
	if version == 1 {
		return c
	}
	c.companies[0].Name = "Company 1 renamed"
	c.contacts[0].Phones[0] = connectors.Phone{Raw: "07911 190091"} // main number replaced
	c.contacts[1].Phones = c.contacts[1].Phones[:1]                 // second number dropped
	c.contacts[1].Emails = []string{"c2@new.example"}
	c.contacts[1].JobTitle = "Boss"
	c.contacts[2].Phones = append(c.contacts[2].Phones, connectors.Phone{Raw: "07911 190093"})
	c.contacts = append(c.contacts, connectors.Contact{ID: "C4", FirstName: "First4", Phones: []connectors.Phone{{Raw: "07911 190041"}}})
	if version == 2 {
		return c
	}
	// v3: C1's and C2's phones flip back to v1; C3 gains another number
	// instead.
	v1 := killCRM(1)
	c.companies[0].Name = v1.companies[0].Name
	c.contacts[0].Phones = v1.contacts[0].Phones
	c.contacts[1].Phones = v1.contacts[1].Phones
	c.contacts[2].Phones = append(v1.contacts[2].Phones, connectors.Phone{Raw: "07911 190094"})
	return c
}

// checkExact checks that Hipcall holds exactly the CRM's records: one per
// external id, with its name, job title, e-mails, and phones (the main
// number first).
func (e *testEnv) checkExact(label string) {
	e.t.Helper()
	e.checkMirror()
	byExt := map[string]int64{}
	for _, co := range e.fake.Companies() {
		byExt[*co.ExternalID] = co.ID
	}
	for _, want := range e.crm.companies {
		got, _ := e.fake.Company(byExt[want.ID])
		if got.Name != want.Name {
			e.t.Errorf("%s: company %s name %q, want %q", label, want.ID, got.Name, want.Name)
		}
	}
	for _, want := range e.crm.contacts {
		got, ok := contactByExt(e.fake, want.ID)
		if !ok {
			continue // checkMirror said so
		}
		var wantPhones []string
		for _, p := range want.Phones {
			n, err := e.parser.Parse(p.Raw)
			if err != nil {
				e.t.Fatal(err)
			}
			wantPhones = append(wantPhones, n.E164)
		}
		gotPhones := numbers(got.Phones)
		sortedGot, sortedWant := slices.Sorted(slices.Values(gotPhones)), slices.Sorted(slices.Values(wantPhones))
		if !slices.Equal(sortedGot, sortedWant) || (len(gotPhones) > 0 && gotPhones[0] != wantPhones[0]) {
			e.t.Errorf("%s: contact %s phones %v, want %v (main first)", label, want.ID, gotPhones, wantPhones)
		}
		var gotEmails []string
		for _, m := range got.Emails {
			gotEmails = append(gotEmails, m.Email)
		}
		if fmt.Sprint(slices.Sorted(slices.Values(gotEmails))) != fmt.Sprint(slices.Sorted(slices.Values(want.Emails))) {
			e.t.Errorf("%s: contact %s emails %v, want %v", label, want.ID, gotEmails, want.Emails)
		}
		if got.JobTitle != want.JobTitle {
			e.t.Errorf("%s: contact %s job title %q, want %q", label, want.ID, got.JobTitle, want.JobTitle)
		}
	}
}

// TestKilledAtEveryWrite kills the sync at every write boundary, both
// just before a write and just after Hipcall applied it (answer never
// read, state never written), in the first sync and in a sync of changes;
// the CRM changes before the next run, some values flipping back to an
// earlier version. The next run must repair what the killed one left, and
// the run after it must find nothing to do.
func TestKilledAtEveryWrite(t *testing.T) {
	type stage struct {
		name           string
		setup          int // CRM version synced cleanly before the killed run (0: none)
		killed, resume int // CRM versions of the killed run and of the next
	}
	stages := []stage{
		{"first sync", 0, 1, 2},
		{"changes", 1, 2, 3},
	}
	for _, st := range stages {
		// Count the writes of the killed run when nothing kills it.
		count := func() int {
			k := &killer{}
			env := newEnv(t, killCRM(max(st.setup, 1)), envOptions{wrap: k.wrap})
			eng := env.engine(func(o *crmsync.Options) { o.Concurrency = 1 })
			if st.setup > 0 {
				env.run(eng, crmsync.RunOptions{})
			}
			env.crm.companies, env.crm.contacts = killCRM(st.killed).companies, killCRM(st.killed).contacts
			_, counts := env.run(eng, crmsync.RunOptions{})
			return writes(counts)
		}
		n := count()
		t.Logf("%s: %d write boundaries", st.name, n)
		if n < 5 {
			t.Fatalf("%s: only %d writes", st.name, n)
		}
		for at := 1; at <= n; at++ {
			for _, applied := range []bool{false, true} {
				label := fmt.Sprintf("%s, killed at write %d/%d (applied %v)", st.name, at, n, applied)
				k := &killer{}
				env := newEnv(t, killCRM(max(st.setup, 1)), envOptions{wrap: k.wrap})
				ks := &killStore{Store: env.store, k: k}
				eng := env.engine(func(o *crmsync.Options) { o.Concurrency = 1; o.Store = ks })
				if st.setup > 0 {
					env.run(eng, crmsync.RunOptions{})
				}
				v := killCRM(st.killed)
				env.crm.companies, env.crm.contacts = v.companies, v.contacts
				k.mu.Lock()
				k.at, k.applied, k.writes = at, applied, 0
				k.mu.Unlock()
				_, _ = eng.Run(context.Background(), crmsync.RunOptions{})
				if !k.dead.Load() {
					t.Fatalf("%s: the kill never fired", label)
				}
				// Restart: a new process (engine), the CRM changed again.
				k.dead.Store(false)
				k.mu.Lock()
				k.at = 0
				k.mu.Unlock()
				v = killCRM(st.resume)
				env.crm.companies, env.crm.contacts = v.companies, v.contacts
				eng = env.engine(func(o *crmsync.Options) { o.Concurrency = 1 })
				sum, _ := env.run(eng, crmsync.RunOptions{})
				if sum.Failed() != 0 {
					t.Errorf("%s: resumed run failed: %+v", label, sum.Problems)
				}
				env.checkExact(label)
				sum, counts := env.run(eng, crmsync.RunOptions{})
				if len(counts) != 0 || sum.Failed() != 0 {
					t.Errorf("%s: the run after the resumed one made requests %v", label, counts)
				}
				if t.Failed() {
					t.Logf("%s: logs:\n%s", label, lastLines(env.logText(), 40))
					return
				}
			}
		}
	}
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}
