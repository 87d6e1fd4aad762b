package crmsync

import (
	"strings"
	"time"

	"github.com/switchboard-hq/switchboard/connectors"
	"github.com/switchboard-hq/switchboard/connectors/conf"
	"github.com/switchboard-hq/switchboard/core/hipcall"
	"github.com/switchboard-hq/switchboard/core/store"
)

// Limits and defaults of the sync section.
const (
	// MaxConcurrency is the largest accepted sync.concurrency.
	MaxConcurrency = 16
	// MinInterval is the shortest accepted sync.interval other than 0.
	MinInterval = 10 * time.Second
)

// Accepted values of sync.on_missing and sync.store.driver.
var (
	OnMissingPolicies = []string{OnMissingReport, OnMissingIgnore}
	StoreDrivers      = []string{store.DriverSQLite, store.DriverPostgres}
)

// Config is the sync section: the CRM → Hipcall sync of companies and
// contacts (`switchboard sync`, and scheduled inside serve when Interval is
// set).
type Config struct {
	// Source names the connector records are read from; empty reads every
	// connector that can list records. The host checks the name.
	Source string `yaml:"source"`
	// Interval runs the sync inside serve this often; 0 turns that off.
	Interval time.Duration `yaml:"interval"`
	// Concurrency is how many records are written at once.
	Concurrency int `yaml:"concurrency"`
	// OnMissing is report or ignore: what to do about records synced
	// before that the CRM no longer has (they are never deleted).
	OnMissing string `yaml:"on_missing"`
	// Store is where the sync keeps its state.
	Store StoreConfig `yaml:"store"`
	// Companies and Contacts configure each resource.
	Companies ResourceOptions `yaml:"companies"`
	Contacts  ResourceOptions `yaml:"contacts"`
	// Owners maps CRM owner ids to Hipcall user ids (assign_to_user_id),
	// as written (a number, quoted or not); Check refuses what is not one.
	Owners map[string]string `yaml:"owners"`
}

// StoreConfig is sync.store: where the sync state lives.
type StoreConfig struct {
	// Driver is sqlite (a local file) or postgres (shared between hosts).
	Driver string `yaml:"driver"`
	// Path is the SQLite file, resolved against the configuration's
	// directory.
	Path string `yaml:"path" resolve:"path"`
	// DSN is the PostgreSQL connection string.
	DSN conf.Secret `yaml:"dsn"`
}

// DefaultConfig is the sync section when nothing is written.
func DefaultConfig() Config {
	return Config{
		Concurrency: DefaultConcurrency,
		OnMissing:   OnMissingReport,
		Store:       StoreConfig{Driver: store.DriverSQLite, Path: store.DefaultSQLiteFile},
		Companies:   ResourceOptions{Enabled: true},
		Contacts:    ResourceOptions{Enabled: true},
	}
}

// Check trims the source, lower-cases the enumerations and reports what is
// wrong. The field mappings are checked by ValidateFields (the host
// reports them at their positions), the source's name by the host.
func (c *Config) Check() connectors.Problems {
	var ps connectors.Problems
	c.Source = strings.TrimSpace(c.Source)
	if c.Interval != 0 && c.Interval < MinInterval {
		ps.Addf("interval", "must be 0 (no scheduled sync) or at least %s, got %s",
			conf.FormatDuration(MinInterval), conf.FormatDuration(c.Interval))
	}
	if c.Concurrency < 1 || c.Concurrency > MaxConcurrency {
		ps.Addf("concurrency", "must be from 1 to %d, got %d (Hipcall's rate limit is the bottleneck: 2 is plenty)",
			MaxConcurrency, c.Concurrency)
	}
	conf.OneOf(&ps, "on_missing", &c.OnMissing, OnMissingPolicies...)
	st := &c.Store
	conf.OneOf(&ps, "store.driver", &st.Driver, StoreDrivers...)
	switch st.Driver {
	case store.DriverSQLite:
		if strings.TrimSpace(st.Path) == "" { // a relative path is resolved by the loader (resolve:"path")
			ps.Addf("store.path", "must not be empty: leave it out for %q next to the configuration file", store.DefaultSQLiteFile)
		}
	case store.DriverPostgres:
		if strings.TrimSpace(st.DSN.Reveal()) == "" {
			ps.Addf("store.dsn", "is required with driver postgres: a connection string such as ${SWITCHBOARD_STATE_DSN} "+
				"(postgres://user:password@host:5432/db)")
		}
	}
	hipcall.UserIDs(&ps, "owners", c.Owners)
	return ps
}

// Options are the engine's options as the section configures them; the
// caller adds the client, the store, the sources and the rest.
func (c Config) Options() Options {
	return Options{
		Companies:   c.Companies,
		Contacts:    c.Contacts,
		Owners:      hipcall.UserIDs(nil, "", c.Owners),
		Concurrency: c.Concurrency,
		OnMissing:   c.OnMissing,
	}
}

// StoreOptions says which store to open.
func (c StoreConfig) StoreOptions() store.Config {
	return store.Config{Driver: c.Driver, Path: c.Path, DSN: c.DSN.Reveal()}
}
