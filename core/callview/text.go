package callview

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// FormatTime is a time for people: local, to the second, with its zone.
func FormatTime(t time.Time) string { return t.Local().Format("2006-01-02 15:04:05 MST") }

// StateText words a job's state on one line: "retrying (attempt 2 of 20,
// next ...): 503", "running (attempt 1)", "failed: ...", or the state.
func StateText(state string, attempt, maxAttempts int, msg string, next *time.Time) string {
	msg = ShortError(msg)
	switch state {
	case StateRetrying:
		s := fmt.Sprintf("retrying (attempt %d", attempt)
		if maxAttempts > 0 {
			s += fmt.Sprintf(" of %d", maxAttempts)
		}
		switch {
		case next != nil && next.After(time.Now()):
			s += ", next " + FormatTime(*next)
		case next != nil:
			s += ", due now"
		}
		return s + "): " + msg
	case StateRunning:
		return fmt.Sprintf("running (attempt %d)", attempt)
	case StateFailed:
		return "failed: " + msg
	}
	return state
}

// ShortError is an error on one line, without the step's own prefix (a
// row names the step), at most 240 characters.
func ShortError(msg string) string {
	msg = strings.Join(strings.Fields(msg), " ")
	if _, rest, ok := strings.Cut(msg, "after-call step "); ok && strings.HasPrefix(msg, "after-call step ") {
		if i := strings.Index(rest, ": "); i >= 0 {
			msg = rest[i+2:]
		}
	}
	if utf8.RuneCountInString(msg) > 240 {
		msg = string([]rune(msg)[:239]) + "…"
	}
	return msg
}
