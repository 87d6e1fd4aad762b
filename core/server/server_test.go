package server_test

import (
	"github.com/switchboard-hq/switchboard/connectors/conf"

	"context"
	"encoding/json"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/switchboard-hq/switchboard/core/server"
	"github.com/switchboard-hq/switchboard/core/server/servertest"
)

// echo is a mount at /echo: POST only, counting the requests it answers.
func echo(calls *atomic.Int32) server.Mount {
	return server.Mount{Name: "echo", Path: "/echo", Methods: []string{http.MethodPost},
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			calls.Add(1)
			server.Respond(w, http.StatusOK, "application/json", []byte(`{}`))
		})}
}

// fixture is a server with the echo mount.
type fixture struct {
	*servertest.Fixture
	calls atomic.Int32
}

func newFixture(t testing.TB, change ...func(*server.Options)) *fixture {
	t.Helper()
	f := &fixture{}
	o := server.Options{Mounts: []server.Mount{echo(&f.calls)}}
	for _, c := range change {
		c(&o)
	}
	f.Fixture = servertest.New(t, o)
	return f
}

func TestNewRejectsBadOptions(t *testing.T) {
	var calls atomic.Int32
	ok := func() server.Options {
		return server.Options{Mounts: []server.Mount{echo(&calls)}}
	}
	mount := func(o *server.Options) *server.Mount { return &o.Mounts[0] }
	tests := []struct {
		name   string
		change func(*server.Options)
		want   []string // substrings the error must contain
	}{
		{name: "deadline beyond write timeout", change: func(o *server.Options) { o.WriteTimeout, mount(o).Deadline = time.Second, time.Second }, want: []string{"below the server write timeout"}},
		{name: "relative path", change: func(o *server.Options) { mount(o).Path = "echo" }, want: []string{`must start with "/"`}},
		{name: "prefix path ending in /", change: func(o *server.Options) { mount(o).Path, mount(o).Prefix = "/echo/", true }, want: []string{`not end with one`}},
		{name: "reserved path", change: func(o *server.Options) { mount(o).Path = "/metrics" }, want: []string{"taken by a built-in endpoint"}},
		{name: "path clash", change: func(o *server.Options) {
			o.Mounts = append(o.Mounts, server.Mount{Name: "other", Path: "/echo", Handler: http.NotFoundHandler()})
		}, want: []string{"taken by another endpoint (echo)"}},
		{name: "name clash", change: func(o *server.Options) {
			o.Mounts = append(o.Mounts, server.Mount{Name: "echo", Path: "/other", Handler: http.NotFoundHandler()})
		}, want: []string{`two endpoints are named "echo"`}},
		{name: "no name nor handler", change: func(o *server.Options) { mount(o).Name, mount(o).Handler = "", nil }, want: []string{"needs a name", "needs a handler"}},
		{name: "half basic auth", change: func(o *server.Options) { mount(o).BasicAuth = &conf.BasicAuth{Username: "u"} }, want: []string{"both a username and a password"}},
		{name: "negative sizes", change: func(o *server.Options) { o.MaxBodyBytes, o.IdleTimeout = -1, -time.Second }, want: []string{"max_body_bytes", "idle_timeout"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := ok()
			tc.change(&o)
			_, err := server.New(o)
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
	if _, err := server.New(ok()); err != nil {
		t.Fatalf("New rejected good options: %v", err)
	}
}

func TestNewRejectsSharedRegistry(t *testing.T) {
	reg := prometheus.NewRegistry()
	if _, err := server.New(server.Options{Registry: reg}); err != nil {
		t.Fatalf("first New: %v", err)
	}
	if _, err := server.New(server.Options{Registry: reg}); err == nil || !strings.Contains(err.Error(), "same registry") {
		t.Fatalf("second New on the same registry: err = %v, want a duplicate-registration error", err)
	}
}

func TestMethodNotAllowed(t *testing.T) {
	tests := []struct {
		method, path, wantAllow string
	}{
		{http.MethodGet, "/echo", "POST"},
		{http.MethodPut, "/echo", "POST"},
		{http.MethodPost, "/healthz", "GET, HEAD"},
		{http.MethodDelete, "admin /readyz", "GET, HEAD"},
		{http.MethodPost, "admin /metrics", "GET, HEAD"},
	}
	for _, tc := range tests {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			f := newFixture(t)
			do := f.Do
			path, onAdmin := strings.CutPrefix(tc.path, "admin ")
			if onAdmin {
				do = f.DoAdmin
			}
			rec := do(tc.method, path, `{"caller":"+905061234567"}`, nil)
			if rec.Code != http.StatusMethodNotAllowed {
				t.Fatalf("status = %d, want 405", rec.Code)
			}
			if got := rec.Header().Get("Allow"); got != tc.wantAllow {
				t.Errorf("Allow = %q, want %q", got, tc.wantAllow)
			}
			if !json.Valid(rec.Body.Bytes()) || rec.Header().Get("Content-Type") != "application/json" {
				t.Errorf("405 body %q is not JSON", rec.Body.String())
			}
			if n := f.calls.Load(); n != 0 {
				t.Errorf("handler ran %d times", n)
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
		{name: "admin healthz", path: "admin /healthz", wantCode: 200, wantBody: `{"status":"ok"}`},
		{name: "readyz is not on the public listener", path: "/readyz", wantCode: 404, wantBody: `{"error":"not found"}`},
		{name: "metrics are not on the public listener", path: "/metrics", wantCode: 404, wantBody: `{"error":"not found"}`},
		{name: "readyz without Ready func", path: "admin /readyz", wantCode: 200, wantBody: `{"status":"ready"}`},
		{name: "readyz ready", path: "admin /readyz", ready: func() (bool, []string) { return true, nil }, wantCode: 200, wantBody: `{"status":"ready"}`},
		{name: "readyz not ready", path: "admin /readyz", ready: func() (bool, []string) {
			return false, []string{"plugin customers not running", "index crm not loaded"}
		}, wantCode: 503, wantBody: `{"status":"not ready","reasons":["plugin customers not running","index crm not loaded"]}`},
		{name: "readyz degraded", path: "admin /readyz", ready: func() (bool, []string) { return true, []string{"plugin crm is down: answered from its index"} },
			wantCode: 200, wantBody: `{"status":"degraded","reasons":["plugin crm is down: answered from its index"]}`},
		{name: "readyz not ready without reasons", path: "admin /readyz", ready: func() (bool, []string) { return false, nil },
			wantCode: 503, wantBody: `{"status":"not ready","reasons":["not ready (no reason given)"]}`},
		{name: "readyz panics", path: "admin /readyz", ready: func() (bool, []string) { panic("boom") },
			wantCode: 500, wantBody: `{"error":"internal error"}`},
		{name: "unknown path", path: "/nope", wantCode: 404, wantBody: `{"error":"not found"}`},
		{name: "mount path with trailing slash", path: "/echo/", wantCode: 404, wantBody: `{"error":"not found"}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, func(o *server.Options) { o.Ready = tc.ready })
			do := f.Do
			path, onAdmin := strings.CutPrefix(tc.path, "admin ")
			if onAdmin {
				do = f.DoAdmin
			}
			rec := do(http.MethodGet, path, "", nil)
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
	if rec := f.Do(http.MethodHead, "/healthz", "", nil); rec.Code != http.StatusOK {
		t.Fatalf("HEAD /healthz = %d, want 200", rec.Code)
	}
}

func TestListenAndServeAddressInUse(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	f := newFixture(t, func(o *server.Options) { o.Listen = ln.Addr().String() })
	err = f.Srv.ListenAndServe(context.Background())
	if err == nil || !strings.Contains(err.Error(), "listen on") {
		t.Fatalf("ListenAndServe on a busy port = %v, want a listen error", err)
	}
	select {
	case <-f.Srv.Serving():
		t.Error("Serving closed although listening failed")
	default:
	}
}
