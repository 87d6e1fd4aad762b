package server

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"

	"github.com/hashicorp/go-hclog"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/switchboard-hq/switchboard/core/directory"
	"github.com/switchboard-hq/switchboard/core/routing"
	"github.com/switchboard-hq/switchboard/core/smartivr"
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

	out, ok := decideWithin(r.Context(), h.opts.Deadline,
		func(ctx context.Context) directory.Result { return h.dir.Lookup(ctx, req.call.Caller) },
		func(res directory.Result) routing.Decision {
			return h.router.Decide(res, req.call, smartivr.TargetName)
		})
	switch {
	case !ok:
		h.fallback(w, r, fallbackDeadline, deadlineDetail(r, h.opts.Deadline))
	case out.panicked != nil:
		annotatePanic(r, out)
		h.fallback(w, r, fallbackPanic, "panic in lookup or routing")
	case out.dec.Destination == "":
		annotateResult(r, out.res)
		raiseLevel(r, hclog.Error)
		h.answer(w, r, h.opts.DefaultExtension, outcomeFallback, "", "router returned no extension (a routing bug): answered the default")
	default:
		annotateResult(r, out.res)
		h.answer(w, r, out.dec.Destination, decisionOutcome(r, out, h.fallbacks), out.dec.Rule, out.dec.Reason)
	}
}

// fallback answers the default extension because of reason and counts it.
func (h *smartIVR) fallback(w http.ResponseWriter, r *http.Request, reason, detail string) {
	countFallback(r, h.fallbacks, reason)
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
