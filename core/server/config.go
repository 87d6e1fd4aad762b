package server

import (
	"net"
	"strconv"
	"time"

	"github.com/switchboard-hq/switchboard/connectors"
	"github.com/switchboard-hq/switchboard/connectors/conf"
)

// MaxBodyBytesLimit is the largest body limit the server accepts.
const MaxBodyBytesLimit = 10 << 20

// Config is the host's server section: where the server listens, its
// timeouts and its body limit. Zero fields of Options.Config take
// DefaultConfig's values.
type Config struct {
	// Listen is the host:port to listen on; port 0 picks one.
	Listen            string        `yaml:"listen"`
	ReadHeaderTimeout time.Duration `yaml:"read_header_timeout"`
	ReadTimeout       time.Duration `yaml:"read_timeout"`
	WriteTimeout      time.Duration `yaml:"write_timeout"`
	IdleTimeout       time.Duration `yaml:"idle_timeout"`
	// MaxBodyBytes caps request bodies (1 byte to MaxBodyBytesLimit).
	MaxBodyBytes int64 `yaml:"max_body_bytes"`
	// ShutdownTimeout bounds the graceful shutdown.
	ShutdownTimeout time.Duration `yaml:"shutdown_timeout"`
}

// DefaultConfig is the server section when nothing is written.
func DefaultConfig() Config {
	return Config{
		Listen:            "127.0.0.1:5008",
		ReadHeaderTimeout: 2 * time.Second,
		ReadTimeout:       5 * time.Second,
		WriteTimeout:      5 * time.Second,
		IdleTimeout:       60 * time.Second,
		MaxBodyBytes:      64 << 10,
		ShutdownTimeout:   10 * time.Second,
	}
}

// Check reports what is wrong with the section.
func (c *Config) Check() connectors.Problems {
	var ps connectors.Problems
	if _, port, err := net.SplitHostPort(c.Listen); err != nil || !validPort(port) {
		ps.Addf("listen", "must be host:port, such as \"127.0.0.1:5008\", got %q", c.Listen)
	}
	conf.Positive(&ps, "read_header_timeout", c.ReadHeaderTimeout)
	conf.Positive(&ps, "read_timeout", c.ReadTimeout)
	conf.Positive(&ps, "write_timeout", c.WriteTimeout)
	conf.Positive(&ps, "idle_timeout", c.IdleTimeout)
	conf.Positive(&ps, "shutdown_timeout", c.ShutdownTimeout)
	if c.MaxBodyBytes < 1 || c.MaxBodyBytes > MaxBodyBytesLimit {
		ps.Addf("max_body_bytes", "must be between 1 and %d (10 MiB), got %d", MaxBodyBytesLimit, c.MaxBodyBytes)
	}
	return ps
}

// validPort reports whether port is a number from 0 to 65535.
func validPort(port string) bool {
	n, err := strconv.Atoi(port)
	return err == nil && n >= 0 && n <= 65535
}
