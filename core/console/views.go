package console

import (
	"bytes"
	"encoding/json"
	"fmt"
	"html/template"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/switchboard-hq/switchboard/core/directory"
	"github.com/switchboard-hq/switchboard/core/ringlog"
	"github.com/switchboard-hq/switchboard/core/routing"
)

// partyView is a CRM record as pages and JSON show it.
type partyView struct {
	Key  string `json:"key"`
	Name string `json:"name"`
}

// ringView is a ring as pages and JSON show it.
type ringView struct {
	ringlog.Record
	Match      *partyView  `json:"match,omitempty"`
	Candidates []partyView `json:"candidates,omitempty"`
	// LookupMS and LatencyMS are the latencies in milliseconds.
	LookupMS  float64 `json:"lookup_ms"`
	LatencyMS float64 `json:"latency_ms"`
	URL       string  `json:"url"`
}

func (c *console) ringView(r ringlog.Record) ringView {
	v := ringView{Record: r, URL: c.opts.Path + "/ring/" + strconv.FormatUint(r.ID, 10),
		LookupMS: ms(r.LookupLatency), LatencyMS: ms(r.Latency)}
	if r.Outcome == ringlog.OutcomeFound {
		v.Match = &partyView{Key: r.Match.Key(), Name: r.Match.Name()}
	}
	for _, p := range r.Candidates {
		v.Candidates = append(v.Candidates, partyView{Key: p.Key(), Name: p.Name()})
	}
	return v
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// explained is one target's decision explained now.
type explained struct {
	Target   string           `json:"target"`
	Decision routing.Decision `json:"decision"`
	Steps    []stepView       `json:"steps"`
	// Env is the environment the rules saw, as indented JSON.
	Env string `json:"env"`
}

type stepView struct {
	Rule        string `json:"rule"`
	Matched     bool   `json:"matched"`
	Skipped     bool   `json:"skipped"`
	Destination string `json:"destination,omitempty"`
	Error       string `json:"error,omitempty"`
	// Notes say what the rule's business-hours and holiday helpers saw.
	Notes []string `json:"notes,omitempty"`
}

// lookupView is a lookup's result as pages and JSON show it.
type lookupView struct {
	Caller     string      `json:"caller"`
	E164       string      `json:"e164,omitempty"`
	National   string      `json:"national,omitempty"`
	Invalid    string      `json:"invalid,omitempty"`
	Outcome    string      `json:"outcome"`
	Match      *partyView  `json:"match,omitempty"`
	MatchKind  string      `json:"match_kind,omitempty"`
	Candidates []partyView `json:"candidates,omitempty"`
	Source     string      `json:"source,omitempty"`
	Via        string      `json:"via,omitempty"`
	Errors     []string    `json:"errors,omitempty"`
	LookupMS   float64     `json:"lookup_ms"`
}

// explanation is a number explained for every target.
type explanation struct {
	Lookup    *lookupView `json:"lookup,omitempty"`
	Decisions []explained `json:"decisions"`
	// Note says the explanation is recomputed now, not what the ring saw.
	Note string `json:"note"`
	// Unavailable says why nothing could be explained.
	Unavailable string `json:"unavailable,omitempty"`
}

const explainedNow = "explained now, with the current data and rules"

func (c *console) explain(r *http.Request, caller string) *explanation {
	out := &explanation{Note: explainedNow, Decisions: []explained{}}
	switch {
	case c.opts.Explainer == nil:
		out.Unavailable = "the explainer is not configured"
		return out
	case len(c.opts.Targets) == 0:
		out.Unavailable = "no phone system is configured to explain for"
		return out
	}
	for i, t := range c.opts.Targets {
		res, ex := c.opts.Explainer.Explain(r.Context(), caller, t)
		if i == 0 {
			out.Lookup = newLookupView(caller, res)
		}
		e := explained{Target: t, Decision: ex.Decision}
		for _, s := range ex.Steps {
			sv := stepView{Rule: s.Rule, Matched: s.Matched, Skipped: s.Skipped, Destination: s.Destination, Notes: s.Notes}
			if s.Err != nil {
				sv.Error = s.Err.Error()
			}
			e.Steps = append(e.Steps, sv)
		}
		if env, err := json.MarshalIndent(ex.Env, "", "  "); err == nil {
			e.Env = string(env)
		} else {
			e.Env = fmt.Sprintf("(cannot show: %v)", err)
		}
		out.Decisions = append(out.Decisions, e)
	}
	return out
}

func newLookupView(caller string, res directory.Result) *lookupView {
	v := &lookupView{Caller: caller, E164: res.Query.E164, National: res.Query.National, Outcome: lookupOutcome(&res),
		Source: res.Source, Via: string(res.Via), LookupMS: ms(res.Duration)}
	if res.InvalidNumber != nil {
		v.Invalid = res.InvalidNumber.Error()
	}
	if res.Found && res.Match != nil {
		v.Match = &partyView{Key: res.Match.Key(), Name: matchName(res.Match.Contact != nil, res)}
		v.MatchKind = string(res.Match.Kind)
	}
	if res.Ambiguous {
		for i := range res.Matches {
			m := &res.Matches[i]
			name := ""
			if m.Contact != nil {
				name = m.Contact.Name()
			} else if m.Company != nil {
				name = m.Company.Name
			}
			v.Candidates = append(v.Candidates, partyView{Key: m.Key(), Name: name})
		}
	}
	for _, e := range res.Errors {
		v.Errors = append(v.Errors, e.Error())
	}
	return v
}

func matchName(contact bool, res directory.Result) string {
	if contact {
		return res.Match.Contact.Name()
	}
	if res.Match.Company != nil {
		return res.Match.Company.Name
	}
	return ""
}

// lookupOutcome is the ring log's word for a lookup's outcome.
func lookupOutcome(res *directory.Result) string {
	switch res.Outcome() {
	case directory.OutcomeInvalid:
		return ringlog.OutcomeInvalid
	case directory.OutcomeFound:
		return ringlog.OutcomeFound
	case directory.OutcomeAmbiguous:
		return ringlog.OutcomeAmbiguous
	}
	return ringlog.OutcomeUnknown
}

// ringFilter reads the Calls page's filters: number, outcome, front end
// and the time window (window: a duration back from now, such as 15m;
// from and to: times, RFC 3339 or the browser's datetime-local in the
// host's time zone).
type ringFilter struct {
	Number   string `json:"number,omitempty"`
	Outcome  string `json:"outcome,omitempty"`
	FrontEnd string `json:"front_end,omitempty"`
	Window   string `json:"window,omitempty"`
	From     string `json:"from,omitempty"`
	To       string `json:"to,omitempty"`
	Limit    int    `json:"limit"`
	// Problems lists what could not be read (shown, and ignored).
	Problems []string `json:"problems,omitempty"`
}

const defaultLimit, maxLimit = 200, 10_000

func (c *console) readFilter(r *http.Request) (ringFilter, ringlog.Filter) {
	q := r.URL.Query()
	rf := ringFilter{Number: strings.TrimSpace(q.Get("number")), Outcome: q.Get("outcome"), FrontEnd: q.Get("front_end"),
		Window: q.Get("window"), From: q.Get("from"), To: q.Get("to"), Limit: defaultLimit}
	f := ringlog.Filter{Number: rf.Number, FrontEnd: rf.FrontEnd}
	switch rf.Outcome {
	case "", ringlog.OutcomeFallback, ringlog.OutcomeFound, ringlog.OutcomeUnknown, ringlog.OutcomeAmbiguous, ringlog.OutcomeInvalid, ringlog.OutcomeNone:
		f.Outcome = rf.Outcome
	default:
		rf.Problems = append(rf.Problems, fmt.Sprintf("unknown outcome %q: showing every outcome", rf.Outcome))
		rf.Outcome = ""
	}
	now := c.opts.Now()
	if rf.Window != "" {
		if d, err := time.ParseDuration(rf.Window); err == nil && d > 0 {
			f.Since = now.Add(-d)
		} else {
			rf.Problems = append(rf.Problems, fmt.Sprintf("window %q is not a duration such as 15m or 24h: ignored", rf.Window))
			rf.Window = ""
		}
	}
	for _, tv := range []struct {
		name string
		s    *string
		t    *time.Time
	}{{"from", &rf.From, &f.Since}, {"to", &rf.To, &f.Until}} {
		if *tv.s == "" {
			continue
		}
		if t, ok := parseTime(*tv.s); ok {
			if tv.name == "to" || tv.t.IsZero() || t.After(*tv.t) {
				*tv.t = t
			}
		} else {
			rf.Problems = append(rf.Problems, fmt.Sprintf("%s %q is not a time (2026-03-01T12:00 or RFC 3339): ignored", tv.name, *tv.s))
			*tv.s = ""
		}
	}
	if s := q.Get("limit"); s != "" {
		if n, err := strconv.Atoi(s); err == nil && n > 0 {
			rf.Limit = min(n, maxLimit)
		} else {
			rf.Problems = append(rf.Problems, fmt.Sprintf("limit %q is not a positive number: showing %d", s, defaultLimit))
		}
	}
	return rf, f
}

func parseTime(s string) (time.Time, bool) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, true
	}
	for _, layout := range []string{"2006-01-02T15:04", "2006-01-02T15:04:05", "2006-01-02"} {
		if t, err := time.ParseInLocation(layout, s, time.Local); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// wantJSON reports whether the page's data is asked for as JSON.
func wantJSON(r *http.Request) bool {
	return r.URL.Query().Get("format") == "json"
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v) // the client went away
}

// render executes page's template with data into a buffer first, so a
// template error answers 500 rather than half a page.
func (c *console) render(w http.ResponseWriter, r *http.Request, status int, page string, data map[string]any) {
	data["Path"] = c.opts.Path
	data["Page"] = page
	var buf bytes.Buffer
	if err := c.pages[page].ExecuteTemplate(&buf, "layout", data); err != nil {
		c.opts.Logger.Error("console page failed to render", "page", page, "error", err)
		http.Error(w, "the page failed to render (see the log)", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// renderRow renders one ring's table row (for the live feed).
func (c *console) renderRow(v ringView) (template.HTML, error) {
	var buf bytes.Buffer
	if err := c.rows.ExecuteTemplate(&buf, "ringrow", v); err != nil {
		return "", err
	}
	return template.HTML(buf.String()), nil //nolint:gosec // produced by html/template, escaped
}
