package server

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/prometheus/client_golang/prometheus"
)

// requestInfo collects what handlers want in the request's log line, so
// that each request logs exactly one line.
type requestInfo struct {
	level  hclog.Level
	fields []any
	log    hclog.Logger
}

type requestInfoKey struct{}

// Annotate adds key/value pairs to the log line the server writes for r,
// once, when the answer is sent: a request's story is one value, told
// once. It never logs by itself and does nothing outside a request the
// server serves. Never pass credentials.
func Annotate(r *http.Request, kv ...any) {
	if info, ok := r.Context().Value(requestInfoKey{}).(*requestInfo); ok {
		info.fields = append(info.fields, kv...)
	}
}

// RaiseLevel makes r's log line at least level (a fallback is a warning, a
// panic an error). An answer with a 5xx status is always logged as an
// error.
func RaiseLevel(r *http.Request, level hclog.Level) {
	if info, ok := r.Context().Value(requestInfoKey{}).(*requestInfo); ok && level > info.level {
		info.level = level
	}
}

// Logger is the endpoint's own logger ("http.<name>"), for the rare line
// that is not the request's (a debug detail); outside a request the
// server serves it discards.
func Logger(r *http.Request) hclog.Logger {
	if info, ok := r.Context().Value(requestInfoKey{}).(*requestInfo); ok {
		return info.log
	}
	return hclog.NewNullLogger()
}

// StatusRecorder is a ResponseWriter that remembers the status a handler
// wrote (http.StatusOK once it writes a body without a status).
type StatusRecorder struct {
	http.ResponseWriter
	status int
}

// Status is the status written, or 0 before anything was.
func (rec *StatusRecorder) Status() int { return rec.status }

// WriteHeader remembers the first status and writes it.
func (rec *StatusRecorder) WriteHeader(code int) {
	if rec.status == 0 {
		rec.status = code
	}
	rec.ResponseWriter.WriteHeader(code)
}

// Write remembers http.StatusOK when no status was written, and writes b.
func (rec *StatusRecorder) Write(b []byte) (int, error) {
	if rec.status == 0 {
		rec.status = http.StatusOK
	}
	return rec.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection.
func (rec *StatusRecorder) Unwrap() http.ResponseWriter { return rec.ResponseWriter }

// Hijack lets a handler take the connection over (a fake dropping it).
func (rec *StatusRecorder) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	return http.NewResponseController(rec.ResponseWriter).Hijack()
}

// chain wraps an endpoint's handler in the shared middleware, outermost
// first: logging and metrics, panic recovery, method check, auth, body
// limit.
func (s *Server) chain(ep Mount) http.Handler {
	h := ep.Handler
	if ep.Authorize != nil {
		h = s.authorize(ep.Name, ep.Authorize, h)
	}
	if ep.Prefix {
		h = restorePath(h)
	}
	if ep.LimitBody {
		h = s.limitBody(h)
	}
	if ep.BasicAuth != nil {
		h = s.requireAuth(ep.Name, newAuthenticator(ep.BasicAuth), h)
	}
	if len(ep.Methods) > 0 {
		h = allowMethods(ep.Methods, h)
	}
	h = s.recoverPanics(ep.OnPanic, h)
	out := s.instrument(ep.Name, ep.Level, h)
	if ep.Prefix {
		out = hidePath(ep.Path, out)
	}
	return out
}

// instrument counts, times and logs every request in one line.
func (s *Server) instrument(name string, level hclog.Level, next http.Handler) http.Handler {
	observe := s.metrics.duration.WithLabelValues(name)
	log := s.log.Named(name)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		info := &requestInfo{level: level, log: log}
		rec := &StatusRecorder{ResponseWriter: w}
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
			Annotate(r, "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
			RaiseLevel(r, hclog.Error)
			if rec, ok := w.(*StatusRecorder); ok && rec.status != 0 {
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

// authorize answers 401 when check finds a problem with the request's
// credentials (a custom scheme, such as a token in the path).
func (s *Server) authorize(name string, check func(*http.Request) string, next http.Handler) http.Handler {
	failures := s.metrics.authFailures.WithLabelValues(name)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if problem := check(r); problem != "" {
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
	Annotate(r, "auth", problem)
	RaiseLevel(r, hclog.Warn)
	writeJSON(w, http.StatusUnauthorized, errorBody{Error: "unauthorized"})
}

// limitBody caps the request body; reading past the cap fails with
// *http.MaxBytesError.
func (s *Server) limitBody(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, s.opts.MaxBodyBytes)
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), bodyLimitKey{}, s.opts.MaxBodyBytes)))
	})
}

// ErrBodyTooLarge reports a body over the limit (ReadBody wraps it).
var ErrBodyTooLarge = errors.New("request body too large")

type bodyLimitKey struct{}

// ReadBody reads r's body whole, failing with ErrBodyTooLarge (wrapped)
// when it is over the mount's limit (Options.MaxBodyBytes with
// Mount.LimitBody, else DefaultConfig's).
func ReadBody(r *http.Request) ([]byte, error) {
	if r.Body == nil {
		return nil, nil
	}
	limit, ok := r.Context().Value(bodyLimitKey{}).(int64)
	if !ok {
		limit = DefaultConfig().MaxBodyBytes
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, limit+1))
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe), err == nil && int64(len(body)) > limit:
		return nil, fmt.Errorf("%w: over %d bytes", ErrBodyTooLarge, limit)
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
