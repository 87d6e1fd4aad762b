package fakehipcall

import (
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/switchboard-hq/switchboard/connectors/fakeapi"
)

// PathPrefix is the path the API is served under, as on use.hipcall.com.
const PathPrefix = "/api/v3"

// DefaultRateLimit is Hipcall's observed limit per token and minute.
const DefaultRateLimit = 60

// Unlimited, as Options.RateLimit, turns rate limiting (and its headers)
// off.
const Unlimited = -1

// Options configure a Server.
type Options struct {
	// Token is the bearer token requests must carry; empty accepts any
	// non-empty token.
	Token string
	// RateLimit is how many requests a token may make per minute (default
	// 60; Unlimited for no limit). Every response carries
	// x-ratelimit-limit, -remaining and -reset (unix seconds); requests past
	// the limit get 429.
	RateLimit int
	// RetryAfter adds a Retry-After header (seconds until the window
	// resets) to rate-limit 429s. Hipcall's behaviour here is unknown, so
	// test both.
	RetryAfter bool
	// Now is the clock for rate-limit windows and records (default
	// time.Now). Latency and fault delays use real time.
	Now func() time.Time
	// Latency delays every request.
	Latency time.Duration
	// Addr is the address Start listens on (default "127.0.0.1:0").
	Addr string
	// Logger receives a debug line per request (default: none).
	Logger hclog.Logger
	// DispositionEditWindow is how long after a call ended its
	// disposition may be set (default 15 minutes, as Hipcall's accounts
	// have it).
	DispositionEditWindow time.Duration
	// RecordingsURL is the base of the recording links the fake hands out
	// ("http://127.0.0.1:5010/recordings"), for recordings served from
	// another host with RecordingsHandler; default: the /recordings path
	// of the host the API request came to.
	RecordingsURL string
}

// Server is a fake Hipcall. Create it with New (then Start, or mount
// Handler) or NewServer. All methods are safe for concurrent use.
type Server struct {
	opts Options
	now  func() time.Time
	log  hclog.Logger

	lb      *fakeapi.Loopback
	faults  *fakeapi.Faults[Fault]
	records fakeapi.Log

	mu      sync.Mutex
	state   *state
	windows map[string]*window

	// hmu orders the request log with the write counting of the armed
	// hold (HoldWrite).
	hmu  sync.Mutex
	hold *Held
}

// New returns a Server that is not listening yet.
func New(opts Options) *Server {
	if opts.RateLimit == 0 {
		opts.RateLimit = DefaultRateLimit
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = hclog.NewNullLogger()
	}
	if opts.Addr == "" {
		opts.Addr = fakeapi.DefaultAddr
	}
	if opts.DispositionEditWindow == 0 {
		opts.DispositionEditWindow = DefaultDispositionEditWindow
	}
	return &Server{
		opts: opts,
		now:  opts.Now,
		log:  opts.Logger,
		lb:   fakeapi.NewLoopback("fake hipcall", opts.Logger),
		faults: fakeapi.NewFaults("fake hipcall", Routes(), func(status int, delay time.Duration, drop bool) Fault {
			return Fault{Status: status, Delay: delay, Drop: drop}
		}),
		state:   newState(),
		windows: map[string]*window{},
	}
}

// NewServer returns a Server listening on 127.0.0.1 on a free port. It
// panics if it cannot listen, like httptest.NewServer. Close it when done.
func NewServer(opts Options) *Server {
	s := New(opts)
	if err := s.Start(); err != nil {
		panic(err)
	}
	return s
}

// Start listens on Options.Addr and serves in the background.
func (s *Server) Start() error {
	_, err := s.lb.Start(s.opts.Addr, s)
	return err
}

// URL returns the API base URL, with /api/v3 ("" before Start).
func (s *Server) URL() string {
	if u := s.lb.URL(); u != "" {
		return u + PathPrefix
	}
	return ""
}

// Handler returns the fake's handler, serving paths under /api/v3.
func (s *Server) Handler() http.Handler { return s }

// Close stops the server; delayed requests are cut short.
func (s *Server) Close() { s.lb.Close() }

// Reset puts the server back to its just-created state: no data (calls,
// comments, tags, dispositions, tasks, recordings), cards, faults, rate-limit windows, records or armed hold (a request already
// held stays held until released).
func (s *Server) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.state = newState()
	s.faults.Reset()
	s.windows = map[string]*window{}
	s.hmu.Lock()
	s.records.Reset()
	s.hold = nil
	s.hmu.Unlock()
}

// apiError is Hipcall's error body.
type apiError struct {
	Errors any `json:"errors"`
}

// reply is a handler's answer.
type reply struct {
	status int
	body   any // nil for no body
}

func detail(status int, msg string) reply {
	return reply{status, apiError{map[string]string{"detail": msg}}}
}

func notFound() reply { return detail(http.StatusNotFound, "Not Found") }

func invalid(fields map[string][]string) reply {
	return reply{http.StatusUnprocessableEntity, apiError{fields}}
}

func invalidField(field, msg string) reply {
	return invalid(map[string][]string{field: {msg}})
}

func data(status int, v any) reply { return reply{status, map[string]any{"data": v}} }

// ServeHTTP serves the fake API.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := fakeapi.ReadBody(r)
	if err != nil {
		writeReply(w, nil, detail(http.StatusBadRequest, "Bad Request"))
		return
	}
	escaped := r.URL.EscapedPath()
	if tok, ok := recordingToken(escaped); ok {
		s.serveRecording(w, r, tok)
		return
	}
	rel, underAPI := strings.CutPrefix(escaped, PathPrefix)
	if !underAPI || (rel != "" && rel[0] != '/') {
		rel = ""
	}
	rt, params := match(r.Method, rel)
	key := ""
	if rt != nil {
		key = rt.key
	}
	idx, held := s.logRequest(RecordedRequest{
		Method: r.Method, Path: rel, Route: key, Query: r.URL.Query(),
		Body: body, At: s.now(),
	})
	if held != nil {
		defer close(held.done)
		if held.at == BeforeApplying {
			// The test kills the client meanwhile: for Hipcall the
			// request never came, so it is neither applied nor answered.
			if held.wait() {
				fakeapi.DropConnection(w)
			}
			return
		}
	}

	if s.opts.Latency > 0 && !s.lb.Wait(s.opts.Latency) {
		return
	}
	rep, hdr := s.serve(w, r, rt, key, params, body)
	if held != nil && !held.wait() { // AfterApplying: applied, not answered yet
		return
	}
	if rep == nil { // the connection was dropped
		s.records.SetStatus(idx, 0)
		return
	}
	writeReply(w, hdr, *rep)
	s.records.SetStatus(idx, rep.status)
	s.log.Debug("fake hipcall", "method", r.Method, "path", rel, "route", key, "status", rep.status)
}

// serve runs the request through rate limiting, auth, faults and the route
// handler. It returns nil when the connection was dropped.
func (s *Server) serve(w http.ResponseWriter, r *http.Request, rt *route, key string, params map[string]string, body []byte) (*reply, http.Header) {
	hdr := http.Header{}
	auth := r.Header.Get("Authorization")
	if limited := s.rateLimit(auth, hdr); limited {
		rep := detail(http.StatusTooManyRequests, "Too Many Requests")
		return &rep, hdr
	}
	if _, ok := fakeapi.Bearer(auth, s.opts.Token); !ok {
		rep := detail(http.StatusUnauthorized, "Invalid or missing API token")
		return &rep, hdr
	}
	if f, ok := s.faults.Next(key); ok {
		if f.Delay > 0 && !s.lb.Wait(f.Delay) {
			return nil, nil
		}
		if f.Drop {
			fakeapi.DropConnection(w)
			return nil, nil
		}
		if f.Status != 0 {
			if f.RetryAfter != "" {
				hdr.Set("Retry-After", f.RetryAfter)
			}
			return &reply{status: f.Status, body: faultBody(f)}, hdr
		}
	}
	if rt == nil {
		rep := notFound()
		return &rep, hdr
	}
	if rep, bad := checkQuery(rt, r.URL.Query()); bad {
		return &rep, hdr
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	rep := rt.handle(s, &call{params: params, query: r.URL.Query(), body: body, origin: "http://" + r.Host})
	return &rep, hdr
}

func writeReply(w http.ResponseWriter, hdr http.Header, rep reply) {
	fakeapi.WriteJSON(w, hdr, rep.status, "application/json; charset=utf-8", rep.body)
}

// checkQuery answers 422 for a query parameter the route does not know, or
// bad paging.
func checkQuery(rt *route, q url.Values) (reply, bool) {
	for _, k := range slices.Sorted(maps.Keys(q)) {
		if !rt.allows(k) {
			return invalidField(k, "is not a valid filter"), true
		}
	}
	return reply{}, false
}

// call is a request as handlers see it.
type call struct {
	params map[string]string
	query  url.Values
	body   []byte
	// origin is the scheme and host the request came to
	// ("http://127.0.0.1:5009"), for the links the answer hands out.
	origin string
}
