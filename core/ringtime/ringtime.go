// Package ringtime is what every phone-system front end (core/smartivr,
// core/ringostat) shares while a call rings: the caller looked up and a
// destination decided under a deadline, panics recovered, and the outcome
// counted and told in the request's log line (server.Annotate). The front
// ends parse and answer in their own formats; this is the part in between.
package ringtime

import (
	"context"
	"fmt"
	"net/http"
	"runtime/debug"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/switchboard-hq/switchboard/core/directory"
	"github.com/switchboard-hq/switchboard/core/routing"
	"github.com/switchboard-hq/switchboard/core/server"
)

// Lookuper answers "who is this number?". *directory.Directory satisfies it.
// Lookup must honour ctx and always return a usable Result.
type Lookuper interface {
	Lookup(ctx context.Context, raw string) directory.Result
}

// InMemory is implemented by a Lookuper that can tell whether its every
// lookup answers from memory (every source an index): Decide then runs the
// lookup and the rules on the request's goroutine, without the goroutine,
// timer and hand-offs that bound a lookup that may wait on a connector.
// *directory.Directory satisfies it.
type InMemory interface {
	InMemory() bool
}

// Decider turns a lookup result into a destination for a target (a phone
// system's decision point). *routing.Router satisfies it. Decide must never
// fail; for a target whose default is required (Hipcall) it always returns a
// destination.
type Decider interface {
	Decide(res directory.Result, call routing.Call, target string) routing.Decision
}

// Outcomes logged per request (a front end may add its own).
const (
	OutcomeRule     = "rule"     // a routing rule chose the destination
	OutcomeDefault  = "default"  // no rule matched; the router's default
	OutcomeFallback = "fallback" // something went wrong; the default
)

// Fallback reasons every front end counts: why it answered its default
// because something went wrong (label of its fallbacks counter).
const (
	FallbackMalformed     = "malformed"
	FallbackInvalidNumber = "invalid_number"
	FallbackDeadline      = "deadline"
	FallbackPanic         = "panic"
	FallbackLookupError   = "lookup_error"
	FallbackOversize      = "oversize"
	// FallbackRateLimited: the source sent more than server.limits.rate
	// allows; a ring is answered, never refused.
	FallbackRateLimited = "rate_limited"
)

// FallbackReasons are the shared reasons, in the order they are shown.
var FallbackReasons = []string{FallbackMalformed, FallbackInvalidNumber, FallbackDeadline, FallbackPanic, FallbackLookupError, FallbackOversize, FallbackRateLimited}

// Result is what a lookup and decision came to.
type Result struct {
	Lookup   directory.Result
	Decision routing.Decision
	// Panicked is the value of a panic in Lookup or Decide, with its Stack.
	Panicked any
	Stack    []byte
}

// Decide looks call.Caller up in dir, then routes it for target, under
// deadline, recovering a panic in either. ok is false when the deadline (or
// the client) went first; the goroutine then finishes on its own, its
// context already cancelled, and its result is dropped.
func Decide(ctx context.Context, deadline time.Duration, dir Lookuper, router Decider, call routing.Call, target string) (out Result, ok bool) {
	rc := ringOf(ctx)
	if rc != nil {
		rc.noteCall(call.Caller, call.UUID)
	}
	if m, ok := dir.(InMemory); ok && m.InMemory() {
		// Microseconds from memory: nothing here waits, so nothing needs
		// bounding by the deadline.
		out = decide(ctx, dir, router, call, target)
		if rc != nil {
			rc.noteResult(&out)
		}
		return out, true
	}
	ctx, cancel := context.WithTimeout(ctx, deadline)
	defer cancel()
	done := make(chan Result, 1)
	go func() { done <- decide(ctx, dir, router, call, target) }()
	select {
	case out = <-done:
		if rc != nil { // here, not in the goroutine: a late one must not write
			rc.noteResult(&out)
		}
		return out, true
	case <-ctx.Done():
		return Result{}, false
	}
}

// decide looks up and routes, recovering a panic in either.
func decide(ctx context.Context, dir Lookuper, router Decider, call routing.Call, target string) (out Result) {
	defer func() {
		if v := recover(); v != nil {
			out.Panicked, out.Stack = v, debug.Stack()
		}
	}()
	out.Lookup = dir.Lookup(ctx, call.Caller)
	out.Decision = router.Decide(out.Lookup, call, target)
	return out
}

// DeadlineDetail says why Decide gave up: the deadline, or the client going
// away first.
func DeadlineDetail(r *http.Request, deadline time.Duration) string {
	if r.Context().Err() != nil {
		return "client went away before a decision"
	}
	return fmt.Sprintf("no decision within %v", deadline)
}

// AnnotatePanic adds a panic in lookup or routing to the request's log
// line, with the lookup's findings, at error level.
func AnnotatePanic(r *http.Request, out Result) {
	AnnotateLookup(r, out.Lookup)
	server.Annotate(r, "panic", fmt.Sprint(out.Panicked), "stack", string(out.Stack))
	server.RaiseLevel(r, hclog.Error)
}

// Outcome is the outcome of a decision answered as it is: rule, default,
// or fallback when the default hides a failure (counted in fallbacks and
// logged).
func Outcome(r *http.Request, out Result, fallbacks *prometheus.CounterVec) string {
	if !out.Decision.Default {
		return OutcomeRule
	}
	if reason := fallbackReason(out.Lookup); reason != "" {
		CountFallback(r, fallbacks, reason)
		return OutcomeFallback
	}
	return OutcomeDefault
}

// fallbackReason says why a default decision was really a failure, or ""
// for an ordinary "nobody matched".
func fallbackReason(res directory.Result) string {
	switch {
	case res.InvalidNumber != nil:
		return FallbackInvalidNumber
	case !res.Found && !res.Ambiguous && len(res.Errors) > 0:
		return FallbackLookupError
	}
	return ""
}

// CountFallback counts a fallback by reason and logs it; a panic or a
// passed deadline makes the log line a warning.
func CountFallback(r *http.Request, fallbacks *prometheus.CounterVec, reason string) {
	fallbacks.WithLabelValues(reason).Inc()
	server.Annotate(r, "fallback", reason)
	noteFallback(r, reason)
	if reason == FallbackPanic || reason == FallbackDeadline {
		server.RaiseLevel(r, hclog.Warn)
	}
}

// AnnotateLookup adds the lookup's findings to the request's log line.
func AnnotateLookup(r *http.Request, res directory.Result) {
	caller := res.Query.E164
	if caller == "" {
		caller = res.Query.National
	}
	kind := ""
	if res.Match != nil {
		kind = string(res.Match.Kind)
	}
	server.Annotate(r,
		"caller", caller,
		"found", res.Found,
		"ambiguous", res.Ambiguous,
		"source", res.Source,
		"via", string(res.Via),
		"match", kind,
		"lookup_duration", res.Duration,
	)
	if res.InvalidNumber != nil {
		server.Annotate(r, "invalid_number", res.InvalidNumber.Error())
	}
	if len(res.Errors) > 0 {
		errs := make([]string, len(res.Errors))
		for i, e := range res.Errors {
			errs[i] = fmt.Sprintf("%s: %v", e.Source, e.Err)
		}
		server.Annotate(r, "lookup_errors", errs)
	}
}
