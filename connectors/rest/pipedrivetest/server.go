package pipedrivetest

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/switchboard-hq/switchboard/connectors/fakeapi"
)

// Routes, as named in Faults().Script and Request.Route.
const (
	// RouteToken is the OAuth2 token endpoint (invented: see doc.go).
	RouteToken = "POST /oauth/token"
	// RoutePersons lists persons.
	RoutePersons = "GET /api/v2/persons"
	// RoutePerson reads one person (beyond the reference).
	RoutePerson = "GET /api/v2/persons/{id}"
	// RoutePersonsSearch searches persons by the stored text of their
	// name, emails and phones.
	RoutePersonsSearch = "GET /api/v2/persons/search"
	// RouteOrganizations lists organizations.
	RouteOrganizations = "GET /api/v2/organizations"
	// RouteOrganization reads one organization (beyond the reference).
	RouteOrganization = "GET /api/v2/organizations/{id}"
	// RouteOrganizationsSearch searches organizations (beyond the
	// reference).
	RouteOrganizationsSearch = "GET /api/v2/organizations/search"
	// RouteCallLogs logs a call.
	RouteCallLogs = "POST /api/v1/callLogs"
	// AnyRoute scripts a fault for whichever request comes next.
	AnyRoute = fakeapi.AnyRoute
)

// Routes lists the routes the fake serves.
func Routes() []string {
	return []string{
		RouteToken, RoutePersons, RoutePerson, RoutePersonsSearch,
		RouteOrganizations, RouteOrganization, RouteOrganizationsSearch, RouteCallLogs,
	}
}

// Defaults for zero Options fields. Every one of them is the fake's
// choice, not a documented figure.
const (
	DefaultAPIToken      = "pd-test-api-token"
	DefaultClientID      = "pd-test-client"
	DefaultClientSecret  = "pd-test-secret"
	DefaultTokenLifetime = time.Hour
	DefaultRateWindow    = 2 * time.Second
	DefaultRateLimit     = 40
	DefaultDailyBudget   = 30_000
	DefaultMaxLimit      = 500
	// DefaultLimit is the page size of a list or search that names no
	// limit.
	DefaultLimit = 100
)

// Unlimited, as Options.RateLimit or Options.DailyBudget, turns that limit
// off.
const Unlimited = -1

// Options configure a Server. The zero value is usable.
type Options struct {
	// APIToken is the company's API token, accepted in the x-api-token
	// header or the api_token query parameter (default DefaultAPIToken).
	APIToken string
	// ClientID and ClientSecret authenticate an OAuth2 client at
	// POST /oauth/token (defaults DefaultClientID, DefaultClientSecret).
	ClientID     string
	ClientSecret string
	// TokenLifetime is how long an OAuth2 access token lasts on the
	// fake's clock (default DefaultTokenLifetime); set it short in tests
	// so that a client must refresh.
	TokenLifetime time.Duration
	// RotateRefreshTokens makes every refresh issue a new refresh token
	// and retire the one used; by default the refresh token stays the
	// same (and is sent back in every token answer).
	RotateRefreshTokens bool
	// RateWindow is the length of the fixed rate-limit window (default
	// DefaultRateWindow, 2 s) and RateLimit how many requests one window
	// admits (default DefaultRateLimit; Unlimited for none, which also
	// drops the x-ratelimit-* headers).
	RateWindow time.Duration
	RateLimit  int
	// DailyBudget is the number of tokens the company may spend per UTC
	// day (default DefaultDailyBudget; Unlimited for none). Each admitted
	// request costs its route's cost (DefaultCosts, overridden by Costs).
	DailyBudget int
	Costs       map[string]int
	// RetryAfter adds a Retry-After header (seconds) to the 429s the rate
	// limits answer; off by default, since whether the real API sends one
	// is unknown.
	RetryAfter bool
	// MaxLimit is the largest page size a list or search may ask for
	// (default DefaultMaxLimit, 500); a larger limit is a 400.
	MaxLimit int
	// Now is the clock for update_time, token expiry and rate limits
	// (default time.Now); see Clock.
	Now func() time.Time
	// Addr is the address Start listens on (default "127.0.0.1:0").
	Addr string
	// Logger receives a debug line per request (default: none).
	Logger hclog.Logger
}

// Server is a fake Pipedrive-like CRM. Create it with New (then Start, or
// mount Handler) or NewServer. All methods are safe for concurrent use.
type Server struct {
	opts Options
	now  func() time.Time
	log  hclog.Logger

	lb       *fakeapi.Loopback
	faults   *fakeapi.Faults[Fault]
	requests fakeapi.Log

	mu       sync.Mutex
	persons  map[int]*Person
	orgs     map[int]*Organization
	nextID   map[string]int // next id per collection
	callLogs []CallLog
	tokens   tokenStore
	limits   limiter
}

// New returns a Server that is not listening yet.
func New(opts Options) *Server {
	if opts.APIToken == "" {
		opts.APIToken = DefaultAPIToken
	}
	if opts.ClientID == "" {
		opts.ClientID = DefaultClientID
	}
	if opts.ClientSecret == "" {
		opts.ClientSecret = DefaultClientSecret
	}
	if opts.TokenLifetime <= 0 {
		opts.TokenLifetime = DefaultTokenLifetime
	}
	if opts.RateWindow <= 0 {
		opts.RateWindow = DefaultRateWindow
	}
	if opts.RateLimit == 0 {
		opts.RateLimit = DefaultRateLimit
	}
	if opts.DailyBudget == 0 {
		opts.DailyBudget = DefaultDailyBudget
	}
	if opts.MaxLimit <= 0 {
		opts.MaxLimit = DefaultMaxLimit
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
	costs := DefaultCosts()
	for route, c := range opts.Costs {
		if _, ok := costs[route]; !ok {
			panic(fmt.Sprintf("fake pipedrive: Options.Costs names no route %q; use one of %v", route, Routes()))
		}
		costs[route] = c
	}
	opts.Costs = costs
	return &Server{
		opts: opts,
		now:  opts.Now,
		log:  opts.Logger,
		lb:   fakeapi.NewLoopback("fake pipedrive", opts.Logger),
		faults: fakeapi.NewFaults("fake pipedrive", Routes(), func(status int, delay time.Duration, drop bool) Fault {
			return Fault{Status: status, Delay: delay, Drop: drop}
		}),
		persons: map[int]*Person{},
		orgs:    map[int]*Organization{},
		nextID:  map[string]int{collPersons: 1, collOrgs: 1},
		tokens:  tokenStore{access: map[string]time.Time{}, refresh: map[string]bool{}},
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

// URL returns the base URL, "http://127.0.0.1:port", to configure as the
// connector's base URL ("" before Start). API paths start with /api/v2 or
// /api/v1 below it; the token endpoint is URL()+"/oauth/token".
func (s *Server) URL() string { return s.lb.URL() }

// Handler returns the fake's handler.
func (s *Server) Handler() http.Handler { return s }

// Close stops the server; delayed requests are cut short.
func (s *Server) Close() { s.lb.Close() }

// Request is one request the fake received.
type Request = fakeapi.Request

// Log returns the log of every request received, in arrival order, with
// the route each matched ("" for none) and the status it got.
func (s *Server) Log() *fakeapi.Log { return &s.requests }

// Faults returns the queues of scripted misbehaviours: Fail, FailN,
// Delay, Drop, or Script with a Fault of one's own.
func (s *Server) Faults() *fakeapi.Faults[Fault] { return s.faults }

// reply is a handler's answer.
type reply struct {
	status int
	body   any // encoded as JSON; a fakeapi.RawBody is written as is
}

// ServeHTTP serves the fake API.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := fakeapi.ReadBody(r)
	route, id := match(r.Method, r.URL.Path)
	idx := s.requests.Record(Request{
		Method: r.Method, Path: r.URL.Path, Route: route, Query: r.URL.Query(),
		Body: body, At: s.now(),
	})
	hdr := http.Header{}
	var rep *reply
	if err != nil {
		rep = &reply{http.StatusBadRequest, errorBody(http.StatusBadRequest, "Bad request", "could not read the request body")}
	} else {
		rep = s.serve(w, r, route, id, body, hdr)
	}
	if rep == nil { // the connection was dropped
		return
	}
	fakeapi.WriteJSON(w, hdr, rep.status, "application/json", rep.body)
	s.requests.SetStatus(idx, rep.status)
	s.log.Debug("fake pipedrive", "method", r.Method, "path", r.URL.Path, "route", route, "status", rep.status)
}

// serve runs a request through authentication, routing, the rate limits,
// the scripted faults and its handler. It returns nil when the connection
// was dropped.
func (s *Server) serve(w http.ResponseWriter, r *http.Request, route, id string, body []byte, hdr http.Header) *reply {
	if route == RouteToken {
		hdr.Set("Cache-Control", "no-store")
		return s.withFaults(w, route, hdr, func() reply { return s.token(r, body) })
	}
	if rep, ok := s.authenticate(r); !ok {
		s.rateLimit(route, false, hdr)
		return &rep
	}
	if rep, refused := s.rateLimit(route, true, hdr); refused {
		return &rep
	}
	if route == "" {
		rep := apiError(http.StatusNotFound, "Not found",
			fmt.Sprintf("the fake serves no %s %s; it serves %s", r.Method, r.URL.Path, strings.Join(Routes(), ", ")))
		return &rep
	}
	return s.withFaults(w, route, hdr, func() reply { return s.handle(r, route, id, body) })
}

// withFaults serves a request through its route's next scripted fault,
// if any. It returns nil when the connection was dropped.
func (s *Server) withFaults(w http.ResponseWriter, route string, hdr http.Header, handle func() reply) *reply {
	f, faulty := s.faults.Next(route)
	if faulty && !f.AfterApply {
		if rep, done := s.misbehave(w, f, hdr); done {
			return rep
		}
	}
	rep := handle()
	if faulty && f.AfterApply {
		if rep, done := s.misbehave(w, f, hdr); done {
			return rep
		}
	}
	return &rep
}

// handle runs the route's handler.
func (s *Server) handle(r *http.Request, route, id string, body []byte) reply {
	q := r.URL.Query()
	switch route {
	case RoutePersons:
		return s.list(collPersons, q)
	case RouteOrganizations:
		return s.list(collOrgs, q)
	case RoutePerson:
		return s.get(collPersons, id, q)
	case RouteOrganization:
		return s.get(collOrgs, id, q)
	case RoutePersonsSearch:
		return s.search(collPersons, q)
	case RouteOrganizationsSearch:
		return s.search(collOrgs, q)
	case RouteCallLogs:
		return s.logCall(r, body)
	}
	return apiError(http.StatusNotFound, "Not found", "no handler for "+route)
}

// match finds the route of a request and its id path parameter; "" when
// the fake has no such route. Paths are matched exactly: no trailing
// slash, case-sensitive.
func match(method, path string) (route, id string) {
	switch {
	case method == http.MethodPost && path == "/oauth/token":
		return RouteToken, ""
	case method == http.MethodPost && path == "/api/v1/callLogs":
		return RouteCallLogs, ""
	case method != http.MethodGet:
		return "", ""
	}
	for _, c := range []struct{ prefix, list, one, search string }{
		{"/api/v2/persons", RoutePersons, RoutePerson, RoutePersonsSearch},
		{"/api/v2/organizations", RouteOrganizations, RouteOrganization, RouteOrganizationsSearch},
	} {
		rest, ok := strings.CutPrefix(path, c.prefix)
		switch {
		case !ok:
			continue
		case rest == "":
			return c.list, ""
		case rest == "/search":
			return c.search, ""
		case strings.HasPrefix(rest, "/") && rest != "/" && !strings.Contains(rest[1:], "/"):
			return c.one, rest[1:]
		}
	}
	return "", ""
}

// checkQuery refuses, with a 400, a query parameter the route does not
// know or one given more than once. api_token is known everywhere.
func checkQuery(q url.Values, known ...string) (reply, bool) {
	for k, vs := range q {
		if k != "api_token" && !slices.Contains(known, k) {
			return badRequest(fmt.Sprintf("unknown query parameter %q; this endpoint takes %s", k, strings.Join(known, ", "))), false
		}
		if len(vs) > 1 {
			return badRequest(fmt.Sprintf("query parameter %q is given %d times; give it once", k, len(vs))), false
		}
	}
	return reply{}, true
}
