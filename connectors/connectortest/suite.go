package connectortest

import (
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/switchboard-hq/switchboard/connectors"
)

// Suite describes the connector under test. New and Fixture are required.
type Suite struct {
	// New returns a fresh, unconfigured connector. The suite calls it once
	// per backend it builds and serves the result over gRPC.
	New func() connectors.Connector

	// NewLogged is New with the connector's logger (most constructors
	// are New(hclog.Logger): NewLogged: mycrm.New). Set it when the
	// connector declares lookup_by_key: the lookup_by_key check serves
	// its connector with a logger that records every line, to check that
	// no lookup logs the value looked for (it may be a secret's hash).
	NewLogged func(logger hclog.Logger) connectors.Connector

	// Fixture loads data into a fresh backend and returns a config block
	// (YAML) for it; see the package documentation for exactly what it
	// must store. It is called with Dataset(), a LargeDataset and the
	// datasets of some checks (MatchDataset, PagingDataset, KeyDataset);
	// use t for cleanup (t.TempDir, t.Cleanup).
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

	// NoOwners declares a CRM without record owners: the datasets the
	// fixture gets carry no OwnerID, and the suite expects none back.
	NoOwners bool

	// ExactOnly declares a connector that finds records by E.164 alone (a
	// key column of E.164 numbers, such as the PostgreSQL connector's
	// phone_key): the matching check then does not ask it to find
	// national matches (a record stored without a country code that is
	// not valid in the region, or a caller of unknown country), but still
	// fails every match it reports with the wrong kind.
	ExactOnly bool

	// Mutate, when set, changes the backend between the pages of a
	// listing (the paging_under_change check): it inserts ch.Insert and
	// updates ch.Update in the backend Fixture loaded for config, and
	// returns once the connector can see the change. A connector that
	// reads its backend only at Configure calls ch.Reconfigure. Without
	// it the check is skipped, saying so in the log.
	Mutate func(t testing.TB, config []byte, ch Change)

	// Faults makes the backend fail in one way until restore is called:
	// refuse the credentials (FaultUnauthorized), ask the client to slow
	// down (FaultRateLimited), fail or be unreachable (FaultUnavailable).
	// The errors check then expects every read to fail with the matching
	// connectors error class, and to succeed again after restore. A fault
	// the backend cannot produce is left out, and its check is skipped,
	// saying so in the log. config is the block Fixture returned for the
	// standard dataset.
	Faults map[Fault]func(t testing.TB, config []byte) (restore func())

	// NoLeakCheck turns the leaks check off. Leave it unset: it is for
	// connectors whose library keeps process-wide goroutines or files
	// the check cannot tell from leaks; say why where it is set.
	NoLeakCheck string

	// only, when set, runs that one check (the suite's own tests).
	only string
}

// Change is what Suite.Mutate applies to the backend mid-listing.
type Change struct {
	// Insert are new contacts (IDs the backend does not hold yet, of
	// the dataset's width, each of an existing company).
	Insert []connectors.Contact
	// Update are contacts the backend holds, with a new LastName and a
	// later UpdatedAt.
	Update []connectors.Contact
	// After is the whole dataset once the change is applied, for a
	// backend that is simplest rewritten whole (a file).
	After *Records
	// Reconfigure sends the connector under test its block again, for a
	// connector that reads its backend only at Configure.
	Reconfigure func() error
}

// Fault is a way the backend fails, for Suite.Faults.
type Fault string

// Faults and the error class each must produce.
const (
	FaultUnauthorized Fault = "unauthorized" // connectors.ClassUnauthorized
	FaultRateLimited  Fault = "rate_limited" // connectors.ClassRateLimited
	FaultUnavailable  Fault = "unavailable"  // connectors.ClassUnavailable
)

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
