package ringostat

import (
	"github.com/switchboard-hq/switchboard/connectors/conf"

	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/switchboard-hq/switchboard/connectors"
	"github.com/switchboard-hq/switchboard/connectors/phone"
	"github.com/switchboard-hq/switchboard/core/directory"
	"github.com/switchboard-hq/switchboard/core/lenient"
	"github.com/switchboard-hq/switchboard/core/ringtime"
	"github.com/switchboard-hq/switchboard/core/ringtime/ringtimetest"
	"github.com/switchboard-hq/switchboard/core/routing"
	"github.com/switchboard-hq/switchboard/core/server"
	"github.com/switchboard-hq/switchboard/core/server/servertest"
)

const (
	ringoPath      = "/ringostat/route"
	ringoKnownDest = "380501234567"
	ringoToken     = "tok-0123456789abcdef"
)

// fakeTargetRouter sends found callers to ringoKnownDest and everything
// else to def; decideFn, when set, replaces it.
type fakeTargetRouter struct {
	def      string
	decideFn func(res directory.Result, call routing.Call) routing.Decision

	mu    sync.Mutex
	calls []routing.Call
}

func (f *fakeTargetRouter) Decide(res directory.Result, call routing.Call, target string) routing.Decision {
	f.mu.Lock()
	f.calls = append(f.calls, call)
	f.mu.Unlock()
	if target != TargetName {
		panic("fakeTargetRouter asked for " + target)
	}
	if f.decideFn != nil {
		return f.decideFn(res, call)
	}
	if res.Found {
		return routing.Decision{Target: target, Destination: ringoKnownDest, Rule: "manager", Reason: `rule "manager" matched`}
	}
	return routing.Decision{Target: target, Destination: f.def, Default: true, Reason: "default: no rule matched"}
}

func (f *fakeTargetRouter) seen() []routing.Call {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]routing.Call(nil), f.calls...)
}

// ringoFixture is a server with the Ringostat endpoint mounted over fakes.
type ringoFixture struct {
	*servertest.Fixture
	dir    *ringtimetest.Directory
	router *fakeTargetRouter
}

func newRingoFixture(t testing.TB, configure func(*Options), more ...func(*server.Options)) *ringoFixture {
	t.Helper()
	f := &ringoFixture{dir: &ringtimetest.Directory{}, router: &fakeTargetRouter{}}
	ro := Options{Directory: f.dir, Router: f.router}
	if configure != nil {
		configure(&ro)
	}
	f.router.def = ro.Default
	m, err := New(ro)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	so := server.Options{Mounts: []server.Mount{m}}
	for _, change := range more {
		change(&so)
	}
	f.Fixture = servertest.New(t, so)
	return f
}

func (f *ringoFixture) ringoFallbacks(t testing.TB, reason string) float64 {
	t.Helper()
	return f.Metric(t, "switchboard_ringostat_fallbacks_total", map[string]string{"reason": reason})
}

// wantAnswer fails unless rec is exactly the answer body with the import's
// content type.
func wantAnswer(t *testing.T, rec *httptest.ResponseRecorder, imp Import, body string) {
	t.Helper()
	if rec.Code != http.StatusOK {
		t.Fatalf("status = %d, want 200 (body %q)", rec.Code, rec.Body.String())
	}
	ct := "application/json"
	if imp == ImportText {
		ct = textPlain
	}
	if got := rec.Header().Get("Content-Type"); got != ct {
		t.Errorf("Content-Type = %q, want %q", got, ct)
	}
	if got := rec.Body.String(); got != body {
		t.Errorf("body = %s, want %s", got, body)
	}
}

// answerBody is the body Render must give for dest.
func answerBody(imp Import, dest, id string) string {
	switch imp {
	case ImportJSON:
		return `{"destination":"` + dest + `"}`
	case ImportJSONRPC:
		return `{"jsonrpc":"2.0","id":` + id + `,"result":{"destination":"` + dest + `"}}`
	}
	return dest
}

// A request way: how Ringostat's parameters arrive.
type ringoWay struct {
	name    string
	subs    []Submission // configurations that accept it
	methods []string
	build   func(method string) *http.Request
	id      string // the JSON-RPC id the answer carries
	logged  Submission
}

var allMethods = []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodDelete}

var ringoWays = []ringoWay{
	{name: "query", logged: SubmissionHTTP, subs: []Submission{SubmissionAuto, SubmissionHTTP}, methods: allMethods, id: "null",
		build: func(m string) *http.Request {
			return httptest.NewRequest(m, ringoPath+"?caller=%2B905061234567&call_id=pkv&uuid=842d921d", nil)
		}},
	{name: "header", logged: SubmissionHTTP, subs: []Submission{SubmissionAuto, SubmissionHTTP}, methods: allMethods, id: "null",
		build: func(m string) *http.Request {
			r := httptest.NewRequest(m, ringoPath, nil)
			r.Header.Set("X-Caller", "+905061234567")
			r.Header.Set("Call_id", "pkv")
			return r
		}},
	{name: "form", logged: SubmissionHTTP, subs: []Submission{SubmissionAuto, SubmissionHTTP}, methods: []string{http.MethodPost, http.MethodPut}, id: "null",
		build: func(m string) *http.Request {
			r := httptest.NewRequest(m, ringoPath, strings.NewReader("caller=%2B905061234567&call_id=pkv"))
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			return r
		}},
	{name: "json", logged: SubmissionJSON, subs: []Submission{SubmissionAuto, SubmissionJSON}, methods: allMethods, id: "null",
		build: func(m string) *http.Request {
			r := httptest.NewRequest(m, ringoPath, strings.NewReader(
				`{"call_id":"pkv","step_forward":"webhookNumber%3A120","uuid":"842d921d","google_id":"UA-1","caller":"+905061234567"}`))
			r.Header.Set("User-Agent", "ringostat HTTP Client v1.1")
			r.Header.Set("Content-Type", "application/json")
			return r
		}},
	{name: "jsonrpc", logged: SubmissionJSONRPC, subs: []Submission{SubmissionAuto, SubmissionJSONRPC}, methods: allMethods, id: "7",
		build: func(m string) *http.Request {
			r := httptest.NewRequest(m, ringoPath, strings.NewReader(
				`{"jsonrpc":"2.0","method":"route","params":{"caller":"+905061234567","call_id":"pkv"},"id":7}`))
			r.Header.Set("Content-Type", "application/json")
			return r
		}},
}

// TestRingostatMatrix: every method × submission type × import type
// answers the destination in the import's format.
func TestRingostatMatrix(t *testing.T) {
	for _, way := range ringoWays {
		for _, sub := range way.subs {
			for _, imp := range []Import{ImportText, ImportJSON, ImportJSONRPC} {
				for _, method := range way.methods {
					t.Run(fmt.Sprintf("%s/%s/%s/%s", way.name, sub, imp, method), func(t *testing.T) {
						f := newRingoFixture(t, func(o *Options) {
							o.Submission, o.Import, o.JSONRPCMethod = sub, imp, "route"
						})
						wantAnswer(t, f.Serve(way.build(method)), imp, answerBody(imp, ringoKnownDest, way.id))
						if asked := f.dir.Calls(); len(asked) != 1 || asked[0] != "+905061234567" {
							t.Errorf("directory asked %q, want [+905061234567]", asked)
						}
						lines := f.RequestLines(t)
						if len(lines) != 1 || lines[0]["endpoint"] != "ringostat" || lines[0]["destination"] != ringoKnownDest ||
							lines[0]["outcome"] != ringtime.OutcomeRule || lines[0]["rule"] != "manager" || lines[0]["submission"] != string(way.logged) {
							t.Errorf("request log lines = %v, want one naming the decision and submission %q", lines, way.logged)
						}
					})
				}
			}
		}
	}
}

// TestRingostatPinnedSubmission: a pinned submission type reads only its
// own way; the others find no number and get the default.
func TestRingostatPinnedSubmission(t *testing.T) {
	for _, way := range ringoWays {
		for _, sub := range []Submission{SubmissionHTTP, SubmissionJSON, SubmissionJSONRPC} {
			if way.name == string(sub) || (sub == SubmissionHTTP && (way.name == "query" || way.name == "header" || way.name == "form")) {
				continue
			}
			if sub == SubmissionJSON && (way.name == "query" || way.name == "header") {
				continue // JSON is tolerant only in auto; pinned json needs a body
			}
			t.Run(way.name+"/"+string(sub), func(t *testing.T) {
				f := newRingoFixture(t, func(o *Options) {
					o.Submission, o.Import, o.Default = sub, ImportJSON, "reception"
				})
				wantAnswer(t, f.Serve(way.build(http.MethodPost)), ImportJSON, answerBody(ImportJSON, "reception", ""))
				if n := len(f.dir.Calls()); n != 0 {
					t.Errorf("directory asked %d times", n)
				}
			})
		}
	}
}

func TestRingostatJSONRPC(t *testing.T) {
	const found = `"result":{"destination":"` + ringoKnownDest + `"}}`
	tests := []struct {
		name   string
		method string // JSONRPCMethod configured ("" any)
		body   string
		want   string // the whole answer; "" for 204
		reason string // fallback counted, "" none
	}{
		{name: "number id", body: `{"jsonrpc":"2.0","method":"route","params":{"caller":"+905061234567"},"id":7}`,
			want: `{"jsonrpc":"2.0","id":7,` + found},
		{name: "string id", body: `{"jsonrpc":"2.0","method":"route","params":{"caller":"+905061234567"},"id":"abc-1"}`,
			want: `{"jsonrpc":"2.0","id":"abc-1",` + found},
		{name: "fractional id kept as sent", body: `{"id":1.50,"jsonrpc":"2.0","method":"route","params":{"caller":"+905061234567"}}`,
			want: `{"jsonrpc":"2.0","id":1.50,` + found},
		{name: "huge id kept exactly", body: `{"jsonrpc":"2.0","method":"route","params":{"caller":"+905061234567"},"id":123456789012345678901234567890}`,
			want: `{"jsonrpc":"2.0","id":123456789012345678901234567890,` + found},
		{name: "null id is not a notification", body: `{"jsonrpc":"2.0","method":"route","params":{"caller":"+905061234567"},"id":null}`,
			want: `{"jsonrpc":"2.0","id":null,` + found},
		{name: "absent id: notification", body: `{"jsonrpc":"2.0","method":"route","params":{"caller":"+905061234567"}}`},
		{name: "notification with an error", method: "route", body: `{"jsonrpc":"2.0","method":"other","params":{}}`},
		{name: "positional number", body: `{"jsonrpc":"2.0","method":"route","params":["+905061234567"],"id":1}`,
			want: `{"jsonrpc":"2.0","id":1,` + found},
		{name: "positional object", body: `{"jsonrpc":"2.0","method":"route","params":[{"Caller":905061234567}],"id":1}`,
			want: `{"jsonrpc":"2.0","id":1,` + found},
		{name: "unknown caller: empty destination", body: `{"jsonrpc":"2.0","method":"route","params":{"caller":"+441234567890"},"id":2}`,
			want: `{"jsonrpc":"2.0","id":2,"result":{"destination":""}}`},
		{name: "wrong method", method: "route", body: `{"jsonrpc":"2.0","method":"getNumber","params":{"caller":"+905061234567"},"id":3}`,
			want: `{"jsonrpc":"2.0","id":3,"error":{"code":-32601,"message":"method \"getNumber\" not found: this endpoint serves \"route\""}}`, reason: fallbackRPCMethod},
		{name: "parse error", body: `{"jsonrpc":"2.0","method":`,
			want: `{"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"body is not valid JSON: unexpected end of JSON input"}}`, reason: ringtime.FallbackMalformed},
		{name: "wrong version", body: `{"jsonrpc":"1.0","method":"route","params":{"caller":"+905061234567"},"id":4}`,
			want: `{"jsonrpc":"2.0","id":4,"error":{"code":-32600,"message":"\"jsonrpc\" must be \"2.0\""}}`, reason: ringtime.FallbackMalformed},
		{name: "wrong version and no id: answered, not a notification", body: `{"jsonrpc":"1.0","method":"route","params":{"caller":"+905061234567"}}`,
			want: `{"jsonrpc":"2.0","id":null,"error":{"code":-32600,"message":"\"jsonrpc\" must be \"2.0\""}}`, reason: ringtime.FallbackMalformed},
		{name: "method not a string, no id: answered, not a notification", body: `{"jsonrpc":"2.0","method":1,"params":"bar"}`,
			want: `{"jsonrpc":"2.0","id":null,"error":{"code":-32600,"message":"\"method\" must be a string"}}`, reason: ringtime.FallbackMalformed},
		{name: "method not a string", body: `{"jsonrpc":"2.0","method":5,"id":5}`,
			want: `{"jsonrpc":"2.0","id":5,"error":{"code":-32600,"message":"\"method\" must be a string"}}`, reason: ringtime.FallbackMalformed},
		{name: "id an object", body: `{"jsonrpc":"2.0","method":"route","id":{"a":1}}`,
			want: `{"jsonrpc":"2.0","id":null,"error":{"code":-32600,"message":"\"id\" must be a string, a number or null, got an object"}}`, reason: ringtime.FallbackMalformed},
		{name: "params a string", body: `{"jsonrpc":"2.0","method":"route","params":"+905061234567","id":6}`,
			want: `{"jsonrpc":"2.0","id":6,"error":{"code":-32600,"message":"params must be an object or an array, got an unexpected value"}}`, reason: ringtime.FallbackMalformed},
		{name: "missing number", body: `{"jsonrpc":"2.0","method":"route","params":{"phone":"+905061234567"},"id":8}`,
			want: `{"jsonrpc":"2.0","id":8,"error":{"code":-32602,"message":"the caller's number parameter \"caller\" is not in params (set ringostat.number_param to the name configured in Ringostat)"}}`, reason: fallbackMissingNumber},
		{name: "number a boolean", body: `{"jsonrpc":"2.0","method":"route","params":{"caller":true},"id":9}`,
			want: `{"jsonrpc":"2.0","id":9,"error":{"code":-32602,"message":"\"caller\": want a string or a number, got a boolean"}}`, reason: fallbackMissingNumber},
		{name: "batch refused", body: `[{"jsonrpc":"2.0","method":"route","params":{"caller":"+905061234567"},"id":1}]`,
			want: `{"jsonrpc":"2.0","id":null,"error":{"code":-32600,"message":"JSON-RPC batches are not supported: send one call per request"}}`, reason: ringtime.FallbackMalformed},
		{name: "HTTP parameters get a null id", body: `caller=%2B905061234567`,
			want: `{"jsonrpc":"2.0","id":null,` + found},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newRingoFixture(t, func(o *Options) {
				o.Import, o.JSONRPCMethod = ImportJSONRPC, tc.method
			})
			req := httptest.NewRequest(http.MethodPost, ringoPath, strings.NewReader(tc.body))
			rec := f.Serve(req)
			if tc.want == "" {
				if rec.Code != http.StatusNoContent || rec.Body.Len() != 0 {
					t.Fatalf("notification: %d %q, want 204 and no body", rec.Code, rec.Body.String())
				}
				if n := len(f.dir.Calls()); n != 0 {
					t.Errorf("a notification was looked up %d times", n)
				}
				return
			}
			wantAnswer(t, rec, ImportJSONRPC, tc.want)
			if tc.reason != "" {
				if got := f.ringoFallbacks(t, tc.reason); got != 1 {
					t.Errorf("fallbacks{%s} = %v, want 1", tc.reason, got)
				}
				if n := len(f.dir.Calls()); n != 0 {
					t.Errorf("a bad call was looked up %d times", n)
				}
			}
		})
	}
}

// TestRingostatJSONRPCErrorsInOtherImports: a broken call answered in text
// or json gets the default destination, not a JSON-RPC error.
func TestRingostatJSONRPCErrorsInOtherImports(t *testing.T) {
	for _, imp := range []Import{ImportText, ImportJSON} {
		f := newRingoFixture(t, func(o *Options) {
			o.Import, o.JSONRPCMethod, o.Default = imp, "route", "reception"
		})
		rec := f.Serve(httptest.NewRequest(http.MethodPost, ringoPath,
			strings.NewReader(`{"jsonrpc":"2.0","method":"other","params":{"caller":"+905061234567"}}`)))
		wantAnswer(t, rec, imp, answerBody(imp, "reception", ""))
		if got := f.ringoFallbacks(t, fallbackRPCMethod); got != 1 {
			t.Errorf("%s: fallbacks{rpc_method} = %v, want 1", imp, got)
		}
	}
}

// TestRingostatMessyNumbers: the caller parameter as phone systems and
// people write it still finds the caller (a real phone parser behind).
func TestRingostatMessyNumbers(t *testing.T) {
	parser, err := phone.NewParser("UA")
	if err != nil {
		t.Fatal(err)
	}
	const stored = "+380441234567"
	lookup := func(_ context.Context, raw string) directory.Result {
		n, err := parser.ParseCaller(raw)
		if err != nil {
			return directory.Result{Query: phone.Number{Raw: raw}, InvalidNumber: err, Via: directory.ViaNone}
		}
		if n.E164 != stored {
			return directory.Result{Query: n, Via: directory.ViaIndex}
		}
		m := connectors.Match{Contact: &connectors.Contact{ID: "C1"}, Kind: connectors.MatchExact}
		return directory.Result{Query: n, Found: true, Match: &m, Matches: []connectors.Match{m}, Via: directory.ViaIndex}
	}
	tests := []struct {
		name  string
		req   func() *http.Request
		found bool
	}{
		{"query, '+' sent raw (reads as a space)", func() *http.Request {
			return httptest.NewRequest(http.MethodGet, ringoPath+"?caller=+380441234567", nil)
		}, true},
		{"query, '+' percent-encoded", func() *http.Request {
			return httptest.NewRequest(http.MethodGet, ringoPath+"?caller=%2B380441234567", nil)
		}, true},
		{"query, spaces and brackets", func() *http.Request {
			return httptest.NewRequest(http.MethodGet, ringoPath+"?caller="+url.QueryEscape(" +380 (44) 123-45-67 "), nil)
		}, true},
		{"query, national with trunk zero", func() *http.Request {
			return httptest.NewRequest(http.MethodGet, ringoPath+"?CALLER=0441234567", nil)
		}, true},
		{"header, 00 prefix", func() *http.Request {
			r := httptest.NewRequest(http.MethodGet, ringoPath, nil)
			r.Header.Set("caller", "00380441234567")
			return r
		}, true},
		{"JSON, percent-encoded inside JSON", func() *http.Request {
			return httptest.NewRequest(http.MethodPost, ringoPath, strings.NewReader(`{"caller":"%2B380441234567"}`))
		}, true},
		{"JSON, a number", func() *http.Request {
			return httptest.NewRequest(http.MethodPost, ringoPath, strings.NewReader(`{"caller":380441234567}`))
		}, true},
		{"JSON, Ringostat's spaced format", func() *http.Request {
			return httptest.NewRequest(http.MethodPost, ringoPath, strings.NewReader(`{"caller":"3 80441234567"}`))
		}, true},
		{"JSON, tel: URI", func() *http.Request {
			return httptest.NewRequest(http.MethodPost, ringoPath, strings.NewReader(`{"caller":"tel:+380441234567"}`))
		}, true},
		{"JSON, full-width digits", func() *http.Request {
			return httptest.NewRequest(http.MethodPost, ringoPath, strings.NewReader(`{"caller":"＋３８０４４１２３４５６７"}`))
		}, true},
		{"JSON, anonymous", func() *http.Request {
			return httptest.NewRequest(http.MethodPost, ringoPath, strings.NewReader(`{"caller":"anonymous"}`))
		}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newRingoFixture(t, func(o *Options) { o.Default = "reception" })
			f.dir.LookupFn = lookup
			want := "reception"
			if tc.found {
				want = ringoKnownDest
			}
			wantAnswer(t, f.Serve(tc.req()), ImportText, want)
		})
	}
}

func TestRingostatAuth(t *testing.T) {
	basic := func(user, pass string) string {
		return "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+pass))
	}
	tests := []struct {
		name          string
		token, user   string
		path          string
		authorization string
		wantCode      int
		wantAuth      string
	}{
		{name: "no auth configured", path: ringoPath, wantCode: 200},
		{name: "token in path", token: ringoToken, path: ringoPath + "/" + ringoToken, wantCode: 200},
		{name: "token in query", token: ringoToken, path: ringoPath + "?token=" + ringoToken, wantCode: 200},
		{name: "wrong token in path", token: ringoToken, path: ringoPath + "/tok-0123456789abcdeX", wantCode: 401, wantAuth: "wrong_token"},
		{name: "token prefix", token: ringoToken, path: ringoPath + "/tok-0123", wantCode: 401, wantAuth: "wrong_token"},
		{name: "token with extra segment", token: ringoToken, path: ringoPath + "/" + ringoToken + "/x", wantCode: 401, wantAuth: "wrong_token"},
		{name: "wrong token in query", token: ringoToken, path: ringoPath + "?token=nope", wantCode: 401, wantAuth: "wrong_token"},
		{name: "no token", token: ringoToken, path: ringoPath, wantCode: 401, wantAuth: "missing_token"},
		{name: "empty path token", token: ringoToken, path: ringoPath + "/", wantCode: 401, wantAuth: "missing_token"},
		{name: "path under the endpoint without a token configured", path: ringoPath + "/" + ringoToken, wantCode: 404},
		{name: "basic right", user: "ringo", path: ringoPath, authorization: basic("ringo", "s3cret-pw"), wantCode: 200},
		{name: "basic wrong", user: "ringo", path: ringoPath, authorization: basic("ringo", "s3cret-pX"), wantCode: 401, wantAuth: "wrong"},
		{name: "basic missing", user: "ringo", path: ringoPath, wantCode: 401, wantAuth: "missing"},
		{name: "both, both right", user: "ringo", token: ringoToken, path: ringoPath + "/" + ringoToken, authorization: basic("ringo", "s3cret-pw"), wantCode: 200},
		{name: "both, token missing", user: "ringo", token: ringoToken, path: ringoPath, authorization: basic("ringo", "s3cret-pw"), wantCode: 401, wantAuth: "missing_token"},
		{name: "token in query twice", token: ringoToken, path: ringoPath + "?token=" + ringoToken + "&token=" + ringoToken, wantCode: 401, wantAuth: "ambiguous_token"},
		{name: "token in query in two cases", token: ringoToken, path: ringoPath + "?token=" + ringoToken + "&TOKEN=nope", wantCode: 401, wantAuth: "ambiguous_token"},
		{name: "token in path wins over an ambiguous query", token: ringoToken, path: ringoPath + "/" + ringoToken + "?token=a&Token=b", wantCode: 200},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newRingoFixture(t, func(o *Options) {
				o.Token = conf.Secret(tc.token)
				if tc.user != "" {
					o.BasicAuth = &conf.BasicAuth{Username: tc.user, Password: "s3cret-pw"}
				}
			})
			req := httptest.NewRequest(http.MethodPost, tc.path, strings.NewReader(`{"caller":"+905061234567"}`))
			if tc.authorization != "" {
				req.Header.Set("Authorization", tc.authorization)
			}
			rec := f.Serve(req)
			if rec.Code != tc.wantCode {
				t.Fatalf("status = %d, want %d (body %q)", rec.Code, tc.wantCode, rec.Body.String())
			}
			failures := f.Metric(t, "switchboard_http_auth_failures_total", map[string]string{"endpoint": "ringostat"})
			lines := f.RequestLines(t)
			switch tc.wantCode {
			case 200:
				wantAnswer(t, rec, ImportText, ringoKnownDest)
				if failures != 0 {
					t.Errorf("auth failures = %v, want 0", failures)
				}
			case 401:
				if failures != 1 || len(lines) != 1 || lines[0]["auth"] != tc.wantAuth {
					t.Errorf("failures %v, log lines %v; want 1 failure logged as auth=%q", failures, lines, tc.wantAuth)
				}
				if n := len(f.dir.Calls()); n != 0 {
					t.Errorf("directory asked %d times for an unauthenticated request", n)
				}
			}
			for _, l := range lines {
				if l["path"] != ringoPath && tc.wantCode != 404 {
					t.Errorf("logged path %v, want %s (never the token)", l["path"], ringoPath)
				}
			}
			// (Without a token configured, a path under the endpoint is just
			// an unknown path, logged as such.)
			if logs := string(f.Logs.Bytes()); (tc.token != "" && strings.Contains(logs, "tok-0123")) || strings.Contains(logs, "s3cret") {
				t.Errorf("a secret leaked into the log: %s", logs)
			}
		})
	}
}

func TestRingostatDeadline(t *testing.T) {
	const deadline = 100 * time.Millisecond
	for _, imp := range []Import{ImportText, ImportJSON, ImportJSONRPC} {
		t.Run(string(imp), func(t *testing.T) {
			f := newRingoFixture(t, func(o *Options) { o.Deadline, o.Import, o.Default = deadline, imp, "reception" })
			lookupDone := make(chan error, 1)
			// Held until the test ends: returning as soon as ctx is done would
			// race the handler's own deadline case (either may win).
			release := make(chan struct{})
			t.Cleanup(func() { close(release) })
			f.dir.LookupFn = func(ctx context.Context, _ string) directory.Result {
				<-ctx.Done() // a CRM that never answers
				lookupDone <- ctx.Err()
				<-release
				return directory.Result{}
			}
			start := time.Now()
			rec := f.Serve(httptest.NewRequest(http.MethodPost, ringoPath,
				strings.NewReader(`{"jsonrpc":"2.0","method":"route","params":{"caller":"+905061234567"},"id":"d"}`)))
			elapsed := time.Since(start)
			wantAnswer(t, rec, imp, answerBody(imp, "reception", `"d"`))
			if elapsed < deadline || elapsed > deadline+time.Second {
				t.Errorf("answered after %v, want just after the %v deadline", elapsed, deadline)
			}
			if err := <-lookupDone; !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("lookup context ended with %v, want DeadlineExceeded", err)
			}
			if got := f.ringoFallbacks(t, ringtime.FallbackDeadline); got != 1 {
				t.Errorf("fallbacks{deadline} = %v, want 1", got)
			}
			if lines := f.RequestLines(t); len(lines) != 1 || lines[0]["@level"] != "warn" || lines[0]["fallback"] != ringtime.FallbackDeadline {
				t.Errorf("request log lines = %v, want one warn line with fallback=deadline", lines)
			}
		})
	}
}

func TestRingostatFallbacks(t *testing.T) {
	huge := `{"caller":"+905061234567","pad":"` + strings.Repeat("x", 2000) + `"}`
	tests := []struct {
		name    string
		body    string
		lookup  func(ctx context.Context, raw string) directory.Result
		decide  func(res directory.Result, call routing.Call) routing.Decision
		want    string
		reason  string // fallback counted
		outcome string
	}{
		{name: "oversize body", body: huge, want: "reception", reason: ringtime.FallbackOversize, outcome: ringtime.OutcomeFallback},
		{name: "no number anywhere", body: `{"phone":"+905061234567"}`, want: "reception", reason: fallbackMissingNumber, outcome: ringtime.OutcomeFallback},
		{name: "empty body", body: ``, want: "reception", reason: fallbackMissingNumber, outcome: ringtime.OutcomeFallback},
		{name: "broken JSON", body: `{"caller":`, want: "reception", reason: ringtime.FallbackMalformed, outcome: ringtime.OutcomeFallback},
		{name: "JSON array", body: `[1,2]`, want: "reception", reason: ringtime.FallbackMalformed, outcome: ringtime.OutcomeFallback},
		{name: "invalid number", body: `{"caller":"anonymous"}`, want: "reception", reason: ringtime.FallbackInvalidNumber, outcome: ringtime.OutcomeFallback},
		{name: "lookup error", body: `{"caller":"+905061234567"}`, want: "reception", reason: ringtime.FallbackLookupError, outcome: ringtime.OutcomeFallback,
			lookup: func(context.Context, string) directory.Result {
				return directory.Result{Via: directory.ViaNone, Errors: []directory.SourceError{{Source: "crm", Err: errors.New("503")}}}
			}},
		{name: "router panics", body: `{"caller":"+905061234567"}`, want: "reception", reason: ringtime.FallbackPanic, outcome: ringtime.OutcomeFallback,
			decide: func(directory.Result, routing.Call) routing.Decision { panic("boom") }},
		{name: "router yields an unsendable destination", body: `{"caller":"+905061234567"}`, want: "reception", reason: fallbackBadDestination, outcome: ringtime.OutcomeFallback,
			decide: func(directory.Result, routing.Call) routing.Decision {
				return routing.Decision{Destination: "ada\r\nX-Evil: 1", Rule: "odd"}
			}},
		{name: "unknown caller: the default, no fallback", body: `{"caller":"+441234567890"}`, want: "reception", outcome: ringtime.OutcomeDefault},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newRingoFixture(t, func(o *Options) { o.Import, o.Default = ImportJSON, "reception" })
			f.dir.LookupFn, f.router.decideFn = tc.lookup, tc.decide
			if tc.lookup == nil {
				f.dir.LookupFn = func(_ context.Context, raw string) directory.Result { return ringtimetest.KnownLookup(raw) }
			}
			wantAnswer(t, f.Serve(httptest.NewRequest(http.MethodPost, ringoPath, strings.NewReader(tc.body))),
				ImportJSON, answerBody(ImportJSON, tc.want, ""))
			for _, reason := range fallbackReasons {
				want := 0.0
				if reason == tc.reason {
					want = 1
				}
				if got := f.ringoFallbacks(t, reason); got != want {
					t.Errorf("fallbacks{%s} = %v, want %v", reason, got, want)
				}
			}
			lines := f.RequestLines(t)
			if len(lines) != 1 || lines[0]["outcome"] != tc.outcome || lines[0]["destination"] != tc.want {
				t.Errorf("request log lines = %v, want one with outcome %q", lines, tc.outcome)
			}
			if got := f.Metric(t, "switchboard_ringostat_answers_total", map[string]string{"outcome": tc.outcome}); got != 1 {
				t.Errorf("answers{%s} = %v, want 1", tc.outcome, got)
			}
		})
	}
}

// TestRingostatDuplicateKeys: a request naming a parameter twice (a JSON
// key, a query or form parameter, a header; compared case-insensitively)
// is ambiguous: it gets the default (a JSON-RPC error in the jsonrpc
// import), is never looked up, and is counted as malformed and logged
// problem=duplicate_key, whichever spelling would name a known caller.
func TestRingostatDuplicateKeys(t *testing.T) {
	for _, tc := range []struct {
		name  string
		build func() *http.Request
	}{
		{"json", func() *http.Request {
			return httptest.NewRequest(http.MethodPost, ringoPath, strings.NewReader(`{"caller":"+905061234567","Caller":"+441234567890"}`))
		}},
		{"jsonrpc", func() *http.Request {
			return httptest.NewRequest(http.MethodPost, ringoPath,
				strings.NewReader(`{"jsonrpc":"2.0","method":"route","params":{"CALLER":"+441234567890","caller":"+905061234567"},"id":7}`))
		}},
		{"query", func() *http.Request {
			return httptest.NewRequest(http.MethodGet, ringoPath+"?caller=%2B905061234567&Caller=%2B905061234567", nil)
		}},
		{"form", func() *http.Request {
			r := httptest.NewRequest(http.MethodPost, ringoPath, strings.NewReader("caller=%2B905061234567&caller=%2B441234567890"))
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			return r
		}},
		{"header", func() *http.Request {
			r := httptest.NewRequest(http.MethodGet, ringoPath, nil)
			r.Header["Caller"] = []string{"+905061234567", "+441234567890"}
			return r
		}},
	} {
		for _, imp := range []Import{ImportText, ImportJSON, ImportJSONRPC} {
			t.Run(tc.name+"/"+string(imp), func(t *testing.T) {
				f := newRingoFixture(t, func(o *Options) { o.Import, o.Default = imp, "reception" })
				f.dir.LookupFn = func(_ context.Context, raw string) directory.Result { return ringtimetest.KnownLookup(raw) }
				rec := f.Serve(tc.build())
				id := "null" // an ambiguous JSON-RPC call's id is not read either
				if imp == ImportJSONRPC {
					var got struct {
						ID    json.RawMessage
						Error *rpcError
					}
					if rec.Code != http.StatusOK || json.Unmarshal(rec.Body.Bytes(), &got) != nil || got.Error == nil ||
						got.Error.Code != rpcInvalidRequest || string(got.ID) != id || !strings.Contains(got.Error.Message, "ambiguous") {
						t.Fatalf("answer %d %s, want a JSON-RPC invalid request error with id %s", rec.Code, rec.Body.String(), id)
					}
				} else {
					wantAnswer(t, rec, imp, answerBody(imp, "reception", id))
				}
				if n := len(f.dir.Calls()); n != 0 {
					t.Errorf("directory asked %d times for an ambiguous request", n)
				}
				if got := f.ringoFallbacks(t, ringtime.FallbackMalformed); got != 1 {
					t.Errorf("fallbacks{malformed} = %v, want 1", got)
				}
				lines := f.RequestLines(t)
				if len(lines) != 1 || lines[0]["problem"] != lenient.ProblemDuplicateKey || lines[0]["fallback"] != ringtime.FallbackMalformed {
					t.Errorf("request log lines = %v, want one with problem=duplicate_key, fallback=malformed", lines)
				}
			})
		}
	}
}

// TestRingostatNoDestination: with no default, "no destination" is a 200
// with an empty destination in every import type.
func TestRingostatNoDestination(t *testing.T) {
	for _, imp := range []Import{ImportText, ImportJSON, ImportJSONRPC} {
		f := newRingoFixture(t, func(o *Options) { o.Import = imp })
		rec := f.Serve(httptest.NewRequest(http.MethodGet, ringoPath+"?caller=%2B441234567890", nil))
		wantAnswer(t, rec, imp, answerBody(imp, "", "null"))
		if got := rec.Header().Get("Content-Length"); got != fmt.Sprint(rec.Body.Len()) {
			t.Errorf("%s: Content-Length %q for a %d-byte body", imp, got, rec.Body.Len())
		}
		if got := f.Metric(t, "switchboard_ringostat_answers_total", map[string]string{"outcome": outcomeNone}); got != 1 {
			t.Errorf("%s: answers{none} = %v, want 1", imp, got)
		}
	}
}

func TestRingostatCallFields(t *testing.T) {
	f := newRingoFixture(t, func(o *Options) { o.NumberParam = "phone_from" })
	wantAnswer(t, f.Serve(httptest.NewRequest(http.MethodPost, ringoPath,
		strings.NewReader(`{"call_id":"pkv","uuid":"842d921d","Phone_From":"+905061234567"}`))), ImportText, ringoKnownDest)
	if seen := f.router.seen(); len(seen) != 1 || seen[0] != (routing.Call{Caller: "+905061234567", UUID: "842d921d"}) {
		t.Errorf("router saw %+v", seen)
	}
	if lines := f.RequestLines(t); len(lines) != 1 || lines[0]["call_id"] != "pkv" || lines[0]["uuid"] != "842d921d" {
		t.Errorf("request log lines = %v", lines)
	}
}

func TestRingostatMethods(t *testing.T) {
	f := newRingoFixture(t, func(o *Options) { o.Methods = []string{"post"} })
	if rec := f.Serve(httptest.NewRequest(http.MethodGet, ringoPath+"?caller=%2B905061234567", nil)); rec.Code != http.StatusMethodNotAllowed {
		t.Errorf("GET with methods [POST]: %d, want 405", rec.Code)
	}
	f = newRingoFixture(t, nil)
	if rec := f.Serve(httptest.NewRequest(http.MethodPatch, ringoPath+"?caller=%2B905061234567", nil)); rec.Code != http.StatusMethodNotAllowed ||
		rec.Header().Get("Allow") != "GET, POST, PUT, DELETE" {
		t.Errorf("PATCH: %d Allow %q, want 405 with every Ringostat method", rec.Code, rec.Header().Get("Allow"))
	}
}

func TestRingostatBadOptions(t *testing.T) {
	tr := &fakeTargetRouter{}
	tests := []struct {
		name string
		ro   Options
		want string
	}{
		{"relative path", Options{Router: tr, Config: Config{Path: "ringostat"}}, `must start with "/"`},
		{"reserved path", Options{Router: tr, Config: Config{Path: "/metrics"}}, "taken"},
		{"smart IVR path", Options{Router: tr, Config: Config{Path: "/hipcall/smart-ivr"}}, "taken"},
		{"method", Options{Router: tr, Config: Config{Methods: []string{"PATCH"}}}, `"PATCH"`},
		{"submission", Options{Router: tr, Config: Config{Submission: "xml"}}, `submission must be one of auto, http, json, jsonrpc, got "xml"`},
		{"import", Options{Router: tr, Config: Config{Import: "xml"}}, `import must be one of text, json, jsonrpc, got "xml"`},
		{"token param", Options{Router: tr, Config: Config{NumberParam: "Token"}}, "carries ringostat.token"},
		{"deadline", Options{Router: tr, Config: Config{Deadline: 3 * time.Second}}, "at most 2.5s (set the Ringostat scheme's timeout to 3 seconds)"},
		{"basic auth half", Options{Router: tr, Config: Config{BasicAuth: &conf.BasicAuth{Username: "u"}}}, "basic_auth.password is required when a username is set"},
		{"default", Options{Router: tr, Default: "+380 50"}, "not a normalised destination"},
		{"router", Options{}, "needs a router"},
	}
	// Another endpoint mounted where the Smart IVR usually is.
	ivr := server.Mount{Name: "smart_ivr", Path: "/hipcall/smart-ivr", Handler: http.NotFoundHandler()}
	for _, tc := range tests {
		ro := tc.ro
		ro.Directory = &ringtimetest.Directory{}
		m, err := New(ro)
		if err == nil {
			_, err = server.New(server.Options{Mounts: []server.Mount{ivr, m}})
		}
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: New = %v, want an error containing %q", tc.name, err, tc.want)
		}
	}
}

func TestRender(t *testing.T) {
	for _, tc := range []struct {
		imp        Import
		key, dest  string
		id         string
		want, ctyp string
	}{
		{ImportText, "destination", "380501234567", "", "380501234567", textPlain},
		{ImportText, "destination", "", "", "", textPlain},
		{ImportJSON, "number_01", "380501234567", "", `{"number_01":"380501234567"}`, "application/json"},
		{ImportJSON, `we"ird`, "", "", `{"we\"ird":""}`, "application/json"},
		{ImportJSONRPC, "destination", "sip:ada@pbx.example.com", `"x"`, `{"jsonrpc":"2.0","id":"x","result":{"destination":"sip:ada@pbx.example.com"}}`, "application/json"},
		{ImportJSONRPC, "destination", "reception", "", `{"jsonrpc":"2.0","id":null,"result":{"destination":"reception"}}`, "application/json"},
	} {
		var id []byte
		if tc.id != "" {
			id = []byte(tc.id)
		}
		a := Render(tc.imp, tc.key, tc.dest, id)
		if a.Status != 200 || string(a.Body) != tc.want || a.ContentType != tc.ctyp {
			t.Errorf("Render(%s, %q, %q) = %d %q %s, want 200 %q %s", tc.imp, tc.key, tc.dest, a.Status, a.ContentType, a.Body, tc.ctyp, tc.want)
		}
	}
}

// TestRingostatOverRateLimit (issue 13): a source over server.limits.rate
// gets the default, never an error, counted as rate_limited.
func TestRingostatOverRateLimit(t *testing.T) {
	f := newRingoFixture(t, func(o *Options) { o.Default = "380440000000" }, func(o *server.Options) {
		o.Limits = server.LimitsConfig{Rate: 0.001, Burst: 1}
	})
	first := f.Do(http.MethodGet, ringoPath+"?caller="+ringtimetest.KnownCaller, "", nil)
	second := f.Do(http.MethodGet, ringoPath+"?caller="+ringtimetest.KnownCaller, "", nil)
	if first.Code != 200 || first.Body.String() != ringoKnownDest {
		t.Errorf("first = %d %q, want %s", first.Code, first.Body.String(), ringoKnownDest)
	}
	if second.Code != 200 || second.Body.String() != "380440000000" {
		t.Errorf("over the limit = %d %q, want the default", second.Code, second.Body.String())
	}
	if got := f.ringoFallbacks(t, "rate_limited"); got != 1 {
		t.Errorf("rate_limited fallbacks = %v, want 1", got)
	}
}
