package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/prometheus/client_golang/prometheus"
)

// endpoint is one route with the middleware it needs. Later endpoints
// (webhooks, Ringostat) are added to Server.endpoints.
type endpoint struct {
	// name labels metrics and logs ("smart_ivr").
	name string
	// path is matched exactly.
	path string
	// methods are the allowed methods; empty allows any.
	methods []string
	// auth, when set, is required before the handler runs.
	auth *authenticator
	// limitBody caps the request body at Options.MaxBodyBytes.
	limitBody bool
	// level is the log level of the per-request line when all went well.
	level hclog.Level
	// onPanic answers after a recovered panic (default: 500 JSON).
	onPanic func(w http.ResponseWriter, r *http.Request)
	// prefix also serves every path under path+"/"; the rest of such a
	// path may hold a secret, so only path is logged (webhook.go).
	prefix  bool
	handler http.Handler
}

// requestInfo collects what handlers want in the request's log line, so
// that each request logs exactly one line.
type requestInfo struct {
	level  hclog.Level
	fields []any
}

type requestInfoKey struct{}

// annotate adds key/value pairs to the request's log line. It never logs
// by itself. Never pass credentials.
func annotate(r *http.Request, kv ...any) {
	if info, ok := r.Context().Value(requestInfoKey{}).(*requestInfo); ok {
		info.fields = append(info.fields, kv...)
	}
}

// raiseLevel makes the request's log line at least level.
func raiseLevel(r *http.Request, level hclog.Level) {
	if info, ok := r.Context().Value(requestInfoKey{}).(*requestInfo); ok && level > info.level {
		info.level = level
	}
}

// recorder remembers the status a handler wrote.
type recorder struct {
	http.ResponseWriter
	status int
}

func (rec *recorder) WriteHeader(code int) {
	if rec.status == 0 {
		rec.status = code
	}
	rec.ResponseWriter.WriteHeader(code)
}

func (rec *recorder) Write(b []byte) (int, error) {
	if rec.status == 0 {
		rec.status = http.StatusOK
	}
	return rec.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection.
func (rec *recorder) Unwrap() http.ResponseWriter { return rec.ResponseWriter }

// chain wraps an endpoint's handler in the shared middleware, outermost
// first: logging and metrics, panic recovery, method check, auth, body
// limit.
func (s *Server) chain(ep endpoint) http.Handler {
	h := ep.handler
	if ep.prefix {
		h = restorePath(h)
	}
	if ep.limitBody {
		h = s.limitBody(h)
	}
	if ep.auth != nil {
		h = s.requireAuth(ep.name, ep.auth, h)
	}
	if len(ep.methods) > 0 {
		h = allowMethods(ep.methods, h)
	}
	h = s.recoverPanics(ep.onPanic, h)
	out := s.instrument(ep.name, ep.level, h)
	if ep.prefix {
		out = hidePath(ep.path, out)
	}
	return out
}

// instrument counts, times and logs every request in one line.
func (s *Server) instrument(name string, level hclog.Level, next http.Handler) http.Handler {
	observe := s.metrics.duration.WithLabelValues(name)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		info := &requestInfo{level: level}
		rec := &recorder{ResponseWriter: w}
		r = r.WithContext(context.WithValue(r.Context(), requestInfoKey{}, info))

		next.ServeHTTP(rec, r)

		elapsed := time.Since(start)
		status := rec.status
		if status == 0 {
			status = http.StatusOK
		}
		s.metrics.requests.WithLabelValues(name, strconv.Itoa(status)).Inc()
		observe.Observe(elapsed.Seconds())

		lvl := info.level
		if status >= 500 && lvl < hclog.Error {
			lvl = hclog.Error
		}
		if !levelEnabled(s.log, lvl) {
			return
		}
		fields := make([]any, 0, 14+len(info.fields))
		fields = append(fields,
			"endpoint", name,
			"method", r.Method,
			"path", r.URL.Path,
			"status", status,
			"duration", elapsed,
			"remote", r.RemoteAddr,
		)
		fields = append(fields, info.fields...)
		s.log.Log(lvl, "request", fields...)
	})
}

// levelEnabled reports whether l writes lines at lvl (hclog.Logger has no
// such method).
func levelEnabled(l hclog.Logger, lvl hclog.Level) bool {
	switch lvl {
	case hclog.Trace:
		return l.IsTrace()
	case hclog.Debug:
		return l.IsDebug()
	case hclog.Info:
		return l.IsInfo()
	case hclog.Warn:
		return l.IsWarn()
	default:
		return l.IsError()
	}
}

// recoverPanics turns a panic into an answer (onPanic, or 500 JSON) and an
// error log line with the stack, instead of a dropped connection.
func (s *Server) recoverPanics(onPanic func(http.ResponseWriter, *http.Request), next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			v := recover()
			if v == nil {
				return
			}
			if v == http.ErrAbortHandler { // let net/http abort the response as asked
				panic(v)
			}
			annotate(r, "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
			raiseLevel(r, hclog.Error)
			if rec, ok := w.(*recorder); ok && rec.status != 0 {
				return // the answer is already on its way
			}
			if onPanic != nil {
				onPanic(w, r)
				return
			}
			writeJSON(w, http.StatusInternalServerError, errorBody{Error: "internal error"})
		}()
		next.ServeHTTP(w, r)
	})
}

// allowMethods answers 405 with an Allow header for any other method.
func allowMethods(methods []string, next http.Handler) http.Handler {
	allow := strings.Join(methods, ", ")
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !slices.Contains(methods, r.Method) {
			w.Header().Set("Allow", allow)
			writeJSON(w, http.StatusMethodNotAllowed, errorBody{Error: "method " + r.Method + " not allowed; use " + allow})
			return
		}
		next.ServeHTTP(w, r)
	})
}

// requireAuth answers 401 unless the request carries the right Basic Auth
// credentials. What was wrong is logged; the credentials never are.
func (s *Server) requireAuth(name string, a *authenticator, next http.Handler) http.Handler {
	failures := s.metrics.authFailures.WithLabelValues(name)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		problem := ""
		user, pass, ok := r.BasicAuth()
		switch {
		case !ok && r.Header.Get("Authorization") == "":
			problem = "missing"
		case !ok:
			problem = "malformed"
		case !a.check(user, pass):
			problem = "wrong"
		}
		if problem != "" {
			w.Header().Set("WWW-Authenticate", `Basic realm="switchboard"`)
			refuse(w, r, failures, problem)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// refuse answers 401, counts the failure and logs what was wrong
// (problem), never the credentials.
func refuse(w http.ResponseWriter, r *http.Request, failures prometheus.Counter, problem string) {
	failures.Inc()
	annotate(r, "auth", problem)
	raiseLevel(r, hclog.Warn)
	writeJSON(w, http.StatusUnauthorized, errorBody{Error: "unauthorized"})
}

// limitBody caps the request body; reading past the cap fails with
// *http.MaxBytesError.
func (s *Server) limitBody(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, s.opts.MaxBodyBytes)
		next.ServeHTTP(w, r)
	})
}

// errBodyTooLarge reports a body over the limit.
var errBodyTooLarge = errors.New("request body too large")

// readBody reads at most limit+1 bytes of the body and fails with
// errBodyTooLarge (wrapped) when there are more than limit.
func readBody(r *http.Request, limit int64) ([]byte, error) {
	if r.Body == nil {
		return nil, nil
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, limit+1))
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe), err == nil && int64(len(body)) > limit:
		return nil, fmt.Errorf("%w: over %d bytes", errBodyTooLarge, limit)
	case err != nil:
		return nil, fmt.Errorf("read request body: %w", err)
	}
	return body, nil
}

// promErrorLog sends promhttp's errors to hclog.
type promErrorLog struct{ log hclog.Logger }

func (p promErrorLog) Println(v ...any) {
	p.log.Error("metrics: " + strings.TrimSuffix(fmt.Sprintln(v...), "\n"))
}
