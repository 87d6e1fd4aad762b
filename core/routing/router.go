package routing

import (
	"errors"
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/file"
	"github.com/expr-lang/expr/vm"
	"github.com/hashicorp/go-hclog"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/switchboard-hq/switchboard/connectors/phone"
	"github.com/switchboard-hq/switchboard/core/directory"
)

// Rule is one routing rule as configured: when When holds, a Hipcall call
// goes to Extension, or to what ExtensionExpr yields, and a Ringostat call to
// Ringostat, or to what RingostatExpr yields. At most one of each pair is
// set, and at least one destination; a rule without a destination for a
// target is skipped for that target.
type Rule struct {
	// Name identifies the rule in decisions, logs and metrics; required,
	// unique, and not "default".
	Name string `yaml:"name"`
	// When is a boolean expr expression over the variables EnvDoc lists.
	When string `yaml:"when"`
	// Extension is a static destination.
	Extension string `yaml:"extension,omitempty"`
	// ExtensionExpr is an expression yielding the destination, a string or
	// a whole number (record.owner_extension).
	ExtensionExpr string `yaml:"extension_expr,omitempty"`
	// Ringostat is a static Ringostat destination: a phone number in
	// international format or a SIP login (see RingostatDestination).
	Ringostat string `yaml:"ringostat,omitempty"`
	// RingostatExpr is an expression yielding the Ringostat destination
	// (record.owner_phone, record.sip_login).
	RingostatExpr string `yaml:"ringostat_expr,omitempty"`
}

// hasDestination reports whether the rule names a destination for target.
func (r *Rule) hasDestination(target Target) bool {
	if target == TargetRingostat {
		return r.Ringostat != "" || r.RingostatExpr != ""
	}
	return r.Extension != "" || r.ExtensionExpr != ""
}

// Options configure a Router.
type Options struct {
	// DefaultExtension takes every Hipcall call no rule handles; required.
	DefaultExtension string
	// RingostatDefault takes every Ringostat call no rule handles. Empty
	// means none: the decision's Destination is then empty and Ringostat
	// goes on to the next step of its scheme.
	RingostatDefault string
	// Phone normalises Ringostat destinations written as phone numbers
	// (numbers without country code are placed in its default region). nil
	// accepts only numbers written with their country code.
	Phone *phone.Parser
	// Rules are evaluated in order; the first that matches decides.
	Rules []Rule
	// Logger receives debug lines about rules failing at run time; nil
	// discards them.
	Logger hclog.Logger
	// Registerer receives the routing metrics; nil leaves them unregistered.
	Registerer prometheus.Registerer
	// Now is the clock behind now, hour, minute and weekday; nil means
	// time.Now. Tests inject a fixed clock.
	Now func() time.Time
}

// Router decides where calls go. It is immutable after New and safe for
// concurrent use.
type Router struct {
	def      string
	rules    []compiledRule
	log      hclog.Logger
	now      func() time.Time
	defaults prometheus.Counter
	vms      sync.Pool

	// ringoDef is the normalised Ringostat default ("" for none).
	ringoDef      string
	ringoDefaults prometheus.Counter
	phone         *phone.Parser
}

// compiledRule is a Rule with its programs and counters.
type compiledRule struct {
	Rule
	// reasonPrefix starts Decision.Reason when the rule matches, with
	// When on one line.
	reasonPrefix string
	when         *vm.Program
	ext          *vm.Program // nil when Extension is static
	decisions    prometheus.Counter
	errors       prometheus.Counter
	// ringo yields the Ringostat destination; nil when Ringostat (already
	// normalised) is static or unset.
	ringo          *vm.Program
	ringoDecisions prometheus.Counter
}

// New compiles opts into a Router. When anything is wrong it returns a
// *RuleErrors listing every problem, so the operator can fix them all at
// once.
func New(opts Options) (*Router, error) {
	var problems []RuleError
	if err := CheckExtension(opts.DefaultExtension); err != nil {
		problems = append(problems, RuleError{Index: -1, Field: FieldDefaultExtension,
			Message: err.Error() + " (default_extension is required: it takes every call no rule handles)"})
	}
	ringoDef := ""
	if strings.TrimSpace(opts.RingostatDefault) != "" {
		d, err := RingostatDestination(opts.RingostatDefault, opts.Phone)
		if err != nil {
			problems = append(problems, RuleError{Index: -1, Field: FieldRingostatDefault, Message: err.Error()})
		}
		ringoDef = d
	}

	sample := buildEnv(directory.Result{}, Call{}, time.Time{})
	rules := make([]compiledRule, 0, len(opts.Rules))
	seen := make(map[string]int, len(opts.Rules))
	for i, rule := range opts.Rules {
		cr, errs := compileRule(i, rule, sample, seen, opts.Phone)
		problems = append(problems, errs...)
		rules = append(rules, cr)
	}
	if len(problems) > 0 {
		return nil, &RuleErrors{Errors: problems}
	}

	m, err := newMetrics(opts.Registerer)
	if err != nil {
		return nil, fmt.Errorf("routing: registering metrics: %w (pass a fresh prometheus registry, or nil to skip metrics)", err)
	}
	for i := range rules {
		rules[i].decisions = m.decisions.WithLabelValues(rules[i].Name)
		rules[i].errors = m.ruleErrors.WithLabelValues(rules[i].Name)
		rules[i].ringoDecisions = m.ringostatDecisions.WithLabelValues(rules[i].Name)
	}

	r := &Router{
		def:      opts.DefaultExtension,
		rules:    rules,
		log:      opts.Logger,
		now:      opts.Now,
		defaults: m.decisions.WithLabelValues(defaultLabel),

		ringoDef:      ringoDef,
		ringoDefaults: m.ringostatDecisions.WithLabelValues(defaultLabel),
		phone:         opts.Phone,
	}
	if r.log == nil {
		r.log = hclog.NewNullLogger()
	}
	if r.now == nil {
		r.now = time.Now
	}
	r.vms.New = func() any { return new(vm.VM) }
	return r, nil
}

// compileRule validates and compiles rule number i, recording its name in
// seen. It returns every problem found.
func compileRule(i int, rule Rule, sample map[string]any, seen map[string]int, p *phone.Parser) (compiledRule, []RuleError) {
	var problems []RuleError
	bad := func(field, msg string) {
		problems = append(problems, RuleError{Index: i, Name: rule.Name, Field: field, Message: msg})
	}

	switch prev, dup := seen[rule.Name]; {
	case strings.TrimSpace(rule.Name) == "":
		bad(FieldName, "name is required: give every rule a unique name, it appears in logs and metrics")
	case rule.Name == defaultLabel:
		bad(FieldName, `"default" is reserved for the default extension in metrics: rename the rule`)
	case dup:
		bad(FieldName, fmt.Sprintf("name %q is already used by rule %d: rule names must be unique", rule.Name, prev))
	default:
		seen[rule.Name] = i
	}

	cr := compiledRule{Rule: rule,
		reasonPrefix: fmt.Sprintf("rule %q matched (%s) for ", rule.Name, strings.Join(strings.Fields(rule.When), " "))}
	if strings.TrimSpace(rule.When) == "" {
		bad(FieldWhen, "when is required: write a condition such as `found && record.balance > 1000`, or `true` for a catch-all")
	} else if prog, err := expr.Compile(rule.When, expr.Env(sample), expr.AsBool()); err != nil {
		problems = append(problems, exprError(i, rule.Name, FieldWhen, err))
	} else {
		cr.when = prog
	}

	switch {
	case rule.Extension != "" && rule.ExtensionExpr != "":
		bad(FieldExtensionExpr, "both extension and extension_expr are set: keep exactly one")
	case rule.ExtensionExpr != "":
		prog, err := expr.Compile(rule.ExtensionExpr, expr.Env(sample), expr.AsAny())
		if err != nil {
			problems = append(problems, exprError(i, rule.Name, FieldExtensionExpr, err))
			break
		}
		if t := prog.Node().Type(); t != nil && !extensionType(t) {
			bad(FieldExtensionExpr, fmt.Sprintf("yields %s: it must yield a string or a whole number", t))
			break
		}
		cr.ext = prog
	case rule.Extension != "":
		if err := CheckExtension(rule.Extension); err != nil {
			bad(FieldExtension, err.Error())
		}
	case !rule.hasDestination(TargetRingostat):
		bad(FieldExtension, "no destination: set extension (a static extension) or extension_expr (an expression yielding one); "+
			"for Ringostat, ringostat or ringostat_expr")
	}

	switch {
	case rule.Ringostat != "" && rule.RingostatExpr != "":
		bad(FieldRingostatExpr, "both ringostat and ringostat_expr are set: keep exactly one")
	case rule.RingostatExpr != "":
		prog, err := expr.Compile(rule.RingostatExpr, expr.Env(sample), expr.AsAny())
		if err != nil {
			problems = append(problems, exprError(i, rule.Name, FieldRingostatExpr, err))
			break
		}
		if t := prog.Node().Type(); t != nil && !extensionType(t) {
			bad(FieldRingostatExpr, fmt.Sprintf("yields %s: it must yield a string (a phone number or a SIP login) or a whole number", t))
			break
		}
		cr.ringo = prog
	case rule.Ringostat != "":
		d, err := RingostatDestination(rule.Ringostat, p)
		if err != nil {
			bad(FieldRingostat, err.Error())
		}
		cr.Ringostat = d
	}
	return cr, problems
}

// extensionType reports whether an expression of static type t may yield
// an extension: a string, a number, or a type only known at run time.
func extensionType(t reflect.Type) bool {
	switch t.Kind() {
	case reflect.Interface, reflect.String,
		reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
		reflect.Float32, reflect.Float64:
		return true
	}
	return false
}

// Step is the outcome of one rule while explaining a decision.
type Step struct {
	// Rule is the rule's name.
	Rule string
	// Matched is true when When held and a valid destination was found.
	Matched bool
	// Skipped is true when the rule has no destination for the decision's
	// target and so was not evaluated.
	Skipped bool
	// Extension is the destination the rule yielded, when Matched.
	Extension string
	// Err is why the rule was skipped when its evaluation failed.
	Err error
}

// Explanation is a decision with everything behind it, for `lookup -explain`.
type Explanation struct {
	Decision Decision
	// Env is the environment the rules saw.
	Env map[string]any
	// Steps lists the rules evaluated, in order, up to the one that matched.
	Steps []Step
}

// Decide picks the Hipcall extension for a call whose caller the directory
// resolved to res. It never fails and never panics: when no rule matches,
// a rule errors, or anything goes wrong, the default extension answers.
func (r *Router) Decide(res directory.Result, call Call) Decision {
	return r.decide(res, call, TargetHipcall, nil)
}

// DecideFor picks the destination for target from the same rules and the
// same match: rules without a destination for target are skipped. It never
// fails and never panics. For TargetHipcall it is Decide. For
// TargetRingostat, Destination is a normalised Ringostat destination, or
// the Ringostat default, which may be empty: "no destination, go on to
// the next step of the scheme".
func (r *Router) DecideFor(res directory.Result, call Call, target Target) Decision {
	return r.decide(res, call, target, nil)
}

// Explain decides like Decide and reports the environment and each rule's
// outcome. It does not count in the metrics.
func (r *Router) Explain(res directory.Result, call Call) Explanation {
	return r.ExplainFor(res, call, TargetHipcall)
}

// ExplainFor decides like DecideFor and reports the environment and each
// rule's outcome. It does not count in the metrics.
func (r *Router) ExplainFor(res directory.Result, call Call, target Target) Explanation {
	var ex Explanation
	ex.Decision = r.decide(res, call, target, &ex)
	return ex
}

// defaultFor is the decision when no rule handles the call for target.
func (r *Router) defaultFor(target Target, reason string) Decision {
	if target == TargetRingostat {
		if r.ringoDef == "" {
			reason += "; no routing.ringostat_default, so Ringostat goes on to the next step of its scheme"
		}
		return Decision{Target: target, Destination: r.ringoDef, Default: true, Reason: reason}
	}
	return Decision{Target: TargetHipcall, Extension: r.def, Destination: r.def, Default: true, Reason: reason}
}

// countDefault counts a default decision for target.
func (r *Router) countDefault(target Target) {
	if target == TargetRingostat {
		r.ringoDefaults.Inc()
		return
	}
	r.defaults.Inc()
}

// decide is DecideFor, recording into ex when it is not nil.
func (r *Router) decide(res directory.Result, call Call, target Target, ex *Explanation) (d Decision) {
	if target != TargetRingostat {
		target = TargetHipcall
	}
	if r == nil {
		return Decision{Target: target, Default: true, Reason: "default: no router configured (build one with routing.New)"}
	}
	defer func() {
		if p := recover(); p != nil {
			r.log.Error("routing panicked; answering with the default: this is a bug, please report it",
				"panic", fmt.Sprint(p), "target", string(target))
			d = r.defaultFor(target, "default: internal error while evaluating rules (see the log)")
			if ex == nil {
				r.countDefault(target)
			}
		}
	}()

	env := buildEnv(res, call, r.now())
	if ex != nil {
		ex.Env = env
	}
	machine := r.vms.Get().(*vm.VM)
	defer r.vms.Put(machine)

	var failed []string
	for i := range r.rules {
		cr := &r.rules[i]
		if !cr.hasDestination(target) {
			if ex != nil {
				ex.Steps = append(ex.Steps, Step{Rule: cr.Name, Skipped: true})
			}
			continue
		}
		dest, ok, err := cr.eval(machine, env, target, r.phone)
		if ex != nil {
			ex.Steps = append(ex.Steps, Step{Rule: cr.Name, Matched: ok, Extension: dest, Err: err})
		}
		if err != nil {
			failed = append(failed, cr.Name)
			r.log.Debug("routing rule failed; treating it as no match", "rule", cr.Name, "target", string(target), "error", oneLine(err))
			if ex == nil {
				cr.errors.Inc()
			}
			continue
		}
		if !ok {
			continue
		}
		d := Decision{Target: target, Destination: dest, Rule: cr.Name, Reason: cr.reasonPrefix + subject(res)}
		if target == TargetHipcall {
			d.Extension = dest
		}
		if ex == nil {
			if target == TargetRingostat {
				cr.ringoDecisions.Inc()
			} else {
				cr.decisions.Inc()
			}
		}
		return d
	}

	if ex == nil {
		r.countDefault(target)
	}
	reason := defaultReason(res)
	if len(failed) > 0 {
		reason += "; rules that failed: " + strings.Join(failed, ", ")
	}
	return r.defaultFor(target, reason)
}

// eval runs the rule for target: ok is true when When holds and the
// destination is valid; err says why the rule could not be evaluated.
func (cr *compiledRule) eval(machine *vm.VM, env map[string]any, target Target, p *phone.Parser) (dest string, ok bool, err error) {
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
	if target == TargetRingostat {
		return cr.ringostat(machine, env, p)
	}
	if cr.ext == nil {
		return cr.Extension, true, nil
	}
	out, err = machine.Run(cr.ext, env)
	if err != nil {
		return "", false, fmt.Errorf("extension_expr: %w", err)
	}
	dest, err = toExtension(out)
	if err != nil {
		return "", false, fmt.Errorf("extension_expr: %w", err)
	}
	return dest, true, nil
}

// ringostat yields the rule's Ringostat destination, normalised.
func (cr *compiledRule) ringostat(machine *vm.VM, env map[string]any, p *phone.Parser) (string, bool, error) {
	if cr.ringo == nil {
		return cr.Ringostat, true, nil
	}
	out, err := machine.Run(cr.ringo, env)
	if err != nil {
		return "", false, fmt.Errorf("ringostat_expr: %w", err)
	}
	text, err := toText(out)
	if err != nil {
		return "", false, fmt.Errorf("ringostat_expr: %w", err)
	}
	dest, err := RingostatDestination(text, p)
	if err != nil {
		return "", false, fmt.Errorf("ringostat_expr: %w", err)
	}
	return dest, true, nil
}

// toExtension turns what an extension_expr yielded into a valid extension:
// a string (spaces trimmed) or a whole number.
func toExtension(v any) (string, error) {
	var s string
	switch x := v.(type) {
	case string:
		s = strings.TrimSpace(x)
	case int:
		s = strconv.Itoa(x)
	case int64:
		s = strconv.FormatInt(x, 10)
	case float64:
		if x != math.Trunc(x) || math.Abs(x) >= 1e15 {
			return "", fmt.Errorf("yielded %v: an extension number must be a whole number", x)
		}
		s = strconv.FormatInt(int64(x), 10)
	case nil:
		return "", errors.New("yielded nil: the record has no such value")
	default:
		rv := reflect.ValueOf(v)
		switch rv.Kind() {
		case reflect.String:
			s = strings.TrimSpace(rv.String())
		case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
			s = strconv.FormatInt(rv.Int(), 10)
		case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
			s = strconv.FormatUint(rv.Uint(), 10)
		case reflect.Float32:
			return toExtension(rv.Float())
		default:
			return "", fmt.Errorf("yielded %T: it must yield a string or a whole number", v)
		}
	}
	if err := CheckExtension(s); err != nil {
		return "", err
	}
	return s, nil
}

// subject describes who the caller turned out to be, for a rule's reason.
func subject(res directory.Result) string {
	switch {
	case res.Found && res.Match != nil:
		return res.Match.Key() + viaSource(res)
	case res.Ambiguous:
		return fmt.Sprintf("%d ambiguous records%s", len(res.Matches), viaSource(res))
	case res.InvalidNumber != nil:
		return "an invalid number"
	case len(res.Errors) > 0:
		return fmt.Sprintf("an unknown caller (%s)", plural(len(res.Errors), "source error"))
	default:
		return "an unknown caller"
	}
}

// defaultReason explains why the default answered.
func defaultReason(res directory.Result) string {
	switch {
	case res.InvalidNumber != nil:
		return "default: invalid number (" + strings.Join(strings.Fields(res.InvalidNumber.Error()), " ") + ")"
	case res.Ambiguous:
		return fmt.Sprintf("default: ambiguous (%s)", plural(len(res.Matches), "record"))
	case !res.Found && len(res.Errors) > 0:
		return fmt.Sprintf("default: lookup failed (%s)", plural(len(res.Errors), "source error"))
	case res.Found && res.Match != nil:
		return "default: no rule matched (" + res.Match.Key() + viaSource(res) + ")"
	default:
		return "default: no rule matched (not found)"
	}
}

// viaSource is " via <layer>/<source>", or "" when neither is known.
func viaSource(res directory.Result) string {
	switch {
	case res.Via != "" && res.Source != "":
		return " via " + string(res.Via) + "/" + res.Source
	case res.Via != "":
		return " via " + string(res.Via)
	case res.Source != "":
		return " via " + res.Source
	}
	return ""
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return strconv.Itoa(n) + " " + what + "s"
}

// oneLine renders err without expr's multi-line source snippet.
func oneLine(err error) string {
	var fe *file.Error
	if errors.As(err, &fe) && fe.Snippet != "" {
		return strings.Replace(err.Error(), fe.Snippet, "", 1)
	}
	return err.Error()
}
