package fakehipcall

import "github.com/switchboard-hq/switchboard/connectors/fakeapi"

// RecordedRequest is one request the fake received. Its Path is the
// escaped path below /api/v3 ("/companies/7"); its Route the matched route
// ("GET /companies/{id}"), or "" when no route matched; its At by
// Options.Now.
type RecordedRequest = fakeapi.Request

// Requests returns every request received since creation or the last
// Reset/ResetRequests, in arrival order.
func (s *Server) Requests() []RecordedRequest { return s.records.Requests() }

// Count returns how many requests matched the route ("POST /companies").
func (s *Server) Count(route string) int { return s.records.Count(route) }

// Counts returns the number of requests per route; unmatched requests
// count under "".
func (s *Server) Counts() map[string]int { return s.records.Counts() }

// ResetRequests forgets the recorded requests only.
func (s *Server) ResetRequests() { s.records.Reset() }
