package console

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/switchboard-hq/switchboard/core/callview"
)

// actionsWindow is how far back the Actions page looks by default: the
// post-call steps' retries end within hours, and a week covers a weekend
// nobody watched.
const actionsWindow = 7 * 24 * time.Hour

// actionRow is one post-call step that needs a person, or is still being
// retried, with the call it belongs to.
type actionRow struct {
	UUID           string     `json:"uuid"`
	HangupAt       *time.Time `json:"hangup_recorded_at"`
	CallerNumber   string     `json:"caller_number"`
	CustomerNumber string     `json:"customer_number"`
	// Planning: the call_hangup's planning failed (the steps were never
	// planned); Step is then that job, as a step.
	Planning bool          `json:"planning,omitempty"`
	Step     callview.Step `json:"step"`
	// Actionable: Retry (and for a held crm_log step, Resolve) apply now.
	Actionable bool `json:"actionable"`
}

// actionsView is the Actions page.
type actionsView struct {
	Configured bool   `json:"configured"`
	Window     string `json:"window"`
	Error      string `json:"error,omitempty"`
	// Dead are failed and held steps (a person decides); Retrying are
	// steps the journal still retries by itself.
	Dead     []actionRow `json:"dead"`
	Retrying []actionRow `json:"retrying"`
}

// actionsPage lists every dead and held post-call step of the window
// (default a week, ?window=), across calls, with the buttons of the
// call's page; the buttons come back here.
func (c *console) actionsPage(w http.ResponseWriter, r *http.Request) {
	v := actionsView{Configured: c.opts.Calls != nil, Window: actionsWindow.String(), Dead: []actionRow{}, Retrying: []actionRow{}}
	f := callview.Filter{FailedOnly: true, Since: actionsWindow}
	var problems []string
	if s := strings.TrimSpace(r.URL.Query().Get("window")); s != "" {
		if d, err := parseWindow(s); err != nil {
			problems = append(problems, "window "+err.Error()+"; showing the last week")
		} else {
			f.Since, v.Window = d, s
		}
	}
	if v.Configured {
		ctx, cancel := context.WithTimeout(r.Context(), 10*time.Second)
		calls, _, err := c.opts.Calls.List(ctx, f)
		cancel()
		if err != nil {
			v.Error = err.Error()
		}
		for i := range calls {
			v.add(&calls[i])
		}
	}
	if wantJSON(r) {
		writeJSON(w, http.StatusOK, v)
		return
	}
	c.render(w, r, http.StatusOK, "actions", map[string]any{"Title": "Actions", "View": v, "Problems": problems,
		"CSRF": c.csrfToken(w, r), "Flash": r.URL.Query().Get("done")})
}

// add sorts a call's problem steps into the view.
func (v *actionsView) add(call *callview.Call) {
	row := func(s callview.Step, planning bool) actionRow {
		return actionRow{UUID: call.UUID, HangupAt: call.HangupRecordedAt, CallerNumber: call.CallerNumber,
			CustomerNumber: call.CustomerNumber, Planning: planning, Step: s, Actionable: actionable(s.State)}
	}
	if p := call.Planning; p != nil && (p.State == callview.StateFailed || p.State == callview.StateRetrying) {
		s := callview.Step{JobID: p.JobID, Action: "planning", Kind: "call_hangup", State: p.State, Attempt: p.Attempt, Error: p.Error}
		if p.State == callview.StateFailed {
			v.Dead = append(v.Dead, row(s, true))
		} else {
			v.Retrying = append(v.Retrying, row(s, true))
		}
	}
	for _, s := range call.Steps {
		switch s.State {
		case callview.StateFailed, callview.StateHeld:
			v.Dead = append(v.Dead, row(s, false))
		case callview.StateRetrying:
			v.Retrying = append(v.Retrying, row(s, false))
		}
	}
}

// parseWindow reads a window such as "90m", "36h" or "14d".
func parseWindow(s string) (time.Duration, error) {
	if n, ok := strings.CutSuffix(s, "d"); ok {
		d, err := time.ParseDuration(n + "h")
		if err != nil || d <= 0 {
			return 0, errBadWindow(s)
		}
		return d * 24, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return 0, errBadWindow(s)
	}
	return d, nil
}

type errBadWindow string

func (e errBadWindow) Error() string {
	return "\"" + string(e) + "\" is not a duration such as 90m, 36h or 14d"
}
