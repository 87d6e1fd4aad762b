package fakehipcall

import (
	"net/url"
	"slices"
	"time"
)

// RecordedRequest is one request the fake received.
type RecordedRequest struct {
	// Method is the HTTP method.
	Method string
	// Path is the escaped path below /api/v3 ("/companies/7").
	Path string
	// Route is the matched route ("GET /companies/{id}"), or "" when no
	// route matched.
	Route string
	// Query is the parsed query string.
	Query url.Values
	// Body is the request body.
	Body []byte
	// Status is the status answered; 0 while in flight or when the
	// connection was dropped.
	Status int
	// At is when the request arrived, by Options.Now.
	At time.Time
}

func (s *Server) record(r RecordedRequest) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.records = append(s.records, r)
	return len(s.records) - 1
}

func (s *Server) setStatus(idx, status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if idx < len(s.records) { // Reset may have cleared the records
		s.records[idx].Status = status
	}
}

// Requests returns every request received since creation or the last
// Reset/ResetRequests, in arrival order.
func (s *Server) Requests() []RecordedRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]RecordedRequest, len(s.records))
	for i, r := range s.records {
		r.Body = slices.Clone(r.Body)
		r.Query = cloneValues(r.Query)
		out[i] = r
	}
	return out
}

// Count returns how many requests matched the route ("POST /companies").
func (s *Server) Count(route string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, r := range s.records {
		if r.Route == route {
			n++
		}
	}
	return n
}

// Counts returns the number of requests per route; unmatched requests
// count under "".
func (s *Server) Counts() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	counts := map[string]int{}
	for _, r := range s.records {
		counts[r.Route]++
	}
	return counts
}

// ResetRequests forgets the recorded requests only.
func (s *Server) ResetRequests() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.records = nil
}

func cloneValues(v url.Values) url.Values {
	out := make(url.Values, len(v))
	for k, vs := range v {
		out[k] = slices.Clone(vs)
	}
	return out
}
