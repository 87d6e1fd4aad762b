package extmgmt

import (
	"encoding/json"
	"errors"
	"slices"
	"strconv"
	"strings"

	"github.com/switchboard-hq/switchboard/core/lenient"
	"github.com/switchboard-hq/switchboard/core/ringtime"
)

// request is one decoded External Management request.
type request struct {
	Caller, Callee, UUID, Direction string
	// ContactExternalID is the external_id of the contact Hipcall
	// matched, when it sent one.
	ContactExternalID string
	// Data is what the caller keyed, by variable name (values as text).
	Data map[string]string
	// Flow is how many entries call_flow holds (Hipcall's own count of
	// the call's steps so far); -1 when absent.
	Flow int
	// unknown lists keys the endpoint does not know; ignored lists known
	// keys whose values had the wrong type.
	unknown, ignored []string
}

var (
	errMissingCaller = errors.New(`"caller" is missing or null`)
)

// parseRequest decodes Hipcall's JSON tolerantly, as the Smart IVR does:
// keys case-insensitively, scalars as strings or numbers, unknown keys
// reported; only "caller" is required. A key present twice anywhere is
// ambiguous and refused (lenient.ErrDuplicateKey). "data" must be an
// object (or null) of scalars: a value that is not is dropped and
// reported.
func parseRequest(body []byte) (request, error) {
	req := request{Flow: -1, Data: map[string]string{}}
	fields, err := lenient.Object(body)
	if err != nil {
		return req, err
	}
	callerSeen := false
	str := func(key string, raw json.RawMessage, dst *string) bool {
		s, present, err := ringtime.Stringish(raw)
		if err != nil {
			req.ignored = append(req.ignored, key+": "+err.Error())
		}
		*dst = s
		return present && err == nil
	}
	for key, raw := range fields {
		switch k := lenient.FoldKey(key); k {
		case "caller":
			callerSeen = str(k, raw, &req.Caller)
		case "callee":
			str(k, raw, &req.Callee)
		case "uuid":
			str(k, raw, &req.UUID)
		case "direction":
			str(k, raw, &req.Direction)
		case "contact_external_id":
			str(k, raw, &req.ContactExternalID)
			req.ContactExternalID = strings.TrimSpace(req.ContactExternalID)
		case "external_manager_id":
			var ignored string
			str(k, raw, &ignored)
		case "call_flow":
			var flow []json.RawMessage
			if err := json.Unmarshal(raw, &flow); err != nil {
				req.ignored = append(req.ignored, "call_flow: not a list")
			} else if flow != nil {
				req.Flow = len(flow)
			}
		case "data":
			req.readData(raw)
		default:
			req.unknown = append(req.unknown, key)
		}
	}
	slices.Sort(req.unknown)
	slices.Sort(req.ignored)
	if !callerSeen {
		return req, errMissingCaller
	}
	return req, nil
}

func (req *request) readData(raw json.RawMessage) {
	var data map[string]json.RawMessage
	if err := json.Unmarshal(raw, &data); err != nil {
		req.ignored = append(req.ignored, "data: not an object")
		return
	}
	for k, v := range data {
		s, present, err := ringtime.Stringish(v)
		switch {
		case err != nil:
			req.ignored = append(req.ignored, "data."+k+": "+err.Error())
		case present:
			req.Data[k] = strings.TrimSpace(s)
		}
	}
}

// variable is the gather variable name of a step's try: the answer
// carries the flow's position, so a restarted host (or another one)
// reads where a call is from Hipcall's next request.
func variable(step string, try int) string { return step + "__" + strconv.Itoa(try) }

// position reads a gather variable name; ok is false for any other name.
func position(name string) (step string, try int, ok bool) {
	step, n, found := strings.Cut(name, "__")
	if !found || step == "" {
		return "", 0, false
	}
	try, err := strconv.Atoi(n)
	if err != nil || try < 1 || try > MaxTries {
		return "", 0, false
	}
	return step, try, true
}
