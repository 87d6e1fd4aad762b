package logging

import (
	"strconv"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/hashicorp/go-hclog"
)

// Log logs msg and args at level through l, as l.Log does, for the
// host's busiest lines (the server's one line per request). A logger New
// built, in the text format, appends the line itself, byte for byte as
// hclog writes it (TestLogMatchesHclog), without hclog's locking and
// reflection, and its output may hold the line back briefly to write
// lines in batches (see output; Flush). Any other logger, or a value of
// a type the appender does not know, takes l.Log.
func Log(l hclog.Logger, level hclog.Level, msg string, args ...any) {
	s, ok := l.(safeLogger)
	if !ok || s.out == nil || s.json || len(args)%2 != 0 || len(s.ImpliedArgs())%2 != 0 || level < s.GetLevel() {
		l.Log(level, msg, args...)
		return
	}
	bp := linePool.Get().(*[]byte)
	now := time.Now()
	msg = Value(msg, MaxValue)
	line, ok := appendLine((*bp)[:0], now, s.Name(), level, msg, s.ImpliedArgs(), args)
	if !ok {
		linePool.Put(bp)
		l.Log(level, msg, args...)
		return
	}
	if s.sink != nil { // as hclog's intercept logger calls it
		kv := clean(args)
		if implied := s.ImpliedArgs(); len(implied) > 0 {
			kv = append(append(make([]any, 0, len(implied)+len(kv)), implied...), kv...)
		}
		s.sink.Accept(s.Name(), level, msg, kv...)
	}
	s.out.writeLine(line, now)
	if cap(line) <= 16<<10 {
		*bp = line
		linePool.Put(bp)
	}
}

// Flush writes the lines l's output holds back (see Log), if l is a
// logger New built; others have nothing held.
func Flush(l hclog.Logger) error {
	if s, ok := l.(safeLogger); ok && s.out != nil {
		return s.out.Flush()
	}
	return nil
}

var linePool = sync.Pool{New: func() any { b := make([]byte, 0, 1024); return &b }}

// levelBrackets are hclog's, in its text format.
var levelBrackets = map[hclog.Level]string{
	hclog.Trace: "[TRACE]",
	hclog.Debug: "[DEBUG]",
	hclog.Info:  "[INFO] ",
	hclog.Warn:  "[WARN] ",
	hclog.Error: "[ERROR]",
}

// appendLine appends the line hclog's text format writes (with Safe's
// escaping applied to every value), or reports false when a value is of
// a type it leaves to hclog.
func appendLine(b []byte, now time.Time, name string, level hclog.Level, msg string, implied, args []any) ([]byte, bool) {
	b = now.AppendFormat(b, hclog.TimeFormat)
	b = append(b, ' ')
	if s, ok := levelBrackets[level]; ok {
		b = append(b, s...)
	} else {
		b = append(b, "[?????]"...)
	}
	b = append(b, ' ')
	switch {
	case name != "":
		b = append(b, name...)
		if msg != "" {
			b = append(b, ": "...)
			b = append(b, msg...)
		}
	case msg != "":
		b = append(b, msg...)
	}
	if len(implied)+len(args) > 0 {
		b = append(b, ':')
	}
	var ok bool
	for _, kv := range [2][]any{implied, args} {
		for i := 0; i+1 < len(kv); i += 2 {
			if b, ok = appendField(b, kv[i], kv[i+1]); !ok {
				return b, false
			}
		}
	}
	return append(b, '\n'), true
}

// appendField appends " key=value" as hclog does for the value's type,
// after Safe's escaping.
func appendField(b []byte, k, v any) ([]byte, bool) {
	key, ok := k.(string)
	if !ok {
		return b, false
	}
	key = Value(key, MaxValue)
	var val string
	switch x := v.(type) {
	case string:
		val = Value(x, MaxValue)
	case bool:
		val = strconv.FormatBool(x)
	case int:
		b = append(append(append(b, ' '), key...), '=')
		return strconv.AppendInt(b, int64(x), 10), true
	case int64:
		b = append(append(append(b, ' '), key...), '=')
		return strconv.AppendInt(b, x, 10), true
	case uint64:
		b = append(append(append(b, ' '), key...), '=')
		return strconv.AppendUint(b, x, 10), true
	case time.Duration:
		val = x.String()
	case []string:
		b = append(append(append(b, ' '), key...), "=["...)
		for i, s := range x {
			if i > 0 {
				b = append(b, ", "...)
			}
			b = strconv.AppendQuote(b, Value(s, MaxValue))
		}
		return append(b, ']'), true
	default:
		return b, false
	}
	b = append(append(append(b, ' '), key...), '=')
	switch {
	case val == "":
		return append(b, `""`...), true
	case !needsQuoting(val):
		return append(b, val...), true
	}
	for i := 0; i < len(val); i++ {
		if val[i] == '\n' { // hclog's multi-line form; Value leaves none
			return b, false
		}
	}
	b = append(b, '"')
	b = appendEscaped(b, val)
	return append(b, '"'), true
}

// needsQuoting is hclog's: any rune outside '-' to '~'.
func needsQuoting(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x2D || s[i] > 0x7E {
			return true
		}
	}
	return false
}

// appendEscaped is hclog's writeEscapedForOutput with quotes escaped.
func appendEscaped(b []byte, s string) []byte {
	for _, r := range s {
		switch {
		case r == '"':
			b = append(b, `\"`...)
		case unicode.IsPrint(r):
			b = utf8.AppendRune(b, r)
		case r == '\a':
			b = append(b, `\a`...)
		case r == '\b':
			b = append(b, `\b`...)
		case r == '\f':
			b = append(b, `\f`...)
		case r == '\n':
			b = append(b, `\n`...)
		case r == '\r':
			b = append(b, `\r`...)
		case r == '\t':
			b = append(b, `\t`...)
		case r == '\v':
			b = append(b, `\v`...)
		case r < ' ':
			b = append(b, `\x`...)
			b = append(b, lowerhex[byte(r)>>4], lowerhex[byte(r)&0xF])
		default:
			if !utf8.ValidRune(r) {
				r = 0xFFFD
			}
			if r < 0x10000 {
				b = append(b, `\u`...)
				for s := 12; s >= 0; s -= 4 {
					b = append(b, lowerhex[r>>uint(s)&0xF])
				}
			} else {
				b = append(b, `\U`...)
				for s := 28; s >= 0; s -= 4 {
					b = append(b, lowerhex[r>>uint(s)&0xF])
				}
			}
		}
	}
	return b
}

const lowerhex = "0123456789abcdef"
