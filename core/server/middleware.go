package server

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"os"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/switchboard-hq/switchboard/core/logging"
)

// requestInfo collects what handlers want in the request's log line, so
// that each request logs exactly one line. It is also the request's
// context (the one it was given, with itself under requestInfoKey), and
// holds the request's StatusRecorder and room for its log fields, so
// that the state a request needs is one allocation.
type requestInfo struct {
	context.Context
	level hclog.Level
	// fields are the log line's: the server's own at the end of its
	// first headFields (written when the line is), then the handlers'
	// (Annotate).
	fields []any
	log    hclog.Logger
	client netip.Addr // ClientAddr
	// bodyLimit is the mount's body limit (limitBody); 0: the default.
	bodyLimit int64
	rec       StatusRecorder
	room      [headFields + 32]any
}

// headFields is the room before the handlers' fields for the server's
// own: endpoint, method, path, status, duration, remote, via, answer, cut.
const headFields = 18

type requestInfoKey struct{}

// Value makes the request's context find info under requestInfoKey.
func (info *requestInfo) Value(key any) any {
	if key == (requestInfoKey{}) {
		return info
	}
	return info.Context.Value(key)
}

// Annotate adds key/value pairs to the log line the server writes for r,
// once, when the answer is sent: a request's story is one value, told
// once. Strings, string lists and errors are escaped (no raw control
// characters: a caller number cannot forge log lines) and cut at
// MaxLogValue bytes with the full length noted. It never logs by itself
// and does nothing outside a request the server serves. Never pass
// credentials.
func Annotate(r *http.Request, kv ...any) {
	if info, ok := r.Context().Value(requestInfoKey{}).(*requestInfo); ok {
		for i, v := range kv {
			if i%2 == 1 {
				v = logValue(v)
			}
			info.fields = append(info.fields, v)
		}
	}
}

// annotateRaw adds pairs as they are (the server's own, such as a panic's
// stack).
func annotateRaw(r *http.Request, kv ...any) {
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
// server serves it discards. Pass values that come from the request
// through LogValue.
func Logger(r *http.Request) hclog.Logger {
	if info, ok := r.Context().Value(requestInfoKey{}).(*requestInfo); ok {
		return info.log
	}
	return hclog.NewNullLogger()
}

// StatusRecorder is a ResponseWriter that remembers the status a handler
// wrote (http.StatusOK once it writes a body without a status) and
// whether the answer could be written at all.
type StatusRecorder struct {
	http.ResponseWriter
	status   int
	writeErr error
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

// Write remembers http.StatusOK when no status was written, writes b, and
// remembers the first failure (the connection cut or timed out).
func (rec *StatusRecorder) Write(b []byte) (int, error) {
	if rec.status == 0 {
		rec.status = http.StatusOK
	}
	n, err := rec.ResponseWriter.Write(b)
	if err != nil && rec.writeErr == nil {
		rec.writeErr = err
	}
	return n, err
}

// Unwrap lets http.ResponseController reach the connection.
func (rec *StatusRecorder) Unwrap() http.ResponseWriter { return rec.ResponseWriter }

// Hijack lets a handler take the connection over (a fake dropping it).
func (rec *StatusRecorder) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	return http.NewResponseController(rec.ResponseWriter).Hijack()
}

// chain wraps an endpoint's handler in the shared middleware, outermost
// first: logging and metrics, panic recovery, the source's rate limit
// (public listener), method check, auth, body limit and deadline.
func (s *Server) chain(ep endpoint) http.Handler {
	h := ep.Handler
	if ep.Authorize != nil {
		h = s.authorize(ep.Name, ep.Authorize, h)
	}
	if ep.Prefix && !ep.PublicSubpaths {
		h = restorePath(h)
	}
	if ep.LimitBody {
		h = s.limitBody(ep.Deadline, h)
	}
	if ep.BasicAuth != nil {
		h = s.requireAuth(ep.Name, newAuthenticator(ep.BasicAuth), h)
	}
	if len(ep.Methods) > 0 {
		h = allowMethods(ep.Methods, h)
	}
	if ep.on == public && s.limiter != nil && !ep.Unlimited {
		h = s.rateLimit(ep.Name, ep.OnLimited, h)
	}
	h = s.recoverPanics(ep.OnPanic, h)
	out := s.instrument(ep, h)
	if ep.Prefix && !ep.PublicSubpaths {
		out = hidePath(ep.Path, out)
	}
	return out
}

// statusCut is the status label and log value of a request whose answer
// could not be written (the client went away, or a timeout cut it).
const statusCut = "cut"

// instrument counts, times and logs every request in one line, with the
// client's address (ClientAddr) and the real outcome: an answer that
// could not be written is status "cut", whatever the handler meant to
// send. The catch-all for unknown paths logs them with their long
// segments hidden (a mistyped path may hold a token).
func (s *Server) instrument(ep endpoint, next http.Handler) http.Handler {
	name, level, unknownPath := ep.Name, ep.Level, ep.Name == "not_found"
	observe := s.metrics.duration.WithLabelValues(name)
	counts := newCodeCounters(s.metrics.requests, name)
	log := s.log.Named(name)
	var nameV, epPath any = name, LogValue(ep.Path) // boxed once, not per request
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		client, peer := clientAddr(r, s.trusted)
		info := &requestInfo{Context: r.Context(), level: level, log: log, client: client}
		info.fields = info.room[:headFields]
		rec := &info.rec
		rec.ResponseWriter = w
		r = r.WithContext(info)

		next.ServeHTTP(rec, r)
		// Send the answer now rather than after this returns, to learn
		// whether it reached the connection (every answer has its
		// Content-Length set, so this changes nothing on the wire).
		if rec.writeErr == nil && rec.status != 0 {
			rec.writeErr = flush(w)
		}

		elapsed := time.Since(start)
		status := rec.status
		if status == 0 {
			status = http.StatusOK
		}
		code := statusValue(status)
		if rec.writeErr != nil {
			code = statusCut
			if info.level < hclog.Warn {
				info.level = hclog.Warn
			}
		}
		if rec.writeErr != nil {
			counts.cut.Inc()
		} else {
			counts.of(status).Inc()
		}
		observe.Observe(elapsed.Seconds())

		lvl := info.level
		if status >= 500 && lvl < hclog.Error && !(status == http.StatusServiceUnavailable && ep.notReadyIsNews) {
			lvl = hclog.Error
		}
		if !levelEnabled(s.log, lvl) {
			return
		}
		path := r.URL.Path
		if unknownPath {
			path = hideLongSegments(path)
		}
		var own [headFields]any
		pathV := epPath
		if path != ep.Path {
			pathV = LogValue(path)
		}
		n := copy(own[:], []any{
			"endpoint", nameV,
			"method", methodValue(r.Method),
			"path", pathV,
			"status", code,
			"duration", elapsed,
			"remote", remote(r.RemoteAddr, client, peer),
		})
		if client != peer {
			n += copy(own[n:], []any{"via", r.RemoteAddr})
		}
		if rec.writeErr != nil {
			n += copy(own[n:], []any{"answer", status, "cut", LogValue(rec.writeErr.Error())})
		}
		fields := info.fields[headFields-n:]
		copy(fields, own[:n])
		logging.Log(s.log, lvl, "request", fields...)
	})
}

// statusValues are the status codes as logged, boxed once.
var statusValues = func() (v [600]any) {
	for i := range v {
		v[i] = strconv.Itoa(i)
	}
	return v
}()

// statusValue is code as the log line and the metrics label spell it.
func statusValue(code int) any {
	if code >= 0 && code < len(statusValues) {
		return statusValues[code]
	}
	return strconv.Itoa(code)
}

// methodValue is a request's method for its log line, boxed once for the
// common ones.
func methodValue(m string) any {
	switch m {
	case http.MethodPost:
		return methodPost
	case http.MethodGet:
		return methodGet
	}
	return LogValue(m)
}

var methodPost, methodGet any = http.MethodPost, http.MethodGet

// codeCounters are an endpoint's request counters by status, resolved
// once per status rather than looked up by label per request.
type codeCounters struct {
	vec   *prometheus.CounterVec
	name  string
	cut   prometheus.Counter
	codes [600]atomic.Pointer[prometheus.Counter]
}

func newCodeCounters(vec *prometheus.CounterVec, name string) *codeCounters {
	return &codeCounters{vec: vec, name: name, cut: vec.WithLabelValues(name, statusCut)}
}

// of is the counter of status code.
func (c *codeCounters) of(code int) prometheus.Counter {
	if code < 0 || code >= len(c.codes) {
		return c.vec.WithLabelValues(c.name, strconv.Itoa(code))
	}
	if p := c.codes[code].Load(); p != nil {
		return *p
	}
	ctr := c.vec.WithLabelValues(c.name, strconv.Itoa(code))
	c.codes[code].Store(&ctr)
	return ctr
}

// flush sends what w holds and reports whether it reached the
// connection. net/http's writer has FlushError (what
// http.ResponseController calls, without allocating a controller);
// others are flushed without an answer.
func flush(w http.ResponseWriter) error {
	switch f := w.(type) {
	case interface{ FlushError() error }:
		return f.FlushError()
	case http.Flusher:
		f.Flush()
	}
	return nil
}

// remote is the log's remote field: the peer's host:port, or the client
// a trusted proxy forwarded for.
func remote(raw string, client, peer netip.Addr) string {
	if client == peer || !client.IsValid() {
		return raw
	}
	return client.String()
}

// rateLimit answers onLimited (or 429) when the client's source is over
// server.limits.rate, counted by endpoint.
func (s *Server) rateLimit(name string, onLimited func(http.ResponseWriter, *http.Request), next http.Handler) http.Handler {
	limited := s.metrics.limited.WithLabelValues(name)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.limiter.allow(ClientAddr(r), time.Now()) {
			next.ServeHTTP(w, r)
			return
		}
		limited.Inc()
		Annotate(r, "limited", "rate")
		RaiseLevel(r, hclog.Warn)
		if onLimited != nil {
			onLimited(w, r)
			return
		}
		w.Header().Set("Retry-After", "1")
		writeJSON(w, http.StatusTooManyRequests, errorBody{Error: "too many requests from your address: slow down"})
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
			annotateRaw(r, "panic", LogValue(fmt.Sprint(v)), "stack", string(debug.Stack()))
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
// *http.MaxBytesError. With a deadline, the body must have arrived by
// then (measured from when the handler starts): a slower body fails
// ReadBody with ErrSlowBody while there is still time to answer, instead
// of the server's read timeout cutting the connection with no answer.
func (s *Server) limitBody(deadline time.Duration, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, s.opts.MaxBodyBytes)
		if deadline > 0 {
			// Not every ResponseWriter can (httptest's cannot): then the
			// server's read timeout is the bound.
			_ = setReadDeadline(w, time.Now().Add(deadline))
		}
		if info, ok := r.Context().Value(requestInfoKey{}).(*requestInfo); ok {
			info.bodyLimit = s.opts.MaxBodyBytes // no context of its own to allocate
			next.ServeHTTP(w, r)
			return
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), bodyLimitKey{}, s.opts.MaxBodyBytes)))
	})
}

// setReadDeadline is http.ResponseController's SetReadDeadline without
// allocating the controller: it unwraps w until a writer can.
func setReadDeadline(w http.ResponseWriter, t time.Time) error {
	for {
		switch x := w.(type) {
		case interface{ SetReadDeadline(time.Time) error }:
			return x.SetReadDeadline(t)
		case interface{ Unwrap() http.ResponseWriter }:
			w = x.Unwrap()
		default:
			return http.ErrNotSupported
		}
	}
}

// ErrBodyTooLarge reports a body over the limit (ReadBody wraps it).
var ErrBodyTooLarge = errors.New("request body too large")

// ErrSlowBody reports a body that did not arrive in time (ReadBody wraps
// it).
var ErrSlowBody = errors.New("request body arrived too slowly")

type bodyLimitKey struct{}

// ReadBody reads r's body whole, failing with ErrBodyTooLarge (wrapped)
// when it is over the mount's limit (Options.MaxBodyBytes with
// Mount.LimitBody, else DefaultConfig's).
func ReadBody(r *http.Request) ([]byte, error) {
	if r.Body == nil {
		return nil, nil
	}
	var limit int64
	switch v := r.Context().Value(bodyLimitKey{}).(type) {
	case int64:
		limit = v
	case nil:
		if info, ok := r.Context().Value(requestInfoKey{}).(*requestInfo); ok {
			limit = info.bodyLimit
		}
	}
	if limit <= 0 {
		limit = DefaultConfig().MaxBodyBytes
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, limit+1))
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe), err == nil && int64(len(body)) > limit:
		return nil, fmt.Errorf("%w: over %d bytes", ErrBodyTooLarge, limit)
	case errors.Is(err, os.ErrDeadlineExceeded):
		return nil, fmt.Errorf("%w: %d bytes had arrived when the time to answer ran short", ErrSlowBody, len(body))
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
