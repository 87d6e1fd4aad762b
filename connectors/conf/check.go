package conf

import (
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/switchboard-hq/switchboard/connectors"
)

// Checks shared by every owner of settings, in the host and in connectors,
// so that the same mistake reads the same everywhere. Each adds a problem at
// path (relative to what is being checked); the caller adds the key's name
// in front when it reports.

// Positive requires d > 0.
func Positive(ps *connectors.Problems, path string, d time.Duration) {
	if d <= 0 {
		ps.Addf(path, "must be longer than 0, such as \"5s\"")
	}
}

// Between requires min ≤ n ≤ max.
func Between(ps *connectors.Problems, path string, n, min, max int64) {
	if n < min || n > max {
		ps.Addf(path, "must be from %d to %d, got %d", min, max, n)
	}
}

// OneOf trims and lower-cases *v and requires it to be one of allowed,
// suggesting the closest when it is not.
func OneOf(ps *connectors.Problems, path string, v *string, allowed ...string) {
	lv := strings.ToLower(strings.TrimSpace(*v))
	for _, a := range allowed {
		if lv == a {
			*v = lv
			return
		}
	}
	msg := "must be one of " + strings.Join(allowed, ", ") + ", got " + strconv.Quote(*v)
	if s := Closest(lv, allowed); s != "" {
		msg += " (did you mean " + strconv.Quote(s) + "?)"
	}
	ps.Addf(path, "%s", msg)
}

// Closest is Suggest, or else the known name that name is a prefix of (or
// that is a prefix of name), for a word of at least three letters:
// "health" → "health_interval", "warning" → "warn".
func Closest(name string, known []string) string {
	if s := Suggest(name, known); s != "" {
		return s
	}
	lname := strings.ToLower(name)
	var prefixed []string
	for _, k := range known {
		if len(lname) >= 3 && (strings.HasPrefix(k, lname) || strings.HasPrefix(lname, k)) {
			prefixed = append(prefixed, k)
		}
	}
	if len(prefixed) == 0 {
		return ""
	}
	slices.Sort(prefixed)
	return prefixed[0]
}

// FormatDuration writes d the way people do: "5m" rather than "5m0s".
func FormatDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// FillZero returns v with every zero field (an empty string, a zero number
// or duration, an empty list, a nil pointer) taken from def, so that an
// owner's Options can embed its Config and default it in one place, from
// its DefaultConfig. Booleans are left alone: false is a setting, not an
// absence. v must be a struct.
func FillZero[T any](v, def T) T {
	rv, rd := reflect.ValueOf(&v).Elem(), reflect.ValueOf(def)
	for i := range rv.NumField() {
		f := rv.Field(i)
		if !f.CanSet() || f.Kind() == reflect.Bool {
			continue
		}
		empty := f.IsZero() || (f.Kind() == reflect.Slice || f.Kind() == reflect.Map) && f.Len() == 0
		if empty {
			f.Set(rd.Field(i))
		}
	}
	return v
}
