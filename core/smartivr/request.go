package smartivr

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/switchboard-hq/switchboard/core/lenient"
	"github.com/switchboard-hq/switchboard/core/ringtime"
	"github.com/switchboard-hq/switchboard/core/routing"
)

// Request problems that make the Smart IVR answer the default at once.
var (
	errMissingCaller = errors.New(`"caller" is missing or null`)
)

// request is a decoded Hipcall Smart IVR request.
type request struct {
	call routing.Call
	// unknown lists keys the endpoint does not know (sorted).
	unknown []string
	// ignored lists known keys whose values had the wrong type and were
	// dropped ("timestamp: ...").
	ignored []string
}

// parseRequest decodes Hipcall's JSON tolerantly: only "caller" is
// required (a string, possibly empty, or a JSON number); "number" and
// "uuid" may be strings or numbers; "timestamp" may be a number or a
// numeric string; keys are matched case-insensitively (lenient.FoldKey);
// unknown keys and optional values of the wrong type are reported, not
// fatal. A body in which any object holds a key twice ("caller" and
// "Caller", or "caller" twice) is ambiguous and refused with an error
// that errors.Is lenient.ErrDuplicateKey: no spelling is picked.
func parseRequest(body []byte) (request, error) {
	var req request
	fields, err := lenient.Object(body)
	if err != nil {
		return req, err
	}
	callerSeen := false
	var callerErr error
	// No two keys fold alike (DuplicateKeys): each field is set once at
	// most, whatever the map's order; every member is read even when the
	// caller is unreadable, so that what is reported does not depend on
	// the order either.
	for key, raw := range fields {
		switch lenient.FoldKey(key) {
		case "caller":
			s, present, err := ringtime.Stringish(raw)
			if err != nil {
				callerErr = fmt.Errorf(`"caller": %w`, err)
				continue
			}
			req.call.Caller, callerSeen = s, present
		case "number":
			s, _, err := ringtime.Stringish(raw)
			if err != nil {
				req.ignored = append(req.ignored, "number: "+err.Error())
			}
			req.call.Number = s
		case "uuid":
			s, _, err := ringtime.Stringish(raw)
			if err != nil {
				req.ignored = append(req.ignored, "uuid: "+err.Error())
			}
			req.call.UUID = s
		case "timestamp":
			ts, err := unixTime(raw)
			if err != nil {
				req.ignored = append(req.ignored, "timestamp: "+err.Error())
			}
			req.call.Timestamp = ts
		default:
			req.unknown = append(req.unknown, key)
		}
	}
	slices.Sort(req.unknown)
	slices.Sort(req.ignored)
	switch {
	case callerErr != nil:
		return req, callerErr
	case !callerSeen:
		return req, errMissingCaller
	}
	return req, nil
}

// unixTime reads a unix timestamp given as a JSON number or a numeric
// string; fractions are truncated. null gives 0.
func unixTime(raw json.RawMessage) (int64, error) {
	s, present, err := ringtime.Stringish(raw)
	if err != nil || !present {
		return 0, err
	}
	s = strings.TrimSpace(s)
	if ts, err := strconv.ParseInt(s, 10, 64); err == nil {
		return ts, nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) || f < math.MinInt64 || f >= math.MaxInt64 {
		return 0, fmt.Errorf("%q is not a unix time", s)
	}
	return int64(f), nil
}
