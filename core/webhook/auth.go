package webhook

import (
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"net/http"
	"net/netip"
	"strings"

	"github.com/switchboard-hq/switchboard/core/server"
)

// AuthOptions say how a webhook request proves it comes from Hipcall. Every
// configured method must pass. At least one is required unless
// InsecureNoAuth is set.
type AuthOptions struct {
	// Token is a secret that must be the path's last segment after the
	// endpoint's path (/hipcall/webhook/<token>) or the query's token.
	Token string
	// Username and Password, when both set, are required as Basic Auth.
	Username, Password string
	// AllowFrom lists the source networks allowed to post; empty allows
	// any. The source is the connection's address: behind a proxy, that
	// is the proxy.
	AllowFrom []netip.Prefix
	// InsecureNoAuth allows no authentication at all (local trials).
	InsecureNoAuth bool
}

// Reasons an authentication failed, as logged and counted.
const (
	authSourceDenied = "source_denied"
	authTokenMissing = "token_missing"
	authTokenWrong   = "token_wrong"
	authBasicMissing = "basic_missing"
	authBasicWrong   = "basic_wrong"
)

// auth checks requests against AuthOptions. Secrets are kept as SHA-256
// digests and compared in constant time, so neither their content nor
// their length leaks through timing.
type auth struct {
	path      string
	token     *[sha256.Size]byte
	user      *[sha256.Size]byte
	pass      *[sha256.Size]byte
	allowFrom []netip.Prefix
}

func newAuth(path string, o AuthOptions) (*auth, error) {
	a := &auth{path: path, allowFrom: o.AllowFrom}
	if o.Token != "" {
		d := sha256.Sum256([]byte(o.Token))
		a.token = &d
	}
	switch {
	case o.Username != "" && o.Password != "":
		u, p := sha256.Sum256([]byte(o.Username)), sha256.Sum256([]byte(o.Password))
		a.user, a.pass = &u, &p
	case o.Username != "" || o.Password != "":
		return nil, errors.New("basic auth needs both a username and a password: set both or neither")
	}
	if a.token == nil && a.user == nil && len(a.allowFrom) == 0 && !o.InsecureNoAuth {
		return nil, errors.New("no authentication configured: set a token, basic auth or an allowlist " +
			"(or InsecureNoAuth for a local trial)")
	}
	return a, nil
}

// check returns 0 when r may post, else the status to answer (401 or 403)
// and the reason.
func (a *auth) check(r *http.Request) (int, string) {
	if len(a.allowFrom) > 0 && !a.allowed(server.ClientAddr(r)) {
		return http.StatusForbidden, authSourceDenied
	}
	if a.token != nil {
		offered, ok := a.offeredToken(r)
		if !ok {
			return http.StatusUnauthorized, authTokenMissing
		}
		d := sha256.Sum256([]byte(offered))
		if subtle.ConstantTimeCompare(d[:], a.token[:]) != 1 {
			return http.StatusUnauthorized, authTokenWrong
		}
	} else if rest := strings.TrimPrefix(r.URL.Path, a.path); rest != "" {
		// Something after the path, and no token is expected there.
		return http.StatusUnauthorized, authTokenWrong
	}
	if a.user != nil {
		user, pass, ok := r.BasicAuth()
		if !ok {
			return http.StatusUnauthorized, authBasicMissing
		}
		u, p := sha256.Sum256([]byte(user)), sha256.Sum256([]byte(pass))
		if subtle.ConstantTimeCompare(u[:], a.user[:])&subtle.ConstantTimeCompare(p[:], a.pass[:]) != 1 {
			return http.StatusUnauthorized, authBasicWrong
		}
	}
	return 0, ""
}

// offeredToken is the token in the path's last segment, else in the query.
func (a *auth) offeredToken(r *http.Request) (string, bool) {
	if rest, ok := strings.CutPrefix(r.URL.Path, a.path+"/"); ok && rest != "" {
		return rest, true
	}
	if r.URL.Path != a.path {
		return "", false
	}
	if t := r.URL.Query().Get("token"); t != "" {
		return t, true
	}
	return "", false
}

// allowed reports whether the client's address (the connection's, or
// the one a trusted proxy forwarded for: server.trusted_proxies) is in the
// allowlist.
func (a *auth) allowed(addr netip.Addr) bool {
	if !addr.IsValid() {
		return false
	}
	for _, p := range a.allowFrom {
		if p.Contains(addr) {
			return true
		}
	}
	return false
}
