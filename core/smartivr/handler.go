package smartivr

import (
	"encoding/json"
	"errors"
	"fmt"
	"github.com/switchboard-hq/switchboard/connectors/conf"
	"net/http"
	"strings"

	"github.com/hashicorp/go-hclog"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/switchboard-hq/switchboard/core/lenient"
	"github.com/switchboard-hq/switchboard/core/ringtime"
	"github.com/switchboard-hq/switchboard/core/server"
)

// Options configures Hipcall's Smart IVR endpoint.
type Options struct {
	// Config is the hipcall.smart_ivr section; a zero Path or Deadline
	// takes DefaultConfig's.
	Config
	// DefaultExtension answers whenever anything goes wrong. Required.
	DefaultExtension string
	// Directory looks callers up and Router decides their extension.
	// Required.
	Directory ringtime.Lookuper
	Router    ringtime.Decider
}

// extensionBody is the Smart IVR response, the only shape Hipcall reads.
type extensionBody struct {
	Extension string `json:"extension"`
}

// handler serves Hipcall's Smart IVR web service: the caller's number in,
// {"extension": "..."} out, always HTTP 200.
type handler struct {
	opts        Options
	fallbacks   *prometheus.CounterVec
	defaultBody []byte
}

// New checks o, fills in its defaults and returns the endpoint for
// server.Options.Mounts. It never fails the call: malformed input, an
// oversized body, an invalid number, a failed or slow lookup and even a
// panic all answer HTTP 200 with the default extension, because the caller
// is waiting and Hipcall would otherwise wait up to 3 s before falling
// back on its own. The error lists every problem with o.
func New(o Options) (server.Mount, error) {
	o.Config = conf.FillZero(o.Config, DefaultConfig())
	var errs []error
	for _, p := range o.Config.Check() { // the same checks as the configuration's
		errs = append(errs, fmt.Errorf("smart IVR %s %s", p.Path, p.Message))
	}
	if strings.TrimSpace(o.DefaultExtension) == "" {
		errs = append(errs, errors.New("smart IVR needs a default extension (Options.DefaultExtension): it answers whenever anything goes wrong"))
	}
	if o.Directory == nil {
		errs = append(errs, errors.New("smart IVR needs a directory (Options.Directory) to look callers up"))
	}
	if o.Router == nil {
		errs = append(errs, errors.New("smart IVR needs a router (Options.Router) to decide destinations"))
	}
	if len(errs) > 0 {
		return server.Mount{}, fmt.Errorf("smart IVR: invalid options: %w", errors.Join(errs...))
	}

	h := &handler{
		opts: o,
		fallbacks: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "switchboard_smart_ivr_fallbacks_total",
			Help: "Smart IVR requests answered with the default extension because something went wrong, by reason.",
		}, []string{"reason"}),
	}
	// Make every fallback reason visible at 0 so alerts and dashboards see
	// the series before the first fallback.
	for _, r := range ringtime.FallbackReasons {
		h.fallbacks.WithLabelValues(r)
	}
	h.defaultBody, _ = json.Marshal(extensionBody{Extension: o.DefaultExtension}) // a string always encodes
	return server.Mount{
		Name:       "smart_ivr",
		Path:       o.Path,
		Methods:    []string{http.MethodPost},
		BasicAuth:  o.BasicAuth,
		LimitBody:  true,
		Level:      hclog.Info,
		Deadline:   o.Deadline,
		Collectors: []prometheus.Collector{h.fallbacks},
		OnPanic: func(w http.ResponseWriter, r *http.Request) {
			h.fallback(w, r, ringtime.FallbackPanic, "panic while serving the request")
		},
		OnLimited: func(w http.ResponseWriter, r *http.Request) {
			h.fallback(w, r, ringtime.FallbackRateLimited, "the source is over server.limits.rate")
		},
		Handler: h,
	}, nil
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
		server.Logger(r).Debug("ignoring parts of the request", "unknown_keys", req.unknown, "ignored_values", req.ignored, "uuid", req.call.UUID)
	}
	server.Annotate(r, "caller_raw", req.call.Caller, "uuid", req.call.UUID)
	if err != nil {
		if errors.Is(err, lenient.ErrDuplicateKey) {
			// Ambiguous, so malformed: no spelling of the key is picked.
			server.Annotate(r, "problem", lenient.ProblemDuplicateKey)
		}
		h.fallback(w, r, ringtime.FallbackMalformed, err.Error())
		return
	}

	out, ok := ringtime.Decide(r.Context(), h.opts.Deadline, h.opts.Directory, h.opts.Router, req.call, TargetName)
	switch {
	case !ok:
		h.fallback(w, r, ringtime.FallbackDeadline, ringtime.DeadlineDetail(r, h.opts.Deadline))
	case out.Panicked != nil:
		ringtime.AnnotatePanic(r, out)
		h.fallback(w, r, ringtime.FallbackPanic, "panic in lookup or routing")
	case out.Decision.Destination == "":
		ringtime.AnnotateLookup(r, out.Lookup)
		server.RaiseLevel(r, hclog.Error)
		h.answer(w, r, h.opts.DefaultExtension, ringtime.OutcomeFallback, "", "router returned no extension (a routing bug): answered the default")
	default:
		ringtime.AnnotateLookup(r, out.Lookup)
		h.answer(w, r, out.Decision.Destination, ringtime.Outcome(r, out, h.fallbacks), out.Decision.Rule, out.Decision.Reason)
	}
}

// fallback answers the default extension because of reason and counts it.
func (h *handler) fallback(w http.ResponseWriter, r *http.Request, reason, detail string) {
	ringtime.CountFallback(r, h.fallbacks, reason)
	h.answer(w, r, h.opts.DefaultExtension, ringtime.OutcomeFallback, "", detail)
}

// answer writes {"extension": ext} with HTTP 200 and logs the decision.
func (h *handler) answer(w http.ResponseWriter, r *http.Request, ext, outcome, rule, reason string) {
	server.Annotate(r, "extension", ext, "rule", rule, "reason", reason, "outcome", outcome)
	ringtime.Answered(r, ext, outcome, rule, reason)
	body := h.defaultBody
	if ext != h.opts.DefaultExtension {
		var err error
		if body, err = json.Marshal(extensionBody{Extension: ext}); err != nil { // cannot happen for a string
			body = h.defaultBody
		}
	}
	server.Respond(w, http.StatusOK, "application/json", body)
}
