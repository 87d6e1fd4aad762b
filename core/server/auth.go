package server

import (
	"crypto/sha256"
	"crypto/subtle"

	"github.com/switchboard-hq/switchboard/connectors/conf"
)

// authenticator checks HTTP Basic Auth credentials in constant time. It
// keeps only SHA-256 digests, so comparisons take the same time whatever
// the lengths of the expected and offered values.
type authenticator struct {
	user, pass [sha256.Size]byte
}

func newAuthenticator(ba *conf.BasicAuth) *authenticator {
	if ba == nil {
		return nil
	}
	return &authenticator{user: sha256.Sum256([]byte(ba.Username)), pass: sha256.Sum256([]byte(ba.Password.Reveal()))}
}

// check reports whether both username and password are right. Both are
// always compared, so timing does not tell which one was wrong.
func (a *authenticator) check(user, pass string) bool {
	u := sha256.Sum256([]byte(user))
	p := sha256.Sum256([]byte(pass))
	userOK := subtle.ConstantTimeCompare(u[:], a.user[:])
	passOK := subtle.ConstantTimeCompare(p[:], a.pass[:])
	return userOK&passOK == 1
}
