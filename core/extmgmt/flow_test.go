package extmgmt

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/switchboard-hq/switchboard/connectors"
	"github.com/switchboard-hq/switchboard/core/directory"
	"github.com/switchboard-hq/switchboard/core/routing"
)

const (
	ada        = "+442045205757" // a known caller, PIN 1234, manager at 1093
	stranger   = "+447700900999" // unknown
	adaPIN     = "1234"
	adaAcct    = "778899"
	queue      = "1000"
	adaExt     = "1093"
	askPIN     = "https://audio.example/pin.wav"
	askAcct    = "https://audio.example/account.wav"
	adaExtID   = "crm-C001"
	slowCaller = "+441610000000"
	// failingCaller's lookup fails; brokenPIN's check fails.
	failingCaller = "+441610000001"
	brokenPIN     = "6666"
)

var adaMatch = connectors.Match{Contact: &connectors.Contact{ID: "C001", FirstName: "Ada"}, Kind: connectors.MatchExact}

// fakeDir knows Ada by number, by account and by external id; her PIN
// is 1234. slowCaller's lookup waits for its context.
type fakeDir struct {
	mu       sync.Mutex
	verified []string // the values VerifyKey was asked (to check nothing else leaks)
}

func (d *fakeDir) Lookup(ctx context.Context, raw string) directory.Result {
	switch raw {
	case ada:
		m := adaMatch
		return directory.Result{Found: true, Match: &m, Matches: []connectors.Match{m}, Source: "customers"}
	case slowCaller:
		<-ctx.Done()
		return directory.Result{Errors: []directory.SourceError{{Source: "customers", Err: ctx.Err()}}}
	case failingCaller:
		return directory.Result{Errors: []directory.SourceError{{Source: "customers", Err: fmt.Errorf("plugin down")}}}
	}
	return directory.Result{}
}

func (d *fakeDir) LookupKey(_ context.Context, key, value string) directory.Result {
	if (key == "account" && value == adaAcct) || (key == "crm_id" && value == adaExtID) {
		m := adaMatch
		m.Kind = connectors.MatchKey
		return directory.Result{Found: true, Match: &m, Matches: []connectors.Match{m}, Source: "customers"}
	}
	return directory.Result{}
}

func (d *fakeDir) VerifyKey(_ context.Context, rec *connectors.Match, key, value string) (bool, error) {
	d.mu.Lock()
	d.verified = append(d.verified, key)
	d.mu.Unlock()
	if value == brokenPIN {
		return false, fmt.Errorf("plugin down")
	}
	return key == "pin" && rec.Key() == "contact:C001" && value == adaPIN, nil
}

// fakeRules evaluates the few conditions the test flows use, and routes
// a found record to its manager.
type fakeRules struct{}

func (fakeRules) Condition(src string, extra map[string]any) (func(map[string]any) (bool, error), error) {
	for _, v := range []string{"input", "try", "verified", "keyed", "step"} {
		if _, ok := extra[v]; !ok {
			return nil, fmt.Errorf("flow variable %s is not offered", v)
		}
	}
	switch src {
	case "found", "verified", "keyed":
		return func(env map[string]any) (bool, error) { return env[src].(bool), nil }, nil
	case "boom":
		return func(map[string]any) (bool, error) { return false, fmt.Errorf("boom") }, nil
	}
	return nil, fmt.Errorf("unknown name %q", src)
}

func (fakeRules) Env(res directory.Result, call routing.Call) map[string]any {
	return map[string]any{"found": res.Found, "caller": call.Caller}
}

func (fakeRules) Decide(res directory.Result, call routing.Call, target string) routing.Decision {
	if target != SmartIVRTarget {
		panic("decided for " + target)
	}
	if res.Found {
		return routing.Decision{Destination: adaExt, Rule: "manager", Reason: `rule "manager" matched`}
	}
	return routing.Decision{Destination: queue, Default: true, Reason: "default"}
}

// pinFlow: a known caller is asked for her PIN (two tries), an unknown
// one for an account number.
func pinFlow() Config {
	c := DefaultConfig()
	c.Enabled, c.Default, c.ExternalIDKey = true, queue, "crm_id"
	c.Steps = map[string]Step{
		"start": {Then: []Branch{{When: "found", Goto: "ask_pin"}, {Goto: "ask_account"}}},
		"ask_pin": {Say: "Welcome back.", Gather: &Gather{Ask: askPIN, MinDigits: 4, MaxDigits: 4, Tries: 2}, Verify: "pin",
			Then:   []Branch{{When: "verified", Connect: ConnectRules}, {Say: "That PIN is not right.", Retry: true}},
			OnFail: &Branch{Say: "Connecting you to our team.", Connect: queue}},
		"ask_account": {Gather: &Gather{Ask: askAcct, MinDigits: 6, MaxDigits: 8, Tries: 2}, Find: "account",
			Then: []Branch{{When: "keyed", Connect: ConnectRules}, {Retry: true}}},
	}
	return c
}

type fixture struct {
	t   *testing.T
	h   http.Handler
	dir *fakeDir
	now time.Time
}

func newFixture(t *testing.T, cfg Config) *fixture {
	t.Helper()
	if ps := cfg.Check(); len(ps) > 0 {
		t.Fatalf("config: %v", ps)
	}
	f := &fixture{t: t, dir: &fakeDir{}, now: time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC)}
	flow, ps := Compile(cfg, f.dir, fakeRules{}, []string{"account", "crm_id", "pin"})
	if len(ps) > 0 {
		t.Fatalf("compile: %v", ps)
	}
	m, err := New(Options{Config: cfg, Flow: flow, Now: func() time.Time { return f.now }})
	if err != nil {
		t.Fatal(err)
	}
	f.h = m.Handler
	return f
}

// step posts one request and returns the answer's seq.
func (f *fixture) step(body string) []Action {
	f.t.Helper()
	rec := httptest.NewRecorder()
	f.h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/hipcall/external-management", strings.NewReader(body)))
	if rec.Code != http.StatusOK {
		f.t.Fatalf("%s: status %d", body, rec.Code)
	}
	var ans struct {
		Version string   `json:"version"`
		Seq     []Action `json:"seq"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &ans); err != nil || ans.Version != "1" || len(ans.Seq) == 0 {
		f.t.Fatalf("%s: answer %s is not a valid seq (%v)", body, rec.Body.String(), err)
	}
	return ans.Seq
}

func req(caller, uuid string, data map[string]string) string {
	b, _ := json.Marshal(map[string]any{"caller": caller, "callee": "442039000000", "uuid": uuid, "direction": "inbound",
		"external_manager_id": 99, "call_flow": []map[string]any{{"action": "init"}}, "data": data})
	return string(b)
}

// summary is a seq in one line: "say:Welcome back. gather:ask_pin__1 connect:1093".
func summary(seq []Action) string {
	var parts []string
	for _, a := range seq {
		switch a.Action {
		case "say":
			parts = append(parts, "say:"+fmt.Sprint(a.Args["text"]))
		case "gather":
			parts = append(parts, "gather:"+fmt.Sprint(a.Args["variable_name"]))
		case "connect":
			parts = append(parts, "connect:"+fmt.Sprint(a.Args["destination"]))
		default:
			parts = append(parts, a.Action)
		}
	}
	return strings.Join(parts, " ")
}

func TestFlows(t *testing.T) {
	type step struct {
		data map[string]string // nil: the first request
		want string
	}
	for _, tc := range []struct {
		name   string
		caller string
		steps  []step
	}{
		{"right PIN", ada, []step{
			{nil, "say:Welcome back. gather:ask_pin__1"},
			{map[string]string{"ask_pin__1": adaPIN}, "connect:" + adaExt},
		}},
		{"wrong PIN, then right", ada, []step{
			{nil, "say:Welcome back. gather:ask_pin__1"},
			{map[string]string{"ask_pin__1": "9999"}, "say:That PIN is not right. say:Welcome back. gather:ask_pin__2"},
			{map[string]string{"ask_pin__2": adaPIN}, "connect:" + adaExt},
		}},
		{"wrong PIN twice: the general queue", ada, []step{
			{nil, "say:Welcome back. gather:ask_pin__1"},
			{map[string]string{"ask_pin__1": "9999"}, "say:That PIN is not right. say:Welcome back. gather:ask_pin__2"},
			{map[string]string{"ask_pin__2": "0000"}, "say:That PIN is not right. say:Connecting you to our team. connect:" + queue},
		}},
		{"no input, then too few digits: tries used", ada, []step{
			{nil, "say:Welcome back. gather:ask_pin__1"},
			{map[string]string{"ask_pin__1": ""}, "say:Welcome back. gather:ask_pin__2"},
			{map[string]string{"ask_pin__2": "12"}, "say:Connecting you to our team. connect:" + queue},
		}},
		{"keys that are not digits count as a try", ada, []step{
			{nil, "say:Welcome back. gather:ask_pin__1"},
			{map[string]string{"ask_pin__1": "12a4"}, "say:Welcome back. gather:ask_pin__2"},
		}},
		{"unknown caller keys a known account", stranger, []step{
			{nil, "gather:ask_account__1"},
			{map[string]string{"ask_account__1": adaAcct}, "connect:" + adaExt},
		}},
		{"unknown caller keys an unknown account twice: default", stranger, []step{
			{nil, "gather:ask_account__1"},
			{map[string]string{"ask_account__1": "111111"}, "gather:ask_account__2"},
			{map[string]string{"ask_account__2": "222222"}, "connect:" + queue},
		}},
		{"a position this flow does not have: start over", stranger, []step{
			{map[string]string{"gone__1": "1"}, "gather:ask_account__1"},
			{map[string]string{"start__1": "1"}, "gather:ask_account__1"},
		}},
		{"unrelated data: start", ada, []step{
			{map[string]string{"pin_code": "1234"}, "say:Welcome back. gather:ask_pin__1"},
		}},
		{"earlier answers in data: the question asked last wins", ada, []step{
			{nil, "say:Welcome back. gather:ask_pin__1"},
			{map[string]string{"ask_pin__1": "9999"}, "say:That PIN is not right. say:Welcome back. gather:ask_pin__2"},
			{map[string]string{"ask_pin__1": "9999", "ask_pin__2": adaPIN}, "connect:" + adaExt},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, pinFlow())
			for i, s := range tc.steps {
				if got := summary(f.step(req(tc.caller, "call-1", s.data))); got != s.want {
					t.Fatalf("step %d (data %v): %s\nwant %s", i+1, s.data, got, s.want)
				}
			}
		})
	}
}

// TestEmptyDataLoop: when the ask cannot be played Hipcall calls back at
// once with empty data: each counts as no input for the question asked,
// and the call is connected once the tries are used, never looping.
func TestEmptyDataLoop(t *testing.T) {
	f := newFixture(t, pinFlow())
	var got []string
	for range 4 {
		got = append(got, summary(f.step(req(ada, "loop", map[string]string{}))))
	}
	want := []string{"say:Welcome back. gather:ask_pin__1", "say:Welcome back. gather:ask_pin__2",
		"say:Connecting you to our team. connect:" + queue, "say:Welcome back. gather:ask_pin__1"}
	for i := range want[:3] {
		if got[i] != want[i] {
			t.Fatalf("request %d: %s, want %s (all: %q)", i+1, got[i], want[i], got)
		}
	}
	// Hipcall keeps calling: the loop cap connects the default whatever the flow says.
	cfg := pinFlow()
	cfg.MaxRequests = 3
	g := newFixture(t, cfg)
	for i := range 6 {
		s := summary(g.step(req(ada, "loop", map[string]string{})))
		if i >= 3 && s != "connect:"+queue {
			t.Fatalf("request %d beyond max_requests: %s", i+1, s)
		}
	}
	// Another call is not capped by the first.
	if s := summary(g.step(req(ada, "other", nil))); s != "say:Welcome back. gather:ask_pin__1" {
		t.Errorf("another call: %s", s)
	}
}

// TestPositionSurvivesRestart: a new process (no per-call state) reads
// the position from Hipcall's request.
func TestPositionSurvivesRestart(t *testing.T) {
	f := newFixture(t, pinFlow())
	f.step(req(ada, "call-r", nil))
	g := newFixture(t, pinFlow()) // the restarted host
	if got := summary(g.step(req(ada, "call-r", map[string]string{"ask_pin__1": adaPIN}))); got != "connect:"+adaExt {
		t.Errorf("after a restart: %s", got)
	}
}

func TestContactExternalID(t *testing.T) {
	f := newFixture(t, pinFlow())
	body := strings.Replace(req(stranger, "call-x", nil), `"caller"`, `"contact_external_id":"`+adaExtID+`","caller"`, 1)
	if got := summary(f.step(body)); got != "say:Welcome back. gather:ask_pin__1" {
		t.Errorf("known by contact_external_id: %s (want Ada's PIN question)", got)
	}
	body = strings.Replace(req(stranger, "call-y", nil), `"caller"`, `"contact_external_id":"nobody","caller"`, 1)
	if got := summary(f.step(body)); got != "gather:ask_account__1" {
		t.Errorf("unknown external id, unknown number: %s", got)
	}
}

func TestFallbacks(t *testing.T) {
	f := newFixture(t, pinFlow())
	for _, body := range []string{
		``, `[]`, `{"caller":`, `{"callee":"1"}`, `{"caller":"` + ada + `","Caller":"x"}`,
		`{"caller":"` + ada + `","data":[1]}` + strings.Repeat(" ", 1), // data not an object: ignored, flow runs
	} {
		got := summary(f.step(body))
		if body != `{"caller":"`+ada+`","data":[1]} ` && got != "connect:"+queue {
			t.Errorf("%q: %s, want the default", body, got)
		}
	}
	cfg := pinFlow()
	cfg.Deadline = 50 * time.Millisecond
	g := newFixture(t, cfg)
	if got := summary(g.step(req(slowCaller, "slow", nil))); got != "connect:"+queue {
		t.Errorf("a lookup past the deadline: %s", got)
	}
	// A failed lookup (the CRM down) connects the default at once rather
	// than asking a caller it cannot place for a PIN.
	if got := summary(f.step(req(failingCaller, "down", nil))); got != "connect:"+queue {
		t.Errorf("a failed caller lookup: %s", got)
	}
	if got := summary(f.step(req(ada, "verify-down", map[string]string{"ask_pin__1": brokenPIN}))); got != "connect:"+queue {
		t.Errorf("a PIN check that fails: %s", got)
	}
	// A step whose only branch fails: the default.
	cfg = pinFlow()
	cfg.Steps["start"] = Step{Then: []Branch{{When: "boom", Goto: "ask_pin"}}}
	if got := summary(newFixture(t, cfg).step(req(ada, "b", nil))); got != "connect:"+queue {
		t.Errorf("no branch: %s", got)
	}
}

func TestSimulate(t *testing.T) {
	flow, _ := Compile(pinFlow(), &fakeDir{}, fakeRules{}, []string{"account", "crm_id", "pin"})
	for _, tc := range []struct {
		caller string
		keyed  []string
		want   []string
	}{
		{ada, nil, []string{"say, gather ask_pin__1"}},
		{ada, []string{"9999", adaPIN}, []string{"say, gather ask_pin__1", "say, say, gather ask_pin__2", "connect " + adaExt}},
		{ada, []string{"9999", "0000", "1111"}, []string{"say, gather ask_pin__1", "say, say, gather ask_pin__2", "say, say, connect " + queue}},
		{stranger, []string{"", adaAcct}, []string{"gather ask_account__1", "gather ask_account__2", "connect " + adaExt}},
	} {
		steps := flow.Simulate(context.Background(), tc.caller, "", tc.keyed)
		var got []string
		for _, s := range steps {
			got = append(got, s.Describe())
			for _, line := range s.Trace {
				if strings.Contains(line, adaPIN) || strings.Contains(line, adaAcct) {
					t.Errorf("a trace shows the digits: %s", line)
				}
			}
		}
		if strings.Join(got, " | ") != strings.Join(tc.want, " | ") {
			t.Errorf("%s keying %q:\n got %q\nwant %q", tc.caller, tc.keyed, got, tc.want)
		}
	}
}
