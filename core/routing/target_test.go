package routing_test

import (
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/switchboard-hq/switchboard/connectors/phone"
	"github.com/switchboard-hq/switchboard/core/directory"
	"github.com/switchboard-hq/switchboard/core/ringostat"
	"github.com/switchboard-hq/switchboard/core/routing"
)

const ringo = ringostat.TargetName

func mustParser(t *testing.T, region string) *phone.Parser {
	t.Helper()
	p, err := phone.NewParser(region)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestTargets: the router serves the phone systems registered with it, and
// no other.
func TestTargets(t *testing.T) {
	r := newRouter(t, vipRules, routing.Options{})
	if got := r.Targets(); strings.Join(got, ",") != "hipcall,ringostat" {
		t.Errorf("Targets() = %q, want [hipcall ringostat]", got)
	}
	d := r.Decide(routing.NotFound(), routing.Call{}, "asterisk")
	if !d.Default || d.Destination != "" || d.Target != "asterisk" || !strings.Contains(d.Reason, "asterisk is not a routing target") {
		t.Errorf("Decide(asterisk) = %+v, want a default decision without destination saying asterisk is unknown", d)
	}
	if ex := r.Explain(routing.NotFound(), routing.Call{}, "asterisk"); ex.Decision != d || len(ex.Steps) != 0 {
		t.Errorf("Explain(asterisk) = %+v, want the same decision and no steps", ex)
	}
	if got := r.Default("asterisk"); got != "" {
		t.Errorf("Default(asterisk) = %q, want none", got)
	}

	// A destination for a phone system not registered is a problem.
	_, err := routing.New(routing.Options{Targets: targets(nil), Config: routing.Config{
		Default: map[string]string{hip: "100", "asterisk": "1"},
		Rules: []routing.Rule{
			{Name: "a", When: "found", To: map[string]string{"Ringostat": "reception", hip: "1"}},
			{Name: "b", When: "found", ToExpr: map[string]string{"asterisk": "'1'"}},
		},
	}})
	checkProblems(t, problemsOf(t, err), []wantProblem{
		{"default.asterisk", `"asterisk" is not a phone system this host serves (known: hipcall, ringostat)`},
		{"rules.0.to.Ringostat", "not a phone system"},
		{"rules.1.to_expr.asterisk", "not a phone system"},
	})
}

// TestNewBadTarget: a target registered without a usable name or Check, or
// twice, is a bug in the host, not a configuration problem.
func TestNewBadTarget(t *testing.T) {
	check := func(s string) (string, error) { return s, nil }
	for name, ts := range map[string][]routing.Target{
		"no name":   {{Check: check}},
		"bad name":  {{Name: "Hip-call", Check: check}},
		"no check":  {{Name: "hipcall"}},
		"duplicate": {{Name: "x", Check: check}, {Name: "x", Check: check}},
	} {
		_, err := routing.New(routing.Options{Targets: ts})
		if err == nil || !strings.Contains(err.Error(), "this is a bug in its registration") {
			t.Errorf("%s: New = %v, want a registration error", name, err)
		}
	}
}

// ringostatRules serve both phone systems from one rule set.
var ringostatRules = []routing.Rule{
	{Name: "shared", When: "ambiguous", To: map[string]string{hip: "1002", ringo: "reception"}},
	{Name: "hipcall-only", When: `found && record.manager_ext != nil`, ToExpr: hipcall("record.manager_ext")},
	{Name: "ringostat-only", When: `found && record.manager_phone != nil`, ToExpr: map[string]string{ringo: "record.manager_phone"}},
	{Name: "known", When: "found", To: map[string]string{hip: "1001", ringo: "support"}},
}

func TestDecideRingostat(t *testing.T) {
	tests := []struct {
		name    string
		res     func() directory.Result
		rdef    string
		hipcall string // the extension Decide gives for Hipcall
		dest    string // the Ringostat destination
		rule    string // the rule deciding for Ringostat, "" for the default
		reason  string // substring of the Ringostat reason
	}{
		{name: "both destinations from their own rules",
			res: func() directory.Result {
				return routing.Contact(map[string]any{"manager_ext": "1093", "manager_phone": "+44 7700 900017"})
			},
			hipcall: "1093", dest: "447700900017", rule: "ringostat-only", reason: `rule "ringostat-only" matched`},
		{name: "a CSV number field reaches rules as a float",
			res:     func() directory.Result { return routing.Contact(map[string]any{"manager_phone": "380501234567"}) },
			hipcall: "1001", dest: "380501234567", rule: "ringostat-only"},
		{name: "Ringostat's spaced format",
			res:     func() directory.Result { return routing.Contact(map[string]any{"manager_phone": "3 80501234567"}) },
			hipcall: "1001", dest: "380501234567", rule: "ringostat-only"},
		{name: "an unusable destination skips the rule",
			res:     func() directory.Result { return routing.Contact(map[string]any{"manager_phone": "call Ada"}) },
			hipcall: "1001", dest: "support", rule: "known"},
		{name: "static SIP login for ambiguous",
			res:     func() directory.Result { return routing.Ambiguous(2) },
			hipcall: "1002", dest: "reception", rule: "shared"},
		{name: "not found, no Ringostat default: empty",
			res:     routing.NotFound,
			hipcall: "100", dest: "", reason: "no routing.default.ringostat, so Ringostat goes on to the next step of its scheme"},
		{name: "not found, Ringostat default normalised",
			res: routing.NotFound, rdef: "+44 20 4520 5757",
			hipcall: "100", dest: "442045205757", reason: "default: no rule matched (not found)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			reg := prometheus.NewRegistry()
			r, err := routing.New(routing.Options{
				Config:  routing.Config{Default: map[string]string{hip: "100", ringo: tc.rdef}, Rules: ringostatRules},
				Targets: targets(mustParser(t, "GB")), Registerer: reg, Now: routing.FixedClock(routing.Wednesday10)})
			if err != nil {
				t.Fatalf("New: %v", err)
			}
			res := tc.res()
			if d := r.Decide(res, routing.Call{}, hip); d.Destination != tc.hipcall || d.Target != hip {
				t.Errorf("Decide(hipcall) = %+v, want extension %q", d, tc.hipcall)
			}
			d := r.Decide(res, routing.Call{}, ringo)
			if d.Destination != tc.dest || d.Target != ringo || d.Rule != tc.rule || d.Default != (tc.rule == "") {
				t.Errorf("Decide(ringostat) = %+v, want destination %q by rule %q", d, tc.dest, tc.rule)
			}
			if !strings.Contains(d.Reason, tc.reason) {
				t.Errorf("reason %q lacks %q", d.Reason, tc.reason)
			}
			label := tc.rule
			if label == "" {
				label = "default"
			}
			if got := routing.CounterValue(t, reg, decisionsMetric, ringo, label); got != 1 {
				t.Errorf("decisions{target=ringostat,rule=%q} = %v, want 1", label, got)
			}
			if got := r.Default(ringo); tc.rdef == "" && got != "" {
				t.Errorf("Default(ringostat) = %q, want none", got)
			}

			ex := r.Explain(res, routing.Call{}, ringo)
			if ex.Decision.Destination != tc.dest {
				t.Errorf("Explain(ringostat) destination %q, want %q", ex.Decision.Destination, tc.dest)
			}
			for _, st := range ex.Steps {
				if st.Rule == "hipcall-only" && !st.Skipped {
					t.Errorf("step %+v: a rule without a Ringostat destination must be skipped", st)
				}
			}
		})
	}
}

func TestNewRingostatProblems(t *testing.T) {
	_, err := routing.New(routing.Options{
		Targets: targets(nil),
		Config: routing.Config{
			Default: map[string]string{hip: "100", ringo: "call me"},
			Rules: []routing.Rule{
				{Name: "ok", When: "found", To: map[string]string{ringo: "reception"}},                                    // 0: fine without extension
				{Name: "both", When: "found", To: map[string]string{ringo: "a"}, ToExpr: map[string]string{ringo: "'b'"}}, // 1
				{Name: "bad-static", When: "found", To: map[string]string{ringo: "0501234567"}},                           // 2
				{Name: "bad-expr", When: "found", ToExpr: map[string]string{ringo: "record.phone +"}},                     // 3
				{Name: "bool-expr", When: "found", ToExpr: map[string]string{ringo: "found"}},                             // 4
				{Name: "none", When: "found"}, // 5
				{Name: "ext-and-ringo", When: "found", To: hipcall("1"), ToExpr: map[string]string{ringo: "record.sip"}}, // 6: fine
			},
		},
	})
	checkProblems(t, problemsOf(t, err), []wantProblem{
		{"default.ringostat", "not a SIP login"},
		{"rules.1.to_expr.ringostat", "keep exactly one"},
		{"rules.2.to.ringostat", "international format"},
		{"rules.3.to_expr.ringostat", "unexpected token"},
		{"rules.4.to_expr.ringostat", "yields bool"},
		{"rules.5", "no destination"},
	})
}
