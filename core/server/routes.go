package server

import (
	"net/http"
	"strings"

	"github.com/hashicorp/go-hclog"
)

// Built-in paths; no mount may take them.
const (
	pathHealthz = "/healthz"
	pathReadyz  = "/readyz"
	pathMetrics = "/metrics"
)

// IsBuiltinPath reports whether p is one of the server's own endpoints
// (/healthz, /readyz, /metrics), which no mount may take.
func IsBuiltinPath(p string) bool {
	return p == pathHealthz || p == pathReadyz || p == pathMetrics
}

// listener says which listener an endpoint is on; the rate limit applies
// on the public one.
type listener int

const (
	public listener = iota
	admin
)

// endpoint is a mount placed on a listener.
type endpoint struct {
	Mount
	on listener
	// notReadyIsNews: a 503 is an answer, not a failure (/readyz while an
	// index loads): logged at the endpoint's level, not as an ERROR.
	notReadyIsNews bool
}

var probe = []string{http.MethodGet, http.MethodHead}

// publicEndpoints are the public listener's routes: /healthz (for a load
// balancer; it tells nothing), then Options.Mounts.
func (s *Server) publicEndpoints() []endpoint {
	eps := []endpoint{{Mount{Name: "healthz", Path: pathHealthz, Methods: probe, Level: hclog.Debug, Handler: http.HandlerFunc(s.healthz)}, public, false}}
	for _, m := range s.opts.Mounts {
		eps = append(eps, endpoint{m, public, false})
	}
	return eps
}

// adminEndpoints are the admin listener's routes: /healthz, /readyz and
// /metrics (behind server.admin.basic_auth when set), then
// Options.AdminMounts.
func (s *Server) adminEndpoints() []endpoint {
	ba := s.opts.Admin.BasicAuth
	eps := []endpoint{
		{Mount{Name: "admin_healthz", Path: pathHealthz, Methods: probe, Level: hclog.Debug, Handler: http.HandlerFunc(s.healthz)}, admin, false},
		{Mount{Name: "readyz", Path: pathReadyz, Methods: probe, Level: hclog.Debug, BasicAuth: ba, Handler: http.HandlerFunc(s.readyz)}, admin, true},
		{Mount{Name: "metrics", Path: pathMetrics, Methods: probe, Level: hclog.Debug, BasicAuth: ba, Handler: s.metricsHandler()}, admin, false},
	}
	for _, m := range s.opts.AdminMounts {
		eps = append(eps, endpoint{m, admin, false})
	}
	return eps
}

// routes builds a listener's top-level handler: exact path match, JSON
// 404 for the rest.
func (s *Server) routes(eps []endpoint) http.Handler {
	table := make(map[string]http.Handler)
	var under []prefixRoute // endpoints that also serve the paths below theirs
	for _, ep := range eps {
		table[ep.Path] = s.chain(ep)
		if ep.Prefix {
			under = append(under, prefixRoute{ep.Path + "/", table[ep.Path]})
		}
	}
	on := public
	if len(eps) > 0 {
		on = eps[0].on
	}
	missing := s.chain(endpoint{Mount{Name: "not_found", Level: hclog.Debug, Handler: http.HandlerFunc(notFound)}, on, false})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if h, ok := table[r.URL.Path]; ok {
			h.ServeHTTP(w, r)
			return
		}
		for _, p := range under {
			if strings.HasPrefix(r.URL.Path, p.prefix) {
				p.handler.ServeHTTP(w, r)
				return
			}
		}
		missing.ServeHTTP(w, r)
	})
}
