package conf

import "github.com/switchboard-hq/switchboard/connectors"

// BasicAuth is an HTTP basic authentication pair, as a basic_auth: block of
// an endpoint's section. Both are set or neither: CheckBasicAuth drops a
// pair with both empty.
type BasicAuth struct {
	Username string `yaml:"username"`
	Password Secret `yaml:"password"`
}

// CheckBasicAuth checks the optional pair *a at path ("basic_auth"): both
// empty (basic_auth: {username: ${USER:}, password: ${PASS:}} with neither
// set) means none, and sets *a to nil; one without the other is a problem.
func CheckBasicAuth(ps *connectors.Problems, path string, a **BasicAuth) {
	switch b := *a; {
	case b == nil:
	case b.Username == "" && b.Password == "":
		*a = nil
	case b.Password == "":
		ps.Addf(path+".password", "is required when a username is set (set both, or neither)")
	case b.Username == "":
		ps.Addf(path+".username", "is required when a password is set (set both, or neither)")
	}
}
