package routing_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/switchboard-hq/switchboard/core/directory"
	"github.com/switchboard-hq/switchboard/core/routing"
)

// utc is a clock reading in UTC, as "2006-01-02 15:04".
func utc(t testing.TB, s string) time.Time {
	t.Helper()
	v, err := time.Parse("2006-01-02 15:04", s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// decideAt builds a router whose one rule (when, to 200) decides at the
// given time, and reports whether it matched.
func decideAt(t *testing.T, when string, now time.Time, holidays map[string]routing.HolidayList) bool {
	t.Helper()
	r, err := routing.New(routing.Options{
		Config:  routing.Config{Default: hipcall("100"), Holidays: holidays, Rules: []routing.Rule{{Name: "r", When: when, To: hipcall("200")}}},
		Targets: targets(nil), Now: routing.FixedClock(now),
	})
	if err != nil {
		t.Fatalf("New(%s): %v", when, err)
	}
	d := r.Decide(routing.NotFound(), routing.Call{}, hip)
	if strings.Contains(d.Reason, "failed") {
		t.Errorf("%s at %s failed: %s", when, now, d.Reason)
	}
	return d.Rule == "r"
}

// TestInHours decides with a fixed clock (in UTC) across the 2026 changes
// of daylight saving time: Europe/London on the last Sundays of March (29,
// 01:00 UTC) and October (25, 01:00 UTC), America/New_York on 8 March
// (07:00 UTC) and 1 November (06:00 UTC). Hours are wall-clock hours in
// the zone.
func TestInHours(t *testing.T) {
	const london, newYork = "Europe/London", "America/New_York"
	tests := []struct {
		name string
		spec string
		zone string
		at   string // UTC
		want bool
	}{
		// London, spring forward.
		{"Fri before, 08:30 GMT", "Mon-Fri 09:00-17:00", london, "2026-03-27 08:30", false},
		{"Fri before, 09:00 GMT", "Mon-Fri 09:00-17:00", london, "2026-03-27 09:00", true},
		{"Mon after, 08:30 UTC is 09:30 BST", "Mon-Fri 09:00-17:00", london, "2026-03-30 08:30", true},
		{"Mon after, 16:30 UTC is 17:30 BST", "Mon-Fri 09:00-17:00", london, "2026-03-30 16:30", false},
		{"the skipped hour never comes, before", "Sun 01:00-02:00", london, "2026-03-29 00:59", false},
		{"the skipped hour never comes, after", "Sun 01:00-02:00", london, "2026-03-29 01:00", false},
		{"02:30 BST comes at 01:30 UTC", "Sun 02:00-03:00", london, "2026-03-29 01:30", true},
		{"night over the change, 05:30 BST", "Sat 22:00-06:00", london, "2026-03-29 04:30", true},
		{"night over the change, 06:00 BST", "Sat 22:00-06:00", london, "2026-03-29 05:00", false},
		// London, fall back: 01:00-02:00 happens twice.
		{"01:30 BST", "Sun 01:00-02:00", london, "2026-10-25 00:30", true},
		{"01:30 GMT", "Sun 01:00-02:00", london, "2026-10-25 01:30", true},
		{"02:00 GMT", "Sun 01:00-02:00", london, "2026-10-25 02:00", false},
		{"Fri before, 08:30 UTC is 09:30 BST", "Mon-Fri 09:00-17:00", london, "2026-10-23 08:30", true},
		{"Mon after, 08:30 GMT", "Mon-Fri 09:00-17:00", london, "2026-10-26 08:30", false},
		// New York.
		{"Fri before, 13:30 UTC is 08:30 EST", "Mon-Fri 09:00-17:00", newYork, "2026-03-06 13:30", false},
		{"Mon after, 13:30 UTC is 09:30 EDT", "Mon-Fri 09:00-17:00", newYork, "2026-03-09 13:30", true},
		{"Sun 01:59 EST", "Sun 00:00-02:00", newYork, "2026-03-08 06:59", true},
		{"Sun 03:00 EDT", "Sun 00:00-02:00", newYork, "2026-03-08 07:00", false},
		{"Fri before, 13:30 UTC is 09:30 EDT", "Mon-Fri 09:00-17:00", newYork, "2026-10-30 13:30", true},
		{"Mon after, 13:30 UTC is 08:30 EST", "Mon-Fri 09:00-17:00", newYork, "2026-11-02 13:30", false},
		{"01:30 EDT", "Sun 01:00-02:00", newYork, "2026-11-01 05:30", true},
		{"01:30 EST", "Sun 01:00-02:00", newYork, "2026-11-01 06:30", true},
		{"the same instant in UTC", "Sun 01:00-02:00", "UTC", "2026-11-01 06:30", false},
		// 24:00, over midnight and wrapping ranges of days, in Istanbul
		// (UTC+3 all year).
		{"until 24:00, 23:59", "Sat 18:00-24:00", "Europe/Istanbul", "2026-03-28 20:59", true},
		{"until 24:00, Sun 00:00", "Sat 18:00-24:00", "Europe/Istanbul", "2026-03-28 21:00", false},
		{"whole days", "Mon-Fri 00:00-24:00", "Europe/Istanbul", "2026-03-27 20:59", true},
		{"whole days, Sat", "Mon-Fri 00:00-24:00", "Europe/Istanbul", "2026-03-27 21:00", false},
		{"Fri night into Sat", "Fri 22:00-06:00", "Europe/Istanbul", "2026-03-28 02:59", true},
		{"Fri night is Fri's", "Fri 22:00-06:00", "Europe/Istanbul", "2026-03-29 02:00", false},
		{"Sun night into Mon", "Sun 22:00-02:00", "Europe/Istanbul", "2026-03-29 22:30", true},
		{"Sat-Mon on Sun", "Sat-Mon 10:00-12:00", "Europe/Istanbul", "2026-03-29 08:00", true},
		{"Sat-Mon on Mon", "Sat-Mon 10:00-12:00", "Europe/Istanbul", "2026-03-30 08:00", true},
		{"Sat-Mon on Tue", "Sat-Mon 10:00-12:00", "Europe/Istanbul", "2026-03-31 08:00", false},
		{"several clauses, the second", "Mon-Fri 09:00-18:00; Sat 10:00-14:00", "Europe/Istanbul", "2026-03-28 10:30", true},
		{"several clauses, Sun", "Mon-Fri 09:00-18:00; Sat 10:00-14:00", "Europe/Istanbul", "2026-03-29 10:30", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			when := fmt.Sprintf("in_hours(%q, %q)", tc.spec, tc.zone)
			if got := decideAt(t, when, utc(t, tc.at), nil); got != tc.want {
				now := utc(t, tc.at)
				loc, _ := time.LoadLocation(tc.zone)
				t.Errorf("%s at %s (%s) = %v, want %v", when, now.Format(time.RFC3339), now.In(loc).Format("Mon 15:04 MST"), got, tc.want)
			}
		})
	}
}

// TestInHoursHostZone: without a zone, or with "", the hours are the
// host's.
func TestInHoursHostZone(t *testing.T) {
	wed10 := time.Date(2026, time.March, 25, 10, 0, 0, 0, time.Local)
	for _, when := range []string{`in_hours("Wed 10:00-11:00")`, `in_hours("Wed 10:00-11:00", "")`, `holiday(["2026-03-25"])`, `holiday(["2026-03-25"], "")`} {
		if !decideAt(t, when, wed10, nil) {
			t.Errorf("%s at %s = false, want true", when, wed10)
		}
		if decideAt(t, when, wed10.AddDate(0, 0, 1).Add(time.Hour), nil) {
			t.Errorf("%s a day and an hour later = true, want false", when)
		}
	}
}

// TestHoliday: holidays are days in the zone given, whatever the host's.
func TestHoliday(t *testing.T) {
	holidays := map[string]routing.HolidayList{
		"tr":     {Dates: []string{"2026-01-01", "2026-04-23", "2026-12-24..2026-12-26"}},
		"nyc":    {Dates: []string{"2026-11-26"}},
		"unused": {Dates: []string{"2030-01-01"}},
	}
	tests := []struct {
		when string
		at   string // UTC
		want bool
	}{
		// 2026-04-22 22:30 UTC is already the 23rd in Istanbul.
		{`holiday("tr", "Europe/Istanbul")`, "2026-04-22 22:30", true},
		{`holiday("tr", "UTC")`, "2026-04-22 22:30", false},
		{`holiday("tr", "Europe/Istanbul")`, "2026-04-22 20:59", false},
		{`holiday("tr", "Europe/Istanbul")`, "2026-04-23 20:59", true},
		{`holiday("tr", "Europe/Istanbul")`, "2026-04-23 21:00", false},
		// Ranges and New Year seen from both sides of the date line.
		{`holiday("tr", "Europe/Istanbul")`, "2026-12-25 12:00", true},
		{`holiday("tr", "Europe/Istanbul")`, "2026-12-26 20:59", true},
		{`holiday("tr", "Europe/Istanbul")`, "2026-12-26 21:00", false},
		{`holiday("tr", "Pacific/Kiritimati")`, "2025-12-31 10:00", true},
		{`holiday("tr", "Pacific/Pago_Pago")`, "2026-01-01 10:00", false},
		// New York's Thanksgiving.
		{`holiday("nyc", "America/New_York")`, "2026-11-27 04:59", true},
		{`holiday("nyc", "America/New_York")`, "2026-11-27 05:00", false},
		// A list written in the rule.
		{`holiday(["2026-05-01", "2026-05-19"], "Europe/Istanbul")`, "2026-05-18 21:30", true},
		{`holiday([], "Europe/Istanbul")`, "2026-05-18 21:30", false},
		// in_hours with a holiday list: open hours, but not on those days.
		{`in_hours("Mon-Fri 09:00-18:00", "Europe/Istanbul", "tr")`, "2026-04-23 07:00", false},
		{`in_hours("Mon-Fri 09:00-18:00", "Europe/Istanbul", "tr")`, "2026-04-22 07:00", true},
		{`in_hours("Mon-Fri 09:00-18:00", "Europe/Istanbul", ["2026-04-22"])`, "2026-04-22 07:00", false},
		// ... and by the calendar day of the moment: a night that starts
		// before a holiday stops at its midnight.
		{`in_hours("Wed 22:00-06:00", "Europe/Istanbul", "tr")`, "2026-04-22 20:30", true},
		{`in_hours("Wed 22:00-06:00", "Europe/Istanbul", "tr")`, "2026-04-22 21:30", false},
		{`in_hours("Mon-Fri 09:00-18:00", "Europe/Istanbul") && !holiday("tr", "Europe/Istanbul")`, "2026-04-23 07:00", false},
	}
	for _, tc := range tests {
		if got := decideAt(t, tc.when, utc(t, tc.at), holidays); got != tc.want {
			t.Errorf("%s at %s UTC = %v, want %v", tc.when, tc.at, got, tc.want)
		}
	}
}

// TestHolidayFile reads a list from a file and decides with it.
func TestHolidayFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "office.txt")
	if err := os.WriteFile(path, []byte("# office\n2026-08-14   # summer\n2026-12-24..2026-12-31\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	holidays := map[string]routing.HolidayList{"office": {File: path, Dates: []string{"2026-05-01"}}}
	for at, want := range map[string]bool{"2026-08-14 12:00": true, "2026-12-30 12:00": true, "2026-05-01 12:00": true, "2026-08-15 12:00": false} {
		if got := decideAt(t, `holiday("office", "UTC")`, utc(t, at), holidays); got != want {
			t.Errorf(`holiday("office") at %s = %v, want %v`, at, got, want)
		}
	}
}

// TestTimeHelperProblems: bad arguments written as literals are
// configuration problems at load, at the rule's path with their position
// in the expression.
func TestTimeHelperProblems(t *testing.T) {
	holidays := map[string]routing.HolidayList{"tr": {Dates: []string{"2026-01-01"}}}
	tests := []struct {
		when string
		msg  string
	}{
		{`in_hours("Mon-Fry 09:00-18:00", "UTC")`, `in_hours: unknown day "Fry": write Mon, Tue, Wed, Thu, Fri, Sat or Sun (1:15)`},
		{`in_hours('Mon-Fri 9-18', "UTC")`, `in_hours: "9" is not a time: write HH:MM, from 00:00 to 24:00 (1:19)`},
		{`in_hours("Mon 09:00-12:00 Tue 10:00-11:00")`, `in_hours: expected "," or ";" before "Tue": separate clauses such as "Mon-Fri 09:00-18:00; Sat 10:00-14:00" (1:27)`},
		{`in_hours("Mon 24:00-06:00")`, "24:00 only ends a window: a window from midnight starts at 00:00 (1:15)"},
		{`in_hours("Mon 09:00-09:00")`, "the window 09:00-09:00 is empty"},
		{`in_hours("")`, `in_hours: the hours are empty: write days and times such as "Mon-Fri 09:00-18:00" (1:11)`},
		// With an escape the position is the literal's.
		{`in_hours("Mon\t09:00-1800")`, `"1800" is not a time: write HH:MM, from 00:00 to 24:00 (1:10)`},
		{`in_hours("Mon-Fri 09:00-18:00", "Europe/Istanbl")`, `in_hours: unknown time zone "Europe/Istanbl": write an IANA zone name such as "Europe/Istanbul", or "" for the host's zone (1:33)`},
		{`in_hours("Mon-Fri 09:00-18:00", "Local")`, `unknown time zone "Local"`},
		{`in_hours("Mon-Fri 09:00-18:00", "UTC", "trr")`, `in_hours: no holiday list "trr" in routing.holidays (known: tr) (1:40)`},
		{`in_hours("Mon-Fri 09:00-18:00", "UTC", 7)`, "in_hours: the holidays must be the name of a routing.holidays list or a list of dates, got 7"},
		{`in_hours("Mon-Fri 09:00-18:00", "UTC", ["2026-02-30"])`, `in_hours: "2026-02-30" is not a date: write YYYY-MM-DD, such as 2026-04-23 (1:41)`},
		{`in_hours(9)`, `in_hours: the hours must be a string such as "Mon-Fri 09:00-18:00", got 9 (1:10)`},
		{`in_hours(hour, "UTC")`, `in_hours: the hours must be a string such as "Mon-Fri 09:00-18:00", got int (1:10)`},
		{`in_hours("Mon 09:00-10:00", found)`, `in_hours: the time zone must be a string such as "Europe/Istanbul", got bool`},
		{`in_hours()`, "in_hours takes the hours, a time zone and optionally a holiday list"},
		{`in_hours("a", "b", "c", "d")`, "got 4 arguments"},
		{`holiday("trr", "UTC")`, `holiday: no holiday list "trr" in routing.holidays (known: tr) (1:9)`},
		{`holiday("tr", "Mars/Olympus")`, `holiday: unknown time zone "Mars/Olympus"`},
		{`holiday(["2026-01-01", 2026])`, `holiday: a date must be a string such as "2026-04-23", got 2026 (1:24)`},
		{`holiday(["2026-01-01..2025-12-31"])`, "holiday: \"2026-01-01..2025-12-31\" ends before it starts: write the earlier day first (1:10)"},
		{`holiday(true)`, "holiday: the holidays must be the name of a routing.holidays list or a list of dates, got true"},
		{`holiday()`, "holiday takes a holiday list and a time zone"},
		{`found &&` + "\n" + `  in_hours("Mon-Fri 09:00-18:00", "Nowhere")`, "unknown time zone \"Nowhere\": write an IANA zone name such as \"Europe/Istanbul\", or \"\" for the host's zone (2:35)"},
		{`in_hours`, `in_hours is a function: call it, such as in_hours("Mon-Fri 09:00-18:00", "Europe/Istanbul") (1:1)`},
		{`holiday == nil`, `holiday is a function: call it, such as holiday("tr", "Europe/Istanbul") (1:1)`},
	}
	for _, tc := range tests {
		_, err := routing.New(routing.Options{Targets: targets(nil), Config: routing.Config{
			Default: hipcall("100"), Holidays: holidays,
			Rules: []routing.Rule{{Name: "r", When: tc.when, To: hipcall("200")}},
		}})
		var ps interface{ Error() string }
		if !errors.As(err, &ps) {
			t.Errorf("%s: New = nil, want a problem containing %q", tc.when, tc.msg)
			continue
		}
		got := problemsOf(t, err)
		if len(got) != 1 || got[0].Path != "rules.0.when" || !strings.Contains(got[0].Message, tc.msg) {
			t.Errorf("%s: problems = %v, want one at rules.0.when containing %q", tc.when, got, tc.msg)
		}
	}

	// Every problem of an expression is reported, in to_expr too, and
	// with the problems of the holiday lists.
	_, err := routing.New(routing.Options{Targets: targets(nil), Config: routing.Config{
		Default:  hipcall("100"),
		Holidays: map[string]routing.HolidayList{"bad": {Dates: []string{"2026-1-1"}}, "none": {}},
		Rules: []routing.Rule{
			{Name: "two", When: `in_hours("Mon 25:00-26:00", "Nowhere")`, To: hipcall("200")},
			{Name: "expr", When: "true", ToExpr: hipcall(`in_hours("Sun-Mun 09:00-10:00") ? "201" : "202"`)},
			{Name: "known", When: `holiday("bad") || holiday("none")`, To: hipcall("203")},
			{Name: "mixed", When: `in_hours("Mon 25:00-26:00") && nope`, To: hipcall("204")},
		},
	}})
	got := problemsOf(t, err)
	want := []string{
		`holidays.bad.dates.0: "2026-1-1" is not a date`,
		"holidays.none: is empty",
		`rules.0.when: in_hours: "25:00" is not a time`,
		`rules.0.when: in_hours: unknown time zone "Nowhere"`,
		`rules.1.to_expr.hipcall: in_hours: unknown day "Mun"`,
		`rules.3.when: in_hours: "25:00" is not a time`,
		`rules.3.when: unknown name nope (1:32)`,
	}
	if len(got) != len(want) {
		t.Errorf("problems = %v, want %d", got, len(want))
	}
	for i, w := range want {
		if i < len(got) && !strings.HasPrefix(got[i].Path+": "+got[i].Message, w) {
			t.Errorf("problem %d = %s: %s, want %s...", i, got[i].Path, got[i].Message, w)
		}
	}
}

// TestTimeHelpersComputed: arguments computed at run time are read then;
// one that does not read makes the rule fail (no match), as any run-time
// error does.
func TestTimeHelpersComputed(t *testing.T) {
	holidays := map[string]routing.HolidayList{"tr": {Dates: []string{"2026-04-23"}}}
	r, err := routing.New(routing.Options{
		Targets: targets(nil), Registerer: prometheus.NewRegistry(),
		Now: routing.FixedClock(utc(t, "2026-04-23 07:00")), // Thu 10:00 in Istanbul, a holiday
		Config: routing.Config{Default: hipcall("100"), Holidays: holidays, Rules: []routing.Rule{
			{Name: "own-hours", When: `found && in_hours(record.hours, record.zone ?? "UTC")`, To: hipcall("200")},
			{Name: "own-holidays", When: `found && holiday(record.holidays ?? [], "Europe/Istanbul")`, To: hipcall("201")},
			{Name: "own-open", When: `found && record.closed != nil && in_hours("Mon-Fri 09:00-18:00", "Europe/Istanbul", record.closed)`, To: hipcall("202")},
		}},
	})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		fields map[string]any
		rule   string
		failed string // a rule that failed, in the reason
	}{
		{"open in its zone", map[string]any{"hours": "Thu 09:00-11:00", "zone": "Europe/Istanbul"}, "own-hours", ""},
		{"closed in UTC", map[string]any{"hours": "Thu 09:00-11:00"}, "", ""},
		{"a bad spec fails the rule", map[string]any{"hours": "Thu 9-11"}, "", "own-hours"},
		{"a bad zone fails the rule", map[string]any{"hours": "Thu 09:00-11:00", "zone": "Nowhere"}, "", "own-hours"},
		{"hours of the wrong type", map[string]any{"hours": 9}, "", "own-hours"},
		{"holidays named", map[string]any{"hours": "Sun 09:00-10:00", "holidays": "tr"}, "own-holidays", ""},
		{"holidays listed", map[string]any{"hours": "Sun 09:00-10:00", "holidays": []any{"2026-04-23"}}, "own-holidays", ""},
		{"holidays unknown", map[string]any{"hours": "Sun 09:00-10:00", "holidays": "xx"}, "", "own-holidays"},
		{"a bad date", map[string]any{"hours": "Sun 09:00-10:00", "holidays": []any{"23.04.2026"}}, "", "own-holidays"},
		{"closed on its own holiday", map[string]any{"hours": "Sun 09:00-10:00", "closed": "tr"}, "", ""},
		{"open without", map[string]any{"hours": "Sun 09:00-10:00", "closed": []string{"2026-04-24"}}, "own-open", ""},
	}
	for _, tc := range tests {
		d := r.Decide(routing.Contact(tc.fields), routing.Call{}, hip)
		if d.Rule != tc.rule {
			t.Errorf("%s: rule %q (%s), want %q", tc.name, d.Rule, d.Reason, tc.rule)
		}
		if tc.failed != "" && !strings.Contains(d.Reason, "rules that failed: "+tc.failed) {
			t.Errorf("%s: reason %q does not say %s failed", tc.name, d.Reason, tc.failed)
		}
	}
	ex := r.Explain(routing.Contact(map[string]any{"hours": "Thu 9-11"}), routing.Call{}, hip)
	if err := ex.Steps[0].Err; err == nil || !strings.Contains(err.Error(), `in_hours: "Thu 9-11": "9" is not a time`) {
		t.Errorf("step 0 error = %v, want the spec's problem", err)
	}
}

// trHolidays is one list, "tr", with one day, 2026-04-23.
var trHolidays = map[string]routing.HolidayList{"tr": {Dates: []string{"2026-04-23"}}}

// TestExplainTimeHelpers: Explain shows the decision's time in every zone
// the rules name, and what each helper saw.
func TestExplainTimeHelpers(t *testing.T) {
	r := newRouter(t, []routing.Rule{
		{Name: "closed-day", When: `holiday("tr", "Europe/Istanbul")`, To: hipcall("900")},
		{Name: "open", When: `in_hours("Mon-Fri 09:00-18:00", "Europe/Istanbul", "tr") || in_hours("Sat 10:00-14:00", "America/New_York")`, To: hipcall("200")},
		{Name: "computed", When: `in_hours("Sat 10:00-11:00", record.zone ?? "Asia/Tokyo")`, To: hipcall("300")},
	}, routing.Options{Now: routing.FixedClock(utc(t, "2026-03-28 07:15")), Config: routing.Config{Holidays: trHolidays}})
	ex := r.Explain(routing.NotFound(), routing.Call{}, hip)
	if !ex.Decision.Default {
		t.Errorf("decision = %+v, want the default", ex.Decision)
	}
	wantEnv := map[string]string{
		"now in Europe/Istanbul":  "Sat 2026-03-28 10:15:00 +03",
		"now in America/New_York": "Sat 2026-03-28 03:15:00 EDT",
		"now in Asia/Tokyo":       "Sat 2026-03-28 16:15:00 JST",
	}
	for k, v := range wantEnv {
		if ex.Env[k] != v {
			t.Errorf("Env[%q] = %v, want %q", k, ex.Env[k], v)
		}
	}
	for k := range ex.Env {
		if strings.Contains(k, "trace") || strings.HasPrefix(k, "\x00") {
			t.Errorf("Env shows the tracer (%q)", k)
		}
	}
	want := [][]string{
		{`holiday("tr", "Europe/Istanbul") is false: Sat 2026-03-28 10:15:00 +03 is not on the list`},
		{
			`in_hours("Mon-Fri 09:00-18:00", "Europe/Istanbul", "tr") is false: Sat 2026-03-28 10:15:00 +03 is outside the hours`,
			`in_hours("Sat 10:00-14:00", "America/New_York") is false: Sat 2026-03-28 03:15:00 EDT is outside the hours`,
		},
		{`in_hours("Sat 10:00-11:00", "Asia/Tokyo") is false: Sat 2026-03-28 16:15:00 JST is outside the hours`},
	}
	if len(ex.Steps) != len(want) {
		t.Fatalf("steps = %+v, want %d", ex.Steps, len(want))
	}
	for i, w := range want {
		if got := ex.Steps[i].Notes; strings.Join(got, "\n") != strings.Join(w, "\n") {
			t.Errorf("step %d notes =\n  %q\nwant\n  %q", i, got, w)
		}
	}

	// Within the hours but on a holiday.
	r2 := newRouter(t, []routing.Rule{
		{Name: "open", When: `in_hours("Mon-Fri 09:00-18:00", "Europe/Istanbul", "tr")`, To: hipcall("200")},
	}, routing.Options{Now: routing.FixedClock(utc(t, "2026-04-23 07:00")), Config: routing.Config{Holidays: trHolidays}})
	ex = r2.Explain(routing.NotFound(), routing.Call{}, hip)
	if got := strings.Join(ex.Steps[0].Notes, ""); got != `in_hours("Mon-Fri 09:00-18:00", "Europe/Istanbul", "tr") is false: Thu 2026-04-23 10:00:00 +03 is within the hours but on the holiday list "tr"` {
		t.Errorf("notes = %q", got)
	}
	// The host's zone, and dates written in the rule.
	r3 := newRouter(t, []routing.Rule{
		{Name: "local", When: `in_hours("Sat 10:00-11:00") || holiday(["2026-03-28"]) || in_hours("Sat 10:00-11:00", "", ["2026-03-28"])`, To: hipcall("200")},
	}, routing.Options{Now: routing.FixedClock(time.Date(2026, time.March, 25, 12, 0, 0, 0, time.Local))})
	ex = r3.Explain(routing.NotFound(), routing.Call{}, hip)
	for i, prefix := range []string{`in_hours("Sat 10:00-11:00") is false: Wed 2026-03-25 `, `holiday([...]) is false: Wed 2026-03-25 `,
		`in_hours("Sat 10:00-11:00", "", [...]) is false: Wed 2026-03-25 `} {
		if notes := ex.Steps[0].Notes; len(notes) != 3 || !strings.HasPrefix(notes[i], prefix) {
			t.Errorf("note %d = %q, want it to start %q", i, notes, prefix)
		}
	}
	for k := range ex.Env {
		if strings.HasPrefix(k, "now in") {
			t.Errorf("Env has %q for the host's zone, which now shows", k)
		}
	}

	// Deciding leaves no note anywhere, and its env no tracer.
	if d := r2.Decide(routing.NotFound(), routing.Call{}, hip); !d.Default {
		t.Errorf("Decide = %+v, want the default", d)
	}
}

// TestTimeHelpersConcurrently runs the helpers, computed ones included,
// from several goroutines (go test -race).
func TestTimeHelpersConcurrently(t *testing.T) {
	r := newRouter(t, []routing.Rule{
		{Name: "own", When: `found && in_hours(record.hours, "Europe/Istanbul", "tr")`, To: hipcall("200")},
		{Name: "open", When: `in_hours("Mon-Fri 09:00-18:00", "Europe/Istanbul") && !holiday("tr", "Europe/Istanbul")`, To: hipcall("300")},
	}, routing.Options{Now: routing.FixedClock(utc(t, "2026-03-25 07:00")), Config: routing.Config{Holidays: trHolidays}}) // Wed 10:00 in Istanbul
	var wg sync.WaitGroup
	errs := make(chan string, 8)
	for g := range 8 {
		wg.Go(func() {
			for i := range 300 {
				spec := fmt.Sprintf("Wed 10:00-10:%02d", 1+(g*300+i)%300%59) // a few hundred specs: past the memo's bound
				res, want := routing.Contact(map[string]any{"hours": spec}), "200"
				if i%3 == 0 {
					res, want = routing.NotFound(), "300"
				}
				if i%7 == 0 {
					r.Explain(res, routing.Call{}, hip)
				}
				if d := r.Decide(res, routing.Call{}, hip); d.Destination != want {
					errs <- d.Reason + " → " + d.Destination + ", want " + want
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

// rulesWithHours is the rule set of the benchmarks: the production shape,
// business hours and holidays first.
func rulesWithHours() []routing.Rule {
	return []routing.Rule{
		{Name: "holiday", When: `holiday("tr", "Europe/Istanbul")`, To: hipcall("900")},
		{Name: "closed", When: `!in_hours("Mon-Fri 09:00-18:00; Sat 10:00-14:00", "Europe/Istanbul")`, To: hipcall("600")},
		{Name: "vip", When: "found && record.balance > 1000", To: hipcall("200")},
	}
}

func BenchmarkDecideWithHours(b *testing.B) {
	holidays := map[string]routing.HolidayList{"tr": {Dates: []string{"2026-01-01", "2026-04-23", "2026-05-01", "2026-05-19",
		"2026-03-19..2026-03-22", "2026-05-26..2026-05-30", "2026-07-15", "2026-08-30", "2026-10-28..2026-10-29"}}}
	r, err := routing.New(routing.Options{Targets: targets(nil), Registerer: prometheus.NewRegistry(),
		Now:    routing.FixedClock(utc(b, "2026-03-25 07:00")),
		Config: routing.Config{Default: hipcall("100"), Holidays: holidays, Rules: rulesWithHours()}})
	if err != nil {
		b.Fatal(err)
	}
	cases := map[string]directory.Result{
		"found-vip": routing.Contact(map[string]any{"balance": "1500"}),
		"not-found": routing.NotFound(),
	}
	for name, res := range cases {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				r.Decide(res, routing.Call{}, hip)
			}
		})
	}
}
