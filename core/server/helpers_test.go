package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/switchboard-hq/switchboard/connectors"
	"github.com/switchboard-hq/switchboard/connectors/connectortest"
	"github.com/switchboard-hq/switchboard/connectors/phone"
	"github.com/switchboard-hq/switchboard/core/directory"
	"github.com/switchboard-hq/switchboard/core/routing"
	"github.com/switchboard-hq/switchboard/core/smartivr"
)

const (
	testDefaultExt = "100"
	knownCaller    = "+905061234567"
	knownExt       = "1093"
)

// fakeDirectory knows one number; lookupFn, when set, replaces it. It
// records the raw numbers it was asked about.
type fakeDirectory struct {
	lookupFn func(ctx context.Context, raw string) directory.Result

	mu    sync.Mutex
	asked []string
}

func (d *fakeDirectory) Lookup(ctx context.Context, raw string) directory.Result {
	d.mu.Lock()
	d.asked = append(d.asked, raw)
	d.mu.Unlock()
	if d.lookupFn != nil {
		return d.lookupFn(ctx, raw)
	}
	return knownLookup(raw)
}

func (d *fakeDirectory) calls() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]string(nil), d.asked...)
}

// knownLookup finds knownCaller with or without its "+", and treats
// anything that is not digits (after an optional "+") as invalid.
func knownLookup(raw string) directory.Result {
	digits := strings.TrimPrefix(raw, "+")
	if digits == "" || strings.Trim(digits, "0123456789") != "" {
		return directory.Result{Query: phone.Number{Raw: raw}, Via: directory.ViaNone, InvalidNumber: errors.New("not a number")}
	}
	q := phone.Number{Raw: raw, E164: "+" + digits, National: digits}
	if "+"+digits != knownCaller {
		return directory.Result{Query: q, Via: directory.ViaIndex}
	}
	m := connectors.Match{Contact: &connectors.Contact{ID: "C042", FirstName: "Ada"}, Kind: connectors.MatchExact, Phone: connectors.Phone{E164: knownCaller}}
	return directory.Result{Query: q, Found: true, Match: &m, Matches: []connectors.Match{m}, Source: "customers", Via: directory.ViaIndex}
}

// fakeRouter sends found contacts to knownExt and everything else to the
// default; decideFn, when set, replaces it. It records the calls it saw, and
// panics when asked for a target other than Hipcall's (the Smart IVR must
// only ask for its own).
type fakeRouter struct {
	decideFn func(res directory.Result, call routing.Call) routing.Decision

	mu    sync.Mutex
	calls []routing.Call
}

func (f *fakeRouter) Decide(res directory.Result, call routing.Call, target string) routing.Decision {
	f.mu.Lock()
	f.calls = append(f.calls, call)
	f.mu.Unlock()
	if target != smartivr.TargetName {
		panic("fakeRouter asked for " + target)
	}
	if f.decideFn != nil {
		return f.decideFn(res, call)
	}
	if res.Found {
		return routing.Decision{Target: target, Destination: knownExt, Rule: "known", Reason: "rule \"known\" matched for " + res.Match.Key()}
	}
	return routing.Decision{Target: target, Destination: testDefaultExt, Default: true, Reason: "default: no rule matched"}
}

func (f *fakeRouter) seen() []routing.Call {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]routing.Call(nil), f.calls...)
}

// fixture is a server over fakes with its own registry and log buffer.
type fixture struct {
	srv    *Server
	dir    *fakeDirectory
	router *fakeRouter
	reg    *prometheus.Registry
	logs   *connectortest.SyncBuffer
}

type fixtureOption func(*Options)

func withAuth(user, pass string) fixtureOption {
	return func(o *Options) { o.SmartIVR.BasicAuth = &BasicAuth{Username: user, Password: pass} }
}

func withDeadline(d time.Duration) fixtureOption {
	return func(o *Options) { o.SmartIVR.Deadline = d }
}

func newFixture(t testing.TB, opts ...fixtureOption) *fixture {
	t.Helper()
	f := &fixture{dir: &fakeDirectory{}, router: &fakeRouter{}, reg: prometheus.NewRegistry(), logs: &connectortest.SyncBuffer{}}
	o := Options{
		Listen:       "127.0.0.1:0",
		MaxBodyBytes: 1024,
		SmartIVR:     &SmartIVROptions{DefaultExtension: testDefaultExt},
		Directory:    f.dir,
		Router:       f.router,
		Registry:     f.reg,
		Logger: hclog.New(&hclog.LoggerOptions{
			Output: f.logs, Level: hclog.Trace, JSONFormat: true,
		}),
	}
	for _, opt := range opts {
		opt(&o)
	}
	srv, err := New(o)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	f.srv = srv
	return f
}

// do serves one request through the handler.
func (f *fixture) do(method, path, body string, header http.Header) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	for k, vs := range header {
		req.Header[k] = vs
	}
	rec := httptest.NewRecorder()
	f.srv.Handler().ServeHTTP(rec, req)
	return rec
}

// ivr POSTs body to the Smart IVR endpoint.
func (f *fixture) ivr(body string) *httptest.ResponseRecorder {
	return f.do(http.MethodPost, DefaultSmartIVRPath, body, nil)
}

// wantExtension fails unless rec is a 200 JSON {"extension": want} and
// nothing else.
func wantExtension(t *testing.T, rec *httptest.ResponseRecorder, want string) {
	t.Helper()
	if rec.Code != http.StatusOK {
		t.Fatalf("status = %d, want 200 (body %q)", rec.Code, rec.Body.String())
	}
	if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type = %q, want application/json", ct)
	}
	var got map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
		t.Fatalf("body %q is not JSON: %v", rec.Body.String(), err)
	}
	if len(got) != 1 || got["extension"] != want {
		t.Fatalf("body = %s, want exactly {\"extension\":%q}", rec.Body.String(), want)
	}
}

// metricValue returns the value of the counter (or the sample count of the
// histogram) name with exactly these labels, 0 if absent.
func metricValue(t testing.TB, reg *prometheus.Registry, name string, labels map[string]string) float64 {
	t.Helper()
	families, err := reg.Gather()
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

func (f *fixture) fallbacks(t testing.TB, reason string) float64 {
	t.Helper()
	return metricValue(t, f.reg, "switchboard_smart_ivr_fallbacks_total", map[string]string{"reason": reason})
}

// logLines decodes every JSON log line written so far.
func (f *fixture) logLines(t testing.TB) []map[string]any {
	t.Helper()
	var lines []map[string]any
	for _, l := range bytes.Split(bytes.TrimSpace(f.logs.Bytes()), []byte("\n")) {
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

// requestLines returns the per-request log lines.
func (f *fixture) requestLines(t testing.TB) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, l := range f.logLines(t) {
		if l["@message"] == "request" {
			out = append(out, l)
		}
	}
	return out
}

// waitFor polls cond until it holds or the timeout passes.
func waitFor(t testing.TB, what string, timeout time.Duration, cond func() bool) {
	t.Helper()
	connectortest.Eventually(t, timeout, what, cond)
}
