// Package servertest serves a server.Server in tests: a fixture with its
// own registry and a JSON log buffer, and readers for the metrics and the
// per-request log lines. The endpoint packages (core/smartivr,
// core/ringostat) test their mounts through it.
package servertest

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/hashicorp/go-hclog"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/switchboard-hq/switchboard/connectors/connectortest"
	"github.com/switchboard-hq/switchboard/core/server"
)

// Fixture is a server with its own registry and log buffer.
type Fixture struct {
	Srv  *server.Server
	Reg  *prometheus.Registry
	Logs *connectortest.SyncBuffer
}

// New builds a server from o. Unset, Listen is 127.0.0.1:0, MaxBodyBytes
// 1024, Registry a fresh one and Logger a JSON logger at trace level into
// Logs. It fails t when server.New fails.
func New(t testing.TB, o server.Options) *Fixture {
	t.Helper()
	f := &Fixture{Logs: &connectortest.SyncBuffer{}}
	if o.Listen == "" {
		o.Listen = "127.0.0.1:0"
	}
	if o.MaxBodyBytes == 0 {
		o.MaxBodyBytes = 1024
	}
	if o.Registry == nil {
		o.Registry = prometheus.NewRegistry()
	}
	if o.Logger == nil {
		o.Logger = hclog.New(&hclog.LoggerOptions{Output: f.Logs, Level: hclog.Trace, JSONFormat: true})
	}
	f.Reg = o.Registry
	srv, err := server.New(o)
	if err != nil {
		t.Fatalf("server.New: %v", err)
	}
	f.Srv = srv
	return f
}

// Serve sends req through the server's handler.
func (f *Fixture) Serve(req *http.Request) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	f.Srv.Handler().ServeHTTP(rec, req)
	return rec
}

// ServeAdmin sends req through the server's admin handler.
func (f *Fixture) ServeAdmin(req *http.Request) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	f.Srv.AdminHandler().ServeHTTP(rec, req)
	return rec
}

// DoAdmin serves one request on the admin listener (/metrics, /readyz).
func (f *Fixture) DoAdmin(method, path, body string, header http.Header) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	for k, vs := range header {
		req.Header[k] = vs
	}
	return f.ServeAdmin(req)
}

// Do serves one request with body and header.
func (f *Fixture) Do(method, path, body string, header http.Header) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	for k, vs := range header {
		req.Header[k] = vs
	}
	return f.Serve(req)
}

// BasicHeader is an Authorization header with Basic credentials.
func BasicHeader(user, pass string) http.Header {
	return http.Header{"Authorization": {"Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+pass))}}
}

// Metric returns the value of the counter (or the sample count of the
// histogram) name with exactly these labels, 0 if absent.
func (f *Fixture) Metric(t testing.TB, name string, labels map[string]string) float64 {
	t.Helper()
	families, err := f.Reg.Gather()
	if err != nil {
		t.Fatalf("gather metrics: %v", err)
	}
	for _, mf := range families {
		if mf.GetName() != name {
			continue
		}
	next:
		for _, m := range mf.GetMetric() {
			if len(m.GetLabel()) != len(labels) {
				continue
			}
			for _, lp := range m.GetLabel() {
				if labels[lp.GetName()] != lp.GetValue() {
					continue next
				}
			}
			if h := m.GetHistogram(); h != nil {
				return float64(h.GetSampleCount())
			}
			return m.GetCounter().GetValue()
		}
	}
	return 0
}

// LogLines decodes every JSON log line written so far.
func (f *Fixture) LogLines(t testing.TB) []map[string]any {
	t.Helper()
	var lines []map[string]any
	for _, l := range bytes.Split(bytes.TrimSpace(f.Logs.Bytes()), []byte("\n")) {
		if len(l) == 0 {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal(l, &m); err != nil {
			t.Fatalf("log line %q is not JSON: %v", l, err)
		}
		lines = append(lines, m)
	}
	return lines
}

// RequestLines returns the per-request log lines.
func (f *Fixture) RequestLines(t testing.TB) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, l := range f.LogLines(t) {
		if l["@message"] == "request" {
			out = append(out, l)
		}
	}
	return out
}
