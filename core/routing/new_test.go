package routing_test

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/switchboard-hq/switchboard/connectors"
	"github.com/switchboard-hq/switchboard/core/routing"
	"github.com/switchboard-hq/switchboard/core/smartivr"
)

// problemsOf fails unless err is connectors.Problems, and returns them.
func problemsOf(t *testing.T, err error) connectors.Problems {
	t.Helper()
	var ps connectors.Problems
	if !errors.As(err, &ps) {
		t.Fatalf("New error = %v (%T), want connectors.Problems", err, err)
	}
	return ps
}

// wantProblem is a problem New must report: its path inside the routing
// section and a substring of its message.
type wantProblem struct {
	path, message string
}

// checkProblems fails unless got holds exactly the wanted problems, one per
// path.
func checkProblems(t *testing.T, got connectors.Problems, wants []wantProblem) {
	t.Helper()
	if len(got) != len(wants) {
		t.Errorf("got %d problems, want %d:\n%v", len(got), len(wants), got)
	}
	byPath := make(map[string]string, len(got))
	for _, p := range got {
		if prev, dup := byPath[p.Path]; dup {
			t.Errorf("two problems at %s: %q and %q", p.Path, prev, p.Message)
		}
		byPath[p.Path] = p.Message
	}
	for _, w := range wants {
		msg, ok := byPath[w.path]
		switch {
		case !ok:
			t.Errorf("no problem at %s, want one containing %q:\n%v", w.path, w.message, got)
		case !strings.Contains(msg, w.message):
			t.Errorf("problem at %s = %q, want it to contain %q", w.path, msg, w.message)
		}
	}
}

func TestNewListsEveryProblem(t *testing.T) {
	opts := routing.Options{
		Targets: targets(nil),
		Config: routing.Config{
			Default: nil, // routing.default.hipcall is required
			Rules: []routing.Rule{
				{Name: "ok", When: "found", To: hipcall("200")},                                  // 0: fine
				{Name: "typo", When: "found && balanse > 1000", To: hipcall("201")},              // 1
				{Name: "", When: "found", To: hipcall("202")},                                    // 2
				{Name: "ok", When: "found", To: hipcall("203")},                                  // 3: duplicate
				{Name: "both", When: "found", To: hipcall("204"), ToExpr: hipcall("'204'")},      // 4
				{Name: "none", When: "found"},                                                    // 5
				{Name: "badext", When: "found", To: hipcall("20 4")},                             // 6
				{Name: "boolext", When: "found", ToExpr: hipcall("found")},                       // 7
				{Name: "syntax", When: "found &&", To: hipcall("205")},                           // 8
				{Name: "regex", When: "matches > 1", To: hipcall("206")},                         // 9
				{Name: "default", When: "true", To: hipcall("207")},                              // 10
				{Name: "nowhen", When: "  ", To: hipcall("208")},                                 // 11
				{Name: "notbool", When: "hour + 1", To: hipcall("209")},                          // 12
				{Name: "badexpr", When: "found", ToExpr: hipcall("record.x +")},                  // 13
				{Name: "twice", When: "nope", To: hipcall("x y")},                                // 14: two problems
				{Name: "types", When: `found == "yes"`, To: hipcall("210")},                      // 15
				{Name: "fine-expr", When: "found", ToExpr: hipcall("record.owner_ext ?? '200'")}, // 16: fine
			},
		},
	}
	_, err := routing.New(opts)
	got := problemsOf(t, err)

	checkProblems(t, got, []wantProblem{
		{"default.hipcall", "required"},
		{"rules.1.when", "unknown name balanse (1:10)"},
		{"rules.2.name", "name is required"},
		{"rules.3.name", `name "ok" is already used by rule 0`},
		{"rules.4.to_expr.hipcall", "keep exactly one"},
		{"rules.5", "no destination"},
		{"rules.6.to.hipcall", `"20 4" has ' '`},
		{"rules.7.to_expr.hipcall", "yields bool"},
		{"rules.8.when", "unexpected token"},
		{"rules.9.when", "$env.matches"},
		{"rules.10.name", "reserved"},
		{"rules.11.when", "when is required"},
		{"rules.12.when", "expected bool"},
		{"rules.13.to_expr.hipcall", "unexpected token"},
		{"rules.14.when", "unknown name nope"},
		{"rules.14.to.hipcall", `"x y"`},
		{"rules.15.when", "mismatched types bool and string"},
	})
	// A rule's problems name it where its path alone does not say which.
	if msg := problemMessage(got, "rules.5"); !strings.Contains(msg, `"none"`) {
		t.Errorf("rules.5 problem %q does not name the rule", msg)
	}

	// The same configuration gives the same problems in the same order,
	// although targets are kept in a map.
	for range 5 {
		_, again := routing.New(opts)
		if !reflect.DeepEqual(problemsOf(t, again), got) {
			t.Fatalf("New is not deterministic:\n%v\nthen\n%v", got, again)
		}
	}

	msg := err.Error()
	if lines := strings.Split(msg, "\n"); len(lines) != len(got) {
		t.Errorf("Error() has %d lines for %d problems:\n%s", len(lines), len(got), msg)
	}
	for _, part := range []string{"rules.1.when: unknown name balanse", "default.hipcall: ", "rules.2.name: name is required"} {
		if !strings.Contains(msg, part) {
			t.Errorf("Error() lacks %q:\n%s", part, msg)
		}
	}
}

// problemMessage is the message of the problem at path, "" when none.
func problemMessage(ps connectors.Problems, path string) string {
	for _, p := range ps {
		if p.Path == path {
			return p.Message
		}
	}
	return ""
}

func TestNewExpressionPosition(t *testing.T) {
	_, err := routing.New(routing.Options{Targets: targets(nil), Config: routing.Config{Default: hipcall("100"), Rules: []routing.Rule{
		{Name: "multi", When: "found &&\n  record.tier == gold", To: hipcall("200")},
	}}})
	ps := problemsOf(t, err)
	if len(ps) != 1 {
		t.Fatalf("New = %v, want one problem", err)
	}
	got := ps[0]
	if got.Path != "rules.0.when" || !strings.Contains(got.Message, "unknown name gold (2:18)") {
		t.Errorf("problem = %+v, want rules.0.when at 2:18 (the unknown name gold)", got)
	}
	if strings.Contains(err.Error(), "\n") {
		t.Errorf("problem spans lines: %q", err.Error())
	}
}

func TestNewDefaultExtension(t *testing.T) {
	tests := []struct {
		ext     string
		wantErr bool
	}{
		{"100", false},
		{"*72#", false},
		{"+90_sales-1", false},
		{"", true},
		{"10 0", true},
		{"100.5", true},
		{"çağrı", true},
		{strings.Repeat("1", smartivr.MaxExtensionLen), false},
		{strings.Repeat("1", smartivr.MaxExtensionLen+1), true},
	}
	for _, tc := range tests {
		r, err := routing.New(routing.Options{Targets: targets(nil), Config: routing.Config{Default: hipcall(tc.ext)}})
		if (err != nil) != tc.wantErr {
			t.Errorf("New(default.hipcall %q) error = %v, want error %v", tc.ext, err, tc.wantErr)
			continue
		}
		if err == nil {
			if d := r.Decide(routing.NotFound(), routing.Call{}, hip); d.Destination != tc.ext {
				t.Errorf("default %q answered %q", tc.ext, d.Destination)
			}
			if got := r.Default(hip); got != tc.ext {
				t.Errorf("Default(hipcall) = %q, want %q", got, tc.ext)
			}
			continue
		}
		var ps connectors.Problems
		if !errors.As(err, &ps) || len(ps) != 1 || ps[0].Path != "default.hipcall" {
			t.Errorf("New(default.hipcall %q) = %v, want one default.hipcall problem", tc.ext, err)
		}
	}
}

// clashingRegistry already holds a collector named like ours with other labels.
func TestNewMetricsClash(t *testing.T) {
	reg := prometheus.NewRegistry()
	reg.MustRegister(prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "switchboard_routing_decisions_total", Help: "other"}, []string{"other"}))
	_, err := routing.New(routing.Options{Targets: targets(nil), Config: routing.Config{Default: hipcall("100")}, Registerer: reg})
	if err == nil || !strings.Contains(err.Error(), "registering metrics") {
		t.Errorf("New with a clashing registry = %v, want a metrics registration error", err)
	}
}
