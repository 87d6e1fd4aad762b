// Package lenient reads the scalars of Hipcall's JSON (webhook payloads,
// API answers) whose fields may be absent, null, or sent as another JSON
// type than expected (a number as a string, a string id as a number).
// Its readers never fail: what cannot be read is left zero.
//
// DuplicateKeys is the one rule for member names: an object that holds
// the same name twice, compared case-insensitively (FoldKey), is
// ambiguous, and the request readers (webhook, Smart IVR, Ringostat)
// refuse it rather than pick one of its values.
package lenient

import (
	"bytes"
	"encoding/json"
	"math"
	"strconv"
	"strings"
	"time"
)

// Text reads a scalar as text: a string as is, a number as its digits
// (an integral number in exponent form written out), a boolean as
// true/false. It reports false for null, absent, objects and lists.
func Text(raw json.RawMessage) (string, bool) {
	t := bytes.TrimSpace(raw)
	if len(t) == 0 {
		return "", false
	}
	switch c := t[0]; {
	case c == '"':
		var s string
		if json.Unmarshal(t, &s) != nil {
			return "", false
		}
		return s, true
	case c == '-' || c >= '0' && c <= '9':
		s := string(t)
		if strings.ContainsAny(s, "eE") {
			if f, err := strconv.ParseFloat(s, 64); err == nil && f == math.Trunc(f) && math.Abs(f) < 1e18 {
				return strconv.FormatInt(int64(f), 10), true
			}
		}
		return s, true
	case bytes.Equal(t, []byte("true")), bytes.Equal(t, []byte("false")):
		return string(t), true
	}
	return "", false
}

// String is Text, trimmed; "" for what is not a scalar.
func String(raw json.RawMessage) string {
	s, _ := Text(raw)
	return strings.TrimSpace(s)
}

// Int reads a whole number sent as a number or a numeric string.
func Int(raw json.RawMessage) *int64 {
	s, ok := Text(raw)
	if !ok {
		return nil
	}
	f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) || math.Abs(f) > 1e18 {
		return nil
	}
	i := int64(math.Round(f))
	return &i
}

// Bool reads true/false, also sent as "true"/"false" or 1/0.
func Bool(raw json.RawMessage) *bool {
	s, ok := Text(raw)
	if !ok {
		return nil
	}
	b, err := strconv.ParseBool(strings.TrimSpace(s))
	if err != nil {
		return nil
	}
	return &b
}

// Time reads an ISO-8601 time (RFC 3339, with or without a zone or a
// fraction; a time without a zone is taken as UTC) or unix seconds, as
// UTC.
func Time(raw json.RawMessage) *time.Time {
	s := String(raw)
	if s == "" {
		return nil
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02 15:04:05.999999999Z07:00", "2006-01-02 15:04:05.999999999"} {
		if t, err := time.Parse(layout, s); err == nil {
			t = t.UTC()
			return &t
		}
	}
	if secs, err := strconv.ParseInt(s, 10, 64); err == nil && secs > 0 {
		t := time.Unix(secs, 0).UTC()
		return &t
	}
	return nil
}
