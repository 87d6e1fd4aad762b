package fakehipcall

import (
	"fmt"
	"net/http"
	"sync"
)

// HoldPoint says where HoldWrite holds a write request.
type HoldPoint int

const (
	// BeforeApplying holds the request as it arrives, before the rate
	// limit, the token check, faults or its route see it. Released, it is
	// dropped unanswered and never applied: the client is to be killed
	// meanwhile, and for Hipcall it died just before sending the request.
	BeforeApplying HoldPoint = iota + 1
	// AfterApplying holds the request once it has been served (applied,
	// or answered by a scripted fault), before its answer is written: the
	// client is to be killed meanwhile, after Hipcall did the write and
	// before it read the answer. Released, the answer is written to
	// whatever is left of the connection.
	AfterApplying
)

// Held is a write request HoldWrite holds, once it arrives.
type Held struct {
	s       *Server
	route   string
	n       int
	at      HoldPoint
	reached chan struct{} // closed when the request is held
	release chan struct{} // closed by Release
	done    chan struct{} // closed when the held request's handler returned
	once    sync.Once

	// Guarded by s.hmu.
	seen  int  // matching writes since HoldWrite
	taken bool // the n-th arrived and is (or was) held
	req   RecordedRequest
}

// isWrite reports whether an HTTP method writes (as Hipcall's API uses
// them: POST, PATCH, PUT, DELETE).
func isWrite(method string) bool {
	switch method {
	case http.MethodPost, http.MethodPatch, http.MethodPut, http.MethodDelete:
		return true
	}
	return false
}

// HoldWrite holds the n-th write request (POST, PATCH, PUT or DELETE;
// counted from 1, from this call on, in the order Requests records them)
// to route, one of the fake's write routes or AnyRoute for every write
// whatever its route, at the point at (before or after it is applied).
// Its handler then blocks until Held.Release, so that a test can kill the
// process that sent it at a deterministic write boundary: wait for
// Held.Reached, kill the client, then Release. Requests other than the
// n-th are served as usual meanwhile.
//
// One hold is armed at a time: HoldWrite replaces one whose request has
// not arrived yet, and Reset disarms it. Close cuts a held request short.
// It panics on n < 1, on an unknown HoldPoint, and on a route the fake
// does not have or that does not write (see Routes).
func (s *Server) HoldWrite(route string, n int, at HoldPoint) *Held {
	if n < 1 {
		panic(fmt.Sprintf("fake hipcall: HoldWrite(%q, %d): n counts writes from 1", route, n))
	}
	if at != BeforeApplying && at != AfterApplying {
		panic(fmt.Sprintf("fake hipcall: HoldWrite(%q, %d): unknown HoldPoint %d", route, n, at))
	}
	if route != AnyRoute {
		var writes []string
		for _, rt := range routes {
			if isWrite(rt.method) {
				writes = append(writes, rt.key)
			}
		}
		if !contains(writes, route) {
			panic(fmt.Sprintf("fake hipcall: no write route %q; use one of %v or AnyRoute", route, writes))
		}
	}
	h := &Held{s: s, route: route, n: n, at: at,
		reached: make(chan struct{}), release: make(chan struct{}), done: make(chan struct{})}
	s.hmu.Lock()
	s.hold = h
	s.hmu.Unlock()
	return h
}

// Reached is closed once the n-th write has arrived and is held.
func (h *Held) Reached() <-chan struct{} { return h.reached }

// Request returns the held request as it arrived (Status 0); the zero
// RecordedRequest before Reached is closed.
func (h *Held) Request() RecordedRequest {
	h.s.hmu.Lock()
	defer h.s.hmu.Unlock()
	return h.req
}

// Release lets the held request go on, as its HoldPoint says, and waits
// until its handler has returned, so that nothing it does (applying it,
// recording its status) happens after Release returns. Before the request
// arrived, Release disarms the hold instead. Calling it again does
// nothing.
func (h *Held) Release() {
	h.s.hmu.Lock()
	taken := h.taken
	if !taken && h.s.hold == h {
		h.s.hold = nil
	}
	h.s.hmu.Unlock()
	h.once.Do(func() { close(h.release) })
	if taken {
		<-h.done
	}
}

// logRequest records a request and, when it is the write the armed hold
// waits for, takes the hold (nil otherwise). Both happen under one lock, so
// that the n-th write is the n-th in Requests even when writes arrive
// concurrently.
func (s *Server) logRequest(req RecordedRequest) (int, *Held) {
	s.hmu.Lock()
	defer s.hmu.Unlock()
	idx := s.records.Record(req)
	h := s.hold
	if h == nil || !isWrite(req.Method) || (h.route != AnyRoute && h.route != req.Route) {
		return idx, nil
	}
	if h.seen++; h.seen < h.n {
		return idx, nil
	}
	s.hold = nil
	h.taken, h.req = true, req
	return idx, h
}

// wait signals that the request is held and blocks until Release; it
// reports false when the server closed first.
func (h *Held) wait() bool {
	close(h.reached)
	return h.s.lb.Hold(h.release)
}
