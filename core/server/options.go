package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/switchboard-hq/switchboard/core/directory"
	"github.com/switchboard-hq/switchboard/core/routing"
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
	DefaultSmartIVRPath      = "/hipcall/smart-ivr"
	DefaultSmartIVRDeadline  = 1500 * time.Millisecond

	// hipcallTimeout is how long Hipcall waits for an answer before it
	// falls back on its own; the Smart IVR deadline must stay below it.
	hipcallTimeout = 3 * time.Second
)

// Lookuper answers "who is this number?". *directory.Directory satisfies it.
// Lookup must honour ctx and always return a usable Result.
type Lookuper interface {
	Lookup(ctx context.Context, raw string) directory.Result
}

// Decider turns a lookup result into a destination for a target (a phone
// system's decision point). *routing.Router satisfies it. Decide must never
// fail; for a target whose default is required (Hipcall) it always returns a
// destination.
type Decider interface {
	Decide(res directory.Result, call routing.Call, target string) routing.Decision
}

// BasicAuth holds the credentials an endpoint requires. Password comes from
// config.Secret.Reveal(); it is never logged.
type BasicAuth struct {
	Username, Password string
}

// SmartIVROptions configures Hipcall's Smart IVR endpoint.
type SmartIVROptions struct {
	// Path is where Hipcall POSTs (default DefaultSmartIVRPath).
	Path string
	// BasicAuth, when set, is required on every request.
	BasicAuth *BasicAuth
	// Deadline bounds the lookup and decision (default
	// DefaultSmartIVRDeadline; must be below Hipcall's 3 s).
	Deadline time.Duration
	// DefaultExtension answers whenever anything goes wrong. Required.
	DefaultExtension string
}

// WebhookOptions mounts an event receiver (Hipcall's webhooks, see
// core/webhook). The handler does its own authentication; the server adds
// logging, metrics, panic recovery, the POST check and the body limit.
type WebhookOptions struct {
	// Path is served, and so is every path under Path+"/" (a secret token
	// may be the last segment). Only Path is ever logged.
	Path string
	// Handler answers the events. Required.
	Handler http.Handler
}

// Options configures a Server. Zero durations and sizes take the Default*
// values.
type Options struct {
	// Listen is the TCP address (default DefaultListen); ":0" picks a port.
	Listen string

	ReadHeaderTimeout, ReadTimeout, WriteTimeout, IdleTimeout, ShutdownTimeout time.Duration

	// MaxBodyBytes caps request bodies (default DefaultMaxBodyBytes).
	MaxBodyBytes int64

	// SmartIVR enables the Smart IVR endpoint; nil disables it.
	SmartIVR *SmartIVROptions
	// Webhook mounts an event receiver; nil disables it.
	Webhook *WebhookOptions
	// Ringostat enables Ringostat's routing endpoint (ringostat*.go); nil
	// disables it.
	Ringostat *RingostatOptions
	// Directory and Router are required when SmartIVR is set.
	Directory Lookuper
	Router    Decider

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

	if o.SmartIVR != nil {
		ivr := *o.SmartIVR
		if ivr.Path == "" {
			ivr.Path = DefaultSmartIVRPath
		}
		if ivr.Deadline == 0 {
			ivr.Deadline = DefaultSmartIVRDeadline
		}
		switch {
		case !strings.HasPrefix(ivr.Path, "/"):
			errs = append(errs, fmt.Errorf("smart IVR path %q must start with \"/\"", ivr.Path))
		case isReservedPath(ivr.Path):
			errs = append(errs, fmt.Errorf("smart IVR path %q is taken by a built-in endpoint: choose another path", ivr.Path))
		}
		if ivr.Deadline < 0 || ivr.Deadline >= hipcallTimeout {
			errs = append(errs, fmt.Errorf("smart IVR deadline %v must be above 0 and below Hipcall's %v timeout (1500ms is a good value)", ivr.Deadline, hipcallTimeout))
		} else if ivr.Deadline >= o.WriteTimeout {
			errs = append(errs, fmt.Errorf("smart IVR deadline %v must be below the server write timeout %v: raise write_timeout or lower the deadline", ivr.Deadline, o.WriteTimeout))
		}
		if strings.TrimSpace(ivr.DefaultExtension) == "" {
			errs = append(errs, errors.New("smart IVR needs a default extension: set routing.default.hipcall"))
		}
		if ivr.BasicAuth != nil && (ivr.BasicAuth.Username == "" || ivr.BasicAuth.Password == "") {
			errs = append(errs, errors.New("smart IVR basic auth needs both a username and a password: set both or remove basic_auth"))
		}
		if o.Directory == nil {
			errs = append(errs, errors.New("smart IVR needs a directory (Options.Directory) to look callers up"))
		}
		if o.Router == nil {
			errs = append(errs, errors.New("smart IVR needs a router (Options.Router) to decide destinations"))
		}
		if ivr.BasicAuth != nil {
			ba := *ivr.BasicAuth
			ivr.BasicAuth = &ba
		}
		o.SmartIVR = &ivr
	}
	if wh := o.Webhook; wh != nil {
		switch {
		case !strings.HasPrefix(wh.Path, "/") || strings.HasSuffix(wh.Path, "/"):
			errs = append(errs, fmt.Errorf("webhook path %q must start with \"/\" and not end with one", wh.Path))
		case isReservedPath(wh.Path) || o.SmartIVR != nil && o.SmartIVR.Path == wh.Path:
			errs = append(errs, fmt.Errorf("webhook path %q is taken by another endpoint: choose another path", wh.Path))
		}
		if wh.Handler == nil {
			errs = append(errs, errors.New("webhook needs a handler (WebhookOptions.Handler)"))
		}
	}
	errs = append(errs, o.checkRingostat()...)
	if len(errs) > 0 {
		return o, fmt.Errorf("server: invalid options: %w", errors.Join(errs...))
	}
	return o, nil
}
