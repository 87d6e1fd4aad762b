package server

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// MaxLogValue is the most bytes of one request-supplied value a log line
// holds; a longer value is cut and its full length noted.
const MaxLogValue = 256

// LogValue makes s safe for a log line: control characters and invalid
// UTF-8 are escaped as in Go string literals (a newline in a caller number
// is \n, not a new log line), and a value over MaxLogValue bytes is cut,
// with "…(N bytes)" saying how long it was. A short printable value is
// returned as it is, without allocating.
func LogValue(s string) string {
	if len(s) <= MaxLogValue && printable(s) {
		return s
	}
	var b strings.Builder
	for i, r := range s {
		if b.Len() >= MaxLogValue {
			return b.String() + "…(" + strconv.Itoa(len(s)) + " bytes)"
		}
		switch {
		case r == utf8.RuneError && isInvalidAt(s, i):
			b.WriteString(`\x`)
			b.WriteString(strconv.FormatUint(uint64(s[i]), 16))
		case unsafeRune(r):
			q := strconv.QuoteRune(r)
			b.WriteString(q[1 : len(q)-1])
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// isInvalidAt reports whether the RuneError at s[i] stands for an invalid
// byte rather than a literal U+FFFD.
func isInvalidAt(s string, i int) bool {
	_, size := utf8.DecodeRuneInString(s[i:])
	return size == 1
}

// printable reports whether s has nothing LogValue would escape.
func printable(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == 0x7f || c >= 0x80 {
			return !strings.ContainsFunc(s, unsafeRune) && utf8.ValidString(s)
		}
	}
	return true
}

// unsafeRune is a rune LogValue escapes.
func unsafeRune(r rune) bool {
	return r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) || r == '\u2028' || r == '\u2029'
}

// logValue escapes and bounds what Annotate receives: strings, string
// lists and errors. Other values (numbers, durations, booleans) pass.
func logValue(v any) any {
	switch x := v.(type) {
	case string:
		return LogValue(x)
	case []string:
		out := make([]string, len(x))
		for i, s := range x {
			out[i] = LogValue(s)
		}
		return out
	case error:
		if x == nil {
			return nil
		}
		return LogValue(x.Error())
	}
	return v
}

// secretSegment is the shortest path segment hideLongSegments hides:
// tokens are at least 16 characters (ringostat.MinTokenLen), while the
// words of real paths ("smart-ivr", "webhook") are shorter.
const secretSegment = 16

// hideLongSegments replaces every path segment of secretSegment or more
// bytes with "…(N)", for paths no endpoint serves: a mistyped webhook
// path may end with its token.
func hideLongSegments(p string) string {
	if len(p) < secretSegment {
		return p
	}
	segs := strings.Split(p, "/")
	for i, s := range segs {
		if len(s) >= secretSegment {
			segs[i] = "…(" + strconv.Itoa(len(s)) + ")"
		}
	}
	return strings.Join(segs, "/")
}
