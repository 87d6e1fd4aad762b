package ringostat

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"github.com/hashicorp/go-hclog"

	"github.com/switchboard-hq/switchboard/core/directory"
	"github.com/switchboard-hq/switchboard/core/lenient"
	"github.com/switchboard-hq/switchboard/core/ringtime"
	"github.com/switchboard-hq/switchboard/core/ringtime/ringtimetest"
	"github.com/switchboard-hq/switchboard/core/routing"
	"github.com/switchboard-hq/switchboard/core/server"
	"github.com/switchboard-hq/switchboard/core/server/servertest"
)

const fuzzDefault = "100"

// fuzzRouter sends found callers to ringoKnownDest and anyone else to def,
// without remembering anything (a fuzz run serves millions of requests).
type fuzzRouter struct{ def string }

func (r fuzzRouter) Decide(res directory.Result, _ routing.Call, target string) routing.Decision {
	if res.Found {
		return routing.Decision{Target: target, Destination: ringoKnownDest, Rule: "manager"}
	}
	return routing.Decision{Target: target, Destination: r.def, Default: true}
}

var (
	fuzzSubmissions = []Submission{SubmissionAuto, SubmissionHTTP, SubmissionJSON, SubmissionJSONRPC}
	fuzzImports     = []Import{ImportText, ImportJSON, ImportJSONRPC}
	fuzzMethods     = []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodDelete, http.MethodPatch, "BREW"}
)

// fuzzConfig is one endpoint configuration the fuzz targets pick from.
type fuzzConfig struct {
	opts Options
	srv  *servertest.Fixture
}

// fuzzConfigs builds every submission × import × default (none or
// fuzzDefault) × JSON-RPC method (any or "route").
func fuzzConfigs(f *testing.F) []*fuzzConfig {
	var cs []*fuzzConfig
	for _, sub := range fuzzSubmissions {
		for _, imp := range fuzzImports {
			for i, def := range []string{"", fuzzDefault} {
				o := Options{Default: def, Router: fuzzRouter{def: def},
					Directory: &ringtimetest.Directory{LookupFn: func(_ context.Context, raw string) directory.Result {
						return ringtimetest.KnownLookup(raw)
					}}}
				o.Submission, o.Import = sub, imp
				if i == 1 {
					o.JSONRPCMethod = "route"
				}
				m, err := New(o)
				if err != nil {
					f.Fatal(err)
				}
				o, _ = o.withDefaults()
				cs = append(cs, &fuzzConfig{opts: o, srv: servertest.New(f, server.Options{Config: unlimited(), Mounts: []server.Mount{m}, Logger: hclog.NewNullLogger()})})
			}
		}
	}
	return cs
}

// unlimited is a server section whose per-source rate limit a fuzz run,
// which sends millions of requests from one address, never reaches: a
// 429 would break the "answered the same every time" check.
func unlimited() server.Config {
	c := server.DefaultConfig()
	c.Limits.Rate, c.Limits.Burst = 1e9, 1e9
	return c
}

// fuzzRequests are (content type, query, body) seeds: the tests' requests
// in every submission type, and edge cases.
var fuzzRequests = [][3]string{
	{"", "caller=%2B905061234567&call_id=pkv&uuid=842d921d", ""},
	{"application/x-www-form-urlencoded", "", "caller=%2B905061234567&call_id=pkv"},
	{"", "", "caller=+905061234567"},
	{"application/json", "", `{"call_id":"pkv","step_forward":"webhookNumber%3A120","uuid":"842d921d","google_id":"UA-1","caller":"+905061234567"}`},
	{"application/json", "", `{"jsonrpc":"2.0","method":"route","params":{"caller":"+905061234567","call_id":"pkv"},"id":7}`},
	{"application/json", "", `{"jsonrpc":"2.0","method":"route","params":["+905061234567"],"id":"a"}`},
	{"application/json", "", `{"jsonrpc":"2.0","method":"route","params":[{"caller":905061234567}],"id":null}`},
	{"application/json", "", `{"jsonrpc":"2.0","method":"route","params":{"caller":"+905061234567"}}`},
	{"application/json", "", `{"jsonrpc":"2.0","method":"other","params":{},"id":1e400}`},
	{"application/json", "", `[{"jsonrpc":"2.0","method":"route","params":{"caller":"1"},"id":1}]`},
	{"application/json", "", `{"jsonrpc":"1.0","id":{"x":1}}`},
	{"application/json", "caller=%2B905061234567", `{"call_id":"pkv"}`},
	{"", "", `{"Caller":"1","CALLER":"+905061234567"}`},
	{"", "Caller=1&CALLER=%2B905061234567", ""},
	{"", "caller=%2B905061234567&caller=%2B905061234567", ""},
	{"", "", `{"caller":"+905061234567","caller":"+905061234567"}`},
	{"application/json", "", `{"jsonrpc":"2.0","method":"route","params":{"caller":"+905061234567","CALLER":"1"},"id":7}`},
	{"application/x-www-form-urlencoded", "", "caller=%2B905061234567&Caller=1"},
	{"", "", `{"caller":"%2B905061234567%"}`},
	{"", "", `{"caller":"\u0000+905061234567\r\n"}`},
	{"", "", "{\"caller\":\"\xff\"}"},
	{"", "", `{"caller":99999999999999999999999999e99999}`},
	{"", "", `{"caller":true}`},
	{"", "caller=%zz", "caller=%zz"},
	{"application/json", "", ``},
	{"application/json", "", `null`},
	{"", "", "\x00"},
	{"text/plain", "", strings.Repeat("caller=1&", 200)},
}

// FuzzRingostatRequest sends arbitrary requests (method, content type,
// query, body, the Caller and X-Caller headers) to every configuration.
// Whatever they are, an allowed method is answered 200 with a valid body
// in the import's format (or 204 with none, for a JSON-RPC notification
// when the import is jsonrpc), naming no destination, the default, or the
// known caller's; the same request is answered the same way every time.
func FuzzRingostatRequest(f *testing.F) {
	cs := fuzzConfigs(f)
	for i, r := range fuzzRequests {
		f.Add(uint8(i), uint8(i), r[0], r[1], []byte(r[2]), "", "")
	}
	f.Add(uint8(0), uint8(1), "", "", []byte(nil), "+905061234567", "")
	f.Add(uint8(0), uint8(1), "", "", []byte(nil), "1", "+905061234567")
	// Submission and import jsonrpc: an object that is no JSON-RPC request
	// once passed for a notification (204).
	f.Add(uint8(22), uint8(1), "", "", []byte(`{}`), "", "")
	f.Fuzz(func(t *testing.T, config, method uint8, contentType, query string, body []byte, caller, xCaller string) {
		c := cs[int(config)%len(cs)]
		m := fuzzMethods[int(method)%len(fuzzMethods)]
		build := func() *http.Request {
			req := httptest.NewRequest(m, ringoPath, bytes.NewReader(body))
			req.URL.RawQuery = query
			if contentType != "" {
				req.Header.Set("Content-Type", contentType)
			}
			if caller != "" {
				req.Header.Set("Caller", caller)
			}
			if xCaller != "" {
				req.Header.Set("X-Caller", xCaller)
			}
			return req
		}
		where := fmt.Sprintf("%s/%s %s ?%q %q (Caller %q, X-Caller %q)", c.opts.Submission, c.opts.Import, m, query, body, caller, xCaller)

		// The reader alone: deterministic, and its caller trimmed.
		req, perr := parseRequest(build(), body, &c.opts)
		for range 4 { // map order is random: a case-insensitive reader must not depend on it
			again, perr2 := parseRequest(build(), body, &c.opts)
			if !reflect.DeepEqual(req, again) || !reflect.DeepEqual(perr, perr2) {
				t.Fatalf("%s: read %+v (%v), then %+v (%v)", where, req, perr, again, perr2)
			}
		}
		if req.call.Caller != strings.TrimSpace(req.call.Caller) || req.call.UUID != strings.TrimSpace(req.call.UUID) {
			t.Fatalf("%s: caller %q, uuid %q not trimmed", where, req.call.Caller, req.call.UUID)
		}

		rec := c.srv.Serve(build())
		if !containsString(c.opts.Methods, m) {
			if rec.Code != http.StatusMethodNotAllowed {
				t.Fatalf("%s: status %d, want 405", where, rec.Code)
			}
			return
		}
		dest := checkRingostatAnswer(t, where, c, body, rec)
		again := c.srv.Serve(build())
		if again.Code != rec.Code || again.Body.String() != rec.Body.String() {
			t.Fatalf("%s: answered %d %q, then %d %q", where, rec.Code, rec.Body.String(), again.Code, again.Body.String())
		}
		if dest == nil {
			return
		}
		want := c.opts.Default
		if perr == nil && len(body) <= 1024 && ringtimetest.KnownLookup(req.call.Caller).Found {
			want = ringoKnownDest
		}
		if *dest != want {
			t.Fatalf("%s: destination %q, want %q (read %+v, %v)", where, *dest, want, req.call, perr)
		}
	})
}

// checkRingostatAnswer fails unless rec is a valid answer in c's import
// format, and returns its destination (nil for a JSON-RPC error or a
// notification).
func checkRingostatAnswer(t *testing.T, where string, c *fuzzConfig, body []byte, rec *httptest.ResponseRecorder) *string {
	t.Helper()
	ct := rec.Header().Get("Content-Type")
	if rec.Code == http.StatusNoContent && c.opts.Import == ImportJSONRPC {
		if rec.Body.Len() != 0 || ct != "" {
			t.Fatalf("%s: 204 with %q %q", where, ct, rec.Body.String())
		}
		var call map[string]json.RawMessage
		if json.Unmarshal(bytes.TrimSpace(body), &call) != nil || call["jsonrpc"] == nil || call["id"] != nil {
			t.Fatalf("%s: 204 for a request that is not a JSON-RPC notification", where)
		}
		return nil
	}
	if rec.Code != http.StatusOK {
		t.Fatalf("%s: status %d (%q), want 200", where, rec.Code, rec.Body.String())
	}
	var dest string
	switch c.opts.Import {
	case ImportText:
		if ct != textPlain {
			t.Fatalf("%s: Content-Type %q", where, ct)
		}
		dest = rec.Body.String()
	case ImportJSON:
		var got map[string]string
		if ct != "application/json" || json.Unmarshal(rec.Body.Bytes(), &got) != nil || len(got) != 1 {
			t.Fatalf("%s: %q %q is not a one-member JSON object", where, ct, rec.Body.String())
		}
		d, ok := got[c.opts.ResponseKey]
		if !ok {
			t.Fatalf("%s: %q has no %q", where, rec.Body.String(), c.opts.ResponseKey)
		}
		dest = d
	case ImportJSONRPC:
		var got struct {
			JSONRPC string
			ID      json.RawMessage
			Result  map[string]string
			Error   *rpcError
		}
		if ct != "application/json" || json.Unmarshal(rec.Body.Bytes(), &got) != nil || got.JSONRPC != "2.0" || got.ID == nil ||
			(got.Result == nil) == (got.Error == nil) {
			t.Fatalf("%s: %q %q is not a JSON-RPC response", where, ct, rec.Body.String())
		}
		if string(got.ID) != "null" {
			var call map[string]json.RawMessage
			if json.Unmarshal(bytes.TrimSpace(body), &call) != nil || string(bytes.TrimSpace(call["id"])) != string(got.ID) {
				t.Fatalf("%s: response id %s is not the request's", where, got.ID)
			}
		}
		if got.Error != nil {
			if got.Error.Message == "" || !containsInt([]int{rpcParseError, rpcInvalidRequest, rpcMethodNotFound, rpcInvalidParams}, got.Error.Code) {
				t.Fatalf("%s: error %+v", where, got.Error)
			}
			return nil
		}
		d, ok := got.Result[c.opts.ResponseKey]
		if !ok || len(got.Result) != 1 {
			t.Fatalf("%s: result %v", where, got.Result)
		}
		dest = d
	}
	if dest != "" && !answerable(dest) {
		t.Fatalf("%s: destination %q is not answerable", where, dest)
	}
	return &dest
}

func containsString(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func containsInt(list []int, n int) bool {
	for _, v := range list {
		if v == n {
			return true
		}
	}
	return false
}

// TestRingostatSpellings: a parameter written twice, in any case, in the
// place it is taken from makes the request ambiguous: it is refused the
// same way every time (the reader once took one spelling by map order,
// then the first in byte order). Where the name is written once, the
// documented precedence holds: query, form, headers; a header as name,
// then X-name.
func TestRingostatSpellings(t *testing.T) {
	opts, _ := Options{}.withDefaults()
	phoneOpts, _ := Options{Config: Config{NumberParam: "phone_from"}}.withDefaults()
	withHeaders := func(r *http.Request, kv ...string) *http.Request {
		for i := 0; i < len(kv); i += 2 {
			r.Header[kv[i]] = append(r.Header[kv[i]], kv[i+1])
		}
		return r
	}
	get := func(target string) *http.Request { return httptest.NewRequest(http.MethodGet, ringoPath+target, nil) }
	post := func(target, ct, body string) *http.Request {
		r := httptest.NewRequest(http.MethodPost, ringoPath+target, strings.NewReader(body))
		if ct != "" {
			r.Header.Set("Content-Type", ct)
		}
		return r
	}
	for _, tc := range []struct {
		name  string
		opts  *Options
		build func() *http.Request
		want  string // the caller read; "" means ambiguous
	}{
		{"json case", &opts, func() *http.Request { return post("", "", `{"CALLER":"1","Caller":"2"}`) }, ""},
		{"json exact repeat", &opts, func() *http.Request { return post("", "", `{"caller":"1","caller":"1"}`) }, ""},
		{"json uuid", &opts, func() *http.Request { return post("", "", `{"caller":"1","uuid":"a","Uuid":"b"}`) }, ""},
		{"json nested", &opts, func() *http.Request { return post("", "", `{"caller":"1","extra":{"a":1,"A":2}}`) }, ""},
		{"jsonrpc params", &opts, func() *http.Request {
			return post("", "", `{"jsonrpc":"2.0","method":"route","params":{"caller":"1","Caller":"2"},"id":1}`)
		}, ""},
		{"jsonrpc envelope", &opts, func() *http.Request {
			return post("", "", `{"jsonrpc":"2.0","method":"route","Method":"other","params":{"caller":"1"},"id":1}`)
		}, ""},
		{"query case", &opts, func() *http.Request { return get("?Caller=2&CALLER=1") }, ""},
		{"query exact repeat", &opts, func() *http.Request { return get("?caller=1&caller=2") }, ""},
		{"query uuid", &opts, func() *http.Request { return get("?caller=1&uuid=a&UUID=b") }, ""},
		{"query call_id", &opts, func() *http.Request { return get("?caller=1&call_id=a&Call_Id=b") }, ""},
		{"form case", &opts, func() *http.Request { return post("", "application/x-www-form-urlencoded", "caller=1&Caller=2") }, ""},
		{"header repeated", &opts, func() *http.Request { return withHeaders(get(""), "Caller", "1", "Caller", "2") }, ""},
		{"header '_' and '-'", &phoneOpts, func() *http.Request {
			return withHeaders(get(""), "Phone-From", "1", "Phone_from", "2")
		}, ""},
		{"X-header repeated", &opts, func() *http.Request { return withHeaders(get(""), "X-Caller", "1", "X-Caller", "2") }, ""},
		{"json body, number in an ambiguous query", &opts, func() *http.Request { return post("?caller=1&Caller=2", "", `{"uuid":"u"}`) }, ""},

		{"one spelling, any case", &opts, func() *http.Request { return get("?CALLER=1") }, "1"},
		{"query over form", &opts, func() *http.Request {
			return post("?caller=1", "application/x-www-form-urlencoded", "caller=2&Caller=3")
		}, "1"},
		{"query over headers", &opts, func() *http.Request { return withHeaders(get("?caller=1"), "Caller", "2", "Caller", "3") }, "1"},
		{"header over X-header", &opts, func() *http.Request { return withHeaders(get(""), "X-Caller", "2", "Caller", "1") }, "1"},
		{"json over query", &opts, func() *http.Request { return post("?caller=2&Caller=3", "", `{"Caller":"1"}`) }, "1"},
		{"other parameters repeated", &opts, func() *http.Request { return get("?caller=1&tag=a&tag=b&Tag=c") }, "1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for range 20 {
				r := tc.build()
				body, _ := server.ReadBody(r)
				req, perr := parseRequest(r, body, tc.opts)
				if tc.want != "" {
					if perr != nil || req.call.Caller != tc.want {
						t.Fatalf("caller %q (%v), want %q", req.call.Caller, perr, tc.want)
					}
					continue
				}
				if perr == nil || perr.problem != lenient.ProblemDuplicateKey || perr.reason != ringtime.FallbackMalformed ||
					perr.code != rpcInvalidRequest || req.call.Caller != "" {
					t.Fatalf("read %+v (%+v), want an ambiguous, malformed request and no caller read", req.call, perr)
				}
				if !strings.Contains(perr.msg, "twice") && !strings.Contains(perr.msg, "times") {
					t.Fatalf("message %q does not say what is repeated", perr.msg)
				}
			}
		})
	}
}
