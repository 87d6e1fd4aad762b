package server

import (
	"errors"
	"fmt"
	"github.com/switchboard-hq/switchboard/connectors/conf"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/prometheus/client_golang/prometheus"
)

// Options configures a Server.
type Options struct {
	// Config is the server section; zero fields take DefaultConfig's
	// values.
	Config

	// Mounts are the endpoints besides the built-in /healthz, /readyz and
	// /metrics: the phone-system front ends and the webhook receiver, each
	// built by its own package.
	Mounts []Mount
	// AdminMounts are the admin listener's endpoints besides /healthz,
	// /readyz and /metrics (the console); Config.Admin.BasicAuth, when
	// set, is added to those that have no auth of their own.
	AdminMounts []Mount

	// Ready reports readiness for /readyz and why not; ready with reasons
	// is "degraded" (200). nil means always ready.
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
	o.Config = conf.FillZero(o.Config, DefaultConfig())
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

	if o.Admin.BasicAuth != nil {
		for i := range o.AdminMounts {
			if o.AdminMounts[i].BasicAuth == nil && o.AdminMounts[i].Authorize == nil {
				o.AdminMounts[i].BasicAuth = o.Admin.BasicAuth
			}
		}
	}
	errs = append(errs, o.checkMounts()...)
	if len(errs) > 0 {
		return o, fmt.Errorf("server: invalid options: %w", errors.Join(errs...))
	}
	return o, nil
}
