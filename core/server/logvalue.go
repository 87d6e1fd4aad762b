package server

import (
	"strconv"
	"strings"

	"github.com/switchboard-hq/switchboard/core/logging"
)

// MaxLogValue is the most bytes of one request-supplied value a log line
// holds; a longer value is cut and its full length noted.
const MaxLogValue = 256

// LogValue makes s safe for a request's log line: escaped as
// logging.Value does (a newline in a caller number is \n, not a new log
// line) and cut at MaxLogValue bytes, its full length noted.
func LogValue(s string) string { return logging.Value(s, MaxLogValue) }

// logValue escapes and bounds what Annotate receives: strings, string
// lists and errors (logging.CleanValue at MaxLogValue).
func logValue(v any) any {
	c, _ := logging.CleanValue(v, MaxLogValue)
	return c
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
