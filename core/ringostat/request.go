package ringostat

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"strings"

	"github.com/switchboard-hq/switchboard/core/lenient"
	"github.com/switchboard-hq/switchboard/core/ringtime"
	"github.com/switchboard-hq/switchboard/core/routing"
)

// JSON-RPC 2.0 error codes.
const (
	rpcParseError     = -32700
	rpcInvalidRequest = -32600
	rpcMethodNotFound = -32601
	rpcInvalidParams  = -32602
)

// Parameter names read besides the configured number parameter.
var (
	uuidParams = []string{"uuid", "call_id"}
)

// request is a decoded Ringostat request.
type request struct {
	call routing.Call
	// callID is Ringostat's call_id, when sent (logged).
	callID string
	// submission is how the parameters came: http, json or jsonrpc.
	submission Submission
	// rpc is set for a JSON-RPC call.
	rpc *rpcCall
}

// rpcCall is what the answer to a JSON-RPC call needs.
type rpcCall struct {
	// id is the request's id exactly as sent (a string, a number or
	// null); nil when absent, which makes the call a notification.
	id     json.RawMessage
	method string
}

// notification reports whether the call has no id: it gets no answer.
func (c *rpcCall) notification() bool { return c != nil && c.id == nil }

// answerInvalid makes an invalid request without an id answered, with id
// null, rather than taken for a notification.
func (c *rpcCall) answerInvalid() {
	if c.id == nil {
		c.id = nullID
	}
}

// responseID is the id to answer c with: nil (null) when there is no call.
func (c *rpcCall) responseID() json.RawMessage {
	if c == nil {
		return nil
	}
	return c.id
}

// requestError is why a request cannot be routed: a fallback reason for
// the metrics, and the JSON-RPC error a jsonrpc answer carries.
type requestError struct {
	reason string
	code   int
	msg    string
	// problem, when set, is logged as problem=<problem>
	// (lenient.ProblemDuplicateKey).
	problem string
}

func (e *requestError) Error() string { return e.msg }

func malformed(code int, format string, args ...any) *requestError {
	return &requestError{reason: ringtime.FallbackMalformed, code: code, msg: fmt.Sprintf(format, args...)}
}

// ambiguous is the error for a request that names a parameter or a JSON
// key twice: it is malformed, as no spelling is picked.
func ambiguous(err error) *requestError {
	return &requestError{reason: ringtime.FallbackMalformed, code: rpcInvalidRequest, msg: err.Error(), problem: lenient.ProblemDuplicateKey}
}

// parseRequest reads a request in the configured submission type (in
// auto, the one detected). The error, when not nil, is a *requestError;
// req.rpc is set as soon as the body is known to be a JSON-RPC call, so
// that errors can carry its id.
func parseRequest(r *http.Request, body []byte, opts *Options) (request, *requestError) {
	trimmed := bytes.TrimSpace(body)
	switch opts.Submission {
	case SubmissionHTTP:
		return parseHTTPParams(r, body, opts)
	case SubmissionJSON:
		return parseJSONObject(r, trimmed, opts, false)
	case SubmissionJSONRPC:
		return parseJSONRPC(trimmed, opts)
	}
	if !looksJSON(r, trimmed) {
		return parseHTTPParams(r, body, opts)
	}
	if isJSONRPC(trimmed) {
		return parseJSONRPC(trimmed, opts)
	}
	return parseJSONObject(r, trimmed, opts, true)
}

// looksJSON reports whether a body should be read as JSON: it starts like
// a JSON object or array, or is declared JSON.
func looksJSON(r *http.Request, body []byte) bool {
	if len(body) == 0 {
		return false
	}
	if body[0] == '{' || body[0] == '[' {
		return true
	}
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return mt == "application/json" || strings.HasSuffix(mt, "+json")
}

// isJSONRPC reports whether body is meant as JSON-RPC 2.0: an object with
// a "jsonrpc" member, or an array (a batch) of them.
func isJSONRPC(body []byte) bool {
	var probe struct {
		JSONRPC json.RawMessage `json:"jsonrpc"`
	}
	if len(body) > 0 && body[0] == '[' {
		var batch []json.RawMessage
		if json.Unmarshal(body, &batch) != nil || len(batch) == 0 {
			return false
		}
		body = bytes.TrimSpace(batch[0])
	}
	return json.Unmarshal(body, &probe) == nil && probe.JSONRPC != nil
}

// parseHTTPParams reads the parameters from the query string, then a form
// body (POST and PUT), then the headers. A parameter sent twice in the
// place it is taken from is ambiguous (paramSources.get).
func parseHTTPParams(r *http.Request, body []byte, opts *Options) (request, *requestError) {
	req := request{submission: SubmissionHTTP}
	var form url.Values
	if (r.Method == http.MethodPost || r.Method == http.MethodPut) && isForm(r, body) {
		var err error
		if form, err = url.ParseQuery(string(body)); err != nil {
			return req, malformed(rpcInvalidRequest, "form body: %v", err)
		}
	}
	sources := paramSources{r.URL.Query(), form, r.Header}
	caller, ok, err := sources.get(opts.NumberParam)
	if err != nil {
		return req, ambiguous(err)
	}
	uuid, callID, err := sources.ids()
	if err != nil {
		return req, ambiguous(err)
	}
	req.call.Caller = cleanValue(caller)
	req.call.UUID, req.callID = uuid, callID
	if !ok {
		return req, missingNumber(opts.NumberParam, "the query string, form body or headers")
	}
	return req, nil
}

// isForm reports whether a body is a URL-encoded form: declared so, or
// undeclared and shaped like one.
func isForm(r *http.Request, body []byte) bool {
	if len(bytes.TrimSpace(body)) == 0 {
		return false
	}
	ct := r.Header.Get("Content-Type")
	if ct == "" {
		return bytes.IndexByte(body, '=') > 0
	}
	mt, _, _ := mime.ParseMediaType(ct)
	return mt == "application/x-www-form-urlencoded"
}

// parseJSONObject reads a JSON object body. When tolerant (auto mode), a
// number missing from the body is looked for in the query and headers.
func parseJSONObject(r *http.Request, body []byte, opts *Options, tolerant bool) (request, *requestError) {
	req := request{submission: SubmissionJSON}
	fields, perr := decodeObject(body)
	if perr != nil {
		return req, perr
	}
	obj := jsonParams(fields)
	req.call.UUID, req.callID = obj.ids()
	caller, present, err := obj.number(opts.NumberParam)
	switch {
	case err != nil:
		return req, &requestError{reason: fallbackMissingNumber, code: rpcInvalidParams, msg: err.Error()}
	case present:
		req.call.Caller = cleanValue(caller)
		return req, nil
	case tolerant:
		sources := paramSources{r.URL.Query(), nil, r.Header}
		caller, ok, err := sources.get(opts.NumberParam)
		if err != nil {
			return req, ambiguous(err)
		}
		if ok {
			req.call.Caller = cleanValue(caller)
			return req, nil
		}
	}
	return req, missingNumber(opts.NumberParam, "the JSON body")
}

// decodeObject decodes a JSON object body into its members. A body in
// which any object holds a key twice, compared case-insensitively
// (lenient.DuplicateKeys), is ambiguous and refused.
func decodeObject(body []byte) (map[string]json.RawMessage, *requestError) {
	if len(body) == 0 {
		return nil, malformed(rpcInvalidRequest, "body is empty: expected a JSON object")
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(body, &fields); err != nil {
		var ute *json.UnmarshalTypeError
		if errors.As(err, &ute) {
			return nil, malformed(rpcInvalidRequest, "body is a JSON %s, not an object", ute.Value)
		}
		return nil, malformed(rpcParseError, "body is not valid JSON: %v", err)
	}
	if fields == nil {
		return nil, malformed(rpcInvalidRequest, "body is null, not a JSON object")
	}
	if err := lenient.DuplicateKeys(body); err != nil {
		return nil, ambiguous(err)
	}
	return fields, nil
}

// parseJSONRPC reads a JSON-RPC 2.0 call. Batches are refused.
func parseJSONRPC(body []byte, opts *Options) (request, *requestError) {
	req := request{submission: SubmissionJSONRPC}
	if len(body) > 0 && body[0] == '[' {
		if !json.Valid(body) {
			return req, malformed(rpcParseError, "body is not valid JSON")
		}
		req.rpc = &rpcCall{id: nullID}
		return req, malformed(rpcInvalidRequest, "JSON-RPC batches are not supported: send one call per request")
	}
	call := &rpcCall{id: nullID}
	req.rpc = call
	fields, perr := decodeObject(body)
	if perr != nil {
		return req, perr
	}
	// The id first, so that every later error can carry it.
	if raw, ok := fields["id"]; ok {
		raw = bytes.TrimSpace(raw)
		switch {
		case len(raw) > 0 && (raw[0] == '"' || raw[0] == '-' || (raw[0] >= '0' && raw[0] <= '9') || string(raw) == "null"):
			call.id = raw
		default:
			return req, malformed(rpcInvalidRequest, `"id" must be a string, a number or null, got %s`, ringtime.JSONKind(raw))
		}
	} else {
		call.id = nil // a notification
	}
	// Without a valid version and method this is no JSON-RPC request, so
	// no notification either, id or not: it is answered (id null).
	if v, ok := fields["jsonrpc"]; !ok || string(bytes.TrimSpace(v)) != `"2.0"` {
		call.answerInvalid()
		return req, malformed(rpcInvalidRequest, `"jsonrpc" must be "2.0"`)
	}
	raw, ok := fields["method"]
	if !ok || json.Unmarshal(raw, &call.method) != nil {
		call.answerInvalid()
		return req, malformed(rpcInvalidRequest, `"method" must be a string`)
	}
	if opts.JSONRPCMethod != "" && call.method != opts.JSONRPCMethod {
		return req, &requestError{reason: fallbackRPCMethod, code: rpcMethodNotFound,
			msg: fmt.Sprintf("method %q not found: this endpoint serves %q", call.method, opts.JSONRPCMethod)}
	}
	params, perr := rpcParams(fields["params"])
	if perr != nil {
		return req, perr
	}
	req.call.UUID, req.callID = params.ids()
	caller, present, err := params.number(opts.NumberParam)
	switch {
	case err != nil:
		return req, &requestError{reason: fallbackMissingNumber, code: rpcInvalidParams, msg: err.Error()}
	case !present:
		return req, missingNumber(opts.NumberParam, "params")
	}
	req.call.Caller = cleanValue(caller)
	return req, nil
}

// rpcParams reads JSON-RPC params: an object, or an array whose first
// element is the caller's number or an object holding it.
func rpcParams(raw json.RawMessage) (jsonParams, *requestError) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	switch raw[0] {
	case '{':
		var obj map[string]json.RawMessage
		if err := json.Unmarshal(raw, &obj); err != nil {
			return nil, malformed(rpcInvalidRequest, "params: %v", err)
		}
		return jsonParams(obj), nil
	case '[':
		var list []json.RawMessage
		if err := json.Unmarshal(raw, &list); err != nil {
			return nil, malformed(rpcInvalidRequest, "params: %v", err)
		}
		if len(list) == 0 {
			return nil, nil
		}
		first := bytes.TrimSpace(list[0])
		if len(first) > 0 && first[0] == '{' {
			var obj map[string]json.RawMessage
			if err := json.Unmarshal(first, &obj); err != nil {
				return nil, malformed(rpcInvalidRequest, "params[0]: %v", err)
			}
			return jsonParams(obj), nil
		}
		return jsonParams{positionalNumber: first}, nil
	}
	return nil, malformed(rpcInvalidRequest, "params must be an object or an array, got %s", ringtime.JSONKind(raw))
}

// positionalNumber is the key under which rpcParams files a positional
// number; it cannot clash with a JSON key matched case-insensitively as it
// is not a valid parameter name.
const positionalNumber = "\x00number"

// jsonParams are JSON members, matched case-insensitively
// (lenient.FoldKey). They come from a body decodeObject checked: no two
// of their names fold alike, so at most one matches.
type jsonParams map[string]json.RawMessage

// number returns the caller's number: the positional one, or the member
// name.
func (p jsonParams) number(name string) (value string, present bool, err error) {
	if _, ok := p[positionalNumber]; ok {
		return p.get(positionalNumber)
	}
	return p.get(name)
}

// get returns the member name as text (a string or a number). present is
// false when it is absent or null; err says it has another type.
func (p jsonParams) get(name string) (value string, present bool, err error) {
	raw, ok := p[name]
	if !ok {
		want := lenient.FoldKey(name)
		for k, v := range p {
			if lenient.FoldKey(k) == want {
				raw, ok = v, true
				break
			}
		}
	}
	if !ok {
		return "", false, nil
	}
	s, present, err := ringtime.Stringish(raw)
	if err != nil {
		if name == positionalNumber {
			name = "params[0]"
		}
		return "", false, fmt.Errorf("%q: %w", name, err)
	}
	return s, present, nil
}

// ids returns the call's uuid (or call_id) and call_id.
func (p jsonParams) ids() (uuid, callID string) {
	callID, _, _ = p.get("call_id")
	for _, name := range uuidParams {
		if v, ok, _ := p.get(name); ok && v != "" {
			return cleanValue(v), cleanValue(callID)
		}
	}
	return "", cleanValue(callID)
}

// paramSources are the places HTTP parameters are looked for, in order.
type paramSources struct {
	query, form url.Values
	header      http.Header
}

// get finds name in the query, the form, then the headers (as name, else
// X-name, '_' and '-' alike), names compared case-insensitively
// (lenient.FoldKey). The first place that has the name decides: when it
// has it more than once (two spellings, "caller" and "Caller", or one
// repeated), the parameter is ambiguous: found is true and err says so.
func (s paramSources) get(name string) (value string, found bool, err error) {
	for _, src := range []struct {
		vals  url.Values
		where string
	}{{s.query, "the query string"}, {s.form, "the form body"}} {
		if v, ok, err := lookupFold(src.vals, name, src.where); ok || err != nil {
			return v, ok, err
		}
	}
	for _, want := range []string{name, "X-" + name} {
		if v, ok, err := lookupHeader(s.header, want); ok || err != nil {
			return v, ok, err
		}
	}
	return "", false, nil
}

// ids returns the call's uuid (or call_id) and call_id; err when one of
// them is ambiguous.
func (s paramSources) ids() (uuid, callID string, err error) {
	callID, _, err = s.get("call_id")
	if err != nil {
		return "", "", err
	}
	for _, name := range uuidParams {
		v, ok, err := s.get(name)
		if err != nil {
			return "", "", err
		}
		if ok && v != "" {
			return cleanValue(v), cleanValue(callID), nil
		}
	}
	return "", cleanValue(callID), nil
}

// lookupFold returns the value of the parameter key in vals (found in
// where), its name compared case-insensitively (lenient.FoldKey). A
// parameter there more than once is ambiguous: found is true and err
// says so.
func lookupFold(vals url.Values, key, where string) (value string, found bool, err error) {
	want := lenient.FoldKey(key)
	n := 0
	for k, vs := range vals {
		if len(vs) > 0 && lenient.FoldKey(k) == want {
			value, n = vs[0], n+len(vs)
		}
	}
	return checkOnce(key, where, value, n)
}

// lookupHeader returns the header name's value, its name compared
// case-insensitively with '_' and '-' alike. A header sent more than once
// is ambiguous: found is true and err says so.
func lookupHeader(h http.Header, name string) (value string, found bool, err error) {
	want := headerName(name)
	n := 0
	for k, vs := range h {
		if len(vs) > 0 && headerName(k) == want {
			value, n = vs[0], n+len(vs)
		}
	}
	return checkOnce(name, "the headers", value, n)
}

// checkOnce turns n values of a parameter into the lookup's answer.
func checkOnce(name, where, value string, n int) (string, bool, error) {
	switch n {
	case 0:
		return "", false, nil
	case 1:
		return value, true, nil
	}
	return "", true, fmt.Errorf("parameter %q is sent %d times in %s (names are compared case-insensitively): the request is ambiguous, so none is used",
		name, n, where)
}

// headerName folds a header name's case (lenient.FoldKey) and writes '_'
// as '-'.
func headerName(s string) string {
	return strings.ReplaceAll(lenient.FoldKey(s), "_", "-")
}

// cleanValue trims a parameter and undoes percent-encoding left in it
// (Ringostat sends "webhookNumber%3A120" inside JSON, so a caller may come
// as "%2B380501234567"). A value that does not decode is kept as it is.
func cleanValue(s string) string {
	s = strings.TrimSpace(s)
	if strings.Contains(s, "%") {
		if u, err := url.PathUnescape(s); err == nil {
			s = strings.TrimSpace(u)
		}
	}
	return s
}

func missingNumber(param, where string) *requestError {
	return &requestError{reason: fallbackMissingNumber, code: rpcInvalidParams,
		msg: fmt.Sprintf("the caller's number parameter %q is not in %s (set ringostat.number_param to the name configured in Ringostat)", param, where)}
}
