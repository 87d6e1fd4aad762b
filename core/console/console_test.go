package console

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/switchboard-hq/switchboard/connectors"
	"github.com/switchboard-hq/switchboard/connectors/phone"
	"github.com/switchboard-hq/switchboard/core/callview"
	"github.com/switchboard-hq/switchboard/core/directory"
	"github.com/switchboard-hq/switchboard/core/doctor"
	"github.com/switchboard-hq/switchboard/core/extmgmt"
	"github.com/switchboard-hq/switchboard/core/ringlog"
	"github.com/switchboard-hq/switchboard/core/routing"
	"github.com/switchboard-hq/switchboard/core/server"
	"github.com/switchboard-hq/switchboard/core/server/servertest"
	"github.com/switchboard-hq/switchboard/core/store"
)

const xss = "<script>alert(1)</script>"

type fakeExplainer struct{}

func (fakeExplainer) Explain(_ context.Context, caller, target string) (directory.Result, routing.Explanation) {
	res := directory.Result{Query: phone.Number{Raw: caller, E164: caller}, Via: directory.ViaIndex}
	if caller == "+905061234567" {
		m := connectors.Match{Contact: &connectors.Contact{ID: "C042", FirstName: "Ada", LastName: xss}, Kind: connectors.MatchExact}
		res.Found, res.Match, res.Matches, res.Source = true, &m, []connectors.Match{m}, "customers"
		return res, routing.Explanation{
			Decision: routing.Decision{Target: target, Destination: "1093", Rule: "vip", Reason: `rule "vip" matched`},
			Env:      map[string]any{"found": true, "caller": caller},
			Steps: []routing.Step{{Rule: "blocked", Matched: false, Notes: []string{`in_hours("Mon-Fri 09:00-18:00", "Europe/Istanbul") is true`}},
				{Rule: "vip", Matched: true, Destination: "1093"}},
		}
	}
	if strings.Trim(caller, "+0123456789") != "" {
		res.InvalidNumber, res.Query.E164 = errors.New("not a number"), ""
	}
	return res, routing.Explanation{Decision: routing.Decision{Target: target, Destination: "100", Default: true, Reason: "default: no rule matched (not found)"}}
}

type fakeCalls struct {
	mu       sync.Mutex
	call     callview.Call
	retried  []int64
	resolved []int64
}

func (f *fakeCalls) List(_ context.Context, flt callview.Filter) ([]callview.Call, int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return []callview.Call{f.call}, 0, nil
}

func (f *fakeCalls) Get(_ context.Context, uuid string) (*callview.Call, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if uuid != f.call.UUID {
		return nil, fmt.Errorf("call %s: %w", uuid, callview.ErrNotFound)
	}
	c := f.call
	c.Steps = append([]callview.Step(nil), f.call.Steps...)
	return &c, nil
}

func (f *fakeCalls) setState(job int64, state string) {
	for i := range f.call.Steps {
		if f.call.Steps[i].JobID == job {
			f.call.Steps[i].State = state
		}
	}
}

func (f *fakeCalls) Retry(_ context.Context, uuid string, job int64, force bool) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.retried = append(f.retried, job)
	f.setState(job, callview.StateScheduled)
	return "queued", nil
}

func (f *fakeCalls) Resolve(_ context.Context, uuid string, job int64, target string) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.resolved = append(f.resolved, job)
	f.setState(job, callview.StateDone)
	return "logged against " + target, nil
}

type fakeHealth struct{}

func (fakeHealth) Sources() []directory.SourceStats {
	return []directory.SourceStats{
		{Name: "customers", Mode: directory.ModeIndex, Ready: true, Records: 1200, Phones: 1500, LastSuccess: time.Now().Add(-90 * time.Second),
			SkippedRecords: 2, SkippedNumbers: 7, Building: 350000, BuildingFor: 2100 * time.Millisecond},
		{Name: "hubspot", Mode: directory.ModeLive, Ready: true, Breaker: "open", CheckError: errors.New("401 " + xss)},
	}
}

func (fakeHealth) Plugins() []Plugin { return []Plugin{{Name: "hubspot", Up: false, Restarts: 3}} }

type fixture struct {
	log   *ringlog.Log
	calls *fakeCalls
	h     http.Handler
	done  chan struct{}
}

func newFixture(t *testing.T, change ...func(*Options)) *fixture {
	t.Helper()
	f := &fixture{log: ringlog.New(100), done: make(chan struct{}), calls: &fakeCalls{call: callview.Call{
		UUID: "call-1", CallerNumber: xss, Steps: []callview.Step{
			{JobID: 7, Action: "comment", State: callview.StateFailed, Attempt: 3, MaxAttempts: 3, Error: "500 " + xss},
			{JobID: 8, Action: "task", State: callview.StateDone},
			{JobID: 9, Action: "log", Kind: "crm_log", State: callview.StateHeld, Candidates: []string{"contact:1", "company:" + xss}},
			{JobID: 10, Action: "comment", Kind: "comment", State: callview.StateRetrying, Attempt: 2, MaxAttempts: 5, Error: "429"},
			{JobID: 11, Action: "task", Kind: "task", State: callview.StateFailed, OutcomeUnknown: true},
		}}}}
	t.Cleanup(func() { close(f.done) })
	o := Options{Rings: f.log, Explainer: fakeExplainer{}, Targets: []string{"hipcall", "ringostat"}, Calls: f.calls, Health: fakeHealth{}, Done: f.done}
	for _, c := range change {
		c(&o)
	}
	m, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	if m.Path != "/console" || !m.Prefix || m.Name != "console" {
		t.Fatalf("mount = %+v", m)
	}
	f.h = m.Handler
	return f
}

func (f *fixture) add(caller, uuid, outcome string) uint64 {
	r := &ringlog.Record{Time: time.Now(), FrontEnd: ringlog.FrontEndSmartIVR, UUID: uuid, Caller: caller, Outcome: outcome,
		Destination: "100", Answer: "default", LookupLatency: 800 * time.Microsecond, Latency: 2 * time.Millisecond}
	switch outcome {
	case ringlog.OutcomeFound:
		r.E164, r.Match, r.Source, r.MatchKind, r.Rule, r.Destination = caller, ringlog.Party{Kind: "contact", ID: "C042", First: "Ada", Last: xss}, "customers", "exact", "vip", "1093"
	case ringlog.OutcomeAmbiguous:
		r.Candidates = []ringlog.Party{{Kind: "contact", ID: "1", First: "Bo"}, {Kind: "company", ID: "2", Last: "Acme"}}
	case ringlog.OutcomeInvalid:
		r.NotE164, r.Fallback = "not a number", "invalid_number"
	}
	return f.log.Add(r)
}

func (f *fixture) get(t *testing.T, target string) *httptest.ResponseRecorder {
	t.Helper()
	rec := httptest.NewRecorder()
	f.h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, target, nil))
	return rec
}

func wantOK(t *testing.T, rec *httptest.ResponseRecorder, contentType string) string {
	t.Helper()
	if rec.Code != http.StatusOK {
		t.Fatalf("status %d: %s", rec.Code, rec.Body.String())
	}
	if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, contentType) {
		t.Fatalf("Content-Type %q, want %s", ct, contentType)
	}
	return rec.Body.String()
}

// wantEscaped fails if the injected script appears unescaped.
func wantEscaped(t *testing.T, body string) {
	t.Helper()
	if strings.Contains(body, xss) || strings.Contains(body, "<script>alert") {
		t.Fatalf("the injected script is not escaped:\n%s", body)
	}
	if !strings.Contains(body, "&lt;script&gt;alert(1)&lt;/script&gt;") && !strings.Contains(body, `\u003cscript\u003ealert(1)\u003c/script\u003e`) {
		t.Fatalf("the injected caller is missing (escaped):\n%s", body)
	}
}

func decode(t *testing.T, body string) map[string]any {
	t.Helper()
	var v map[string]any
	if err := json.Unmarshal([]byte(body), &v); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, body)
	}
	return v
}

func TestNewRequiresRings(t *testing.T) {
	if _, err := New(Options{}); err == nil || !strings.Contains(err.Error(), "Options.Rings") {
		t.Fatalf("err = %v", err)
	}
	if _, err := New(Options{Rings: ringlog.New(1), Path: "/console/"}); err == nil {
		t.Fatal("a path ending in / was accepted")
	}
}

func TestCallsPage(t *testing.T) {
	f := newFixture(t)
	f.add("+905061234567", "call-1", ringlog.OutcomeFound)
	f.add(xss, "call-2", ringlog.OutcomeInvalid)
	f.add("+902120000000", "call-3", ringlog.OutcomeAmbiguous)
	body := wantOK(t, f.get(t, "/console"), "text/html")
	wantEscaped(t, body)
	for _, want := range []string{`<main id="main"`, `<nav aria-label="Console">`, `<label for="f-number">`, `<th scope="col">Caller</th>`,
		`id="ring-1" data-ring-id="1" data-outcome="found"`, `href="/console/ring/2"`, `id="live" data-state="connecting"`,
		`src="/console/static/console.js"`, "Ada &lt;script&gt;", "ambiguous", "Acme", "fallback: invalid_number", `data-call-uuid="call-1"`} {
		if !strings.Contains(body, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	// Newest first.
	if i3, i1 := strings.Index(body, `id="ring-3"`), strings.Index(body, `id="ring-1"`); i3 < 0 || i3 > i1 {
		t.Error("rings are not newest first")
	}
	if got := f.get(t, "/console/"); got.Code != http.StatusOK {
		t.Errorf("/console/ status %d", got.Code)
	}
}

func TestCallsPageFiltersAndJSON(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	f := newFixture(t, func(o *Options) { o.Now = func() time.Time { return now } })
	old := &ringlog.Record{Time: now.Add(-2 * time.Hour), Caller: "+905061234567", Outcome: ringlog.OutcomeFound}
	f.log.Add(old)
	f.log.Add(&ringlog.Record{Time: now.Add(-time.Minute), Caller: "+905061234567", E164: "+905061234567", Outcome: ringlog.OutcomeFound})
	f.log.Add(&ringlog.Record{Time: now.Add(-time.Minute), Caller: "0212 000", Outcome: ringlog.OutcomeUnknown})
	for _, tc := range []struct {
		query string
		ids   []float64
	}{
		{"", []float64{3, 2, 1}},
		{"number=506+123", []float64{2, 1}},
		{"outcome=unknown", []float64{3}},
		{"window=15m", []float64{3, 2}},
		{"from=2026-03-01T09:00:00Z&to=2026-03-01T11:00:00Z", []float64{1}},
		{"number=%2B90506&window=1h", []float64{2}},
	} {
		v := decode(t, wantOK(t, f.get(t, "/console?format=json&"+tc.query), "application/json"))
		var got []float64
		for _, r := range v["rings"].([]any) {
			got = append(got, r.(map[string]any)["id"].(float64))
		}
		if fmt.Sprint(got) != fmt.Sprint(tc.ids) {
			t.Errorf("%s: ids %v, want %v", tc.query, got, tc.ids)
		}
	}
	v := decode(t, f.get(t, "/console?format=json&window=soon").Body.String())
	if probs := v["filter"].(map[string]any)["problems"]; probs == nil {
		t.Error("a bad window is not reported")
	}
	if j := v["journal"].(map[string]any); j["configured"] != true || len(j["calls"].([]any)) != 1 {
		t.Errorf("journal = %v", j)
	}
}

func TestCallsPageWithoutJournal(t *testing.T) {
	f := newFixture(t, func(o *Options) { o.Calls = nil })
	body := wantOK(t, f.get(t, "/console"), "text/html")
	if !strings.Contains(body, "The journal is not configured") || !strings.Contains(body, "No rings yet") {
		t.Errorf("page:\n%s", body)
	}
}

func TestRingPage(t *testing.T) {
	f := newFixture(t)
	id := f.add("+905061234567", "call-1", ringlog.OutcomeFound)
	body := wantOK(t, f.get(t, fmt.Sprintf("/console/ring/%d", id)), "text/html")
	wantEscaped(t, body)
	for _, want := range []string{"explained now, with the current data and rules", `id="decision-hipcall"`, `id="decision-ringostat"`,
		"rule &#34;vip&#34; matched", "<th scope=\"row\">blocked</th>", "did not match", "matched: 1093",
		"in_hours(&#34;Mon-Fri 09:00-18:00&#34;, &#34;Europe/Istanbul&#34;) is true",
		`id="retry-7"`, `id="resolve-9"`, `name="csrf"`, "Retry anyway", `data-job-id="8" data-state="done"`} {
		if !strings.Contains(body, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	if strings.Contains(body, `id="resolve-7"`) {
		t.Error("a comment step offers Resolve (only a crm_log step is logged against a record)")
	}
	if strings.Contains(body, `id="retry-8"`) {
		t.Error("a done step offers Retry")
	}
	v := decode(t, wantOK(t, f.get(t, fmt.Sprintf("/console/ring/%d?format=json", id)), "application/json"))
	ex := v["explanation"].(map[string]any)
	if ex["note"] != explainedNow || len(ex["decisions"].([]any)) != 2 || v["call"].(map[string]any)["uuid"] != "call-1" {
		t.Errorf("json = %v", v)
	}
	for _, target := range []string{"/console/ring/99", "/console/ring/x", "/console/call/nobody"} {
		if rec := f.get(t, target); rec.Code != http.StatusNotFound {
			t.Errorf("%s: status %d, want 404", target, rec.Code)
		}
	}
}

func TestCallPage(t *testing.T) {
	f := newFixture(t)
	f.add("+905061234567", "call-1", ringlog.OutcomeFound)
	f.add("+905061234567", "call-1", ringlog.OutcomeFound) // Hipcall asked twice
	v := decode(t, wantOK(t, f.get(t, "/console/call/call-1?format=json"), "application/json"))
	if len(v["rings"].([]any)) != 2 {
		t.Errorf("rings = %v", v["rings"])
	}
	// A call the ring log no longer holds: the journal's story, explained by its caller number.
	f2 := newFixture(t)
	body := wantOK(t, f2.get(t, "/console/call/call-1"), "text/html")
	wantEscaped(t, body)
	if !strings.Contains(body, "holds no ring of this call") || !strings.Contains(body, `id="step-7"`) {
		t.Errorf("page:\n%s", body)
	}
}

// csrf reads the cookie and the form token from the call's page.
func (f *fixture) csrf(t *testing.T) (*http.Cookie, string) {
	t.Helper()
	rec := f.get(t, "/console/call/call-1")
	cookies := rec.Result().Cookies()
	if len(cookies) != 1 || cookies[0].Name != csrfCookie || !cookies[0].HttpOnly || cookies[0].SameSite != http.SameSiteStrictMode {
		t.Fatalf("cookies = %v", cookies)
	}
	m := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindStringSubmatch(rec.Body.String())
	if m == nil {
		t.Fatal("no csrf token in the page")
	}
	return cookies[0], m[1]
}

func (f *fixture) post(target string, ck *http.Cookie, token string) *httptest.ResponseRecorder {
	form := url.Values{}
	if token != "" {
		form.Set("csrf", token)
	}
	req := httptest.NewRequest(http.MethodPost, target, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if ck != nil {
		req.AddCookie(ck)
	}
	rec := httptest.NewRecorder()
	f.h.ServeHTTP(rec, req)
	return rec
}

func TestStepActionsCSRF(t *testing.T) {
	f := newFixture(t)
	ck, token := f.csrf(t)
	other := &http.Cookie{Name: csrfCookie, Value: strings.Repeat("A", 43)}
	for _, tc := range []struct {
		name  string
		ck    *http.Cookie
		token string
	}{
		{"no token", ck, ""},
		{"no cookie", nil, token},
		{"wrong token", ck, token[:len(token)-2] + "xx"},
		{"another browser's cookie", other, token},
	} {
		if rec := f.post("/console/call/call-1/step/7/retry", tc.ck, tc.token); rec.Code != http.StatusForbidden {
			t.Errorf("%s: status %d, want 403", tc.name, rec.Code)
		}
	}
	if len(f.calls.retried) != 0 {
		t.Fatalf("a refused post retried: %v", f.calls.retried)
	}
	// Pressed twice: retried once, then nothing to do; both redirect.
	for i, want := range []string{"step+7+retried", "nothing+to+do"} {
		rec := f.post("/console/call/call-1/step/7/retry", ck, token)
		if rec.Code != http.StatusSeeOther || !strings.Contains(rec.Header().Get("Location"), want) {
			t.Errorf("press %d: status %d, Location %q", i+1, rec.Code, rec.Header().Get("Location"))
		}
	}
	if fmt.Sprint(f.calls.retried) != "[7]" {
		t.Errorf("retried = %v, want [7]", f.calls.retried)
	}
	for range 2 {
		f.post("/console/call/call-1/step/9/resolve", ck, token)
	}
	if fmt.Sprint(f.calls.resolved) != "[9]" {
		t.Errorf("resolved = %v, want [9]", f.calls.resolved)
	}
	if rec := f.post("/console/call/call-1/step/8/explode", ck, token); rec.Code != http.StatusNotFound {
		t.Errorf("unknown action: status %d", rec.Code)
	}
	if rec := f.post("/console/call/call-1/step/99/retry", ck, token); rec.Code != http.StatusNotFound {
		t.Errorf("unknown step: status %d", rec.Code)
	}
	// A process with another secret refuses this token.
	g := newFixture(t, func(o *Options) { o.Secret = []byte("another secret") })
	if rec := g.post("/console/call/call-1/step/7/retry", ck, token); rec.Code != http.StatusForbidden {
		t.Errorf("another process's token: status %d", rec.Code)
	}
}

// postForm posts form (with the CSRF token) to target.
func (f *fixture) postForm(target string, ck *http.Cookie, token string, form url.Values) *httptest.ResponseRecorder {
	form.Set("csrf", token)
	req := httptest.NewRequest(http.MethodPost, target, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.AddCookie(ck)
	rec := httptest.NewRecorder()
	f.h.ServeHTTP(rec, req)
	return rec
}

func TestActionsPage(t *testing.T) {
	f := newFixture(t)
	f.calls.call.Planning = &callview.Planning{JobID: 5, State: callview.StateFailed, Attempt: 25, Error: "connector down"}
	body := wantOK(t, f.get(t, "/console/actions"), "text/html")
	wantEscaped(t, body)
	for _, want := range []string{
		`id="action-7" data-job-id="7" data-state="failed"`, `id="retry-7"`, // failed: retry
		`id="action-9" data-job-id="9" data-state="held"`, `id="resolve-9"`, `<option value="contact:1">`, // held crm_log: resolve among candidates
		`Retry anyway (Hipcall may already have it)`, `name="force" value="1"`, // a task whose outcome is unknown
		`id="retry-5"`, `Plan again`, // the planning failed
		`Being retried (1)`, `Waiting for a person (4)`,
		`name="back" value="actions"`, `aria-current="page">Actions`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("page lacks %s", want)
		}
	}
	if strings.Contains(body, `id="action-8"`) || strings.Contains(body, `id="action-10"`) {
		t.Error("a done or retrying step is listed as waiting for a person")
	}
	v := decode(t, wantOK(t, f.get(t, "/console/actions?format=json&window=14d"), "application/json"))
	if v["window"] != "14d" || len(v["dead"].([]any)) != 4 || len(v["retrying"].([]any)) != 1 {
		t.Errorf("json = %v", v)
	}
	if body := wantOK(t, f.get(t, "/console/actions?window=soon"), "text/html"); !strings.Contains(body, "is not a duration") {
		t.Error("a bad window is not reported")
	}

	// The buttons come back to the Actions page; pressed twice, the step runs once.
	ck, token := f.csrf(t)
	for i, want := range []string{"step+7+retried", "nothing+to+do"} {
		rec := f.postForm("/console/call/call-1/step/7/retry", ck, token, url.Values{"back": {"actions"}})
		if loc := rec.Header().Get("Location"); rec.Code != http.StatusSeeOther || !strings.HasPrefix(loc, "/console/actions?done=") || !strings.Contains(loc, want) {
			t.Errorf("press %d: status %d, Location %q", i+1, rec.Code, loc)
		}
	}
	// back is a choice, never a URL.
	rec := f.postForm("/console/call/call-1/step/5/retry", ck, token, url.Values{"back": {"https://evil.example/"}})
	if loc := rec.Header().Get("Location"); !strings.HasPrefix(loc, "/console/call/call-1?done=") {
		t.Errorf("back to %q", loc)
	}
	if fmt.Sprint(f.calls.retried) != "[7 5]" {
		t.Errorf("retried = %v, want [7 5] (the step, then the planning)", f.calls.retried)
	}
	// Without a journal the page says so.
	g := newFixture(t, func(o *Options) { o.Calls = nil })
	if body := wantOK(t, g.get(t, "/console/actions"), "text/html"); !strings.Contains(body, `id="journal-off"`) {
		t.Error("no journal: the page does not say so")
	}
}

func TestWhyPage(t *testing.T) {
	f := newFixture(t)
	body := wantOK(t, f.get(t, "/console/why?number="+url.QueryEscape("+905061234567")), "text/html")
	for _, want := range []string{`<label for="why-number">`, "explained now", "C042", "hipcall: 1093", "ringostat: 1093", "exact match"} {
		if !strings.Contains(body, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	body = wantOK(t, f.get(t, "/console/why?number="+url.QueryEscape(xss)), "text/html")
	wantEscaped(t, body)
	v := decode(t, wantOK(t, f.get(t, "/console/why?format=json&number=%2B902120000000"), "application/json"))
	ex := v["explanation"].(map[string]any)
	if ex["lookup"].(map[string]any)["outcome"] != "unknown" || ex["decisions"].([]any)[0].(map[string]any)["decision"].(map[string]any)["destination"] != "100" {
		t.Errorf("json = %v", v)
	}
	if body := wantOK(t, f.get(t, "/console/why"), "text/html"); !strings.Contains(body, "Enter a number") {
		t.Error("empty why page lacks its prompt")
	}
	g := newFixture(t, func(o *Options) { o.Explainer = nil })
	if body := g.get(t, "/console/why?number=1").Body.String(); !strings.Contains(body, "explainer is not configured") {
		t.Error("no explainer: not said")
	}
}

func TestConnectorsPage(t *testing.T) {
	f := newFixture(t)
	body := wantOK(t, f.get(t, "/console/connectors"), "text/html")
	for _, want := range []string{`<th scope="row">customers</th>`, "1200 records, 1500 numbers", "7 in 2 records",
		"building: 350000 records listed in 2.1s", "1m30s ago", "down", "3 restarts", "open", "check fails: 401 &lt;script&gt;"} {
		if !strings.Contains(body, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	v := decode(t, wantOK(t, f.get(t, "/console/connectors?format=json"), "application/json"))
	cs := v["connectors"].([]any)
	if len(cs) != 2 || cs[1].(map[string]any)["plugin"].(map[string]any)["restarts"].(float64) != 3 || cs[1].(map[string]any)["fresh_seconds"].(float64) != -1 {
		t.Errorf("json = %v", v)
	}
	g := newFixture(t, func(o *Options) { o.Health = nil })
	if body := g.get(t, "/console/connectors").Body.String(); !strings.Contains(body, "not configured") {
		t.Error("no health: not said")
	}
}

func TestStaticAndHeaders(t *testing.T) {
	f := newFixture(t)
	js := wantOK(t, f.get(t, "/console/static/console.js"), "text/javascript")
	if !strings.Contains(js, "EventSource") || !strings.Contains(js, "htmx") {
		t.Error("console.js lacks its EventSource or the note on htmx")
	}
	wantOK(t, f.get(t, "/console/static/console.css"), "text/css")
	rec := f.get(t, "/console")
	if csp := rec.Header().Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") {
		t.Errorf("CSP = %q", csp)
	}
	if rec := f.get(t, "/console/static/nothing.js"); rec.Code != http.StatusNotFound {
		t.Errorf("missing file: %d", rec.Code)
	}
}

// TestMountedOnAdminListener serves the console from the server's admin
// listener, behind its Basic Auth.
func TestMountedOnAdminListener(t *testing.T) {
	m, err := New(Options{Rings: ringlog.New(10)})
	if err != nil {
		t.Fatal(err)
	}
	fx := servertest.New(t, server.Options{AdminMounts: []server.Mount{m}})
	if rec := fx.DoAdmin(http.MethodGet, "/console/why", "", nil); rec.Code != http.StatusOK {
		t.Fatalf("admin /console/why: %d %s", rec.Code, rec.Body.String())
	}
}

// readEvent reads one server-sent event (its id and data) from br.
func readEvent(br *bufio.Reader) (id, data string, err error) {
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			return "", "", err
		}
		line = strings.TrimRight(line, "\n")
		switch {
		case line == "" && data != "":
			return id, data, nil
		case strings.HasPrefix(line, "id: "):
			id = line[4:]
		case strings.HasPrefix(line, "data: "):
			data = line[6:]
		}
	}
}

func TestEventsFeed(t *testing.T) {
	f := newFixture(t)
	srv := httptest.NewServer(f.h)
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/console/events?outcome=invalid", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("Content-Type %q", ct)
	}
	br := bufio.NewReader(resp.Body)
	if line, err := br.ReadString('\n'); err != nil || line != ": connected\n" {
		t.Fatalf("first line %q, %v", line, err) // subscribed: rings added now are sent
	}
	f.add("+905061234567", "call-1", ringlog.OutcomeFound) // filtered out
	id := f.add(xss, "call-2", ringlog.OutcomeInvalid)
	gotID, data, err := readEvent(br)
	if err != nil {
		t.Fatal(err)
	}
	if gotID != fmt.Sprint(id) {
		t.Errorf("event id %s, want %d (the found ring is filtered out)", gotID, id)
	}
	var ev liveEvent
	if err := json.Unmarshal([]byte(data), &ev); err != nil {
		t.Fatal(err)
	}
	if ev.ID != id || !strings.HasPrefix(ev.HTML, fmt.Sprintf(`<tr id="ring-%d"`, id)) || ev.Ring.Caller != xss {
		t.Errorf("event = %+v", ev)
	}
	wantEscaped(t, ev.HTML)
	wantEscaped(t, data)
}

func TestEventsResumeAndEnd(t *testing.T) {
	f := newFixture(t, func(o *Options) { o.MaxStream = time.Hour })
	for range 3 {
		f.add("+905061234567", "call-1", ringlog.OutcomeFound)
	}
	srv := httptest.NewServer(f.h)
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/console/events", nil)
	req.Header.Set("Last-Event-ID", "1")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	br := bufio.NewReader(resp.Body)
	for _, want := range []string{"2", "3"} {
		if id, _, err := readEvent(br); err != nil || id != want {
			t.Fatalf("resumed event %q, %v; want %s", id, err, want)
		}
	}
	close(f.done) // the host shuts down: the stream ends
	f.done = make(chan struct{})
	if _, err := io.ReadAll(br); err != nil {
		t.Fatalf("stream did not end cleanly: %v", err)
	}
}

// readRawEvent reads one server-sent event block (comments skipped) as
// its fields: "id", "event", "data".
func readRawEvent(br *bufio.Reader) (map[string]string, error) {
	ev := map[string]string{}
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			return nil, err
		}
		line = strings.TrimRight(line, "\n")
		switch {
		case line == "" && (ev["id"] != "" || ev["event"] != "" || ev["data"] != ""):
			return ev, nil
		case line == "":
			ev = map[string]string{} // a comment or retry only
		case strings.HasPrefix(line, ":"):
		default:
			k, v, _ := strings.Cut(line, ": ")
			ev[k] = v
		}
	}
}

// TestEventsThinAFlood: a batch sends the newest feedRows rings and says
// how many it left out; rings read but filtered out still move the
// browser's Last-Event-ID.
func TestEventsThinAFlood(t *testing.T) {
	f := newFixture(t)
	for i := range 2*feedRows + 10 {
		outcome := ringlog.OutcomeFound
		if i == 2*feedRows+9 { // the newest is filtered out below
			outcome = ringlog.OutcomeInvalid
		}
		f.add(fmt.Sprintf("+9050612%05d", i), "call", outcome)
	}
	newest := f.log.Last()
	srv := httptest.NewServer(f.h)
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/console/events?outcome=found", nil)
	req.Header.Set("Last-Event-ID", "0")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	br := bufio.NewReader(resp.Body)
	ev, err := readRawEvent(br)
	if err != nil || ev["event"] != "gap" {
		t.Fatalf("first event %v, %v; want a gap", ev, err)
	}
	var gap gapEvent
	if err := json.Unmarshal([]byte(ev["data"]), &gap); err != nil || gap.Left != feedRows+9 || gap.Lost != 0 {
		t.Fatalf("gap %s: want %d left, 0 lost", ev["data"], feedRows+9)
	}
	for i := range feedRows {
		ev, err := readRawEvent(br)
		want := fmt.Sprint(int(newest) - feedRows + i)
		if err != nil || ev["event"] != "ring" || ev["id"] != want {
			t.Fatalf("ring event %d = %v, %v; want id %s", i, ev, err, want)
		}
	}
	if ev, err := readRawEvent(br); err != nil || ev["id"] != fmt.Sprint(newest) || ev["event"] != "" || ev["data"] != "" {
		t.Fatalf("after the rings: %v, %v; want an id-only block moving the cursor to %d", ev, err, newest)
	}
}

// fakeQuality diagnoses when released.
type fakeQuality struct {
	release chan struct{}
	runs    chan struct{}
}

func (q *fakeQuality) Diagnose(ctx context.Context) (*doctor.Report, error) {
	q.runs <- struct{}{}
	select {
	case <-q.release:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	r := &doctor.Report{Region: "GB", Limit: 50, Problems: 1, Warnings: 1,
		Sources: []doctor.SourceReport{{Name: "customers", Contacts: 3, Numbers: 4, Unreadable: 1, Shared: 1}}}
	r.Unreadable.Total, r.Unreadable.Problems = 1, 1
	r.Unreadable.Items = []doctor.UnreadableNumber{{Record: doctor.RecordRef{Source: "customers", Type: "contact", ID: "C9", Name: xss}, Field: "phone", Raw: xss, Why: "not a number"}}
	r.Shared.Total = 1
	r.Shared.Items = []doctor.SharedNumber{{Source: "customers", Number: "+442071234567", Resolved: true, CommonCompany: "acme", Severity: doctor.Warning,
		Records: []doctor.SharedHolder{{RecordRef: doctor.RecordRef{Type: "contact", ID: "C1"}, Field: "phone", Raw: "020 7123 4567"}}}}
	return r, nil
}

func TestQualityPage(t *testing.T) {
	q := &fakeQuality{release: make(chan struct{}), runs: make(chan struct{}, 4)}
	f := newFixture(t, func(o *Options) { o.Quality = q })
	body := wantOK(t, f.get(t, "/console/quality"), "text/html")
	if !strings.Contains(body, "Not diagnosed since the host started") || !strings.Contains(body, `id="quality-run"`) {
		t.Fatalf("page before a run:\n%s", body)
	}
	ck, token := f.csrf(t)
	if rec := f.post("/console/quality/run", ck, ""); rec.Code != http.StatusForbidden {
		t.Errorf("no token: status %d", rec.Code)
	}
	for range 2 { // pressed twice: one run
		if rec := f.post("/console/quality/run", ck, token); rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/console/quality" {
			t.Fatalf("run: status %d, Location %q", rec.Code, rec.Header().Get("Location"))
		}
	}
	<-q.runs
	body = wantOK(t, f.get(t, "/console/quality"), "text/html")
	if !strings.Contains(body, `data-running="true"`) || !strings.Contains(body, `id="quality-run" disabled`) {
		t.Errorf("page while running:\n%s", body)
	}
	close(q.release)
	var v map[string]any
	for { // the run ends on its own goroutine: wait for the report, not for time
		v = decode(t, wantOK(t, f.get(t, "/console/quality?format=json"), "application/json"))
		if v["running"] == false {
			break
		}
		runtime.Gosched()
	}
	if len(q.runs) != 0 {
		t.Error("pressing twice started a second diagnosis")
	}
	rep, _ := v["report"].(map[string]any)
	if rep == nil || rep["problems"] != 1.0 || v["finished"] == nil {
		t.Fatalf("json = %v", v)
	}
	body = wantOK(t, f.get(t, "/console/quality"), "text/html")
	wantEscaped(t, body)
	for _, want := range []string{`data-problems="1"`, "Numbers that cannot be read (1)", "company acme", `data-running="false"`, "Diagnose again"} {
		if !strings.Contains(body, want) {
			t.Errorf("report page lacks %s", want)
		}
	}
	g := newFixture(t)
	if body := wantOK(t, g.get(t, "/console/quality"), "text/html"); !strings.Contains(body, `id="quality-off"`) {
		t.Error("no diagnosis configured: the page does not say so")
	}
}

// fakeSyncs holds runs as a state store would.
type fakeSyncs struct {
	runs []store.Run
	err  error
}

func (s *fakeSyncs) Runs(_ context.Context, limit int) ([]store.Run, error) {
	if s.err != nil {
		return nil, s.err
	}
	return s.runs[:min(limit, len(s.runs))], nil
}

func (s *fakeSyncs) Run(_ context.Context, id int64) (store.Run, bool, error) {
	for _, r := range s.runs {
		if r.ID == id {
			return r, true, nil
		}
	}
	return store.Run{}, false, s.err
}

func TestSyncPages(t *testing.T) {
	now := time.Now()
	syncs := &fakeSyncs{runs: []store.Run{
		{ID: 2, Holder: "host-a", StartedAt: now.Add(-time.Minute), Status: store.RunRunning, Phase: "writing", Resource: "contacts",
			Done: 250, Total: 1000, Counts: map[string]int64{"contacts.created": 200, "contacts.failed": 1, "requests": 240},
			Problems: []store.RunProblem{{Resource: "contacts", ExternalID: "C9", Source: "customers", Error: "422: " + xss}}, ProblemsTotal: 1,
			Changes: []store.RunChange{{Resource: "contacts", ExternalID: "C1", Action: "created", Fields: []string{"name", "phones"}}}, ChangesTotal: 200},
		{ID: 1, Holder: "cli", StartedAt: now.Add(-time.Hour), FinishedAt: now.Add(-59 * time.Minute), Status: store.RunDone, DryRun: true,
			Counts: map[string]int64{"companies.unchanged": 6}},
	}}
	f := newFixture(t, func(o *Options) { o.Syncs = syncs })
	body := wantOK(t, f.get(t, "/console/sync"), "text/html")
	if strings.Contains(body, "<script>alert") {
		t.Error("the runs page holds raw markup")
	}
	for _, want := range []string{`id="run-2" data-run-id="2" data-status="running"`, `<progress max="100" value="25"`, "250/1000",
		"contacts</strong> created 200 failed 1", "240 requests", `data-autoreload="true"`, `href="/console/sync/1"`, "dry run",
		"companies</strong> unchanged 6", `aria-current="page">Sync`} {
		if !strings.Contains(body, want) {
			t.Errorf("runs page lacks %s", want)
		}
	}
	body = wantOK(t, f.get(t, "/console/sync/2"), "text/html")
	wantEscaped(t, body)
	for _, want := range []string{"What failed or was skipped (1)", "contacts C9", "changed in Hipcall (200)", "name, phones", "The first 1 are kept", `data-autoreload="true"`} {
		if !strings.Contains(body, want) {
			t.Errorf("run page lacks %s", want)
		}
	}
	if body := wantOK(t, f.get(t, "/console/sync/1"), "text/html"); !strings.Contains(body, "would change in Hipcall (0)") || !strings.Contains(body, "(dry run)") {
		t.Errorf("dry run page:\n%s", body)
	}
	v := decode(t, wantOK(t, f.get(t, "/console/sync/2?format=json"), "application/json"))
	if v["percent"] != 25.0 || v["problems_total"] != 1.0 || v["status"] != "running" {
		t.Errorf("run json = %v", v)
	}
	if rec := f.get(t, "/console/sync/3"); rec.Code != http.StatusNotFound {
		t.Errorf("missing run: status %d", rec.Code)
	}
	if rec := f.get(t, "/console/sync/x"); rec.Code != http.StatusNotFound {
		t.Errorf("bad id: status %d", rec.Code)
	}
	syncs.runs, syncs.err = nil, fmt.Errorf("%w (no state file x)", ErrNoSyncState)
	if body := wantOK(t, f.get(t, "/console/sync"), "text/html"); !strings.Contains(body, "no sync has run yet") || strings.Contains(body, "failed") {
		t.Errorf("no state yet:\n%s", body)
	}
	g := newFixture(t)
	if body := wantOK(t, g.get(t, "/console/sync"), "text/html"); !strings.Contains(body, `id="sync-off"`) {
		t.Error("no sync configured: the page does not say so")
	}
}

// fakeFlow asks for a PIN and connects when it is given.
type fakeFlow struct{}

func (fakeFlow) Simulate(_ context.Context, caller, _ string, keyed []string) []extmgmt.SimStep {
	steps := []extmgmt.SimStep{{Data: map[string]string{}, Final: "gather", Trace: []string{"step ask_pin: ask (try 1 of 2)"},
		Seq: []extmgmt.Action{{Action: "gather", Args: map[string]any{"variable_name": "ask_pin__1"}}}}}
	if len(keyed) > 0 {
		steps = append(steps, extmgmt.SimStep{Data: map[string]string{"ask_pin__1": keyed[0]}, Final: "connect", Destination: "1093",
			Trace: []string{"step ask_pin: the digits match the caller's pin " + caller},
			Seq:   []extmgmt.Action{{Action: "connect", Args: map[string]any{"destination": "1093"}}}})
	}
	return steps
}

func TestWhyPageFlow(t *testing.T) {
	f := newFixture(t, func(o *Options) { o.Flow = fakeFlow{} })
	body := wantOK(t, f.get(t, "/console/why?number="+url.QueryEscape(xss)+"&keyed=1234"), "text/html")
	wantEscaped(t, body)
	for _, want := range []string{`id="why-keyed"`, `id="flow"`, "the call&#39;s first request", "ask_pin__1: 4 keys", "connect 1093", `data-final="connect"`} {
		if !strings.Contains(body, want) {
			t.Errorf("why page lacks %s", want)
		}
	}
	if i := strings.Index(body, `id="flow"`); i < 0 || strings.Contains(body[i:], "1234") {
		t.Error("the keyed digits are in the explanation (only the form keeps what was typed)")
	}
	v := decode(t, wantOK(t, f.get(t, "/console/why?format=json&number=%2B442045205757"), "application/json"))
	if steps, _ := v["flow"].([]any); len(steps) != 1 {
		t.Errorf("json flow = %v", v["flow"])
	}
	if body := wantOK(t, f.get(t, "/console/why?number=%2B442045205757"), "text/html"); !strings.Contains(body, "The call waits for the caller") {
		t.Error("a flow waiting for keys does not say so")
	}
	g := newFixture(t)
	if body := wantOK(t, g.get(t, "/console/why?number=1"), "text/html"); strings.Contains(body, `id="why-keyed"`) || strings.Contains(body, `id="flow"`) {
		t.Error("External Management off: the Why page still offers the flow")
	}
}
