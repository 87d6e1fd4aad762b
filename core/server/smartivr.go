package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"runtime/debug"

	"github.com/hashicorp/go-hclog"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/switchboard-hq/switchboard/core/directory"
	"github.com/switchboard-hq/switchboard/core/routing"
)

// Outcomes logged per Smart IVR request.
const (
	outcomeRule     = "rule"     // a routing rule chose the extension
	outcomeDefault  = "default"  // no rule matched; the router's default
	outcomeFallback = "fallback" // something went wrong; the default
)

// extensionBody is the Smart IVR response, the only shape Hipcall reads.
type extensionBody struct {
	Extension string `json:"extension"`
}

// smartIVR serves Hipcall's Smart IVR web service: the caller's number in,
// {"extension": "..."} out, always HTTP 200.
type smartIVR struct {
	opts        SmartIVROptions
	maxBody     int64
	dir         Lookuper
	router      Decider
	log         hclog.Logger
	fallbacks   *prometheus.CounterVec
	defaultBody []byte
}

func (s *Server) smartIVREndpoint() endpoint {
	ivr := s.opts.SmartIVR
	h := &smartIVR{
		opts:      *ivr,
		maxBody:   s.opts.MaxBodyBytes,
		dir:       s.opts.Directory,
		router:    s.opts.Router,
		log:       s.log.Named("smart_ivr"),
		fallbacks: s.metrics.fallbacks,
	}
	h.defaultBody, _ = json.Marshal(extensionBody{Extension: ivr.DefaultExtension}) // a string always encodes
	return endpoint{
		name:      "smart_ivr",
		path:      ivr.Path,
		methods:   []string{http.MethodPost},
		auth:      newAuthenticator(ivr.BasicAuth),
		limitBody: true,
		level:     hclog.Info,
		onPanic: func(w http.ResponseWriter, r *http.Request) {
			h.fallback(w, r, fallbackPanic, "panic while serving the request")
		},
		handler: h,
	}
}

// result is what the lookup goroutine hands back.
type result struct {
	res      directory.Result
	dec      routing.Decision
	panicked any
	stack    []byte
}

func (h *smartIVR) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := readBody(r, h.maxBody)
	if err != nil {
		reason := fallbackMalformed
		if errors.Is(err, errBodyTooLarge) {
			reason = fallbackOversize
		}
		h.fallback(w, r, reason, err.Error())
		return
	}
	req, err := parseSmartIVR(body)
	if len(req.unknown) > 0 || len(req.ignored) > 0 {
		h.log.Debug("ignoring parts of the request", "unknown_keys", req.unknown, "ignored_values", req.ignored, "uuid", req.call.UUID)
	}
	annotate(r, "caller_raw", req.call.Caller, "uuid", req.call.UUID)
	if err != nil {
		h.fallback(w, r, fallbackMalformed, err.Error())
		return
	}

	out, ok := h.decide(r.Context(), req.call)
	switch {
	case !ok:
		detail := fmt.Sprintf("no decision within %v", h.opts.Deadline)
		if r.Context().Err() != nil {
			detail = "client went away before a decision"
		}
		h.fallback(w, r, fallbackDeadline, detail)
	case out.panicked != nil:
		annotateResult(r, out.res)
		annotate(r, "panic", fmt.Sprint(out.panicked), "stack", string(out.stack))
		raiseLevel(r, hclog.Error)
		h.fallback(w, r, fallbackPanic, "panic in lookup or routing")
	case out.dec.Extension == "":
		annotateResult(r, out.res)
		raiseLevel(r, hclog.Error)
		h.answer(w, r, h.opts.DefaultExtension, outcomeFallback, "", "router returned no extension (a routing bug): answered the default")
	default:
		annotateResult(r, out.res)
		outcome := outcomeRule
		if out.dec.Default {
			outcome = outcomeDefault
			if reason := fallbackReason(out.res); reason != "" {
				outcome = outcomeFallback
				h.fallbacks.WithLabelValues(reason).Inc()
				annotate(r, "fallback", reason)
			}
		}
		h.answer(w, r, out.dec.Extension, outcome, out.dec.Rule, out.dec.Reason)
	}
}

// decide runs the lookup and the decision under the Smart IVR deadline.
// ok is false when the deadline (or the client) went first; the goroutine
// then finishes on its own, its context already cancelled, and its result
// is dropped.
func (h *smartIVR) decide(ctx context.Context, call routing.Call) (out result, ok bool) {
	ctx, cancel := context.WithTimeout(ctx, h.opts.Deadline)
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
		out.res = h.dir.Lookup(ctx, call.Caller)
		out.dec = h.router.Decide(out.res, call)
	}()
	select {
	case out = <-done:
		return out, true
	case <-ctx.Done():
		return result{}, false
	}
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

// fallback answers the default extension because of reason and counts it.
func (h *smartIVR) fallback(w http.ResponseWriter, r *http.Request, reason, detail string) {
	h.fallbacks.WithLabelValues(reason).Inc()
	annotate(r, "fallback", reason)
	if reason == fallbackPanic || reason == fallbackDeadline {
		raiseLevel(r, hclog.Warn)
	}
	h.answer(w, r, h.opts.DefaultExtension, outcomeFallback, "", detail)
}

// answer writes {"extension": ext} with HTTP 200 and logs the decision.
func (h *smartIVR) answer(w http.ResponseWriter, r *http.Request, ext, outcome, rule, reason string) {
	annotate(r, "extension", ext, "rule", rule, "reason", reason, "outcome", outcome)
	if ext == h.opts.DefaultExtension {
		writeJSONBytes(w, http.StatusOK, h.defaultBody)
		return
	}
	body, err := json.Marshal(extensionBody{Extension: ext})
	if err != nil { // cannot happen for a string; answer the default anyway
		body = h.defaultBody
	}
	writeJSONBytes(w, http.StatusOK, body)
}
