package webhook

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/switchboard-hq/switchboard/connectors"
	"github.com/switchboard-hq/switchboard/connectors/conf"
	"github.com/switchboard-hq/switchboard/core/server"
)

// Limits of the hipcall.webhook section.
const (
	// MinTokenLength is the shortest accepted token.
	MinTokenLength = 16
	// MaxQueueSize is the largest accepted queue_size.
	MaxQueueSize = 1_000_000
	// MaxWorkers is the largest accepted workers.
	MaxWorkers = 256
	// MaxDedupWindow is the longest accepted dedup_window.
	MaxDedupWindow = 24 * time.Hour
)

// Config is the hipcall.webhook section: the endpoint Hipcall's webhooks
// are sent to. Hipcall signs nothing and does not retry, so the URL is
// protected by a secret token, Basic Auth and/or a source allowlist, and
// every event is answered at once and handled afterwards.
type Config struct {
	Enabled bool `yaml:"enabled"`
	// Path is the URL path; the token may follow it as one more segment
	// (/hipcall/webhook/<token>) or come as ?token=.
	Path string `yaml:"path"`
	// Token is the secret that must be in the path or the query.
	Token conf.Secret `yaml:"token"`
	// BasicAuth, when set, is required too; nil unless a username and a
	// password are set.
	BasicAuth *conf.BasicAuth `yaml:"basic_auth"`
	// AllowFrom lists the source networks allowed to post, as CIDR
	// prefixes (Check turns a single address into one); empty allows any.
	AllowFrom []string `yaml:"allow_from"`
	// QueueSize bounds the events waiting for a worker; a full queue drops
	// (counts and logs) new events.
	QueueSize int `yaml:"queue_size"`
	// Workers handle queued events concurrently.
	Workers int `yaml:"workers"`
	// DedupWindow is how long an (event, call) pair is remembered so that
	// a repeat is handled once.
	DedupWindow time.Duration `yaml:"dedup_window"`
	// InsecureNoAuth allows an endpoint without any authentication (local
	// trials only).
	InsecureNoAuth bool `yaml:"insecure_no_auth"`
}

// DefaultConfig is the hipcall.webhook section when nothing is written.
func DefaultConfig() Config {
	return Config{Path: DefaultPath, QueueSize: DefaultQueueSize, Workers: DefaultWorkers, DedupWindow: DefaultDedupWindow}
}

// HasAuth reports whether any authentication is configured.
func (c Config) HasAuth() bool {
	return c.Token != "" || c.BasicAuth != nil || len(c.AllowFrom) > 0
}

// Check normalises allow_from (each entry a masked prefix) and basic_auth
// (both empty means none) and reports what is wrong. Whether an enabled
// endpoint has any authentication, and whether its path is free, is
// checked by the host, which sees the other endpoints.
func (c *Config) Check() connectors.Problems {
	var ps connectors.Problems
	if !strings.HasPrefix(c.Path, "/") || strings.HasSuffix(c.Path, "/") && c.Path != "/" {
		ps.Addf("path", "must start with \"/\" and not end with one, such as %q, got %q", DefaultPath, c.Path)
	}
	if tok := c.Token.Reveal(); tok != "" {
		switch {
		case len(tok) < MinTokenLength:
			ps.Addf("token", "is %d characters: use at least %d random characters (openssl rand -hex 16)", len(tok), MinTokenLength)
		case strings.IndexFunc(tok, func(r rune) bool { return !tokenChar(r) }) >= 0:
			ps.Addf("token", "may only contain letters, digits, -, ., _ and ~ (it travels in the URL): use openssl rand -hex 16")
		}
	}
	conf.CheckBasicAuth(&ps, "basic_auth", &c.BasicAuth)
	for i, s := range c.AllowFrom {
		p, err := parseAllow(s)
		if err != nil {
			ps.Addf("allow_from."+strconv.Itoa(i), "must be a network such as \"203.0.113.0/24\" or an address, got %q", strings.TrimSpace(s))
			continue
		}
		c.AllowFrom[i] = p.String()
	}
	conf.Between(&ps, "queue_size", int64(c.QueueSize), 1, MaxQueueSize)
	conf.Between(&ps, "workers", int64(c.Workers), 1, MaxWorkers)
	if c.DedupWindow <= 0 || c.DedupWindow > MaxDedupWindow {
		ps.Addf("dedup_window", "must be longer than 0 and at most %s, such as \"10m\", got %s",
			conf.FormatDuration(MaxDedupWindow), conf.FormatDuration(c.DedupWindow))
	}
	return ps
}

// parseAllow reads an allow_from entry: a network, or a single address.
func parseAllow(s string) (netip.Prefix, error) { return server.ParsePrefix(s) }

// tokenChar reports whether r may appear in a token, which travels in a
// URL path or query unescaped.
func tokenChar(r rune) bool {
	return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-._~", r)
}

// Auth is the section's authentication, for Options.Auth.
func (c Config) Auth() (AuthOptions, error) {
	a := AuthOptions{Token: c.Token.Reveal(), InsecureNoAuth: c.InsecureNoAuth}
	if c.BasicAuth != nil {
		a.Username, a.Password = c.BasicAuth.Username, c.BasicAuth.Password.Reveal()
	}
	for i, s := range c.AllowFrom {
		p, err := parseAllow(s)
		if err != nil {
			return AuthOptions{}, fmt.Errorf("allow_from[%d] %q: %w", i, s, err)
		}
		a.AllowFrom = append(a.AllowFrom, p)
	}
	return a, nil
}

// Options are the processor's options as the section configures them; the
// caller adds MaxBodyBytes, Dedup (a store with DedupWindow), Handler,
// Logger and Registerer.
func (c Config) Options() (Options, error) {
	auth, err := c.Auth()
	if err != nil {
		return Options{}, err
	}
	return Options{Path: c.Path, Auth: auth, QueueSize: c.QueueSize, Workers: c.Workers}, nil
}
