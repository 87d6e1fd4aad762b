package routing

import (
	"testing"
	"time"

	"github.com/expr-lang/expr/vm"
)

// benchRouter compiles one when expression (literals parsed at load) for
// the benchmarks of a rule's run-time cost.
func benchRouter(b *testing.B, when string) (*Router, *vm.Program) {
	b.Helper()
	r, err := New(Options{
		Targets: []Target{{Name: "t", Check: func(s string) (string, error) { return s, nil }}},
		Config: Config{Default: map[string]string{"t": "1"},
			Holidays: map[string]HolidayList{"tr": {Dates: []string{"2026-01-01", "2026-04-23", "2026-05-01", "2026-05-19",
				"2026-03-19..2026-03-22", "2026-05-26..2026-05-30", "2026-07-15", "2026-08-30", "2026-10-28..2026-10-29"}}},
			Rules: []Rule{{Name: "r", When: when, To: map[string]string{"t": "2"}}}},
	})
	if err != nil {
		b.Fatal(err)
	}
	return r, r.rules[0].when
}

// BenchmarkWhen runs one compiled when expression against a built
// environment: what a rule with the helpers costs at ring time, beside the
// same question asked with hour and weekday.
func BenchmarkWhen(b *testing.B) {
	now := time.Date(2026, time.March, 25, 7, 0, 0, 0, time.UTC) // Wed 10:00 in Istanbul
	cases := []struct{ name, when string }{
		{"baseline-hour-weekday", `hour >= 9 && hour < 18 && weekday in ["Mon", "Tue", "Wed", "Thu", "Fri"]`},
		{"in_hours", `in_hours("Mon-Fri 09:00-18:00; Sat 10:00-14:00", "Europe/Istanbul")`},
		{"in_hours-holidays", `in_hours("Mon-Fri 09:00-18:00", "Europe/Istanbul", "tr")`},
		{"holiday", `holiday("tr", "Europe/Istanbul")`},
		{"in_hours-computed", `in_hours(weekday == "" ? "Mon 09:00-10:00" : "Mon-Fri 09:00-18:00", "Europe/Istanbul")`},
	}
	for _, tc := range cases {
		_, prog := benchRouter(b, tc.when)
		env := buildEnv(notFound(), Call{}, now)
		machine := new(vm.VM)
		out, err := machine.Run(prog, env)
		if _, isBool := out.(bool); err != nil || !isBool || (tc.name != "holiday" && tc.name != "baseline-hour-weekday" && out != true) {
			b.Fatalf("%s = %v, %v; want true", tc.when, out, err)
		}
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := machine.Run(prog, env); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkHoursCheck is the check alone, without expr.
func BenchmarkHoursCheck(b *testing.B) {
	c, err := newHoursCall("Mon-Fri 09:00-18:00; Sat 10:00-14:00", "Europe/Istanbul")
	if err != nil {
		b.Fatal(err)
	}
	now := time.Date(2026, time.March, 25, 7, 0, 0, 0, time.UTC)
	b.ReportAllocs()
	for b.Loop() {
		if !c.open(now) {
			b.Fatal("closed")
		}
	}
}
