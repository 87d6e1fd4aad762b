package config

import (
	"net"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

var (
	// nameRE is the shape of connector and plugin names.
	nameRE = regexp.MustCompile(`^[a-z0-9_-]+$`)
	// sha256RE is a hex SHA-256 digest.
	sha256RE = regexp.MustCompile(`^[0-9a-fA-F]{64}$`)
)

// Accepted enumerations.
var (
	logLevels  = []string{"trace", "debug", "info", "warn", "error"}
	logFormats = []string{"text", "json"}
	modes      = []string{string(ModeIndex), string(ModeLive)}
)

// checker validates a decoded configuration, normalises a few values and
// resolves relative paths.
type checker struct {
	cfg      *Config
	index    nodeIndex
	bad      map[string]bool
	problems *Problems
}

// addf records a problem about path, unless path (or a section holding it)
// already had one.
func (c *checker) addf(path, format string, args ...any) {
	if c.tainted(path) {
		return
	}
	c.problems.Addf(c.index.pos(c.cfg.File, path), format, args...)
}

// tainted reports whether path or one of its ancestors had a problem.
func (c *checker) tainted(path string) bool {
	for p := path; ; p = parent(p) {
		if c.bad[p] {
			return true
		}
		if p == "" {
			return false
		}
	}
}

// positive requires d > 0.
func (c *checker) positive(path string, d time.Duration) {
	if d <= 0 {
		c.addf(path, "%s must be longer than 0, such as \"5s\"", display(path))
	}
}

// oneOf requires *v to be one of allowed (ignoring case) and lower-cases it.
func (c *checker) oneOf(path string, v *string, allowed []string) {
	lv := strings.ToLower(strings.TrimSpace(*v))
	if slices.Contains(allowed, lv) {
		*v = lv
		return
	}
	msg := display(path) + " must be one of " + strings.Join(allowed, ", ") + ", got " + strconv.Quote(*v)
	if s := suggest(lv, allowed); s != "" {
		msg += " (did you mean " + strconv.Quote(s) + "?)"
	}
	c.addf(path, "%s", msg)
}

// check validates the whole configuration.
func (c *checker) check() {
	c.server()
	c.log()
	c.phone()
	c.plugins()
	c.directory()
	c.connectors()
	c.reattach() // connectors[].reattach (reattach.go)
	c.hipcall()
	c.hipcallEvents() // hipcall.api, hipcall.webhook, cards (webhook.go, cards.go)
	c.ringostat()     // ringostat, routing.ringostat_default, rules[].ringostat* (ringostat.go)
	c.sync()          // sync (sync.go)
}

func (c *checker) server() {
	s := &c.cfg.Server
	if _, port, err := net.SplitHostPort(s.Listen); err != nil || !validPort(port) {
		c.addf("server.listen", "server.listen must be host:port, such as \"127.0.0.1:5008\", got %q", s.Listen)
	}
	c.positive("server.read_header_timeout", s.ReadHeaderTimeout)
	c.positive("server.read_timeout", s.ReadTimeout)
	c.positive("server.write_timeout", s.WriteTimeout)
	c.positive("server.idle_timeout", s.IdleTimeout)
	c.positive("server.shutdown_timeout", s.ShutdownTimeout)
	if s.MaxBodyBytes < 1 || s.MaxBodyBytes > MaxBodyBytesLimit {
		c.addf("server.max_body_bytes", "server.max_body_bytes must be between 1 and %d (10 MiB), got %d",
			MaxBodyBytesLimit, s.MaxBodyBytes)
	}
}

// validPort reports whether port is a number from 0 to 65535.
func validPort(port string) bool {
	n, err := strconv.Atoi(port)
	return err == nil && n >= 0 && n <= 65535
}

func (c *checker) log() {
	c.oneOf("log.level", &c.cfg.Log.Level, logLevels)
	c.oneOf("log.format", &c.cfg.Log.Format, logFormats)
}

func (c *checker) phone() {
	p := &c.cfg.Phone
	p.DefaultRegion = strings.TrimSpace(p.DefaultRegion)
	switch {
	case p.DefaultRegion == "":
		c.addf("phone.default_region", "phone.default_region is required: set it to the ISO 3166 code "+
			"of the country most callers dial from, such as GB")
	case !isTwoLetters(p.DefaultRegion):
		c.addf("phone.default_region", "phone.default_region must be a two-letter ISO 3166 code such as GB, got %q",
			p.DefaultRegion)
	default:
		p.DefaultRegion = strings.ToUpper(p.DefaultRegion)
	}
	if d := p.SuffixMatchDigits; d != 0 && (d < 6 || d > 15) {
		c.addf("phone.suffix_match_digits", "phone.suffix_match_digits must be 0 (off) or from 6 to 15, got %d", d)
	}
}

// isTwoLetters reports whether s is two ASCII letters.
func isTwoLetters(s string) bool {
	if len(s) != 2 {
		return false
	}
	for _, r := range s {
		if (r < 'A' || r > 'Z') && (r < 'a' || r > 'z') {
			return false
		}
	}
	return true
}

func (c *checker) plugins() {
	p := &c.cfg.Plugins
	if strings.TrimSpace(p.Dir) == "" {
		c.addf("plugins.dir", "plugins.dir must not be empty: leave it out for the default \"bin/plugins\"")
	} else {
		p.Dir = c.resolve(p.Dir)
	}
	c.positive("plugins.health_interval", p.HealthInterval)
	c.positive("plugins.health_timeout", p.HealthTimeout)
	c.positive("plugins.restart_backoff_min", p.RestartBackoffMin)
	c.positive("plugins.restart_backoff_max", p.RestartBackoffMax)
	if p.RestartBackoffMax < p.RestartBackoffMin && !c.tainted("plugins.restart_backoff_min") {
		c.addf("plugins.restart_backoff_max", "plugins.restart_backoff_max (%s) must not be shorter than plugins.restart_backoff_min (%s)",
			formatDuration(p.RestartBackoffMax), formatDuration(p.RestartBackoffMin))
	}
}

// resolve makes a relative path relative to the configuration's directory.
func (c *checker) resolve(p string) string {
	if filepath.IsAbs(p) || c.cfg.BaseDir == "" {
		return filepath.Clean(p)
	}
	return filepath.Join(c.cfg.BaseDir, p)
}

func (c *checker) directory() {
	d := &c.cfg.Directory
	c.positive("directory.deadline", d.Deadline)
	if d.Cache.Size < 0 {
		c.addf("directory.cache.size", "directory.cache.size must be 0 (no cache) or more, got %d", d.Cache.Size)
	}
	if d.Cache.Size > 0 {
		c.positive("directory.cache.positive_ttl", d.Cache.PositiveTTL)
	}
}

func (c *checker) connectors() {
	list := c.cfg.Connectors
	if len(list) == 0 {
		c.addf("connectors", "at least one connector is required: add an entry under connectors: "+
			"with a name and a plugin")
		return
	}
	names := map[string]Position{}
	for i := range list {
		conn := &list[i]
		path := "connectors." + strconv.Itoa(i)
		at := func(key string) string { return path + "." + key }
		switch {
		case conn.Name == "":
			c.addf(at("name"), "%s.name is required: give the connector a unique name such as \"customers\"", display(path))
		case !nameRE.MatchString(conn.Name):
			c.addf(at("name"), "%s.name %q may only contain a-z, 0-9, _ and -", display(path), conn.Name)
		default:
			if first, dup := names[conn.Name]; dup {
				c.addf(at("name"), "duplicate connector name %q (first used at %s); connector names must be unique",
					conn.Name, first)
			} else {
				names[conn.Name] = c.index.pos(c.cfg.File, at("name"))
			}
		}
		switch {
		case conn.Plugin == "":
			c.addf(at("plugin"), "%s.plugin is required: name the plugin that serves it, such as \"csv\"", display(path))
		case !nameRE.MatchString(conn.Plugin):
			c.addf(at("plugin"), "%s.plugin %q may only contain a-z, 0-9, _ and -", display(path), conn.Plugin)
		}
		if conn.Path != "" {
			conn.Path = c.resolve(conn.Path)
		}
		if conn.SHA256 != "" {
			if sha256RE.MatchString(conn.SHA256) {
				conn.SHA256 = strings.ToLower(conn.SHA256)
			} else {
				c.addf(at("sha256"), "%s.sha256 must be 64 hex digits (the output of sha256sum), got %d characters",
					display(path), len(conn.SHA256))
			}
		}
		mode := string(conn.Mode)
		c.oneOf(at("mode"), &mode, modes)
		conn.Mode = Mode(mode)
		c.positive(at("timeout"), conn.Timeout)
		if deadline := c.cfg.Directory.Deadline; conn.Timeout >= deadline && deadline > 0 &&
			!c.tainted("directory.deadline") {
			c.addf(at("timeout"), "%s.timeout (%s) must be shorter than directory.deadline (%s), "+
				"or lookups give up before the connector can answer", display(path),
				formatDuration(conn.Timeout), formatDuration(deadline))
		}
	}
}

func (c *checker) hipcall() {
	s := &c.cfg.Hipcall.SmartIVR
	if !strings.HasPrefix(s.Path, "/") {
		c.addf("hipcall.smart_ivr.path", "hipcall.smart_ivr.path must start with \"/\", such as \"/hipcall/smart-ivr\", got %q", s.Path)
	}
	if s.Deadline <= 0 || s.Deadline > MaxSmartIVRDeadline {
		c.addf("hipcall.smart_ivr.deadline", "hipcall.smart_ivr.deadline must be longer than 0 and at most %s "+
			"(Hipcall waits 3s for an answer), got %s", formatDuration(MaxSmartIVRDeadline), formatDuration(s.Deadline))
	}
	const auth = "hipcall.smart_ivr.basic_auth"
	if a := s.BasicAuth; a != nil {
		switch {
		case a.Username == "" && a.Password == "":
			s.BasicAuth = nil // basic_auth: with both empty (${USER:}) means none
		case a.Password == "":
			c.addf(auth+".password", "%s.password is required when a username is set (set both, or neither)", auth)
		case a.Username == "":
			c.addf(auth+".username", "%s.username is required when a password is set (set both, or neither)", auth)
		}
	}
}
