package server

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
)

// What the Smart IVR and Ringostat endpoints share: a lookup and a
// decision under a deadline, and how its outcome is counted and logged.

// Outcomes logged per Smart IVR and Ringostat request (Ringostat adds its
// own, ringostat.go).
const (
	outcomeRule     = "rule"     // a routing rule chose the destination
	outcomeDefault  = "default"  // no rule matched; the router's default
	outcomeFallback = "fallback" // something went wrong; the default
)

// result is what the lookup goroutine hands back.
type result struct {
	res      directory.Result
	dec      routing.Decision
	panicked any
	stack    []byte
}

// decideWithin runs lookup, then decide on its result, under deadline,
// recovering a panic in either. ok is false when the deadline (or the
// client) went first; the goroutine then finishes on its own, its context
// already cancelled, and its result is dropped.
func decideWithin(ctx context.Context, deadline time.Duration,
	lookup func(context.Context) directory.Result, decide func(directory.Result) routing.Decision,
) (out result, ok bool) {
	ctx, cancel := context.WithTimeout(ctx, deadline)
	defer cancel()
	done := make(chan result, 1)
	go func() {
		var out result
		defer func() {
			if v := recover(); v != nil {
				out.panicked, out.stack = v, debug.Stack()
			}
			done <- out
		}()
		out.res = lookup(ctx)
		out.dec = decide(out.res)
	}()
	select {
	case out = <-done:
		return out, true
	case <-ctx.Done():
		return result{}, false
	}
}

// deadlineDetail says why decideWithin gave up: the deadline, or the
// client going away first.
func deadlineDetail(r *http.Request, deadline time.Duration) string {
	if r.Context().Err() != nil {
		return "client went away before a decision"
	}
	return fmt.Sprintf("no decision within %v", deadline)
}

// annotatePanic adds a panic in lookup or routing to the request's log
// line, with the lookup's findings, at error level.
func annotatePanic(r *http.Request, out result) {
	annotateResult(r, out.res)
	annotate(r, "panic", fmt.Sprint(out.panicked), "stack", string(out.stack))
	raiseLevel(r, hclog.Error)
}

// decisionOutcome is the outcome of a decision answered as it is: rule,
// default, or fallback when the default hides a failure (counted in
// fallbacks and logged).
func decisionOutcome(r *http.Request, out result, fallbacks *prometheus.CounterVec) string {
	if !out.dec.Default {
		return outcomeRule
	}
	if reason := fallbackReason(out.res); reason != "" {
		countFallback(r, fallbacks, reason)
		return outcomeFallback
	}
	return outcomeDefault
}

// fallbackReason says why a default decision was really a failure, or ""
// for an ordinary "nobody matched".
func fallbackReason(res directory.Result) string {
	switch {
	case res.InvalidNumber != nil:
		return fallbackInvalidNumber
	case !res.Found && !res.Ambiguous && len(res.Errors) > 0:
		return fallbackLookupError
	}
	return ""
}

// countFallback counts a fallback by reason and logs it; a panic or a
// passed deadline makes the log line a warning.
func countFallback(r *http.Request, fallbacks *prometheus.CounterVec, reason string) {
	fallbacks.WithLabelValues(reason).Inc()
	annotate(r, "fallback", reason)
	if reason == fallbackPanic || reason == fallbackDeadline {
		raiseLevel(r, hclog.Warn)
	}
}

// annotateResult adds the lookup's findings to the request's log line.
func annotateResult(r *http.Request, res directory.Result) {
	caller := res.Query.E164
	if caller == "" {
		caller = res.Query.National
	}
	kind := ""
	if res.Match != nil {
		kind = string(res.Match.Kind)
	}
	annotate(r,
		"caller", caller,
		"found", res.Found,
		"ambiguous", res.Ambiguous,
		"source", res.Source,
		"via", string(res.Via),
		"match", kind,
		"lookup_duration", res.Duration,
	)
	if res.InvalidNumber != nil {
		annotate(r, "invalid_number", res.InvalidNumber.Error())
	}
	if len(res.Errors) > 0 {
		errs := make([]string, len(res.Errors))
		for i, e := range res.Errors {
			errs[i] = fmt.Sprintf("%s: %v", e.Source, e.Err)
		}
		annotate(r, "lookup_errors", errs)
	}
}
