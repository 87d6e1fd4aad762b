package connectortest

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/hashicorp/go-hclog"

	"github.com/switchboard-hq/switchboard/connectors"
	"github.com/switchboard-hq/switchboard/plugins"
)

// served is a connector under test: the host's view of it over gRPC and
// a count of the calls still running inside the connector.
type served struct {
	host     connectors.Connector
	inflight *tracker
}

// serve wraps a fresh connector in a tracker and serves it over an
// in-process go-plugin gRPC connection, the same wire the host uses.
func (r *runner) serve(t testing.TB) *served {
	t.Helper()
	return r.serveWith(t, r.s.New)
}

// serveWith is serve with a connector from newConn.
func (r *runner) serveWith(t testing.TB, newConn func() connectors.Connector) *served {
	t.Helper()
	tr := &tracker{impl: newConn()}
	if tr.impl == nil {
		t.Fatal("Suite.New returned nil")
	}
	logger := hclog.New(&hclog.LoggerOptions{Name: "connectortest", Output: newTestWriter(t), Level: hclog.Warn})
	host := plugins.ServeTest(t, tr.withOptional(), logger)
	return &served{host: host, inflight: tr}
}

// tracker counts the calls running inside the wrapped connector, so that
// the suite can tell whether the connector (not only the host's gRPC
// client) gave up at a deadline.
type tracker struct {
	impl    connectors.Connector
	running atomic.Int64
}

func (tr *tracker) enter() func() {
	tr.running.Add(1)
	return func() { tr.running.Add(-1) }
}

// Running is how many calls are inside the connector.
func (tr *tracker) Running() int64 { return tr.running.Load() }

func (tr *tracker) Describe(ctx context.Context, req *connectors.DescribeRequest) (*connectors.DescribeResponse, error) {
	defer tr.enter()()
	return tr.impl.Describe(ctx, req)
}

func (tr *tracker) Configure(ctx context.Context, req *connectors.ConfigureRequest) (*connectors.ConfigureResponse, error) {
	defer tr.enter()()
	return tr.impl.Configure(ctx, req)
}

func (tr *tracker) Check(ctx context.Context, req *connectors.CheckRequest) (*connectors.CheckResponse, error) {
	defer tr.enter()()
	return tr.impl.Check(ctx, req)
}

func (tr *tracker) LookupByPhone(ctx context.Context, req *connectors.LookupRequest) (*connectors.LookupResponse, error) {
	defer tr.enter()()
	return tr.impl.LookupByPhone(ctx, req)
}

func (tr *tracker) ListCompanies(ctx context.Context, req *connectors.ListRequest) (*connectors.ListCompaniesResponse, error) {
	defer tr.enter()()
	return tr.impl.ListCompanies(ctx, req)
}

func (tr *tracker) ListContacts(ctx context.Context, req *connectors.ListRequest) (*connectors.ListContactsResponse, error) {
	defer tr.enter()()
	return tr.impl.ListContacts(ctx, req)
}

// withOptional returns tr with the optional methods the connector has
// (the writes, LookupByKey), and only those: the wire answers
// ClassUnsupported for a method the served value does not implement, so
// the tracker must not implement it either.
func (tr *tracker) withOptional() connectors.Connector {
	logger, logs := tr.impl.(connectors.CallLogger)
	creator, creates := tr.impl.(connectors.ContactCreator)
	lookuper, looks := tr.impl.(connectors.KeyLookuper)
	l, c, k := trackedLogger{tr, logger}, trackedCreator{tr, creator}, trackedKeyLookuper{tr, lookuper}
	switch {
	case logs && creates && looks:
		return struct {
			*tracker
			trackedLogger
			trackedCreator
			trackedKeyLookuper
		}{tr, l, c, k}
	case logs && creates:
		return struct {
			*tracker
			trackedLogger
			trackedCreator
		}{tr, l, c}
	case logs && looks:
		return struct {
			*tracker
			trackedLogger
			trackedKeyLookuper
		}{tr, l, k}
	case creates && looks:
		return struct {
			*tracker
			trackedCreator
			trackedKeyLookuper
		}{tr, c, k}
	case logs:
		return struct {
			*tracker
			trackedLogger
		}{tr, l}
	case creates:
		return struct {
			*tracker
			trackedCreator
		}{tr, c}
	case looks:
		return struct {
			*tracker
			trackedKeyLookuper
		}{tr, k}
	}
	return tr
}

// trackedKeyLookuper counts the LookupByKeys running inside the connector.
type trackedKeyLookuper struct {
	counter  *tracker
	lookuper connectors.KeyLookuper
}

func (k trackedKeyLookuper) LookupByKey(ctx context.Context, req *connectors.KeyLookupRequest) (*connectors.KeyLookupResponse, error) {
	defer k.counter.enter()()
	return k.lookuper.LookupByKey(ctx, req)
}

// trackedLogger counts the LogCalls running inside the connector.
type trackedLogger struct {
	counter *tracker
	logger  connectors.CallLogger
}

func (l trackedLogger) LogCall(ctx context.Context, req *connectors.LogCallRequest) (*connectors.LogCallResponse, error) {
	defer l.counter.enter()()
	return l.logger.LogCall(ctx, req)
}

// trackedCreator counts the CreateContacts running inside the connector.
type trackedCreator struct {
	counter *tracker
	creator connectors.ContactCreator
}

func (c trackedCreator) CreateContact(ctx context.Context, req *connectors.CreateContactRequest) (*connectors.CreateContactResponse, error) {
	defer c.counter.enter()()
	return c.creator.CreateContact(ctx, req)
}

// testWriter sends log lines to t.Log until the test ends (logging after
// that would panic), then drops them.
type testWriter struct {
	mu   sync.Mutex
	t    testing.TB
	done bool
}

func newTestWriter(t testing.TB) *testWriter {
	w := &testWriter{t: t}
	t.Cleanup(func() {
		w.mu.Lock()
		w.done = true
		w.mu.Unlock()
	})
	return w
}

func (w *testWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.done {
		w.t.Log("plugin: " + strings.TrimRight(string(p), "\n"))
	}
	return len(p), nil
}
