package ringostat

import (
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/hashicorp/go-hclog"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/switchboard-hq/switchboard/core/ringtime"
	"github.com/switchboard-hq/switchboard/core/server"
)

// Fallback reasons besides the shared ones (ringtime.FallbackReasons;
// label of switchboard_ringostat_fallbacks_total).
const (
	fallbackMissingNumber  = "missing_number"  // the number parameter is not there
	fallbackRPCMethod      = "rpc_method"      // a JSON-RPC method other than the configured one
	fallbackBadDestination = "bad_destination" // the router yielded an unsendable destination (a bug)
)

// fallbackReasons are every reason, shown at 0 from the start.
var fallbackReasons = []string{
	ringtime.FallbackMalformed, fallbackMissingNumber, fallbackRPCMethod, ringtime.FallbackInvalidNumber, ringtime.FallbackDeadline,
	ringtime.FallbackPanic, ringtime.FallbackLookupError, ringtime.FallbackOversize, fallbackBadDestination,
}

// Outcomes besides ringtime's (label of switchboard_ringostat_answers_total
// and the log line's outcome).
const (
	outcomeNone         = "none"         // no destination answered: Ringostat goes on to its next step
	outcomeRPCError     = "rpc_error"    // a JSON-RPC error was answered
	outcomeNotification = "notification" // a JSON-RPC notification: 204, nothing routed
)

// metrics are the endpoint's own counters.
type metrics struct {
	fallbacks *prometheus.CounterVec
	answers   *prometheus.CounterVec
}

func newMetrics() *metrics {
	m := &metrics{
		fallbacks: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "switchboard_ringostat_fallbacks_total",
			Help: "Ringostat requests answered with the default (or an error) because something went wrong, by reason.",
		}, []string{"reason"}),
		answers: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "switchboard_ringostat_answers_total",
			Help: "Ringostat answers by outcome: rule, default, none (no destination), fallback, rpc_error, notification.",
		}, []string{"outcome"}),
	}
	for _, r := range fallbackReasons {
		m.fallbacks.WithLabelValues(r)
	}
	return m
}

// handler serves Ringostat's routing scheme requests: the caller's number
// in (any method, any submission type), a destination out in the
// configured import type, always a valid answer.
type handler struct {
	opts    Options
	metrics *metrics
	// token is the SHA-256 of Options.Token; nil when no token is
	// required.
	token *[sha256.Size]byte
}

// New checks o, fills in its defaults and returns the endpoint for
// server.Options.Mounts. Any method and submission type in (HTTP
// parameters, JSON, JSON-RPC 2.0), a destination out in the scheme's
// import type (Render), always a valid answer: the default or, without
// one, an empty destination with HTTP 200, which sends the call on to the
// scheme's next step. Basic Auth and a secret token (path or query,
// constant time) guard it. The error lists every problem with o.
func New(o Options) (server.Mount, error) {
	o, errs := o.withDefaults()
	if len(errs) > 0 {
		return server.Mount{}, fmt.Errorf("ringostat: invalid options: %w", errors.Join(errs...))
	}
	h := &handler{opts: o, metrics: newMetrics()}
	m := server.Mount{
		Name:       "ringostat",
		Path:       o.Path,
		Methods:    o.Methods,
		BasicAuth:  o.BasicAuth,
		LimitBody:  true,
		Level:      hclog.Info,
		Deadline:   o.Deadline,
		Collectors: []prometheus.Collector{h.metrics.fallbacks, h.metrics.answers},
		OnPanic: func(w http.ResponseWriter, r *http.Request) {
			h.fallback(w, r, nil, ringtime.FallbackPanic, "panic while serving the request")
		},
		OnLimited: func(w http.ResponseWriter, r *http.Request) {
			h.fallback(w, r, nil, ringtime.FallbackRateLimited, "the source is over server.limits.rate")
		},
		Handler: h,
	}
	if o.Token != "" {
		sum := sha256.Sum256([]byte(o.Token.Reveal()))
		h.token = &sum
		// <path>/<token> is served too; the middleware only ever sees
		// (and logs) <path>.
		m.Prefix, m.Authorize = true, h.checkToken
	}
	return m, nil
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	server.Annotate(r, "import", string(h.opts.Import))
	body, err := server.ReadBody(r)
	if err != nil {
		reason, code := ringtime.FallbackMalformed, rpcParseError
		if errors.Is(err, server.ErrBodyTooLarge) {
			reason, code = ringtime.FallbackOversize, rpcInvalidRequest
		}
		h.fail(w, r, nil, &requestError{reason: reason, code: code, msg: err.Error()})
		return
	}
	req, perr := parseRequest(r, body, &h.opts)
	server.Annotate(r, "submission", string(req.submission), "caller_raw", req.call.Caller, "uuid", req.call.UUID, "call_id", req.callID)
	if req.rpc != nil {
		server.Annotate(r, "rpc_method", req.rpc.method)
		if req.rpc.notification() && h.opts.Import == ImportJSONRPC {
			// JSON-RPC: a notification gets no response, error or not.
			server.Annotate(r, "outcome", outcomeNotification)
			ringtime.Answered(r, "", outcomeNotification, "", "")
			h.metrics.answers.WithLabelValues(outcomeNotification).Inc()
			Answer{Status: http.StatusNoContent}.write(w)
			return
		}
	}
	if perr != nil {
		h.fail(w, r, req.rpc, perr)
		return
	}

	out, ok := ringtime.Decide(r.Context(), h.opts.Deadline, h.opts.Directory, h.opts.Router, req.call, TargetName)
	switch {
	case !ok:
		h.fallback(w, r, req.rpc, ringtime.FallbackDeadline, ringtime.DeadlineDetail(r, h.opts.Deadline))
	case out.Panicked != nil:
		ringtime.AnnotatePanic(r, out)
		h.fallback(w, r, req.rpc, ringtime.FallbackPanic, "panic in lookup or routing")
	case out.Decision.Destination != "" && !answerable(out.Decision.Destination):
		ringtime.AnnotateLookup(r, out.Lookup)
		server.RaiseLevel(r, hclog.Error)
		h.fallback(w, r, req.rpc, fallbackBadDestination,
			fmt.Sprintf("router returned %q, not a sendable destination (a routing bug): answered the default", out.Decision.Destination))
	default:
		ringtime.AnnotateLookup(r, out.Lookup)
		h.answer(w, r, req.rpc, out.Decision.Destination, ringtime.Outcome(r, out, h.metrics.fallbacks), out.Decision.Rule, out.Decision.Reason)
	}
}

// checkToken checks the token (Mount.Authorize): the last path segment or
// the token query parameter, compared in constant time. It returns what is
// wrong, or "". A token parameter sent twice (in any case) is ambiguous
// and refused, whatever its values.
func (h *handler) checkToken(r *http.Request) string {
	offered, found := strings.CutPrefix(r.URL.Path, h.opts.Path+"/")
	if !found {
		var err error
		if offered, found, err = lookupFold(r.URL.Query(), TokenParam, "the query string"); err != nil {
			return "ambiguous_token"
		}
	}
	sum := sha256.Sum256([]byte(offered))
	if found && subtle.ConstantTimeCompare(sum[:], h.token[:]) == 1 {
		return ""
	}
	if !found || offered == "" {
		return "missing_token"
	}
	return "wrong_token"
}

// fail answers a request that could not be routed: a JSON-RPC error when
// the answer is JSON-RPC, else the default destination.
func (h *handler) fail(w http.ResponseWriter, r *http.Request, rpc *rpcCall, perr *requestError) {
	if perr.problem != "" {
		server.Annotate(r, "problem", perr.problem)
	}
	if h.opts.Import != ImportJSONRPC {
		h.fallback(w, r, rpc, perr.reason, perr.msg)
		return
	}
	ringtime.CountFallback(r, h.metrics.fallbacks, perr.reason)
	h.metrics.answers.WithLabelValues(outcomeRPCError).Inc()
	server.Annotate(r, "rpc_error", perr.code, "reason", perr.msg, "outcome", outcomeRPCError)
	ringtime.Answered(r, "", outcomeRPCError, "", perr.msg)
	renderRPCError(rpc.responseID(), perr.code, perr.msg).write(w)
}

// fallback answers the default destination because of reason and counts
// it.
func (h *handler) fallback(w http.ResponseWriter, r *http.Request, rpc *rpcCall, reason, detail string) {
	ringtime.CountFallback(r, h.metrics.fallbacks, reason)
	h.answer(w, r, rpc, h.opts.Default, ringtime.OutcomeFallback, "", detail)
}

// answer sends dest in the import format and logs the decision. An empty
// dest is "no destination": Ringostat goes on to its next step.
func (h *handler) answer(w http.ResponseWriter, r *http.Request, rpc *rpcCall, dest, outcome, rule, reason string) {
	if dest == "" && outcome != ringtime.OutcomeFallback {
		outcome = outcomeNone
	}
	h.metrics.answers.WithLabelValues(outcome).Inc()
	server.Annotate(r, "destination", dest, "rule", rule, "reason", reason, "outcome", outcome)
	ringtime.Answered(r, dest, outcome, rule, reason)
	Render(h.opts.Import, h.opts.ResponseKey, dest, rpc.responseID()).write(w)
}
