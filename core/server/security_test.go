package server_test

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/switchboard-hq/switchboard/connectors/conf"
	"github.com/switchboard-hq/switchboard/connectors/connectortest"
	"github.com/switchboard-hq/switchboard/core/server"
	"github.com/switchboard-hq/switchboard/core/server/servertest"
)

// from serves one request to the fixture as if it came from remote.
func from(f *servertest.Fixture, remote, method, path string, header http.Header) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, path, strings.NewReader("{}"))
	req.RemoteAddr = remote
	for k, vs := range header {
		req.Header[k] = vs
	}
	return f.Serve(req)
}

func TestRateLimitPerSource(t *testing.T) {
	var calls atomic.Int32
	fallback := server.Mount{Name: "ivr", Path: "/ivr", Methods: []string{http.MethodPost},
		OnLimited: func(w http.ResponseWriter, _ *http.Request) {
			server.Respond(w, http.StatusOK, "application/json", []byte(`{"extension":"100"}`))
		},
		Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			server.Respond(w, http.StatusOK, "application/json", []byte(`{"extension":"200"}`))
		})}
	f := servertest.New(t, server.Options{
		Config: server.Config{Limits: server.LimitsConfig{Rate: 0.001, Burst: 2, Exempt: []string{"192.0.2.0/24"}}},
		Mounts: []server.Mount{echo(&calls), fallback},
	})
	tests := []struct {
		remote, path string
		want         int
		body         string
	}{
		{"203.0.113.5:1000", "/echo", 200, "{}"},
		{"203.0.113.5:1001", "/echo", 200, "{}"},
		{"203.0.113.5:1002", "/echo", 429, ""},                              // third within the burst of 2
		{"203.0.113.5:1003", "/ivr", 200, `{"extension":"100"}`},            // the front end's fallback, never an error
		{"203.0.113.6:1000", "/echo", 200, "{}"},                            // another source has its own bucket
		{"192.0.2.9:1000", "/echo", 200, "{}"},                              // exempt
		{"192.0.2.9:1001", "/echo", 200, "{}"},                              // exempt
		{"192.0.2.9:1002", "/echo", 200, "{}"},                              // exempt
		{"[2001:db8:1:2::1]:1000", "/echo", 200, "{}"},                      // an IPv6 /64 is one source
		{"[2001:db8:1:2::ffff]:1000", "/echo", 200, "{}"},                   //
		{"[2001:db8:1:2:aaaa::1]:1000", "/ivr", 200, `{"extension":"100"}`}, // same /64: limited
	}
	for i, tc := range tests {
		rec := from(f, tc.remote, http.MethodPost, tc.path, nil)
		if rec.Code != tc.want || (tc.body != "" && rec.Body.String() != tc.body) {
			t.Errorf("%d: %s from %s = %d %s, want %d %s", i, tc.path, tc.remote, rec.Code, rec.Body.String(), tc.want, tc.body)
		}
		if tc.want == 429 && rec.Header().Get("Retry-After") == "" {
			t.Errorf("%d: 429 without Retry-After", i)
		}
	}
	if got := f.Metric(t, "switchboard_http_rate_limited_total", map[string]string{"endpoint": "echo"}); got != 1 {
		t.Errorf("rate limited echo = %v, want 1", got)
	}
	if got := f.Metric(t, "switchboard_http_rate_limited_total", map[string]string{"endpoint": "ivr"}); got != 2 {
		t.Errorf("rate limited ivr = %v, want 2", got)
	}
	// The admin listener is not limited.
	for range 5 {
		req := httptest.NewRequest(http.MethodGet, "/metrics", nil)
		req.RemoteAddr = "203.0.113.5:2000"
		if rec := f.ServeAdmin(req); rec.Code != 200 {
			t.Fatalf("admin /metrics = %d", rec.Code)
		}
	}
}

func TestTrustedProxies(t *testing.T) {
	show := server.Mount{Name: "who", Path: "/who", Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		server.Respond(w, http.StatusOK, "text/plain", []byte(server.ClientAddr(r).String()))
	})}
	tests := []struct {
		name    string
		trusted []string
		remote  string
		xff     []string
		want    string
	}{
		{"no proxies trusted: header ignored", nil, "198.51.100.1:5", []string{"1.2.3.4"}, "198.51.100.1"},
		{"untrusted peer: header ignored", []string{"10.0.0.0/8"}, "198.51.100.1:5", []string{"1.2.3.4"}, "198.51.100.1"},
		{"trusted peer", []string{"10.0.0.0/8"}, "10.1.2.3:5", []string{"1.2.3.4"}, "1.2.3.4"},
		{"trusted peer, no header", []string{"10.0.0.0/8"}, "10.1.2.3:5", nil, "10.1.2.3"},
		{"chain of trusted proxies", []string{"10.0.0.0/8"}, "10.1.2.3:5", []string{"1.2.3.4, 10.9.9.9"}, "1.2.3.4"},
		{"spoofed entries left of the client", []string{"10.0.0.0/8"}, "10.1.2.3:5", []string{"6.6.6.6, 1.2.3.4"}, "1.2.3.4"},
		{"several headers", []string{"10.0.0.0/8"}, "10.1.2.3:5", []string{"6.6.6.6", "1.2.3.4, 10.0.0.7"}, "1.2.3.4"},
		{"garbage stops at the last trusted hop", []string{"10.0.0.0/8"}, "10.1.2.3:5", []string{"1.2.3.4, bogus, 10.0.0.7"}, "10.0.0.7"},
		{"single address trusted", []string{"127.0.0.1"}, "127.0.0.1:5", []string{"2001:db8::1"}, "2001:db8::1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := servertest.New(t, server.Options{Config: server.Config{TrustedProxies: tc.trusted}, Mounts: []server.Mount{show}})
			h := http.Header{}
			for _, v := range tc.xff {
				h.Add("X-Forwarded-For", v)
			}
			rec := from(f, tc.remote, http.MethodGet, "/who", h)
			if rec.Body.String() != tc.want {
				t.Errorf("client = %q, want %q", rec.Body.String(), tc.want)
			}
			lines := f.RequestLines(t)
			if got := fmt.Sprint(lines[0]["remote"]); len(lines) != 1 || got != tc.want && got != tc.remote {
				t.Errorf("log remote = %v, want %s", lines[0]["remote"], tc.want)
			}
		})
	}
}

func TestLogValue(t *testing.T) {
	long := strings.Repeat("9", 65536)
	tests := []struct{ in, want string }{
		{"+905321234567", "+905321234567"},
		{"+90532\nforged=1", `+90532\nforged=1`},
		{"a\r\x1b[31mred", `a\r\x1b[31mred`},
		{"bad\xffutf8", `bad\xffutf8`},
		{"Zoë Ünal", "Zoë Ünal"},
		{"line\u2028sep", `line\u2028sep`},
		{long, strings.Repeat("9", server.MaxLogValue) + "…(65536 bytes)"},
	}
	for _, tc := range tests {
		if got := server.LogValue(tc.in); got != tc.want {
			t.Errorf("LogValue(%.40q) = %.80q, want %.80q", tc.in, got, tc.want)
		}
	}
}

// TestLogLinesCannotBeForged: a caller number with a newline, annotated
// by a front end, stays on its request's one log line in the text format.
func TestLogLinesCannotBeForged(t *testing.T) {
	var out strings.Builder
	var calls atomic.Int32
	m := server.Mount{Name: "ivr", Path: "/ivr", Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		server.Annotate(r, "caller_raw", "+90532\n2026-12-05T00:00:00Z [ERROR] forged line", "big", strings.Repeat("1", 65536), "err", fmt.Errorf("number %q", "x\ny"))
		server.Respond(w, http.StatusOK, "application/json", []byte(`{}`))
	})}
	srv, err := server.New(server.Options{Mounts: []server.Mount{m}, Logger: hclog.New(&hclog.LoggerOptions{Output: &out, Level: hclog.Debug})})
	if err != nil {
		t.Fatal(err)
	}
	srv.Handler().ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodPost, "/ivr", nil))
	if lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n"); len(lines) != 1 {
		t.Fatalf("one request logged %d lines:\n%s", len(lines), out.String())
	}
	if !strings.Contains(out.String(), "…(65536 bytes)") || len(out.String()) > 2000 {
		t.Errorf("a 64 KB value was not cut: line is %d bytes", len(out.String()))
	}
}

func TestUnknownPathHidesLongSegments(t *testing.T) {
	var calls atomic.Int32
	f := servertest.New(t, server.Options{Mounts: []server.Mount{echo(&calls)}})
	token := "s3cr3t-t0ken-abcdef0123456789"
	f.Do(http.MethodPost, "/hipcall/webhok/"+token, "{}", nil)
	if strings.Contains(f.Logs.String(), token) {
		t.Fatalf("the log holds the token of a mistyped path:\n%s", f.Logs.String())
	}
	lines := f.RequestLines(t)
	if len(lines) != 1 || lines[0]["path"] != fmt.Sprintf("/hipcall/webhok/…(%d)", len(token)) {
		t.Errorf("path logged as %v", lines)
	}
}

// serve runs the fixture's server on loopback until the test ends.
func serve(t *testing.T, f *servertest.Fixture) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- f.Srv.ListenAndServe(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("ListenAndServe: %v", err)
		}
	})
	select {
	case <-f.Srv.Serving():
	case err := <-done:
		t.Fatalf("ListenAndServe: %v", err)
	}
}

// TestSlowBodyCountedAsCut: a body slower than the read timeout gets no
// answer (the write timeout, shorter here, has passed when the handler
// answers); the metrics and the log say "cut", not what the handler sent.
func TestSlowBodyCountedAsCut(t *testing.T) {
	reading := server.Mount{Name: "slow", Path: "/slow", LimitBody: true, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, err := server.ReadBody(r); err != nil {
			server.Respond(w, http.StatusBadRequest, "text/plain", []byte(err.Error()))
			return
		}
		server.Respond(w, http.StatusOK, "text/plain", []byte("ok"))
	})}
	f := servertest.New(t, server.Options{
		Config: server.Config{ReadTimeout: 300 * time.Millisecond, WriteTimeout: 100 * time.Millisecond},
		Mounts: []server.Mount{reading},
	})
	serve(t, f)
	conn, err := net.Dial("tcp", f.Srv.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "POST /slow HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n0123456789")
	// The server cuts the connection; nothing of an answer arrives.
	got, _ := io.ReadAll(conn)
	if len(got) != 0 {
		t.Fatalf("a cut request got an answer: %q", got)
	}
	connectortest.Eventually(t, 5*time.Second, "the request is counted", func() bool {
		return f.Metric(t, "switchboard_http_requests_total", map[string]string{"endpoint": "slow", "code": "cut"}) == 1
	})
	if n := f.Metric(t, "switchboard_http_requests_total", map[string]string{"endpoint": "slow", "code": "200"}); n != 0 {
		t.Errorf("the cut request was counted as 200 too")
	}
	lines := f.RequestLines(t)
	if len(lines) != 1 || lines[0]["status"] != "cut" || lines[0]["answer"] != float64(400) {
		t.Errorf("log = %v, want status cut with answer 400", lines)
	}
}

// TestSlowBodyWithDeadlineStillAnswered: an endpoint with a deadline (a
// ring) gets ErrSlowBody in time to answer its fallback.
func TestSlowBodyWithDeadlineStillAnswered(t *testing.T) {
	ring := server.Mount{Name: "ring", Path: "/ring", LimitBody: true, Deadline: 200 * time.Millisecond, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, err := server.ReadBody(r)
		if err == nil || !strings.Contains(err.Error(), server.ErrSlowBody.Error()) {
			server.Respond(w, http.StatusInternalServerError, "text/plain", []byte(fmt.Sprint("read: ", err)))
			return
		}
		server.Respond(w, http.StatusOK, "application/json", []byte(`{"extension":"100"}`))
	})}
	f := servertest.New(t, server.Options{Config: server.Config{ReadTimeout: 5 * time.Second, WriteTimeout: 5 * time.Second}, Mounts: []server.Mount{ring}})
	serve(t, f)
	conn, err := net.Dial("tcp", f.Srv.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "POST /ring HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{\"caller\":")
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("no answer to a slow ring: %v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || string(body) != `{"extension":"100"}` {
		t.Fatalf("slow ring answered %d %s", resp.StatusCode, body)
	}
}

func TestConnectionCapPerSource(t *testing.T) {
	var calls atomic.Int32
	f := servertest.New(t, server.Options{
		Config: server.Config{Limits: server.LimitsConfig{Conns: 2, Exempt: []string{"192.0.2.1"}}},
		Mounts: []server.Mount{echo(&calls)},
	})
	serve(t, f)
	var conns []net.Conn
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	// Loopback is the only source here: two connections are held, the
	// third is closed at once.
	for range 2 {
		c, err := net.Dial("tcp", f.Srv.Addr())
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
		// A request proves the connection was accepted and kept.
		fmt.Fprintf(c, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
		if _, err := http.ReadResponse(bufio.NewReader(c), nil); err != nil {
			t.Fatalf("held connection: %v", err)
		}
	}
	c, err := net.Dial("tcp", f.Srv.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	fmt.Fprintf(c, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
	if _, err := http.ReadResponse(bufio.NewReader(c), nil); err == nil {
		t.Fatal("a third connection from one source was served")
	}
	if got := f.Metric(t, "switchboard_http_connections_refused_total", nil); got != 1 {
		t.Errorf("connections refused = %v, want 1", got)
	}
	// A connection closed frees its slot.
	conns[0].Close()
	connectortest.Eventually(t, 5*time.Second, "the request is counted", func() bool {
		c, err := net.Dial("tcp", f.Srv.Addr())
		if err != nil {
			return false
		}
		defer c.Close()
		fmt.Fprintf(c, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
		_, err = http.ReadResponse(bufio.NewReader(c), nil)
		return err == nil
	})
}

func TestAdminListenerAndAuth(t *testing.T) {
	var calls atomic.Int32
	f := servertest.New(t, server.Options{
		Config: server.Config{Admin: server.AdminConfig{BasicAuth: &conf.BasicAuth{Username: "ops", Password: "pw-0123456789"}}},
		Mounts: []server.Mount{echo(&calls)},
	})
	serve(t, f)
	if f.Srv.AdminAddr() == "" || f.Srv.AdminAddr() == f.Srv.Addr() {
		t.Fatalf("admin addr %q, public %q", f.Srv.AdminAddr(), f.Srv.Addr())
	}
	get := func(addr, path string, auth bool) int {
		req, _ := http.NewRequest(http.MethodGet, "http://"+addr+path, nil)
		if auth {
			req.SetBasicAuth("ops", "pw-0123456789")
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	tests := []struct {
		on, path string
		auth     bool
		want     int
	}{
		{"public", "/metrics", true, 404},
		{"public", "/readyz", true, 404},
		{"public", "/healthz", false, 200},
		{"admin", "/metrics", false, 401},
		{"admin", "/metrics", true, 200},
		{"admin", "/readyz", false, 401},
		{"admin", "/readyz", true, 200},
		{"admin", "/healthz", false, 200},
		{"admin", "/echo", true, 404},
	}
	for _, tc := range tests {
		addr := f.Srv.Addr()
		if tc.on == "admin" {
			addr = f.Srv.AdminAddr()
		}
		if got := get(addr, tc.path, tc.auth); got != tc.want {
			t.Errorf("%s %s (auth %v) = %d, want %d", tc.on, tc.path, tc.auth, got, tc.want)
		}
	}
}

func TestAdminListenDefaultsAndChecks(t *testing.T) {
	tests := []struct {
		listen, admin, want string
	}{
		{"127.0.0.1:5008", "", "127.0.0.1:5009"},
		{"0.0.0.0:8080", "", "127.0.0.1:8081"},
		{"127.0.0.1:0", "", "127.0.0.1:0"},
		{"127.0.0.1:5008", "10.0.0.1:9000", "10.0.0.1:9000"},
	}
	for _, tc := range tests {
		c := server.DefaultConfig()
		c.Listen, c.Admin.Listen = tc.listen, tc.admin
		if got := c.AdminListen(); got != tc.want {
			t.Errorf("AdminListen(%s, %q) = %s, want %s", tc.listen, tc.admin, got, tc.want)
		}
	}
	c := server.DefaultConfig()
	c.Admin.Listen = "0.0.0.0:9000"
	if ps := c.Check(); len(ps) != 1 || ps[0].Path != "admin.listen" || !strings.Contains(ps[0].Message, "basic_auth") {
		t.Errorf("an open admin listener without auth: %v", ps)
	}
	c.Admin.InsecureNoAuth = true
	if ps := c.Check(); len(ps) != 0 {
		t.Errorf("insecure_no_auth: %v", ps)
	}
}

func TestLoopbackOnly(t *testing.T) {
	for addr, want := range map[string]bool{
		"127.0.0.1:5008": true, "127.1.2.3:1": true, "[::1]:5008": true, "localhost:5008": true,
		":5008": false, "0.0.0.0:5008": false, "[::]:5008": false, "10.0.0.1:5008": false, "example.com:80": false, "bad": false,
	} {
		if got := server.LoopbackOnly(addr); got != want {
			t.Errorf("LoopbackOnly(%q) = %v, want %v", addr, got, want)
		}
	}
}

// writeCert writes a fresh self-signed certificate for 127.0.0.1 named cn
// to dir, returning the file names.
func writeCert(t *testing.T, dir, cn string) (certFile, keyFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kb, _ := x509.MarshalECPrivateKey(key)
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	// Written under other names and renamed, as a renewal does.
	for name, data := range map[string][]byte{certFile: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		keyFile: pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb})} {
		if err := os.WriteFile(name+".new", data, 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(name+".new", name); err != nil {
			t.Fatal(err)
		}
	}
	return certFile, keyFile
}

func TestTLSReloadsChangedCertificate(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile := writeCert(t, dir, "first")
	var calls atomic.Int32
	f := servertest.New(t, server.Options{Config: server.Config{TLS: server.TLSConfig{CertFile: certFile, KeyFile: keyFile}},
		Mounts: []server.Mount{echo(&calls)}})
	serve(t, f)
	served := func() string {
		conn, err := tls.Dial("tcp", f.Srv.Addr(), &tls.Config{InsecureSkipVerify: true}) // the test reads the name, not trust
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		return conn.ConnectionState().PeerCertificates[0].Subject.CommonName
	}
	if got := served(); got != "first" {
		t.Fatalf("served %q", got)
	}
	// Plain HTTP is not answered on a TLS listener.
	if resp, err := http.Get("http://" + f.Srv.Addr() + "/healthz"); err == nil && resp.StatusCode == 200 {
		t.Error("plain HTTP was served on the TLS listener")
	}
	writeCert(t, dir, "second")
	if got := served(); got != "second" {
		t.Fatalf("after renewal served %q, want second", got)
	}
	// A broken renewal keeps the last good certificate.
	if err := os.WriteFile(keyFile, []byte("not a key"), 0o600); err != nil {
		t.Fatal(err)
	}
	if got := served(); got != "second" {
		t.Fatalf("after a broken renewal served %q, want second", got)
	}
	if !strings.Contains(f.Logs.String(), "do not load") {
		t.Error("a broken renewal was not logged")
	}
}

// TestNotReadyIsNotAnError: /readyz polled while an index loads answers
// 503 without an ERROR line per poll.
func TestNotReadyIsNotAnError(t *testing.T) {
	f := servertest.New(t, server.Options{Ready: func() (bool, []string) { return false, []string{"index of source \"crm\" not built yet"} }})
	if rec := f.DoAdmin(http.MethodGet, "/readyz", "", nil); rec.Code != http.StatusServiceUnavailable {
		t.Fatalf("/readyz = %d", rec.Code)
	}
	lines := f.RequestLines(t)
	if len(lines) != 1 || lines[0]["@level"] != "debug" {
		t.Errorf("a 503 from /readyz logged as %v, want one debug line", lines)
	}
}

// TestPublicSubpathsAreLogged: a prefix mount whose subpaths hold no
// secret (the console) logs the path that was hit; one that may hold a
// secret (the webhook's token) logs its own path only.
func TestPublicSubpathsAreLogged(t *testing.T) {
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		server.Respond(w, http.StatusOK, "text/plain", []byte(r.URL.Path))
	})
	f := servertest.New(t, server.Options{Mounts: []server.Mount{
		{Name: "pages", Path: "/console", Prefix: true, PublicSubpaths: true, Handler: ok},
		{Name: "hook", Path: "/hook", Prefix: true, Handler: ok},
	}})
	for _, p := range []string{"/console/call/0f0e6a2c-5f4e-4d2b", "/hook/s3cr3t-token-0123456789"} {
		if rec := f.Do(http.MethodGet, p, "", nil); rec.Body.String() != p {
			t.Errorf("%s: the handler saw %q", p, rec.Body.String())
		}
	}
	lines := f.RequestLines(t)
	if len(lines) != 2 || lines[0]["path"] != "/console/call/0f0e6a2c-5f4e-4d2b" || lines[1]["path"] != "/hook" {
		t.Errorf("logged paths: %v", lines)
	}
}
