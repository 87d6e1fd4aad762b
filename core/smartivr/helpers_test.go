package smartivr

import (
	"github.com/switchboard-hq/switchboard/connectors/conf"

	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/switchboard-hq/switchboard/core/directory"
	"github.com/switchboard-hq/switchboard/core/ringtime/ringtimetest"
	"github.com/switchboard-hq/switchboard/core/routing"
	"github.com/switchboard-hq/switchboard/core/server"
	"github.com/switchboard-hq/switchboard/core/server/servertest"
)

const (
	testDefaultExt = "100"
	knownCaller    = ringtimetest.KnownCaller
	knownExt       = "1093"
)

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
	if target != TargetName {
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

// fixture is a server with the Smart IVR mounted over fakes.
type fixture struct {
	*servertest.Fixture
	dir    *ringtimetest.Directory
	router *fakeRouter
}

// setup is what a fixtureOption may change: the endpoint's options (ivr
// nil: not mounted) and the server's.
type setup struct {
	ivr *Options
	srv server.Options
}

type fixtureOption func(*setup)

func withAuth(user, pass string) fixtureOption {
	return func(s *setup) { s.ivr.BasicAuth = &conf.BasicAuth{Username: user, Password: conf.Secret(pass)} }
}

func withDeadline(d time.Duration) fixtureOption {
	return func(s *setup) { s.ivr.Deadline = d }
}

func withServer(change func(*server.Options)) fixtureOption {
	return func(s *setup) { change(&s.srv) }
}

func newFixture(t testing.TB, opts ...fixtureOption) *fixture {
	t.Helper()
	f := &fixture{dir: &ringtimetest.Directory{}, router: &fakeRouter{}}
	s := setup{ivr: &Options{DefaultExtension: testDefaultExt, Directory: f.dir, Router: f.router}}
	for _, opt := range opts {
		opt(&s)
	}
	if s.ivr != nil {
		m, err := New(*s.ivr)
		if err != nil {
			t.Fatalf("New: %v", err)
		}
		s.srv.Mounts = append(s.srv.Mounts, m)
	}
	f.Fixture = servertest.New(t, s.srv)
	return f
}

// ivr POSTs body to the Smart IVR endpoint.
func (f *fixture) ivr(body string) *httptest.ResponseRecorder {
	return f.Do(http.MethodPost, defaultPath, body, nil)
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

func (f *fixture) fallbacks(t testing.TB, reason string) float64 {
	t.Helper()
	return f.Metric(t, "switchboard_smart_ivr_fallbacks_total", map[string]string{"reason": reason})
}

// defaultPath is where the endpoint is mounted when no path is configured.
var defaultPath = DefaultConfig().Path
