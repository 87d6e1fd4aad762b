package fakehipcall

import "github.com/switchboard-hq/switchboard/connectors/fakeapi"

// RecordedRequest is one request the fake received. Its Path is the
// escaped path below /api/v3 ("/companies/7"), or the whole path of a
// recording download ("/recordings/<token>"); its Route the matched route
// ("GET /companies/{id}", RecordingRoute), or "" when no route matched;
// its At by Options.Now.
type RecordedRequest = fakeapi.Request

// Requests returns every request received since creation or the last
// Reset/ResetRequests, in arrival order.
func (s *Server) Requests() []RecordedRequest { return s.records.Requests() }

// Count returns how many requests matched the route ("POST /companies").
func (s *Server) Count(route string) int { return s.records.Count(route) }

// Succeeded returns how many requests to the route got a 2xx answer: for
// a write route, how many the fake applied (an answer lost on the way
// back still counts).
func (s *Server) Succeeded(route string) int {
	n := 0
	for _, r := range s.records.Requests() {
		if (route == AnyRoute || r.Route == route) && r.Status >= 200 && r.Status < 300 {
			n++
		}
	}
	return n
}

// Counts returns the number of requests per route; unmatched requests
// count under "".
func (s *Server) Counts() map[string]int { return s.records.Counts() }

// ResetRequests forgets the recorded requests only.
func (s *Server) ResetRequests() { s.records.Reset() }
