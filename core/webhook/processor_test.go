package webhook

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/switchboard-hq/switchboard/connectors/connectortest"
	"github.com/switchboard-hq/switchboard/core/server"
)

const testToken = "0123456789abcdef-token"

// recordingHandler wants call_init and remembers what it handled.
type recordingHandler struct {
	mu      sync.Mutex
	handled []string
	ended   []string
	block   chan struct{} // when set, Handle waits for it
	panics  bool
}

func (h *recordingHandler) Wants(ev *Event) bool { return ev.Name == CallInit }

func (h *recordingHandler) Handle(ctx context.Context, ev *Event) Result {
	if h.block != nil {
		select {
		case <-h.block:
		case <-ctx.Done():
			return Result{Outcome: OutcomeFailed, Reason: "cancelled"}
		}
	}
	if h.panics {
		panic("boom")
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	h.handled = append(h.handled, ev.UUID())
	return Result{Outcome: "pushed"}
}

func (h *recordingHandler) CallEnded(uuid string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.ended = append(h.ended, uuid)
}

func (h *recordingHandler) count() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.handled)
}

type fixture struct {
	p    *Processor
	h    *recordingHandler
	reg  *prometheus.Registry
	logs *connectortest.SyncBuffer
}

func newFixture(t *testing.T, mutate func(*Options)) *fixture {
	t.Helper()
	f := &fixture{h: &recordingHandler{}, reg: prometheus.NewRegistry(), logs: &connectortest.SyncBuffer{}}
	opts := Options{
		Auth:       AuthOptions{Token: testToken},
		Handler:    f.h,
		Registerer: f.reg,
		Logger:     hclog.New(&hclog.LoggerOptions{Output: f.logs, Level: hclog.Debug}),
	}
	if mutate != nil {
		mutate(&opts)
	}
	p, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	f.p = p
	return f
}

func (f *fixture) post(target, body string, mod ...func(*http.Request)) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodPost, target, strings.NewReader(body))
	req.RemoteAddr = "192.0.2.10:4242"
	req.Header.Set("Content-Type", "application/json")
	for _, m := range mod {
		m(req)
	}
	rec := httptest.NewRecorder()
	f.p.ServeHTTP(rec, req)
	return rec
}

func callInit(uuid string) string {
	return fmt.Sprintf(`{"event":"call_init","data":{"uuid":%q,"direction":"inbound","caller_number":"+442045205757"}}`, uuid)
}

func TestAuth(t *testing.T) {
	basic := func(u, p string) func(*http.Request) { return func(r *http.Request) { r.SetBasicAuth(u, p) } }
	from := func(addr string) func(*http.Request) { return func(r *http.Request) { r.RemoteAddr = addr } }
	cases := []struct {
		name   string
		auth   AuthOptions
		target string
		mod    []func(*http.Request)
		want   int
		reason string
	}{
		{"token in path", AuthOptions{Token: testToken}, "/hipcall/webhook/" + testToken, nil, 200, ""},
		{"token in query", AuthOptions{Token: testToken}, "/hipcall/webhook?token=" + testToken, nil, 200, ""},
		{"wrong token in path", AuthOptions{Token: testToken}, "/hipcall/webhook/" + testToken + "x", nil, 401, authTokenWrong},
		{"wrong token in query", AuthOptions{Token: testToken}, "/hipcall/webhook?token=nope", nil, 401, authTokenWrong},
		{"token prefix only", AuthOptions{Token: testToken}, "/hipcall/webhook/" + testToken[:8], nil, 401, authTokenWrong},
		{"token with a segment after it", AuthOptions{Token: testToken}, "/hipcall/webhook/" + testToken + "/x", nil, 401, authTokenWrong},
		{"no token", AuthOptions{Token: testToken}, "/hipcall/webhook", nil, 401, authTokenMissing},
		{"basic right", AuthOptions{Username: "hipcall", Password: "s3cret"}, "/hipcall/webhook", []func(*http.Request){basic("hipcall", "s3cret")}, 200, ""},
		{"basic wrong password", AuthOptions{Username: "hipcall", Password: "s3cret"}, "/hipcall/webhook", []func(*http.Request){basic("hipcall", "s3cre")}, 401, authBasicWrong},
		{"basic wrong user", AuthOptions{Username: "hipcall", Password: "s3cret"}, "/hipcall/webhook", []func(*http.Request){basic("hipcal", "s3cret")}, 401, authBasicWrong},
		{"basic missing", AuthOptions{Username: "hipcall", Password: "s3cret"}, "/hipcall/webhook", nil, 401, authBasicMissing},
		{"basic with a path segment", AuthOptions{Username: "hipcall", Password: "s3cret"}, "/hipcall/webhook/x", []func(*http.Request){basic("hipcall", "s3cret")}, 401, authTokenWrong},
		{"allowlist in", AuthOptions{AllowFrom: []netip.Prefix{netip.MustParsePrefix("192.0.2.0/24")}}, "/hipcall/webhook", nil, 200, ""},
		{"allowlist out", AuthOptions{AllowFrom: []netip.Prefix{netip.MustParsePrefix("198.51.100.0/24")}}, "/hipcall/webhook", nil, 403, authSourceDenied},
		{"allowlist IPv6", AuthOptions{AllowFrom: []netip.Prefix{netip.MustParsePrefix("::1/128")}}, "/hipcall/webhook", []func(*http.Request){from("[::1]:5000")}, 200, ""},
		{"allowlist IPv4-mapped", AuthOptions{AllowFrom: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}}, "/hipcall/webhook", []func(*http.Request){from("[::ffff:127.0.0.1]:5000")}, 200, ""},
		{"allowlist garbage address", AuthOptions{AllowFrom: []netip.Prefix{netip.MustParsePrefix("0.0.0.0/0")}}, "/hipcall/webhook", []func(*http.Request){from("pipe")}, 403, authSourceDenied},
		{"all three, all right", AuthOptions{Token: testToken, Username: "u", Password: "p", AllowFrom: []netip.Prefix{netip.MustParsePrefix("192.0.2.10/32")}},
			"/hipcall/webhook/" + testToken, []func(*http.Request){basic("u", "p")}, 200, ""},
		{"all three, basic wrong", AuthOptions{Token: testToken, Username: "u", Password: "p", AllowFrom: []netip.Prefix{netip.MustParsePrefix("192.0.2.10/32")}},
			"/hipcall/webhook/" + testToken, []func(*http.Request){basic("u", "x")}, 401, authBasicWrong},
		{"insecure", AuthOptions{InsecureNoAuth: true}, "/hipcall/webhook", nil, 200, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, func(o *Options) { o.Auth = tc.auth })
			rec := f.post(tc.target, callInit("u1"), tc.mod...)
			if rec.Code != tc.want {
				t.Fatalf("status %d, want %d (%s)", rec.Code, tc.want, rec.Body)
			}
			if tc.reason != "" {
				if got := value(f.p.metrics.authFailures.WithLabelValues(tc.reason)); got != 1 {
					t.Errorf("auth failures{reason=%s} = %v, want 1", tc.reason, got)
				}
				if strings.Contains(f.logs.String(), testToken) || strings.Contains(f.logs.String(), "s3cret") {
					t.Errorf("a secret reached the log:\n%s", f.logs)
				}
			}
			if tc.reason == authBasicMissing && rec.Header().Get("WWW-Authenticate") == "" {
				t.Error("401 for Basic Auth without WWW-Authenticate")
			}
		})
	}
}

func TestNewRequiresAuth(t *testing.T) {
	if _, err := New(Options{}); err == nil || !strings.Contains(err.Error(), "no authentication") {
		t.Errorf("New without auth: %v", err)
	}
	if _, err := New(Options{Auth: AuthOptions{Username: "u"}}); err == nil || !strings.Contains(err.Error(), "both") {
		t.Errorf("New with a user only: %v", err)
	}
}

func TestAnswers(t *testing.T) {
	f := newFixture(t, func(o *Options) { o.MaxBodyBytes = 256 })
	target := "/hipcall/webhook/" + testToken
	cases := []struct {
		name, body string
		want       int
		status     string
	}{
		{"known event, queued", callInit("a"), 200, "queued"},
		{"unknown event", `{"event":"voicemail_left","data":{}}`, 200, "ignored"},
		{"event the handler does not want", `{"event":"call_bridged","data":{"uuid":"a"}}`, 200, "ignored"},
		{"legacy", `{"event_type":"call::init","uuid":"b","direction":"inbound","caller_number":"1"}`, 200, "queued"},
		{"no name", `{}`, 200, "ignored"},
		{"not JSON", `call_init`, 400, ""},
		{"a JSON list", `[{"event":"call_init"}]`, 400, ""},
		{"too large", `{"event":"call_init","pad":"` + strings.Repeat("x", 300) + `"}`, 413, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rec := f.post(target, tc.body)
			if rec.Code != tc.want {
				t.Fatalf("status %d, want %d: %s", rec.Code, tc.want, rec.Body)
			}
			if tc.status != "" && rec.Body.String() != `{"status":"`+tc.status+`"}` {
				t.Errorf("body %s, want status %s", rec.Body, tc.status)
			}
		})
	}
	req := httptest.NewRequest(http.MethodGet, target, nil)
	rec := httptest.NewRecorder()
	f.p.ServeHTTP(rec, req)
	if rec.Code != http.StatusMethodNotAllowed {
		t.Errorf("GET → %d, want 405", rec.Code)
	}
	if got := value(f.p.metrics.events.WithLabelValues("unknown")); got != 2 {
		t.Errorf("events{event=unknown} = %v, want 2 (voicemail_left and no name)", got)
	}
	if got := value(f.p.metrics.events.WithLabelValues(CallInit)); got != 2 {
		t.Errorf("events{event=call_init} = %v, want 2 (new and legacy)", got)
	}
}

func TestDuplicatesAreHandledOnce(t *testing.T) {
	f := newFixture(t, nil)
	f.p.Start(context.Background())
	defer f.p.Stop(time.Second)
	target := "/hipcall/webhook/" + testToken
	for range 3 {
		if rec := f.post(target, callInit("dup")); rec.Code != 200 {
			t.Fatalf("status %d", rec.Code)
		}
	}
	f.post(target, callInit("other"))
	f.post(target, `{"event":"call_bridged","data":{"uuid":"dup"}}`) // another event of the same call
	connectortest.Eventually(t, 5*time.Second, "two calls handled", func() bool { return f.h.count() == 2 })
	if got := value(f.p.metrics.deduplicated); got != 2 {
		t.Errorf("deduplicated = %v, want 2", got)
	}
	if n := strings.Count(f.logs.String(), "outcome=duplicate"); n != 2 {
		t.Errorf("%d duplicate log lines, want 2:\n%s", n, f.logs)
	}
}

func TestQueueFullDropsAndCounts(t *testing.T) {
	f := newFixture(t, func(o *Options) { o.QueueSize = 3 })
	target := "/hipcall/webhook/" + testToken
	// No workers yet: the queue fills.
	for i := range 5 {
		if rec := f.post(target, callInit(fmt.Sprint("q", i))); rec.Code != 200 {
			t.Fatalf("event %d: status %d, want 200 even when full", i, rec.Code)
		}
	}
	if got := value(f.p.metrics.dropped.WithLabelValues(dropQueueFull)); got != 2 {
		t.Errorf("dropped{queue_full} = %v, want 2", got)
	}
	if n := strings.Count(f.logs.String(), "reason=queue_full"); n != 2 {
		t.Errorf("%d drop log lines, want 2", n)
	}
	f.p.Start(context.Background())
	connectortest.Eventually(t, 5*time.Second, "the queued three handled", func() bool { return f.h.count() == 3 })
	if err := f.p.Stop(time.Second); err != nil {
		t.Errorf("Stop: %v", err)
	}
	// After Stop, events are answered and counted as dropped.
	if rec := f.post(target, callInit("late")); rec.Code != 200 || !strings.Contains(rec.Body.String(), "dropped") {
		t.Errorf("after Stop: %d %s", rec.Code, rec.Body)
	}
	if got := value(f.p.metrics.dropped.WithLabelValues(dropShutdown)); got != 1 {
		t.Errorf("dropped{shutdown} = %v, want 1", got)
	}
}

func TestStopAbandonsWhatDoesNotFinish(t *testing.T) {
	f := newFixture(t, func(o *Options) { o.Workers = 1 })
	f.h.block = make(chan struct{})
	target := "/hipcall/webhook/" + testToken
	f.p.Start(context.Background())
	for i := range 3 {
		f.post(target, callInit(fmt.Sprint("s", i)))
	}
	connectortest.Eventually(t, 5*time.Second, "one event taken by the worker", func() bool { return len(f.p.queue) == 2 })
	err := f.p.Stop(50 * time.Millisecond)
	if err == nil || !strings.Contains(err.Error(), "2 queued event(s)") {
		t.Errorf("Stop = %v, want 2 abandoned", err)
	}
	if got := value(f.p.metrics.dropped.WithLabelValues(dropShutdown)); got != 2 {
		t.Errorf("dropped{shutdown} = %v, want 2", got)
	}
}

func TestHangupNotifiesAtOnce(t *testing.T) {
	f := newFixture(t, nil)
	target := "/hipcall/webhook/" + testToken
	f.post(target, `{"event":"call_hangup","data":{"uuid":"h1"}}`)
	f.post(target, `{"event":"call_hangup","data":{"uuid":"h1"}}`) // a duplicate: no second notice
	if !f.p.Ended("h1") || f.p.Ended("h2") || f.p.Ended("") {
		t.Error("Ended does not reflect the hangup")
	}
	f.h.mu.Lock()
	defer f.h.mu.Unlock()
	if len(f.h.ended) != 1 || f.h.ended[0] != "h1" {
		t.Errorf("CallEnded calls %v, want [h1]", f.h.ended)
	}
}

func TestHandlerPanicIsAFailure(t *testing.T) {
	f := newFixture(t, nil)
	f.h.panics = true
	f.p.Start(context.Background())
	f.post("/hipcall/webhook/"+testToken, callInit("p"))
	connectortest.Eventually(t, 5*time.Second, "the panic counted", func() bool { return value(f.p.metrics.handled.WithLabelValues(OutcomeFailed)) == 1 })
	f.p.Stop(time.Second)
	if !strings.Contains(f.logs.String(), "[ERROR]") || !strings.Contains(f.logs.String(), "boom") {
		t.Errorf("panic not logged as an error:\n%s", f.logs)
	}
}

func TestOneLogLinePerEvent(t *testing.T) {
	f := newFixture(t, nil)
	f.p.Start(context.Background())
	f.post("/hipcall/webhook/"+testToken, callInit("log-1"))
	f.post("/hipcall/webhook/"+testToken, `{"event":"task_create","data":{"id":1}}`)
	connectortest.Eventually(t, 5*time.Second, "handled", func() bool { return f.h.count() == 1 })
	f.p.Stop(time.Second)
	lines := strings.Split(strings.TrimSpace(f.logs.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("%d log lines, want 2:\n%s", len(lines), f.logs)
	}
	for _, want := range []string{"event=call_init", "uuid=log-1", "direction=inbound", "outcome=pushed", "latency="} {
		if !strings.Contains(f.logs.String(), want) {
			t.Errorf("log lacks %q:\n%s", want, f.logs)
		}
	}
}

// TestAllowFromBehindTrustedProxy (issue 13): behind a proxy listed in
// server.trusted_proxies, allow_from judges the address the proxy
// forwarded for, not the proxy's; a forwarded address from an untrusted
// peer is ignored.
func TestAllowFromBehindTrustedProxy(t *testing.T) {
	f := newFixture(t, func(o *Options) {
		o.Auth = AuthOptions{AllowFrom: []netip.Prefix{netip.MustParsePrefix("203.0.113.0/24")}}
	})
	srv, err := server.New(server.Options{Config: server.Config{TrustedProxies: []string{"10.0.0.0/8"}},
		Mounts: []server.Mount{server.WebhookOptions{Path: "/hipcall/webhook", Handler: f.p}.Mount()}})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, peer, xff string
		want            int
	}{
		{"Hipcall through the proxy", "10.1.2.3:5000", "203.0.113.7", 200},
		{"someone else through the proxy", "10.1.2.3:5000", "198.51.100.1", 403},
		{"spoofed header through the proxy", "10.1.2.3:5000", "203.0.113.7, 198.51.100.1", 403},
		{"the proxy itself is not allowed", "10.1.2.3:5000", "", 403},
		{"header from an untrusted peer is ignored", "198.51.100.1:5000", "203.0.113.7", 403},
		{"Hipcall directly", "203.0.113.7:5000", "", 200},
	}
	for i, tc := range cases {
		req := httptest.NewRequest(http.MethodPost, "/hipcall/webhook", strings.NewReader(callInit(fmt.Sprintf("u%d", i))))
		req.RemoteAddr = tc.peer
		if tc.xff != "" {
			req.Header.Set("X-Forwarded-For", tc.xff)
		}
		rec := httptest.NewRecorder()
		srv.Handler().ServeHTTP(rec, req)
		if rec.Code != tc.want {
			t.Errorf("%s: %d, want %d", tc.name, rec.Code, tc.want)
		}
	}
}
