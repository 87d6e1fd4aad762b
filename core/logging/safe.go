package logging

import (
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/hashicorp/go-hclog"
)

// MaxValue is the most bytes of one value any log line holds: far above
// any value the host means to log, it stops a request-supplied value
// (a 64 KB "caller") from being copied into the log in full. Request
// fields are cut much shorter where they are logged (server.MaxLogValue).
const MaxValue = 16 << 10

// Value makes s safe for a log line: control characters, invalid UTF-8
// and Unicode line separators are escaped as in Go string literals (a
// newline in a caller number is \n, not a forged log line), and a value
// over max bytes is cut, with "…(N bytes)" saying how long it was. A
// short printable value is returned as it is, without allocating.
func Value(s string, max int) string {
	if len(s) <= max && printable(s) {
		return s
	}
	var b strings.Builder
	for i, r := range s {
		if b.Len() >= max {
			return b.String() + "…(" + strconv.Itoa(len(s)) + " bytes)"
		}
		switch {
		case r == utf8.RuneError && invalidAt(s, i):
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

// invalidAt reports whether the RuneError at s[i] stands for an invalid
// byte rather than a literal U+FFFD.
func invalidAt(s string, i int) bool {
	_, size := utf8.DecodeRuneInString(s[i:])
	return size == 1
}

// printable reports whether s has nothing Value would escape.
func printable(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == 0x7f || c >= 0x80 {
			return utf8.ValidString(s) && !strings.ContainsFunc(s, unsafeRune)
		}
	}
	return true
}

// unsafeRune is a rune Value escapes: C0 and C1 controls, DEL, and the
// Unicode line and paragraph separators.
func unsafeRune(r rune) bool {
	return r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) || r == '\u2028' || r == '\u2029'
}

// clean returns args with every string, string list and error value made
// safe by Value (keys too), or args itself when nothing needed it (the
// common case: no allocation).
func clean(args []any) []any {
	var out []any
	for i, v := range args {
		c, changed := CleanValue(v, MaxValue)
		if !changed {
			if out != nil {
				out[i] = v
			}
			continue
		}
		if out == nil {
			out = make([]any, len(args))
			copy(out, args[:i])
		}
		out[i] = c
	}
	if out == nil {
		return args
	}
	return out
}

// CleanValue makes a log value safe: a string, a string list or an
// error's message through Value(max); other values (numbers, durations)
// are left alone. It reports whether v changed.
func CleanValue(v any, max int) (any, bool) {
	switch x := v.(type) {
	case string:
		if c := Value(x, max); c != x {
			return c, true
		}
		return v, false // v itself: boxing x again would allocate
	case error:
		if x == nil {
			return v, false
		}
		msg := x.Error()
		if c := Value(msg, max); c != msg {
			return c, true
		}
		return v, false
	case []string:
		var out []string
		for i, s := range x {
			if c := Value(s, max); c != s {
				if out == nil {
					out = append([]string(nil), x...)
				}
				out[i] = c
			}
		}
		if out != nil {
			return out, true
		}
	}
	return v, false
}

// safeLogger escapes and bounds every message and value it is given
// before its hclog.Logger formats them, whatever the format: one event is
// always one line.
type safeLogger struct {
	hclog.Logger
	// out, json and sink are New's: the output every line goes through,
	// the format, and the sink that also receives every line; out is nil
	// for a logger Safe wrapped (Log then takes hclog's way).
	out  *output
	json bool
	sink hclog.SinkAdapter
}

// Safe wraps l so that no value can break a log line or flood the log
// (see Value). New's loggers are already safe.
func Safe(l hclog.Logger) hclog.Logger {
	if _, ok := l.(safeLogger); ok {
		return l
	}
	return safeLogger{Logger: l}
}

func (l safeLogger) Log(level hclog.Level, msg string, args ...any) {
	l.Logger.Log(level, Value(msg, MaxValue), clean(args)...)
}
func (l safeLogger) Trace(msg string, args ...any) { l.Log(hclog.Trace, msg, args...) }
func (l safeLogger) Debug(msg string, args ...any) { l.Log(hclog.Debug, msg, args...) }
func (l safeLogger) Info(msg string, args ...any)  { l.Log(hclog.Info, msg, args...) }
func (l safeLogger) Warn(msg string, args ...any)  { l.Log(hclog.Warn, msg, args...) }
func (l safeLogger) Error(msg string, args ...any) { l.Log(hclog.Error, msg, args...) }
func (l safeLogger) With(args ...any) hclog.Logger {
	l.Logger = l.Logger.With(clean(args)...)
	return l
}
func (l safeLogger) Named(name string) hclog.Logger {
	l.Logger = l.Logger.Named(name)
	return l
}
func (l safeLogger) ResetNamed(name string) hclog.Logger {
	l.Logger = l.Logger.ResetNamed(name)
	return l
}
