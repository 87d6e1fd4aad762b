package routing

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/file"
	"github.com/expr-lang/expr/vm"
	"github.com/hashicorp/go-hclog"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/switchboard-hq/switchboard/connectors"
	"github.com/switchboard-hq/switchboard/core/directory"
)

// Rule is one routing rule as configured: when When holds, a call for a
// target goes to To[target], or to what the expression ToExpr[target]
// yields. A target has at most one of the two; a rule without a
// destination for a target is skipped for that target.
type Rule struct {
	// Name identifies the rule in decisions, logs and metrics; required,
	// unique, and not "default".
	Name string `yaml:"name"`
	// When is a boolean expr expression over the variables EnvDoc lists.
	When string `yaml:"when"`
	// To maps a target's name to a fixed destination.
	To map[string]string `yaml:"to"`
	// ToExpr maps a target's name to an expression yielding the
	// destination, a string or a whole number (record.owner_extension).
	ToExpr map[string]string `yaml:"to_expr"`
}

// Config is the routing section: one rule set and the defaults for every
// target. Its owner is this package: New checks it.
type Config struct {
	// Default maps a target's name to the destination of calls no rule
	// routes.
	Default map[string]string `yaml:"default"`
	// Rules are tried in order; the first that matches decides.
	Rules []Rule `yaml:"rules"`
	// Holidays names lists of days for the rules' holiday() and
	// in_hours() helpers.
	Holidays map[string]HolidayList `yaml:"holidays"`
}

// Options configure a Router.
type Options struct {
	Config
	// Targets are the decision points the rules serve (each phone-system
	// front end registers one). A destination for a target not listed is
	// a problem.
	Targets []Target
	// Logger receives debug lines about rules failing at run time; nil
	// discards them.
	Logger hclog.Logger
	// Registerer receives the routing metrics; nil leaves them unregistered.
	Registerer prometheus.Registerer
	// Now is the clock behind now, hour, minute and weekday, and so behind
	// in_hours and holiday; nil means time.Now. Tests inject a fixed clock.
	Now func() time.Time
}

// Router decides where calls go. It is immutable after New and safe for
// concurrent use.
type Router struct {
	targets map[string]*target
	order   []*target // as registered
	rules   []compiledRule
	log     hclog.Logger
	now     func() time.Time
	vms     sync.Pool
	helpers *helpers
	// needs are the variables the rules read (decisionEnv).
	needs needs
}

// target is a registered Target with its default and counters.
type target struct {
	Target
	index    int
	def      string
	defaults prometheus.Counter
}

// compiledRule is a Rule with its programs and one destination per target
// (indexed like Router.targets' index).
type compiledRule struct {
	name string
	// reasonPrefix starts Decision.Reason when the rule matches, with
	// When on one line.
	reasonPrefix string
	when         *vm.Program
	dests        []destination
}

// destination is a rule's destination for one target.
type destination struct {
	set   bool
	fixed string      // normalised, when prog is nil
	prog  *vm.Program // yields the destination
	field string      // "to_expr.<target>", for error messages
	// decisions and errors are this rule's counters for the target.
	decisions, errors prometheus.Counter
}

// defaultLabel is the rule label of decisions that fell to the default.
const defaultLabel = "default"

// targetNameRE is the shape of a target's name.
var targetNameRE = regexp.MustCompile(`^[a-z0-9_]+$`)

// New compiles opts into a Router. When anything is wrong it returns
// connectors.Problems listing every problem, each with its path inside the
// routing section ("rules.2.when", "default.hipcall"), so the operator can
// fix them all at once.
func New(opts Options) (*Router, error) {
	var problems connectors.Problems
	m, err := newMetrics(opts.Registerer)
	if err != nil {
		return nil, fmt.Errorf("routing: registering metrics: %w (pass a fresh prometheus registry, or nil to skip metrics)", err)
	}
	r := &Router{targets: make(map[string]*target, len(opts.Targets)), log: opts.Logger, now: opts.Now}
	if r.log == nil {
		r.log = hclog.NewNullLogger()
	}
	if r.now == nil {
		r.now = time.Now
	}
	r.vms.New = func() any { return new(vm.VM) }

	for i, t := range opts.Targets {
		if !targetNameRE.MatchString(t.Name) || t.Check == nil || r.targets[t.Name] != nil {
			return nil, fmt.Errorf("routing: target %d (%q) needs a unique [a-z0-9_]+ name and a Check function: this is a bug in its registration", i, t.Name)
		}
		r.targets[t.Name] = &target{Target: t, index: i}
		r.order = append(r.order, r.targets[t.Name])
	}
	problems = append(problems, r.unknownTargets("default", opts.Default)...)
	for _, t := range r.order {
		raw, set := opts.Default[t.Name]
		switch {
		case set && strings.TrimSpace(raw) != "":
			d, err := t.Check(raw)
			if err != nil {
				problems.Addf("default."+t.Name, "%v", err)
			}
			t.def = d
		case t.DefaultRequired:
			problems.Addf("default."+t.Name, "routing.default.%s is required: it takes every %s call no rule routes", t.Name, t.Name)
		}
	}

	sets, ps := loadHolidays(opts.Holidays)
	problems = append(problems, ps...)
	r.helpers = &helpers{holidays: sets, zones: map[string]*time.Location{}}

	sample := buildEnv(directory.Result{}, Call{}, time.Time{})
	seen := make(map[string]int, len(opts.Rules))
	for i, rule := range opts.Rules {
		cr, errs := r.compileRule(i, rule, sample, seen)
		problems = append(problems, errs...)
		r.rules = append(r.rules, cr)
	}
	if len(problems) > 0 {
		return nil, problems
	}
	for _, cr := range r.rules {
		r.needs.add(cr.when)
		for _, d := range cr.dests {
			if d.prog != nil {
				r.needs.add(d.prog)
			}
		}
	}
	// Counters only for a router that will run, and only for the series it
	// can count: each target's default, and each rule's targets.
	for _, t := range r.order {
		t.defaults = m.decisions.WithLabelValues(t.Name, defaultLabel)
	}
	for i := range r.rules {
		for _, t := range r.order {
			if d := &r.rules[i].dests[t.index]; d.set {
				d.decisions = m.decisions.WithLabelValues(t.Name, r.rules[i].name)
				d.errors = m.ruleErrors.WithLabelValues(t.Name, r.rules[i].name)
			}
		}
	}
	return r, nil
}

// unknownTargets reports the keys of m that name no registered target.
func (r *Router) unknownTargets(path string, m map[string]string) connectors.Problems {
	var problems connectors.Problems
	names := make([]string, 0, len(m))
	for name := range m {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		if _, ok := r.targets[name]; !ok {
			problems.Addf(path+"."+name, "%q is not a phone system this host serves (known: %s)", name, strings.Join(r.targetNames(), ", "))
		}
	}
	return problems
}

// targetNames lists the registered targets' names, sorted.
func (r *Router) targetNames() []string {
	names := make([]string, 0, len(r.targets))
	for name := range r.targets {
		names = append(names, name)
	}
	slices.Sort(names)
	return names
}

// compileRule validates and compiles rule number i, recording its name in
// seen. It returns every problem found, with paths inside the routing
// section.
func (r *Router) compileRule(i int, rule Rule, sample map[string]any, seen map[string]int) (compiledRule, connectors.Problems) {
	var problems connectors.Problems
	at := fmt.Sprintf("rules.%d", i)
	label := rule.Name
	if label == "" {
		label = fmt.Sprintf("rules[%d]", i)
	}
	switch prev, dup := seen[rule.Name]; {
	case strings.TrimSpace(rule.Name) == "":
		problems.Addf(at+".name", "name is required: give every rule a unique name, it appears in logs and metrics")
	case rule.Name == defaultLabel:
		problems.Addf(at+".name", `"default" is reserved for the default destination in metrics: rename the rule`)
	case dup:
		problems.Addf(at+".name", "name %q is already used by rule %d: rule names must be unique", rule.Name, prev)
	default:
		seen[rule.Name] = i
	}

	cr := compiledRule{name: rule.Name, dests: make([]destination, len(r.targets)),
		reasonPrefix: fmt.Sprintf("rule %q matched (%s) for ", rule.Name, strings.Join(strings.Fields(rule.When), " "))}
	if strings.TrimSpace(rule.When) == "" {
		problems.Addf(at+".when", "when is required: write a condition such as `found && record.balance > 1000`, or `true` for a catch-all")
	} else if prog, errs := r.compile(rule.When, sample, expr.AsBool()); errs != nil {
		for _, err := range errs {
			problems = append(problems, exprProblem(at+".when", err))
		}
	} else {
		cr.when = prog
	}

	problems = append(problems, r.unknownTargets(at+".to", rule.To)...)
	problems = append(problems, r.unknownTargets(at+".to_expr", rule.ToExpr)...)
	for _, t := range r.order {
		fixed, hasFixed := rule.To[t.Name]
		code, hasExpr := rule.ToExpr[t.Name]
		d := destination{set: hasFixed || hasExpr, field: "to_expr." + t.Name}
		switch {
		case hasFixed && hasExpr:
			problems.Addf(at+".to_expr."+t.Name, "rule %q has both to.%s and to_expr.%s: keep exactly one", label, t.Name, t.Name)
		case hasExpr:
			prog, errs := r.compile(code, sample, expr.AsAny())
			if errs != nil {
				for _, err := range errs {
					problems = append(problems, exprProblem(at+".to_expr."+t.Name, err))
				}
				break
			}
			if typ := prog.Node().Type(); typ != nil && !textType(typ) {
				problems.Addf(at+".to_expr."+t.Name, "yields %s: it must yield a string or a whole number", typ)
				break
			}
			d.prog = prog
		case hasFixed:
			dest, err := t.Check(fixed)
			if err != nil {
				problems.Addf(at+".to."+t.Name, "%v", err)
			}
			d.fixed = dest
		}
		cr.dests[t.index] = d
	}
	if len(rule.To) == 0 && len(rule.ToExpr) == 0 {
		problems.Addf(at, "rule %q has no destination: give it to (fixed destinations) or to_expr (expressions), keyed by phone system (%s)",
			label, strings.Join(r.targetNames(), ", "))
	}
	return cr, problems
}

// compile compiles one expression with the time helpers, returning every
// problem with their arguments (each a *file.Error, as expr's own) and
// expr's compile error, if any.
func (r *Router) compile(code string, sample map[string]any, kind expr.Option) (*vm.Program, []error) {
	p := &helperPatcher{h: r.helpers, src: code}
	opts := append(r.helpers.options(), expr.Env(sample), kind, expr.Patch(p))
	prog, err := expr.Compile(code, opts...)
	errs := p.bindErrors()
	if err != nil && !p.bareNames {
		errs = append(errs, err) // (a helper's bare name makes expr's error a follow-on)
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return prog, nil
}

// exprProblem turns a compile error from expr into a problem at path,
// keeping expr's message and position inside the expression and adding a
// hint where one helps.
func exprProblem(path string, err error) connectors.Problem {
	msg := err.Error()
	var fe *file.Error
	if errors.As(err, &fe) {
		msg = fe.Message
		if fe.Snippet != "" {
			msg = fmt.Sprintf("%s (%d:%d)", fe.Message, fe.Line, fe.Column+1)
		}
	}
	switch {
	case strings.Contains(err.Error(), `Operator("matches")`):
		msg += "; `matches` is expr's regex operator: write $env.matches or candidates for the candidate count"
	case strings.HasPrefix(msg, "unknown name"):
		msg += "; see the variables listed by `lookup -explain` (routing.EnvDoc)"
	}
	return connectors.Problem{Path: path, Message: msg}
}

// Targets lists the names of the targets the router serves, sorted.
func (r *Router) Targets() []string { return r.targetNames() }

// Default is the destination for target when no rule routes a call ("" when
// none is configured or the target is unknown).
func (r *Router) Default(target string) string {
	if t := r.targets[target]; t != nil {
		return t.def
	}
	return ""
}

// Decide picks the destination for target from the rules, skipping rules
// without a destination for it. It never fails and never panics: when no
// rule matches, a rule errors, or anything goes wrong, the target's
// default answers.
func (r *Router) Decide(res directory.Result, call Call, target string) Decision {
	if r == nil {
		return Decision{Target: target, Default: true, Reason: "default: no router configured (build one with routing.New)"}
	}
	t := r.targetOf(target)
	if t == nil {
		return Decision{Target: target, Default: true, Reason: "default: " + strings.TrimSpace(target+" is not a routing target")}
	}
	return r.decide(res, call, t, counter{})
}

// Explain decides like Decide and reports the environment and each rule's
// outcome. It does not count in the metrics.
func (r *Router) Explain(res directory.Result, call Call, target string) Explanation {
	var ex Explanation
	t := r.targetOf(target)
	if t == nil {
		ex.Decision = r.Decide(res, call, target)
		return ex
	}
	e := &explainer{ex: &ex}
	ex.Decision = r.decide(res, call, t, e)
	if ex.Env != nil {
		delete(ex.Env, traceKey)
		r.helpers.zoneTimes(ex.Env, e.trace)
	}
	return ex
}

func (r *Router) targetOf(name string) *target {
	if r == nil {
		return nil
	}
	return r.targets[name]
}

// recorder receives what a decision goes through. Counting (the metrics)
// and explaining (`lookup -explain`) are its two implementations, so
// decide itself has no branch for either.
type recorder interface {
	env(map[string]any)
	step(Step)
	failed(d *destination)
	decided(d *destination, t *target)
}

// counter counts decisions and rule errors in the metrics.
type counter struct{}

func (counter) env(map[string]any) {}
func (counter) step(Step)          {}
func (counter) failed(d *destination) {
	d.errors.Inc()
}
func (counter) decided(d *destination, t *target) {
	if d == nil {
		t.defaults.Inc()
		return
	}
	d.decisions.Inc()
}

// explainer keeps the environment and every step with what the time
// helpers saw, and counts nothing.
type explainer struct {
	ex    *Explanation
	trace *tracer
}

func (e *explainer) env(env map[string]any) {
	e.trace = &tracer{}
	env[traceKey] = e.trace
	e.ex.Env = env
}

func (e *explainer) step(s Step) {
	s.Notes = e.trace.take()
	e.ex.Steps = append(e.ex.Steps, s)
}

func (*explainer) failed(*destination)           {}
func (*explainer) decided(*destination, *target) {}

// decide is Decide for a registered target, telling rec what happens.
func (r *Router) decide(res directory.Result, call Call, t *target, rec recorder) (d Decision) {
	defer func() {
		if p := recover(); p != nil {
			r.log.Error("routing panicked; answering with the default: this is a bug, please report it",
				"panic", fmt.Sprint(p), "target", t.Name)
			d = r.byDefault(t, "default: internal error while evaluating rules (see the log)")
			rec.decided(nil, t)
		}
	}()

	var env map[string]any
	if _, counting := rec.(counter); counting {
		env = r.decisionEnv(res, call)
	} else { // explained: the whole environment, to show
		env = buildEnv(res, call, r.now())
	}
	rec.env(env)
	machine := r.vms.Get().(*vm.VM)
	defer r.vms.Put(machine)

	var failed []string
	for i := range r.rules {
		cr := &r.rules[i]
		dst := &cr.dests[t.index]
		if !dst.set {
			rec.step(Step{Rule: cr.name, Skipped: true})
			continue
		}
		dest, ok, err := cr.eval(machine, env, dst, t)
		rec.step(Step{Rule: cr.name, Matched: ok, Destination: dest, Err: err})
		if err != nil {
			failed = append(failed, cr.name)
			r.log.Debug("routing rule failed; treating it as no match", "rule", cr.name, "target", t.Name, "error", oneLine(err))
			rec.failed(dst)
			continue
		}
		if ok {
			rec.decided(dst, t)
			return Decision{Target: t.Name, Destination: dest, Rule: cr.name, Reason: cr.reasonPrefix + subject(res)}
		}
	}

	rec.decided(nil, t)
	reason := defaultReason(res)
	if len(failed) > 0 {
		reason += "; rules that failed: " + strings.Join(failed, ", ")
	}
	return r.byDefault(t, reason)
}

// byDefault is the decision when no rule routes the call for t.
func (r *Router) byDefault(t *target, reason string) Decision {
	if t.def == "" && t.WithoutDefault != "" {
		reason += "; no routing.default." + t.Name + ", so " + t.WithoutDefault
	}
	return Decision{Target: t.Name, Destination: t.def, Default: true, Reason: reason}
}

// eval runs the rule for one target's destination: ok is true when When
// holds and the destination is valid; err says why the rule could not be
// evaluated.
func (cr *compiledRule) eval(machine *vm.VM, env map[string]any, dst *destination, t *target) (dest string, ok bool, err error) {
	out, err := machine.Run(cr.when, env)
	if err != nil {
		return "", false, fmt.Errorf("when: %w", err)
	}
	match, isBool := out.(bool)
	if !isBool {
		return "", false, fmt.Errorf("when: yielded %T, want a bool", out)
	}
	if !match {
		return "", false, nil
	}
	if dst.prog == nil {
		return dst.fixed, true, nil
	}
	out, err = machine.Run(dst.prog, env)
	if err != nil {
		return "", false, fmt.Errorf("%s: %w", dst.field, err)
	}
	text, err := toText(out)
	if err == nil {
		text, err = t.Check(text)
	}
	if err != nil {
		return "", false, fmt.Errorf("%s: %w", dst.field, err)
	}
	return text, true, nil
}
