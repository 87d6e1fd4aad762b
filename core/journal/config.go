package journal

import (
	"strings"
	"time"

	"github.com/switchboard-hq/switchboard/connectors"
	"github.com/switchboard-hq/switchboard/connectors/conf"
)

// Drivers.
const (
	DriverSQLite   = "sqlite"
	DriverPostgres = "postgres"
)

// DefaultSQLiteFile is the journal file's name when none is configured; it
// lives next to the configuration file.
const DefaultSQLiteFile = "switchboard-journal.db"

// Config is the host's journal section.
type Config struct {
	// Driver is sqlite (default) or postgres.
	Driver string `yaml:"driver"`
	// Path is the SQLite file (default DefaultSQLiteFile next to the
	// configuration file).
	Path string `yaml:"path" resolve:"path"`
	// DSN is the PostgreSQL connection string, a secret: write it as
	// ${VAR}.
	DSN conf.Secret `yaml:"dsn"`
	// Workers is how many jobs run at once.
	Workers int `yaml:"workers"`
	// Keep is how long finished jobs stay listed (switchboard calls).
	Keep time.Duration `yaml:"keep"`
}

// DefaultConfig is the section when nothing is written.
func DefaultConfig() Config {
	return Config{Driver: DriverSQLite, Path: DefaultSQLiteFile, Workers: 8, Keep: 72 * time.Hour}
}

// Check lower-cases the driver and reports what is wrong.
func (c *Config) Check() connectors.Problems {
	var ps connectors.Problems
	conf.OneOf(&ps, "driver", &c.Driver, DriverSQLite, DriverPostgres)
	switch c.Driver {
	case DriverSQLite:
		if strings.TrimSpace(c.Path) == "" {
			ps.Addf("path", "must name the SQLite file, such as %s", DefaultSQLiteFile)
		}
	case DriverPostgres:
		if strings.TrimSpace(c.DSN.Reveal()) == "" {
			ps.Addf("dsn", "is required with driver: postgres: write it as ${VAR}, such as ${SWITCHBOARD_JOURNAL_DSN}")
		}
	}
	if c.Workers < 1 || c.Workers > 200 {
		ps.Addf("workers", "must be between 1 and 200, got %d", c.Workers)
	}
	if c.Keep < time.Hour {
		ps.Addf("keep", "must be at least 1h, got %s: finished jobs are what `switchboard calls` lists", c.Keep)
	}
	return ps
}
