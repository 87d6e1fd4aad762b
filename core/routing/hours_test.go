package routing

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// at is a minute of the week for the tests: a day and a wall-clock time.
func at(day time.Weekday, hhmm string) int {
	h, m, _ := strings.Cut(hhmm, ":")
	hh := int(h[0]-'0')*10 + int(h[1]-'0')
	mm := int(m[0]-'0')*10 + int(m[1]-'0')
	return int(day)*minutesPerDay + hh*60 + mm
}

func TestParseHours(t *testing.T) {
	tests := []struct {
		spec     string
		open     []int
		closed   []int
		minutesN int // minutes open in the week, when not 0
	}{
		{
			spec:     "Mon-Fri 09:00-18:00",
			open:     []int{at(time.Monday, "09:00"), at(time.Friday, "17:59"), at(time.Wednesday, "12:30")},
			closed:   []int{at(time.Monday, "08:59"), at(time.Monday, "18:00"), at(time.Saturday, "10:00"), at(time.Sunday, "10:00")},
			minutesN: 5 * 9 * 60,
		},
		{
			// Over midnight: Friday's night belongs to Friday's clause and
			// runs into Saturday.
			spec:     "Fri 22:00-06:00",
			open:     []int{at(time.Friday, "22:00"), at(time.Friday, "23:59"), at(time.Saturday, "00:00"), at(time.Saturday, "05:59")},
			closed:   []int{at(time.Friday, "21:59"), at(time.Saturday, "06:00"), at(time.Friday, "05:00"), at(time.Saturday, "22:00")},
			minutesN: 8 * 60,
		},
		{
			// Sunday night wraps into Monday morning.
			spec:   "Sun 23:00-01:00",
			open:   []int{at(time.Sunday, "23:30"), at(time.Monday, "00:30")},
			closed: []int{at(time.Sunday, "00:30"), at(time.Monday, "23:30"), at(time.Monday, "01:00")},
		},
		{
			spec:     "Sat 18:00-24:00",
			open:     []int{at(time.Saturday, "18:00"), at(time.Saturday, "23:59")},
			closed:   []int{at(time.Sunday, "00:00"), at(time.Saturday, "17:59")},
			minutesN: 6 * 60,
		},
		{spec: "Mon-Sun 00:00-24:00", minutesN: minutesPerWeek},
		{spec: "Fri-Thu 00:00-24:00", minutesN: minutesPerWeek},
		{
			// A wrapping range of days.
			spec:     "Sat-Mon 10:00-12:00",
			open:     []int{at(time.Saturday, "10:00"), at(time.Sunday, "11:00"), at(time.Monday, "11:59")},
			closed:   []int{at(time.Tuesday, "11:00"), at(time.Friday, "11:00")},
			minutesN: 3 * 2 * 60,
		},
		{
			// A list of days, several windows, several clauses.
			spec: "Mon,Wed 09:00-12:00 13:00-17:00; Tue 10:00-11:00, Sat 10:00-14:00",
			open: []int{at(time.Monday, "09:00"), at(time.Wednesday, "13:00"), at(time.Tuesday, "10:30"), at(time.Saturday, "13:59")},
			closed: []int{at(time.Monday, "12:30"), at(time.Tuesday, "09:30"), at(time.Thursday, "10:00"),
				at(time.Saturday, "14:00")},
			minutesN: 2*7*60 + 60 + 4*60,
		},
		{
			// Windows after a comma, a list with blanks, long names in
			// any case, H:MM.
			spec:     "monday, WEDNESDAY - thursday 9:00-12:00, 13:00-17:00",
			open:     []int{at(time.Monday, "09:00"), at(time.Thursday, "16:59")},
			closed:   []int{at(time.Tuesday, "10:00"), at(time.Monday, "12:00")},
			minutesN: 3 * 7 * 60,
		},
		{
			// Overlapping windows count once.
			spec:     "Mon 09:00-12:00 11:00-13:00, Mon 12:30-14:00",
			minutesN: 5 * 60,
		},
	}
	for _, tc := range tests {
		w, err := parseHours(tc.spec)
		if err != nil {
			t.Errorf("parseHours(%q): %v", tc.spec, err)
			continue
		}
		for _, m := range tc.open {
			if !w.has(m) {
				t.Errorf("%q: %s %02d:%02d is closed, want open", tc.spec, time.Weekday(m/minutesPerDay), m%minutesPerDay/60, m%60)
			}
		}
		for _, m := range tc.closed {
			if w.has(m) {
				t.Errorf("%q: %s %02d:%02d is open, want closed", tc.spec, time.Weekday(m/minutesPerDay), m%minutesPerDay/60, m%60)
			}
		}
		if tc.minutesN != 0 {
			n := 0
			for m := range minutesPerWeek {
				if w.has(m) {
					n++
				}
			}
			if n != tc.minutesN {
				t.Errorf("%q: open %d minutes a week, want %d", tc.spec, n, tc.minutesN)
			}
		}
	}
}

func TestParseHoursErrors(t *testing.T) {
	tests := []struct {
		spec   string
		offset int // of the token the message is about
		msg    string
	}{
		{"", 0, "the hours are empty"},
		{"   ", 0, "the hours are empty"},
		{"Mon-Fry 09:00-18:00", 4, `unknown day "Fry"`},
		{"Mon-Fri", 7, "expected a time range such as 09:00-18:00, got the end"},
		{"09:00-18:00", 0, "expected a day"},
		{"Mon-Fri 9-18", 8, `"9" is not a time`},
		{"Mon-Fri 09:00-25:00", 14, `"25:00" is not a time`},
		{"Mon-Fri 09:60-18:00", 8, `"09:60" is not a time`},
		{"Mon-Fri 24:00-06:00", 8, "24:00 only ends a window"},
		{"Mon-Fri 24:30-06:00", 8, `"24:30" is not a time`},
		{"Mon 09:00-09:00", 4, "the window 09:00-09:00 is empty: write 00:00-24:00"},
		{"Mon 09:00", 9, `expected "-" and the end of the window after 09:00, got the end`},
		{"Mon 09:00-", 10, "expected the time that ends the window 09:00-"},
		{"Mon- 09:00-10:00", 5, "expected the day that ends the range Mon-"},
		{"Mon 09:00-12:00 Tue 10:00-11:00", 16, `expected "," or ";" before "Tue"`},
		{"Mon 09:00-12:00;", 16, `expected days after ";", got the end`},
		{"Mon 09:00-12:00, 13:00-14:00 -", 29, `unexpected "-" after the times`},
		{"Mon 09:00-12:00 / Tue", 16, `unexpected '/'`},
		{"Mon, 09:00-12:00", 3, `expected a time range such as 09:00-18:00, got ","`},
	}
	for _, tc := range tests {
		_, err := parseHours(tc.spec)
		var se *specError
		switch {
		case !errors.As(err, &se):
			t.Errorf("parseHours(%q) = %v, want a *specError", tc.spec, err)
		case !strings.Contains(se.msg, tc.msg) || se.offset != tc.offset:
			t.Errorf("parseHours(%q) = %q at %d, want %q at %d", tc.spec, se.msg, se.offset, tc.msg, tc.offset)
		}
	}
}

func TestLocalDay(t *testing.T) {
	ist, err := time.LoadLocation("Europe/Istanbul")
	if err != nil {
		t.Fatal(err)
	}
	// 2026-04-22 22:30 UTC is already 2026-04-23 01:30 in Istanbul.
	instant := time.Date(2026, time.April, 22, 22, 30, 0, 0, time.UTC)
	d23, _ := parseDay("2026-04-23")
	d22, _ := parseDay("2026-04-22")
	if day, minute := localDay(instant, ist); day != d23 || minute != 90 || weekdayOf(day) != time.Thursday {
		t.Errorf("localDay in Istanbul = %d, %d (%s); want %d, 90 (Thursday)", day, minute, weekdayOf(day), d23)
	}
	if day, minute := localDay(instant, time.UTC); day != d22 || minute != 22*60+30 || weekdayOf(day) != time.Wednesday {
		t.Errorf("localDay in UTC = %d, %d; want %d, %d", day, minute, d22, 22*60+30)
	}
	// Before 1970 too.
	old := time.Date(1969, time.December, 31, 23, 59, 0, 0, time.UTC)
	if day, minute := localDay(old, time.UTC); day != -1 || minute != 23*60+59 || weekdayOf(day) != time.Wednesday {
		t.Errorf("localDay(1969-12-31 23:59) = %d, %d (%s); want -1, 1439 (Wednesday)", day, minute, weekdayOf(day))
	}
}

func TestParseDates(t *testing.T) {
	good := map[string][2]string{
		"2026-01-01":                 {"2026-01-01", "2026-01-01"},
		" 2026-12-24..2026-12-26 ":   {"2026-12-24", "2026-12-26"},
		"2026-12-31 .. 2027-01-01":   {"2026-12-31", "2027-01-01"},
		"2028-02-29":                 {"2028-02-29", "2028-02-29"},
		"2026-01-01..2026-12-31":     {"2026-01-01", "2026-12-31"},
		"2028-01-01..2028-12-31":     {"2028-01-01", "2028-12-31"}, // 366 days
		"2026-04-23..2026-04-23":     {"2026-04-23", "2026-04-23"},
		"2026-05-01..2026-05-01   ":  {"2026-05-01", "2026-05-01"},
		"\t2026-05-19..2026-05-19\t": {"2026-05-19", "2026-05-19"},
	}
	for in, want := range good {
		sp, err := parseDates(in)
		from, _ := parseDay(want[0])
		to, _ := parseDay(want[1])
		if err != nil || sp.from != from || sp.to != to {
			t.Errorf("parseDates(%q) = %+v, %v; want %s..%s", in, sp, err, want[0], want[1])
		}
	}
	bad := map[string]string{
		"2026-02-30":             `"2026-02-30" is not a date`,
		"2027-02-29":             `"2027-02-29" is not a date`,
		"26-01-01":               "write YYYY-MM-DD",
		"2026/01/01":             "is not a date",
		"01.01.2026":             "is not a date",
		"":                       "is not a date",
		"2026-01-01..":           `"" is not a date`,
		"2026-01-02..2026-01-01": "ends before it starts",
		"2026-01-01..2027-01-02": "spans 367 days",
		"2026-01-01 New Year":    "is not a date",
	}
	for in, want := range bad {
		if _, err := parseDates(in); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("parseDates(%q) = %v, want an error containing %q", in, err, want)
		}
	}
}

func TestHolidaySet(t *testing.T) {
	day := func(s string) int64 { d, _ := parseDay(s); return d }
	set := newHolidaySet("x", []daySpan{
		{day("2026-12-24"), day("2026-12-26")},
		{day("2026-01-01"), day("2026-01-01")},
		{day("2026-12-26"), day("2026-12-27")}, // overlaps
		{day("2026-12-28"), day("2026-12-28")}, // adjacent
		{day("2026-04-23"), day("2026-04-23")},
	})
	if len(set.spans) != 3 {
		t.Errorf("spans = %v, want 3 after merging", set.spans)
	}
	for _, d := range []string{"2026-01-01", "2026-04-23", "2026-12-24", "2026-12-27", "2026-12-28"} {
		if !set.has(day(d)) {
			t.Errorf("%s is not on the list", d)
		}
	}
	for _, d := range []string{"2025-12-31", "2026-01-02", "2026-04-22", "2026-12-23", "2026-12-29"} {
		if set.has(day(d)) {
			t.Errorf("%s is on the list", d)
		}
	}
	if newHolidaySet("", nil).has(day("2026-01-01")) {
		t.Error("an empty list has a day")
	}
}

func TestLoadHolidays(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "tr.txt")
	if err := os.WriteFile(good, []byte("\ufeff# Türkiye 2026\n2026-01-01   # New Year\n\n  2026-03-19..2026-03-22 # Ramazan Bayramı\n#2026-05-01\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(dir, "bad.txt")
	if err := os.WriteFile(bad, []byte("2026-01-01\n2026-13-01\nNew Year\n2026-05-01\nx\ny\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	sets, ps := loadHolidays(map[string]HolidayList{
		"tr":      {File: good, Dates: []string{"2026-04-23"}},
		"bad":     {File: bad},
		"missing": {File: filepath.Join(dir, "nope.txt")},
		"inline":  {Dates: []string{"2026-01-01", "2026-31-12", "2026-02-01..2026-01-01"}},
		"empty":   {},
		" pad":    {Dates: []string{"2026-01-01"}},
	})
	got := map[string]string{}
	for _, p := range ps {
		got[p.Path] += p.Message
	}
	want := map[string]string{
		"holidays.bad.file":       bad + `:2: "2026-13-01" is not a date: write YYYY-MM-DD, such as 2026-04-23; ` + bad + `:3: "New Year" is not a date`,
		"holidays.missing.file":   "cannot read the holiday file: open " + filepath.Join(dir, "nope.txt"),
		"holidays.inline.dates.1": `"2026-31-12" is not a date`,
		"holidays.inline.dates.2": `"2026-02-01..2026-01-01" ends before it starts`,
		"holidays.empty":          "is empty: list its dates",
		"holidays. pad":           "not a usable name",
	}
	for path, w := range want {
		if !strings.Contains(got[path], w) {
			t.Errorf("problem at %s = %q, want it to contain %q", path, got[path], w)
		}
	}
	if len(got) != len(want) {
		t.Errorf("problems = %v, want %d", ps, len(want))
	}
	if !strings.Contains(got["holidays.bad.file"], "and 1 more") {
		t.Errorf("bad file problem = %q, want at most 3 lines and a count", got["holidays.bad.file"])
	}
	day := func(s string) int64 { d, _ := parseDay(s); return d }
	tr := sets["tr"]
	for _, d := range []string{"2026-01-01", "2026-03-19", "2026-03-22", "2026-04-23"} {
		if !tr.has(day(d)) {
			t.Errorf("tr lacks %s", d)
		}
	}
	if tr.has(day("2026-05-01")) || tr.has(day("2026-03-23")) {
		t.Error("tr has a commented-out or a following day")
	}
	// A list with problems is still known, so rules naming it get no
	// follow-on problem.
	if sets["bad"] == nil || sets["missing"] == nil || !sets["bad"].has(day("2026-05-01")) {
		t.Errorf("lists with problems = %v, %v; want them kept with their good dates", sets["bad"], sets["missing"])
	}
}
