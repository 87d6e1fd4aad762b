package server

import (
	"errors"
	"fmt"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/prometheus/client_golang/prometheus"
)

// Defaults applied by New to zero-valued options.
const (
	DefaultListen            = "127.0.0.1:5008"
	DefaultReadHeaderTimeout = 2 * time.Second
	DefaultReadTimeout       = 5 * time.Second
	DefaultWriteTimeout      = 5 * time.Second
	DefaultIdleTimeout       = 60 * time.Second
	DefaultShutdownTimeout   = 10 * time.Second
	DefaultMaxBodyBytes      = 64 << 10
)

// Options configures a Server. Zero durations and sizes take the Default*
// values.
type Options struct {
	// Listen is the TCP address (default DefaultListen); ":0" picks a port.
	Listen string

	ReadHeaderTimeout, ReadTimeout, WriteTimeout, IdleTimeout, ShutdownTimeout time.Duration

	// MaxBodyBytes caps request bodies (default DefaultMaxBodyBytes).
	MaxBodyBytes int64

	// Mounts are the endpoints besides the built-in /healthz, /readyz and
	// /metrics: the phone-system front ends and the webhook receiver, each
	// built by its own package.
	Mounts []Mount

	// Ready reports readiness for /readyz and why not; nil means always
	// ready.
	Ready func() (bool, []string)
	// Registry receives the server's metrics and is served at /metrics.
	// nil uses a private registry. Process and Go collectors are the
	// caller's business.
	Registry *prometheus.Registry
	// Logger receives one line per request; nil discards.
	Logger hclog.Logger
}

// withDefaults returns a copy of o with defaults filled in, or an error
// listing every problem.
func (o Options) withDefaults() (Options, error) {
	if o.Listen == "" {
		o.Listen = DefaultListen
	}
	setDur := func(d *time.Duration, def time.Duration) {
		if *d == 0 {
			*d = def
		}
	}
	setDur(&o.ReadHeaderTimeout, DefaultReadHeaderTimeout)
	setDur(&o.ReadTimeout, DefaultReadTimeout)
	setDur(&o.WriteTimeout, DefaultWriteTimeout)
	setDur(&o.IdleTimeout, DefaultIdleTimeout)
	setDur(&o.ShutdownTimeout, DefaultShutdownTimeout)
	if o.MaxBodyBytes == 0 {
		o.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if o.Logger == nil {
		o.Logger = hclog.NewNullLogger()
	}
	if o.Registry == nil {
		o.Registry = prometheus.NewRegistry()
	}

	var errs []error
	for _, t := range []struct {
		name string
		d    time.Duration
	}{
		{"read_header_timeout", o.ReadHeaderTimeout}, {"read_timeout", o.ReadTimeout},
		{"write_timeout", o.WriteTimeout}, {"idle_timeout", o.IdleTimeout},
		{"shutdown_timeout", o.ShutdownTimeout},
	} {
		if t.d < 0 {
			errs = append(errs, fmt.Errorf("%s is %v: set a positive duration or leave it out for the default", t.name, t.d))
		}
	}
	if o.MaxBodyBytes < 0 {
		errs = append(errs, fmt.Errorf("max_body_bytes is %d: set a positive size or leave it out for the default", o.MaxBodyBytes))
	}

	errs = append(errs, o.checkMounts()...)
	if len(errs) > 0 {
		return o, fmt.Errorf("server: invalid options: %w", errors.Join(errs...))
	}
	return o, nil
}
