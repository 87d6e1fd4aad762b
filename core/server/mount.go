package server

import (
	"fmt"
	"github.com/switchboard-hq/switchboard/connectors/conf"
	"net/http"
	"strings"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/prometheus/client_golang/prometheus"
)

// Mount is one endpoint a package hands the server: a phone-system front
// end (core/smartivr, core/ringostat), the webhook receiver, or anything
// else that answers HTTP. The server wraps Handler in the shared
// middleware, outermost first: one log line and the metrics per request,
// panic recovery, the method check, Basic Auth (constant time), the body
// limit, then Authorize. A front end never writes its own request log
// line: it adds to the server's with Annotate and RaiseLevel.
type Mount struct {
	// Name labels the metrics (endpoint="...") and the log line. Required,
	// unique.
	Name string
	// Path is matched exactly; it must start with "/" and not clash with
	// another endpoint.
	Path string
	// Prefix serves every path under Path+"/" too. The rest of such a path
	// may hold a secret, so the middleware (and the log) only ever sees
	// Path; Handler and Authorize get the real URL. Path must then not end
	// with "/".
	Prefix bool
	// Methods are the allowed methods; others get 405. Empty allows any.
	Methods []string
	// BasicAuth, when set, is required (401 otherwise, counted in
	// switchboard_http_auth_failures_total).
	BasicAuth *conf.BasicAuth
	// Authorize, when set, runs after BasicAuth with the real URL: a
	// non-empty problem ("missing_token") answers 401, is counted as an
	// auth failure and logged as auth=<problem>. It must compare secrets in
	// constant time and never return them.
	Authorize func(r *http.Request) (problem string)
	// LimitBody caps the request body at Options.MaxBodyBytes; read it
	// with ReadBody.
	LimitBody bool
	// Level is the level of the request's log line when all went well
	// (default Info).
	Level hclog.Level
	// OnPanic answers after a recovered panic (default: 500 JSON).
	OnPanic func(w http.ResponseWriter, r *http.Request)
	// Deadline, when set, is how long Handler may take to decide; it must
	// stay below Options.WriteTimeout, or the answer could not be written.
	Deadline time.Duration
	// Collectors are the endpoint's own metrics, registered by New in
	// Options.Registry.
	Collectors []prometheus.Collector
	// Handler answers. Required.
	Handler http.Handler
}

// checkMounts fills in the mounts' defaults (on copies) and returns every
// problem with them: path shapes, clashes with each other and with the
// built-in endpoints, missing handlers, deadlines the write timeout would
// cut off.
func (o *Options) checkMounts() []error {
	var errs []error
	mounts := make([]Mount, len(o.Mounts))
	owner, named := map[string]string{}, map[string]bool{}
	for i, m := range o.Mounts {
		if m.BasicAuth != nil {
			ba := *m.BasicAuth
			m.BasicAuth = &ba
		}
		if m.Level == hclog.NoLevel {
			m.Level = hclog.Info
		}
		mounts[i] = m
		switch {
		case m.Name == "":
			errs = append(errs, fmt.Errorf("the endpoint at %q needs a name", m.Path))
		case named[m.Name]:
			errs = append(errs, fmt.Errorf("two endpoints are named %q: give each its own name", m.Name))
		}
		named[m.Name] = true
		switch {
		case !strings.HasPrefix(m.Path, "/"):
			errs = append(errs, fmt.Errorf("%s path %q must start with \"/\"", m.Name, m.Path))
		case m.Prefix && strings.HasSuffix(m.Path, "/"):
			errs = append(errs, fmt.Errorf("%s path %q must start with \"/\" and not end with one", m.Name, m.Path))
		case IsBuiltinPath(m.Path):
			errs = append(errs, fmt.Errorf("%s path %q is taken by a built-in endpoint: choose another path", m.Name, m.Path))
		case owner[m.Path] != "":
			errs = append(errs, fmt.Errorf("%s path %q is taken by another endpoint (%s): choose another path", m.Name, m.Path, owner[m.Path]))
		default:
			owner[m.Path] = m.Name
		}
		if m.Handler == nil {
			errs = append(errs, fmt.Errorf("%s needs a handler (Mount.Handler)", m.Name))
		}
		if m.BasicAuth != nil && (m.BasicAuth.Username == "" || m.BasicAuth.Password == "") {
			errs = append(errs, fmt.Errorf("%s basic auth needs both a username and a password: set both or remove basic_auth", m.Name))
		}
		if m.Deadline > 0 && m.Deadline >= o.WriteTimeout {
			errs = append(errs, fmt.Errorf("%s deadline %v must be below the server write timeout %v: raise write_timeout or lower the deadline", m.Name, m.Deadline, o.WriteTimeout))
		}
	}
	o.Mounts = mounts
	return errs
}
