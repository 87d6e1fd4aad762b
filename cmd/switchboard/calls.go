package main

// `switchboard calls`: what happened after each call, read from the
// journal (core/journal) without starting its workers, and `calls retry`
// to run a dead post-call step again.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
	"unicode/utf8"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/switchboard-hq/switchboard/core/calljobs"
	"github.com/switchboard-hq/switchboard/core/config"
	"github.com/switchboard-hq/switchboard/core/journal"
	"github.com/switchboard-hq/switchboard/core/webhook"
)

// States of a post-call step (and of a call's planning job), as `calls`
// shows them.
const (
	stateDone      = "done"      // completed; remote_id is Hipcall's id for a comment or task
	stateScheduled = "scheduled" // waiting for its first attempt
	stateRunning   = "running"   // an attempt is under way
	stateRetrying  = "retrying"  // an attempt failed; it runs again (next_attempt_at)
	stateFailed    = "failed"    // given up: an error retrying cannot fix, or too many attempts
	stateHeld      = "held"      // a comment or task whose earlier attempt's outcome is unknown
	stateWaiting   = "waiting"   // planning only: recorded, not yet queued (no host serving)
)

// callView is one call in `calls -json` (documented in
// docs/configuration.md, "Seeing what happened after calls"): fields are
// always present, null or "" when unknown.
type callView struct {
	UUID string `json:"uuid"`
	// HangupRecordedAt is when the call_hangup was recorded (received
	// from Hipcall, or made by the reconciler); null when the journal holds
	// none for the call.
	HangupRecordedAt *time.Time `json:"hangup_recorded_at"`
	// Direction and CustomerNumber are from the call_hangup's payload.
	Direction      string `json:"direction"`
	CustomerNumber string `json:"customer_number"`
	// Backfilled: the reconciler made the call_hangup from Hipcall's calls
	// list because the webhook never came.
	Backfilled bool `json:"backfilled"`
	// Events are the call's events recorded, in the order recorded
	// (call_init, call_bridged, call_hangup).
	Events []string `json:"events"`
	// Card is what became of the call's Insight Card; null when no card
	// was handled (cards off, or not yet).
	Card *cardView `json:"card"`
	// Planning is the call_hangup's job, which plans the steps; null when
	// no call_hangup is recorded.
	Planning *planView `json:"planning"`
	// Steps are the post-call steps, in the order planned.
	Steps []stepView `json:"steps"`

	// lastSeen is when the call's latest job was recorded: the order of
	// calls without a call_hangup.
	lastSeen time.Time
	// events are Events with when each was received, in any order until
	// readCalls sorts them.
	events []recordedEvent
}

// recordedEvent is one event of a call and when it was received.
type recordedEvent struct {
	name string
	at   time.Time
}

// addEvent notes one of the call's events, once.
func (c *callView) addEvent(name string, at time.Time) {
	for _, e := range c.events {
		if e.name == name {
			return
		}
	}
	c.events = append(c.events, recordedEvent{name, at})
}

// cardView is a call's Insight Card.
type cardView struct {
	// Outcome is the card service's word: "pushed", or "skipped" (no
	// card for this caller).
	Outcome   string    `json:"outcome"`
	HandledAt time.Time `json:"handled_at"`
}

// planView is a call_hangup's job.
type planView struct {
	// JobID is River's job id; 0 while the event waits in the intake.
	JobID   int64  `json:"job_id"`
	State   string `json:"state"`
	Attempt int    `json:"attempt"`
	Error   string `json:"error"`
}

// stepView is one post-call step.
type stepView struct {
	JobID       int64  `json:"job_id"`
	Action      string `json:"action"`
	Key         string `json:"key"`
	Kind        string `json:"kind"`
	State       string `json:"state"`
	Attempt     int    `json:"attempt"`
	MaxAttempts int    `json:"max_attempts"`
	// Error is the last attempt's error ("" when none).
	Error string `json:"error"`
	// RemoteID is Hipcall's id of the comment or task, once done.
	RemoteID string `json:"remote_id"`
	// SentAt is when a comment or task was first marked sent.
	SentAt *time.Time `json:"sent_at"`
	// OutcomeUnknown: a comment or task is marked sent and not done, and
	// the step stopped: Hipcall may or may not have it, so `calls retry`
	// asks for -force.
	OutcomeUnknown bool       `json:"outcome_unknown"`
	NextAttemptAt  *time.Time `json:"next_attempt_at"`
	FinishedAt     *time.Time `json:"finished_at"`
}

// sortKey orders calls, newest first: when the call_hangup was recorded,
// else when the call's latest job was.
func (c *callView) sortKey() time.Time {
	if c.HangupRecordedAt != nil {
		return *c.HangupRecordedAt
	}
	return c.lastSeen
}

// problem reports whether the call has a step (or planning) failed, held
// or retrying: what `calls -failed` shows.
func (c *callView) problem() bool {
	if c.Planning != nil && (c.Planning.State == stateFailed || c.Planning.State == stateRetrying) {
		return true
	}
	for _, s := range c.Steps {
		switch s.State {
		case stateFailed, stateHeld, stateRetrying:
			return true
		}
	}
	return false
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
	now := time.Now()
	calls, err := readCalls(ctx, r, now.Add(-since))
	if err != nil {
		printError(env, err)
		return exitFailed
	}
	if *failed {
		calls = slices.DeleteFunc(calls, func(c *callView) bool { return !c.problem() })
	}
	more := 0
	if *limit > 0 && len(calls) > *limit {
		more = len(calls) - *limit
		calls = calls[:*limit]
	}
	if *asJSON {
		out := make([]*callView, len(calls)) // [] rather than null when empty
		copy(out, calls)
		return printJSON(env, out)
	}
	printCalls(env.stdout, calls, now.Add(-since), *failed, more)
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

// listPage is how many jobs one query reads.
const listPage = 500

// eachJob calls fn for the jobs of kind created at or after cutoff, newest
// first. Job ids grow with creation, so the listing stops at the first
// page that reaches past the cutoff (by a minute, for the clocks of
// several hosts).
func eachJob(ctx context.Context, r *journal.Reader, kind string, cutoff time.Time, fn func(*rivertype.JobRow) error) error {
	p := river.NewJobListParams().Kinds(kind).OrderBy(river.JobListOrderByID, river.SortOrderDesc).First(listPage)
	for {
		res, err := r.Jobs(ctx, p)
		if err != nil {
			return fmt.Errorf("journal: list %s jobs: %w", kind, err)
		}
		for _, j := range res.Jobs {
			if j.CreatedAt.Before(cutoff) {
				continue
			}
			if err := fn(j); err != nil {
				return err
			}
		}
		if len(res.Jobs) < listPage || res.Jobs[len(res.Jobs)-1].CreatedAt.Before(cutoff.Add(-time.Minute)) {
			return nil
		}
		p = p.After(res.LastCursor)
	}
}

// readCalls gathers the calls whose jobs were created since cutoff,
// newest first.
func readCalls(ctx context.Context, r *journal.Reader, cutoff time.Time) ([]*callView, error) {
	byUUID := map[string]*callView{}
	call := func(uuid string) *callView {
		c := byUUID[uuid]
		if c == nil {
			c = &callView{UUID: uuid, Events: []string{}, Steps: []stepView{}}
			byUUID[uuid] = c
		}
		return c
	}
	// Events, newest first: reversed per call below.
	hangupID := map[string]int64{}
	queued := map[[2]string]bool{} // (event, call uuid): unique in River
	err := eachJob(ctx, r, calljobs.KindEvent, cutoff, func(j *rivertype.JobRow) error {
		var a calljobs.EventArgs
		if err := json.Unmarshal(j.EncodedArgs, &a); err != nil || a.UUID == "" {
			return nil // not a call's event (or unreadable): nothing to show
		}
		queued[[2]string{a.Name, a.UUID}] = true
		c := call(a.UUID)
		c.addEvent(a.Name, a.Received)
		if c.lastSeen.Before(j.CreatedAt) {
			c.lastSeen = j.CreatedAt
		}
		if a.Name != webhook.CallHangup || hangupID[a.UUID] > j.ID {
			return nil
		}
		hangupID[a.UUID] = j.ID
		setHangup(c, a)
		state, attempt, msg := jobState(j)
		c.Planning = &planView{JobID: j.ID, State: state, Attempt: attempt, Error: msg}
		return nil
	})
	if err != nil {
		return nil, err
	}
	// Recorded events not yet in River's queue (SQLite, no host serving);
	// the intake also keeps moved rows for a moment, which River holds.
	waiting, err := r.Waiting(ctx)
	if err != nil {
		return nil, err
	}
	for _, w := range waiting {
		var a calljobs.EventArgs
		if w.Kind != calljobs.KindEvent || json.Unmarshal(w.Args, &a) != nil || a.UUID == "" || a.Received.Before(cutoff) ||
			queued[[2]string{a.Name, a.UUID}] {
			continue
		}
		queued[[2]string{a.Name, a.UUID}] = true
		c := call(a.UUID)
		c.addEvent(a.Name, a.Received)
		if c.lastSeen.Before(a.Received) {
			c.lastSeen = a.Received
		}
		if a.Name == webhook.CallHangup && c.Planning == nil {
			setHangup(c, a)
			c.Planning = &planView{State: stateWaiting}
		}
	}
	effects, err := r.Effects().Since(ctx, cutoff.Add(-time.Hour))
	if err != nil {
		return nil, err
	}
	for k, ef := range effects {
		if k.Step != calljobs.StepCard || ef.State != journal.EffectDone || ef.DoneAt.Before(cutoff) {
			continue
		}
		// A call_init whose card the fast path handled leaves no job
		// (journal.Provisional): its card's mark records it.
		c := call(k.Call)
		c.addEvent(webhook.CallInit, ef.SentAt)
		c.Card = &cardView{Outcome: ef.RemoteID, HandledAt: ef.DoneAt.UTC()}
		if c.lastSeen.Before(ef.DoneAt) {
			c.lastSeen = ef.DoneAt
		}
	}
	err = eachJob(ctx, r, calljobs.KindAction, cutoff, func(j *rivertype.JobRow) error {
		var a calljobs.ActionArgs
		if err := json.Unmarshal(j.EncodedArgs, &a); err != nil || a.UUID == "" {
			return nil
		}
		c := call(a.UUID)
		if c.lastSeen.Before(j.CreatedAt) {
			c.lastSeen = j.CreatedAt
		}
		c.Steps = append(c.Steps, stepOf(j, a, effects))
		return nil
	})
	if err != nil {
		return nil, err
	}
	out := make([]*callView, 0, len(byUUID))
	for _, c := range byUUID {
		// In the order received (a job's id is the order it was queued:
		// a call_init's job may be queued after its call_hangup's).
		slices.SortStableFunc(c.events, func(a, b recordedEvent) int { return a.at.Compare(b.at) })
		for _, e := range c.events {
			c.Events = append(c.Events, e.name)
		}
		if c.HangupRecordedAt != nil && c.HangupRecordedAt.Before(cutoff) {
			continue // recorded before the window, queued or planned in it
		}
		slices.SortFunc(c.Steps, func(a, b stepView) int { return cmpInt64(a.JobID, b.JobID) })
		out = append(out, c)
	}
	slices.SortFunc(out, func(a, b *callView) int {
		if c := b.sortKey().Compare(a.sortKey()); c != 0 {
			return c
		}
		return strings.Compare(a.UUID, b.UUID)
	})
	return out, nil
}

func cmpInt64(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// setHangup fills the call from its call_hangup.
func setHangup(c *callView, a calljobs.EventArgs) {
	at := a.Received.UTC()
	c.HangupRecordedAt, c.Backfilled = &at, a.Backfilled
	if ev, err := webhook.Parse(a.Body); err == nil && ev.Call != nil {
		c.Direction, c.CustomerNumber = ev.Call.Direction, ev.Call.CustomerNumber()
	}
}

// lastError is the job's last attempt's error, without the prefix River
// gives the error of a cancelled job.
func lastError(j *rivertype.JobRow) string {
	if n := len(j.Errors); n > 0 {
		return strings.TrimPrefix(j.Errors[n-1].Error, "JobCancelError: ")
	}
	return ""
}

// heldPrefix starts the error of a step calljobs held (outcome unknown).
const heldPrefix = "held:"

// jobState is where a job stands, as `calls` words it.
func jobState(j *rivertype.JobRow) (state string, attempt int, msg string) {
	msg = lastError(j)
	switch j.State {
	case rivertype.JobStateCompleted:
		return stateDone, j.Attempt, ""
	case rivertype.JobStateRunning:
		state = stateRunning
	case rivertype.JobStateRetryable:
		state = stateRetrying
	case rivertype.JobStateAvailable, rivertype.JobStateScheduled, rivertype.JobStatePending:
		state = stateScheduled
		if j.Attempt > 0 && msg != "" {
			state = stateRetrying // due again (or made available by `calls retry`)
		}
	case rivertype.JobStateCancelled:
		state = stateFailed
		if strings.HasPrefix(msg, heldPrefix) {
			state = stateHeld
		}
	case rivertype.JobStateDiscarded:
		state = stateFailed
	default:
		state = string(j.State)
	}
	return state, j.Attempt, msg
}

// stepOf describes a post-call step's job.
func stepOf(j *rivertype.JobRow, a calljobs.ActionArgs, effects map[journal.EffectKey]journal.Effect) stepView {
	state, attempt, msg := jobState(j)
	s := stepView{JobID: j.ID, Action: a.Step.Action, Key: a.Key, Kind: string(a.Step.Kind), State: state,
		Attempt: attempt, MaxAttempts: j.MaxAttempts, Error: msg, FinishedAt: j.FinalizedAt}
	if s.FinishedAt != nil {
		t := s.FinishedAt.UTC()
		s.FinishedAt = &t
	}
	if state == stateScheduled || state == stateRetrying {
		t := j.ScheduledAt.UTC()
		s.NextAttemptAt = &t
	}
	if !a.Step.Kind.Idempotent() {
		ef, ok := effects[journal.EffectKey{Call: a.UUID, Step: a.Key}]
		if ok {
			t := ef.SentAt.UTC()
			s.SentAt = &t
		}
		switch {
		case ok && ef.State == journal.EffectDone:
			s.RemoteID = ef.RemoteID
		case ok && ef.State == journal.EffectSent && (state == stateFailed || state == stateHeld):
			s.OutcomeUnknown = true
		}
	}
	return s
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
		if s.State == stateRetrying && strings.HasPrefix(msg, heldPrefix) {
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
	msg = shortError(msg)
	switch state {
	case stateRetrying:
		s := fmt.Sprintf("retrying (attempt %d", attempt)
		if maxAttempts > 0 {
			s += fmt.Sprintf(" of %d", maxAttempts)
		}
		switch {
		case next != nil && next.After(time.Now()):
			s += ", next " + showTime(*next)
		case next != nil:
			s += ", due now"
		}
		return s + "): " + msg
	case stateRunning:
		return fmt.Sprintf("running (attempt %d)", attempt)
	case stateFailed:
		return "failed: " + msg
	}
	return state
}

// shortError is an error on one line, without the step's own prefix (the
// row names the step), at most 240 characters (-json has it whole).
func shortError(msg string) string {
	msg = strings.Join(strings.Fields(msg), " ")
	if _, rest, ok := strings.Cut(msg, "after-call step "); ok && strings.HasPrefix(msg, "after-call step ") {
		if i := strings.Index(rest, ": "); i >= 0 {
			msg = rest[i+2:]
		}
	}
	if utf8.RuneCountInString(msg) > 240 {
		msg = string([]rune(msg)[:239]) + "…"
	}
	return msg
}

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
func showTime(t time.Time) string { return t.Local().Format("2006-01-02 15:04:05 MST") }

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
	id, uuid, key, err := parseStepRef(pos[0])
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
	return retryStep(ctx, env, r, id, uuid, key, *force)
}

// parseStepRef reads a job id, or uuid/step (the step key may hold
// slashes; a call uuid does not).
func parseStepRef(s string) (id int64, uuid, key string, err error) {
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		if n <= 0 {
			return 0, "", "", fmt.Errorf("job id %d: must be above 0", n)
		}
		return n, "", "", nil
	}
	uuid, key, ok := strings.Cut(s, "/")
	if !ok || uuid == "" || key == "" {
		return 0, "", "", fmt.Errorf("%q is neither a job id nor UUID/STEP", s)
	}
	return 0, uuid, key, nil
}

// findStepJob finds a step's job by its id or its call uuid and key; on
// failure it says why (as command cmd) and returns nil.
func findStepJob(ctx context.Context, env *cliEnv, cmd string, r *journal.Reader, id int64, uuid, key string) *rivertype.JobRow {
	var job *rivertype.JobRow
	var err error
	if id != 0 {
		job, err = r.Job(ctx, id)
		if errors.Is(err, rivertype.ErrNotFound) {
			fmt.Fprintf(env.stderr, "switchboard %s: no job %d in the journal (finished jobs are kept journal.keep)\n", cmd, id)
			return nil
		}
	} else {
		p := river.NewJobListParams().Kinds(calljobs.KindAction).OrderBy(river.JobListOrderByID, river.SortOrderDesc).First(1)
		p = journal.WhereArg(journal.WhereArg(p, "uuid", uuid), "key", key)
		var res *river.JobListResult
		if res, err = r.Jobs(ctx, p); err == nil {
			if len(res.Jobs) == 0 {
				fmt.Fprintf(env.stderr, "switchboard %s: no step %s of call %s in the journal (`switchboard calls` lists the steps)\n", cmd, key, uuid)
				return nil
			}
			job = res.Jobs[0]
		}
	}
	if err != nil {
		printError(env, err)
		return nil
	}
	return job
}

// retryStep makes a dead step's job available again.
func retryStep(ctx context.Context, env *cliEnv, r *journal.Reader, id int64, uuid, key string, force bool) int {
	job := findStepJob(ctx, env, "calls retry", r, id, uuid, key)
	if job == nil {
		return exitFailed
	}

	var (
		name  string // what the job is, for messages
		step  calljobs.ActionArgs
		event calljobs.EventArgs
	)
	switch job.Kind {
	case calljobs.KindAction:
		if err := json.Unmarshal(job.EncodedArgs, &step); err != nil {
			printError(env, fmt.Errorf("job %d: %w", job.ID, err))
			return exitFailed
		}
		name = fmt.Sprintf("job %d (call %s, step %s, %s)", job.ID, step.UUID, step.Key, step.Step.Kind)
	case calljobs.KindEvent:
		if err := json.Unmarshal(job.EncodedArgs, &event); err != nil {
			printError(env, fmt.Errorf("job %d: %w", job.ID, err))
			return exitFailed
		}
		if event.Name != webhook.CallHangup {
			fmt.Fprintf(env.stderr, "switchboard calls retry: job %d is the %s event of call %s, not a post-call step\n", job.ID, event.Name, event.UUID)
			return exitFailed
		}
		name = fmt.Sprintf("job %d (call %s, planning its steps from the call_hangup)", job.ID, event.UUID)
	default:
		fmt.Fprintf(env.stderr, "switchboard calls retry: job %d is a %s job, not a post-call step\n", job.ID, job.Kind)
		return exitFailed
	}

	state, attempt, msg := jobState(job)
	switch job.State {
	case rivertype.JobStateCancelled, rivertype.JobStateDiscarded:
	case rivertype.JobStateCompleted:
		done := ""
		if job.Kind == calljobs.KindAction && !step.Step.Kind.Idempotent() {
			if ef, err := r.Effects().Get(ctx, step.UUID, step.Key); err == nil && ef.RemoteID != "" {
				done = " (Hipcall id " + ef.RemoteID + ")"
			}
		}
		fmt.Fprintf(env.stdout, "%s is already done%s: nothing to retry\n", name, done)
		return exitOK
	default:
		fmt.Fprintf(env.stdout, "%s is not dead: %s; nothing done\n", name, stateText(state, attempt, job.MaxAttempts, msg, timeIf(state != stateRunning, job.ScheduledAt)))
		return exitOK
	}

	if job.Kind == calljobs.KindAction && !step.Step.Kind.Idempotent() {
		ef, err := r.Effects().Get(ctx, step.UUID, step.Key)
		if err != nil {
			printError(env, err)
			return exitFailed
		}
		if ef.State == journal.EffectSent {
			fmt.Fprintf(env.stderr, "switchboard calls retry: warning: %s was sent to Hipcall at %s and its outcome is unknown (%s).\n"+
				"If Hipcall did receive it, running it again posts a second %s. Check the call in Hipcall first.\n",
				name, showTime(ef.SentAt), state, step.Step.Kind)
			if !force {
				fmt.Fprintf(env.stderr, "switchboard calls retry: not retried: run again with -force if the %s is missing in Hipcall\n", step.Step.Kind)
				return exitFailed
			}
			if err := r.Effects().Abort(ctx, step.UUID, step.Key); err != nil {
				printError(env, err)
				return exitFailed
			}
			fmt.Fprintf(env.stderr, "switchboard calls retry: -force: cleared the sent mark; the %s will be sent again\n", step.Step.Kind)
		}
	}
	if _, err := r.Retry(ctx, job.ID); err != nil {
		printError(env, fmt.Errorf("retry %s: %w", name, err))
		return exitFailed
	}
	fmt.Fprintf(env.stdout, "%s was %s; it is queued to run again: a serving host runs it, and `switchboard calls` shows how it ends\n", name, state)
	return exitOK
}

func timeIf(ok bool, t time.Time) *time.Time {
	if !ok {
		return nil
	}
	return &t
}
