package manager

import (
	"strings"
	"time"

	"github.com/switchboard-hq/switchboard/connectors"
	"github.com/switchboard-hq/switchboard/connectors/conf"
)

// Config is the host's plugins section: where plugin binaries live and how
// their processes are supervised. Its defaults are DefaultConfig's.
type Config struct {
	// Dir holds the plugin binaries, switchboard-connector-<name>.
	Dir string `yaml:"dir" resolve:"path"`
	// HealthInterval is how often a plugin is pinged; HealthTimeout is how
	// long a ping may take before the plugin counts as hung.
	HealthInterval time.Duration `yaml:"health_interval"`
	HealthTimeout  time.Duration `yaml:"health_timeout"`
	// RestartBackoffMin and RestartBackoffMax bound the delay before
	// relaunching a plugin that died; it doubles (with jitter) after every
	// failed relaunch.
	RestartBackoffMin time.Duration `yaml:"restart_backoff_min"`
	RestartBackoffMax time.Duration `yaml:"restart_backoff_max"`
	// ConfigureTimeout bounds a plugin's Configure, which loads its data
	// (a CSV connector reads its whole file): sized for large sources,
	// apart from the short handshake (Options.StartTimeout).
	ConfigureTimeout time.Duration `yaml:"configure_timeout"`
}

// DefaultConfig is the plugins section when nothing is written.
func DefaultConfig() Config {
	return Config{
		Dir:               "bin/plugins",
		HealthInterval:    5 * time.Second,
		HealthTimeout:     2 * time.Second,
		RestartBackoffMin: 200 * time.Millisecond,
		RestartBackoffMax: 30 * time.Second,
		ConfigureTimeout:  2 * time.Minute,
	}
}

// Check reports what is wrong with the section.
func (c *Config) Check() connectors.Problems {
	var ps connectors.Problems
	if strings.TrimSpace(c.Dir) == "" {
		ps.Addf("dir", "must not be empty: leave it out for the default %q", DefaultConfig().Dir)
	}
	for _, d := range []struct {
		key string
		v   time.Duration
	}{{"health_interval", c.HealthInterval}, {"health_timeout", c.HealthTimeout},
		{"restart_backoff_min", c.RestartBackoffMin}, {"restart_backoff_max", c.RestartBackoffMax},
		{"configure_timeout", c.ConfigureTimeout}} {
		if d.v <= 0 {
			ps.Addf(d.key, "must be longer than 0, such as \"5s\"")
		}
	}
	if c.RestartBackoffMin > 0 && c.RestartBackoffMax > 0 && c.RestartBackoffMax < c.RestartBackoffMin {
		ps.Addf("restart_backoff_max", "(%s) must not be shorter than plugins.restart_backoff_min (%s)", conf.FormatDuration(c.RestartBackoffMax), conf.FormatDuration(c.RestartBackoffMin))
	}
	return ps
}
