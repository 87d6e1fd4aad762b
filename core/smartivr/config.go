package smartivr

import (
	"strings"
	"time"

	"github.com/switchboard-hq/switchboard/connectors"
	"github.com/switchboard-hq/switchboard/connectors/conf"
)

// MaxDeadline is the longest deadline accepted: Hipcall waits 3 s for an
// answer, and the answer needs the rest to travel back.
const MaxDeadline = 2500 * time.Millisecond

// Config is the host's hipcall.smart_ivr section.
type Config struct {
	// Enabled serves the endpoint.
	Enabled bool `yaml:"enabled"`
	// Path is where Hipcall POSTs, starting with "/".
	Path string `yaml:"path"`
	// Deadline is the time allowed for an answer, at most MaxDeadline.
	Deadline time.Duration `yaml:"deadline"`
	// BasicAuth, when set, is required on every request. It is required
	// when server.listen is reachable from other machines (the answers
	// tell who is a customer) unless InsecureNoAuth.
	BasicAuth *conf.BasicAuth `yaml:"basic_auth"`
	// InsecureNoAuth serves the endpoint without credentials on a
	// listener other machines reach: only when something in front of
	// Switchboard authenticates. Logged loudly at start.
	InsecureNoAuth bool `yaml:"insecure_no_auth"`
}

// HasAuth reports whether the endpoint asks for credentials.
func (c Config) HasAuth() bool { return c.BasicAuth != nil }

// DefaultConfig is the section when nothing is written.
func DefaultConfig() Config {
	return Config{Enabled: true, Path: "/hipcall/smart-ivr", Deadline: 1500 * time.Millisecond}
}

// Check reports what is wrong with the section (and drops a basic_auth
// pair with both values empty).
func (c *Config) Check() connectors.Problems {
	var ps connectors.Problems
	if !strings.HasPrefix(c.Path, "/") {
		ps.Addf("path", "must start with \"/\", such as %q, got %q", DefaultConfig().Path, c.Path)
	}
	if c.Deadline <= 0 || c.Deadline > MaxDeadline {
		ps.Addf("deadline", "must be longer than 0 and at most %s (Hipcall waits 3s for an answer), got %s",
			conf.FormatDuration(MaxDeadline), conf.FormatDuration(c.Deadline))
	}
	conf.CheckBasicAuth(&ps, "basic_auth", &c.BasicAuth)
	return ps
}
