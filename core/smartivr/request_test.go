package smartivr

import (
	"errors"
	"slices"
	"testing"

	"github.com/switchboard-hq/switchboard/core/lenient"
	"github.com/switchboard-hq/switchboard/core/routing"
)

func TestParseSmartIVR(t *testing.T) {
	tests := []struct {
		body        string
		want        routing.Call
		wantUnknown []string
		wantIgnored int
		wantErr     error // errors.Is target; nil means success
		wantAnyErr  bool
	}{
		{body: `{"caller":"+905061234567","number":"+902581234567","timestamp":1774427991,"uuid":"a2b7"}`,
			want: routing.Call{Caller: "+905061234567", Number: "+902581234567", Timestamp: 1774427991, UUID: "a2b7"}},
		{body: `{"caller":905061234567}`, want: routing.Call{Caller: "905061234567"}},
		{body: ` { "caller" : "1" , "timestamp" : " 42 " } `, want: routing.Call{Caller: "1", Timestamp: 42}},
		{body: `{"caller":"1","timestamp":1.7744279915e9}`, want: routing.Call{Caller: "1", Timestamp: 1774427991}},
		{body: `{"caller":"1","timestamp":"1e400"}`, want: routing.Call{Caller: "1"}, wantIgnored: 1},
		{body: `{"caller":"1","timestamp":true,"uuid":[1],"number":{}}`, want: routing.Call{Caller: "1"}, wantIgnored: 3},
		{body: `{"caller":"1","timestamp":null,"uuid":null}`, want: routing.Call{Caller: "1"}},
		{body: `{"caller":"1","b":1,"a":2}`, want: routing.Call{Caller: "1"}, wantUnknown: []string{"a", "b"}},
		{body: `{"caller":""}`, want: routing.Call{}},
		{body: `{}`, wantErr: errMissingCaller},
		{body: `{"caller":null}`, wantErr: errMissingCaller},
		{body: `null`, wantErr: lenient.ErrNotObject},
		{body: `[1]`, wantErr: lenient.ErrNotObject},
		{body: `12`, wantErr: lenient.ErrNotObject},
		{body: `{"caller":false}`, wantAnyErr: true},
		{body: `{"caller":"1"`, wantAnyErr: true},
		{body: ``, wantAnyErr: true},
		{body: `{"Caller":"1","caller":"2"}`, wantErr: lenient.ErrDuplicateKey},
		{body: `{"caller":"1","caller":"1"}`, wantErr: lenient.ErrDuplicateKey},
		{body: `{"caller":"1","UUID":"a","uuid":"b"}`, wantErr: lenient.ErrDuplicateKey},
		{body: `{"caller":"1","extra":{"a":1,"A":2}}`, wantErr: lenient.ErrDuplicateKey},
		{body: `{"caller":"1","\u212a":1,"k":2}`, wantErr: lenient.ErrDuplicateKey},
		{body: `{"CALLER":"1","Uuid":"a"}`, want: routing.Call{Caller: "1", UUID: "a"}},
	}
	for _, tc := range tests {
		t.Run(tc.body, func(t *testing.T) {
			got, err := parseRequest([]byte(tc.body))
			switch {
			case tc.wantErr != nil:
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("err = %v, want %v", err, tc.wantErr)
				}
				return
			case tc.wantAnyErr:
				if err == nil {
					t.Fatalf("no error, got %+v", got.call)
				}
				return
			case err != nil:
				t.Fatalf("unexpected error: %v", err)
			}
			if got.call != tc.want {
				t.Errorf("call = %+v, want %+v", got.call, tc.want)
			}
			if !slices.Equal(got.unknown, tc.wantUnknown) {
				t.Errorf("unknown = %v, want %v", got.unknown, tc.wantUnknown)
			}
			if len(got.ignored) != tc.wantIgnored {
				t.Errorf("ignored = %v, want %d entries", got.ignored, tc.wantIgnored)
			}
		})
	}
}
