package smartivr

import (
	"github.com/switchboard-hq/switchboard/connectors/conf"

	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-hq/switchboard/connectors/connectortest"
	"github.com/switchboard-hq/switchboard/core/directory"
	"github.com/switchboard-hq/switchboard/core/ringtime/ringtimetest"
	"github.com/switchboard-hq/switchboard/core/server"
	"github.com/switchboard-hq/switchboard/core/server/servertest"
)

// The server with the Smart IVR mounted: options checked together, the
// metrics, serving and shutting down with a call in flight.

// build mounts the endpoint on a server as the host does, and returns every
// problem either found.
func build(s setup) error {
	m, err := New(*s.ivr)
	if err != nil {
		return err
	}
	s.srv.Mounts = []server.Mount{m}
	_, err = server.New(s.srv)
	return err
}

func TestNewRejectsBadOptions(t *testing.T) {
	ok := func() setup {
		return setup{ivr: &Options{DefaultExtension: "100", Directory: &ringtimetest.Directory{}, Router: &fakeRouter{}}}
	}
	tests := []struct {
		name   string
		change func(*setup)
		want   []string // substrings the error must contain
	}{
		{name: "no default extension", change: func(s *setup) { s.ivr.DefaultExtension = " " }, want: []string{"default extension"}},
		{name: "no directory nor router", change: func(s *setup) { s.ivr.Directory, s.ivr.Router = nil, nil }, want: []string{"needs a directory", "needs a router"}},
		{name: "deadline at Hipcall's limit", change: func(s *setup) { s.ivr.Deadline = 3 * time.Second }, want: []string{"at most 2.5s (Hipcall waits 3s"}},
		{name: "deadline beyond write timeout", change: func(s *setup) { s.srv.WriteTimeout = time.Second }, want: []string{"below the server write timeout"}},
		{name: "negative deadline", change: func(s *setup) { s.ivr.Deadline = -time.Second }, want: []string{"must be longer than 0"}},
		{name: "relative path", change: func(s *setup) { s.ivr.Path = "ivr" }, want: []string{`must start with "/"`}},
		{name: "reserved path", change: func(s *setup) { s.ivr.Path = "/metrics" }, want: []string{"taken by a built-in endpoint"}},
		{name: "half basic auth", change: func(s *setup) { s.ivr.BasicAuth = &conf.BasicAuth{Username: "u"} }, want: []string{"basic_auth.password is required when a username is set"}},
		{name: "negative sizes", change: func(s *setup) { s.srv.MaxBodyBytes, s.srv.IdleTimeout = -1, -time.Second }, want: []string{"max_body_bytes", "idle_timeout"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := ok()
			tc.change(&s)
			err := build(s)
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
	if err := build(ok()); err != nil {
		t.Fatalf("New rejected good options: %v", err)
	}
}

func TestSmartIVRMethodNotAllowed(t *testing.T) {
	tests := []struct {
		method, path, wantAllow string
	}{
		{http.MethodGet, defaultPath, "POST"},
		{http.MethodPut, defaultPath, "POST"},
	}
	for _, tc := range tests {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			f := newFixture(t)
			rec := f.Do(tc.method, tc.path, `{"caller":"+905061234567"}`, nil)
			if rec.Code != http.StatusMethodNotAllowed {
				t.Fatalf("status = %d, want 405", rec.Code)
			}
			if got := rec.Header().Get("Allow"); got != tc.wantAllow {
				t.Errorf("Allow = %q, want %q", got, tc.wantAllow)
			}
			if !json.Valid(rec.Body.Bytes()) || rec.Header().Get("Content-Type") != "application/json" {
				t.Errorf("405 body %q is not JSON", rec.Body.String())
			}
			if n := len(f.dir.Calls()); n != 0 {
				t.Errorf("directory asked %d times", n)
			}
		})
	}
}

func TestMetricsEndpoint(t *testing.T) {
	f := newFixture(t, withAuth("u", "p"))
	f.ivr(`{"caller":"+905061234567"}`) // 401
	f.Do(http.MethodPost, defaultPath, `{"caller":"+905061234567"}`, servertest.BasicHeader("u", "p"))
	f.Do(http.MethodPost, defaultPath, `not json`, servertest.BasicHeader("u", "p"))
	f.Do(http.MethodGet, "/nowhere", "", nil)

	rec := f.DoAdmin(http.MethodGet, "/metrics", "", nil) // /metrics is on the admin listener
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
	if got := f.Metric(t, "switchboard_http_requests_total", map[string]string{"endpoint": "metrics", "code": "200"}); got != 1 {
		t.Errorf("metrics scrapes counted = %v, want 1", got)
	}
}

func TestListenAndServe(t *testing.T) {
	f := newFixture(t, withDeadline(2*time.Second))
	started := make(chan struct{})
	release := make(chan struct{})
	f.dir.LookupFn = func(ctx context.Context, raw string) directory.Result {
		if raw == "+441234567890" { // the slow, in-flight call
			close(started)
			select {
			case <-release:
			case <-ctx.Done():
			}
		}
		return ringtimetest.KnownLookup(raw)
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	served := make(chan error, 1)
	go func() { served <- f.Srv.ListenAndServe(ctx) }()
	select {
	case <-f.Srv.Serving():
	case err := <-served:
		t.Fatalf("ListenAndServe: %v", err)
	case <-time.After(5 * time.Second):
		t.Fatal("server never started listening")
	}
	addr := f.Srv.Addr()
	if host, port, err := net.SplitHostPort(addr); err != nil || host != "127.0.0.1" || port == "0" {
		t.Fatalf("Addr() = %q, want 127.0.0.1:<port>", addr)
	}
	url := "http://" + addr + defaultPath
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
	connectortest.Eventually(t, 5*time.Second, "the listener to close", func() bool {
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
	if err := f.Srv.ListenAndServe(context.Background()); err == nil || !strings.Contains(err.Error(), "called twice") {
		t.Errorf("second ListenAndServe = %v, want an error", err)
	}
}

func TestShutdownTimeout(t *testing.T) {
	f := newFixture(t, withDeadline(2*time.Second), withServer(func(o *server.Options) { o.ShutdownTimeout = 50 * time.Millisecond }))
	started := make(chan struct{})
	f.dir.LookupFn = func(ctx context.Context, raw string) directory.Result {
		close(started)
		<-ctx.Done()
		return directory.Result{}
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	served := make(chan error, 1)
	go func() { served <- f.Srv.ListenAndServe(ctx) }()
	<-f.Srv.Serving()
	go func() {
		resp, err := http.Post("http://"+f.Srv.Addr()+defaultPath, "application/json", strings.NewReader(`{"caller":"1"}`))
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

func TestSmartIVRPathWithTrailingSlash(t *testing.T) {
	f := newFixture(t)
	rec := f.Do(http.MethodGet, defaultPath+"/", "", nil)
	if rec.Code != 404 || rec.Body.String() != `{"error":"not found"}` {
		t.Errorf("got %d %s, want 404 {\"error\":\"not found\"}", rec.Code, rec.Body.String())
	}
	if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type = %q", ct)
	}
}
