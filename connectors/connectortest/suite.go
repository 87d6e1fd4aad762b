package connectortest

import (
	"testing"
	"time"

	"github.com/switchboard-hq/switchboard/connectors"
)

// Suite describes the connector under test. New and Fixture are required.
type Suite struct {
	// New returns a fresh, unconfigured connector. The suite calls it once
	// per backend it builds and serves the result over gRPC.
	New func() connectors.Connector

	// Fixture loads data into a fresh backend and returns a config block
	// (YAML) for it; see the package documentation for exactly what it
	// must store. It is called once with Dataset() and once with a
	// LargeDataset; use t for cleanup (t.TempDir, t.Cleanup).
	Fixture func(t testing.TB, data *Records) []byte

	// BadConfigs are blocks Configure must reject (with and without
	// ValidateOnly), each naming where its problem is.
	BadConfigs []BadConfig

	// Stall, when set, makes the backend hang: every call the connector
	// makes to it blocks until release is called (a PostgreSQL table
	// lock, a fake API's latency fault). The suite then checks that the
	// connector itself gives up at the caller's deadline, for the reads
	// and for the writes it declares (a write the stall does not hold may
	// simply answer), and that a write retried after release is written
	// once. Leave it nil for in-memory connectors, which never wait.
	// Stall receives the config Fixture returned for the standard
	// dataset.
	Stall func(t testing.TB, config []byte) (release func())

	// CountLogs, when set, counts the call logs the backend holds under
	// the idempotency key (connectors.LogCallRequest.Key): read the log
	// file, query the table, ask the fake API. config is the block Fixture
	// returned for the standard dataset, to find the backend by. With it
	// the suite checks that a LogCall and its retries, concurrent calls of
	// one key, a restarted connector's call, and a call timed out on a
	// stalled backend leave exactly one log, and that refused calls leave
	// none; without it, it can only compare the answers' IDs. Set it for
	// every connector that declares log_call.
	CountLogs func(t testing.TB, config []byte, key string) int

	// MaxPageSize is the largest page the connector returns whatever the
	// request asks (default 1000). The big-page test asks for pages of
	// this size, so that one page still exceeds 4 MB.
	MaxPageSize int

	// BaseDir is ConfigureRequest.BaseDir (default: a temporary directory).
	BaseDir string

	// CallTimeout bounds every call the suite makes (default 10s).
	CallTimeout time.Duration

	// only, when set, runs that one check (the suite's own tests).
	only string
}

// BadConfig is a block Configure must reject.
type BadConfig struct {
	// Name names the case in test output ("missing dsn").
	Name string
	// Config is the YAML block.
	Config []byte
	// Path is the path one of the problems must have ("columns.phones.1";
	// "" for the block as a whole).
	Path string
}

// Run runs the conformance suite against s as subtests of t.
func Run(t *testing.T, s Suite) {
	t.Helper()
	if s.New == nil || s.Fixture == nil {
		t.Fatal("connectortest.Suite needs New and Fixture")
	}
	s.defaults(t)
	r := &runner{s: s}
	r.run(t)
}

func (s *Suite) defaults(t *testing.T) {
	if s.MaxPageSize <= 0 {
		s.MaxPageSize = 1000
	}
	if s.BaseDir == "" {
		s.BaseDir = t.TempDir()
	}
	if s.CallTimeout <= 0 {
		s.CallTimeout = 10 * time.Second
	}
}
