package pipedrivetest

import (
	"crypto/subtle"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Authentication of /api/... requests, in this order:
//
//   - an Authorization header decides alone: "Bearer <access token>" must
//     name an access token the token endpoint issued (or IssueToken) that
//     has not expired on the fake's clock; any other scheme is a 401;
//   - else an x-api-token header decides alone: it must equal
//     Options.APIToken (a wrong header is a 401 even with a right
//     api_token parameter);
//   - else the api_token query parameter must equal Options.APIToken;
//   - else the request is a 401.
//
// Every 401 carries the API's error body; an expired access token's says
// so in error_info ("access token expired").

// tokenStore holds the OAuth2 tokens issued.
type tokenStore struct {
	seq     int
	access  map[string]time.Time // access token → expiry
	refresh map[string]bool      // live refresh tokens
}

// authenticate checks a request's credentials; on failure it returns the
// 401 to answer.
func (s *Server) authenticate(r *http.Request) (reply, bool) {
	unauthorized := func(info string) (reply, bool) {
		return apiError(http.StatusUnauthorized, "Unauthorized", info), false
	}
	if auth := r.Header.Get("Authorization"); auth != "" {
		token, ok := strings.CutPrefix(auth, "Bearer ")
		if !ok || strings.TrimSpace(token) == "" {
			return unauthorized("the Authorization header must be \"Bearer <access token>\"")
		}
		s.mu.Lock()
		expiry, known := s.tokens.access[token]
		s.mu.Unlock()
		switch {
		case !known:
			return unauthorized("unknown access token; get one at POST /oauth/token")
		case !s.now().Before(expiry):
			return unauthorized("access token expired; refresh it at POST /oauth/token with grant_type=refresh_token")
		}
		return reply{}, true
	}
	if vs, ok := r.Header["X-Api-Token"]; ok {
		if len(vs) != 1 || !equal(vs[0], s.opts.APIToken) {
			return unauthorized("invalid API token in the x-api-token header")
		}
		return reply{}, true
	}
	if vs, ok := r.URL.Query()["api_token"]; ok {
		if len(vs) != 1 || !equal(vs[0], s.opts.APIToken) {
			return unauthorized("invalid API token in the api_token query parameter")
		}
		return reply{}, true
	}
	return unauthorized("no credentials: send the x-api-token header, the api_token query parameter or Authorization: Bearer <access token>")
}

func equal(a, b string) bool { return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1 }

// Token is a token endpoint answer (RFC 6749 section 5.1), also returned by
// IssueToken.
type Token struct {
	AccessToken  string `json:"access_token"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int    `json:"expires_in"`
	RefreshToken string `json:"refresh_token"`
	Scope        string `json:"scope"`
	// APIDomain is the base URL to send API requests to (the fake's URL).
	APIDomain string `json:"api_domain"`
}

// OAuthError is a token endpoint error answer (RFC 6749 section 5.2):
// invalid_request, invalid_client (401), invalid_grant or
// unsupported_grant_type (400).
type OAuthError struct {
	Error            string `json:"error"`
	ErrorDescription string `json:"error_description"`
}

// IssueToken mints an access token and a refresh token, as if the
// authorization-code dance had just happened, for tests that start from a
// logged-in client.
func (s *Server) IssueToken() Token {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.issueLocked("")
}

// RevokeTokens forgets every access and refresh token issued, as when the
// user uninstalls the app: bearer requests get 401s and refreshes
// invalid_grant.
func (s *Server) RevokeTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tokens.access = map[string]time.Time{}
	s.tokens.refresh = map[string]bool{}
}

// issueLocked mints an access token, and a refresh token unless refresh
// names the one to keep. Callers hold mu.
func (s *Server) issueLocked(refresh string) Token {
	s.tokens.seq++
	n := s.tokens.seq
	access := fmt.Sprintf("pd-access-%06d-%08x", n, uint32(n*2654435761))
	s.tokens.access[access] = s.now().Add(s.opts.TokenLifetime)
	if refresh == "" {
		refresh = fmt.Sprintf("pd-refresh-%06d-%08x", n, uint32(n*40503))
		s.tokens.refresh[refresh] = true
	}
	return Token{
		AccessToken: access, TokenType: "Bearer", ExpiresIn: int(s.opts.TokenLifetime / time.Second),
		RefreshToken: refresh, Scope: "base,contacts:full,phone-integration", APIDomain: s.lb.URL(),
	}
}

// token serves POST /oauth/token: a form-encoded body with grant_type
// client_credentials or refresh_token (with refresh_token), the client
// authenticated by HTTP Basic (client_id:client_secret) or by client_id
// and client_secret in the form, both grants. Unknown form fields are
// ignored, as RFC 6749 asks.
func (s *Server) token(r *http.Request, body []byte) reply {
	oauthErr := func(status int, code, desc string) reply {
		return reply{status, OAuthError{Error: code, ErrorDescription: desc}}
	}
	if ct, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || ct != "application/x-www-form-urlencoded" {
		return oauthErr(http.StatusBadRequest, "invalid_request", "the body must be application/x-www-form-urlencoded")
	}
	if len(r.URL.Query()) > 0 {
		return oauthErr(http.StatusBadRequest, "invalid_request", "send the parameters in the body, not in the query string")
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return oauthErr(http.StatusBadRequest, "invalid_request", "the body is not form-encoded: "+err.Error())
	}
	for k, vs := range form {
		if len(vs) > 1 {
			return oauthErr(http.StatusBadRequest, "invalid_request", "parameter "+k+" is given more than once")
		}
	}
	id, secret, basic := r.BasicAuth()
	if basic && (form.Has("client_id") || form.Has("client_secret")) {
		return oauthErr(http.StatusBadRequest, "invalid_request", "authenticate the client by Basic auth or by the form, not both")
	}
	if !basic {
		id, secret = form.Get("client_id"), form.Get("client_secret")
	}
	if !equal(id, s.opts.ClientID) || !equal(secret, s.opts.ClientSecret) {
		return oauthErr(http.StatusUnauthorized, "invalid_client", "unknown client or wrong secret")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	switch grant := form.Get("grant_type"); grant {
	case "client_credentials":
		return reply{http.StatusOK, s.issueLocked("")}
	case "refresh_token":
		rt := form.Get("refresh_token")
		if rt == "" {
			return oauthErr(http.StatusBadRequest, "invalid_request", "refresh_token is required")
		}
		if !s.tokens.refresh[rt] {
			return oauthErr(http.StatusBadRequest, "invalid_grant", "unknown, revoked or already used refresh token")
		}
		if s.opts.RotateRefreshTokens {
			delete(s.tokens.refresh, rt)
			return reply{http.StatusOK, s.issueLocked("")}
		}
		return reply{http.StatusOK, s.issueLocked(rt)}
	case "":
		return oauthErr(http.StatusBadRequest, "invalid_request", "grant_type is required")
	default:
		return oauthErr(http.StatusBadRequest, "unsupported_grant_type", "the fake supports client_credentials and refresh_token, not "+grant)
	}
}
