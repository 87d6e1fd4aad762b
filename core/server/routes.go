package server

import (
	"net/http"
	"strings"

	"github.com/hashicorp/go-hclog"
)

// Built-in paths; the Smart IVR (and later webhook) paths must not clash
// with them.
const (
	pathHealthz = "/healthz"
	pathReadyz  = "/readyz"
	pathMetrics = "/metrics"
)

func isReservedPath(p string) bool {
	return p == pathHealthz || p == pathReadyz || p == pathMetrics
}

// endpoints lists every route the server has. Add new endpoints here, each
// implemented in its own file.
func (s *Server) endpoints() []endpoint {
	probe := []string{http.MethodGet, http.MethodHead}
	eps := []endpoint{
		{name: "healthz", path: pathHealthz, methods: probe, level: hclog.Debug, handler: http.HandlerFunc(s.healthz)},
		{name: "readyz", path: pathReadyz, methods: probe, level: hclog.Debug, handler: http.HandlerFunc(s.readyz)},
		{name: "metrics", path: pathMetrics, methods: probe, level: hclog.Debug, handler: s.metricsHandler()},
	}
	if s.opts.SmartIVR != nil {
		eps = append(eps, s.smartIVREndpoint())
	}
	if s.opts.Webhook != nil {
		eps = append(eps, s.webhookEndpoint())
	}
	if s.opts.Ringostat != nil {
		eps = append(eps, s.ringostatEndpoint())
	}
	return eps
}

// routes builds the top-level handler: exact path match, JSON 404 for the
// rest.
func (s *Server) routes() http.Handler {
	table := make(map[string]http.Handler)
	var under []prefixRoute // endpoints that also serve the paths below theirs
	for _, ep := range s.endpoints() {
		table[ep.path] = s.chain(ep)
		if ep.prefix {
			under = append(under, prefixRoute{ep.path + "/", table[ep.path]})
		}
	}
	missing := s.chain(endpoint{name: "not_found", level: hclog.Debug, handler: http.HandlerFunc(notFound)})
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
