package routing

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

func TestNewListsEveryProblem(t *testing.T) {
	opts := Options{
		DefaultExtension: "",
		Rules: []Rule{
			{Name: "ok", When: "found", Extension: "200"},                                  // 0: fine
			{Name: "typo", When: "found && balanse > 1000", Extension: "201"},              // 1
			{Name: "", When: "found", Extension: "202"},                                    // 2
			{Name: "ok", When: "found", Extension: "203"},                                  // 3: duplicate
			{Name: "both", When: "found", Extension: "204", ExtensionExpr: "'204'"},        // 4
			{Name: "none", When: "found"},                                                  // 5
			{Name: "badext", When: "found", Extension: "20 4"},                             // 6
			{Name: "boolext", When: "found", ExtensionExpr: "found"},                       // 7
			{Name: "syntax", When: "found &&", Extension: "205"},                           // 8
			{Name: "regex", When: "matches > 1", Extension: "206"},                         // 9
			{Name: "default", When: "true", Extension: "207"},                              // 10
			{Name: "nowhen", When: "  ", Extension: "208"},                                 // 11
			{Name: "notbool", When: "hour + 1", Extension: "209"},                          // 12
			{Name: "badexpr", When: "found", ExtensionExpr: "record.x +"},                  // 13
			{Name: "twice", When: "nope", Extension: "x y"},                                // 14: two problems
			{Name: "types", When: `found == "yes"`, Extension: "210"},                      // 15
			{Name: "fine-expr", When: "found", ExtensionExpr: "record.owner_ext ?? '200'"}, // 16: fine
		},
	}
	_, err := New(opts)
	var re *RuleErrors
	if !errors.As(err, &re) {
		t.Fatalf("New error = %v (%T), want *RuleErrors", err, err)
	}

	type want struct {
		index   int
		field   string
		message string // substring
	}
	wants := []want{
		{-1, FieldDefaultExtension, "required"},
		{1, FieldWhen, "unknown name balanse (1:10)"},
		{2, FieldName, "name is required"},
		{3, FieldName, `name "ok" is already used by rule 0`},
		{4, FieldExtensionExpr, "keep exactly one"},
		{5, FieldExtension, "no destination"},
		{6, FieldExtension, `"20 4" has ' '`},
		{7, FieldExtensionExpr, "yields bool"},
		{8, FieldWhen, "unexpected token"},
		{9, FieldWhen, "$env.matches"},
		{10, FieldName, "reserved"},
		{11, FieldWhen, "when is required"},
		{12, FieldWhen, "expected bool"},
		{13, FieldExtensionExpr, "unexpected token"},
		{14, FieldWhen, "unknown name nope"},
		{14, FieldExtension, `"x y"`},
		{15, FieldWhen, "mismatched types bool and string"},
	}
	if len(re.Errors) != len(wants) {
		t.Errorf("got %d problems, want %d:\n%v", len(re.Errors), len(wants), err)
	}
	for i, w := range wants {
		if i >= len(re.Errors) {
			break
		}
		got := re.Errors[i]
		if got.Index != w.index || got.Field != w.field || !strings.Contains(got.Message, w.message) {
			t.Errorf("problem %d = {%d %s %q}, want {%d %s ...%q...}", i, got.Index, got.Field, got.Message, w.index, w.field, w.message)
		}
		if got.Index >= 0 && got.Name != opts.Rules[got.Index].Name {
			t.Errorf("problem %d names rule %q, want %q", i, got.Name, opts.Rules[got.Index].Name)
		}
	}

	msg := err.Error()
	if !strings.HasPrefix(msg, fmt.Sprintf("routing: %d problems", len(wants))) {
		t.Errorf("Error() starts %q, want a count of the problems", strings.SplitN(msg, "\n", 2)[0])
	}
	for _, part := range []string{`routing.rules[1] ("typo"): when: unknown name balanse`, "routing.default_extension:", "routing.rules[2]: name:"} {
		if !strings.Contains(msg, part) {
			t.Errorf("Error() lacks %q:\n%s", part, msg)
		}
	}
}

func TestNewExpressionPosition(t *testing.T) {
	_, err := New(Options{DefaultExtension: "100", Rules: []Rule{
		{Name: "multi", When: "found &&\n  record.tier == gold", Extension: "200"},
	}})
	var re *RuleErrors
	if !errors.As(err, &re) || len(re.Errors) != 1 {
		t.Fatalf("New = %v, want one problem", err)
	}
	got := re.Errors[0]
	if got.Line != 2 || got.Column != 18 {
		t.Errorf("position = %d:%d, want 2:18 (the unknown name gold)", got.Line, got.Column)
	}
	if !strings.Contains(got.Snippet, "record.tier == gold") || !strings.Contains(got.Snippet, "^") {
		t.Errorf("Snippet = %q, want the offending line with a caret", got.Snippet)
	}
	if strings.Contains(got.Error(), "\n") {
		t.Errorf("RuleError.Error() spans lines: %q", got.Error())
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
		{strings.Repeat("1", MaxExtensionLen), false},
		{strings.Repeat("1", MaxExtensionLen+1), true},
	}
	for _, tc := range tests {
		r, err := New(Options{DefaultExtension: tc.ext})
		if (err != nil) != tc.wantErr {
			t.Errorf("New(DefaultExtension %q) error = %v, want error %v", tc.ext, err, tc.wantErr)
			continue
		}
		if err == nil {
			if d := r.Decide(notFound(), Call{}); d.Extension != tc.ext {
				t.Errorf("default %q answered %q", tc.ext, d.Extension)
			}
			continue
		}
		var re *RuleErrors
		if !errors.As(err, &re) || len(re.Errors) != 1 || re.Errors[0].Index != -1 || re.Errors[0].Field != FieldDefaultExtension {
			t.Errorf("New(DefaultExtension %q) = %v, want one default_extension problem", tc.ext, err)
		}
	}
}

// clashingRegistry already holds a collector named like ours with other labels.
func TestNewMetricsClash(t *testing.T) {
	reg := prometheus.NewRegistry()
	reg.MustRegister(prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "switchboard_routing_decisions_total", Help: "other"}, []string{"other"}))
	_, err := New(Options{DefaultExtension: "100", Registerer: reg})
	if err == nil || !strings.Contains(err.Error(), "registering metrics") {
		t.Errorf("New with a clashing registry = %v, want a metrics registration error", err)
	}
}
