package lenient

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

func TestObject(t *testing.T) {
	for _, tc := range []struct {
		body    string
		keys    int
		wantErr error
		want    string
	}{
		{`{"caller":"1","uuid":2}`, 2, nil, ""},
		{`{}`, 0, nil, ""},
		{`null`, 0, ErrNotObject, ""},
		{`[1]`, 0, ErrNotObject, "got a JSON array"},
		{`12`, 0, ErrNotObject, "got a JSON number"},
		{`{"caller":`, 0, nil, "not valid JSON"},
		{`{"caller":"1","Caller":"2"}`, 0, ErrDuplicateKey, "twice"},
	} {
		got, err := Object([]byte(tc.body))
		switch {
		case tc.wantErr == nil && tc.want == "" && (err != nil || len(got) != tc.keys):
			t.Errorf("%s: %d keys, %v", tc.body, len(got), err)
		case tc.wantErr != nil && !errors.Is(err, tc.wantErr):
			t.Errorf("%s: %v, want %v", tc.body, err, tc.wantErr)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%s: %v, want it to say %q", tc.body, err, tc.want)
		}
	}
}

// slowObject is Object without its flat fast path: what the fast path
// must agree with.
func slowObject(body []byte) (map[string]json.RawMessage, error) {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(body, &fields); err != nil {
		return nil, err
	}
	if fields == nil {
		return nil, ErrNotObject
	}
	if err := DuplicateKeys(body); err != nil {
		return nil, err
	}
	return fields, nil
}

// FuzzObjectFastPath: on every body, Object answers what json.Unmarshal
// and DuplicateKeys answer: the same members with the same raw values, or
// an error for the same bodies.
func FuzzObjectFastPath(f *testing.F) {
	for _, s := range []string{
		`{"caller":"+442045205757","number":"+442045200000","uuid":"u1","timestamp":1733400000}`,
		`{}`, ` { "a" : 1 , "b":"x\"y" } `, `{"a":1,"A":2}`, `{"a":tru}`, `{"a":1e400}`, `{"a":[1]}`,
		`{"a":{"b":1,"b":2}}`, `null`, `[]`, `{"a":"\u00e9"}`, `{"é":1}`, `{"a":-0.5E+3,"b":null,"c":false}`,
		`{"a":1}x`, `{"a" 1}`, `{"a":"unterminated}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		got, gotErr := Object(body)
		want, wantErr := slowObject(body)
		if (gotErr == nil) != (wantErr == nil) {
			t.Fatalf("%q: Object error %v, json.Unmarshal and DuplicateKeys %v", body, gotErr, wantErr)
		}
		if gotErr != nil {
			return
		}
		if len(got) != len(want) {
			t.Fatalf("%q: %d members, want %d", body, len(got), len(want))
		}
		for k, v := range want {
			if !bytes.Equal(got[k], v) {
				t.Fatalf("%q: member %q = %s, want %s", body, k, got[k], v)
			}
		}
	})
}
