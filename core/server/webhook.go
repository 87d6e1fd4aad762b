package server

import (
	"context"
	"net/http"
	"net/url"

	"github.com/hashicorp/go-hclog"
)

// WebhookOptions describes an event receiver (Hipcall's webhooks, see
// core/webhook). The handler does its own authentication; the server adds
// logging, metrics, panic recovery, the POST check and the body limit.
type WebhookOptions struct {
	// Path is served, and so is every path under Path+"/" (a secret token
	// may be the last segment). Only Path is ever logged.
	Path string
	// Handler answers the events. Required.
	Handler http.Handler
	// InsecureNoAuth: the receiver takes events without credentials (see
	// Mount.InsecureNoAuth).
	InsecureNoAuth bool
}

// Mount mounts the receiver: POST only, body capped, every path under the
// configured one served too (a token may be the last segment) and never
// logged. It is not rate-limited: Hipcall never sends a refused webhook
// again, so a limit would lose calls; its credentials, the connection cap
// and the body limit are its guards.
func (o WebhookOptions) Mount() Mount {
	return Mount{
		Name:           "webhook",
		Path:           o.Path,
		Methods:        []string{http.MethodPost},
		LimitBody:      true,
		Unlimited:      true,
		InsecureNoAuth: o.InsecureNoAuth,
		// The webhook handler logs one line per event itself.
		Level:   hclog.Debug,
		Prefix:  true,
		Handler: o.Handler,
	}
}

// prefixRoute is an endpoint that serves the paths under prefix.
type prefixRoute struct {
	prefix  string
	handler http.Handler
}

type realURLKey struct{}

// hidePath hands the middleware a request whose path is the endpoint's own
// path, so that a secret in the rest of the path never reaches a log line;
// restorePath gives the handler the real URL back.
func hidePath(path string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == path {
			next.ServeHTTP(w, r)
			return
		}
		masked := *r.URL
		masked.Path, masked.RawPath = path, ""
		r2 := r.WithContext(context.WithValue(r.Context(), realURLKey{}, r.URL))
		r2.URL = &masked
		next.ServeHTTP(w, r2)
	})
}

// restorePath undoes hidePath for the endpoint's handler.
func restorePath(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if real, ok := r.Context().Value(realURLKey{}).(*url.URL); ok {
			r2 := r.WithContext(r.Context())
			r2.URL = real
			r = r2
		}
		next.ServeHTTP(w, r)
	})
}
