package routing

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Business hours: in_hours' spec, parsed once into a week of minutes.
//
//	spec    = clause { ("," | ";") clause }
//	clause  = days window { ["," ] window }
//	days    = day [ "-" day ] { "," day [ "-" day ] }
//	window  = HH:MM "-" HH:MM
//
// Days are English names, short (Mon) or long (Monday), in any case. A
// range may wrap (Sat-Mon is Sat, Sun, Mon). A window ends at 24:00 at the
// latest; one that ends before it starts runs over midnight and belongs to
// its starting day (Fri 22:00-06:00 is Friday night until Saturday 06:00).

const (
	minutesPerDay  = 24 * 60
	minutesPerWeek = 7 * minutesPerDay
	secondsPerDay  = 24 * 60 * 60
)

// week holds one bit per minute of the week, indexed by
// weekday*1440+minute with Go's weekdays (Sunday is 0).
type week [(minutesPerWeek + 63) / 64]uint64

func (w *week) set(from, n int) {
	for i := range n {
		m := (from + i) % minutesPerWeek
		w[m/64] |= 1 << (m % 64)
	}
}

func (w *week) has(m int) bool { return w[m/64]&(1<<(m%64)) != 0 }

// specError is a problem with a spec at a byte offset into it.
type specError struct {
	offset int
	msg    string
}

func (e *specError) Error() string { return e.msg }

// dayNames are the days by Go's numbering, as written in specs and notes.
var dayNames = [7]string{"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"}

// dayOf reads a day's name, short or long, in any case.
func dayOf(word string) (time.Weekday, bool) {
	w := strings.ToLower(word)
	for d := time.Sunday; d <= time.Saturday; d++ {
		if w == strings.ToLower(dayNames[d]) || w == strings.ToLower(d.String()) {
			return d, true
		}
	}
	return 0, false
}

// specToken is a word, a time ("09:00"), or one of - , ; at an offset.
type specToken struct {
	kind byte // 'w' word, 't' time, or the punctuation itself
	text string
	off  int
}

func (t specToken) String() string {
	if t.kind == 0 {
		return "the end"
	}
	return strconv.Quote(t.text)
}

// tokenize splits a spec into tokens, skipping blanks.
func tokenize(spec string) ([]specToken, error) {
	var toks []specToken
	for i := 0; i < len(spec); {
		r, size := utf8.DecodeRuneInString(spec[i:])
		switch {
		case unicode.IsSpace(r):
			i += size
		case r == '-' || r == ',' || r == ';':
			toks = append(toks, specToken{kind: byte(r), text: string(r), off: i})
			i += size
		case unicode.IsLetter(r):
			j := i
			for j < len(spec) {
				r, size := utf8.DecodeRuneInString(spec[j:])
				if !unicode.IsLetter(r) {
					break
				}
				j += size
			}
			toks = append(toks, specToken{kind: 'w', text: spec[i:j], off: i})
			i = j
		case r >= '0' && r <= '9':
			j := i
			for j < len(spec) && (spec[j] >= '0' && spec[j] <= '9' || spec[j] == ':') {
				j++
			}
			toks = append(toks, specToken{kind: 't', text: spec[i:j], off: i})
			i = j
		default:
			return nil, &specError{i, fmt.Sprintf("unexpected %q: write days and times such as Mon-Fri 09:00-18:00", r)}
		}
	}
	return toks, nil
}

// specParser reads a token list.
type specParser struct {
	toks []specToken
	i    int
	end  int // offset of the end of the spec
}

func (p *specParser) peek(k int) specToken {
	if p.i+k < len(p.toks) {
		return p.toks[p.i+k]
	}
	return specToken{off: p.end}
}

func (p *specParser) next() specToken { t := p.peek(0); p.i++; return t }

// parseHours parses a spec into its week.
func parseHours(spec string) (*week, error) {
	if strings.TrimSpace(spec) == "" {
		return nil, &specError{0, `the hours are empty: write days and times such as "Mon-Fri 09:00-18:00"`}
	}
	toks, err := tokenize(spec)
	if err != nil {
		return nil, err
	}
	p := &specParser{toks: toks, end: len(spec)}
	w := new(week)
	for {
		days, err := p.days()
		if err != nil {
			return nil, err
		}
		if err := p.windows(w, days); err != nil {
			return nil, err
		}
		switch t := p.next(); t.kind {
		case 0:
			return w, nil
		case ',', ';':
			if p.peek(0).kind != 'w' {
				return nil, &specError{p.peek(0).off, fmt.Sprintf("expected days after %q, got %s", t.text, p.peek(0))}
			}
		case 'w':
			return nil, &specError{t.off, fmt.Sprintf(`expected "," or ";" before %s: separate clauses such as "Mon-Fri 09:00-18:00; Sat 10:00-14:00"`, t)}
		default:
			return nil, &specError{t.off, fmt.Sprintf("unexpected %s after the times", t)}
		}
	}
}

// days reads a clause's days: a list of days and ranges.
func (p *specParser) days() ([7]bool, error) {
	var days [7]bool
	for {
		t := p.next()
		if t.kind != 'w' {
			return days, &specError{t.off, fmt.Sprintf("expected a day (Mon, Tue, Wed, Thu, Fri, Sat or Sun), got %s", t)}
		}
		from, ok := dayOf(t.text)
		if !ok {
			return days, &specError{t.off, fmt.Sprintf("unknown day %q: write Mon, Tue, Wed, Thu, Fri, Sat or Sun", t.text)}
		}
		to := from
		if p.peek(0).kind == '-' {
			p.next()
			u := p.next()
			if u.kind != 'w' {
				return days, &specError{u.off, fmt.Sprintf("expected the day that ends the range %s-, got %s", t.text, u)}
			}
			if to, ok = dayOf(u.text); !ok {
				return days, &specError{u.off, fmt.Sprintf("unknown day %q: write Mon, Tue, Wed, Thu, Fri, Sat or Sun", u.text)}
			}
		}
		for d := from; ; d = (d + 1) % 7 {
			days[d] = true
			if d == to {
				break
			}
		}
		if p.peek(0).kind != ',' || p.peek(1).kind != 'w' {
			return days, nil
		}
		p.next()
	}
}

// windows reads a clause's time windows and sets them on its days.
func (p *specParser) windows(w *week, days [7]bool) error {
	for first := true; ; first = false {
		t := p.peek(0)
		if t.kind != 't' {
			if first {
				return &specError{t.off, fmt.Sprintf("expected a time range such as 09:00-18:00, got %s", t)}
			}
			return nil
		}
		p.next()
		start, err := clock(t, false)
		if err != nil {
			return err
		}
		if dash := p.next(); dash.kind != '-' {
			return &specError{dash.off, fmt.Sprintf("expected \"-\" and the end of the window after %s, got %s", t.text, dash)}
		}
		u := p.next()
		if u.kind != 't' {
			return &specError{u.off, fmt.Sprintf("expected the time that ends the window %s-, got %s", t.text, u)}
		}
		end, err := clock(u, true)
		if err != nil {
			return err
		}
		n := end - start
		switch {
		case n == 0:
			return &specError{t.off, fmt.Sprintf("the window %s-%s is empty: write 00:00-24:00 for a whole day", t.text, u.text)}
		case n < 0: // over midnight, into the next day
			n += minutesPerDay
		}
		for d, on := range days {
			if on {
				w.set(d*minutesPerDay+start, n)
			}
		}
		// Another window follows after blanks, or after a comma when a
		// time (not a day) comes next.
		if p.peek(0).kind == ',' && p.peek(1).kind == 't' {
			p.next()
		}
	}
}

// clock reads HH:MM (H:MM too) as minutes of the day; 24:00 only when it
// ends a window.
func clock(t specToken, end bool) (int, error) {
	h, m, ok := strings.Cut(t.text, ":")
	hh, err1 := strconv.Atoi(h)
	mm, err2 := strconv.Atoi(m)
	if !ok || err1 != nil || err2 != nil || len(h) > 2 || len(m) != 2 || hh > 24 || mm > 59 || (hh == 24 && mm != 0) {
		return 0, &specError{t.off, fmt.Sprintf("%q is not a time: write HH:MM, from 00:00 to 24:00", t.text)}
	}
	if hh == 24 && !end {
		return 0, &specError{t.off, "24:00 only ends a window: a window from midnight starts at 00:00"}
	}
	return hh*60 + mm, nil
}

// localDay is the day (days since 1970-01-01) and the minute of that day
// of t on the wall clock of loc.
func localDay(t time.Time, loc *time.Location) (day int64, minute int) {
	_, off := t.In(loc).Zone()
	s := t.Unix() + int64(off)
	day = s / secondsPerDay
	if s%secondsPerDay < 0 {
		day--
	}
	return day, int(s-day*secondsPerDay) / 60
}

// weekdayOf is the weekday of a day number (1970-01-01 was a Thursday).
func weekdayOf(day int64) time.Weekday {
	return time.Weekday(((day+4)%7 + 7) % 7)
}
