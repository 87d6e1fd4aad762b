package server

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/switchboard-hq/switchboard/core/directory"
)

func TestNewRejectsBadOptions(t *testing.T) {
	ok := func() Options {
		return Options{
			SmartIVR:  &SmartIVROptions{DefaultExtension: "100"},
			Directory: &fakeDirectory{},
			Router:    &fakeRouter{},
		}
	}
	tests := []struct {
		name   string
		change func(*Options)
		want   []string // substrings the error must contain
	}{
		{name: "no default extension", change: func(o *Options) { o.SmartIVR.DefaultExtension = " " }, want: []string{"default extension"}},
		{name: "no directory nor router", change: func(o *Options) { o.Directory, o.Router = nil, nil }, want: []string{"needs a directory", "needs a router"}},
		{name: "deadline at Hipcall's limit", change: func(o *Options) { o.SmartIVR.Deadline = 3 * time.Second }, want: []string{"below Hipcall's 3s"}},
		{name: "deadline beyond write timeout", change: func(o *Options) { o.WriteTimeout = time.Second }, want: []string{"below the server write timeout"}},
		{name: "negative deadline", change: func(o *Options) { o.SmartIVR.Deadline = -time.Second }, want: []string{"above 0"}},
		{name: "relative path", change: func(o *Options) { o.SmartIVR.Path = "ivr" }, want: []string{`must start with "/"`}},
		{name: "reserved path", change: func(o *Options) { o.SmartIVR.Path = "/metrics" }, want: []string{"taken by a built-in endpoint"}},
		{name: "half basic auth", change: func(o *Options) { o.SmartIVR.BasicAuth = &BasicAuth{Username: "u"} }, want: []string{"both a username and a password"}},
		{name: "negative sizes", change: func(o *Options) { o.MaxBodyBytes, o.IdleTimeout = -1, -time.Second }, want: []string{"max_body_bytes", "idle_timeout"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := ok()
			tc.change(&o)
			_, err := New(o)
			if err == nil {
				t.Fatal("New accepted bad options")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
	if _, err := New(ok()); err != nil {
		t.Fatalf("New rejected good options: %v", err)
	}
}

func TestNewRejectsSharedRegistry(t *testing.T) {
	reg := prometheus.NewRegistry()
	if _, err := New(Options{Registry: reg}); err != nil {
		t.Fatalf("first New: %v", err)
	}
	if _, err := New(Options{Registry: reg}); err == nil || !strings.Contains(err.Error(), "same registry") {
		t.Fatalf("second New on the same registry: err = %v, want a duplicate-registration error", err)
	}
}

func TestMethodNotAllowed(t *testing.T) {
	tests := []struct {
		method, path, wantAllow string
	}{
		{http.MethodGet, DefaultSmartIVRPath, "POST"},
		{http.MethodPut, DefaultSmartIVRPath, "POST"},
		{http.MethodPost, "/healthz", "GET, HEAD"},
		{http.MethodDelete, "/readyz", "GET, HEAD"},
		{http.MethodPost, "/metrics", "GET, HEAD"},
	}
	for _, tc := range tests {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			f := newFixture(t)
			rec := f.do(tc.method, tc.path, `{"caller":"+905061234567"}`, nil)
			if rec.Code != http.StatusMethodNotAllowed {
				t.Fatalf("status = %d, want 405", rec.Code)
			}
			if got := rec.Header().Get("Allow"); got != tc.wantAllow {
				t.Errorf("Allow = %q, want %q", got, tc.wantAllow)
			}
			if !json.Valid(rec.Body.Bytes()) || rec.Header().Get("Content-Type") != "application/json" {
				t.Errorf("405 body %q is not JSON", rec.Body.String())
			}
			if n := len(f.dir.calls()); n != 0 {
				t.Errorf("directory asked %d times", n)
			}
		})
	}
}

func TestProbes(t *testing.T) {
	tests := []struct {
		name     string
		ready    func() (bool, []string)
		path     string
		wantCode int
		wantBody string
	}{
		{name: "healthz", path: "/healthz", wantCode: 200, wantBody: `{"status":"ok"}`},
		{name: "healthz while not ready", path: "/healthz", ready: func() (bool, []string) { return false, []string{"x"} }, wantCode: 200, wantBody: `{"status":"ok"}`},
		{name: "readyz without Ready func", path: "/readyz", wantCode: 200, wantBody: `{"status":"ready"}`},
		{name: "readyz ready", path: "/readyz", ready: func() (bool, []string) { return true, nil }, wantCode: 200, wantBody: `{"status":"ready"}`},
		{name: "readyz not ready", path: "/readyz", ready: func() (bool, []string) {
			return false, []string{"plugin customers not running", "index crm not loaded"}
		}, wantCode: 503, wantBody: `{"status":"not ready","reasons":["plugin customers not running","index crm not loaded"]}`},
		{name: "readyz not ready without reasons", path: "/readyz", ready: func() (bool, []string) { return false, nil },
			wantCode: 503, wantBody: `{"status":"not ready","reasons":["not ready (no reason given)"]}`},
		{name: "readyz panics", path: "/readyz", ready: func() (bool, []string) { panic("boom") },
			wantCode: 500, wantBody: `{"error":"internal error"}`},
		{name: "unknown path", path: "/nope", wantCode: 404, wantBody: `{"error":"not found"}`},
		{name: "smart IVR path with trailing slash", path: DefaultSmartIVRPath + "/", wantCode: 404, wantBody: `{"error":"not found"}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, func(o *Options) { o.Ready = tc.ready })
			rec := f.do(http.MethodGet, tc.path, "", nil)
			if rec.Code != tc.wantCode || rec.Body.String() != tc.wantBody {
				t.Errorf("got %d %s, want %d %s", rec.Code, rec.Body.String(), tc.wantCode, tc.wantBody)
			}
			if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type = %q", ct)
			}
		})
	}
}

func TestHeadHealthz(t *testing.T) {
	f := newFixture(t)
	if rec := f.do(http.MethodHead, "/healthz", "", nil); rec.Code != http.StatusOK {
		t.Fatalf("HEAD /healthz = %d, want 200", rec.Code)
	}
}

func TestMetricsEndpoint(t *testing.T) {
	f := newFixture(t, withAuth("u", "p"))
	f.ivr(`{"caller":"+905061234567"}`) // 401
	f.do(http.MethodPost, DefaultSmartIVRPath, `{"caller":"+905061234567"}`, basicHeader("u", "p"))
	f.do(http.MethodPost, DefaultSmartIVRPath, `not json`, basicHeader("u", "p"))
	f.do(http.MethodGet, "/nowhere", "", nil)

	rec := f.do(http.MethodGet, "/metrics", "", nil)
	if rec.Code != http.StatusOK {
		t.Fatalf("GET /metrics = %d", rec.Code)
	}
	text := rec.Body.String()
	for _, want := range []string{
		`switchboard_http_requests_total{code="200",endpoint="smart_ivr"} 2`,
		`switchboard_http_requests_total{code="401",endpoint="smart_ivr"} 1`,
		`switchboard_http_requests_total{code="404",endpoint="not_found"} 1`,
		`switchboard_http_request_seconds_count{endpoint="smart_ivr"} 3`,
		`switchboard_http_request_seconds_bucket{endpoint="smart_ivr",le="0.0001"}`,
		`switchboard_http_request_seconds_bucket{endpoint="smart_ivr",le="3"} 3`,
		`switchboard_smart_ivr_fallbacks_total{reason="malformed"} 1`,
		`switchboard_smart_ivr_fallbacks_total{reason="deadline"} 0`,
		`switchboard_http_auth_failures_total{endpoint="smart_ivr"} 1`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	// The scrape itself is counted once it has finished.
	if got := metricValue(t, f.reg, "switchboard_http_requests_total", map[string]string{"endpoint": "metrics", "code": "200"}); got != 1 {
		t.Errorf("metrics scrapes counted = %v, want 1", got)
	}
}

func TestListenAndServe(t *testing.T) {
	f := newFixture(t, withDeadline(2*time.Second))
	started := make(chan struct{})
	release := make(chan struct{})
	f.dir.lookupFn = func(ctx context.Context, raw string) directory.Result {
		if raw == "+441234567890" { // the slow, in-flight call
			close(started)
			select {
			case <-release:
			case <-ctx.Done():
			}
		}
		return knownLookup(raw)
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	served := make(chan error, 1)
	go func() { served <- f.srv.ListenAndServe(ctx) }()
	select {
	case <-f.srv.Serving():
	case err := <-served:
		t.Fatalf("ListenAndServe: %v", err)
	case <-time.After(5 * time.Second):
		t.Fatal("server never started listening")
	}
	addr := f.srv.Addr()
	if host, port, err := net.SplitHostPort(addr); err != nil || host != "127.0.0.1" || port == "0" {
		t.Fatalf("Addr() = %q, want 127.0.0.1:<port>", addr)
	}
	url := "http://" + addr + DefaultSmartIVRPath
	client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}

	post := func(body string) (int, string, error) {
		resp, err := client.Post(url, "application/json", strings.NewReader(body))
		if err != nil {
			return 0, "", err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b), err
	}
	if code, body, err := post(`{"caller":"+905061234567"}`); err != nil || code != 200 || body != `{"extension":"1093"}` {
		t.Fatalf("POST = %d %q %v, want 200 {\"extension\":\"1093\"}", code, body, err)
	}

	// Graceful shutdown: an in-flight call still gets its answer.
	type reply struct {
		code int
		body string
		err  error
	}
	inflight := make(chan reply, 1)
	go func() {
		code, body, err := post(`{"caller":"+441234567890"}`)
		inflight <- reply{code, body, err}
	}()
	<-started
	cancel()
	waitFor(t, "the listener to close", 5*time.Second, func() bool {
		c, err := net.DialTimeout("tcp", addr, 100*time.Millisecond)
		if err == nil {
			c.Close()
		}
		return err != nil
	})
	select {
	case err := <-served:
		t.Fatalf("ListenAndServe returned %v with a request in flight", err)
	default:
	}
	close(release)
	r := <-inflight
	if r.err != nil || r.code != 200 || r.body != `{"extension":"100"}` {
		t.Errorf("in-flight call got %d %q %v, want 200 default", r.code, r.body, r.err)
	}
	select {
	case err := <-served:
		if err != nil {
			t.Errorf("ListenAndServe after graceful shutdown = %v, want nil", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("ListenAndServe did not return after shutdown")
	}
	if err := f.srv.ListenAndServe(context.Background()); err == nil || !strings.Contains(err.Error(), "called twice") {
		t.Errorf("second ListenAndServe = %v, want an error", err)
	}
}

func TestListenAndServeAddressInUse(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	f := newFixture(t, func(o *Options) { o.Listen = ln.Addr().String() })
	err = f.srv.ListenAndServe(context.Background())
	if err == nil || !strings.Contains(err.Error(), "listen on") {
		t.Fatalf("ListenAndServe on a busy port = %v, want a listen error", err)
	}
	select {
	case <-f.srv.Serving():
		t.Error("Serving closed although listening failed")
	default:
	}
}

func TestShutdownTimeout(t *testing.T) {
	f := newFixture(t, withDeadline(2*time.Second), func(o *Options) { o.ShutdownTimeout = 50 * time.Millisecond })
	started := make(chan struct{})
	f.dir.lookupFn = func(ctx context.Context, raw string) directory.Result {
		close(started)
		<-ctx.Done()
		return directory.Result{}
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	served := make(chan error, 1)
	go func() { served <- f.srv.ListenAndServe(ctx) }()
	<-f.srv.Serving()
	go func() {
		resp, err := http.Post("http://"+f.srv.Addr()+DefaultSmartIVRPath, "application/json", strings.NewReader(`{"caller":"1"}`))
		if err == nil {
			resp.Body.Close()
		}
	}()
	<-started
	cancel()
	select {
	case err := <-served:
		if err == nil || !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("ListenAndServe = %v, want a shutdown timeout error", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("ListenAndServe did not give up after the shutdown timeout")
	}
}
