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
// panic recovery, the source's rate limit, the method check, Basic Auth
// (constant time), the body limit and deadline, then Authorize. A front end never writes its own request log
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
	// PublicSubpaths, with Prefix, says the paths under Path hold no
	// secret (the console's pages): the log shows them whole, long
	// segments and all, instead of Path alone.
	PublicSubpaths bool
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
	// OnLimited answers a request over its source's rate limit
	// (server.limits; default: 429 with Retry-After). A phone system's
	// front end answers its fallback here: a ring is never refused.
	OnLimited func(w http.ResponseWriter, r *http.Request)
	// Unlimited exempts the endpoint from the rate limit: for a sender
	// that never retries a refused request (Hipcall's webhooks).
	Unlimited bool
	// InsecureNoAuth says the operator turned authentication off on
	// purpose (insecure_no_auth): logged loudly at start when the
	// listener is reachable from other machines.
	InsecureNoAuth bool
	// Deadline, when set, is how long Handler may take to decide; it must
	// stay below Options.WriteTimeout, or the answer could not be written.
	// The request body must arrive within it too: a body still arriving
	// then fails ReadBody with ErrSlowBody, in time to answer.
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
	owner, named := map[string]string{}, map[string]bool{}
	o.Mounts, errs = checkMountList(o.Mounts, o.WriteTimeout, owner, named, errs)
	o.AdminMounts, errs = checkMountList(o.AdminMounts, o.WriteTimeout, map[string]string{}, named, errs)
	return errs
}

// checkMountList checks one listener's mounts (paths unique in owner,
// names unique in named, across listeners) and returns them with their
// defaults filled in.
func checkMountList(list []Mount, writeTimeout time.Duration, owner map[string]string, named map[string]bool, errs []error) ([]Mount, []error) {
	mounts := make([]Mount, len(list))
	for i, m := range list {
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
		if m.Deadline > 0 && m.Deadline >= writeTimeout {
			errs = append(errs, fmt.Errorf("%s deadline %v must be below the server write timeout %v: raise write_timeout or lower the deadline", m.Name, m.Deadline, writeTimeout))
		}
	}
	return mounts, errs
}
