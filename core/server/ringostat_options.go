package server

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/switchboard-hq/switchboard/core/ringostat"
)

// Ringostat defaults applied by New to zero-valued RingostatOptions.
const (
	DefaultRingostatPath        = "/ringostat/route"
	DefaultRingostatDeadline    = 1500 * time.Millisecond
	DefaultRingostatNumberParam = "caller"
	DefaultRingostatResponseKey = "destination"

	// RingostatTimeout is the timeout to set in the Ringostat routing
	// scheme (it is set there in whole seconds). The deadline must stay
	// below it, or Ringostat gives up before our answer arrives and goes
	// on to the next step of its scheme.
	RingostatTimeout = 3 * time.Second

	// RingostatTokenParam is the query parameter that may carry the token.
	RingostatTokenParam = "token"
)

// RingostatSubmission says how Ringostat sends a call's parameters.
type RingostatSubmission string

// Submission types.
const (
	// SubmissionAuto accepts all of the below and detects which arrived:
	// a body with "jsonrpc":"2.0" is JSON-RPC, another JSON body is JSON,
	// anything else is HTTP parameters.
	SubmissionAuto RingostatSubmission = "auto"
	// SubmissionHTTP: parameters in the query string, then a form body
	// (POST, PUT), then headers (case-insensitive, "X-" prefix allowed).
	SubmissionHTTP RingostatSubmission = "http"
	// SubmissionJSON: a JSON object body.
	SubmissionJSON RingostatSubmission = "json"
	// SubmissionJSONRPC: a JSON-RPC 2.0 call; params an object or an array.
	SubmissionJSONRPC RingostatSubmission = "jsonrpc"
)

// RingostatImport says how Ringostat reads the answer.
type RingostatImport string

// Import types.
const (
	// ImportText: the whole body (text/plain) is the destination.
	ImportText RingostatImport = "text"
	// ImportJSON: {"<response_key>":"<destination>"}.
	ImportJSON RingostatImport = "json"
	// ImportJSONRPC: {"jsonrpc":"2.0","id":<the request's id>,
	// "result":{"<response_key>":"<destination>"}}.
	ImportJSONRPC RingostatImport = "jsonrpc"
)

// ringostatMethods are the methods a Ringostat scheme can use.
var ringostatMethods = []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodDelete}

// RingostatOptions configures the endpoint Ringostat's routing scheme asks
// where to send a call.
type RingostatOptions struct {
	// Path is where Ringostat sends its requests (default
	// DefaultRingostatPath). With Token set, Path+"/"+Token works too.
	Path string
	// Methods are the accepted HTTP methods (default GET, POST, PUT,
	// DELETE).
	Methods []string
	// Submission is how the call's parameters arrive (default
	// SubmissionAuto).
	Submission RingostatSubmission
	// JSONRPCMethod, when set, is the only JSON-RPC method accepted;
	// another gets the error -32601. Empty accepts any method name.
	JSONRPCMethod string
	// NumberParam names the parameter carrying the caller's number
	// (default "caller"); matched case-insensitively.
	NumberParam string
	// Import is the answer's format (default ImportText).
	Import RingostatImport
	// ResponseKey is the destination's key in json and jsonrpc answers
	// (default "destination").
	ResponseKey string
	// Deadline bounds the lookup and decision (default
	// DefaultRingostatDeadline; below RingostatTimeout).
	Deadline time.Duration
	// BasicAuth, when set, is required on every request.
	BasicAuth *BasicAuth
	// Token, when set, is required on every request as the last path
	// segment (<Path>/<Token>) or the "token" query parameter. Compared in
	// constant time and never logged.
	Token string
	// Default is the destination answered when something goes wrong,
	// already normalised; "" answers "no destination" (see
	// docs/configuration.md).
	Default string
	// Router decides destinations. Required (Options.Directory too).
	Router Decider
}

// checkRingostat fills in o.Ringostat's defaults (on a copy) and returns
// every problem with it.
func (o *Options) checkRingostat() []error {
	if o.Ringostat == nil {
		return nil
	}
	ro := *o.Ringostat
	ro.Methods = slices.Clone(ro.Methods)
	if ro.BasicAuth != nil {
		ba := *ro.BasicAuth
		ro.BasicAuth = &ba
	}
	o.Ringostat = &ro

	if ro.Path == "" {
		ro.Path = DefaultRingostatPath
	}
	if len(ro.Methods) == 0 {
		ro.Methods = slices.Clone(ringostatMethods)
	}
	if ro.Submission == "" {
		ro.Submission = SubmissionAuto
	}
	if ro.Import == "" {
		ro.Import = ImportText
	}
	if ro.NumberParam == "" {
		ro.NumberParam = DefaultRingostatNumberParam
	}
	if ro.ResponseKey == "" {
		ro.ResponseKey = DefaultRingostatResponseKey
	}
	if ro.Deadline == 0 {
		ro.Deadline = DefaultRingostatDeadline
	}

	var errs []error
	switch {
	case !strings.HasPrefix(ro.Path, "/") || (len(ro.Path) > 1 && strings.HasSuffix(ro.Path, "/")):
		errs = append(errs, fmt.Errorf("ringostat path %q must start with \"/\" and not end with one", ro.Path))
	case isReservedPath(ro.Path) || (o.SmartIVR != nil && o.SmartIVR.Path == ro.Path) ||
		(o.Webhook != nil && o.Webhook.Path == ro.Path):
		errs = append(errs, fmt.Errorf("ringostat path %q is taken by another endpoint: choose another path", ro.Path))
	}
	for i, m := range ro.Methods {
		ro.Methods[i] = strings.ToUpper(m)
		if !slices.Contains(ringostatMethods, ro.Methods[i]) {
			errs = append(errs, fmt.Errorf("ringostat method %q is not one Ringostat uses: use GET, POST, PUT or DELETE", m))
		}
	}
	switch ro.Submission {
	case SubmissionAuto, SubmissionHTTP, SubmissionJSON, SubmissionJSONRPC:
	default:
		errs = append(errs, fmt.Errorf("ringostat submission %q is unknown: use auto, http, json or jsonrpc", ro.Submission))
	}
	switch ro.Import {
	case ImportText, ImportJSON, ImportJSONRPC:
	default:
		errs = append(errs, fmt.Errorf("ringostat import %q is unknown: use text, json or jsonrpc", ro.Import))
	}
	if strings.EqualFold(ro.NumberParam, RingostatTokenParam) {
		errs = append(errs, fmt.Errorf("ringostat number parameter must not be %q: that query parameter carries the token", RingostatTokenParam))
	}
	if ro.Deadline < 0 || ro.Deadline >= RingostatTimeout {
		errs = append(errs, fmt.Errorf("ringostat deadline %v must be above 0 and below the %v Ringostat timeout (1500ms is a good value)", ro.Deadline, RingostatTimeout))
	} else if ro.Deadline >= o.WriteTimeout {
		errs = append(errs, fmt.Errorf("ringostat deadline %v must be below the server write timeout %v: raise write_timeout or lower the deadline", ro.Deadline, o.WriteTimeout))
	}
	if ro.BasicAuth != nil && (ro.BasicAuth.Username == "" || ro.BasicAuth.Password == "") {
		errs = append(errs, errors.New("ringostat basic auth needs both a username and a password: set both or remove basic_auth"))
	}
	if ro.Default != "" && !answerable(ro.Default) {
		errs = append(errs, fmt.Errorf("ringostat default destination %q is not a normalised destination (ringostat.Destination makes one)", ro.Default))
	}
	if o.Directory == nil {
		errs = append(errs, errors.New("ringostat needs a directory (Options.Directory) to look callers up"))
	}
	if ro.Router == nil {
		errs = append(errs, errors.New("ringostat needs a router (RingostatOptions.Router) to decide destinations"))
	}
	return errs
}

// answerable reports whether dest may be sent to Ringostat as it is: what
// ringostat.Destination yields (digits, a SIP login or a SIP URI),
// nothing that could break a text/plain body or a header.
func answerable(dest string) bool {
	if dest == "" || len(dest) > ringostat.MaxDestinationLen {
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
