// Package speeddial is Hipcall's Speed Dial web service (issue 16): a
// user dials the Speed Dial extension and keys a code (an order number, a
// customer number); Hipcall asks for the number to bridge them to, and we
// answer the record's number, found by a lookup key, so that couriers and
// agents never see a customer's number.
//
// A code is answered only when exactly one record holds it, that record
// has a number that reads as E.164, and the section's allow condition (if
// any) lets that user call it. Anything else is refused with Hipcall's
// error shape ({"error": ...}: 400 for a malformed request or code, 404
// for a code that finds no callable record, 403 for a code the user may
// not call) and the reason logged. The customer's number is never logged
// or recorded in full: only its last digits.
package speeddial

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/switchboard-hq/switchboard/connectors"
	"github.com/switchboard-hq/switchboard/connectors/conf"
	"github.com/switchboard-hq/switchboard/connectors/phone"
	"github.com/switchboard-hq/switchboard/core/directory"
	"github.com/switchboard-hq/switchboard/core/lenient"
	"github.com/switchboard-hq/switchboard/core/ringlog"
	"github.com/switchboard-hq/switchboard/core/ringtime"
	"github.com/switchboard-hq/switchboard/core/server"
)

// FrontEnd is the endpoint's name.
const FrontEnd = ringlog.FrontEndSpeedDial

// MaxDeadline is the longest deadline accepted (Hipcall's wait for a
// Speed Dial answer is not documented; its Smart IVR waits 3 s).
const MaxDeadline = 2500 * time.Millisecond

// Config is the host's hipcall.speed_dial section.
type Config struct {
	Enabled  bool          `yaml:"enabled"`
	Path     string        `yaml:"path"`
	Deadline time.Duration `yaml:"deadline"`
	// BasicAuth, when set, is required on every request; required off
	// loopback unless InsecureNoAuth (the answers are customers'
	// numbers).
	BasicAuth      *conf.BasicAuth `yaml:"basic_auth"`
	InsecureNoAuth bool            `yaml:"insecure_no_auth"`
	// Key is the lookup key (a connector's keys:) the keyed code is
	// looked up by. Required when Enabled.
	Key string `yaml:"key"`
	// MinDigits and MaxDigits bound a well-formed code.
	MinDigits int `yaml:"min_digits"`
	MaxDigits int `yaml:"max_digits"`
	// Phone picks the record's number: the label of the phone to use
	// ("Mobile"), tried first; the first number that reads as E.164
	// otherwise.
	Phone string `yaml:"phone"`
	// Allow is a condition over the routing variables of the record found
	// plus user_id, speed_dial_id and code: false refuses the call (403).
	// Empty: every user may call every code.
	Allow string `yaml:"allow"`
}

// DefaultConfig is the section when nothing is written: off.
func DefaultConfig() Config {
	return Config{Path: "/hipcall/speed-dial", Deadline: 1500 * time.Millisecond, MinDigits: 1, MaxDigits: 20}
}

// HasAuth reports whether the endpoint asks for credentials.
func (c Config) HasAuth() bool { return c.BasicAuth != nil }

// Check reports what is wrong with the section.
func (c *Config) Check() connectors.Problems {
	var ps connectors.Problems
	if !strings.HasPrefix(c.Path, "/") {
		ps.Addf("path", "must start with \"/\", such as %q, got %q", DefaultConfig().Path, c.Path)
	}
	if c.Deadline <= 0 || c.Deadline > MaxDeadline {
		ps.Addf("deadline", "must be longer than 0 and at most %s, got %s", conf.FormatDuration(MaxDeadline), conf.FormatDuration(c.Deadline))
	}
	conf.CheckBasicAuth(&ps, "basic_auth", &c.BasicAuth)
	if c.MinDigits < 1 || c.MaxDigits > 32 || c.MinDigits > c.MaxDigits {
		ps.Addf("min_digits", "digits must satisfy 1 <= min_digits <= max_digits <= 32, got min %d, max %d", c.MinDigits, c.MaxDigits)
	}
	if c.Enabled && strings.TrimSpace(c.Key) == "" {
		ps.Addf("key", "is required: the lookup key (under a connector's keys:) the keyed code is looked up by, such as order")
	}
	return ps
}

// Vars are the variables Allow sees besides the routing rules' (with an
// example value of each type).
var Vars = map[string]any{"user_id": int64(3508), "speed_dial_id": int64(5), "code": "12345"}

// Directory finds the record of a code (directory.Directory).
type Directory interface {
	LookupKey(ctx context.Context, key, value string) directory.Result
}

// Options configures the endpoint.
type Options struct {
	Config    Config
	Directory Directory
	// Allow is Config.Allow compiled (nil: everyone may call everything);
	// Env builds what it sees.
	Allow func(env map[string]any) (bool, error)
	Env   func(res directory.Result) map[string]any
	// Parser reads the record's numbers.
	Parser *phone.Parser
}

type handler struct {
	opts    Options
	answers *prometheus.CounterVec
}

// Refusal reasons, as counted and logged.
const (
	ReasonMalformed = "malformed"
	ReasonBadCode   = "bad_code"
	ReasonUnknown   = "unknown_code"
	ReasonAmbiguous = "ambiguous_code"
	ReasonNoNumber  = "no_number"
	ReasonRefused   = "not_allowed"
	ReasonLookup    = "lookup_error"
	ReasonDeadline  = "deadline"
	ReasonAnswered  = "answered"
)

// New returns the endpoint for server.Options.Mounts.
func New(o Options) (server.Mount, error) {
	var errs []error
	for _, p := range o.Config.Check() {
		errs = append(errs, fmt.Errorf("speed dial %s %s", p.Path, p.Message))
	}
	if o.Directory == nil || o.Parser == nil {
		errs = append(errs, errors.New("speed dial needs a directory and a phone parser"))
	}
	if o.Allow != nil && o.Env == nil {
		errs = append(errs, errors.New("speed dial: Allow needs Env"))
	}
	if len(errs) > 0 {
		return server.Mount{}, fmt.Errorf("speed dial: invalid options: %w", errors.Join(errs...))
	}
	h := &handler{opts: o, answers: prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "switchboard_speed_dial_answers_total",
		Help: "Speed Dial answers, by outcome (answered, or why the code was refused).",
	}, []string{"outcome"})}
	for _, r := range []string{ReasonAnswered, ReasonMalformed, ReasonBadCode, ReasonUnknown, ReasonAmbiguous, ReasonNoNumber, ReasonRefused, ReasonLookup, ReasonDeadline} {
		h.answers.WithLabelValues(r)
	}
	return server.Mount{
		Name: FrontEnd, Path: o.Config.Path, Methods: []string{http.MethodPost}, BasicAuth: o.Config.BasicAuth,
		LimitBody: true, Level: hclog.Info, Deadline: o.Config.Deadline, Collectors: []prometheus.Collector{h.answers},
		OnPanic: func(w http.ResponseWriter, r *http.Request) {
			h.refuse(w, r, http.StatusInternalServerError, ReasonLookup, "internal error while finding the code")
		},
		Handler: h,
	}, nil
}

// request is a decoded Speed Dial request.
type request struct {
	Code              string
	UserID, SpeedDial int64
	UUID              string
}

func parseRequest(body []byte) (request, error) {
	var req request
	fields, err := lenient.Object(body)
	if err != nil {
		return req, err
	}
	seen := false
	var codeErr error
	for key, raw := range fields {
		s, present, err := ringtime.Stringish(raw)
		if err != nil {
			if lenient.FoldKey(key) == "number" {
				codeErr = fmt.Errorf(`"number": %w`, err)
			}
			continue // an optional value of another type: ignored
		}
		switch lenient.FoldKey(key) {
		case "number":
			req.Code, seen = strings.TrimSpace(s), present
		case "user_id":
			req.UserID, _ = strconv.ParseInt(strings.TrimSpace(s), 10, 64)
		case "speed_dial_id":
			req.SpeedDial, _ = strconv.ParseInt(strings.TrimSpace(s), 10, 64)
		case "uuid":
			req.UUID = s
		}
	}
	switch {
	case codeErr != nil:
		return req, codeErr
	case !seen:
		return req, errors.New(`"number" (the code keyed) is missing or null`)
	}
	return req, nil
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := server.ReadBody(r)
	if err != nil {
		h.refuse(w, r, http.StatusBadRequest, ReasonMalformed, err.Error())
		return
	}
	req, err := parseRequest(body)
	server.Annotate(r, "user_id", req.UserID, "speed_dial_id", req.SpeedDial, "uuid", req.UUID)
	if err != nil {
		h.refuse(w, r, http.StatusBadRequest, ReasonMalformed, err.Error())
		return
	}
	c := h.opts.Config
	if len(req.Code) < c.MinDigits || len(req.Code) > c.MaxDigits || strings.Trim(req.Code, "0123456789") != "" {
		h.refuse(w, r, http.StatusBadRequest, ReasonBadCode, fmt.Sprintf("the code must be %d to %d digits", c.MinDigits, c.MaxDigits))
		return
	}
	server.Annotate(r, "code", req.Code)
	ctx, cancel := context.WithTimeout(r.Context(), c.Deadline)
	defer cancel()
	res := h.opts.Directory.LookupKey(ctx, c.Key, req.Code)
	ringtime.NoteLookup(r, "user "+strconv.FormatInt(req.UserID, 10), req.UUID, res)
	ringtime.AnnotateLookup(r, res)
	switch {
	case ctx.Err() != nil:
		h.refuse(w, r, http.StatusServiceUnavailable, ReasonDeadline, "the code could not be looked up in time")
		return
	case res.Ambiguous:
		h.refuse(w, r, http.StatusNotFound, ReasonAmbiguous, fmt.Sprintf("the code matches %d records: it calls none of them", len(res.Matches)))
		return
	case !res.Found && len(res.Errors) > 0:
		h.refuse(w, r, http.StatusServiceUnavailable, ReasonLookup, "the CRM could not be asked: try again")
		return
	case !res.Found || res.Match == nil:
		h.refuse(w, r, http.StatusNotFound, ReasonUnknown, "no record has this code")
		return
	}
	if h.opts.Allow != nil {
		env := h.opts.Env(res)
		env["user_id"], env["speed_dial_id"], env["code"] = req.UserID, req.SpeedDial, req.Code
		ok, err := h.opts.Allow(env)
		if err != nil || !ok {
			why := "this user may not call this code"
			if err != nil {
				why += " (allow failed: " + err.Error() + ")"
			}
			h.refuse(w, r, http.StatusForbidden, ReasonRefused, why)
			return
		}
	}
	dest, label := h.number(res.Match)
	if dest == "" {
		h.refuse(w, r, http.StatusNotFound, ReasonNoNumber, "the record of this code has no number that reads as E.164")
		return
	}
	h.answers.WithLabelValues(ReasonAnswered).Inc()
	masked := Mask(dest)
	server.Annotate(r, "record", res.Match.Key(), "destination", masked, "phone", label, "outcome", ReasonAnswered)
	ringtime.Answered(r, masked, ReasonAnswered, "", "the record's "+label)
	out, _ := json.Marshal(map[string]string{"destination": strings.TrimPrefix(dest, "+")})
	server.Respond(w, http.StatusOK, "application/json", out)
}

// number picks the record's number to bridge to: the configured label's
// first, else the first that reads as E.164.
func (h *handler) number(m *connectors.Match) (e164, label string) {
	var phones []connectors.Phone
	switch {
	case m.Contact != nil:
		phones = m.Contact.Phones
	case m.Company != nil:
		phones = m.Company.Phones
	}
	order := slices.Clone(phones)
	if want := h.opts.Config.Phone; want != "" {
		slices.SortStableFunc(order, func(a, b connectors.Phone) int {
			return boolInt(!strings.EqualFold(a.Label, want)) - boolInt(!strings.EqualFold(b.Label, want))
		})
	}
	for _, p := range order {
		n := p.E164
		if n == "" {
			parsed, err := h.opts.Parser.Parse(p.Raw)
			if err != nil {
				continue
			}
			n = parsed.E164
		}
		if n != "" {
			return n, p.Label
		}
	}
	return "", ""
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// Mask shows a number's first two and last three digits only
// ("+44*******123"); a number shorter than 8 digits not at all.
func Mask(n string) string {
	prefix := ""
	if strings.HasPrefix(n, "+") {
		prefix, n = "+", n[1:]
	}
	if len(n) < 8 {
		return prefix + strings.Repeat("*", len(n))
	}
	return prefix + n[:2] + strings.Repeat("*", len(n)-5) + n[len(n)-3:]
}

// refuse answers Hipcall's error shape and logs why.
func (h *handler) refuse(w http.ResponseWriter, r *http.Request, status int, reason, detail string) {
	h.answers.WithLabelValues(reason).Inc()
	server.Annotate(r, "outcome", reason, "reason", detail)
	ringtime.Answered(r, "", reason, "", detail)
	out, _ := json.Marshal(map[string]string{"error": detail})
	server.Respond(w, status, "application/json", out)
}
