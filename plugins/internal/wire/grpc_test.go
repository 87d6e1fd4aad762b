package wire

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"

	"github.com/switchboard-hq/switchboard/connectors"
	"github.com/switchboard-hq/switchboard/plugins/internal/plugintest"
)

// scripted is a connector whose answers the test sets, recording what it
// was asked.
type scripted struct {
	mu   sync.Mutex
	reqs []any // requests received, in order

	err      error // returned by every method when set
	panicVal any   // every method panics with it when set
	nilResp  bool  // every method returns (nil, nil)
	block    bool  // every method waits for its context, then reports its error on ctxErr
	ctxErr   chan error

	describe  *connectors.DescribeResponse
	configure *connectors.ConfigureResponse
	check     *connectors.CheckResponse
	lookup    *connectors.LookupResponse
	companies *connectors.ListCompaniesResponse
	contacts  *connectors.ListContactsResponse
	keys      *connectors.KeyLookupResponse
}

func answer[R any](ctx context.Context, s *scripted, req any, resp *R) (*R, error) {
	s.mu.Lock()
	s.reqs = append(s.reqs, req)
	s.mu.Unlock()
	switch {
	case s.panicVal != nil:
		panic(s.panicVal)
	case s.block:
		<-ctx.Done()
		s.ctxErr <- ctx.Err()
		return nil, ctx.Err()
	case s.err != nil:
		return nil, s.err
	case s.nilResp:
		return nil, nil
	}
	return resp, nil
}

func (s *scripted) Describe(ctx context.Context, req *connectors.DescribeRequest) (*connectors.DescribeResponse, error) {
	return answer(ctx, s, req, s.describe)
}
func (s *scripted) Configure(ctx context.Context, req *connectors.ConfigureRequest) (*connectors.ConfigureResponse, error) {
	return answer(ctx, s, req, s.configure)
}
func (s *scripted) Check(ctx context.Context, req *connectors.CheckRequest) (*connectors.CheckResponse, error) {
	return answer(ctx, s, req, s.check)
}
func (s *scripted) LookupByPhone(ctx context.Context, req *connectors.LookupRequest) (*connectors.LookupResponse, error) {
	return answer(ctx, s, req, s.lookup)
}
func (s *scripted) ListCompanies(ctx context.Context, req *connectors.ListRequest) (*connectors.ListCompaniesResponse, error) {
	return answer(ctx, s, req, s.companies)
}
func (s *scripted) ListContacts(ctx context.Context, req *connectors.ListRequest) (*connectors.ListContactsResponse, error) {
	return answer(ctx, s, req, s.contacts)
}
func (s *scripted) LookupByKey(ctx context.Context, req *connectors.KeyLookupRequest) (*connectors.KeyLookupResponse, error) {
	return answer(ctx, s, req, s.keys)
}

// connect serves impl over an in-process go-plugin gRPC connection and
// returns the host's view of it.
func connect(t *testing.T, impl connectors.Connector, logs *plugintest.SyncBuffer) connectors.Connector {
	t.Helper()
	logger := hclog.New(&hclog.LoggerOptions{Output: logs, Level: hclog.Debug})
	client, _ := plugin.TestPluginGRPCConn(t, false, PluginSets(impl, logger)[connectors.ProtocolVersion])
	// Close also stops the server (go-plugin's controller Shutdown).
	t.Cleanup(func() { _ = client.Close() })
	raw, err := client.Dispense(PluginName)
	if err != nil {
		t.Fatalf("dispense: %v", err)
	}
	conn, ok := raw.(connectors.Connector)
	if !ok {
		t.Fatalf("dispensed %T, want a connectors.Connector", raw)
	}
	return conn
}

// method is one contract call made through a connector.
type method struct {
	op   string
	call func(ctx context.Context, c connectors.Connector) (any, error)
}

var methods = []method{
	{"Describe", func(ctx context.Context, c connectors.Connector) (any, error) {
		return c.Describe(ctx, &connectors.DescribeRequest{})
	}},
	{"Configure", func(ctx context.Context, c connectors.Connector) (any, error) {
		return c.Configure(ctx, &connectors.ConfigureRequest{Config: []byte("a: 1\n"), DefaultRegion: "GB", BaseDir: "/srv", ValidateOnly: true})
	}},
	{"Check", func(ctx context.Context, c connectors.Connector) (any, error) {
		return c.Check(ctx, &connectors.CheckRequest{})
	}},
	{"LookupByPhone", func(ctx context.Context, c connectors.Connector) (any, error) {
		return c.LookupByPhone(ctx, &connectors.LookupRequest{E164: "+442045205757", National: "2045205757", Raw: "020 4520 5757", Limit: 3})
	}},
	{"ListCompanies", func(ctx context.Context, c connectors.Connector) (any, error) {
		return c.ListCompanies(ctx, &connectors.ListRequest{Cursor: "c1", PageSize: 2, ChangedSince: when})
	}},
	{"ListContacts", func(ctx context.Context, c connectors.Connector) (any, error) {
		return c.ListContacts(ctx, &connectors.ListRequest{Cursor: "p2"})
	}},
	{"LookupByKey", func(ctx context.Context, c connectors.Connector) (any, error) {
		return c.(connectors.KeyLookuper).LookupByKey(ctx, &connectors.KeyLookupRequest{Field: "account_no", Value: "AB-12 ü", Limit: 2, RecordID: "c1"})
	}},
}

func TestGRPCEveryRPC(t *testing.T) {
	ada := connectors.Contact{ID: "c1", FirstName: "Ada", LastName: "Çelik", Fields: nested, UpdatedAt: when,
		Phones: []connectors.Phone{{Raw: "020 4520 5757", E164: "+442045205757", Label: "work"}}}
	acme := connectors.Company{ID: "k1", Name: "Acme", Emails: []string{"hi@acme.example"}}
	impl := &scripted{
		describe:  &connectors.DescribeResponse{Name: "scripted", Version: "9.9", ProtocolVersion: 1, Capabilities: []connectors.Capability{connectors.CapLookup}},
		configure: &connectors.ConfigureResponse{Problems: []connectors.Problem{{Path: "a", Message: "a must be a string"}}},
		check:     &connectors.CheckResponse{Records: 42, Detail: "42 records"},
		lookup:    &connectors.LookupResponse{Matches: []connectors.Match{{Contact: &ada, Kind: connectors.MatchExact, Phone: ada.Phones[0]}, {Company: &acme, Kind: connectors.MatchSuffix}}},
		companies: &connectors.ListCompaniesResponse{Companies: []connectors.Company{acme}, NextCursor: "c2"},
		contacts:  &connectors.ListContactsResponse{Contacts: []connectors.Contact{ada}},
		keys:      &connectors.KeyLookupResponse{Matches: []connectors.Match{{Contact: &ada, Kind: connectors.MatchKey}, {Company: &acme, Kind: connectors.MatchKey}}},
	}
	conn := connect(t, impl, &plugintest.SyncBuffer{})
	want := []any{impl.describe, impl.configure, impl.check, impl.lookup, impl.companies, impl.contacts, impl.keys}
	wantReqs := []any{
		&connectors.DescribeRequest{},
		&connectors.ConfigureRequest{Config: []byte("a: 1\n"), DefaultRegion: "GB", BaseDir: "/srv", ValidateOnly: true},
		&connectors.CheckRequest{},
		&connectors.LookupRequest{E164: "+442045205757", National: "2045205757", Raw: "020 4520 5757", Limit: 3},
		&connectors.ListRequest{Cursor: "c1", PageSize: 2, ChangedSince: when},
		&connectors.ListRequest{Cursor: "p2"},
		&connectors.KeyLookupRequest{Field: "account_no", Value: "AB-12 ü", Limit: 2, RecordID: "c1"},
	}
	for i, m := range methods {
		t.Run(m.op, func(t *testing.T) {
			got, err := m.call(context.Background(), conn)
			if err != nil {
				t.Fatalf("%s: %v", m.op, err)
			}
			if !reflect.DeepEqual(got, want[i]) {
				t.Errorf("%s answered\n %#v\nwant %#v", m.op, got, want[i])
			}
			impl.mu.Lock()
			gotReq := impl.reqs[len(impl.reqs)-1]
			impl.mu.Unlock()
			if !reflect.DeepEqual(gotReq, wantReqs[i]) {
				t.Errorf("connector received\n %#v\nwant %#v", gotReq, wantReqs[i])
			}
		})
	}
}

func TestGRPCErrorClassesSurvive(t *testing.T) {
	classes := []connectors.Class{
		connectors.ClassBadConfig, connectors.ClassUnavailable, connectors.ClassRateLimited,
		connectors.ClassUnauthorized, connectors.ClassUnsupported, connectors.ClassInvalidRequest,
		connectors.ClassPluginBug,
	}
	impl := &scripted{}
	conn := connect(t, impl, &plugintest.SyncBuffer{})
	for _, class := range classes {
		for _, m := range methods {
			t.Run(string(class)+"/"+m.op, func(t *testing.T) {
				sent := connectors.Errorf(class, m.op, "%s went wrong in %s: ünïcode", class, m.op)
				impl.err = sent
				_, err := m.call(context.Background(), conn)
				var got *connectors.Error
				if !errors.As(err, &got) {
					t.Fatalf("got %T %v, want *connectors.Error", err, err)
				}
				if got.Class != sent.Class || got.Op != sent.Op || got.Message != sent.Message || got.Error() != sent.Error() {
					t.Errorf("host got %#v, plugin sent %#v", got, sent)
				}
			})
		}
	}
}

func TestGRPCPanicBecomesPluginBug(t *testing.T) {
	logs := &plugintest.SyncBuffer{}
	conn := connect(t, &scripted{panicVal: "nil map write 42"}, logs)
	for _, m := range methods {
		t.Run(m.op, func(t *testing.T) {
			_, err := m.call(context.Background(), conn)
			var got *connectors.Error
			if !errors.As(err, &got) || got.Class != connectors.ClassPluginBug {
				t.Fatalf("got %v, want a ClassPluginBug error", err)
			}
			if got.Op != m.op || !strings.Contains(got.Message, m.op) || !strings.Contains(got.Message, "nil map write 42") {
				t.Errorf("error %q does not name the method and the panic value", got)
			}
		})
	}
	if l := logs.String(); !strings.Contains(l, "connector panicked") || !strings.Contains(l, "grpc_server.go") {
		t.Errorf("the panic's stack was not logged; log:\n%s", l)
	}
}

func TestGRPCNilResponseIsPluginBug(t *testing.T) {
	conn := connect(t, &scripted{nilResp: true}, &plugintest.SyncBuffer{})
	for _, m := range methods {
		if _, err := m.call(context.Background(), conn); connectors.ClassOf(err) != connectors.ClassPluginBug {
			t.Errorf("%s: got %v, want ClassPluginBug", m.op, err)
		}
	}
}

func TestGRPCUnencodableResponseIsPluginBug(t *testing.T) {
	impl := &scripted{lookup: &connectors.LookupResponse{Matches: []connectors.Match{
		{Contact: &connectors.Contact{ID: "c1", Fields: map[string]any{"when": make(chan int)}}},
	}}}
	conn := connect(t, impl, &plugintest.SyncBuffer{})
	_, err := conn.LookupByPhone(context.Background(), &connectors.LookupRequest{})
	if connectors.ClassOf(err) != connectors.ClassPluginBug || !strings.Contains(err.Error(), "JSON-like") {
		t.Errorf("got %v, want a ClassPluginBug error about JSON-like fields", err)
	}
}

func TestGRPCUnclassifiedAndContextErrors(t *testing.T) {
	impl := &scripted{err: errors.New("disk on fire")}
	conn := connect(t, impl, &plugintest.SyncBuffer{})

	_, err := conn.Check(context.Background(), nil)
	if connectors.ClassOf(err) != "" || !strings.Contains(err.Error(), "disk on fire") {
		t.Errorf("unclassified error came back as %v", err)
	}

	impl.err = connectors.Errorf(connectors.ClassUnavailable, "LookupByPhone", "CRM too slow: %w", context.DeadlineExceeded)
	_, err = conn.LookupByPhone(context.Background(), nil)
	if connectors.ClassOf(err) != connectors.ClassUnavailable || !errors.Is(err, context.DeadlineExceeded) || err.Error() != impl.err.Error() {
		t.Errorf("got %v, want %v that is context.DeadlineExceeded", err, impl.err)
	}
}

func TestGRPCDeadlinePropagates(t *testing.T) {
	impl := &scripted{block: true, ctxErr: make(chan error, 1)}
	conn := connect(t, impl, &plugintest.SyncBuffer{})

	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := conn.LookupByPhone(ctx, &connectors.LookupRequest{E164: "+1"})
	if !errors.Is(err, context.DeadlineExceeded) || connectors.ClassOf(err) != connectors.ClassUnavailable {
		t.Errorf("got %v, want a ClassUnavailable error that is context.DeadlineExceeded", err)
	}
	if elapsed := time.Since(start); elapsed > 5*time.Second {
		t.Errorf("call took %s despite a 100ms deadline", elapsed)
	}
	select {
	case serverErr := <-impl.ctxErr:
		if serverErr == nil {
			t.Error("the connector's context ended without an error")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the connector's context was not canceled: the deadline did not cross the wire")
	}
}
