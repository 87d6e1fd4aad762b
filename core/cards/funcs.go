package cards

import (
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"
	"text/template"
	"time"
)

// Funcs returns the helpers card templates may call (money, date,
// default, upper, lower, join), for other templates an operator writes
// alike (after-call comments and tasks).
func Funcs() template.FuncMap {
	out := make(template.FuncMap, len(funcs))
	for k, v := range funcs {
		out[k] = v
	}
	return out
}

// funcs are the helpers card templates may call, besides text/template's
// built-ins.
var funcs = template.FuncMap{
	"money":   money,
	"date":    date,
	"default": defaultValue,
	"upper":   func(v any) string { return strings.ToUpper(str(v)) },
	"lower":   func(v any) string { return strings.ToLower(str(v)) },
	"join":    join,
}

// currencySymbols are written before the amount; other currency codes are
// written after it ("4,250.00 CHF").
var currencySymbols = map[string]string{
	"USD": "$",
	"EUR": "€",
	"GBP": "£",
	"TRY": "₺",
	"JPY": "¥",
	"INR": "₹",
}

// money formats an amount with thousands separators and two decimals,
// with the currency's symbol or code: money 4250 "USD" is "$4,250.00",
// money -12.5 "EUR" is "-€12.50", money 10 "CHF" is "10.00 CHF". An
// absent value gives "", and text that is not a number is given back as
// it is.
func money(v any, currency string) string {
	f, ok := number(v)
	if !ok {
		return str(v)
	}
	sign := ""
	if f < 0 {
		sign, f = "-", -f
	}
	amount := groupThousands(strconv.FormatFloat(f, 'f', 2, 64))
	code := strings.ToUpper(strings.TrimSpace(currency))
	if sym, ok := currencySymbols[code]; ok {
		return sign + sym + amount
	}
	if code == "" {
		return sign + amount
	}
	return sign + amount + " " + code
}

// groupThousands puts commas into the integer part of a decimal number.
func groupThousands(s string) string {
	intPart, frac, hasFrac := strings.Cut(s, ".")
	var b strings.Builder
	for i, r := range intPart {
		if i > 0 && (len(intPart)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	if hasFrac {
		b.WriteByte('.')
		b.WriteString(frac)
	}
	return b.String()
}

// number reads a number from a Go number, a json.Number or a numeric
// string.
func number(v any) (float64, bool) {
	switch n := v.(type) {
	case nil:
		return 0, false
	case float64:
		return n, !math.IsNaN(n) && !math.IsInf(n, 0)
	case json.Number:
		f, err := n.Float64()
		return f, err == nil
	case string:
		f, err := strconv.ParseFloat(strings.TrimSpace(strings.ReplaceAll(n, ",", "")), 64)
		return f, err == nil && !math.IsNaN(f) && !math.IsInf(f, 0)
	}
	rv := reflect.ValueOf(v)
	switch {
	case rv.CanInt():
		return float64(rv.Int()), true
	case rv.CanUint():
		return float64(rv.Uint()), true
	case rv.CanFloat():
		return rv.Float(), true
	}
	return 0, false
}

// dateLayouts are names date accepts for common layouts.
var dateLayouts = map[string]string{
	"":         "2006-01-02 15:04",
	"date":     "2006-01-02",
	"time":     "15:04",
	"datetime": "2006-01-02 15:04",
	"rfc3339":  time.RFC3339,
}

// date formats a time with a Go layout ("02 Jan 2006 15:04") or one of
// date, time, datetime, rfc3339. It takes a time, an ISO-8601 string or
// unix seconds; an absent value gives "", and text that is not a time is
// given back as it is.
func date(v any, layout string) string {
	if l, ok := dateLayouts[strings.ToLower(strings.TrimSpace(layout))]; ok {
		layout = l
	}
	switch t := v.(type) {
	case nil:
		return ""
	case time.Time:
		return t.Format(layout)
	case *time.Time:
		if t == nil {
			return ""
		}
		return t.Format(layout)
	case string:
		s := strings.TrimSpace(t)
		for _, l := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02 15:04:05", "2006-01-02"} {
			if parsed, err := time.Parse(l, s); err == nil {
				return parsed.Format(layout)
			}
		}
		return t
	}
	if f, ok := number(v); ok && f > 0 {
		return time.Unix(int64(f), 0).UTC().Format(layout)
	}
	return str(v)
}

// defaultValue gives def when v is absent or empty (nil, blank text, an
// empty list or map); numbers, including 0, are kept:
// {{ .record.tier | default "none" }}.
func defaultValue(def, v any) any {
	if empty(v) {
		return def
	}
	return v
}

func empty(v any) bool {
	switch x := v.(type) {
	case nil:
		return true
	case string:
		return strings.TrimSpace(x) == ""
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Slice, reflect.Map, reflect.Array:
		return rv.Len() == 0
	case reflect.Pointer, reflect.Interface:
		return rv.IsNil()
	}
	return false
}

// join writes a list's items separated by sep: {{ join ", " .record.emails }}.
func join(sep string, v any) string {
	rv := reflect.ValueOf(v)
	if v == nil || rv.Kind() != reflect.Slice && rv.Kind() != reflect.Array {
		return str(v)
	}
	parts := make([]string, 0, rv.Len())
	for i := range rv.Len() {
		if s := str(rv.Index(i).Interface()); s != "" {
			parts = append(parts, s)
		}
	}
	return strings.Join(parts, sep)
}

// str writes a value as text; nil is "", and whole floats have no
// decimals (4250, not 4250.000000).
func str(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case time.Time:
		return x.Format(time.RFC3339)
	}
	return fmt.Sprint(v)
}
