package console

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/switchboard-hq/switchboard/core/callview"
	"github.com/switchboard-hq/switchboard/core/directory"
	"github.com/switchboard-hq/switchboard/core/extmgmt"
	"github.com/switchboard-hq/switchboard/core/ringlog"
)

var funcs = template.FuncMap{
	"since": func(t time.Time) string { return time.Since(t).Round(time.Second).String() },
	"clock": func(t time.Time) string {
		if t.IsZero() {
			return "never"
		}
		return t.Local().Format("2006-01-02 15:04:05")
	},
	"list": func(s ...string) []string { return s },
	"add":  func(a, b int) int { return a + b },
	// dict passes several values to a shared template: dict "Key" value ...
	"dict": func(kv ...any) (map[string]any, error) {
		if len(kv)%2 != 0 {
			return nil, errors.New("dict needs key and value pairs")
		}
		m := make(map[string]any, len(kv)/2)
		for i := 0; i < len(kv); i += 2 {
			k, ok := kv[i].(string)
			if !ok {
				return nil, fmt.Errorf("dict key %v is not a string", kv[i])
			}
			m[k] = kv[i+1]
		}
		return m, nil
	},
	"iso": func(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) },
	"ms":  func(f float64) string { return strconv.FormatFloat(f, 'f', 1, 64) + " ms" },
	"ptime": func(t *time.Time) string {
		if t == nil {
			return ""
		}
		return t.Local().Format("2006-01-02 15:04:05")
	},
}

// pageFiles are each page's templates besides layout.html and rows.html.
var pageFiles = map[string]string{
	"calls": "templates/calls.html", "ring": "templates/ring.html",
	"why": "templates/why.html", "connectors": "templates/connectors.html", "error": "templates/error.html",
	"actions": "templates/actions.html", "quality": "templates/quality.html",
	"sync": "templates/sync.html", "syncrun": "templates/syncrun.html",
}

func (c *console) parseTemplates() error {
	c.pages = map[string]*template.Template{}
	for name, file := range pageFiles {
		t, err := template.New(name).Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/rows.html", file)
		if err != nil {
			return fmt.Errorf("template %s: %w", name, err)
		}
		c.pages[name] = t
	}
	var err error
	c.rows, err = template.New("rows").Funcs(funcs).ParseFS(templateFS, "templates/rows.html")
	return err
}

// notFound answers 404 as a page or JSON.
func (c *console) notFound(w http.ResponseWriter, r *http.Request, msg string) {
	if wantJSON(r) {
		writeJSON(w, http.StatusNotFound, map[string]string{"error": msg})
		return
	}
	c.render(w, r, http.StatusNotFound, "error", map[string]any{"Title": "Not found", "Message": msg})
}

// callsPage is the Calls page: recent rings newest first, live, and the
// journal's calls.
func (c *console) callsPage(w http.ResponseWriter, r *http.Request) {
	rf, f := c.readFilter(r)
	rings := c.opts.Rings.Recent(f, rf.Limit)
	views := make([]ringView, len(rings))
	for i := range rings {
		views[i] = c.ringView(rings[i])
	}
	recorded := c.opts.Rings.Last()
	journal := c.journalCalls(r, rf)
	if wantJSON(r) {
		writeJSON(w, http.StatusOK, map[string]any{"filter": rf, "rings": views, "recorded": recorded,
			"kept": c.opts.Rings.Size(), "journal": journal})
		return
	}
	c.render(w, r, http.StatusOK, "calls", map[string]any{"Title": "Calls", "Filter": rf, "Rings": views,
		"Outcomes": ringlog.Outcomes, "Recorded": recorded, "Kept": c.opts.Rings.Size(), "Journal": journal,
		"EventsURL": c.opts.Path + "/events?" + liveQuery(r.URL.Query())})
}

// liveQuery keeps the filters that apply to rings still to come.
func liveQuery(q url.Values) string {
	out := url.Values{}
	for _, k := range []string{"number", "outcome", "front_end"} {
		if v := q.Get(k); v != "" {
			out.Set(k, v)
		}
	}
	return out.Encode()
}

// journalView is the journal's part of a page.
type journalView struct {
	Configured bool            `json:"configured"`
	Error      string          `json:"error,omitempty"`
	Calls      []callview.Call `json:"calls"`
	More       int             `json:"more"`
}

func (c *console) journalCalls(r *http.Request, rf ringFilter) journalView {
	if c.opts.Calls == nil {
		return journalView{Calls: []callview.Call{}}
	}
	f := callview.Filter{Number: rf.Number, Limit: 50, FailedOnly: rf.Outcome == ringlog.OutcomeFallback}
	if d, err := time.ParseDuration(rf.Window); err == nil && d > 0 {
		f.Since = d
	}
	if t, ok := parseTime(rf.From); ok {
		f.From = t
	}
	ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
	defer cancel()
	calls, more, err := c.opts.Calls.List(ctx, f)
	v := journalView{Configured: true, Calls: calls, More: more}
	if err != nil {
		v.Error = err.Error()
	}
	if v.Calls == nil {
		v.Calls = []callview.Call{}
	}
	return v
}

// ringPage is one ring's story.
func (c *console) ringPage(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseUint(r.PathValue("id"), 10, 64)
	if err != nil {
		c.notFound(w, r, "no ring has that id")
		return
	}
	rec, ok := c.opts.Rings.Get(id)
	if !ok {
		c.notFound(w, r, fmt.Sprintf("ring %d is not in the ring log (it keeps the last %d rings)", id, c.opts.Rings.Size()))
		return
	}
	c.story(w, r, rec.UUID, []ringlog.Record{rec}, rec.Caller)
}

// callPage is a call's story: its rings and what the journal knows.
func (c *console) callPage(w http.ResponseWriter, r *http.Request) {
	uuid := r.PathValue("uuid")
	rings := c.opts.Rings.ByUUID(uuid)
	caller := ""
	if len(rings) > 0 {
		caller = rings[0].Caller
	}
	c.story(w, r, uuid, rings, caller)
}

// story renders the rings of a call, the decisions explained now, and the
// journal's view of the call.
func (c *console) story(w http.ResponseWriter, r *http.Request, uuid string, rings []ringlog.Record, caller string) {
	views := make([]ringView, len(rings))
	for i := range rings {
		views[i] = c.ringView(rings[i])
	}
	var call *callview.Call
	callErr, configured := "", c.opts.Calls != nil
	if configured && uuid != "" {
		ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
		var err error
		call, err = c.opts.Calls.Get(ctx, uuid)
		cancel()
		switch {
		case errors.Is(err, callview.ErrNotFound):
			callErr = "the journal holds nothing of this call (yet)"
		case err != nil:
			callErr = err.Error()
		}
	}
	if caller == "" && call != nil {
		caller = call.CallerNumber
	}
	if len(rings) == 0 && call == nil {
		c.notFound(w, r, "neither the ring log nor the journal knows a call "+strconv.Quote(uuid))
		return
	}
	var ex *explanation
	if caller != "" {
		ex = c.explain(r, caller)
	}
	data := map[string]any{"uuid": uuid, "rings": views, "explanation": ex, "journal_configured": configured,
		"call": call, "journal_error": callErr}
	if wantJSON(r) {
		writeJSON(w, http.StatusOK, data)
		return
	}
	title := "Call " + uuid
	if uuid == "" && len(views) == 1 {
		title = "Ring " + strconv.FormatUint(views[0].ID, 10)
	}
	c.render(w, r, http.StatusOK, "ring", map[string]any{"Title": title, "UUID": uuid, "Rings": views, "Explanation": ex,
		"JournalConfigured": configured, "Call": call, "JournalError": callErr, "CSRF": c.csrfToken(w, r),
		"Flash": r.URL.Query().Get("done")})
}

// whyPage is `switchboard lookup` in the browser; with External
// Management on, `lookup -flow` too: the flow step by step for the keys
// typed (?keyed=9999,1234).
func (c *console) whyPage(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	number, keyed := q.Get("number"), q.Get("keyed")
	var (
		ex   *explanation
		flow []flowStepView
	)
	if number != "" {
		ex = c.explain(r, number)
		if c.opts.Flow != nil {
			flow = c.simulate(r.Context(), number, keyed)
		}
	}
	if wantJSON(r) {
		writeJSON(w, http.StatusOK, map[string]any{"number": number, "explanation": ex, "flow": flow})
		return
	}
	c.render(w, r, http.StatusOK, "why", map[string]any{"Title": "Why", "Number": number, "Keyed": keyed,
		"FlowOn": c.opts.Flow != nil, "Explanation": ex, "Flow": flow})
}

// flowStepView is one request of a simulated External Management call.
type flowStepView struct {
	// Asked says what the request carried, without the digits.
	Asked  string          `json:"asked"`
	Answer string          `json:"answer"`
	Step   extmgmt.SimStep `json:"step"`
}

func (c *console) simulate(ctx context.Context, number, keyed string) []flowStepView {
	var inputs []string
	if strings.TrimSpace(keyed) != "" {
		for _, k := range strings.Split(keyed, ",") {
			inputs = append(inputs, strings.TrimSpace(k))
		}
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	var out []flowStepView
	for _, s := range c.opts.Flow.Simulate(ctx, number, "", inputs) {
		asked := "the call's first request"
		for k, v := range s.Data {
			if v == "" {
				asked = k + ": no input"
			} else {
				asked = fmt.Sprintf("%s: %d keys", k, len(v))
			}
		}
		s.Data = nil // the digits stay out of the page (a PIN)
		out = append(out, flowStepView{Asked: asked, Answer: s.Describe(), Step: s})
	}
	return out
}

// connectorView is one connector's health.
type connectorView struct {
	Name        string    `json:"name"`
	Mode        string    `json:"mode"`
	Ready       bool      `json:"ready"`
	Plugin      *Plugin   `json:"plugin,omitempty"`
	Breaker     string    `json:"breaker,omitempty"`
	Records     int       `json:"records"`
	Phones      int       `json:"phones"`
	Changed     int       `json:"changed"`
	LastBuild   time.Time `json:"last_build"`
	LastSuccess time.Time `json:"last_success"`
	LastPoll    time.Time `json:"last_poll"`
	// FreshSeconds is the time since the last change was applied: the
	// later of the last build and the last poll that worked; -1: never.
	FreshSeconds   float64  `json:"fresh_seconds"`
	Fresh          string   `json:"fresh"`
	SkippedRecords *int     `json:"skipped_records,omitempty"`
	SkippedNumbers *int     `json:"skipped_numbers,omitempty"`
	Problems       []string `json:"problems,omitempty"`
	// Building says how far a running build has got ("" when none runs).
	Building string `json:"building,omitempty"`
}

func (c *console) connectorsPage(w http.ResponseWriter, r *http.Request) {
	var list []connectorView
	configured := c.opts.Health != nil
	if configured {
		plugins := map[string]Plugin{}
		for _, p := range c.opts.Health.Plugins() {
			plugins[p.Name] = p
		}
		now := c.opts.Now()
		for _, s := range c.opts.Health.Sources() {
			v := connectorView{Name: s.Name, Mode: string(s.Mode), Ready: s.Ready, Breaker: s.Breaker, Records: s.Records,
				Phones: s.Phones, Changed: s.Changed, LastBuild: s.LastBuild, LastSuccess: s.LastSuccess, LastPoll: s.LastPoll, FreshSeconds: -1, Fresh: "never"}
			if p, ok := plugins[s.Name]; ok {
				v.Plugin = &p
			}
			applied := s.LastSuccess
			if s.LastPollError == nil && s.LastPoll.After(applied) {
				applied = s.LastPoll
			}
			if !applied.IsZero() {
				d := now.Sub(applied)
				v.FreshSeconds, v.Fresh = d.Seconds(), d.Round(time.Second).String()+" ago"
			}
			if s.Mode == directory.ModeIndex {
				rec, num := s.SkippedRecords, s.SkippedNumbers
				v.SkippedRecords, v.SkippedNumbers = &rec, &num
			}
			if s.BuildingFor > 0 {
				v.Building = fmt.Sprintf("building: %d records listed in %s", s.Building, s.BuildingFor.Round(100*time.Millisecond))
			}
			for _, e := range []struct {
				what string
				err  error
			}{{"last build failed", s.LastBuildError}, {"last poll failed", s.LastPollError}, {"check fails", s.CheckError}} {
				if e.err != nil {
					v.Problems = append(v.Problems, e.what+": "+e.err.Error())
				}
			}
			if s.Held != "" {
				v.Problems = append(v.Problems, "rebuild held: "+s.Held)
			}
			list = append(list, v)
		}
	}
	if list == nil {
		list = []connectorView{}
	}
	if wantJSON(r) {
		writeJSON(w, http.StatusOK, map[string]any{"configured": configured, "connectors": list})
		return
	}
	c.render(w, r, http.StatusOK, "connectors", map[string]any{"Title": "Connectors", "Configured": configured, "Connectors": list})
}

// CSRF: a double-submit cookie bound to the process's secret. The cookie
// holds a random nonce; a form carries HMAC(secret, nonce). A POST needs
// both, compared in constant time, so another site can neither read nor
// forge the token (and the cookie is SameSite=Strict besides).
const csrfCookie = "switchboard_console_csrf"

func (c *console) mac(nonce string) string {
	m := hmac.New(sha256.New, c.secret)
	m.Write([]byte(nonce))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// csrfToken returns the token for r's forms, setting the cookie first when
// the browser has none.
func (c *console) csrfToken(w http.ResponseWriter, r *http.Request) string {
	if ck, err := r.Cookie(csrfCookie); err == nil && len(ck.Value) >= 32 {
		return c.mac(ck.Value)
	}
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	nonce := base64.RawURLEncoding.EncodeToString(b)
	http.SetCookie(w, &http.Cookie{Name: csrfCookie, Value: nonce, Path: c.opts.Path, HttpOnly: true,
		SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil})
	return c.mac(nonce)
}

func (c *console) checkCSRF(r *http.Request) bool {
	ck, err := r.Cookie(csrfCookie)
	if err != nil || len(ck.Value) < 32 {
		return false
	}
	got := []byte(r.PostFormValue("csrf"))
	return hmac.Equal(got, []byte(c.mac(ck.Value)))
}

// stepAction retries or resolves a post-call step. Pressing twice is
// safe: the step's state is read first and the action only taken while it
// still applies; the answer redirects (303) to the call's page, so a
// reload does not post again.
func (c *console) stepAction(w http.ResponseWriter, r *http.Request) {
	uuid, action := r.PathValue("uuid"), r.PathValue("action")
	if !c.checkCSRF(r) {
		http.Error(w, "the form's CSRF token is missing or wrong: reload the call's page and press again", http.StatusForbidden)
		return
	}
	job, err := strconv.ParseInt(r.PathValue("job"), 10, 64)
	if err != nil || (action != "retry" && action != "resolve") {
		c.notFound(w, r, "no such step action")
		return
	}
	if c.opts.Calls == nil {
		http.Error(w, "the journal is not configured", http.StatusServiceUnavailable)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), 10*time.Second)
	defer cancel()
	call, err := c.opts.Calls.Get(ctx, uuid)
	if err != nil {
		http.Error(w, "reading the call: "+err.Error(), http.StatusBadGateway)
		return
	}
	var step *callview.Step
	for i := range call.Steps {
		if call.Steps[i].JobID == job {
			step = &call.Steps[i]
		}
	}
	if p := call.Planning; step == nil && p != nil && p.JobID == job && action == "retry" {
		step = &callview.Step{JobID: p.JobID, State: p.State} // planning the steps again
	}
	if step == nil {
		c.notFound(w, r, fmt.Sprintf("call %s has no step %d", uuid, job))
		return
	}
	done := ""
	switch {
	case !actionable(step.State):
		done = fmt.Sprintf("nothing to do: step %d is %s", job, step.State)
	case action == "retry":
		msg, err := c.opts.Calls.Retry(ctx, uuid, job, r.PostFormValue("force") == "1")
		if err != nil {
			http.Error(w, "retry failed: "+err.Error(), http.StatusBadGateway)
			return
		}
		done = fmt.Sprintf("step %d retried: %s", job, msg)
	default:
		msg, err := c.opts.Calls.Resolve(ctx, uuid, job, r.PostFormValue("target"))
		if err != nil {
			http.Error(w, "resolve failed: "+err.Error(), http.StatusBadGateway)
			return
		}
		done = fmt.Sprintf("step %d resolved: %s", job, msg)
	}
	back := c.opts.Path + "/call/" + url.PathEscape(uuid)
	if r.PostFormValue("back") == "actions" { // a fixed choice: never a URL from the form
		back = c.opts.Path + "/actions"
	}
	http.Redirect(w, r, back+"?done="+url.QueryEscape(done), http.StatusSeeOther)
}

// actionable reports whether a step in state can be retried or resolved.
func actionable(state string) bool {
	return state == callview.StateFailed || state == callview.StateHeld
}
