package routing

import (
	"errors"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/switchboard-hq/switchboard/connectors/phone"
	"github.com/switchboard-hq/switchboard/core/directory"
)

func mustParser(t *testing.T, region string) *phone.Parser {
	t.Helper()
	p, err := phone.NewParser(region)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestRingostatDestination(t *testing.T) {
	gb := mustParser(t, "GB")
	tests := []struct {
		in     string
		parser *phone.Parser // nil: none
		want   string        // "" with wantErr
		errHas string
	}{
		// International numbers become E.164 digits without '+'.
		{in: "+380501234567", parser: gb, want: "380501234567"},
		{in: "380501234567", parser: gb, want: "380501234567"},
		{in: "3 80501234567", parser: gb, want: "380501234567"}, // Ringostat's own example shape
		{in: "3 80123456789", parser: gb, want: "380123456789"},
		{in: " +380 (50) 123-45-67 ", parser: gb, want: "380501234567"},
		{in: "00380501234567", parser: gb, want: "380501234567"},
		{in: "+44 7700 900017", parser: gb, want: "447700900017"},
		{in: "+44.20.4520.5757", parser: gb, want: "442045205757"},
		{in: "020 4520 5757", parser: gb, want: "442045205757"}, // national: the parser's region
		{in: "\u00a0+44\u00a07700\u00a0900017", parser: gb, want: "447700900017"},
		// Without a parser only numbers with their country code pass.
		{in: "+380501234567", want: "380501234567"},
		{in: "3 80501234567", want: "380501234567"},
		{in: "00442045205757", want: "442045205757"},
		{in: "020 4520 5757", errHas: "international format"},
		// SIP logins and URIs are kept.
		{in: "manager.ada", parser: gb, want: "manager.ada"},
		{in: "reception", want: "reception"},
		{in: "op_12-b", want: "op_12-b"},
		{in: "1093", parser: gb, want: "1093"}, // a short all-digit login
		{in: "123456", want: "123456"},
		{in: "sip:ada@pbx.example.com", want: "sip:ada@pbx.example.com"},
		{in: "SIP:ada@pbx.example.com:5060", want: "sip:ada@pbx.example.com:5060"},
		// Refused.
		{in: "", errHas: "empty"},
		{in: "   ", errHas: "empty"},
		{in: "ada lovelace", errHas: "not a SIP login"},
		{in: "ada@pbx", errHas: "not a SIP login"},
		{in: "sip:ada", errHas: "not a SIP URI"},
		{in: "sip:a da@host", errHas: "not a SIP URI"},
		{in: "0501234567", parser: gb, errHas: "international format"}, // national, not GB: no country
		{in: "1234567", errHas: "international format"},
		{in: "+1093", errHas: "international format"},
		{in: "12 34", errHas: "international format"},
		{in: "44 20 4520 5757\n", parser: gb, want: "442045205757"},
		{in: "1093\r\nX-Evil: 1", errHas: "not a SIP login"},
		{in: strings.Repeat("a", MaxDestinationLen+1), errHas: "characters long"},
	}
	for _, tc := range tests {
		got, err := RingostatDestination(tc.in, tc.parser)
		if tc.errHas != "" {
			if err == nil || !strings.Contains(err.Error(), tc.errHas) {
				t.Errorf("RingostatDestination(%q) = %q, %v; want an error containing %q", tc.in, got, err, tc.errHas)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("RingostatDestination(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}

func TestParseTarget(t *testing.T) {
	for in, want := range map[string]Target{"hipcall": TargetHipcall, "Ringostat": TargetRingostat, " ringostat ": TargetRingostat} {
		if got, err := ParseTarget(in); err != nil || got != want {
			t.Errorf("ParseTarget(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := ParseTarget("asterisk"); err == nil {
		t.Error("ParseTarget(asterisk) succeeded")
	}
}

// ringostatRules serve both phone systems from one rule set.
var ringostatRules = []Rule{
	{Name: "shared", When: "ambiguous", Extension: "1002", Ringostat: "reception"},
	{Name: "hipcall-only", When: `found && record.manager_ext != nil`, ExtensionExpr: "record.manager_ext"},
	{Name: "ringostat-only", When: `found && record.manager_phone != nil`, RingostatExpr: "record.manager_phone"},
	{Name: "known", When: "found", Extension: "1001", Ringostat: "support"},
}

func TestDecideFor(t *testing.T) {
	tests := []struct {
		name    string
		res     func() directory.Result
		rdef    string
		hipcall string // the extension Decide gives
		dest    string // the Ringostat destination
		rule    string // the rule deciding for Ringostat, "" for the default
		reason  string // substring of the Ringostat reason
	}{
		{name: "both destinations from their own rules",
			res: func() directory.Result {
				return contact(map[string]any{"manager_ext": "1093", "manager_phone": "+44 7700 900017"})
			},
			hipcall: "1093", dest: "447700900017", rule: "ringostat-only", reason: `rule "ringostat-only" matched`},
		{name: "a CSV number field reaches rules as a float",
			res:     func() directory.Result { return contact(map[string]any{"manager_phone": "380501234567"}) },
			hipcall: "1001", dest: "380501234567", rule: "ringostat-only"},
		{name: "Ringostat's spaced format",
			res:     func() directory.Result { return contact(map[string]any{"manager_phone": "3 80501234567"}) },
			hipcall: "1001", dest: "380501234567", rule: "ringostat-only"},
		{name: "an unusable destination skips the rule",
			res:     func() directory.Result { return contact(map[string]any{"manager_phone": "call Ada"}) },
			hipcall: "1001", dest: "support", rule: "known"},
		{name: "static SIP login for ambiguous",
			res:     func() directory.Result { return ambiguous(2) },
			hipcall: "1002", dest: "reception", rule: "shared"},
		{name: "not found, no Ringostat default: empty",
			res:     notFound,
			hipcall: "100", dest: "", reason: "no routing.ringostat_default, so Ringostat goes on to the next step"},
		{name: "not found, Ringostat default normalised",
			res: notFound, rdef: "+44 20 4520 5757",
			hipcall: "100", dest: "442045205757", reason: "default: no rule matched (not found)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			reg := prometheus.NewRegistry()
			r, err := New(Options{DefaultExtension: "100", RingostatDefault: tc.rdef, Rules: ringostatRules,
				Phone: mustParser(t, "GB"), Registerer: reg, Now: fixedClock(wednesday10)})
			if err != nil {
				t.Fatalf("New: %v", err)
			}
			res := tc.res()
			if d := r.Decide(res, Call{}); d.Extension != tc.hipcall || d.Destination != tc.hipcall || d.Target != TargetHipcall {
				t.Errorf("Decide = %+v, want extension %q", d, tc.hipcall)
			}
			d := r.DecideFor(res, Call{}, TargetRingostat)
			if d.Destination != tc.dest || d.Extension != "" || d.Target != TargetRingostat || d.Rule != tc.rule || d.Default != (tc.rule == "") {
				t.Errorf("DecideFor(ringostat) = %+v, want destination %q by rule %q", d, tc.dest, tc.rule)
			}
			if !strings.Contains(d.Reason, tc.reason) {
				t.Errorf("reason %q lacks %q", d.Reason, tc.reason)
			}
			label := tc.rule
			if label == "" {
				label = defaultLabel
			}
			if got := counter(t, reg, "switchboard_routing_ringostat_decisions_total", label); got != 1 {
				t.Errorf("ringostat decisions{rule=%q} = %v, want 1", label, got)
			}
			if got := r.DefaultFor(TargetRingostat); tc.rdef == "" && got != "" {
				t.Errorf("DefaultFor(ringostat) = %q, want none", got)
			}

			ex := r.ExplainFor(res, Call{}, TargetRingostat)
			if ex.Decision.Destination != tc.dest {
				t.Errorf("ExplainFor destination %q, want %q", ex.Decision.Destination, tc.dest)
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
	_, err := New(Options{
		DefaultExtension: "100",
		RingostatDefault: "call me",
		Rules: []Rule{
			{Name: "ok", When: "found", Ringostat: "reception"},                                 // 0: fine without extension
			{Name: "both", When: "found", Ringostat: "a", RingostatExpr: "'b'"},                 // 1
			{Name: "bad-static", When: "found", Ringostat: "0501234567"},                        // 2
			{Name: "bad-expr", When: "found", RingostatExpr: "record.phone +"},                  // 3
			{Name: "bool-expr", When: "found", RingostatExpr: "found"},                          // 4
			{Name: "none", When: "found"},                                                       // 5
			{Name: "ext-and-ringo", When: "found", Extension: "1", RingostatExpr: "record.sip"}, // 6: fine
		},
	})
	var re *RuleErrors
	if !errors.As(err, &re) {
		t.Fatalf("New = %v, want *RuleErrors", err)
	}
	wants := []struct {
		index   int
		field   string
		message string
	}{
		{-1, FieldRingostatDefault, "not a SIP login"},
		{1, FieldRingostatExpr, "keep exactly one"},
		{2, FieldRingostat, "international format"},
		{3, FieldRingostatExpr, "unexpected token"},
		{4, FieldRingostatExpr, "yields bool"},
		{5, FieldExtension, "no destination"},
	}
	if len(re.Errors) != len(wants) {
		t.Fatalf("got %d problems, want %d:\n%v", len(re.Errors), len(wants), err)
	}
	for i, w := range wants {
		got := re.Errors[i]
		if got.Index != w.index || got.Field != w.field || !strings.Contains(got.Message, w.message) {
			t.Errorf("problem %d = {%d %s %q}, want {%d %s ...%q...}", i, got.Index, got.Field, got.Message, w.index, w.field, w.message)
		}
	}
	if !strings.Contains(re.Errors[0].Error(), "routing.ringostat_default") {
		t.Errorf("default problem %q does not name routing.ringostat_default", re.Errors[0].Error())
	}
}
