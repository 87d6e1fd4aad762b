package server

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/hashicorp/go-hclog"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/switchboard-hq/switchboard/core/directory"
	"github.com/switchboard-hq/switchboard/core/ringostat"
	"github.com/switchboard-hq/switchboard/core/routing"
)

// Ringostat fallback reasons besides the Smart IVR ones (label of
// switchboard_ringostat_fallbacks_total).
const (
	fallbackMissingNumber  = "missing_number"  // the number parameter is not there
	fallbackRPCMethod      = "rpc_method"      // a JSON-RPC method other than the configured one
	fallbackBadDestination = "bad_destination" // the router yielded an unsendable destination (a bug)
)

// ringostatFallbackReasons are every reason, shown at 0 from the start.
var ringostatFallbackReasons = []string{
	fallbackMalformed, fallbackMissingNumber, fallbackRPCMethod, fallbackInvalidNumber, fallbackDeadline,
	fallbackPanic, fallbackLookupError, fallbackOversize, fallbackBadDestination,
}

// Ringostat outcomes (label of switchboard_ringostat_answers_total and the
// log line's outcome).
const (
	outcomeNone         = "none"         // no destination answered: Ringostat goes on to its next step
	outcomeRPCError     = "rpc_error"    // a JSON-RPC error was answered
	outcomeNotification = "notification" // a JSON-RPC notification: 204, nothing routed
)

// ringostatMetrics are the endpoint's own counters.
type ringostatMetrics struct {
	fallbacks *prometheus.CounterVec
	answers   *prometheus.CounterVec
}

func newRingostatMetrics(reg prometheus.Registerer) *ringostatMetrics {
	m := &ringostatMetrics{
		fallbacks: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "switchboard_ringostat_fallbacks_total",
			Help: "Ringostat requests answered with the default (or an error) because something went wrong, by reason.",
		}, []string{"reason"}),
		answers: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "switchboard_ringostat_answers_total",
			Help: "Ringostat answers by outcome: rule, default, none (no destination), fallback, rpc_error, notification.",
		}, []string{"outcome"}),
	}
	m.fallbacks = registerCounterVec(reg, m.fallbacks)
	m.answers = registerCounterVec(reg, m.answers)
	for _, r := range ringostatFallbackReasons {
		m.fallbacks.WithLabelValues(r)
	}
	return m
}

// registerCounterVec registers c, or returns the identical collector
// already registered. Server.New has already refused a registry shared
// with another server, so a clash here cannot happen; if it did, c works
// unregistered.
func registerCounterVec(reg prometheus.Registerer, c *prometheus.CounterVec) *prometheus.CounterVec {
	if err := reg.Register(c); err != nil {
		var are prometheus.AlreadyRegisteredError
		if errors.As(err, &are) {
			if existing, ok := are.ExistingCollector.(*prometheus.CounterVec); ok {
				return existing
			}
		}
	}
	return c
}

// ringostat serves Ringostat's routing scheme requests: the caller's
// number in (any method, any submission type), a destination out in the
// configured import type, always a valid answer.
type ringostatHandler struct {
	opts    RingostatOptions
	maxBody int64
	dir     Lookuper
	log     hclog.Logger
	metrics *ringostatMetrics
	// token is the SHA-256 of RingostatOptions.Token; nil when no token is
	// required.
	token       *[sha256.Size]byte
	authFailure prometheus.Counter
}

func (s *Server) ringostatEndpoint() endpoint {
	ro := s.opts.Ringostat
	h := &ringostatHandler{
		opts:        *ro,
		maxBody:     s.opts.MaxBodyBytes,
		dir:         s.opts.Directory,
		log:         s.log.Named("ringostat"),
		metrics:     newRingostatMetrics(s.opts.Registry),
		authFailure: s.metrics.authFailures.WithLabelValues("ringostat"),
	}
	if ro.Token != "" {
		sum := sha256.Sum256([]byte(ro.Token))
		h.token = &sum
	}
	return endpoint{
		name:      "ringostat",
		path:      ro.Path,
		methods:   ro.Methods,
		auth:      newAuthenticator(ro.BasicAuth),
		limitBody: true,
		level:     hclog.Info,
		// With a token, <path>/<token> is served too; the middleware
		// only ever sees (and logs) <path>.
		prefix: h.token != nil,
		onPanic: func(w http.ResponseWriter, r *http.Request) {
			h.fallback(w, r, nil, fallbackPanic, "panic while serving the request")
		},
		handler: h,
	}
}

func (h *ringostatHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !h.authorized(w, r) {
		return
	}
	annotate(r, "import", string(h.opts.Import))
	body, err := readBody(r, h.maxBody)
	if err != nil {
		reason, code := fallbackMalformed, rpcParseError
		if errors.Is(err, errBodyTooLarge) {
			reason, code = fallbackOversize, rpcInvalidRequest
		}
		h.fail(w, r, nil, &requestError{reason: reason, code: code, msg: err.Error()})
		return
	}
	req, perr := parseRingostat(r, body, &h.opts)
	annotate(r, "submission", string(req.submission), "caller_raw", req.call.Caller, "uuid", req.call.UUID, "call_id", req.callID)
	if req.rpc != nil {
		annotate(r, "rpc_method", req.rpc.method)
		if req.rpc.notification() && h.opts.Import == ImportJSONRPC {
			// JSON-RPC: a notification gets no response, error or not.
			annotate(r, "outcome", outcomeNotification)
			h.metrics.answers.WithLabelValues(outcomeNotification).Inc()
			RingostatAnswer{Status: http.StatusNoContent}.write(w)
			return
		}
	}
	if perr != nil {
		h.fail(w, r, req.rpc, perr)
		return
	}

	out, ok := decideWithin(r.Context(), h.opts.Deadline,
		func(ctx context.Context) directory.Result { return h.dir.Lookup(ctx, req.call.Caller) },
		func(res directory.Result) routing.Decision {
			return h.opts.Router.Decide(res, req.call, ringostat.TargetName)
		})
	switch {
	case !ok:
		h.fallback(w, r, req.rpc, fallbackDeadline, deadlineDetail(r, h.opts.Deadline))
	case out.panicked != nil:
		annotatePanic(r, out)
		h.fallback(w, r, req.rpc, fallbackPanic, "panic in lookup or routing")
	case out.dec.Destination != "" && !answerable(out.dec.Destination):
		annotateResult(r, out.res)
		raiseLevel(r, hclog.Error)
		h.fallback(w, r, req.rpc, fallbackBadDestination,
			fmt.Sprintf("router returned %q, not a sendable destination (a routing bug): answered the default", out.dec.Destination))
	default:
		annotateResult(r, out.res)
		h.answer(w, r, req.rpc, out.dec.Destination, decisionOutcome(r, out, h.metrics.fallbacks), out.dec.Rule, out.dec.Reason)
	}
}

// authorized checks the token, when one is required: the last path
// segment or the token query parameter, compared in constant time. It
// answers 401 itself when the token is missing or wrong.
func (h *ringostatHandler) authorized(w http.ResponseWriter, r *http.Request) bool {
	if h.token == nil {
		return true
	}
	offered, found := strings.CutPrefix(r.URL.Path, h.opts.Path+"/")
	if !found {
		offered, found = lookupFold(r.URL.Query(), RingostatTokenParam)
	}
	sum := sha256.Sum256([]byte(offered))
	if found && subtle.ConstantTimeCompare(sum[:], h.token[:]) == 1 {
		return true
	}
	problem := "wrong_token"
	if !found || offered == "" {
		problem = "missing_token"
	}
	refuse(w, r, h.authFailure, problem)
	return false
}

// fail answers a request that could not be routed: a JSON-RPC error when
// the answer is JSON-RPC, else the default destination.
func (h *ringostatHandler) fail(w http.ResponseWriter, r *http.Request, rpc *rpcCall, perr *requestError) {
	if h.opts.Import != ImportJSONRPC {
		h.fallback(w, r, rpc, perr.reason, perr.msg)
		return
	}
	countFallback(r, h.metrics.fallbacks, perr.reason)
	h.metrics.answers.WithLabelValues(outcomeRPCError).Inc()
	annotate(r, "rpc_error", perr.code, "reason", perr.msg, "outcome", outcomeRPCError)
	renderRPCError(rpc.responseID(), perr.code, perr.msg).write(w)
}

// fallback answers the default destination because of reason and counts
// it.
func (h *ringostatHandler) fallback(w http.ResponseWriter, r *http.Request, rpc *rpcCall, reason, detail string) {
	countFallback(r, h.metrics.fallbacks, reason)
	h.answer(w, r, rpc, h.opts.Default, outcomeFallback, "", detail)
}

// answer sends dest in the import format and logs the decision. An empty
// dest is "no destination": Ringostat goes on to its next step.
func (h *ringostatHandler) answer(w http.ResponseWriter, r *http.Request, rpc *rpcCall, dest, outcome, rule, reason string) {
	if dest == "" && outcome != outcomeFallback {
		outcome = outcomeNone
	}
	h.metrics.answers.WithLabelValues(outcome).Inc()
	annotate(r, "destination", dest, "rule", rule, "reason", reason, "outcome", outcome)
	RenderRingostat(h.opts.Import, h.opts.ResponseKey, dest, rpc.responseID()).write(w)
}
