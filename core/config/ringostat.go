package config

import (
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Ringostat limits and defaults.
const (
	// MaxRingostatDeadline is the largest allowed ringostat.deadline. The
	// documented Ringostat scheme timeout is 3 s; the deadline stays half a
	// second below it for the network.
	MaxRingostatDeadline = 2500 * time.Millisecond
	// DefaultRingostatPath is where Ringostat's routing scheme sends its
	// requests unless ringostat.path says otherwise.
	DefaultRingostatPath = "/ringostat/route"
	// MinRingostatTokenLen is the shortest accepted ringostat.token.
	MinRingostatTokenLen = 16
	// RingostatTokenParam is the query parameter that may carry the token
	// (the other place is the last path segment: <path>/<token>).
	RingostatTokenParam = "token"
)

// Ringostat submission types: how Ringostat sends the call's parameters.
const (
	// SubmissionAuto accepts every type and detects which one arrived.
	SubmissionAuto = "auto"
	// SubmissionHTTP: parameters in the query string, a form body or headers.
	SubmissionHTTP = "http"
	// SubmissionJSON: a JSON object body.
	SubmissionJSON = "json"
	// SubmissionJSONRPC: a JSON-RPC 2.0 call.
	SubmissionJSONRPC = "jsonrpc"
)

// Ringostat import types: how Ringostat reads the answer.
const (
	// ImportText: the whole body is the destination.
	ImportText = "text"
	// ImportJSON: a JSON object, the destination under response_key.
	ImportJSON = "json"
	// ImportJSONRPC: a JSON-RPC 2.0 response whose result holds the
	// destination under response_key.
	ImportJSONRPC = "jsonrpc"
)

var (
	ringostatSubmissions = []string{SubmissionAuto, SubmissionHTTP, SubmissionJSON, SubmissionJSONRPC}
	ringostatImports     = []string{ImportText, ImportJSON, ImportJSONRPC}
	ringostatMethods     = []string{"GET", "POST", "PUT", "DELETE"}

	// paramNameRE is the shape of number_param (a query, form, header or
	// JSON key).
	paramNameRE = regexp.MustCompile(`^[A-Za-z0-9_.-]+$`)
	// tokenRE is a token that can sit in a URL path segment or query
	// without escaping.
	tokenRE = regexp.MustCompile(`^[A-Za-z0-9._~-]+$`)
)

// RingostatConfig configures the endpoint Ringostat's routing scheme asks
// where to send a call.
type RingostatConfig struct {
	// Enabled serves the endpoint (off by default).
	Enabled bool `yaml:"enabled"`
	// Path is the HTTP path, starting with "/".
	Path string `yaml:"path"`
	// Methods are the HTTP methods accepted, upper-cased: GET, POST, PUT,
	// DELETE.
	Methods []string `yaml:"methods"`
	// Submission is auto (the default), http, json or jsonrpc.
	Submission string `yaml:"submission"`
	// JSONRPCMethod, when set, is the only JSON-RPC method accepted.
	JSONRPCMethod string `yaml:"jsonrpc_method"`
	// NumberParam names the parameter that carries the caller's number.
	NumberParam string `yaml:"number_param"`
	// Import is text (the default), json or jsonrpc.
	Import string `yaml:"import"`
	// ResponseKey is the answer's key for the destination (json, jsonrpc).
	ResponseKey string `yaml:"response_key"`
	// Deadline is the time allowed for a decision, at most 2.5s.
	Deadline time.Duration `yaml:"deadline"`
	// BasicAuth is nil unless a username and password are set.
	BasicAuth *BasicAuth `yaml:"basic_auth"`
	// Token, when set, must be the last path segment (<path>/<token>) or
	// the "token" query parameter of every request.
	Token Secret `yaml:"token"`
	// Pos is where the section starts (or, when it is left out, the
	// nearest thing that is there).
	Pos Position `yaml:"-"`
}

// defaultRingostat is the ringostat section's defaults.
func defaultRingostat() RingostatConfig {
	return RingostatConfig{
		Path:        DefaultRingostatPath,
		Methods:     slices.Clone(ringostatMethods),
		Submission:  SubmissionAuto,
		NumberParam: "caller",
		Import:      ImportText,
		ResponseKey: "destination",
		Deadline:    1500 * time.Millisecond,
	}
}

// ringostat checks the ringostat section and the Ringostat parts of the
// routing section.
func (c *checker) ringostat() {
	const sec = "ringostat"
	s := &c.cfg.Ringostat
	switch {
	case !strings.HasPrefix(s.Path, "/"):
		c.addf(sec+".path", "ringostat.path must start with \"/\", such as %q, got %q", DefaultRingostatPath, s.Path)
	case s.Enabled && c.cfg.Hipcall.SmartIVR.Enabled && s.Path == c.cfg.Hipcall.SmartIVR.Path:
		c.addf(sec+".path", "ringostat.path %q is also hipcall.smart_ivr.path: give each phone system its own path", s.Path)
	}

	if len(s.Methods) == 0 {
		c.addf(sec+".methods", "ringostat.methods must list at least one of %s", strings.Join(ringostatMethods, ", "))
	}
	var methods []string
	for i := range s.Methods {
		m := strings.ToUpper(strings.TrimSpace(s.Methods[i]))
		if !slices.Contains(ringostatMethods, m) {
			c.addf(sec+".methods."+strconv.Itoa(i), "ringostat.methods: %q is not a method Ringostat uses: use %s",
				s.Methods[i], strings.Join(ringostatMethods, ", "))
			continue
		}
		if !slices.Contains(methods, m) {
			methods = append(methods, m)
		}
	}
	s.Methods = methods

	c.oneOf(sec+".submission", &s.Submission, ringostatSubmissions)
	c.oneOf(sec+".import", &s.Import, ringostatImports)
	if (s.Submission == SubmissionJSON || s.Submission == SubmissionJSONRPC) && len(s.Methods) > 0 &&
		!slices.Contains(s.Methods, "POST") && !c.tainted(sec+".methods") {
		c.addf(sec+".methods", "ringostat.submission %s makes Ringostat send POST, which ringostat.methods leaves out: add POST", s.Submission)
	}
	s.JSONRPCMethod = strings.TrimSpace(s.JSONRPCMethod)

	s.NumberParam = strings.TrimSpace(s.NumberParam)
	switch {
	case !paramNameRE.MatchString(s.NumberParam):
		c.addf(sec+".number_param", "ringostat.number_param must be a parameter name (letters, digits, _ . -), such as \"caller\", got %q", s.NumberParam)
	case strings.EqualFold(s.NumberParam, RingostatTokenParam):
		c.addf(sec+".number_param", "ringostat.number_param must not be %q: that query parameter carries ringostat.token", RingostatTokenParam)
	}
	s.ResponseKey = strings.TrimSpace(s.ResponseKey)
	if s.ResponseKey == "" {
		c.addf(sec+".response_key", "ringostat.response_key must not be empty: it is the key Ringostat reads the destination from "+
			"(its \"Name in response for destination\"), such as \"destination\"")
	}

	if s.Deadline <= 0 || s.Deadline > MaxRingostatDeadline {
		c.addf(sec+".deadline", "ringostat.deadline must be longer than 0 and at most %s (set the Ringostat scheme's timeout "+
			"to 3 seconds), got %s", formatDuration(MaxRingostatDeadline), formatDuration(s.Deadline))
	}

	const auth = sec + ".basic_auth"
	if a := s.BasicAuth; a != nil {
		switch {
		case a.Username == "" && a.Password == "":
			s.BasicAuth = nil // basic_auth: with both empty (${USER:}) means none
		case a.Password == "":
			c.addf(auth+".password", "%s.password is required when a username is set (set both, or neither)", auth)
		case a.Username == "":
			c.addf(auth+".username", "%s.username is required when a password is set (set both, or neither)", auth)
		}
	}
	if tok := s.Token.Reveal(); tok != "" {
		switch {
		case len(tok) < MinRingostatTokenLen:
			c.addf(sec+".token", "ringostat.token is %d characters long: use at least %d random characters (openssl rand -hex 16)",
				len(tok), MinRingostatTokenLen)
		case !tokenRE.MatchString(tok):
			c.addf(sec+".token", "ringostat.token may only contain letters, digits and . _ ~ - (it is part of a URL)")
		}
	}

}
