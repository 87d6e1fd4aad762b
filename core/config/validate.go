package config

import (
	"github.com/switchboard-hq/switchboard/connectors/conf"

	"net"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Accepted enumerations.
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
	c.hipcall()
	c.ringostat() // ringostat, routing.ringostat_default, rules[].ringostat* (ringostat.go)
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

func (c *checker) hipcall() {
	s := &c.cfg.Hipcall.SmartIVR
	if !strings.HasPrefix(s.Path, "/") {
		c.addf("hipcall.smart_ivr.path", "hipcall.smart_ivr.path must start with \"/\", such as \"/hipcall/smart-ivr\", got %q", s.Path)
	}
	if s.Deadline <= 0 || s.Deadline > MaxSmartIVRDeadline {
		c.addf("hipcall.smart_ivr.deadline", "hipcall.smart_ivr.deadline must be longer than 0 and at most %s "+
			"(Hipcall waits 3s for an answer), got %s", conf.FormatDuration(MaxSmartIVRDeadline), conf.FormatDuration(s.Deadline))
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
