// Package extmgmt is Hipcall's External Management front end (issue 16):
// Hipcall asks on every step of a call what to do, and a flow written in
// YAML answers — a small state machine of steps that ask for digits
// (gather), look them up or check them against the caller's record,
// branch on conditions that see the routing rules' variables and helpers,
// and end by connecting, hanging up or asking again.
//
// The flow's position travels in the answer: each question's
// variable_name is "<step>__<try>", so Hipcall's next request says which
// question the digits answer, whichever host receives it and whether or
// not it restarted. What the process keeps per call is only a request
// count (the loop cap) and the question last asked (for Hipcall's
// empty-data call back when a prompt cannot be played).
//
// Every answer is HTTP 200 with {"version":"1","seq":[...]}, within the
// section's deadline: a malformed request, a lookup past the deadline, a
// panic, a loop, a step without an answer all connect the section's
// default.
package extmgmt

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/switchboard-hq/switchboard/core/lenient"
	"github.com/switchboard-hq/switchboard/core/ringlog"
	"github.com/switchboard-hq/switchboard/core/ringtime"
	"github.com/switchboard-hq/switchboard/core/server"
)

// FrontEnd is the endpoint's name (server.Mount.Name, the ring log's
// front end).
const FrontEnd = ringlog.FrontEndExternalManagement

// answerBody is the answer Hipcall reads.
type answerBody struct {
	Version string   `json:"version"`
	Seq     []Action `json:"seq"`
}

// Options configures the endpoint.
type Options struct {
	// Config is the section; Flow its compiled flow (Compile). Required.
	Config Config
	Flow   *Flow
	// Now is the clock of the per-call state (tests); nil: time.Now.
	Now func() time.Time
}

type handler struct {
	opts        Options
	calls       *callStates
	fallbacks   *prometheus.CounterVec
	answers     *prometheus.CounterVec
	defaultBody []byte
}

// New returns the endpoint for server.Options.Mounts.
func New(o Options) (server.Mount, error) {
	var errs []error
	for _, p := range o.Config.Check() {
		errs = append(errs, fmt.Errorf("external management %s %s", p.Path, p.Message))
	}
	if o.Flow == nil {
		errs = append(errs, errors.New("external management needs its compiled flow (Options.Flow)"))
	}
	if len(errs) > 0 {
		return server.Mount{}, fmt.Errorf("external management: invalid options: %w", errors.Join(errs...))
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	h := &handler{
		opts:  o,
		calls: newCallStates(maxCalls, o.Now),
		fallbacks: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "switchboard_external_management_fallbacks_total",
			Help: "External Management answers that connected the default because something went wrong, by reason.",
		}, []string{"reason"}),
		answers: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "switchboard_external_management_answers_total",
			Help: "External Management answers, by their last action (connect, gather, hangup).",
		}, []string{"final"}),
	}
	for _, r := range append(ringtime.FallbackReasons, FallbackNoBranch, FallbackChain, FallbackLoop, FallbackTriesUsed, FallbackNoRule, FallbackUnknown) {
		h.fallbacks.WithLabelValues(r)
	}
	for _, f := range []string{"connect", "gather", "hangup"} {
		h.answers.WithLabelValues(f)
	}
	h.defaultBody, _ = json.Marshal(answerBody{Version: "1", Seq: []Action{connectAction(o.Config.Default)}})
	return server.Mount{
		Name:       FrontEnd,
		Path:       o.Config.Path,
		Methods:    []string{http.MethodPost},
		BasicAuth:  o.Config.BasicAuth,
		LimitBody:  true,
		Level:      hclog.Info,
		Deadline:   o.Config.Deadline,
		Collectors: []prometheus.Collector{h.fallbacks, h.answers},
		OnPanic: func(w http.ResponseWriter, r *http.Request) {
			h.fallback(w, r, ringtime.FallbackPanic, "panic while serving the request")
		},
		OnLimited: func(w http.ResponseWriter, r *http.Request) {
			h.fallback(w, r, ringtime.FallbackRateLimited, "the source is over server.limits.rate")
		},
		Handler: h,
	}, nil
}

func connectAction(dest string) Action {
	return Action{Action: "connect", Args: map[string]any{"destination": dest}}
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := server.ReadBody(r)
	if err != nil {
		reason := ringtime.FallbackMalformed
		if errors.Is(err, server.ErrBodyTooLarge) {
			reason = ringtime.FallbackOversize
		}
		h.fallback(w, r, reason, err.Error())
		return
	}
	req, err := parseRequest(body)
	if len(req.unknown) > 0 || len(req.ignored) > 0 {
		server.Logger(r).Debug("ignoring parts of the request", "unknown_keys", req.unknown, "ignored_values", req.ignored, "uuid", req.UUID)
	}
	server.Annotate(r, "caller_raw", req.Caller, "uuid", req.UUID)
	if err != nil {
		if errors.Is(err, lenient.ErrDuplicateKey) {
			server.Annotate(r, "problem", lenient.ProblemDuplicateKey)
		}
		h.fallback(w, r, ringtime.FallbackMalformed, err.Error())
		return
	}
	n, pending := h.calls.begin(req.UUID)
	if n > h.opts.Config.MaxRequests || req.Flow > 4*h.opts.Config.MaxRequests {
		h.fallback(w, r, FallbackLoop, fmt.Sprintf("the call made %d requests (max_requests %d)", max(n, req.Flow), h.opts.Config.MaxRequests))
		return
	}
	out, ok := h.evaluate(r, req, pending)
	switch {
	case !ok:
		h.fallback(w, r, ringtime.FallbackDeadline, ringtime.DeadlineDetail(r, h.opts.Config.Deadline))
		return
	case out == nil:
		h.fallback(w, r, ringtime.FallbackPanic, "panic in the flow")
		return
	}
	h.calls.asked(req.UUID, out.pending)
	ringtime.NoteLookup(r, req.Caller, req.UUID, out.Result)
	ringtime.AnnotateLookup(r, out.Result)
	server.Annotate(r, "steps", strings.Join(out.Steps, ","), "keys", len(req.Data))
	if out.Fallback != "" {
		ringtime.CountFallback(r, h.fallbacks, out.Fallback)
	}
	if log := server.Logger(r); log.IsDebug() { // the join only when it is logged
		log.Debug("flow", "uuid", req.UUID, "trace", strings.Join(out.Trace, "; "))
	}
	h.answers.WithLabelValues(out.Final).Inc()
	outcome := out.Final
	if out.Fallback != "" {
		outcome = ringtime.OutcomeFallback
	}
	reason := ""
	if len(out.Trace) > 0 {
		reason = out.Trace[len(out.Trace)-1]
	}
	h.answer(w, r, out.Seq, out.Destination, outcome, out.Rule, reason)
}

// evaluate runs the flow within the deadline, recovering a panic (out
// nil). ok is false when the deadline went first.
func (h *handler) evaluate(r *http.Request, req request, pending *pos) (out *Outcome, ok bool) {
	ctx, cancel := context.WithTimeout(r.Context(), h.opts.Config.Deadline)
	defer cancel()
	done := make(chan *Outcome, 1)
	go func() {
		defer func() {
			if p := recover(); p != nil {
				server.Logger(r).Error("panic in the external management flow", "panic", fmt.Sprint(p))
				done <- nil
			}
		}()
		o := h.opts.Flow.Answer(ctx, req, pending)
		done <- &o
	}()
	select {
	case o := <-done:
		if ctx.Err() != nil { // finished, but its lookups may have been cut short
			return nil, false
		}
		return o, true
	case <-ctx.Done():
		return nil, false
	}
}

// fallback connects the default because of reason and counts it.
func (h *handler) fallback(w http.ResponseWriter, r *http.Request, reason, detail string) {
	ringtime.CountFallback(r, h.fallbacks, reason)
	h.answers.WithLabelValues("connect").Inc()
	server.Annotate(r, "destination", h.opts.Config.Default, "reason", detail, "outcome", ringtime.OutcomeFallback)
	ringtime.Answered(r, h.opts.Config.Default, ringtime.OutcomeFallback, "", detail)
	server.Respond(w, http.StatusOK, "application/json", h.defaultBody)
}

func (h *handler) answer(w http.ResponseWriter, r *http.Request, seq []Action, dest, outcome, rule, reason string) {
	server.Annotate(r, "destination", dest, "rule", rule, "reason", reason, "outcome", outcome)
	ringtime.Answered(r, dest, outcome, rule, reason)
	body, err := json.Marshal(answerBody{Version: "1", Seq: seq})
	if err != nil { // a flow's strings and numbers always encode
		body = h.defaultBody
	}
	server.Respond(w, http.StatusOK, "application/json", body)
}

// maxCalls bounds the per-call state kept.
const maxCalls = 50_000

// callTTL is how long a call's state is kept after its last request.
const callTTL = 2 * time.Hour

// callStates is what the process keeps per call: its request count and
// the question last asked. Bounded: beyond max calls, the oldest are
// dropped (a dropped call starts its count again).
type callStates struct {
	mu    sync.Mutex
	max   int
	now   func() time.Time
	calls map[string]*callState
}

type callState struct {
	requests int
	pending  *pos
	seen     time.Time
}

func newCallStates(max int, now func() time.Time) *callStates {
	return &callStates{max: max, now: now, calls: map[string]*callState{}}
}

// begin counts a request of call uuid and returns the count and the
// question pending. A request without a uuid is its own call.
func (s *callStates) begin(uuid string) (int, *pos) {
	if uuid == "" {
		return 1, nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	c := s.calls[uuid]
	if c == nil {
		if len(s.calls) >= s.max {
			s.evict(now)
		}
		c = &callState{}
		s.calls[uuid] = c
	}
	c.requests++
	c.seen = now
	return c.requests, c.pending
}

// asked records the question an answer asked (nil: none).
func (s *callStates) asked(uuid string, p *pos) {
	if uuid == "" {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if c := s.calls[uuid]; c != nil {
		c.pending = p
	}
}

// evict drops expired calls, and the oldest tenth when none expired.
func (s *callStates) evict(now time.Time) {
	var oldest []string
	for id, c := range s.calls {
		if now.Sub(c.seen) > callTTL {
			delete(s.calls, id)
		}
	}
	if len(s.calls) < s.max {
		return
	}
	cut := now
	for _, c := range s.calls {
		if c.seen.Before(cut) {
			cut = c.seen
		}
	}
	// Drop everything seen in the oldest stretch: at least one call.
	limit := cut.Add(now.Sub(cut) / 10)
	for id, c := range s.calls {
		if !c.seen.After(limit) {
			oldest = append(oldest, id)
		}
	}
	for _, id := range oldest {
		delete(s.calls, id)
	}
}
