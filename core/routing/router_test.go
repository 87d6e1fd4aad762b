package routing_test

import (
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/switchboard-hq/switchboard/connectors/phone"
	"github.com/switchboard-hq/switchboard/core/directory"
	"github.com/switchboard-hq/switchboard/core/ringostat"
	"github.com/switchboard-hq/switchboard/core/routing"
	"github.com/switchboard-hq/switchboard/core/smartivr"
)

const (
	decisionsMetric  = "switchboard_routing_decisions_total"
	ruleErrorsMetric = "switchboard_routing_rule_errors_total"

	hip = smartivr.TargetName
)

// targets are the production targets: Hipcall's Smart IVR and Ringostat,
// which places national numbers in p's region (p may be nil).
func targets(p *phone.Parser) []routing.Target {
	return []routing.Target{smartivr.Target(), ringostat.Target(p)}
}

// hipcall keys a destination (or an expression) by Hipcall's target, for
// Rule.To, Rule.ToExpr and Config.Default.
func hipcall(dest string) map[string]string { return map[string]string{hip: dest} }

// newRouter builds a router over the production targets with
// routing.default.hipcall "100", no Ringostat default, and the holiday
// lists of opts.
func newRouter(t testing.TB, rules []routing.Rule, opts routing.Options) *routing.Router {
	t.Helper()
	opts.Config = routing.Config{Default: hipcall("100"), Rules: rules, Holidays: opts.Holidays}
	opts.Targets = targets(nil)
	r, err := routing.New(opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return r
}

// vipRules is the rule set most cases share.
var vipRules = []routing.Rule{
	{Name: "vip", When: "found && record.balance > 1000", To: hipcall("200")},
	{Name: "corporate", When: `found && record.type == "company"`, To: hipcall("300")},
}

func TestDecide(t *testing.T) {
	call := routing.Call{Caller: "0212 555 12 34", Number: "+908505551000", UUID: "u-1"}
	tests := []struct {
		name  string
		rules []routing.Rule
		res   directory.Result
		call  *routing.Call // nil: call
		clock time.Time     // zero: routing.Wednesday10
		// want
		ext        string
		rule       string
		reason     string
		ruleErrors map[string]float64 // rule → runtime errors counted
	}{
		{
			name: "found, numeric balance over threshold", rules: vipRules,
			res: routing.Contact(map[string]any{"balance": 1500.0}),
			ext: "200", rule: "vip",
			reason: `rule "vip" matched (found && record.balance > 1000) for contact:C042 via index/customers`,
		},
		{
			name: "found, string-numeric balance from CSV", rules: vipRules,
			res: routing.Contact(map[string]any{"balance": "1500.50"}),
			ext: "200", rule: "vip",
			reason: `rule "vip" matched (found && record.balance > 1000) for contact:C042 via index/customers`,
		},
		{
			name: "found, balance under threshold", rules: vipRules,
			res: routing.Contact(map[string]any{"balance": "999"}),
			ext: "100", reason: "default: no rule matched (contact:C042 via index/customers)",
		},
		{
			name: "found, balance missing: rule errors and is skipped", rules: vipRules,
			res: routing.Contact(nil),
			ext: "100", reason: "default: no rule matched (contact:C042 via index/customers); rules that failed: vip",
			ruleErrors: map[string]float64{"vip": 1},
		},
		{
			name: "found, balance not numeric: rule errors and is skipped", rules: vipRules,
			res: routing.Contact(map[string]any{"balance": "lots"}),
			ext: "100", reason: "default: no rule matched (contact:C042 via index/customers); rules that failed: vip",
			ruleErrors: map[string]float64{"vip": 1},
		},
		{
			name: "error in first rule falls through to the next",
			rules: []routing.Rule{
				{Name: "rich", When: "record.balance > 1000", To: hipcall("200")},
				{Name: "known", When: "found", To: hipcall("201")},
			},
			res: routing.Contact(nil),
			ext: "201", rule: "known",
			reason:     `rule "known" matched (found) for contact:C042 via index/customers`,
			ruleErrors: map[string]float64{"rich": 1},
		},
		{
			name: "nil-safe guard avoids the error",
			rules: []routing.Rule{
				{Name: "rich", When: "(record.balance ?? 0) > 1000", To: hipcall("200")},
			},
			res: routing.NotFound(), ext: "100", reason: "default: no rule matched (not found)",
		},
		{
			name: "company record", rules: vipRules,
			res: routing.Company(map[string]any{"balance": 10.0}),
			ext: "300", rule: "corporate",
			reason: `rule "corporate" matched (found && record.type == "company") for company:K7 via live/crm`,
		},
		{
			name: "first matching rule wins",
			rules: []routing.Rule{
				{Name: "a", When: "found && record.tier == 'gold'", To: hipcall("201")},
				{Name: "b", When: "found", To: hipcall("202")},
				{Name: "c", When: "true", To: hipcall("203")},
			},
			res: routing.Contact(map[string]any{"tier": "silver"}),
			ext: "202", rule: "b",
			reason: `rule "b" matched (found) for contact:C042 via index/customers`,
		},
		{
			name:  "multi-line when is one line in the reason",
			rules: []routing.Rule{{Name: "gold", When: "found\n  && record.tier == 'gold'\n", To: hipcall("201")}},
			res:   routing.Contact(map[string]any{"tier": "gold"}),
			ext:   "201", rule: "gold",
			reason: `rule "gold" matched (found && record.tier == 'gold') for contact:C042 via index/customers`,
		},
		{
			name: "not found", rules: vipRules, res: routing.NotFound(),
			ext: "100", reason: "default: no rule matched (not found)",
		},
		{
			name:  "rule for unknown callers",
			rules: append([]routing.Rule{{Name: "stranger", When: "!found && !ambiguous", To: hipcall("400")}}, vipRules...),
			res:   routing.NotFound(),
			ext:   "400", rule: "stranger",
			reason: `rule "stranger" matched (!found && !ambiguous) for an unknown caller`,
		},
		{
			name: "lookup failed", rules: vipRules, res: routing.FailedLookup(2),
			ext: "100", reason: "default: lookup failed (2 source errors)",
		},
		{
			name: "rule on lookup errors", rules: []routing.Rule{{Name: "degraded", When: "errors > 0", To: hipcall("401")}},
			res: routing.FailedLookup(1), ext: "401", rule: "degraded",
			reason: `rule "degraded" matched (errors > 0) for an unknown caller (1 source error)`,
		},
		{
			name: "ambiguous, no rule handles it", rules: vipRules, res: routing.Ambiguous(3),
			ext: "100", reason: "default: ambiguous (3 records)",
		},
		{
			name:  "ambiguous handled by a rule",
			rules: append([]routing.Rule{{Name: "many", When: `ambiguous && $env.matches >= 3 && candidates == 3 && match == "national"`, To: hipcall("500")}}, vipRules...),
			res:   routing.Ambiguous(3),
			ext:   "500", rule: "many",
			reason: `rule "many" matched (ambiguous && $env.matches >= 3 && candidates == 3 && match == "national") for 3 ambiguous records via index/customers`,
		},
		{
			name: "invalid number", rules: vipRules, res: routing.Invalid(),
			ext: "100", reason: `default: invalid number (phone: "abc" is not a phone number)`,
		},
		{
			name: "invalid number handled by a rule", rules: []routing.Rule{{Name: "junk", When: "invalid_number", To: hipcall("0")}},
			res: routing.Invalid(), call: &routing.Call{Caller: "abc"}, ext: "0", rule: "junk",
			reason: `rule "junk" matched (invalid_number) for an invalid number`,
		},
		{
			name:  "to_expr.hipcall yields a string field",
			rules: []routing.Rule{{Name: "owner", When: "found", ToExpr: hipcall("record.fields.owner_ext")}},
			res:   routing.Contact(map[string]any{"owner_ext": " 205 "}),
			ext:   "205", rule: "owner",
			reason: `rule "owner" matched (found) for contact:C042 via index/customers`,
		},
		{
			name:  "to_expr.hipcall yields a whole float",
			rules: []routing.Rule{{Name: "owner", When: "found", ToExpr: hipcall("record.owner_ext")}},
			res:   routing.Contact(map[string]any{"owner_ext": 207.0}),
			ext:   "207", rule: "owner",
			reason: `rule "owner" matched (found) for contact:C042 via index/customers`,
		},
		{
			name:  "to_expr.hipcall yields an int",
			rules: []routing.Rule{{Name: "by-hour", When: "true", ToExpr: hipcall("hour * 10 + 1")}},
			res:   routing.NotFound(),
			ext:   "101", rule: "by-hour",
			reason: `rule "by-hour" matched (true) for an unknown caller`,
		},
		{
			name: "to_expr.hipcall with fractional number is skipped",
			rules: []routing.Rule{
				{Name: "owner", When: "found", ToExpr: hipcall("record.owner_ext")},
				{Name: "fallback", When: "found", To: hipcall("209")},
			},
			res: routing.Contact(map[string]any{"owner_ext": 20.5}),
			ext: "209", rule: "fallback",
			reason:     `rule "fallback" matched (found) for contact:C042 via index/customers`,
			ruleErrors: map[string]float64{"owner": 1},
		},
		{
			name:  "to_expr.hipcall yielding empty is skipped",
			rules: []routing.Rule{{Name: "owner", When: "found", ToExpr: hipcall("record.fields.owner_ext")}},
			res:   routing.Contact(map[string]any{"owner_ext": ""}),
			ext:   "100", reason: "default: no rule matched (contact:C042 via index/customers); rules that failed: owner",
			ruleErrors: map[string]float64{"owner": 1},
		},
		{
			name:  "to_expr.hipcall yielding invalid characters is skipped",
			rules: []routing.Rule{{Name: "owner", When: "found", ToExpr: hipcall("record.fields.owner_ext")}},
			res:   routing.Contact(map[string]any{"owner_ext": "20 5"}),
			ext:   "100", reason: "default: no rule matched (contact:C042 via index/customers); rules that failed: owner",
			ruleErrors: map[string]float64{"owner": 1},
		},
		{
			name:  "to_expr.hipcall yielding nil is skipped",
			rules: []routing.Rule{{Name: "owner", When: "found", ToExpr: hipcall("record.owner_ext")}},
			res:   routing.Contact(nil),
			ext:   "100", reason: "default: no rule matched (contact:C042 via index/customers); rules that failed: owner",
			ruleErrors: map[string]float64{"owner": 1},
		},
		{
			name:  "when yielding a non-bool is an error",
			rules: []routing.Rule{{Name: "flag", When: "record.vip", To: hipcall("201")}},
			res:   routing.Contact(map[string]any{"vip": "yes"}),
			ext:   "100", reason: "default: no rule matched (contact:C042 via index/customers); rules that failed: flag",
			ruleErrors: map[string]float64{"flag": 1},
		},
		{
			name:  "after hours on Friday evening",
			rules: []routing.Rule{{Name: "after-hours", When: `hour >= 18 || hour < 9 || weekday in ["Sat", "Sun"]`, To: hipcall("600")}},
			res:   routing.NotFound(), clock: routing.Friday19,
			ext: "600", rule: "after-hours",
			reason: `rule "after-hours" matched (hour >= 18 || hour < 9 || weekday in ["Sat", "Sun"]) for an unknown caller`,
		},
		{
			name:  "office hours on Wednesday morning",
			rules: []routing.Rule{{Name: "after-hours", When: `hour >= 18 || hour < 9 || weekday in ["Sat", "Sun"]`, To: hipcall("600")}},
			res:   routing.NotFound(), clock: routing.Wednesday10,
			ext: "100", reason: "default: no rule matched (not found)",
		},
		{
			name:  "now, weekday and minute agree with the clock",
			rules: []routing.Rule{{Name: "friday", When: `weekday == "Fri" && now.Weekday().String() == "Friday" && minute == 5 && now.Hour() == hour`, To: hipcall("601")}},
			res:   routing.NotFound(), clock: routing.Friday19,
			ext: "601", rule: "friday",
			reason: `rule "friday" matched (weekday == "Fri" && now.Weekday().String() == "Friday" && minute == 5 && now.Hour() == hour) for an unknown caller`,
		},
		{
			name:  "call and caller variables",
			rules: []routing.Rule{{Name: "tr", When: `caller == "+902125551234" && country_code == 90 && region == "TR" && dialled == "+908505551000" && uuid == "u-1" && caller_raw == "0212 555 12 34"`, To: hipcall("700")}},
			res:   routing.NotFound(), ext: "700", rule: "tr",
			reason: `rule "tr" matched (caller == "+902125551234" && country_code == 90 && region == "TR" && dialled == "+908505551000" && uuid == "u-1" && caller_raw == "0212 555 12 34") for an unknown caller`,
		},
		{
			name:  "record standard keys are not overridden by fields",
			rules: []routing.Rule{{Name: "ada", When: `record.name == "Ada Lovelace" && record.fields.name == "Impostor" && record.email == "ada@example.com" && "+902125551234" in record.phones && len(record.phones) == 1`, To: hipcall("701")}},
			res:   routing.Contact(map[string]any{"name": "Impostor"}),
			ext:   "701", rule: "ada",
			reason: `rule "ada" matched (record.name == "Ada Lovelace" && record.fields.name == "Impostor" && record.email == "ada@example.com" && "+902125551234" in record.phones && len(record.phones) == 1) for contact:C042 via index/customers`,
		},
		{
			name:  "no rules at all",
			rules: nil, res: routing.Contact(map[string]any{"balance": 5000.0}),
			ext: "100", reason: "default: no rule matched (contact:C042 via index/customers)",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			reg := prometheus.NewRegistry()
			clock := tc.clock
			if clock.IsZero() {
				clock = routing.Wednesday10
			}
			r := newRouter(t, tc.rules, routing.Options{Registerer: reg,
				Logger: hclog.NewNullLogger(), Now: routing.FixedClock(clock)})
			c := call
			if tc.call != nil {
				c = *tc.call
			}
			d := r.Decide(tc.res, c, hip)
			if d.Destination != tc.ext || d.Target != hip {
				t.Errorf("Destination = %q for %q, want %q for %q", d.Destination, d.Target, tc.ext, hip)
			}
			if d.Rule != tc.rule {
				t.Errorf("Rule = %q, want %q", d.Rule, tc.rule)
			}
			if d.Default != (tc.rule == "") {
				t.Errorf("Default = %v, want %v", d.Default, tc.rule == "")
			}
			if d.Reason != tc.reason {
				t.Errorf("Reason =\n  %s\nwant\n  %s", d.Reason, tc.reason)
			}
			if strings.Contains(d.Reason, "\n") {
				t.Errorf("Reason spans several lines: %q", d.Reason)
			}

			decidedBy := tc.rule
			if decidedBy == "" {
				decidedBy = "default"
			}
			if got := routing.CounterValue(t, reg, decisionsMetric, hip, decidedBy); got != 1 {
				t.Errorf("%s{target=%q,rule=%q} = %v, want 1", decisionsMetric, hip, decidedBy, got)
			}
			for _, rule := range tc.rules {
				if got, want := routing.CounterValue(t, reg, ruleErrorsMetric, hip, rule.Name), tc.ruleErrors[rule.Name]; got != want {
					t.Errorf("%s{target=%q,rule=%q} = %v, want %v", ruleErrorsMetric, hip, rule.Name, got, want)
				}
			}
		})
	}
}

func TestDecideRecoversFromPanic(t *testing.T) {
	reg := prometheus.NewRegistry()
	r := newRouter(t, vipRules, routing.Options{Registerer: reg,
		Now: func() time.Time { panic("clock exploded") }})
	d := r.Decide(routing.Contact(map[string]any{"balance": 5000.0}), routing.Call{Caller: "+902125551234"}, hip)
	if d.Destination != "100" || !d.Default || d.Rule != "" {
		t.Errorf("Decide after panic = %+v, want the default extension 100", d)
	}
	if !strings.HasPrefix(d.Reason, "default: internal error") {
		t.Errorf("Reason = %q, want it to say an internal error happened", d.Reason)
	}
	if got := routing.CounterValue(t, reg, decisionsMetric, hip, "default"); got != 1 {
		t.Errorf("default decisions = %v, want 1", got)
	}
}

func TestDecideRuleErrorIsLoggedAtDebug(t *testing.T) {
	var out strings.Builder
	var mu sync.Mutex
	logger := hclog.New(&hclog.LoggerOptions{Level: hclog.Debug, Output: lockedWriter{&mu, &out}})
	r := newRouter(t, vipRules[:1], routing.Options{Logger: logger})
	r.Decide(routing.Contact(nil), routing.Call{}, hip)
	mu.Lock()
	logged := out.String()
	mu.Unlock()
	for _, want := range []string{"[DEBUG]", "rule=vip", "<nil> > int"} {
		if !strings.Contains(logged, want) {
			t.Errorf("log %q lacks %q", logged, want)
		}
	}
	if strings.Count(strings.TrimSpace(logged), "\n") != 0 {
		t.Errorf("rule error logged on several lines: %q", logged)
	}
}

type lockedWriter struct {
	mu *sync.Mutex
	b  *strings.Builder
}

func (w lockedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

func TestExplain(t *testing.T) {
	reg := prometheus.NewRegistry()
	r := newRouter(t, []routing.Rule{
		{Name: "rich", When: "record.balance > 1000", To: hipcall("200")},
		{Name: "gold", When: "found && record.tier == 'gold'", To: hipcall("201")},
		{Name: "known", When: "found", To: hipcall("202")},
		{Name: "never", When: "true", To: hipcall("203")},
	}, routing.Options{Registerer: reg, Now: routing.FixedClock(routing.Wednesday10)})
	ex := r.Explain(routing.Contact(map[string]any{"tier": "silver"}), routing.Call{UUID: "u-9"}, hip)
	if ex.Decision.Rule != "known" || ex.Decision.Destination != "202" {
		t.Errorf("Decision = %+v, want rule known → 202", ex.Decision)
	}
	if len(ex.Steps) != 3 {
		t.Fatalf("Steps = %+v, want 3 (evaluation stops at the match)", ex.Steps)
	}
	if ex.Steps[0].Rule != "rich" || ex.Steps[0].Err == nil || ex.Steps[0].Matched {
		t.Errorf("step 0 = %+v, want rich failing with an error", ex.Steps[0])
	}
	if ex.Steps[1].Rule != "gold" || ex.Steps[1].Err != nil || ex.Steps[1].Matched {
		t.Errorf("step 1 = %+v, want gold not matching", ex.Steps[1])
	}
	if s := ex.Steps[2]; s.Rule != "known" || !s.Matched || s.Destination != "202" {
		t.Errorf("step 2 = %+v, want known matching with 202", s)
	}
	if ex.Env["uuid"] != "u-9" {
		t.Errorf("Env[uuid] = %v, want u-9", ex.Env["uuid"])
	}
	if got := routing.CounterValue(t, reg, decisionsMetric, hip, "known") + routing.CounterValue(t, reg, ruleErrorsMetric, hip, "rich"); got != 0 {
		t.Errorf("Explain counted in metrics (%v), want it not to", got)
	}
}

func TestNilRouterDoesNotPanic(t *testing.T) {
	var r *routing.Router
	d := r.Decide(routing.NotFound(), routing.Call{}, hip)
	if !d.Default || d.Reason == "" {
		t.Errorf("nil router Decide = %+v, want a default decision with a reason", d)
	}
}

func TestDecideConcurrently(t *testing.T) {
	r := newRouter(t, vipRules, routing.Options{Registerer: prometheus.NewRegistry()})
	inputs := []struct {
		res  directory.Result
		want string
	}{
		{routing.Contact(map[string]any{"balance": "2000"}), "200"},
		{routing.Contact(nil), "100"},
		{routing.Company(nil), "300"},
		{routing.NotFound(), "100"},
	}
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for g := range 8 {
		wg.Go(func() {
			for i := range 200 {
				in := inputs[(g+i)%len(inputs)]
				if d := r.Decide(in.res, routing.Call{}, hip); d.Destination != in.want {
					errs <- errors.New(d.Reason + " → " + d.Destination + ", want " + in.want)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestNewReusesMetricsOnReload(t *testing.T) {
	reg := prometheus.NewRegistry()
	for i := range 2 {
		r, err := routing.New(routing.Options{Config: routing.Config{Default: hipcall("100"), Rules: vipRules},
			Targets: targets(nil), Registerer: reg})
		if err != nil {
			t.Fatalf("New #%d with the same registry: %v", i+1, err)
		}
		r.Decide(routing.NotFound(), routing.Call{}, hip)
	}
	if got := routing.CounterValue(t, reg, decisionsMetric, hip, "default"); got != 2 {
		t.Errorf("default decisions across two routers = %v, want 2", got)
	}
}

// TestToExtension: what a to_expr.hipcall yields becomes text (toText), which
// Hipcall's target then checks, as Decide does.
func TestToExtension(t *testing.T) {
	type myString string
	tests := []struct {
		in      any
		want    string
		wantErr bool
	}{
		{"200", "200", false},
		{" 2*1# ", "2*1#", false},
		{200, "200", false},
		{int64(-5), "-5", false},
		{uint8(7), "7", false},
		{201.0, "201", false},
		{float32(12), "12", false},
		{myString("A_1"), "A_1", false},
		{20.5, "", true},
		{1e20, "", true},
		{"", "", true},
		{"1.5", "", true},
		{strings.Repeat("9", smartivr.MaxExtensionLen+1), "", true},
		{nil, "", true},
		{true, "", true},
		{[]any{"1"}, "", true},
	}
	for _, tc := range tests {
		got, err := routing.ToText(tc.in)
		if err == nil {
			got, err = smartivr.Target().Check(got)
		}
		if (err != nil) != tc.wantErr || (err == nil && got != tc.want) {
			t.Errorf("toText+Check(%#v) = %q, %v; want %q, error %v", tc.in, got, err, tc.want, tc.wantErr)
		}
	}
}

func BenchmarkDecide(b *testing.B) {
	r := newRouter(b, []routing.Rule{
		{Name: "blocked", When: `found && record.tier == "blocked"`, To: hipcall("900")},
		{Name: "vip", When: "found && record.balance > 1000", To: hipcall("200")},
		{Name: "owner", When: "found && record.owner_ext != nil", ToExpr: hipcall("record.owner_ext")},
		{Name: "after-hours", When: `hour >= 18 || weekday in ["Sat", "Sun"]`, To: hipcall("600")},
		{Name: "corporate", When: `found && record.type == "company"`, To: hipcall("300")},
	}, routing.Options{Registerer: prometheus.NewRegistry()})
	cases := map[string]directory.Result{
		"found-vip":     routing.Contact(map[string]any{"balance": "1500", "tier": "gold", "region": "north"}),
		"found-default": routing.Contact(map[string]any{"balance": 10.0, "tier": "silver"}),
		"not-found":     routing.NotFound(),
	}
	call := routing.Call{Caller: "+902125551234", UUID: "bench"}
	for name, res := range cases {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				r.Decide(res, call, hip)
			}
		})
	}
}
