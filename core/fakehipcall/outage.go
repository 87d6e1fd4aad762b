package fakehipcall

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/switchboard-hq/switchboard/connectors/fakeapi"
)

// Outage is a period during which Hipcall refuses requests before doing
// anything with them, as its edge answers 503 while the API is down: a
// time-based fault, where Script and Fail queue a fixed number.
//
// An Outage is an http.Handler in front of its Server: serve it instead
// of the Server (httptest.NewServer(o), and o's URL + PathPrefix as the
// API's base URL). While it is on, a request to one of its routes is
// recorded in the Server's request log (Requests, Count) with the
// outage's status and answered with it, without reaching the Server's
// rate limit, token check, faults, hold or handlers: nothing is applied.
// Every other request, and every request while it is off, is served by
// the Server as usual. Its times are real time, not Options.Now.
type Outage struct {
	s      *Server
	status int
	routes []string // empty: every route

	mu      sync.Mutex
	until   time.Time // on while time.Now() is before it
	refused int
}

// Outage returns an outage of s, off, that answers status (such as 503)
// to requests to the routes ("POST /calls/{uuid}/comments", as Script
// names them; none: every route). It panics on a route the fake does not
// have (see Routes) or a status that is not an error.
func (s *Server) Outage(status int, routes ...string) *Outage {
	if status < 400 || status > 599 {
		panic(fmt.Sprintf("fake hipcall: Outage(%d): not an error status", status))
	}
	all := Routes()
	for _, r := range routes {
		if !slices.Contains(all, r) {
			panic(fmt.Sprintf("fake hipcall: Outage: no route %q; use one of %v", r, all))
		}
	}
	return &Outage{s: s, status: status, routes: slices.Clone(routes)}
}

// For turns the outage on for d from now (replacing an end set before);
// it ends by itself once d has passed, or at End. It returns when the
// outage ends.
func (o *Outage) For(d time.Duration) time.Time {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.until = time.Now().Add(d)
	return o.until
}

// End ends the outage at once.
func (o *Outage) End() {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.until = time.Time{}
}

// On reports whether the outage is on.
func (o *Outage) On() bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	return time.Now().Before(o.until)
}

// Refused returns how many requests the outage answered with its status.
func (o *Outage) Refused() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.refused
}

// ServeHTTP refuses the request while the outage is on and names its
// route, and hands it to the Server otherwise.
func (o *Outage) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	escaped := r.URL.EscapedPath()
	key, rel := "", ""
	if _, ok := recordingToken(escaped); ok {
		rel = escaped
		if r.Method == http.MethodGet {
			key = RecordingRoute
		}
	} else if p, ok := strings.CutPrefix(escaped, PathPrefix); ok && (p == "" || p[0] == '/') {
		rel = p
		if rt, _ := match(r.Method, rel); rt != nil {
			key = rt.key
		}
	}
	o.mu.Lock()
	refuse := key != "" && time.Now().Before(o.until) && (len(o.routes) == 0 || slices.Contains(o.routes, key))
	if refuse {
		o.refused++
	}
	o.mu.Unlock()
	if !refuse {
		o.s.ServeHTTP(w, r)
		return
	}
	body, _ := fakeapi.ReadBody(r)
	o.s.hmu.Lock()
	o.s.records.Record(RecordedRequest{Method: r.Method, Path: rel, Route: key, Query: r.URL.Query(),
		Body: body, Status: o.status, At: o.s.now()})
	o.s.hmu.Unlock()
	writeReply(w, nil, detail(o.status, http.StatusText(o.status)))
	o.s.log.Debug("fake hipcall: outage", "method", r.Method, "path", rel, "route", key, "status", o.status)
}
