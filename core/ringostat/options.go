package ringostat

import (
	"errors"
	"fmt"
	"github.com/switchboard-hq/switchboard/connectors/conf"
	"slices"

	"github.com/switchboard-hq/switchboard/core/ringtime"
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

// Options configures the endpoint Ringostat's routing scheme asks
// where to send a call.
type Options struct {
	// Config is the ringostat section; zero fields take DefaultConfig's
	// values. Check runs on it in New.
	Config
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
	o.Config = conf.FillZero(o.Config, DefaultConfig())

	var errs []error
	for _, p := range o.Config.Check() { // the same checks as the configuration's
		errs = append(errs, fmt.Errorf("ringostat %s %s", p.Path, p.Message))
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
