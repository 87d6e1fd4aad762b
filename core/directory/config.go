package directory

import (
	"time"

	yaml "go.yaml.in/yaml/v3"

	"github.com/switchboard-hq/switchboard/connectors"
	"github.com/switchboard-hq/switchboard/connectors/conf"
)

// Config is the host's directory section.
type Config struct {
	// Deadline bounds a whole lookup.
	Deadline time.Duration `yaml:"deadline"`
	// Cache sizes the answer cache.
	Cache CacheOptions `yaml:"cache"`
	// MaxShrink is the share of an index's records a rebuild may lose
	// before it is held (see Options.MaxShrink); 1 turns the guard off.
	MaxShrink float64 `yaml:"max_shrink"`
	// CheckInterval is how often every connector's Check runs for
	// /readyz (health.go).
	CheckInterval time.Duration `yaml:"check_interval"`
}

// DefaultConfig is the directory section when nothing is written.
func DefaultConfig() Config {
	return Config{
		Deadline:      DefaultDeadline,
		Cache:         CacheOptions{Size: 10000, PositiveTTL: time.Minute, NegativeTTL: 15 * time.Second},
		MaxShrink:     DefaultMaxShrink,
		CheckInterval: DefaultCheckInterval,
	}
}

// Check reports what is wrong with the section.
func (c *Config) Check() connectors.Problems {
	var ps connectors.Problems
	conf.Positive(&ps, "deadline", c.Deadline)
	if c.Cache.Size < 0 {
		ps.Addf("cache.size", "must be 0 (no cache) or more, got %d", c.Cache.Size)
	}
	if c.Cache.Size > 0 {
		conf.Positive(&ps, "cache.positive_ttl", c.Cache.PositiveTTL)
	}
	if c.CheckInterval < time.Second {
		ps.Addf("check_interval", "must be at least 1s, got %s: how often every connector's Check runs for /readyz (a HubSpot Check makes two requests)", c.CheckInterval)
	}
	if !validShrink(c.MaxShrink) {
		ps.Addf("max_shrink", "must be above 0 and at most 1, got %v: the share of an index's records a rebuild may lose "+
			"before it is held (0.5: half); 1 turns the guard off", c.MaxShrink)
	}
	return ps
}

// SourceConfig is the directory's part of a connectors: entry: how the
// connector is asked.
type SourceConfig struct {
	// Mode is index (the default) or live.
	Mode Mode `yaml:"mode"`
	// Timeout bounds each live call; it must be below the directory's
	// deadline.
	Timeout time.Duration `yaml:"timeout"`
	// Refresh is the index rebuild interval; 0 builds once.
	Refresh time.Duration `yaml:"refresh"`
	// Poll is how often an index source asks its connector for the
	// records changed since the last poll (connectors that declare
	// changed_since only); 0 turns polling off.
	Poll time.Duration `yaml:"poll"`
	// Keys names the record fields callers may be found or checked by
	// (keys.go): a mapping of key names to a field (account: account_no)
	// or to {field, hash, secret}. It is kept as written, to allow both
	// forms; Check reads it (ParseKeys) and reports its problems.
	Keys *yaml.Node `yaml:"-" raw:"keys"`
}

// DefaultSourceConfig is a connectors: entry's directory settings when none
// are written.
func DefaultSourceConfig() SourceConfig {
	return SourceConfig{Mode: ModeIndex, Timeout: DefaultTimeout, Refresh: 5 * time.Minute, Poll: DefaultPoll}
}

// Check lower-cases the mode and reports what is wrong.
func (c *SourceConfig) Check() connectors.Problems {
	var ps connectors.Problems
	mode := string(c.Mode)
	conf.OneOf(&ps, "mode", &mode, string(ModeIndex), string(ModeLive))
	c.Mode = Mode(mode)
	conf.Positive(&ps, "timeout", c.Timeout)
	switch {
	case c.Poll < 0:
		ps.Addf("poll", "must be 0 (do not poll) or more, got %s", c.Poll)
	case c.Poll > 0 && c.Poll < minPoll:
		ps.Addf("poll", "must be 0 (do not poll) or at least %s, got %s: every poll is a query to the CRM", minPoll, c.Poll)
	}
	_, kps := ParseKeys(c.Keys)
	return append(ps, kps...)
}

// minPoll is the shortest poll interval a configuration may ask for.
const minPoll = 100 * time.Millisecond

// Source is the directory source for connector, named name, with these
// settings. Its keys are read from Keys (problems were reported by Check).
func (c SourceConfig) Source(name string, connector connectors.Connector) Source {
	keys, _ := ParseKeys(c.Keys)
	return Source{Name: name, Connector: connector, Mode: c.Mode, Timeout: c.Timeout, Refresh: c.Refresh, Poll: c.Poll, Keys: keys}
}

// CheckCapabilities says why the connector so described cannot serve this
// entry's keys (a live source needs connectors.CapLookupByKey for them),
// for the host's check of modes against descriptions; New checks the same.
func (c *SourceConfig) CheckCapabilities(info connectors.DescribeResponse) error {
	if c.Mode != ModeLive {
		return nil
	}
	keys, _ := ParseKeys(c.Keys)
	if len(keys) == 0 {
		return nil
	}
	return keysCapable(info, keys)
}
