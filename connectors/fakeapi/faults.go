package fakeapi

import (
	"fmt"
	"slices"
	"sync"
	"time"
)

// AnyRoute, as a route name, scripts faults for whichever request comes
// next, whatever its route. Route-specific faults are used first.
const AnyRoute = "*"

// Faults queues scripted misbehaviours per route, each used up by one
// request. F is the fake's own fault type, which says how the fake
// misbehaves (its error body, its headers); Faults only keeps the queues.
// Create it with NewFaults; its methods are safe for concurrent use.
type Faults[F any] struct {
	name   string
	routes []string
	make   func(status int, delay time.Duration, drop bool) F

	mu     sync.Mutex
	queues map[string][]F
}

// NewFaults returns empty queues for a fake named name ("fake hubspot")
// whose routes are routes. make builds an F that answers status instead
// of serving the request (status != 0), holds the request for delay, or
// drops the connection: the faults Fail, Delay and Drop script.
func NewFaults[F any](name string, routes []string, make func(status int, delay time.Duration, drop bool) F) *Faults[F] {
	return &Faults[F]{name: name, routes: slices.Clone(routes), make: make, queues: map[string][]F{}}
}

// Script queues faults for route (one of the fake's routes, or AnyRoute);
// later requests are served normally. It panics on a route the fake does
// not have.
func (q *Faults[F]) Script(route string, faults ...F) {
	if route != AnyRoute && !slices.Contains(q.routes, route) {
		panic(fmt.Sprintf("%s: no route %q; use one of %v or AnyRoute", q.name, route, q.routes))
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	q.queues[route] = append(q.queues[route], faults...)
}

// Fail makes the next requests to route answer with the statuses, one
// each, in order: Fail(route, 500, 503).
func (q *Faults[F]) Fail(route string, statuses ...int) {
	faults := make([]F, len(statuses))
	for i, st := range statuses {
		faults[i] = q.make(st, 0, false)
	}
	q.Script(route, faults...)
}

// FailN makes the next n requests to route answer with status.
func (q *Faults[F]) FailN(route string, n, status int) {
	q.Fail(route, slices.Repeat([]int{status}, n)...)
}

// Delay holds the next n requests to route for d each (real time), then
// serves them normally, even if the client gave up, as a slow API would.
func (q *Faults[F]) Delay(route string, n int, d time.Duration) {
	q.Script(route, slices.Repeat([]F{q.make(0, d, false)}, n)...)
}

// Drop closes the connection of the next n requests to route unanswered.
func (q *Faults[F]) Drop(route string, n int) {
	q.Script(route, slices.Repeat([]F{q.make(0, 0, true)}, n)...)
}

// Pending returns how many scripted faults are still queued.
func (q *Faults[F]) Pending() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	n := 0
	for _, fs := range q.queues {
		n += len(fs)
	}
	return n
}

// Next takes the fault for a request to route: the first queued for the
// route, else the first queued for AnyRoute. route "" (a request that
// matched no route) takes only AnyRoute's. ok is false when none is
// queued.
func (q *Faults[F]) Next(route string) (f F, ok bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for _, key := range []string{route, AnyRoute} {
		if key == "" {
			continue
		}
		if fs := q.queues[key]; len(fs) > 0 {
			q.queues[key] = fs[1:]
			return fs[0], true
		}
	}
	return f, false
}

// Reset forgets every queued fault.
func (q *Faults[F]) Reset() {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.queues = map[string][]F{}
}
