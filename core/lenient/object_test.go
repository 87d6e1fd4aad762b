package lenient

import (
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
