package lenient

import (
	"encoding/json"
	"errors"
	"fmt"
)

// ErrNotObject is the error (errors.Is) when a request's body is valid
// JSON but not an object (null, a list, a number).
var ErrNotObject = errors.New("body is not a JSON object")

// Object decodes a request body that must be one JSON object into its
// members, undecoded. It refuses, with an error that says why: invalid
// JSON, JSON that is not an object (ErrNotObject), and an object holding
// a key twice anywhere (ErrDuplicateKey: ambiguous, no spelling picked).
// The values may share body's memory: do not change body while they are
// in use.
func Object(body []byte) (map[string]json.RawMessage, error) {
	// The ring endpoints' bodies are flat objects: read their members in
	// one pass once the whole body is known to be valid JSON (the
	// values are then valid too), without json.Unmarshal's reflection.
	// The values share body.
	var m flatMembers
	if json.Valid(body) && m.read(body) {
		fields := make(map[string]json.RawMessage, m.n)
		for i := range m.n {
			fields[string(m.keys[i])] = m.values[i]
		}
		return fields, nil
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(body, &fields); err != nil {
		var ute *json.UnmarshalTypeError
		if errors.As(err, &ute) {
			return nil, fmt.Errorf("%w (got a JSON %s)", ErrNotObject, ute.Value)
		}
		return nil, fmt.Errorf("body is not valid JSON: %w", err)
	}
	if fields == nil { // the body was `null`
		return nil, ErrNotObject
	}
	if err := DuplicateKeys(body); err != nil {
		return nil, err
	}
	return fields, nil
}
