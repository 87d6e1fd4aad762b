package config

import (
	"strconv"
	"strings"
	"time"

	yaml "go.yaml.in/yaml/v3"
)

// Limits and defaults of the sync: section.
const (
	// MaxSyncConcurrency is the largest accepted sync.concurrency.
	MaxSyncConcurrency = 16
	// MinSyncInterval is the shortest accepted sync.interval other than 0.
	MinSyncInterval = 10 * time.Second
	// DefaultStateFile is sync.store.path's default, next to the
	// configuration file.
	DefaultStateFile = "switchboard-state.db"
)

// Accepted enumerations of the sync: section.
var (
	syncDrivers   = []string{"sqlite", "postgres"}
	syncOnMissing = []string{"report", "ignore"}
)

// SyncConfig configures the CRM → Hipcall sync of companies and contacts
// (`switchboard sync`, and scheduled inside `serve` when Interval is set).
type SyncConfig struct {
	// Source names the connector records are read from; empty reads every
	// connector that can list records.
	Source string `yaml:"source"`
	// Interval runs the sync inside serve this often; 0 turns that off.
	Interval time.Duration `yaml:"interval"`
	// Concurrency is how many records are written at once.
	Concurrency int `yaml:"concurrency"`
	// OnMissing is report or ignore: what to do about records synced
	// before that the CRM no longer has (they are never deleted).
	OnMissing string `yaml:"on_missing"`
	// Store is where the sync keeps its state.
	Store SyncStoreConfig `yaml:"store"`
	// Companies and Contacts configure each resource.
	Companies SyncResourceConfig `yaml:"companies"`
	Contacts  SyncResourceConfig `yaml:"contacts"`
	// Owners maps CRM owner ids to Hipcall user ids (assign_to_user_id);
	// filled from the owners: mapping by the checks.
	Owners map[string]int64 `yaml:"-"`
	// OwnersNode is the owners: mapping as written.
	OwnersNode *yaml.Node `yaml:"-" raw:"owners"`
	// Pos is where the section starts (or, when it is left out, the
	// nearest thing that is there).
	Pos Position `yaml:"-"`
}

// SyncStoreConfig says where the sync state lives.
type SyncStoreConfig struct {
	// Driver is sqlite (a local file) or postgres (shared between hosts).
	Driver string `yaml:"driver"`
	// Path is the SQLite file, resolved against the configuration's
	// directory.
	Path string `yaml:"path"`
	// DSN is the PostgreSQL connection string.
	DSN Secret `yaml:"dsn"`
	// Pos is where the section starts.
	Pos Position `yaml:"-"`
}

// SyncResourceConfig configures the sync of companies or of contacts.
type SyncResourceConfig struct {
	Enabled bool `yaml:"enabled"`
	// Fields maps Hipcall fields to record paths ("first_name",
	// "fields.tier") or templates ("{{.first_name}} {{.last_name}}"),
	// over the defaults; "" turns a default off. Filled from the fields:
	// mapping by the checks; the host checks the names and templates.
	Fields map[string]string `yaml:"-"`
	// FieldPos holds where each field's value is written, for problems.
	FieldPos map[string]Position `yaml:"-"`
	// FieldsNode is the fields: mapping as written.
	FieldsNode *yaml.Node `yaml:"-" raw:"fields"`
	// Pos is where the section starts.
	Pos Position `yaml:"-"`
}

// defaultSync is the sync: section's defaults.
func defaultSync() SyncConfig {
	return SyncConfig{
		Concurrency: 2,
		OnMissing:   "report",
		Store:       SyncStoreConfig{Driver: "sqlite", Path: DefaultStateFile},
		Companies:   SyncResourceConfig{Enabled: true},
		Contacts:    SyncResourceConfig{Enabled: true},
	}
}

// sync checks the sync: section.
func (c *checker) sync() {
	const p = "sync"
	s := &c.cfg.Sync
	s.Source = strings.TrimSpace(s.Source)
	if s.Source != "" {
		known := make([]string, 0, len(c.cfg.Connectors))
		for _, conn := range c.cfg.Connectors {
			known = append(known, conn.Name)
		}
		if !containsString(known, s.Source) {
			msg := "sync.source " + strconv.Quote(s.Source) + " is not a connector name"
			if sg := suggest(s.Source, known); sg != "" {
				msg += " (did you mean " + strconv.Quote(sg) + "?)"
			} else if len(known) > 0 {
				msg += "; use one of " + strings.Join(known, ", ")
			}
			c.addf(p+".source", "%s", msg)
		}
	}
	if s.Interval != 0 && s.Interval < MinSyncInterval {
		c.addf(p+".interval", "sync.interval must be 0 (no scheduled sync) or at least %s, got %s",
			formatDuration(MinSyncInterval), formatDuration(s.Interval))
	}
	if s.Concurrency < 1 || s.Concurrency > MaxSyncConcurrency {
		c.addf(p+".concurrency", "sync.concurrency must be from 1 to %d, got %d (Hipcall's rate limit is the bottleneck: 2 is plenty)",
			MaxSyncConcurrency, s.Concurrency)
	}
	c.oneOf(p+".on_missing", &s.OnMissing, syncOnMissing)

	st := &s.Store
	c.oneOf(p+".store.driver", &st.Driver, syncDrivers)
	switch st.Driver {
	case "sqlite":
		if strings.TrimSpace(st.Path) == "" {
			c.addf(p+".store.path", "sync.store.path must not be empty: leave it out for %q next to the configuration file", DefaultStateFile)
		} else {
			st.Path = c.resolve(st.Path)
		}
	case "postgres":
		if strings.TrimSpace(st.DSN.Reveal()) == "" {
			c.addf(p+".store.dsn", "sync.store.dsn is required with driver postgres: a connection string such as ${SWITCHBOARD_STATE_DSN} "+
				"(postgres://user:password@host:5432/db)")
		}
	}
	s.Companies.Fields, s.Companies.FieldPos = c.syncFields(p+".companies.fields", s.Companies.FieldsNode)
	s.Contacts.Fields, s.Contacts.FieldPos = c.syncFields(p+".contacts.fields", s.Contacts.FieldsNode)
	s.Owners = c.owners(p+".owners", s.OwnersNode)
}

// syncFields decodes a fields: mapping of Hipcall field names to record
// paths or templates (null or "" turns a default off).
func (c *checker) syncFields(path string, n *yaml.Node) (map[string]string, map[string]Position) {
	fields, pos := map[string]string{}, map[string]Position{}
	n = deref(n)
	if n == nil || isNull(n) {
		return fields, pos
	}
	// The decoder has checked that n is a mapping without duplicate keys.
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := deref(n.Content[i]), deref(n.Content[i+1])
		if k == nil || v == nil {
			continue
		}
		if k.Kind != yaml.ScalarNode || k.ShortTag() == tagMerge || strings.TrimSpace(k.Value) == "" {
			c.problems.Addf(nodePos(c.cfg.File, k), "%s: each key must be a Hipcall field name such as \"job_title\"", display(path))
			continue
		}
		if v.Kind != yaml.ScalarNode {
			c.problems.Addf(nodePos(c.cfg.File, v), "%s.%s must be a record path (fields.tier) or a template ({{.first_name}}), got %s",
				display(path), k.Value, describe(v, false))
			continue
		}
		value := v.Value
		if isNull(v) {
			value = ""
		}
		fields[k.Value] = value
		pos[k.Value] = nodePos(c.cfg.File, v)
	}
	return fields, pos
}

func containsString(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
