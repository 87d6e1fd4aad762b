// Package sqlitecrm is a Switchboard connector for a CRM kept in a SQLite
// database: tables contacts and companies (see schema.sql), numbers stored
// as people typed them. It is written from docs/writing-a-connector.md,
// out of the switchboard tree, in its own module.
//
// Configuration:
//
//	path: crm.db   # required: the CRM's database, opened read-only
package sqlitecrm

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/hashicorp/go-hclog"
	_ "modernc.org/sqlite" // the "sqlite" database/sql driver, pure Go

	"github.com/switchboard-hq/switchboard/connectors"
	"github.com/switchboard-hq/switchboard/connectors/sdk"
)

// Connector serves one SQLite CRM; sdk.Base gives it Describe and
// Configure.
type Connector struct {
	*sdk.Base[config]
}

// config is the YAML block, and the database Open opened for it.
type config struct {
	Path string `yaml:"path"`

	db *sql.DB
}

// Close closes the database of a replaced configuration (sdk.Base).
func (c *config) Close() error {
	if c.db == nil {
		return nil
	}
	return c.db.Close()
}

// New returns an unconfigured connector, for plugins.Serve.
func New(hclog.Logger) connectors.Connector {
	return &Connector{&sdk.Base[config]{
		Name: "sqlite-crm", Version: "0.1.0", Description: "contacts and companies from a SQLite CRM database",
		Capabilities: []connectors.Capability{connectors.CapLookup, connectors.CapListContacts,
			connectors.CapListCompanies, connectors.CapChangedSince},
		Check: func(s *sdk.Setup, cfg *config) {
			if s.Require("path", cfg.Path, "the CRM's SQLite database file") {
				s.ExistingFile("path", &cfg.Path)
			}
		},
		Open: open,
	}}
}

// open opens the database read-only and checks that it has the CRM's
// tables.
func open(ctx context.Context, s *sdk.Setup, cfg *config) error {
	db, err := sql.Open("sqlite", "file:"+cfg.Path+"?mode=ro&_pragma=busy_timeout(2000)")
	if err == nil {
		cfg.db = db
		_, err = db.ExecContext(ctx, "SELECT 1 FROM contacts JOIN companies LIMIT 0")
	}
	if err != nil {
		s.Addf("path", "%s is not a CRM database with tables contacts and companies: %v", cfg.Path, err)
	}
	return ctx.Err()
}

// Check implements connectors.Connector: it counts the contacts.
func (c *Connector) Check(ctx context.Context, _ *connectors.CheckRequest) (*connectors.CheckResponse, error) {
	cfg, err := c.Current("Check")
	if err != nil {
		return nil, err
	}
	var n int64
	if err := cfg.db.QueryRowContext(ctx, "SELECT count(*) FROM contacts").Scan(&n); err != nil {
		return nil, sdk.Unavailable(ctx, "Check", "count the contacts", err)
	}
	return &connectors.CheckResponse{Records: n, Detail: fmt.Sprintf("%d contacts in %s", n, cfg.Path)}, nil
}
