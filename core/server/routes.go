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

// endpoints lists every route the server has: the built-in ones, then
// Options.Mounts.
func (s *Server) endpoints() []Mount {
	probe := []string{http.MethodGet, http.MethodHead}
	eps := []Mount{
		{Name: "healthz", Path: pathHealthz, Methods: probe, Level: hclog.Debug, Handler: http.HandlerFunc(s.healthz)},
		{Name: "readyz", Path: pathReadyz, Methods: probe, Level: hclog.Debug, Handler: http.HandlerFunc(s.readyz)},
		{Name: "metrics", Path: pathMetrics, Methods: probe, Level: hclog.Debug, Handler: s.metricsHandler()},
	}
	return append(eps, s.opts.Mounts...)
}

// routes builds the top-level handler: exact path match, JSON 404 for the
// rest.
func (s *Server) routes() http.Handler {
	table := make(map[string]http.Handler)
	var under []prefixRoute // endpoints that also serve the paths below theirs
	for _, ep := range s.endpoints() {
		table[ep.Path] = s.chain(ep)
		if ep.Prefix {
			under = append(under, prefixRoute{ep.Path + "/", table[ep.Path]})
		}
	}
	missing := s.chain(Mount{Name: "not_found", Level: hclog.Debug, Handler: http.HandlerFunc(notFound)})
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
