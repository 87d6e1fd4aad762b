package routing

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/switchboard-hq/switchboard/connectors"
)

// HolidayList is one named list of routing.holidays: dates written in
// the configuration, dates read from a file, or both. In YAML a bare list
// stands for its dates:
//
//	holidays:
//	  tr: ["2026-01-01", "2026-04-23", "2026-12-24..2026-12-26"]
//	  office:
//	    file: holidays/office.txt
type HolidayList struct {
	// Dates are days (2026-01-01) and inclusive ranges of days
	// (2026-12-24..2026-12-26).
	Dates []string `yaml:"dates" shorthand:"list"`
	// File holds one day or range a line; # starts a comment. A relative
	// path is relative to the configuration file (the loader resolves it;
	// given to New directly, it is relative to the working directory).
	File string `yaml:"file" resolve:"path"`
}

// maxHolidaySpan bounds a range of days: a longer one is a typo
// (2026-12-24..2062-12-26), not a holiday.
const maxHolidaySpan = 366

// maxHolidayFile bounds a holiday file's size.
const maxHolidayFile = 1 << 20

// daySpan is an inclusive range of days (days since 1970-01-01).
type daySpan struct{ from, to int64 }

// holidaySet is a list of days, sorted and merged, for fast lookups.
type holidaySet struct {
	// name is the list's name in routing.holidays, "" for a list written
	// in the expression.
	name  string
	spans []daySpan
}

// has reports whether day is on the list.
func (s *holidaySet) has(day int64) bool {
	i := sort.Search(len(s.spans), func(i int) bool { return s.spans[i].to >= day })
	return i < len(s.spans) && s.spans[i].from <= day
}

// String names the list for notes as a rule names it: "tr", or [...] for
// dates written in the rule.
func (s *holidaySet) String() string {
	if s.name != "" {
		return strconv.Quote(s.name)
	}
	return "[...]"
}

// newHolidaySet sorts and merges spans.
func newHolidaySet(name string, spans []daySpan) *holidaySet {
	slices.SortFunc(spans, func(a, b daySpan) int {
		switch {
		case a.from < b.from:
			return -1
		case a.from > b.from:
			return 1
		}
		return 0
	})
	var out []daySpan
	for _, sp := range spans {
		if n := len(out); n > 0 && sp.from <= out[n-1].to+1 {
			out[n-1].to = max(out[n-1].to, sp.to)
			continue
		}
		out = append(out, sp)
	}
	return &holidaySet{name: name, spans: out}
}

// dateLayout is how holidays are written.
const dateLayout = "2006-01-02"

// parseDay reads one day as its number.
func parseDay(s string) (int64, error) {
	t, err := time.Parse(dateLayout, s)
	if err != nil {
		return 0, fmt.Errorf("%q is not a date: write YYYY-MM-DD, such as 2026-04-23", s)
	}
	return t.Unix() / secondsPerDay, nil
}

// parseDates reads a day ("2026-01-01") or a range of days
// ("2026-12-24..2026-12-26").
func parseDates(s string) (daySpan, error) {
	s = strings.TrimSpace(s)
	a, b, isRange := strings.Cut(s, "..")
	from, err := parseDay(strings.TrimSpace(a))
	if err != nil {
		return daySpan{}, err
	}
	if !isRange {
		return daySpan{from, from}, nil
	}
	to, err := parseDay(strings.TrimSpace(b))
	switch {
	case err != nil:
		return daySpan{}, err
	case to < from:
		return daySpan{}, fmt.Errorf("%q ends before it starts: write the earlier day first", s)
	case to-from >= maxHolidaySpan:
		return daySpan{}, fmt.Errorf("%q spans %d days: a range is at most %d days (a typo in a year?)", s, to-from+1, maxHolidaySpan)
	}
	return daySpan{from, to}, nil
}

// loadHolidays reads routing.holidays, reporting every problem with its
// path ("holidays.tr.dates.2", "holidays.office.file").
func loadHolidays(lists map[string]HolidayList) (map[string]*holidaySet, connectors.Problems) {
	var problems connectors.Problems
	sets := make(map[string]*holidaySet, len(lists))
	names := make([]string, 0, len(lists))
	for name := range lists {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		list, at := lists[name], "holidays."+name
		if strings.TrimSpace(name) == "" || strings.TrimSpace(name) != name {
			problems.Addf(at, "%q is not a usable name for a holiday list: give it a name without surrounding blanks", name)
			continue
		}
		var spans []daySpan
		for i, s := range list.Dates {
			sp, err := parseDates(s)
			if err != nil {
				problems.Addf(fmt.Sprintf("%s.dates.%d", at, i), "%v", err)
				continue
			}
			spans = append(spans, sp)
		}
		if list.File != "" {
			fromFile, err := readHolidayFile(list.File)
			if err != nil {
				problems.Addf(at+".file", "%v", err)
			}
			spans = append(spans, fromFile...)
		}
		if len(list.Dates) == 0 && list.File == "" {
			problems.Addf(at, "is empty: list its dates (%s: [\"2026-01-01\", \"2026-12-24..2026-12-26\"]) or name a file (file: holidays.txt)", name)
		}
		sets[name] = newHolidaySet(name, spans)
	}
	return sets, problems
}

// readHolidayFile reads a holiday file: a day or a range a line, blank
// lines and # comments ignored. Its problems name the file and line.
func readHolidayFile(path string) ([]daySpan, error) {
	data, err := os.ReadFile(path)
	switch {
	case err != nil:
		return nil, fmt.Errorf("cannot read the holiday file: %w", err)
	case len(data) > maxHolidayFile:
		return nil, fmt.Errorf("the holiday file %s is over %d bytes: is it the right file?", path, maxHolidayFile)
	}
	var spans []daySpan
	var errs []string
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 4096), maxHolidayFile)
	for line := 1; sc.Scan(); line++ {
		text, _, _ := strings.Cut(sc.Text(), "#")
		if text = strings.TrimSpace(strings.TrimPrefix(text, "\ufeff")); text == "" {
			continue
		}
		sp, err := parseDates(text)
		if err != nil {
			errs = append(errs, fmt.Sprintf("%s:%d: %v", path, line, err))
			continue
		}
		spans = append(spans, sp)
	}
	if len(errs) > 0 {
		const shown = 3
		if len(errs) > shown {
			errs = append(errs[:shown], fmt.Sprintf("and %d more", len(errs)-shown))
		}
		return spans, fmt.Errorf("%s", strings.Join(errs, "; "))
	}
	return spans, nil
}
