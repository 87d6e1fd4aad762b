package fakeapi

import (
	"net/url"
	"slices"
	"sync"
	"time"
)

// Request is one request a fake received.
type Request struct {
	// Method is the HTTP method.
	Method string
	// Path is the request's path, as the fake reports it (a fake serving
	// under a prefix may give it relative to that prefix).
	Path string
	// Route is the route it matched, or "" when it matched none.
	Route string
	// Query is the parsed query string.
	Query url.Values
	// Body is the request body.
	Body []byte
	// Status is the status answered; 0 while in flight or when the
	// connection was dropped.
	Status int
	// At is when the request arrived, by the fake's clock.
	At time.Time
}

// Log records the requests a fake receives, in arrival order. The zero
// value is an empty log; its methods are safe for concurrent use.
type Log struct {
	mu       sync.Mutex
	requests []Request
}

// Record appends r and returns its index, for SetStatus.
func (l *Log) Record(r Request) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.requests = append(l.requests, r)
	return len(l.requests) - 1
}

// SetStatus sets the status of the request Record numbered i, unless Reset
// has forgotten it since.
func (l *Log) SetStatus(i, status int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if i < len(l.requests) {
		l.requests[i].Status = status
	}
}

// Requests returns a copy of every request recorded since creation or the
// last Reset, in arrival order.
func (l *Log) Requests() []Request {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]Request, len(l.requests))
	for i, r := range l.requests {
		r.Body = slices.Clone(r.Body)
		r.Query = cloneValues(r.Query)
		out[i] = r
	}
	return out
}

// Count returns how many requests matched route; AnyRoute counts them all.
func (l *Log) Count(route string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, r := range l.requests {
		if route == AnyRoute || r.Route == route {
			n++
		}
	}
	return n
}

// Counts returns the number of requests per route; requests that matched
// no route count under "".
func (l *Log) Counts() map[string]int {
	l.mu.Lock()
	defer l.mu.Unlock()
	counts := map[string]int{}
	for _, r := range l.requests {
		counts[r.Route]++
	}
	return counts
}

// Reset forgets every recorded request.
func (l *Log) Reset() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.requests = nil
}

func cloneValues(v url.Values) url.Values {
	if v == nil {
		return nil
	}
	out := make(url.Values, len(v))
	for k, vs := range v {
		out[k] = slices.Clone(vs)
	}
	return out
}
