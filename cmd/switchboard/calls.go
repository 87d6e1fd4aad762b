package main

// `switchboard calls`: what happened after each call, read from the
// journal (core/journal) without starting its workers, and `calls retry`
// to run a dead post-call step again.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/switchboard-hq/switchboard/core/callview"
	"github.com/switchboard-hq/switchboard/core/config"
	"github.com/switchboard-hq/switchboard/core/journal"
)

// States of a post-call step (and of a call's planning job), as `calls`
// shows them (core/callview).
const (
	stateDone      = callview.StateDone
	stateScheduled = callview.StateScheduled
	stateRunning   = callview.StateRunning
	stateRetrying  = callview.StateRetrying
	stateFailed    = callview.StateFailed
	stateHeld      = callview.StateHeld
	stateWaiting   = callview.StateWaiting
)

// callView is one call in `calls -json` (documented in
// docs/configuration.md, "Seeing what happened after calls"): the fields
// of callview.Call that the command has always printed, always present,
// null or "" when unknown.
type callView struct {
	UUID             string     `json:"uuid"`
	HangupRecordedAt *time.Time `json:"hangup_recorded_at"`
	Direction        string     `json:"direction"`
	CustomerNumber   string     `json:"customer_number"`
	Backfilled       bool       `json:"backfilled"`
	Events           []string   `json:"events"`
	Card             *cardView  `json:"card"`
	Planning         *planView  `json:"planning"`
	Steps            []stepView `json:"steps"`
}

type (
	cardView = callview.Card
	planView = callview.Planning
	stepView = callview.Step
)

// viewOf is the call as `calls` shows it.
func viewOf(c *callview.Call) *callView {
	return &callView{UUID: c.UUID, HangupRecordedAt: c.HangupRecordedAt, Direction: c.Direction, CustomerNumber: c.CustomerNumber,
		Backfilled: c.Backfilled, Events: c.Events, Card: c.Card, Planning: c.Planning, Steps: c.Steps}
}

// daysDuration is a flag.Value duration that also takes days ("7d").
type daysDuration struct{ d *time.Duration }

func (f daysDuration) String() string {
	if f.d == nil {
		return ""
	}
	s := f.d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

func (f daysDuration) Set(s string) error {
	d, err := parseDays(s)
	if err != nil {
		return err
	}
	if d <= 0 {
		return fmt.Errorf("must be above 0, got %s", s)
	}
	*f.d = d
	return nil
}

// parseDays parses a Go duration, or whole days as "7d".
func parseDays(s string) (time.Duration, error) {
	if n, ok := strings.CutSuffix(s, "d"); ok {
		days, err := strconv.Atoi(n)
		if err != nil {
			return 0, fmt.Errorf("%q: write days as 7d, or a duration such as 36h", s)
		}
		return time.Duration(days) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("%q: write a duration such as 24h, 90m or 7d", s)
	}
	return d, nil
}

// runCalls is `switchboard calls`.
func runCalls(ctx context.Context, env *cliEnv, args []string) int {
	if len(args) > 0 && args[0] == "retry" {
		return runCallsRetry(ctx, env, args[1:])
	}
	if len(args) > 0 && args[0] == "resolve" {
		return runCallsResolve(ctx, env, args[1:])
	}
	fs, cfgPath := newFlags(env, "calls", "")
	since := 24 * time.Hour
	fs.Var(daysDuration{&since}, "since", "list calls whose hangup was recorded this long ago or less (24h, 7d)")
	failed := fs.Bool("failed", false, "only calls with a post-call step failed, held or retrying")
	asJSON := fs.Bool("json", false, "print a JSON array (fields in docs/configuration.md)")
	limit := fs.Int("limit", 50, "at most this many calls, newest first (0: all)")
	fs.Usage = func() {
		fmt.Fprintf(env.stderr, "Usage: switchboard calls [flags]\n       switchboard calls retry [-config F] [-force] JOB_ID|UUID/STEP\n\n"+
			"Lists recent calls from the journal, newest first, with each post-call step's state\n"+
			"(done, scheduled, running, retrying, failed, held). Starts no workers; changes nothing.\n\nFlags:\n")
		fs.PrintDefaults()
	}
	pos, code, ok := parseFlags(fs, args)
	if !ok {
		return code
	}
	if len(pos) != 0 || *limit < 0 {
		if *limit < 0 {
			fmt.Fprintf(env.stderr, "switchboard calls: -limit must be 0 or more, got %d\n", *limit)
		} else {
			fmt.Fprintf(env.stderr, "switchboard calls: unexpected argument %q\n", pos[0])
		}
		fs.Usage()
		return exitUsage
	}
	r, code, ok := openJournalReader(ctx, env, *cfgPath)
	if !ok {
		return code
	}
	defer r.Close()
	from := time.Now().Add(-since)
	found, more, err := callview.List(ctx, r, callview.Filter{From: from, FailedOnly: *failed, Limit: *limit})
	if err != nil {
		printError(env, err)
		return exitFailed
	}
	calls := make([]*callView, len(found)) // [] rather than null when empty
	for i := range found {
		calls[i] = viewOf(&found[i])
	}
	if *asJSON {
		return printJSON(env, calls)
	}
	printCalls(env.stdout, calls, from, *failed, more)
	return exitOK
}

// openJournalReader loads the configuration at path and opens its journal
// for reading.
func openJournalReader(ctx context.Context, env *cliEnv, path string) (*journal.Reader, int, bool) {
	cfg, ok := loadConfig(env, path)
	if !ok {
		return nil, exitUsage, false
	}
	warnNoWebhook(env, cfg)
	r, err := journal.OpenReader(ctx, cfg.Journal)
	if err != nil {
		printError(env, err)
		return nil, exitFailed, false
	}
	return r, exitOK, true
}

func warnNoWebhook(env *cliEnv, cfg *config.Config) {
	if !cfg.Hipcall.Webhook.Enabled {
		fmt.Fprintln(env.stderr, "switchboard: note: hipcall.webhook is not enabled in this configuration, so its host records no calls")
	}
}

// printCalls prints the calls as a table, a row per step.
func printCalls(w io.Writer, calls []*callView, since time.Time, failedOnly bool, more int) {
	what := "calls"
	if failedOnly {
		what = "calls with a step failed, held or retrying"
	}
	if len(calls) == 0 {
		fmt.Fprintf(w, "no %s since %s\n", what, showTime(since))
	} else {
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "HANGUP RECORDED\tCALL\tDIRECTION\tCUSTOMER\tEVENTS\tCARD\tJOB\tSTEP\tKIND\tSTATE")
		for _, c := range calls {
			recorded := "-"
			if c.HangupRecordedAt != nil {
				recorded = showTime(*c.HangupRecordedAt)
			}
			card := "-"
			if c.Card != nil {
				card = c.Card.Outcome
			}
			head := []string{recorded, c.UUID, dash(c.Direction), dash(c.CustomerNumber), eventsCell(c), card}
			blank := []string{"", "", "", "", "", ""}
			rows := callRows(c)
			for i, row := range rows {
				cells := head
				if i > 0 {
					cells = blank
				}
				fmt.Fprintln(tw, strings.Join(append(slices.Clone(cells), row...), "\t"))
			}
		}
		tw.Flush()
		fmt.Fprintf(w, "\n%d %s since %s", len(calls), what, showTime(since))
		if more > 0 {
			fmt.Fprintf(w, " (and %d older ones: raise -limit to see them)", more)
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintln(w, "Not in the journal, so not shown: each call's routing decision (see the host's log).")
	if hasRetryable(calls) {
		fmt.Fprintln(w, "`switchboard calls retry JOB` runs a failed or held step again.")
	}
}

func hasRetryable(calls []*callView) bool {
	for _, c := range calls {
		if c.Planning != nil && c.Planning.State == stateFailed {
			return true
		}
		for _, s := range c.Steps {
			if s.State == stateFailed || s.State == stateHeld {
				return true
			}
		}
	}
	return false
}

// callRows are the JOB, STEP, KIND and STATE cells of a call's rows.
func callRows(c *callView) [][]string {
	var rows [][]string
	p := c.Planning
	switch {
	case p == nil:
		if len(c.Steps) == 0 {
			rows = append(rows, []string{"-", "-", "-", "no call_hangup recorded: the call is going on, or its webhook was lost (the reconciler backfills it)"})
		}
	case p.State == stateWaiting:
		rows = append(rows, []string{"-", "(planning)", "-", "waiting: recorded, not yet queued (queued when a host serves)"})
	case p.State != stateDone:
		rows = append(rows, []string{strconv.FormatInt(p.JobID, 10), "(planning)", "-", stateText(p.State, p.Attempt, 0, p.Error, nil)})
	case len(c.Steps) == 0:
		rows = append(rows, []string{"-", "-", "-", "no steps: no action's condition held"})
	}
	for _, s := range c.Steps {
		msg := s.Error
		if s.State == stateRetrying && strings.HasPrefix(msg, callview.HeldPrefix) {
			// Only `calls retry` makes a held step's job run again.
			msg = "queued again by `calls retry` after it was held"
		}
		text := stateText(s.State, s.Attempt, s.MaxAttempts, msg, s.NextAttemptAt)
		switch {
		case s.State == stateDone && s.RemoteID != "":
			text += " (Hipcall id " + s.RemoteID + ")"
		case s.State == stateHeld && s.OutcomeUnknown:
			text = "held (outcome unknown: sent " + showTime(*s.SentAt) + ", no answer recorded; check Hipcall)"
		case s.State == stateHeld:
			text = "held (its sent mark was cleared: `calls retry` sends it)"
		case s.OutcomeUnknown:
			text += " [sent " + showTime(*s.SentAt) + ", outcome unknown]"
		}
		rows = append(rows, []string{strconv.FormatInt(s.JobID, 10), s.Key, s.Kind, text})
	}
	return rows
}

// stateText words a job's state for the table.
func stateText(state string, attempt, maxAttempts int, msg string, next *time.Time) string {
	return callview.StateText(state, attempt, maxAttempts, msg, next)
}

// shortError is an error on one line, without the step's own prefix (the
// row names the step), at most 240 characters (-json has it whole).
func shortError(msg string) string { return callview.ShortError(msg) }

// eventsCell lists the call's events without the call_ prefix.
func eventsCell(c *callView) string {
	names := make([]string, len(c.Events))
	for i, e := range c.Events {
		names[i] = strings.TrimPrefix(e, "call_")
	}
	s := strings.Join(names, ",")
	if c.Backfilled {
		s += " (backfilled)"
	}
	return dash(s)
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// showTime is a time for people: local, to the second, with its zone.
func showTime(t time.Time) string { return callview.FormatTime(t) }

// runCallsRetry is `switchboard calls retry`.
func runCallsRetry(ctx context.Context, env *cliEnv, args []string) int {
	fs, cfgPath := newFlags(env, "calls retry", "JOB_ID|UUID/STEP")
	force := fs.Bool("force", false, "retry a held step (its outcome unknown): may post a second comment or task")
	fs.Usage = func() {
		fmt.Fprintf(env.stderr, "Usage: switchboard calls retry [flags] JOB_ID|UUID/STEP\n\n"+
			"Runs a failed or held post-call step again, by its job id (`switchboard calls` shows it)\n"+
			"or its call uuid and step key (3f1c.../short-call/5617). A step already done, waiting or\n"+
			"running is left alone. A held step needs -force.\n\nFlags:\n")
		fs.PrintDefaults()
	}
	pos, code, ok := parseFlags(fs, args)
	if !ok {
		return code
	}
	if len(pos) != 1 {
		fs.Usage()
		return exitUsage
	}
	ref, err := callview.ParseStepRef(pos[0])
	if err != nil {
		fmt.Fprintf(env.stderr, "switchboard calls retry: %v\n", err)
		fs.Usage()
		return exitUsage
	}
	r, code, ok := openJournalReader(ctx, env, *cfgPath)
	if !ok {
		return code
	}
	defer r.Close()
	out, err := callview.Retry(ctx, r, ref, *force)
	return report(env, "calls retry", out, err)
}

// report prints what `calls retry` or `calls resolve` (cmd) did: notes on
// stderr, the message on stdout, a refusal on stderr.
func report(env *cliEnv, cmd string, out callview.Outcome, err error) int {
	for _, n := range out.Notes {
		fmt.Fprintf(env.stderr, "switchboard %s: %s\n", cmd, n)
	}
	switch {
	case errors.Is(err, callview.ErrBadTarget):
		fmt.Fprintf(env.stderr, "switchboard %s: %v\n", cmd, err)
		return exitUsage
	case errors.Is(err, callview.ErrRefused), errors.Is(err, callview.ErrNotFound):
		fmt.Fprintf(env.stderr, "switchboard %s: %v\n", cmd, err)
		return exitFailed
	case err != nil:
		printError(env, err)
		return exitFailed
	}
	fmt.Fprintln(env.stdout, out.Message)
	return exitOK
}
