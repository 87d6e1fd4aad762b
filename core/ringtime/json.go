package ringtime

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// Stringish reads a JSON string or number as text (a number keeps its
// literal digits, so 905061234567 stays exact). present is false for null.
func Stringish(raw json.RawMessage) (s string, present bool, err error) {
	raw = bytes.TrimSpace(raw)
	switch {
	case len(raw) == 0 || string(raw) == "null":
		return "", false, nil
	case raw[0] == '"':
		if len(raw) >= 2 && raw[len(raw)-1] == '"' && plainString(raw[1:len(raw)-1]) {
			return string(raw[1 : len(raw)-1]), true, nil
		}
		if err := json.Unmarshal(raw, &s); err != nil {
			return "", false, fmt.Errorf("bad string: %w", err)
		}
		return s, true, nil
	case raw[0] == '-' || (raw[0] >= '0' && raw[0] <= '9'):
		return string(raw), true, nil // json.Unmarshal already checked the syntax
	default:
		return "", false, fmt.Errorf("want a string or a number, got %s", JSONKind(raw))
	}
}

// JSONKind names the JSON type of a valid JSON value ("an object").
func JSONKind(raw json.RawMessage) string {
	switch raw[0] {
	case '{':
		return "an object"
	case '[':
		return "an array"
	case 't', 'f':
		return "a boolean"
	}
	return "an unexpected value"
}

// plainString reports whether b, a JSON string's contents, has nothing
// to decode: printable ASCII without a quote or a backslash.
func plainString(b []byte) bool {
	for _, c := range b {
		if c < 0x20 || c >= 0x7f || c == '"' || c == '\\' {
			return false
		}
	}
	return true
}
