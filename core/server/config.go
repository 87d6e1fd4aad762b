package server

import (
	"net"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/switchboard-hq/switchboard/connectors"
	"github.com/switchboard-hq/switchboard/connectors/conf"
)

// MaxBodyBytesLimit is the largest body limit the server accepts.
const MaxBodyBytesLimit = 10 << 20

// Config is the host's server section: where the public and admin
// listeners are, their timeouts, body limit, TLS, the proxies trusted to
// say who the client is, and the limits per source. Zero fields of
// Options.Config take DefaultConfig's values.
type Config struct {
	// Listen is the public host:port (the phone systems' endpoints); port
	// 0 picks one.
	Listen            string        `yaml:"listen"`
	ReadHeaderTimeout time.Duration `yaml:"read_header_timeout"`
	ReadTimeout       time.Duration `yaml:"read_timeout"`
	WriteTimeout      time.Duration `yaml:"write_timeout"`
	IdleTimeout       time.Duration `yaml:"idle_timeout"`
	// MaxBodyBytes caps request bodies (1 byte to MaxBodyBytesLimit).
	MaxBodyBytes int64 `yaml:"max_body_bytes"`
	// ShutdownTimeout bounds the graceful shutdown.
	ShutdownTimeout time.Duration `yaml:"shutdown_timeout"`
	// TLS, when both files are set, serves the public listener over
	// HTTPS; the files are read again when they change.
	TLS TLSConfig `yaml:"tls"`
	// TrustedProxies are the networks whose X-Forwarded-For is believed:
	// a request from one of them is treated as coming from the address it
	// forwards for (allow_from, limits, logs). Empty trusts none.
	TrustedProxies []string `yaml:"trusted_proxies"`
	// Limits are the per-source limits on the public listener.
	Limits LimitsConfig `yaml:"limits"`
	// Admin is the listener for /metrics, /readyz and the operator's pages.
	Admin AdminConfig `yaml:"admin"`
}

// TLSConfig names a certificate and its key (PEM files).
type TLSConfig struct {
	CertFile string `yaml:"cert_file" resolve:"path"`
	KeyFile  string `yaml:"key_file" resolve:"path"`
}

// On reports whether TLS is configured.
func (t TLSConfig) On() bool { return t.CertFile != "" || t.KeyFile != "" }

// LimitsConfig bounds what one source address may ask of the public
// listener. A source is an IPv4 address or an IPv6 /64.
type LimitsConfig struct {
	// Rate is the sustained requests per second allowed per source (0: no
	// limit). Over it, an endpoint answers its fallback (the Smart IVR its
	// default extension) or 429.
	Rate float64 `yaml:"rate"`
	// Burst is how many requests a source may send at once above Rate.
	Burst int `yaml:"burst"`
	// Conns is the most connections one source may hold open (0: no
	// limit); more are closed at once.
	Conns int `yaml:"conns"`
	// Exempt are networks no limit applies to (loopback by default: local
	// tools and benchmarks).
	Exempt []string `yaml:"exempt"`
}

// AdminConfig is the admin listener: /metrics, /readyz, /healthz and the
// operator's pages, apart from the phone systems' endpoints.
type AdminConfig struct {
	// Listen is its host:port. Empty: 127.0.0.1 on the port after
	// Config.Listen's (port 0 when that is 0).
	Listen string `yaml:"listen"`
	// BasicAuth, when set, is required on every admin endpoint but
	// /healthz.
	BasicAuth *conf.BasicAuth `yaml:"basic_auth"`
	// InsecureNoAuth allows a listener that is not loopback-only without
	// basic_auth (something in front of it must then authenticate).
	InsecureNoAuth bool `yaml:"insecure_no_auth"`
}

// DefaultConfig is the server section when nothing is written. The limits
// are far above one Hipcall account's ring rate: they stop a scraper, not
// a phone system.
func DefaultConfig() Config {
	return Config{
		Listen:            "127.0.0.1:5008",
		ReadHeaderTimeout: 2 * time.Second,
		ReadTimeout:       5 * time.Second,
		WriteTimeout:      5 * time.Second,
		IdleTimeout:       60 * time.Second,
		MaxBodyBytes:      64 << 10,
		ShutdownTimeout:   10 * time.Second,
		Limits:            LimitsConfig{Rate: 200, Burst: 400, Conns: 256, Exempt: []string{"127.0.0.0/8", "::1/128"}},
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
	if c.TLS.On() {
		if c.TLS.CertFile == "" {
			ps.Addf("tls.cert_file", "is required with tls.key_file: name the PEM certificate (chain) file")
		}
		if c.TLS.KeyFile == "" {
			ps.Addf("tls.key_file", "is required with tls.cert_file: name the PEM private key file")
		}
	}
	for i, s := range c.TrustedProxies {
		if _, err := ParsePrefix(s); err != nil {
			ps.Addf("trusted_proxies."+strconv.Itoa(i), "%q is not an address or a network (10.0.0.5, 10.0.0.0/8, fd00::/8)", s)
		}
	}
	l := &c.Limits
	if l.Rate < 0 {
		ps.Addf("limits.rate", "must not be negative (0 turns the rate limit off), got %v", l.Rate)
	}
	if l.Rate > 0 && l.Burst < 1 {
		ps.Addf("limits.burst", "must be at least 1 when limits.rate is set, got %d", l.Burst)
	}
	if l.Conns < 0 {
		ps.Addf("limits.conns", "must not be negative (0 turns the connection cap off), got %d", l.Conns)
	}
	for i, s := range l.Exempt {
		if _, err := ParsePrefix(s); err != nil {
			ps.Addf("limits.exempt."+strconv.Itoa(i), "%q is not an address or a network (127.0.0.0/8, ::1)", s)
		}
	}
	a := &c.Admin
	if a.Listen != "" {
		if _, port, err := net.SplitHostPort(a.Listen); err != nil || !validPort(port) {
			ps.Addf("admin.listen", "must be host:port, such as \"127.0.0.1:5009\", got %q", a.Listen)
		} else if a.Listen == c.Listen && !strings.HasSuffix(a.Listen, ":0") {
			ps.Addf("admin.listen", "%q is also server.listen: the admin endpoints need a listener of their own", a.Listen)
		}
	}
	conf.CheckBasicAuth(&ps, "admin.basic_auth", &a.BasicAuth)
	if a.BasicAuth == nil && !a.InsecureNoAuth && !LoopbackOnly(c.AdminListen()) {
		ps.Addf("admin.listen", "%q is reachable from other machines and the admin endpoints (metrics, readiness, the console) "+
			"have no basic_auth: set admin.basic_auth, listen on 127.0.0.1, or set admin.insecure_no_auth: true "+
			"if something in front authenticates", c.AdminListen())
	}
	return ps
}

// AdminListen is the admin listener's address: Admin.Listen, or 127.0.0.1
// on the port after Listen's (port 0 when Listen's is 0 or unreadable).
func (c *Config) AdminListen() string {
	if c.Admin.Listen != "" {
		return c.Admin.Listen
	}
	port := 0
	if _, p, err := net.SplitHostPort(c.Listen); err == nil {
		if n, err := strconv.Atoi(p); err == nil && n > 0 && n < 65535 {
			port = n + 1
		}
	}
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
}

// LoopbackOnly reports whether a listener on addr (host:port) can only be
// reached from this machine: its host is a loopback address or
// "localhost". An empty host, 0.0.0.0 or :: listen everywhere.
func LoopbackOnly(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.IsLoopback()
}

// ParsePrefix reads a network ("10.0.0.0/8") or a single address
// ("10.0.0.5", a /32 or /128), for allow lists.
func ParsePrefix(s string) (netip.Prefix, error) {
	s = strings.TrimSpace(s)
	if p, err := netip.ParsePrefix(s); err == nil {
		return p.Masked(), nil
	}
	ip, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, err
	}
	ip = ip.Unmap()
	return netip.PrefixFrom(ip, ip.BitLen()), nil
}

// validPort reports whether port is a number from 0 to 65535.
func validPort(port string) bool {
	n, err := strconv.Atoi(port)
	return err == nil && n >= 0 && n <= 65535
}
