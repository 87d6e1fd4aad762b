package ringostat

import (
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/switchboard-hq/switchboard/connectors"
	"github.com/switchboard-hq/switchboard/connectors/conf"
)

// Limits of the ringostat section.
const (
	// MaxDeadline is the longest deadline accepted. Set the scheme's
	// timeout in Ringostat to 3 s (whole seconds); the deadline stays half
	// a second below it for the network, or Ringostat gives up first and
	// goes on to the next step of its scheme.
	MaxDeadline = 2500 * time.Millisecond
	// MinTokenLen is the shortest token accepted.
	MinTokenLen = 16
	// TokenParam is the query parameter that may carry the token (the
	// other place is the last path segment: <path>/<token>).
	TokenParam = "token"
)

var (
	// methods are the methods a Ringostat scheme can use.
	methods = []string{"GET", "POST", "PUT", "DELETE"}
	// paramNameRE is the shape of number_param (a query, form, header or
	// JSON key).
	paramNameRE = regexp.MustCompile(`^[A-Za-z0-9_.-]+$`)
	// tokenRE is a token that can sit in a URL path segment or query
	// without escaping.
	tokenRE = regexp.MustCompile(`^[A-Za-z0-9._~-]+$`)
)

// Config is the host's ringostat section: how Ringostat's routing scheme
// asks, and how it reads the answer.
type Config struct {
	// Enabled serves the endpoint (off by default).
	Enabled bool `yaml:"enabled"`
	// Path is where Ringostat sends its requests, starting with "/". With
	// Token set, Path+"/"+Token works too.
	Path string `yaml:"path"`
	// Methods are the HTTP methods accepted: GET, POST, PUT, DELETE.
	Methods []string `yaml:"methods"`
	// Submission is how the call's parameters arrive.
	Submission Submission `yaml:"submission"`
	// JSONRPCMethod, when set, is the only JSON-RPC method accepted;
	// another gets the error -32601. Empty accepts any method name.
	JSONRPCMethod string `yaml:"jsonrpc_method"`
	// NumberParam names the parameter carrying the caller's number;
	// matched case-insensitively.
	NumberParam string `yaml:"number_param"`
	// Import is the answer's format.
	Import Import `yaml:"import"`
	// ResponseKey is the destination's key in json and jsonrpc answers.
	ResponseKey string `yaml:"response_key"`
	// Deadline bounds the lookup and decision, at most MaxDeadline.
	Deadline time.Duration `yaml:"deadline"`
	// BasicAuth, when set, is required on every request.
	BasicAuth *conf.BasicAuth `yaml:"basic_auth"`
	// Token, when set, is required on every request as the last path
	// segment (<Path>/<Token>) or the "token" query parameter. Compared in
	// constant time and never logged. One of BasicAuth and Token is
	// required when server.listen is reachable from other machines (the
	// answers tell who is a customer and their manager's number) unless
	// InsecureNoAuth.
	Token conf.Secret `yaml:"token"`
	// InsecureNoAuth serves the endpoint without credentials on a
	// listener other machines reach: only when something in front of
	// Switchboard authenticates. Logged loudly at start.
	InsecureNoAuth bool `yaml:"insecure_no_auth"`
}

// HasAuth reports whether the endpoint asks for credentials.
func (c Config) HasAuth() bool { return c.BasicAuth != nil || c.Token != "" }

// DefaultConfig is the section when nothing is written.
func DefaultConfig() Config {
	return Config{
		Path:        "/ringostat/route",
		Methods:     slices.Clone(methods),
		Submission:  SubmissionAuto,
		NumberParam: "caller",
		Import:      ImportText,
		ResponseKey: "destination",
		Deadline:    1500 * time.Millisecond,
	}
}

// Check normalises the section (methods upper-cased and deduplicated,
// enums lower-cased, names trimmed) and reports what is wrong.
func (c *Config) Check() connectors.Problems {
	var ps connectors.Problems
	if !strings.HasPrefix(c.Path, "/") || len(c.Path) > 1 && strings.HasSuffix(c.Path, "/") {
		ps.Addf("path", "must start with \"/\" and not end with one, such as %q, got %q", DefaultConfig().Path, c.Path)
	}
	if len(c.Methods) == 0 {
		ps.Addf("methods", "must list at least one of %s", strings.Join(methods, ", "))
	}
	var ms []string
	for i, m := range c.Methods {
		u := strings.ToUpper(strings.TrimSpace(m))
		if !slices.Contains(methods, u) {
			ps.Addf("methods."+strconv.Itoa(i), "%q is not a method Ringostat uses: use %s", m, strings.Join(methods, ", "))
			continue
		}
		if !slices.Contains(ms, u) {
			ms = append(ms, u)
		}
	}
	c.Methods = ms
	sub, imp := string(c.Submission), string(c.Import)
	conf.OneOf(&ps, "submission", &sub, string(SubmissionAuto), string(SubmissionHTTP), string(SubmissionJSON), string(SubmissionJSONRPC))
	conf.OneOf(&ps, "import", &imp, string(ImportText), string(ImportJSON), string(ImportJSONRPC))
	c.Submission, c.Import = Submission(sub), Import(imp)
	if (c.Submission == SubmissionJSON || c.Submission == SubmissionJSONRPC) && len(ms) > 0 && len(ms) == len(c.Methods) &&
		!slices.Contains(ms, "POST") {
		ps.Addf("methods", "must include POST: submission %s makes Ringostat send POST", c.Submission)
	}
	c.JSONRPCMethod = strings.TrimSpace(c.JSONRPCMethod)
	c.NumberParam = strings.TrimSpace(c.NumberParam)
	switch {
	case !paramNameRE.MatchString(c.NumberParam):
		ps.Addf("number_param", "must be a parameter name (letters, digits, _ . -), such as \"caller\", got %q", c.NumberParam)
	case strings.EqualFold(c.NumberParam, TokenParam):
		ps.Addf("number_param", "must not be %q: that query parameter carries ringostat.token", TokenParam)
	}
	c.ResponseKey = strings.TrimSpace(c.ResponseKey)
	if c.ResponseKey == "" {
		ps.Addf("response_key", "must not be empty: it is the key Ringostat reads the destination from "+
			"(its \"Name in response for destination\"), such as \"destination\"")
	}
	if c.Deadline <= 0 || c.Deadline > MaxDeadline {
		ps.Addf("deadline", "must be longer than 0 and at most %s (set the Ringostat scheme's timeout to 3 seconds), got %s",
			conf.FormatDuration(MaxDeadline), conf.FormatDuration(c.Deadline))
	}
	conf.CheckBasicAuth(&ps, "basic_auth", &c.BasicAuth)
	if tok := c.Token.Reveal(); tok != "" {
		switch {
		case len(tok) < MinTokenLen:
			ps.Addf("token", "is %d characters long: use at least %d random characters (openssl rand -hex 16)", len(tok), MinTokenLen)
		case !tokenRE.MatchString(tok):
			ps.Addf("token", "may only contain letters, digits and . _ ~ - (it is part of a URL)")
		}
	}
	return ps
}
