package hubspottest

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/switchboard-hq/switchboard/connectors/fakeapi"
	"github.com/switchboard-hq/switchboard/connectors/phone"
)

// Routes, as named in Script and Request.Route.
const (
	RouteList   = "GET /crm/v3/objects/{objectType}"
	RouteGet    = "GET /crm/v3/objects/{objectType}/{objectId}"
	RouteSearch = "POST /crm/v3/objects/{objectType}/search"
	// RouteCreate creates a contact, company or call.
	RouteCreate = "POST /crm/v3/objects/{objectType}"
	// RouteProperty reads one property's definition.
	RouteProperty = "GET /crm/v3/properties/{objectType}/{propertyName}"
	// AnyRoute scripts a fault for whichever request comes next.
	AnyRoute = fakeapi.AnyRoute
)

// Routes lists the routes the fake serves.
func Routes() []string {
	return []string{RouteList, RouteGet, RouteSearch, RouteCreate, RouteProperty}
}

// Defaults for zero Options fields.
const (
	DefaultTenSecondLimit  = 100
	DefaultSearchPerSecond = 5
	DefaultDailyLimit      = 250_000
	DefaultRegion          = "US"
)

// Unlimited, as a limit in Options, turns that limit off.
const Unlimited = -1

// Options configure a Server.
type Options struct {
	// Token is the private app token requests must carry as a bearer
	// token; empty accepts any non-empty token.
	Token string
	// TenSecondLimit is how many requests (search excepted) a token may
	// make in any rolling ten seconds (default 100, as HubSpot's Free and
	// Starter tiers; Unlimited for none).
	TenSecondLimit int
	// SearchPerSecond is how many search requests a token may make in any
	// rolling second (default 5; Unlimited for none).
	SearchPerSecond int
	// DailyLimit is how many requests a token may make per UTC day
	// (default 250,000; Unlimited for none).
	DailyLimit int
	// SearchLag is how long a write takes to show in search, for every
	// object type, calls included (default 0, which the read-side tests
	// and benchmarks rely on; HubSpot's is a few seconds, so tests of
	// writes should set it, on a clock of their own, Now).
	SearchLag time.Duration
	// Region is the region numbers without a country code are read in for
	// the computed searchable phone properties (default "US").
	Region string
	// Latency delays every request (real time).
	Latency time.Duration
	// Now is the clock for rate limits, search lag and timestamps
	// (default time.Now).
	Now func() time.Time
	// Addr is the address Start listens on (default "127.0.0.1:0").
	Addr string
	// Logger receives a debug line per request (default: none).
	Logger hclog.Logger
}

// Server is a fake HubSpot. Create it with New (then Start, or mount
// Handler) or NewServer. All methods are safe for concurrent use.
type Server struct {
	opts   Options
	now    func() time.Time
	log    hclog.Logger
	parser *phone.Parser

	lb       *fakeapi.Loopback
	faults   *fakeapi.Faults[Fault]
	requests fakeapi.Log

	mu      sync.Mutex
	store   map[ObjectType]*objectStore
	nextID  int64
	limits  map[string]*tokenLimits
	seq     uint64        // correlation ids
	stalled chan struct{} // while not nil, requests wait for it to close
}

// New returns a Server that is not listening yet. It panics on an unknown
// Options.Region.
func New(opts Options) *Server {
	if opts.TenSecondLimit == 0 {
		opts.TenSecondLimit = DefaultTenSecondLimit
	}
	if opts.SearchPerSecond == 0 {
		opts.SearchPerSecond = DefaultSearchPerSecond
	}
	if opts.DailyLimit == 0 {
		opts.DailyLimit = DefaultDailyLimit
	}
	if opts.Region == "" {
		opts.Region = DefaultRegion
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
	p, err := phone.NewParser(opts.Region)
	if err != nil {
		panic(fmt.Sprintf("fake hubspot: %v", err))
	}
	s := &Server{
		opts:   opts,
		now:    opts.Now,
		log:    opts.Logger,
		parser: p,
		lb:     fakeapi.NewLoopback("fake hubspot", opts.Logger),
		faults: fakeapi.NewFaults("fake hubspot", Routes(), func(status int, delay time.Duration, drop bool) Fault {
			return Fault{Status: status, Delay: delay, Drop: drop}
		}),
	}
	s.reset()
	return s
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

// URL returns the base URL to configure as the connector's base_url ("" before
// Start).
func (s *Server) URL() string { return s.lb.URL() }

// Handler returns the fake's handler.
func (s *Server) Handler() http.Handler { return s }

// Close stops the server; delayed requests are cut short.
func (s *Server) Close() { s.lb.Close() }

// Reset puts the server back to its just-created state: no records,
// faults, rate-limit counts or recorded requests.
func (s *Server) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reset()
}

func (s *Server) reset() {
	s.store = map[ObjectType]*objectStore{Contacts: newObjectStore(), Companies: newObjectStore(), Calls: newObjectStore()}
	s.nextID = 1
	s.faults.Reset()
	s.limits = map[string]*tokenLimits{}
	s.requests.Reset()
}

// ServeHTTP serves the fake API.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := fakeapi.ReadBody(r)
	if err != nil {
		s.write(w, s.apiError(http.StatusBadRequest, CategoryValidation, "could not read the request body"), nil)
		return
	}
	route, params := match(r.Method, r.URL.Path)
	idx := s.requests.Record(Request{
		Method: r.Method, Path: r.URL.Path, Route: route, Query: r.URL.Query(),
		Body: body, At: s.now(),
	})
	if s.opts.Latency > 0 && !s.lb.Wait(s.opts.Latency) {
		return
	}
	if !s.waitStall() {
		return
	}
	rep, hdr := s.serve(w, r, route, params, body)
	if rep == nil { // the connection was dropped
		s.requests.SetStatus(idx, 0)
		return
	}
	s.write(w, *rep, hdr)
	s.requests.SetStatus(idx, rep.status)
	s.log.Debug("fake hubspot", "method", r.Method, "path", r.URL.Path, "route", route, "status", rep.status)
}

// serve runs the request through auth, rate limits, faults and the route's
// handler. It returns nil when the connection was dropped.
func (s *Server) serve(w http.ResponseWriter, r *http.Request, route string, params map[string]string, body []byte) (*reply, http.Header) {
	hdr := http.Header{}
	token, ok := fakeapi.Bearer(r.Header.Get("Authorization"), s.opts.Token)
	if !ok {
		rep := s.apiError(http.StatusUnauthorized, CategoryInvalidAuthentication,
			"Authentication credentials not found. This API supports OAuth 2.0 authentication and you can find more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview")
		return &rep, hdr
	}
	if route == "" {
		rep := s.apiError(http.StatusNotFound, CategoryObjectNotFound, fmt.Sprintf("no API route for %s %s", r.Method, r.URL.Path))
		return &rep, hdr
	}
	if policy := s.rateLimit(token, route == RouteSearch, hdr); policy != "" {
		rep := s.rateLimited(policy)
		return &rep, hdr
	}
	f, faulty := s.faults.Next(route)
	if faulty && !f.AfterApply {
		if rep, done := s.misbehave(w, f); done {
			return rep, hdr
		}
	}
	typ, ok := parseObjectType(params["objectType"])
	if !ok {
		rep := s.apiError(http.StatusBadRequest, CategoryValidation,
			fmt.Sprintf("Unable to infer object type from: %s", params["objectType"]))
		return &rep, hdr
	}
	rep := s.handle(r, route, params, typ, body)
	if faulty && f.AfterApply {
		if rep, done := s.misbehave(w, f); done {
			return rep, hdr
		}
	}
	return &rep, hdr
}

// misbehave applies a fault: it waits out its delay, then drops the
// connection (nil, true), answers its status (the reply, true), or lets
// the request be answered normally (nil, false). A close during the delay
// is a dropped connection.
func (s *Server) misbehave(w http.ResponseWriter, f Fault) (*reply, bool) {
	if f.Delay > 0 && !s.lb.Wait(f.Delay) {
		return nil, true
	}
	if f.Drop {
		fakeapi.DropConnection(w)
		return nil, true
	}
	if f.Status != 0 {
		rep := s.faultReply(f)
		return &rep, true
	}
	return nil, false
}

// handle runs the route's handler under mu.
func (s *Server) handle(r *http.Request, route string, params map[string]string, typ ObjectType, body []byte) reply {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch route {
	case RouteList:
		return s.list(typ, r.URL.Query())
	case RouteGet:
		return s.get(typ, params["objectId"], r.URL.Query())
	case RouteSearch:
		return s.search(typ, body)
	case RouteCreate:
		return s.create(typ, body)
	case RouteProperty:
		return s.property(typ, params["propertyName"])
	}
	return s.apiErrorLocked(http.StatusNotFound, CategoryObjectNotFound, "no API route for "+route)
}

// match finds the route of a request and its path parameters; "" when the
// fake has no such route.
func match(method, path string) (string, map[string]string) {
	if rest, ok := strings.CutPrefix(path, "/crm/v3/properties/"); ok {
		parts := strings.Split(rest, "/")
		if len(parts) == 2 && parts[0] != "" && parts[1] != "" && method == http.MethodGet {
			return RouteProperty, map[string]string{"objectType": parts[0], "propertyName": parts[1]}
		}
		return "", nil
	}
	rest, ok := strings.CutPrefix(path, "/crm/v3/objects/")
	if !ok {
		return "", nil
	}
	parts := strings.Split(rest, "/")
	for _, p := range parts {
		if p == "" {
			return "", nil
		}
	}
	switch {
	case len(parts) == 1 && method == http.MethodGet:
		return RouteList, map[string]string{"objectType": parts[0]}
	case len(parts) == 1 && method == http.MethodPost:
		return RouteCreate, map[string]string{"objectType": parts[0]}
	case len(parts) == 2 && parts[1] == "search" && method == http.MethodPost:
		return RouteSearch, map[string]string{"objectType": parts[0]}
	case len(parts) == 2 && method == http.MethodGet:
		return RouteGet, map[string]string{"objectType": parts[0], "objectId": parts[1]}
	}
	return "", nil
}

// Stall makes every request wait, unanswered, until release is called (or
// the server closes): a HubSpot that hangs. Release may be called more
// than once.
func (s *Server) Stall() (release func()) {
	ch := make(chan struct{})
	s.mu.Lock()
	s.stalled = ch
	s.mu.Unlock()
	var once sync.Once
	return func() {
		once.Do(func() {
			s.mu.Lock()
			if s.stalled == ch {
				s.stalled = nil
			}
			s.mu.Unlock()
			close(ch)
		})
	}
}

// waitStall waits while the server is stalled; false when it closed.
func (s *Server) waitStall() bool {
	s.mu.Lock()
	ch := s.stalled
	s.mu.Unlock()
	return ch == nil || s.lb.Hold(ch)
}

// reply is a handler's answer.
type reply struct {
	status int
	body   any // encoded as JSON; a fakeapi.RawBody is written as is
}

func (s *Server) write(w http.ResponseWriter, rep reply, hdr http.Header) {
	fakeapi.WriteJSON(w, hdr, rep.status, "application/json;charset=utf-8", rep.body)
}

// Request is one request the fake received.
type Request = fakeapi.Request

// Requests returns every request received so far, in order.
func (s *Server) Requests() []Request { return s.requests.Requests() }

// Count returns how many requests matched route (AnyRoute: all of them).
func (s *Server) Count(route string) int { return s.requests.Count(route) }
