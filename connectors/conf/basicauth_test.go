package conf

import (
	"testing"

	"github.com/switchboard-hq/switchboard/connectors"
)

func TestCheckBasicAuth(t *testing.T) {
	cases := []struct {
		name    string
		in      *BasicAuth
		wantNil bool
		want    string // "path: message", or ""
	}{
		{"absent", nil, true, ""},
		{"both empty means none", &BasicAuth{}, true, ""},
		{"both set", &BasicAuth{Username: "u", Password: "p"}, false, ""},
		{"no password", &BasicAuth{Username: "u"}, false, "basic_auth.password: is required when a username is set (set both, or neither)"},
		{"no username", &BasicAuth{Password: "p"}, false, "basic_auth.username: is required when a password is set (set both, or neither)"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var ps connectors.Problems
			a := tc.in
			CheckBasicAuth(&ps, "basic_auth", &a)
			if (a == nil) != tc.wantNil {
				t.Errorf("pair = %v, want nil: %v", a, tc.wantNil)
			}
			got := ""
			if len(ps) > 0 {
				got = ps[0].Path + ": " + ps[0].Message
			}
			if got != tc.want || len(ps) > 1 {
				t.Errorf("problems = %v, want %q", ps, tc.want)
			}
		})
	}
}
