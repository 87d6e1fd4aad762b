package ringostat

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/switchboard-hq/switchboard/core/ringtime"
	"github.com/switchboard-hq/switchboard/core/server"
)

// Ringostat defaults applied by New to zero-valued Options.
const (
	DefaultPath        = "/ringostat/route"
	DefaultDeadline    = 1500 * time.Millisecond
	DefaultNumberParam = "caller"
	DefaultResponseKey = "destination"

	// Timeout is the timeout to set in the Ringostat routing
	// scheme (it is set there in whole seconds). The deadline must stay
	// below it, or Ringostat gives up before our answer arrives and goes
	// on to the next step of its scheme.
	Timeout = 3 * time.Second

	// TokenParam is the query parameter that may carry the token.
	TokenParam = "token"
)

// Submission says how Ringostat sends a call's parameters.
type Submission string

// Submission types.
const (
	// SubmissionAuto accepts all of the below and detects which arrived:
	// a body with "jsonrpc":"2.0" is JSON-RPC, another JSON body is JSON,
	// anything else is HTTP parameters.
	SubmissionAuto Submission = "auto"
	// SubmissionHTTP: parameters in the query string, then a form body
	// (POST, PUT), then headers (case-insensitive, "X-" prefix allowed).
	SubmissionHTTP Submission = "http"
	// SubmissionJSON: a JSON object body.
	SubmissionJSON Submission = "json"
	// SubmissionJSONRPC: a JSON-RPC 2.0 call; params an object or an array.
	SubmissionJSONRPC Submission = "jsonrpc"
)

// Import says how Ringostat reads the answer.
type Import string

// Import types.
const (
	// ImportText: the whole body (text/plain) is the destination.
	ImportText Import = "text"
	// ImportJSON: {"<response_key>":"<destination>"}.
	ImportJSON Import = "json"
	// ImportJSONRPC: {"jsonrpc":"2.0","id":<the request's id>,
	// "result":{"<response_key>":"<destination>"}}.
	ImportJSONRPC Import = "jsonrpc"
)

// methods are the methods a Ringostat scheme can use.
var methods = []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodDelete}

// Options configures the endpoint Ringostat's routing scheme asks
// where to send a call.
type Options struct {
	// Path is where Ringostat sends its requests (default
	// DefaultPath). With Token set, Path+"/"+Token works too.
	Path string
	// Methods are the accepted HTTP methods (default GET, POST, PUT,
	// DELETE).
	Methods []string
	// Submission is how the call's parameters arrive (default
	// SubmissionAuto).
	Submission Submission
	// JSONRPCMethod, when set, is the only JSON-RPC method accepted;
	// another gets the error -32601. Empty accepts any method name.
	JSONRPCMethod string
	// NumberParam names the parameter carrying the caller's number
	// (default "caller"); matched case-insensitively.
	NumberParam string
	// Import is the answer's format (default ImportText).
	Import Import
	// ResponseKey is the destination's key in json and jsonrpc answers
	// (default "destination").
	ResponseKey string
	// Deadline bounds the lookup and decision (default
	// DefaultDeadline; below Timeout).
	Deadline time.Duration
	// BasicAuth, when set, is required on every request.
	BasicAuth *server.BasicAuth
	// Token, when set, is required on every request as the last path
	// segment (<Path>/<Token>) or the "token" query parameter. Compared in
	// constant time and never logged.
	Token string
	// Default is the destination answered when something goes wrong,
	// already normalised; "" answers "no destination" (see
	// docs/configuration.md).
	Default string
	// Directory looks callers up and Router decides their destination.
	// Required.
	Directory ringtime.Lookuper
	Router    ringtime.Decider
}

// withDefaults returns o with its defaults filled in (on copies) and
// every problem with it. The server checks what all endpoints share: the
// path against the others, Basic Auth, the deadline against its write
// timeout.
func (o Options) withDefaults() (Options, []error) {
	o.Methods = slices.Clone(o.Methods)
	if o.Path == "" {
		o.Path = DefaultPath
	}
	if len(o.Methods) == 0 {
		o.Methods = slices.Clone(methods)
	}
	if o.Submission == "" {
		o.Submission = SubmissionAuto
	}
	if o.Import == "" {
		o.Import = ImportText
	}
	if o.NumberParam == "" {
		o.NumberParam = DefaultNumberParam
	}
	if o.ResponseKey == "" {
		o.ResponseKey = DefaultResponseKey
	}
	if o.Deadline == 0 {
		o.Deadline = DefaultDeadline
	}

	var errs []error
	if strings.HasPrefix(o.Path, "/") && len(o.Path) > 1 && strings.HasSuffix(o.Path, "/") {
		errs = append(errs, fmt.Errorf("ringostat path %q must start with \"/\" and not end with one", o.Path))
	}
	for i, m := range o.Methods {
		o.Methods[i] = strings.ToUpper(m)
		if !slices.Contains(methods, o.Methods[i]) {
			errs = append(errs, fmt.Errorf("ringostat method %q is not one Ringostat uses: use GET, POST, PUT or DELETE", m))
		}
	}
	switch o.Submission {
	case SubmissionAuto, SubmissionHTTP, SubmissionJSON, SubmissionJSONRPC:
	default:
		errs = append(errs, fmt.Errorf("ringostat submission %q is unknown: use auto, http, json or jsonrpc", o.Submission))
	}
	switch o.Import {
	case ImportText, ImportJSON, ImportJSONRPC:
	default:
		errs = append(errs, fmt.Errorf("ringostat import %q is unknown: use text, json or jsonrpc", o.Import))
	}
	if strings.EqualFold(o.NumberParam, TokenParam) {
		errs = append(errs, fmt.Errorf("ringostat number parameter must not be %q: that query parameter carries the token", TokenParam))
	}
	if o.Deadline < 0 || o.Deadline >= Timeout {
		errs = append(errs, fmt.Errorf("ringostat deadline %v must be above 0 and below the %v Ringostat timeout (1500ms is a good value)", o.Deadline, Timeout))
	}
	if o.Default != "" && !answerable(o.Default) {
		errs = append(errs, fmt.Errorf("ringostat default destination %q is not a normalised destination (ringostat.Destination makes one)", o.Default))
	}
	if o.Directory == nil {
		errs = append(errs, errors.New("ringostat needs a directory (Options.Directory) to look callers up"))
	}
	if o.Router == nil {
		errs = append(errs, errors.New("ringostat needs a router (Options.Router) to decide destinations"))
	}
	return o, errs
}

// answerable reports whether dest may be sent to Ringostat as it is: what
// ringostat.Destination yields (digits, a SIP login or a SIP URI),
// nothing that could break a text/plain body or a header.
func answerable(dest string) bool {
	if dest == "" || len(dest) > MaxDestinationLen {
		return false
	}
	for i := 0; i < len(dest); i++ {
		c := dest[i]
		switch {
		case c >= '0' && c <= '9', c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z':
		case c == '.', c == '_', c == '-', c == ':', c == '@':
		default:
			return false
		}
	}
	return true
}
