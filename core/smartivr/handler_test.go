package smartivr

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-hq/switchboard/core/directory"
	"github.com/switchboard-hq/switchboard/core/lenient"
	"github.com/switchboard-hq/switchboard/core/ringtime"
	"github.com/switchboard-hq/switchboard/core/ringtime/ringtimetest"
	"github.com/switchboard-hq/switchboard/core/routing"
	"github.com/switchboard-hq/switchboard/core/server"
	"github.com/switchboard-hq/switchboard/core/server/servertest"
)

func TestSmartIVRAuth(t *testing.T) {
	const body = `{"caller":"+905061234567","uuid":"u-1"}`
	tests := []struct {
		name       string
		configured bool
		header     http.Header
		wantCode   int
		wantAuth   string // the auth problem logged, "" for none
	}{
		{name: "not configured, no header", configured: false, header: nil, wantCode: 200},
		{name: "not configured, header ignored", configured: false, header: servertest.BasicHeader("x", "y"), wantCode: 200},
		{name: "right credentials", configured: true, header: servertest.BasicHeader("ivr-user-Q7", "s3cret-pw"), wantCode: 200},
		{name: "wrong username", configured: true, header: servertest.BasicHeader("ivr-user-Q", "s3cret-pw"), wantCode: 401, wantAuth: "wrong"},
		{name: "wrong password", configured: true, header: servertest.BasicHeader("ivr-user-Q7", "s3cret-pX"), wantCode: 401, wantAuth: "wrong"},
		{name: "password prefix", configured: true, header: servertest.BasicHeader("ivr-user-Q7", "s3cret"), wantCode: 401, wantAuth: "wrong"},
		{name: "both empty", configured: true, header: servertest.BasicHeader("", ""), wantCode: 401, wantAuth: "wrong"},
		{name: "missing header", configured: true, header: nil, wantCode: 401, wantAuth: "missing"},
		{name: "malformed base64", configured: true, header: http.Header{"Authorization": {"Basic !!!not-base64"}}, wantCode: 401, wantAuth: "malformed"},
		{name: "no colon", configured: true, header: http.Header{"Authorization": {"Basic " + base64.StdEncoding.EncodeToString([]byte("ivr-user-Q7s3cret-pw"))}}, wantCode: 401, wantAuth: "malformed"},
		{name: "bearer scheme", configured: true, header: http.Header{"Authorization": {"Bearer s3cret-pw"}}, wantCode: 401, wantAuth: "malformed"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var opts []fixtureOption
			if tc.configured {
				opts = append(opts, withAuth("ivr-user-Q7", "s3cret-pw"))
			}
			f := newFixture(t, opts...)
			rec := f.Do(http.MethodPost, defaultPath, body, tc.header)

			failures := f.Metric(t, "switchboard_http_auth_failures_total", map[string]string{"endpoint": "smart_ivr"})
			if tc.wantCode == http.StatusOK {
				wantExtension(t, rec, knownExt)
				if failures != 0 {
					t.Errorf("auth failures = %v, want 0", failures)
				}
				return
			}
			if rec.Code != tc.wantCode {
				t.Fatalf("status = %d, want %d", rec.Code, tc.wantCode)
			}
			if got := rec.Header().Get("WWW-Authenticate"); got != `Basic realm="switchboard"` {
				t.Errorf("WWW-Authenticate = %q", got)
			}
			if strings.Contains(rec.Body.String(), "extension") {
				t.Errorf("401 body %q must not route the call", rec.Body.String())
			}
			if failures != 1 {
				t.Errorf("auth failures = %v, want 1", failures)
			}
			if n := len(f.dir.Calls()); n != 0 {
				t.Errorf("directory asked %d times for an unauthenticated request", n)
			}
			lines := f.RequestLines(t)
			if len(lines) != 1 || lines[0]["auth"] != tc.wantAuth {
				t.Errorf("request log lines = %v, want one with auth=%q", lines, tc.wantAuth)
			}
			if logs := string(f.Logs.Bytes()); strings.Contains(logs, "s3cret") || strings.Contains(logs, "ivr-user-Q") {
				t.Errorf("credentials leaked into the log: %s", logs)
			}
		})
	}
}

func TestSmartIVRBodies(t *testing.T) {
	huge := `{"caller":"+905061234567","pad":"` + strings.Repeat("x", 2000) + `"}`
	tests := []struct {
		name         string
		body         string
		wantExt      string
		wantFallback string        // reason counted, "" for none
		wantAsked    string        // number the directory was asked, "" for not asked
		wantCall     *routing.Call // call the router saw, nil to skip
	}{
		{name: "full request", body: `{"caller":"+905061234567","number":"+902581234567","timestamp":1774427991,"uuid":"a2b7bf8f"}`,
			wantExt: knownExt, wantAsked: "+905061234567",
			wantCall: &routing.Call{Caller: "+905061234567", Number: "+902581234567", Timestamp: 1774427991, UUID: "a2b7bf8f"}},
		{name: "caller without plus", body: `{"caller":"905061234567"}`, wantExt: knownExt, wantAsked: "905061234567"},
		{name: "caller as JSON number", body: `{"caller":905061234567,"number":902581234567}`, wantExt: knownExt, wantAsked: "905061234567",
			wantCall: &routing.Call{Caller: "905061234567", Number: "902581234567"}},
		{name: "timestamp as string", body: `{"caller":"+905061234567","timestamp":"1774427991"}`, wantExt: knownExt, wantAsked: "+905061234567",
			wantCall: &routing.Call{Caller: "+905061234567", Timestamp: 1774427991}},
		{name: "timestamp with fraction", body: `{"caller":"+905061234567","timestamp":1774427991.75}`, wantExt: knownExt, wantAsked: "+905061234567",
			wantCall: &routing.Call{Caller: "+905061234567", Timestamp: 1774427991}},
		{name: "bad timestamp ignored", body: `{"caller":"+905061234567","timestamp":"yesterday"}`, wantExt: knownExt, wantAsked: "+905061234567",
			wantCall: &routing.Call{Caller: "+905061234567"}},
		{name: "unknown fields ignored", body: `{"caller":"+905061234567","direction":"in","extra":{"a":[1,2]}}`, wantExt: knownExt, wantAsked: "+905061234567"},
		{name: "keys in other case", body: `{"Caller":"+905061234567","UUID":"U"}`, wantExt: knownExt, wantAsked: "+905061234567",
			wantCall: &routing.Call{Caller: "+905061234567", UUID: "U"}},
		{name: "unknown caller routes default", body: `{"caller":"+441234567890"}`, wantExt: testDefaultExt, wantAsked: "+441234567890"},
		{name: "invalid number", body: `{"caller":"anonymous"}`, wantExt: testDefaultExt, wantFallback: ringtime.FallbackInvalidNumber, wantAsked: "anonymous"},
		{name: "empty caller is looked up", body: `{"caller":""}`, wantExt: testDefaultExt, wantFallback: ringtime.FallbackInvalidNumber, wantAsked: ""},
		{name: "not JSON", body: `caller=+905061234567`, wantExt: testDefaultExt, wantFallback: ringtime.FallbackMalformed},
		{name: "empty body", body: ``, wantExt: testDefaultExt, wantFallback: ringtime.FallbackMalformed},
		{name: "truncated JSON", body: `{"caller":"+9050612`, wantExt: testDefaultExt, wantFallback: ringtime.FallbackMalformed},
		{name: "trailing garbage", body: `{"caller":"+905061234567"} x`, wantExt: testDefaultExt, wantFallback: ringtime.FallbackMalformed},
		{name: "JSON array", body: `[{"caller":"+905061234567"}]`, wantExt: testDefaultExt, wantFallback: ringtime.FallbackMalformed},
		{name: "JSON string", body: `"+905061234567"`, wantExt: testDefaultExt, wantFallback: ringtime.FallbackMalformed},
		{name: "JSON null", body: `null`, wantExt: testDefaultExt, wantFallback: ringtime.FallbackMalformed},
		{name: "caller missing", body: `{"number":"+902581234567","uuid":"u"}`, wantExt: testDefaultExt, wantFallback: ringtime.FallbackMalformed},
		{name: "caller null", body: `{"caller":null}`, wantExt: testDefaultExt, wantFallback: ringtime.FallbackMalformed},
		{name: "caller boolean", body: `{"caller":true}`, wantExt: testDefaultExt, wantFallback: ringtime.FallbackMalformed},
		{name: "caller object", body: `{"caller":{"n":"+905061234567"}}`, wantExt: testDefaultExt, wantFallback: ringtime.FallbackMalformed},
		{name: "huge body over limit", body: huge, wantExt: testDefaultExt, wantFallback: ringtime.FallbackOversize},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			wantExtension(t, f.ivr(tc.body), tc.wantExt)

			for _, reason := range []string{ringtime.FallbackMalformed, ringtime.FallbackInvalidNumber, ringtime.FallbackDeadline, ringtime.FallbackPanic, ringtime.FallbackLookupError, ringtime.FallbackOversize} {
				want := 0.0
				if reason == tc.wantFallback {
					want = 1
				}
				if got := f.fallbacks(t, reason); got != want {
					t.Errorf("fallbacks{reason=%q} = %v, want %v", reason, got, want)
				}
			}
			asked := f.dir.Calls()
			switch {
			case tc.wantFallback == ringtime.FallbackMalformed || tc.wantFallback == ringtime.FallbackOversize:
				if len(asked) != 0 {
					t.Errorf("directory asked %q for a rejected body", asked)
				}
			case len(asked) != 1 || asked[0] != tc.wantAsked:
				t.Errorf("directory asked %q, want [%q]", asked, tc.wantAsked)
			}
			if tc.wantCall != nil {
				seen := f.router.seen()
				if len(seen) != 1 || seen[0] != *tc.wantCall {
					t.Errorf("router saw %+v, want [%+v]", seen, *tc.wantCall)
				}
			}
			lines := f.RequestLines(t)
			if len(lines) != 1 {
				t.Fatalf("got %d request log lines, want 1: %v", len(lines), lines)
			}
			if got := lines[0]["extension"]; got != tc.wantExt {
				t.Errorf("logged extension %v, want %q", got, tc.wantExt)
			}
			if tc.wantFallback != "" && lines[0]["fallback"] != tc.wantFallback {
				t.Errorf("logged fallback %v, want %q", lines[0]["fallback"], tc.wantFallback)
			}
		})
	}
}

// TestSmartIVRDuplicateKeys: a body holding a key twice (compared
// case-insensitively) is ambiguous: it is answered the default extension,
// never looked up, counted as malformed and logged problem=duplicate_key,
// whichever spelling would name a known caller.
func TestSmartIVRDuplicateKeys(t *testing.T) {
	for _, body := range []string{
		`{"caller":"+905061234567","Caller":"+441234567890"}`,
		`{"Caller":"+441234567890","caller":"+905061234567"}`,
		`{"CALLER":"+905061234567","caller":"+905061234567"}`,
		`{"caller":"+905061234567","caller":"+905061234567"}`,
		`{"caller":"+905061234567","uuid":"a","UUID":"b"}`,
		`{"caller":"+905061234567","extra":{"list":[{"k":1,"K":2}]}}`,
	} {
		t.Run(body, func(t *testing.T) {
			f := newFixture(t)
			wantExtension(t, f.ivr(body), testDefaultExt)
			if got := f.fallbacks(t, ringtime.FallbackMalformed); got != 1 {
				t.Errorf("fallbacks{reason=malformed} = %v, want 1", got)
			}
			if asked := f.dir.Calls(); len(asked) != 0 {
				t.Errorf("directory asked %q for an ambiguous body", asked)
			}
			lines := f.RequestLines(t)
			if len(lines) != 1 {
				t.Fatalf("got %d request log lines, want 1: %v", len(lines), lines)
			}
			l := lines[0]
			if l["problem"] != lenient.ProblemDuplicateKey || l["fallback"] != ringtime.FallbackMalformed || l["extension"] != testDefaultExt {
				t.Errorf("log line %v, want problem=duplicate_key, fallback=malformed, the default extension", l)
			}
			if reason := fmt.Sprint(l["reason"]); !strings.Contains(reason, "twice") {
				t.Errorf("logged reason %q does not say a key is there twice", reason)
			}
		})
	}
}

func TestSmartIVRUnknownKeysLoggedAtDebug(t *testing.T) {
	f := newFixture(t)
	wantExtension(t, f.ivr(`{"caller":"+905061234567","zeta":1,"alpha":"x","timestamp":"soon"}`), knownExt)
	for _, l := range f.LogLines(t) {
		if l["@message"] != "ignoring parts of the request" {
			continue
		}
		if l["@level"] != "debug" {
			t.Errorf("unknown keys logged at %v, want debug", l["@level"])
		}
		if fmt.Sprint(l["unknown_keys"]) != "[alpha zeta]" {
			t.Errorf("unknown_keys = %v, want [alpha zeta]", l["unknown_keys"])
		}
		if !strings.Contains(fmt.Sprint(l["ignored_values"]), "timestamp") {
			t.Errorf("ignored_values = %v, want the bad timestamp", l["ignored_values"])
		}
		return
	}
	t.Fatalf("no debug line about unknown keys in %s", f.Logs.Bytes())
}

func TestSmartIVRDecisionOutcomes(t *testing.T) {
	tests := []struct {
		name         string
		lookup       func(ctx context.Context, raw string) directory.Result
		decide       func(res directory.Result, call routing.Call) routing.Decision
		wantExt      string
		wantFallback string
		wantOutcome  string
	}{
		{name: "rule matched", wantExt: knownExt, wantOutcome: ringtime.OutcomeRule},
		{name: "lookup errors then default", wantExt: testDefaultExt, wantFallback: ringtime.FallbackLookupError, wantOutcome: ringtime.OutcomeFallback,
			lookup: func(context.Context, string) directory.Result {
				return directory.Result{Via: directory.ViaNone, Errors: []directory.SourceError{{Source: "crm", Err: errors.New("503")}}}
			}},
		{name: "found despite an earlier source error", wantExt: knownExt, wantOutcome: ringtime.OutcomeRule,
			lookup: func(_ context.Context, raw string) directory.Result {
				res := ringtimetest.KnownLookup(raw)
				res.Errors = []directory.SourceError{{Source: "crm", Err: errors.New("timeout")}}
				return res
			}},
		{name: "ambiguous default is no fallback", wantExt: testDefaultExt, wantOutcome: ringtime.OutcomeDefault,
			lookup: func(context.Context, string) directory.Result {
				return directory.Result{Ambiguous: true, Via: directory.ViaIndex}
			}},
		{name: "rule may route an invalid number", wantExt: "300", wantOutcome: ringtime.OutcomeRule,
			lookup: func(context.Context, string) directory.Result {
				return directory.Result{InvalidNumber: errors.New("bad"), Via: directory.ViaNone}
			},
			decide: func(directory.Result, routing.Call) routing.Decision {
				return routing.Decision{Destination: "300", Rule: "anonymous"}
			}},
		{name: "router returns empty extension", wantExt: testDefaultExt, wantOutcome: ringtime.OutcomeFallback,
			decide: func(directory.Result, routing.Call) routing.Decision { return routing.Decision{} }},
		{name: "extension needing JSON escaping", wantExt: `1"2`, wantOutcome: ringtime.OutcomeRule,
			decide: func(directory.Result, routing.Call) routing.Decision {
				return routing.Decision{Destination: `1"2`, Rule: "odd"}
			}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			f.dir.LookupFn, f.router.decideFn = tc.lookup, tc.decide
			wantExtension(t, f.ivr(`{"caller":"+905061234567","uuid":"u-7"}`), tc.wantExt)
			if tc.wantFallback != "" {
				if got := f.fallbacks(t, tc.wantFallback); got != 1 {
					t.Errorf("fallbacks{%s} = %v, want 1", tc.wantFallback, got)
				}
			}
			lines := f.RequestLines(t)
			if len(lines) != 1 {
				t.Fatalf("got %d request log lines, want 1", len(lines))
			}
			if lines[0]["outcome"] != tc.wantOutcome {
				t.Errorf("logged outcome %v, want %q", lines[0]["outcome"], tc.wantOutcome)
			}
		})
	}
}

func TestSmartIVRDeadline(t *testing.T) {
	const deadline = 100 * time.Millisecond
	f := newFixture(t, withDeadline(deadline))
	lookupDone := make(chan error, 1)
	release := make(chan struct{}) // see TestSmartIVRClientGone
	t.Cleanup(func() { close(release) })
	f.dir.LookupFn = func(ctx context.Context, _ string) directory.Result {
		<-ctx.Done()
		lookupDone <- ctx.Err()
		<-release
		return directory.Result{}
	}

	start := time.Now()
	rec := f.ivr(`{"caller":"+905061234567"}`)
	elapsed := time.Since(start)

	wantExtension(t, rec, testDefaultExt)
	if elapsed < deadline || elapsed > deadline+50*time.Millisecond {
		t.Errorf("answered after %v, want within [%v, %v]", elapsed, deadline, deadline+50*time.Millisecond)
	}
	if got := f.fallbacks(t, ringtime.FallbackDeadline); got != 1 {
		t.Errorf("fallbacks{deadline} = %v, want 1", got)
	}
	select {
	case err := <-lookupDone:
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("lookup context ended with %v, want deadline exceeded", err)
		}
	case <-time.After(time.Second):
		t.Fatal("the lookup goroutine was never released: it leaks")
	}
}

func TestSmartIVRClientGone(t *testing.T) {
	f := newFixture(t, withDeadline(time.Second))
	started := make(chan struct{})
	// The lookup outlives the client: returning as soon as ctx is done would
	// race the handler's own ctx.Done case (both ready, either may win).
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	f.dir.LookupFn = func(ctx context.Context, _ string) directory.Result {
		close(started)
		<-ctx.Done()
		<-release
		return directory.Result{}
	}
	ctx, cancel := context.WithCancel(context.Background())
	req := httptest.NewRequestWithContext(ctx, http.MethodPost, defaultPath, strings.NewReader(`{"caller":"1"}`))
	go func() { <-started; cancel() }()
	rec := httptest.NewRecorder()
	f.Srv.Handler().ServeHTTP(rec, req)
	wantExtension(t, rec, testDefaultExt)
	if got := f.RequestLines(t)[0]["reason"]; got != "client went away before a decision" {
		t.Errorf("logged reason %v", got)
	}
}

// panicReader panics when the handler reads the body, to reach the
// recovery middleware outside the lookup goroutine.
type panicReader struct{}

func (panicReader) Read([]byte) (int, error) { panic("body reader exploded") }

func TestSmartIVRPanics(t *testing.T) {
	tests := []struct {
		name   string
		lookup func(ctx context.Context, raw string) directory.Result
		decide func(res directory.Result, call routing.Call) routing.Decision
		body   func() *http.Request
	}{
		{name: "in Lookup", lookup: func(context.Context, string) directory.Result { panic("lookup exploded") }},
		{name: "in Decide", decide: func(directory.Result, routing.Call) routing.Decision { panic(errors.New("decide exploded")) }},
		{name: "in the handler", body: func() *http.Request {
			return httptest.NewRequest(http.MethodPost, defaultPath, panicReader{})
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			f.dir.LookupFn, f.router.decideFn = tc.lookup, tc.decide
			req := httptest.NewRequest(http.MethodPost, defaultPath, strings.NewReader(`{"caller":"+905061234567"}`))
			if tc.body != nil {
				req = tc.body()
			}
			rec := httptest.NewRecorder()
			f.Srv.Handler().ServeHTTP(rec, req)
			wantExtension(t, rec, testDefaultExt)
			if got := f.fallbacks(t, ringtime.FallbackPanic); got != 1 {
				t.Errorf("fallbacks{panic} = %v, want 1", got)
			}
			lines := f.RequestLines(t)
			if len(lines) != 1 {
				t.Fatalf("got %d request log lines, want 1", len(lines))
			}
			if lines[0]["@level"] != "error" || !strings.Contains(fmt.Sprint(lines[0]["panic"]), "exploded") || lines[0]["stack"] == nil {
				t.Errorf("panic not logged at error with value and stack: %v", lines[0])
			}
		})
	}
}

func TestSmartIVRLogLine(t *testing.T) {
	f := newFixture(t, withAuth("ivr-user-Q7", "s3cret-pw"))
	rec := f.Do(http.MethodPost, defaultPath, `{"caller":"905061234567","uuid":"a2b7bf8f"}`, servertest.BasicHeader("ivr-user-Q7", "s3cret-pw"))
	wantExtension(t, rec, knownExt)
	lines := f.RequestLines(t)
	if len(lines) != 1 {
		t.Fatalf("got %d request log lines, want 1", len(lines))
	}
	want := map[string]any{
		"@level": "info", "endpoint": "smart_ivr", "status": "200",
		"caller": knownCaller, "caller_raw": "905061234567", "uuid": "a2b7bf8f",
		"extension": knownExt, "rule": "known", "source": "customers", "via": "index",
		"match": "exact", "outcome": ringtime.OutcomeRule,
	}
	for k, v := range want {
		if lines[0][k] != v {
			t.Errorf("log %s = %v, want %v", k, lines[0][k], v)
		}
	}
	for _, k := range []string{"duration", "reason"} {
		if _, ok := lines[0][k]; !ok {
			t.Errorf("log line lacks %q: %v", k, lines[0])
		}
	}
	if strings.Contains(string(f.Logs.Bytes()), "s3cret") {
		t.Error("password leaked into the log")
	}
}

func TestSmartIVRCustomPath(t *testing.T) {
	f := newFixture(t, func(s *setup) { s.ivr.Path = "/ivr" })
	wantExtension(t, f.Do(http.MethodPost, "/ivr", `{"caller":"+905061234567"}`, nil), knownExt)
	if rec := f.ivr(`{"caller":"+905061234567"}`); rec.Code != http.StatusNotFound {
		t.Errorf("default path answered %d with a custom path configured, want 404", rec.Code)
	}
}

func TestSmartIVRDisabled(t *testing.T) {
	f := newFixture(t, func(s *setup) { s.ivr = nil })
	if rec := f.ivr(`{"caller":"+905061234567"}`); rec.Code != http.StatusNotFound {
		t.Errorf("disabled Smart IVR answered %d, want 404", rec.Code)
	}
}

// TestSmartIVROverRateLimit (issue 13): a source over server.limits.rate
// gets the default extension, never an error, counted as rate_limited.
func TestSmartIVROverRateLimit(t *testing.T) {
	f := newFixture(t, withServer(func(o *server.Options) {
		o.Limits = server.LimitsConfig{Rate: 0.001, Burst: 2, Exempt: []string{"127.0.0.0/8"}}
	}))
	body := `{"caller":"` + knownCaller + `"}`
	wantExtension(t, f.ivr(body), knownExt)
	wantExtension(t, f.ivr(body), knownExt)
	wantExtension(t, f.ivr(body), testDefaultExt) // httptest's 192.0.2.1 is not exempt
	if got := f.fallbacks(t, "rate_limited"); got != 1 {
		t.Errorf("rate_limited fallbacks = %v, want 1", got)
	}
	if got := len(f.router.seen()); got != 2 {
		t.Errorf("the router saw %d calls; a limited ring must not reach it", got)
	}
}
