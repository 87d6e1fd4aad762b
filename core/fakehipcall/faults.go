package fakehipcall

import (
	"net/http"
	"time"

	"github.com/switchboard-hq/switchboard/connectors/fakeapi"
)

// AnyRoute, as a route name, scripts faults for whichever request comes
// next, whatever its route. Route-specific faults are used first.
const AnyRoute = fakeapi.AnyRoute

// Fault is one scripted misbehaviour, used up by one request to its route.
// The request has passed the rate limit and the token check.
type Fault struct {
	// Delay holds the request this long (real time) before the rest of the
	// fault applies; with no Status and no Drop the request is then served
	// normally, even if the client gave up, as a slow Hipcall would.
	Delay time.Duration
	// Status answers with this status instead of serving the request.
	Status int
	// Body is the answer's JSON body; default {"errors":{"detail":"<status
	// text>"}}.
	Body string
	// RetryAfter sets a Retry-After header on the answer.
	RetryAfter string
	// Drop closes the connection without an answer.
	Drop bool
}

// Script queues faults for a route ("POST /calls/{uuid}/cards", or
// AnyRoute); later requests are served normally. It panics on a route name
// the fake does not have (see Routes).
func (s *Server) Script(route string, faults ...Fault) { s.faults.Script(route, faults...) }

// Fail makes the next requests to route answer with the statuses, one
// each, in order: Fail("POST /calls/{uuid}/cards", 500, 500).
func (s *Server) Fail(route string, statuses ...int) { s.faults.Fail(route, statuses...) }

// FailN makes the next n requests to route answer with status.
func (s *Server) FailN(route string, n, status int) { s.faults.FailN(route, n, status) }

// Delay holds the next n requests to route for d each, then serves them.
func (s *Server) Delay(route string, n int, d time.Duration) { s.faults.Delay(route, n, d) }

// Drop closes the connection of the next n requests to route unanswered.
func (s *Server) Drop(route string, n int) { s.faults.Drop(route, n) }

// TooManyRequests answers the next request to route with 429, with a
// Retry-After header when retryAfter is not "".
func (s *Server) TooManyRequests(route, retryAfter string) {
	s.Script(route, Fault{Status: http.StatusTooManyRequests, RetryAfter: retryAfter})
}

// PendingFaults returns how many scripted faults are still queued.
func (s *Server) PendingFaults() int { return s.faults.Pending() }

func faultBody(f Fault) any {
	if f.Body != "" {
		return fakeapi.RawBody(f.Body)
	}
	return apiError{map[string]string{"detail": http.StatusText(f.Status)}}
}
