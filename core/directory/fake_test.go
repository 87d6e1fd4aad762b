package directory

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/switchboard-hq/switchboard/connectors"
	"github.com/switchboard-hq/switchboard/connectors/connectortest"
	"github.com/switchboard-hq/switchboard/connectors/phone"
	"github.com/switchboard-hq/switchboard/connectors/sdk"
)

// fakeConn is an in-memory connector with injectable latency, errors and
// hangs, counting its calls.
type fakeConn struct {
	mu        sync.Mutex
	caps      []connectors.Capability
	contacts  []connectors.Contact
	companies []connectors.Company
	pageSize  int           // 0: the request's hint
	latency   time.Duration // per call, honouring ctx
	hang      bool          // block until ctx ends
	deaf      chan struct{} // when set, LookupByPhone ignores ctx and waits for it to close
	lookupErr error
	listErr   error
	checkErr  error
	failAfter int // ListContacts fails from this page on (with listErr); 0: every page
	loopy     bool
	panicky   bool
	// lookupResult, when set, replaces the fake's own matching.
	lookupResult func(req *connectors.LookupRequest) []connectors.Match

	// keyErr or keyErrFor, when set, fails LookupByKey; keyResult, when
	// set, replaces its matching; keyReqs records its requests.
	keyErr    error
	keyErrFor func(req *connectors.KeyLookupRequest) error
	keyResult func(req *connectors.KeyLookupRequest) []connectors.Match
	keyReqs   []connectors.KeyLookupRequest

	lookups      atomic.Int64
	keyLookups   atomic.Int64
	lists        atomic.Int64
	changedLists atomic.Int64 // List calls with ChangedSince (counted in lists too)
	lastSince    time.Time    // the ChangedSince of the last such call; f.mu
	describe     atomic.Int64
}

func newFake(contacts ...connectors.Contact) *fakeConn {
	return &fakeConn{
		caps:     []connectors.Capability{connectors.CapLookup, connectors.CapListContacts},
		contacts: contacts,
	}
}

func (f *fakeConn) set(fn func(f *fakeConn)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fn(f)
}

func (f *fakeConn) wait(ctx context.Context) error {
	f.mu.Lock()
	latency, hang := f.latency, f.hang
	f.mu.Unlock()
	if hang {
		<-ctx.Done()
		return connectors.Errorf(connectors.ClassUnavailable, "LookupByPhone", "gave up: %w", ctx.Err())
	}
	if latency > 0 {
		t := time.NewTimer(latency)
		defer t.Stop()
		select {
		case <-t.C:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

func (f *fakeConn) Describe(context.Context, *connectors.DescribeRequest) (*connectors.DescribeResponse, error) {
	f.describe.Add(1)
	f.mu.Lock()
	defer f.mu.Unlock()
	return &connectors.DescribeResponse{Name: "fake", ProtocolVersion: connectors.ProtocolVersion,
		Capabilities: append([]connectors.Capability(nil), f.caps...)}, nil
}

func (f *fakeConn) Configure(context.Context, *connectors.ConfigureRequest) (*connectors.ConfigureResponse, error) {
	return &connectors.ConfigureResponse{}, nil
}

func (f *fakeConn) Check(context.Context, *connectors.CheckRequest) (*connectors.CheckResponse, error) {
	f.mu.Lock()
	err := f.checkErr
	f.mu.Unlock()
	if err != nil {
		return nil, err
	}
	return &connectors.CheckResponse{Records: -1}, nil
}

// LookupByPhone loosely returns every record that has a phone whose digits
// end with the query's last seven national digits (the directory must
// re-check), claiming every one is exact.
func (f *fakeConn) LookupByPhone(ctx context.Context, req *connectors.LookupRequest) (*connectors.LookupResponse, error) {
	f.lookups.Add(1)
	f.mu.Lock()
	deaf, panicky := f.deaf, f.panicky
	f.mu.Unlock()
	if panicky {
		panic("fake connector exploded")
	}
	if deaf != nil {
		<-deaf
	}
	if err := f.wait(ctx); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.lookupErr != nil {
		return nil, f.lookupErr
	}
	if f.lookupResult != nil {
		return &connectors.LookupResponse{Matches: f.lookupResult(req)}, nil
	}
	tail := req.National
	if len(tail) > 7 {
		tail = tail[len(tail)-7:]
	}
	var out []connectors.Match
	for i := range f.contacts {
		c := &f.contacts[i]
		for _, p := range c.Phones {
			if strings.HasSuffix(digitsOf(p.E164+p.Raw), tail) {
				cp := *c
				out = append(out, connectors.Match{Contact: &cp, Kind: connectors.MatchExact})
				break
			}
		}
	}
	return &connectors.LookupResponse{Matches: out}, nil
}

// LookupByKey answers with sdk.KeyMatches over the fake's records (the
// contract's rule), after the fake's latency or hang, and keyErr.
func (f *fakeConn) LookupByKey(ctx context.Context, req *connectors.KeyLookupRequest) (*connectors.KeyLookupResponse, error) {
	f.keyLookups.Add(1)
	f.mu.Lock()
	f.keyReqs = append(f.keyReqs, *req)
	deaf := f.deaf
	f.mu.Unlock()
	if deaf != nil {
		<-deaf
	}
	if err := f.wait(ctx); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.keyErr != nil {
		return nil, f.keyErr
	}
	if f.keyErrFor != nil {
		return nil, f.keyErrFor(req)
	}
	if f.keyResult != nil {
		return &connectors.KeyLookupResponse{Matches: f.keyResult(req)}, nil
	}
	return &connectors.KeyLookupResponse{Matches: sdk.KeyMatches(req, f.contacts, f.companies)}, nil
}

func digitsOf(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

func (f *fakeConn) page(ctx context.Context, req *connectors.ListRequest, total int) (lo, hi int, next string, err error) {
	f.lists.Add(1)
	if err := f.wait(ctx); err != nil {
		return 0, 0, "", err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if req.Cursor != "" {
		lo, err = strconv.Atoi(req.Cursor)
		if err != nil {
			return 0, 0, "", connectors.Errorf(connectors.ClassInvalidRequest, "List", "bad cursor %q", req.Cursor)
		}
	}
	if f.listErr != nil && (f.failAfter == 0 || lo >= f.failAfter) {
		return 0, 0, "", f.listErr
	}
	size := f.pageSize
	if size == 0 {
		size = req.PageSize
	}
	hi = min(lo+size, total)
	if hi < total {
		next = strconv.Itoa(hi)
		if f.loopy {
			next = "0"
		}
	}
	return lo, hi, next, nil
}

// changedOnly reports whether req asks for changed records only and the
// fake declares changed_since.
func (f *fakeConn) changedOnly(req *connectors.ListRequest) bool {
	return !req.ChangedSince.IsZero() && slices.Contains(f.caps, connectors.CapChangedSince)
}

// changedPage is the page of the records updated at or after
// req.ChangedSince, the cursor being the position after the last one
// returned. f.mu is held.
func changedPage[T any](items []T, req *connectors.ListRequest, updated func(*T) time.Time) ([]T, string, error) {
	lo := 0
	if req.Cursor != "" {
		var err error
		if lo, err = strconv.Atoi(req.Cursor); err != nil {
			return nil, "", connectors.Errorf(connectors.ClassInvalidRequest, "List", "bad cursor %q", req.Cursor)
		}
	}
	size := req.PageSize
	if size <= 0 {
		size = 100
	}
	var out []T
	i := lo
	for ; i < len(items) && len(out) < size; i++ {
		if !updated(&items[i]).Before(req.ChangedSince) {
			out = append(out, items[i])
		}
	}
	for j := i; j < len(items); j++ {
		if !updated(&items[j]).Before(req.ChangedSince) {
			return out, strconv.Itoa(i), nil
		}
	}
	return out, "", nil
}

// upsert replaces the contact with c's ID, or adds c, stamped updated now.
// A replaced contact goes into a new slice: the index holds pointers into
// the old one.
func (f *fakeConn) upsert(c connectors.Contact) {
	c.UpdatedAt = time.Now()
	f.mu.Lock()
	defer f.mu.Unlock()
	for i := range f.contacts {
		if f.contacts[i].ID == c.ID {
			f.contacts = slices.Clone(f.contacts)
			f.contacts[i] = c
			return
		}
	}
	f.contacts = append(f.contacts, c)
}

func (f *fakeConn) ListContacts(ctx context.Context, req *connectors.ListRequest) (*connectors.ListContactsResponse, error) {
	f.mu.Lock()
	total := len(f.contacts)
	if f.changedOnly(req) {
		defer f.mu.Unlock()
		f.lists.Add(1)
		f.changedLists.Add(1)
		f.lastSince = req.ChangedSince
		if f.listErr != nil {
			return nil, f.listErr
		}
		page, next, err := changedPage(f.contacts, req, func(c *connectors.Contact) time.Time { return c.UpdatedAt })
		if err != nil {
			return nil, err
		}
		return &connectors.ListContactsResponse{Contacts: page, NextCursor: next}, nil
	}
	f.mu.Unlock()
	lo, hi, next, err := f.page(ctx, req, total)
	if err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return &connectors.ListContactsResponse{Contacts: f.contacts[lo:hi:hi], NextCursor: next}, nil
}

func (f *fakeConn) ListCompanies(ctx context.Context, req *connectors.ListRequest) (*connectors.ListCompaniesResponse, error) {
	f.mu.Lock()
	total := len(f.companies)
	if f.changedOnly(req) {
		defer f.mu.Unlock()
		f.lists.Add(1)
		f.changedLists.Add(1)
		if f.listErr != nil {
			return nil, f.listErr
		}
		page, next, err := changedPage(f.companies, req, func(c *connectors.Company) time.Time { return c.UpdatedAt })
		if err != nil {
			return nil, err
		}
		return &connectors.ListCompaniesResponse{Companies: page, NextCursor: next}, nil
	}
	f.mu.Unlock()
	lo, hi, next, err := f.page(ctx, req, total)
	if err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return &connectors.ListCompaniesResponse{Companies: f.companies[lo:hi:hi], NextCursor: next}, nil
}

// contact builds a contact whose phones are given raw.
func contact(id string, raws ...string) connectors.Contact {
	c := connectors.Contact{ID: id, FirstName: "First " + id, LastName: "Last"}
	for _, r := range raws {
		c.Phones = append(c.Phones, connectors.Phone{Raw: r, Label: "phone"})
	}
	return c
}

// company builds a company whose phones are given raw.
func company(id string, raws ...string) connectors.Company {
	c := connectors.Company{ID: id, Name: "Company " + id}
	for _, r := range raws {
		c.Phones = append(c.Phones, connectors.Phone{Raw: r, Label: "phone"})
	}
	return c
}

func gbParser(t testing.TB) *phone.Parser {
	t.Helper()
	p, err := phone.NewParser("GB")
	if err != nil {
		t.Fatalf("NewParser(GB): %v", err)
	}
	return p
}

// eventually polls cond until it holds or the deadline passes.
var eventually = connectortest.Eventually

// keys lists the matches' record keys.
func keys(ms []connectors.Match) []string {
	var out []string
	for i := range ms {
		out = append(out, ms[i].Key())
	}
	return out
}

// clock is an injectable time source.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *clock { return &clock{now: time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// metricValue gathers reg and returns the value of the counter, gauge or
// histogram sample count named name with exactly labels (name, value
// pairs, in any order), or -1 if absent.
func metricValue(t *testing.T, reg *prometheus.Registry, name string, labels ...string) float64 {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatalf("gather metrics: %v", err)
	}
	for _, mf := range families {
		if mf.GetName() != name {
			continue
		}
	series:
		for _, m := range mf.GetMetric() {
			got := m.GetLabel()
			if len(got) != len(labels)/2 {
				continue
			}
			want := map[string]string{}
			for i := 0; i+1 < len(labels); i += 2 {
				want[labels[i]] = labels[i+1]
			}
			for _, lp := range got {
				if v, ok := want[lp.GetName()]; !ok || v != lp.GetValue() {
					continue series
				}
			}
			switch {
			case m.GetCounter() != nil:
				return m.GetCounter().GetValue()
			case m.GetGauge() != nil:
				return m.GetGauge().GetValue()
			case m.GetHistogram() != nil:
				return float64(m.GetHistogram().GetSampleCount())
			}
		}
	}
	return -1
}
