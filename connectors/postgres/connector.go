package postgres

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/hashicorp/go-hclog"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/switchboard-hq/switchboard/connectors"
	"github.com/switchboard-hq/switchboard/connectors/conf"
)

// Version is the connector's release version.
const Version = "1.0.0"

// Connector reads contacts (and companies) from PostgreSQL. Create it with
// New; it is safe for concurrent use.
type Connector struct {
	log hclog.Logger

	// st is what every call uses; Configure swaps it atomically.
	st atomic.Pointer[state]
	// validated are the capabilities of the last block accepted with
	// ValidateOnly, which Describe reports until a block is configured.
	validated atomic.Pointer[[]connectors.Capability]

	mu sync.Mutex // serialises Configure and Close
}

// state is one configuration with its connection pool.
type state struct {
	set  *settings
	caps []connectors.Capability
	pool *pgxpool.Pool
	plan *plan
}

// New returns an unconfigured PostgreSQL connector logging to logger (nil:
// no logging). It has the signature plugins.Serve expects.
func New(logger hclog.Logger) connectors.Connector {
	return newConnector(logger)
}

func newConnector(logger hclog.Logger) *Connector {
	if logger == nil {
		logger = hclog.NewNullLogger()
	}
	return &Connector{log: logger}
}

// allCapabilities are what the connector can read with a configuration
// that maps everything; Describe reports them before Configure. The
// writes (log_call, create_contact) are declared only by a block that
// configures them.
var allCapabilities = []connectors.Capability{
	connectors.CapLookup, connectors.CapLookupByKey, connectors.CapListContacts, connectors.CapListCompanies, connectors.CapChangedSince,
}

// Describe implements connectors.Connector. Before Configure it lists
// every read capability the connector can have; after, those the
// configured block gives it (lookup only with a phone_key or a lookup
// query, changed_since only with updated_at, log_call and create_contact
// only with their blocks, ...), or, when a block was only validated, that
// block's.
func (c *Connector) Describe(context.Context, *connectors.DescribeRequest) (*connectors.DescribeResponse, error) {
	caps := allCapabilities
	if st := c.st.Load(); st != nil {
		caps = st.caps
	} else if p := c.validated.Load(); p != nil {
		caps = *p
	}
	return &connectors.DescribeResponse{
		Name:            "postgres",
		Version:         Version,
		ProtocolVersion: connectors.ProtocolVersion,
		Capabilities:    append([]connectors.Capability(nil), caps...),
		Description:     "contacts and companies from a PostgreSQL table or your own SQL (lookups need a phone_key column or a lookup query); logs calls and creates contacts when configured to",
	}, nil
}

// Configure implements connectors.Connector. It validates the block and,
// unless req.ValidateOnly, connects, checks the table or queries against
// the database (a missing table or column is a problem at its path) and
// replaces any earlier configuration. A database that cannot be reached
// or refuses the login is an error, classified.
func (c *Connector) Configure(ctx context.Context, req *connectors.ConfigureRequest) (*connectors.ConfigureResponse, error) {
	s, problems := parseConfig(req)
	if len(problems) > 0 {
		return &connectors.ConfigureResponse{Problems: problems}, nil
	}
	caps := s.capabilities()
	if req.ValidateOnly {
		c.validated.Store(&caps)
		return &connectors.ConfigureResponse{}, nil
	}

	c.mu.Lock()
	defer c.mu.Unlock()
	pool, err := pgxpool.NewWithConfig(ctx, s.poolCfg)
	if err != nil {
		return nil, s.classify(ctx, "Configure", err)
	}
	conn, err := pool.Acquire(ctx)
	if err != nil {
		pool.Close()
		return nil, s.classify(ctx, "Configure", err)
	}
	p, problems, err := s.makePlan(ctx, conn.Conn())
	conn.Release()
	if err != nil || len(problems) > 0 {
		pool.Close()
		if err != nil {
			return nil, err
		}
		return &connectors.ConfigureResponse{Problems: problems}, nil
	}

	old := c.st.Swap(&state{set: s, caps: caps, pool: pool, plan: p})
	if old != nil {
		// Close waits for connections in use: let in-flight calls finish.
		go old.pool.Close()
	}
	c.log.Info("connected to PostgreSQL", "server", s.where(), "reads", s.source(),
		"writes", p.writesText(), "capabilities", capsText(caps))
	return &connectors.ConfigureResponse{}, nil
}

func capsText(caps []connectors.Capability) string {
	parts := make([]string, len(caps))
	for i, c := range caps {
		parts[i] = string(c)
	}
	return strings.Join(parts, ",")
}

// current returns the state, or an error before the first Configure.
func (c *Connector) current(op string) (*state, error) {
	return conf.Current(&c.st, "postgres", op)
}

// Check implements connectors.Connector: it connects, checks the table or
// queries again (a table or column dropped since Configure shows here) and
// counts the contacts of a table.
func (c *Connector) Check(ctx context.Context, _ *connectors.CheckRequest) (*connectors.CheckResponse, error) {
	st, err := c.current("Check")
	if err != nil {
		return nil, err
	}
	s := st.set
	conn, err := st.pool.Acquire(ctx)
	if err != nil {
		return nil, s.classify(ctx, "Check", err)
	}
	defer conn.Release()
	var version string
	if err := conn.QueryRow(ctx, "SHOW server_version").Scan(&version); err != nil {
		return nil, s.classify(ctx, "Check", err)
	}
	_, problems, err := s.makePlan(ctx, conn.Conn())
	if err != nil {
		return nil, err
	}
	if len(problems) > 0 {
		msgs := make([]string, len(problems))
		for i, p := range problems {
			msgs[i] = p.Message
			if p.Path != "" {
				msgs[i] = p.Path + ": " + p.Message
			}
		}
		return nil, connectors.Errorf(connectors.ClassBadConfig, "Check", "%s", strings.Join(msgs, "; "))
	}
	user, db := s.userAndDatabase()
	resp := &connectors.CheckResponse{Records: -1}
	detail := fmt.Sprintf("PostgreSQL %s at %s, database %q as user %q", version, s.where(), db, user)
	if s.tableMode() {
		if err := conn.QueryRow(ctx, "SELECT count(*) FROM "+s.table.Sanitize()).Scan(&resp.Records); err != nil {
			return nil, s.classify(ctx, "Check", err)
		}
		detail += fmt.Sprintf(": table %s holds %d contacts", s.tableName, resp.Records)
	} else {
		detail += ": serving the configured queries"
	}
	if st.plan.lookup != "" {
		detail += "; live lookups available"
	} else {
		detail += "; no live lookups (use mode: index)"
	}
	if w := st.plan.writesText(); w != "nothing" {
		detail += "; writes " + w
	}
	resp.Detail = detail
	return resp, nil
}

// Close closes the connection pool. The connector cannot serve afterwards
// until it is configured again; the plugin process need not call it.
func (c *Connector) Close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if st := c.st.Swap(nil); st != nil {
		st.pool.Close()
	}
}

// writesText says what the plan writes, for logs and Check.
func (p *plan) writesText() string {
	var parts []string
	into := func(what, where string) {
		if strings.HasPrefix(where, "table ") {
			parts = append(parts, what+" into "+where)
		} else {
			parts = append(parts, what+" with "+where)
		}
	}
	if p.logCall != nil {
		into("call logs", p.logCall.where)
	}
	if p.createContact != nil {
		into("new contacts", p.createContact.where)
	}
	if len(parts) == 0 {
		return "nothing"
	}
	return strings.Join(parts, " and ")
}
