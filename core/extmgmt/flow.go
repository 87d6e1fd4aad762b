package extmgmt

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/switchboard-hq/switchboard/connectors"
	"github.com/switchboard-hq/switchboard/core/directory"
	"github.com/switchboard-hq/switchboard/core/ringtime"
	"github.com/switchboard-hq/switchboard/core/routing"
)

// Directory looks callers and keyed digits up (directory.Directory).
type Directory interface {
	Lookup(ctx context.Context, raw string) directory.Result
	LookupKey(ctx context.Context, key, value string) directory.Result
	VerifyKey(ctx context.Context, rec *connectors.Match, key, value string) (bool, error)
}

// Rules are the routing rules a flow shares (routing.Router): conditions
// see the same variables and helpers (in_hours, holiday, ...), and
// `connect: rules` asks the rules for the Smart IVR's extension.
type Rules interface {
	// Condition compiles src over the rules' variables plus extra (name
	// → an example value of its type).
	Condition(src string, extra map[string]any) (func(env map[string]any) (bool, error), error)
	// Env is what conditions see for a lookup's result and the call.
	Env(res directory.Result, call routing.Call) map[string]any
	// Decide is the rules' decision for target.
	Decide(res directory.Result, call routing.Call, target string) routing.Decision
}

// SmartIVRTarget is the routing target `connect: rules` decides for: the
// Smart IVR's, whose destinations are Hipcall extensions too.
const SmartIVRTarget = "hipcall"

// FlowVars are the variables a flow's conditions see besides the routing
// rules' (with an example value of each type).
var FlowVars = map[string]any{
	"input":      "1234", // the digits keyed for this step ("" when none)
	"try":        1,      // the question's try, from 1
	"tries_left": 2,      // tries after this one
	"verified":   false,  // verify: the digits are the caller's record's
	"keyed":      false,  // find: a record was found by the digits
	"step":       "start",
}

// FlowVarsDoc describes FlowVars, for the docs and the console.
const FlowVarsDoc = `input (the digits keyed, "" when none), try (1 for the first time a question is asked), ` +
	`tries_left, verified (a verify step's digits are the caller's record's), keyed (a find step found a record ` +
	`by the digits; found and record are then that record), step (the step's name)`

// Flow is a compiled flow, safe for concurrent use.
type Flow struct {
	cfg   Config
	steps map[string]*step
	dir   Directory
	rules Rules
}

type step struct {
	name string
	Step
	then   []branch
	onFail *branch
}

type branch struct {
	Branch
	index int // in Then; -1 for on_fail
	cond  func(map[string]any) (bool, error)
}

// Compile checks the flow's conditions and keys against the rules and the
// configured lookup keys (keys: directory.Directory.Keys) and compiles
// it. Problems have paths relative to the section. cfg must have passed
// Check.
func Compile(cfg Config, dir Directory, rules Rules, keys []string) (*Flow, connectors.Problems) {
	var ps connectors.Problems
	f := &Flow{cfg: cfg, steps: map[string]*step{}, dir: dir, rules: rules}
	hasKey := func(at, k string) {
		if k != "" && !slices.Contains(keys, k) {
			known := "no connector configures keys"
			if len(keys) > 0 {
				known = "the keys are " + strings.Join(keys, ", ")
			}
			ps.Addf(at, "names no lookup key: %q is not configured (%s); add it under a connector's keys:", k, known)
		}
	}
	hasKey("external_id_key", cfg.ExternalIDKey)
	compile := func(at string, b Branch, index int) branch {
		cb := branch{Branch: b, index: index}
		if strings.TrimSpace(b.When) != "" {
			cond, err := rules.Condition(b.When, FlowVars)
			if err != nil {
				ps.Addf(at+".when", "%v", err)
			}
			cb.cond = cond
		}
		return cb
	}
	for name, s := range cfg.Steps {
		at := "steps." + name
		hasKey(at+".find", s.Find)
		hasKey(at+".verify", s.Verify)
		cs := &step{name: name, Step: s}
		for i, b := range s.Then {
			cs.then = append(cs.then, compile(fmt.Sprintf("%s.then.%d", at, i), b, i))
		}
		if s.OnFail != nil {
			b := compile(at+".on_fail", *s.OnFail, -1)
			cs.onFail = &b
		}
		f.steps[name] = cs
	}
	if len(ps) > 0 {
		return nil, ps
	}
	return f, nil
}

// Action is one entry of an answer's seq.
type Action struct {
	Action string         `json:"action"`
	Args   map[string]any `json:"args,omitempty"`
}

// pos is a pending question: the step and its try.
type pos struct {
	step string
	try  int
}

// Outcome is what one request led to.
type Outcome struct {
	// Seq is the answer's actions, in order.
	Seq []Action
	// Steps are the steps run, in order; Trace says what happened in
	// each, for the log and Explain. Neither holds what was keyed.
	Steps []string
	Trace []string
	// Result is the lookup the last decision used (the caller's, or the
	// record a find step found).
	Result directory.Result
	// Final is "connect", "gather" or "hangup"; Destination the
	// extension connected (connect).
	Final, Destination string
	// Rule is the routing rule behind a `connect: rules` ("" otherwise).
	Rule string
	// Fallback names why Default was connected because something went
	// wrong ("" otherwise): FallbackNoBranch, FallbackChain, ...
	Fallback string
	// pending is the question asked (gather).
	pending *pos
}

// Fallback reasons particular to flows (the endpoint's own, such as a
// malformed request or the deadline, are ringtime's).
const (
	FallbackNoBranch  = "no_branch"    // no branch of a step matched
	FallbackChain     = "chain"        // too many steps in one answer
	FallbackLoop      = "loop_cap"     // the call made max_requests requests
	FallbackTriesUsed = "tries_used"   // a question's tries used up, without on_fail
	FallbackNoRule    = "no_rule"      // connect: rules found no destination
	FallbackUnknown   = "unknown_step" // Hipcall sent a position the flow does not have
)

// run is one request's evaluation.
type run struct {
	f      *Flow
	ctx    context.Context
	call   routing.Call
	caller directory.Result // the caller's record
	// findRes is what a find step found (keyed): connect: rules decides
	// for it.
	findRes directory.Result
	out     Outcome
	chain   int
}

// Answer evaluates the flow for one request: from its start, or from the
// question whose digits the request carries (or, when it carries none,
// from pending: the question last asked on this call, for Hipcall's
// empty-data call back).
func (f *Flow) Answer(ctx context.Context, req request, pending *pos) Outcome {
	r := &run{f: f, ctx: ctx, call: routingCall(req)}
	r.caller = f.callerRecord(ctx, req, &r.out)
	r.out.Result = r.caller
	at, input, answered := f.where(req, pending)
	switch {
	case failed(r.caller):
		// Who is calling is unknown, not "nobody": asking a caller the CRM
		// cannot place for a PIN or an account it cannot check only
		// delays the default.
		r.fallback(ringtime.FallbackLookupError, "the caller's lookup failed: "+describe(r.caller))
	case at == nil:
		r.enter(f.cfg.Start)
	case f.steps[at.step] == nil || f.steps[at.step].Gather == nil:
		r.note(fmt.Sprintf("Hipcall sent a position this flow does not have (step %q): starting over", at.step))
		r.out.Fallback = FallbackUnknown
		r.enter(f.cfg.Start)
	default:
		r.resume(f.steps[at.step], at.try, input, answered)
	}
	return r.out
}

func routingCall(req request) routing.Call {
	return routing.Call{Caller: req.Caller, Number: req.Callee, UUID: req.UUID}
}

// callerRecord finds the caller: by contact_external_id when Hipcall sent
// one and the flow names its key, else by number.
func (f *Flow) callerRecord(ctx context.Context, req request, out *Outcome) directory.Result {
	if f.cfg.ExternalIDKey != "" && req.ContactExternalID != "" {
		res := f.dir.LookupKey(ctx, f.cfg.ExternalIDKey, req.ContactExternalID)
		if res.Found {
			out.Trace = append(out.Trace, "caller found by contact_external_id (key "+f.cfg.ExternalIDKey+")")
			return res
		}
		out.Trace = append(out.Trace, "contact_external_id not found by key "+f.cfg.ExternalIDKey+": looking the caller up by number")
	}
	return f.dir.Lookup(ctx, req.Caller)
}

// where reads the request's position: the gather variable it answers,
// else pending. answered says Hipcall sent the variable (possibly empty).
func (f *Flow) where(req request, pending *pos) (at *pos, input string, answered bool) {
	var best *pos
	for name, v := range req.Data {
		step, try, ok := position(name)
		if !ok {
			continue
		}
		p := &pos{step, try}
		// Data may carry earlier answers too: the question asked last
		// (pending) wins, else the latest try.
		if pending != nil && *p == *pending {
			return p, v, true
		}
		if best == nil || try > best.try || (try == best.try && step < best.step) {
			best, input = p, v
		}
	}
	if best != nil {
		return best, input, true
	}
	return pending, "", false
}

func (r *run) note(s string) { r.out.Trace = append(r.out.Trace, s) }

// enter runs a step from its beginning.
func (r *run) enter(name string) {
	r.chain++
	if r.chain > maxChain {
		r.fallback(FallbackChain, fmt.Sprintf("more than %d steps in one answer", maxChain))
		return
	}
	s := r.f.steps[name]
	r.out.Steps = append(r.out.Steps, name)
	r.prompts(s.Say, s.Play, "")
	if s.Gather != nil {
		r.ask(s, 1)
		return
	}
	r.branches(s, r.env(s, r.caller, "", 0, false, false))
}

// resume runs a question's step with the digits keyed.
func (r *run) resume(s *step, try int, input string, answered bool) {
	r.chain++
	r.out.Steps = append(r.out.Steps, s.name)
	g := s.Gather
	switch {
	case !answered || input == "":
		r.note(fmt.Sprintf("step %s: no digits keyed (try %d of %d)", s.name, try, g.Tries))
		r.again(s, try)
		return
	case len(input) < g.MinDigits || len(input) > g.MaxDigits || strings.Trim(input, "0123456789*#") != "":
		r.note(fmt.Sprintf("step %s: %d keys, not %d to %d digits (try %d of %d)", s.name, len(input), g.MinDigits, g.MaxDigits, try, g.Tries))
		r.again(s, try)
		return
	}
	res, verified, keyed := r.caller, false, false
	switch {
	case s.Find != "":
		res = r.f.dir.LookupKey(r.ctx, s.Find, input)
		keyed = res.Found
		r.out.Result, r.findRes = res, res
		r.note(fmt.Sprintf("step %s: the digits looked up by key %s: %s", s.name, s.Find, describe(res)))
		if failed(res) {
			r.fallback(ringtime.FallbackLookupError, fmt.Sprintf("step %s: the lookup by key %s failed", s.name, s.Find))
			return
		}
	case s.Verify != "":
		if r.caller.Found && r.caller.Match != nil {
			ok, err := r.f.dir.VerifyKey(r.ctx, r.caller.Match, s.Verify, input)
			verified = ok && err == nil
			switch {
			case err != nil:
				r.fallback(ringtime.FallbackLookupError, fmt.Sprintf("step %s: could not check the digits against key %s: %v", s.name, s.Verify, err))
				return
			default:
				r.note(fmt.Sprintf("step %s: the digits %s the caller's %s", s.name, map[bool]string{true: "match", false: "do not match"}[verified], s.Verify))
			}
		} else {
			r.note(fmt.Sprintf("step %s: no record of the caller to check key %s against", s.name, s.Verify))
		}
	}
	r.branches(s, r.env(s, res, input, try, verified, keyed))
}

// env is what a step's conditions see.
func (r *run) env(s *step, res directory.Result, input string, try int, verified, keyed bool) map[string]any {
	env := r.f.rules.Env(res, r.call)
	tries := 0
	if s.Gather != nil {
		tries = s.Gather.Tries
	}
	env["input"], env["try"], env["tries_left"] = input, try, max(tries-try, 0)
	env["verified"], env["keyed"], env["step"] = verified, keyed, s.name
	return env
}

// branches takes the first branch whose condition holds.
func (r *run) branches(s *step, env map[string]any) {
	for i := range s.then {
		b := &s.then[i]
		if b.cond != nil {
			ok, err := b.cond(env)
			if err != nil {
				r.note(fmt.Sprintf("step %s: branch %d failed: %v (not taken)", s.name, b.index, err))
				continue
			}
			if !ok {
				continue
			}
		}
		r.take(s, b, env)
		return
	}
	r.fallback(FallbackNoBranch, fmt.Sprintf("step %s: no branch matched", s.name))
}

// take does what a branch says.
func (r *run) take(s *step, b *branch, env map[string]any) {
	which := "branch " + strconv.Itoa(b.index)
	if b.index < 0 {
		which = "on_fail"
	}
	if b.When != "" {
		which += " (" + b.When + ")"
	}
	r.prompts(b.Say, b.Play, b.Language)
	switch {
	case b.Goto != "":
		r.note(fmt.Sprintf("step %s: %s: go to %s", s.name, which, b.Goto))
		r.enter(b.Goto)
	case b.Hangup:
		r.note(fmt.Sprintf("step %s: %s: hang up", s.name, which))
		r.out.Seq = append(r.out.Seq, Action{Action: "hangup"})
		r.out.Final = "hangup"
	case b.Retry:
		r.note(fmt.Sprintf("step %s: %s: ask again", s.name, which))
		try, _ := env["try"].(int)
		r.again(s, try)
	case b.Connect == ConnectRules:
		res := r.caller
		if k, _ := env["keyed"].(bool); k {
			res = r.findRes
		}
		d := r.f.rules.Decide(res, r.call, SmartIVRTarget)
		if d.Destination == "" {
			r.fallback(FallbackNoRule, fmt.Sprintf("step %s: %s: the rules gave no extension (%s)", s.name, which, d.Reason))
			return
		}
		r.note(fmt.Sprintf("step %s: %s: connect where the rules send it: %s (%s)", s.name, which, d.Destination, d.Reason))
		r.out.Rule = d.Rule
		r.connect(d.Destination)
	default:
		r.note(fmt.Sprintf("step %s: %s: connect %s", s.name, which, b.Connect))
		r.connect(b.Connect)
	}
}

// again asks a question once more, or gives up when its tries are used.
func (r *run) again(s *step, try int) {
	if try < s.Gather.Tries {
		r.prompts(s.Say, s.Play, "")
		r.ask(s, try+1)
		return
	}
	if s.onFail != nil {
		r.take(s, s.onFail, r.env(s, r.caller, "", try, false, false))
		return
	}
	r.fallback(FallbackTriesUsed, fmt.Sprintf("step %s: %d tries used up", s.name, s.Gather.Tries))
}

func (r *run) ask(s *step, try int) {
	g := s.Gather
	r.out.Seq = append(r.out.Seq, Action{Action: "gather", Args: map[string]any{
		"ask": g.Ask, "min_digits": g.MinDigits, "max_digits": g.MaxDigits, "variable_name": variable(s.name, try)}})
	r.out.Final, r.out.pending = "gather", &pos{s.name, try}
	r.note(fmt.Sprintf("step %s: ask (try %d of %d)", s.name, try, g.Tries))
}

func (r *run) prompts(say, play, lang string) {
	if say != "" {
		if lang == "" {
			lang = r.f.cfg.Language
		}
		r.out.Seq = append(r.out.Seq, Action{Action: "say", Args: map[string]any{"text": say, "language": lang}})
	}
	if play != "" {
		r.out.Seq = append(r.out.Seq, Action{Action: "play", Args: map[string]any{"url": play}})
	}
}

func (r *run) connect(dest string) {
	r.out.Seq = append(r.out.Seq, Action{Action: "connect", Args: map[string]any{"destination": dest}})
	r.out.Final, r.out.Destination = "connect", dest
}

// fallback connects Default because something went wrong.
func (r *run) fallback(reason, detail string) {
	r.note(detail + ": connect the default " + r.f.cfg.Default)
	r.out.Fallback = reason
	r.connect(r.f.cfg.Default)
}

// failed reports whether a lookup found nothing because sources failed
// (not because nobody matched).
func failed(res directory.Result) bool {
	return !res.Found && !res.Ambiguous && len(res.Errors) > 0
}

// describe says what a lookup found, without the value looked up.
func describe(res directory.Result) string {
	switch {
	case res.Found && res.Match != nil:
		return "found " + res.Match.Key()
	case res.Ambiguous:
		return fmt.Sprintf("ambiguous (%d records)", len(res.Matches))
	case len(res.Errors) > 0:
		return fmt.Sprintf("failed: %s: %v", res.Errors[0].Source, res.Errors[0].Err)
	}
	return "not found"
}
