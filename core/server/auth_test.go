package server

import (
	"testing"

	"github.com/switchboard-hq/switchboard/connectors/conf"
)

func TestAuthenticator(t *testing.T) {
	a := newAuthenticator(&conf.BasicAuth{Username: "user", Password: "pass"})
	tests := []struct {
		user, pass string
		want       bool
	}{
		{"user", "pass", true},
		{"user", "pas", false},
		{"use", "pass", false},
		{"pass", "user", false},
		{"", "", false},
		{"user", "pass ", false},
	}
	for _, tc := range tests {
		if got := a.check(tc.user, tc.pass); got != tc.want {
			t.Errorf("check(%q, %q) = %v, want %v", tc.user, tc.pass, got, tc.want)
		}
	}
	if newAuthenticator(nil) != nil {
		t.Error("newAuthenticator(nil) should disable auth")
	}
}
